"""More of PyTorch's top-level functions: batched products, einsum, scatters, statistics.

`tg.bmm(a, b)`, `tg.scatter(x, dim, index, src)`, `tg.median(x, dim)`, ... call the Tensor
method of the same name with the same arguments, as `toplevel`'s functions do; `einsum`,
`tensordot`, `var_mean` and `std_mean` have no Tensor method (as in PyTorch). The tensor
arguments must be Tensors; NumPy arrays go through NumPy's own functions, several of which
dispatch to the same ops when given tensors (see `np_functions`).

>>> import tinygrad_lite as tg
>>> var, mean = tg.var_mean(tg.tensor([1.0, 2.0, 6.0]))
>>> var.item(), mean.item()
(7.0, 3.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import tensor_linalg
from .tensor import Tensor

__all__ = [
    "addmm", "baddbmm", "bmm", "cummax", "cummin", "diagonal", "diff", "einsum", "index_add",
    "kron", "logcumsumexp", "median", "nanmean", "nanmedian", "nansum", "scatter", "scatter_add",
    "scatter_reduce", "std_mean", "take", "take_along_dim", "tensordot", "unflatten", "var_mean",
]  # fmt: skip


def _t(x: Any, fn: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{fn}: expected a Tensor, got {type(x).__name__}; wrap arrays with "
            "tinygrad_lite.tensor(...)"
        )
    return x


# ---------------------------------------------------------------------- products


def bmm(input: Tensor, mat2: Any) -> Tensor:
    """The products of two batches of matrices, y[b] = input[b] @ mat2[b] (3-D, one batch)."""
    return _t(input, "bmm").bmm(mat2)


def baddbmm(input: Tensor, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """β·input + α·(batch1 @ batch2) for batches of matrices; β = 0 ignores input."""
    return _t(input, "baddbmm").baddbmm(batch1, batch2, beta=beta, alpha=alpha)


def addmm(input: Tensor, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """β·input + α·(mat1 @ mat2) for two matrices; β = 0 ignores input."""
    return _t(input, "addmm").addmm(mat1, mat2, beta=beta, alpha=alpha)


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Σ over paired dims of a·b: a's last `dims` with b's first, or two lists of dims."""
    return tensor_linalg.tensordot(_t(a, "tensordot"), _t(b, "tensordot"), dims)


def kron(input: Tensor, other: Any) -> Tensor:
    """The Kronecker product: y[i·m + k] = input[i]·other[k] in every dimension."""
    return _t(input, "kron").kron(other)


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation, y[out] = Σ Π operands over the labels the output lacks.

    See `tensor_linalg.einsum` for the forms ("ij,jk->ik", implicit output, "...",
    repeated labels for diagonals).

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.einsum("i,i->", tg.tensor([1.0, 2.0]), tg.tensor([3.0, 4.0])).item()
        11.0
    """
    return tensor_linalg.einsum(equation, *operands)


# ---------------------------------------------------------------------- scatters


def scatter(input: Tensor, dim: int, index: Any, src: Any = None, **kwargs: Any) -> Tensor:
    """A copy of input with src (a tensor or a number) written at `index` along `dim`."""
    return _t(input, "scatter").scatter(dim, index, src, **kwargs)


def scatter_add(input: Tensor, dim: int, index: Any, src: Any) -> Tensor:
    """Input with src added at `index` along `dim`; repeated positions add up."""
    return _t(input, "scatter_add").scatter_add(dim, index, src)


def scatter_reduce(
    input: Tensor, dim: int, index: Any, src: Any, reduce: str, *, include_self: bool = True
) -> Tensor:
    """Input with the src values sent to each position combined by `reduce` (sum, prod, ...).

    See `Tensor.scatter_reduce`: "sum", "prod", "mean", "amax" or "amin" of input's element
    (unless `include_self=False`) and what `index` sends to it along `dim`.

    Example:
        >>> import tinygrad_lite as tg
        >>> x = tg.tensor([1.0, 1.0])
        >>> tg.scatter_reduce(x, 0, tg.tensor([1, 1]), tg.tensor([2.0, 3.0]), "amin").tolist()
        [1.0, 1.0]
    """
    return _t(input, "scatter_reduce").scatter_reduce(
        dim, index, src, reduce, include_self=include_self
    )


def index_add(input: Tensor, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Tensor:
    """Input with alpha·source's slices added at the positions `index` along `dim`."""
    return _t(input, "index_add").index_add(dim, index, source, alpha=alpha)


def take(input: Tensor, index: Any) -> Tensor:
    """The elements at `index` of input read flat (negative positions count from the end)."""
    return _t(input, "take").take(index)


def take_along_dim(input: Tensor, indices: Any, dim: int | None = None) -> Tensor:
    """The values at `indices` along `dim` (input and indices broadcast outside it)."""
    return _t(input, "take_along_dim").take_along_dim(indices, dim)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal y[..., i] = input[i, i + offset] of dims dim1 and dim2, as a last dim."""
    return _t(input, "diagonal").diagonal(offset, dim1, dim2)


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Dimension `dim` split into dimensions of `sizes` (one may be -1)."""
    return _t(input, "unflatten").unflatten(dim, sizes)


# ---------------------------------------------------------------------- statistics


def _correction(op: str, dim: Any, unbiased: Any, correction: Any) -> tuple[Any, float]:
    """PyTorch's forms: (input, dim, unbiased), (input, unbiased) or correction=; not both."""
    if isinstance(dim, bool):  # var_mean(input, False): the `unbiased` form without dim
        if unbiased is not None:
            raise TypeError(f"{op}: unbiased given twice ({dim!r} and {unbiased!r})")
        dim, unbiased = None, dim
    if unbiased is not None:
        if correction is not None:
            raise TypeError(f"{op}: give correction or unbiased, not both")
        if not isinstance(unbiased, bool):
            raise TypeError(f"{op}: unbiased must be a bool, got {unbiased!r}")
        return dim, 1 if unbiased else 0
    return dim, 1 if correction is None else correction


def var_mean(
    input: Tensor,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> tuple[Tensor, Tensor]:
    """(var, mean) over `dim`: Σ (x − x̄)²/(n − correction) and x̄ = Σ x/n, as a pair.

    `correction` is 1 by default (Bessel's); PyTorch's `unbiased=True/False` is correction
    1 or 0, also as the second positional argument: `var_mean(x, False)`.

    Example:
        >>> import tinygrad_lite as tg
        >>> [t.item() for t in tg.var_mean(tg.tensor([1.0, 2.0, 6.0]), correction=0)]
        [4.666666666666667, 3.0]
    """
    x = _t(input, "var_mean")
    dim, c = _correction("var_mean", dim, unbiased, correction)
    return x.var(dim, keepdim=keepdim, correction=c), x.mean(dim, keepdim)


def std_mean(
    input: Tensor,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> tuple[Tensor, Tensor]:
    """(std, mean) over `dim`: √(Σ (x − x̄)²/(n − correction)) and x̄, as a pair.

    The arguments as `var_mean`'s.
    """
    x = _t(input, "std_mean")
    dim, c = _correction("std_mean", dim, unbiased, correction)
    return x.std(dim, keepdim=keepdim, correction=c), x.mean(dim, keepdim)


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Σ x over `dim` with NaN counted as 0."""
    return _t(input, "nansum").nansum(dim, keepdim)


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """The mean over `dim` of the values that are not NaN."""
    return _t(input, "nanmean").nanmean(dim, keepdim)


def median(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median; with `dim`, (values, indices) along it (see `Tensor.median`)."""
    return _t(input, "median").median(dim, keepdim)


def nanmedian(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median of the values that are not NaN (see `Tensor.nanmedian`).

    NaN only where every value is NaN; with `dim`, (values, indices) along it.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.nanmedian(tg.tensor([float("nan"), 3.0, 1.0, 2.0])).item()
        2.0
    """
    return _t(input, "nanmedian").nanmedian(dim, keepdim)


def cummax(input: Tensor, dim: int) -> Any:
    """The running maximum along `dim` and its positions, (values, indices)."""
    return _t(input, "cummax").cummax(dim)


def cummin(input: Tensor, dim: int) -> Any:
    """The running minimum along `dim` and its positions, (values, indices)."""
    return _t(input, "cummin").cummin(dim)


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """y_i = ln Σ_{j ≤ i} e^(x_j) along `dim`, without overflow."""
    return _t(input, "logcumsumexp").logcumsumexp(dim)


def diff(
    input: Tensor, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None
) -> Tensor:
    """The n-th forward difference along `dim`, y_i = x_{i+1} − x_i applied n times."""
    return _t(input, "diff").diff(n, dim, prepend, append)
