"""Adamax, NAdam and RAdam: Adam's relatives, in PyTorch's forms and with its defaults."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..tensor import Tensor
from ..tracing import traced_call
from .adam import BetasMixin
from .common import FloatStateOptimizer, betas_pair, check_flags, lerp_
from .param_group import _flag, _GroupValue, _number

__all__ = ["Adamax", "NAdam", "RAdam"]


class _WithBetas(BetasMixin, FloatStateOptimizer):
    """The settings the three share: lr, betas (saved as beta1 and beta2), eps, weight_decay."""

    lr = _GroupValue[float]("lr")
    betas = _GroupValue[tuple[float, float]]("betas")
    eps = _GroupValue[float]("eps")
    weight_decay = _GroupValue[float]("weight_decay")
    maximize = _GroupValue[bool]("maximize")

    @classmethod
    def _validate(cls, **hyper: Any) -> dict[str, Any]:
        name = cls.__name__
        out = {
            "lr": _number(name, "lr", hyper["lr"], gt=0),
            "betas": betas_pair(name, hyper["betas"]),
            "eps": _number(name, "eps", hyper["eps"], gt=0),
            "weight_decay": _number(name, "weight_decay", hyper["weight_decay"], ge=0),
            "maximize": _flag(name, "maximize", hyper["maximize"]),
        }
        if "momentum_decay" in cls.group_keys:
            out["momentum_decay"] = _number(name, "momentum_decay", hyper["momentum_decay"], ge=0)
        if "decoupled_weight_decay" in cls.group_keys:
            flag = hyper["decoupled_weight_decay"]
            out["decoupled_weight_decay"] = _flag(name, "decoupled_weight_decay", flag)
        return {k: out[k] for k in cls.group_keys}

    @classmethod
    def _flat(cls, hyper: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k in cls.group_keys:
            if k == "betas":
                out["beta1"], out["beta2"] = hyper["betas"]
            else:
                out[k] = hyper[k]
        return out

    @classmethod
    def _unflat(cls, flat: Mapping[str, Any]) -> dict[str, Any]:
        return {
            k: (flat["beta1"], flat["beta2"]) if k == "betas" else flat[k] for k in cls.group_keys
        }


def _second_moment(v: np.ndarray, g: np.ndarray, b2: float, work: np.ndarray) -> None:
    """Update v ← β2·v + (1 − β2)·g·g in place, in PyTorch's order ((1 − β2)·g, then g)."""
    np.multiply(v, b2, out=v)
    np.multiply(g, 1.0 - b2, out=work)
    np.multiply(work, g, out=work)
    np.add(v, work, out=v)


class Adamax(_WithBetas):
    r"""Adamax: Adam with the infinity norm (Kingma & Ba, section 7; PyTorch's form).

    For each parameter p with gradient g (−g with `maximize`), at its step t = 1, 2, ...::

        g ← g + weight_decay·p
        m ← β1·m + (1 − β1)·g            (PyTorch's lerp)
        u ← max(β2·u, |g| + eps)
        p ← p − lr / (1 − β1^t) · m / u

    The state holds `exp_avg` (m), `exp_inf` (u) and `step` (t).

    Args:
        params: the tensors to optimize, or parameter groups (dicts, see `Optimizer`).
        lr: the learning rate > 0.
        betas: (β1, β2), each in [0, 1).
        eps: added to |g|, > 0.
        weight_decay: the L2 penalty factor, >= 0.
        foreach: accepted for PyTorch's signature (None, True or False); one implementation.
        maximize: climb the objective instead of descending it.
        differentiable: must be False (the step is outside autograd).
        capturable: must be False (no CUDA graphs).

    Raises:
        ValueError: an invalid hyper-parameter (named with its value), or as `Optimizer`.
        TypeError: betas is not a pair, or a flag is not a bool.
    """

    group_keys = ("lr", "betas", "eps", "weight_decay", "maximize")
    hyperparameters = ("lr", "beta1", "beta2", "eps", "weight_decay", "maximize")
    state_arrays = ("exp_avg", "exp_inf")
    state_counters = ("step",)

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[Mapping[str, Any]],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_flags("Adamax", foreach, capturable, differentiable)
        hyper = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, self._validate(**hyper))

    @traced_call
    def step(self) -> None:
        """Apply one Adamax update to every parameter whose `.grad` is not None."""
        for group, i, p, g in self._grads():
            lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
            data = p.data
            st = self.state.get(i)
            if st is None:
                zeros = np.zeros_like
                st = self.state[i] = {"exp_avg": zeros(data), "exp_inf": zeros(data), "step": 0}
            st["step"] += 1
            m, u = st["exp_avg"], st["exp_inf"]
            work = self._work(i, p)
            lerp_(m, g, 1.0 - b1, work)
            np.multiply(u, b2, out=u)
            np.abs(g, out=work)
            np.add(work, eps, out=work)
            np.maximum(u, work, out=u)
            clr = lr / (1 - b1 ** st["step"])
            np.multiply(m, -clr, out=work)  # PyTorch's addcdiv: p + (−clr·m) / u
            np.divide(work, u, out=work)
            np.add(data, work, out=data)


class NAdam(_WithBetas):
    r"""NAdam: Adam with Nesterov momentum (Dozat; PyTorch's form, with momentum decay).

    For each parameter p with gradient g (−g with `maximize`), at its step t = 1, 2, ...::

        p ← p·(1 − lr·weight_decay)   if decoupled_weight_decay, else g ← g + weight_decay·p
        μ_t = β1·(1 − ½·0.96^(t·ψ)),  μ_{t+1} = β1·(1 − ½·0.96^((t+1)·ψ))   (ψ: momentum_decay)
        Π_t = Π_{t−1}·μ_t                                   (Π_0 = 1)
        m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²
        d = √(v / (1 − β2^t)) + eps
        p ← p − lr·(1 − μ_t)/(1 − Π_t) · g/d − lr·μ_{t+1}/(1 − Π_t·μ_{t+1}) · m/d

    The state holds `exp_avg` (m), `exp_avg_sq` (v), `step` (t) and `mu_product` (Π_t, a float
    in the state dict). With `decoupled_weight_decay` it is PyTorch's NAdamW.

    Args:
        params: the tensors to optimize, or parameter groups (dicts, see `Optimizer`).
        lr: the learning rate > 0.
        betas: (β1, β2), each in [0, 1).
        eps: added to the denominator, > 0.
        weight_decay: the weight decay factor, >= 0.
        momentum_decay: ψ >= 0.
        decoupled_weight_decay: shrink the parameters (AdamW's way) instead of adding the L2
            term to the gradient.
        foreach: accepted for PyTorch's signature (None, True or False); one implementation.
        maximize: climb the objective instead of descending it.
        capturable: must be False (no CUDA graphs).
        differentiable: must be False (the step is outside autograd).

    Raises:
        ValueError: an invalid hyper-parameter (named with its value), or as `Optimizer`.
        TypeError: betas is not a pair, or a flag is not a bool.
    """

    group_keys = (
        "lr",
        "betas",
        "eps",
        "weight_decay",
        "momentum_decay",
        "decoupled_weight_decay",
        "maximize",
    )
    hyperparameters = (
        "lr",
        "beta1",
        "beta2",
        "eps",
        "weight_decay",
        "momentum_decay",
        "decoupled_weight_decay",
        "maximize",
    )
    state_arrays = ("exp_avg", "exp_avg_sq")
    state_counters = ("step",)
    state_floats = ("mu_product",)

    momentum_decay = _GroupValue[float]("momentum_decay")
    decoupled_weight_decay = _GroupValue[bool]("decoupled_weight_decay")

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[Mapping[str, Any]],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_flags("NAdam", foreach, capturable, differentiable)
        hyper = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
        )
        super().__init__(params, self._validate(**hyper))

    @traced_call
    def step(self) -> None:
        """Apply one NAdam update to every parameter whose `.grad` is not None."""
        for group, i, p, g in self._grads():
            lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
            wd, psi = group["weight_decay"], group["momentum_decay"]
            data = p.data
            st = self.state.get(i)
            if st is None:
                zeros = np.zeros_like
                st = {"exp_avg": zeros(data), "exp_avg_sq": zeros(data), "step": 0}
                st["mu_product"] = 1.0
                self.state[i] = st
            st["step"] += 1
            t = st["step"]
            bias_correction2 = 1 - b2**t
            if wd != 0 and group["decoupled_weight_decay"]:
                np.multiply(data, 1 - lr * wd, out=data)
            mu = b1 * (1.0 - 0.5 * (0.96 ** (t * psi)))
            mu_next = b1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * psi)))
            st["mu_product"] *= mu
            mu_product = st["mu_product"]
            m, v = st["exp_avg"], st["exp_avg_sq"]
            work, denom = self._work(i, p), self._work(i, p, 1)
            lerp_(m, g, 1.0 - b1, work)
            _second_moment(v, g, b2, work)
            np.divide(v, bias_correction2, out=denom)
            np.sqrt(denom, out=denom)
            np.add(denom, eps, out=denom)
            np.multiply(g, -lr * (1.0 - mu) / (1.0 - mu_product), out=work)
            np.divide(work, denom, out=work)
            np.add(data, work, out=data)
            mu_product_next = mu_product * mu_next
            np.multiply(m, (-lr * mu_next) / (1.0 - mu_product_next), out=work)
            np.divide(work, denom, out=work)
            np.add(data, work, out=data)


class RAdam(_WithBetas):
    r"""RAdam: Adam with its variance rectified (Liu et al.; PyTorch's form).

    For each parameter p with gradient g (−g with `maximize`), at its step t = 1, 2, ...::

        p ← p·(1 − lr·weight_decay)   if decoupled_weight_decay, else g ← g + weight_decay·p
        m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²,  m̂ = m / (1 − β1^t)
        ρ∞ = 2/(1 − β2) − 1,  ρ_t = ρ∞ − 2t·β2^t / (1 − β2^t)
        if ρ_t > 5:  r = √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t))
                     p ← p − m̂·lr · √(1 − β2^t)/(√v + eps) · r
        else:        p ← p − m̂·lr

    The state holds `exp_avg` (m), `exp_avg_sq` (v) and `step` (t). With
    `decoupled_weight_decay` it is the RAdamW of PyTorch.

    Args:
        params: the tensors to optimize, or parameter groups (dicts, see `Optimizer`).
        lr: the learning rate > 0.
        betas: (β1, β2), each in [0, 1).
        eps: added to the denominator, > 0.
        weight_decay: the weight decay factor, >= 0.
        decoupled_weight_decay: shrink the parameters (AdamW's way) instead of adding the L2
            term to the gradient.
        foreach: accepted for PyTorch's signature (None, True or False); one implementation.
        maximize: climb the objective instead of descending it.
        capturable: must be False (no CUDA graphs).
        differentiable: must be False (the step is outside autograd).

    Raises:
        ValueError: an invalid hyper-parameter (named with its value), or as `Optimizer`.
        TypeError: betas is not a pair, or a flag is not a bool.
    """

    group_keys = ("lr", "betas", "eps", "weight_decay", "decoupled_weight_decay", "maximize")
    hyperparameters = (
        "lr",
        "beta1",
        "beta2",
        "eps",
        "weight_decay",
        "decoupled_weight_decay",
        "maximize",
    )
    state_arrays = ("exp_avg", "exp_avg_sq")
    state_counters = ("step",)

    decoupled_weight_decay = _GroupValue[bool]("decoupled_weight_decay")

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[Mapping[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_flags("RAdam", foreach, capturable, differentiable)
        hyper = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
        )
        super().__init__(params, self._validate(**hyper))

    @traced_call
    def step(self) -> None:
        """Apply one RAdam update to every parameter whose `.grad` is not None."""
        for group, i, p, g in self._grads():
            lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            data = p.data
            st = self.state.get(i)
            if st is None:
                zeros = np.zeros_like
                st = self.state[i] = {"exp_avg": zeros(data), "exp_avg_sq": zeros(data), "step": 0}
            st["step"] += 1
            t = st["step"]
            if wd != 0 and group["decoupled_weight_decay"]:
                np.multiply(data, 1 - lr * wd, out=data)
            m, v = st["exp_avg"], st["exp_avg_sq"]
            work, upd = self._work(i, p), self._work(i, p, 1)
            lerp_(m, g, 1.0 - b1, work)
            _second_moment(v, g, b2, work)
            bias_correction1 = 1 - b1**t
            bias_correction2 = 1 - b2**t
            np.divide(m, bias_correction1, out=upd)  # m̂
            np.multiply(upd, lr, out=upd)
            rho_inf = 2 / (1 - b2) - 1
            rho_t = rho_inf - 2 * t * (b2**t) / bias_correction2
            if rho_t > 5.0:
                rect = (
                    (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
                ) ** 0.5
                np.sqrt(v, out=work)
                np.add(work, eps, out=work)
                np.divide(bias_correction2**0.5, work, out=work)  # the adaptive lr
                np.multiply(upd, work, out=upd)
                np.multiply(upd, rect, out=upd)
            np.subtract(data, upd, out=data)
