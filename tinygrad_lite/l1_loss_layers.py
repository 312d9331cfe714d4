"""The L1 family of regression losses as Modules: L1Loss, HuberLoss, SmoothL1Loss (in `nn`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import l1_losses
from .l1_losses import check_threshold
from .loss_checks import refuse_legacy
from .module import Module
from .ops.losses import check_reduction
from .tensor import Tensor

__all__ = ["HuberLoss", "L1Loss", "Loss", "SmoothL1Loss"]


class Loss(Module):
    """The base of the loss modules: `reduction` ("mean", "sum" or "none") is checked when made."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def extra_repr(self) -> str:
        """Return the reduction."""
        return f"reduction={self.reduction!r}"


class L1Loss(Loss):
    """Mean absolute error |x - y|, reduced; see `l1_losses.l1_loss`.

    Args:
        size_average: PyTorch's deprecated argument, refused unless None.
        reduce: PyTorch's deprecated argument, refused unless None.
        reduction: "mean" (over every element), "sum" or "none".
    """

    def __init__(
        self, size_average: Any = None, reduce: Any = None, reduction: str = "mean"
    ) -> None:
        refuse_legacy(type(self).__name__, size_average, reduce)
        super().__init__(reduction)

    def forward(self, input: Tensor | np.ndarray, target: Any) -> Tensor:
        """Return the absolute error of `input` against `target`."""
        return l1_losses.l1_loss(input, target, self.reduction)


class HuberLoss(Loss):
    """Huber loss: ½d² where |d| < δ, else δ(|d| - ½δ); see `l1_losses.huber_loss`.

    Args:
        reduction: "mean" (over every element), "sum" or "none".
        delta: δ > 0, where the loss turns from quadratic to linear.
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = check_threshold("HuberLoss", "delta", delta, allow_zero=False)

    def forward(self, input: Tensor | np.ndarray, target: Any) -> Tensor:
        """Return the Huber loss of `input` against `target`."""
        return l1_losses.huber_loss(input, target, self.reduction, self.delta)

    def extra_repr(self) -> str:
        """Return the reduction and δ."""
        return f"reduction={self.reduction!r}, delta={self.delta}"


class SmoothL1Loss(Loss):
    """Smooth L1: ½d²/β where |d| < β, else |d| - ½β; see `l1_losses.smooth_l1_loss`.

    Args:
        size_average: PyTorch's deprecated argument, refused unless None.
        reduce: PyTorch's deprecated argument, refused unless None.
        reduction: "mean" (over every element), "sum" or "none".
        beta: β >= 0, where the loss turns from quadratic to linear (0: the L1 loss).
    """

    def __init__(
        self,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
        beta: float = 1.0,
    ) -> None:
        refuse_legacy(type(self).__name__, size_average, reduce)
        super().__init__(reduction)
        self.beta = check_threshold("SmoothL1Loss", "beta", beta, allow_zero=True)

    def forward(self, input: Tensor | np.ndarray, target: Any) -> Tensor:
        """Return the smooth L1 loss of `input` against `target`."""
        return l1_losses.smooth_l1_loss(input, target, self.reduction, self.beta)

    def extra_repr(self) -> str:
        """Return the reduction and β."""
        return f"reduction={self.reduction!r}, beta={self.beta}"
