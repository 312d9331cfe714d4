"""The non-constant modes of PyTorch's `pad`: reflect, replicate and circular, as index gathers.

Each mode pads a dimension by reading, for every output position, one input position: reflect
mirrors the input about its end elements (without repeating them), replicate repeats the end
elements, circular wraps around to the other end. The padded tensor is `index_select` of those
positions along each padded dimension, so the gradient of every padded element accumulates
into the element it was read from, and gradients of every order come from indexing's.

`source_positions` holds the rules. They are periodic, so that they also give NumPy's `np.pad`
modes "reflect", "edge" and "wrap" for widths of any size; `mode_pad` checks the narrower
rules of PyTorch's `pad` first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # for type hints only
    from .tensor import Tensor

__all__ = ["MODES", "mode_pad", "pad_axes", "source_positions"]

MODES = ("reflect", "replicate", "circular")


def source_positions(size: int, left: int, right: int, mode: str) -> np.ndarray:
    """The input position that each output position reads, for a dimension of `size` elements.

    Output position i stands for input position j = i − left, mapped into [0, size):

    - reflect: mirrored about 0 and size − 1, with period 2(size − 1)
      (j = −1 reads 1, j = size reads size − 2);
    - replicate: clamped to [0, size − 1];
    - circular: the dimension is first cropped by any negative width, then read modulo the
      m elements left: output i reads lo + (i − max(left, 0)) mod m, lo = max(−left, 0)
      (as PyTorch crops before it wraps).

    A negative width crops that side.

    Args:
        size: the dimension's number of elements.
        left: elements added before (negative: removed).
        right: elements added after (negative: removed).
        mode: "reflect", "replicate" or "circular".

    Returns:
        An int64 vector of positions in [0, size), one per output element.

    Raises:
        ValueError: elements are to be read from an empty dimension, or the widths crop more
            than the dimension holds.

    >>> source_positions(4, 2, 1, "reflect").tolist()
    [2, 1, 0, 1, 2, 3, 2]
    >>> source_positions(4, 2, 1, "circular").tolist()
    [2, 3, 0, 1, 2, 3, 0]
    """
    if size + left + right <= 0:
        if size + left + right < 0:
            raise ValueError(f"widths ({left}, {right}) crop more than the {size} elements")
        return np.zeros(0, dtype=np.int64)
    if mode == "circular":
        lo, before, after = max(-left, 0), max(left, 0), max(right, 0)
        kept = size - lo - max(-right, 0)
        if kept < 0:
            raise ValueError(f"widths ({left}, {right}) crop more than the {size} elements")
        if kept == 0:
            raise ValueError(f"cannot wrap around an empty dimension (widths ({left}, {right}))")
        return lo + (np.arange(-before, kept + after, dtype=np.int64) % max(kept, 1))
    j = np.arange(-left, size + right, dtype=np.int64)
    if j.size and size == 0:
        raise ValueError(f"cannot extend an empty dimension in mode {mode!r}")
    if mode == "replicate":
        return np.clip(j, 0, size - 1)
    period = 2 * (size - 1)
    if period == 0:
        return np.zeros_like(j)
    j = np.abs(j) % period
    return np.where(j > size - 1, period - j, j)


def pad_axes(x: Tensor, widths: Sequence[tuple[int, int, int]], mode: str) -> Tensor:
    """`x` padded along the given axes: `widths` holds (axis, left, right) triples.

    The rules of `source_positions`, one dimension after the other, without PyTorch's limits:
    this is also `np.pad` in modes "reflect", "edge" (replicate) and "wrap" (circular).
    """
    for axis, left, right in widths:
        if left or right:
            x = x.index_select(axis, source_positions(x.shape[axis], left, right, mode))
    return x


def _check_widths(mode: str, axis: int, size: int, left: int, right: int) -> None:
    """Raise for widths PyTorch's `pad` refuses (or would fill from outside the input)."""
    where = f"dimension {axis} of size {size}"
    if mode == "reflect" and (left >= size or right >= size):
        raise ValueError(
            f"pad: reflect widths ({left}, {right}) must be smaller than {where} (a reflection "
            "does not repeat the end element, so it cannot reach further)"
        )
    kept = size - max(-left, 0) - max(-right, 0)  # what is left to wrap around
    if size + left + right < 0 or (mode == "circular" and kept < 0):
        raise ValueError(f"pad: widths ({left}, {right}) would crop more than {where}")
    if mode == "circular" and max(left, right) > kept:
        raise ValueError(
            f"pad: circular widths ({left}, {right}) must be at most the {kept} elements of "
            f"{where} (after cropping): a wider pad would wrap around more than once"
        )


def mode_pad(x: Tensor, pad: tuple[int, ...], mode: str, value: float | None = None) -> Tensor:
    """`x` padded in `mode`, with PyTorch's `pad` widths and PyTorch's rules.

    `pad` holds (left, right) widths for the last dimension, then for the one before: 2, 4 or
    6 widths, for the last 1, 2 or 3 dimensions of an input with one or two more dimensions
    (the batch and the channels, or the channels alone). A negative width crops.

    Args:
        x: the input.
        pad: the widths, last dimension first.
        mode: "reflect", "replicate" or "circular".
        value: None or 0 (these modes read the input; they take no fill value).

    Returns:
        The padded tensor; element i of a padded dimension is read from input element
        `source_positions(...)[i]`.

    Raises:
        ValueError: a fill value is given; the number of widths does not suit the input's
            number of dimensions; a reflect width is not smaller than its dimension; a
            circular width is larger than its (cropped) dimension; a dimension is cropped by
            more than it holds; or, in reflect and replicate modes, every padded dimension
            would be empty, or a dimension other than the batch is empty.
    """
    if value is not None and value != 0:
        raise ValueError(f"pad: mode {mode!r} takes no fill value, got value={value!r}")
    padded = len(pad) // 2
    if len(pad) not in (2, 4, 6) or x.ndim not in (padded + 1, padded + 2):
        raise ValueError(
            f"pad: mode {mode!r} is not supported with {len(pad)} widths on a {x.ndim}-D "
            "input; it pads the last dimension of a 2-D or 3-D input (2 widths), the last 2 "
            "of a 3-D or 4-D input (4 widths) or the last 3 of a 4-D or 5-D input (6 widths)"
        )
    batch = x.ndim - padded - 1  # 1 where the first dimension is a batch, which may be empty
    if mode != "circular" and 0 in x.shape[batch:]:
        raise ValueError(
            f"pad: mode {mode!r} needs non-empty dimensions (only a batch dimension may be "
            f"empty), got shape {x.shape}"
        )
    triples = []
    for k in range(padded):
        axis = x.ndim - 1 - k
        left, right = pad[2 * k], pad[2 * k + 1]
        _check_widths(mode, axis, x.shape[axis], left, right)
        triples.append((axis, left, right))
    sizes = [x.shape[a] + left + right for a, left, right in triples]
    if mode != "circular" and max(sizes) < 1:  # PyTorch's rule: one padded size may be 0
        raise ValueError(f"pad: widths {pad} leave no element of the input of shape {x.shape}")
    return pad_axes(x, triples, mode)
