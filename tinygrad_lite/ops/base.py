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

from ..autograd import Context, Function
from ..registry import register
from ..shapes import Axis, expand, normalize_axis

__all__ = [
    "Any",
    "Axis",
    "Context",
    "Function",
    "call",
    "expand",
    "is_tensor",
    "no_broadcast",
    "normalize_axis",
    "np",
    "per_term",
    "register",
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


def no_broadcast(op: str, x: Any, y: Any) -> ValueError:
    """The error for elementwise operands whose shapes do not broadcast together."""
    return ValueError(f"{op}: shapes {x.shape} and {y.shape} do not broadcast together")


def per_term(reduction: str, n: int) -> str:
    """The 1/n of a "mean" in `explain`'s notation: {n:N} is a count (m when it is the batch)."""
    return f"/{{n:{n}}}" if reduction == "mean" else ""
