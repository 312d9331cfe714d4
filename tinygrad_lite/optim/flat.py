"""A parameter group's optimizer state as one flat array per kind: fewer, larger NumPy calls.

An optimizer that keeps per-parameter arrays (Adam's moments, SGD's momentum buffers) does a
dozen small NumPy calls per parameter and step. `FlatGroup` keeps each kind of array of a
whole group in one flat array, the gradients gathered into another, so the step is a dozen
calls for the group plus one subtraction per parameter. Each parameter's entry in `opt.state`
is a view into the flat arrays, so the state dict and the per-parameter loop read the same
numbers. Every element goes through the same operations in the same order as in the loop, so
the values are the same bit for bit. A group qualifies when every parameter has a gradient,
all share one dtype and their states are all there (with equal step counts) or all absent;
`holds` checks it again on every step, and the optimizer takes its loop otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor
from ..written import mark

__all__ = ["FlatGroup"]


class FlatGroup:
    """One parameter group's state arrays in flat form (see the module's docstring).

    Attributes:
        params: the group's tensors.
        flats: the flat array of each state kind (`opt.state[i][kind]` are views into it).
        g: the gathered gradients (filled by `gather`).
        work, num: flat scratch arrays.
        first: True until the first step of freshly made state has been taken.
    """

    def __init__(
        self,
        params: Sequence[Tensor],
        states: list[dict[str, Any]],
        kinds: Sequence[str],
        counter: str | None = None,
    ) -> None:
        self.params = list(params)
        self.counter = counter  # the per-parameter step count that must stay equal, if any
        self.shapes = [p.data.shape for p in params]
        self.dtype = params[0].data.dtype
        sizes = [p.data.size for p in params]
        n = sum(sizes)
        ends = np.cumsum(sizes).tolist()
        spans = [(e - s, e) for s, e in zip(sizes, ends, strict=True)]
        self.flats = {kind: np.zeros(n, self.dtype) for kind in kinds}
        self.g, self.work, self.num = (np.empty(n, self.dtype) for _ in range(3))
        self.nums = [
            self.num[a:b].reshape(sh) for (a, b), sh in zip(spans, self.shapes, strict=True)
        ]
        self.states = states
        self.first = False
        for st, (a, b), sh in zip(states, spans, self.shapes, strict=True):
            for kind, flat in self.flats.items():
                view = flat[a:b].reshape(sh)
                if kind in st:
                    view[...] = st[kind]
                st[kind] = view
        self.views = [[st[kind] for kind in kinds] for st in states]
        # (tensor, state, its array when built, shape, (kind, view) pairs): what `holds` checks
        self.rows = [
            (p, st, p.data, shape, tuple(zip(kinds, views, strict=True)))
            for p, st, shape, views in zip(params, states, self.shapes, self.views, strict=True)
        ]

    @classmethod
    def build(
        cls,
        params: Sequence[Tensor],
        state: dict[int, Any],
        start: int,
        kinds: Sequence[str],
        counter: str | None,
    ) -> FlatGroup | None:
        """The flat form of a group, or None where it would not compute what the loop does."""
        dtype = params[0].data.dtype
        if len(params) < 2 or any(p._grad is None or p.data.dtype != dtype for p in params):
            return None
        found = [state.get(i) for i in range(start, start + len(params))]
        fresh = all(st is None for st in found)
        if fresh:
            for i in range(start, start + len(params)):
                state[i] = {} if counter is None else {counter: 0}
        elif any(st is None for st in found):
            return None
        states: list[dict[str, Any]] = [state[i] for i in range(start, start + len(params))]
        if counter is not None and len({st[counter] for st in states}) != 1:
            return None  # some parameters stepped more often than others
        flat = cls(params, states, kinds, counter)
        flat.first = fresh
        return flat

    def holds(self, params: Sequence[Tensor], state: dict[int, Any], start: int) -> bool:
        """Whether this flat form still describes the group (same tensors, state, steps)."""
        if len(params) != len(self.params):
            return False
        counter = self.counter
        step = None if counter is None else self.states[0][counter]
        dtype, get = self.dtype, state.get
        for i, (q, (p, st, built, shape, pairs)) in enumerate(
            zip(params, self.rows, strict=True), start
        ):
            if q is not p or p._grad is None or get(i) is not st:
                return False
            data = p.data  # the array it was built with has that shape and dtype still
            if data is not built and (data.shape != shape or data.dtype != dtype):
                return False
            if counter is not None and st[counter] != step:
                return False
            for kind, view in pairs:
                if st[kind] is not view:
                    return False
        return True

    def gather(self) -> np.ndarray:
        """The gradients, gathered into `g`."""
        np.concatenate([p._grad.data.reshape(-1) for p in self.params], out=self.g)  # type: ignore[union-attr]
        return self.g

    def update(self) -> None:
        """Subtract each parameter's part of the flat `num` from it, then stamp them all."""
        for p, part in zip(self.params, self.nums, strict=True):
            np.subtract(p.data, part, out=p.data)
        mark(*self.params)
