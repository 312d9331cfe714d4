"""PyTorch's counting and searching functions: unique, bincount, histc, isin, searchsorted, ...

`tg.unique`, `tg.unique_consecutive`, `tg.bincount`, `tg.histc`, `tg.isin`, `tg.bucketize`,
`tg.searchsorted` and `tg.count_nonzero`, as PyTorch computes them: the same dtypes (int64
positions and counts, int32 with `out_int32=True`), the same treatment of NaN (every NaN is its
own value; a NaN searched for goes after everything) and the same refusals. Positions, counts,
masks and histograms carry no gradient; `bincount` with float weights is differentiable in
the weights.

>>> import tinygrad_lite as tg
>>> values, counts = tg.unique(tg.tensor([3, 1, 3, 2]), return_counts=True)
>>> values.tolist(), counts.tolist()
([1, 2, 3], [1, 1, 2])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .tensor import Tensor
from .tensor_shape import array_of, constant_result

__all__ = [
    "bincount", "bucketize", "count_nonzero", "histc", "isin", "searchsorted", "unique",
    "unique_consecutive",
]  # fmt: skip


def _t(x: Any, fn: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{fn}: expected a Tensor, got {type(x).__name__}; wrap arrays with "
            "tinygrad_lite.tensor(...)"
        )
    return x


# ---------------------------------------------------------------------- unique values


def unique(
    input: Tensor,
    sorted: bool = True,  # noqa: A002 - PyTorch's name
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The distinct values (or, with `dim`, the distinct slices along it), in ascending order.

    With `return_inverse`, also the int64 position of each input element (input's shape; with
    `dim`, one per slice) in the result; with `return_counts`, how often each value occurs. NaN
    values are all distinct, as in PyTorch. The result is always sorted (PyTorch's CPU result
    for `sorted=False` is sorted too) and carries no gradient.

    Example:
        >>> import tinygrad_lite as tg
        >>> values, inverse = tg.unique(tg.tensor([[3, 1], [3, 2]]), return_inverse=True)
        >>> values.tolist(), inverse.tolist()
        ([1, 2, 3], [[2, 0], [2, 1]])
    """
    return _t(input, "unique").unique(sorted, return_inverse, return_counts, dim)


def unique_consecutive(
    input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None
) -> Any:
    """The values with each run of equal consecutive values (or slices along `dim`) kept once.

    The optional int64 inverse and counts are as `unique`'s.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.unique_consecutive(tg.tensor([1, 1, 2, 2, 1])).tolist()
        [1, 2, 1]
    """
    return _t(input, "unique_consecutive").unique_consecutive(return_inverse, return_counts, dim)


# ---------------------------------------------------------------------- counting


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    """The int64 number of nonzero elements (over everything, or over `dim`, an int or tuple).

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.count_nonzero(tg.tensor([[0, 1], [2, 3]]), dim=0).tolist()
        [1, 2]
    """
    return _t(input, "count_nonzero").count_nonzero(dim)


def bincount(input: Tensor, weights: Any = None, minlength: int = 0) -> Tensor:
    """How often each value 0, 1, ..., max(input) occurs in a 1-D tensor of non-negative ints.

    The length is max(input) + 1, or `minlength` if larger. Without weights the counts are
    int64; with weights each occurrence adds its weight: float weights keep their dtype, integer
    and bool weights give float64 (as PyTorch). Float weights get a gradient (each weight's is
    the gradient of its bin; PyTorch has no derivative here).

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.bincount(tg.tensor([1, 1, 3]), minlength=5).tolist()
        [0, 2, 0, 1, 0]
    """
    return _t(input, "bincount").bincount(weights, minlength)


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """The histogram of the values in `bins` equal bins over [min, max], as PyTorch computes it.

    min = max (the default) takes the data's own range (widened by 1 each way when it is a single
    value); values outside the range and NaN are left out; the last bin includes max. A value's
    bin is ⌊(x − min)·bins/(max − min)⌋ in the input's float dtype, as PyTorch's. The counts
    are in the input's dtype (floats only) and carry no gradient.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.histc(tg.tensor([1.0, 2.0, 1.0, 4.0]), bins=4, min=0, max=3).tolist()
        [0.0, 2.0, 1.0, 0.0]
    """
    return _t(input, "histc").histc(bins, min, max)


def isin(
    elements: Any, test_elements: Any, *, assume_unique: bool = False, invert: bool = False
) -> Tensor:
    """A bool tensor of elements' shape: whether each element occurs in test_elements.

    Either argument may be a number (not both); NaN is never found. `assume_unique` is accepted
    for PyTorch's signature (the answer is the same); `invert=True` gives the negation.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.isin(tg.tensor([1, 2, 3]), tg.tensor([2, 5])).tolist()
        [False, True, False]
    """
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin: elements or test_elements must be a Tensor")
    e, te = array_of(elements), array_of(test_elements)
    return constant_result(np.isin(e, te, invert=invert))


# ---------------------------------------------------------------------- sorted search


def _search(seq: np.ndarray, values: np.ndarray, right: bool) -> np.ndarray:
    """Binary search along seq's last dim, with PyTorch's comparisons (so NaN goes last).

    Left: the first i with seq[i] >= v; right: the first i with seq[i] > v (n if none).
    """
    n = seq.shape[-1]
    lo = np.zeros(values.shape, dtype=np.int64)
    hi = np.full(values.shape, n, dtype=np.int64)
    if n == 0:
        return lo
    while True:
        active = lo < hi
        if not active.any():
            return lo
        mid = (lo + hi) // 2
        at = np.take_along_axis(seq, np.minimum(mid, n - 1), axis=-1)
        with np.errstate(invalid="ignore"):
            below = ~(at > values) if right else ~(at >= values)
        lo = np.where(active & below, mid + 1, lo)
        hi = np.where(active & ~below, mid, hi)


def searchsorted(
    sorted_sequence: Tensor,
    values: Any,
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Any = None,
) -> Tensor:
    """Where `values` would go in `sorted_sequence` (along its last dim) to keep it sorted.

    The sequence is 1-D, or N-D with the same leading dims as `values` (each row searched for its
    row of values). side="left" (or right=False, the default) gives the first position i with
    seq[i] ≥ v, side="right" the first with seq[i] > v; `sorter` holds the positions that
    sort an unsorted sequence. int64 positions (int32 with `out_int32`), no gradient.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.searchsorted(tg.tensor([1, 3, 5, 7]), tg.tensor([3, 6]), side="right").tolist()
        [2, 3]
    """
    seq = _t(sorted_sequence, "searchsorted").data
    if side is not None:
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise ValueError("searchsorted: side='left' and right=True contradict each other")
        right = side == "right"
    v = array_of(values)
    if seq.ndim == 0:
        raise ValueError("searchsorted: sorted_sequence must have at least one dimension")
    if seq.ndim > 1 and (v.ndim != seq.ndim or v.shape[:-1] != seq.shape[:-1]):
        raise ValueError(
            "searchsorted: an N-D sorted_sequence needs values with the same leading dims, got "
            f"shapes {seq.shape} and {v.shape}"
        )
    if sorter is not None:
        order = array_of(sorter)
        if order.shape != seq.shape or order.dtype.kind not in "iu":
            raise ValueError(
                f"searchsorted: sorter must be integer positions of sorted_sequence's shape "
                f"{seq.shape}, got shape {order.shape} and dtype {order.dtype}"
            )
        seq = np.take_along_axis(seq, order.astype(np.int64), axis=-1)
    dt = np.result_type(seq, v)
    seq, v = seq.astype(dt, copy=False), v.astype(dt, copy=False)
    if seq.ndim == 1:
        pos = _search(seq.reshape(1, -1), v.reshape(1, -1), right).reshape(v.shape)
    else:
        pos = _search(seq, v, right)
    return constant_result(pos.astype(np.int32 if out_int32 else np.int64))


def bucketize(
    input: Any, boundaries: Tensor, *, out_int32: bool = False, right: bool = False
) -> Tensor:
    """The bucket of each input value among 1-D sorted `boundaries`: searchsorted(boundaries, x).

    right=False gives i with boundaries[i−1] < x ≤ boundaries[i], right=True the one with
    boundaries[i−1] ≤ x < boundaries[i]. A number gives a 0-D result.

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.bucketize(tg.tensor([1, 5, 9]), tg.tensor([1, 3, 5, 7])).tolist()
        [0, 2, 4]
    """
    b = _t(boundaries, "bucketize")
    if b.ndim != 1:
        raise ValueError(f"bucketize: boundaries must be 1-D, got shape {b.shape}")
    return searchsorted(b, input, out_int32=out_int32, right=right)
