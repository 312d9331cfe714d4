"""Pooling on Tensors, as PyTorch's `F`: max and average pools in 1-D and 2-D, adaptive means.

A pool copies its windows into columns (`Unfold`, after `Pad`), then max pooling picks one
element of each window with `gather` (the one PyTorch picks) and average pooling sums each and
divides. The 1-D pools are the 2-D ones on a height of one; the adaptive pools average the
windows PyTorch's adaptive pools use, rows then columns. Gradients of every order come from the
ops'. Inputs are (N, C, H, W) or (C, H, W), and (N, C, L) or (C, L) in 1-D.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from .convolution import (
    Pair,
    Size,
    batched,
    default_stride,
    float_input,
    padded,
    pair_arg,
    pool_stride,
    single_arg,
    unbatched,
)
from .ops import Cat
from .ops.window import Unfold, window_positions
from .tensor import Tensor
from .tensor_shape import constant_result

__all__ = [
    "MaxPoolResult",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "max_pool1d",
    "max_pool2d",
    "refuse_ceil_mode",
]


class _Pool(NamedTuple):
    kernel: Pair
    stride: Pair
    padding: Pair
    dilation: Pair
    out: Pair


def _pool(
    op: str, x: Tensor, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, dims: int
) -> _Pool:
    """The windows of a pool over (N, C, H, W) x, checked (errors in the caller's `dims`)."""
    if any(2 * p > k for p, k in zip(padding, kernel, strict=True)):
        shown = (padding[1], kernel[1]) if dims == 1 else (padding, kernel)
        raise ValueError(
            f"{op}: padding {shown[0]} must be at most half the kernel size {shown[1]}"
        )
    size = (x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1])
    return _Pool(
        kernel, stride, padding, dilation, window_positions(size, kernel, stride, dilation, op)
    )


def _entries(a: _Pool, axis: int) -> np.ndarray:
    """(k, out): the input row (axis 0) or column (axis 1) of each window entry; may be outside."""
    steps = np.arange(a.out[axis]) * a.stride[axis]
    return steps[None, :] + np.arange(a.kernel[axis])[:, None] * a.dilation[axis] - a.padding[axis]


def _real_mask(x: Tensor, a: _Pool) -> np.ndarray:
    """(kh·kw, L): which entries of each window are input, not padding (fixed by the shapes)."""
    rows, cols = _entries(a, 0), _entries(a, 1)
    inside_rows = (rows >= 0) & (rows < x.shape[2])
    inside_cols = (cols >= 0) & (cols < x.shape[3])
    real = inside_rows[:, None, :, None] & inside_cols[None, :, None, :]  # (kh, kw, OH, OW)
    return real.reshape(a.kernel[0] * a.kernel[1], a.out[0] * a.out[1])


class MaxPoolResult(NamedTuple):
    """`max_pool2d(..., return_indices=True)`: the maxima and their flat positions in H·W."""

    values: Tensor
    indices: Tensor


def _max_pool(x: Tensor, a: _Pool) -> tuple[Tensor, Tensor]:
    """The values (N, C, OH, OW) PyTorch's max pool picks, and their flat positions in H·W."""
    n, c = x.shape[:2]
    kk, length = a.kernel[0] * a.kernel[1], a.out[0] * a.out[1]
    cols = Unfold.apply(
        padded(x, a.padding, -np.inf), kernel_size=a.kernel, stride=a.stride, dilation=a.dilation
    )
    cols = cols.reshape(n, c, kk, length)
    v, real = cols.data, _real_mask(x, a)
    nan = np.isnan(v)
    last_nan = (kk - 1) - np.argmax(nan[:, :, ::-1], axis=2)
    first_max = np.argmax((v == np.max(v, axis=2, keepdims=True)) & real, axis=2)
    pick = np.where(np.any(nan, axis=2), last_nan, first_max)  # (N, C, L)
    values = cols.gather(2, constant_result(pick[:, :, None, :])).reshape(n, c, *a.out)
    i, j = np.divmod(pick, a.kernel[1])  # the kernel entry picked in each window
    p, q = np.divmod(np.arange(length), a.out[1])  # the window's position
    rows = p * a.stride[0] + i * a.dilation[0] - a.padding[0]
    columns = q * a.stride[1] + j * a.dilation[1] - a.padding[1]
    return values, constant_result((rows * x.shape[3] + columns).reshape(n, c, *a.out))


def refuse_ceil_mode(op: str, ceil_mode: bool) -> None:
    """Raise for ceil_mode=True: windows past the input's end are not supported."""
    if ceil_mode:
        raise ValueError(f"{op}: ceil_mode=True is not supported (pad the input instead)")


def max_pool2d(
    input: Tensor | np.ndarray,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """The maximum of each window, as PyTorch's `max_pool2d` (stride defaults to the kernel).

    The gradient goes to one element of each window, the one PyTorch picks: the first maximum
    in row-major order, or the last NaN if the window holds any. Padding is −∞ and never
    chosen. With `return_indices=True` it returns (values, indices), the indices flat
    positions in each H·W plane.
    """
    op = "max_pool2d"
    refuse_ceil_mode(op, ceil_mode)
    x, single = batched(op, float_input(op, input))
    k = pair_arg(op, "kernel_size", kernel_size, 1)
    s, p = pool_stride(op, stride, k), pair_arg(op, "padding", padding, 0)
    a = _pool(op, x, k, s, p, pair_arg(op, "dilation", dilation, 1), 2)
    values, indices = _max_pool(x, a)
    if not return_indices:
        return unbatched(values, single)
    return MaxPoolResult(unbatched(values, single), unbatched(indices, single))


def _as_2d(op: str, input: Any) -> tuple[Tensor, bool]:
    """(N, C, L) or (C, L) input as (N, C, 1, L), and whether it came without the batch."""
    x = float_input(op, input)
    if x.ndim not in (2, 3):
        raise ValueError(f"{op}: expected an input of shape (N, C, L) or (C, L), got {x.shape}")
    single = x.ndim == 2
    return (x.unsqueeze(0) if single else x).unsqueeze(2), single


def _window_1d(op: str, kernel_size: Any, stride: Any, padding: Any) -> tuple[Pair, Pair, Pair]:
    k = (1, single_arg(op, "kernel_size", kernel_size, 1))
    s = k if default_stride(stride) else (1, single_arg(op, "stride", stride, 1))
    return k, s, (0, single_arg(op, "padding", padding, 0))


def max_pool1d(
    input: Tensor | np.ndarray,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """The maximum of each window along L, as PyTorch's `max_pool1d` (see `max_pool2d`)."""
    op = "max_pool1d"
    refuse_ceil_mode(op, ceil_mode)
    x, single = _as_2d(op, input)
    k, s, p = _window_1d(op, kernel_size, stride, padding)
    a = _pool(op, x, k, s, p, (1, single_arg(op, "dilation", dilation, 1)), 1)
    values, indices = _max_pool(x, a)
    values, indices = unbatched(values.squeeze(2), single), unbatched(indices.squeeze(2), single)
    return MaxPoolResult(values, indices) if return_indices else values


def _avg_pool(x: Tensor, a: _Pool, count_include_pad: bool, divisor: int | None) -> Tensor:
    n, c = x.shape[:2]
    kk, length = a.kernel[0] * a.kernel[1], a.out[0] * a.out[1]
    cols = Unfold.apply(padded(x, a.padding, 0.0), kernel_size=a.kernel, stride=a.stride)
    sums = cols.reshape(n, c, kk, length).sum(2)
    if divisor is not None:
        means = sums / divisor
    elif count_include_pad or a.padding == (0, 0):
        means = sums / kk
    else:
        means = sums / np.sum(_real_mask(x, a), axis=0).astype(x.dtype)
    return means.reshape(n, c, *a.out)


def avg_pool2d(
    input: Tensor | np.ndarray,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """The mean of each window, as PyTorch's `avg_pool2d` (stride defaults to the kernel).

    The zeros of the padding count in the mean unless `count_include_pad=False`;
    `divisor_override` divides every window's sum by that number instead.
    """
    op = "avg_pool2d"
    refuse_ceil_mode(op, ceil_mode)
    x, single = batched(op, float_input(op, input))
    k = pair_arg(op, "kernel_size", kernel_size, 1)
    a = _pool(op, x, k, pool_stride(op, stride, k), pair_arg(op, "padding", padding, 0), (1, 1), 2)
    divisor = None
    if divisor_override is not None:
        if isinstance(divisor_override, bool) or not isinstance(
            divisor_override, (int, np.integer)
        ):
            raise TypeError(f"{op}: divisor_override must be an int, got {divisor_override!r}")
        if divisor_override == 0:
            raise ValueError(f"{op}: divisor_override must not be 0")
        divisor = int(divisor_override)
    return unbatched(_avg_pool(x, a, count_include_pad, divisor), single)


def avg_pool1d(
    input: Tensor | np.ndarray,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """The mean of each window along L, as PyTorch's `avg_pool1d` (see `avg_pool2d`)."""
    op = "avg_pool1d"
    refuse_ceil_mode(op, ceil_mode)
    x, single = _as_2d(op, input)
    a = _pool(op, x, *_window_1d(op, kernel_size, stride, padding), (1, 1), 1)
    return unbatched(_avg_pool(x, a, count_include_pad, None).squeeze(2), single)


def _adaptive_means(x: Tensor, dim: int, out: int) -> Tensor:
    """Means over PyTorch's adaptive windows along `dim`: ⌊i·n/out⌋ to ⌈(i + 1)·n/out⌉."""
    n = x.shape[dim]
    if out == n:
        return x
    parts = []
    for i in range(out):
        lo, hi = (i * n) // out, math.ceil((i + 1) * n / out)
        index = (slice(None),) * (dim % x.ndim) + (slice(lo, hi),)
        parts.append(x[index].mean(dim, keepdim=True))
    return Cat.apply(*parts, dim=dim % x.ndim)


def _output_size(op: str, output_size: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The output's trailing sizes: ints >= 1, None keeping the input's size."""
    sizes = (
        (output_size,) * len(shape) if not isinstance(output_size, (tuple, list)) else output_size
    )
    if len(sizes) != len(shape):
        raise ValueError(f"{op}: output_size must give {len(shape)} sizes, got {output_size!r}")
    kept = tuple(n if s is None else s for s, n in zip(sizes, shape, strict=True))
    for s in kept:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1:
            raise ValueError(
                f"{op}: output_size must hold ints >= 1 (or None), got {output_size!r}"
            )
    return tuple(int(s) for s in kept)


def adaptive_avg_pool2d(input: Tensor | np.ndarray, output_size: Any) -> Tensor:
    """Means over windows that cover H and W in `output_size` steps, as PyTorch's.

    `output_size` is an int or (OH, OW), None keeping that size; (1, 1) is the global average
    pooling that ends many convolutional networks.
    """
    op = "adaptive_avg_pool2d"
    x, single = batched(op, float_input(op, input))
    oh, ow = _output_size(op, output_size, x.shape[2:])
    return unbatched(_adaptive_means(_adaptive_means(x, 2, oh), 3, ow), single)


def adaptive_avg_pool1d(input: Tensor | np.ndarray, output_size: Any) -> Tensor:
    """Means over windows that cover L in `output_size` steps, as PyTorch's."""
    op = "adaptive_avg_pool1d"
    x = float_input(op, input)
    if x.ndim not in (2, 3):
        raise ValueError(f"{op}: expected an input of shape (N, C, L) or (C, L), got {x.shape}")
    (out,) = _output_size(op, output_size, x.shape[-1:])
    return _adaptive_means(x, -1, out)
