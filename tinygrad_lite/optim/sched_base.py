"""The base of the learning-rate schedules: LRScheduler, its step, state dict and resumption."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from ..tracing import traced_call
from .optimizer import Optimizer
from .param_group import _count, _number

__all__ = ["LRScheduler"]


class LRScheduler:
    """Base class: at every `step()` the epoch count goes up by one and each group's lr is set.

    PyTorch's protocol: the constructor takes each group's base lr and takes the first step
    (epoch 0). The base lr is the group's lr when the first scheduler for this optimizer was
    made (PyTorch's `initial_lr`, kept on the group), so a schedule made later, after another
    has changed the lr, starts from the same base. It is not part of the optimizer's state
    dict: after loading a checkpoint, load the scheduler's state too (its `base_lrs`). Call
    `step()` once at the end of every epoch, after the optimizer's
    steps, so that epoch e trains with the lr of epoch e. A subclass computes the lrs of
    `last_epoch` in `_lrs` and names its numeric settings in `settings` (saved by `state_dict`).

    `last_epoch` >= 0 resumes a schedule, as in PyTorch: every group must then have its base
    lr already (`initial_lr`, set by an earlier scheduler made with the default -1), and the
    constructor's step moves to `last_epoch + 1`; the schedules that compute each lr from the
    current one (ExponentialLR, CosineAnnealingLR, MultiplicativeLR, LinearLR, PolynomialLR)
    keep the groups' lrs at that step, as PyTorch's do (`_initial` is True during it).
    A `step()` made before the optimizer has taken any step warns, as PyTorch's does (the
    first epoch's lr would be skipped).

    Args:
        optimizer: the optimizer whose groups' lr this schedule sets.
        last_epoch: the epoch the schedule resumes after, or -1 to start it.

    Raises:
        TypeError: `optimizer` is not an `Optimizer`, or `last_epoch` is not an int.
        ValueError: `last_epoch` < -1, or >= 0 for groups without an `initial_lr`.
    """

    settings: ClassVar[tuple[str, ...]] = ()
    _initial: bool = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected an Optimizer, got {type(optimizer).__name__}")
        last_epoch = _resume_check(name, optimizer, last_epoch)
        self.optimizer = optimizer
        for g in optimizer.param_groups:  # the first scheduler records each group's lr
            if g.initial_lr is None:
                g.initial_lr = dict.__getitem__(g, "lr")
        self.base_lrs: list[float] = [float(g.initial_lr or 0.0) for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._last_lr: list[float] = []
        self._step_count = 0
        self._initial = True  # the constructor's step: a resumed recurrence keeps the lrs
        try:
            self.step()
        finally:
            self._initial = False

    def _lrs(self) -> list[float]:
        """The lr of every group for epoch `last_epoch`."""
        raise NotImplementedError

    @traced_call
    def step(self) -> None:
        """Move to the next epoch and set every group's lr for it.

        Inside a compiled step it is called again on every replay, as eager execution would.

        Raises:
            ValueError: a group was added to the optimizer after the scheduler was made, or
                the schedule gives an lr that is negative or not finite (nothing changes).
        """
        name = type(self).__name__
        groups = self.optimizer.param_groups
        if len(groups) != len(self.base_lrs):
            raise ValueError(
                f"{name}: the optimizer has {len(groups)} parameter groups, but the scheduler "
                f"was made for {len(self.base_lrs)}; make a new scheduler after add_param_group"
            )
        self._step_count = getattr(self, "_step_count", 0) + 1
        if self._step_count == 2 and not self.optimizer._stepped:
            warnings.warn(
                f"{name}.step() was called before the optimizer's step(): the schedule's first "
                "lr is skipped; call optimizer.step() first, then the scheduler's step()",
                UserWarning,
                stacklevel=3,
            )
        self.last_epoch += 1
        try:
            lrs = [
                _number(name, f"the lr of group {g} at epoch {self.last_epoch}", lr, ge=0)
                for g, lr in enumerate(self._lrs())
            ]
        except BaseException:
            self.last_epoch -= 1
            raise
        for group, lr in zip(groups, lrs, strict=True):
            self.optimizer._set_lr(group, lr)
        self._last_lr = lrs

    def get_last_lr(self) -> list[float]:
        """The lr that the last `step()` gave each group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """The schedule's settings and position as a flat dict that `tinygrad_lite.save` writes.

        Keys: each name in `settings`, `last_epoch`, `base_lrs` and `last_lrs` (float64 arrays,
        one entry per group). The optimizer's state (which holds the current lr) is saved
        separately, by its own `state_dict`.
        """
        out: dict[str, Any] = {name: getattr(self, name) for name in self.settings}
        out["last_epoch"] = self.last_epoch
        out["base_lrs"] = np.array(self.base_lrs, dtype=np.float64)
        out["last_lrs"] = np.array(self._last_lr, dtype=np.float64)
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what `state_dict` saved; everything is checked before anything changes.

        As in PyTorch, the optimizer's lrs are not touched: load the optimizer's state too.

        Raises:
            ValueError: a key is missing or unexpected, a value is invalid, or the arrays do
                not have one entry per parameter group.
        """
        name = type(self).__name__
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"{name}.load_state_dict: expected a mapping, got {type(state_dict).__name__}"
            )
        keys = (*self.settings, "last_epoch", "base_lrs", "last_lrs")
        missing = [k for k in keys if k not in state_dict]
        unexpected = [str(k) for k in state_dict if k not in keys]
        if missing or unexpected:
            raise ValueError(
                f"{name}.load_state_dict: missing keys {missing}, unexpected keys {unexpected}"
            )
        try:
            settings = self._check_settings(**{k: state_dict[k] for k in self.settings})
            epoch = _count(name, "last_epoch", state_dict["last_epoch"], 0)
            arrays = []
            for key in ("base_lrs", "last_lrs"):
                arr = np.asarray(state_dict[key], dtype=np.float64)
                n = len(self.optimizer.param_groups)
                if arr.shape != (n,):
                    raise ValueError(f"{key} has shape {arr.shape}, the optimizer {n} groups")
                if not (np.isfinite(arr).all() and (arr >= 0).all()):
                    raise ValueError(f"{key} must be finite and >= 0, got {arr.tolist()}")
                arrays.append([float(x) for x in arr])
        except (TypeError, ValueError) as e:
            raise ValueError(f"{name}.load_state_dict: {e}") from None
        for key, value in settings.items():
            setattr(self, key, value)
        self.last_epoch = epoch
        self.base_lrs, self._last_lr = arrays

    def _check_settings(self, **settings: Any) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        values = {k: getattr(self, k) for k in self.settings}
        shown = ", ".join(
            f"{k}={v.tolist() if isinstance(v, np.ndarray) else v!r}" for k, v in values.items()
        )
        sep = ", " if shown else ""
        return f"{type(self).__name__}({shown}{sep}last_epoch={self.last_epoch})"


def _resume_check(name: str, optimizer: Optimizer, last_epoch: Any) -> int:
    """`last_epoch` checked: -1 starts a schedule; >= 0 needs every group's `initial_lr`."""
    last_epoch = _count(name, "last_epoch", last_epoch, -1)
    if last_epoch >= 0:
        missing = [g for g, group in enumerate(optimizer.param_groups) if group.initial_lr is None]
        if missing:
            raise ValueError(
                f"{name}: last_epoch={last_epoch} resumes a schedule, but param groups {missing} "
                "have no initial_lr (the base lr that a first scheduler, made with "
                "last_epoch=-1, records)"
            )
    return last_epoch
