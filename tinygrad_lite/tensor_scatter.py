"""The Tensor's scatters and gathers by position: scatter, scatter_add, index_add, take, ...

As PyTorch's, with their gradients, and an `IndexError` naming the index and the size for
every position out of range (never wrapped silently). Negative positions follow PyTorch:
refused by scatter, scatter_add, index_add and take_along_dim without a dim; counted from
the end by take and take_along_dim along a dim. scatter is the `Scatter` op; the others are
composed of indexing (`GetItem`, whose gradient adds up repeated positions), `IndexAdd` and
addition. `scatter_reduce` is `tensor_segment`'s.

>>> from tinygrad_lite import zeros, tensor
>>> zeros(4).scatter_add(0, tensor([0, 2, 0]), tensor([1.0, 2.0, 3.0])).tolist()
[4.0, 0.0, 2.0, 0.0]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import dtypes
from . import ops as F
from .tensor_shape import TensorShapeMethods, array_of, copy_for_view, dim_arg

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["TensorScatterMethods"]


def _as_vector(t: Any) -> Tensor:
    """A 0-d tensor as a vector of one element (the scatters' and index_add's view of it)."""
    return t.reshape(1) if t.ndim == 0 else t


def _operands(x: Any, src: Tensor, index: Any) -> tuple[Tensor, Tensor, Any]:
    """Self, the source and the index array, each 0-d one as a vector (as PyTorch reads them)."""
    idx = array_of(index)
    return _as_vector(x), _as_vector(src), idx.reshape(idx.shape or (1,))


# scatter's reduce= (PyTorch's older form) as scatter_reduce's reductions
_SCATTER_REDUCE = {"add": "sum", "multiply": "prod"}


def _same_dtype(op: str, x: Tensor, src: Tensor) -> None:
    if x.dtype != src.dtype:
        raise TypeError(
            f"{op}: self (dtype {x.dtype}) and the source (dtype {src.dtype}) must have the same "
            "dtype, as in PyTorch; convert one with astype"
        )


class TensorScatterMethods(TensorShapeMethods):
    """Scatter, gather-like and diagonal methods of `Tensor` (see the module's docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:
        data: np.ndarray

        def _wrap(self, other: Any, op: str) -> Tensor: ...

        def _in_place(self, what: str, op: Any, other: Any, ufunc: Any = None) -> Tensor: ...

        def scatter_reduce(
            self, dim: int, index: Any, src: Any, reduce: str, *, include_self: bool = True
        ) -> Tensor:
            """`tensor_segment`'s, a base of `Tensor` too."""

    def scatter(
        self, dim: int, index: Any, src: Any = None, *, value: Any = None, reduce: Any = None
    ) -> Tensor:
        """A copy of self with src's values written at `index` along `dim`.

        For every position p of `index` (which has self's number of dimensions):
        y[p with index[p] along dim] = src[p]. `src` may be a tensor at least as large as the
        index, or a number (also given as `value=`), cast to self's dtype. Where several
        positions write the same element, the last one in C order over `index` stays (PyTorch
        leaves the order open; its CPU kernel keeps the last too).

        The gradient of self is 0 where an element was written; each src element whose write
        stayed gets the gradient of the element it wrote, the others 0 (PyTorch gives the
        overwritten ones that gradient too, and fails for a src larger than the index).

        `reduce="add"` or `"multiply"` (PyTorch's older form) combines instead of writing:
        `scatter_reduce` with "sum" or "prod", self included, src or the number as above.
        Their gradients are `scatter_reduce`'s (PyTorch has none for this form).

        Raises:
            ValueError: a `reduce` other than "add" and "multiply"; index larger than src, or
                than self outside `dim`.
            IndexError: a position outside range(self.shape[dim]), negative ones included.

        Example:
            >>> from tinygrad_lite import zeros, tensor
            >>> zeros(2, 3).scatter(1, tensor([[2], [0]]), 5.0).tolist()
            [[0.0, 0.0, 5.0], [5.0, 0.0, 0.0]]
            >>> zeros(3).scatter(0, tensor([2, 2]), 5.0, reduce="add").tolist()
            [0.0, 0.0, 10.0]
        """
        combine = _SCATTER_REDUCE.get(reduce) if isinstance(reduce, str) else None
        if reduce is not None and combine is None:
            raise ValueError(
                f"scatter: reduce must be 'add' or 'multiply', got {reduce!r} (scatter_reduce "
                "takes 'sum', 'prod', 'mean', 'amax' and 'amin')"
            )
        if (src is None) == (value is None):
            raise TypeError("scatter: give src (a tensor or a number) or value=, one of them")
        source = value if src is None else src
        if dtypes.is_scalar(source):
            fill = np.full(array_of(index).shape, source).astype(self.data.dtype)
            source = self._wrap(fill, "scatter")
        if combine is not None:
            return self.scatter_reduce(dim, index, source, combine)
        x, s, idx = _operands(self, self._wrap(source, "scatter"), index)
        a = dim_arg(dim, self.ndim, "scatter")
        return F.Scatter.apply(x, s, dim=a, index=idx).reshape(self.shape)

    def _scattered(self, op: str, dim: int, index: Any, src: Any) -> tuple[Tensor, Any]:
        """The part of src that the index covers, and the positions it adds to (`scatter_add`)."""
        x, s, idx = _operands(self, self._wrap(src, op), index)
        _same_dtype(op, x, s)
        a = dim_arg(dim, self.ndim, op)
        positions = F.scatter_positions(op, x.shape, s.shape, idx, a)
        covered = positions[0].shape
        return (s if covered == s.shape else s[tuple(map(slice, covered))]), positions

    def scatter_add(self, dim: int, index: Any, src: Any) -> Tensor:
        """Self with src's values added at `index` along `dim`: repeated positions add up.

        y = self, then y[p with index[p] along dim] += src[p] for every position p of `index`.
        Index and src follow `scatter`'s rules; src must be a tensor of self's dtype. The
        gradient of self is the output's; src[p] gets the output gradient at the element it
        was added to (a gather), 0 outside the index.
        """
        part, positions = self._scattered("scatter_add", dim, index, src)
        x = _as_vector(self)
        added = F.IndexAdd.apply(part, shape=x.shape, index=positions)
        return F.Add.apply(x, added).reshape(self.shape)

    def index_add(self, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Tensor:
        """Self with alpha·source's slices added at the positions `index` along `dim`.

        y = self, then y[..., index[i], ...] += alpha·source[..., i, ...] (along `dim`) for each
        i; repeated positions add up. `index` is a vector of as many positions as
        source.shape[dim]; source has self's shape elsewhere, and self's dtype.

        Raises:
            IndexError: a position outside range(self.shape[dim]), negative ones included.
            ValueError: index not a vector, or source of the wrong shape.
            TypeError: another dtype, or a float alpha for an integer tensor.
        """
        op = "index_add"
        x, s = _as_vector(self), self._wrap(source, op)
        if self.ndim == 0:  # a 0-d source then too (PyTorch's view of both as vectors)
            s = _as_vector(s)
        _same_dtype(op, x, s)
        idx = array_of(index)
        if idx.ndim > 1:
            raise ValueError(f"{op}: index must be a vector, got shape {idx.shape}")
        a = dim_arg(dim, self.ndim, op)
        idx = F.check_positions(op, idx.reshape(-1), x.shape[a], f"dimension {dim}")
        expected = x.shape[:a] + (len(idx),) + x.shape[a + 1 :]
        if s.shape != expected:
            raise ValueError(
                f"{op}: source of shape {s.shape} must have shape {expected}: self's shape "
                f"{self.shape} with the index's {len(idx)} positions along dimension {dim}"
            )
        if not dtypes.is_scalar(alpha) or (
            x.dtype.kind in "biu" and not isinstance(alpha, (bool, int, np.integer))
        ):
            raise TypeError(
                f"{op}: alpha must be a number (an integer for integer tensors, where PyTorch "
                f"would round it silently), got {alpha!r}"
            )
        if alpha != 1:
            s = F.Mul.apply(s, s._wrap(alpha, op))
        added = F.IndexAdd.apply(s, shape=x.shape, index=(slice(None),) * a + (idx,))
        return F.Add.apply(x, added).reshape(self.shape)

    def scatter_(
        self, dim: int, index: Any, src: Any = None, *, value: Any = None, reduce: Any = None
    ) -> Tensor:
        """`scatter` in place (see `tensor_inplace` for the rules of in-place ops).

        A source that requires grad makes self part of the graph, as in PyTorch.
        """
        return self._in_place(
            "scatter_", lambda a, s: a.scatter(dim, index, s, value=value, reduce=reduce), src
        )

    def scatter_add_(self, dim: int, index: Any, src: Any) -> Tensor:
        """`scatter_add` in place (see `tensor_inplace` for the rules of in-place ops)."""
        return self._in_place("scatter_add_", lambda a, s: a.scatter_add(dim, index, s), src)

    def index_add_(self, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Tensor:
        """`index_add` in place (see `tensor_inplace` for the rules of in-place ops)."""
        return self._in_place(
            "index_add_", lambda a, s: a.index_add(dim, index, s, alpha=alpha), source
        )

    def take(self, index: Any) -> Tensor:
        """The elements at `index` of self read flat: y[p] = self.flatten()[index[p]].

        The result has index's shape. Negative positions count from the end (as in PyTorch);
        the gradient adds up over repeated positions.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([[1, 2], [3, 4]]).take(tensor([[0, -1]])).tolist()
            [[1, 4]]
        """
        return self._flat_take("take", array_of(index), negative=True)

    def _flat_take(self, op: str, idx: Any, negative: bool) -> Tensor:
        n = math.prod(self.shape)
        pos = F.check_positions(op, idx, n, "the flattened tensor", negative)
        return self.reshape(-1)[pos]

    def take_along_dim(self, indices: Any, dim: int | None = None) -> Tensor:
        """The values at `indices` along `dim`: y[p] = self[p with indices[p] along dim].

        Self and indices have the same number of dimensions and broadcast outside `dim`;
        negative positions count from the end. Without `dim` both are read flat, y[i] =
        self.flatten()[indices.flatten()[i]], and negative positions are refused (both as in
        PyTorch). The gradient adds up over repeated positions.
        """
        op = "take_along_dim"
        idx = array_of(indices)
        if dim is None:
            return self._flat_take(op, idx.reshape(-1), negative=False)
        if idx.ndim != self.ndim:
            raise ValueError(
                f"{op}: self and indices must have the same number of dimensions, got shapes "
                f"{self.shape} and {idx.shape}"
            )
        if self.ndim == 0:
            return _as_vector(self).take_along_dim(idx.reshape(1), 0).reshape(())
        a = dim_arg(dim, self.ndim, op)
        n = self.shape[a]
        idx = F.check_positions(op, idx, n, f"dimension {dim}", negative=True)
        try:
            outer = np.broadcast_shapes(
                self.shape[:a] + (1,) + self.shape[a + 1 :],
                idx.shape[:a] + (1,) + idx.shape[a + 1 :],
            )
        except ValueError:
            raise ValueError(
                f"{op}: shapes {self.shape} and {idx.shape} do not broadcast outside "
                f"dimension {dim}"
            ) from None
        x = self.expand(outer[:a] + (n,) + outer[a + 1 :])
        idx = np.broadcast_to(idx, outer[:a] + (idx.shape[a],) + outer[a + 1 :])
        grids: list[Any] = list(np.indices(idx.shape, sparse=True))
        grids[a] = idx
        return x[tuple(grids)]

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        """The diagonal of dims dim1 and dim2, as a last dimension: y[..., i] = self[i, i + offset].

        offset > 0 takes a diagonal above the main one, < 0 below; one beyond the matrix gives
        an empty last dimension. The other dimensions keep their order. The result is a copy,
        not a view as in PyTorch, and read-only: an in-place write into it is refused.

        Example:
            >>> from tinygrad_lite import arange
            >>> arange(9).reshape(3, 3).diagonal(1).tolist()
            [1, 5]
        """
        n = self.ndim
        a, b = dim_arg(dim1, n, "diagonal"), dim_arg(dim2, n, "diagonal")
        if n < 2 or a == b:
            raise ValueError(
                f"diagonal: dim1 and dim2 must be two different dimensions, got {dim1} and {dim2} "
                f"for shape {self.shape}"
            )
        order = [d for d in range(n) if d not in (a, b)] + [a, b]
        moved: Any = self.permute(tuple(order)) if order != list(range(n)) else self
        rows, cols = max(-offset, 0), max(offset, 0)
        k = np.arange(max(0, min(self.shape[a] - rows, self.shape[b] - cols)))
        return copy_for_view(moved[..., k + rows, k + cols])

    def unflatten(self, dim: int, sizes: Sequence[int]) -> Tensor:
        """Dimension `dim` split into dimensions of `sizes` (a reshape; one size may be -1).

        Raises:
            ValueError: no sizes, more than one -1, or sizes whose product is not the size of
                `dim` (or does not divide it, with -1).
        """
        if self.ndim == 0:
            raise ValueError("unflatten: a 0-d tensor has no dimension to unflatten")
        a = dim_arg(dim, self.ndim, "unflatten")
        if hasattr(sizes, "_ctx"):
            sizes = sizes.tolist()  # type: ignore[attr-defined]
        if not isinstance(sizes, (list, tuple)) or not all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in sizes
        ):
            raise TypeError(f"unflatten: sizes must be a tuple or list of ints, got {sizes!r}")
        new = tuple(int(s) for s in sizes)
        if not new or new.count(-1) > 1 or any(s < -1 for s in new):
            raise ValueError(
                f"unflatten: sizes must be one or more sizes >= 0, at most one of them -1 "
                f"(inferred), got {list(new)}"
            )
        n = self.shape[a]
        known = math.prod(s for s in new if s != -1)
        fits = (known != 0 and n % known == 0) if -1 in new else known == n
        if not fits:
            raise ValueError(
                f"unflatten: sizes {list(new)} do not multiply up to the size of dim {dim} ({n}) "
                f"of the tensor of shape {self.shape}"
            )
        return self.reshape(self.shape[:a] + new + self.shape[a + 1 :])
