"""Window ops: constant padding, and the sliding windows of a convolution (unfold, fold).

`Unfold` copies every kernel-sized window of an (N, C, H, W) array into a column: the result
is (N, C·kh·kw, L), one column per window, rows in (channel, kernel row, kernel column) order,
as PyTorch's `unfold`. A convolution is then one matrix product with the flattened kernels, and
pooling a reduction over the rows of each channel. `Fold` is its adjoint: it adds each column
back into the window it came from (overlapping windows add up). Each is linear, and each one's
backward is the other, so gradients of every order come for free. `Pad` pads (or, with a
negative width, crops) any dimensions; its backward is the pad with the widths negated.
"""

from __future__ import annotations

from .base import Any, Context, Function, call, np, register

__all__ = ["Fold", "Pad", "Unfold", "out_size", "window_positions"]

Pair = tuple[int, int]


def out_size(size: int, kernel: int, stride: int, dilation: int) -> int:
    """How many windows of `kernel` (spread by `dilation`) fit in `size` at steps of `stride`."""
    return (size - dilation * (kernel - 1) - 1) // stride + 1


def window_positions(
    size: Pair, kernel: Pair, stride: Pair, dilation: Pair, op: str
) -> tuple[int, int]:
    """(OH, OW): the number of window positions down and across; refuses windows that do not fit."""
    for s, k, d, what in zip(size, kernel, dilation, ("height", "width"), strict=True):
        if s < d * (k - 1) + 1:
            raise ValueError(
                f"{op}: a kernel of {k} (dilation {d}, so {d * (k - 1) + 1} wide) does not fit "
                f"in the input's {what} {s}"
            )
    return (
        out_size(size[0], kernel[0], stride[0], dilation[0]),
        out_size(size[1], kernel[1], stride[1], dilation[1]),
    )


def _slices(i: int, j: int, n: Pair, stride: Pair, dilation: Pair) -> tuple[slice, ...]:
    """The (OH, OW) positions that kernel element (i, j) visits, as slices of the input."""
    top, left = i * dilation[0], j * dilation[1]
    return (
        slice(None),
        slice(None),
        slice(top, top + stride[0] * (n[0] - 1) + 1, stride[0]),
        slice(left, left + stride[1] * (n[1] - 1) + 1, stride[1]),
    )


def _check_4d(x: Any, op: str, what: str) -> None:
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D {what}, got shape {x.shape}")


def _unfold_reference(x: Any, kernel_size: Pair, stride: Pair, dilation: Pair) -> Any:
    n, c, h, w = x.shape
    oh, ow = window_positions((h, w), kernel_size, stride, dilation, "unfold")
    cols = np.empty((n, c, kernel_size[0], kernel_size[1], oh, ow), dtype=x.dtype)
    for p in range(oh):
        for q in range(ow):
            for i in range(kernel_size[0]):
                for j in range(kernel_size[1]):
                    cols[:, :, i, j, p, q] = x[
                        :, :, p * stride[0] + i * dilation[0], q * stride[1] + j * dilation[1]
                    ]
    return cols.reshape(n, c * kernel_size[0] * kernel_size[1], oh * ow)


@register("unfold", arity=1, kind="unfold", reference=_unfold_reference)
class Unfold(Function):
    """cols[n, (c, i, j), (p, q)] = x[n, c, p·sh + i·dh, q·sw + j·dw]: every window, a column."""

    @staticmethod
    def forward(
        ctx: Context,
        x: Any,
        kernel_size: Pair = (1, 1),
        stride: Pair = (1, 1),
        dilation: Pair = (1, 1),
    ) -> Any:
        _check_4d(x, "unfold", "input (N, C, H, W)")
        n, c, h, w = x.shape
        oh, ow = window_positions((h, w), kernel_size, stride, dilation, "unfold")
        ctx.save_for_backward((h, w), kernel_size, stride, dilation)
        kh, kw = kernel_size
        cols = np.empty_like(x, shape=(n, c, kh, kw, oh, ow))
        for i in range(kh):
            for j in range(kw):
                cols[:, :, i, j] = x[_slices(i, j, (oh, ow), stride, dilation)]
        return cols.reshape(n, c * kh * kw, oh * ow)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        size, kernel_size, stride, dilation = ctx.saved
        return (
            call(
                Fold,
                grad,
                output_size=size,
                kernel_size=kernel_size,
                stride=stride,
                dilation=dilation,
            ),
        )

    formula = ("fold({g})",)


def _fold_reference(
    cols: Any, output_size: Pair, kernel_size: Pair, stride: Pair, dilation: Pair
) -> Any:
    n, rows, _ = cols.shape
    kh, kw = kernel_size
    oh, ow = window_positions(output_size, kernel_size, stride, dilation, "fold")
    c = rows // (kh * kw)
    v = cols.reshape(n, c, kh, kw, oh, ow)
    out = np.zeros((n, c, *output_size), dtype=cols.dtype)
    for p in range(oh):
        for q in range(ow):
            for i in range(kh):
                for j in range(kw):
                    h, w = p * stride[0] + i * dilation[0], q * stride[1] + j * dilation[1]
                    out[:, :, h, w] += v[:, :, i, j, p, q]
    return out


@register("fold", arity=1, kind="fold", reference=_fold_reference)
class Fold(Function):
    """y[n, c, h, w] = Σ of the columns' entries that unfold would take from (h, w)."""

    @staticmethod
    def forward(
        ctx: Context,
        cols: Any,
        output_size: Pair = (1, 1),
        kernel_size: Pair = (1, 1),
        stride: Pair = (1, 1),
        dilation: Pair = (1, 1),
    ) -> Any:
        if cols.ndim != 3:
            raise ValueError(f"fold: expected a 3-D input (N, C·kh·kw, L), got shape {cols.shape}")
        n, rows, length = cols.shape
        kh, kw = kernel_size
        if rows % (kh * kw):
            raise ValueError(
                f"fold: the input's {rows} rows are not a multiple of the kernel's {kh}×{kw} = "
                f"{kh * kw} elements"
            )
        oh, ow = window_positions(output_size, kernel_size, stride, dilation, "fold")
        if length != oh * ow:
            raise ValueError(
                f"fold: {length} columns, but an output of {tuple(output_size)} holds "
                f"{oh}×{ow} = {oh * ow} windows of this kernel, stride and dilation"
            )
        c = rows // (kh * kw)
        ctx.save_for_backward(kernel_size, stride, dilation)
        v = cols.reshape(n, c, kh, kw, oh, ow)
        out = np.zeros_like(cols, shape=(n, c, *output_size))
        for i in range(kh):
            for j in range(kw):
                at = _slices(i, j, (oh, ow), stride, dilation)
                out[at] = out[at] + v[:, :, i, j]
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        kernel_size, stride, dilation = ctx.saved
        return (call(Unfold, grad, kernel_size=kernel_size, stride=stride, dilation=dilation),)

    formula = ("unfold({g})",)


def _pad_reference(x: Any, pad: tuple[int, ...], value: float) -> Any:
    out = np.asarray(x)
    for k in range(len(pad) // 2):
        left, right, axis = pad[2 * k], pad[2 * k + 1], x.ndim - 1 - k
        size = out.shape[axis]
        index = np.arange(-left, size + right)  # output i reads input i - left
        inside = (index >= 0) & (index < size)
        taken = np.take(out, np.clip(index, 0, max(size - 1, 0)), axis=axis) if size else None
        shape = [1] * out.ndim
        shape[axis] = len(index)
        fill = np.full(out.shape[:axis] + (len(index),) + out.shape[axis + 1 :], value, x.dtype)
        out = fill if taken is None else np.where(inside.reshape(shape), taken, fill)
    return out


@register("pad", arity=1, kind="pad", reference=_pad_reference)
class Pad(Function):
    """y = x with `value` added around (a negative width crops), PyTorch's `pad` order.

    `pad` holds (left, right) widths for the last dimension, then for the one before, and so
    on: output index i of a padded dimension reads input index i − left.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, pad: tuple[int, ...] = (), value: float = 0.0) -> Any:
        if len(pad) % 2 or len(pad) // 2 > x.ndim:
            raise ValueError(
                f"pad: {len(pad)} widths for a {x.ndim}-D tensor; give (left, right) pairs, "
                f"at most {x.ndim} of them (last dimension first)"
            )
        shape = list(x.shape)
        dst: list[slice] = [slice(None)] * x.ndim
        src: list[slice] = [slice(None)] * x.ndim
        for k in range(len(pad) // 2):
            left, right, axis = pad[2 * k], pad[2 * k + 1], x.ndim - 1 - k
            size = x.shape[axis]
            shape[axis] = size + left + right
            if size + min(left, 0) + min(right, 0) < 0:
                raise ValueError(
                    f"pad: widths ({left}, {right}) would crop more than dimension {axis}'s "
                    f"{size} elements"
                )
            lo, hi = max(0, left), max(min(shape[axis], size + left), max(0, left))
            dst[axis], src[axis] = slice(lo, hi), slice(lo - left, hi - left)
        ctx.save_for_backward(tuple(pad))
        out = np.full_like(x, value, shape=tuple(shape))
        out[tuple(dst)] = x[tuple(src)]
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (pad,) = ctx.saved
        return (call(Pad, grad, pad=tuple(-p for p in pad), value=0.0),)

    formula = ("{g} with the padding cut off",)
