"""More of PyTorch's schedules: linear and constant warm-ups, multiplicative, polynomial, SGDR."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from ..tracing import traced_call
from .lr_scheduler import LRScheduler, lambdas_per_group
from .optimizer import Optimizer
from .param_group import _count, _number

__all__ = [
    "ConstantLR",
    "CosineAnnealingWarmRestarts",
    "LinearLR",
    "MultiplicativeLR",
    "PolynomialLR",
]


class LinearLR(LRScheduler):
    r"""Multiply each group's lr by a factor moving linearly from `start_factor` to `end_factor`.

    lr_e = lr_0·(s + (f − s)·min(e, T)/T) for s the start factor, f the end factor and T
    `total_iters`, computed as PyTorch does: the current lr times s at epoch 0, then times
    1 + (f − s)/(T·s + (e − 1)(f − s)) at each epoch 1 ≤ e ≤ T, and unchanged afterwards (so an
    lr changed by hand between steps is followed, and the values equal PyTorch's, except that
    a decay to f = 0 ends at 0 where PyTorch's rounding may leave −1e-17). A common warm-up:
    `LinearLR(opt, start_factor=0.1, total_iters=5)`.

    Args:
        optimizer: the optimizer.
        last_epoch: the epoch to resume after (see `LRScheduler`), or -1 to start.
        start_factor: s, in (0, 1].
        end_factor: f, in [0, 1].
        total_iters: T, the epochs the change takes, >= 0.
    """

    settings = ("start_factor", "end_factor", "total_iters")

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        checked = self._check_settings(
            start_factor=start_factor, end_factor=end_factor, total_iters=total_iters
        )
        self.start_factor: float = checked["start_factor"]
        self.end_factor: float = checked["end_factor"]
        self.total_iters: int = checked["total_iters"]
        super().__init__(optimizer, last_epoch)

    def _check_settings(self, **settings: Any) -> dict[str, Any]:
        start = _number("LinearLR", "start_factor", settings["start_factor"], gt=0)
        end = _number("LinearLR", "end_factor", settings["end_factor"], ge=0)
        if start > 1:
            raise ValueError(f"LinearLR: start_factor must lie in (0, 1], got {start}")
        if end > 1:
            raise ValueError(f"LinearLR: end_factor must lie in [0, 1], got {end}")
        total = _count("LinearLR", "total_iters", settings["total_iters"], 0)
        return {"start_factor": start, "end_factor": end, "total_iters": total}

    def _lrs(self) -> list[float]:
        groups = self.optimizer.param_groups
        e, s, f, t = self.last_epoch, self.start_factor, self.end_factor, self.total_iters
        if e == 0:
            return [g["lr"] * s for g in groups]
        if e > t or self._initial:
            return [g["lr"] for g in groups]
        factor = 1.0 + (f - s) / (t * s + (e - 1) * (f - s))
        # Where the factor reaches 0 its rounding may leave it a few ulps below (PyTorch then
        # sets an lr of about −1e-17): the lr is 0 there.
        return [max(g["lr"] * factor, 0.0) for g in groups]

    def _restart_lrs(self) -> list[float]:
        """The lrs at epoch 0 from the base lrs (PyTorch's closed form, as SequentialLR uses)."""
        s, f, t = self.start_factor, self.end_factor, self.total_iters
        if t == 0:
            raise ValueError("LinearLR: total_iters is 0, so it has no closed form to restart from")
        return [base * (s + (f - s) * min(t, self.last_epoch) / t) for base in self.base_lrs]


class ConstantLR(LRScheduler):
    """Multiply each group's lr by `factor` until epoch `total_iters`, then restore it.

    lr_e = lr_0·factor for e < total_iters and lr_0 from then on, computed as PyTorch does:
    the current lr times factor at epoch 0 and divided by it (times 1/factor) at epoch
    total_iters, so an lr changed by hand between steps is followed.

    Args:
        optimizer: the optimizer.
        last_epoch: the epoch to resume after (see `LRScheduler`), or -1 to start.
        factor: in [0, 1]; 0 only with total_iters 0 (the lr could not be restored from 0).
        total_iters: the epochs at the reduced lr, >= 0.
    """

    settings = ("factor", "total_iters")

    def __init__(
        self,
        optimizer: Optimizer,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        checked = self._check_settings(factor=factor, total_iters=total_iters)
        self.factor: float = checked["factor"]
        self.total_iters: int = checked["total_iters"]
        super().__init__(optimizer, last_epoch)

    def _check_settings(self, **settings: Any) -> dict[str, Any]:
        factor = _number("ConstantLR", "factor", settings["factor"], ge=0)
        if factor > 1:
            raise ValueError(f"ConstantLR: factor must lie in [0, 1], got {factor}")
        total = _count("ConstantLR", "total_iters", settings["total_iters"], 0)
        if factor == 0 and total > 0:
            raise ValueError(
                f"ConstantLR: factor 0 with total_iters={total}: the lr could not be restored "
                "from 0 at total_iters (PyTorch divides by the factor)"
            )
        return {"factor": factor, "total_iters": total}

    def _lrs(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self.last_epoch == 0:
            return [g["lr"] * self.factor for g in groups]
        if self.last_epoch != self.total_iters:
            return [g["lr"] for g in groups]
        return [g["lr"] * (1.0 / self.factor) for g in groups]

    def _restart_lrs(self) -> list[float]:
        """The lrs at epoch 0 from the base lrs (PyTorch's closed form, as SequentialLR uses)."""
        done = self.last_epoch >= self.total_iters
        return [base * (self.factor + done * (1 - self.factor)) for base in self.base_lrs]


class MultiplicativeLR(LRScheduler):
    """Multiply each group's lr by a function of the epoch at every epoch after the first.

    lr_e = lr_{e−1}·λ(e) for e >= 1 (PyTorch's MultiplicativeLR), from the current lr, so an
    lr changed by hand between steps is followed. The functions are not saved by
    `state_dict`.

    Args:
        optimizer: the optimizer.
        last_epoch: the epoch to resume after (see `LRScheduler`), or -1 to start.
        lr_lambda: λ, a function of the epoch (an int >= 1) giving a factor, or a list of one
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
        self.lr_lambdas = lambdas_per_group("MultiplicativeLR", optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def _factors(self) -> list[float]:
        e = self.last_epoch
        return [_number("MultiplicativeLR", f"lr_lambda({e})", f(e)) for f in self.lr_lambdas]

    def _lrs(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self.last_epoch == 0 or self._initial:
            return [g["lr"] for g in groups]
        return [g["lr"] * k for g, k in zip(groups, self._factors(), strict=True)]

    def _restart_lrs(self) -> list[float]:
        """The lrs PyTorch gives when SequentialLR restarts it at epoch 0: lr·λ(0)."""
        groups = self.optimizer.param_groups
        return [g["lr"] * k for g, k in zip(groups, self._factors(), strict=True)]


class PolynomialLR(LRScheduler):
    r"""Decay each group's lr to 0 over `total_iters` epochs along a polynomial.

    lr_e = lr_0·(1 − min(e, T)/T)^power for T `total_iters`, computed as PyTorch does: the
    current lr times ((1 − e/T)/(1 − (e − 1)/T))^power at each epoch 1 ≤ e ≤ T, unchanged
    afterwards (so an lr changed by hand between steps is followed).

    Args:
        optimizer: the optimizer.
        last_epoch: the epoch to resume after (see `LRScheduler`), or -1 to start.
        total_iters: T, the epochs of the decay, >= 0.
        power: the power of the polynomial, >= 0.
    """

    settings = ("total_iters", "power")

    def __init__(
        self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1
    ) -> None:
        checked = self._check_settings(total_iters=total_iters, power=power)
        self.total_iters: int = checked["total_iters"]
        self.power: float = checked["power"]
        super().__init__(optimizer, last_epoch)

    def _check_settings(self, **settings: Any) -> dict[str, Any]:
        return {
            "total_iters": _count("PolynomialLR", "total_iters", settings["total_iters"], 0),
            "power": _number("PolynomialLR", "power", settings["power"], ge=0),
        }

    def _lrs(self) -> list[float]:
        groups = self.optimizer.param_groups
        e, t = self.last_epoch, self.total_iters
        if e == 0 or e > t or self._initial:
            return [g["lr"] for g in groups]
        decay_factor = ((1.0 - e / t) / (1.0 - (e - 1) / t)) ** self.power
        return [g["lr"] * decay_factor for g in groups]

    def _restart_lrs(self) -> list[float]:
        """The lrs at epoch 0 from the base lrs (PyTorch's closed form, as SequentialLR uses)."""
        t = self.total_iters
        if t == 0:
            raise ValueError(
                "PolynomialLR: total_iters is 0, so it has no closed form to restart from"
            )
        factor = (1.0 - min(t, self.last_epoch) / t) ** self.power
        return [base * factor for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter; PyTorch's).

    lr = η_min + ½(lr_0 − η_min)(1 + cos(π·T_cur/T_i)), where T_cur counts the epochs since
    the last restart and T_i, the length of the current period, starts at T_0 and is
    multiplied by T_mult at each restart. `step()` adds one epoch; `step(epoch)` jumps to an
    epoch, which may be fractional (`step(epoch + i / iters)` after batch i), computed as
    PyTorch does.

    Args:
        optimizer: the optimizer.
        last_epoch: the epoch to resume after (see `LRScheduler`), or -1 to start.
        T_0: the epochs until the first restart, >= 1.
        T_mult: the factor of the period after each restart, an int >= 1.
        eta_min: the lowest lr, >= 0.
    """

    settings = ("T_0", "T_mult", "eta_min", "T_i", "T_cur")

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,  # noqa: N803 - PyTorch's name
        T_mult: int = 1,  # noqa: N803
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        checked = self._check_settings(T_0=T_0, T_mult=T_mult, eta_min=eta_min, T_i=T_0, T_cur=0)
        self.T_0: int = checked["T_0"]
        self.T_mult: int = checked["T_mult"]
        self.eta_min: float = checked["eta_min"]
        self.T_i: int = self.T_0
        # PyTorch's T_cur = last_epoch: the constructor's step then moves one epoch on (-1: to 0).
        self.T_cur: float = _count("CosineAnnealingWarmRestarts", "last_epoch", last_epoch, -1)
        super().__init__(optimizer, last_epoch)

    def _check_settings(self, **settings: Any) -> dict[str, Any]:
        name = "CosineAnnealingWarmRestarts"
        return {
            "T_0": _count(name, "T_0", settings["T_0"], 1),
            "T_mult": _count(name, "T_mult", settings["T_mult"], 1),
            "eta_min": _number(name, "eta_min", settings["eta_min"], ge=0),
            "T_i": _count(name, "T_i", settings["T_i"], 1),
            "T_cur": _number(name, "T_cur", settings["T_cur"], ge=0),
        }

    def _lrs(self) -> list[float]:
        low = self.eta_min
        wave = 1 + math.cos(math.pi * self.T_cur / self.T_i)
        return [low + (base - low) * wave / 2 for base in self.base_lrs]

    @traced_call
    def step(self, epoch: float | None = None) -> None:
        """Move to the next epoch, or to `epoch` (>= 0, may be fractional), and set the lrs.

        Raises:
            ValueError: `epoch` is negative, or as `LRScheduler.step` (nothing changes).
        """
        name = "CosineAnnealingWarmRestarts"
        before = (self.last_epoch, self.T_cur, self.T_i)
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            epoch = _number(name, "epoch", epoch, ge=0)
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log((epoch / self.T_0 * (self.T_mult - 1) + 1), self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult**n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        # The base step adds one to last_epoch: start it from the epoch before this one.
        self.last_epoch = math.floor(epoch) - 1
        try:
            super().step()
        except BaseException:
            self.last_epoch, self.T_cur, self.T_i = before
            raise
