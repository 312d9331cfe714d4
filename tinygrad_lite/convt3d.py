"""Transposed convolution of volumes, as PyTorch's `F.conv_transpose3d` and `nn.ConvTranspose3d`.

The transposed convolution is the gradient of `conv3d` in its input: each input voxel, times
the kernels, is added into the window it would have been computed from. It is the code of the
1-D and 2-D ones (`conv_transpose`): one matrix product, then `Fold` over height and width and
a second `Fold` along the depth, so gradients of every order come from those ops. The layer
also takes PyTorch's `output_size` argument in `forward`, which picks the output_padding.
"""

from __future__ import annotations

import numpy as np

from .conv3d import _batched, _triple
from .conv_layers import ConvTranspose2d
from .conv_transpose import _conv_transpose, _transpose_sizes
from .convolution import Size, float_input, unbatched
from .tensor import Tensor

__all__ = ["ConvTranspose3d", "conv_transpose3d"]


def conv_transpose3d(
    input: Tensor | np.ndarray,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Size = 1,
    padding: Size = 0,
    output_padding: Size = 0,
    groups: int = 1,
    dilation: Size = 1,
) -> Tensor:
    """The 3-D transposed convolution, as PyTorch's `conv_transpose3d`: conv3d's gradient in x.

    y[n, o, z·s₀ + a·d₀ − p₀, i·s₁ + b·d₁ − p₁, j·s₂ + c·d₂ − p₂] += x[n, c', z, i, j] ·
    W[c', o, a, b, c] (summed over the input channels c' of o's group), plus b[o].

    Args:
        input: (N, C_in, D, H, W), or (C_in, D, H, W) for one example.
        weight: (C_in, C_out / groups, kd, kh, kw).
        bias: (C_out,) or None.
        stride: the step between windows of the convolution this transposes: an int or
            (depth, down, across).
        padding: that convolution's padding, cut from every side of the result.
        output_padding: planes, rows and columns added at the far end of each dimension
            (smaller than the stride or the dilation there), to pick among the sizes a strided
            convolution maps to the same size.
        groups: channel groups.
        dilation: the spacing between kernel elements.

    Returns:
        (N, C_out, D_out, H_out, W_out), D_out = (D − 1)s₀ − 2p₀ + d₀(kd − 1) +
        output_padding₀ + 1, likewise H_out and W_out.

    Raises:
        ValueError: shapes that do not fit together, sizes out of range, an output_padding not
            below the stride or dilation, or a padding that leaves no output.
        TypeError: a non-floating input, dtypes that differ, or sizes that are not ints.
    """
    op = "conv_transpose3d"
    x, single = _batched(op, float_input(op, input))
    w = weight if isinstance(weight, Tensor) else Tensor(weight)
    if w.ndim != 5:
        raise ValueError(f"{op}: weight must be (C_in, C_out/groups, kd, kh, kw), got {w.shape}")
    sizes = _transpose_sizes(
        lambda name, v, low: _triple(op, name, v, low), stride, padding, output_padding, dilation
    )
    y = _conv_transpose(op, x, w, bias, *sizes, groups, (tuple(np.shape(input)), w.shape))
    return unbatched(y, single)


class ConvTranspose3d(ConvTranspose2d):
    """A 3-D transposed convolution layer, as PyTorch's `nn.ConvTranspose3d`.

    The gradient of a 3-D convolution in its input (see `conv_transpose3d`). The weight has
    shape (in_channels, out_channels / groups, kd, kh, kw) and the bias (out_channels,), both
    drawn from U(−1/√fan_in, 1/√fan_in) with fan_in = out_channels / groups · kd · kh · kw,
    PyTorch's default.

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_size: an int or (kd, kh, kw).
        stride: the step between windows of the convolution this transposes.
        padding: cut from every side of the result (ints only).
        output_padding: added at the far end of each dimension, smaller than the stride or
            dilation there.
        groups: channel groups.
        bias: whether to add a learnable bias.
        dilation: the spacing between kernel elements.
        padding_mode: only "zeros", as PyTorch's.
        seed: an int or a `numpy.random.Generator` for the initial weights (None: the
            library's default generator).
        dtype: a floating-point dtype for the weights (float64 by default).
    """

    _dims = 3

    def _transpose_conv(self, x: Tensor | np.ndarray, output_padding: tuple[int, ...]) -> Tensor:
        assert not isinstance(self.padding, str)  # refused in __init__
        return conv_transpose3d(
            x, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups,
            self.dilation,
        )  # fmt: skip
