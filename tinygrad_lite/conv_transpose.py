"""Transposed convolutions, as PyTorch's `F`: conv_transpose1d and conv_transpose2d.

A transposed convolution is the gradient of a convolution with respect to its input: each
input pixel, multiplied by the kernels, is added into the window it would have been computed
from. Here that is one matrix product (the kernels' transpose with the input's pixels as
columns) and `Fold`, which adds the overlapping windows, so gradients of every order come from
those ops. Decoders and upsampling layers use it to grow an image.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .convolution import (
    Pair,
    Size,
    batched,
    bias_arg,
    check_weight,
    float_input,
    pair_arg,
    single_arg,
    unbatched,
)
from .ops.window import Fold, Pad
from .tensor import Tensor

__all__ = ["conv_transpose1d", "conv_transpose2d"]


def _conv_transpose(
    op: str,
    x: Tensor,
    w: Tensor,
    bias: Tensor | None,
    stride: Pair,
    padding: Pair,
    output_padding: Pair,
    dilation: Pair,
    groups: int,
    shown: tuple[tuple[int, ...], tuple[int, ...]],
) -> Tensor:
    """The adjoint of `_conv` in its input: (N, C_in, H, W) x, (C_in, C_out/groups, kh, kw) w.

    Each input pixel scatters its channels, through the kernels, into the window it would have
    been computed from (`Fold` adds the overlaps), then `padding` is cut from every side.
    """
    check_weight(op, x, w, groups)
    n, c, h, wd = x.shape
    cin, og, kh, kw = w.shape
    if c != cin or c % groups:
        raise ValueError(
            f"{op}: weight {shown[1]} expects {cin} input channels in {groups} groups, got an "
            f"input of shape {shown[0]} with {c}"
        )
    for o, s_, d in zip(output_padding, stride, dilation, strict=True):
        if o >= max(s_, d):
            raise ValueError(
                f"{op}: output_padding {output_padding} must be smaller than the stride "
                f"{stride} or the dilation {dilation}"
            )
    oc, g = og * groups, int(groups)
    # the size whose windows are exactly the input's pixels; output_padding is added after
    full = (
        (h - 1) * stride[0] + dilation[0] * (kh - 1) + 1,
        (wd - 1) * stride[1] + dilation[1] * (kw - 1) + 1,
    )
    if any(f + o - 2 * p < 1 for f, o, p in zip(full, output_padding, padding, strict=True)):
        raise ValueError(f"{op}: padding {padding} leaves no output (full size {full})")
    b = bias_arg(op, bias, oc)
    kernels = w.reshape(g, c // g, og * kh * kw).transpose(1, 2)  # (groups, C_out/g·kh·kw, C_in/g)
    cols = kernels @ x.reshape(n, g, c // g, h * wd)  # (N, groups, C_out/g·kh·kw, H·W)
    y = Fold.apply(
        cols.reshape(n, oc * kh * kw, h * wd),
        output_size=full,
        kernel_size=(kh, kw),
        stride=stride,
        dilation=dilation,
    )
    (ph, pw), (oh, ow) = padding, output_padding
    if ph or pw or oh or ow:  # cut the padding from every side, add output_padding at the end
        y = Pad.apply(y, pad=(-pw, ow - pw, -ph, oh - ph), value=0.0)
    return y if b is None else y + b.reshape(1, oc, 1, 1)


def conv_transpose2d(
    input: Tensor | np.ndarray,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Size = 1,
    padding: Size = 0,
    output_padding: Size = 0,
    groups: int = 1,
    dilation: Size = 1,
) -> Tensor:
    """The transposed convolution, as PyTorch's `conv_transpose2d`: conv2d's gradient in x.

    Args:
        input: (N, C_in, H, W), or (C_in, H, W) for one example.
        weight: (C_in, C_out / groups, kh, kw).
        bias: (C_out,) or None.
        stride: the step between windows of the convolution this transposes.
        padding: that convolution's padding, cut from every side of the result.
        output_padding: rows and columns added at the bottom and right (smaller than the
            stride or the dilation), to pick among the sizes a strided convolution maps to
            the same size.
        groups: channel groups.
        dilation: the spacing between kernel elements.

    Returns:
        (N, C_out, H_out, W_out), H_out = (H − 1)s − 2p + d(kh − 1) + output_padding + 1.
    """
    op = "conv_transpose2d"
    x, single = batched(op, float_input(op, input))
    w = weight if isinstance(weight, Tensor) else Tensor(weight)
    if w.ndim != 4:
        raise ValueError(f"{op}: weight must be (C_in, C_out/groups, kh, kw), got {w.shape}")
    sizes = _transpose_sizes(
        lambda name, v, low: pair_arg(op, name, v, low), stride, padding, output_padding, dilation
    )
    y = _conv_transpose(op, x, w, bias, *sizes, groups, (tuple(np.shape(input)), w.shape))
    return unbatched(y, single)


def _transpose_sizes(
    parse: Callable[[str, Any, int], Pair], stride: Any, padding: Any, output: Any, dilation: Any
) -> tuple[Pair, Pair, Pair, Pair]:
    """stride, padding, output_padding and dilation, each parsed with its lower bound."""
    return (
        parse("stride", stride, 1),
        parse("padding", padding, 0),
        parse("output_padding", output, 0),
        parse("dilation", dilation, 1),
    )


def conv_transpose1d(
    input: Tensor | np.ndarray,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    groups: int = 1,
    dilation: int = 1,
) -> Tensor:
    """The 1-D transposed convolution, as PyTorch's `conv_transpose1d` (see the 2-D one)."""
    op = "conv_transpose1d"
    x = float_input(op, input)
    if x.ndim not in (2, 3):
        raise ValueError(f"{op}: expected an input of shape (N, C, L) or (C, L), got {x.shape}")
    w = weight if isinstance(weight, Tensor) else Tensor(weight)
    if w.ndim != 3:
        raise ValueError(f"{op}: weight must be (C_in, C_out/groups, k), got {w.shape}")
    single = x.ndim == 2
    x4 = (x.unsqueeze(0) if single else x).unsqueeze(2)
    # on the height of one: stride and dilation 1, no padding (each size's lower bound)
    sizes = _transpose_sizes(
        lambda name, v, low: (low, single_arg(op, name, v, low)),
        stride,
        padding,
        output_padding,
        dilation,
    )
    shown = (tuple(np.shape(input)), w.shape)
    y = _conv_transpose(op, x4, w.unsqueeze(2), bias, *sizes, groups, shown)
    return unbatched(y.squeeze(2), single)
