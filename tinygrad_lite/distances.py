"""Distances and divergences as PyTorch's `F`: cosine_similarity, pairwise_distance, kl_div.

Each is composed of ops, so gradients of every order come from the ops, and each follows
PyTorch 2's arithmetic step by step, so values and gradients agree with it to rounding, at the
special points too: zero vectors (cosine), zero differences (norms), zero targets (KL).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .ops import normalize_axis
from .ops.losses import REDUCTIONS
from .tensor import Tensor

__all__ = [
    "KL_REDUCTIONS",
    "check_dim",
    "check_eps",
    "check_kl_reduction",
    "check_log_target",
    "check_p",
    "cosine_similarity",
    "kl_div",
    "pairwise_distance",
]

KL_REDUCTIONS = (*REDUCTIONS, "batchmean")  # the losses' reductions, and the KL divergence's own


def _tensor(x: Any, like: Tensor | None = None) -> Tensor:
    """`x` as a Tensor: a Tensor as it is, anything else as an array (of `like`'s dtype)."""
    if isinstance(x, Tensor):
        return x
    return Tensor(np.asarray(x), dtype=None if like is None else like.dtype)


def _broadcast_shape(op: str, a: Tensor, b: Tensor) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{op}: shapes {a.shape} and {b.shape} do not broadcast") from None


def _check_floats(op: str, a: Tensor, b: Tensor) -> None:
    if np.result_type(a.dtype, b.dtype).kind != "f":  # PyTorch's common dtype
        raise TypeError(f"{op}: needs floating-point tensors, got dtypes {a.dtype} and {b.dtype}")


def _real(op: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: {name} must be a real number, got {type(value).__name__}")
    return float(value)


def check_eps(op: str, eps: Any, allow_negative: bool) -> float:
    """`eps` as a float: a real number, not NaN, and >= 0 unless `allow_negative`."""
    value = _real(op, "eps", eps)
    if math.isnan(value) or (value < 0 and not allow_negative):
        raise ValueError(
            f"{op}: eps must be a number{'' if allow_negative else ' >= 0'}, got {eps}"
        )
    return value


def check_dim(op: str, dim: Any) -> int:
    """`dim` as an int (bools and other types refused; its range is checked where it is used)."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    return int(dim)


def check_p(op: str, p: Any) -> float:
    """The norm's degree `p` as a float: a real number > 0, or inf."""
    value = _real(op, "p", p)
    if not value > 0:  # NaN too
        raise ValueError(f"{op}: p must be > 0 (or inf), got {p}")
    return value


def check_kl_reduction(op: str, reduction: Any) -> str:
    """Return `reduction` if it is one of "mean", "sum", "none", "batchmean"; else raise."""
    if reduction not in KL_REDUCTIONS:
        raise ValueError(
            f"{op}: reduction must be 'mean', 'sum', 'none' or 'batchmean', got {reduction!r}"
        )
    return str(reduction)


def check_log_target(op: str, log_target: Any) -> bool:
    """`log_target` as a bool (a string or a number is refused, not taken for its truth)."""
    if not isinstance(log_target, (bool, np.bool_)):
        raise TypeError(f"{op}: log_target must be a bool, got {type(log_target).__name__}")
    return bool(log_target)


def _clamped_norm(x: Tensor, dim: int, eps: float) -> Tensor:
    """max(‖x‖₂, ε) over `dim` (kept), differentiated as ‖x‖₂ itself, as PyTorch does.

    PyTorch clamps the norm in place under no_grad, so the clamp is not recorded: below ε the
    value is ε but the gradient still flows through ‖x‖₂ (the norm's own gradient is 0 at 0).
    (n - n̄) + max(n̄, ε), with n̄ detached, is exactly that value with exactly that gradient.
    """
    n = x.norm(2, dim, keepdim=True)
    held = n.detach()
    return (n - held) + held.clamp(min=eps)


def cosine_similarity(x1: Any, x2: Any, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine similarity along `dim`: Σ (x₁/max(‖x₁‖₂, ε)) · (x₂/max(‖x₂‖₂, ε)).

    PyTorch 2's definition: x₁ and x₂ are broadcast together first (so `dim` counts in the
    broadcast shape and a norm is taken over the broadcast copies), each is divided by its own
    norm clamped below at ε, and the quotients' product is summed. The clamp is PyTorch's
    unrecorded in-place one (see `_clamped_norm`): for ‖x₁‖₂ < ε, the gradient in x₁ is
    x₂/(ε‖x₂‖) - (x₁·x₂)x₁/(ε²‖x₂‖‖x₁‖), and at a zero vector x₁ = 0 it is x₂/(ε‖x₂‖), finite.
    Both vectors 0 give 0 with gradient 0. One difference: at a zero vector the second
    derivatives are finite here (the norm's recorded gradient is 0 at 0), NaN in PyTorch.

    Args:
        x1: a float Tensor (or array).
        x2: a float Tensor (or array) that broadcasts with x1.
        dim: the dimension of the vectors, in the broadcast shape.
        eps: ε >= 0, the smallest norm divided by.

    Returns:
        The similarities, of the broadcast shape without `dim`.

    Raises:
        ValueError: shapes that do not broadcast, `dim` out of range, or ε < 0.
        TypeError: integer inputs, or a `dim` or ε of the wrong type.
    """
    op = "cosine_similarity"
    eps = check_eps(op, eps, allow_negative=False)
    a = _tensor(x1)
    b = _tensor(x2, a)
    _check_floats(op, a, b)
    shape = _broadcast_shape(op, a, b)
    check_dim(op, dim)
    normalize_axis(dim, len(shape), op)  # an int in range (0 and -1 for 0-d inputs)
    a, b = a.expand(shape), b.expand(shape)
    return ((a / _clamped_norm(a, dim, eps)) * (b / _clamped_norm(b, dim, eps))).sum(int(dim))


def _p_norm(d: Tensor, p: float, keepdim: bool) -> Tensor:
    """(Σ |d|^p)^(1/p) over the last dim, with PyTorch's gradient 0 at d = 0 and at a zero norm.

    The zeros are replaced by 1 before each power (and the results put back to 0), so that no
    0^(p-1) or 0^(1/p-1) is differentiated: PyTorch masks those terms of its gradient to 0.
    """
    a = d.abs()
    nonzero = a != 0
    terms = (a.where(nonzero, 1.0) ** p).where(nonzero, 0.0)
    total = terms.sum(-1, keepdim)
    positive = total != 0
    return (total.where(positive, 1.0) ** (1.0 / p)).where(positive, 0.0)


def pairwise_distance(
    x1: Any, x2: Any, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """The p-norm of x₁ - x₂ + ε over the last dimension: ‖x₁ - x₂ + ε‖_p, as PyTorch's.

    ε is added to every element of the difference (not only where it is 0), as in PyTorch.
    p = 2 is √(Σ d²), p = 1 Σ |d|, p = inf max |d| (ties share the gradient), and any other
    p > 0 is (Σ |d|^p)^(1/p). The gradient is 0 where d = 0 and where the norm is 0, as
    PyTorch's. The last dimension is that of the broadcast shape; 0-d inputs give |d|.

    Args:
        x1: a Tensor (or array); integers become the default float when ε is added.
        x2: a Tensor (or array) that broadcasts with x1.
        p: the norm's degree, > 0 or inf.
        eps: ε, added to the difference.
        keepdim: keep the last dimension, with size 1.

    Raises:
        ValueError: shapes that do not broadcast, p <= 0 (PyTorch's p = 0 count and negative
            p are not supported), or a NaN ε; the inf norm of an empty last dimension.
        TypeError: p or ε not real numbers.
    """
    op = "pairwise_distance"
    p = check_p(op, p)
    eps = check_eps(op, eps, allow_negative=True)
    a = _tensor(x1)
    b = _tensor(x2, a)
    if a.dtype.kind not in "fiu" or b.dtype.kind not in "fiu":
        raise TypeError(f"{op}: needs real-number tensors, got dtypes {a.dtype} and {b.dtype}")
    shape = _broadcast_shape(op, a, b)
    d = a - b + eps  # integers become the default float here, as in PyTorch
    keep = bool(keepdim) and d.ndim > 0  # a 0-d norm stays 0-d, as in PyTorch
    if p == 2:
        return d.norm(2, -1, keep)
    if p == 1:
        return d.abs().sum(-1, keep)
    if math.isinf(p):
        if shape and shape[-1] == 0:
            raise ValueError(
                f"{op}: the inf norm of an empty last dimension is undefined (shape {shape})"
            )
        return d.abs().amax(-1, keep)
    return _p_norm(d, p, keep)


def _xlogx(t: Tensor) -> Tensor:
    """t·ln t, and 0 at t = 0 (PyTorch's xlogy(t, t)), with PyTorch's NaN derivatives at t = 0.

    t·ln t has no derivative at 0 (its slope tends to -∞); PyTorch's xlogy answers NaN there,
    from the t/t in its derivative xlogy(t ≠ 0, t) + t/t, and so NaN at every order. The first
    term below is the value (ln 1 = 0 where t = 0, so no log(0) is taken). The second is 0
    everywhere and carries the NaN: at t = 0 the outer `where` takes its 0 branch and sends a
    0 gradient into NaN·e^t, whose derivatives of every order are NaN (0·NaN raises no
    floating-point error); elsewhere that branch is 0·e^0 and gets no gradient.
    """
    zero, nonzero = t == 0, t != 0
    value = t * t.where(nonzero, 1.0).log()
    if not t.requires_grad:
        return value
    nan = Tensor(np.where(zero.data, np.nan, 0.0), dtype=t.dtype)
    return value + (nan * t.where(zero, 0.0).exp()).where(nonzero, 0.0)


def kl_div(input: Any, target: Any, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence of `target` from the distribution whose logs are `input`.

    Pointwise, for input x (log-probabilities) and target y, as PyTorch computes it:
    ℓ = xlogy(y, y) - y·x = y·(ln y - x), with 0 where y = 0; or, with `log_target`
    (y = ln q), ℓ = e^y·(y - x). Reduced: "none" keeps ℓ (of the broadcast shape), "sum" is Σ ℓ,
    "mean" Σ ℓ over the number of elements, "batchmean" Σ ℓ over the batch size, the input's
    first dimension (the sum for a 0-d input): the KL divergence per example. PyTorch warns
    that "mean" will become "batchmean" one day; here "mean" is the mean, as PyTorch's today.

    dℓ/dx = -y (e^y with `log_target`); dℓ/dy = ln y + 1 - x, which is NaN where y = 0, as
    PyTorch's (t·ln t has no slope at 0). A target y < 0 gives NaN.

    Args:
        input: log-probabilities, a float Tensor (or array).
        target: probabilities (or their logs), a float Tensor, or an array or list (taken in
            the input's dtype), that broadcasts with the input.
        reduction: "mean", "batchmean", "sum" or "none".
        log_target: whether the target holds log-probabilities.

    Raises:
        ValueError: a bad reduction, shapes that do not broadcast, or "batchmean" over an
            empty batch.
        TypeError: integer inputs, or a `log_target` that is not a bool.
    """
    op = "kl_div"
    check_kl_reduction(op, reduction)
    log_target = check_log_target(op, log_target)
    x = _tensor(input)
    y = _tensor(target, x)
    for t in (x, y):
        if t.dtype.kind != "f":
            raise TypeError(f"{op}: needs floating-point tensors, got dtype {t.dtype}")
    _broadcast_shape(op, x, y)
    terms = y.exp() * (y - x) if log_target else _xlogx(y) - y * x
    if reduction == "none":
        return terms
    if reduction == "mean":
        return terms.mean()
    total = terms.sum()
    if reduction == "sum" or x.ndim == 0:
        return total
    if x.shape[0] == 0:
        raise ValueError(f"{op}: 'batchmean' over an empty batch (input shape {x.shape})")
    return total / x.shape[0]
