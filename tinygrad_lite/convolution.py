"""Convolution and pooling on Tensors, as PyTorch's `F`: pad, unfold, fold, conv2d, the pools.

Each is a composition of ops, so its gradients of every order come from theirs: `Pad` adds the
border, `Unfold` copies every window into a column, and then a convolution is one matrix product
with the flattened kernels, max pooling picks one element of each window with `gather`, and
average pooling sums each window and divides. Inputs are (N, C, H, W), batch first and channels
first as in PyTorch, or (C, H, W) for a single example. Only the values PyTorch's functions
compute are computed: an argument they would refuse, or one not supported here, is refused with
its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from .ops.window import Fold, Pad, Unfold, window_positions
from .tensor import Tensor
from .tensor_shape import constant_result

__all__ = [
    "MaxPoolResult",
    "avg_pool2d",
    "conv2d",
    "fold",
    "max_pool2d",
    "numpy_pad",
    "pad",
    "pair_arg",
    "unfold",
]

Pair = tuple[int, int]
Size = int | Sequence[int]


def pair_arg(op: str, name: str, v: Any, minimum: int) -> Pair:
    """An int or two ints, as a checked pair of ints >= `minimum`."""
    items = (v, v) if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else v
    try:
        pair = tuple(items)
    except TypeError:
        raise TypeError(f"{op}: {name} must be an int or two ints, got {v!r}") from None
    if len(pair) != 2 or any(
        isinstance(i, bool) or not isinstance(i, (int, np.integer)) for i in pair
    ):
        raise TypeError(f"{op}: {name} must be an int or two ints, got {v!r}")
    if any(i < minimum for i in pair):
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {v!r}")
    return int(pair[0]), int(pair[1])


def _float_input(op: str, x: Any) -> Tensor:
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: needs a floating-point input, got dtype {x.dtype}")
    return x


def _batched(op: str, x: Tensor, what: str = "(N, C, H, W) or (C, H, W)") -> tuple[Tensor, bool]:
    """The input as (N, C, H, W), and whether it came without the batch dimension."""
    if x.ndim == 3:
        return x.unsqueeze(0), True
    if x.ndim != 4:
        raise ValueError(f"{op}: expected an input of shape {what}, got {x.shape}")
    return x, False


def _unbatched(y: Tensor, single: bool) -> Tensor:
    return y.squeeze(0) if single else y


def pad(
    input: Tensor | np.ndarray,
    pad: Sequence[int],
    mode: str = "constant",
    value: float | None = None,
) -> Tensor:
    """`input` with `value` around it: (left, right) widths for the last dim, then the one before.

    A negative width crops, as in PyTorch. Only `mode="constant"` is supported.
    """
    if mode != "constant":
        raise ValueError(f"pad: mode {mode!r} is not supported; only 'constant'")
    widths = tuple(pad)
    if any(isinstance(p, bool) or not isinstance(p, (int, np.integer)) for p in widths):
        raise TypeError(f"pad: widths must be ints, got {widths!r}")
    x = input if isinstance(input, Tensor) else Tensor(input)
    v = 0.0 if value is None else value
    if x.dtype.kind != "f" and v != int(v):
        raise ValueError(f"pad: value {v!r} does not fit the input's dtype {x.dtype}")
    return Pad.apply(x, pad=tuple(int(p) for p in widths), value=v)


def _padded(x: Tensor, padding: Pair, value: float) -> Tensor:
    ph, pw = padding
    return x if ph == pw == 0 else Pad.apply(x, pad=(pw, pw, ph, ph), value=value)


def unfold(
    input: Tensor | np.ndarray,
    kernel_size: Size,
    dilation: Size = 1,
    padding: Size = 0,
    stride: Size = 1,
) -> Tensor:
    """Every window as a column: (N, C, H, W) → (N, C·kh·kw, L), L the number of windows."""
    x, single = _batched("unfold", input if isinstance(input, Tensor) else Tensor(input))
    k, d = (
        pair_arg("unfold", "kernel_size", kernel_size, 1),
        pair_arg("unfold", "dilation", dilation, 1),
    )
    p, s = pair_arg("unfold", "padding", padding, 0), pair_arg("unfold", "stride", stride, 1)
    return _unbatched(Unfold.apply(_padded(x, p, 0.0), kernel_size=k, stride=s, dilation=d), single)


def fold(
    input: Tensor | np.ndarray,
    output_size: Size,
    kernel_size: Size,
    dilation: Size = 1,
    padding: Size = 0,
    stride: Size = 1,
) -> Tensor:
    """The adjoint of `unfold`: columns (N, C·kh·kw, L) summed back into (N, C, *output_size)."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    single = x.ndim == 2
    if single:
        x = x.unsqueeze(0)
    size = pair_arg("fold", "output_size", output_size, 1)
    k, d = (
        pair_arg("fold", "kernel_size", kernel_size, 1),
        pair_arg("fold", "dilation", dilation, 1),
    )
    p, s = pair_arg("fold", "padding", padding, 0), pair_arg("fold", "stride", stride, 1)
    full = (size[0] + 2 * p[0], size[1] + 2 * p[1])
    y = Fold.apply(x, output_size=full, kernel_size=k, stride=s, dilation=d)
    if p != (0, 0):
        y = Pad.apply(y, pad=(-p[1], -p[1], -p[0], -p[0]), value=0.0)
    return _unbatched(y, single)


def padding_arg(op: str, padding: Any, stride: Pair) -> Pair | str:
    """A convolution's padding, checked: two ints >= 0, or "valid" or "same" (stride 1 only)."""
    if not isinstance(padding, str):
        return pair_arg(op, "padding", padding, 0)
    if padding not in ("valid", "same"):
        raise ValueError(f"{op}: padding must be 'valid', 'same' or ints, got {padding!r}")
    if padding == "same" and stride != (1, 1):
        raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
    return padding


def _conv_widths(padding: Pair | str, kernel: Pair, dilation: Pair) -> tuple[int, ...]:
    """(left, right, top, bottom) for a checked padding."""
    if isinstance(padding, str) and padding == "valid":
        return (0, 0, 0, 0)
    if isinstance(
        padding, str
    ):  # the total d·(k − 1), split as PyTorch splits it: the odd one right
        th, tw = dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)
        return (tw // 2, tw - tw // 2, th // 2, th - th // 2)
    ph, pw = padding
    return (pw, pw, ph, ph)


def pool_stride(op: str, stride: Any, kernel: Pair) -> Pair:
    """A pool's stride, checked; None (or PyTorch's []) means the kernel size."""
    if stride is None or (isinstance(stride, Sequence) and len(stride) == 0):
        return kernel
    return pair_arg(op, "stride", stride, 1)


def conv2d(
    input: Tensor | np.ndarray,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Size = 1,
    padding: Size | str = 0,
    dilation: Size = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation, as PyTorch's `conv2d`: y[n, o] = b[o] + Σ_c W[o, c] ⋆ x[n, c].

    Args:
        input: (N, C_in, H, W), or (C_in, H, W) for one example.
        weight: (C_out, C_in / groups, kh, kw).
        bias: (C_out,) or None.
        stride: the step between windows, an int or (down, across).
        padding: zeros around the input: an int, two ints, "valid" (none) or "same" (the
            output as large as the input; stride 1 only).
        dilation: the spacing between kernel elements.
        groups: split the channels into this many groups, each convolved with its own
            C_out / groups kernels.

    Returns:
        (N, C_out, H_out, W_out), with H_out = ⌊(H + 2p − d(kh − 1) − 1)/s⌋ + 1 (likewise W_out).
    """
    x, single = _batched("conv2d", _float_input("conv2d", input))
    w = weight if isinstance(weight, Tensor) else Tensor(weight)
    if w.ndim != 4:
        raise ValueError(f"conv2d: weight must be (C_out, C_in/groups, kh, kw), got {w.shape}")
    if w.dtype != x.dtype:
        raise TypeError(f"conv2d: input dtype {x.dtype} and weight dtype {w.dtype} differ")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"conv2d: groups must be an int >= 1, got {groups!r}")
    n, c, h, wd = x.shape
    oc, cg, kh, kw = w.shape
    if c != cg * groups:
        raise ValueError(
            f"conv2d: weight {w.shape} with groups={groups} expects {cg * groups} input "
            f"channels, got an input of shape {tuple(input.shape)} with {c}"
        )
    if oc % groups:
        raise ValueError(f"conv2d: {oc} output channels do not split into {groups} groups")
    if bias is not None:
        b = bias if isinstance(bias, Tensor) else Tensor(bias)
        if b.shape != (oc,):
            raise ValueError(f"conv2d: bias must have shape ({oc},), got {b.shape}")
        if b.dtype != x.dtype:
            raise TypeError(f"conv2d: input dtype {x.dtype} and bias dtype {b.dtype} differ")
    k, s = (kh, kw), pair_arg("conv2d", "stride", stride, 1)
    d = pair_arg("conv2d", "dilation", dilation, 1)
    widths = _conv_widths(padding_arg("conv2d", padding, s), k, d)
    size = (h + widths[2] + widths[3], wd + widths[0] + widths[1])
    oh, ow = window_positions(size, k, s, d, "conv2d")
    xp = x if not any(widths) else Pad.apply(x, pad=widths, value=0.0)
    cols = Unfold.apply(xp, kernel_size=k, stride=s, dilation=d)  # (N, C·kh·kw, L)
    if groups == 1:
        y = w.reshape(oc, c * kh * kw) @ cols  # (N, C_out, L)
    else:
        g = int(groups)
        parts = cols.reshape(n, g, cg * kh * kw, oh * ow)
        y = w.reshape(g, oc // g, cg * kh * kw) @ parts  # (N, groups, C_out / groups, L)
    y = y.reshape(n, oc, oh, ow)
    if bias is not None:
        y = y + b.reshape(1, oc, 1, 1)
    return _unbatched(y, single)


class _Pool(NamedTuple):
    kernel: Pair
    stride: Pair
    padding: Pair
    dilation: Pair
    out: Pair


def _pool_args(
    op: str, x: Tensor, kernel_size: Size, stride: Size | None, padding: Size, dilation: Size
) -> _Pool:
    k = pair_arg(op, "kernel_size", kernel_size, 1)
    s = pool_stride(op, stride, k)
    p, d = pair_arg(op, "padding", padding, 0), pair_arg(op, "dilation", dilation, 1)
    if any(2 * pi > ki for pi, ki in zip(p, k, strict=True)):
        raise ValueError(f"{op}: padding {p} must be at most half the kernel size {k}")
    size = (x.shape[2] + 2 * p[0], x.shape[3] + 2 * p[1])
    return _Pool(k, s, p, d, window_positions(size, k, s, d, op))


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
    if ceil_mode:
        raise ValueError(f"{op}: ceil_mode=True is not supported (pad the input instead)")
    x, single = _batched(op, _float_input(op, input))
    a = _pool_args(op, x, kernel_size, stride, padding, dilation)
    n, c = x.shape[:2]
    kk, length = a.kernel[0] * a.kernel[1], a.out[0] * a.out[1]
    xp = _padded(x, a.padding, -np.inf)
    cols = Unfold.apply(xp, kernel_size=a.kernel, stride=a.stride, dilation=a.dilation)
    cols = cols.reshape(n, c, kk, length)
    v, real = cols.data, _real_mask(x, a)
    nan = np.isnan(v)
    last_nan = (kk - 1) - np.argmax(nan[:, :, ::-1], axis=2)
    first_max = np.argmax((v == np.max(v, axis=2, keepdims=True)) & real, axis=2)
    pick = np.where(np.any(nan, axis=2), last_nan, first_max)  # (N, C, L)
    values = cols.gather(2, constant_result(pick[:, :, None, :])).reshape(n, c, *a.out)
    if not return_indices:
        return _unbatched(values, single)
    i, j = np.divmod(pick, a.kernel[1])  # the kernel entry picked in each window
    p, q = np.divmod(np.arange(length), a.out[1])  # the window's position
    rows = p * a.stride[0] + i * a.dilation[0] - a.padding[0]
    columns = q * a.stride[1] + j * a.dilation[1] - a.padding[1]
    flat = (rows * x.shape[3] + columns).reshape(n, c, *a.out)
    return MaxPoolResult(_unbatched(values, single), _unbatched(constant_result(flat), single))


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
    if ceil_mode:
        raise ValueError(f"{op}: ceil_mode=True is not supported (pad the input instead)")
    x, single = _batched(op, _float_input(op, input))
    a = _pool_args(op, x, kernel_size, stride, padding, 1)
    n, c = x.shape[:2]
    kk, length = a.kernel[0] * a.kernel[1], a.out[0] * a.out[1]
    cols = Unfold.apply(_padded(x, a.padding, 0.0), kernel_size=a.kernel, stride=a.stride)
    sums = cols.reshape(n, c, kk, length).sum(2)
    if divisor_override is not None:
        if isinstance(divisor_override, bool) or not isinstance(
            divisor_override, (int, np.integer)
        ):
            raise TypeError(f"{op}: divisor_override must be an int, got {divisor_override!r}")
        if divisor_override == 0:
            raise ValueError(f"{op}: divisor_override must not be 0")
        means = sums / int(divisor_override)
    elif count_include_pad or a.padding == (0, 0):
        means = sums / kk
    else:
        means = sums / np.sum(_real_mask(x, a), axis=0).astype(x.dtype)
    return _unbatched(means.reshape(n, c, *a.out), single)


def numpy_pad(array: Tensor, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Tensor:
    """`np.pad` on a Tensor: widths per axis, first axis first; constant mode, one value."""
    if mode != "constant" or set(kwargs) - {"constant_values"}:
        raise TypeError(
            f"numpy.pad on a Tensor: only mode='constant' with one constant_values is "
            f"supported, got mode={mode!r} and {sorted(kwargs)}"
        )
    value = kwargs.get("constant_values", 0)
    if np.ndim(value) != 0:
        raise TypeError(f"numpy.pad on a Tensor: constant_values must be one number, got {value!r}")
    widths = np.asarray(pad_width)
    if widths.dtype.kind not in "iu" or widths.ndim > 2:
        raise TypeError(f"numpy.pad: pad_width must be ints, got {pad_width!r}")
    try:
        per_axis = np.broadcast_to(widths, (array.ndim, 2))
    except ValueError:
        raise ValueError(
            f"numpy.pad: pad_width {pad_width!r} does not fit a {array.ndim}-D array"
        ) from None
    if np.any(per_axis < 0):
        raise ValueError(f"numpy.pad: pad_width must be >= 0, got {pad_width!r}")
    return pad(array, tuple(int(w) for pair in per_axis[::-1] for w in pair), value=value)
