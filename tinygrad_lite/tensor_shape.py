"""The Tensor's shape methods: reshape, views, transposes, indexing, splits, tiles, triangles.

They live in a base class of `Tensor` (the maths are in `tensor_methods`) so that each file stays
readable; each is written out, so readers, IDEs and mypy see them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import ops as F
from .shapes import Axis, normalize_axis, split_index
from .tensor_args import array_of, constant_result, dim_arg, index_arg, shape_arg
from .tensor_args import copy_for_view as copy_for_view

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = [
    "ElementCount",
    "TensorShapeMethods",
    "array_of",
    "constant_result",
    "dim_arg",
    "index_arg",
    "shape_arg",
    "split_index",
]


class ElementCount(int):
    """A tensor's number of elements, NumPy's `size`, callable as PyTorch's `size()`.

    `x.size` is the count (an int), `x.size()` the shape and `x.size(d)` the length of
    dimension d, so code in either habit reads the answer it expects.
    """

    _shape: tuple[int, ...]

    def __new__(cls, count: int, shape: tuple[int, ...]) -> ElementCount:
        """`count`, the number of elements of an array of this shape."""
        obj = super().__new__(cls, count)
        obj._shape = shape
        return obj

    def __call__(self, dim: int | None = None) -> Any:
        """The shape, or the length of dimension `dim`."""
        if dim is None:
            return self._shape
        if not self._shape:
            raise IndexError(f"size: a 0-d tensor has no dimension {dim}")
        return self._shape[dim_arg(dim, len(self._shape), "size")]


class TensorShapeMethods:
    """Shape methods of `Tensor`."""

    __slots__ = ()

    if TYPE_CHECKING:  # provided by Tensor

        @property
        def shape(self) -> tuple[int, ...]:
            """The shape (see Tensor)."""

        @property
        def ndim(self) -> int:
            """The number of dimensions (see Tensor)."""

        data: Any

        def _wrap(self, other: Any, op: str) -> Tensor: ...
        def where(self, condition: Any, other: Any) -> Tensor: ...  # noqa: D102

    @property
    def T(self) -> Tensor:
        """All dimensions reversed (for a matrix, its transpose)."""
        return F.Transpose.apply(self)

    @property
    def mT(self) -> Tensor:
        """The last two dimensions swapped (a batch of matrices transposed)."""
        if self.data.ndim < 2:
            raise ValueError(
                f"mT: needs at least 2 dimensions, got a tensor of shape {self.data.shape}"
            )
        return self.transpose(-2, -1)

    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """The same values with a new shape (`-1` infers one dimension)."""
        return F.Reshape.apply(self, shape=shape_arg(shape))

    def view(self, *shape: int | Sequence[int]) -> Tensor:
        """Same as `reshape` (PyTorch's name; the result may share memory)."""
        return F.Reshape.apply(self, shape=shape_arg(shape, "view"))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge dims start_dim..end_dim into one (a reshape)."""
        n = self.ndim
        if n == 0:
            return self.reshape(1)
        a, b = dim_arg(start_dim, n, "flatten"), dim_arg(end_dim, n, "flatten")
        if a > b:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        s = self.shape
        return self.reshape(*s[:a], math.prod(s[a : b + 1]), *s[b + 1 :])

    def squeeze(self, dim: Axis = None) -> Tensor:
        """Remove size-1 dims (all of them, or `dim`; a dim of another size is kept, as PyTorch)."""
        s = self.shape
        if dim is None:
            return self.reshape(*[n for n in s if n != 1])
        dims = normalize_axis(dim, self.ndim, "squeeze")
        return self.reshape(*[n for i, n in enumerate(s) if not (i in dims and n == 1)])

    def unsqueeze(self, dim: int) -> Tensor:
        """Insert a size-1 dim at `dim` (negative counts from the end of the result)."""
        a = dim_arg(dim, self.ndim + 1, "unsqueeze")
        s = self.shape
        return self.reshape(*s[:a], 1, *s[a:])

    def expand(self, *shape: int | Sequence[int]) -> Tensor:
        """Broadcast to `shape` without copying (-1 keeps a dim); gradients sum back."""
        return F.Expand.apply(self, shape=shape_arg(shape, "expand"))

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        """Same as `expand(shape)`."""
        return F.Expand.apply(self, shape=shape_arg((shape,), "broadcast_to"))

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """Swap two dimensions, as in PyTorch (NumPy's permutation is `permute`)."""
        n = self.ndim
        a, b = dim_arg(dim0, n, "transpose"), dim_arg(dim1, n, "transpose")
        axes = list(range(n))
        if n:
            axes[a], axes[b] = axes[b], axes[a]
        return F.Transpose.apply(self, axes=tuple(axes))

    def swapaxes(self, axis0: int, axis1: int) -> Tensor:
        """Same as `transpose(axis0, axis1)` (NumPy's name)."""
        return self.transpose(axis0, axis1)

    def permute(self, *dims: int | Sequence[int]) -> Tensor:
        """Reorder the dimensions: result dimension i is self's dimension dims[i]."""
        return F.Transpose.apply(self, axes=shape_arg(dims, "permute"))

    def split(
        self, split_size_or_sections: int | Sequence[int], dim: int = 0
    ) -> tuple[Tensor, ...]:
        """Cut into pieces along `dim`: of one size (the last may be shorter), or the listed sizes.

        Each piece is a slice, so gradients flow back into place.
        """
        a = dim_arg(dim, self.ndim, "split")
        n = self.shape[a]
        if isinstance(split_size_or_sections, (int, np.integer)):
            step = int(split_size_or_sections)
            if step <= 0:
                raise ValueError(f"split: the piece size must be positive, got {step}")
            sizes = [min(step, n - i) for i in range(0, n, step)] or [0]
        else:
            sizes = [int(k) for k in split_size_or_sections]
            if sum(sizes) != n or any(k < 0 for k in sizes):
                raise ValueError(f"split: sizes {sizes} do not add up to dim {dim}'s size {n}")
        lead = (slice(None),) * a
        out, start = [], 0
        for k in sizes:
            out.append(self[lead + (slice(start, start + k),)])
            start += k
        return tuple(out)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """At most `chunks` pieces along `dim`, each ⌈n/chunks⌉ long but the last (PyTorch's).

        Fewer pieces come back when the sizes do not divide evenly (5 in 4 chunks: 2, 2, 1).
        """
        if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) or chunks <= 0:
            raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
        a = dim_arg(dim, self.ndim, "chunk")
        n = self.shape[a]
        if n == 0:
            return tuple(self[(slice(None),) * a + (slice(0, 0),)] for _ in range(chunks))
        return self.split(-(-n // int(chunks)), a)

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        """The slices along `dim`, each without that dimension."""
        a = dim_arg(dim, self.ndim, "unbind")
        return tuple(self.select(a, i) for i in range(self.shape[a]))

    def select(self, dim: int, index: int) -> Tensor:
        """The slice at `index` along `dim`, without that dimension (`x.select(1, i)` = x[:, i])."""
        a = dim_arg(dim, self.ndim, "select")
        n = self.shape[a]
        if not -n <= index < n:
            raise IndexError(f"select: index {index} is out of range for dim {dim} of size {n}")
        return self[(slice(None),) * a + (int(index),)]

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        """`length` elements from `start` along `dim` (a negative start counts from the end)."""
        a = dim_arg(dim, self.ndim, "narrow")
        n = self.shape[a]
        if not -n <= start <= n:
            raise IndexError(f"narrow: start {start} is out of range for dim {dim} of size {n}")
        start = start % n if start < 0 else start
        if length < 0 or start + length > n:
            raise ValueError(
                f"narrow: start {start} + length {length} exceeds dim {dim}'s size {n}"
            )
        return self[(slice(None),) * a + (slice(start, start + length),)]

    def index_select(self, dim: int, index: Any) -> Tensor:
        """The slices at the positions `index` (a vector of ints) along `dim`, in its order."""
        a = dim_arg(dim, self.ndim, "index_select")
        idx = array_of(index)
        if idx.dtype.kind not in "iu" or idx.ndim > 1:
            raise ValueError(
                f"index_select: index must be a vector of ints, got dtype {idx.dtype} and "
                f"shape {idx.shape}"
            )
        if self.ndim == 0:  # one element, as in PyTorch: the index must be [0]
            if idx.size != 1 or int(idx.reshape(-1)[0]) != 0:
                raise IndexError(
                    f"index_select: a 0-d tensor takes the index [0] only, got {idx.tolist()}"
                )
            return F.Clone.apply(self)  # a copy, as PyTorch's
        n = self.shape[a]
        if idx.size and not (0 <= idx.min() and idx.max() < n):
            raise IndexError(f"index_select: index out of range [0, {n}) for dim {dim}")
        return self[(slice(None),) * a + (idx.reshape(-1).astype(np.intp),)]

    def repeat(self, *sizes: int | Sequence[int]) -> Tensor:
        """Tile the tensor `sizes[i]` times along each dimension (PyTorch's repeat).

        `sizes` may be longer than the shape (new leading dimensions), never shorter.
        """
        reps = shape_arg(sizes, "repeat")
        if len(reps) < self.ndim:
            raise ValueError(
                f"repeat: {len(reps)} sizes for a tensor of {self.ndim} dimensions; give at "
                "least one per dimension"
            )
        if any(r < 0 for r in reps):
            raise ValueError(f"repeat: sizes must not be negative, got {reps}")
        shape = (1,) * (len(reps) - self.ndim) + self.shape
        # each dimension gets a new axis in front, broadcast to the repeat count, then merged
        spread = self.reshape(tuple(d for n in shape for d in (1, n)))
        tiled = spread.expand(tuple(d for r, n in zip(reps, shape, strict=True) for d in (r, n)))
        out = tiled.reshape(tuple(r * n for r, n in zip(reps, shape, strict=True)))
        # The result is new memory, as PyTorch's. NumPy's reshape copies where a repeated axis
        # of length > 1 merges with its copies, and keeps a (read-only) view otherwise.
        copied = any(r > 1 and n > 1 for r, n in zip(reps, shape, strict=True))
        return out if copied and 0 not in out.shape else out.clone()

    def tile(self, *dims: int | Sequence[int]) -> Tensor:
        """`repeat`, with 1s put in front of `dims` when it is shorter than the shape."""
        reps = shape_arg(dims, "tile")
        return self.repeat((1,) * (self.ndim - len(reps)) + reps)

    def roll(self, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None) -> Tensor:
        """Shift the elements along `dims` by `shifts`, wrapping around (flattened without dims)."""
        if dims is None:
            if not isinstance(shifts, (int, np.integer)):
                shifts = shape_arg((shifts,), "roll")
                if len(shifts) != 1:
                    raise ValueError("roll: without dims, give one shift")
                shifts = shifts[0]
            return self.reshape(-1).roll(int(shifts), 0).reshape(self.shape)
        shift_list = shape_arg((shifts,) if isinstance(shifts, (int, np.integer)) else (shifts,))
        dim_list = shape_arg((dims,) if isinstance(dims, (int, np.integer)) else (dims,))
        if len(shift_list) != len(dim_list):
            raise ValueError(
                f"roll: {len(shift_list)} shifts for {len(dim_list)} dims; give one shift per dim"
            )
        if self.ndim == 0:
            raise IndexError(f"roll: dims {dim_list} given, but a 0-d tensor has no dimensions")
        out: Tensor = self  # type: ignore[assignment]
        for k, d in zip(shift_list, dim_list, strict=True):
            a = dim_arg(d, self.ndim, "roll")
            n = self.shape[a]
            if n:
                out = out[(slice(None),) * a + ((np.arange(n) - k) % n,)]
        return out

    def movedim(self, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:
        """Move dimensions `source` to positions `destination`, the others keeping their order."""
        src = (source,) if isinstance(source, (int, np.integer)) else tuple(source)
        dst = (destination,) if isinstance(destination, (int, np.integer)) else tuple(destination)
        if len(src) != len(dst):
            raise ValueError(f"movedim: {len(src)} source dims and {len(dst)} destinations")
        src_a = [dim_arg(d, self.ndim, "movedim") for d in src]
        dst_a = [dim_arg(d, self.ndim, "movedim") for d in dst]
        if len(set(src_a)) != len(src_a) or len(set(dst_a)) != len(dst_a):
            raise ValueError(f"movedim: repeated dims in {src} or {dst}")
        order = [d for d in range(self.ndim) if d not in src_a]
        for d, s in sorted(zip(dst_a, src_a, strict=True)):
            order.insert(d, s)
        return self.permute(tuple(order))

    def moveaxis(self, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:
        """Same as `movedim` (NumPy's name)."""
        return self.movedim(source, destination)

    def swapdims(self, dim0: int, dim1: int) -> Tensor:
        """Same as `transpose(dim0, dim1)`."""
        return self.transpose(dim0, dim1)

    def _triangle(self, name: str, keep: Any) -> Tensor:
        if self.data.ndim < 2:
            raise ValueError(f"{name}: needs at least 2 dimensions, got shape {self.data.shape}")
        # a zero of self's own dtype: a Python 0 would promote a bool tensor to int64
        return self.where(keep(*self.data.shape[-2:]), np.zeros((), self.data.dtype))

    def tril(self, diagonal: int = 0) -> Tensor:
        """The lower triangle of the last two dimensions, up to `diagonal`; zeros above."""
        return self._triangle("tril", lambda n, m: np.tri(n, m, diagonal, dtype=bool))

    def triu(self, diagonal: int = 0) -> Tensor:
        """The upper triangle of the last two dimensions, from `diagonal`; zeros below."""
        return self._triangle("triu", lambda n, m: ~np.tri(n, m, diagonal - 1, dtype=bool))

    def diag(self, diagonal: int = 0) -> Tensor:
        """A vector's square matrix with it on `diagonal`, or a matrix's `diagonal` as a vector."""
        rows, cols = max(-diagonal, 0), max(diagonal, 0)
        if self.data.ndim == 1:
            n = self.data.shape[0]
            k = np.arange(n)
            return F.IndexAdd.apply(
                self, shape=(n + abs(diagonal),) * 2, index=(k + rows, k + cols)
            )
        if self.data.ndim == 2:
            n = max(0, min(self.data.shape[0] - rows, self.data.shape[1] - cols))
            k = np.arange(n)
            return self[k + rows, k + cols]
        raise ValueError(f"diag: needs a 1-D or 2-D tensor, got shape {self.data.shape}")

    def trace(self) -> Tensor:
        """The sum of a matrix's diagonal."""
        if self.data.ndim != 2:
            raise ValueError(f"trace: needs a matrix, got shape {self.data.shape}")
        return self.diag().sum()

    def masked_select(self, mask: Any) -> Tensor:
        """The values where the bool `mask` holds, as a vector (self and mask broadcast)."""
        m = array_of(mask)
        if m.dtype != np.bool_:
            raise TypeError(f"masked_select: the mask must be bool, got dtype {m.dtype}")
        shape = np.broadcast_shapes(m.shape, self.data.shape)
        return self.expand(shape)[np.broadcast_to(m, shape)]

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        """The positions of the nonzero elements: an int64 (count, ndim) tensor, or per dim."""
        if as_tuple:
            return tuple(
                constant_result(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(self.data))
            )
        return constant_result(np.argwhere(self.data).astype(np.int64))

    def gather(self, dim: int, index: Any) -> Tensor:
        """Values at `index` along `dim` (PyTorch's gather): `out[i][j] = self[i][index[i][j]]`."""
        a = dim_arg(dim, self.ndim, "gather")
        idx = array_of(index)
        # PyTorch reads a 0-d input or index as a vector of one element
        if idx.dtype.kind not in "iu" or max(idx.ndim, 1) != max(self.ndim, 1):
            raise ValueError(
                f"gather: index must be an integer tensor with {self.ndim} dims, got dtype "
                f"{idx.dtype} and shape {idx.shape}"
            )
        n = self.shape[a] if self.ndim else 1
        if isinstance(idx, np.ndarray) and idx.size and (idx.min() < 0 or idx.max() >= n):
            bad = idx[(idx < 0) | (idx >= n)].reshape(-1)[0]
            raise IndexError(
                f"gather: index {bad} is out of range for dim {dim} of size {n} "
                "(positions run from 0, none counts from the end)"
            )
        if self.ndim == 0 or idx.ndim == 0:  # each 0-d or a vector: as vectors
            out = self.reshape(-1)[idx.reshape(-1).astype(np.intp)]
            return out.reshape(idx.shape)
        grids: list[Any] = list(np.indices(idx.shape, sparse=True))
        grids[a] = idx.astype(np.intp)  # positions whatever the integer dtype (uint8 too)
        return self[tuple(grids)]

    def __getitem__(self, index: Any) -> Tensor:
        key = index_arg(index)
        parts = split_index(key)
        if parts is not None:  # integers first, then the index arrays (PyTorch's order)
            return F.GetItem.apply(F.GetItem.apply(self, index=parts[0]), index=parts[1])
        return F.GetItem.apply(self, index=key)
