"""What every op module shares: the engine's names and the few helpers a backward may call.

A backward is written once, with operators and NumPy functions, on what its forward saved. On
the first-order path those are arrays and the code is plain NumPy. When the backward's own graph
is recorded (`create_graph=True`) they are Tensors: operators are Tensor operators and NumPy
functions dispatch to the ops (see `interop`). The helpers here cover what NumPy has no
function for: `call` (another op's forward) and `value` (the numbers behind a constant).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import tracing
from ..autograd import Context, Function
from ..dtypes import DEFAULT_FLOAT
from ..registry import register
from ..shapes import Axis, expand, normalize_axis

__all__ = [
    "Any",
    "Axis",
    "Context",
    "FloatFunction",
    "Function",
    "call",
    "expand",
    "is_tensor",
    "no_broadcast",
    "normalize_axis",
    "np",
    "per_term",
    "register",
    "kept",
    "zeroed",
    "value",
]


def is_tensor(x: Any) -> bool:
    """Whether `x` is a Tensor (a backward being recorded) rather than an array."""
    return hasattr(x, "_ctx")


def call(fn: type[Function], *args: Any, **params: Any) -> Any:
    """Another op, inside a backward: its forward on arrays, the op itself on Tensors."""
    if any(is_tensor(a) for a in args):
        return fn.apply(*args, **params)
    return fn.forward(Context(), *args, **params)


def value(x: Any) -> Any:
    """The values behind `x`, for constants of the derivative (masks, counts, one-hots)."""
    return x.data if is_tensor(x) else x


_SMALL = 8192  # elements: up to here np.where is the faster of the two selects


def zeroed(grad: Any, drop: Any) -> Any:
    """`grad` with +0 where the bool array `drop` holds, even where `grad` is ∞ or NaN there.

    PyTorch selects such gradients (ReLU's, clamp's, where's), so an ∞ or NaN coming in where
    the derivative is 0 gives 0 (a product with a 0/1 mask would give ∞·0 = NaN). A compiled
    step calls this as one function.
    """
    return _select(grad, drop, keep=False)


def kept(grad: Any, keep: Any) -> Any:
    """`grad` where the bool array `keep` holds, +0 elsewhere (see `zeroed`)."""
    return _select(grad, keep, keep=True)


def _select(grad: Any, mask: Any, keep: bool) -> Any:
    # The size decides (a compiled step's sizes are those of its trace): a small select is one
    # NumPy line of the replay, a large one a call of `_selected` (array views it cannot trace).
    if is_tensor(grad) or grad.size <= _SMALL:
        return np.where(mask, grad, 0.0) if keep else np.where(mask, 0.0, grad)
    return tracing.replayed(_selected, grad, mask, keep)


_SAME_SIZE_INT = {2: np.int16, 4: np.int32, 8: np.int64}


def _selected(grad: np.ndarray, mask: np.ndarray, keep: bool) -> np.ndarray:
    bits = _SAME_SIZE_INT.get(grad.dtype.itemsize)
    if grad.size <= _SMALL or bits is None or grad.shape != mask.shape:
        return np.where(mask, grad, 0.0) if keep else np.where(mask, 0.0, grad)
    # np.where branches on every element, several times slower on a scattered mask than this
    # branch-free select: every bit of a dropped element cleared (+0.0), a kept one's bits left
    # as they are (NaN, ∞, −0.0 included): the values np.where gives.
    flags = mask.view(np.int8)
    all_ones = np.negative(flags) if keep else flags - np.int8(1)  # −1 where kept, else 0
    return np.bitwise_and(grad.view(bits), all_ones, dtype=bits).view(grad.dtype)


class FloatFunction(Function):
    """An op whose result is floating (exp, tanh, sqrt, ...): int and bool inputs become floats.

    They are converted to the dtype the inputs promote to (`x + y`'s: float32 for a float32
    tensor beside an int8 one), or to the default float when that is not floating, as in
    PyTorch. NumPy would pick the smallest float that holds the input (float16 for int8, uint8
    and bool, float32 for int16), and formulas written for floats go wrong on unsigned integers
    (`-np.abs(x)` wraps around) or refuse bools (`-x`). Float inputs keep their dtype.
    """

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Any:
        """`Function.apply`, on inputs of a floating dtype (see the class)."""
        for t in inputs:
            if t.data.dtype.kind != "f":  # the one test on the hot path
                to = np.result_type(*(u.data.dtype for u in inputs))
                to = to if to.kind == "f" else DEFAULT_FLOAT
                inputs = tuple(u if u.data.dtype.kind == "f" else u.astype(to) for u in inputs)
                break
        return super().apply(*inputs, **params)


def no_broadcast(op: str, x: Any, y: Any) -> ValueError:
    """The error for elementwise operands whose shapes do not broadcast together."""
    return ValueError(f"{op}: shapes {x.shape} and {y.shape} do not broadcast together")


def per_term(reduction: str, n: int) -> str:
    """The 1/n of a "mean" in `explain`'s notation: {n:N} is a count (m when it is the batch)."""
    return f"/{{n:{n}}}" if reduction == "mean" else ""
