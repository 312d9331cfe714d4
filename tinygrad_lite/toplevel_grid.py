"""PyTorch's grid and layout functions: meshgrid, cartesian_prod, combinations, block_diag, ...

`tg.meshgrid`, `tg.cartesian_prod`, `tg.combinations`, `tg.broadcast_tensors`, `tg.block_diag`,
`tg.roll`, `tg.rot90`, `tg.vander`, `tg.tril_indices`, `tg.triu_indices`,
`tg.atleast_1d/2d/3d` and `hstack`, `vstack`, `row_stack`, `dstack`, `column_stack`, as PyTorch
computes them. Every result that holds the inputs' values is built from differentiable Tensor ops
(indexing, expand, cat, cumprod), so gradients, higher-order gradients and `tinygrad_lite.compile`
work; index tensors carry no gradient.

>>> import tinygrad_lite as tg
>>> xs, ys = tg.meshgrid(tg.tensor([1, 2]), tg.tensor([3, 4, 5]), indexing="ij")
>>> xs.shape, ys.tolist()
((2, 3), [[3, 4, 5], [3, 4, 5]])
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import dtypes
from . import ops as F
from .tensor import Tensor
from .tensor_shape import constant_result

__all__ = [
    "atleast_1d", "atleast_2d", "atleast_3d", "block_diag", "broadcast_tensors", "cartesian_prod",
    "column_stack", "combinations", "dstack", "hstack", "meshgrid", "roll", "rot90", "row_stack",
    "tril_indices", "triu_indices", "vander", "vstack",
]  # fmt: skip


def _t(x: Any, fn: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{fn}: expected a Tensor, got {type(x).__name__}; wrap arrays with "
            "tinygrad_lite.tensor(...)"
        )
    return x


def _tensors(args: tuple[Any, ...], fn: str) -> list[Tensor]:
    """PyTorch's two spellings: f(a, b, c) and f([a, b, c])."""
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = tuple(args[0])
    return [_t(a, fn) for a in args]


def _int(v: Any, fn: str, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{fn}: {name} must be an int, got {v!r}")
    return int(v)


# ---------------------------------------------------------------------- grids


def broadcast_tensors(*tensors: Any) -> tuple[Tensor, ...]:
    """The tensors expanded to their common broadcast shape (each keeps its dtype).

    Example:
        >>> import tinygrad_lite as tg
        >>> a, b = tg.broadcast_tensors(tg.ones(2, 1), tg.tensor([1, 2, 3]))
        >>> a.shape, b.shape, b.dtype
        ((2, 3), (2, 3), dtype('int64'))
    """
    ts = _tensors(tensors, "broadcast_tensors")
    try:
        shape = np.broadcast_shapes(*(t.shape for t in ts))
    except ValueError:
        raise ValueError(
            "broadcast_tensors: shapes " + ", ".join(str(t.shape) for t in ts) + " do not broadcast"
        ) from None
    return tuple(t if t.shape == shape else t.broadcast_to(shape) for t in ts)


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids of 0-D or 1-D tensors of one dtype.

    indexing="ij" (the default, as PyTorch's; no warning is given) makes grid k vary along
    dimension k, shape (n₁, n₂, ...); "xy" (NumPy's and MATLAB's) swaps the first two dimensions.

    Example:
        >>> import tinygrad_lite as tg
        >>> gx, gy = tg.meshgrid(tg.tensor([1, 2]), tg.tensor([3, 4, 5]), indexing="xy")
        >>> gx.tolist()
        [[1, 2], [1, 2], [1, 2]]
    """
    ts = _tensors(tensors, "meshgrid")
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if not ts:
        raise ValueError("meshgrid: needs at least one tensor")
    for k, t in enumerate(ts):
        if t.ndim > 1:
            raise ValueError(
                f"meshgrid: expects 0-D or 1-D tensors, tensor {k} has shape {t.shape}"
            )
        if t.dtype != ts[0].dtype:
            raise TypeError(
                f"meshgrid: all tensors must have one dtype, got {ts[0].dtype} and {t.dtype}"
            )
    vs = [t.reshape(-1) for t in ts]
    swap = indexing == "xy" and len(vs) >= 2
    if swap:
        vs[0], vs[1] = vs[1], vs[0]
    shape = tuple(v.shape[0] for v in vs)
    grids = []
    for k, v in enumerate(vs):
        view = [1] * len(vs)
        view[k] = shape[k]
        grids.append(v.reshape(view).broadcast_to(shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors: Any) -> Tensor:
    """Every tuple (a, b, ...) of elements of the 1-D tensors, one per row, in row-major order.

    One tensor is returned as it is (as PyTorch's).

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.cartesian_prod(tg.tensor([1, 2]), tg.tensor([3, 4])).tolist()
        [[1, 3], [1, 4], [2, 3], [2, 4]]
    """
    ts = _tensors(tensors, "cartesian_prod")
    for t in ts:
        if t.ndim != 1:
            raise ValueError(f"cartesian_prod: expects 1-D tensors, got shape {t.shape}")
    if len(ts) == 1:
        return ts[0]
    grids = meshgrid(*ts, indexing="ij")
    return F.Cat.apply(*(g.reshape(-1, 1) for g in grids), dim=1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The length-r combinations of a 1-D tensor's elements, one per row (itertools' order).

    Without replacement an element is used at most once per row; r = 0 gives an empty 1-D
    tensor and r larger than the length an empty (0, r) one, as in PyTorch.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.combinations(tg.tensor([1, 2, 3])).tolist()
        [[1, 2], [1, 3], [2, 3]]
    """
    x = _t(input, "combinations")
    r = _int(r, "combinations", "r")
    if x.ndim != 1:
        raise ValueError(f"combinations: expects a 1-D tensor, got shape {x.shape}")
    if r < 0:
        raise ValueError(f"combinations: r must be non-negative, got {r}")
    if r == 0:
        return x[np.zeros(0, dtype=np.int64)]
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(pick(range(x.shape[0]), r))
    index = np.array(rows, dtype=np.int64).reshape(len(rows), r)
    return x[index]


def block_diag(*tensors: Any) -> Tensor:
    """The tensors placed along the diagonal of one matrix, zeros elsewhere.

    A 0-D tensor counts as 1×1 and a 1-D tensor of length n as 1×n; the dtype is the inputs'
    promoted dtype. No tensors give an empty (1, 0) matrix of the default float.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.block_diag(tg.tensor([[1, 2]]), tg.tensor(3)).tolist()
        [[1, 2, 0], [0, 0, 3]]
    """
    ts = _tensors(tensors, "block_diag")
    if not ts:
        return Tensor(np.zeros((1, 0), dtype=dtypes.DEFAULT_FLOAT))
    for k, t in enumerate(ts):
        if t.ndim > 2:
            raise ValueError(
                f"block_diag: expects tensors of 2 or fewer dimensions, tensor {k} has shape "
                f"{t.shape}"
            )
    dt = dtypes.result_type(*(t.data for t in ts))
    mats = [t.reshape(1, -1) if t.ndim < 2 else t for t in ts]
    mats = [m if m.dtype == dt else m.astype(dt) for m in mats]
    width = sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        r, c = m.shape
        parts = [Tensor(np.zeros((r, left), dt)), m, Tensor(np.zeros((r, width - left - c), dt))]
        rows.append(F.Cat.apply(*parts, dim=1))
        left += c
    return F.Cat.apply(*rows, dim=0)


# ---------------------------------------------------------------------- moves


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """The elements shifted by `shifts` along `dims`, wrapping around (flattened without dims)."""
    return _t(input, "roll").roll(shifts, dims)


def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """The tensor turned by k quarter turns in the plane of `dims`, from dims[0] toward dims[1].

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.rot90(tg.tensor([[1, 2], [3, 4]])).tolist()
        [[2, 4], [1, 3]]
    """
    return _t(input, "rot90").rot90(k, dims)


# ---------------------------------------------------------------------- index grids


def _triangle_indices(fn: str, row: int, col: int, offset: int, dtype: Any, lower: bool) -> Tensor:
    row, col, offset = (_int(v, fn, n) for v, n in ((row, "row"), (col, "col"), (offset, "offset")))
    dt = np.dtype(dtype)
    if dt.kind not in "iu":
        raise TypeError(f"{fn}: dtype must be an integer dtype, got {dt}")
    if row < 0 or col < 0:
        raise ValueError(f"{fn}: row and col must be non-negative, got {row} and {col}")
    where = np.tril_indices if lower else np.triu_indices
    r, c = where(row, offset, col)
    return constant_result(np.stack([r, c]).astype(dt).reshape(2, -1))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = np.int64) -> Tensor:
    """The (2, N) positions of a row×col matrix's lower triangle (on or below `offset`).

    Row-major order, int64 by default; no gradient.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.tril_indices(2, 2).tolist()
        [[0, 1, 1], [0, 0, 1]]
    """
    return _triangle_indices("tril_indices", row, col, offset, dtype, True)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = np.int64) -> Tensor:
    """The (2, N) positions of a row×col matrix's upper triangle (on or above `offset`).

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.triu_indices(2, 3, 1).tolist()
        [[0, 0, 1], [1, 2, 2]]
    """
    return _triangle_indices("triu_indices", row, col, offset, dtype, False)


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:  # noqa: N803
    """The Vandermonde matrix of a 1-D tensor: columns x^(N−1), ..., x, 1 (reversed if increasing).

    N is len(x) by default. Integer and bool inputs give int64, floats keep their dtype; the
    powers are running products (as PyTorch's), so the gradient is exact.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.vander(tg.tensor([2, 3]), N=3).tolist()
        [[4, 2, 1], [9, 3, 1]]
    """
    v = _t(x, "vander")
    if v.ndim != 1:
        raise ValueError(f"vander: x must be a 1-D tensor, got shape {v.shape}")
    n = v.shape[0] if N is None else _int(N, "vander", "N")
    if n < 0:
        raise ValueError(f"vander: N must be non-negative, got {n}")
    if v.dtype.kind in "biu":
        v = v.astype(np.int64)
    if n == 0:
        return v.reshape(-1, 1)[:, :0]
    ones = Tensor(np.ones((v.shape[0], 1), v.dtype))
    if n == 1:
        return ones
    powers = F.Cat.apply(ones, v.reshape(-1, 1).broadcast_to((v.shape[0], n - 1)), dim=1)
    out = powers.cumprod(1)
    return out if increasing else out.flip(1)


# ---------------------------------------------------------------------- at least n dims


def _atleast(fn: str, views: Any, tensors: tuple[Any, ...]) -> Any:
    many = len(tensors) != 1 or isinstance(tensors[0], (list, tuple))
    outs = tuple(views(t) for t in _tensors(tensors, fn))
    return outs if many else outs[0]


def atleast_1d(*tensors: Any) -> Any:
    """A 0-D tensor as 1-D, others unchanged; several tensors (or a list) give a tuple.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.atleast_1d(tg.tensor(1.0)).shape
        (1,)
    """
    return _atleast("atleast_1d", lambda t: t.reshape(1) if t.ndim == 0 else t, tensors)


def atleast_2d(*tensors: Any) -> Any:
    """A 0-D tensor as 1×1 and a 1-D one as a row (1, n); others unchanged.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.atleast_2d(tg.tensor([1, 2])).shape
        (1, 2)
    """
    return _atleast("atleast_2d", lambda t: t.reshape(1, -1) if t.ndim < 2 else t, tensors)


def _three(t: Tensor) -> Tensor:
    if t.ndim == 0:
        return t.reshape(1, 1, 1)
    if t.ndim == 1:
        return t.reshape(1, -1, 1)
    return t.unsqueeze(-1) if t.ndim == 2 else t


def atleast_3d(*tensors: Any) -> Any:
    """0-D as (1, 1, 1), (n,) as (1, n, 1), (m, n) as (m, n, 1); others unchanged.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.atleast_3d(tg.ones(2, 3)).shape
        (2, 3, 1)
    """
    return _atleast("atleast_3d", _three, tensors)


# ---------------------------------------------------------------------- stacks


def _joined(fn: str, tensors: Any, dim: int, shape: Any) -> Tensor:
    """The tensors (a list or tuple, as PyTorch takes them), reshaped by `shape`, joined."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fn}: expects a list or tuple of tensors, got {type(tensors).__name__}")
    ts = [shape(_t(t, fn)) for t in tensors]
    if not ts:
        raise ValueError(f"{fn}: expects a non-empty list of tensors")
    dt = dtypes.result_type(*(t.data for t in ts))
    return F.Cat.apply(*(t if t.dtype == dt else t.astype(dt) for t in ts), dim=dim)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """The tensors joined column-wise: along dim 0 if all are 1-D (0-D count as 1-D), else dim 1.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.toplevel_grid import hstack
        >>> hstack([tg.tensor([1, 2]), tg.tensor(3)]).tolist()
        [1, 2, 3]
    """
    one = [t.reshape(1) if isinstance(t, Tensor) and t.ndim == 0 else t for t in tensors]
    flat = all(isinstance(t, Tensor) and t.ndim == 1 for t in one)
    return _joined("hstack", one, 0 if flat else 1, lambda t: t)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """The tensors joined row-wise (dim 0), 0-D and 1-D ones first made rows (1, n).

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.toplevel_grid import vstack
        >>> vstack([tg.tensor([1, 2]), tg.tensor([[3, 4]])]).tolist()
        [[1, 2], [3, 4]]
    """
    return _joined("vstack", tensors, 0, lambda t: t.reshape(1, -1) if t.ndim < 2 else t)


def row_stack(tensors: Sequence[Tensor]) -> Tensor:
    """`vstack` (PyTorch's other name)."""
    return vstack(tensors)


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """The tensors joined depth-wise (dim 2), each first made 3-D as by `atleast_3d`.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.toplevel_grid import dstack
        >>> dstack([tg.tensor([1, 2]), tg.tensor([3, 4])]).shape
        (1, 2, 2)
    """
    return _joined("dstack", tensors, 2, _three)


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """The tensors joined as columns (dim 1): 0-D and 1-D ones become columns (n, 1) first.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.toplevel_grid import column_stack
        >>> column_stack([tg.tensor([1, 2]), tg.tensor([[3], [4]])]).tolist()
        [[1, 3], [2, 4]]
    """
    return _joined("column_stack", tensors, 1, lambda t: t.reshape(-1, 1) if t.ndim < 2 else t)
