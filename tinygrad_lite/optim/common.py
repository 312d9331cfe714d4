"""Shared parts of Adamax, NAdam, RAdam, Adadelta, Rprop and ASGD: float state, maximize, flags."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import numpy as np

from ..tensor import Tensor
from ..written import mark
from .optimizer import Optimizer
from .param_group import _number

__all__ = ["FloatStateOptimizer", "betas_pair", "check_flags", "lerp_"]


def check_flags(name: str, foreach: Any, capturable: Any, differentiable: Any) -> None:
    """Check PyTorch's implementation flags: `foreach` is accepted, the other two must be False.

    `foreach` (None, True or False) chooses between two implementations of one update in
    PyTorch; here there is one, so it changes nothing. `capturable` (CUDA graphs) and
    `differentiable` (autograd through the step) have no counterpart: the step updates NumPy
    arrays in place, outside the graph.

    Raises:
        TypeError: `foreach` is not None or a bool.
        ValueError: `capturable` or `differentiable` is not False.
    """
    if foreach is not None and not isinstance(foreach, (bool, np.bool_)):
        raise TypeError(f"{name}: foreach must be None or a bool, got {foreach!r}")
    if capturable is not False:
        raise ValueError(
            f"{name}: capturable={capturable!r} is not supported: there are no CUDA graphs to "
            "capture; leave it False"
        )
    if differentiable is not False:
        raise ValueError(
            f"{name}: differentiable={differentiable!r} is not supported: the step updates the "
            "parameters' arrays in place, outside autograd; leave it False"
        )


def betas_pair(name: str, betas: Any) -> tuple[float, float]:
    """`betas` checked as a pair (β1, β2), each in [0, 1).

    Raises:
        TypeError: `betas` is not a pair of numbers.
        ValueError: a β outside [0, 1).
    """
    if isinstance(betas, np.ndarray):
        betas = tuple(betas.tolist())
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
    out = []
    for key, b in zip(("beta1", "beta2"), betas, strict=True):
        b = _number(name, key, b)
        if not 0 <= b < 1:
            raise ValueError(f"{name}: {key} must lie in [0, 1), got {b}")
        out.append(b)
    return out[0], out[1]


def lerp_(a: np.ndarray, b: np.ndarray, w: float, work: np.ndarray) -> None:
    """Set a ← a + w·(b − a) in place, in PyTorch's form (b − (b − a)·(1 − w) when |w| >= 0.5).

    `work` is a scratch array of a's shape.
    """
    np.subtract(b, a, out=work)
    if abs(w) < 0.5:
        np.multiply(work, w, out=work)
        np.add(a, work, out=a)
    else:
        np.multiply(work, 1.0 - w, out=work)
        np.subtract(b, work, out=a)


class FloatStateOptimizer(Optimizer):
    """An `Optimizer` whose per-parameter state may also hold float numbers (`state_floats`).

    NAdam's running product of momentum factors and ASGD's η and μ are numbers that are not
    determined by the step count alone (a scheduler may change the lr or β1 between steps).
    They are stored as `state.<i>.<name>` floats in the state dict, and checked when loaded
    (finite, present for exactly the parameters that have state).

    A subclass also gets `_grads`, the walk over the parameters with gradients that negates
    them for `maximize` and adds the coupled weight decay, as PyTorch's optimizers do.
    """

    state_floats: ClassVar[tuple[str, ...]] = ()

    def _grads(self) -> Iterator[tuple[Mapping[str, Any], int, Tensor, np.ndarray]]:
        """(group, index, parameter, g) for every parameter with a gradient, in order.

        g is the gradient, negated if the group maximizes, plus weight_decay·p where the group
        has a weight decay that is not decoupled (the L2 term). Each parameter yielded is
        stamped as written (`written.mark`) when the walk ends or stops.
        """
        stepped: list[Tensor] = []
        read = dict.__getitem__  # the settings as a plain dict's: the call is replayed whole
        try:
            start = 0
            for group in self.param_groups:
                params = read(group, "params")
                maximize = read(group, "maximize")
                coupled = not dict.get(group, "decoupled_weight_decay", False)
                wd = read(group, "weight_decay") if coupled and "weight_decay" in group else 0.0
                for i, p in enumerate(params, start):
                    grad = p._grad
                    if grad is None:
                        continue
                    g = grad.data
                    if maximize:
                        g = np.negative(g, out=self._work(i, p, 4))
                    if wd != 0:
                        work = self._work(i, p, 5)
                        np.multiply(p.data, wd, out=work)
                        g = np.add(g, work, out=work)
                    stepped.append(p)
                    yield group, i, p, g
                start += len(params)
        finally:
            if stepped:
                mark(*stepped)

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what `state_dict` saved, float state included (see `Optimizer`).

        Raises:
            ValueError: as `Optimizer.load_state_dict`, or a float entry is not a finite
                number, or is missing for (or given without) a parameter's other state.
        """
        name = type(self).__name__
        if not isinstance(state_dict, Mapping) or not self.state_floats:
            super().load_state_dict(state_dict)
            return
        floats: dict[int, dict[str, float]] = {}
        rest: dict[str, Any] = {}
        with_state: set[int] = set()
        problems: list[str] = []
        others = self.state_arrays + self.state_counters
        for key, value in state_dict.items():
            parts = str(key).split(".")
            if len(parts) == 3 and parts[0] == "state" and parts[1].isdigit():
                i = int(parts[1])
                if parts[2] in self.state_floats:
                    v = value.item() if isinstance(value, Tensor) else value
                    try:
                        floats.setdefault(i, {})[parts[2]] = _number(name, str(key), v)
                    except (TypeError, ValueError) as e:
                        problems.append(str(e).removeprefix(f"{name}: "))
                    continue
                if parts[2] in others:
                    with_state.add(i)
            rest[key] = value
        for i in sorted(with_state | set(floats)):
            lacking = [k for k in self.state_floats if k not in floats.get(i, {})]
            if lacking and i in with_state:
                problems.append(f"state of parameter {i} lacks {lacking}")
            elif i not in with_state:
                problems.append(f"state.{i} has {sorted(floats[i])} but no other state")
        if problems:
            raise ValueError(f"{name}.load_state_dict: " + "; ".join(problems))
        super().load_state_dict(rest)
        for i, values in floats.items():
            self.state[i].update(values)
