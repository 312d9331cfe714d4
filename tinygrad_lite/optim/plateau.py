"""ReduceLROnPlateau: cut the learning rate when a monitored metric stops improving."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

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

    mode: str
    threshold_mode: str
    factor: float
    patience: int
    threshold: float
    cooldown: int
    min_lrs: list[float]
    eps: float

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
        n = len(optimizer.param_groups)
        lows = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * n
        self.optimizer = optimizer
        self.__dict__.update(
            self._settings(
                mode, factor, patience, threshold, threshold_mode, cooldown, lows, eps, n
            )
        )
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [float(g["lr"]) for g in optimizer.param_groups]

    @staticmethod
    def _settings(
        mode: Any,
        factor: Any,
        patience: Any,
        threshold: Any,
        threshold_mode: Any,
        cooldown: Any,
        min_lrs: Sequence[Any],
        eps: Any,
        groups: int,
    ) -> dict[str, Any]:
        """The settings checked and converted, as attributes; or the error that names one."""
        name = "ReduceLROnPlateau"
        if mode not in ("min", "max"):
            raise ValueError(f"{name}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"{name}: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}"
            )
        factor = _number(name, "factor", factor, ge=0)
        if factor >= 1:
            raise ValueError(f"{name}: factor must be < 1, got {factor}")
        if len(min_lrs) != groups:
            raise ValueError(f"{name}: {len(min_lrs)} min_lr values for {groups} parameter groups")
        return {
            "mode": str(mode),
            "threshold_mode": str(threshold_mode),
            "factor": factor,
            "patience": _count(name, "patience", patience, 0),
            "threshold": _number(name, "threshold", threshold, ge=0),
            "cooldown": _count(name, "cooldown", cooldown, 0),
            "min_lrs": [_number(name, "min_lr", v, ge=0) for v in min_lrs],
            "eps": _number(name, "eps", eps, ge=0),
        }

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
    _SETTINGS = ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "eps")

    def state_dict(self) -> dict[str, Any]:
        """Where the schedule stands and its settings, as a flat dict for `save`.

        As PyTorch's: the best value and the counters, every setting, `min_lrs` and the lrs of
        the last step (`last_lrs`, float64 arrays with one entry per group), so that a resumed
        scheduler continues with the saved settings and reports the saved `get_last_lr()`.
        `mode` and `threshold_mode` are flags: True for "max" and for "abs".
        """
        out: dict[str, Any] = {k: getattr(self, k) for k in (*self._STATE, *self._SETTINGS)}
        out["mode"] = self.mode == "max"  # `save` writes numbers: the two modes as flags
        out["threshold_mode"] = self.threshold_mode == "abs"
        out["min_lrs"] = np.array(self.min_lrs, dtype=np.float64)
        out["last_lrs"] = np.array(self._last_lr, dtype=np.float64)
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Continue from a `state_dict()`; everything is checked before anything changes.

        A dict with the counters only (as this class saved it before it saved its settings)
        keeps the scheduler's own settings and takes the optimizer's current lrs as the last.
        """
        name = "ReduceLROnPlateau.load_state_dict"
        extra = (*self._SETTINGS, "min_lrs", "last_lrs")
        keys = self._STATE if not any(k in state_dict for k in extra) else (*self._STATE, *extra)
        missing = [k for k in keys if k not in state_dict]
        if missing:
            raise ValueError(f"{name}: missing keys {missing}")
        best = float(state_dict["best"])  # ±inf before the first step
        if math.isnan(best):
            raise ValueError(f"{name}: best is NaN")
        counts = [
            _count("ReduceLROnPlateau", k, state_dict[k], 0)
            for k in ("num_bad_epochs", "cooldown_counter", "last_epoch")
        ]
        groups = len(self.optimizer.param_groups)
        settings: dict[str, Any] = {}
        last = [float(g["lr"]) for g in self.optimizer.param_groups]
        if len(keys) > len(self._STATE):
            lows = np.asarray(state_dict["min_lrs"], dtype=np.float64).reshape(-1).tolist()
            values = {k: state_dict[k] for k in self._SETTINGS}
            for key, names in (("mode", ("min", "max")), ("threshold_mode", ("rel", "abs"))):
                flag = values[key]
                if not isinstance(flag, (bool, np.bool_)) and not (
                    isinstance(flag, np.ndarray) and flag.shape == () and flag.dtype == bool
                ):
                    raise ValueError(f"{name}: {key} must be a flag ({names[1]}), got {flag!r}")
                values[key] = names[int(bool(flag))]
            settings = self._settings(
                values["mode"],
                values["factor"],
                values["patience"],
                values["threshold"],
                values["threshold_mode"],
                values["cooldown"],
                lows,
                values["eps"],
                groups,
            )
            last = np.asarray(state_dict["last_lrs"], dtype=np.float64).reshape(-1).tolist()
            if len(last) != groups or not all(math.isfinite(v) and v >= 0 for v in last):
                raise ValueError(f"{name}: last_lrs must hold {groups} finite lrs >= 0, got {last}")
        self.__dict__.update(settings)
        self.best = best
        self.num_bad_epochs, self.cooldown_counter, self.last_epoch = counts
        self._last_lr = last
