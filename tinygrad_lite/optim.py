"""Optimizers that update Parameters in place from their gradients: SGD and Adam."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from .autograd import next_version
from .tensor import Tensor
from .tracing import traced_call

__all__ = ["Adam", "Optimizer", "SGD"]


def _number(
    owner: str, name: str, value: Any, gt: float | None = None, ge: float | None = None
) -> float:
    """`value` as a finite float, from a Python or NumPy number or a 0-d array.

    With `gt` (or `ge`), the value must also be greater than (or at least) that bound.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__} {value!r}")
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"{owner}: {name} must be finite, got {x}")
    if gt is not None and not x > gt:
        raise ValueError(f"{owner}: {name} must be > {gt:g}, got {x}")
    if ge is not None and not x >= ge:
        raise ValueError(f"{owner}: {name} must be >= {ge:g}, got {x}")
    return x


def _flag(owner: str, name: str, value: Any) -> bool:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be a bool, got {type(value).__name__} {value!r}")
    return bool(value)


class Optimizer:
    """Base class: holds the Parameters, their per-parameter state and the hyper-parameters.

    A subclass lists its hyper-parameter names in `hyperparameters` and the names of its
    per-parameter arrays in `state_arrays` (plus integer counters in `state_counters`), checks
    hyper-parameters in `_validate` and implements `step`, decorated with
    `tinygrad_lite.tracing.traced_call` so that a compiled training step calls it again on
    every replay (a step that changes the parameters in place should also stamp each one with
    `p._version = autograd.next_version()`, so a backward through a graph that used the old
    values is refused). Hyper-parameters are attributes (e.g. `opt.lr`) that may be changed
    between steps.

    Args:
        params: the tensors to optimize (e.g. `model.parameters()`): leaves that require grad,
            each listed once.

    Raises:
        ValueError: the list is empty, or holds a tensor twice, a non-leaf, one that does not
            require grad, or one whose array is read-only.
        TypeError: an item is not a Tensor.
    """

    hyperparameters: ClassVar[tuple[str, ...]] = ()
    state_arrays: ClassVar[tuple[str, ...]] = ()
    state_counters: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: Iterable[Tensor]) -> None:
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(
                f"{name}: params must be an iterable of tensors, got a single Tensor; "
                "pass [tensor] or model.parameters()"
            )
        plist = list(params)
        if not plist:
            raise ValueError(
                f"{name}: got an empty parameter list, so there is nothing to optimize"
            )
        seen: dict[int, int] = {}
        for i, p in enumerate(plist):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: params[{i}] is a {type(p).__name__}, not a Tensor")
            if p._ctx is not None:
                raise ValueError(
                    f"{name}: params[{i}] (shape {p.shape}) is not a leaf: it was computed by "
                    f"{p._ctx.fn.__name__}; optimize the tensors you created, not results"
                )
            if not p.requires_grad:
                raise ValueError(
                    f"{name}: params[{i}] (shape {p.shape}) does not require grad; create it "
                    "with requires_grad=True"
                )
            if not p.data.flags.writeable:
                raise ValueError(f"{name}: params[{i}] (shape {p.shape}) has a read-only array")
            if id(p) in seen:
                raise ValueError(f"{name}: params[{i}] is the same tensor as params[{seen[id(p)]}]")
            seen[id(p)] = i
        self.params: list[Tensor] = plist
        self.state: dict[int, dict[str, Any]] = {}
        # Preallocated work arrays, one per parameter (and slot), so a step makes no new arrays.
        self._scratch: dict[tuple[int, int], np.ndarray] = {}

    def _work(self, i: int, p: Tensor, slot: int = 0) -> np.ndarray:
        buf = self._scratch.get((i, slot))
        if buf is None or buf.shape != p.data.shape or buf.dtype != p.data.dtype:
            buf = np.empty_like(p.data)
            self._scratch[(i, slot)] = buf
        return buf

    @classmethod
    def _validate(cls, **hyper: Any) -> dict[str, Any]:
        """Return the hyper-parameters converted and checked, or raise a clear error."""
        raise NotImplementedError

    @traced_call
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient (None, or zeros in place if `set_to_none` is False)."""
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.data.fill(0)

    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        raise NotImplementedError

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict[str, Any]:
        """Return the hyper-parameters and per-parameter state as one flat dict.

        Keys are the hyper-parameter names (Python numbers) and
        `state.<index>.<name>` for per-parameter state (copies of arrays, and int counters),
        with `<index>` the parameter's position in the list given to the constructor. The flat
        form can be written with `tinygrad_lite.save` as it is.
        """
        out: dict[str, Any] = {h: getattr(self, h) for h in self.hyperparameters}
        for i in sorted(self.state):
            for key, value in self.state[i].items():
                out[f"state.{i}.{key}"] = value.copy() if isinstance(value, np.ndarray) else value
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyper-parameters and state saved by `state_dict` (from the same parameters).

        Everything is checked before anything changes, so a failed load changes nothing.
        Values may be Python numbers, NumPy arrays (0-d for numbers) or Tensors.

        Raises:
            ValueError: one error naming every missing or unexpected key, every array of the
                wrong shape or dtype, and every invalid hyper-parameter.
        """
        name = type(self).__name__
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"{name}.load_state_dict: expected a mapping, got {type(state_dict).__name__}"
            )
        problems: list[str] = []
        missing = [h for h in self.hyperparameters if h not in state_dict]
        if missing:
            problems.append(f"missing keys {missing}")
        unexpected: list[str] = []
        per_param: dict[int, dict[str, Any]] = {}
        names = self.state_arrays + self.state_counters
        for key, value in state_dict.items():
            if key in self.hyperparameters:
                continue
            parts = str(key).split(".")
            if (
                len(parts) != 3
                or parts[0] != "state"
                or not parts[1].isdigit()
                or int(parts[1]) >= len(self.params)
                or parts[2] not in names
            ):
                unexpected.append(str(key))
                continue
            per_param.setdefault(int(parts[1]), {})[parts[2]] = value
        if unexpected:
            problems.append(f"unexpected keys {unexpected}")
        new_state: dict[int, dict[str, Any]] = {}
        for i, entries in sorted(per_param.items()):
            lacking = [n for n in names if n not in entries]
            if lacking:
                problems.append(f"state of parameter {i} lacks {lacking}")
                continue
            p = self.params[i].data
            st: dict[str, Any] = {}
            for n in self.state_arrays:
                v = entries[n]
                arr = np.asarray(v.data if isinstance(v, Tensor) else v)
                if arr.shape != p.shape or arr.dtype != p.dtype:
                    problems.append(
                        f"state.{i}.{n}: shape {arr.shape} dtype {arr.dtype}, but the parameter "
                        f"has shape {p.shape} dtype {p.dtype}"
                    )
                st[n] = np.array(arr, copy=True)
            for n in self.state_counters:
                v = entries[n]
                v = v[()] if isinstance(v, np.ndarray) and v.ndim == 0 else v
                if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
                    problems.append(f"state.{i}.{n}: expected an int, got {v!r}")
                elif v < 1:
                    problems.append(f"state.{i}.{n}: must be >= 1, got {v}")
                else:
                    st[n] = int(v)
            new_state[i] = st
        hyper: dict[str, Any] = {}
        if not missing:
            try:
                hyper = self._validate(**{h: state_dict[h] for h in self.hyperparameters})
            except (TypeError, ValueError) as e:
                problems.append(str(e))
        if problems:
            raise ValueError(f"{name}.load_state_dict: " + "; ".join(problems))
        for h, v in hyper.items():
            setattr(self, h, v)
        self.state = new_state

    def __repr__(self) -> str:
        hp = ", ".join(f"{h}={getattr(self, h)!r}" for h in self.hyperparameters)
        return f"{type(self).__name__}({len(self.params)} parameters, {hp})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay.

    PyTorch's update, for each parameter p with gradient g (dampening 0)::

        g ← g + weight_decay·p
        buf ← g on the first step, else momentum·buf + g      (when momentum > 0)
        g ← g + momentum·buf if nesterov, else buf              (when momentum > 0)
        p ← p − lr·g

    With momentum = weight_decay = 0 this is the tutorial's θ ← θ − α·dθ, exactly.

    Args:
        params: the tensors to optimize.
        lr: the learning rate α > 0.
        momentum: the momentum factor, >= 0.
        weight_decay: the L2 penalty factor, >= 0.
        nesterov: use Nesterov momentum (needs momentum > 0).

    Example:
        >>> from tinygrad_lite import Tensor, optim
        >>> w = Tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.SGD([w], lr=0.25)
        >>> (w * w).sum().backward()  # w.grad = 2w
        >>> opt.step()  # w - 0.25 * 2w
        >>> w
        Tensor([ 0.5, -1. ], requires_grad=True)
    """

    hyperparameters = ("lr", "momentum", "weight_decay", "nesterov")
    state_arrays = ("momentum_buffer",)

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        hyper = self._validate(
            lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov
        )
        super().__init__(params)
        self.lr: float = hyper["lr"]
        self.momentum: float = hyper["momentum"]
        self.weight_decay: float = hyper["weight_decay"]
        self.nesterov: bool = hyper["nesterov"]

    @classmethod
    def _validate(cls, **hyper: Any) -> dict[str, Any]:
        lr = _number("SGD", "lr", hyper["lr"], gt=0)
        momentum = _number("SGD", "momentum", hyper["momentum"], ge=0)
        wd = _number("SGD", "weight_decay", hyper["weight_decay"], ge=0)
        nesterov = _flag("SGD", "nesterov", hyper["nesterov"])
        if nesterov and momentum == 0:
            raise ValueError("SGD: nesterov=True needs momentum > 0, got momentum=0")
        return {"lr": lr, "momentum": momentum, "weight_decay": wd, "nesterov": nesterov}

    @traced_call
    def step(self) -> None:
        """Apply one SGD update to every parameter whose `.grad` is not None."""
        lr, momentum, wd, nesterov = self.lr, self.momentum, self.weight_decay, self.nesterov
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            data = p.data
            d = p.grad.data
            work = self._work(i, p)
            if wd != 0:
                np.multiply(data, wd, out=work)
                np.add(d, work, out=work)
                d = work
            if momentum != 0:
                st = self.state.get(i)
                if st is None:
                    buf = np.array(d, copy=True)
                    self.state[i] = {"momentum_buffer": buf}
                else:
                    buf = st["momentum_buffer"]
                    np.multiply(buf, momentum, out=buf)
                    np.add(buf, d, out=buf)
                if nesterov:
                    extra = self._work(i, p, 1)
                    np.multiply(buf, momentum, out=extra)
                    np.add(d, extra, out=work)
                    d = work
                else:
                    d = buf
            np.multiply(d, lr, out=work)
            np.subtract(data, work, out=data)
            p._version = next_version()


class Adam(Optimizer):
    """Adam with bias correction (Kingma & Ba; PyTorch's form, without amsgrad).

    For each parameter p with gradient g, at step t = 1, 2, ...::

        g ← g + weight_decay·p
        m ← β1·m + (1 − β1)·g
        v ← β2·v + (1 − β2)·g²
        p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + eps)

    Args:
        params: the tensors to optimize.
        lr: the learning rate > 0.
        betas: (β1, β2), each in [0, 1).
        eps: added to the denominator, > 0.
        weight_decay: the L2 penalty factor, >= 0.
    """

    hyperparameters = ("lr", "beta1", "beta2", "eps", "weight_decay")
    state_arrays = ("exp_avg", "exp_avg_sq")
    state_counters = ("step",)

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        hyper = self._validate(
            lr=lr, beta1=betas[0], beta2=betas[1], eps=eps, weight_decay=weight_decay
        )
        super().__init__(params)
        self.lr: float = hyper["lr"]
        self.beta1: float = hyper["beta1"]
        self.beta2: float = hyper["beta2"]
        self.eps: float = hyper["eps"]
        self.weight_decay: float = hyper["weight_decay"]

    @property
    def betas(self) -> tuple[float, float]:
        """(β1, β2)."""
        return (self.beta1, self.beta2)

    @classmethod
    def _validate(cls, **hyper: Any) -> dict[str, Any]:
        lr = _number("Adam", "lr", hyper["lr"], gt=0)
        out = {"lr": lr}
        for k in ("beta1", "beta2"):
            b = _number("Adam", k, hyper[k])
            if not 0 <= b < 1:
                raise ValueError(f"Adam: {k} must lie in [0, 1), got {b}")
            out[k] = b
        eps = _number("Adam", "eps", hyper["eps"], gt=0)
        wd = _number("Adam", "weight_decay", hyper["weight_decay"], ge=0)
        out.update(eps=eps, weight_decay=wd)
        return out

    @traced_call
    def step(self) -> None:
        """Apply one Adam update to every parameter whose `.grad` is not None."""
        lr, b1, b2, eps, wd = self.lr, self.beta1, self.beta2, self.eps, self.weight_decay
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            data = p.data
            g = p.grad.data
            work = self._work(i, p)
            st = self.state.get(i)
            if st is None:
                st = {"step": 0, "exp_avg": np.zeros_like(data), "exp_avg_sq": np.zeros_like(data)}
                self.state[i] = st
            st["step"] += 1
            t = st["step"]
            m, v = st["exp_avg"], st["exp_avg_sq"]
            if wd != 0:
                geff = self._work(i, p, 1)
                np.multiply(data, wd, out=geff)
                np.add(g, geff, out=geff)
                g = geff
            np.multiply(m, b1, out=m)
            np.multiply(g, 1.0 - b1, out=work)
            np.add(m, work, out=m)
            np.multiply(v, b2, out=v)
            np.multiply(g, g, out=work)
            np.multiply(work, 1.0 - b2, out=work)
            np.add(v, work, out=v)
            step_size = lr / (1.0 - b1**t)
            np.sqrt(v, out=work)
            np.divide(work, math.sqrt(1.0 - b2**t), out=work)
            np.add(work, eps, out=work)
            np.divide(m, work, out=work)
            np.multiply(work, step_size, out=work)
            np.subtract(data, work, out=data)
            p._version = next_version()
