"""Order statistics of a Tensor: aminmax, kthvalue, mode, msort, quantile, nanquantile.

PyTorch's methods, values and positions as it computes them: NaN sorts after every number
(and each NaN counts as a value of its own in `mode`), positions are int64. The values are
gathered from the input, so the gradient flows to the element chosen; aminmax's ties share it
evenly, as PyTorch's amin and amax do.

>>> from tinygrad_lite import tensor
>>> tensor([3.0, 1.0, 2.0]).kthvalue(2).values.item()
2.0
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from .. import ops as F
from ..tensor_shape import constant_result, dim_arg

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["AminmaxResult", "KthvalueResult", "ModeResult", "TensorOrderMethods"]


class AminmaxResult(NamedTuple):
    """`Tensor.aminmax`'s result: the smallest and the largest values."""

    min: Tensor
    max: Tensor


class KthvalueResult(NamedTuple):
    """`Tensor.kthvalue`'s result: the k-th smallest values and their positions."""

    values: Tensor
    indices: Tensor


class ModeResult(NamedTuple):
    """`Tensor.mode`'s result: the most frequent values and their positions."""

    values: Tensor
    indices: Tensor


class TensorOrderMethods:
    """Order statistics of `Tensor` (see the module's docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:
        data: np.ndarray

    def aminmax(self, *, dim: int | None = None, keepdim: bool = False) -> AminmaxResult:
        """(min, max) over `dim` (every element by default); ties share the gradient.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([[1, 5], [3, 2]]).aminmax(dim=1)
            AminmaxResult(min=Tensor([1, 2]), max=Tensor([5, 3]))
        """
        x: Tensor = self  # type: ignore[assignment]
        empty = x.data.size == 0
        if dim is not None:
            a = dim_arg(dim, x.ndim, "aminmax")
            empty = x.ndim > 0 and x.shape[a] == 0
        if empty:
            raise ValueError(
                f"aminmax: cannot reduce an empty tensor or dimension (shape {x.shape}, dim "
                f"{dim}): the minimum and maximum have no identity"
            )
        return AminmaxResult(x.amin(dim, keepdim), x.amax(dim, keepdim))

    def _selected(self, op: str, dim: int, index: np.ndarray, keepdim: bool) -> Any:
        """The values at `index` (one per slice, kept as dim of size 1) and the index."""
        x: Tensor = self  # type: ignore[assignment]
        values = x.gather(dim, index)
        if not keepdim:
            values, index = values.squeeze(dim), np.squeeze(index, dim)
        pair = KthvalueResult if op == "kthvalue" else ModeResult
        return pair(values, constant_result(index.astype(np.int64)))

    def _slices(self, op: str, dim: int) -> tuple[int, int]:
        """The checked dim and its size; a 0-d tensor counts as one element along dim 0."""
        a = dim_arg(dim, self.data.ndim, op)
        n = self.data.shape[a] if self.data.ndim else 1
        if n == 0:
            raise ValueError(f"{op}: dim {dim} of shape {self.data.shape} has no elements")
        return a, n

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False) -> KthvalueResult:
        """The k-th smallest values along `dim` (k = 1 is the minimum) and their positions.

        NaN counts as larger than every number. Of tied values, the position is the one a
        stable sort puts at place k (PyTorch's partial sort may name another of the ties).
        The gradient goes to the element at the position.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([3.0, 1.0, 2.0]).kthvalue(2)
            KthvalueResult(values=Tensor(2.), indices=Tensor(2))
        """
        a, n = self._slices("kthvalue", dim)
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"kthvalue: k must be an int, got {k!r}")
        if not 1 <= k <= n:
            raise ValueError(f"kthvalue: k={k} is out of range 1..{n} for dim {dim}")
        if self.data.ndim == 0:
            x: Tensor = self  # type: ignore[assignment]
            return KthvalueResult(x.clone(), constant_result(np.zeros((), np.int64)))
        order = np.argsort(self.data, axis=a, kind="stable")
        index = np.take(order, [int(k) - 1], axis=a)
        return self._selected("kthvalue", a, index, keepdim)

    def mode(self, dim: int = -1, keepdim: bool = False) -> ModeResult:
        """The most frequent value along `dim` and a position of it, as PyTorch's.

        Of equally frequent values the smallest is taken, and its position is its last
        occurrence, as PyTorch's. Every NaN counts as a value of its own, sorted last
        (PyTorch's sort does not order NaN, so its answer there is not defined). The gradient
        goes to the element at the position.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([2, 1, 2, 1, 3]).mode()
            ModeResult(values=Tensor(1), indices=Tensor(3))
        """
        x: Tensor = self  # type: ignore[assignment]
        a, n = self._slices("mode", dim)
        if x.ndim == 0:
            return ModeResult(x.clone(), constant_result(np.zeros((), np.int64)))
        rows = np.moveaxis(x.data, a, -1).reshape(-1, n)
        order = np.argsort(rows, axis=1, kind="stable")
        ranked = np.take_along_axis(rows, order, axis=1)
        new = np.ones(ranked.shape, dtype=bool)
        new[:, 1:] = ranked[:, 1:] != ranked[:, :-1]  # NaN != NaN: each NaN its own run
        place = np.arange(n)
        starts = np.maximum.accumulate(np.where(new, place, 0), axis=1)
        last = np.ones(ranked.shape, dtype=bool)
        last[:, :-1] = new[:, 1:]
        lengths = np.where(last, place - starts + 1, 0)
        best = np.argmax(lengths, axis=1)  # the longest run; of ties the first (smallest)
        # a stable sort keeps a run's positions in order: its last one is the last occurrence
        index = np.take_along_axis(order, best[:, None], axis=1)
        index = np.moveaxis(index.reshape(np.moveaxis(x.data, a, -1).shape[:-1] + (1,)), -1, a)
        return self._selected("mode", a, index, keepdim)

    def quantile(
        self,
        q: Any,
        dim: int | None = None,
        keepdim: bool = False,
        *,
        interpolation: str = "linear",
    ) -> Tensor:
        """The q-th quantiles along `dim` (of every element by default), as PyTorch's.

        The sorted values v₀ ≤ ... ≤ vₙ₋₁ are read at rank r = q·(n − 1): "linear" takes
        lerp(v⌊r⌋, v⌈r⌉, r − ⌊r⌋), "lower" v⌊r⌋, "higher" v⌈r⌉, "nearest" v at r rounded (half
        to even), "midpoint" (v⌊r⌋ + v⌈r⌉)/2. A slice with NaN gives NaN. A vector q puts a
        first dimension of its length in front. The gradient flows to the values read.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([[1.0, 2.0, 4.0], [0.0, 0.0, 9.0]]).quantile(0.75, dim=1).tolist()
            [3.0, 4.5]
        """
        return self._quantile("quantile", q, dim, keepdim, interpolation)

    def nanquantile(
        self,
        q: Any,
        dim: int | None = None,
        keepdim: bool = False,
        *,
        interpolation: str = "linear",
    ) -> Tensor:
        """`quantile` of the values that are not NaN (NaN only where every value is NaN).

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([1.0, float("nan"), 3.0]).nanquantile(0.5).item()
            2.0
        """
        return self._quantile("nanquantile", q, dim, keepdim, interpolation)

    def _quantile(self, op: str, q: Any, dim: Any, keepdim: bool, interpolation: str) -> Tensor:
        x: Tensor = self  # type: ignore[assignment]
        if x.dtype.kind != "f":
            raise TypeError(f"{op}: needs a float tensor, got dtype {x.dtype}")
        if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
            raise ValueError(
                f"{op}: interpolation must be 'linear', 'lower', 'higher', 'midpoint' or "
                f"'nearest', got {interpolation!r}"
            )
        qs = np.asarray(q.data if hasattr(q, "_ctx") else q, dtype=x.dtype)
        if qs.ndim > 1 or not np.all((qs >= 0) & (qs <= 1)):
            raise ValueError(f"{op}: q must be a number or a vector in [0, 1], got {q!r}")
        if x.data.size == 0:
            raise ValueError(f"{op}: the tensor is empty (shape {x.shape})")
        if dim is None:
            v, shape = x.reshape(-1), (1,) * x.ndim if keepdim else ()
        else:
            a = dim_arg(dim, x.ndim, op)
            v = x.movedim(a, -1) if x.ndim else x.reshape(1)
            # a 0-d tensor has no dim to keep: its result is 0-d (PyTorch's shape)
            shape = x.shape[:a] + ((1,) if keepdim and x.ndim else ()) + x.shape[a + 1 :]
        ranked = v.sort(-1).values  # NaN last
        nan = np.isnan(ranked.data)
        n = ranked.shape[-1]
        if op == "nanquantile":  # the numbers' ranks; rank 0 (a NaN) where there are none
            count = (~nan).sum(-1, keepdims=True)
            top, fixed, fixed_rank = count - 1, count == 0, 0
        else:  # a slice with NaN reads its last value, a NaN
            top = np.full(nan.shape[:-1] + (1,), n - 1)
            fixed, fixed_rank = nan.any(-1, keepdims=True), n - 1
        qt = q if hasattr(q, "_ctx") else constant_result(qs)
        scaled = qt.reshape(-1).astype(x.dtype) * constant_result(top.astype(x.dtype))
        fixed = np.ascontiguousarray(np.broadcast_to(fixed, scaled.shape))
        rank = F.Where.apply(
            constant_result(fixed), constant_result(np.asarray(fixed_rank, x.dtype)), scaled
        )  # (..., len(q)); q's gradient flows through the linear weight, as PyTorch's
        ranks = rank.data
        if interpolation == "lower":
            ranks = np.floor(ranks)
        elif interpolation == "higher":
            ranks = np.ceil(ranks)
        elif interpolation == "nearest":
            ranks = np.round(ranks)  # half to even, as PyTorch's round
        below = np.floor(ranks).astype(np.int64)
        out = ranked.gather(-1, below)
        if interpolation in ("linear", "midpoint"):
            above = ranked.gather(-1, np.ceil(ranks).astype(np.int64))
            if interpolation == "midpoint":
                weight = constant_result(np.full(ranks.shape, 0.5, x.dtype))
            else:
                weight = rank - constant_result(below.astype(x.dtype))
            out = out.lerp(above, weight)
        out = out.movedim(-1, 0).reshape((qs.size,) + shape)
        return out.reshape(shape) if qs.ndim == 0 else out

    def msort(self) -> Tensor:
        """The values sorted along the first dimension (`sort(0).values`)."""
        x: Tensor = self  # type: ignore[assignment]
        if x.ndim == 0:
            return x.clone()
        return x.sort(0).values
