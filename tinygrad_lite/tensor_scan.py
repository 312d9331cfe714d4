"""The Tensor's scans and orderings: cumulative sums and products, flips, sorting and top-k.

They live in a base class of `Tensor` (beside `tensor_methods`) so that each file stays
readable; each is written out, so readers, IDEs and mypy see them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from . import ops as F
from .tensor_shape import TensorShapeMethods, dim_arg

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["TensorScanMethods", "SortResult", "TopKResult"]


def _cast(x: Any, dtype: Any, op: str) -> Any:
    """X converted to `dtype` first (the `dtype=` argument of a reduction or scan)."""
    from .dtypes import check_supported

    return F.Cast.apply(x, dtype=check_supported(np.dtype(dtype), op))


class SortResult(NamedTuple):
    """`Tensor.sort`'s result: the sorted values and the positions they came from."""

    values: Tensor
    indices: Tensor


class TopKResult(NamedTuple):
    """`Tensor.topk`'s result: the k chosen values and the positions they came from."""

    values: Tensor
    indices: Tensor


class TensorScanMethods(TensorShapeMethods):
    """Scan and ordering methods of `Tensor`."""

    __slots__ = ()

    def cumsum(self, dim: int, *, dtype: Any = None) -> Tensor:
        """Cumulative sums along `dim`: y_i = x_0 + ... + x_i.

        As in PyTorch, `dim` must be given, and ints and bools sum to int64. The gradient of
        x_j is the sum of the incoming gradients g_i for i ≥ j. `dtype` converts the values
        first, as in PyTorch.
        """
        if dtype is not None:
            out = _cast(self, dtype, "cumsum").cumsum(dim)
            return out if out.dtype == np.dtype(dtype) else out.astype(np.dtype(dtype))
        return F.CumSum.apply(self, dim=dim)

    def cumprod(self, dim: int, *, dtype: Any = None) -> Tensor:
        """Cumulative products along `dim`: y_i = x_0 · x_1 · ... · x_i.

        As in PyTorch, `dim` must be given, and ints and bools multiply to int64. The gradient
        is computed without dividing by x, so it is exact where x has zeros. `dtype` converts
        the values first, as in PyTorch.
        """
        if dtype is not None:
            out = _cast(self, dtype, "cumprod").cumprod(dim)
            return out if out.dtype == np.dtype(dtype) else out.astype(np.dtype(dtype))
        return F.CumProd.apply(self, dim=dim)

    def flip(self, *dims: int | Sequence[int]) -> Tensor:
        """The values in reverse order along each of `dims`; the gradient is flipped back.

        The dims are given as `t.flip(0)`, `t.flip(0, 1)` or `t.flip((0, 1))`. The result is a
        copy, as `torch.flip`'s, not a view.
        """
        if not dims:
            raise TypeError("flip: give the dims to flip, e.g. t.flip(0) or t.flip((0, 1))")
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        return F.Flip.apply(self, dims=dims)

    def argsort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
        """The int64 positions that sort the values along `dim` (a stable sort); no gradient.

        The sort is always stable, so `stable=True` (PyTorch's promise) changes nothing.
        """
        return F.ArgSort.apply(self, dim=dim, descending=descending)

    def sort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> SortResult:
        """The values sorted along `dim`, and their int64 positions: `(values, indices)`.

        `values` is `t.gather(dim, indices)`, so the gradient flows back to the place each value
        came from; `indices` carries none. The sort is stable: equal values keep their order
        (with `descending=True` too). PyTorch's default sort does not promise that (only
        `stable=True` does, which is accepted here and changes nothing), so PyTorch's default may
        order the indices of ties differently. NaN counts as
        larger than every number, as in PyTorch.
        """
        a = dim_arg(dim, self.ndim, "sort")
        indices = F.ArgSort.apply(self, dim=a, descending=descending)
        return SortResult(self._take(a, indices), indices)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> TopKResult:
        """The k largest values along `dim` and their int64 positions: `(values, indices)`.

        With `largest=False`, the k smallest. The values come largest first (smallest first
        with `largest=False`), also with `sorted=False`, for which PyTorch promises no order.
        Of tied values the earliest positions are chosen (PyTorch does not say which). The
        gradient flows back to the chosen positions; `indices` carries none.

        Raises:
            ValueError: k is not between 0 and the size of `dim`.
        """
        a = dim_arg(dim, self.ndim, "topk")
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"topk: k must be an int, got {k!r}")
        n, least = (self.shape[a], 0) if self.ndim else (1, 1)  # 0-d: its one value
        if not least <= k <= n:
            size = f"dim {dim} of size {n}" if self.ndim else "a 0-d tensor"
            raise ValueError(f"topk: k={k} is out of range for {size} (k must be in {least}..{n})")
        order = F.ArgSort.apply(self, dim=a, descending=largest)
        indices = order[(slice(None),) * a + (slice(0, int(k)),)] if self.ndim else order
        return TopKResult(self._take(a, indices), indices)

    def _take(self, dim: int, indices: Tensor) -> Tensor:
        """The values at `indices` along `dim` (a gather; a copy of a 0-d tensor)."""
        return self.gather(dim, indices) if self.ndim else F.Clone.apply(self)
