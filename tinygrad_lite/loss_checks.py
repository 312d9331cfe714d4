"""Argument checks the margin and likelihood losses share: flags, margins, inputs, reductions.

PyTorch's deprecated `size_average` and `reduce` are refused unless None; a value check runs
again on every replay of a compiled step (`tracing.value_check`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from . import tracing
from .tensor import Tensor

__all__ = [
    "broadcast",
    "check_flag",
    "check_margin",
    "check_values",
    "float_input",
    "in_dtype_of",
    "like_input",
    "reduced",
    "refuse_legacy",
]


def refuse_legacy(op: str, size_average: Any, reduce: Any) -> None:
    """Raise unless PyTorch's deprecated `size_average` and `reduce` are both None."""
    if size_average is not None or reduce is not None:
        raise TypeError(
            f"{op}: size_average and reduce (deprecated in PyTorch) are not supported; "
            "pass reduction='mean', 'sum' or 'none' instead"
        )


def check_margin(op: str, margin: Any, positive: bool = False) -> float:
    """A margin as a float: a real number, not NaN (and > 0 if `positive`)."""
    if isinstance(margin, bool) or not isinstance(margin, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: margin must be a real number, got {type(margin).__name__}")
    value = float(margin)
    if math.isnan(value) or (positive and not value > 0):
        raise ValueError(f"{op}: margin must be a number{' > 0' if positive else ''}, got {margin}")
    return value


def check_flag(op: str, name: str, value: Any) -> bool:
    """A switch as a bool (a string or a number is refused, not taken for its truth)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op}: {name} must be a bool, got {type(value).__name__}")
    return bool(value)


def float_input(op: str, x: Any, name: str = "input", like: Tensor | None = None) -> Tensor:
    """`x` as a floating-point Tensor (an array or list in `like`'s dtype); integers refused."""
    t = (
        x
        if isinstance(x, Tensor)
        else Tensor(np.asarray(x), dtype=None if like is None else like.dtype)
    )
    if t.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be floating-point, got dtype {t.dtype}")
    return t


def like_input(x: Any, like: Tensor) -> Tensor:
    """A target: a Tensor as it is, an array or list in the input's dtype."""
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x), dtype=like.dtype)


def broadcast(op: str, *ts: Tensor) -> tuple[int, ...]:
    """The shapes' broadcast shape, or a ValueError that names them."""
    try:
        return tuple(np.broadcast_shapes(*(t.shape for t in ts)))
    except ValueError:
        shapes = " and ".join(str(t.shape) for t in ts)
        raise ValueError(f"{op}: shapes {shapes} do not broadcast") from None


def in_dtype_of(t: Tensor, like: Tensor) -> Tensor:
    """`t` in the dtype of a float `like`, as PyTorch casts a target or weight for some losses.

    The losses that keep the input's dtype (`huber_loss`, `soft_margin_loss`, the BCE losses'
    weights) cast it so; an integer `like` leaves `t` as it is.
    """
    return t if t.dtype == like.dtype or like.dtype.kind != "f" else t.astype(like.dtype)


def reduced(terms: Tensor, reduction: str) -> Tensor:
    """The terms as they are ("none"), their sum or their mean."""
    if reduction == "none":
        return terms
    return terms.sum() if reduction == "sum" else terms.mean()


def check_values(check: Callable[[Any], None], t: Tensor) -> None:
    """Run `check` on the values of `t` now, and on every replay of a compiled step."""
    tracer = tracing.current
    data = tracer.data_of(t) if tracer is not None and tracer.active() else t.data
    tracing.value_check(check, data)
