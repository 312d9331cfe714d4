"""Adam: moment estimates with bias correction (Kingma & Ba; PyTorch's form)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from ..tensor import Tensor
from ..tracing import traced_call
from ..written import mark
from .common import check_flags
from .flat import FlatGroup
from .optimizer import Optimizer
from .param_group import _flag, _GroupValue, _number

__all__ = ["Adam", "AdamW"]


class BetasMixin:
    """β1 and β2 as properties over the groups' `betas` (Adam and its relatives)."""

    betas: Any

    @property
    def beta1(self) -> float:
        """β1 of every group (set in all of them)."""
        return self.betas[0]

    @beta1.setter
    def beta1(self, value: float) -> None:
        self.betas = (value, self.betas[1])

    @property
    def beta2(self) -> float:
        """β2 of every group (set in all of them)."""
        return self.betas[1]

    @beta2.setter
    def beta2(self, value: float) -> None:
        self.betas = (self.betas[0], value)


class Adam(BetasMixin, Optimizer):
    r"""Adam with bias correction (Kingma & Ba; PyTorch's form, with its amsgrad option).

    For each parameter p with gradient g (−g with `maximize`), at its step t = 1, 2, ...::

        g ← g + weight_decay·p
        m ← β1·m + (1 − β1)·g
        v ← β2·v + (1 − β2)·g²
        v_max ← max(v_max, v)                               (amsgrad; v̂ then uses v_max)
        m̂ ← m / (1 − β1^t),  v̂ ← v / (1 − β2^t)
        p ← p − lr·m̂ / (√v̂ + eps)

    This is PyTorch's Adam and the course's θ ← θ − α·v̂ / (√ŝ + ε) (its v and s are m and v
    here): both add ε to the bias-corrected √v̂, as the paper's algorithm does (Keras instead
    adds ε to the uncorrected √v, which differs while t is small). The operations are done in
    the course's order, so its `update_parameters_with_adam` is reproduced bit for bit;
    PyTorch orders the same arithmetic differently (lr/(1 − β1^t) times m / (√v/√(1 − β2^t) +
    eps), with lerp for m), which agrees to a few units in the last place.
    Weight decay is the coupled L2 form (added to the gradient); `AdamW` decouples it.

    The state of a parameter holds `step`, `exp_avg` (m), `exp_avg_sq` (v) and, with amsgrad,
    `max_exp_avg_sq` (v_max, from zero), as in PyTorch. The flat state dict writes `amsgrad`,
    `maximize` and `decoupled_weight_decay` only where they are not the class's default (a
    state dict without them loads those defaults).

    Args:
        params: the tensors to optimize, or parameter groups (dicts, see `Optimizer`).
        lr: the learning rate > 0.
        betas: (β1, β2), each in [0, 1).
        eps: added to the denominator, > 0.
        weight_decay: the L2 penalty factor, >= 0.
        amsgrad: divide by the root of the largest v so far (Reddi et al.).
        foreach: PyTorch's choice of implementation (None, True or False): one here.
        maximize: climb the objective instead of descending it.
        capturable: must be False (no CUDA graphs here).
        differentiable: must be False (the step is outside autograd).
        fused: None or False (there is no fused kernel here).
        decoupled_weight_decay: decay the parameters as `AdamW` does instead of adding the
            L2 term to the gradient.

    Raises:
        ValueError: an invalid hyper-parameter (named with its value), or as `Optimizer`.
        TypeError: betas is not a pair.
    """

    group_keys = (
        "lr",
        "betas",
        "eps",
        "weight_decay",
        "amsgrad",
        "maximize",
        "decoupled_weight_decay",
    )
    hyperparameters = (
        "lr",
        "beta1",
        "beta2",
        "eps",
        "weight_decay",
        "amsgrad",
        "maximize",
        "decoupled_weight_decay",
    )
    state_arrays = ("exp_avg", "exp_avg_sq")
    optional_arrays = ("max_exp_avg_sq",)
    state_counters = ("step",)
    legacy_defaults: ClassVar[Mapping[str, Any]] = {
        "amsgrad": False,
        "maximize": False,
        "decoupled_weight_decay": False,
    }
    quiet_flags = ("amsgrad", "maximize", "decoupled_weight_decay")

    lr = _GroupValue[float]("lr")
    betas = _GroupValue[tuple[float, float]]("betas")
    eps = _GroupValue[float]("eps")
    weight_decay = _GroupValue[float]("weight_decay")
    amsgrad = _GroupValue[bool]("amsgrad")
    maximize = _GroupValue[bool]("maximize")
    decoupled_weight_decay = _GroupValue[bool]("decoupled_weight_decay")

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[Mapping[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        name = type(self).__name__
        check_flags(name, foreach, capturable, differentiable)
        if fused is not None and fused is not False:
            raise ValueError(
                f"{name}: fused={fused!r} is not supported: there is no fused kernel here; "
                "leave it None"
            )
        defaults = self._validate(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    @classmethod
    def _validate(cls, **hyper: Any) -> dict[str, Any]:
        name = cls.__name__
        lr = _number(name, "lr", hyper["lr"], gt=0)
        betas = hyper["betas"]
        if isinstance(betas, np.ndarray):
            betas = tuple(betas.tolist())
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        checked = []
        for k, b in zip(("beta1", "beta2"), betas, strict=True):
            b = _number(name, k, b)
            if not 0 <= b < 1:
                raise ValueError(f"{name}: {k} must lie in [0, 1), got {b}")
            checked.append(b)
        eps = _number(name, "eps", hyper["eps"], gt=0)
        wd = _number(name, "weight_decay", hyper["weight_decay"], ge=0)
        return {
            "lr": lr,
            "betas": (checked[0], checked[1]),
            "eps": eps,
            "weight_decay": wd,
            "amsgrad": _flag(name, "amsgrad", hyper["amsgrad"]),
            "maximize": _flag(name, "maximize", hyper["maximize"]),
            "decoupled_weight_decay": _flag(
                name, "decoupled_weight_decay", hyper["decoupled_weight_decay"]
            ),
        }

    @classmethod
    def _flat(cls, hyper: Mapping[str, Any]) -> dict[str, Any]:
        b1, b2 = hyper["betas"]
        out = {
            "lr": hyper["lr"],
            "beta1": b1,
            "beta2": b2,
            "eps": hyper["eps"],
            "weight_decay": hyper["weight_decay"],
        }
        for flag in cls.quiet_flags:  # written only where not the default (`quiet_flags`)
            if hyper[flag] != cls.legacy_defaults[flag]:
                out[flag] = hyper[flag]
        return out

    @classmethod
    def _unflat(cls, flat: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "lr": flat["lr"],
            "betas": (flat["beta1"], flat["beta2"]),
            "eps": flat["eps"],
            "weight_decay": flat["weight_decay"],
            "amsgrad": flat["amsgrad"],
            "maximize": flat["maximize"],
            "decoupled_weight_decay": flat["decoupled_weight_decay"],
        }

    @traced_call
    def step(self) -> None:
        """Apply one Adam update to every parameter whose `.grad` is not None."""
        start = 0
        for k, group in enumerate(self.param_groups):
            params = group["params"]
            # The coupled weight decay reads the parameters: that form takes the loop.
            flat = None
            plain = not (group["amsgrad"] or group["maximize"])
            if plain and (group["weight_decay"] == 0 or group["decoupled_weight_decay"]):
                flat = self._flat_group(k, params, start)
            if flat is not None:
                self._step_flat(flat, group)
            else:
                self._step_each(group, start)
            start += len(params)

    def _step_flat(self, flat: FlatGroup, group: Mapping[str, Any]) -> None:
        """One step of a whole group in flat form (see `optim.flat`): the loop's values."""
        lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        t = flat.states[0]["step"] + 1
        for st in flat.states:
            st["step"] = t
        if wd != 0:  # decoupled (AdamW)
            for p in flat.params:
                np.multiply(p.data, 1.0 - lr * wd, out=p.data)
        m, v = flat.flats["exp_avg"], flat.flats["exp_avg_sq"]
        _moments(flat.gather(), m, v, b1, b2, flat.work)
        _update(m, v, t, lr, b1, b2, eps, flat.work, flat.num)
        flat.update()

    def _step_each(self, group: Mapping[str, Any], start: int) -> None:
        """The update of each parameter of a group in turn."""
        state = self.state
        params = group["params"]
        lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        amsgrad, maximize = group["amsgrad"], group["maximize"]
        for i, p in enumerate(params, start):
            if p.grad is None:
                continue
            data = p.data
            g = p.grad.data
            if maximize:
                g = np.negative(g, out=self._work(i, p, 2))
            work = self._work(i, p)
            st = state.get(i)
            if st is None:
                st = {
                    "step": 0,
                    "exp_avg": np.zeros_like(data),
                    "exp_avg_sq": np.zeros_like(data),
                }
                state[i] = st
            st["step"] += 1
            t = st["step"]
            m, v = st["exp_avg"], st["exp_avg_sq"]
            if wd != 0 and group["decoupled_weight_decay"]:  # AdamW's p ← p·(1 − lr·wd)
                np.multiply(data, 1.0 - lr * wd, out=data)
            elif wd != 0:
                geff = self._work(i, p, 1)
                np.multiply(data, wd, out=geff)
                np.add(g, geff, out=geff)
                g = geff
            _moments(g, m, v, b1, b2, work)
            if amsgrad:  # PyTorch's KeyError when amsgrad is switched on later: zeros here
                vmax = st.get("max_exp_avg_sq")
                if vmax is None:
                    vmax = st["max_exp_avg_sq"] = np.zeros_like(data)
                np.maximum(vmax, v, out=vmax)
                v = vmax
            num = self._work(i, p, 1)
            _update(m, v, t, lr, b1, b2, eps, work, num)
            np.subtract(data, num, out=data)
            mark(p)


def _moments(g: Any, m: Any, v: Any, b1: float, b2: float, work: Any) -> None:
    """The moments in place: m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g² (`work`: scratch)."""
    np.multiply(m, b1, out=m)
    np.multiply(g, 1.0 - b1, out=work)
    np.add(m, work, out=m)
    np.multiply(v, b2, out=v)
    np.multiply(g, g, out=work)
    np.multiply(work, 1.0 - b2, out=work)
    np.add(v, work, out=v)


def _update(
    m: Any, v: Any, t: int, lr: float, b1: float, b2: float, eps: float, work: Any, num: Any
) -> None:
    """The step to subtract, lr·m̂ / (√v̂ + eps), into `num` (`work`: scratch)."""
    # The course's order of operations: α·v̂ / (√ŝ + ε), with v̂ = m / (1 − β1^t) and
    # ŝ = v / (1 − β2^t), so that its update is reproduced bit for bit.
    np.divide(v, 1.0 - b2**t, out=work)
    np.sqrt(work, out=work)
    np.add(work, eps, out=work)
    np.divide(m, 1.0 - b1**t, out=num)
    np.multiply(num, lr, out=num)
    np.divide(num, work, out=num)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter; PyTorch's AdamW).

    Each step first shrinks the parameter, p ← p·(1 − lr·weight_decay), then applies Adam's
    update without any decay term in the gradient (see `Adam`, whose order of operations it
    shares). The default weight decay is PyTorch's, 0.01.

    Args:
        params: the tensors to optimize, or parameter groups (dicts, see `Optimizer`).
        lr: the learning rate > 0.
        betas: (β1, β2), each in [0, 1).
        eps: added to the denominator, > 0.
        weight_decay: the decay factor, >= 0.
        amsgrad: divide by the root of the largest v so far.
        maximize: climb the objective instead of descending it.
        foreach: PyTorch's choice of implementation (None, True or False): one here.
        capturable: must be False (no CUDA graphs here).
        differentiable: must be False (the step is outside autograd).
        fused: None or False (there is no fused kernel here).
    """

    legacy_defaults: ClassVar[Mapping[str, Any]] = {
        "amsgrad": False,
        "maximize": False,
        "decoupled_weight_decay": True,
    }

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[Mapping[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )
