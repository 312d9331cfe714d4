"""Margin losses as PyTorch's `F`: ranking, hinge, soft margin, multi-label/class, cosine, triplet.

Each loss is composed of differentiable ops and follows PyTorch 2's arithmetic step by step, so
values and gradients (of every order) agree with PyTorch's to rounding. At the kinks the
gradient is PyTorch's choice: max(0, m) is PyTorch's `clamp_min`, whose gradient passes at
m = 0 (`clamp` here does the same); `multi_margin_loss` counts only terms with m > 0, so its
gradient is 0 at m = 0. PyTorch's deprecated `size_average` and `reduce` arguments are kept in
their places so that positional calls mean what they mean in PyTorch, and refused unless None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .distances import check_eps, check_p, pairwise_distance
from .loss_checks import (
    broadcast,
    check_flag,
    check_margin,
    check_values,
    float_input,
    in_dtype_of,
    like_input,
    reduced,
    refuse_legacy,
)
from .ops.losses import check_reduction
from .tensor import Tensor

__all__ = [
    "cosine_embedding_loss",
    "hinge_embedding_loss",
    "margin_ranking_loss",
    "multi_margin_loss",
    "multilabel_soft_margin_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
]

# added to each squared norm by PyTorch's cosine_embedding_loss: 1e-12 as a float32 constant
COSINE_EPS = float(np.float32(1e-12))  # 9.99999996e-13


def _same_ndim(op: str, names: str, *ts: Tensor) -> None:
    if len({t.ndim for t in ts}) != 1:
        shapes = ", ".join(str(t.shape) for t in ts)
        raise ValueError(f"{op}: {names} must have the same number of dimensions, got {shapes}")


def margin_ranking_loss(
    input1: Any,
    input2: Any,
    target: Any,
    margin: float = 0.0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Ranking loss max(0, -y·(x₁ - x₂) + margin), reduced, as PyTorch's.

    y = 1 asks x₁ to rank above x₂ by the margin, y = -1 below; other values of y scale the
    loss as the formula says. The three tensors have the same number of dimensions and
    broadcast together. The gradient passes at the kink (PyTorch's `clamp_min`).

    Example:
        >>> from tinygrad_lite.margin_losses import margin_ranking_loss
        >>> margin_ranking_loss(Tensor([1.0, 2.0]), Tensor([1.5, 0.0]), [1.0, -1.0], 0.5)
        Tensor(1.75)

    Raises:
        ValueError: a bad reduction, NaN margin, differing numbers of dimensions or shapes
            that do not broadcast.
        TypeError: integer inputs, or `size_average`/`reduce` given.
    """
    op = "margin_ranking_loss"
    refuse_legacy(op, size_average, reduce)
    check_reduction(op, reduction)
    margin = check_margin(op, margin)
    a = float_input(op, input1, "input1")
    b = float_input(op, input2, "input2", a)
    y = like_input(target, a)
    _same_ndim(op, "input1, input2 and target", a, b, y)
    broadcast(op, a, b, y)
    return reduced(((-y) * (a - b) + margin).clamp(min=0.0), reduction)


def hinge_embedding_loss(
    input: Any,
    target: Any,
    margin: float = 1.0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Hinge embedding loss: x where y = 1, max(0, margin - x) where y = -1, reduced.

    As PyTorch computes it for any target: the hinge max(0, margin - x) counts wherever y ≠ 1
    and x itself wherever y ≠ -1, so a target of another value (0, say) gets both. Input and
    target broadcast together. The gradient passes at the kink x = margin.

    Example:
        >>> from tinygrad_lite.margin_losses import hinge_embedding_loss
        >>> hinge_embedding_loss(Tensor([0.5, 0.25]), [1.0, -1.0], reduction="none")
        Tensor([0.5 , 0.75])

    Raises:
        ValueError: a bad reduction, NaN margin, or shapes that do not broadcast.
        TypeError: an integer input, or `size_average`/`reduce` given.
    """
    op = "hinge_embedding_loss"
    refuse_legacy(op, size_average, reduce)
    check_reduction(op, reduction)
    margin = check_margin(op, margin)
    x = float_input(op, input)
    y = like_input(target, x)
    broadcast(op, x, y)
    hinge = (margin - x).clamp(min=0.0)
    return reduced(hinge.where(y != 1, 0.0) + x.where(y != -1, 0.0), reduction)


def soft_margin_loss(
    input: Any,
    target: Any,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Two-class logistic loss ln(1 + e^(-y·x)), reduced, as PyTorch's (targets y = ±1).

    Computed as PyTorch does, log1p(exp(-x·y)), so it is inf where -x·y > ~709. The target
    broadcasts to the input's shape (not beyond it, as in PyTorch).

    Example:
        >>> from tinygrad_lite.margin_losses import soft_margin_loss
        >>> soft_margin_loss(Tensor([0.0, 0.0]), [1.0, -1.0])
        Tensor(0.69314718)

    Raises:
        ValueError: a bad reduction, or a target that does not broadcast to the input.
        TypeError: an integer input, or `size_average`/`reduce` given.
    """
    op = "soft_margin_loss"
    refuse_legacy(op, size_average, reduce)
    check_reduction(op, reduction)
    x = float_input(op, input)
    y = like_input(target, x)
    y = in_dtype_of(y, x)  # the target in the input's dtype, as PyTorch's
    if broadcast(op, x, y) != x.shape:
        raise ValueError(
            f"{op}: target shape {y.shape} does not broadcast to input shape {x.shape}"
        )
    return reduced(((-x) * y).exp().log1p(), reduction)


def multilabel_soft_margin_loss(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-label logistic loss: per sample, the class mean of w·BCE(σ(x), y), reduced.

    ℓ = -(1/C) Σ_c w_c·[y_c·ln σ(x_c) + (1 - y_c)·ln σ(-x_c)] over the last dimension (the
    classes); "none" keeps one value per sample (a 0-d one for a 1-D input). Target and weight
    broadcast to the input's shape (not beyond: PyTorch would then sum over another dimension).

    Example:
        >>> from tinygrad_lite.margin_losses import multilabel_soft_margin_loss
        >>> multilabel_soft_margin_loss(Tensor([[0.0, 0.0]]), [[1.0, 0.0]], reduction="none")
        Tensor([0.69314718])

    Raises:
        ValueError: a bad reduction, a 0-d input, or a target or weight that does not
            broadcast to the input.
        TypeError: an integer input, or `size_average`/`reduce` given.
    """
    op = "multilabel_soft_margin_loss"
    refuse_legacy(op, size_average, reduce)
    check_reduction(op, reduction)
    x = float_input(op, input)
    if x.ndim == 0:
        raise ValueError(f"{op}: the input needs a class dimension (its last), got a 0-d input")
    y = like_input(target, x)
    if y.dtype.kind in "iub":  # 0/1 labels: in the input's dtype (float32 stays float32)
        y = y.astype(x.dtype)
    parts = [x, y] if weight is None else [x, y, like_input(weight, x)]
    if broadcast(op, *parts) != x.shape:
        shapes = " and ".join(str(t.shape) for t in parts[1:])
        raise ValueError(
            f"{op}: target and weight shapes {shapes} must broadcast to input shape {x.shape}"
        )
    terms = -(y * x.log_sigmoid() + (1 - y) * (-x).log_sigmoid())
    if weight is not None:
        terms = terms * parts[2]
    return reduced(terms.sum(-1) / x.shape[-1], reduction)


def cosine_embedding_loss(
    input1: Any,
    input2: Any,
    target: Any,
    margin: float = 0.0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Cosine embedding loss: 1 - cos(x₁, x₂) where y = 1, max(0, cos - margin) where y = -1.

    cos = Σ x₁x₂ / √((Σ x₁² + ε)(Σ x₂² + ε)), PyTorch's formula with its ε = 10⁻¹² (rounded to
    float32, as PyTorch's constant), so a zero vector has cos = 0 and a finite gradient.
    Targets other than ±1 give 0. Vectors (N, D) take a target of shape (N,) (or one that
    broadcasts to it); single vectors (D,) take a 0-d target.

    Example:
        >>> from tinygrad_lite.margin_losses import cosine_embedding_loss
        >>> a, b = Tensor([[1.0, 0.0], [1.0, 1.0]]), Tensor([[0.0, 1.0], [1.0, 1.0]])
        >>> cosine_embedding_loss(a, b, [1.0, -1.0], reduction="none")
        Tensor([1., 1.])

    Raises:
        ValueError: a bad reduction, NaN margin, a target that is not 0-d or 1-D, inputs
            that are not 1-D (0-d target) or 2-D (1-D target), or shapes that do not broadcast.
        TypeError: integer inputs, or `size_average`/`reduce` given.
    """
    op = "cosine_embedding_loss"
    refuse_legacy(op, size_average, reduce)
    check_reduction(op, reduction)
    margin = check_margin(op, margin)
    a = float_input(op, input1, "input1")
    b = float_input(op, input2, "input2", a)
    y = like_input(target, a)
    if y.ndim > 1:
        raise ValueError(f"{op}: the target must be 0-d or 1-D, got shape {y.shape}")
    if a.ndim != y.ndim + 1 or b.ndim != y.ndim + 1:
        raise ValueError(
            f"{op}: a {y.ndim}-d target needs {y.ndim + 1}-D inputs, got shapes {a.shape} "
            f"and {b.shape}"
        )
    broadcast(op, a, b)
    d = y.ndim  # the vectors' dimension
    cos = (a * b).sum(d) / (((a * a).sum(d) + COSINE_EPS) * ((b * b).sum(d) + COSINE_EPS)).sqrt()
    broadcast(op, cos, y)
    terms = (1 - cos).where(y == 1, 0.0) + (cos - margin).clamp(min=0.0).where(y == -1, 0.0)
    return reduced(terms, reduction)


def triplet_margin_loss(
    anchor: Any,
    positive: Any,
    negative: Any,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Triplet loss max(0, margin + d(a, p) - d(a, n)), with d = `pairwise_distance`, reduced.

    d(x, y) = ‖x - y + ε‖_p over the last dimension, as PyTorch's. With `swap`, d(a, n) is
    replaced by min(d(a, n), d(p, n)) (ties share the gradient, as PyTorch's `min`). The three
    tensors have the same number of dimensions and broadcast together. The gradient passes at
    the kink.

    Example:
        >>> from tinygrad_lite.margin_losses import triplet_margin_loss
        >>> a, pos, neg = Tensor([[0.0, 0.0]]), Tensor([[3.0, 4.0]]), Tensor([[1.0, 0.0]])
        >>> triplet_margin_loss(a, pos, neg, eps=0.0)
        Tensor(5.)

    Raises:
        ValueError: a bad reduction, margin <= 0 (as PyTorch) or NaN, p <= 0 (PyTorch's p = 0
            count and negative p are not supported), NaN ε, differing numbers of dimensions or
            shapes that do not broadcast.
        TypeError: integer inputs, a `swap` that is not a bool, or `size_average`/`reduce`.
    """
    op = "triplet_margin_loss"
    refuse_legacy(op, size_average, reduce)
    check_reduction(op, reduction)
    margin = check_margin(op, margin, positive=True)
    p = check_p(op, p)
    eps = check_eps(op, eps, allow_negative=True)
    swap = check_flag(op, "swap", swap)
    a = float_input(op, anchor, "anchor")
    pos = float_input(op, positive, "positive", a)
    neg = float_input(op, negative, "negative", a)
    _same_ndim(op, "anchor, positive and negative", a, pos, neg)
    broadcast(op, a, pos, neg)
    d_pos = pairwise_distance(a, pos, p, eps)
    d_neg = pairwise_distance(a, neg, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(pos, neg, p, eps))
    return reduced((d_pos + margin - d_neg).clamp(min=0.0), reduction)


def _class_range(op: str, n_classes: int) -> Callable[[Any], None]:
    def check(t: Any) -> None:
        t = np.asarray(t)
        if t.size and (t.min() < 0 or t.max() >= n_classes):
            bad = t[(t < 0) | (t >= n_classes)]
            raise ValueError(
                f"{op}: target class indices must lie in [0, {n_classes}), got {int(bad.flat[0])}"
            )

    return check


def multi_margin_loss(
    input: Any,
    target: Any,
    p: int = 1,
    margin: float = 1.0,
    weight: Any = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge loss: per sample (1/C) Σ_{j ≠ y} w_y·max(0, margin - x_y + x_j)^p.

    For input (N, C) and integer targets (N,); a single sample (C,) (or a 0-d one, C = 1)
    takes a target of one element, 0-d or (1,), and "none" gives the target's shape. Only
    terms with margin - x_y + x_j > 0 count, so the gradient is 0 at the kink, as PyTorch's.
    "mean" divides by N (0 for an empty batch, as PyTorch).

    Example:
        >>> from tinygrad_lite.margin_losses import multi_margin_loss
        >>> multi_margin_loss(Tensor([[0.1, 0.2, 0.4]]), [2], reduction="none")
        Tensor([0.5])

    Raises:
        ValueError: a bad reduction, p not 1 or 2, NaN margin, an input of more than 2 or no
            classes, a target of the wrong shape or out of range, a weight not of shape (C,).
        TypeError: an integer input, float targets, or `size_average`/`reduce` given.
    """
    op = "multi_margin_loss"
    refuse_legacy(op, size_average, reduce)
    check_reduction(op, reduction)
    if isinstance(p, bool) or p not in (1, 2):
        raise ValueError(f"{op}: p must be 1 or 2, got {p!r}")
    margin = check_margin(op, margin)
    x = float_input(op, input)
    if x.ndim > 2 or 0 in x.shape[-1:]:
        raise ValueError(f"{op}: input must be (C,) or (N, C) with C >= 1, got shape {x.shape}")
    t = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold integer class indices, got dtype {t.dtype}")
    n, c = (x.shape[0], x.shape[1]) if x.ndim == 2 else (1, x.size)
    if (t.shape != (n,)) if x.ndim == 2 else (t.ndim > 1 or t.size != 1):
        raise ValueError(
            f"{op}: target must be of shape ({n},) for input shape {x.shape}, got {t.shape}"
        )
    check_values(_class_range(op, c), t)
    rows = x.reshape(n, c)
    chosen = Tensor(np.arange(c)) == t.reshape(n, 1)
    z = (margin - rows.where(chosen, 0.0).sum(1, keepdim=True)) + rows
    terms = z.where(z > 0, 0.0)
    if p == 2:
        terms = terms * terms
    if weight is not None:
        w = like_input(weight, x)
        if w.shape != (c,):
            raise ValueError(f"{op}: weight must be of shape ({c},), got {w.shape}")
        terms = terms * w.where(chosen, 0.0).sum(1, keepdim=True)
    # the target's own column is left out (0 even where a weight or a term is inf)
    losses = (terms.where(~chosen, 0.0).sum(1) / c).reshape(t.shape if x.ndim < 2 else (n,))
    if reduction == "mean" and n == 0:
        return losses.sum()
    return reduced(losses, reduction)
