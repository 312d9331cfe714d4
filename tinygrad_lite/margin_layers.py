"""Margin, embedding and likelihood losses as Modules, with PyTorch's `nn` names and arguments.

Each Module checks its settings when made and calls its function in `margin_losses` or
`nll_losses`. Class weights are buffers (in `state_dict()`, as PyTorch's). PyTorch's deprecated
`size_average` and `reduce` keep their places and are refused unless None.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import margin_losses as ml
from . import nll_losses
from .distances import check_eps, check_p
from .l1_loss_layers import Loss
from .loss_checks import check_flag, check_margin, refuse_legacy
from .tensor import Tensor

__all__ = [
    "CosineEmbeddingLoss",
    "GaussianNLLLoss",
    "HingeEmbeddingLoss",
    "MarginRankingLoss",
    "MultiLabelSoftMarginLoss",
    "MultiMarginLoss",
    "PoissonNLLLoss",
    "SoftMarginLoss",
    "TripletMarginLoss",
]


class _LegacyLoss(Loss):
    """A loss whose constructor takes PyTorch's deprecated `size_average` and `reduce`."""

    def __init__(self, size_average: Any, reduce: Any, reduction: str) -> None:
        refuse_legacy(type(self).__name__, size_average, reduce)
        super().__init__(reduction)


class _MarginLoss(_LegacyLoss):
    """A loss with a margin, shown in its repr."""

    margin: float

    def extra_repr(self) -> str:
        """Return the margin and the reduction."""
        return f"margin={self.margin}, reduction={self.reduction!r}"


def _weight_buffer(weight: Any) -> Tensor | None:
    """A class weight as a Tensor without gradient (arrays and lists become float64)."""
    if weight is None or isinstance(weight, Tensor):
        return weight
    return Tensor(np.asarray(weight, dtype=np.float64))


class MarginRankingLoss(_MarginLoss):
    """max(0, -y·(x₁ - x₂) + margin), reduced; see `margin_losses.margin_ranking_loss`.

    Example:
        >>> MarginRankingLoss(0.5)(Tensor([1.0]), Tensor([1.5]), [1.0])
        Tensor(1.)

    Args:
        margin: how far x₁ must rank above x₂ (y = 1) or below it (y = -1).
        reduction: "mean", "sum" or "none".
    """

    def __init__(
        self,
        margin: float = 0.0,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = check_margin("MarginRankingLoss", margin)

    def forward(self, input1: Any, input2: Any, target: Any) -> Tensor:
        """Return the ranking loss of the pairs (`input1`, `input2`) under `target`."""
        return ml.margin_ranking_loss(input1, input2, target, self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_MarginLoss):
    """x where y = 1, max(0, margin - x) where y = -1; see `margin_losses.hinge_embedding_loss`.

    Example:
        >>> HingeEmbeddingLoss(reduction="none")(Tensor([0.25, 2.0]), [-1.0, 1.0])
        Tensor([0.75, 2.  ])

    Args:
        margin: the distance below which dissimilar pairs (y = -1) are penalised.
        reduction: "mean", "sum" or "none".
    """

    def __init__(
        self,
        margin: float = 1.0,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = check_margin("HingeEmbeddingLoss", margin)

    def forward(self, input: Any, target: Any) -> Tensor:
        """Return the hinge embedding loss of the distances `input` under `target`."""
        return ml.hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class SoftMarginLoss(_LegacyLoss):
    """ln(1 + e^(-y·x)), reduced; see `margin_losses.soft_margin_loss`.

    Example:
        >>> SoftMarginLoss(reduction="sum")(Tensor([0.0, 0.0]), [1.0, -1.0])
        Tensor(1.38629436)

    Args:
        reduction: "mean", "sum" or "none".
    """

    def __init__(
        self, size_average: Any = None, reduce: Any = None, reduction: str = "mean"
    ) -> None:
        super().__init__(size_average, reduce, reduction)

    def forward(self, input: Any, target: Any) -> Tensor:
        """Return the soft margin loss of the scores `input` for targets ±1."""
        return ml.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_LegacyLoss):
    """The class mean of w·BCE(σ(x), y) per sample; see `multilabel_soft_margin_loss`.

    Example:
        >>> MultiLabelSoftMarginLoss(weight=[2.0, 0.0])(Tensor([[0.0, 5.0]]), [[1.0, 0.0]])
        Tensor(0.69314718)

    Args:
        weight: class weights (C,) (a buffer), or None.
        reduction: "mean" (over samples), "sum" or "none".
    """

    def __init__(
        self,
        weight: Any = None,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _weight_buffer(weight))

    def forward(self, input: Any, target: Any) -> Tensor:
        """Return the multi-label loss of the scores `input` for 0/1 targets."""
        return ml.multilabel_soft_margin_loss(input, target, self.weight, reduction=self.reduction)


class CosineEmbeddingLoss(_MarginLoss):
    """1 - cos where y = 1, max(0, cos - margin) where y = -1; see `cosine_embedding_loss`.

    Example:
        >>> CosineEmbeddingLoss()(Tensor([[1.0, 0.0]]), Tensor([[0.0, 2.0]]), [1.0])
        Tensor(1.)

    Args:
        margin: the similarity above which dissimilar pairs (y = -1) are penalised.
        reduction: "mean", "sum" or "none".
    """

    def __init__(
        self,
        margin: float = 0.0,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = check_margin("CosineEmbeddingLoss", margin)

    def forward(self, input1: Any, input2: Any, target: Any) -> Tensor:
        """Return the cosine embedding loss of the pairs (`input1`, `input2`) under `target`."""
        return ml.cosine_embedding_loss(
            input1, input2, target, self.margin, reduction=self.reduction
        )


class TripletMarginLoss(_MarginLoss):
    """max(0, margin + d(a, p) - d(a, n)), reduced; see `margin_losses.triplet_margin_loss`.

    Example:
        >>> loss = TripletMarginLoss(margin=1.0, eps=0.0)
        >>> loss(Tensor([[0.0, 0.0]]), Tensor([[3.0, 4.0]]), Tensor([[1.0, 0.0]]))
        Tensor(5.)

    Args:
        margin: > 0, by how much the negative must be farther than the positive.
        p: the norm's degree, > 0 or inf.
        eps: ε, added to each difference before its norm.
        swap: use min(d(a, n), d(p, n)) for the negative's distance.
        reduction: "mean", "sum" or "none".
    """

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        op = "TripletMarginLoss"
        self.margin = check_margin(op, margin, positive=True)
        self.p = check_p(op, p)
        self.eps = check_eps(op, eps, allow_negative=True)
        self.swap = check_flag(op, "swap", swap)

    def forward(self, anchor: Any, positive: Any, negative: Any) -> Tensor:
        """Return the triplet loss of (`anchor`, `positive`, `negative`)."""
        return ml.triplet_margin_loss(
            anchor,
            positive,
            negative,
            self.margin,
            self.p,
            self.eps,
            self.swap,
            reduction=self.reduction,
        )

    def extra_repr(self) -> str:
        """Return the margin, p, ε, swap and the reduction."""
        return (
            f"margin={self.margin}, p={self.p}, eps={self.eps}, swap={self.swap}, "
            f"reduction={self.reduction!r}"
        )


class PoissonNLLLoss(_LegacyLoss):
    """Poisson negative log-likelihood e^x - y·x (or λ - y·ln(λ + ε)); see `poisson_nll_loss`.

    Example:
        >>> PoissonNLLLoss()(Tensor([0.0]), [3.0])
        Tensor(1.)

    Args:
        log_input: inputs are log-rates (else rates).
        full: add the Stirling term of ln y! where y > 1.
        eps: ε, added to rates before their logarithm (without `log_input`).
        reduction: "mean", "sum" or "none".
    """

    def __init__(
        self,
        log_input: bool = True,
        full: bool = False,
        size_average: Any = None,
        eps: float = 1e-8,
        reduce: Any = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        op = "PoissonNLLLoss"
        self.log_input = check_flag(op, "log_input", log_input)
        self.full = check_flag(op, "full", full)
        self.eps = check_eps(op, eps, allow_negative=True)

    def forward(self, log_input: Any, target: Any) -> Tensor:
        """Return the Poisson negative log-likelihood of the counts `target`."""
        return nll_losses.poisson_nll_loss(
            log_input, target, self.log_input, self.full, eps=self.eps, reduction=self.reduction
        )

    def extra_repr(self) -> str:
        """Return log_input, full, ε and the reduction."""
        return (
            f"log_input={self.log_input}, full={self.full}, eps={self.eps}, "
            f"reduction={self.reduction!r}"
        )


class GaussianNLLLoss(Loss):
    """Gaussian negative log-likelihood ½(ln σ² + (x - y)²/σ²); see `gaussian_nll_loss`.

    Example:
        >>> GaussianNLLLoss()(Tensor([1.0, 3.0]), [1.0, 1.0], Tensor([1.0, 1.0]))
        Tensor(1.)

    Args:
        full: add the constant ½ln(2π).
        eps: ε, the smallest variance used (the clamp is not differentiated).
        reduction: "mean", "sum" or "none".
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.full = check_flag("GaussianNLLLoss", "full", full)
        self.eps = check_eps("GaussianNLLLoss", eps, allow_negative=True)

    def forward(self, input: Any, target: Any, var: Any) -> Tensor:
        """Return the negative log-likelihood of `target` under N(`input`, `var`)."""
        return nll_losses.gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)

    def extra_repr(self) -> str:
        """Return full, ε and the reduction."""
        return f"full={self.full}, eps={self.eps}, reduction={self.reduction!r}"


class MultiMarginLoss(_MarginLoss):
    """Multi-class hinge loss (1/C) Σ_{j ≠ y} w_y·max(0, margin - x_y + x_j)^p.

    See `margin_losses.multi_margin_loss`.

    Example:
        >>> MultiMarginLoss()(Tensor([[0.1, 0.2, 0.4]]), [2])
        Tensor(0.5)

    Args:
        p: 1 or 2, the power of each hinge.
        margin: the margin the target's score must win by.
        weight: class weights (C,) (a buffer), or None.
        reduction: "mean" (over samples), "sum" or "none".
    """

    def __init__(
        self,
        p: int = 1,
        margin: float = 1.0,
        weight: Any = None,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        if isinstance(p, bool) or p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: p must be 1 or 2, got {p!r}")
        self.p = int(p)
        self.margin = check_margin("MultiMarginLoss", margin)
        self.register_buffer("weight", _weight_buffer(weight))

    def forward(self, input: Any, target: Any) -> Tensor:
        """Return the multi-class hinge loss of the scores `input` for class indices `target`."""
        return ml.multi_margin_loss(
            input, target, self.p, self.margin, self.weight, reduction=self.reduction
        )

    def extra_repr(self) -> str:
        """Return p, the margin and the reduction."""
        return f"p={self.p}, margin={self.margin}, reduction={self.reduction!r}"
