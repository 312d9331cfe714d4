"""Shape helpers shared by the engine and the ops: unbroadcast, axis normalisation, dim/axis."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "broadcasts_to",
    "Axis",
    "unbroadcast",
    "reduction_axes",
    "normalize_axis",
    "reduce_args",
    "expand",
    "broadcast_back",
    "split_index",
]

Axis = int | tuple[int, ...] | None


def broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """Whether an array of `shape` broadcasts to `target` without changing `target`."""
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def reduction_axes(gshape: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    """The axes to sum so that a gradient of shape `gshape` reduces to `shape`."""
    lead = len(gshape) - len(shape)
    if lead < 0 or any(n != 1 and n != gshape[i + lead] for i, n in enumerate(shape)):
        raise ValueError(f"unbroadcast: gradient of shape {gshape} does not reduce to {shape}")
    return tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and gshape[i + lead] != 1
    )


_AXES_CACHE: dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[int, ...]] = {}


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum `grad` over the axes that broadcasting added or stretched, to get `shape`.

    Example: an input of shape (4, 1) broadcast to (3, 4, 5) gets a gradient of shape
    (3, 4, 5); summing over axis 0 (added) and axis 2 (stretched from 1) gives (4, 1).
    Works on arrays and, when a backward is being recorded, on Tensors.
    """
    gshape = grad.shape
    if gshape == shape:
        return grad
    key = (gshape, shape)
    axes = _AXES_CACHE.get(key)
    if axes is None:
        axes = reduction_axes(gshape, shape)
        if len(_AXES_CACHE) < 4096:
            _AXES_CACHE[key] = axes
    out = np.add.reduce(grad, axis=axes, keepdims=True) if axes else grad
    return out if out.shape == shape else out.reshape(shape)


def normalize_axis(axis: Axis, ndim: int, op: str) -> tuple[int, ...]:
    """Return `axis` as a sorted tuple of non-negative ints, or raise a clear error.

    A 0-d tensor accepts axis 0 and -1, as in PyTorch; they reduce nothing, so the result is ().
    """
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        axes: tuple[Any, ...] = (axis,)
    elif isinstance(axis, (tuple, list)):
        axes = tuple(axis)
    else:
        raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {axis!r}")
    out = []
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {axis!r}")
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"{op}: dim {a} is out of range for a tensor with {ndim} dimension(s)")
        out.append(int(a) % ndim if ndim else -1)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated dim in {axis!r}")
    return tuple(sorted(a for a in out if a >= 0))


def reduce_args(
    op: str, dim: Axis, keepdim: bool | None, axis: Axis, keepdims: bool | None
) -> tuple[Axis, bool]:
    """Merge PyTorch's `dim`/`keepdim` and NumPy's `axis`/`keepdims` (one of each at most)."""
    if dim is not None and axis is not None:
        raise TypeError(f"{op}: give dim or axis, not both (they are the same argument)")
    if keepdim is not None and keepdims is not None:
        raise TypeError(f"{op}: give keepdim or keepdims, not both (they are the same argument)")
    k = keepdim if keepdim is not None else keepdims
    return (dim if dim is not None else axis), bool(k)


def expand(grad: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    """Put back the reduced axes of `grad` as size-1 axes so that it broadcasts to the input.

    `axes` are sorted and non-negative (see `normalize_axis`).
    """
    if keepdims or not axes:
        return grad
    shape = list(grad.shape)
    for a in axes:
        shape.insert(a, 1)
    return grad.reshape(tuple(shape))


def broadcast_back(grad: Any, axes: tuple[int, ...], keepdims: bool, shape: tuple[int, ...]) -> Any:
    """The gradient of a reduction over `axes`, spread over the input's `shape` (not copied).

    Arrays get a read-only view, as `np.broadcast_to` gives; a one-element gradient (a sum or
    mean over everything) gets it without `broadcast_to`'s costly checks.
    """
    g = expand(grad, axes, keepdims)
    if g.__class__ is np.ndarray and g.size == 1:
        view: np.ndarray = np.ndarray(shape, g.dtype, g, 0, (0,) * len(shape))
        view.flags.writeable = False
        return view
    return np.broadcast_to(g, shape)


def _is_int(i: Any) -> bool:
    """An integer index item: a Python or NumPy int, or a 0-d integer array (a 0-d Tensor)."""
    if isinstance(i, (bool, np.bool_)):
        return False
    if isinstance(i, np.ndarray):
        return i.ndim == 0 and i.dtype.kind in "iu"
    return isinstance(i, (int, np.integer))


def split_index(index: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]] | None:
    """PyTorch's reading of an index with both integers and index arrays, as two NumPy indexes.

    PyTorch applies integers first, as basic indexing (`select`), and then the index arrays to
    what is left; NumPy counts integers among the advanced indices, so that `x[0, :, [1, 4]]`
    of a (3, 4, 5) array is (2, 4) in NumPy and (4, 2) in PyTorch. For such an index (as
    `index_arg` returns it) this gives `(basic, advanced)` with `x[basic][advanced]` PyTorch's
    result; for every other index, where both read alike, None.
    """
    if not isinstance(index, tuple) or not any(_is_int(i) for i in index):
        return None
    if not any(isinstance(i, np.ndarray) and i.ndim > 0 for i in index):
        return None
    basic: list[Any] = []
    advanced: list[Any] = []
    for i in index:
        if _is_int(i):
            basic.append(int(i))
        elif isinstance(i, np.ndarray):  # a mask of k dims stands for k dims
            basic.extend([slice(None)] * (i.ndim if i.dtype == np.bool_ else 1))
            advanced.append(i)
        elif isinstance(i, (bool, np.bool_)):
            return None  # a bool scalar adds a dimension in both: left to NumPy's rules
        else:  # a slice, None or Ellipsis
            basic.append(i)
            advanced.append(i if i is Ellipsis else slice(None))
    return tuple(basic), tuple(advanced)
