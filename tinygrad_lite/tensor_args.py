"""Helpers of the Tensor's methods: dims, shapes and indices checked, results without gradient.

The bases of `Tensor` (`tensor_shape`, `tensor_scan`, `tensor_more`, ...) share them;
`tensor_shape` re-exports them.
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from . import autograd

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = [
    "array_of",
    "constant_result",
    "copy_for_view",
    "dim_arg",
    "index_arg",
    "shape_arg",
]


def shape_arg(shape: tuple[Any, ...], fn: str = "reshape") -> tuple[int, ...]:
    """Accept f(2, 3) and f((2, 3)) alike; every size must be an integer."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for s in shape:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"{fn}: sizes must be integers, got {s!r} in {tuple(shape)}")
    return tuple(int(s) for s in shape)


def index_arg(index: Any) -> Any:
    """An index with every sequence or Tensor turned into a NumPy array (advanced indexing).

    The arrays are copies, so changing an index array after indexing changes nothing. The forms
    that PyTorch and NumPy read differently are refused rather than read one way silently: a
    uint8 index array (a mask in PyTorch, positions in NumPy) and a list index that holds lists,
    arrays, Tensors, slices, None or Ellipsis (one index per dimension in PyTorch, one array in
    NumPy).
    """
    if isinstance(index, tuple):
        return tuple(_index_item(i) for i in index)
    if isinstance(index, list):
        _check_flat_list(index)
    return _index_item(index)


def _check_flat_list(index: list[Any]) -> None:
    """Refuse a list index that holds anything but single ints or bools (see `index_arg`)."""
    for k, item in enumerate(index):
        if not isinstance(item, (numbers.Number, np.generic)):
            raise IndexError(
                f"getitem: a list index holding {_kind(item)} (at position {k}) is ambiguous: "
                "PyTorch reads the list as one index per dimension and NumPy as one array of "
                "positions; pass a tuple, x[tuple(index)], for one index per dimension, or one "
                "int64 array, x[np.array(index)], for positions"
            )


def _kind(item: Any) -> str:
    """What an index item is, in words, for an error message."""
    if hasattr(item, "_ctx"):
        return "a Tensor"
    if isinstance(item, np.ndarray):
        return "an array"
    if item is None or item is Ellipsis:
        return repr(item)
    return f"a {type(item).__name__}"


def _index_item(i: Any) -> Any:
    """One item of an index: a sequence or Tensor becomes a fresh integer or bool array.

    A 0-d integer one becomes an int: PyTorch reads it as one (`select`, a view).
    """
    if hasattr(i, "_ctx"):
        i = i.data
    if isinstance(i, (list, tuple, np.ndarray)):
        arr = np.array(i)
        if arr.dtype == np.uint8:
            raise IndexError(
                f"getitem: a uint8 index (shape {arr.shape}) is ambiguous: PyTorch reads it as a "
                "mask (True where nonzero), NumPy as integer positions; pass a bool array, "
                "idx.astype(bool), for a mask, or an int64 array, idx.astype(np.int64), for "
                "positions"
            )
        if arr.size == 0 and arr.dtype != np.bool_:  # `[]` is float64; an empty mask stays one
            return arr.astype(np.intp)
        if arr.dtype.kind not in "biu":
            raise IndexError(
                f"getitem: index arrays must hold integers or bools, got dtype {arr.dtype}"
            )
        if arr.ndim == 0 and arr.dtype.kind != "b":
            return int(arr)  # an integer, as PyTorch reads it: its result is a view, not a copy
        return arr
    return i


def array_of(x: Any) -> np.ndarray:
    """The array behind a Tensor, or `x` as an array (index arrays, masks, other operands)."""
    return x.data if hasattr(x, "_ctx") else np.asarray(x)


def constant_result(values: Any) -> Tensor:
    """A result without gradient (masks, positions, rounded values)."""
    return autograd._make_tensor(autograd.as_result(values), False, None)


def copy_for_view(t: Tensor) -> Tensor:
    """`t`, a copy where PyTorch gives a view, made read-only.

    An in-place write into it, which in PyTorch would change the tensor it came from, is
    refused rather than lost (the flag is the array object's own, never its base's).
    """
    if t.data.__class__ is np.ndarray:  # (not a stand-in while tracing)
        t.data.flags.writeable = False
    return t


def dim_arg(dim: Any, ndim: int, op: str) -> int:
    """One dimension, checked, as a non-negative int (0 for a 0-d tensor)."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dimension(s)")
    return int(dim) % ndim if ndim else 0
