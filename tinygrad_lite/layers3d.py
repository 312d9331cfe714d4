"""Layers for volumes as Modules: Conv3d, the 3-D pools, norms, dropout and pads (in `nn`).

Each is PyTorch's layer of that name on (N, C, D, H, W) input, or unbatched (C, D, H, W) where
PyTorch accepts it, and calls the functions of `conv3d`, `normalization`, `group_norms` and
`convolution.pad`, so that values, gradients, initialisation, reprs and state dicts are the
2-D layers' with one more spatial dimension. `dropout3d` is PyTorch's `F.dropout3d`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import conv3d
from .channel_drop import channel_dropout, check_probability
from .conv_layers import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d, _Conv
from .convolution import Size
from .group_layers import InstanceNorm1d
from .more_layers import _ChannelDropout
from .norm_layers import BatchNorm1d
from .pad_layers import (
    CircularPad1d,
    ConstantPad2d,
    ReflectionPad1d,
    ReplicationPad1d,
    ZeroPad2d,
    padding_widths,
)
from .sample_layers import AdaptiveMaxPool2d
from .tensor import DTypeLike, Tensor

__all__ = [
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool3d",
    "AvgPool3d",
    "BatchNorm3d",
    "CircularPad3d",
    "ConstantPad3d",
    "Conv3d",
    "Dropout3d",
    "InstanceNorm3d",
    "MaxPool3d",
    "ReflectionPad3d",
    "ReplicationPad3d",
    "ZeroPad3d",
    "dropout3d",
]


class Conv3d(_Conv):
    """A 3-D convolution layer on (N, C, D, H, W) inputs, as PyTorch's `nn.Conv3d`.

    The weight has shape (out_channels, in_channels / groups, kd, kh, kw) and the bias
    (out_channels,), both drawn from U(−1/√fan_in, 1/√fan_in) with fan_in = in_channels /
    groups · kd · kh · kw, PyTorch's default. The output is `conv3d.conv3d` of the input.

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output (kernels).
        kernel_size: an int or (kd, kh, kw).
        stride: the step between windows.
        padding: added around the input: an int, three ints, "valid" or "same" (stride 1).
        dilation: the spacing between kernel elements.
        groups: channel groups (both channel counts must be multiples of it).
        bias: whether to add a learnable bias.
        padding_mode: "zeros", or the input padded by `convolution.pad` in mode "reflect",
            "replicate" or "circular" (within that mode's limits).
        seed: an int or a `numpy.random.Generator` for the initial weights (None: the
            library's default generator).
        dtype: a floating-point dtype for the weights (float64 by default).
    """

    _dims = 3

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
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode, seed, dtype,
        )  # fmt: skip
        if self.padding == "same" and self.stride != (1, 1, 1):
            raise ValueError("Conv3d: padding='same' is not supported for strided convolutions")

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return the convolution of x, (N, in_channels, D, H, W) or (in_channels, D, H, W)."""
        x, padding = self._padded(x)
        return conv3d.conv3d(
            x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups
        )


class MaxPool3d(MaxPool2d):
    """The maximum of each window (see `conv3d.max_pool3d`), as PyTorch's `nn.MaxPool3d`.

    Args:
        kernel_size: an int or (kd, kh, kw).
        stride: the step between windows (None: the kernel size).
        padding: −∞ around the input, at most half the kernel.
        dilation: the spacing between window elements.
        return_indices: also return each maximum's flat position in its D·H·W volume.
        ceil_mode: count the windows with ⌈·⌉ (see `conv3d.max_pool3d`).
    """

    _dims = 3

    def forward(self, x: Tensor | np.ndarray) -> Any:
        """Return the pooled x (and the indices, with `return_indices`)."""
        return conv3d.max_pool3d(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )


class AvgPool3d(AvgPool2d):
    """The mean of each window (see `conv3d.avg_pool3d`), as PyTorch's `nn.AvgPool3d`.

    Args:
        kernel_size: an int or (kd, kh, kw).
        stride: the step between windows (None: the kernel size).
        padding: zeros around the input, at most half the kernel.
        ceil_mode: count the windows with ⌈·⌉.
        count_include_pad: whether the padding's zeros count in each mean.
        divisor_override: divide every window's sum by this instead.
    """

    _dims = 3

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return the pooled x."""
        return conv3d.avg_pool3d(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )


class AdaptiveAvgPool3d(AdaptiveAvgPool2d):
    """Means over windows that cover D, H and W in `output_size` steps (`nn.AdaptiveAvgPool3d`).

    Args:
        output_size: an int or (OD, OH, OW), None keeping the input's size.
    """

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return the pooled x."""
        return conv3d.adaptive_avg_pool3d(x, self.output_size)


class AdaptiveMaxPool3d(AdaptiveMaxPool2d):
    """Maxima over windows that cover D, H and W in `output_size` steps (`nn.AdaptiveMaxPool3d`).

    Args:
        output_size: an int or (OD, OH, OW), None keeping that size of the input.
        return_indices: also return each maximum's flat position in its D·H·W volume.
    """

    def forward(self, x: Tensor | np.ndarray) -> Any:
        """Return the pooled x (and the indices, with `return_indices`)."""
        return conv3d.adaptive_max_pool3d(x, self.output_size, self.return_indices)


class BatchNorm3d(BatchNorm1d):
    """Batch normalisation of each channel of (N, C, D, H, W) input, as PyTorch's `BatchNorm3d`.

    y = (x − mean) / √(var + eps) · weight + bias, with each channel's statistics over N, D,
    H and W; arguments, running statistics and modes are `BatchNorm1d`'s.
    """

    _dims = (5,)


class InstanceNorm3d(InstanceNorm1d):
    """Instance normalisation of (N, C, D, H, W) or (C, D, H, W) input, as PyTorch's.

    Each channel of each sample is normalised with its own mean and biased variance over D, H
    and W; arguments, running statistics and modes are `InstanceNorm1d`'s.
    """

    _dims = (4, 5)
    _unbatched = 4


def dropout3d(
    input: Tensor | np.ndarray,
    p: float = 0.5,
    training: bool = True,
    generator: Any = None,
    inplace: bool = False,
) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input, as PyTorch's `F.dropout3d`.

    Each channel (a D×H×W volume) is zeroed with probability p, independently for every
    sample; the others are scaled by 1/(1 − p), so the expectation is the input.

    Args:
        input: (N, C, D, H, W), or (C, D, H, W) for one sample.
        p: the probability of zeroing a channel, in [0, 1].
        training: drop (True) or return the input as it is (False).
        generator: a `numpy.random.Generator`, an int seed, or None for the library's default
            generator; a bool here is PyTorch's fourth argument, `inplace`.
        inplace: write the result into the input and return it, as PyTorch's.

    Returns:
        A tensor of the input's shape (the input itself when not training or p = 0).

    Raises:
        ValueError: p outside [0, 1], or an input that is neither 4-D nor 5-D.
    """
    x = input if isinstance(input, Tensor) else Tensor(input)
    p = check_probability("dropout3d", "p", p)
    if x.ndim not in (4, 5):
        raise ValueError(
            f"dropout3d: expected a 4D (C, D, H, W) or 5D (N, C, D, H, W) input, got a "
            f"{x.ndim}D input of shape {x.shape}"
        )
    return channel_dropout("dropout3d", x, p, training, generator, inplace, batched=5)


class Dropout3d(_ChannelDropout):
    """Zero whole channels of (N, C, D, H, W) input in training, as PyTorch's `Dropout3d`.

    Each channel is zeroed with probability p and the others scaled by 1/(1 − p) (see
    `dropout3d`); in `eval()` the layer is the identity.

    Args:
        p: the probability of zeroing each channel, in [0, 1].
        inplace: write the result into the input tensor in training (PyTorch's `inplace`).
        generator: a `numpy.random.Generator` or an int seed for the masks; None draws from the
            library's default generator.
    """

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return x with channels zeroed at random (training) or unchanged (eval)."""
        return self._drop(x, dropout3d)


def _widths(owner: str, padding: Any) -> tuple[int, ...]:
    """A 3-D pad's six widths (left, right, top, bottom, front, back), checked."""
    if isinstance(padding, (tuple, list)) and len(padding) != 6:
        raise ValueError(
            f"{owner}: padding must be an int or 6 ints (left, right, top, bottom, front, "
            f"back), got {len(padding)}: {tuple(padding)!r}"
        )
    if not isinstance(padding, (tuple, list, int, np.integer)) or isinstance(padding, bool):
        raise TypeError(
            f"{owner}: padding must be an int or a tuple of 6 ints, got "
            f"{type(padding).__name__} {padding!r}"
        )
    return padding_widths(owner, padding, 3)


class _Volume:
    """The input check of the 3-D pads that read the input: (C, D, H, W) or (N, C, D, H, W)."""

    def _check_input(self, x: Tensor) -> None:
        if x.ndim not in (4, 5):
            raise ValueError(
                f"{type(self).__name__}: expected a 4-D or 5-D input (C, D, H, W) or "
                f"(N, C, D, H, W), got shape {x.shape}"
            )


class ConstantPad3d(ConstantPad2d):
    """Add `value` around the last three dimensions, as PyTorch's `nn.ConstantPad3d`.

    Args:
        padding: an int (every side) or (left, right, top, bottom, front, back); negative
            widths crop.
        value: the fill value.
    """

    _dims = 3

    def __init__(self, padding: int | Sequence[int], value: float) -> None:
        super().__init__(_widths(type(self).__name__, padding), value)


class ZeroPad3d(ZeroPad2d):
    """Add zeros around the last three dimensions, as PyTorch's `nn.ZeroPad3d`.

    Args:
        padding: an int (every side) or (left, right, top, bottom, front, back).
    """

    _dims = 3

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(_widths(type(self).__name__, padding))


class ReflectionPad3d(_Volume, ReflectionPad1d):
    """Mirror the last three dimensions about their edges, as PyTorch's `nn.ReflectionPad3d`.

    Args:
        padding: an int (every side) or (left, right, top, bottom, front, back); each width
            smaller than its dimension.
    """

    _dims = 3

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(_widths(type(self).__name__, padding))


class ReplicationPad3d(_Volume, ReplicationPad1d):
    """Repeat the edges of the last three dimensions, as PyTorch's `nn.ReplicationPad3d`.

    Args:
        padding: an int (every side) or (left, right, top, bottom, front, back).
    """

    _dims = 3

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(_widths(type(self).__name__, padding))


class CircularPad3d(_Volume, CircularPad1d):
    """Wrap the last three dimensions around, as PyTorch's `nn.CircularPad3d`.

    Args:
        padding: an int (every side) or (left, right, top, bottom, front, back); each width
            at most its dimension.
    """

    _dims = 3

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(_widths(type(self).__name__, padding))
