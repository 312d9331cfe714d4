"""Inside the peers' environment: time every peer at one size, interleaved with the NumPy floor.

    python -m benchmarks.peers.measure PROBLEM.npz [--blocks N] [--seed N] [--only NAME ...]

The problem file (written by `benchmarks.peers.runner`) holds X, Y, the starting weights, the
learning rate, the block lengths and the tutorial's first costs. Prints one JSON object.
Needs NumPy and the peers only: it never imports tinygrad_lite or models.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _system
from .._interface import NAMES, Implementation
from .._timing import block_order, interleaved
from ..floor import NumpyTuned
from .steps import PEERS

FLOOR = NumpyTuned.name
CHECK_STEPS = 3


def describe_error(e: BaseException) -> str:
    """An exception as one short line: its type and the first line of its message."""
    lines = str(e).strip().splitlines()
    first = lines[0] if lines else ""
    text = f"{type(e).__name__}: {first}"
    return text if len(text) <= 300 else text[:297] + "..."


def environment() -> dict[str, str]:
    """The machine and the versions in this environment (NumPy, BLAS, every peer)."""
    info = _system.machine_info()
    info.pop("cpu_flags", None)
    for dist in ("jax", "jaxlib", "torch", "mygrad", "autograd", "micrograd"):
        try:
            info[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            info[dist] = "not installed"
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch_threads"] = str(torch.get_num_threads())
    return info


def measure(
    problem: dict[str, Any],
    blocks: int,
    seed: int,
    only: list[str] | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Check and time the floor and every peer that runs at this size; report each one's fate.

    Returns a JSON-able dict: per implementation its wall and CPU samples, steps per block and
    first costs, or why it did not run (not installed, not at this size, or the error it
    raised while being built or during its first steps).
    """
    say = log or (lambda line: print(line, file=sys.stderr, flush=True))
    size = str(problem["size"])
    X, Y, lr = problem["X"], problem["Y"], float(problem["lr"])
    params = {n: problem[n] for n in NAMES}
    candidates: dict[str, type[Implementation]] = {FLOOR: NumpyTuned}
    candidates.update({n: c for n, c in PEERS.items() if only is None or n in only})
    impls: dict[str, Implementation] = {}
    first_costs: dict[str, list[float]] = {}
    skipped: dict[str, str] = {}
    errors: dict[str, str] = {}
    build_s: dict[str, float] = {}
    for name, cls in candidates.items():
        sizes = getattr(cls, "sizes", None)
        if sizes is not None and size not in sizes:
            skipped[name] = f"runs at {', '.join(sizes)} only"
            continue
        reason = cls.unavailable()
        if reason is not None:
            skipped[name] = reason
            continue
        say(f"  peers {size}: building and checking {name}")
        t0 = time.perf_counter()
        try:
            impl = cls(X, Y, params, lr)
            first_costs[name] = [float(impl.step()) for _ in range(CHECK_STEPS)]
        except Exception as e:  # a peer that fails is reported, not fatal
            errors[name] = describe_error(e)
            say(f"  peers {size}: {name} failed: {errors[name]}")
            continue
        build_s[name] = time.perf_counter() - t0  # includes JIT compilation
        impls[name] = impl

    def on_block(r: int, name: str, t: float) -> None:
        say(f"  peers {size} block {r + 1}/{blocks} {name:<16} {t * 1e3:.3f} ms")

    gc.collect()
    steps = {name: impl.step for name, impl in impls.items()}
    block_s, warmup_s = float(problem["block_s"]), float(problem["warmup_s"])
    timings = interleaved(steps, blocks, block_s, warmup_s, on_block, seed=seed)
    return {
        "size": size,
        "shape": [int(X.shape[0]), int(X.shape[1]), int(params["W1"].shape[0])],
        "floor": FLOOR,
        "reference_costs": [float(c) for c in problem["reference_costs"]],
        "seed": seed,
        "order": block_order(list(steps), blocks, seed),
        "results": {
            name: {
                "samples": list(t.samples),
                "cpu_samples": list(t.cpu_samples),
                "steps_per_block": t.steps_per_block,
                "first_costs": first_costs[name],
                "build_and_check_s": build_s[name],
            }
            for name, t in timings.items()
        },
        "skipped": skipped,
        "errors": errors,
        "environment": environment(),
    }


def main(argv: list[str] | None = None) -> int:
    """Read the problem, set the allocator, measure, print JSON."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.peers.measure")
    p.add_argument("problem")
    p.add_argument("--blocks", type=int, default=7)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--allocator", choices=["mallopt", "defaults"], default="mallopt")
    p.add_argument("--only", nargs="+")
    p.add_argument("--torch-threads", type=int)
    args = p.parse_args(argv)
    if args.torch_threads is not None:
        from .steps import TorchEager

        TorchEager.threads = args.torch_threads  # torch.compile's step inherits it
    setting = _system.configure_allocator(args.allocator == "mallopt")
    with np.load(args.problem) as data:
        problem = {k: data[k] for k in data.files}
    out = measure(problem, args.blocks, args.seed, args.only)
    out["allocator"] = args.allocator
    out["allocator_note"] = setting.note
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
