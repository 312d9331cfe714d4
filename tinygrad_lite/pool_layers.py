"""Pooling layers as Modules: MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d (in `nn`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import pooling
from .convolution import Size, default_stride, sizes_arg
from .module import Module
from .tensor import Tensor

__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "MaxPool1d",
    "MaxPool2d",
]


class _Pool(Module):
    """What the pools share: sizes checked as ints (1-D) or pairs (2-D), and ceil_mode."""

    _dims = 2

    def _setup(self, kernel_size: Any, stride: Any, padding: Any, ceil_mode: bool) -> None:
        self.ceil_mode = bool(ceil_mode)
        self.kernel_size = self._size("kernel_size", kernel_size, 1)
        default = default_stride(stride)
        self.stride = self.kernel_size if default else self._size("stride", stride, 1)
        self.padding = self._size("padding", padding, 0)
        # the sizes as given, which PyTorch's repr shows (its stride defaults to the kernel)
        self._given = (kernel_size, kernel_size if default else stride, padding)

    def _size(self, name: str, value: Any, minimum: int) -> Any:
        sizes = sizes_arg(type(self).__name__, name, value, minimum, self._dims)
        return sizes[0] if self._dims == 1 else sizes

    def extra_repr(self) -> str:
        """Return the sizes as given, as PyTorch shows them."""
        kernel, stride, padding = self._given
        return f"kernel_size={kernel}, stride={stride}, padding={padding}"


class MaxPool2d(_Pool):
    """The maximum of each window (see `pooling.max_pool2d`); stride defaults to the kernel.

    Args:
        kernel_size: an int or (kh, kw).
        stride: the step between windows (None: the kernel size).
        padding: −∞ around the input, at most half the kernel.
        dilation: the spacing between window elements.
        return_indices: also return each maximum's flat position in its H·W plane.
        ceil_mode: count the windows with ⌈·⌉, so that a last, partial window covers the
            input's end (see `pooling.max_pool2d`).
    """

    def __init__(
        self,
        kernel_size: Size,
        stride: Size | None = None,
        padding: Size = 0,
        dilation: Size = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self._setup(kernel_size, stride, padding, ceil_mode)
        self.dilation = self._size("dilation", dilation, 1)
        self._given_dilation = dilation
        self.return_indices = bool(return_indices)

    def forward(self, x: Tensor | np.ndarray) -> Any:
        """Return the pooled x (and the indices, with `return_indices`)."""
        pool = pooling.max_pool2d if self._dims == 2 else pooling.max_pool1d
        return pool(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )

    def extra_repr(self) -> str:
        """Return the settings, as PyTorch shows them."""
        return (
            super().extra_repr() + f", dilation={self._given_dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool1d(MaxPool2d):
    """The maximum of each window along L (see `pooling.max_pool1d`), as `nn.MaxPool1d`.

    Args: as `MaxPool2d`'s, one int each.
    """

    _dims = 1


class AvgPool2d(_Pool):
    """The mean of each window (see `pooling.avg_pool2d`); stride defaults to the kernel.

    Args:
        kernel_size: an int or (kh, kw).
        stride: the step between windows (None: the kernel size).
        padding: zeros around the input, at most half the kernel.
        ceil_mode: count the windows with ⌈·⌉ (see `pooling.avg_pool2d` for the divisor).
        count_include_pad: whether the padding's zeros count in each mean.
        divisor_override: divide every window's sum by this instead.
    """

    def __init__(
        self,
        kernel_size: Size,
        stride: Size | None = None,
        padding: Size = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self._setup(kernel_size, stride, padding, ceil_mode)
        self.count_include_pad = bool(count_include_pad)
        if self._dims == 1 and divisor_override is not None:
            raise TypeError("AvgPool1d: takes no divisor_override (as PyTorch's)")
        self.divisor_override = divisor_override

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return the pooled x."""
        args = (self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)
        if self._dims == 1:
            return pooling.avg_pool1d(x, *args)
        return pooling.avg_pool2d(x, *args, self.divisor_override)


class AvgPool1d(AvgPool2d):
    """The mean of each window along L (see `pooling.avg_pool1d`), as `nn.AvgPool1d`.

    Args: as `AvgPool2d`'s, one int each, without divisor_override.
    """

    _dims = 1

    def __init__(
        self,
        kernel_size: Size,
        stride: Size | None = None,
        padding: Size = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)

    def extra_repr(self) -> str:
        """Return the sizes as 1-tuples, as PyTorch shows them."""
        one = (self.kernel_size,), (self.stride,), (self.padding,)
        return "kernel_size={}, stride={}, padding={}".format(*one)


class AdaptiveAvgPool2d(Module):
    """Means over windows that cover H and W in `output_size` steps, as `nn.AdaptiveAvgPool2d`.

    Args:
        output_size: an int or (OH, OW), None keeping the input's size; 1 is global
            average pooling.
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return the pooled x."""
        return pooling.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        """Return the output size."""
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(AdaptiveAvgPool2d):
    """Means over windows that cover L in `output_size` steps, as `nn.AdaptiveAvgPool1d`."""

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return the pooled x."""
        return pooling.adaptive_avg_pool1d(x, self.output_size)
