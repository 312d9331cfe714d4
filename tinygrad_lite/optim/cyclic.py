"""Cyclical schedules of the lr and the momentum: CyclicLR and OneCycleLR (PyTorch's)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .lr_scheduler import LRScheduler, _resume_check
from .optimizer import Optimizer
from .param_group import _count, _flag, _number

__all__ = ["CyclicLR", "OneCycleLR"]


def _per_group(owner: str, name: str, value: Any, n: int) -> list[float]:
    """One number >= 0 per parameter group: `value` itself, or a list of n of them."""
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = value.tolist()
    values = list(value) if isinstance(value, (list, tuple)) else [value] * n
    if len(values) != n:
        raise ValueError(f"{owner}: {name} has {len(values)} values for {n} parameter groups")
    return [_number(owner, name, v, ge=0) for v in values]


class _Cycling(LRScheduler):
    """What CyclicLR and OneCycleLR share: per-group lists saved as arrays, cycled momentum."""

    def state_dict(self) -> dict[str, Any]:
        """As `LRScheduler.state_dict`, with the per-group lists as float64 arrays."""
        out = super().state_dict()
        for key, value in out.items():
            if isinstance(value, list):
                out[key] = np.array(value, dtype=np.float64)
        return out

    def _lists(self, settings: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
        n = len(self.optimizer.param_groups)
        name = type(self).__name__
        out: dict[str, Any] = {}
        for key in names:
            arr = np.asarray(settings[key], dtype=np.float64)
            if key.endswith("momentums") and not self.cycle_momentum:
                if arr.size:
                    raise ValueError(f"{name}: {key} given, but cycle_momentum is False")
                out[key] = []
            else:
                out[key] = _per_group(name, key, arr, n)
        return out

    def _momentum_setup(
        self, optimizer: Optimizer, cycle: bool, base: Any, top: Any
    ) -> tuple[list[float], list[float]]:
        """Check that the optimizer has a momentum (or β1) to cycle, and the bounds per group."""
        name = type(self).__name__
        self.cycle_momentum: bool = _flag(name, "cycle_momentum", cycle)
        self.use_beta1 = "betas" in optimizer.group_keys
        if not self.cycle_momentum:
            return [], []
        if "momentum" not in optimizer.group_keys and not self.use_beta1:
            raise ValueError(
                f"{name}: cycle_momentum=True needs an optimizer with a momentum or betas, and "
                f"{type(optimizer).__name__} has neither; pass cycle_momentum=False"
            )
        n = len(optimizer.param_groups)
        return _per_group(name, "base_momentum", base, n), _per_group(name, "max_momentum", top, n)

    def _set_momentums(self, values: list[float]) -> None:
        """Set each group's momentum (or β1), all checked before any changes."""
        groups = self.optimizer.param_groups
        key = "betas" if self.use_beta1 else "momentum"
        changes = [
            {key: (m, dict.__getitem__(g, "betas")[1]) if self.use_beta1 else m}
            for g, m in zip(groups, values, strict=True)
        ]
        for g, change in zip(groups, changes, strict=True):
            g._checked(change)
        for g, change in zip(groups, changes, strict=True):
            g.update(change)


class CyclicLR(_Cycling):
    r"""Cycle each group's lr between `base_lr` and `max_lr` (Smith's cyclical learning rates).

    With T↑ = step_size_up, T = T↑ + step_size_down and e the batch count (`step()` after
    every batch)::

        cycle = ⌊1 + e/T⌋,  x = 1 + e/T − cycle
        h = x·T/T↑ if x ≤ T↑/T, else (x − 1)/(T↑/T − 1)
        lr = base_lr + (max_lr − base_lr)·h·scale

    scale is 1 ("triangular"), 1/2^(cycle − 1) ("triangular2"), γ^e ("exp_range"), or
    `scale_fn` of the cycle or of e (`scale_mode`). With `cycle_momentum` the momentum (or β1
    of an Adam-like optimizer) moves the other way, max_momentum − (max_momentum −
    base_momentum)·h·scale. The values equal PyTorch's. The constructor sets each group's lr to
    `base_lr` (and momentum to `max_momentum`); the groups do not get PyTorch's extra
    `base_momentum` and `max_momentum` keys (they are `base_momentums` and `max_momentums`
    here). The state dict holds the numbers; `mode`, `scale_mode` and `scale_fn` are the
    constructor's.

    Args:
        optimizer: the optimizer.
        base_lr: the lower lr, >= 0, one for all groups or one per group.
        max_lr: the upper lr, >= 0, one for all groups or one per group.
        step_size_up: batches in the rising half of a cycle, > 0.
        step_size_down: batches in the falling half, >= 0 (step_size_up if None).
        mode: "triangular", "triangular2" or "exp_range" (ignored with a `scale_fn`).
        gamma: γ of "exp_range".
        scale_fn: a custom scale, a function of one number giving a number.
        scale_mode: "cycle" or "iterations", what `scale_fn` is a function of.
        cycle_momentum: cycle the momentum too.
        base_momentum: the lower momentum, one for all groups or one per group.
        max_momentum: the upper momentum, one for all groups or one per group.
        last_epoch: the batch to resume after, or -1 to start; when resuming, the groups'
            lrs and momentums are left as they are (PyTorch's rule).

    Raises:
        ValueError, TypeError: a setting out of range or of the wrong type, named with its value.
    """

    settings = (
        "total_size",
        "step_ratio",
        "gamma",
        "max_lrs",
        "base_momentums",
        "max_momentums",
    )

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | Sequence[float],
        max_lr: float | Sequence[float],
        step_size_up: float = 2000,
        step_size_down: float | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | Sequence[float] = 0.8,
        max_momentum: float | Sequence[float] = 0.9,
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"CyclicLR: expected an Optimizer, got {type(optimizer).__name__}")
        resume = _resume_check("CyclicLR", optimizer, last_epoch) >= 0
        n = len(optimizer.param_groups)
        base_lrs = _per_group("CyclicLR", "base_lr", base_lr, n)
        self.max_lrs: list[float] = _per_group("CyclicLR", "max_lr", max_lr, n)
        up = _number("CyclicLR", "step_size_up", step_size_up, gt=0)
        down = up if step_size_down is None else step_size_down
        down = _number("CyclicLR", "step_size_down", down, ge=0)
        if scale_fn is None and mode not in ("triangular", "triangular2", "exp_range"):
            raise ValueError(
                "CyclicLR: mode must be 'triangular', 'triangular2' or 'exp_range' (or give a "
                f"scale_fn), got {mode!r}"
            )
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(f"CyclicLR: scale_fn must be callable, got {type(scale_fn).__name__}")
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(
                f"CyclicLR: scale_mode must be 'cycle' or 'iterations', got {scale_mode!r}"
            )
        self.gamma: float = _number("CyclicLR", "gamma", gamma)
        self.mode = mode
        self._scale_fn_custom = scale_fn
        if scale_fn is None:
            scale_mode = "iterations" if mode == "exp_range" else "cycle"
        self.scale_mode = scale_mode
        bounds = self._momentum_setup(optimizer, cycle_momentum, base_momentum, max_momentum)
        self.base_momentums, self.max_momentums = bounds
        self.total_size: float = up + down
        self.step_ratio: float = up / self.total_size
        self.optimizer = optimizer
        if not resume:
            for group, lr in zip(optimizer.param_groups, base_lrs, strict=True):
                optimizer._set_lr(group, lr)
            if self.cycle_momentum:
                self._set_momentums(self.max_momentums)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _check_settings(self, **settings: Any) -> dict[str, Any]:
        out = self._lists(settings, ("max_lrs", "base_momentums", "max_momentums"))
        out["total_size"] = _number("CyclicLR", "total_size", settings["total_size"], gt=0)
        ratio = _number("CyclicLR", "step_ratio", settings["step_ratio"], gt=0)
        if ratio > 1:
            raise ValueError(f"CyclicLR: step_ratio must lie in (0, 1], got {ratio}")
        out["step_ratio"] = ratio
        out["gamma"] = _number("CyclicLR", "gamma", settings["gamma"])
        return out

    def scale_fn(self, x: float) -> float:
        """The scale of the cycle's height at x (the cycle number or the batch count)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x

    def _lrs(self) -> list[float]:
        e = self.last_epoch
        cycle = math.floor(1 + e / self.total_size)
        x = 1.0 + e / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        at = cycle if self.scale_mode == "cycle" else e
        lrs = [
            base + (top - base) * scale_factor * self.scale_fn(at)
            for base, top in zip(self.base_lrs, self.max_lrs, strict=True)
        ]
        if self.cycle_momentum:
            bounds = zip(self.base_momentums, self.max_momentums, strict=True)
            self._set_momentums(
                [top - (top - base) * scale_factor * self.scale_fn(at) for base, top in bounds]
            )
        return lrs


class OneCycleLR(_Cycling):
    r"""The one-cycle policy (Smith & Topsekar): warm up to `max_lr`, then anneal far below.

    Each group's lr starts at initial = max_lr/div_factor and is annealed (cosine or linear)
    to max_lr over the first pct_start·total_steps − 1 batches, then down to
    min = initial/final_div_factor at batch total_steps − 1; `three_phase` goes back to
    initial first (at 2·pct_start·total_steps − 2) and then to min. With `cycle_momentum` the
    momentum (or β1) moves the other way between max_momentum and base_momentum. The values
    equal PyTorch's; stepping past total_steps raises. The groups' `initial_lr` (the base of
    later schedules) becomes max_lr/div_factor, as in PyTorch; the groups do not get
    PyTorch's extra `max_lr`, `min_lr`, `base_momentum` and `max_momentum` keys (they are
    lists here: `max_lrs`, `min_lrs`, `base_momentums`, `max_momentums`).

    Args:
        optimizer: the optimizer.
        max_lr: the peak lr, >= 0, one for all groups or one per group.
        total_steps: the batches of the cycle, >= 1 (or give epochs and steps_per_epoch).
        epochs: with steps_per_epoch, total_steps = epochs·steps_per_epoch.
        steps_per_epoch: see epochs.
        pct_start: the fraction of the cycle spent rising, in [0, 1].
        anneal_strategy: "cos" or "linear".
        cycle_momentum: cycle the momentum too.
        base_momentum: the momentum at the peak lr, one for all groups or one per group.
        max_momentum: the momentum at the ends, one for all groups or one per group.
        div_factor: initial = max_lr/div_factor, > 0.
        final_div_factor: min = initial/final_div_factor, > 0.
        three_phase: the three-phase form (up, back down to initial, then to min).
        last_epoch: the batch to resume after, or -1 to start. When resuming, each group's
            `initial_lr` must be this schedule's max_lr/div_factor (PyTorch reads the values
            the first OneCycleLR stored in the groups; a schedule of other values is refused),
            and the momentums are left as they are.

    Raises:
        ValueError, TypeError: a setting out of range or of the wrong type, named with its
            value, or phases of zero length (PyTorch divides by zero there).
    """

    settings = ("total_steps", "max_lrs", "min_lrs", "base_momentums", "max_momentums")

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | Sequence[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | Sequence[float] = 0.85,
        max_momentum: float | Sequence[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        name = "OneCycleLR"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected an Optimizer, got {type(optimizer).__name__}")
        resume = _resume_check(name, optimizer, last_epoch) >= 0
        if total_steps is not None:
            self.total_steps = _count(name, "total_steps", total_steps, 1)
        elif epochs is not None and steps_per_epoch is not None:
            epochs = _count(name, "epochs", epochs, 1)
            self.total_steps = epochs * _count(name, "steps_per_epoch", steps_per_epoch, 1)
        else:
            raise ValueError(f"{name}: give total_steps, or both epochs and steps_per_epoch")
        pct = _number(name, "pct_start", pct_start, ge=0)
        if pct > 1:
            raise ValueError(f"{name}: pct_start must lie in [0, 1], got {pct}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"{name}: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}"
            )
        self.anneal_strategy = anneal_strategy
        self.three_phase = _flag(name, "three_phase", three_phase)
        div = _number(name, "div_factor", div_factor, gt=0)
        final = _number(name, "final_div_factor", final_div_factor, gt=0)
        n = len(optimizer.param_groups)
        self.max_lrs: list[float] = _per_group(name, "max_lr", max_lr, n)
        initial = [top / div for top in self.max_lrs]
        self.min_lrs: list[float] = [lr / final for lr in initial]
        bounds = self._momentum_setup(optimizer, cycle_momentum, base_momentum, max_momentum)
        self.base_momentums, self.max_momentums = bounds
        up = float(pct * self.total_steps) - 1
        # (end batch, lr from, lr to, momentum from, momentum to) of each phase
        self._phases: list[tuple[float, str, str, str, str]] = (
            [
                (up, "initial", "max", "max", "base"),
                (float(2 * pct * self.total_steps) - 2, "max", "initial", "base", "max"),
                (self.total_steps - 1, "initial", "min", "max", "max"),
            ]
            if self.three_phase
            else [
                (up, "initial", "max", "max", "base"),
                (self.total_steps - 1, "max", "min", "base", "max"),
            ]
        )
        self.optimizer = optimizer
        if resume:
            had = [g.initial_lr for g in optimizer.param_groups]
            if had != initial:
                raise ValueError(
                    f"{name}: last_epoch={last_epoch} resumes a schedule whose initial lrs were "
                    f"{had}, but max_lr/div_factor gives {initial}; give the first schedule's "
                    "settings"
                )
        else:
            for group, lr in zip(optimizer.param_groups, initial, strict=True):
                group.initial_lr = lr
            if self.cycle_momentum:
                self._set_momentums(self.max_momentums)
        super().__init__(optimizer, last_epoch)

    def _check_settings(self, **settings: Any) -> dict[str, Any]:
        out = self._lists(settings, ("max_lrs", "min_lrs", "base_momentums", "max_momentums"))
        out["total_steps"] = _count("OneCycleLR", "total_steps", settings["total_steps"], 1)
        return out

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            cos_out = math.cos(math.pi * pct) + 1
            return end + (start - end) / 2.0 * cos_out
        return (end - start) * pct + start

    def _lrs(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"OneCycleLR: tried to step {step} times; the cycle has total_steps="
                f"{self.total_steps}"
            )
        lrs, momentums = [], []
        for k in range(len(self.optimizer.param_groups)):
            lr = {"initial": self.base_lrs[k], "max": self.max_lrs[k], "min": self.min_lrs[k]}
            if self.cycle_momentum:
                mom = {"base": self.base_momentums[k], "max": self.max_momentums[k]}
            start = 0.0
            for i, (end, lr0, lr1, m0, m1) in enumerate(self._phases):
                if step <= end or i == len(self._phases) - 1:
                    if end == start:
                        raise ValueError(
                            f"OneCycleLR: phase {i} has no length (it ends at batch {end}, "
                            "where it starts); change pct_start or total_steps"
                        )
                    pct = (step - start) / (end - start)
                    lrs.append(self._anneal(lr[lr0], lr[lr1], pct))
                    if self.cycle_momentum:
                        momentums.append(self._anneal(mom[m0], mom[m1], pct))
                    break
                start = end
        if self.cycle_momentum:
            self._set_momentums(momentums)
        return lrs
