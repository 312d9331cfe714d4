"""RMSprop and Adagrad: steps divided by the root of a running sum of squared gradients."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from ..tensor import Tensor
from ..tracing import traced_call
from ..written import mark
from .common import check_flags
from .optimizer import Optimizer
from .param_group import _flag, _GroupValue, _number

__all__ = ["Adagrad", "RMSprop"]


def _with_grads(opt: Optimizer) -> Iterator[tuple[Mapping[str, Any], int, Tensor]]:
    """(group, index, parameter) for every parameter that has a gradient, in order.

    Each one yielded is stamped as written (`written.mark`) when the walk ends or stops.
    """
    stepped: list[Tensor] = []
    try:
        start = 0
        for group in opt.param_groups:
            for i, p in enumerate(group["params"], start):
                if p.grad is not None:
                    stepped.append(p)
                    yield group, i, p
            start += len(group["params"])
    finally:
        if stepped:
            mark(*stepped)


def _check_fused(name: str, fused: Any) -> None:
    if fused is not None and fused is not False:
        raise ValueError(
            f"{name}: fused={fused!r} is not supported: there is no fused kernel here; "
            "leave it None"
        )


def _decayed(g: Any, data: Any, wd: float, work: Any, maximize: bool = False) -> Any:
    """The gradient (−g with `maximize`) plus weight_decay·p (the coupled L2 term).

    The result is in `work` where it had to be computed, else g itself.
    """
    if wd == 0:
        return np.negative(g, out=work) if maximize else g
    np.multiply(data, wd, out=work)
    if maximize:  # −g + wd·p, the same sum
        return np.subtract(work, g, out=work)
    np.add(g, work, out=work)
    return work


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture; PyTorch's form, as the course's lectures write it).

    For each parameter p with gradient g::

        g ← −g if maximize
        g ← g + weight_decay·p
        v ← α·v + (1 − α)·g²
        v̄ ← v − ḡ², with ḡ ← α·ḡ + (1 − α)·g   (centered), else v̄ = v
        p ← p − lr·g / (√v̄ + eps)               (momentum 0)
        b ← momentum·b + g / (√v̄ + eps),  p ← p − lr·b   (momentum > 0)

    The state of each parameter holds `square_avg` (v), and `grad_avg` (ḡ) only when centered
    and `momentum_buffer` (b) only with momentum, as PyTorch's, all from zero (made when a
    setting is switched on later, where PyTorch raises a KeyError); PyTorch's values to a few
    units in the last place (its own operation order). PyTorch's `step` count is not kept
    (nothing reads it).

    Args:
        params: the tensors to optimize, or parameter groups (dicts, see `Optimizer`).
        lr: the learning rate > 0.
        alpha: the decay α of the running average of g², in [0, 1].
        eps: added to the denominator, > 0.
        weight_decay: the L2 penalty factor, >= 0.
        momentum: the momentum factor, >= 0.
        centered: divide by an estimate of the variance of g instead of its second moment.
        capturable: must be False (no CUDA graphs here).
        foreach: PyTorch's choice of implementation (None, True or False): one here.
        maximize: climb the objective instead of descending it (written to the flat state
            dict and the repr only when True).
        differentiable: must be False (the step is outside autograd).
    """

    group_keys = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize")
    hyperparameters = group_keys
    state_arrays = ("square_avg",)
    optional_arrays = ("grad_avg", "momentum_buffer")
    legacy_defaults = {"maximize": False}
    quiet_flags = ("maximize",)

    lr = _GroupValue[float]("lr")
    alpha = _GroupValue[float]("alpha")
    eps = _GroupValue[float]("eps")
    weight_decay = _GroupValue[float]("weight_decay")
    momentum = _GroupValue[float]("momentum")
    centered = _GroupValue[bool]("centered")
    maximize = _GroupValue[bool]("maximize")

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[Mapping[str, Any]],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_flags("RMSprop", foreach, capturable, differentiable)
        hyper = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum)
        super().__init__(params, self._validate(**hyper, centered=centered, maximize=maximize))

    @classmethod
    def _validate(cls, **hyper: Any) -> dict[str, Any]:
        alpha = _number("RMSprop", "alpha", hyper["alpha"], ge=0)
        if alpha > 1:
            raise ValueError(f"RMSprop: alpha must lie in [0, 1], got {alpha}")
        return {
            "lr": _number("RMSprop", "lr", hyper["lr"], gt=0),
            "alpha": alpha,
            "eps": _number("RMSprop", "eps", hyper["eps"], gt=0),
            "weight_decay": _number("RMSprop", "weight_decay", hyper["weight_decay"], ge=0),
            "momentum": _number("RMSprop", "momentum", hyper["momentum"], ge=0),
            "centered": _flag("RMSprop", "centered", hyper["centered"]),
            "maximize": _flag("RMSprop", "maximize", hyper["maximize"]),
        }

    @traced_call
    def step(self) -> None:
        """Apply one RMSprop update to every parameter whose `.grad` is not None."""
        for group, i, p in _with_grads(self):
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            wd, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
            data = p.data
            st = self.state.get(i)
            if st is None:
                st = self.state[i] = {"square_avg": np.zeros_like(data)}
            if centered and "grad_avg" not in st:
                st["grad_avg"] = np.zeros_like(data)
            if momentum > 0 and "momentum_buffer" not in st:
                st["momentum_buffer"] = np.zeros_like(data)
            work, denom = self._work(i, p), self._work(i, p, 1)
            g = _decayed(p.grad.data, data, wd, self._work(i, p, 2), group["maximize"])  # type: ignore[union-attr]
            v = st["square_avg"]
            np.multiply(v, alpha, out=v)  # v ← α·v + (1 − α)·g²
            np.multiply(g, g, out=work)
            np.multiply(work, 1.0 - alpha, out=work)
            np.add(v, work, out=v)
            if centered:  # v̄ = v − ḡ²
                mean = st["grad_avg"]
                np.multiply(mean, alpha, out=mean)
                np.multiply(g, 1.0 - alpha, out=work)
                np.add(mean, work, out=mean)
                np.multiply(mean, mean, out=denom)
                np.subtract(v, denom, out=denom)
                np.sqrt(denom, out=denom)
            else:
                np.sqrt(v, out=denom)
            np.add(denom, eps, out=denom)
            np.divide(g, denom, out=work)  # g / (√v̄ + eps)
            if momentum > 0:
                buf = st["momentum_buffer"]
                np.multiply(buf, momentum, out=buf)
                np.add(buf, work, out=buf)
                np.multiply(buf, lr, out=work)
            else:
                np.multiply(work, lr, out=work)
            np.subtract(data, work, out=data)


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al.; PyTorch's form).

    For each parameter p with gradient g, at its step t = 1, 2, ...::

        g ← −g if maximize
        g ← g + weight_decay·p
        s ← s + g²
        p ← p − lr / (1 + (t − 1)·lr_decay) · g / (√s + eps)

    The state holds `sum` (s, starting at `initial_accumulator_value`) and `step` (t).
    PyTorch starts every parameter's s at the constructor's `initial_accumulator_value`, also
    in a group (or one added later) that gives its own: a group whose value differs is
    refused here.

    Args:
        params: the tensors to optimize, or parameter groups (dicts, see `Optimizer`).
        lr: the learning rate > 0.
        lr_decay: the decay of the learning rate with the step, >= 0.
        weight_decay: the L2 penalty factor, >= 0.
        initial_accumulator_value: the starting value of s, >= 0.
        eps: added to the denominator, > 0.
        foreach: PyTorch's choice of implementation (None, True or False): one here.
        maximize: climb the objective instead of descending it (written to the flat state
            dict and the repr only when True).
        differentiable: must be False (the step is outside autograd).
        fused: None or False (there is no fused kernel here).

    Raises:
        ValueError: an invalid hyper-parameter, or a group's `initial_accumulator_value`
            that is not the constructor's (PyTorch ignores it).
    """

    group_keys = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps", "maximize")
    hyperparameters = group_keys
    state_arrays = ("sum",)
    state_counters = ("step",)
    legacy_defaults = {"maximize": False}
    quiet_flags = ("maximize",)

    lr = _GroupValue[float]("lr")
    lr_decay = _GroupValue[float]("lr_decay")
    weight_decay = _GroupValue[float]("weight_decay")
    initial_accumulator_value = _GroupValue[float]("initial_accumulator_value")
    eps = _GroupValue[float]("eps")
    maximize = _GroupValue[bool]("maximize")

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[Mapping[str, Any]],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_flags("Adagrad", foreach, False, differentiable)
        _check_fused("Adagrad", fused)
        hyper = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps)
        super().__init__(
            params,
            self._validate(
                **hyper, initial_accumulator_value=initial_accumulator_value, maximize=maximize
            ),
        )

    def _add_group(self, group: Mapping[str, Any], where: str) -> None:
        key = "initial_accumulator_value"
        if isinstance(group, Mapping) and key in group:
            value = _number("Adagrad", key, group[key])
            if value != self.defaults[key]:
                raise ValueError(
                    f"Adagrad: {where}initial_accumulator_value={value} differs from the "
                    f"constructor's {self.defaults[key]}; PyTorch starts every sum at the "
                    "constructor's value, so give it to the constructor"
                )
        super()._add_group(group, where)

    @classmethod
    def _validate(cls, **hyper: Any) -> dict[str, Any]:
        return {
            "lr": _number("Adagrad", "lr", hyper["lr"], gt=0),
            "lr_decay": _number("Adagrad", "lr_decay", hyper["lr_decay"], ge=0),
            "weight_decay": _number("Adagrad", "weight_decay", hyper["weight_decay"], ge=0),
            "initial_accumulator_value": _number(
                "Adagrad", "initial_accumulator_value", hyper["initial_accumulator_value"], ge=0
            ),
            "eps": _number("Adagrad", "eps", hyper["eps"], gt=0),
            "maximize": _flag("Adagrad", "maximize", hyper["maximize"]),
        }

    @traced_call
    def step(self) -> None:
        """Apply one Adagrad update to every parameter whose `.grad` is not None."""
        for group, i, p in _with_grads(self):
            data = p.data
            st = self.state.get(i)
            if st is None:
                initial = group["initial_accumulator_value"]
                st = self.state[i] = {"sum": np.full_like(data, initial), "step": 0}
            st["step"] += 1
            clr = group["lr"] / (1 + (st["step"] - 1) * group["lr_decay"])
            work, denom = self._work(i, p), self._work(i, p, 1)
            g = _decayed(
                p.grad.data,  # type: ignore[union-attr]
                data,
                group["weight_decay"],
                self._work(i, p, 2),
                group["maximize"],
            )
            s = st["sum"]
            np.multiply(g, g, out=work)  # s ← s + g²
            np.add(s, work, out=s)
            np.sqrt(s, out=denom)
            np.add(denom, group["eps"], out=denom)
            np.divide(g, denom, out=work)
            np.multiply(work, clr, out=work)
            np.subtract(data, work, out=data)
