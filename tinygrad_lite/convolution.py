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
from typing import Any

import numpy as np

from .ops.window import Fold, Pad, Unfold, window_positions
from .pad_modes import MODES, mode_pad, pad_axes
from .tensor import Tensor

__all__ = [
    "batched",
    "bias_arg",
    "check_weight",
    "conv1d",
    "conv2d",
    "default_stride",
    "float_input",
    "fold",
    "numpy_pad",
    "pad",
    "padded",
    "padding_arg",
    "pair_arg",
    "pool_stride",
    "single_arg",
    "sizes_arg",
    "unbatched",
    "unfold",
]

Pair = tuple[int, int]
Size = int | Sequence[int]


def sizes_arg(op: str, name: str, v: Any, minimum: int, n: int) -> tuple[int, ...]:
    """An int (for every dimension) or n ints, as a checked tuple of n ints >= `minimum`."""
    items = (v,) * n if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else v
    what = "an int" if n == 1 else f"an int or {n} ints"
    try:
        sizes = tuple(items)
    except TypeError:
        raise TypeError(f"{op}: {name} must be {what}, got {v!r}") from None
    if len(sizes) != n or any(
        isinstance(i, bool) or not isinstance(i, (int, np.integer)) for i in sizes
    ):
        raise TypeError(f"{op}: {name} must be {what}, got {v!r}")
    if any(i < minimum for i in sizes):
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {v!r}")
    return tuple(int(i) for i in sizes)


def pair_arg(op: str, name: str, v: Any, minimum: int) -> Pair:
    """An int or two ints, as a checked pair of ints >= `minimum` (2-D sizes)."""
    first, second = sizes_arg(op, name, v, minimum, 2)
    return first, second


def single_arg(op: str, name: str, v: Any, minimum: int) -> int:
    """An int, or a sequence of one int, as a checked int >= `minimum` (1-D sizes)."""
    return sizes_arg(op, name, v, minimum, 1)[0]


def float_input(op: str, x: Any) -> Tensor:
    """`x` as a Tensor of a floating dtype (convolutions and pools refuse others, as PyTorch)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: needs a floating-point input, got dtype {x.dtype}")
    return x


def batched(op: str, x: Tensor, what: str = "(N, C, H, W) or (C, H, W)") -> tuple[Tensor, bool]:
    """The input as (N, C, H, W), and whether it came without the batch dimension."""
    if x.ndim == 3:
        return x.unsqueeze(0), True
    if x.ndim != 4:
        raise ValueError(f"{op}: expected an input of shape {what}, got {x.shape}")
    return x, False


def unbatched(y: Tensor, single: bool) -> Tensor:
    """The result without its batch dimension if the input came without one."""
    return y.squeeze(0) if single else y


def pad(
    input: Tensor | np.ndarray,
    pad: Sequence[int],
    mode: str = "constant",
    value: float | None = None,
) -> Tensor:
    """`input` padded as PyTorch's `pad`: (left, right) for the last dim, then the one before.

    In "constant" mode the border holds `value` (0 by default), around any number of the last
    dimensions. Two elements on the left read x₂ x₁ | x₀ x₁ … in "reflect" mode (mirrored about
    the end element), x₀ x₀ | x₀ x₁ … in "replicate" mode and xₙ₋₂ xₙ₋₁ | x₀ x₁ … in
    "circular" mode; these pad the last 1, 2 or 3 dimensions, with PyTorch's limits (see
    `pad_modes.mode_pad`), and their gradient accumulates into the elements the border was
    read from. A negative width crops.

    Args:
        input: the tensor to pad.
        pad: the widths: (left, right) for the last dimension, then for the one before, ...
        mode: "constant", "reflect", "replicate" or "circular".
        value: the fill value of "constant" mode (the other modes take none).

    Returns:
        The padded tensor.

    Raises:
        ValueError: an unknown mode, widths that do not suit the input or the mode, or a value
            that does not fit an integer input.
        TypeError: widths that are not ints.
    """
    widths = tuple(pad)
    if any(isinstance(p, bool) or not isinstance(p, (int, np.integer)) for p in widths):
        raise TypeError(f"pad: widths must be ints, got {widths!r}")
    x = input if isinstance(input, Tensor) else Tensor(input)
    if mode in MODES:
        return mode_pad(x, tuple(int(p) for p in widths), mode, value)
    if mode != "constant":
        raise ValueError(
            f"pad: mode {mode!r} is not one of 'constant', 'reflect', 'replicate', 'circular'"
        )
    v = 0.0 if value is None else value
    if x.dtype.kind != "f" and not float(v).is_integer():
        raise ValueError(f"pad: value {v!r} does not fit the input's dtype {x.dtype}")
    return Pad.apply(x, pad=tuple(int(p) for p in widths), value=v)


def padded(x: Tensor, padding: Pair, value: float) -> Tensor:
    """(N, C, H, W) x with `value` added around: padding[0] rows, padding[1] columns."""
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
    x, single = batched("unfold", input if isinstance(input, Tensor) else Tensor(input))
    k, d = (
        pair_arg("unfold", "kernel_size", kernel_size, 1),
        pair_arg("unfold", "dilation", dilation, 1),
    )
    p, s = pair_arg("unfold", "padding", padding, 0), pair_arg("unfold", "stride", stride, 1)
    return unbatched(Unfold.apply(padded(x, p, 0.0), kernel_size=k, stride=s, dilation=d), single)


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
    return unbatched(y, single)


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


def default_stride(stride: Any) -> bool:
    """Whether a pool's stride is left to default to the kernel size: None, or PyTorch's []."""
    return stride is None or (isinstance(stride, Sequence) and len(stride) == 0)


def pool_stride(op: str, stride: Any, kernel: Pair) -> Pair:
    """A pool's stride, checked; None (or PyTorch's []) means the kernel size."""
    return kernel if default_stride(stride) else pair_arg(op, "stride", stride, 1)


def check_weight(op: str, x: Tensor, w: Tensor, groups: Any) -> None:
    """Raise unless the weight has the input's dtype and groups is an int >= 1."""
    if w.dtype != x.dtype:
        raise TypeError(f"{op}: input dtype {x.dtype} and weight dtype {w.dtype} differ")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be an int >= 1, got {groups!r}")


def bias_arg(op: str, bias: Any, channels: int, dtype: Any = None) -> Tensor | None:
    """The bias as a (channels,) Tensor, or None; of `dtype` when one is given.

    PyTorch's convolutions refuse a bias of another dtype; its transposed ones promote it.
    """
    if bias is None:
        return None
    b = bias if isinstance(bias, Tensor) else Tensor(bias)
    if b.shape != (channels,):
        raise ValueError(f"{op}: bias must have shape ({channels},), got {b.shape}")
    if dtype is not None and b.dtype != dtype:
        raise TypeError(f"{op}: input dtype {dtype} and bias dtype {b.dtype} differ")
    return b


def _conv(
    op: str,
    x: Tensor,
    w: Tensor,
    bias: Tensor | None,
    stride: Pair,
    padding: Pair | str,
    dilation: Pair,
    groups: int,
    shown: tuple[tuple[int, ...], tuple[int, ...]],
) -> Tensor:
    """The cross-correlation of (N, C, H, W) x with (C_out, C/groups, kh, kw) w, checked.

    `shown` holds the input's and the weight's shapes as the caller was given them, for the
    errors.
    """
    check_weight(op, x, w, groups)
    n, c, h, wd = x.shape
    oc, cg, kh, kw = w.shape
    if c != cg * groups:
        raise ValueError(
            f"{op}: weight {shown[1]} with groups={groups} expects {cg * groups} input "
            f"channels, got an input of shape {shown[0]} with {c}"
        )
    if oc % groups:
        raise ValueError(f"{op}: {oc} output channels do not split into {groups} groups")
    b = bias_arg(op, bias, oc, x.dtype)
    k = (kh, kw)
    widths = _conv_widths(padding, k, dilation)
    size = (h + widths[2] + widths[3], wd + widths[0] + widths[1])
    oh, ow = window_positions(size, k, stride, dilation, op)
    xp = x if not any(widths) else Pad.apply(x, pad=widths, value=0.0)
    cols = Unfold.apply(xp, kernel_size=k, stride=stride, dilation=dilation)  # (N, C·kh·kw, L)
    if groups == 1:
        y = w.reshape(oc, c * kh * kw) @ cols  # (N, C_out, L)
    else:
        g = int(groups)
        parts = cols.reshape(n, g, cg * kh * kw, oh * ow)
        y = w.reshape(g, oc // g, cg * kh * kw) @ parts  # (N, groups, C_out / groups, L)
    y = y.reshape(n, oc, oh, ow)
    return y if b is None else y + b.reshape(1, oc, 1, 1)


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
    x, single = batched("conv2d", float_input("conv2d", input))
    w = weight if isinstance(weight, Tensor) else Tensor(weight)
    if w.ndim != 4:
        raise ValueError(f"conv2d: weight must be (C_out, C_in/groups, kh, kw), got {w.shape}")
    s, d = pair_arg("conv2d", "stride", stride, 1), pair_arg("conv2d", "dilation", dilation, 1)
    p = padding_arg("conv2d", padding, s)
    y = _conv("conv2d", x, w, bias, s, p, d, groups, (tuple(np.shape(input)), w.shape))
    return unbatched(y, single)


def conv1d(
    input: Tensor | np.ndarray,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int = 1,
    padding: int | str = 0,
    dilation: int = 1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation, as PyTorch's `conv1d`: `conv2d` on a height of one.

    Args:
        input: (N, C_in, L), or (C_in, L) for one example.
        weight: (C_out, C_in / groups, k).
        bias: (C_out,) or None.
        stride: the step between windows.
        padding: zeros at both ends: an int, "valid" or "same" (stride 1 only).
        dilation: the spacing between kernel elements.
        groups: channel groups, as in `conv2d`.

    Returns:
        (N, C_out, L_out), L_out = ⌊(L + 2p − d(k − 1) − 1)/s⌋ + 1.
    """
    x = float_input("conv1d", input)
    if x.ndim not in (2, 3):
        raise ValueError(f"conv1d: expected an input of shape (N, C, L) or (C, L), got {x.shape}")
    w = weight if isinstance(weight, Tensor) else Tensor(weight)
    if w.ndim != 3:
        raise ValueError(f"conv1d: weight must be (C_out, C_in/groups, k), got {w.shape}")
    single = x.ndim == 2
    x4 = (x.unsqueeze(0) if single else x).unsqueeze(2)
    s = (1, single_arg("conv1d", "stride", stride, 1))
    d = (1, single_arg("conv1d", "dilation", dilation, 1))
    p = padding if isinstance(padding, str) else (0, single_arg("conv1d", "padding", padding, 0))
    shown = (tuple(np.shape(input)), w.shape)
    y = _conv("conv1d", x4, w.unsqueeze(2), bias, s, padding_arg("conv1d", p, s), d, groups, shown)
    return unbatched(y.squeeze(2), single)


_NUMPY_MODES = {  # NumPy's name: the mode here
    "constant": "constant",
    "reflect": "reflect",
    "edge": "replicate",
    "wrap": "circular",
}
_NUMPY_OPTIONS = {"constant": {"constant_values"}, "reflect": {"reflect_type"}}


def numpy_pad(array: Tensor, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Tensor:
    """`np.pad` on a Tensor: widths per axis, first axis first, as NumPy computes them.

    Modes "constant" (one constant_values), "reflect" (reflect_type "even"), "edge" and
    "wrap"; the others ("symmetric", "linear_ramp", the statistics, ...) are refused.
    """
    if not isinstance(mode, str) or mode not in _NUMPY_MODES:
        raise TypeError(
            f"numpy.pad on a Tensor: mode={mode!r} is not supported; only 'constant', "
            "'reflect', 'edge' and 'wrap'"
        )
    unknown = set(kwargs) - _NUMPY_OPTIONS.get(mode, set())
    if unknown or kwargs.get("reflect_type", "even") != "even":
        raise TypeError(
            f"numpy.pad on a Tensor: mode={mode!r} does not take {sorted(kwargs)!r} here"
            + (" (only reflect_type='even')" if mode == "reflect" else "")
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
    if mode == "constant":
        return pad(array, tuple(int(w) for pair in per_axis[::-1] for w in pair), value=value)
    for axis, (left, right) in enumerate(per_axis):
        if array.shape[axis] == 0 and left + right > 0:
            raise ValueError(f"numpy.pad: cannot extend the empty axis {axis} in mode {mode!r}")
    triples = [(axis, int(left), int(right)) for axis, (left, right) in enumerate(per_axis)]
    return pad_axes(array, triples, _NUMPY_MODES[mode])
