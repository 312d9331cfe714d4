"""Indexing inside a compiled step: the gradient's scatter starts from fresh zeros every call,
and a traced write into an array made outside the trace is refused."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor

INDICES = {
    "repeated rows": np.array([2, 0, 2]),
    "one array per dim": (np.array([2, 0, 2]), np.array([1, 1, 0])),
    "a slice": slice(0, 2),
    "a row and a slice": (1, slice(None)),
}


@pytest.mark.parametrize("index", INDICES.values(), ids=list(INDICES))
def test_the_gradient_of_an_indexed_tensor_is_the_same_on_every_replay(index: Any) -> None:
    def make():
        w = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)

        def step(scale: Tensor) -> Tensor:
            w.grad = None
            y = w[index] * scale
            (y * y).sum().backward()
            return w.grad

        return step

    eager, fast = make(), tg.compile(make())
    for k in range(4):
        scale = Tensor(np.array(1.0 + k))
        assert eager(scale).data.tobytes() == fast(scale).data.tobytes(), k
    assert fast.traces == 1


class _AddAtIntoNew(tg.Function):
    """An op whose forward scatters into an array it makes with np.zeros (not from x)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        out = np.zeros(x.shape, dtype=x.dtype)
        np.add.at(out, (np.array([0, 0]),), x[:2])
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any]:
        return (grad,)


class _OutIntoNew(tg.Function):
    """An op whose forward writes a ufunc's result into an array made with np.empty."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        out = np.empty(x.shape, dtype=x.dtype)
        np.multiply(x, 2.0, out=out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any]:
        return (grad * 2.0,)


@pytest.mark.parametrize("op", [_AddAtIntoNew, _OutIntoNew], ids=["add.at", "out="])
def test_a_write_into_an_array_made_outside_the_trace_is_refused(op: Any) -> None:
    # A replay would write into that same array again (the bug the scatter above had).
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    eager = op.apply(x).data.copy()  # eager execution is unaffected
    assert eager.tolist() == ([3.0, 0.0, 0.0] if op is _AddAtIntoNew else [2.0, 4.0, 6.0])
    fast = tg.compile(lambda t: op.apply(t))
    with pytest.raises(tg.TraceError, match="made outside the traced step"):
        fast(x)
