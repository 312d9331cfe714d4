"""Convolution and pooling of volumes, as PyTorch's `F`: conv3d, max/avg pools, adaptive pools.

Inputs are (N, C, D, H, W), or (C, D, H, W) for one example. Each function is a composition of
differentiable ops, so its gradients of every order come from theirs: the padded input is cut
into its windows (a strided slice along the depth for each kernel plane, then `Unfold` over
height and width), the windows are stacked into (N, C, kd·kh·kw, OD, OH, OW), and then a
convolution is one matrix product with the flattened kernels, max pooling picks PyTorch's
element of each window with `gather`, and average pooling sums each window and divides.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .convolution import (
    Size,
    bias_arg,
    check_weight,
    default_stride,
    float_input,
    sizes_arg,
    unbatched,
)
from .ops import Cat
from .ops.window import Pad, Unfold
from .pooling import (
    MaxPoolResult,
    _adaptive_windows,
    _ceil_positions,
    _divisor_arg,
    _output_size,
    max_pick,
)
from .resampling import adaptive_means, fresh
from .tensor import Tensor
from .tensor_shape import constant_result

__all__ = [
    "adaptive_avg_pool3d",
    "adaptive_max_pool3d",
    "avg_pool3d",
    "conv3d",
    "max_pool3d",
]

Triple = tuple[int, int, int]
_WHAT = ("depth", "height", "width")


def _batched(op: str, x: Tensor) -> tuple[Tensor, bool]:
    """The input as (N, C, D, H, W), and whether it came without the batch dimension."""
    if x.ndim == 4:
        return x.unsqueeze(0), True
    if x.ndim != 5:
        raise ValueError(
            f"{op}: expected an input of shape (N, C, D, H, W) or (C, D, H, W), got {x.shape}"
        )
    return x, False


def _triple(op: str, name: str, v: Any, minimum: int) -> Triple:
    a, b, c = sizes_arg(op, name, v, minimum, 3)
    return a, b, c


class _Windows(NamedTuple):
    kernel: Triple
    stride: Triple
    dilation: Triple
    out: Triple


def _fit(op: str, size: Triple, kernel: Triple, stride: Triple, dilation: Triple) -> _Windows:
    """The windows over a (padded) volume of `size`; refuses a kernel that does not fit."""
    out = []
    for s, k, st, d, what in zip(size, kernel, stride, dilation, _WHAT, strict=True):
        span = d * (k - 1) + 1
        if s < span:
            raise ValueError(
                f"{op}: a kernel of {k} (dilation {d}, so {span} wide) does not fit in the "
                f"input's {what} {s}"
            )
        out.append((s - span) // st + 1)
    return _Windows(kernel, stride, dilation, (out[0], out[1], out[2]))


def _windows(x: Tensor, a: _Windows) -> Tensor:
    """(N, C, kd·kh·kw, OD, OH, OW): every window's entries of the (padded) x, kernel-major.

    The kernel index runs over (depth, row, column) in row-major order, as PyTorch flattens a
    kernel and as its max pools scan a window.
    """
    n, c, _, hp, wp = x.shape
    (kd, kh, kw), (sd, sh, sw), (dd, dh, dw), (od, oh, ow) = a
    planes = []
    for i in range(kd):  # the depth positions that kernel plane i visits, then Unfold each
        start = i * dd
        xs = x[:, :, start : start + sd * (od - 1) + 1 : sd].reshape(n, c * od, hp, wp)
        cols = Unfold.apply(xs, kernel_size=(kh, kw), stride=(sh, sw), dilation=(dh, dw))
        planes.append(cols.reshape(n, c, od, 1, kh * kw, oh * ow))
    stacked = planes[0] if kd == 1 else Cat.apply(*planes, dim=3)  # (N, C, OD, kd, kh·kw, L)
    return stacked.permute(0, 1, 3, 4, 2, 5).reshape(n, c, kd * kh * kw, od, oh, ow)


def _padding(
    op: str, padding: Any, stride: Triple, kernel: Triple, dilation: Triple
) -> tuple[int, ...]:
    """(left, right) widths per dimension, depth first, flattened as (d₀, d₁, h₀, h₁, w₀, w₁)."""
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"{op}: padding must be 'valid', 'same' or ints, got {padding!r}")
        if padding == "valid":
            return (0, 0, 0, 0, 0, 0)
        if stride != (1, 1, 1):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
        totals = [d * (k - 1) for d, k in zip(dilation, kernel, strict=True)]
        return tuple(w for t in totals for w in (t // 2, t - t // 2))
    p = _triple(op, "padding", padding, 0)
    return (p[0], p[0], p[1], p[1], p[2], p[2])


def conv3d(
    input: Tensor | np.ndarray,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Size = 1,
    padding: Size | str = 0,
    dilation: Size = 1,
    groups: int = 1,
) -> Tensor:
    """3-D cross-correlation, as PyTorch's `conv3d`: y[n, o] = b[o] + Σ_c W[o, c] ⋆ x[n, c].

    y[n, o, z, i, j] = b[o] + Σ_{c,a,p,q} W[o, c, a, p, q] · x[n, c, z·s₀ + a·d₀, i·s₁ + p·d₁,
    j·s₂ + q·d₂] over the zero-padded input, with the channels split into `groups`.

    Args:
        input: (N, C_in, D, H, W), or (C_in, D, H, W) for one example.
        weight: (C_out, C_in / groups, kd, kh, kw).
        bias: (C_out,) or None.
        stride: the step between windows, an int or (depth, down, across).
        padding: zeros around the input: an int, three ints, "valid" (none) or "same" (the
            output as large as the input; stride 1 only, the odd element of d(k − 1) on the
            right, as PyTorch).
        dilation: the spacing between kernel elements.
        groups: split the channels into this many groups, each convolved with its own
            C_out / groups kernels.

    Returns:
        (N, C_out, D_out, H_out, W_out), D_out = ⌊(D + 2p − d(kd − 1) − 1)/s⌋ + 1 (likewise).

    Raises:
        ValueError: shapes that do not fit together, sizes out of range, a kernel larger than
            the padded input, or "same" with a stride.
        TypeError: a non-floating input, dtypes that differ, or sizes that are not ints.
    """
    op = "conv3d"
    x, single = _batched(op, float_input(op, input))
    w = weight if isinstance(weight, Tensor) else Tensor(weight)
    if w.ndim != 5:
        raise ValueError(f"{op}: weight must be (C_out, C_in/groups, kd, kh, kw), got {w.shape}")
    check_weight(op, x, w, groups)
    s, d = _triple(op, "stride", stride, 1), _triple(op, "dilation", dilation, 1)
    n, c = x.shape[:2]
    oc, cg = w.shape[:2]
    k: Triple = (w.shape[2], w.shape[3], w.shape[4])
    if c != cg * groups:
        raise ValueError(
            f"{op}: weight {w.shape} with groups={groups} expects {cg * groups} input "
            f"channels, got an input of shape {tuple(np.shape(input))} with {c}"
        )
    if oc % groups:
        raise ValueError(f"{op}: {oc} output channels do not split into {groups} groups")
    b = bias_arg(op, bias, oc, x.dtype)
    widths = _padding(op, padding, s, k, d)
    if any(widths):  # Pad takes the last dimension first
        x = Pad.apply(x, pad=tuple(widths[4:6]) + tuple(widths[2:4]) + tuple(widths[0:2]))
    size: Triple = (x.shape[2], x.shape[3], x.shape[4])
    a = _fit(op, size, k, s, d)
    length = a.out[0] * a.out[1] * a.out[2]
    kk = k[0] * k[1] * k[2]
    cols = _windows(x, a).reshape(n, c * kk, length)
    if groups == 1:
        y = w.reshape(oc, c * kk) @ cols  # (N, C_out, L)
    else:
        g = int(groups)
        y = w.reshape(g, oc // g, cg * kk) @ cols.reshape(n, g, cg * kk, length)
    y = y.reshape(n, oc, *a.out)
    if b is not None:
        y = y + b.reshape(1, oc, 1, 1, 1)
    return unbatched(y, single)


class _Pool(NamedTuple):
    windows: _Windows
    padding: Triple
    extra: Triple  # what ceil_mode's last windows reach past the padded input, per dimension


def _pool(
    op: str, x: Tensor, kernel: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool
) -> _Pool:
    """The windows of a pool over (N, C, D, H, W) x, checked as PyTorch checks them."""
    k = _triple(op, "kernel_size", kernel, 1)
    s = k if default_stride(stride) else _triple(op, "stride", stride, 1)
    p, d = _triple(op, "padding", padding, 0), _triple(op, "dilation", dilation, 1)
    if any(2 * pi > ki for pi, ki in zip(p, k, strict=True)):
        raise ValueError(f"{op}: padding {p} must be at most half the kernel size {k}")
    size: Triple = (x.shape[2] + 2 * p[0], x.shape[3] + 2 * p[1], x.shape[4] + 2 * p[2])
    if not ceil_mode:
        return _Pool(_fit(op, size, k, s, d), p, (0, 0, 0))
    out, extra = [], []
    for i, what in enumerate(_WHAT):
        o = _ceil_positions(op, x.shape[2 + i], k[i], s[i], p[i], d[i], what)
        span = d[i] * (k[i] - 1) + 1
        out.append(o)
        extra.append(max(0, (o - 1) * s[i] + span - size[i]))
    a = _Windows(k, s, d, (out[0], out[1], out[2]))
    return _Pool(a, p, (extra[0], extra[1], extra[2]))


def _entries(x: Tensor, a: _Pool) -> list[np.ndarray]:
    """Per dimension, (k, out): the input position of each window entry (may lie outside)."""
    w = a.windows
    return [
        (np.arange(w.out[i]) * w.stride[i])[None, :]
        + np.arange(w.kernel[i])[:, None] * w.dilation[i]
        - a.padding[i]
        for i in range(3)
    ]


def _real_mask(x: Tensor, a: _Pool, margin: Triple = (0, 0, 0)) -> np.ndarray:
    """(K, L): which entries of each window lie in the input, or within `margin` of it."""
    inside = [
        (e >= -m) & (e < x.shape[2 + i] + m)
        for i, (e, m) in enumerate(zip(_entries(x, a), margin, strict=True))
    ]
    real = (
        inside[0][:, None, None, :, None, None]
        & inside[1][None, :, None, None, :, None]
        & inside[2][None, None, :, None, None, :]
    )  # (kd, kh, kw, OD, OH, OW)
    w = a.windows
    return real.reshape(int(np.prod(w.kernel)), int(np.prod(w.out)))


def _pool_windows(x: Tensor, a: _Pool, fill: float) -> Tensor:
    """(N, C, K, L): every window's entries, `fill` where they are padding or past it."""
    p, e = a.padding, a.extra
    if any(p) or any(e):
        x = Pad.apply(x, pad=(p[2], p[2] + e[2], p[1], p[1] + e[1], p[0], p[0] + e[0]), value=fill)
    cols = _windows(x, a.windows)
    return cols.reshape(x.shape[0], x.shape[1], cols.shape[2], int(np.prod(a.windows.out)))


def max_pool3d(
    input: Tensor | np.ndarray,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """The maximum of each window, as PyTorch's `max_pool3d` (stride defaults to the kernel).

    y[n, c, z, i, j] = max over the window's entries x[n, c, z·s₀ + a·d₀ − p₀, ...]. The
    gradient goes to one element of each window, the one PyTorch picks: the first maximum in
    (depth, row, column) order, or the last NaN if the window holds any; the padding is −∞
    and never picked.

    Args:
        input: (N, C, D, H, W), or (C, D, H, W) for one example.
        kernel_size: an int or (kd, kh, kw).
        stride: the step between windows (None: the kernel size).
        padding: −∞ around the input, at most half the kernel.
        dilation: the spacing between window elements.
        ceil_mode: count the windows with ⌈·⌉ instead of ⌊·⌋; the last window must start
            inside the input or its left padding, and its entries past the padding are ignored.
        return_indices: also return each maximum's flat position in its D·H·W volume.

    Returns:
        (N, C, OD, OH, OW), OD = ⌊(D + 2p − d(kd − 1) − 1)/s⌋ + 1 (⌈·⌉ with ceil_mode),
        likewise OH and OW; with `return_indices`, a `MaxPoolResult` (values, indices).
    """
    op = "max_pool3d"
    x, single = _batched(op, float_input(op, input))
    a = _pool(op, x, kernel_size, stride, padding, dilation, bool(ceil_mode))
    real = _real_mask(x, a)
    if not real.any(axis=0).all():
        raise ValueError(
            f"{op}: with dilation {a.windows.dilation} a window holds only padding, no element "
            f"of the input of size {x.shape[2:]}"
        )
    n, c = x.shape[:2]
    cols = _pool_windows(x, a, -np.inf)  # (N, C, K, L)
    pick = max_pick(np.moveaxis(cols.data, 2, -1), real.T)  # (N, C, L)
    out = a.windows.out
    values = cols.gather(2, constant_result(pick[:, :, None, :])).reshape(n, c, *out)
    entries = _entries(x, a)
    kernel = a.windows.kernel
    ka, kb, kc = np.unravel_index(pick, kernel)  # the kernel entry picked in each window
    za, zb, zc = np.unravel_index(np.arange(int(np.prod(out))), out)  # the window's position
    depth, row, col = entries[0][ka, za], entries[1][kb, zb], entries[2][kc, zc]
    flat = (depth * x.shape[3] + row) * x.shape[4] + col
    values = unbatched(values, single)
    if not return_indices:
        return values
    return MaxPoolResult(values, unbatched(constant_result(flat.reshape(n, c, *out)), single))


def avg_pool3d(
    input: Tensor | np.ndarray,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """The mean of each window, as PyTorch's `avg_pool3d` (stride defaults to the kernel).

    y = (Σ of the window's entries) / m, m the number of the window's entries inside the padded
    input (the padding's zeros count) or, with `count_include_pad=False`, inside the input;
    entries of a ceil_mode window past the padded input never count. `divisor_override`
    divides every sum by that number instead.

    Args:
        input: (N, C, D, H, W), or (C, D, H, W) for one example.
        kernel_size: an int or (kd, kh, kw).
        stride: the step between windows (None: the kernel size).
        padding: zeros around the input, at most half the kernel.
        ceil_mode: count the windows with ⌈·⌉ instead of ⌊·⌋ (see `max_pool3d`).
        count_include_pad: whether the padding's zeros count in each mean.
        divisor_override: a nonzero int to divide every window's sum by.

    Returns:
        (N, C, OD, OH, OW), sized as `max_pool3d`'s output with dilation 1.
    """
    op = "avg_pool3d"
    x, single = _batched(op, float_input(op, input))
    divisor = _divisor_arg(op, divisor_override)
    a = _pool(op, x, kernel_size, stride, padding, 1, bool(ceil_mode))
    sums = _pool_windows(x, a, 0.0).sum(2)
    if divisor is not None:
        means = sums / divisor
    elif not any(a.padding) and not any(a.extra):
        means = sums / int(np.prod(a.windows.kernel))
    else:  # the padding counts if asked, what lies past it never (PyTorch's rule)
        counted = _real_mask(x, a, a.padding if count_include_pad else (0, 0, 0))
        means = sums / np.sum(counted, axis=0).astype(x.dtype)
    return unbatched(means.reshape(x.shape[0], x.shape[1], *a.windows.out), single)


def adaptive_avg_pool3d(input: Tensor | np.ndarray, output_size: Any) -> Tensor:
    """Means over windows that cover D, H and W in `output_size` steps, as PyTorch's.

    Output position i along a dimension of n averages input positions ⌊i·n/out⌋ to
    ⌈(i + 1)·n/out⌉ (exclusive); `output_size` is an int or (OD, OH, OW), None keeping that
    size. The result is always new memory, as PyTorch's.
    """
    op = "adaptive_avg_pool3d"
    given = float_input(op, input)
    x, _ = _batched(op, given)
    od, oh, ow = _output_size(op, output_size, x.shape[2:])
    y = adaptive_means(adaptive_means(adaptive_means(given, -3, od), -2, oh), -1, ow)
    return fresh(y, given)


def _adaptive_entries(n: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """(out, k) positions of PyTorch's adaptive windows along a dimension, and which are real."""
    lo, hi = _adaptive_windows(n, out)
    pos = lo[:, None] + np.arange(np.max(hi - lo))
    return np.minimum(pos, n - 1), pos < hi[:, None]


def adaptive_max_pool3d(
    input: Tensor | np.ndarray, output_size: Any, return_indices: bool = False
) -> Any:
    """Maxima over windows that cover D, H and W in `output_size` steps, as PyTorch's.

    The windows are `adaptive_avg_pool3d`'s. Of equal maxima the first in (depth, row,
    column) order is picked, and the last NaN if the window holds any (as `max_pool3d`); the
    gradient goes to the picked element.

    Args:
        input: (N, C, D, H, W), or (C, D, H, W) for one example.
        output_size: an int or (OD, OH, OW), each >= 1, None keeping that size of the input.
        return_indices: also return each maximum's flat position in its D·H·W volume.

    Returns:
        (N, C, OD, OH, OW); with `return_indices`, a `MaxPoolResult` (values, indices).
    """
    op = "adaptive_max_pool3d"
    x, single = _batched(op, float_input(op, input))
    d, h, w = x.shape[2:]
    od, oh, ow = _output_size(op, output_size, (d, h, w))
    out = (od, oh, ow)
    (pd, vd), (ph, vh), (pw, vw) = (
        _adaptive_entries(s, o) for s, o in zip((d, h, w), out, strict=True)
    )
    # (OD, OH, OW, kd, kh, kw): each window's flat positions in D·H·W, and which are its own
    flat = (
        pd[:, None, None, :, None, None] * (h * w)
        + ph[None, :, None, None, :, None] * w
        + pw[None, None, :, None, None, :]
    )
    valid = vd[:, None, None, :, None, None] & vh[None, :, None, None, :, None]
    valid = valid & vw[None, None, :, None, None, :]
    length = out[0] * out[1] * out[2]
    flat, valid = flat.reshape(length, -1), valid.reshape(length, -1)
    xf = x.reshape(x.shape[0] * x.shape[1], d * h * w)
    pick = max_pick(np.where(valid, xf.data[:, flat], -np.inf), valid)  # (B, L)
    index = flat[np.arange(length), pick]
    shape = (x.shape[0], x.shape[1], *out)
    values = unbatched(xf.gather(1, constant_result(index)).reshape(shape), single)
    if not return_indices:
        return values
    return MaxPoolResult(values, unbatched(constant_result(index.reshape(shape)), single))
