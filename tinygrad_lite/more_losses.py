"""Multi-label hinge and custom-distance triplet losses as PyTorch's `F` and `nn`.

`multilabel_margin_loss` (`nn.MultiLabelMarginLoss`) and `triplet_margin_with_distance_loss`
(`nn.TripletMarginWithDistanceLoss`) are composed of differentiable ops and follow PyTorch's
arithmetic step by step, so values and gradients (of every order) agree with PyTorch's to
rounding. The target masks are computed with Tensor comparisons, so a compiled step that is
replayed with other targets reads the new ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .dist_layers import PairwiseDistance
from .distances import pairwise_distance
from .l1_loss_layers import Loss
from .loss_checks import (
    check_flag,
    check_margin,
    check_values,
    float_input,
    reduced,
    refuse_legacy,
)
from .ops.losses import check_reduction
from .tensor import Tensor

__all__ = [
    "MultiLabelMarginLoss",
    "TripletMarginWithDistanceLoss",
    "multilabel_margin_loss",
    "triplet_margin_with_distance_loss",
]


def _label_range(op: str, n_classes: int) -> Callable[[Any], None]:
    def check(t: Any) -> None:
        t = np.asarray(t)
        bad = t[(t < -1) | (t >= n_classes)]
        if bad.size:
            raise ValueError(
                f"{op}: target entries must be class indices in [0, {n_classes}) or the "
                f"padding -1, got {int(bad.flat[0])}"
            )

    return check


def multilabel_margin_loss(
    input: Any,
    target: Any,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-label hinge loss: per sample (1/C) Σ_{y ∈ Y} Σ_{j ∉ Y} max(0, 1 - (x_y - x_j)).

    Y is read from the sample's target row, class indices up to its first -1 (the rest of
    the row, which must still hold indices or -1, is ignored, as PyTorch's); an index given
    twice counts twice. Only terms with 1 - x_y + x_j > 0 count, so the gradient is 0 at the
    kink, as PyTorch's. Input (N, C) takes a target (N, C); a single sample (C,) (or 0-d,
    C = 1) a target of C elements with at most one dimension, and "none" then gives a 0-d
    loss. "mean" divides by N, and is refused for an empty batch (N = 0).

    Example:
        >>> from tinygrad_lite.more_losses import multilabel_margin_loss
        >>> multilabel_margin_loss(Tensor([[0.1, 0.2, 0.4, 0.8]]), [[3, 0, -1, 1]])
        Tensor(0.85)

    Raises:
        ValueError: a bad reduction, an input that is not 0-d, (C,) or (N, C) with C >= 1,
            a target of the wrong shape, entries outside [-1, C), or "mean" over N = 0.
        TypeError: an integer input, a target that is not integer, or `size_average`/`reduce`.
    """
    op = "multilabel_margin_loss"
    refuse_legacy(op, size_average, reduce)
    check_reduction(op, reduction)
    x = float_input(op, input)
    if x.ndim > 2 or 0 in x.shape[-1:]:
        raise ValueError(
            f"{op}: input must be 0-d, (C,) or (N, C) with C >= 1, got shape {x.shape}"
        )
    t = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold integer class indices, got dtype {t.dtype}")
    n, c = (x.shape[0], x.shape[1]) if x.ndim == 2 else (1, max(x.size, 1))
    if (t.shape != x.shape) if x.ndim == 2 else (t.ndim > 1 or t.size != c):
        raise ValueError(
            f"{op}: target must be of shape {(n, c) if x.ndim == 2 else (c,)} for input "
            f"shape {x.shape}, got {t.shape}"
        )
    if reduction == "mean" and n == 0:
        raise ValueError(f"{op}: reduction='mean' of an empty batch (input shape {x.shape})")
    check_values(_label_range(op, c), t)
    rows, labels = x.reshape(n, c), t.reshape(n, c)
    # slot k of a row holds a label while no -1 came at or before it
    listed = (labels == -1).long().cumsum(1) == 0  # (N, K)
    hit = labels.reshape(n, c, 1) == Tensor(np.arange(c)).reshape(1, 1, c)  # (N, K, C)
    is_label = (hit & listed.reshape(n, c, 1)).long().sum(1) > 0  # (N, C)
    x_label = rows.reshape(n, 1, c).where(hit, 0.0).sum(2)  # x_y for each slot (N, K)
    z = (1 - x_label).reshape(n, c, 1) + rows.reshape(n, 1, c)  # 1 - x_y + x_j
    counted = listed.reshape(n, c, 1) & ~is_label.reshape(n, 1, c) & (z > 0)
    losses = z.where(counted, 0.0).sum((1, 2)) / c
    if reduction == "none":
        return losses.reshape(() if t.ndim <= 1 else (n,))
    return reduced(losses, reduction)


def _distance(op: str, fn: Callable[[Tensor, Tensor], Any], a: Tensor, b: Tensor) -> Tensor:
    d = fn(a, b)
    if not isinstance(d, Tensor):
        raise TypeError(f"{op}: distance_function must return a Tensor, got {type(d).__name__}")
    return d


def triplet_margin_with_distance_loss(
    anchor: Any,
    positive: Any,
    negative: Any,
    *,
    distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """Triplet loss max(0, margin + d(a, p) - d(a, n)) with any distance d, reduced.

    d is `distance_function` (`pairwise_distance`, ‖x - y + 10⁻⁶‖₂ over the last dimension,
    when None) and gives one distance per triplet. With `swap`, d(a, n) is replaced by
    min(d(a, n), d(p, n)) (ties share the gradient, as PyTorch's `minimum`). The three
    tensors have the same number of dimensions. The gradient passes at the kink (PyTorch's
    `clamp_min`).

    Example:
        >>> from tinygrad_lite.more_losses import triplet_margin_with_distance_loss
        >>> a, pos, neg = Tensor([[0.0, 0.0]]), Tensor([[3.0, 4.0]]), Tensor([[1.0, 0.0]])
        >>> l1 = lambda u, v: (u - v).abs().sum(-1)
        >>> triplet_margin_with_distance_loss(a, pos, neg, distance_function=l1)
        Tensor(7.)

    Raises:
        ValueError: a bad reduction, margin <= 0 (as PyTorch) or NaN, or differing numbers
            of dimensions.
        TypeError: integer inputs, a `swap` that is not a bool, a `distance_function` that
            is not callable or does not return a Tensor.
    """
    op = "triplet_margin_with_distance_loss"
    check_reduction(op, reduction)
    margin = check_margin(op, margin, positive=True)
    swap = check_flag(op, "swap", swap)
    if distance_function is not None and not callable(distance_function):
        raise TypeError(
            f"{op}: distance_function must be callable or None, got "
            f"{type(distance_function).__name__}"
        )
    a = float_input(op, anchor, "anchor")
    pos = float_input(op, positive, "positive", a)
    neg = float_input(op, negative, "negative", a)
    if not a.ndim == pos.ndim == neg.ndim:
        raise ValueError(
            f"{op}: anchor, positive and negative must have the same number of dimensions, "
            f"got {a.ndim}-D, {pos.ndim}-D and {neg.ndim}-D inputs"
        )
    fn = pairwise_distance if distance_function is None else distance_function
    d_pos = _distance(op, fn, a, pos)
    d_neg = _distance(op, fn, a, neg)
    if swap:
        d_neg = d_neg.minimum(_distance(op, fn, pos, neg))
    return reduced((margin + d_pos - d_neg).clamp(min=0.0), reduction)


class MultiLabelMarginLoss(Loss):
    """Multi-label hinge loss (1/C) Σ_{y ∈ Y} Σ_{j ∉ Y} max(0, 1 - (x_y - x_j)) per sample.

    See `multilabel_margin_loss`; targets list each sample's classes, padded with -1.

    Example:
        >>> MultiLabelMarginLoss()(Tensor([[0.1, 0.2, 0.4, 0.8]]), [[3, 0, -1, 1]])
        Tensor(0.85)

    Args:
        reduction: "mean" (over samples), "sum" or "none".
    """

    def __init__(
        self, size_average: Any = None, reduce: Any = None, reduction: str = "mean"
    ) -> None:
        refuse_legacy("MultiLabelMarginLoss", size_average, reduce)
        super().__init__(reduction)

    def forward(self, input: Any, target: Any) -> Tensor:
        """Return the multi-label hinge loss of the scores `input` for the labels `target`."""
        return multilabel_margin_loss(input, target, reduction=self.reduction)


class TripletMarginWithDistanceLoss(Loss):
    """max(0, margin + d(a, p) - d(a, n)) with any distance d; see the function of that name.

    As PyTorch's, the default distance is a `PairwiseDistance()` submodule.

    Example:
        >>> loss = TripletMarginWithDistanceLoss(margin=2.0)
        >>> loss(Tensor([[0.0, 0.0]]), Tensor([[0.0, 1.0]]), Tensor([[0.0, 4.0]])).item()
        0.0

    Args:
        distance_function: maps two Tensors to their distances, or None for
            `PairwiseDistance()`.
        margin: > 0, by how much the negative must be farther than the positive.
        swap: use min(d(a, n), d(p, n)) for the negative's distance.
        reduction: "mean", "sum" or "none".
    """

    def __init__(
        self,
        *,
        distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
        margin: float = 1.0,
        swap: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction)
        op = "TripletMarginWithDistanceLoss"
        self.margin = check_margin(op, margin, positive=True)
        self.swap = check_flag(op, "swap", swap)
        if distance_function is not None and not callable(distance_function):
            raise TypeError(
                f"{op}: distance_function must be callable or None, got "
                f"{type(distance_function).__name__}"
            )
        self.distance_function: Callable[[Tensor, Tensor], Tensor] = (
            PairwiseDistance() if distance_function is None else distance_function
        )

    def forward(self, anchor: Any, positive: Any, negative: Any) -> Tensor:
        """Return the triplet loss of (`anchor`, `positive`, `negative`)."""
        return triplet_margin_with_distance_loss(
            anchor,
            positive,
            negative,
            distance_function=self.distance_function,
            margin=self.margin,
            swap=self.swap,
            reduction=self.reduction,
        )

    def extra_repr(self) -> str:
        """Return nothing, as PyTorch's (the distance shows as a submodule when it is one)."""
        return ""
