"""Time and measure one training step of the tutorial's network, library against NumPy.

    python -m benchmarks.planar                    # sizes S M L, both allocator settings
    python -m benchmarks.planar --quick            # S and M, short blocks, no memory
    python -m benchmarks.planar --markdown         # the report as Markdown on stdout
    python -m benchmarks.planar --write-results    # + profile + op overheads, to RESULTS.md
    python -m benchmarks.planar --write-results --peers /tmp/peers-venv   # + the peers table

A step is forward, cost, backward and update. At each size the implementations run
interleaved in one process, block by block in a random (seeded, recorded) order after a
warm-up; each block is many steps at S and one step at L. The tables give the median over
blocks of the wall-clock and the CPU time per step, the spread, and ratios to the NumPy floor.
The allocator tuning (glibc's mallopt) is applied to every implementation of a process or to
none: by default each size runs twice, in a fresh process with it and in one without, and both
tables are reported. Peak memory is measured per implementation in its own subprocess, over the
first steps and in steady state.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import _system
from ._memory import FIRST_STEPS, measure_memory, memory_child, steady_steps
from ._results import Results, Run, SizeResult, runs_from_json, to_json
from ._timing import format_seconds, interleaved

RESULTS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
Log = Callable[[str], None]


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
# Before each block: long enough for worker threads left spinning by the previous block's
# library (PyTorch's OpenMP pool, OpenBLAS) to go idle.
PAUSE_S = 0.02
DEFAULT_BLOCKS = 7

# Targets: step time as a multiple of the faster NumPy step in the same run.
TIME_TARGETS: dict[tuple[str, str], float] = {
    ("tinygrad_lite eager", "S"): 1.6,
    ("tinygrad_lite eager", "M"): 1.1,
    ("tinygrad_lite eager", "L"): 1.1,
    ("tinygrad_lite compiled", "S"): 1.1,
    ("tinygrad_lite compiled", "M"): 1.0,
    ("tinygrad_lite compiled", "L"): 1.0,
    ("tinygrad_lite fused", "S"): 0.8,
    ("tinygrad_lite fused", "M"): 0.45,
    ("tinygrad_lite fused", "L"): 0.7,
}
# Targets: steady-state peak memory (tracemalloc) as a multiple of the tuned NumPy step's.
MEMORY_TARGETS: dict[tuple[str, str], float] = {
    ("tinygrad_lite eager", "L"): 2.0,
    ("tinygrad_lite compiled", "L"): 1.3,
    ("tinygrad_lite fused", "L"): 1.3,
}
NUMPY_IMPLS = ("numpy tutorial", "numpy tuned")
# Steps run (and costs compared with the tutorial's) before timing; the third is the first
# that a traced-and-replayed step computes by replay.
CHECK_STEPS = 3
# Allocator settings: applied to every implementation of a run, or to none.
ALLOCATORS: dict[str, str] = {
    "mallopt": "glibc tuned with mallopt",
    "defaults": "glibc defaults",
}


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


def block_seed(seed: int, size_name: str, allocator: str) -> int:
    """The seed of the block order at one size and allocator setting, from the run's seed."""
    return random.Random(f"{seed}:{size_name}:{allocator}").getrandbits(32)


# ------------------------------------------------------------------------------------ timing


def time_size(
    size: Size,
    names: list[str],
    blocks: int,
    block_s: float,
    warmup_s: float,
    seed: int,
    log: Log,
) -> SizeResult:
    """Build every implementation for `size` and time them interleaved (order from `seed`)."""
    from ._timing import block_order
    from .implementations import IMPLEMENTATIONS

    X, Y, params = make_problem(size)
    impls = {name: IMPLEMENTATIONS[name](X, Y, params, size.lr) for name in names}
    # The first CHECK_STEPS costs of each implementation, from the same start, must agree:
    # a step that trains differently (or not at all) shows up before it is timed.
    first_costs = {name: [impl.step() for _ in range(CHECK_STEPS)] for name, impl in impls.items()}
    last_cost: dict[str, float] = {}

    def stepper(name: str) -> Callable[[], float]:
        impl = impls[name]

        def step() -> float:
            c = impl.step()
            last_cost[name] = c
            return c

        return step

    def on_block(r: int, name: str, t: float) -> None:
        log(f"  {size.name} block {r + 1}/{blocks} {name:<24} {format_seconds(t)}")

    gc.collect()
    steps = {name: stepper(name) for name in names}
    timings = interleaved(steps, blocks, block_s, warmup_s, on_block, seed, PAUSE_S)
    order = block_order(names, blocks, seed)
    return SizeResult(size, timings, first_costs, last_cost, seed, order)


def _block_lengths(size: Size, quick: bool) -> tuple[float, float]:
    if quick:
        return min(size.block_s, QUICK_BLOCK_S), min(size.warmup_s, 0.05)
    return size.block_s, size.warmup_s


def run_here(
    sizes: list[str],
    blocks: int,
    quick: bool,
    allocator: str,
    names: list[str],
    seed: int,
    log: Log,
) -> Run:
    """Time every size in this process under one allocator setting (set first, for all)."""
    setting = _system.configure_allocator(allocator == "mallopt")
    load_before = _system.load_average()
    per_size = []
    for s in sizes:
        size = SIZES[s]
        block_s, warmup_s = _block_lengths(size, quick)
        log(f"{s}: n_x={size.n_x} m={size.m} n_h={size.n_h}, {len(names)} implementations")
        bseed = block_seed(seed, s, allocator)
        per_size.append(time_size(size, names, blocks, block_s, warmup_s, bseed, log))
        gc.collect()
    return Run(allocator, setting.note, per_size, (load_before, _system.load_average()))


def run_in_children(
    sizes: list[str],
    blocks: int,
    quick: bool,
    allocators: list[str],
    names: list[str],
    seed: int,
    log: Log,
) -> list[Run]:
    """Time each size under each allocator setting, each in a fresh process.

    A setting is applied to a whole process, so each (size, setting) gets its own; the two
    settings of a size run one right after the other, in a seeded random order, so that a
    change of load between them shows in both tables rather than in one.
    """
    from .peers.steps import TorchEager

    by_setting: dict[str, list[SizeResult]] = {a: [] for a in allocators}
    notes: dict[str, str] = {}
    loads: dict[str, list[str]] = {a: [] for a in allocators}
    for s in sizes:
        order = list(allocators)
        random.Random(f"{seed}:{s}:allocators").shuffle(order)
        for allocator in order:
            cmd = [sys.executable, "-m", "benchmarks.planar", "--allocator", allocator]
            cmd += ["--sizes", s, "--blocks", str(blocks), "--seed", str(seed)]
            cmd += ["--no-memory", "--json", "-", "--only", *names]
            if quick:
                cmd.append("--quick")
            if TorchEager.threads is not None:
                cmd += ["--torch-threads", str(TorchEager.threads)]
            log(f"{s}: a fresh process with the allocator setting '{allocator}'")
            proc = subprocess.run(
                cmd, stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT, check=False
            )
            if proc.returncode != 0:
                raise RuntimeError(f"the timing process failed ({proc.returncode}): {cmd}")
            (run,) = runs_from_json(json.loads(proc.stdout))
            by_setting[allocator] += run.sizes
            notes[allocator] = run.note
            loads[allocator] += list(run.load)
    return [
        Run(a, notes[a], by_setting[a], (loads[a][0], loads[a][-1]) if loads[a] else ("?", "?"))
        for a in allocators
    ]


def run(
    sizes: list[str],
    blocks: int,
    quick: bool = False,
    allocator: str = "both",
    memory: bool = True,
    only: list[str] | None = None,
    seed: int | None = None,
    log: Log | None = None,
) -> Results:
    """Time every available implementation at each size (and measure memory unless told not).

    Args:
        sizes: size names, e.g. ["S", "M", "L"].
        blocks: timed blocks per implementation and size.
        quick: short blocks and warm-up (for a fast smoke run; the numbers are rougher).
        allocator: "mallopt" or "defaults" (in this process), or "both" (fresh processes).
        memory: measure peak memory in subprocesses.
        only: restrict to these implementation names.
        seed: seeds the block order (default: a fresh random seed, recorded in the results).
        log: called with one progress line at a time (default: stderr).
    """
    if log is None:

        def log(line: str) -> None:
            print(line, file=sys.stderr, flush=True)

    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        raise ValueError(f"unknown size(s) {unknown}; choose from {list(SIZES)}")
    if allocator not in ("both", *ALLOCATORS):
        raise ValueError(
            f"allocator must be 'both' or one of {list(ALLOCATORS)}, got {allocator!r}"
        )
    seed = secrets.randbits(32) if seed is None else seed
    names, skipped = available_implementations(only)
    if not names:
        raise ValueError(f"no implementation can run: {skipped}")
    if allocator == "both":
        allocators = list(ALLOCATORS)
        runs = run_in_children(sizes, blocks, quick, allocators, names, seed, log)
    else:
        allocators = [allocator]
        runs = [run_here(sizes, blocks, quick, allocator, names, seed, log)]
    from .peers.steps import TorchEager

    mem = measure_memory(names, sizes, allocators, log, TorchEager.threads) if memory else {}
    settings = {
        "torch_threads": TorchEager.threads,
        "sizes": sizes,
        "blocks": blocks,
        "quick": quick,
        "allocator": allocator,
        "seed": seed,
        "memory_steps": {s: [FIRST_STEPS, steady_steps(s)] for s in sizes},
    }
    return Results(runs, mem, skipped, settings)


# ------------------------------------------------------------------------------------ CLI


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    from .implementations import IMPLEMENTATIONS

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
    p.add_argument(
        "--allocator",
        choices=["both", *ALLOCATORS],
        default=None,
        help="both (default): each size in a fresh process with glibc tuned by mallopt and in "
        "one with glibc's defaults; mallopt or defaults: only that, in this process",
    )
    p.add_argument("--no-mallopt", action="store_true", help="the same as --allocator defaults")
    p.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    p.add_argument("--seed", type=int, help="seed of the block order (default: a random one)")
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
        help="write the full Markdown report (with the profile at S and the op overheads) to "
        "PATH (default benchmarks/RESULTS.md)",
    )
    p.add_argument(
        "--peers",
        metavar="VENV",
        help="also time the other libraries in this virtual environment (made by "
        "`python -m benchmarks.peers --setup VENV`) and report them",
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
        from .peers.steps import TorchEager

        TorchEager.threads = args.torch_threads
    if args.no_mallopt and args.allocator not in (None, "defaults"):
        raise SystemExit(f"--no-mallopt contradicts --allocator {args.allocator}")
    allocator = "defaults" if args.no_mallopt else (args.allocator or "both")
    if args.memory_child:
        _system.configure_allocator(allocator == "mallopt")
        name, size_name = args.memory_child
        print(json.dumps(memory_child(name, size_name, FIRST_STEPS, steady_steps(size_name))))
        return 0
    sizes = args.sizes or (["S", "M"] if args.quick else ["S", "M", "L"])
    blocks = args.blocks if args.blocks is not None else (3 if args.quick else DEFAULT_BLOCKS)
    if blocks < 1:
        raise SystemExit(f"--blocks must be >= 1, got {blocks}")
    if args.peers and not os.path.isdir(args.peers):
        raise SystemExit(
            f"--peers {args.peers}: no such environment; make it with "
            f"`python -m benchmarks.peers --setup {args.peers}`"
        )
    t0 = time.perf_counter()
    memory = not (args.no_memory or args.quick)
    results = run(sizes, blocks, args.quick, allocator, memory, args.only, args.seed)
    if args.peers:
        from .peers.runner import run_peers

        peers_allocator = "mallopt" if allocator == "both" else allocator
        results.peers = run_peers(
            args.peers,
            sizes,
            blocks,
            args.quick,
            results.settings["seed"],
            peers_allocator,
            torch_threads=args.torch_threads,
        )
    if args.json:
        text = json.dumps(to_json(results), indent=1)
        if args.json == "-":
            print(text)
        else:
            with open(args.json, "w") as f:
                f.write(text + "\n")
    if args.markdown or args.write_results:
        from ._report import markdown_report

        ops_table = profile_md = None
        if args.write_results:
            from . import breakdown, ops

            ops_table = ops.markdown_table_of(ops.run())
            profile_md = breakdown.markdown("S")
        doc = markdown_report(results, argv, ops_table, time.perf_counter() - t0, profile_md)
        if args.write_results:
            with open(args.write_results, "w") as f:
                f.write(doc)
            print(f"wrote {args.write_results}", file=sys.stderr)
        if args.markdown:
            print(doc)
    elif args.json != "-":
        from ._tables import text_report

        print(text_report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
