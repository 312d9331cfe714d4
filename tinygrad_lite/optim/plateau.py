"""ReduceLROnPlateau: cut the learning rate when a monitored metric stops improving."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .. import tracing
from .optimizer import Optimizer
from .param_group import _count, _number

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau:
    """Multiply every group's lr by `factor` once a metric has not improved for `patience` epochs.

    PyTorch's rules: call `step(metric)` once per epoch with the value to watch (a validation
    loss, say). The metric improves when it beats the best so far by more than `threshold`
    (relative: best·(1 ∓ threshold); absolute: best ∓ threshold); after more than `patience`
    epochs without improvement each group's lr becomes max(lr·factor, min_lr) (unless that
    changes it by no more than `eps`), and `cooldown` epochs follow in which bad epochs are
    not counted. A NaN or infinite metric is refused (the training has diverged).

    Args:
        optimizer: the optimizer whose groups' lr this sets.
        mode: "min" (the metric should fall) or "max" (it should rise).
        factor: the multiplier, in [0, 1).
        patience: the number of epochs without improvement that are tolerated, >= 0.
        threshold: how much better than the best a value must be to count, >= 0.
        threshold_mode: "rel" or "abs".
        cooldown: epochs to wait after a cut before counting bad epochs again, >= 0.
        min_lr: the lowest lr, one for all groups or one per group.
        eps: a cut smaller than this is not made.

    Raises:
        ValueError, TypeError: a setting out of range or of the wrong type, named with its value.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | Sequence[float] = 0.0,
        eps: float = 1e-8,
    ) -> None:
        name = "ReduceLROnPlateau"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected an Optimizer, got {type(optimizer).__name__}")
        if mode not in ("min", "max"):
            raise ValueError(f"{name}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"{name}: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}"
            )
        self.factor = _number(name, "factor", factor, ge=0)
        if self.factor >= 1:
            raise ValueError(f"{name}: factor must be < 1, got {factor}")
        n = len(optimizer.param_groups)
        lows = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * n
        if len(lows) != n:
            raise ValueError(f"{name}: {len(lows)} min_lr values for {n} parameter groups")
        self.optimizer = optimizer
        self.mode, self.threshold_mode = mode, threshold_mode
        self.patience = _count(name, "patience", patience, 0)
        self.threshold = _number(name, "threshold", threshold, ge=0)
        self.cooldown = _count(name, "cooldown", cooldown, 0)
        self.min_lrs = [_number(name, "min_lr", v, ge=0) for v in lows]
        self.eps = _number(name, "eps", eps, ge=0)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [float(g["lr"]) for g in optimizer.param_groups]

    def _is_better(self, value: float) -> bool:
        best, t = self.best, self.threshold
        if self.mode == "min":
            return value < (best * (1.0 - t) if self.threshold_mode == "rel" else best - t)
        return value > (best * (1.0 + t) if self.threshold_mode == "rel" else best + t)

    def step(self, metrics: Any) -> None:
        """Count one epoch with this value of the metric (a number or a one-element tensor)."""
        tracing.refuse_value_read("ReduceLROnPlateau.step(metric)")
        value = metrics.item() if hasattr(metrics, "item") else metrics
        current = _number("ReduceLROnPlateau", "the metric", value)
        self.last_epoch += 1
        if self._is_better(current):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, low in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
                old = float(group["lr"])
                new = max(old * self.factor, low)
                if old - new > self.eps:
                    self.optimizer._set_lr(group, new)
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [float(g["lr"]) for g in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """Each group's lr after the last `step`."""
        return list(self._last_lr)

    _STATE = ("best", "num_bad_epochs", "cooldown_counter", "last_epoch")

    def state_dict(self) -> dict[str, Any]:
        """Where the schedule stands (best value, counters) as a flat dict for `save`."""
        return {k: getattr(self, k) for k in self._STATE}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Continue from a `state_dict()`; every key must be there, or nothing changes."""
        missing = [k for k in self._STATE if k not in state_dict]
        if missing:
            raise ValueError(f"ReduceLROnPlateau.load_state_dict: missing keys {missing}")
        best = float(state_dict["best"])  # ±inf before the first step
        if math.isnan(best):
            raise ValueError("ReduceLROnPlateau.load_state_dict: best is NaN")
        counts = [
            _count("ReduceLROnPlateau", k, state_dict[k], 0)
            for k in ("num_bad_epochs", "cooldown_counter", "last_epoch")
        ]
        self.best = best
        self.num_bad_epochs, self.cooldown_counter, self.last_epoch = counts
