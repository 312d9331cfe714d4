"""Peak memory of one training step, first steps and steady state, each in a fresh process."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import tracemalloc
from collections.abc import Callable

from . import _system

# memory[setting][size][implementation] = the figures of `memory_child`
Memory = dict[str, dict[str, dict[str, dict[str, float | None]]]]

FIRST_STEPS = 3  # the third is the first that a traced-and-replayed step computes by replay


def steady_steps(size_name: str) -> int:
    """Steps measured in steady state: two at L (a step is a third of a second), five below."""
    return 2 if size_name == "L" else 5


def memory_child(name: str, size_name: str, first: int, steady: int) -> dict[str, float | None]:
    """In this process: build one implementation and run it, measuring memory in two phases.

    tracemalloc traces every NumPy allocation (not PyTorch's) from just before the
    implementation is built. *First steps*: the peak while it is built and runs `first` steps
    (a compiled step traces eagerly on its first call, so this includes the trace). Then the
    peak is reset (``tracemalloc.reset_peak``, and VmHWM through /proc/self/clear_refs) and
    `steady` more steps run: *steady state* is the peak over those, which still counts every
    buffer the implementation holds, since they are allocated before the reset. The resident
    figures are the rise of VmHWM over VmRSS before the build (they see PyTorch too, and
    page-level effects of the allocator).
    """
    from .implementations import IMPLEMENTATIONS
    from .planar import SIZES, make_problem

    cls = IMPLEMENTATIONS[name]
    reason = cls.unavailable()  # also imports what the implementation needs
    if reason is not None:
        raise SystemExit(f"{name} is unavailable: {reason}")
    size = SIZES[size_name]
    X, Y, params = make_problem(size)
    gc.collect()
    have_hwm = _system.reset_peak_rss()
    rss0 = _system.rss_bytes()

    def rss_rise() -> float | None:
        hwm = _system.peak_rss_bytes()
        if not have_hwm or hwm is None or rss0 is None:
            return None
        return float(hwm - rss0)

    tracemalloc.start()
    impl = cls(X, Y, params, size.lr)
    for _ in range(first):
        impl.step()
    first_peak = float(tracemalloc.get_traced_memory()[1])
    first_rss = rss_rise()
    tracemalloc.reset_peak()
    _system.reset_peak_rss()
    for _ in range(steady):
        impl.step()
    steady_peak = float(tracemalloc.get_traced_memory()[1])
    tracemalloc.stop()
    steady_rss = rss_rise()
    traced = name != "torch eager"  # PyTorch allocates outside tracemalloc's view
    return {
        "tracemalloc_first": first_peak if traced else None,
        "tracemalloc_steady": steady_peak if traced else None,
        "rss_first": first_rss,
        "rss_steady": steady_rss,
    }


def measure_memory(
    names: list[str],
    size_names: list[str],
    settings: list[str],
    log: Callable[[str], None],
    torch_threads: int | None = None,
) -> Memory:
    """Run `memory_child` for each allocator setting, size and implementation, each fresh."""
    from .planar import REPO_ROOT

    out: Memory = {}
    for setting in settings:
        out[setting] = {}
        for size_name in size_names:
            out[setting][size_name] = {}
            for name in names:
                cmd = [sys.executable, "-m", "benchmarks.planar", "--memory-child", name]
                cmd += [size_name, "--allocator", setting]
                if torch_threads is not None:
                    cmd += ["--torch-threads", str(torch_threads)]
                log(f"  memory {size_name} {name} ({setting})")
                proc = subprocess.run(
                    cmd, capture_output=True, text=True, cwd=REPO_ROOT, check=False
                )
                if proc.returncode != 0:
                    log(f"  memory {size_name} {name} failed: {proc.stderr.strip()[-500:]}")
                    out[setting][size_name][name] = dict.fromkeys(
                        ("tracemalloc_first", "tracemalloc_steady", "rss_first", "rss_steady")
                    )
                    continue
                out[setting][size_name][name] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out
