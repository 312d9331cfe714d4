"""PyTorch's linalg norms and products: vector_norm, matrix_norm, norm, vecdot, multi_dot, ...

`vector_norm`, `matrix_norm`, `norm`, `cross`, `vecdot`, `multi_dot`, `matmul`, `diagonal`,
`vander` and `matrix_power`, with `torch.linalg`'s signatures, defaults (which
differ from the top-level functions': `cross` and `vecdot` work on `dim=-1`, `diagonal` on the
last two dims, `vander` has increasing powers), values, dtypes and refusals. Each is composed of
differentiable Tensor ops, so gradients of every order come from the composition; the gradients
at kinks are PyTorch's (a norm's gradient is 0 where the norm is 0; ord = 0 counts nonzeros
with gradient 0).

>>> import tinygrad_lite as tg
>>> from tinygrad_lite.linalg_more import vector_norm
>>> vector_norm(tg.tensor([[3.0, -4.0], [1.0, 0.0]]), ord=1, dim=1).tolist()
[7.0, 1.0]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import ops as F
from . import toplevel_calc
from .linalg_base import tensor_arg
from .linalg_decomp import svdvals
from .tensor import Tensor
from .tensor_shape import dim_arg

__all__ = [
    "cross", "diagonal", "matmul", "matrix_norm", "matrix_power", "multi_dot", "norm", "vander",
    "vecdot", "vector_norm",
]  # fmt: skip


def _floating(fn: str, x: Tensor, low_precision: bool = True) -> None:
    if x.dtype.kind != "f" or (not low_precision and x.dtype == np.float16):
        kinds = "a floating-point" if low_precision else "a float32 or float64"
        raise TypeError(f"{fn}: expected {kinds} tensor, got dtype {x.dtype}")


def _dtype(fn: str, x: Tensor, dtype: Any) -> Tensor:
    """X in `dtype`, a float dtype that must not narrow x's (PyTorch's rule)."""
    if dtype is None:
        return x
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"{fn}: dtype should be a floating-point dtype, got {dt}")
    if np.promote_types(x.dtype, dt) != dt:
        raise TypeError(
            f"{fn}: the dtype of the input ({x.dtype}) should be convertible without narrowing "
            f"to the specified dtype ({dt})"
        )
    return x if dt == x.dtype else x.astype(dt)


def _dims(fn: str, dim: Any, ndim: int) -> tuple[int, ...]:
    """The dims to reduce, non-negative and distinct; None and () mean every dim (PyTorch's)."""
    if dim is None:
        return tuple(range(ndim))
    if not isinstance(dim, (int, np.integer, tuple, list)):
        raise TypeError(f"{fn}: dim must be an int or a tuple of ints, got {dim!r}")
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    out = tuple(dim_arg(d, ndim, fn) for d in dims)
    for d in set(out):
        if out.count(d) > 1:
            raise ValueError(f"{fn}: dim {d} appears more than once in the list of dims {dim!r}")
    return out if out else tuple(range(ndim))


def _ord(fn: str, ord: Any) -> float:
    if isinstance(ord, str) or not isinstance(ord, (int, float, np.number)):
        raise TypeError(f"{fn}: ord must be a number, got {ord!r}")
    if math.isnan(float(ord)):
        raise ValueError(f"{fn}: ord must not be NaN")
    return float(ord)


# ---------------------------------------------------------------------- norms


def vector_norm(
    x: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None
) -> Tensor:
    """The vector p-norm ‖x‖ₚ = (Σ|xᵢ|ᵖ)^(1/p) over `dim` (every element when None or ()).

    ord may be any float: ∞ is max|xᵢ|, −∞ min|xᵢ|, 0 the number of nonzeros (gradient 0); a
    negative p gives 0 where an element is 0. The gradient is PyTorch's: 0 where xᵢ = 0 for
    p < 1, and 0 where the norm is 0; tied extremes share it for ±∞. When every reduced dim has
    size 1 the result is |x| (as PyTorch, without the rounding of (|x|ᵖ)^(1/p)). With `dtype`
    the input is cast to it first (a float dtype at least as wide as x's).

    Raises:
        TypeError: a non-float input, or a `dtype` that is not a float or narrows x's.
        ValueError: a NaN ord, repeated dims, or ord < 0 or ∞ over no elements.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_more import vector_norm
        >>> vector_norm(tg.tensor([3.0, 0.0, -4.0]), ord=0).item()
        2.0
    """
    fn = "linalg.vector_norm"
    x = tensor_arg(x, fn)
    _floating(fn, x)
    p = _ord(fn, ord)
    dims = _dims(fn, dim, x.ndim) if x.ndim else _dims(fn, dim, 1)[:0]  # a 0-d x: no dim
    whole = dim is None or (isinstance(dim, (tuple, list)) and not dim)
    if x.numel() == 0 and (p < 0 or p == math.inf):
        if whole or any(x.shape[d] == 0 for d in dims):
            raise ValueError(
                f"{fn}: cannot compute the {ord} norm over no elements (shape {x.shape}, dim "
                f"{dim!r}): the reduction has no identity"
            )
    x = _dtype(fn, x, dtype)
    if all(x.shape[d] == 1 for d in dims):  # PyTorch's |x| for size-1 reductions
        shape = x.shape if keepdim else tuple(s for k, s in enumerate(x.shape) if k not in dims)
        return (_count(x) if p == 0 else x.abs()).reshape(shape)
    if p == 0:
        return _count(x).sum(dims, keepdim)
    if p == 2:
        return F.Norm.apply(x, axis=dims, keepdims=keepdim)
    a = x.abs()
    if p == 1 or x.numel() == 0:
        return a.sum(dims, keepdim)
    if p == math.inf:
        return a.amax(dims, keepdim)
    if p == -math.inf:
        return a.amin(dims, keepdim)
    nonzero = a != 0
    if p > 0:  # zeros are left out of the powers: their gradient is 0, not NaN
        s = a.where(nonzero, 1.0).pow(p).where(nonzero, 0.0).sum(dims, keepdim)
        positive = s != 0
        return s.where(positive, 1.0).pow(1.0 / p).where(positive, 0.0)
    s = a.where(nonzero, 1.0).pow(p).sum(dims, keepdim)
    has_zero = (a == 0).astype(np.int64).sum(dims, keepdim) > 0  # |0|^p = ∞: the norm is 0
    return s.pow(1.0 / p).where(~has_zero | s.isnan(), 0.0)


def _count(x: Tensor) -> Tensor:
    """1 where x ≠ 0, else 0, in x's dtype and in x's graph with gradient 0 (PyTorch's)."""
    nonzero = (x != 0).astype(x.dtype)
    return x.where(Tensor(np.zeros(x.shape, np.bool_)), nonzero)


def _orders(fn: str, ord: Any) -> Any:
    if isinstance(ord, str):
        if ord not in ("fro", "nuc"):
            raise ValueError(f"{fn}: order {ord!r} is not supported; use 'fro' or 'nuc'")
        return ord
    p = _ord(fn, ord)
    if abs(p) not in (1.0, 2.0, math.inf):
        raise ValueError(f"{fn}: order {ord!r} is not supported; use 'fro', 'nuc', ±1, ±2, ±inf")
    return p


def matrix_norm(
    A: Tensor,
    ord: Any = "fro",
    dim: tuple[int, int] = (-2, -1),
    keepdim: bool = False,
    *,
    dtype: Any = None,
) -> Tensor:
    """A matrix norm of A over the two dims `dim` (each matrix of a batch by default).

    ord: 'fro' √(Σ aᵢⱼ²); 1 and −1 the largest and smallest column sum Σᵢ|aᵢⱼ|; ∞ and −∞ the
    largest and smallest row sum; 2 and −2 the largest and smallest singular value; 'nuc' the
    sum of the singular values (these three from `linalg_decomp.svdvals`). As in PyTorch, the
    norms of non-negative orders of empty matrices are 0, and float16 is refused for 2, −2 and
    'nuc'.

    Raises:
        ValueError: another ord, fewer than 2 dims, a `dim` that is not two distinct dims,
            or a negative order over an empty dim.
        TypeError: a non-float input or a narrowing `dtype`.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_more import matrix_norm
        >>> matrix_norm(tg.tensor([[1.0, -2.0], [3.0, 4.0]]), ord=1).item()
        6.0
    """
    fn = "linalg.matrix_norm"
    A = tensor_arg(A, fn)
    p = _orders(fn, ord)
    if A.ndim < 2:
        raise ValueError(f"{fn}: A must have at least 2 dimensions, got shape {A.shape}")
    _floating(fn, A, low_precision=p not in (2.0, -2.0, "nuc"))
    if isinstance(dim, (int, np.integer)) or len(dim) != 2:
        raise ValueError(f"{fn}: dim must be a 2-tuple, got {dim!r}")
    d0, d1 = (dim_arg(d, A.ndim, fn) for d in dim)
    if d0 == d1:
        raise ValueError(f"{fn}: dims must be different, got ({d0}, {d1}) from {dim!r}")
    if p == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype)
    if p in (2.0, -2.0, "nuc"):
        X = _dtype(fn, A, dtype)
        order = [k for k in range(A.ndim) if k not in (d0, d1)] + [d0, d1]
        sv = svdvals(X.permute(order))
        if p == -2.0 and sv.shape[-1] == 0:
            raise ValueError(f"{fn}: the -2 norm of empty matrices (shape {A.shape}) has no value")
        summed = p == "nuc" or sv.numel() == 0  # the nuclear norm, or 0 or nothing (PyTorch's)
        out = sv.sum(-1) if summed else sv.amax(-1) if p == 2 else sv.amin(-1)
        if keepdim:
            out = out.reshape(out.shape + (1, 1)).permute([order.index(k) for k in range(A.ndim)])
        return out
    if abs(p) == math.inf:
        d0, d1 = d1, d0
    sums = vector_norm(A, 1, (d0,), keepdim, dtype=dtype)
    d1 -= int(not keepdim and d0 < d1)
    if sums.numel() == 0:
        if p < 0 and sums.shape[d1] == 0:
            raise ValueError(f"{fn}: the {ord} norm of empty matrices {A.shape} has no value")
        return sums.sum(d1, keepdim)  # zeros or nothing, PyTorch's values
    return sums.amax(d1, keepdim) if p > 0 else sums.amin(d1, keepdim)


def norm(
    A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *, dtype: Any = None
) -> Tensor:
    """`torch.linalg.norm`: a vector or a matrix norm, chosen as PyTorch chooses.

    A matrix norm (`matrix_norm`) when ord is a string, or when ord is given and `dim` has two
    dims (or is None for a 2-D A); otherwise a vector norm (`vector_norm`, ord 2 by default)
    over `dim`, or over every element when both ord and dim are None.

    Raises:
        ValueError: a `dim` of other than 1 or 2 dims, or ord without dim for A not 1-D or 2-D.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_more import norm
        >>> a = tg.tensor([[1.0, -2.0], [3.0, 4.0]])
        >>> norm(a, float("inf")).item(), norm(a, float("inf"), dim=1).tolist()
        (7.0, [2.0, 4.0])
    """
    fn = "linalg.norm"
    A = tensor_arg(A, fn)
    dims = None if dim is None else (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if dims is not None and len(dims) not in (1, 2):
        raise ValueError(f"{fn}: dim must have 1 or 2 dims, got {dim!r}")
    if dims is None and ord is not None and A.ndim not in (1, 2):
        raise ValueError(f"{fn}: without dim, ord needs a 1-D or 2-D input, got shape {A.shape}")
    two = len(dims) == 2 if dims is not None else A.ndim == 2
    if isinstance(ord, str) or (ord is not None and two):
        return matrix_norm(A, ord, dims or (0, 1), keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)


# ---------------------------------------------------------------------- products


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along `dim` (the last by default); other dims broadcast.

    Both must have the same number of dims and one dtype (see `tinygrad_lite.cross`).

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_more import cross
        >>> cross(tg.tensor([1.0, 0.0, 0.0]), tg.tensor([0.0, 1.0, 0.0])).tolist()
        [0.0, 0.0, 1.0]
    """
    return toplevel_calc.cross(
        tensor_arg(input, "linalg.cross"), tensor_arg(other, "linalg.cross"), dim=dim
    )


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """Σ conj(xᵢ)·yᵢ along `dim` of the broadcast x·y (real tensors: no conjugation).

    Raises:
        TypeError: non-float tensors, or tensors of different dtypes (as PyTorch).
        ValueError: shapes that do not broadcast.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_more import vecdot
        >>> vecdot(tg.tensor([[1.0, 2.0], [3.0, 4.0]]), tg.tensor([1.0, 1.0])).tolist()
        [3.0, 7.0]
    """
    fn = "linalg.vecdot"
    x, y = tensor_arg(x, fn), tensor_arg(y, fn)
    _floating(fn, x)
    if x.dtype != y.dtype:
        raise TypeError(f"{fn}: x and y must have the same dtype, got {x.dtype} and {y.dtype}")
    try:
        shape = np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise ValueError(f"{fn}: shapes {x.shape} and {y.shape} do not broadcast") from None
    d = dim_arg(dim, len(shape), fn)
    return x * y if not shape else (x * y).sum(d)


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """The matrix product input @ other (`torch.matmul`'s rules for vectors and batches).

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_more import matmul
        >>> matmul(tg.tensor([[1.0, 2.0]]), tg.tensor([3.0, 4.0])).tolist()
        [11.0]
    """
    a, b = tensor_arg(input, "linalg.matmul"), tensor_arg(other, "linalg.matmul")
    if a.dtype != b.dtype:
        raise TypeError(f"linalg.matmul: needs tensors of one dtype, got {a.dtype} and {b.dtype}")
    return a.matmul(b)


def multi_dot(tensors: Sequence[Tensor]) -> Tensor:
    """The product of a chain of matrices, in the cheapest order (PyTorch's, so its rounding).

    The first may be a vector (a row), the last too (a column): their dim is dropped.

    Raises:
        ValueError: fewer than 2 tensors, wrong ranks, or shapes that do not chain.
        TypeError: tensors of different dtypes.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_more import multi_dot
        >>> multi_dot([tg.tensor([1.0, 2.0]), tg.ones(2, 3), tg.ones(3)]).item()
        9.0
    """
    fn = "linalg.multi_dot"
    ts = [tensor_arg(t, fn) for t in tensors]
    if len(ts) < 2:
        raise ValueError(f"{fn}: expected at least 2 tensors, got {len(ts)}")
    for k, t in enumerate(ts):
        end = "the first" if k == 0 else "the last" if k == len(ts) - 1 else ""
        if t.ndim != 2 and not (end and t.ndim == 1):
            which = f"{end} tensor must be 1-D or 2-D" if end else f"tensor {k} must be 2-D"
            raise ValueError(f"{fn}: {which}, got shape {t.shape}")
        if t.dtype != ts[0].dtype:
            raise TypeError(f"{fn}: tensor 0 is {ts[0].dtype} but tensor {k} is {t.dtype}")
    shape = ts[0].shape[:-1] + ts[-1].shape[1:]
    ms = [ts[0].reshape(1, -1) if ts[0].ndim == 1 else ts[0], *ts[1:-1]]
    ms.append(ts[-1].reshape(-1, 1) if ts[-1].ndim == 1 else ts[-1])
    for k in range(1, len(ms)):
        if ms[k - 1].shape[1] != ms[k].shape[0]:
            raise ValueError(
                f"{fn}: tensors {k - 1} and {k} with shapes {ts[k - 1].shape} and "
                f"{ts[k].shape} cannot be multiplied"
            )
    return toplevel_calc.chain_matmul(*ms).reshape(shape)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonals of the matrices in dims dim1 and dim2 (the last two), as a last dim.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_more import diagonal
        >>> diagonal(tg.arange(8).reshape(2, 2, 2)).tolist()
        [[0, 3], [4, 7]]
    """
    return tensor_arg(A, "linalg.diagonal").diagonal(offset, dim1, dim2)


def matrix_power(A: Tensor, n: int) -> Tensor:
    """Aⁿ for a square matrix or a batch (n < 0: a power of A⁻¹), as `tinygrad_lite.matrix_power`.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_more import matrix_power
        >>> matrix_power(tg.tensor([[2.0, 0.0], [0.0, 4.0]]), -1).tolist()
        [[0.5, 0.0], [0.0, 0.25]]
    """
    return toplevel_calc.matrix_power(tensor_arg(A, "linalg.matrix_power"), n)


def vander(x: Tensor, *, N: int | None = None) -> Tensor:  # noqa: N803 - PyTorch's name
    """The Vandermonde matrices of x (..., n): (..., n, N), column j holding xʲ (j = 0 .. N−1).

    N is x's last size by default and must exceed 1. Integer inputs give int64, float32 and
    float64 keep their dtype; the powers are running products, as PyTorch's.

    Raises:
        TypeError: bool or float16 inputs (as PyTorch), or an N that is not an int.
        ValueError: N ≤ 1.

    Example:
        >>> import tinygrad_lite as tg
        >>> from tinygrad_lite.linalg_more import vander
        >>> vander(tg.tensor([2, 3]), N=3).tolist()
        [[1, 2, 4], [1, 3, 9]]
    """
    fn = "linalg.vander"
    x = tensor_arg(x, fn)
    if x.dtype.kind not in "iuf" or x.dtype == np.float16:
        raise TypeError(f"{fn}: supports float32, float64 and integer tensors, got {x.dtype}")
    x = x.reshape(1) if x.ndim == 0 else x
    x = x.astype(np.int64) if x.dtype.kind in "iu" else x
    if N is not None and (isinstance(N, bool) or not isinstance(N, (int, np.integer))):
        raise TypeError(f"{fn}: N must be an int, got {N!r}")
    n = x.shape[-1] if N is None else int(N)
    if n <= 1:
        raise ValueError(f"{fn}: N must be greater than 1, got {n}")
    powers = x.unsqueeze(-1).expand(*x.shape, n - 1).cumprod(-1)
    ones = Tensor(np.ones((*x.shape, 1), x.dtype))
    return F.Cat.apply(ones, powers, dim=-1)
