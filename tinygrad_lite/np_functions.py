"""NumPy's einsum, tensordot, kron, diagonal, take_along_axis, nansum, nanmean, diff on Tensors.

`interop` runs these (its `FUNCTIONS`) when a Tensor is among a NumPy call's arguments: each
calls the op or Tensor method of the same meaning, with NumPy's argument names, so the result
is a Tensor with its gradient (einsum in either form, the equation or the sublists).
Arguments that have no matching op (`out=`, `dtype=`, ...) raise `Unsupported`: `interop`
then runs NumPy on the arrays of tensors without grad and refuses tensors that require it.
`np.median` is not here: NumPy's averages the two middle values of an even count, the
Tensor's takes the lower one (PyTorch's).

>>> import numpy as np
>>> from tinygrad_lite import Tensor
>>> np.einsum("ij->j", Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True))
Tensor([4., 6.], grad_fn=<Einsum>)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import dtypes, tensor_linalg
from .tensor import Tensor

__all__ = ["FUNCTIONS", "HINTS", "Unsupported"]


class Unsupported(Exception):
    """A NumPy call's arguments have no matching op here; `hint` says what to do instead."""

    def __init__(self, hint: str) -> None:
        super().__init__(hint)
        self.hint = hint


def _tensors(*xs: Any) -> list[Tensor]:
    """The operands as Tensors (Python numbers weak beside the first tensor)."""
    like = next(x for x in xs if isinstance(x, Tensor))
    return [x if isinstance(x, Tensor) else like._wrap(x, "numpy") for x in xs]


def _first_is_tensor(a: Any, name: str) -> Tensor:
    if not isinstance(a, Tensor):
        raise Unsupported(f"np.{name} with a tensor among its other arguments has no matching op")
    return a


def _einsum(*operands: Any, out: Any = None, optimize: Any = False, **kwargs: Any) -> Tensor:
    extra = {k: v for k, v in kwargs.items() if (k, v) not in (("order", "K"), ("casting", "safe"))}
    if out is not None or extra.get("dtype") is not None or set(extra) - {"dtype"}:
        raise Unsupported(HINTS["einsum"])
    if not operands:
        raise Unsupported(HINTS["einsum"])
    if isinstance(operands[0], str):
        equation, arrays = operands[0], operands[1:]
    else:  # the sublist form: np.einsum(a, [0, 1], b, [1, 2], [0, 2])
        equation, arrays = tensor_linalg.sublist_equation(operands)
    ts = _tensors(*arrays)
    if any(t.dtype.kind == "b" for t in ts):
        raise Unsupported("np.einsum of bools (a logical `or` of `and`s) has no matching op")
    return tensor_linalg.einsum(equation, *ts)


def _axes_list(axes: Any) -> Any:
    return [axes] if isinstance(axes, (int, np.integer)) else list(axes)


def _tensordot(a: Any, b: Any, axes: Any = 2) -> Tensor:
    x, y = _tensors(a, b)
    if not isinstance(axes, (int, np.integer)):  # NumPy takes (1, 0) for ([1], [0])
        axes = (_axes_list(axes[0]), _axes_list(axes[1]))
    return tensor_linalg.tensordot(x, y, axes)


def _kron(a: Any, b: Any) -> Tensor:
    x, y = _tensors(a, b)
    return x.kron(y)


def _diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    return _first_is_tensor(a, "diagonal").diagonal(offset, axis1, axis2)


def _take_along_axis(arr: Any, indices: Any, axis: int | None = -1) -> Tensor:
    x = _first_is_tensor(arr, "take_along_axis")
    if axis is None and np.ndim(indices) != 1:
        raise ValueError("take_along_axis: when axis=None, indices must have a single dimension")
    return x.take_along_dim(indices, axis)


def _reduction_args(name: str, dtype: Any, out: Any, axis: Any, **others: Any) -> None:
    if dtype is not None or out is not None or any(v is not np._NoValue for v in others.values()):
        raise Unsupported(f"np.{name} with dtype=, out=, initial= or where= has no matching op")
    if isinstance(axis, (tuple, list)) and not axis:
        raise Unsupported(
            f"np.{name} with axis=() (no reduction) has no matching op: use "
            "t.masked_fill(t.isnan(), 0)"
        )


def _nansum(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    keepdims: Any = np._NoValue,
    initial: Any = np._NoValue,
    where: Any = np._NoValue,
) -> Tensor:
    x = _first_is_tensor(a, "nansum")
    _reduction_args("nansum", dtype, out, axis, initial=initial, where=where)
    if x.dtype.kind != "f":  # NumPy widens small integers: its own sum has no gradient anyway
        raise Unsupported("np.nansum of integers has no op here: use the Tensor's sum")
    return x.nansum(axis, keepdims is True)


def _nanmean(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    keepdims: Any = np._NoValue,
    *,
    where: Any = np._NoValue,
) -> Tensor:
    x = _first_is_tensor(a, "nanmean")
    _reduction_args("nanmean", dtype, out, axis, where=where)
    if x.dtype.kind != "f":
        raise Unsupported("np.nanmean of integers has no op here: use t.astype(float).nanmean()")
    return x.nanmean(axis, keepdims is True)


def _diff(
    a: Any, n: int = 1, axis: int = -1, prepend: Any = np._NoValue, append: Any = np._NoValue
) -> Tensor:
    x = _first_is_tensor(a, "diff")
    if x.ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    shape = list(x.shape)
    shape[axis] = 1  # NumPy's rule: a number is spread over the other dimensions
    ends: list[Any] = []
    for extra in (prepend, append):
        if extra is np._NoValue:
            ends.append(None)
        elif isinstance(extra, Tensor) and extra.ndim == 0:
            ends.append(extra.reshape((1,) * x.ndim).expand(tuple(shape)))
        elif dtypes.is_scalar(extra) or np.ndim(extra) == 0:
            ends.append(np.broadcast_to(np.asarray(extra), tuple(shape)))
        else:
            ends.append(extra)
    return x.diff(n, axis, ends[0], ends[1])


FUNCTIONS: dict[Any, Callable[..., Any]] = {
    np.einsum: _einsum,
    np.tensordot: _tensordot,
    np.kron: _kron,
    np.diagonal: _diagonal,
    np.take_along_axis: _take_along_axis,
    np.nansum: _nansum,
    np.nanmean: _nanmean,
    np.diff: _diff,
}

# What to use instead, for the calls that raise Unsupported (and for np.median).
HINTS = {
    "einsum": "out=, dtype=, order= and casting= have no matching op: use "
    "tinygrad_lite.einsum(equation, *tensors)",
    "median": "NumPy's median averages the two middle values of an even count, the Tensor's "
    "median(dim) takes the lower one (PyTorch's); for NumPy's, average the two middle values "
    "of t.sort(dim).values",
    "nanmedian": "NumPy's nanmedian averages the two middle values of an even count of non-NaN "
    "values, the Tensor's nanmedian(dim) takes the lower one (PyTorch's)",
}
