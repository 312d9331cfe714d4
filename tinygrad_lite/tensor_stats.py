"""The Tensor's NaN-aware reductions, medians, running extremes, log-cum-sum-exp and differences.

Each is PyTorch's, values, indices and gradients: `median` takes the lower of the two middle
values for an even count (`nanmedian` of the values that are not NaN); `median(dim)` and
`cummax`/`cummin` return `(values, indices)` with PyTorch's choice among ties, and their
gradient flows to the element each index names; `median()` shares its gradient among the
elements equal to the median. All but `logcumsumexp` (the `LogCumSumExp` op) are composed of
existing ops.

>>> from tinygrad_lite import tensor
>>> tensor([3.0, 1.0, 4.0, 1.0]).median().item()
1.0
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from . import ops as F
from .shapes import Axis
from .tensor_shape import TensorShapeMethods, constant_result, dim_arg

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["CumExtremeResult", "MedianResult", "TensorStatsMethods"]


class MedianResult(NamedTuple):
    """`Tensor.median(dim)`'s result: the medians and their positions along `dim`."""

    values: Tensor
    indices: Tensor


class CumExtremeResult(NamedTuple):
    """`Tensor.cummax`'s and `cummin`'s result: the running extremes and their positions."""

    values: Tensor
    indices: Tensor


def _axes(op: str, dim: Axis) -> Axis:
    """A reduction's dim: None, an int or a tuple; an empty tuple is refused (ambiguous)."""
    if isinstance(dim, (tuple, list)):
        if not dim:
            raise ValueError(
                f"{op}: dim=() is ambiguous (PyTorch reduces over every dim, NumPy over none); "
                "pass dim=None for every dim"
            )
        return tuple(dim)
    return dim


def _positions(shape: tuple[int, ...], axis: int) -> Any:
    """0, 1, ... along `axis`, shaped to broadcast against an array of `shape`."""
    return np.arange(shape[axis]).reshape((-1,) + (1,) * (len(shape) - axis - 1))


class TensorStatsMethods(TensorShapeMethods):
    """Statistics, running extremes and differences of `Tensor` (see the module's docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:
        data: np.ndarray

        def _wrap(self, other: Any, op: str) -> Tensor: ...

    def _without_nan(self, op: str) -> Tensor:
        """Self with NaN replaced by 0, whose gradient is 0 there."""
        keep = constant_result(~np.isnan(self.data))
        return F.Where.apply(keep, self, self._wrap(0, op))

    def nansum(self, dim: Axis = None, keepdim: bool = False) -> Tensor:
        """Σ x over `dim` (every dim by default), NaN counted as 0: Σ_{x not NaN} x.

        The gradient is 1 where x is a number and 0 at NaN. Integer tensors sum as `sum`.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([1.0, float("nan"), 2.0]).nansum().item()
            3.0
        """
        axes = _axes("nansum", dim)
        x = self._without_nan("nansum") if self.data.dtype.kind == "f" else self
        return F.Sum.apply(x, axis=axes, keepdims=bool(keepdim))

    def nanmean(self, dim: Axis = None, keepdim: bool = False) -> Tensor:
        """The mean over `dim` of the values that are not NaN: Σ_{x not NaN} x / #{x not NaN}.

        NaN where every value is NaN (0/0). Floats only, as in PyTorch. The gradient is
        1/#{x not NaN} where x is a number and 0 at NaN (PyTorch gives NaN there when every
        value is NaN).
        """
        if self.data.dtype.kind != "f":
            raise TypeError(f"nanmean: needs a floating-point tensor, got dtype {self.data.dtype}")
        axes = _axes("nanmean", dim)
        total = self.nansum(axes, keepdim)
        counts = np.sum(~np.isnan(self.data), axis=axes, keepdims=bool(keepdim))
        counts = np.where(counts == 0, np.nan, counts).astype(self.data.dtype)  # 0/NaN = NaN
        return F.Div.apply(total, constant_result(counts))

    def median(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """The median: the lower of the two middle values for an even count (as PyTorch).

        `t.median()` is the median of every element, NaN if any is NaN; its gradient is
        shared evenly among the elements equal to it (the NaNs, for NaN). `t.median(dim)`
        returns `(values, indices)` along `dim`: of tied values, the index is the one a
        stable sort puts at the middle place, as PyTorch's; a NaN along `dim` gives NaN and the
        index of the first NaN. The gradient goes to the element at the index.

        Raises:
            ValueError: an empty tensor (or an empty `dim`).

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([[2.0, 1.0, 2.0, 2.0, 3.0]]).median(1)
            MedianResult(values=Tensor([2.]), indices=Tensor([2]))
        """
        data = self.data
        if dim is None:
            if data.size == 0:
                raise ValueError(f"median: the tensor is empty (shape {data.shape})")
            flat = data.reshape(-1)
            middle = np.sort(flat)[(flat.size - 1) // 2]
            nan = np.isnan(flat) if flat.dtype.kind == "f" else np.zeros(flat.shape, bool)
            chosen = nan if nan.any() else flat == middle
            # the chosen elements are all equal (or all NaN): max shares the gradient evenly
            return F.Max.apply(self.reshape(-1)[chosen], axis=None)
        a = dim_arg(dim, self.ndim, "median")
        if self.ndim == 0:
            return MedianResult(F.Clone.apply(self), constant_result(np.zeros((), np.int64)))
        n = data.shape[a]
        if n == 0:
            raise ValueError(f"median: dim {dim} of shape {data.shape} has no elements")
        order = np.argsort(data, axis=a, kind="stable")
        picked = np.take(order, [(n - 1) // 2], axis=a)
        if data.dtype.kind == "f":
            nan = np.isnan(data)
            first_nan = np.argmax(nan, axis=a, keepdims=True)
            picked = np.where(nan.any(axis=a, keepdims=True), first_nan, picked)
        return self._picked(a, picked.astype(np.int64), keepdim)

    def nanmedian(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """The median of the values that are not NaN: the lower middle one (as PyTorch).

        NaN only where every value is NaN. `t.nanmedian()` shares its gradient evenly among
        the elements equal to it (every element, when all are NaN); `t.nanmedian(dim)`
        returns `(values, indices)` along `dim`, the index of tied values being the one a
        stable sort puts at the middle place of the numbers, and the gradient goes to the
        element at the index. Where every value along `dim` is NaN the index is the first
        (PyTorch's there follows its partial sort and varies with the length). Integer
        tensors have no NaN: their nanmedian is their median.

        Raises:
            ValueError: an empty tensor (or an empty `dim`).
            TypeError: a bool tensor (as PyTorch).

        Example:
            >>> from tinygrad_lite import tensor
            >>> nan = float("nan")
            >>> tensor([[nan, 4.0, 1.0, 3.0], [nan, nan, nan, nan]]).nanmedian(1)
            MedianResult(values=Tensor([ 3., nan]), indices=Tensor([3, 0]))
        """
        data = self.data
        if data.dtype.kind == "b":
            raise TypeError("nanmedian: bool tensors have no median (as in PyTorch); cast first")
        if dim is None:
            if data.size == 0:
                raise ValueError(f"nanmedian: the tensor is empty (shape {data.shape})")
            flat = data.reshape(-1)
            numbers = np.sort(flat[~np.isnan(flat)])
            chosen = flat == numbers[(numbers.size - 1) // 2] if numbers.size else np.isnan(flat)
            # the chosen elements are all equal (or all NaN): max shares the gradient evenly
            return F.Max.apply(self.reshape(-1)[chosen], axis=None)
        a = dim_arg(dim, self.ndim, "nanmedian")
        if self.ndim == 0:
            return MedianResult(F.Clone.apply(self), constant_result(np.zeros((), np.int64)))
        if data.shape[a] == 0:
            raise ValueError(f"nanmedian: dim {dim} of shape {data.shape} has no elements")
        order = np.argsort(data, axis=a, kind="stable")  # NaN last, in their order
        numbers = np.sum(~np.isnan(data), axis=a, keepdims=True)
        picked = np.take_along_axis(order, np.maximum(numbers - 1, 0) // 2, axis=a)
        return self._picked(a, picked.astype(np.int64), keepdim)

    def _picked(self, a: int, index: Any, keepdim: bool) -> MedianResult:
        values = self.gather(a, index)
        if not keepdim:
            values, index = values.squeeze(a), np.squeeze(index, a)
        return MedianResult(values, constant_result(index))

    def _running(self, op: str, dim: int, larger: bool) -> CumExtremeResult:
        a = dim_arg(dim, self.ndim, op)
        data = self.data
        if self.ndim == 0:
            zero = constant_result(np.zeros((), np.int64))
            return CumExtremeResult(F.Clone.apply(self), zero)  # a new tensor, as PyTorch
        best = (np.maximum if larger else np.minimum).accumulate(data, axis=a)
        before = np.take(best, np.arange(-1, data.shape[a] - 1), axis=a)  # best up to i - 1
        # as PyTorch: a tie moves the index to the later element, and so does each NaN
        better = data >= before if larger else data <= before
        nan = np.isnan(data) if data.dtype.kind == "f" else np.zeros(data.shape, bool)
        moves = better | nan
        if data.shape[a]:
            moves[(slice(None),) * a + (0,)] = True
        index = np.maximum.accumulate(np.where(moves, _positions(data.shape, a), 0), axis=a)
        index = index.astype(np.int64)
        return CumExtremeResult(self.gather(a, index), constant_result(index))

    def cummax(self, dim: int) -> CumExtremeResult:
        """The running maximum along `dim` and its position: y_i = max_{j ≤ i} x_j.

        Of tied values the later position is taken, and NaN counts as the maximum (each NaN
        moves the index to itself), as PyTorch's. The gradient of x_j adds up the output
        gradients of the places whose index is j.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([1.0, 3.0, 2.0, 3.0]).cummax(0).indices.tolist()
            [0, 1, 1, 3]
        """
        return self._running("cummax", dim, larger=True)

    def cummin(self, dim: int) -> CumExtremeResult:
        """The running minimum along `dim` and its position: y_i = min_{j ≤ i} x_j.

        Ties, NaN and the gradient as in `cummax`.
        """
        return self._running("cummin", dim, larger=False)

    def logcumsumexp(self, dim: int) -> Tensor:
        """Ln of the cumulative sums of e^x along `dim`: y_i = ln Σ_{j ≤ i} e^(x_j).

        Computed one log-add-exp at a time, so nothing overflows or underflows; its gradient,
        Σ_{i ≥ j} g_i e^(x_j − y_i), has only exponents ≤ 0.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([0.0, 0.0, 1000.0]).logcumsumexp(0).tolist()[1:]
            [0.6931471805599453, 1000.0]
        """
        return F.LogCumSumExp.apply(self, dim=dim)

    def diff(self, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Tensor:
        """The n-th forward difference along `dim`: y_i = x_{i+1} − x_i, applied n times.

        `prepend` and `append` (tensors with self's number of dimensions and its sizes outside
        `dim`) are joined to self along `dim` first, unless n is 0. Bools differ by "not
        equal", as PyTorch. The result is n shorter along `dim` (empty once n reaches its
        length).

        Raises:
            ValueError: a 0-d tensor, a negative n, or prepend/append of the wrong shape.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([1, 4, 9, 16]).diff().tolist(), tensor([1, 4, 9, 16]).diff(2).tolist()
            ([3, 5, 7], [2, 2])
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"diff: the order n must be an int >= 0, got {n!r}")
        if self.ndim == 0:
            raise ValueError("diff: needs a tensor of at least one dimension, got a 0-d tensor")
        a = dim_arg(dim, self.ndim, "diff")
        if n == 0:  # a copy of self, prepend and append ignored (as PyTorch and NumPy)
            return F.Clone.apply(self)
        outside = self.shape[:a] + self.shape[a + 1 :]
        parts: list[Any] = []
        for name, extra in (("prepend", prepend), ("", self), ("append", append)):
            if extra is None:
                continue
            t = self._wrap(extra, "diff") if name else extra
            if name and (t.ndim != self.ndim or t.shape[:a] + t.shape[a + 1 :] != outside):
                raise ValueError(
                    f"diff: {name} of shape {t.shape} must have the tensor's {self.ndim} "
                    f"dimension(s) and its sizes {self.shape} outside dimension {dim} "
                    "(PyTorch's rule; NumPy's np.diff also takes a number)"
                )
            parts.append(t)
        x = F.Cat.apply(*parts, dim=a) if len(parts) > 1 else parts[0]
        lead = (slice(None),) * a
        for _ in range(int(n)):
            later, earlier = x[lead + (slice(1, None),)], x[lead + (slice(0, -1),)]
            if x.dtype.kind == "b":  # PyTorch's difference of bools: whether they differ
                x = constant_result(np.not_equal(later.data, earlier.data))
            else:
                x = F.Sub.apply(later, earlier)
        return x
