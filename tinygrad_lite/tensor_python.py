"""The Tensor's Python protocols (iter, in, copy, deepcopy, pickle) and how it reads Python data.

They follow PyTorch. Iterating gives the rows (views, as `t[i]`); `x in t` is
`(x == t).any()`. A copy (`copy.copy`) or a pickle holds the data, `requires_grad` and the
class (a Parameter stays a Parameter), but neither the graph, the gradient nor the hooks: it
is a leaf. A deep copy also copies the gradient, and a view copied in the same `deepcopy` as
its base shares memory with the base's copy; only leaves can be deep-copied. `as_array` reads
numbers and nested lists with PyTorch's rules where NumPy's differ: a Tensor inside a list is
one number, and a Python int beyond int64 is refused unless the result is a float.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, SupportsIndex

import numpy as np

from . import tracing

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["TensorInList", "TensorProtocolMethods", "as_array", "converting_list", "rebuild"]


class TensorProtocolMethods:
    """Python's protocols on `Tensor`: `iter`, `in`, `copy.copy`, `copy.deepcopy` and pickle."""

    __slots__ = ()

    # Whether `copy.deepcopy` copies `.grad` too: a Tensor's does, a Parameter's does not
    # (PyTorch's rules).
    _deepcopy_grad = True

    if TYPE_CHECKING:  # provided by Tensor
        data: np.ndarray
        _grad: Tensor | None
        _requires_grad: bool
        _ctx: Any

        def __getitem__(self, index: Any) -> Tensor: ...  # noqa: D105

        def _compare(self, other: Any, op: Any) -> Tensor: ...

    def __iter__(self) -> Iterator[Tensor]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def __contains__(self, element: Any) -> bool:
        if not hasattr(element, "_ctx") and not isinstance(element, _NUMBERS):
            raise RuntimeError(
                f"Tensor.__contains__ only supports a Tensor or a number, got "
                f"{type(element).__name__} {element!r}"
            )
        return bool(self._compare(element, np.equal).any().item())

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        # copy.copy and pickle: the data (shared by a copy) and requires_grad, as a leaf
        state = getattr(self, "__dict__", None) or None  # a subclass's own attributes
        return (rebuild, (type(self), self.data, self._requires_grad), state)

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        found = memo.get(id(self))
        if found is not None:
            return found
        if self._ctx is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                f"protocol; this one is the result of {self._ctx.fn.__name__}: deep-copy "
                "t.detach() for its values"
            )
        new = rebuild(type(self), _deep_array(self.data, memo), self._requires_grad)
        memo[id(self)] = new
        if self._grad is not None and self._deepcopy_grad:
            new._grad = copy.deepcopy(self._grad, memo)
        state = getattr(self, "__dict__", None)
        if state:
            new.__dict__.update(copy.deepcopy(state, memo))
        return new


_NUMBERS = (int, float, complex, np.number, np.bool_)


def rebuild(cls: Any, data: np.ndarray, requires_grad: bool) -> Any:
    """A leaf of class `cls` holding `data`: what a copied or unpickled Tensor becomes."""
    return cls._make(data, requires_grad, None)


def _deep_array(data: np.ndarray, memo: dict[int, Any]) -> np.ndarray:
    """A copy of `data` that, for a view, shares memory with the copy of its base in `memo`."""
    root = data
    while isinstance(root.base, np.ndarray):
        root = root.base
    new_root = copy.deepcopy(root, memo)
    if root is data:
        return new_root
    if new_root.strides != root.strides or not (root.flags.c_contiguous or root.flags.f_contiguous):
        return data.copy()
    offset = data.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    memory = new_root.ravel(order="K")  # the same bytes, one-dimensional
    view = np.ndarray(data.shape, data.dtype, memory, offset, data.strides)
    if not data.flags.writeable:
        view.flags.writeable = False
    return view


# ------------------------------------------------------------------ Python data to arrays


class TensorInList(Exception):
    """Raised by a Tensor's `__array__` that NumPy meets inside a list `as_array` converts."""


class _Converting(threading.local):
    depth = 0  # this thread's count of `as_array` list conversions running


_converting = _Converting()


def converting_list() -> bool:
    """Whether this thread is inside `as_array`'s conversion of a list (see `TensorInList`)."""
    return _converting.depth > 0


def as_array(data: Any, dtype: Any) -> np.ndarray:
    """`data` as an array, NumPy's inference except where PyTorch's differs.

    A Tensor inside a (nested) list is one number, wherever the shape read from the first
    elements puts a number; it must have one element. (A whole row can be a Tensor.) A Python
    int beyond int64 is refused where the result would be an integer dtype that does not hold
    it: all-int data without `dtype` is int64, as in PyTorch.
    """
    if isinstance(data, (list, tuple)):
        _converting.depth += 1
        try:
            arr = _listed(data)
        except TensorInList:
            tracing.refuse_value_read("Tensor(a list of tensors)")
            data = _numbers(data, 0, _number_depth(data))
            arr = _listed(data)
        finally:
            _converting.depth -= 1
    elif isinstance(data, int):
        arr = np.asarray(data)
    else:
        return np.asarray(data)
    kind = arr.dtype.kind
    if kind == "O":
        return _big_ints(data, arr, dtype)
    # NumPy makes a Python int beyond int64 a uint64, or a float64 beside smaller ints
    beyond = kind == "u" or (kind == "f" and _first(data).__class__ is not float)
    if beyond and arr.size and arr.max() >= 2.0**63:
        return _big_ints(data, arr, dtype)
    return arr


def _first(data: Any) -> Any:
    """The first number of (nested) lists: a float there makes the data's dtype a float."""
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return data


def _listed(data: Any) -> np.ndarray:
    try:
        return np.asarray(data)
    except ValueError as e:  # ragged nested lists
        raise ValueError(
            f"Tensor: data must be rectangular (every row the same length), got a ragged "
            f"{type(data).__name__}: {e}"
        ) from None


def _number_depth(data: Any) -> int:
    """How deep the numbers are: the nesting of the first elements (PyTorch reads the shape so)."""
    depth, first = 0, data
    while isinstance(first, (list, tuple)) and first:
        depth, first = depth + 1, first[0]
    return depth + first.ndim if isinstance(first, np.ndarray) else depth


def _numbers(data: Any, depth: int, at: int) -> Any:
    """`data` with each Tensor at the numbers' depth `at` replaced by its one value."""
    if isinstance(data, (list, tuple)):
        return [_numbers(item, depth + 1, at) for item in data]
    if not hasattr(data, "_ctx"):
        return data
    values = data.data
    if depth < at:  # a whole row
        return values
    if values.size != 1:
        raise ValueError(
            f"Tensor: a tensor inside a list stands for one number (as in PyTorch), but one has "
            f"shape {values.shape}; combine tensors with tg.stack or tg.cat"
        )
    return values.reshape(())


def _big_ints(data: Any, arr: np.ndarray, dtype: Any) -> np.ndarray:
    """The array of data holding Python ints beyond int64, or an overflow error, as PyTorch's."""
    values = np.array(data, dtype=object)
    floats, big = False, None
    for v in values.flat:
        v = v.item() if isinstance(v, np.ndarray) else v
        if isinstance(v, (float, np.floating)):
            floats = True
        elif isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
            if big is None and not -(2**63) <= v < 2**63:
                big = int(v)
        elif not isinstance(v, (bool, np.bool_)):
            return arr  # not numbers (or complex): the caller's error says so
    if big is None:
        return arr
    target = np.dtype(dtype) if dtype is not None else None
    if target is None and not floats:
        fix = "dtype=np.uint64 or a float dtype" if 0 < big < 2**64 else "a float dtype"
        raise ValueError(
            f"Tensor: the integer {_shown(big)} does not fit int64, the dtype of integer data "
            f"(as in PyTorch); pass {fix}, or write it as a float"
        )
    if target is None or target.kind == "f":
        try:
            return values.astype(target or np.float64)
        except OverflowError:
            raise OverflowError(
                f"Tensor: a Python int in the data is too large for {target or 'float64'}"
            ) from None
    if target.kind in "iu":
        info = np.iinfo(target)
        wrong = next((v for v in values.flat if not info.min <= v <= info.max), None)
        if wrong is not None:
            raise ValueError(
                f"Tensor: the integer {_shown(wrong)} does not fit dtype {target} "
                f"(range {info.min} to {info.max})"
            )
    return values.astype(target)


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 24 else f"{text[:8]}...{text[-4:]} ({len(text)} digits)"
