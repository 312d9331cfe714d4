"""The Markdown report (benchmarks/RESULTS.md): machine, method, targets, tables, peers."""

from __future__ import annotations

import datetime
import sys
from typing import TYPE_CHECKING

from . import _system
from ._tables import (
    ALIGN,
    TARGET_HEADER,
    TIMING_HEADER,
    memory_header,
    memory_rows,
    target_rows,
    timing_rows,
)
from ._timing import markdown_table

if TYPE_CHECKING:
    from ._results import Results

MACHINE_LABELS = {
    "cpu": "CPU (/proc/cpuinfo)",
    "simd": "SIMD flags",
    "nproc": "cores (nproc)",
    "affinity": "cores this process may use",
    "memory": "memory",
    "os": "kernel",
    "libc": "libc",
    "python": "Python",
    "numpy": "NumPy",
    "numba": "numba",
    "llvmlite": "llvmlite",
    "blas": "BLAS (kernel, threads)",
    "blas_library": "BLAS library",
    "threadpools": "thread pools (threadpoolctl)",
    "blas_env": "BLAS environment variables",
    "threadpoolctl": "threadpoolctl",
    "torch": "PyTorch",
}


def machine_table(machine: dict[str, str]) -> str:
    """The machine and software versions as a two-column table."""
    rows = [[label, machine.get(key, "?")] for key, label in MACHINE_LABELS.items()]
    return markdown_table(["", ""], rows, "ll")


def _implementations(results: Results) -> str:
    threads = results.settings.get("torch_threads")
    torch_threads = (
        "its default thread count"
        if threads is None
        else f"{threads} thread(s) (`--torch-threads`)"
    )
    return (
        "- **tinygrad_lite eager**: `TwoLayerNet` and `optim.SGD`: `opt.zero_grad(); "
        "c = model.cost(X, Y); c.backward(); opt.step()`.\n"
        "- **tinygrad_lite compiled**: the same step wrapped by `tinygrad_lite.compile` and "
        'called as `step(X, Y)`; **tinygrad_lite fused**: the same with `backend="fused"` '
        "(needs numba).\n"
        "- **numpy tutorial**: `models.manual`: `forward_propagation`, `compute_cost`, "
        "`backward_propagation`, `update_parameters`, as the course writes the loop.\n"
        "- **numpy tuned**: the floor, `benchmarks/floor.py` (`NumpyTuned`), the one "
        "hand-written fast step that the benchmark, the peers run, the tests and the docs all "
        "use: the tutorial's formulas with preallocated buffers and `out=`, one (n_h, m) buffer "
        "rewritten in place, the k = 1 product `W2ᵀ·dZ2` as broadcast multiplies, 1/m folded "
        "into dZ2, one flat parameter vector updated in two calls, no input checks. "
        "`tests/test_benchmarks.py` checks its costs, gradients and updates against "
        "`models.manual` to 1e-12.\n"
        "- **torch eager**: PyTorch autograd, `binary_cross_entropy` and `torch.optim.SGD`, "
        f"float64 on the CPU with {torch_threads} (skipped when PyTorch is not installed).\n"
    )


def _method(results: Results) -> str:
    from .planar import QUICK_BLOCK_S, SIZES

    st = results.settings
    block_s = QUICK_BLOCK_S if st.get("quick") else SIZES["S"].block_s
    return (
        f"At each size all implementations run in one process, interleaved: each warms up, "
        f"then {st['blocks']} rounds run one block of each, in a fresh random order every "
        f"round (seeded; the run's seed is {st['seed']}, and the JSON output records every "
        f"round's order). A block is as many steps as fill about {block_s:g} s at S and M and "
        "a single step at L. For each block both the wall-clock time (`time.perf_counter`) and "
        "the CPU time of the process (`time.process_time`, all threads: a BLAS call on two "
        "cores counts twice) are taken; the tables give the median over blocks of each. "
        "Ratios are the median over rounds of the ratio within a round (blocks of one round "
        "run seconds apart, so a change of load between rounds cancels out). Python's garbage "
        "collector stays on, as in a user's loop. Before timing, each implementation runs "
        "three steps from the same start and its costs are compared with the tutorial's to "
        "1e-9 (column *first costs vs tutorial*); *last cost* is the cost at the final timed "
        "step, a check that training stayed sane.\n"
    )


def _allocator_text(results: Results) -> str:
    from .planar import ALLOCATORS

    both = len(results.runs) > 1
    return (
        "On these virtual machines the first touch of each fresh 4 KiB page costs "
        "microseconds. With glibc's defaults, blocks above the mmap threshold (128 KiB at "
        "first, raised automatically up to 32 MiB as mapped blocks are freed) are mapped fresh "
        "and unmapped on free, and the top of the heap is trimmed, so whether a step's "
        "temporaries land on pages already faulted in depends on the allocator's history. "
        f"The tuned setting calls glibc's `mallopt` before anything big is allocated: "
        f"M_MMAP_THRESHOLD = {_system.MMAP_THRESHOLD} (1 GiB), M_TRIM_THRESHOLD = "
        f"{_system.TRIM_THRESHOLD} (never trim), M_TOP_PAD = {_system.TOP_PAD} (256 MiB), so "
        "freed buffers are reused rather than returned to the OS. A setting applies to a whole "
        "process, so it is applied to every implementation of a table or to none. "
        + (
            "Each size ran in two fresh processes, one per setting, one right after the other "
            "(in a random order): "
            + " and ".join(f"*{ALLOCATORS[r.allocator]}*" for r in results.runs)
            + ", one table each.\n"
            if both
            else f"This run used one setting only: *{ALLOCATORS[results.runs[0].allocator]}*.\n"
        )
    )


def markdown_report(
    results: Results,
    argv: list[str] | None,
    ops_table: str | None,
    elapsed_s: float,
    profile_md: str | None = None,
) -> str:
    """The whole report as one Markdown document."""
    from .planar import ALLOCATORS, SIZES

    args = sys.argv[1:] if argv is None else argv
    command = "python -m benchmarks.planar" + ("" if not args else " " + " ".join(args))
    today = datetime.date.today().isoformat()
    out: list[str] = []
    add = out.append
    add("# Benchmark results\n")
    add(
        f"Written by `{command}` on {today} ({elapsed_s / 60:.1f} min). Regenerate with "
        "`python -m benchmarks.planar --write-results --peers /tmp/peers-venv`; see the end "
        "for the other commands.\n"
    )
    add("## Machine\n")
    add(machine_table(results.machine) + "\n")
    add(
        "The BLAS kernel and thread count come from threadpoolctl when it is installed, else "
        "from a read-only query of the loaded OpenBLAS (or MKL) library; the benchmark changes "
        "no thread setting. The SIMD flags are those of /proc/cpuinfo that decide which "
        "kernels NumPy, OpenBLAS and numba use.\n"
    )
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
    add(_implementations(results))
    for name, why in results.skipped.items():
        add(f"Skipped in this run: **{name}**: {why}.\n")
    add(_method(results))
    add("## Targets\n")
    add(
        "Step time as a ratio to the faster hand-written NumPy step at that size, in the same "
        "process (median over rounds), under each allocator setting; memory as the "
        "steady-state tracemalloc peak at L over the tuned step's. Peer rows give each "
        "library's ratio to the floor timed in its own process. Where the time goes for a "
        "missed target is in `docs/performance.md`.\n"
    )
    add(markdown_table(TARGET_HEADER, target_rows(results), ALIGN) + "\n")
    add("## Step time\n")
    for r in results.runs:
        add(f"### {ALLOCATORS.get(r.allocator, r.allocator)}\n")
        add(
            f"Allocator: {r.note}. Load average (1 min) before / after: {r.load[0]} / "
            f"{r.load[1]} (on {results.machine['nproc']} cores; other work on the machine shows "
            "up as spread and as outliers).\n"
        )
        rows = [row for res in r.sizes for row in timing_rows(res)]
        add(markdown_table(TIMING_HEADER, rows, ALIGN) + "\n")
    add("## Allocator\n")
    add(_allocator_text(results))
    if results.memory:
        add("## Peak memory\n")
        steps = results.settings.get("memory_steps", {})
        described = ", ".join(f"{s}: {a} + {b}" for s, (a, b) in steps.items())
        add(
            "Each implementation runs alone in a fresh process (per allocator setting): the "
            "data is made, then tracemalloc starts, the implementation is built and runs its "
            "first steps (a compiled step traces eagerly on its first call), then the peak is "
            "reset (`tracemalloc.reset_peak`, and VmHWM through /proc/self/clear_refs) and a "
            f"few more steps run (first + steady steps per size: {described}). *first steps* "
            "is the peak until the reset, *steady state* the peak after it: both count every "
            "array the implementation holds (weights, gradients, buffers, a step's temporaries) "
            "but not X and Y; the targets are against steady state. PyTorch allocates outside "
            "tracemalloc's view, so only its resident figure is given. *peak RSS rise* is the "
            "peak resident set in steady state minus the resident set before the build; it "
            "sees pages the allocator keeps and lazily loaded code.\n"
        )
        header = memory_header(results.memory)
        add(markdown_table(header, memory_rows(results.memory), ALIGN) + "\n")
    add("## Peers\n")
    if results.peers:
        from .peers.report import markdown_section

        add(
            "Other autodiff libraries' version of the same step (`benchmarks/peers/steps.py`), "
            "each size in a fresh process of a throwaway virtual environment that "
            "`python -m benchmarks.peers --setup VENV` makes (none of them is a dependency of "
            "this project), interleaved there with the floor (`benchmarks/floor.py`); *× "
            "floor* is the median over rounds of the ratio to it. JAX jits the whole step "
            "(`value_and_grad` and the update); torch.compile compiles the forward pass and "
            "cost (and through AOTAutograd the backward), the update is `torch.optim.SGD`; "
            "MyGrad, HIPS autograd and micrograd run as written; micrograd builds one scalar "
            "node per operation and runs at S only.\n"
        )
        add(markdown_section(results.peers) + "\n")
    else:
        add(
            "Not run this time: `python -m benchmarks.peers --setup /tmp/peers-venv --setup-only` "
            "makes the environment, then add `--peers /tmp/peers-venv` to this command.\n"
        )
    if profile_md is not None:
        add("## Where the time goes at S\n")
        add(
            "`python -m benchmarks.breakdown S`: the eager step by phase, and the functions "
            "with the most own time in the eager and the compiled step.\n"
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
        "python -m benchmarks.planar                  # S M L, both allocator settings\n"
        "python -m benchmarks.planar --quick          # S M, short blocks, no memory\n"
        "python -m benchmarks.planar --allocator mallopt --sizes L --no-memory\n"
        "python -m benchmarks.planar --json out.json  # every sample, the block orders\n"
        "python -m benchmarks.peers --setup /tmp/peers-venv --setup-only  # the peers' venv\n"
        "python -m benchmarks.planar --write-results --peers /tmp/peers-venv  # this file\n"
        "python -m benchmarks.peers --venv /tmp/peers-venv  # the peers table alone\n"
        "python -m benchmarks.ops                     # per-op overhead\n"
        "python -m benchmarks.breakdown S             # where the time goes at S\n"
        "python -m pytest -q tests/test_benchmarks.py # the implementations agree\n"
        "```\n"
    )
    return "\n".join(out)
