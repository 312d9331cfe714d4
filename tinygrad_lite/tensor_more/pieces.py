"""The Tensor's turns, splits and windows: rot90, fliplr, tensor_split, unfold, diag_embed, ...

PyTorch's shape methods, composed of indexing, flips, transposes and sums, so the gradient of
each piece flows back into place (overlapping windows and repeated elements add up) and
higher-order gradients work. Pieces follow Python's slicing where PyTorch's do (tensor_split's
indices are clamped to the length, so a piece may be empty); the other splits refuse sizes
that do not fit. `tg.rot90` calls `Tensor.rot90`.

>>> from tinygrad_lite import arange
>>> tuple(p.tolist() for p in arange(5).tensor_split(2))
([0, 1, 2], [3, 4])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import ops as F
from ..tensor_shape import array_of, copy_for_view, dim_arg, shape_arg

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["TensorPieceMethods"]


def _int(v: Any, fn: str, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{fn}: {name} must be an int, got {v!r}")
    return int(v)


class TensorPieceMethods:
    """Turns, splits, windows and repeats of `Tensor` (see the module's docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:
        data: np.ndarray

        def _wrap(self, other: Any, op: str) -> Tensor: ...

    # ------------------------------------------------------------------ turns and flips

    def rot90(self, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
        """The tensor turned by k quarter turns in the plane of `dims`, from dims[0] toward dims[1].

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([[1, 2], [3, 4]]).rot90().tolist()
            [[2, 4], [1, 3]]
        """
        x: Tensor = self  # type: ignore[assignment]
        k = _int(k, "rot90", "k")
        dims = list(dims)
        if len(dims) != 2:
            raise ValueError(f"rot90: dims must hold two dimensions, got {len(dims)}")
        if x.ndim < 2:
            raise ValueError(f"rot90: needs a tensor of 2 or more dimensions, got shape {x.shape}")
        d0, d1 = (dim_arg(d, x.ndim, "rot90") for d in dims)
        if d0 == d1:
            raise ValueError(f"rot90: dims must differ, got {dims[0]} and {dims[1]}")
        k %= 4
        if k == 1:
            return x.flip(d1).transpose(d0, d1)
        if k == 2:
            return x.flip(d0, d1)
        if k == 3:
            return x.flip(d0).transpose(d0, d1)
        return x.clone()

    def fliplr(self) -> Tensor:
        """The columns in reverse order: `flip(1)` of a tensor of 2 or more dimensions."""
        x: Tensor = self  # type: ignore[assignment]
        if x.ndim < 2:
            raise ValueError(f"fliplr: needs 2 or more dimensions, got shape {x.shape}")
        return x.flip(1)

    def flipud(self) -> Tensor:
        """The rows in reverse order: `flip(0)` of a tensor of 1 or more dimensions."""
        x: Tensor = self  # type: ignore[assignment]
        if x.ndim < 1:
            raise ValueError("flipud: needs 1 or more dimensions, got a 0-d tensor")
        return x.flip(0)

    # ------------------------------------------------------------------ splits

    def tensor_split(self, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
        """Pieces along `dim`: n near-equal sections, or the pieces between the given indices.

        An int n (or a 0-d integer tensor) gives n pieces, the first (size mod n) of them one
        longer; a list (or 1-D integer tensor) of indices i₀, i₁, ... gives x[:i₀], x[i₀:i₁], ...,
        x[iₖ:], read as Python slices (negative indices count from the end, and a piece may be
        empty).

        Example:
            >>> from tinygrad_lite import arange
            >>> [p.tolist() for p in arange(6).tensor_split([1, 4])]
            [[0], [1, 2, 3], [4, 5]]
        """
        x: Tensor = self  # type: ignore[assignment]
        if x.ndim == 0:
            raise ValueError("tensor_split: needs a tensor of 1 or more dimensions, got 0-d")
        a = dim_arg(dim, x.ndim, "tensor_split")
        arg = indices_or_sections
        if hasattr(arg, "_ctx"):
            if arg.dtype.kind not in "iu" or arg.ndim > 1:
                raise TypeError(
                    "tensor_split: a tensor of indices or sections must be a 0-d or 1-D integer "
                    f"tensor, got dtype {arg.dtype} and shape {tuple(arg.shape)}"
                )
            arg = arg.tolist()
        n = x.shape[a]
        if isinstance(arg, (int, np.integer)) and not isinstance(arg, bool):
            if arg <= 0:
                raise ValueError(f"tensor_split: the number of sections must be > 0, got {arg}")
            q, r = divmod(n, int(arg))
            sizes = [q + 1] * r + [q] * (int(arg) - r)
            bounds = list(np.cumsum([0, *sizes]))
            cuts = [slice(int(s), int(e)) for s, e in zip(bounds[:-1], bounds[1:], strict=True)]
        else:
            idx = [_int(i, "tensor_split", "an index") for i in arg]
            cuts = [slice(s, e) for s, e in zip([None, *idx], [*idx, None], strict=True)]
        lead = (slice(None),) * a
        return tuple(x[lead + (c,)] for c in cuts)

    def _split_at(self, op: str, need: int, dim: int, sections: Any) -> tuple[Tensor, ...]:
        x: Tensor = self  # type: ignore[assignment]
        if x.ndim < need:
            raise ValueError(
                f"{op}: needs a tensor of at least {need} dimension(s), got shape {x.shape}"
            )
        if hasattr(sections, "_ctx") and sections.ndim == 0 and sections.dtype.kind in "iu":
            sections = int(sections.item())  # a count, which must divide the size too
        if isinstance(sections, (int, np.integer)) and not isinstance(sections, bool):
            n = x.shape[dim]
            if sections <= 0 or n % sections:
                raise ValueError(
                    f"{op}: dimension {dim} of size {n} cannot be split into {sections} equal "
                    "pieces"
                )
        return x.tensor_split(sections, dim)

    def hsplit(self, sections: Any) -> tuple[Tensor, ...]:
        """`tensor_split` along dim 1 (dim 0 of a 1-D tensor); an int must divide the size."""
        return self._split_at("hsplit", 1, 1 if self.data.ndim > 1 else 0, sections)

    def vsplit(self, sections: Any) -> tuple[Tensor, ...]:
        """`tensor_split` along dim 0 of a tensor of 2 or more dims; an int must divide it."""
        return self._split_at("vsplit", 2, 0, sections)

    def dsplit(self, sections: Any) -> tuple[Tensor, ...]:
        """`tensor_split` along dim 2 of a tensor of 3 or more dims; an int must divide it."""
        return self._split_at("dsplit", 3, 2, sections)

    def split_with_sizes(self, split_sizes: Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
        """Pieces of the given sizes along `dim`; they must add up to its size exactly."""
        x: Tensor = self  # type: ignore[assignment]
        sizes = list(shape_arg((split_sizes,), "split_with_sizes"))
        n = x.shape[dim_arg(dim, x.ndim, "split_with_sizes")]
        if any(s < 0 for s in sizes) or sum(sizes) != n:
            raise ValueError(
                f"split_with_sizes: sizes {sizes} must be non-negative and add up to the size "
                f"{n} of dim {dim}"
            )
        return x.split(sizes, dim)

    def unsafe_split(self, split_size: int, dim: int = 0) -> tuple[Tensor, ...]:
        """`split` (PyTorch's name for a split whose pieces it does not track as views)."""
        x: Tensor = self  # type: ignore[assignment]
        return x.split(split_size, dim)

    def unsafe_chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """`chunk` (PyTorch's name for chunks it does not track as views)."""
        x: Tensor = self  # type: ignore[assignment]
        return x.chunk(chunks, dim)

    def unsafe_split_with_sizes(
        self, split_sizes: Sequence[int], dim: int = 0
    ) -> tuple[Tensor, ...]:
        """`split_with_sizes` (PyTorch's name for pieces it does not track as views)."""
        return self.split_with_sizes(split_sizes, dim)

    # ------------------------------------------------------------------ diagonals

    def diag_embed(self, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
        """Matrices with the last dimension's values on their `offset` diagonal, in dims dim1, dim2.

        The result has one dimension more; the matrices are (n + |offset|) square, zeros off the
        diagonal: y[..., i, i + offset] = x[..., i] (dim1 the rows, dim2 the columns).

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([1, 2]).diag_embed(1).tolist()
            [[0, 1, 0], [0, 0, 2], [0, 0, 0]]
        """
        x: Tensor = self  # type: ignore[assignment]
        if x.ndim == 0:
            raise ValueError("diag_embed: needs a tensor of 1 or more dimensions, got 0-d")
        offset = _int(offset, "diag_embed", "offset")
        r = x.ndim + 1
        d1, d2 = dim_arg(dim1, r, "diag_embed"), dim_arg(dim2, r, "diag_embed")
        if d1 == d2:
            raise ValueError(f"diag_embed: dim1 and dim2 must differ, got {dim1} and {dim2}")
        n = x.shape[-1]
        m = n + abs(offset)
        k = np.arange(n)
        index = (slice(None),) * (x.ndim - 1) + (k + max(-offset, 0), k + max(offset, 0))
        out = F.IndexAdd.apply(x, shape=x.shape[:-1] + (m, m), index=index)
        return out.movedim((r - 2, r - 1), (d1, d2))

    def diagflat(self, offset: int = 0) -> Tensor:
        """The flattened values on the `offset` diagonal of a square matrix (`flatten().diag`).

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([[1, 2]]).diagflat().tolist()
            [[1, 0], [0, 2]]
        """
        x: Tensor = self  # type: ignore[assignment]
        return x.reshape(-1).diag(_int(offset, "diagflat", "offset"))

    # ------------------------------------------------------------------ repeats and windows

    def repeat_interleave(
        self, repeats: Any, dim: int | None = None, *, output_size: int | None = None
    ) -> Tensor:
        """Each element (or slice along `dim`) repeated `repeats` times, in place of the original.

        `repeats` is an int or a vector of one count per element along `dim` (one count is
        used for all); without `dim` the tensor is flattened first. `output_size`, if given,
        must be the result's length. The gradient of an element adds up its copies'.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([[1, 2], [3, 4]]).repeat_interleave(tensor([1, 2]), dim=0).tolist()
            [[1, 2], [3, 4], [3, 4]]
        """
        x: Tensor = self  # type: ignore[assignment]
        if dim is None:
            x, a = x.reshape(-1), 0
        else:
            if x.ndim == 0:
                raise IndexError(
                    f"repeat_interleave: dim {dim} is out of range for a 0-d tensor (as in "
                    "PyTorch); leave dim out to repeat the one element"
                )
            a = dim_arg(dim, x.ndim, "repeat_interleave")
        n = x.shape[a]
        counts = array_of(repeats)
        if counts.dtype.kind not in "iu" or counts.ndim > 1:
            raise TypeError(
                f"repeat_interleave: repeats must be an int or a vector of ints, got {repeats!r}"
            )
        counts = counts.reshape(-1).astype(np.int64)
        if counts.size == 1:
            counts = np.full(n, counts[0])
        if counts.size != n:
            raise ValueError(
                f"repeat_interleave: repeats must hold one count per element along the "
                f"dimension, got {counts.size} counts for size {n}"
            )
        if counts.size and counts.min() < 0:
            raise ValueError(f"repeat_interleave: repeats must be non-negative, got {repeats!r}")
        index = np.repeat(np.arange(n), counts)
        if output_size is not None and output_size != index.size:
            raise ValueError(
                f"repeat_interleave: output_size={output_size} but the repeats give {index.size}"
            )
        return x[(slice(None),) * a + (index,)]

    def unfold(self, dimension: int, size: int, step: int) -> Tensor:
        """The windows of `size` elements along `dimension`, every `step`, as a new last dim.

        `dimension` becomes the count of windows, (n − size)//step + 1; overlapping windows
        share the gradient of the elements they share. (PyTorch's `Tensor.unfold`; the
        image patches of `F.unfold` are `convolution.unfold`.)

        Example:
            >>> from tinygrad_lite import arange
            >>> arange(5).unfold(0, 2, 2).tolist()
            [[0, 1], [2, 3]]
        """
        x: Tensor = self  # type: ignore[assignment]
        size, step = _int(size, "unfold", "size"), _int(step, "unfold", "step")
        a = dim_arg(dimension, x.ndim, "unfold")
        if x.ndim == 0:
            x = x.reshape(1)
        n = x.shape[a]
        if step <= 0 or size < 0 or size > n:
            raise ValueError(
                f"unfold: needs 0 <= size <= {n} (the size of dim {dimension}) and step > 0, "
                f"got size {size} and step {step}"
            )
        starts = np.arange(0, n - size + 1, step)
        windows = starts[:, None] + np.arange(size)[None, :]
        out = x[(slice(None),) * a + (windows,)]
        return copy_for_view(out.movedim(a + 1, -1) if self.data.ndim else out[0])

    def sum_to_size(self, *size: Any) -> Tensor:
        """The sum of self down to `size`, which must broadcast to self's shape (self if equal).

        Dimensions that `size` lacks in front, or has as 1 where self does not, are summed:
        the reduction a broadcast from `size` to self's shape needs.

        Example:
            >>> from tinygrad_lite import tensor
            >>> tensor([[1.0, 2.0], [3.0, 4.0]]).sum_to_size(1, 2).tolist()
            [[4.0, 6.0]]
        """
        x: Tensor = self  # type: ignore[assignment]
        if not size:
            raise TypeError("sum_to_size: the target size is missing (PyTorch requires it too)")
        target = shape_arg(size, "sum_to_size")
        try:
            fits = len(target) <= x.ndim and np.broadcast_shapes(target, x.shape) == x.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"sum_to_size: size {target} is not expandable to shape {x.shape}")
        if target == x.shape:
            return x
        lead = x.ndim - len(target)
        y = x.sum(tuple(range(lead))) if lead else x
        ones = tuple(d for d, s in enumerate(target) if s == 1 and y.shape[d] != 1)
        if ones:
            y = y.sum(ones, keepdim=True)
        return y
