"""Which memory was changed in place, and when: what lets a backward refuse stale values.

A graph node keeps the arrays its backward reads (`ctx.saved`). If one of them is changed in
place after the node was made — an optimizer step between a forward and its backward, `x -= 1`
on a tensor the graph read, an item assignment — the backward would compute from the new
values and give a wrong gradient without a word. So every in-place write the library makes
stamps the tensor with `mark(t)`: its `_version`, and the time of the write keyed by the array
that owns the memory. The engine compares a node's saved arrays with these stamps before its
backward runs, and refuses; it looks only when something was written since the oldest node of
the graph, so a training loop (step, then a fresh forward) pays one comparison per backward.

Keying by the owner of the memory means that views share their base's stamp, as PyTorch's
views share a version counter: `W.T` saved by a product is stale once `W` is stepped.
Writes made directly into `.data` with NumPy are not seen.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from . import tracing
from .autograd import next_version

__all__ = ["mark", "stamp", "last", "check_saved", "refuse_grad_leaf"]

# id(array that owns the memory) -> [a weak reference to it, the sequence number of its last
# write]. The entry goes when the array does.
_stamps: dict[int, list[Any]] = {}

# The sequence number of the latest write (smaller than every node made after it).
last = -1


def _owner(a: np.ndarray) -> np.ndarray:
    """The array whose memory `a` looks at (itself if it owns its data)."""
    base = a.base
    while isinstance(base, np.ndarray):
        a = base
        base = a.base
    return a


def _forget(key: int) -> Callable[[Any], None]:
    def drop(ref: Any) -> None:
        entry = _stamps.get(key)
        if entry is not None and entry[0] is ref:
            del _stamps[key]

    return drop


def mark(*tensors: Any) -> None:
    """Record that these tensors' values were changed in place (now)."""
    global last
    last = seq = next_version()
    traced = tracing.current is not None
    for t in tensors:
        t._version = seq
        if traced:
            tracing.on_written(t)
        a = t.data
        if a.__class__ is not np.ndarray or a.base is not None:
            if not isinstance(a, np.ndarray):  # a compiled step's stand-in: its real array
                a = getattr(a, "value", None)  # (the replay stamps it again: `stamp`)
                if not isinstance(a, np.ndarray):
                    continue
            a = _owner(a)
        _stamp(a, seq)


def stamp(*arrays: Any) -> None:
    """Record that the memory of these arrays was changed in place (now).

    What a compiled step's replay calls for a tensor the step itself made (a view of a
    parameter written through), which it knows by its array only.
    """
    global last
    last = seq = next_version()
    for a in arrays:
        _stamp(_owner(a), seq)


def _stamp(a: np.ndarray, seq: int) -> None:
    """Stamp `a`, an array that owns its memory, as written at `seq`."""
    key = id(a)
    entry = _stamps.get(key)
    if entry is not None and entry[0]() is a:
        entry[1] = seq
    else:
        _stamps[key] = [weakref.ref(a, _forget(key)), seq]


def _written_after(a: Any, seq: int) -> bool:
    if not isinstance(a, np.ndarray):
        return False
    owner = _owner(a)
    entry = _stamps.get(id(owner))
    return entry is not None and entry[1] > seq and entry[0]() is owner


def check_saved(ctx: Any) -> None:
    """Raise if an array `ctx` saved for its backward was changed in place after the op ran."""
    seq = ctx.seq
    values = list(ctx.saved)
    if ctx.memo:
        values.extend(ctx.memo.values())
    for v in values:
        parts = v if isinstance(v, (tuple, list)) else (v,)
        for a in parts:
            if _written_after(a, seq):
                raise RuntimeError(
                    f"backward: a value saved by {ctx.fn.__name__} (shape {a.shape}) was "
                    "modified in place after the op used it (an optimizer step, `-=` or an "
                    "item assignment between the forward and its backward, perhaps through a "
                    "view), so its gradient would be computed from the new values; run "
                    "backward before changing it"
                )


def refuse_grad_leaf(t: Any, what: str) -> None:
    """Raise unless `t` may be changed in place: a leaf that requires grad may not be."""
    if t._ctx is None and t._requires_grad:
        raise RuntimeError(
            f"{what}: the tensor (shape {t.data.shape}) is a leaf that requires grad; it cannot "
            "be changed in place while gradients are recorded (its .grad would belong to no "
            "value). Change it inside `with tinygrad_lite.no_grad():`, as an optimizer does"
        )
