"""Transposed convolutions, as PyTorch's `F`: conv_transpose1d and conv_transpose2d.

A transposed convolution is the gradient of a convolution with respect to its input: each
input pixel, multiplied by the kernels, is added into the window it would have been computed
from. Here that is one matrix product (the kernels' transpose with the input's pixels as
columns) and `Fold`, which adds the overlapping windows, so gradients of every order come from
those ops. Decoders and upsampling layers use it to grow an image. The same code serves the
3-D `convt3d.conv_transpose3d`, with a second `Fold` that adds the planes along the depth.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .convolution import (
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

__all__ = ["conv_transpose1d", "conv_transpose2d", "transposed_output_padding"]

Ints = tuple[int, ...]


def _conv_transpose(
    op: str,
    x: Tensor,
    w: Tensor,
    bias: Tensor | None,
    stride: Ints,
    padding: Ints,
    output_padding: Ints,
    dilation: Ints,
    groups: int,
    shown: tuple[tuple[int, ...], tuple[int, ...]],
) -> Tensor:
    """The adjoint of a convolution in its input: (N, C_in, *S) x, (C_in, C_out/groups, *K) w.

    S and K hold 2 (H, W) or 3 (D, H, W) sizes, and every size argument one int for each. Each
    input pixel scatters its channels, through the kernels, into the window it would have been
    computed from (`Fold` adds the overlaps), then `padding` is cut from every side.
    """
    check_weight(op, x, w, groups)
    n, c, *size = x.shape
    cin, og, *kernel = w.shape
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
    full = tuple(
        (i - 1) * s_ + d * (k - 1) + 1
        for i, s_, d, k in zip(size, stride, dilation, kernel, strict=True)
    )
    if any(f + o - 2 * p < 1 for f, o, p in zip(full, output_padding, padding, strict=True)):
        raise ValueError(f"{op}: padding {padding} leaves no output (full size {full})")
    b = bias_arg(op, bias, oc)
    kk, pixels = math.prod(kernel), math.prod(size)
    kernels = w.reshape(g, c // g, og * kk).transpose(1, 2)  # (groups, C_out/g·K, C_in/g)
    cols = kernels @ x.reshape(n, g, c // g, pixels)  # (N, groups, C_out/g·K, pixels)
    if len(size) == 2:
        y = Fold.apply(
            cols.reshape(n, oc * kk, pixels),
            output_size=full,
            kernel_size=tuple(kernel),
            stride=stride,
            dilation=dilation,
        )
    else:
        y = _fold3d(cols.reshape(n, oc, kk, pixels), size, kernel, full, stride, dilation)
    if any(padding) or any(output_padding):  # cut the padding, add output_padding at the end
        pad: tuple[int, ...] = ()
        for p, o in zip(reversed(padding), reversed(output_padding), strict=True):
            pad += (-p, o - p)  # Pad takes the last dimension first
        y = Pad.apply(y, pad=pad, value=0.0)
    return y if b is None else y + b.reshape(1, oc, *(1,) * len(size))


def _fold3d(
    cols: Tensor,
    size: list[int],
    kernel: list[int],
    full: Ints,
    stride: Ints,
    dilation: Ints,
) -> Tensor:
    """(N, C, kd·kh·kw, D·H·W) columns added into (N, C, *full): a 2-D `Fold`, then one in depth.

    The first folds each (kernel plane, input plane) pair over height and width; the second
    adds the planes along the depth, a fold whose windows are one column wide.
    """
    n, oc = cols.shape[:2]
    (kd, kh, kw), (d, h, w) = kernel, size
    v = cols.reshape(n, oc, kd, kh * kw, d, h * w).permute(0, 1, 2, 4, 3, 5)
    planes = Fold.apply(
        v.reshape(n, oc * kd * d * kh * kw, h * w),
        output_size=full[1:],
        kernel_size=(kh, kw),
        stride=stride[1:],
        dilation=dilation[1:],
    )  # (N, C·kd·D, FH, FW)
    area = full[1] * full[2]
    v = planes.reshape(n, oc, kd, d, area).permute(0, 1, 4, 2, 3).reshape(n, oc * area * kd, d)
    y = Fold.apply(
        v,
        output_size=(full[0], 1),
        kernel_size=(kd, 1),
        stride=(stride[0], 1),
        dilation=(dilation[0], 1),
    )  # (N, C·FH·FW, FD, 1)
    return y.reshape(n, oc, full[1], full[2], full[0]).permute(0, 1, 4, 2, 3)


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
    parse: Callable[[str, Any, int], Ints],
    stride: Any,
    padding: Any,
    output: Any,
    dilation: Any,
) -> tuple[Ints, Ints, Ints, Ints]:
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


def transposed_output_padding(
    owner: str,
    x: Tensor | np.ndarray,
    output_size: Sequence[int],
    stride: Sequence[int],
    padding: Sequence[int],
    kernel_size: Sequence[int],
    dilation: Sequence[int],
) -> tuple[int, ...]:
    """The output_padding that makes a transposed convolution `output_size` large, as PyTorch.

    Each size must lie between the smallest, m = (in − 1)s − 2p + d(k − 1) + 1, and m + s − 1;
    the output_padding is size − m. `output_size` holds one size per spatial dimension, or
    also the batch and channel sizes (the channels only, for an unbatched input).

    Raises:
        ValueError: a wrong number of sizes, or a size out of its range.
        TypeError: sizes that are not ints.
    """
    dims = len(kernel_size)
    shape = tuple(np.shape(x))
    non_spatial = 2 if len(shape) == dims + 2 else 1
    sizes = list(output_size)
    if len(sizes) == non_spatial + dims:
        sizes = sizes[non_spatial:]
    if len(sizes) != dims:
        raise ValueError(
            f"{owner}: for {len(shape)}D input, output_size must have {dims} or "
            f"{non_spatial + dims} elements (got {len(sizes)})"
        )
    if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in sizes):
        raise TypeError(f"{owner}: output_size must hold ints, got {tuple(output_size)!r}")
    spatial = shape[non_spatial:]
    smallest = [
        (spatial[i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel_size[i] - 1) + 1
        for i in range(dims)
    ]
    largest = [m + s - 1 for m, s in zip(smallest, stride, strict=True)]
    if any(not lo <= s <= hi for s, lo, hi in zip(sizes, smallest, largest, strict=True)):
        raise ValueError(
            f"{owner}: requested an output size of {[int(s) for s in sizes]}, but valid sizes "
            f"range from {smallest} to {largest} (for an input of {list(spatial)})"
        )
    return tuple(int(s) - m for s, m in zip(sizes, smallest, strict=True))
