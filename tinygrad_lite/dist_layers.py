"""Distances and divergences as Modules: CosineSimilarity, PairwiseDistance, KLDivLoss (in `nn`)."""

from __future__ import annotations

from typing import Any

from . import distances
from .distances import check_dim, check_eps, check_kl_reduction, check_log_target, check_p
from .l1_loss_layers import Loss
from .loss_checks import refuse_legacy
from .module import Module
from .tensor import Tensor

__all__ = ["CosineSimilarity", "KLDivLoss", "PairwiseDistance"]


class CosineSimilarity(Module):
    """Cosine similarity along `dim`, x₁·x₂ / (max(‖x₁‖, ε)·max(‖x₂‖, ε)).

    See `distances.cosine_similarity`. As PyTorch's, its repr shows no settings.

    Args:
        dim: the dimension of the vectors, in the inputs' broadcast shape.
        eps: ε >= 0, the smallest norm divided by.
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = check_dim("CosineSimilarity", dim)
        self.eps = check_eps("CosineSimilarity", eps, allow_negative=False)

    def forward(self, x1: Any, x2: Any) -> Tensor:
        """Return the cosine similarity of `x1` and `x2` along `dim`."""
        return distances.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """The p-norm ‖x₁ - x₂ + ε‖_p over the last dimension; see `distances.pairwise_distance`.

    As in PyTorch, p is kept as `norm` and the repr shows no settings.

    Args:
        p: the norm's degree, > 0 or inf.
        eps: ε, added to every element of the difference.
        keepdim: keep the last dimension, with size 1.
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = check_p("PairwiseDistance", p)
        self.eps = check_eps("PairwiseDistance", eps, allow_negative=True)
        self.keepdim = bool(keepdim)

    def forward(self, x1: Any, x2: Any) -> Tensor:
        """Return the distances between `x1` and `x2`."""
        return distances.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class KLDivLoss(Loss):
    """Kullback-Leibler divergence of a target from log-probabilities; see `distances.kl_div`.

    Pointwise y·(ln y - x) (0 where y = 0), or e^y·(y - x) with `log_target`, reduced.

    Args:
        size_average: PyTorch's deprecated argument, refused unless None.
        reduce: PyTorch's deprecated argument, refused unless None.
        reduction: "mean" (over every element), "batchmean" (over the first dimension: the
            KL divergence per example), "sum" or "none".
        log_target: whether targets are log-probabilities.
    """

    def __init__(
        self,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
        log_target: bool = False,
    ) -> None:
        refuse_legacy("KLDivLoss", size_average, reduce)
        super().__init__()  # the base checks the three common reductions; this one is wider
        self.reduction = check_kl_reduction("KLDivLoss", reduction)
        self.log_target = check_log_target("KLDivLoss", log_target)

    def forward(self, input: Any, target: Any) -> Tensor:
        """Return the divergence of `target` from the distribution whose logs are `input`."""
        return distances.kl_div(input, target, self.reduction, self.log_target)

    def extra_repr(self) -> str:
        """Return the reduction and whether targets are logs."""
        return f"reduction={self.reduction!r}, log_target={self.log_target}"
