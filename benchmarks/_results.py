"""What one benchmark run measured, and its JSON form (every sample, block order, machine)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import _system
from ._memory import Memory
from ._timing import Timing

if TYPE_CHECKING:
    from .planar import Size


@dataclass
class SizeResult:
    """Timings of every implementation at one size, with its first costs and its last cost.

    Attributes:
        seed: the seed of the block order; order: the implementations' order in each round.
    """

    size: Size
    timings: dict[str, Timing]
    first_costs: dict[str, list[float]]
    last_cost: dict[str, float]
    seed: int = 0
    order: list[list[str]] = field(default_factory=list)


@dataclass
class Run:
    """Every size timed under one allocator setting ("mallopt" or "defaults").

    Attributes:
        note: what configuring the allocator did, in words.
        load: the 1-minute load average before and after the timing.
    """

    allocator: str
    note: str
    sizes: list[SizeResult]
    load: tuple[str, str]


@dataclass
class Results:
    """Everything one benchmark run measured."""

    runs: list[Run]
    memory: Memory
    skipped: dict[str, str]
    settings: dict[str, Any]
    machine: dict[str, str] = field(default_factory=_system.machine_info)
    peers: dict[str, Any] | None = None


def to_json(results: Results) -> dict[str, Any]:
    """The results as plain JSON data (every sample, the block orders, the machine)."""
    return {
        "machine": results.machine,
        "settings": results.settings,
        "skipped": results.skipped,
        "runs": [
            {
                "allocator": r.allocator,
                "note": r.note,
                "load": list(r.load),
                "sizes": {
                    res.size.name: {
                        "seed": res.seed,
                        "order": res.order,
                        "timings": {
                            name: {
                                "median": t.median,
                                "cpu_median": t.cpu_median,
                                "samples": list(t.samples),
                                "cpu_samples": list(t.cpu_samples),
                                "steps_per_block": t.steps_per_block,
                                "first_costs": res.first_costs[name],
                                "last_cost": res.last_cost.get(name),
                            }
                            for name, t in res.timings.items()
                        },
                    }
                    for res in r.sizes
                },
            }
            for r in results.runs
        ],
        "memory": results.memory,
        "peers": results.peers,
    }


def runs_from_json(data: dict[str, Any]) -> list[Run]:
    """The timing runs back from `to_json`'s output."""
    from .planar import SIZES

    runs = []
    for r in data["runs"]:
        per_size = []
        for size_name, d in r["sizes"].items():
            t = d["timings"]
            timings = {
                n: Timing(tuple(v["samples"]), v["steps_per_block"], tuple(v["cpu_samples"]))
                for n, v in t.items()
            }
            first = {n: list(v["first_costs"]) for n, v in t.items()}
            last = {n: v["last_cost"] for n, v in t.items() if v["last_cost"] is not None}
            per_size.append(
                SizeResult(SIZES[size_name], timings, first, last, d["seed"], d["order"])
            )
        runs.append(Run(r["allocator"], r["note"], per_size, (r["load"][0], r["load"][1])))
    return runs
