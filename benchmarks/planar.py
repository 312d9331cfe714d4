"""Time and measure one training step of the tutorial's network, library against NumPy.

    python -m benchmarks.planar                    # sizes S M L, default blocks
    python -m benchmarks.planar --quick            # S and M, short blocks, no memory
    python -m benchmarks.planar --markdown         # the report as Markdown on stdout
    python -m benchmarks.planar --write-results    # + allocator study + op overheads, to
                                                   #   benchmarks/RESULTS.md

A step is forward, cost, backward and update. The implementations run interleaved in this one
process, block by block, after a warm-up; each block is many steps at S and one step at L. The
tables give the median over blocks and the spread. Peak memory is measured per implementation
in its own subprocess (tracemalloc peak and the rise in peak resident memory).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _system
from ._timing import (
    Timing,
    format_bytes,
    format_seconds,
    interleaved,
    text_table,
)

RESULTS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass(frozen=True)
class Size:
    """One problem size: the network n_x → n_h → 1 trained on m examples.

    Attributes:
        name: S, M or L.
        n_x: inputs.
        m: examples.
        n_h: hidden units.
        lr: learning rate.
        block_s: about how long a timed block runs (0: one step per block).
        warmup_s: about how long each implementation warms up before the blocks.
        data: where X and Y come from.
    """

    name: str
    n_x: int
    m: int
    n_h: int
    lr: float
    block_s: float
    warmup_s: float
    data: str


SIZES: dict[str, Size] = {
    "S": Size("S", 2, 400, 4, 1.2, 0.15, 0.3, "the tutorial's flower, m = 400"),
    "M": Size("M", 2, 4000, 64, 0.01, 0.15, 0.3, "the flower with m = 4000"),
    "L": Size("L", 64, 65536, 512, 0.01, 0.0, 0.0, "Gaussian X, Y from a fixed teacher net"),
}
QUICK_BLOCK_S = 0.02
DEFAULT_BLOCKS = 7

# Targets: median step time as a multiple of the faster NumPy step.
TIME_TARGETS: dict[tuple[str, str], float] = {
    ("tinygrad_lite eager", "S"): 1.6,
    ("tinygrad_lite eager", "M"): 1.15,
    ("tinygrad_lite eager", "L"): 1.1,
    ("tinygrad_lite compiled", "S"): 1.15,
    ("tinygrad_lite compiled", "M"): 1.0,
    ("tinygrad_lite compiled", "L"): 1.0,
    ("tinygrad_lite fused", "S"): 0.8,
    ("tinygrad_lite fused", "M"): 0.45,
    ("tinygrad_lite fused", "L"): 0.7,
}
# Target: peak memory (tracemalloc) of a step as a multiple of the tuned NumPy step's.
MEMORY_TARGETS: dict[tuple[str, str], float] = {("tinygrad_lite eager", "L"): 1.3}
NUMPY_IMPLS = ("numpy tutorial", "numpy tuned")
# Steps run (and costs compared with the tutorial's) before timing; the third is the first
# that a traced-and-replayed step computes by replay.
CHECK_STEPS = 3


def make_problem(size: Size) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """X (n_x, m), Y (1, m) and the tutorial's starting weights (seed 2) for a size.

    S and M use the tutorial's flower. L has 64 inputs, so X is standard normal and Y is the
    class that a fixed random teacher network (64 → 32 tanh → 1) assigns: learnable labels,
    so that training stays sane over many steps.
    """
    from models import manual
    from tinygrad_lite.datasets import load_planar_dataset

    if size.n_x == 2:
        X, Y = load_planar_dataset(m=size.m, seed=1)
    else:
        rng = np.random.default_rng(20240101)
        X = rng.standard_normal((size.n_x, size.m))
        T1 = rng.standard_normal((32, size.n_x)) / math.sqrt(size.n_x)
        T2 = rng.standard_normal((1, 32)) / math.sqrt(32)
        Y = (T2 @ np.tanh(T1 @ X) > 0).astype(np.float64)
    params = manual.initialize_parameters(size.n_x, size.n_h, 1, seed=2)
    return np.ascontiguousarray(X), np.ascontiguousarray(Y), params


def available_implementations(only: list[str] | None = None) -> tuple[list[str], dict[str, str]]:
    """Names that can run here (in table order), and name -> why not for the others."""
    from .implementations import IMPLEMENTATIONS

    names, skipped = [], {}
    for name, cls in IMPLEMENTATIONS.items():
        if only is not None and name not in only:
            continue
        reason = cls.unavailable()
        if reason is None:
            names.append(name)
        else:
            skipped[name] = reason
    return names, skipped


# ------------------------------------------------------------------------------------ timing


@dataclass
class SizeResult:
    """Timings of every implementation at one size, with its first costs and its last cost."""

    size: Size
    timings: dict[str, Timing]
    first_costs: dict[str, list[float]]
    last_cost: dict[str, float]


@dataclass
class Results:
    """Everything one run measured."""

    sizes: list[SizeResult]
    memory: dict[str, dict[str, dict[str, float | None]]]
    skipped: dict[str, str]
    allocator: str
    settings: dict[str, Any]
    machine: dict[str, str] = field(default_factory=_system.machine_info)


def time_size(
    size: Size, names: list[str], blocks: int, block_s: float, warmup_s: float, log: Any
) -> SizeResult:
    """Build every implementation for `size` and time them interleaved."""
    from .implementations import IMPLEMENTATIONS

    X, Y, params = make_problem(size)
    impls = {name: IMPLEMENTATIONS[name](X, Y, params, size.lr) for name in names}
    # The first CHECK_STEPS costs of each implementation, from the same start, must agree:
    # a step that trains differently (or not at all) shows up before it is timed.
    first_costs = {name: [impl.step() for _ in range(CHECK_STEPS)] for name, impl in impls.items()}
    last_cost: dict[str, float] = {}

    def stepper(name: str) -> Any:
        impl = impls[name]

        def step() -> float:
            c = impl.step()
            last_cost[name] = c
            return c

        return step

    def on_block(r: int, name: str, t: float) -> None:
        log(f"  {size.name} block {r + 1}/{blocks} {name:<24} {format_seconds(t)}")

    gc.collect()
    timings = interleaved(
        {name: stepper(name) for name in names}, blocks, block_s, warmup_s, on_block
    )
    return SizeResult(size, timings, first_costs, last_cost)


# ------------------------------------------------------------------------------------ memory


def memory_child(name: str, size_name: str, steps: int) -> dict[str, float | None]:
    """In this process: build one implementation and run `steps` steps, measuring memory.

    tracemalloc traces every NumPy allocation (not PyTorch's) from just before the
    implementation is built, so its peak covers the implementation's own buffers, weights,
    gradients and each step's temporaries, but not X and Y. The resident-memory figure is the
    rise of VmHWM over VmRSS from the same moment (it sees PyTorch too, and page-level effects).
    """
    from .implementations import IMPLEMENTATIONS

    cls = IMPLEMENTATIONS[name]
    if cls.unavailable() is not None:  # also imports what the implementation needs
        raise SystemExit(f"{name} is unavailable: {cls.unavailable()}")
    size = SIZES[size_name]
    X, Y, params = make_problem(size)
    gc.collect()
    have_hwm = _system.reset_peak_rss()
    rss0 = _system.rss_bytes()
    tracemalloc.start()
    impl = cls(X, Y, params, size.lr)
    for _ in range(steps):
        impl.step()
    traced_peak = float(tracemalloc.get_traced_memory()[1])
    tracemalloc.stop()
    hwm = _system.peak_rss_bytes()
    rss_rise = float(hwm - rss0) if have_hwm and hwm is not None and rss0 is not None else None
    return {
        "tracemalloc_peak": None if name == "torch eager" else traced_peak,
        "rss_peak_rise": rss_rise,
    }


def measure_memory(
    names: list[str], size_names: list[str], mallopt: bool, log: Any
) -> dict[str, dict[str, dict[str, float | None]]]:
    """Run `memory_child` for each size and implementation, each in a fresh subprocess."""
    from .implementations import TorchEager

    out: dict[str, dict[str, dict[str, float | None]]] = {}
    for size_name in size_names:
        out[size_name] = {}
        for name in names:
            cmd = [sys.executable, "-m", "benchmarks.planar", "--memory-child", name, size_name]
            if not mallopt:
                cmd.append("--no-mallopt")
            if TorchEager.threads is not None:
                cmd += ["--torch-threads", str(TorchEager.threads)]
            log(f"  memory {size_name} {name}")
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO_ROOT, check=False)
            if proc.returncode != 0:
                log(f"  memory {size_name} {name} failed: {proc.stderr.strip()[-500:]}")
                out[size_name][name] = {"tracemalloc_peak": None, "rss_peak_rise": None}
                continue
            out[size_name][name] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


# ------------------------------------------------------------------------------------ report


def _ratio(x: float | None, ref: float | None) -> str:
    if x is None or ref is None or ref <= 0:
        return "—"
    return f"{x / ref:.2f}×"


def _verdict(ratio: float | None, target: float | None) -> str:
    if target is None:
        return ""
    if ratio is None:
        return f"≤ {target:g}×: not measured"
    return f"≤ {target:g}×: {'met' if ratio <= target else 'missed'}"


def timing_rows(res: SizeResult) -> list[list[str]]:
    """One table row per implementation: median, spreads, ratios, target, costs."""
    med = {name: t.median for name, t in res.timings.items()}
    tuned = med.get("numpy tuned")
    numpy_meds = [med[n] for n in NUMPY_IMPLS if n in med]
    floor = min(numpy_meds) if numpy_meds else None
    ref = res.first_costs.get("numpy tutorial")
    rows = []
    for name, t in res.timings.items():
        q1, q3 = t.iqr
        ratio = None if floor is None else med[name] / floor
        check = ""
        if ref is not None:
            bad = [
                i + 1
                for i, (c, r) in enumerate(zip(res.first_costs[name], ref, strict=True))
                if not abs(c - r) <= 1e-9 * max(1.0, abs(r))
            ]
            check = "same" if not bad else f"DIFFERS at step {bad[0]}"
        last = res.last_cost.get(name, float("nan"))
        rows.append(
            [
                res.size.name,
                name,
                format_seconds(t.median),
                f"{format_seconds(t.low)} – {format_seconds(t.high)}",
                f"{format_seconds(q1)} – {format_seconds(q3)}",
                f"{len(t.samples)}×{t.steps_per_block}",
                _ratio(med[name], tuned),
                _ratio(med[name], floor),
                _verdict(ratio, TIME_TARGETS.get((name, res.size.name))),
                check,
                f"{last:.4g}",
            ]
        )
    return rows


TIMING_HEADER = [
    "size",
    "implementation",
    "median",
    "min – max",
    "IQR",
    "blocks×steps",
    "× tuned",
    "× faster NumPy",
    "target (× faster NumPy)",
    "first costs vs tutorial",
    "last cost",
]
TIMING_ALIGN = "ll"


def memory_rows(memory: dict[str, dict[str, dict[str, float | None]]]) -> list[list[str]]:
    """One row per size and implementation: tracemalloc peak, RSS rise, ratios, target."""
    rows = []
    for size_name, per_impl in memory.items():
        tuned = per_impl.get("numpy tuned", {})
        tutorial = per_impl.get("numpy tutorial", {})
        for name, m in per_impl.items():
            tm, rss = m.get("tracemalloc_peak"), m.get("rss_peak_rise")
            tm_tuned = tuned.get("tracemalloc_peak")
            tm_ratio = None if tm is None or not tm_tuned else tm / tm_tuned
            rows.append(
                [
                    size_name,
                    name,
                    format_bytes(tm) if tm is not None else "n/a",
                    _ratio(tm, tuned.get("tracemalloc_peak")),
                    _ratio(tm, tutorial.get("tracemalloc_peak")),
                    format_bytes(rss),
                    _ratio(rss, tuned.get("rss_peak_rise")),
                    _verdict(tm_ratio, MEMORY_TARGETS.get((name, size_name))),
                ]
            )
    return rows


MEMORY_HEADER = [
    "size",
    "implementation",
    "tracemalloc peak",
    "× tuned",
    "× tutorial",
    "peak RSS rise",
    "× tuned",
    "target (tracemalloc × tuned)",
]


def text_report(results: Results) -> str:
    """The tables as plain text for a terminal."""
    parts = [
        f"machine: {results.machine['cpu']}, {results.machine['nproc']} cores, numpy "
        f"{results.machine['numpy']}, BLAS {results.machine['blas']} "
        f"(env: {results.machine['blas_env']})",
        f"allocator: {results.allocator}",
        f"load average (1 min) before / after: {results.settings['load_before']} / "
        f"{results.settings['load_after']}",
    ]
    for name, why in results.skipped.items():
        parts.append(f"skipped {name}: {why}")
    rows = [row for res in results.sizes for row in timing_rows(res)]
    parts += ["", "Seconds per training step (median over blocks)", ""]
    parts.append(text_table(TIMING_HEADER, rows, TIMING_ALIGN))
    if results.memory:
        parts += ["", "Peak memory of a step", ""]
        parts.append(text_table(MEMORY_HEADER, memory_rows(results.memory), TIMING_ALIGN))
    return "\n".join(parts)


def to_json(results: Results) -> dict[str, Any]:
    """The results as plain JSON data."""
    return {
        "machine": results.machine,
        "allocator": results.allocator,
        "settings": results.settings,
        "skipped": results.skipped,
        "timings": {
            res.size.name: {
                name: {
                    "median": t.median,
                    "low": t.low,
                    "high": t.high,
                    "iqr": list(t.iqr),
                    "samples": list(t.samples),
                    "steps_per_block": t.steps_per_block,
                    "first_costs": res.first_costs[name],
                    "last_cost": res.last_cost.get(name),
                }
                for name, t in res.timings.items()
            }
            for res in results.sizes
        },
        "memory": results.memory,
    }


# ------------------------------------------------------------------------------------ running


def run(
    sizes: list[str],
    blocks: int,
    quick: bool = False,
    mallopt: bool = True,
    memory: bool = True,
    only: list[str] | None = None,
    log: Any = None,
) -> Results:
    """Time every available implementation at each size (and measure memory unless told not).

    Args:
        sizes: size names, e.g. ["S", "M", "L"].
        blocks: timed blocks per implementation and size.
        quick: short blocks and warm-up (for a fast smoke run; the numbers are rougher).
        mallopt: tune glibc's allocator first (see `_system.configure_allocator`).
        memory: measure peak memory in subprocesses.
        only: restrict to these implementation names.
        log: called with one progress line at a time (default: stderr).
    """
    if log is None:

        def log(line: str) -> None:
            print(line, file=sys.stderr, flush=True)

    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        raise ValueError(f"unknown size(s) {unknown}; choose from {list(SIZES)}")
    allocator = _system.configure_allocator(mallopt)
    load_before = _system.load_average()
    names, skipped = available_implementations(only)
    if not names:
        raise ValueError(f"no implementation can run: {skipped}")
    per_size = []
    for s in sizes:
        size = SIZES[s]
        block_s = min(size.block_s, QUICK_BLOCK_S) if quick else size.block_s
        warmup_s = min(size.warmup_s, 0.05) if quick else size.warmup_s
        log(f"{s}: n_x={size.n_x} m={size.m} n_h={size.n_h}, {len(names)} implementations")
        per_size.append(time_size(size, names, blocks, block_s, warmup_s, log))
        gc.collect()
    mem = measure_memory(names, sizes, mallopt, log) if memory else {}
    from .implementations import TorchEager

    settings = {
        "torch_threads": TorchEager.threads,
        "sizes": sizes,
        "blocks": blocks,
        "quick": quick,
        "mallopt": mallopt,
        "load_before": load_before,
        "load_after": _system.load_average(),
    }
    return Results(per_size, mem, skipped, allocator.note, settings)


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.planar",
        description="Time one training step of the tutorial network: library vs NumPy.",
    )
    p.add_argument("--sizes", nargs="+", choices=list(SIZES), help="default: S M L (quick: S M)")
    p.add_argument(
        "--blocks",
        type=int,
        help=f"timed blocks per implementation (default {DEFAULT_BLOCKS}; quick: 3)",
    )
    p.add_argument(
        "--quick", action="store_true", help="S M, 3 short blocks, no memory measurement"
    )
    p.add_argument("--markdown", action="store_true", help="print the report as Markdown")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON ('-': stdout)")
    p.add_argument("--no-mallopt", action="store_true", help="leave glibc's allocator as is")
    p.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    from .implementations import IMPLEMENTATIONS

    p.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        choices=list(IMPLEMENTATIONS),
        help=f"implementations to run, by name: {', '.join(map(repr, IMPLEMENTATIONS))}",
    )
    p.add_argument(
        "--write-results",
        nargs="?",
        const=RESULTS_PATH,
        metavar="PATH",
        help="write the full Markdown report (with the allocator study and op overheads) to "
        "PATH (default benchmarks/RESULTS.md)",
    )
    p.add_argument(
        "--allocator-runs",
        type=int,
        default=None,
        help="fresh processes per allocator setting in the allocator study (default: 3 with "
        "--write-results, else 0 = no study)",
    )
    p.add_argument(
        "--torch-threads",
        type=int,
        metavar="N",
        help="torch.set_num_threads(N) for the PyTorch step (default: PyTorch's own choice)",
    )
    p.add_argument("--memory-child", nargs=2, metavar=("NAME", "SIZE"), help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark from the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    if args.torch_threads is not None:
        if args.torch_threads < 1:
            raise SystemExit(f"--torch-threads must be >= 1, got {args.torch_threads}")
        from .implementations import TorchEager

        TorchEager.threads = args.torch_threads
    if args.memory_child:
        _system.configure_allocator(not args.no_mallopt)
        name, size_name = args.memory_child
        steps = 2 if size_name == "L" else 5
        print(json.dumps(memory_child(name, size_name, steps)))
        return 0
    sizes = args.sizes or (["S", "M"] if args.quick else ["S", "M", "L"])
    blocks = args.blocks if args.blocks is not None else (3 if args.quick else DEFAULT_BLOCKS)
    if blocks < 1:
        raise SystemExit(f"--blocks must be >= 1, got {blocks}")
    only = args.only
    t0 = time.perf_counter()
    memory = not (args.no_memory or args.quick)
    results = run(sizes, blocks, args.quick, not args.no_mallopt, memory, only)
    if args.json:
        text = json.dumps(to_json(results), indent=1)
        if args.json == "-":
            print(text)
        else:
            with open(args.json, "w") as f:
                f.write(text + "\n")
    allocator_runs = args.allocator_runs
    if allocator_runs is None:
        allocator_runs = 3 if args.write_results else 0
    if args.markdown or args.write_results:
        from ._report import markdown_report

        study = None
        if allocator_runs > 0:
            from ._report import allocator_study

            study = allocator_study(sizes, allocator_runs, only)
        ops_table = profile_md = None
        if args.write_results:
            from . import breakdown, ops

            ops_table = ops.markdown_table_of(ops.run())
            profile_md = breakdown.markdown("S")
        doc = markdown_report(results, argv, study, ops_table, time.perf_counter() - t0, profile_md)
        if args.write_results:
            with open(args.write_results, "w") as f:
                f.write(doc)
            print(f"wrote {args.write_results}", file=sys.stderr)
        if args.markdown:
            print(doc)
    elif args.json != "-":
        print(text_report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
