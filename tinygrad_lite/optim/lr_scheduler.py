"""Learning-rate schedules: step, multi-step, exponential, cosine, lambda, inverse-time, plateau."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .optimizer import Optimizer
from .param_group import _count, _number
from .plateau import ReduceLROnPlateau
from .sched_base import LRScheduler
from .sched_base import _resume_check as _resume_check  # (cyclic imports it from here)

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "InverseTimeLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]


class StepLR(LRScheduler):
    """Multiply each group's lr by `gamma` every `step_size` epochs (PyTorch's StepLR).

    lr_e = lr_0·γ^⌊e / step_size⌋, computed as PyTorch does: the current lr times γ at
    every epoch e > 0 that is a multiple of `step_size` (so an lr changed by hand between
    steps is followed).

    Args:
        optimizer: the optimizer.
        last_epoch: the epoch to resume after (see `LRScheduler`), or -1 to start.
        step_size: epochs between two decays, >= 1.
        gamma: the factor, > 0.
    """

    settings = ("step_size", "gamma")

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        checked = self._check_settings(step_size=step_size, gamma=gamma)
        self.step_size: int = checked["step_size"]
        self.gamma: float = checked["gamma"]
        super().__init__(optimizer, last_epoch)

    def _check_settings(self, **settings: Any) -> dict[str, Any]:
        return {
            "step_size": _count("StepLR", "step_size", settings["step_size"], 1),
            "gamma": _number("StepLR", "gamma", settings["gamma"], gt=0),
        }

    def _lrs(self) -> list[float]:
        groups = self.optimizer.param_groups
        e = self.last_epoch
        if e == 0 or e % self.step_size != 0:
            return [g["lr"] for g in groups]
        return [g["lr"] * self.gamma for g in groups]


class MultiStepLR(LRScheduler):
    """Multiply each group's lr by `gamma` at each milestone epoch (PyTorch's MultiStepLR).

    lr_e = lr_0·γ^(number of milestones ≤ e), computed as PyTorch does: the current lr times
    γ^k at an epoch that appears k times among the milestones.

    Args:
        optimizer: the optimizer.
        last_epoch: the epoch to resume after (see `LRScheduler`), or -1 to start.
        milestones: epochs (ints >= 0, in any order, repeats counted) at which the lr decays.
        gamma: the factor, > 0.
    """

    settings = ("milestones", "gamma")

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Sequence[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        checked = self._check_settings(milestones=milestones, gamma=gamma)
        self.milestones: np.ndarray = checked["milestones"]
        self.gamma: float = checked["gamma"]
        super().__init__(optimizer, last_epoch)

    def _check_settings(self, **settings: Any) -> dict[str, Any]:
        raw = settings["milestones"]
        if isinstance(raw, (str, bytes)) or not hasattr(raw, "__iter__"):
            raise TypeError(f"MultiStepLR: milestones must be a sequence of ints, got {raw!r}")
        epochs = [_count("MultiStepLR", "a milestone", m, 0) for m in raw]
        return {
            "milestones": np.array(sorted(epochs), dtype=np.int64),
            "gamma": _number("MultiStepLR", "gamma", settings["gamma"], gt=0),
        }

    def _lrs(self) -> list[float]:
        groups = self.optimizer.param_groups
        k = int(np.count_nonzero(self.milestones == self.last_epoch))
        if k == 0:
            return [g["lr"] for g in groups]
        return [g["lr"] * self.gamma**k for g in groups]


class CosineAnnealingLR(LRScheduler):
    """The lr follows half a cosine from the base lr down to `eta_min` over `T_max` epochs.

    lr_e = η_min + ½(lr_0 − η_min)(1 + cos(π·e / T_max)), rising again after T_max as the
    cosine does, computed with PyTorch's recurrence (each epoch's lr from the current one, so
    an lr changed by hand between steps is followed, and the values equal PyTorch's).

    Args:
        optimizer: the optimizer.
        last_epoch: the epoch to resume after (see `LRScheduler`), or -1 to start.
        T_max: epochs from the base lr to `eta_min`, >= 1.
        eta_min: the lowest lr, >= 0.
    """

    settings = ("T_max", "eta_min")

    def __init__(
        self,
        optimizer: Optimizer,
        T_max: int,  # noqa: N803 - PyTorch's name
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        checked = self._check_settings(T_max=T_max, eta_min=eta_min)
        self.T_max: int = checked["T_max"]
        self.eta_min: float = checked["eta_min"]
        super().__init__(optimizer, last_epoch)

    def _check_settings(self, **settings: Any) -> dict[str, Any]:
        return {
            "T_max": _count("CosineAnnealingLR", "T_max", settings["T_max"], 1),
            "eta_min": _number("CosineAnnealingLR", "eta_min", settings["eta_min"], ge=0),
        }

    def _lrs(self) -> list[float]:
        groups = self.optimizer.param_groups
        e, t, low = self.last_epoch, self.T_max, self.eta_min
        if e == 0 or self._initial:
            return [g["lr"] for g in groups]
        if (e - 1 - t) % (2 * t) == 0:  # the bottom: the recurrence below would divide by 0
            rise = 1 - math.cos(math.pi / t)  # PyTorch's order: lr + (base − η)·rise / 2
            bases = zip(self.base_lrs, groups, strict=True)
            return [g["lr"] + (base - low) * rise / 2 for base, g in bases]
        ratio = (1 + math.cos(math.pi * e / t)) / (1 + math.cos(math.pi * (e - 1) / t))
        return [ratio * (g["lr"] - low) + low for g in groups]


class ExponentialLR(LRScheduler):
    """Multiply each group's lr by `gamma` every epoch (PyTorch's ExponentialLR).

    lr_e = lr_0·γ^e, computed as PyTorch does: the current lr times γ at every epoch e > 0.

    Args:
        optimizer: the optimizer.
        last_epoch: the epoch to resume after (see `LRScheduler`), or -1 to start.
        gamma: the factor, > 0.
    """

    settings = ("gamma",)

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma: float = self._check_settings(gamma=gamma)["gamma"]
        super().__init__(optimizer, last_epoch)

    def _check_settings(self, **settings: Any) -> dict[str, Any]:
        return {"gamma": _number("ExponentialLR", "gamma", settings["gamma"], gt=0)}

    def _lrs(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self.last_epoch == 0 or self._initial:
            return [g["lr"] for g in groups]
        return [g["lr"] * self.gamma for g in groups]


def lambdas_per_group(
    who: str,
    optimizer: Optimizer,
    lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
) -> list[Callable[[int], float]]:
    """One function per parameter group: the list given, or the one function for every group.

    Raises:
        TypeError: a function is not callable.
        ValueError: a list does not have one function per group.
    """
    n = len(optimizer.param_groups) if isinstance(optimizer, Optimizer) else 0
    fns: list[Any] = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
    if not all(callable(f) for f in fns):
        raise TypeError(f"{who}: lr_lambda must be callable, got {lr_lambda!r}")
    if isinstance(lr_lambda, (list, tuple)) and len(fns) != n:
        raise ValueError(f"{who}: got {len(fns)} functions for {n} parameter groups")
    return fns


class LambdaLR(LRScheduler):
    """Each group's lr is its base lr times a function of the epoch (PyTorch's LambdaLR).

    lr_e = lr_0·λ(e). The functions are not saved by `state_dict`.

    Args:
        optimizer: the optimizer.
        last_epoch: the epoch to resume after (see `LRScheduler`), or -1 to start.
        lr_lambda: λ, a function of the epoch (an int >= 0) giving a factor, or a list of one
            such function per parameter group.

    Raises:
        TypeError: `lr_lambda` is not callable (or a list of callables).
        ValueError: a list does not have one function per group.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        self.lr_lambdas = lambdas_per_group("LambdaLR", optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def _lrs(self) -> list[float]:
        return [
            base * _number("LambdaLR", f"lr_lambda({self.last_epoch})", f(self.last_epoch))
            for base, f in zip(self.base_lrs, self.lr_lambdas, strict=True)
        ]


class InverseTimeLR(LRScheduler):
    r"""The course's learning-rate decay: α_e = α₀ / (1 + k·⌊e / time_interval⌋).

    With `time_interval` 1 (the default) this is the course's `update_lr`,
    α₀ / (1 + decay_rate·epoch); with `time_interval` T it is its staircase form
    `schedule_lr_decay`, the lr held for T epochs at a time. Both are computed with the course's
    expression, so the lrs equal its values bit for bit.

    The course's training loop updates the lr *after* epoch e from e itself, so its epoch
    e >= 1 trains with α_{e−1} (and epoch 0 with α₀): to replay it, call `step()` at the end of
    every epoch except the first.

    Args:
        optimizer: the optimizer (each group's base lr is its α₀: its lr when the first
            scheduler for the optimizer was made, normally its current lr).
        decay_rate: k >= 0.
        time_interval: T, epochs between two decays, >= 1.
        last_epoch: the epoch to resume after (see `LRScheduler`), or -1 to start.
    """

    settings = ("decay_rate", "time_interval")

    def __init__(
        self, optimizer: Optimizer, decay_rate: float, time_interval: int = 1, last_epoch: int = -1
    ) -> None:
        checked = self._check_settings(decay_rate=decay_rate, time_interval=time_interval)
        self.decay_rate: float = checked["decay_rate"]
        self.time_interval: int = checked["time_interval"]
        super().__init__(optimizer, last_epoch)

    def _check_settings(self, **settings: Any) -> dict[str, Any]:
        return {
            "decay_rate": _number("InverseTimeLR", "decay_rate", settings["decay_rate"], ge=0),
            "time_interval": _count("InverseTimeLR", "time_interval", settings["time_interval"], 1),
        }

    def _lrs(self) -> list[float]:
        k = math.floor(self.last_epoch / self.time_interval)
        return [base / (1 + self.decay_rate * k) for base in self.base_lrs]


# These schedules are built on LRScheduler and the ones above, in modules of their own:
# imported after them.
from .chained import ChainedScheduler, SequentialLR  # noqa: E402
from .cyclic import CyclicLR, OneCycleLR  # noqa: E402
from .schedules import (  # noqa: E402
    ConstantLR,
    CosineAnnealingWarmRestarts,
    LinearLR,
    MultiplicativeLR,
    PolynomialLR,
)
