"""Adadelta, Rprop and ASGD: three classic optimizers, in PyTorch's forms and with its defaults."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..tensor import Tensor
from ..tracing import traced_call
from .common import FloatStateOptimizer, check_flags
from .param_group import _flag, _GroupValue, _number

__all__ = ["ASGD", "Adadelta", "Rprop"]


class Adadelta(FloatStateOptimizer):
    r"""Adadelta (Zeiler; PyTorch's form, with a learning rate).

    For each parameter p with gradient g (−g with `maximize`)::

        g ← g + weight_decay·p
        v ← ρ·v + (1 − ρ)·g²
        δ = √(u + eps) / √(v + eps) · g
        u ← ρ·u + (1 − ρ)·δ²
        p ← p − lr·δ

    The state holds `square_avg` (v), `acc_delta` (u) and `step`.

    Args:
        params: the tensors to optimize, or parameter groups (dicts, see `Optimizer`).
        lr: the factor of δ, > 0 (1.0, Zeiler's method, by default).
        rho: the decay ρ of both running averages, in [0, 1].
        eps: added inside both square roots, > 0.
        weight_decay: the L2 penalty factor, >= 0.
        foreach: accepted for PyTorch's signature (None, True or False); one implementation.
        capturable: must be False (no CUDA graphs).
        maximize: climb the objective instead of descending it.
        differentiable: must be False (the step is outside autograd).

    Raises:
        ValueError: an invalid hyper-parameter (named with its value), or as `Optimizer`.
    """

    group_keys = ("lr", "rho", "eps", "weight_decay", "maximize")
    hyperparameters = group_keys
    state_arrays = ("square_avg", "acc_delta")
    state_counters = ("step",)

    lr = _GroupValue[float]("lr")
    rho = _GroupValue[float]("rho")
    eps = _GroupValue[float]("eps")
    weight_decay = _GroupValue[float]("weight_decay")
    maximize = _GroupValue[bool]("maximize")

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[Mapping[str, Any]],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_flags("Adadelta", foreach, capturable, differentiable)
        hyper = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, self._validate(**hyper))

    @classmethod
    def _validate(cls, **hyper: Any) -> dict[str, Any]:
        rho = _number("Adadelta", "rho", hyper["rho"], ge=0)
        if rho > 1:
            raise ValueError(f"Adadelta: rho must lie in [0, 1], got {rho}")
        return {
            "lr": _number("Adadelta", "lr", hyper["lr"], gt=0),
            "rho": rho,
            "eps": _number("Adadelta", "eps", hyper["eps"], gt=0),
            "weight_decay": _number("Adadelta", "weight_decay", hyper["weight_decay"], ge=0),
            "maximize": _flag("Adadelta", "maximize", hyper["maximize"]),
        }

    @traced_call
    def step(self) -> None:
        """Apply one Adadelta update to every parameter whose `.grad` is not None."""
        for group, i, p, g in self._grads():
            lr, rho, eps = group["lr"], group["rho"], group["eps"]
            data = p.data
            st = self.state.get(i)
            if st is None:
                zeros = np.zeros_like
                st = self.state[i] = {"square_avg": zeros(data), "acc_delta": zeros(data)}
                st["step"] = 0
            st["step"] += 1
            v, u = st["square_avg"], st["acc_delta"]
            work, delta = self._work(i, p), self._work(i, p, 1)
            np.multiply(v, rho, out=v)  # PyTorch's addcmul: v + ((1 − ρ)·g)·g
            np.multiply(g, 1 - rho, out=work)
            np.multiply(work, g, out=work)
            np.add(v, work, out=v)
            np.add(u, eps, out=delta)
            np.sqrt(delta, out=delta)
            np.add(v, eps, out=work)
            np.sqrt(work, out=work)
            np.divide(delta, work, out=delta)
            np.multiply(delta, g, out=delta)
            np.multiply(u, rho, out=u)
            np.multiply(delta, 1 - rho, out=work)
            np.multiply(work, delta, out=work)
            np.add(u, work, out=u)
            np.multiply(delta, -lr, out=delta)
            np.add(data, delta, out=data)


def _pair(name: str, key: str, value: Any) -> tuple[float, float]:
    if isinstance(value, np.ndarray):
        value = tuple(value.tolist())
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{name}: {key} must be a pair of numbers, got {value!r}")
    return _number(name, f"{key}[0]", value[0]), _number(name, f"{key}[1]", value[1])


class Rprop(FloatStateOptimizer):
    r"""Rprop: resilient backpropagation (Riedmiller & Braun; PyTorch's form).

    Each element of each parameter has its own step size s, which starts at lr. With
    (η−, η+) the `etas`, for each parameter p with gradient g (−g with `maximize`)::

        c = sign(g·g_prev)
        s ← clamp(s·η+, s_min, s_max) where c > 0, clamp(s·η−, ...) where c < 0, s where c = 0
        g ← 0 where c < 0           (and that zero is the g_prev of the next step)
        p ← p − sign(g)·s
        g_prev ← g

    The state holds `prev` (g_prev, zeros at first), `step_size` (s) and `step`. The lr
    counts only when a parameter's state is made (a scheduler's later changes do nothing), as
    in PyTorch.

    Args:
        params: the tensors to optimize, or parameter groups (dicts, see `Optimizer`).
        lr: the first step size, > 0.
        etas: (η−, η+) with 0 < η− < 1 < η+.
        step_sizes: (s_min, s_max) with 0 <= s_min <= s_max.
        capturable: must be False (no CUDA graphs).
        foreach: accepted for PyTorch's signature (None, True or False); one implementation.
        maximize: climb the objective instead of descending it.
        differentiable: must be False (the step is outside autograd).

    Raises:
        ValueError: an invalid hyper-parameter (named with its value), or as `Optimizer`.
        TypeError: etas or step_sizes is not a pair of numbers.
    """

    group_keys = ("lr", "etas", "step_sizes", "maximize")
    hyperparameters = ("lr", "etaminus", "etaplus", "step_size_min", "step_size_max", "maximize")
    state_arrays = ("prev", "step_size")
    state_counters = ("step",)

    lr = _GroupValue[float]("lr")
    etas = _GroupValue[tuple[float, float]]("etas")
    step_sizes = _GroupValue[tuple[float, float]]("step_sizes")
    maximize = _GroupValue[bool]("maximize")

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[Mapping[str, Any]],
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_flags("Rprop", foreach, capturable, differentiable)
        hyper = dict(lr=lr, etas=etas, step_sizes=step_sizes, maximize=maximize)
        super().__init__(params, self._validate(**hyper))

    @classmethod
    def _validate(cls, **hyper: Any) -> dict[str, Any]:
        minus, plus = _pair("Rprop", "etas", hyper["etas"])
        if not 0.0 < minus < 1.0 < plus:
            raise ValueError(
                f"Rprop: etas must satisfy 0 < etaminus < 1 < etaplus, got {(minus, plus)}"
            )
        low, high = _pair("Rprop", "step_sizes", hyper["step_sizes"])
        if not 0 <= low <= high:
            raise ValueError(f"Rprop: step_sizes must satisfy 0 <= min <= max, got {(low, high)}")
        return {
            "lr": _number("Rprop", "lr", hyper["lr"], gt=0),
            "etas": (minus, plus),
            "step_sizes": (low, high),
            "maximize": _flag("Rprop", "maximize", hyper["maximize"]),
        }

    @classmethod
    def _flat(cls, hyper: Mapping[str, Any]) -> dict[str, Any]:
        (minus, plus), (low, high) = hyper["etas"], hyper["step_sizes"]
        return {
            "lr": hyper["lr"],
            "etaminus": minus,
            "etaplus": plus,
            "step_size_min": low,
            "step_size_max": high,
            "maximize": hyper["maximize"],
        }

    @classmethod
    def _unflat(cls, flat: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "lr": flat["lr"],
            "etas": (flat["etaminus"], flat["etaplus"]),
            "step_sizes": (flat["step_size_min"], flat["step_size_max"]),
            "maximize": flat["maximize"],
        }

    @traced_call
    def step(self) -> None:
        """Apply one Rprop update to every parameter whose `.grad` is not None."""
        for group, i, p, g in self._grads():
            (minus, plus), (low, high) = group["etas"], group["step_sizes"]
            data = p.data
            st = self.state.get(i)
            if st is None:
                st = {"prev": np.zeros_like(data), "step_size": np.full_like(g, group["lr"])}
                st["step"] = 0
                self.state[i] = st
            st["step"] += 1
            prev, size = st["prev"], st["step_size"]
            factor, work = self._work(i, p), self._work(i, p, 1)
            np.multiply(g, prev, out=factor)
            np.sign(factor, out=factor)
            shrink = factor < 0
            factor[factor > 0] = plus
            factor[shrink] = minus
            factor[factor == 0] = 1
            np.multiply(size, factor, out=size)
            np.clip(size, low, high, out=size)
            np.copyto(prev, g)
            prev[shrink] = 0
            np.sign(prev, out=work)
            np.multiply(work, size, out=work)
            np.subtract(data, work, out=data)


class ASGD(FloatStateOptimizer):
    r"""Averaged stochastic gradient descent (Polyak & Juditsky; PyTorch's form).

    For each parameter p with gradient g (−g with `maximize`), at its step t = 1, 2, ...,
    with η and μ from the previous step (η = lr and μ = 1 at first)::

        g ← g + weight_decay·p
        p ← p·(1 − λ·η) − η·g
        a ← p if μ = 1, else a + μ·(p − a)
        η ← lr / (1 + λ·lr·t)^α,  μ ← 1 / max(1, t − t0)

    The average a (`ax` in the state) is what ASGD is for: evaluate with it. The state also
    holds `eta` and `mu` (floats in the state dict) and `step`.

    Args:
        params: the tensors to optimize, or parameter groups (dicts, see `Optimizer`).
        lr: the learning rate > 0.
        lambd: the decay term λ >= 0.
        alpha: the power α of the η update.
        t0: the step after which averaging starts.
        weight_decay: the L2 penalty factor, >= 0.
        foreach: accepted for PyTorch's signature (None, True or False); one implementation.
        maximize: climb the objective instead of descending it.
        differentiable: must be False (the step is outside autograd).
        capturable: must be False (no CUDA graphs).

    Raises:
        ValueError: an invalid hyper-parameter (named with its value), or as `Optimizer`.
    """

    group_keys = ("lr", "lambd", "alpha", "t0", "weight_decay", "maximize")
    hyperparameters = group_keys
    state_arrays = ("ax",)
    state_counters = ("step",)
    state_floats = ("eta", "mu")

    lr = _GroupValue[float]("lr")
    lambd = _GroupValue[float]("lambd")
    alpha = _GroupValue[float]("alpha")
    t0 = _GroupValue[float]("t0")
    weight_decay = _GroupValue[float]("weight_decay")
    maximize = _GroupValue[bool]("maximize")

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[Mapping[str, Any]],
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0.0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_flags("ASGD", foreach, capturable, differentiable)
        hyper = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay)
        super().__init__(params, self._validate(**hyper, maximize=maximize))

    @classmethod
    def _validate(cls, **hyper: Any) -> dict[str, Any]:
        return {
            "lr": _number("ASGD", "lr", hyper["lr"], gt=0),
            "lambd": _number("ASGD", "lambd", hyper["lambd"], ge=0),
            "alpha": _number("ASGD", "alpha", hyper["alpha"]),
            "t0": _number("ASGD", "t0", hyper["t0"]),
            "weight_decay": _number("ASGD", "weight_decay", hyper["weight_decay"], ge=0),
            "maximize": _flag("ASGD", "maximize", hyper["maximize"]),
        }

    @traced_call
    def step(self) -> None:
        """Apply one ASGD update to every parameter whose `.grad` is not None."""
        for group, i, p, g in self._grads():
            lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
            data = p.data
            st = self.state.get(i)
            if st is None:
                st = self.state[i] = {"ax": np.zeros_like(data), "step": 0, "eta": lr, "mu": 1.0}
            st["step"] += 1
            eta, mu = st["eta"], st["mu"]
            work = self._work(i, p)
            np.multiply(data, 1 - lambd * eta, out=data)
            np.multiply(g, -eta, out=work)
            np.add(data, work, out=data)
            ax = st["ax"]
            if mu != 1:
                np.subtract(data, ax, out=work)
                np.multiply(work, mu, out=work)
                np.add(ax, work, out=ax)
            else:
                np.copyto(ax, data)
            t = st["step"]
            st["eta"] = lr / ((1 + lambd * lr * t) ** alpha)
            st["mu"] = 1 / max(1, t - t0)
