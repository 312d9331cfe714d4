"""Writes by position of a Tensor: index_copy, index_fill, index_reduce, slice_scatter, put, ...

PyTorch's methods that place values at positions, out of place and (`f_`) in place, with
`tensor_inplace`'s rules. Each is composed of `Where`, `IndexAdd` and the scatters, so the
gradient of the values written flows back to them and the positions overwritten give self a
zero gradient, to every order. Positions out of range raise an IndexError naming the position
and the size (never wrapped silently); the values written must have self's dtype where
PyTorch requires it (the `*_scatter` functions cast them, as PyTorch's).

>>> from tinygrad_lite import zeros, tensor
>>> zeros(2, 3).index_fill(1, tensor([0, 2]), 7.0).tolist()
[[7.0, 0.0, 7.0], [7.0, 0.0, 7.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import dtypes
from .. import ops as F
from ..tensor_shape import array_of, constant_result, dim_arg, index_arg

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["TensorPlaceMethods"]


def _vector_index(op: str, index: Any) -> np.ndarray:
    idx = array_of(index)
    if idx.ndim > 1:
        raise ValueError(
            f"{op}: index must be a vector or a single position, got shape {idx.shape}"
        )
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must hold integers, got dtype {idx.dtype}")
    return idx.reshape(-1)


def _same_dtype(op: str, x: Tensor, src: Tensor) -> None:
    if x.dtype != src.dtype:
        raise TypeError(
            f"{op}: self (dtype {x.dtype}) and the source (dtype {src.dtype}) must have the same "
            "dtype, as in PyTorch; convert one with astype"
        )


class TensorPlaceMethods:
    """Writes by position of `Tensor` (see the module's docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:
        data: np.ndarray

        def _wrap(self, other: Any, op: str) -> Tensor: ...

        def _in_place(self, what: str, op: Any, other: Any, ufunc: Any = None) -> Tensor: ...

    def _source(self, src: Any, op: str) -> Tensor:
        return src if hasattr(src, "_ctx") else self._wrap(src, op)

    # ------------------------------------------------------------------ along a dimension

    def index_copy(self, dim: int, index: Any, source: Any) -> Tensor:
        """Self with source's slices written at the positions `index` along `dim`.

        y[..., index[i], ...] = source[..., i, ...]; source has self's shape but len(index)
        along `dim`, and self's dtype. Of repeated positions the last write stays. The
        gradient of self is 0 where a slice was written.

        Example:
            >>> from tinygrad_lite import zeros, tensor
            >>> zeros(3, 2).index_copy(0, tensor([2, 0]), tensor([[1.0, 2.0], [3.0, 4.0]])).tolist()
            [[3.0, 4.0], [0.0, 0.0], [1.0, 2.0]]
        """
        op = "index_copy"
        x: Tensor = self  # type: ignore[assignment]
        s = self._source(source, op)
        xv, sv = (t.reshape(1) if t.ndim == 0 else t for t in (x, s))
        a = dim_arg(dim, x.ndim, op)
        idx = F.check_positions(op, _vector_index(op, index), xv.shape[a], f"dimension {dim}")
        expected = xv.shape[:a] + (len(idx),) + xv.shape[a + 1 :]
        if sv.shape != expected:
            raise ValueError(
                f"{op}: source of shape {s.shape} must have shape {expected}: self's shape "
                f"{x.shape} with the index's {len(idx)} positions along dimension {dim}"
            )
        _same_dtype(op, x, s)
        full = np.broadcast_to(idx.reshape((1,) * a + (-1,) + (1,) * (xv.ndim - a - 1)), expected)
        return xv.scatter(a, full, sv).reshape(x.shape)

    def index_fill(self, dim: int, index: Any, value: Any) -> Tensor:
        """Self with `value` at the positions `index` along `dim` (negative ones from the end).

        `value` is a number, cast to self's dtype (2.7 into an integer tensor is 2, as in
        PyTorch), or a 0-d tensor, which gets the gradient of every element it fills.

        Example:
            >>> from tinygrad_lite import zeros, tensor
            >>> zeros(2, 3).index_fill(1, tensor([-1]), 5.0).tolist()
            [[0.0, 0.0, 5.0], [0.0, 0.0, 5.0]]
        """
        op = "index_fill"
        x: Tensor = self  # type: ignore[assignment]
        xv = x.reshape(1) if x.ndim == 0 else x
        a = dim_arg(dim, x.ndim, op)
        n = xv.shape[a]
        pos = F.check_positions(op, _vector_index(op, index), n, f"dimension {dim}", True)
        mask = np.zeros(xv.shape, dtype=bool)
        mask[(slice(None),) * a + (pos,)] = True
        if hasattr(value, "_ctx"):
            if value.ndim != 0:
                raise ValueError(f"{op}: value must be a number or a 0-d tensor, got {value.shape}")
            v = value if value.dtype == x.dtype else value.astype(x.dtype)
        elif dtypes.is_scalar(value):
            v = self._wrap(dtypes.checked_fill(value, x.dtype, op), op)
        else:
            raise TypeError(f"{op}: value must be a number or a 0-d tensor, got {value!r}")
        return F.Where.apply(constant_result(mask), v, xv).reshape(x.shape)

    def index_reduce(
        self, dim: int, index: Any, source: Any, reduce: str, *, include_self: bool = True
    ) -> Tensor:
        """Self with source's slices combined by `reduce` into the positions `index` along `dim`.

        "prod", "mean" (integers: rounded down), "amax" or "amin" of self's slice (unless
        `include_self=False`) and every source slice `index` sends to it: `scatter_reduce`
        along `dim` with the index spread over the slices, with its gradients.

        Example:
            >>> from tinygrad_lite import ones, tensor
            >>> ones(3).index_reduce(0, tensor([0, 0, 2]), tensor([2.0, 3.0, 4.0]), "prod").tolist()
            [6.0, 1.0, 4.0]
        """
        op = "index_reduce"
        if reduce not in ("prod", "mean", "amax", "amin"):
            raise ValueError(
                f"{op}: reduce must be 'prod', 'mean', 'amax' or 'amin', got {reduce!r}"
            )
        x: Tensor = self  # type: ignore[assignment]
        s = self._source(source, op)
        xv, sv = (t.reshape(1) if t.ndim == 0 else t for t in (x, s))
        a = dim_arg(dim, x.ndim, op)
        idx = F.check_positions(op, _vector_index(op, index), xv.shape[a], f"dimension {dim}")
        expected = xv.shape[:a] + (len(idx),) + xv.shape[a + 1 :]
        if sv.shape != expected:
            raise ValueError(
                f"{op}: source of shape {s.shape} must have shape {expected}: self's shape "
                f"{x.shape} with the index's {len(idx)} positions along dimension {dim}"
            )
        _same_dtype(op, x, s)
        full = np.broadcast_to(idx.reshape((1,) * a + (-1,) + (1,) * (xv.ndim - a - 1)), expected)
        out = xv.scatter_reduce(a, full, sv, reduce, include_self=include_self)
        return out.reshape(x.shape)

    def _embed(self, op: str, a: int, positions: np.ndarray, values: Tensor) -> Tensor:
        """Self with `values` (self's shape, len(positions) along dim a) at those positions."""
        x: Tensor = self  # type: ignore[assignment]
        v = values if values.dtype == x.dtype else values.astype(x.dtype)  # cast, as PyTorch
        index = (slice(None),) * a + (positions,)
        mask = np.zeros(x.shape, dtype=bool)
        mask[index] = True
        placed = F.IndexAdd.apply(v, shape=x.shape, index=index)
        return F.Where.apply(constant_result(mask), placed, x)

    def _check_src(self, op: str, src: Tensor, expected: tuple[int, ...]) -> None:
        if tuple(src.shape) != expected:
            raise ValueError(
                f"{op}: src of shape {tuple(src.shape)} must have the shape of the slice of self "
                f"it replaces, {expected}"
            )

    def select_scatter(self, src: Any, dim: int, index: int) -> Tensor:
        """Self with `src` in place of the slice `select(dim, index)` (src has its shape)."""
        op = "select_scatter"
        x: Tensor = self  # type: ignore[assignment]
        s = self._source(src, op)
        if x.ndim == 0:
            raise ValueError(f"{op}: needs a tensor of 1 or more dimensions, got 0-d")
        a = dim_arg(dim, x.ndim, op)
        n = x.shape[a]
        if not -n <= index < n:
            raise IndexError(f"{op}: index {index} is out of range for dim {dim} of size {n}")
        self._check_src(op, s, x.shape[:a] + x.shape[a + 1 :])
        return self._embed(op, a, np.array([index % n]), s.unsqueeze(a))

    def slice_scatter(
        self,
        src: Any,
        dim: int = 0,
        start: int | None = None,
        end: int | None = None,
        step: int = 1,
    ) -> Tensor:
        """Self with `src` in place of the slice start:end:step along `dim` (Python's slicing).

        Example:
            >>> from tinygrad_lite import zeros, ones
            >>> zeros(4).slice_scatter(ones(2), start=1, step=2).tolist()
            [0.0, 1.0, 0.0, 1.0]
        """
        op = "slice_scatter"
        x: Tensor = self  # type: ignore[assignment]
        s = self._source(src, op)
        if step <= 0:
            raise ValueError(f"{op}: step must be positive, got {step}")
        if x.ndim == 0:
            raise ValueError(f"{op}: needs a tensor of 1 or more dimensions, got 0-d")
        a = dim_arg(dim, x.ndim, op)
        positions = np.arange(x.shape[a])[slice(start, end, step)]
        self._check_src(op, s, x.shape[:a] + (len(positions),) + x.shape[a + 1 :])
        return self._embed(op, a, positions, s)

    def diagonal_scatter(self, src: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        """Self with `src` in place of `diagonal(offset, dim1, dim2)` (src has its shape).

        Example:
            >>> from tinygrad_lite import zeros, tensor
            >>> zeros(2, 2).diagonal_scatter(tensor([1.0, 2.0])).tolist()
            [[1.0, 0.0], [0.0, 2.0]]
        """
        op = "diagonal_scatter"
        x: Tensor = self  # type: ignore[assignment]
        s = self._source(src, op)
        n = x.ndim
        a, b = dim_arg(dim1, n, op), dim_arg(dim2, n, op)
        if n < 2 or a == b:
            raise ValueError(
                f"{op}: dim1 and dim2 must be two different dimensions, got {dim1} and {dim2} "
                f"for shape {x.shape}"
            )
        order = [d for d in range(n) if d not in (a, b)] + [a, b]
        rows, cols = max(-offset, 0), max(offset, 0)
        k = np.arange(max(0, min(x.shape[a] - rows, x.shape[b] - cols)))
        self._check_src(op, s, tuple(x.shape[d] for d in order[:-2]) + (len(k),))
        moved = x.permute(tuple(order))
        v = s if s.dtype == x.dtype else s.astype(x.dtype)
        index = (slice(None),) * (n - 2) + (k + rows, k + cols)
        mask = np.zeros(moved.shape, dtype=bool)
        mask[index] = True
        placed = F.IndexAdd.apply(v, shape=moved.shape, index=index)
        out = F.Where.apply(constant_result(mask), placed, moved)
        return out.permute(tuple(int(d) for d in np.argsort(order)))

    # ------------------------------------------------------------------ by mask and position

    def masked_scatter(self, mask: Any, source: Any) -> Tensor:
        """Self with source's first values, in order, written where the bool `mask` holds.

        Self and mask broadcast (the result has their common shape); source (self's dtype)
        needs at least as many elements as the mask has True. Each written element's gradient
        goes to the source element written there.

        Example:
            >>> from tinygrad_lite import zeros, tensor
            >>> zeros(3).masked_scatter(tensor([True, False, True]), tensor([1.0, 2.0])).tolist()
            [1.0, 0.0, 2.0]
        """
        op = "masked_scatter"
        x: Tensor = self  # type: ignore[assignment]
        m = array_of(mask)
        if m.dtype != np.bool_:
            raise TypeError(f"{op}: the mask must be bool, got dtype {m.dtype}")
        s = self._source(source, op)
        _same_dtype(op, x, s)
        try:
            shape = np.broadcast_shapes(m.shape, x.shape)
        except ValueError:
            raise ValueError(
                f"{op}: the mask of shape {m.shape} and self of shape {x.shape} do not broadcast"
            ) from None
        where = np.broadcast_to(m, shape)
        count = int(np.count_nonzero(where))
        if s.numel() < count:
            raise ValueError(
                f"{op}: the mask holds {count} True values but the source only {s.numel()} elements"
            )
        placed = F.IndexAdd.apply(s.reshape(-1)[:count], shape=shape, index=np.nonzero(where))
        return F.Where.apply(constant_result(np.ascontiguousarray(where)), placed, x)

    def put(self, index: Any, source: Any, accumulate: bool = False) -> Tensor:
        """Self with source's values at the flat positions `index` (negative ones from the end).

        index and source have as many elements; with `accumulate` the values are added
        (repeated positions add up), else written (of repeated positions the last stays).

        Example:
            >>> from tinygrad_lite import zeros, tensor
            >>> zeros(2, 2).put(tensor([3, -4]), tensor([1.0, 2.0])).tolist()
            [[2.0, 0.0], [0.0, 1.0]]
        """
        op = "put"
        x: Tensor = self  # type: ignore[assignment]
        idx, s = array_of(index), self._source(source, op)
        if idx.size != s.numel():
            raise ValueError(
                f"{op}: index and source must have as many elements, got {idx.size} and {s.numel()}"
            )
        _same_dtype(op, x, s)
        flat, values = x.reshape(-1), s.reshape(-1)
        pos = F.check_positions(op, idx.reshape(-1), flat.shape[0], "the flattened tensor", True)
        out = flat.index_add(0, pos, values) if accumulate else flat.scatter(0, pos, values)
        return out.reshape(x.shape)

    def index_put(self, indices: Sequence[Any], values: Any, accumulate: bool = False) -> Tensor:
        """Self with `values` (broadcast) at `self[indices]`: `put` at the positions indexed.

        `indices` is a tuple of index tensors (integer positions or bool masks), as in
        `x[indices]`; with `accumulate` the values are added (repeated positions add up).

        Example:
            >>> from tinygrad_lite import zeros, tensor
            >>> zeros(3).index_put((tensor([0, 0]),), tensor([1.0, 2.0]), accumulate=True).tolist()
            [3.0, 0.0, 0.0]
        """
        op = "index_put"
        x: Tensor = self  # type: ignore[assignment]
        if not isinstance(indices, (tuple, list)) or not all(hasattr(i, "_ctx") for i in indices):
            raise TypeError(f"{op}: indices must be a tuple of index tensors, got {indices!r}")
        targets = np.arange(x.numel()).reshape(x.shape)[index_arg(tuple(indices))]
        s = self._source(values, op)
        _same_dtype(op, x, s)
        return x.put(targets, s.broadcast_to(targets.shape), accumulate)

    # ------------------------------------------------------------------ in place

    def index_copy_(self, dim: int, index: Any, source: Any) -> Tensor:
        """`index_copy` in place (see `tensor_inplace` for the rules)."""
        return self._in_place("index_copy_", lambda t, s: t.index_copy(dim, index, s), source)

    def index_fill_(self, dim: int, index: Any, value: Any) -> Tensor:
        """`index_fill` in place."""
        return self._in_place("index_fill_", lambda t, v: t.index_fill(dim, index, v), value)

    def index_reduce_(
        self, dim: int, index: Any, source: Any, reduce: str, *, include_self: bool = True
    ) -> Tensor:
        """`index_reduce` in place."""
        return self._in_place(
            "index_reduce_",
            lambda t, s: t.index_reduce(dim, index, s, reduce, include_self=include_self),
            source,
        )

    def masked_scatter_(self, mask: Any, source: Any) -> Tensor:
        """`masked_scatter` in place (the mask broadcasts to self's shape)."""
        return self._in_place("masked_scatter_", lambda t, s: t.masked_scatter(mask, s), source)

    def put_(self, index: Any, source: Any, accumulate: bool = False) -> Tensor:
        """`put` in place."""
        return self._in_place("put_", lambda t, s: t.put(index, s, accumulate), source)

    def index_put_(self, indices: Sequence[Any], values: Any, accumulate: bool = False) -> Tensor:
        """`index_put` in place."""
        return self._in_place(
            "index_put_", lambda t, v: t.index_put(indices, v, accumulate), values
        )
