"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..tensor import Tensor
from ..tracing import ClearGrad, PlainUpdate, traced_call
from ..written import mark
from .common import check_flags
from .flat import FlatGroup
from .optimizer import Optimizer
from .param_group import _flag, _GroupValue, _number

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay.

    PyTorch's update, for each parameter p with gradient g (μ the momentum, τ the dampening)::

        g ← −g                                                  (when maximize)
        g ← g + weight_decay·p
        buf ← g on the first step, else μ·buf + (1 − τ)·g      (when μ > 0)
        g ← g + μ·buf if nesterov, else buf                     (when μ > 0)
        p ← p − lr·g

    With momentum = weight_decay = 0 this is the tutorial's θ ← θ − α·dθ, exactly.

    The course's momentum, v ← β·v + (1 − β)·dθ from v = 0 and θ ← θ − α·v, is
    `SGD(params, lr=α, momentum=β, dampening=β, zero_init_buffer=True)`, bit for bit. Without
    `zero_init_buffer` (PyTorch's rule) the first step sets buf = g instead of the course's
    (1 − β)·g, so the first step is 1/(1 − β) times larger (10 times for β = 0.9); from the
    second step on both rules apply the same recurrence to buffers that differ by β^t·g₁.

    Args:
        params: the tensors to optimize, or parameter groups (dicts, see `Optimizer`).
        lr: the learning rate α > 0 (optional when every group gives its own).
        momentum: the momentum factor μ >= 0.
        dampening: τ in [0, 1]: the fraction of each new gradient left out of the buffer.
        weight_decay: the L2 penalty factor, >= 0.
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening 0).
        zero_init_buffer: start the momentum buffer at 0, so that the first step is
            buf = (1 − τ)·g (the course's v = 0); False is PyTorch's buf = g.
        maximize: climb the objective instead of descending it (the gradient is negated
            before everything else, as in PyTorch).
        foreach: PyTorch's choice of implementation (None, True or False): one here.
        differentiable: must be False (the step is outside autograd).
        fused: None or False (there is no fused kernel here).

    Unlike PyTorch (whose default lr is 1e-3), the lr must be given, to the constructor or
    to every group.

    Raises:
        ValueError: an invalid hyper-parameter (named with its value), or as `Optimizer`.

    Example:
        >>> from tinygrad_lite import Tensor, optim
        >>> w = Tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.SGD([w], lr=0.25)
        >>> (w * w).sum().backward()  # w.grad = 2w
        >>> opt.step()  # w - 0.25 * 2w
        >>> w
        Tensor([ 0.5, -1. ], requires_grad=True)
    """

    group_keys = (
        "lr",
        "momentum",
        "dampening",
        "weight_decay",
        "nesterov",
        "zero_init_buffer",
        "maximize",
    )
    hyperparameters = group_keys
    state_arrays = ("momentum_buffer",)
    legacy_defaults = {"dampening": 0.0, "zero_init_buffer": False, "maximize": False}
    quiet_flags = ("maximize",)

    lr = _GroupValue[float]("lr")
    momentum = _GroupValue[float]("momentum")
    dampening = _GroupValue[float]("dampening")
    weight_decay = _GroupValue[float]("weight_decay")
    nesterov = _GroupValue[bool]("nesterov")
    zero_init_buffer = _GroupValue[bool]("zero_init_buffer")
    maximize = _GroupValue[bool]("maximize")

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[Mapping[str, Any]],
        lr: float | None = None,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        zero_init_buffer: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_flags("SGD", foreach, False, differentiable)
        if fused is not None and fused is not False:
            raise ValueError(
                f"SGD: fused={fused!r} is not supported: there is no fused kernel here; "
                "leave it None"
            )
        defaults = dict(
            lr=1.0 if lr is None else lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            zero_init_buffer=zero_init_buffer,
            maximize=maximize,
        )
        checked = self._validate(**defaults)
        if lr is None:
            del checked["lr"]  # required from every group instead
        super().__init__(params, checked)

    @classmethod
    def _validate(cls, **hyper: Any) -> dict[str, Any]:
        lr = _number("SGD", "lr", hyper["lr"], gt=0)
        momentum = _number("SGD", "momentum", hyper["momentum"], ge=0)
        dampening = _number("SGD", "dampening", hyper["dampening"], ge=0)
        if dampening > 1:
            raise ValueError(f"SGD: dampening must lie in [0, 1], got {dampening}")
        wd = _number("SGD", "weight_decay", hyper["weight_decay"], ge=0)
        nesterov = _flag("SGD", "nesterov", hyper["nesterov"])
        zero = _flag("SGD", "zero_init_buffer", hyper["zero_init_buffer"])
        if nesterov and momentum == 0:
            raise ValueError("SGD: nesterov=True needs momentum > 0, got momentum=0")
        if nesterov and dampening != 0:
            raise ValueError(f"SGD: nesterov=True needs dampening 0, got dampening={dampening}")
        return {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": wd,
            "nesterov": nesterov,
            "zero_init_buffer": zero,
            "maximize": _flag("SGD", "maximize", hyper["maximize"]),
        }

    def _plain_updates(self) -> list[PlainUpdate | ClearGrad] | None:
        """Without momentum, the step is p ← p − lr·(g + weight_decay·p) for every parameter."""
        if any(group["momentum"] != 0 or group["maximize"] for group in self.param_groups):
            return None
        updates: list[PlainUpdate | ClearGrad] = []
        start = 0
        for g, group in enumerate(self.param_groups):
            wd = group["weight_decay"]
            for i, p in enumerate(group["params"], start):
                updates.append(PlainUpdate(g, p, wd, self._work(i, p)))
            start += len(group["params"])
        return updates

    @traced_call(inline="_plain_updates")
    def step(self) -> None:
        """Apply one SGD update to every parameter whose `.grad` is not None."""
        state = self.state
        start = 0
        # The settings are read as a plain dict's: a compiled step replays this whole call.
        read = dict.__getitem__
        stepped: list[Tensor] = []  # stamped together at the end (see `written`)
        for k, group in enumerate(self.param_groups):
            params = read(group, "params")
            lr, momentum = read(group, "lr"), read(group, "momentum")
            wd, maximize = read(group, "weight_decay"), read(group, "maximize")
            if momentum != 0:
                nesterov, zero_init = read(group, "nesterov"), read(group, "zero_init_buffer")
                keep = 1.0 - read(group, "dampening")
                # The weight decay reads the parameters, maximize negates first: the loop.
                flat = self._flat_group(k, params, start) if wd == 0 and not maximize else None
                if flat is not None:
                    _momentum_step(flat, lr, momentum, keep, nesterov, zero_init)
                    start += len(params)
                    continue
            for i, p in enumerate(params, start):
                grad = p._grad
                if grad is None:
                    continue
                data = p.data
                d = grad.data
                work = self._work(i, p)
                if maximize:  # −g into a scratch array of its own (`work` is written below)
                    d = np.negative(d, out=self._work(i, p, 2))
                if wd != 0:
                    np.multiply(data, wd, out=work)
                    np.add(d, work, out=work)
                    d = work
                if momentum != 0:
                    st = state.get(i)
                    first = st is None
                    if st is None:
                        st = state[i] = {"momentum_buffer": np.empty_like(d)}
                    extra = self._work(i, p, 1) if nesterov else work
                    buf = st["momentum_buffer"]
                    d = _direction(d, buf, first, momentum, keep, nesterov, zero_init, work, extra)
                np.multiply(d, lr, out=work)
                np.subtract(data, work, out=data)
                stepped.append(p)
            start += len(params)
        if stepped:
            mark(*stepped)


def _direction(
    g: Any,
    buf: Any,
    first: bool,
    momentum: float,
    keep: float,
    nesterov: bool,
    zero_init: bool,
    work: Any,
    extra: Any,
) -> Any:
    """The momentum buffer updated in place, and the direction to step along.

    buf ← g on the first step ((1 − τ)·g from a zero buffer with `zero_init`), else
    μ·buf + (1 − τ)·g; the direction is buf, or g + μ·buf with Nesterov. `work` and `extra`
    are scratch arrays of g's shape (`work` may be g itself).
    """
    d = g
    if first:
        np.copyto(buf, g)
        if zero_init:  # 0·μ + (1 − τ)·g
            np.multiply(buf, keep, out=buf)
    else:
        np.multiply(buf, momentum, out=buf)
        if keep != 1.0:
            np.multiply(g, keep, out=work)
            d = work
        np.add(buf, d, out=buf)
    if not nesterov:
        return buf
    np.multiply(buf, momentum, out=extra)
    np.add(d, extra, out=work)
    return work


def _momentum_step(
    flat: FlatGroup, lr: float, momentum: float, keep: float, nesterov: bool, zero_init: bool
) -> None:
    """One momentum step of a whole group in flat form (`optim.flat`): the loop's values."""
    buf = flat.flats["momentum_buffer"]
    d = _direction(
        flat.gather(), buf, flat.first, momentum, keep, nesterov, zero_init, flat.work, flat.num
    )
    flat.first = False
    np.multiply(d, lr, out=flat.num)
    flat.update()
