"""Negative log-likelihoods of Poisson and Gaussian models: poisson_nll_loss, gaussian_nll_loss.

Both are composed of differentiable ops and follow PyTorch 2's arithmetic step by step, so their
values and gradients (of every order, in the input, the target and the variance) agree with
PyTorch's to rounding, at its special points too: the variance clamped below at ε without the
clamp being differentiated, and the NaN target gradient of the Stirling term at targets <= 0.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import tracing
from .distances import check_eps
from .loss_checks import (
    broadcast,
    check_flag,
    check_values,
    float_input,
    like_input,
    reduced,
    refuse_legacy,
)
from .ops.losses import check_reduction
from .tensor import Tensor

__all__ = ["gaussian_nll_loss", "poisson_nll_loss"]


def _nan_slope(y: Tensor, bad: Tensor) -> Tensor:
    """0 everywhere, with a NaN derivative (of every order) in y where `bad` holds.

    Where `bad`, the outer `where` takes 0 and sends a 0 gradient into NaN·e^y, which turns it
    into NaN (0·NaN raises no floating-point error); elsewhere that branch is 0·e^0 and the
    inner `where` passes no gradient to y.
    """
    nan = Tensor(np.nan, dtype=y.dtype).where(bad, 0.0)
    return (nan * y.where(bad, 0.0).exp()).where(~bad, 0.0)


def _stirling(y: Tensor) -> Tensor:
    """Stirling's approximation of ln y!: y·ln y - y + ½ln(2πy)."""
    return y * y.log() - y + 0.5 * (2 * math.pi * y).log()


def poisson_nll_loss(
    input: Any,
    target: Any,
    log_input: bool = True,
    full: bool = False,
    size_average: Any = None,
    eps: float = 1e-8,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Poisson negative log-likelihood of counts y for rate λ, reduced, as PyTorch's.

    ℓ = e^x - y·x for the log-rate x (`log_input`), else λ - y·ln(λ + ε). With `full` the
    Stirling approximation of ln y!, y·ln y - y + ½ln(2πy), is added where y > 1 (not where
    y <= 1, where it would be poor). As in PyTorch, the gradient in a target that requires
    grad is then NaN where y <= 0: the masked term's slope there (∞ or NaN) times its 0
    weight. Input and target broadcast together.

    Example:
        >>> from tinygrad_lite.nll_losses import poisson_nll_loss
        >>> poisson_nll_loss(Tensor([0.0, 0.0]), [1.0, 3.0], reduction="none")
        Tensor([1., 1.])

    Raises:
        ValueError: a bad reduction, NaN ε, or shapes that do not broadcast.
        TypeError: an integer input, flags that are not bools, or `size_average`/`reduce`.
    """
    op = "poisson_nll_loss"
    refuse_legacy(op, size_average, reduce)
    check_reduction(op, reduction)
    log_input = check_flag(op, "log_input", log_input)
    full = check_flag(op, "full", full)
    eps = check_eps(op, eps, allow_negative=True)
    x = float_input(op, input)
    y = like_input(target, x)
    broadcast(op, x, y)
    terms = x.exp() - y * x if log_input else x - y * (x + eps).log()
    if full:
        kept = ~(y <= 1)  # NaN targets keep their NaN term, as PyTorch's masked_fill
        if not y.requires_grad:  # no logarithm of 0 or of a negative count is taken
            terms = terms + _stirling(y.where(kept, 2.0)).where(kept, 0.0)
        else:
            # PyTorch differentiates its masked term as 0·s'(y), 0·s''(y), ...: 0 for
            # 0 < y <= 1; for y < 0 NaN (ln y) at first order only; at y = 0 NaN at every order
            # (s'' = 1/y - ½/y² is ∞ - ∞): the term of a negative count is taken as it is
            # (its NaN value masked), and y = 0 gets a NaN slope of every order.
            raw = kept | (y < 0)
            with tracing.errstate(invalid="ignore"):
                s = _stirling(y.where(raw, 2.0))
            terms = terms + s.where(kept, 0.0) + _nan_slope(y, y == 0)
    return reduced(terms, reduction)


def _fitted_var(op: str, var: Tensor, shape: tuple[int, ...]) -> Tensor:
    """The variance in a shape that broadcasts as PyTorch allows.

    That is the input's own shape, the input's without its last dimension (then unsqueezed), or
    the input's with one dimension of size 1.
    """
    if var.shape == shape:
        return var
    if var.shape == shape[:-1]:
        return var.unsqueeze(-1)
    if var.ndim == len(shape):
        mismatched = [v for s, v in zip(shape, var.shape, strict=True) if s != v]
        if sum(mismatched) == 1:  # PyTorch's test: one dimension of size 1 (or more of size 0)
            return var
    raise ValueError(
        f"{op}: var of shape {var.shape} does not fit input shape {shape}: it must have the "
        "input's shape, that shape without its last dimension, or one dimension of size 1"
    )


def _no_negative(t: Any) -> None:
    t = np.asarray(t)
    if t.size and np.less(t, 0).any():
        bad = t[t < 0]
        raise ValueError(
            f"gaussian_nll_loss: var must be >= 0, found {bad.size} negative, e.g. "
            f"{float(bad.flat[0])}"
        )


def gaussian_nll_loss(
    input: Any,
    target: Any,
    var: Any,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Gaussian negative log-likelihood of targets y for means x and variances σ², reduced.

    ℓ = ½(ln max(σ², ε) + (x - y)²/max(σ², ε)), plus ½ln(2π) with `full`, as PyTorch's: the
    clamp at ε is not differentiated (below ε the gradient in σ² is that of the formula at ε).
    `var` is a number (one variance for all) or a tensor of the input's shape, of the input's
    shape without its last dimension, or of the input's shape with one dimension of size 1
    (PyTorch's rules); negative variances are refused. Input and target broadcast together.

    Example:
        >>> from tinygrad_lite.nll_losses import gaussian_nll_loss
        >>> gaussian_nll_loss(Tensor([1.0, 3.0]), [1.0, 1.0], 1.0)
        Tensor(1.)

    Raises:
        ValueError: a bad reduction, a negative variance, a var of a shape PyTorch refuses,
            NaN ε, or shapes that do not broadcast.
        TypeError: an integer input or variance, or a `full` that is not a bool.
    """
    op = "gaussian_nll_loss"
    check_reduction(op, reduction)
    full = check_flag(op, "full", full)
    eps = check_eps(op, eps, allow_negative=True)
    x = float_input(op, input)
    y = like_input(target, x)
    if isinstance(var, (int, float, np.integer, np.floating)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError(f"{op}: var must be >= 0, got {var}")
        v = Tensor(np.full(x.shape, float(var)), dtype=x.dtype)
    else:
        v = _fitted_var(op, float_input(op, var, "var", x), x.shape)
        check_values(_no_negative, v)
    broadcast(op, x, y, v)
    # max(σ², ε) without its clamp recorded: below ε, (σ² - σ²) + ε has ε's value and slope 1
    held = v.detach()
    v = v.where(~(v < eps), (v - held) + eps)
    d = x - y
    terms = 0.5 * (v.log() + d * d / v)
    if full:
        terms = terms + 0.5 * math.log(2 * math.pi)
    return reduced(terms, reduction)
