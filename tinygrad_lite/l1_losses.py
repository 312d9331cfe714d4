"""The L1 family of regression losses on Tensors: l1_loss, huber_loss and smooth_l1_loss.

Each is composed of ops whose gradients are PyTorch's at the kinks too: |d| has gradient 0 at
d = 0 (PyTorch's sign(0) = 0), and `where` sends the gradient to the branch taken, so at
|d| = δ the Huber loss's gradient is δ·sign(d) = d, where both of its pieces agree. No
registered op is needed for them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .loss_checks import in_dtype_of, reduced
from .ops.losses import check_reduction
from .tensor import Tensor

__all__ = ["check_threshold", "huber_loss", "l1_loss", "smooth_l1_loss"]


def _difference(
    op: str, input: Tensor | np.ndarray, target: Any, in_input_dtype: bool = False
) -> Tensor:
    """Return input - target, for a target of exactly the input's shape (Tensor or array).

    With `in_input_dtype`, a target of another float dtype is cast to the input's first (as
    PyTorch's `huber_loss` does; its other losses promote).
    """
    x = input if isinstance(input, Tensor) else Tensor(input)
    y = target if isinstance(target, Tensor) else Tensor(np.asarray(target), dtype=x.dtype)
    if in_input_dtype:
        y = in_dtype_of(y, x)
    if x.shape != y.shape:
        raise ValueError(
            f"{op}: input shape {x.shape} and target shape {y.shape} differ; targets must "
            "have exactly the input's shape"
        )
    return x - y


def check_threshold(op: str, name: str, value: Any, allow_zero: bool) -> float:
    """A loss's δ or β as a float: a finite real number > 0 (or >= 0 with `allow_zero`)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: {name} must be a real number, got {type(value).__name__}")
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{op}: {name} must be finite and {bound}, got {value}")
    return float(value)


def l1_loss(input: Tensor | np.ndarray, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error: J = (1/n) Σ |x - y| ("sum" and "none" as in PyTorch).

    dJ/dx = sign(x - y)/n, which is 0 where x = y, as PyTorch's.

    Raises:
        ValueError: shapes differ, or a bad reduction.
    """
    check_reduction("l1_loss", reduction)
    return reduced(_difference("l1_loss", input, target).abs(), reduction)


def huber_loss(
    input: Tensor | np.ndarray, target: Any, reduction: str = "mean", delta: float = 1.0
) -> Tensor:
    """Huber loss: ½d² where |d| < δ, else δ(|d| - ½δ), for d = x - y, reduced.

    Quadratic near 0 and linear beyond δ, with dJ/dd = d clipped to [-δ, δ] (divided by n for
    the mean), as PyTorch's `F.huber_loss`.

    Raises:
        ValueError: shapes differ, a bad reduction, or δ not > 0.
    """
    check_reduction("huber_loss", reduction)
    delta = check_threshold("huber_loss", "delta", delta, allow_zero=False)
    d = _difference("huber_loss", input, target, in_input_dtype=True)
    z = d.abs()  # the square from d itself: its second derivative is 1 at d = 0 too
    terms = (0.5 * d * d).where(z < delta, delta * (z - 0.5 * delta))
    return reduced(terms, reduction)


def smooth_l1_loss(
    input: Tensor | np.ndarray, target: Any, reduction: str = "mean", beta: float = 1.0
) -> Tensor:
    """Smooth L1 loss: ½d²/β where |d| < β, else |d| - ½β, for d = x - y, reduced.

    The Huber loss divided by β: dJ/dd = d/β clipped to [-1, 1]. With β = 0 it is the L1
    loss, as PyTorch's `F.smooth_l1_loss`.

    Raises:
        ValueError: shapes differ, a bad reduction, or β < 0.
    """
    check_reduction("smooth_l1_loss", reduction)
    beta = check_threshold("smooth_l1_loss", "beta", beta, allow_zero=True)
    d = _difference("smooth_l1_loss", input, target)
    z = d.abs()
    if beta == 0:
        return reduced(z, reduction)
    terms = (0.5 * d * d / beta).where(z < beta, z - 0.5 * beta)
    return reduced(terms, reduction)
