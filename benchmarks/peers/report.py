"""The peers table: each library's step time as a ratio to the NumPy floor of the same process."""

from __future__ import annotations

from typing import Any

from .._timing import Timing, format_seconds, markdown_table, ratio_of_rounds, text_table

HEADER = [
    "size",
    "library",
    "version",
    "median",
    "CPU median",
    "× floor",
    "× floor (CPU)",
    "blocks×steps",
    "first costs vs tutorial",
    "note",
]
COST_TOLERANCE = 1e-9
_DISTRIBUTION = {
    "numpy tuned": "numpy",
    "jax jit": "jax",
    "torch eager": "torch",
    "torch.compile": "torch",
    "mygrad": "mygrad",
    "autograd (HIPS)": "autograd",
    "micrograd": "micrograd",
}


def _timing(r: dict[str, Any]) -> Timing:
    return Timing(tuple(r["samples"]), r["steps_per_block"], tuple(r["cpu_samples"]))


def _cost_check(costs: list[float], reference: list[float]) -> str:
    for i, (c, ref) in enumerate(zip(costs, reference, strict=False)):
        if not abs(c - ref) <= COST_TOLERANCE * max(1.0, abs(ref)):
            return f"DIFFERS at step {i + 1} ({c:.12g} vs {ref:.12g})"
    return "same"


def _names(sizes: dict[str, Any]) -> list[str]:
    """Every implementation named at any size, the floor first, then in the peers' order."""
    from .steps import PEERS

    seen: list[str] = ["numpy tuned"]
    for d in sizes.values():
        for key in ("results", "errors", "skipped"):
            seen += [n for n in d.get(key, {}) if n not in seen]
    order = ["numpy tuned", *PEERS]
    return sorted(seen, key=lambda n: order.index(n) if n in order else len(order))


def rows(peers: dict[str, Any]) -> list[list[str]]:
    """One row per size and library: medians, ratios to the floor, the cost check, notes."""
    out = []
    for size, d in peers["sizes"].items():
        if "failed" in d:
            out.append([size, "(all)", "", "", "", "", "", "", "", d["failed"]])
            continue
        env = d.get("environment", {})
        floor = d["results"].get(d["floor"])
        floor_t = None if floor is None else _timing(floor)
        for name in _names(peers["sizes"]):
            version = env.get(_DISTRIBUTION.get(name, ""), "")
            if name in d["results"]:
                r = d["results"][name]
                t = _timing(r)
                cpu = t.cpu_median
                note = f"build + {len(r['first_costs'])} steps: {r['build_and_check_s']:.1f} s"
                out.append(
                    [
                        size,
                        name,
                        version,
                        format_seconds(t.median),
                        "—" if cpu is None else format_seconds(cpu),
                        _fmt(None if floor_t is None else ratio_of_rounds(t, floor_t)),
                        _fmt(None if floor_t is None else ratio_of_rounds(t, floor_t, cpu=True)),
                        f"{len(t.samples)}×{t.steps_per_block}",
                        _cost_check(r["first_costs"], d["reference_costs"]),
                        note,
                    ]
                )
            elif name in d.get("errors", {}):
                out.append([size, name, version, "", "", "", "", "", "", d["errors"][name]])
            elif name in d.get("skipped", {}):
                out.append([size, name, version, "", "", "", "", "", "", d["skipped"][name]])
    return out


def _fmt(r: float | None) -> str:
    return "—" if r is None else f"{r:.2f}×"


def target_cells(peers: dict[str, Any]) -> dict[str, list[str]]:
    """Per peer, the S, M and L cells of the targets table: its ratio to the floor or why not."""
    cells: dict[str, list[str]] = {}
    for name in _names(peers["sizes"])[1:]:
        row = []
        for size in ("S", "M", "L"):
            d = peers["sizes"].get(size)
            if d is None:
                row.append("not run")
            elif "failed" in d:
                row.append("failed")
            elif name in d["results"]:
                floor = d["results"].get(d["floor"])
                r = d["results"][name]
                ratio = None if floor is None else ratio_of_rounds(_timing(r), _timing(floor))
                check = _cost_check(r["first_costs"], d["reference_costs"])
                row.append(_fmt(ratio) + ("" if check == "same" else " (costs differ)"))
            elif name in d.get("errors", {}):
                row.append("error")
            else:
                row.append("—")
        cells[name] = row
    return cells


def environment_lines(peers: dict[str, Any]) -> list[str]:
    """What the peers ran with: the environment, allocator, NumPy and BLAS, thread counts."""
    envs = [d["environment"] for d in peers["sizes"].values() if "environment" in d]
    lines = [f"- environment: `{peers['venv']}` (Python {envs[0]['python'] if envs else '?'})"]
    if envs:
        e = envs[0]
        lines.append(f"- NumPy {e['numpy']}, BLAS {e['blas']}; thread pools: {e['threadpools']}")
        versions = ", ".join(
            f"{k} {e[k]}" for k in ("jax", "jaxlib", "torch", "mygrad", "autograd", "micrograd")
        )
        asked = peers.get("torch_threads")
        how = "PyTorch's default" if asked is None else f"--torch-threads {asked}"
        lines.append(f"- {versions}; PyTorch threads: {e.get('torch_threads', '?')} ({how})")
    first = next((d for d in peers["sizes"].values() if "allocator_note" in d), None)
    if first is not None:
        lines.append(f"- allocator: {first['allocator_note']}")
    seeds = ", ".join(f"{s} {d['seed']}" for s, d in peers["sizes"].items() if "seed" in d)
    lines.append(f"- block-order seeds: {seeds}; the run took {peers['elapsed_s'] / 60:.1f} min")
    return lines


def markdown_section(peers: dict[str, Any]) -> str:
    """The peers table and the lines that say what it ran with, as Markdown."""
    return "\n".join(environment_lines(peers)) + "\n\n" + markdown_table(HEADER, rows(peers), "ll")


def text_table_of(peers: dict[str, Any]) -> str:
    """The peers table as plain text."""
    return text_table(HEADER, rows(peers), "ll")
