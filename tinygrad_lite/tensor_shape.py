"""The Tensor's shape methods: reshape, views, transposes, indexing, splits and gathers.

They live in a base class of `Tensor` (the maths are in `tensor_methods`) so that each file stays
readable; each is written out, so readers, IDEs and mypy see them.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import ops as F
from .shapes import Axis, normalize_axis

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["TensorShapeMethods", "shape_arg", "index_arg", "dim_arg"]


def shape_arg(shape: tuple[Any, ...], fn: str = "reshape") -> tuple[int, ...]:
    """Accept f(2, 3) and f((2, 3)) alike; every size must be an integer."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for s in shape:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"{fn}: sizes must be integers, got {s!r} in {tuple(shape)}")
    return tuple(int(s) for s in shape)


def index_arg(index: Any) -> Any:
    """An index with every sequence or Tensor turned into a NumPy array (advanced indexing).

    The arrays are copies, so changing an index array after indexing changes nothing. The forms
    that PyTorch and NumPy read differently are refused rather than read one way silently: a
    uint8 index array (a mask in PyTorch, positions in NumPy) and a list index that holds lists,
    arrays, Tensors, slices, None or Ellipsis (one index per dimension in PyTorch, one array in
    NumPy).
    """
    if isinstance(index, tuple):
        return tuple(_index_item(i) for i in index)
    if isinstance(index, list):
        _check_flat_list(index)
    return _index_item(index)


def _check_flat_list(index: list[Any]) -> None:
    """Refuse a list index that holds anything but single ints or bools (see `index_arg`)."""
    for k, item in enumerate(index):
        if not isinstance(item, (numbers.Number, np.generic)):
            raise IndexError(
                f"getitem: a list index holding {_kind(item)} (at position {k}) is ambiguous: "
                "PyTorch reads the list as one index per dimension and NumPy as one array of "
                "positions; pass a tuple, x[tuple(index)], for one index per dimension, or one "
                "int64 array, x[np.array(index)], for positions"
            )


def _kind(item: Any) -> str:
    """What an index item is, in words, for an error message."""
    if hasattr(item, "_ctx"):
        return "a Tensor"
    if isinstance(item, np.ndarray):
        return "an array"
    if item is None or item is Ellipsis:
        return repr(item)
    return f"a {type(item).__name__}"


def _index_item(i: Any) -> Any:
    """One item of an index: a sequence or Tensor becomes a fresh integer or bool array."""
    if hasattr(i, "_ctx"):
        i = i.data
    if isinstance(i, (list, tuple, np.ndarray)):
        arr = np.array(i)
        if arr.dtype == np.uint8:
            raise IndexError(
                f"getitem: a uint8 index (shape {arr.shape}) is ambiguous: PyTorch reads it as a "
                "mask (True where nonzero), NumPy as integer positions; pass a bool array, "
                "idx.astype(bool), for a mask, or an int64 array, idx.astype(np.int64), for "
                "positions"
            )
        if arr.size == 0:
            return arr.astype(np.intp)
        if arr.dtype.kind not in "biu":
            raise IndexError(
                f"getitem: index arrays must hold integers or bools, got dtype {arr.dtype}"
            )
        return arr
    return i


def dim_arg(dim: Any, ndim: int, op: str) -> int:
    """One dimension, checked, as a non-negative int (0 for a 0-d tensor)."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dimension(s)")
    return int(dim) % ndim if ndim else 0


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
        return self.reshape(*s[:a], -1 if 0 not in s[a : b + 1] else 0, *s[b + 1 :])

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

    def gather(self, dim: int, index: Any) -> Tensor:
        """Values at `index` along `dim` (PyTorch's gather): `out[i][j] = self[i][index[i][j]]`."""
        a = dim_arg(dim, self.ndim, "gather")
        idx = index.data if hasattr(index, "_ctx") else np.asarray(index)
        if idx.dtype.kind not in "iu" or idx.ndim != self.ndim:
            raise ValueError(
                f"gather: index must be an integer tensor with {self.ndim} dims, got dtype "
                f"{idx.dtype} and shape {idx.shape}"
            )
        grids = list(np.indices(idx.shape, sparse=True))
        grids[a] = idx.astype(np.intp)  # positions whatever the integer dtype (uint8 too)
        return self[tuple(grids)]

    def __getitem__(self, index: Any) -> Tensor:
        return F.GetItem.apply(self, index=index_arg(index))
