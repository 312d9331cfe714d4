"""Records a training loop keeps: per-parameter gradient norms and snapshots of the parameters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

__all__ = ["GradientNorms", "TrainingHistory"]


def _check_every(every: Any, func: str) -> int:
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"{func}: every must be an int >= 1, got {every!r}")
    return int(every)


def _check_iteration(iteration: Any, last: int | None, func: str) -> int:
    if isinstance(iteration, bool) or not isinstance(iteration, (int, np.integer)):
        raise TypeError(f"{func}: iteration must be an int, got {type(iteration).__name__}")
    if iteration < 0 or (last is not None and iteration <= last):
        after = "" if last is None else f" and greater than the last one recorded, {last}"
        raise ValueError(f"{func}: iteration must be >= 0{after}; got {iteration}")
    return int(iteration)


def _named_tensors(source: Any, func: str) -> list[tuple[str, Any]]:
    """(name, tensor) pairs from a Module, a {name: tensor} mapping or (name, tensor) pairs."""
    if hasattr(source, "named_parameters"):
        items = list(source.named_parameters())
    elif isinstance(source, Mapping):
        items = list(source.items())
    elif isinstance(source, Iterable) and not isinstance(source, (str, bytes)):
        items = list(source)
    else:
        raise TypeError(
            f"{func}: expected a Module, a {{name: tensor}} mapping or (name, tensor) pairs, "
            f"got {type(source).__name__}"
        )
    out = []
    for item in items:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
            raise TypeError(f"{func}: expected (name, tensor) pairs, got {item!r:.60}")
        name, t = item
        if not hasattr(t, "grad") or not hasattr(t, "requires_grad"):
            raise TypeError(f"{func}: {name} is a {type(t).__name__}, not a Tensor")
        if t.requires_grad:
            out.append((name, t))
    if not out:
        raise ValueError(f"{func}: no tensor that requires grad among {[n for n, _ in items]}")
    return out


def _norm(a: np.ndarray) -> float:
    return float(np.sqrt(np.sum(np.square(a, dtype=np.float64))))


class GradientNorms:
    """Per-parameter gradient norms ‖∂J/∂θ‖ over a training run, for `plot.gradient_flow`.

    Call the recorder once per iteration after `backward()` (and before the gradients are
    cleared): every `every` iterations it reads each parameter's `.grad` and keeps its
    Frobenius norm ‖G‖ = √(Σ G²), computed in float64. Parameters that require no grad are
    left out. Norms that fall by orders of magnitude from the last layer to the first are
    vanishing gradients; norms near zero from the start are saturated units.

    Args:
        parameters: a Module, a {name: tensor} mapping or (name, tensor) pairs.
        every: record every this many iterations (iteration % every == 0).

    Attributes:
        iterations: the iterations recorded, increasing.
        norms: {name: [norm at each recorded iteration]}, in the parameters' order.

    Raises:
        TypeError: `parameters` holds something else than named tensors.
        ValueError: no tensor requires grad, or `every` < 1.

    Example:
        >>> import numpy as np
        >>> from tinygrad_lite import Tensor
        >>> from tinygrad_lite.monitor import GradientNorms
        >>> w = Tensor(np.array([3.0, 4.0]), requires_grad=True)
        >>> record = GradientNorms({"w": w})
        >>> (w * w).sum().backward()  # ∂/∂w = 2w = [6, 8]
        >>> record(0)
        True
        >>> record.norms
        {'w': [10.0]}
    """

    def __init__(self, parameters: Any, every: int = 1) -> None:
        self._tensors = _named_tensors(parameters, "GradientNorms")
        self.every = _check_every(every, "GradientNorms")
        self.iterations: list[int] = []
        self.norms: dict[str, list[float]] = {name: [] for name, _ in self._tensors}

    def __call__(self, iteration: int) -> bool:
        """Record the norms if `iteration` is a multiple of `every`; return whether it did.

        Raises:
            ValueError: an iteration not after the last one recorded, or a parameter has no
                gradient (record after backward, before the gradients are cleared).
        """
        last = self.iterations[-1] if self.iterations else None
        iteration = _check_iteration(iteration, last, "GradientNorms")
        if iteration % self.every:
            return False
        missing = [name for name, t in self._tensors if t.grad is None]
        if missing:
            raise ValueError(
                f"GradientNorms: {missing} have no gradient at iteration {iteration}; record "
                "after backward() and before the gradients are cleared"
            )
        for name, t in self._tensors:
            g = t.grad
            self.norms[name].append(_norm(np.asarray(getattr(g, "data", g))))
        self.iterations.append(iteration)
        return True

    record = __call__

    def __repr__(self) -> str:
        return (
            f"GradientNorms({len(self.norms)} parameters, {len(self.iterations)} iterations "
            f"recorded, every={self.every})"
        )


class TrainingHistory:
    """Snapshots of a model's parameters during training, the frames of `animate_training`.

    Call the history once per iteration with the model (before the step): every `every`
    iterations, or at the iterations `at`, it keeps a copy of the model's `state_dict()`.
    After the loop, `snapshot` records the trained weights whatever the iteration.
    `TrainingHistory.spread(n)` spaces the snapshots of an n-iteration run evenly on a log
    scale: a decision boundary forms in the first few hundred iterations and then barely moves.

    Args:
        every: keep a snapshot every this many iterations (iteration % every == 0).
        at: keep snapshots at exactly these iterations instead.

    Attributes:
        iterations: the iterations of the snapshots, increasing.
        states: the snapshots: {name: array copy} each.

    Raises:
        ValueError: `every` < 1, or a negative iteration in `at`.

    Example:
        >>> import numpy as np
        >>> from tinygrad_lite.monitor import TrainingHistory
        >>> history = TrainingHistory(every=2)
        >>> kept = [history(i, {"w": np.array([float(i)])}) for i in range(5)]
        >>> kept
        [True, False, True, False, True]
        >>> history.iterations, [s["w"].tolist() for s in history.states]
        ([0, 2, 4], [[0.0], [2.0], [4.0]])
    """

    def __init__(self, every: int = 100, at: Iterable[int] | None = None) -> None:
        self.every = _check_every(every, "TrainingHistory")
        self.at = None if at is None else frozenset(_check_iteration(i, None, "at") for i in at)
        self.iterations: list[int] = []
        self.states: list[dict[str, np.ndarray]] = []

    @classmethod
    def spread(cls, iterations: int, frames: int = 25) -> TrainingHistory:
        """A history of about `frames` snapshots over `iterations`, evenly spaced on a log scale.

        Iteration 0, then `frames - 1` iterations from 10 to `iterations` in a geometric
        progression (fewer when `iterations` is small: equal ones are kept once).

        Example:
            >>> sorted(TrainingHistory.spread(10_000, frames=6).at)
            [0, 10, 56, 316, 1778, 10000]
        """
        iterations = _check_iteration(iterations, None, "TrainingHistory.spread")
        frames = _check_every(frames, "TrainingHistory.spread")
        start = min(10, iterations)
        count = frames - 1 if iterations else 0
        steps = np.geomspace(max(start, 1), iterations, count) if count else np.zeros(0)
        return cls(at={0, *(int(round(float(i))) for i in steps)})

    def __call__(self, iteration: int, model: Any) -> bool:
        """Snapshot `model` if `iteration` is due (see `every`, `at`); return whether it did.

        Args:
            iteration: the current iteration, after the last one recorded.
            model: a Module (its `state_dict()` is copied), a {name: array} mapping, or a
                function of no arguments that returns one, called only for a snapshot (a
                training engine's `model` method, say).
        """
        last = self.iterations[-1] if self.iterations else None
        iteration = _check_iteration(iteration, last, "TrainingHistory")
        if (iteration not in self.at) if self.at is not None else (iteration % self.every):
            return False
        self.snapshot(iteration, model)
        return True

    def snapshot(self, iteration: int, model: Any) -> None:
        """Keep a copy of the model's parameters at `iteration`, whatever `every` says.

        Args:
            iteration: after the last one recorded.
            model: a Module (its `state_dict()` is copied), a {name: array} mapping, or a
                function of no arguments that returns one.

        Raises:
            TypeError: `model` is none of these.
            ValueError: an iteration not after the last one recorded.
        """
        last = self.iterations[-1] if self.iterations else None
        iteration = _check_iteration(iteration, last, "TrainingHistory")
        if not hasattr(model, "state_dict") and not isinstance(model, Mapping) and callable(model):
            model = model()
        if hasattr(model, "state_dict"):
            state = model.state_dict()
        elif isinstance(model, Mapping):
            state = dict(model.items())
        else:
            raise TypeError(
                f"TrainingHistory: expected a Module, a {{name: array}} mapping or a function "
                f"that returns one, got {type(model).__name__}"
            )
        self.states.append(
            {k: np.array(getattr(v, "data", v), dtype=None, copy=True) for k, v in state.items()}
        )
        self.iterations.append(iteration)

    def __len__(self) -> int:
        return len(self.states)

    def __repr__(self) -> str:
        when = f"every={self.every}" if self.at is None else f"at {len(self.at)} iterations"
        return f"TrainingHistory({len(self.states)} snapshots, {when})"
