"""Functions on Tensors that combine or order them, in `F`: where, maximum, cat, stack, sort, ..."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import ops
from .tensor import Tensor
from .tensor_scan import SortResult, TopKResult

__all__ = [
    "argsort",
    "cat",
    "cumprod",
    "cumsum",
    "expand_dims",
    "flip",
    "maximum",
    "minimum",
    "sort",
    "stack",
    "tensor_like",
    "topk",
    "where",
]


def tensor_like(x: Any, like: Tensor | None = None) -> Tensor:
    """`x` as a Tensor: itself, a number made weak against `like` (as operators do), or wrapped."""
    if isinstance(x, Tensor):
        return x
    if like is not None:
        return like._wrap(x, "where")
    return Tensor(x)


_UNSET: Any = object()


def where(condition: Any, x: Any = _UNSET, y: Any = _UNSET) -> Any:
    """X where `condition` holds, else y; the gradient goes to the branch taken.

    Python numbers are weak, as for operators: `where(mask, z, 0)` keeps z's dtype. With the
    condition alone, the indices where it holds, one int64 tensor per dim (PyTorch's
    `where(condition)`, `nonzero(as_tuple=True)`).
    """
    cond = condition if isinstance(condition, Tensor) else Tensor(np.asarray(condition))
    if x is _UNSET and y is _UNSET:
        return cond.nonzero(as_tuple=True)
    if x is _UNSET or y is _UNSET:
        raise TypeError("where: give both x and y, or the condition alone")
    like = x if isinstance(x, Tensor) else y if isinstance(y, Tensor) else None
    a, b = tensor_like(x, like), tensor_like(y, like)
    return ops.Where.apply(cond, a, b)


def maximum(x: Any, y: Any) -> Tensor:
    """Elementwise max; ties split the gradient evenly."""
    like = x if isinstance(x, Tensor) else y
    return ops.Maximum.apply(tensor_like(x, like), tensor_like(y, like))


def minimum(x: Any, y: Any) -> Tensor:
    """Elementwise min; ties split the gradient evenly."""
    like = x if isinstance(x, Tensor) else y
    return ops.Minimum.apply(tensor_like(x, like), tensor_like(y, like))


def cat(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join tensors along an existing dim; each gets its slice of the gradient."""
    ts = [tensor_like(t) for t in tensors]
    return ops.Cat.apply(*ts, dim=dim)


def stack(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join tensors along a new dim (each unsqueezed, then `cat`: the same gradient rule)."""
    ts = [tensor_like(t) for t in tensors]
    if not ts:
        raise ValueError("stack: needs at least one tensor")
    shape = ts[0].shape
    for t in ts[1:]:
        if t.shape != shape:
            raise ValueError(f"stack: all tensors must have one shape, got {shape} and {t.shape}")
    return cat([t.unsqueeze(dim) for t in ts], dim=dim)


def expand_dims(x: Tensor, axis: int | Sequence[int]) -> Tensor:
    """NumPy's expand_dims: size-1 dims inserted at `axis` (positions in the result)."""
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    n = x.ndim + len(axes)
    pos = sorted(int(a) % n for a in axes)
    shape = list(x.shape)
    for p in pos:
        shape.insert(p, 1)
    return x.reshape(*shape)


def cumsum(x: Any, dim: int) -> Tensor:
    """Cumulative sums along `dim` (`torch.cumsum`); ints and bools sum to int64."""
    return tensor_like(x).cumsum(dim)


def cumprod(x: Any, dim: int) -> Tensor:
    """Cumulative products along `dim` (`torch.cumprod`); exact gradients where x has zeros."""
    return tensor_like(x).cumprod(dim)


def flip(x: Any, dims: int | Sequence[int]) -> Tensor:
    """The values in reverse order along each of `dims` (`torch.flip`), as a copy."""
    return tensor_like(x).flip(dims)


def argsort(x: Any, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """The int64 positions that sort x along `dim` (a stable sort); no gradient."""
    return tensor_like(x).argsort(dim, descending, stable=stable)


def sort(x: Any, dim: int = -1, descending: bool = False, *, stable: bool = False) -> SortResult:
    """`(values, indices)` of x sorted along `dim` by a stable sort (see `Tensor.sort`)."""
    return tensor_like(x).sort(dim, descending, stable=stable)


def topk(x: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> TopKResult:
    """`(values, indices)` of the k largest (or smallest) values along `dim` (`Tensor.topk`)."""
    return tensor_like(x).topk(k, dim, largest, sorted)
