"""The Markdown report (benchmarks/RESULTS.md) and the allocator study behind one of its tables."""

from __future__ import annotations

import datetime
import json
import statistics
import subprocess
import sys
from typing import TYPE_CHECKING

from . import _system
from ._timing import format_seconds, markdown_table

if TYPE_CHECKING:
    from .planar import Results

# study[setting][size][implementation] = the median step time of each fresh process
Study = dict[str, dict[str, dict[str, list[float]]]]
STUDY_BLOCKS = 3


def allocator_study(sizes: list[str], runs: int, only: list[str] | None = None) -> Study:
    """Time the step in `runs` fresh processes with mallopt and `runs` without, alternating.

    Each process runs ``benchmarks.planar`` with few blocks and no memory measurement; the
    spread across processes is the run-to-run variation that the allocator setting affects.
    """
    from .implementations import TorchEager
    from .planar import REPO_ROOT

    study: Study = {"mallopt": {}, "glibc defaults": {}}
    for r in range(runs):
        for setting in ("mallopt", "glibc defaults"):
            cmd = [sys.executable, "-m", "benchmarks.planar", "--no-memory", "--json", "-"]
            cmd += ["--blocks", str(STUDY_BLOCKS), "--sizes", *sizes]
            if only:
                cmd += ["--only", *only]
            if setting != "mallopt":
                cmd.append("--no-mallopt")
            if TorchEager.threads is not None:
                cmd += ["--torch-threads", str(TorchEager.threads)]
            print(f"allocator study: run {r + 1}/{runs}, {setting}", file=sys.stderr, flush=True)
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO_ROOT, check=True)
            data = json.loads(proc.stdout)
            for size, per_impl in data["timings"].items():
                for name, t in per_impl.items():
                    study[setting].setdefault(size, {}).setdefault(name, []).append(t["median"])
    return study


def _runs(study: Study) -> int:
    """How many processes each setting ran."""
    for per_impl in study["mallopt"].values():
        for meds in per_impl.values():
            return len(meds)
    return 0


def study_summary(study: Study) -> str:
    """One sentence per size: how much slower and how much more variable without mallopt."""
    on, off = study["mallopt"], study["glibc defaults"]
    lines = []
    for size, per_impl in on.items():
        ratios, spread_on, spread_off = [], [], []
        for name, meds in per_impl.items():
            other = off.get(size, {}).get(name, [])
            if not other:
                continue
            ratios.append(statistics.median(other) / statistics.median(meds))
            spread_on.append(max(meds) / min(meds))
            spread_off.append(max(other) / min(other))
        if not ratios:
            continue
        lines.append(
            f"- {size}: with glibc's defaults the step took {min(ratios):.2f}× to "
            f"{max(ratios):.2f}× as long as with mallopt, depending on the implementation. "
            "The spread from process to process (slowest ÷ fastest), median over the "
            f"implementations: {statistics.median(spread_off):.2f}× without, "
            f"{statistics.median(spread_on):.2f}× with; largest: {max(spread_off):.2f}× without, "
            f"{max(spread_on):.2f}× with."
        )
    return "\n".join(lines)


def study_table(study: Study) -> str:
    """Per size and implementation: each process's median, with and without mallopt."""
    rows = []
    on, off = study["mallopt"], study["glibc defaults"]
    for size, per_impl in on.items():
        for name, meds in per_impl.items():
            other = off.get(size, {}).get(name, [])
            if not other:
                continue
            ratio = statistics.median(other) / statistics.median(meds)
            spread_on = max(meds) / min(meds)
            spread_off = max(other) / min(other)
            rows.append(
                [
                    size,
                    name,
                    ", ".join(format_seconds(x) for x in meds),
                    ", ".join(format_seconds(x) for x in other),
                    f"{spread_on:.2f} / {spread_off:.2f}",
                    f"{ratio:.2f}×",
                ]
            )
    header = [
        "size",
        "implementation",
        "with mallopt (each process)",
        "glibc defaults (each process)",
        "max/min across processes (with / without)",
        "defaults ÷ mallopt (medians)",
    ]
    return markdown_table(header, rows, "ll")


def _machine_table(machine: dict[str, str]) -> str:
    labels = {
        "cpu": "CPU (/proc/cpuinfo)",
        "nproc": "cores (nproc)",
        "memory": "memory",
        "os": "kernel",
        "libc": "libc",
        "python": "Python",
        "numpy": "NumPy",
        "blas": "BLAS (kernel, threads)",
        "blas_env": "BLAS environment variables",
    }
    rows = [[label, machine.get(key, "?")] for key, label in labels.items()]
    try:
        import torch

        rows.append(["PyTorch", f"{torch.__version__} ({torch.get_num_threads()} threads)"])
    except ImportError:
        rows.append(["PyTorch", "not installed"])
    return markdown_table(["", ""], rows, "ll")


def markdown_report(
    results: Results,
    argv: list[str] | None,
    study: Study | None,
    ops_table: str | None,
    elapsed_s: float,
    profile_md: str | None = None,
) -> str:
    """The whole report as one Markdown document."""
    from .planar import (
        MEMORY_HEADER,
        QUICK_BLOCK_S,
        SIZES,
        TIMING_ALIGN,
        TIMING_HEADER,
        memory_rows,
        timing_rows,
    )

    args = sys.argv[1:] if argv is None else argv
    command = "python -m benchmarks.planar" + ("" if not args else " " + " ".join(args))
    today = datetime.date.today().isoformat()
    out: list[str] = []
    add = out.append
    add("# Benchmark results\n")
    add(
        f"Written by `{command}` on {today} ({elapsed_s / 60:.1f} min). Regenerate with "
        "`python -m benchmarks.planar --write-results`; see the end for the other commands.\n"
    )
    add("## Machine\n")
    add(_machine_table(results.machine) + "\n")
    add(
        "The BLAS kernel and thread count are read from the loaded OpenBLAS library (or "
        "threadpoolctl, when installed); the benchmark leaves `OPENBLAS_*` settings alone.\n"
    )
    torch_threads = results.settings.get("torch_threads")
    threads = (
        "its default thread count"
        if torch_threads is None
        else f"{torch_threads} thread(s) (`--torch-threads {torch_threads}`)"
    )
    block_s = QUICK_BLOCK_S if results.settings.get("quick") else SIZES["S"].block_s
    add("## What is timed\n")
    add(
        "One full-batch training step of the tutorial's network n_x → n_h (tanh) → 1 "
        "(sigmoid), float64, examples as columns: forward pass, cross-entropy cost, backward "
        "pass and the update θ ← θ − α·dθ. Every implementation computes the cost every step "
        "and starts from the same weights (`models.manual.initialize_parameters`, seed 2).\n"
    )
    size_rows = [
        [s.name, str(s.n_x), str(s.m), str(s.n_h), f"{s.lr:g}", s.data]
        for s in SIZES.values()
        if s.name in results.settings["sizes"]
    ]
    add(markdown_table(["size", "n_x", "m", "n_h", "lr", "data"], size_rows, "rrrrrl") + "\n")
    add(
        "- **tinygrad_lite eager**: `TwoLayerNet` and `optim.SGD`: `opt.zero_grad(); "
        "c = model.cost(X, Y); c.backward(); opt.step()`.\n"
        "- **tinygrad_lite compiled**: the same step wrapped by `tinygrad_lite.compile` and "
        "called as `step(X, Y)`.\n"
        "- **numpy tutorial**: `models.manual`: `forward_propagation`, `compute_cost`, "
        "`backward_propagation`, `update_parameters`, as the course writes the loop.\n"
        "- **numpy tuned**: the same formulas written for speed (`benchmarks/implementations.py`"
        ", `NumpyTuned`: preallocated buffers and `out=`, one (n_h, m) buffer rewritten in "
        "place, `1 − A1·A1`, the k = 1 product `W2ᵀ·dZ2` as broadcast multiplies, 1/m folded "
        "into dZ2, one flat parameter vector updated in two calls, no input checks). It "
        "computes the tutorial's gradients and updates to 1e-12 (tested).\n"
        "- **torch eager**: PyTorch autograd, `binary_cross_entropy` and `torch.optim.SGD`, "
        f"float64 on the CPU with {threads} (optional: skipped when PyTorch is not "
        "installed).\n"
    )
    for name, why in results.skipped.items():
        add(f"Skipped in this run: **{name}**: {why}.\n")
    add(
        f"All implementations run in one process, interleaved: each warms up, then "
        f"{results.settings['blocks']} rounds run one block of each in turn (the starting "
        "implementation rotates every round). A block is as many steps as fill about "
        f"{block_s:g} s at S and M and a single step at L. The median is over blocks of the "
        "mean step time in a block; min – max and the interquartile range show the spread. "
        "Python's garbage collector stays on, as in a user's loop. Before timing, each "
        "implementation runs three steps from the same start and its costs are compared with "
        "the tutorial's (column *first costs vs tutorial*); *last cost* is the cost at the "
        "final timed step, a check that training stayed sane.\n"
    )
    add("## Step time\n")
    add(
        f"Allocator: {results.allocator}. Load average (1 min) of the machine before / after "
        f"the timing: {results.settings['load_before']} / {results.settings['load_after']} "
        f"(on {results.machine['nproc']} cores; other work on the machine shows up as spread "
        "and as outliers).\n"
    )
    rows = [row for res in results.sizes for row in timing_rows(res)]
    add(markdown_table(TIMING_HEADER, rows, TIMING_ALIGN) + "\n")
    add(
        "*× faster NumPy* divides by the faster of the two NumPy steps at that size; the "
        "targets are the ones the library aims for. Where the time goes for a missed target, "
        "and what meeting it would take, is in `docs/performance.md` (section *The targets, "
        "and what missing ones would take*).\n"
    )
    if results.memory:
        add("## Peak memory\n")
        add(
            "Each implementation runs alone in a fresh process (same allocator setting): the "
            "data is made, then measurement starts, the implementation is built and runs "
            "five steps (two at L). *tracemalloc peak* is the peak of memory allocated through "
            "Python's and NumPy's allocators since that moment: the implementation's weights, "
            "gradients, buffers and a step's temporaries, not X and Y. PyTorch allocates "
            "outside tracemalloc's view, so only its resident-memory figure is given. *peak RSS "
            "rise* is the process's peak resident set (VmHWM, reset through "
            "/proc/self/clear_refs) minus its resident set at that moment; it includes pages "
            "the allocator keeps and lazily loaded code.\n"
        )
        add(markdown_table(MEMORY_HEADER, memory_rows(results.memory), TIMING_ALIGN) + "\n")
    add("## Allocator noise\n")
    add(
        "On these virtual machines the first touch of each fresh 4 KiB page costs "
        "microseconds. With glibc's defaults, blocks above the mmap threshold (128 KiB at "
        "first, raised automatically up to 32 MiB as mapped blocks are freed) are mapped "
        "fresh and unmapped on free, and the top of the heap is trimmed, so whether a step's "
        "temporaries land on pages already faulted in depends on the allocator's history, and "
        "the same step can take a different time in one process than in the next. The "
        "benchmark therefore calls glibc's "
        f"`mallopt` through ctypes before anything big is allocated: M_MMAP_THRESHOLD = "
        f"{_system.MMAP_THRESHOLD} (1 GiB), M_TRIM_THRESHOLD = {_system.TRIM_THRESHOLD} "
        f"(never trim), M_TOP_PAD = {_system.TOP_PAD} (256 MiB), so freed buffers are "
        "reused rather than returned to the OS. On a libc other than glibc nothing is called "
        "and the report says so; `--no-mallopt` turns it off for comparison. This favours "
        "no implementation: every one of them allocates through the same malloc.\n"
    )
    if study is not None:
        add(
            f"To see what it changes, each implementation was timed in {_runs(study)} fresh "
            f"process(es) with the setting and as many without ({STUDY_BLOCKS} blocks each, "
            "the two settings alternating), so both the level and the run-to-run spread "
            "show. In this run:\n"
        )
        add(study_summary(study) + "\n")
        add(study_table(study) + "\n")
    if profile_md is not None:
        add("## Where the time goes at S\n")
        add(
            "`python -m benchmarks.breakdown S`. At S a step is mostly Python around small NumPy "
            "calls: the graph's bookkeeping (`Function.apply` in the forward pass, "
            "`_run_backward`), which compiling removes, and the ops' and the optimizer's own "
            "NumPy calls, which it keeps. Meeting the S targets would take fewer, fused NumPy "
            "calls per step; see `docs/performance.md`.\n"
        )
        add(profile_md + "\n")
    if ops_table is not None:
        add("## Per-op overhead\n")
        add(
            "`python -m benchmarks.ops`: the median time of one call on (4, 4) float64 "
            "tensors, NumPy against the library under `no_grad` and with `requires_grad` "
            "leaves (a graph node is recorded), and forward + backward of a tiny expression "
            "against the same math by hand in NumPy. At this size the arithmetic is nearly "
            "free, so the ratio is the library's fixed cost per op.\n"
        )
        add(ops_table + "\n")
    add("## Commands\n")
    add(
        "```sh\n"
        "python -m benchmarks.planar                  # S M L, tables on the terminal (1-2 min)\n"
        "python -m benchmarks.planar --quick          # S M, short blocks (~10 s)\n"
        "python -m benchmarks.planar --sizes L --blocks 9 --no-memory\n"
        "python -m benchmarks.planar --no-mallopt     # glibc's allocator defaults\n"
        "python -m benchmarks.planar --json out.json  # raw samples as JSON\n"
        "python -m benchmarks.planar --write-results  # this file (+ allocator study, ops)\n"
        "python -m benchmarks.ops                     # per-op overhead\n"
        "python -m benchmarks.breakdown S               # where the time goes at S\n"
        "python -m pytest -q tests/test_benchmarks.py # the implementations agree\n"
        "```\n"
    )
    return "\n".join(out)
