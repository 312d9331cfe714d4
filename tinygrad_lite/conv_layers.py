"""Convolution and pooling layers as Modules: Conv1d/2d, MaxPool, AvgPool, adaptive (in `nn`).

The pooling layers are defined in `pool_layers` and re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import conv_transpose, convolution
from .convolution import Size, padding_arg, sizes_arg
from .module import Module, Parameter
from .norm_layers import check_size, initialise, uniform_parameters
from .pool_layers import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
)
from .rng import generator as make_generator
from .tensor import DTypeLike, Tensor

__all__ = [
    "PADDING_MODES",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "Conv1d",
    "Conv2d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "MaxPool1d",
    "MaxPool2d",
]


PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _Conv(Module):
    """What Conv1d and Conv2d share: the checks, the weights and PyTorch's initialisation."""

    _dims = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Size,
        stride: Size = 1,
        padding: Size | str = 0,
        dilation: Size = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        owner, n = type(self).__name__, self._dims
        self.in_channels = check_size(owner, "in_channels", in_channels)
        self.out_channels = check_size(owner, "out_channels", out_channels)
        self.groups = check_size(owner, "groups", groups)
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{owner}: in_channels {in_channels} and out_channels {out_channels} must both "
                f"be multiples of groups {groups}"
            )
        if padding_mode not in PADDING_MODES:
            raise ValueError(
                f"{owner}: padding_mode must be one of {', '.join(map(repr, PADDING_MODES))}, "
                f"got {padding_mode!r}"
            )
        if padding_mode != "zeros" and self._transposed:
            raise ValueError(f"{owner}: padding_mode must be 'zeros', got {padding_mode!r}")
        self.padding_mode = padding_mode
        self.kernel_size = sizes_arg(owner, "kernel_size", kernel_size, 1, n)
        self.stride = sizes_arg(owner, "stride", stride, 1, n)
        self.dilation = sizes_arg(owner, "dilation", dilation, 1, n)
        if isinstance(padding, str):
            padding_arg(owner, padding, (1 if n == 1 else self.stride[0], self.stride[-1]))
            self.padding: tuple[int, ...] | str = padding
        else:
            self.padding = sizes_arg(owner, "padding", padding, 0, n)
        self._weights(bias, seed, dtype)

    _transposed = False

    def _padded(self, x: Tensor | np.ndarray) -> tuple[Tensor | np.ndarray, tuple[int, ...] | str]:
        """The input padded in `padding_mode` and the padding left for the convolution.

        "zeros" leaves the padding to the convolution; the other modes pad first, PyTorch's
        way: d(k − 1) in all for "same", the odd element on the right.
        """
        if self.padding_mode == "zeros" or self.padding == "valid":
            return x, self.padding
        widths: list[int] = []
        for i in reversed(range(self._dims)):
            if isinstance(self.padding, str):  # "same"
                total = self.dilation[i] * (self.kernel_size[i] - 1)
                widths += [total // 2, total - total // 2]
            else:
                widths += [self.padding[i], self.padding[i]]
        if any(widths):
            x = convolution.pad(x, widths, mode=self.padding_mode)
        return x, (0,) * self._dims

    def _weights(self, bias: bool, seed: Any, dtype: DTypeLike) -> None:
        """The weight and bias, drawn by `reset_parameters`.

        The weight is (C_out, C_in/groups, *k), or (C_in, C_out/groups, *k) transposed.
        """
        dt = np.dtype(dtype)
        if dt.kind != "f":
            raise ValueError(
                f"{type(self).__name__}: dtype must be a floating-point dtype, got {dt}"
            )
        rows, columns = self.out_channels, self.in_channels // self.groups
        if self._transposed:
            rows, columns = self.in_channels, self.out_channels // self.groups
        self.weight = Parameter(np.empty((rows, columns, *self.kernel_size), dt))
        self.bias: Parameter | None = Parameter(np.empty(self.out_channels, dt)) if bias else None
        initialise(self, seed)

    def reset_parameters(self, seed: int | np.random.Generator | None = None) -> None:
        """Draw the weight and bias from U(−1/√fan_in, 1/√fan_in) again, as PyTorch's.

        fan_in = the weight's dim 1 · the kernel's size. The values are written into the same
        Parameters, in their dtype. `seed` is an int or a Generator (None: the library's
        default generator); a seed gives the values a new layer built with it has.
        """
        fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
        uniform_parameters(make_generator(seed), 1.0 / math.sqrt(fan_in), self.weight, self.bias)

    def extra_repr(self) -> str:
        """Return the layer's settings, as PyTorch prints them."""
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if isinstance(self.padding, str) or any(self.padding):
            text += f", padding={self.padding}"
        if any(d != 1 for d in self.dilation):
            text += f", dilation={self.dilation}"
        if any(getattr(self, "output_padding", ())):  # a transposed convolution's
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        text += "" if self.bias is not None else ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv2d(_Conv):
    """A 2-D convolution layer on (N, C, H, W) inputs, as PyTorch's `nn.Conv2d`.

    The weight has shape (out_channels, in_channels / groups, kh, kw) and the bias
    (out_channels,), both drawn from U(−1/√fan_in, 1/√fan_in) with fan_in = in_channels /
    groups · kh · kw, PyTorch's default. The output is `convolution.conv2d` of the input.

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output (kernels).
        kernel_size: an int or (kh, kw).
        stride: the step between windows.
        padding: added around the input: an int, two ints, "valid" or "same".
        dilation: the spacing between kernel elements.
        groups: channel groups (both channel counts must be multiples of it).
        bias: whether to add a learnable bias.
        padding_mode: what the padding holds: "zeros", or the input padded by
            `convolution.pad` in mode "reflect", "replicate" or "circular" (within that
            mode's limits: a reflect padding smaller than the input, ...).
        seed: an int or a `numpy.random.Generator` for the initial weights (None: the
            library's default generator, `tinygrad_lite.manual_seed`).
        dtype: a floating-point dtype for the weights (float64 by default).
    """

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return the convolution of x, (N, in_channels, H, W) or (in_channels, H, W)."""
        x, padding = self._padded(x)
        return convolution.conv2d(
            x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups
        )


class Conv1d(_Conv):
    """A 1-D convolution layer on (N, C, L) inputs, as PyTorch's `nn.Conv1d`.

    The weight is (out_channels, in_channels / groups, k), drawn as `Conv2d`'s; the arguments
    are `Conv2d`'s with one size each (kernel_size, stride, padding or "same"/"valid",
    dilation) and padding_mode.
    """

    _dims = 1

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return the convolution of x, (N, in_channels, L) or (in_channels, L)."""
        x, padding = self._padded(x)
        return convolution.conv1d(
            x,
            self.weight,
            self.bias,
            self.stride[0],
            padding if isinstance(padding, str) else padding[0],
            self.dilation[0],
            self.groups,
        )


class ConvTranspose2d(_Conv):
    """A 2-D transposed convolution layer, as PyTorch's `nn.ConvTranspose2d`.

    The gradient of a convolution in its input (see `conv_transpose.conv_transpose2d`), which
    grows an image by the stride. The weight has shape (in_channels, out_channels / groups,
    kh, kw), drawn as PyTorch draws it, from U(−1/√fan_in, 1/√fan_in) with fan_in =
    out_channels / groups · kh · kw.

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_size: an int or (kh, kw).
        stride: the step between windows of the convolution this transposes.
        padding: cut from every side of the result (ints only).
        output_padding: added at the bottom and right, smaller than the stride or dilation.
        groups: channel groups.
        bias: whether to add a learnable bias.
        dilation: the spacing between kernel elements.
        padding_mode: only "zeros", as PyTorch's.
        seed: an int or a `numpy.random.Generator` for the initial weights.
        dtype: a floating-point dtype for the weights (float64 by default).
    """

    _transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Size,
        stride: Size = 1,
        padding: Size = 0,
        output_padding: Size = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Size = 1,
        padding_mode: str = "zeros",
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding must be ints, got {padding!r}")
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode, seed, dtype,
        )  # fmt: skip
        self.output_padding = sizes_arg(
            type(self).__name__, "output_padding", output_padding, 0, self._dims
        )

    def forward(self, x: Tensor | np.ndarray, output_size: Sequence[int] | None = None) -> Tensor:
        """Return the transposed convolution of x, (N, in_channels, H, W) or unbatched.

        Args:
            x: the input.
            output_size: the output's spatial sizes, optionally led by the batch and channel
                sizes; it replaces `output_padding` by the one that gives this size (see
                `conv_transpose.transposed_output_padding`). None keeps `output_padding`.
        """
        assert not isinstance(self.padding, str)  # refused in __init__
        extra: tuple[int, ...] = self.output_padding
        if output_size is not None:
            extra = conv_transpose.transposed_output_padding(
                type(self).__name__,
                x,
                output_size,
                self.stride,
                self.padding,
                self.kernel_size,
                self.dilation,
            )
        return self._transpose_conv(x, extra)

    def _transpose_conv(self, x: Tensor | np.ndarray, output_padding: tuple[int, ...]) -> Tensor:
        assert not isinstance(self.padding, str)
        if self._dims == 1:
            return conv_transpose.conv_transpose1d(
                x,
                self.weight,
                self.bias,
                self.stride[0],
                self.padding[0],
                output_padding[0],
                self.groups,
                self.dilation[0],
            )
        return conv_transpose.conv_transpose2d(
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
        )


class ConvTranspose1d(ConvTranspose2d):
    """A 1-D transposed convolution layer, as PyTorch's `nn.ConvTranspose1d`.

    The arguments of `ConvTranspose2d`, with one size each, on (N, C, L) inputs.
    """

    _dims = 1
