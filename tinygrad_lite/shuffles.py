"""Rearrangements on Tensors, as PyTorch's `F`: pixel_shuffle, pixel_unshuffle, channel_shuffle.

Each is a reshape, a permutation of the dimensions and a reshape back: no value is computed, so
the gradient is the same rearrangement run backwards, and gradients of every order come from
the shape ops'. Integer tensors are rearranged as well.

>>> import numpy as np
>>> from tinygrad_lite.shuffles import pixel_shuffle
>>> pixel_shuffle(np.arange(4.0).reshape(4, 1, 1), 2).tolist()
[[[0.0, 1.0], [2.0, 3.0]]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .tensor import Tensor

__all__ = ["channel_shuffle", "check_factor", "pixel_shuffle", "pixel_unshuffle"]


def check_factor(owner: str, name: str, value: Any) -> int:
    """`value` as a positive int (a shuffle's factor or number of groups).

    Raises:
        TypeError: not an int (a bool is refused too).
        ValueError: 0 or negative.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{owner}: {name} must be positive, got {value}")
    return int(value)


def _image(op: str, input: Any) -> Tensor:
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim < 3:
        raise ValueError(
            f"{op}: expected an input of shape (*, C, H, W) with at least 3 dimensions, got "
            f"shape {x.shape}"
        )
    return x


def pixel_shuffle(input: Tensor | np.ndarray, upscale_factor: int) -> Tensor:
    """(*, C·r², H, W) → (*, C, H·r, W·r): channels become pixels, as `F.pixel_shuffle`.

    Output element [c, h·r + i, w·r + j] is input element [c·r² + i·r + j, h, w]: each group of
    r² channels becomes an r×r block of pixels (Shi et al., 2016, sub-pixel convolution).

    Args:
        input: a tensor of 3 or more dimensions, channels third from the end.
        upscale_factor: r, a positive int.

    Returns:
        The rearranged tensor.

    Raises:
        TypeError, ValueError: r is not a positive int, the input has fewer than 3
            dimensions, or its channels are not a multiple of r².

    >>> import numpy as np
    >>> pixel_shuffle(np.zeros((2, 8, 3, 3)), 2).shape
    (2, 2, 6, 6)
    """
    r = check_factor("pixel_shuffle", "upscale_factor", upscale_factor)
    x = _image("pixel_shuffle", input)
    *lead, c, h, w = x.shape
    if c % (r * r):
        raise ValueError(
            f"pixel_shuffle: the channels (dimension -3) must be a multiple of "
            f"upscale_factor² = {r * r}, got {c} in an input of shape {x.shape}"
        )
    k = len(lead)
    y = x.reshape(*lead, c // (r * r), r, r, h, w)
    y = y.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)  # (*, C, H, r, W, r)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor | np.ndarray, downscale_factor: int) -> Tensor:
    """(*, C, H·r, W·r) → (*, C·r², H, W): pixels become channels, as `F.pixel_unshuffle`.

    Output element [c·r² + i·r + j, h, w] is input element [c, h·r + i, w·r + j].

    Args:
        input: a tensor of 3 or more dimensions, channels third from the end.
        downscale_factor: r, a positive int.

    Returns:
        The rearranged tensor.

    Raises:
        TypeError, ValueError: r is not a positive int, the input has fewer than 3
            dimensions, or its height or width is not a multiple of r.

    >>> import numpy as np
    >>> pixel_unshuffle(np.zeros((1, 6, 4)), 2).shape
    (4, 3, 2)
    """
    r = check_factor("pixel_unshuffle", "downscale_factor", downscale_factor)
    x = _image("pixel_unshuffle", input)
    *lead, c, h, w = x.shape
    for name, size, dim in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise ValueError(
                f"pixel_unshuffle: the {name} (dimension {dim}) must be a multiple of "
                f"downscale_factor = {r}, got {size} in an input of shape {x.shape}"
            )
    k = len(lead)
    y = x.reshape(*lead, c, h // r, r, w // r, r)
    y = y.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)  # (*, C, r, r, H, W)
    return y.reshape(*lead, c * r * r, h // r, w // r)


def channel_shuffle(input: Tensor | np.ndarray, groups: int) -> Tensor:
    """Interleave the channel groups, as PyTorch's `F.channel_shuffle` (ShuffleNet).

    The C channels of (N, C, *) are read as a (groups, C/groups) grid and written out column
    by column: output channel j·groups + g is input channel g·(C/groups) + j.

    Args:
        input: (N, C, *) with at least 3 dimensions.
        groups: a positive int that divides C.

    Returns:
        The tensor with its channels permuted.

    Raises:
        TypeError, ValueError: groups is not a positive int, the input has fewer than 3
            dimensions, or groups does not divide its channels.

    >>> import numpy as np
    >>> channel_shuffle(np.arange(6.0).reshape(1, 6, 1), 2).flatten().tolist()
    [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    """
    g = check_factor("channel_shuffle", "groups", groups)
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim < 3:
        raise ValueError(
            f"channel_shuffle: expected an input of shape (N, C, *) with more than 2 "
            f"dimensions, got shape {x.shape}"
        )
    n, c, *rest = x.shape
    if c % g:
        raise ValueError(
            f"channel_shuffle: groups={g} must divide the {c} channels of the input of shape "
            f"{x.shape}"
        )
    return x.reshape(n, g, c // g, *rest).transpose(1, 2).reshape(n, c, *rest)
