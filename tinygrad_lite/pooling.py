"""Pooling on Tensors, as PyTorch's `F`: max and average pools in 1-D and 2-D, adaptive pools.

A pool copies its windows into columns (`Unfold`, after `Pad`), then max pooling picks one
element of each window with `gather` (the one PyTorch picks) and average pooling sums each and
divides. The 1-D pools are the 2-D ones on a height of one; the adaptive pools average (rows,
then columns) or take the maximum over the windows PyTorch's adaptive pools use. Gradients of
every order come from the ops'. Inputs are (N, C, H, W) or (C, H, W), and (N, C, L) or (C, L)
in 1-D.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .convolution import (
    Pair,
    Size,
    batched,
    default_stride,
    float_input,
    pair_arg,
    pool_stride,
    single_arg,
    unbatched,
)
from .ops.window import Pad, Unfold, window_positions
from .resampling import adaptive_means, fresh
from .tensor import Tensor
from .tensor_shape import constant_result

__all__ = [
    "MaxPoolResult",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "max_pool1d",
    "max_pool2d",
]


class _Pool(NamedTuple):
    kernel: Pair
    stride: Pair
    padding: Pair
    dilation: Pair
    out: Pair
    extra: Pair  # rows and columns past the padded input that ceil_mode's last windows reach


def _ceil_positions(op: str, size: int, k: int, s: int, p: int, d: int, what: str) -> int:
    """How many windows ceil_mode places along a dimension of `size` padded by `p`.

    ⌈(size + 2p − d(k − 1) − 1)/s⌉ + 1, less one if that last window would start past the
    input and its left padding: every window starts inside one of them, so it reads at least
    one element or padding on the left.
    """
    out = (size + 2 * p - d * (k - 1) - 1 + s - 1) // s + 1
    if (out - 1) * s >= size + p:
        out -= 1
    if out < 1:
        raise ValueError(
            f"{op}: a kernel of {k} (dilation {d}, so {d * (k - 1) + 1} wide) leaves no window "
            f"in the input's {what} {size} with padding {p}, even with ceil_mode=True"
        )
    return out


def _pool(
    op: str,
    x: Tensor,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    dims: int,
    ceil_mode: bool = False,
) -> _Pool:
    """The windows of a pool over (N, C, H, W) x, checked (errors in the caller's `dims`)."""
    if any(2 * p > k for p, k in zip(padding, kernel, strict=True)):
        shown = (padding[1], kernel[1]) if dims == 1 else (padding, kernel)
        raise ValueError(
            f"{op}: padding {shown[0]} must be at most half the kernel size {shown[1]}"
        )
    size = (x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1])
    if not ceil_mode:
        out = window_positions(size, kernel, stride, dilation, op)
        return _Pool(kernel, stride, padding, dilation, out, (0, 0))
    oh, ow = (
        _ceil_positions(op, x.shape[2 + i], kernel[i], stride[i], padding[i], dilation[i], what)
        for i, what in enumerate(("height", "width"))
    )
    ends = ((oh - 1) * stride[0], (ow - 1) * stride[1])
    spans = (dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1)
    extra = (max(0, ends[0] + spans[0] - size[0]), max(0, ends[1] + spans[1] - size[1]))
    return _Pool(kernel, stride, padding, dilation, (oh, ow), extra)


def _windows(x: Tensor, a: _Pool, fill: float) -> Tensor:
    """(N, C, kh·kw, L): every window's entries, `fill` where they are padding or past it."""
    (ph, pw), (eh, ew) = a.padding, a.extra
    if ph or pw or eh or ew:
        x = Pad.apply(x, pad=(pw, pw + ew, ph, ph + eh), value=fill)
    cols = Unfold.apply(x, kernel_size=a.kernel, stride=a.stride, dilation=a.dilation)
    return cols.reshape(x.shape[0], x.shape[1], a.kernel[0] * a.kernel[1], a.out[0] * a.out[1])


def _entries(a: _Pool, axis: int) -> np.ndarray:
    """(k, out): the input row (axis 0) or column (axis 1) of each window entry; may be outside."""
    steps = np.arange(a.out[axis]) * a.stride[axis]
    return steps[None, :] + np.arange(a.kernel[axis])[:, None] * a.dilation[axis] - a.padding[axis]


def _real_mask(x: Tensor, a: _Pool, margin: Pair = (0, 0)) -> np.ndarray:
    """(kh·kw, L): which entries of each window are input, not padding (fixed by the shapes).

    With a `margin`, which are input or within that many rows or columns of it.
    """
    rows, cols = _entries(a, 0), _entries(a, 1)
    inside_rows = (rows >= -margin[0]) & (rows < x.shape[2] + margin[0])
    inside_cols = (cols >= -margin[1]) & (cols < x.shape[3] + margin[1])
    real = inside_rows[:, None, :, None] & inside_cols[None, :, None, :]  # (kh, kw, OH, OW)
    return real.reshape(a.kernel[0] * a.kernel[1], a.out[0] * a.out[1])


class MaxPoolResult(NamedTuple):
    """`max_pool2d(..., return_indices=True)`: the maxima and their flat positions in H·W."""

    values: Tensor
    indices: Tensor


def max_pick(v: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """The entry PyTorch's max pools pick along the last axis: the last NaN, else the first max.

    `valid` marks the entries that may win (padding never does).
    """
    nan = np.isnan(v)
    last_nan = (v.shape[-1] - 1) - np.argmax(nan[..., ::-1], axis=-1)
    first_max = np.argmax((v == np.max(v, axis=-1, keepdims=True)) & valid, axis=-1)
    return np.where(np.any(nan, axis=-1), last_nan, first_max)


def _max_pool(op: str, x: Tensor, a: _Pool) -> tuple[Tensor, Tensor]:
    """The values (N, C, OH, OW) PyTorch's max pool picks, and their flat positions in H·W."""
    n, c = x.shape[:2]
    length = a.out[0] * a.out[1]
    real = _real_mask(x, a)
    if not real.any(axis=0).all():  # PyTorch reports a position outside the window for it
        raise ValueError(
            f"{op}: with dilation {a.dilation} a window holds only padding, no element of the "
            f"input of size {x.shape[2:]}"
        )
    cols = _windows(x, a, -np.inf)
    pick = max_pick(np.moveaxis(cols.data, 2, -1), real.T)  # (N, C, L)
    values = cols.gather(2, constant_result(pick[:, :, None, :])).reshape(n, c, *a.out)
    i, j = np.divmod(pick, a.kernel[1])  # the kernel entry picked in each window
    p, q = np.divmod(np.arange(length), a.out[1])  # the window's position
    rows = p * a.stride[0] + i * a.dilation[0] - a.padding[0]
    columns = q * a.stride[1] + j * a.dilation[1] - a.padding[1]
    return values, constant_result((rows * x.shape[3] + columns).reshape(n, c, *a.out))


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
    chosen.

    Args:
        input: (N, C, H, W), or (C, H, W) for one example.
        kernel_size: an int or (kh, kw).
        stride: the step between windows (None: the kernel size).
        padding: −∞ around the input, at most half the kernel.
        dilation: the spacing between window elements.
        ceil_mode: count the windows with ⌈·⌉ instead of ⌊·⌋, so that a last, partial window
            covers the input's end; it must start inside the input or its left padding.
            Its entries past the padded input are ignored.
        return_indices: also return each maximum's flat position in its H·W plane.

    Returns:
        (N, C, OH, OW), OH = ⌊(H + 2p − d(kh − 1) − 1)/s⌋ + 1 (⌈·⌉ with ceil_mode), likewise
        OW; with `return_indices`, a `MaxPoolResult` (values, indices).
    """
    op = "max_pool2d"
    x, single = batched(op, float_input(op, input))
    k = pair_arg(op, "kernel_size", kernel_size, 1)
    s, p = pool_stride(op, stride, k), pair_arg(op, "padding", padding, 0)
    a = _pool(op, x, k, s, p, pair_arg(op, "dilation", dilation, 1), 2, bool(ceil_mode))
    values, indices = _max_pool(op, x, a)
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
    """The maximum of each window along L, as PyTorch's `max_pool1d` (see `max_pool2d`).

    The arguments are `max_pool2d`'s with one int each, on (N, C, L) or (C, L) inputs.
    """
    op = "max_pool1d"
    x, single = _as_2d(op, input)
    k, s, p = _window_1d(op, kernel_size, stride, padding)
    a = _pool(op, x, k, s, p, (1, single_arg(op, "dilation", dilation, 1)), 1, bool(ceil_mode))
    values, indices = _max_pool(op, x, a)
    values, indices = unbatched(values.squeeze(2), single), unbatched(indices.squeeze(2), single)
    return MaxPoolResult(values, indices) if return_indices else values


def _avg_pool(x: Tensor, a: _Pool, count_include_pad: bool, divisor: int | None) -> Tensor:
    sums = _windows(x, a, 0.0).sum(2)
    if divisor is not None:
        means = sums / divisor
    elif a.padding == a.extra == (0, 0):
        means = sums / (a.kernel[0] * a.kernel[1])
    else:  # the padding counts if asked, what lies past it never (PyTorch's rule)
        counted = _real_mask(x, a, a.padding if count_include_pad else (0, 0))
        means = sums / np.sum(counted, axis=0).astype(x.dtype)
    return means.reshape(x.shape[0], x.shape[1], *a.out)


def _divisor_arg(op: str, divisor_override: Any) -> int | None:
    if divisor_override is None:
        return None
    if isinstance(divisor_override, bool) or not isinstance(divisor_override, (int, np.integer)):
        raise TypeError(f"{op}: divisor_override must be an int, got {divisor_override!r}")
    if divisor_override == 0:
        raise ValueError(f"{op}: divisor_override must not be 0")
    return int(divisor_override)


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

    Each window's sum is divided by the number of its entries that lie inside the padded input
    (the padding's zeros count) or, with `count_include_pad=False`, inside the input; entries
    of a ceil_mode window past the padded input never count. `divisor_override` divides every
    sum by that number instead.

    Args:
        input: (N, C, H, W), or (C, H, W) for one example.
        kernel_size: an int or (kh, kw).
        stride: the step between windows (None: the kernel size).
        padding: zeros around the input, at most half the kernel.
        ceil_mode: count the windows with ⌈·⌉ instead of ⌊·⌋ (see `max_pool2d`).
        count_include_pad: whether the padding's zeros count in each mean.
        divisor_override: a nonzero int to divide every window's sum by.

    Returns:
        (N, C, OH, OW), sized as `max_pool2d`'s output with dilation 1.
    """
    op = "avg_pool2d"
    x, single = batched(op, float_input(op, input))
    k = pair_arg(op, "kernel_size", kernel_size, 1)
    s, p = pool_stride(op, stride, k), pair_arg(op, "padding", padding, 0)
    a = _pool(op, x, k, s, p, (1, 1), 2, bool(ceil_mode))
    divisor = _divisor_arg(op, divisor_override)
    return unbatched(_avg_pool(x, a, count_include_pad, divisor), single)


def avg_pool1d(
    input: Tensor | np.ndarray,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """The mean of each window along L, as PyTorch's `avg_pool1d` (see `avg_pool2d`).

    The arguments are `avg_pool2d`'s with one int each, without divisor_override.
    """
    op = "avg_pool1d"
    x, single = _as_2d(op, input)
    a = _pool(op, x, *_window_1d(op, kernel_size, stride, padding), (1, 1), 1, bool(ceil_mode))
    return unbatched(_avg_pool(x, a, count_include_pad, None).squeeze(2), single)


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
    given = float_input(op, input)
    x, single = batched(op, given)
    oh, ow = _output_size(op, output_size, x.shape[2:])
    return fresh(unbatched(adaptive_means(adaptive_means(x, 2, oh), 3, ow), single), given)


def adaptive_avg_pool1d(input: Tensor | np.ndarray, output_size: Any) -> Tensor:
    """Means over windows that cover L in `output_size` steps, as PyTorch's."""
    op = "adaptive_avg_pool1d"
    x = float_input(op, input)
    if x.ndim not in (2, 3):
        raise ValueError(f"{op}: expected an input of shape (N, C, L) or (C, L), got {x.shape}")
    (out,) = _output_size(op, output_size, x.shape[-1:])
    return fresh(adaptive_means(x, -1, out), x)


def _adaptive_windows(n: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's adaptive windows along a dimension of n: from ⌊i·n/out⌋ to ⌈(i + 1)·n/out⌉."""
    i = np.arange(out)
    return (i * n) // out, -((-(i + 1) * n) // out)


def _adaptive_max(x: Tensor, out: Pair) -> tuple[Tensor, Tensor]:
    """The maxima of (..., H, W) x over the adaptive windows, and their flat positions in H·W.

    Each window's entries are listed in row-major order (padded to the largest window with
    entries that never win); the pick is max_pool's: the last NaN, else the first maximum.
    """
    h, w = x.shape[-2:]
    (r0, r1), (c0, c1) = _adaptive_windows(h, out[0]), _adaptive_windows(w, out[1])
    rows = r0[:, None] + np.arange(np.max(r1 - r0))  # (OH, kh)
    cols = c0[:, None] + np.arange(np.max(c1 - c0))  # (OW, kw)
    valid = (rows < r1[:, None])[:, None, :, None] & (cols < c1[:, None])[None, :, None, :]
    flat = np.minimum(rows, h - 1)[:, None, :, None] * w + np.minimum(cols, w - 1)[None, :, None, :]
    length, size = out[0] * out[1], flat.shape[2] * flat.shape[3]
    flat, valid = flat.reshape(length, size), valid.reshape(length, size)
    xf = x.reshape(-1, h * w)
    pick = max_pick(np.where(valid, xf.data[:, flat], -np.inf), valid)  # (B, L)
    index = flat[np.arange(length), pick]
    shape = (*x.shape[:-2], *out)
    values = xf.gather(1, constant_result(index)).reshape(shape)
    return values, constant_result(index.reshape(shape))


def adaptive_max_pool2d(
    input: Tensor | np.ndarray, output_size: Any, return_indices: bool = False
) -> Any:
    """Maxima over windows that cover H and W in `output_size` steps, as PyTorch's.

    Output row i takes the maximum over input rows ⌊i·H/OH⌋ to ⌈(i + 1)·H/OH⌉ (exclusive), the
    windows of `adaptive_avg_pool2d`, and likewise for the columns. Of equal maxima the first
    in row-major order is picked, and the last NaN if the window holds any (as `max_pool2d`);
    the gradient goes to the picked element.

    Args:
        input: (N, C, H, W), or (C, H, W) for one example.
        output_size: an int or (OH, OW), each >= 1, None keeping that size of the input.
        return_indices: also return each maximum's flat position in its H·W plane.

    Returns:
        (N, C, OH, OW); with `return_indices`, a `MaxPoolResult` (values, indices).

    Raises:
        ValueError: an input that is not 3-D or 4-D, or output sizes that are not ints >= 1.
        TypeError: an input that is not floating-point.

    >>> import tinygrad_lite as tg
    >>> x = tg.tensor([[[[1.0, 5.0, 2.0], [4.0, 0.0, 6.0]]]])
    >>> v, i = adaptive_max_pool2d(x, (1, 2), return_indices=True)
    >>> v.tolist(), i.tolist()
    ([[[[5.0, 6.0]]]], [[[[1, 5]]]])
    """
    op = "adaptive_max_pool2d"
    x, single = batched(op, float_input(op, input))
    (oh, ow) = _output_size(op, output_size, x.shape[2:])
    values, indices = _adaptive_max(x, (oh, ow))
    values, indices = unbatched(values, single), unbatched(indices, single)
    return MaxPoolResult(values, indices) if return_indices else values


def adaptive_max_pool1d(
    input: Tensor | np.ndarray, output_size: Any, return_indices: bool = False
) -> Any:
    """Maxima over windows that cover L in `output_size` steps, as PyTorch's.

    `adaptive_max_pool2d` on (N, C, L) or (C, L) inputs, with one output size: window i runs
    from ⌊i·L/OL⌋ to ⌈(i + 1)·L/OL⌉, and the indices are positions along L.
    """
    op = "adaptive_max_pool1d"
    x = float_input(op, input)
    if x.ndim not in (2, 3):
        raise ValueError(f"{op}: expected an input of shape (N, C, L) or (C, L), got {x.shape}")
    (out,) = _output_size(op, output_size, x.shape[-1:])
    values, indices = _adaptive_max(x.unsqueeze(-2), (1, out))
    values, indices = values.squeeze(-2), indices.squeeze(-2)
    return MaxPoolResult(values, indices) if return_indices else values
