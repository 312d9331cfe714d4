"""Schedules of schedules: SequentialLR (one after another) and ChainedScheduler (all together)."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..tracing import traced_call
from .lr_scheduler import CosineAnnealingLR, ExponentialLR, LRScheduler, MultiStepLR, StepLR
from .optimizer import Optimizer
from .param_group import _count, _number
from .plateau import ReduceLROnPlateau

__all__ = ["ChainedScheduler", "SequentialLR"]


def _members(owner: str, schedulers: Sequence[LRScheduler], optimizer: Any) -> list[LRScheduler]:
    """The schedulers, checked: at least one, each an LRScheduler of `optimizer`."""
    if isinstance(schedulers, LRScheduler) or not isinstance(schedulers, (list, tuple)):
        raise TypeError(f"{owner}: schedulers must be a list of schedulers, got {schedulers!r}")
    out = list(schedulers)
    if not out:
        raise ValueError(f"{owner}: expects at least one scheduler, got none")
    for k, s in enumerate(out):
        if isinstance(s, ReduceLROnPlateau):
            raise ValueError(
                f"{owner}: schedulers[{k}] is a ReduceLROnPlateau, whose step needs the metric; "
                "it cannot be stepped from here"
            )
        if not isinstance(s, LRScheduler):
            raise TypeError(f"{owner}: schedulers[{k}] is a {type(s).__name__}, not a scheduler")
        if s.optimizer is not optimizer:
            raise ValueError(
                f"{owner}: schedulers[{k}] ({type(s).__name__}) belongs to another optimizer; "
                "all must schedule the same one"
            )
    return out


def _restart_lrs(s: LRScheduler) -> list[float]:
    """The lrs of `s` restarted at epoch 0, as PyTorch's SequentialLR restarts it.

    PyTorch uses the scheduler's closed form where it has one (from the base lrs), and its
    usual rule otherwise; `s.last_epoch` is already 0.
    """
    own = getattr(s, "_restart_lrs", None)
    if own is not None:
        return list(own())
    e = s.last_epoch
    if isinstance(s, StepLR):
        return [base * s.gamma ** (e // s.step_size) for base in s.base_lrs]
    if isinstance(s, MultiStepLR):
        k = int(np.count_nonzero(s.milestones <= e))
        return [base * s.gamma**k for base in s.base_lrs]
    if isinstance(s, ExponentialLR):
        return [base * s.gamma**e for base in s.base_lrs]
    if isinstance(s, CosineAnnealingLR):
        low, wave = s.eta_min, 1 + math.cos(math.pi * e / s.T_max)
        return [low + (base - low) * wave / 2 for base in s.base_lrs]
    return s._lrs()


def _restart(s: LRScheduler) -> None:
    """Move `s` to epoch 0 and set the lrs it restarts with (nothing changes on an error)."""
    before = s.last_epoch
    s.last_epoch = 0
    name = type(s).__name__
    try:
        lrs = [
            _number(name, f"the lr of group {g} at its restart", lr, ge=0)
            for g, lr in enumerate(_restart_lrs(s))
        ]
    except BaseException:
        s.last_epoch = before
        raise
    for group, lr in zip(s.optimizer.param_groups, lrs, strict=True):
        s.optimizer._set_lr(group, lr)
    s._last_lr = lrs


def _save_members(out: dict[str, Any], schedulers: Sequence[LRScheduler]) -> None:
    for k, s in enumerate(schedulers):
        for key, value in s.state_dict().items():
            out[f"schedulers.{k}.{key}"] = value


def _load_members(
    owner: str, schedulers: Sequence[LRScheduler], entries: Mapping[str, Any]
) -> list[str]:
    """Load each member's `schedulers.<k>.*` entries; all or none. The keys left over."""
    parts: list[dict[str, Any]] = [{} for _ in schedulers]
    rest = []
    for key, value in entries.items():
        bits = key.split(".", 2)
        if len(bits) == 3 and bits[0] == "schedulers" and bits[1].isdigit():
            k = int(bits[1])
            if k < len(parts):
                parts[k][bits[2]] = value
                continue
        rest.append(key)
    if rest:
        return rest
    saved = [dict(vars(s)) for s in schedulers]
    try:
        for s, part in zip(schedulers, parts, strict=True):
            # A member not started yet (SequentialLR's later ones) is at epoch -1.
            waiting = "last_epoch" in part and np.asarray(part["last_epoch"]).tolist() == -1
            s.load_state_dict({**part, "last_epoch": 0} if waiting else part)
            if waiting:
                s.last_epoch = -1
    except (TypeError, ValueError) as e:
        for s, attrs in zip(schedulers, saved, strict=True):
            vars(s).clear()
            vars(s).update(attrs)
        raise ValueError(f"{owner}.load_state_dict: {e}") from None
    return []


class SequentialLR(LRScheduler):
    """Run schedulers one after another, switching at the milestone epochs (PyTorch's).

    Epochs before milestones[0] follow schedulers[0], then schedulers[1] until
    milestones[1], and so on. At a milestone the next scheduler restarts at its epoch 0 from
    the base lrs, as PyTorch restarts it (its closed form where it has one); the constructor
    resets every group's lr to its base lr and starts the first one. A warm-up then a decay:
    `SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5), ExponentialLR(opt, 0.9)], [5])`.

    Args:
        optimizer: the optimizer that every scheduler schedules.
        schedulers: the schedulers, in order (not SequentialLR, ChainedScheduler or
            ReduceLROnPlateau).
        milestones: the epochs (ints >= 0, non-decreasing), one fewer than the schedulers.
        last_epoch: must be -1 (resuming a SequentialLR is refused: load its state_dict).

    Raises:
        ValueError, TypeError: as described, named with the values.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: Sequence[LRScheduler],
        milestones: Sequence[int],
        last_epoch: int = -1,
    ) -> None:
        name = "SequentialLR"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected an Optimizer, got {type(optimizer).__name__}")
        if _count(name, "last_epoch", last_epoch, -1) != -1:
            raise ValueError(
                f"{name}: last_epoch={last_epoch} is not supported (PyTorch's resume undoes and "
                "replays its schedulers' steps); make it with -1 and load its state_dict"
            )
        members = _members(name, schedulers, optimizer)
        for k, s in enumerate(members):
            if isinstance(s, (SequentialLR, ChainedScheduler)):
                raise ValueError(
                    f"{name}: schedulers[{k}] is a {type(s).__name__}; give its schedulers "
                    "directly (PyTorch cannot restart one at a milestone either)"
                )
        self._milestones = self._check_milestones(milestones, len(members))
        self.optimizer = optimizer
        self._schedulers = members
        self.last_epoch = 0
        groups = optimizer.param_groups
        self.base_lrs = [float(g.initial_lr or dict.__getitem__(g, "lr")) for g in groups]
        for group, lr in zip(groups, self.base_lrs, strict=True):
            optimizer._set_lr(group, lr)
        for s in members:
            s.last_epoch -= 1
        first = members[bisect_right(self._milestones, 0)]
        first._step_count = 0  # its first step again (PyTorch's `_initial_step`): no warning
        first._initial = True
        try:
            first.step()
        finally:
            first._initial = False
        self._last_lr = first.get_last_lr()

    @staticmethod
    def _check_milestones(milestones: Any, n: int) -> list[int]:
        name = "SequentialLR"
        if isinstance(milestones, np.ndarray):
            milestones = milestones.tolist()
        if not isinstance(milestones, (list, tuple)):
            raise TypeError(f"{name}: milestones must be a list of ints, got {milestones!r}")
        out = [_count(name, "a milestone", m, 0) for m in milestones]
        if len(out) != n - 1:
            raise ValueError(
                f"{name}: {n} schedulers need {n - 1} milestones, got {len(out)}: {out}"
            )
        if any(b < a for a, b in zip(out, out[1:], strict=False)):
            raise ValueError(f"{name}: milestones must be non-decreasing, got {out}")
        return out

    @property
    def milestones(self) -> list[int]:
        """The epochs at which the next scheduler takes over."""
        return list(self._milestones)

    @traced_call
    def step(self) -> None:
        """Move to the next epoch: step the current scheduler, or restart the next one."""
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        s = self._schedulers[idx]
        try:
            if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
                _restart(s)
            else:
                s.step()
        except BaseException:
            self.last_epoch -= 1
            raise
        self._last_lr = s.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        """`last_epoch`, `milestones`, `base_lrs`, `last_lrs` and `schedulers.<k>.*`."""
        out: dict[str, Any] = {
            "last_epoch": self.last_epoch,
            "milestones": np.array(self._milestones, dtype=np.int64),
            "base_lrs": np.array(self.base_lrs, dtype=np.float64),
            "last_lrs": np.array(self._last_lr, dtype=np.float64),
        }
        _save_members(out, self._schedulers)
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what `state_dict` saved, each scheduler's state too; all or nothing.

        Raises:
            ValueError: a key is missing or unexpected, or a value is invalid.
        """
        name = "SequentialLR"
        own = ("last_epoch", "milestones", "base_lrs", "last_lrs")
        entries = {str(k): v for k, v in state_dict.items()}
        missing = [k for k in own if k not in entries]
        try:
            if missing:
                raise ValueError(f"missing keys {missing}")
            epoch = _count(name, "last_epoch", entries["last_epoch"], 0)
            milestones = self._check_milestones(entries["milestones"], len(self._schedulers))
            n = len(self.optimizer.param_groups)
            lrs = [np.asarray(entries[k], dtype=np.float64) for k in ("base_lrs", "last_lrs")]
            if any(a.shape != (n,) for a in lrs):
                raise ValueError(f"base_lrs and last_lrs must have {n} entries, one per group")
        except (TypeError, ValueError) as e:
            raise ValueError(f"{name}.load_state_dict: {e}") from None
        rest = _load_members(
            name, self._schedulers, {k: v for k, v in entries.items() if k not in own}
        )
        if rest:
            raise ValueError(f"{name}.load_state_dict: unexpected keys {rest}")
        self.last_epoch, self._milestones = epoch, milestones
        self.base_lrs, self._last_lr = (a.tolist() for a in lrs)

    def __repr__(self) -> str:
        inner = ", ".join(repr(s) for s in self._schedulers)
        return (
            f"SequentialLR([{inner}], milestones={self._milestones}, last_epoch={self.last_epoch})"
        )


class ChainedScheduler(LRScheduler):
    """Step several schedulers together, each from the lr the previous one set (PyTorch's).

    Each `step()` calls every scheduler's `step()` in order; schedules that multiply the
    current lr (StepLR, ExponentialLR, ConstantLR, LinearLR, ...) then compose, e.g. a
    warm-up factor times a decay: `ChainedScheduler([ConstantLR(opt, 0.1, 3),
    ExponentialLR(opt, 0.9)])`.

    Args:
        schedulers: the schedulers (of one optimizer; not ReduceLROnPlateau).
        optimizer: that optimizer (the first scheduler's by default).

    Raises:
        ValueError, TypeError: no scheduler, a scheduler of another optimizer, or not one.
    """

    def __init__(
        self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None
    ) -> None:
        name = "ChainedScheduler"
        if optimizer is not None and not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected an Optimizer, got {type(optimizer).__name__}")
        first = schedulers[0] if isinstance(schedulers, (list, tuple)) and schedulers else None
        opt = optimizer if optimizer is not None else getattr(first, "optimizer", None)
        self._schedulers = _members(name, schedulers, opt)
        self.optimizer: Optimizer = self._schedulers[0].optimizer
        self.last_epoch = 0
        self.base_lrs = list(self._schedulers[0].base_lrs)
        self._last_lr = [float(g["lr"]) for g in self.optimizer.param_groups]

    @traced_call
    def step(self) -> None:
        """Step every scheduler, in order."""
        for s in self._schedulers:
            s.step()
        self.last_epoch += 1
        self._last_lr = [float(g["lr"]) for g in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """`last_epoch`, `last_lrs` and each scheduler's state as `schedulers.<k>.*`."""
        out: dict[str, Any] = {
            "last_epoch": self.last_epoch,
            "last_lrs": np.array(self._last_lr, dtype=np.float64),
        }
        _save_members(out, self._schedulers)
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what `state_dict` saved, each scheduler's state too; all or nothing.

        Raises:
            ValueError: a key is missing or unexpected, or a value is invalid.
        """
        name = "ChainedScheduler"
        entries = {str(k): v for k, v in state_dict.items()}
        try:
            missing = [k for k in ("last_epoch", "last_lrs") if k not in entries]
            if missing:
                raise ValueError(f"missing keys {missing}")
            epoch = _count(name, "last_epoch", entries["last_epoch"], 0)
            last = np.asarray(entries["last_lrs"], dtype=np.float64)
            n = len(self.optimizer.param_groups)
            if last.shape != (n,):
                raise ValueError(f"last_lrs must have {n} entries, one per group")
        except (TypeError, ValueError) as e:
            raise ValueError(f"{name}.load_state_dict: {e}") from None
        others = {k: v for k, v in entries.items() if k not in ("last_epoch", "last_lrs")}
        rest = _load_members(name, self._schedulers, others)
        if rest:
            raise ValueError(f"{name}.load_state_dict: unexpected keys {rest}")
        self.last_epoch, self._last_lr = epoch, last.tolist()

    def __repr__(self) -> str:
        inner = ", ".join(repr(s) for s in self._schedulers)
        return f"ChainedScheduler([{inner}])"
