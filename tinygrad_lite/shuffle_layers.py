"""Rearranging layers as Modules: PixelShuffle, PixelUnshuffle, ChannelShuffle, Fold, Unfold.

Each calls its function (`shuffles`, or `convolution.fold` and `convolution.unfold`), with the
arguments checked when the layer is made; `tinygrad_lite.nn` re-exports them.

>>> import numpy as np
>>> from tinygrad_lite import nn
>>> nn.PixelShuffle(3)(np.zeros((1, 18, 4, 4))).shape
(1, 2, 12, 12)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import convolution, shuffles
from .module import Module
from .shuffles import check_factor
from .tensor import Tensor

__all__ = ["ChannelShuffle", "Fold", "PixelShuffle", "PixelUnshuffle", "Unfold"]

Size = int | Sequence[int]


class PixelShuffle(Module):
    """(*, C·r², H, W) → (*, C, H·r, W·r), as PyTorch's `nn.PixelShuffle` (`F.pixel_shuffle`).

    Args:
        upscale_factor: r, a positive int.

    Raises:
        TypeError, ValueError: r is not a positive int.

    >>> import numpy as np
    >>> from tinygrad_lite import nn
    >>> nn.PixelShuffle(2)(np.zeros((4, 2, 2))).shape
    (1, 4, 4)
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = check_factor("PixelShuffle", "upscale_factor", upscale_factor)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return x with each group of r² channels spread into r×r blocks of pixels."""
        return shuffles.pixel_shuffle(x, self.upscale_factor)

    def extra_repr(self) -> str:
        """Return the factor."""
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H·r, W·r) → (*, C·r², H, W), as PyTorch's `nn.PixelUnshuffle` (`F.pixel_unshuffle`).

    Args:
        downscale_factor: r, a positive int.

    Raises:
        TypeError, ValueError: r is not a positive int.

    >>> import numpy as np
    >>> from tinygrad_lite import nn
    >>> nn.PixelUnshuffle(2)(np.zeros((1, 4, 4))).shape
    (4, 2, 2)
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = check_factor("PixelUnshuffle", "downscale_factor", downscale_factor)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return x with each r×r block of pixels gathered into r² channels."""
        return shuffles.pixel_unshuffle(x, self.downscale_factor)

    def extra_repr(self) -> str:
        """Return the factor."""
        return f"downscale_factor={self.downscale_factor}"


class ChannelShuffle(Module):
    """Interleave the channel groups of (N, C, *), as PyTorch's `nn.ChannelShuffle`.

    See `shuffles.channel_shuffle`.

    Args:
        groups: a positive int that divides the input's channels.

    Raises:
        TypeError, ValueError: groups is not a positive int.

    >>> import numpy as np
    >>> from tinygrad_lite import nn
    >>> nn.ChannelShuffle(3)(np.arange(6.0).reshape(1, 6, 1)).flatten().tolist()
    [0.0, 2.0, 4.0, 1.0, 3.0, 5.0]
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = check_factor("ChannelShuffle", "groups", groups)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return x with its channels interleaved."""
        return shuffles.channel_shuffle(x, self.groups)

    def extra_repr(self) -> str:
        """Return the number of groups."""
        return f"groups={self.groups}"


def _check_window(
    owner: str, kernel_size: Size, dilation: Size, padding: Size, stride: Size
) -> None:
    convolution.pair_arg(owner, "kernel_size", kernel_size, 1)
    convolution.pair_arg(owner, "dilation", dilation, 1)
    convolution.pair_arg(owner, "padding", padding, 0)
    convolution.pair_arg(owner, "stride", stride, 1)


def _window_repr(m: Unfold | Fold) -> str:
    return (
        f"kernel_size={m.kernel_size}, dilation={m.dilation}, padding={m.padding}, "
        f"stride={m.stride}"
    )


class Unfold(Module):
    """Every sliding window as a column, as PyTorch's `nn.Unfold` (see `convolution.unfold`).

    (N, C, H, W) → (N, C·kh·kw, L), L the number of windows; (C, H, W) → (C·kh·kw, L).

    Args:
        kernel_size: the window, an int or (kh, kw).
        dilation: the spacing between window elements.
        padding: zeros added on each side of H and W.
        stride: the step between windows.

    Raises:
        TypeError, ValueError: an argument that is not an int or two ints, or out of range
            (sizes >= 1, padding >= 0).

    >>> import numpy as np
    >>> from tinygrad_lite import nn
    >>> nn.Unfold(2)(np.zeros((1, 3, 4, 5))).shape
    (1, 12, 12)
    """

    def __init__(
        self, kernel_size: Size, dilation: Size = 1, padding: Size = 0, stride: Size = 1
    ) -> None:
        super().__init__()
        _check_window("Unfold", kernel_size, dilation, padding, stride)
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return the windows of x as columns."""
        return convolution.unfold(x, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        """Return the window's settings, as PyTorch shows them."""
        return _window_repr(self)


class Fold(Module):
    """Sum columns back into an image, `Unfold`'s adjoint, as PyTorch's `nn.Fold`.

    (N, C·kh·kw, L) → (N, C, *output_size), overlapping window elements added up; see
    `convolution.fold`.

    Args:
        output_size: the image's (H, W), or an int for both.
        kernel_size: the window, an int or (kh, kw).
        dilation: the spacing between window elements.
        padding: the zeros that unfolding added on each side (cropped away here).
        stride: the step between windows.

    Raises:
        TypeError, ValueError: an argument that is not an int or two ints, or out of range
            (sizes >= 1, padding >= 0).

    >>> import numpy as np
    >>> from tinygrad_lite import nn
    >>> nn.Fold((2, 3), 2)(np.ones((1, 4, 2))).tolist()
    [[[[1.0, 2.0, 1.0], [1.0, 2.0, 1.0]]]]
    """

    def __init__(
        self,
        output_size: Size,
        kernel_size: Size,
        dilation: Size = 1,
        padding: Size = 0,
        stride: Size = 1,
    ) -> None:
        super().__init__()
        convolution.pair_arg("Fold", "output_size", output_size, 1)
        _check_window("Fold", kernel_size, dilation, padding, stride)
        self.output_size, self.kernel_size, self.dilation = output_size, kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return the columns of x summed into an image of `output_size`."""
        return convolution.fold(
            x, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride
        )

    def extra_repr(self) -> str:
        """Return the output size and the window's settings, as PyTorch shows them."""
        return f"output_size={self.output_size}, " + _window_repr(self)
