"""Where a training step's time goes: the eager step by phase, and both steps by function.

`python -m benchmarks.breakdown [S|M|L]` prints the tables that `--write-results` puts into
RESULTS.md: the eager step of the tutorial network split into its phases (the forward ops,
the fused loss, backward, the optimizer's update, zero_grad), timed directly over many steps,
and the functions that take the most time in the eager and the compiled step (cProfile's own
time per call; cProfile's overhead inflates small functions, so read it for ranking).
"""

from __future__ import annotations

import cProfile
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def _setup(size_name: str) -> tuple[Any, Any, Any, Any, Any]:
    from benchmarks.planar import SIZES, make_problem
    from models.two_layer import TwoLayerNet
    from tinygrad_lite import Tensor, optim

    size = SIZES[size_name]
    X, Y, params = make_problem(size)
    net = TwoLayerNet(size.n_x, size.n_h, 1)
    net.load_state_dict(params)
    opt = optim.SGD(net.parameters(), lr=size.lr)
    return net, opt, Tensor(X), Tensor(Y), size


def phase_times(size_name: str = "S", steps: int = 2000) -> dict[str, float]:
    """Median seconds per step of each phase of the eager step (7 blocks of `steps`)."""
    from tinygrad_lite import functional as F

    net, opt, X, Y, size = _setup(size_name)
    steps = steps if size_name == "S" else max(3, steps // 200)
    names = ("forward ops", "loss", "backward", "optimizer step", "zero_grad")
    blocks: dict[str, list[float]] = {n: [] for n in names}
    clock = time.perf_counter
    for block in range(8):
        acc = dict.fromkeys(names, 0.0)
        for _ in range(steps):
            t0 = clock()
            opt.zero_grad()
            t1 = clock()
            Z2 = net.logits(X)
            t2 = clock()
            cost = F.binary_cross_entropy_with_logits(Z2, Y)
            t3 = clock()
            cost.backward()
            t4 = clock()
            opt.step()
            t5 = clock()
            acc["zero_grad"] += t1 - t0
            acc["forward ops"] += t2 - t1
            acc["loss"] += t3 - t2
            acc["backward"] += t4 - t3
            acc["optimizer step"] += t5 - t4
        if block:  # the first block warms up
            for n in names:
                blocks[n].append(acc[n] / steps)
    return {n: float(np.median(v)) for n, v in blocks.items()}


def top_functions(step: Callable[[], Any], calls: int, top: int = 8) -> list[tuple[str, float]]:
    """The `top` functions by own time per step under cProfile: (name, seconds per step)."""
    for _ in range(50):
        step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(calls):
        step()
    prof.disable()
    rows = []
    for entry in prof.getstats():
        code = entry.code
        if isinstance(code, str):  # a builtin, e.g. "<method 'reduce' of ...>"
            label = code
        else:
            where = code.co_filename.replace("\\", "/").split("/")[-1]
            label = f"{where} {getattr(code, 'co_qualname', code.co_name)}"
        rows.append((label, entry.inlinetime / calls))
    rows.sort(key=lambda r: -r[1])
    return rows[:top]


def _fmt(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} µs" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def markdown(size_name: str = "S", steps: int = 2000, calls: int | None = None) -> str:
    """The profile tables as Markdown.

    Args:
        size_name: the benchmark size.
        steps: steps per block of the phase timing (see `phase_times`).
        calls: steps profiled for each function table (default 3000 at S, 20 above).
    """
    import tinygrad_lite as tg
    from models.training import make_train_step

    phases = phase_times(size_name, steps)
    total = sum(phases.values())
    lines = [
        f"The eager step at {size_name} (`TwoLayerNet.logits`, the fused loss, `backward`, "
        "`SGD.step`, `zero_grad`), each phase timed directly, median of 7 blocks:\n",
        "| phase | time per step | share |",
        "| :-- | --: | --: |",
    ]
    lines += [f"| {n} | {_fmt(t)} | {t / total:.0%} |" for n, t in phases.items()]
    lines.append(f"| **total** | {_fmt(total)} | |\n")

    net, opt, X, Y, _ = _setup(size_name)

    train_step = make_train_step(net, opt)
    compiled = tg.compile(train_step)
    if calls is None:
        calls = 3000 if size_name == "S" else 20
    for title, fn in (("eager", lambda: train_step(X, Y)), ("compiled", lambda: compiled(X, Y))):
        lines.append(
            f"Functions with the most own time in the {title} step (cProfile, per step):\n"
        )
        lines += ["| function | own time per step |", "| :-- | --: |"]
        lines += [f"| `{name}` | {_fmt(t)} |" for name, t in top_functions(fn, calls)]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the profile of one size (default S)."""
    args = sys.argv[1:] if argv is None else argv
    size = args[0] if args else "S"
    print(markdown(size))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
