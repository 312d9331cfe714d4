"""The fixed cost of one op on tiny tensors, with and without a graph, against raw NumPy.

    python -m benchmarks.ops [--shape 4 4] [--blocks 7] [--markdown]

On (4, 4) tensors the arithmetic is nearly free, so the time is what the library adds around a
NumPy call: building the Tensor, checking grad mode, recording the graph node. Each case is
timed as the median over blocks of many calls; a call of an empty lambda is timed too and is
included in every figure.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._timing import Timing, interleaved, markdown_table, text_table


@dataclass(frozen=True)
class OpResult:
    """Median seconds per call of one op, each way it was run (None where not applicable)."""

    op: str
    numpy: float
    no_grad: float | None
    grad: float | None


@dataclass(frozen=True)
class Cases:
    """Zero-argument callables per op, one dict per way of running it.

    Attributes:
        numpy: raw NumPy calls (and the tiny expression's forward and backward by hand, which
            returns (s, ds/dx, ds/dw, ds/dy, ds/dz)).
        tensor: the library's ops (timed under no_grad and with a graph).
        graph: `tensor` plus forward + backward of the expression (leaves' .grad filled).
        leaves: the library's x, w, y, z (requires_grad) that the expression differentiates.
    """

    numpy: dict[str, Callable[[], object]]
    tensor: dict[str, Callable[[], object]]
    graph: dict[str, Callable[[], object]]
    leaves: tuple[object, ...]


def make_cases(shape: tuple[int, int]) -> Cases:
    """Build the inputs (seeded) and the callables for tensors of `shape` (x, y, z) and w."""
    from tinygrad_lite import Tensor

    rng = np.random.default_rng(0)
    n = shape[-1]
    x_np, w_np = rng.standard_normal(shape), rng.standard_normal((n, n))
    y_np, z_np = rng.standard_normal(shape), rng.standard_normal(shape)
    x, w, y, z = (Tensor(v, requires_grad=True) for v in (x_np, w_np, y_np, z_np))
    add_np, matmul_np, tanh_np = np.add, np.matmul, np.tanh

    def expr_numpy() -> object:
        # s = Σ tanh(x·w + y) ⊙ z and its gradients with respect to x, w, y, z, by hand.
        t = tanh_np(matmul_np(x_np, w_np) + y_np)
        s = (t * z_np).sum()
        g = z_np * (1.0 - t * t)
        return s, g @ w_np.T, x_np.T @ g, g, t

    def expr_tensor() -> object:
        for leaf in (x, w, y, z):
            leaf.grad = None
        s = ((x @ w + y).tanh() * z).sum()
        s.backward()
        return s

    numpy_cases: dict[str, Callable[[], object]] = {
        "x + y": lambda: add_np(x_np, y_np),
        "x @ w": lambda: matmul_np(x_np, w_np),
        "x.tanh()": lambda: tanh_np(x_np),
        "fwd+bwd": expr_numpy,
        "empty call": lambda: None,
    }
    tensor_cases: dict[str, Callable[[], object]] = {
        "x + y": lambda: x + y,
        "x @ w": lambda: x @ w,
        "x.tanh()": lambda: x.tanh(),
    }
    graph_cases = dict(tensor_cases, **{"fwd+bwd": expr_tensor})
    return Cases(numpy_cases, tensor_cases, graph_cases, (x, w, y, z))


OP_LABELS = {
    "x + y": "x + y",
    "x @ w": "x @ w",
    "x.tanh()": "x.tanh()",
    "fwd+bwd": "forward + backward of Σ tanh(x @ w + y) ⊙ z (NumPy: by hand)",
    "empty call": "empty call (timing overhead, in every row)",
}


def run(shape: tuple[int, int] = (4, 4), blocks: int = 7, block_s: float = 0.05) -> list[OpResult]:
    """Time every case; return one OpResult per op."""
    from tinygrad_lite import no_grad

    cases = make_cases(shape)
    merged: dict[str, Callable[[], object]] = {f"np {k}": v for k, v in cases.numpy.items()}
    merged.update({f"graph {k}": v for k, v in cases.graph.items()})
    times: dict[str, Timing] = interleaved(merged, blocks, block_s, block_s)
    with no_grad():
        nograd = interleaved(
            {f"nograd {k}": v for k, v in cases.tensor.items()}, blocks, block_s, block_s
        )
    times.update(nograd)
    out = []
    for op in cases.numpy:
        ng, g = times.get(f"nograd {op}"), times.get(f"graph {op}")
        out.append(
            OpResult(
                op,
                times[f"np {op}"].median,
                None if ng is None else ng.median,
                None if g is None else g.median,
            )
        )
    return out


HEADER = ["op", "NumPy", "no_grad", "× NumPy", "with graph", "× NumPy"]


def _rows(results: list[OpResult]) -> list[list[str]]:
    def ns(x: float | None) -> str:
        return "—" if x is None else f"{x * 1e9:,.0f} ns"

    def ratio(x: float | None, ref: float) -> str:
        return "—" if x is None else f"{x / ref:.1f}×"

    return [
        [
            OP_LABELS[r.op],
            ns(r.numpy),
            ns(r.no_grad),
            ratio(r.no_grad, r.numpy),
            ns(r.grad),
            ratio(r.grad, r.numpy),
        ]
        for r in results
    ]


def markdown_table_of(results: list[OpResult]) -> str:
    """The results as a Markdown table."""
    return markdown_table(HEADER, _rows(results), "l")


def main(argv: list[str] | None = None) -> int:
    """Run from the command line; return the exit status."""
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.ops", description="Per-op overhead on tiny tensors."
    )
    p.add_argument("--shape", nargs=2, type=int, default=[4, 4], metavar=("ROWS", "COLS"))
    p.add_argument("--blocks", type=int, default=7)
    p.add_argument("--block-seconds", type=float, default=0.05)
    p.add_argument("--markdown", action="store_true")
    args = p.parse_args(argv)
    if args.blocks < 1 or min(args.shape) < 1 or args.block_seconds <= 0:
        p.error("--blocks, --shape and --block-seconds must be positive")
    results = run((args.shape[0], args.shape[1]), args.blocks, args.block_seconds)
    rows = _rows(results)
    if args.markdown:
        print(markdown_table(HEADER, rows, "l"))
    else:
        print(f"median time per call, tensors of shape {tuple(args.shape)}, float64\n")
        print(text_table(HEADER, rows, "l"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
