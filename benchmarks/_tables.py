"""The benchmark's tables (step time, memory, targets) as rows, and the plain-text report."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._memory import Memory
from ._timing import Timing, format_bytes, format_seconds, ratio_of_rounds, text_table

if TYPE_CHECKING:
    from ._results import Results, SizeResult

COST_TOLERANCE = 1e-9  # relative: the first costs of every step must agree with the tutorial's


def fmt_ratio(r: float | None) -> str:
    """A ratio as '1.23×', or '—' when there is none."""
    return "—" if r is None else f"{r:.2f}×"


def verdict(ratio: float | None, target: float | None) -> str:
    """'≤ 1.1×: met' / 'missed' / 'not measured', or '' without a target."""
    if target is None:
        return ""
    if ratio is None:
        return f"≤ {target:g}×: not measured"
    return f"≤ {target:g}×: {'met' if ratio <= target else 'missed'}"


def cost_check(costs: list[float], reference: list[float] | None) -> str:
    """'same' when every cost agrees with the reference to 1e-9 relative, else where not."""
    if reference is None:
        return ""
    for i, (c, r) in enumerate(zip(costs, reference, strict=False)):
        if not abs(c - r) <= COST_TOLERANCE * max(1.0, abs(r)):
            return f"DIFFERS at step {i + 1}"
    return "same"


def floor_name(timings: dict[str, Timing]) -> str | None:
    """The faster (by median) of the two hand-written NumPy steps present, if any."""
    from .planar import NUMPY_IMPLS

    present = [n for n in NUMPY_IMPLS if n in timings]
    return min(present, key=lambda n: timings[n].median) if present else None


def floor_ratio(res: SizeResult, name: str, cpu: bool = False) -> float | None:
    """Median over rounds of `name`'s block time ÷ the faster NumPy step's, same round."""
    floor = floor_name(res.timings)
    return None if floor is None else ratio_of_rounds(res.timings[name], res.timings[floor], cpu)


TIMING_HEADER = [
    "size",
    "implementation",
    "median",
    "CPU median",
    "min – max",
    "IQR",
    "blocks×steps",
    "× tuned",
    "× faster NumPy",
    "× faster NumPy (CPU)",
    "target (× faster NumPy)",
    "first costs vs tutorial",
    "last cost",
]
ALIGN = "ll"


def timing_rows(res: SizeResult) -> list[list[str]]:
    """One row per implementation: medians (wall, CPU), spreads, ratios, target, costs."""
    from .planar import TIME_TARGETS

    tuned = res.timings.get("numpy tuned")
    ref = res.first_costs.get("numpy tutorial")
    rows = []
    for name, t in res.timings.items():
        q1, q3 = t.iqr
        ratio = floor_ratio(res, name)
        cpu = t.cpu_median
        rows.append(
            [
                res.size.name,
                name,
                format_seconds(t.median),
                "—" if cpu is None else format_seconds(cpu),
                f"{format_seconds(t.low)} – {format_seconds(t.high)}",
                f"{format_seconds(q1)} – {format_seconds(q3)}",
                f"{len(t.samples)}×{t.steps_per_block}",
                fmt_ratio(None if tuned is None else ratio_of_rounds(t, tuned)),
                fmt_ratio(ratio),
                fmt_ratio(floor_ratio(res, name, cpu=True)),
                verdict(ratio, TIME_TARGETS.get((name, res.size.name))),
                cost_check(res.first_costs[name], ref),
                f"{res.last_cost.get(name, float('nan')):.4g}",
            ]
        )
    return rows


def memory_header(memory: Memory) -> list[str]:
    """The memory table's columns: tracemalloc, then the resident rise under each setting."""
    from .planar import ALLOCATORS

    return [
        "size",
        "implementation",
        "tracemalloc peak, first steps",
        "steady state",
        "× tuned (steady)",
        "× tutorial (steady)",
        "target (steady × tuned)",
        *(f"peak RSS rise, steady ({ALLOCATORS.get(s, s)})" for s in memory),
    ]


def _ratio(x: float | None, ref: float | None) -> float | None:
    return None if x is None or ref is None or ref <= 0 else x / ref


def steady_memory_ratio(memory: Memory, size: str, name: str) -> float | None:
    """Steady-state tracemalloc peak of `name` ÷ the tuned step's (first setting measured)."""
    if not memory:
        return None
    per_impl = next(iter(memory.values())).get(size, {})
    m, tuned = per_impl.get(name), per_impl.get("numpy tuned")
    if m is None or tuned is None:
        return None
    return _ratio(m.get("tracemalloc_steady"), tuned.get("tracemalloc_steady"))


def memory_rows(memory: Memory) -> list[list[str]]:
    """One row per size and implementation; tracemalloc figures from the first setting."""
    from .planar import MEMORY_TARGETS

    if not memory:
        return []
    first = next(iter(memory.values()))
    rows = []
    for size, per_impl in first.items():
        tutorial = per_impl.get("numpy tutorial", {})
        for name, m in per_impl.items():
            first_peak, steady = m.get("tracemalloc_first"), m.get("tracemalloc_steady")
            ratio = steady_memory_ratio(memory, size, name)
            rows.append(
                [
                    size,
                    name,
                    "n/a" if first_peak is None else format_bytes(first_peak),
                    "n/a" if steady is None else format_bytes(steady),
                    fmt_ratio(ratio),
                    fmt_ratio(_ratio(steady, tutorial.get("tracemalloc_steady"))),
                    verdict(ratio, MEMORY_TARGETS.get((name, size))),
                    *(
                        format_bytes(memory[s].get(size, {}).get(name, {}).get("rss_steady"))
                        for s in memory
                    ),
                ]
            )
    return rows


TARGET_HEADER = ["implementation", "allocator", "S", "M", "L", "memory at L (steady)"]


def target_rows(results: Results) -> list[list[str]]:
    """The targets in the layout of the goals: a row per implementation and allocator setting.

    Each cell is the ratio to the faster NumPy step in the same run (median over rounds) with
    its verdict; the memory cell is the steady-state tracemalloc peak ÷ the tuned step's.
    Rows for the peers (when they ran) give their ratio to the floor timed in their process.
    """
    from .planar import ALLOCATORS, MEMORY_TARGETS, TIME_TARGETS

    targeted = list(dict.fromkeys(name for name, _ in TIME_TARGETS))
    rows = []
    for name in targeted:
        for r in results.runs:
            by_size = {res.size.name: res for res in r.sizes}
            cells = []
            for s in ("S", "M", "L"):
                res = by_size.get(s)
                if name in results.skipped:
                    cells.append("unavailable")
                elif res is None or name not in res.timings:
                    cells.append("not run")
                else:
                    ratio = floor_ratio(res, name)
                    cells.append(f"{fmt_ratio(ratio)} ({verdict(ratio, TIME_TARGETS[(name, s)])})")
            mem = steady_memory_ratio(results.memory, "L", name)
            target = MEMORY_TARGETS.get((name, "L"))
            if mem is None:
                cells.append("not measured")
            elif target is None:
                cells.append(fmt_ratio(mem))
            else:
                cells.append(f"{fmt_ratio(mem)} ({verdict(mem, target)})")
            rows.append([name, ALLOCATORS.get(r.allocator, r.allocator), *cells])
    if results.peers:
        from .peers.report import target_cells

        for name, cells in target_cells(results.peers).items():
            label = ALLOCATORS.get(results.peers.get("allocator", ""), "?")
            rows.append([f"{name} (peers)", label, *cells, "—"])
    return rows


def text_report(results: Results) -> str:
    """The tables as plain text for a terminal."""
    from .planar import ALLOCATORS

    m = results.machine
    parts = [
        f"machine: {m['cpu']}, {m['nproc']} cores ({m['affinity']} usable), SIMD: {m['simd']}",
        f"numpy {m['numpy']}, numba {m['numba']}, BLAS {m['blas']}, env: {m['blas_env']}",
        f"block-order seed: {results.settings['seed']}",
    ]
    for name, why in results.skipped.items():
        parts.append(f"skipped {name}: {why}")
    for r in results.runs:
        parts += [
            "",
            f"Seconds per training step, allocator: {ALLOCATORS.get(r.allocator, r.allocator)} "
            f"({r.note}); load average before / after: {r.load[0]} / {r.load[1]}",
            "",
        ]
        rows = [row for res in r.sizes for row in timing_rows(res)]
        parts.append(text_table(TIMING_HEADER, rows, ALIGN))
    if results.memory:
        parts += ["", "Peak memory of a step", ""]
        parts.append(text_table(memory_header(results.memory), memory_rows(results.memory), ALIGN))
    parts += ["", "Targets (ratio to the faster NumPy step, same run)", ""]
    parts.append(text_table(TARGET_HEADER, target_rows(results), ALIGN))
    if results.peers:
        from .peers.report import text_table_of

        parts += ["", "Peers (ratio to the NumPy floor timed in the same process)", ""]
        parts.append(text_table_of(results.peers))
    return "\n".join(parts)
