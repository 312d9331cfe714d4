"""Every differentiable primitive: one Function class each, forward and backward side by side.

Backward methods work on NumPy arrays and read like the hand-derived math. They may return a
gradient in the broadcast (output) shape: the engine's `unbroadcast` reduces it to the input's
shape. A backward never writes into its `grad` argument.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .autograd import Context, Function, register

Axis = int | tuple[int, ...] | None


def normalize_axis(axis: Axis, ndim: int, op: str) -> tuple[int, ...]:
    """Return `axis` as a sorted tuple of non-negative ints, or raise a clear error."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axes: tuple[Any, ...] = (axis,)
    elif isinstance(axis, (tuple, list)):
        axes = tuple(axis)
    else:
        raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}")
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -ndim <= a < max(ndim, 1) or (ndim == 0 and a not in (0, -1)):
            raise ValueError(
                f"{op}: axis {a} is out of range for a tensor with {ndim} dimension(s)"
            )
        out.append(int(a) % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(out))


def _no_broadcast(op: str, x: np.ndarray, y: np.ndarray) -> ValueError:
    """The error for elementwise operands whose shapes do not broadcast together."""
    return ValueError(f"{op}: shapes {x.shape} and {y.shape} do not broadcast together")


def _expand(grad: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """Put back the reduced axes of `grad` as size-1 axes so it broadcasts to the input."""
    if keepdims or not axes:
        return grad
    return np.expand_dims(grad, axes)


# ------------------------------------------------------------------------------ arithmetic


@register("add", arity=2, kind="broadcast")
class Add(Function):
    """z = x + y."""

    supports_out = True

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, y: np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray:
        try:
            return np.add(x, y, out=out)
        except ValueError:
            raise _no_broadcast("add", x, y) from None

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return grad, grad


@register("sub", arity=2, kind="broadcast")
class Sub(Function):
    """z = x - y."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        try:
            return x - y
        except ValueError:
            raise _no_broadcast("sub", x, y) from None

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        return grad, (-grad if ctx.needs_input_grad[1] else None)


@register("mul", arity=2, kind="broadcast")
class Mul(Function):
    """z = x * y (elementwise)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x, y)
        try:
            return x * y
        except ValueError:
            raise _no_broadcast("mul", x, y) from None

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        x, y = ctx.saved
        nx, ny = ctx.needs_input_grad
        return (grad * y if nx else None), (grad * x if ny else None)


@register("div", arity=2, domain="nonzero", kind="broadcast")
class Div(Function):
    """z = x / y; dz/dx = 1/y, dz/dy = -x/y² = -z/y."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        try:
            z = x / y
        except ValueError:
            raise _no_broadcast("div", x, y) from None
        ctx.save_for_backward(y, z)
        return z

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        y, z = ctx.saved
        gx = grad / y
        nx, ny = ctx.needs_input_grad
        return (gx if nx else None), (-gx * z if ny else None)


@register("neg", arity=1)
class Neg(Function):
    """z = -x."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return -x

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray]:
        return (-grad,)


@register("pow", arity=1, domain="positive")
class Pow(Function):
    """z = x ** p for a constant exponent p; dz/dx = p·x^(p-1)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, exponent: float = 2.0) -> np.ndarray:
        ctx.save_for_backward(x, exponent)
        if exponent == 2:
            return x * x
        return np.power(x, exponent)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray]:
        x, p = ctx.saved
        if p == 2:
            return (grad * (2.0 * x),)
        if p == 1:
            return (grad * np.ones_like(x),)
        return (grad * (p * np.power(x, p - 1)),)


@register("pow_tensor", arity=2, domain="positive", kind="broadcast")
class PowTensor(Function):
    """z = x ** y for x > 0; dz/dx = y·x^(y-1), dz/dy = z·ln x."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        try:
            z = np.power(x, y)
        except ValueError:
            raise _no_broadcast("pow", x, y) from None
        ctx.save_for_backward(x, y, z)
        return z

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        x, y, z = ctx.saved
        nx, ny = ctx.needs_input_grad
        gx = grad * y * np.power(x, y - 1) if nx else None
        gy = grad * z * np.log(x) if ny else None
        return gx, gy


@register("matmul", arity=2, kind="matmul")
class MatMul(Function):
    """z = x @ y, with NumPy's rules for 1-D operands and broadcast batch dimensions."""

    supports_out = True

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, y: np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray:
        if x.ndim == 0 or y.ndim == 0:
            raise ValueError(
                f"matmul: operands must have at least 1 dimension, got shapes {x.shape} "
                f"and {y.shape}"
            )
        kx = x.shape[-1]
        ky = y.shape[-2] if y.ndim > 1 else y.shape[0]
        if kx != ky:
            raise ValueError(f"matmul: shapes {x.shape} and {y.shape} do not align ({kx} != {ky})")
        ctx.save_for_backward(x, y)
        try:
            if kx == 1 and x.ndim == 2 and y.ndim == 2:
                return np.multiply(x, y, out=out)  # an outer product: BLAS is slower at k = 1
            return np.matmul(x, y, out=out)
        except ValueError as e:  # batch dimensions that do not broadcast
            raise ValueError(
                f"matmul: batch dimensions of shapes {x.shape} and {y.shape} do not broadcast"
            ) from e

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        x, y = ctx.saved
        nx, ny = ctx.needs_input_grad
        gx = gy = None
        if x.ndim == 2 and y.ndim == 2:  # the common case, without swapaxes
            if nx:
                gx = grad @ y.T if y.shape[1] != 1 else grad * y.T
            if ny:
                gy = x.T @ grad if x.shape[0] != 1 else x.T * grad  # the tutorial's W2ᵀ·dZ2
        elif x.ndim == 1 and y.ndim == 1:  # dot product: grad is a scalar
            gx = grad * y if nx else None
            gy = grad * x if ny else None
        elif x.ndim == 1:  # (k,) @ (..., k, p) -> (..., p)
            if nx:
                gx = np.matmul(grad[..., None, :], np.swapaxes(y, -1, -2))[..., 0, :]
            if ny:
                gy = x[:, None] * grad[..., None, :]
        elif y.ndim == 1:  # (..., n, k) @ (k,) -> (..., n)
            if nx:
                gx = grad[..., :, None] * y
            if ny:
                gy = np.matmul(np.swapaxes(x, -1, -2), grad[..., :, None])[..., 0]
        else:
            if nx:
                gx = np.matmul(grad, np.swapaxes(y, -1, -2))
            if ny:
                gy = np.matmul(np.swapaxes(x, -1, -2), grad)
        return gx, gy


# ------------------------------------------------------------------------------ unary maths


@register("tanh", arity=1)
class Tanh(Function):
    """y = tanh(x)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray]:
        (y,) = ctx.saved
        # y (the saved A1) is dead after this backward unless someone else holds it: then its
        # buffer takes the result, which saves a large allocation in big networks.
        d = y if ctx.reusable(y, holders=2) else np.empty_like(y)
        np.multiply(y, y, out=d)
        np.subtract(1.0, d, out=d)  # the tutorial's (1 - A1²), in one buffer
        np.multiply(d, grad, out=d)
        return (d,)


def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1/(1+e^(-x)), computed from e^(-|x|) so that no exp overflows."""
    e = np.exp(-np.abs(x))
    r = 1.0 / (1.0 + e)
    return np.where(x >= 0, r, e * r)


@register("sigmoid", arity=1)
class Sigmoid(Function):
    """y = σ(x) = 1 / (1 + e^(-x)); dy/dx = y·(1 - y)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        y = stable_sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray]:
        (y,) = ctx.saved
        return (grad * (y * (1.0 - y)),)


@register("relu", arity=1)
class ReLU(Function):
    """y = max(x, 0); the gradient at 0 is taken as 0."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.maximum(x, 0)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray]:
        (x,) = ctx.saved
        return (grad * (x > 0),)


@register("exp", arity=1)
class Exp(Function):
    """y = e^x."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        y = np.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray]:
        (y,) = ctx.saved
        return (grad * y,)


@register("log", arity=1, domain="positive")
class Log(Function):
    """y = ln x; dy/dx = 1/x."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray]:
        (x,) = ctx.saved
        return (grad / x,)


@register("log_sigmoid", arity=1)
class LogSigmoid(Function):
    """y = ln σ(x) = min(x, 0) - ln(1 + e^(-|x|)); dy/dx = 1 - σ(x) = σ(-x)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray]:
        (x,) = ctx.saved
        return (grad * stable_sigmoid(-x),)


@register("clamp", arity=1)
class Clamp(Function):
    """y = min(max(x, lo), hi); the gradient passes only where x lies inside [lo, hi]."""

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, min: float | None = None, max: float | None = None
    ) -> np.ndarray:
        if min is None and max is None:
            raise ValueError("clamp: give at least one of min and max")
        ctx.save_for_backward(x, min, max)
        return np.clip(x, min, max)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray]:
        x, lo, hi = ctx.saved
        mask = np.ones(x.shape, dtype=bool)
        if lo is not None:
            mask &= x >= lo
        if hi is not None:
            mask &= x <= hi
        return (grad * mask,)


# ------------------------------------------------------------------------------ reductions


@register("sum", arity=1, kind="reduce")
class Sum(Function):
    """y = Σ x over `axis` (all axes when None)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: Axis = None, keepdims: bool = False) -> Any:
        axes = normalize_axis(axis, x.ndim, "sum")
        ctx.save_for_backward(x.shape, axes, keepdims)
        return np.asarray(x.sum(axis=axes, keepdims=keepdims))

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray]:
        shape, axes, keepdims = ctx.saved
        return (np.broadcast_to(_expand(grad, axes, keepdims), shape),)


@register("mean", arity=1, kind="reduce")
class Mean(Function):
    """y = (1/n) Σ x over `axis`, n the number of elements reduced."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: Axis = None, keepdims: bool = False) -> Any:
        axes = normalize_axis(axis, x.ndim, "mean")
        n = int(np.prod([x.shape[a] for a in axes]))
        if n == 0:
            raise ValueError(f"mean: cannot take the mean over 0 elements (shape {x.shape})")
        ctx.save_for_backward(x.shape, axes, keepdims, n)
        return np.asarray(x.mean(axis=axes, keepdims=keepdims))

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray]:
        shape, axes, keepdims, n = ctx.saved
        return (np.broadcast_to(_expand(grad, axes, keepdims) / n, shape),)


@register("max", arity=1, kind="reduce")
class Max(Function):
    """y = max x over `axis`; the gradient is split evenly among tied maxima."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: Axis = None, keepdims: bool = False) -> Any:
        axes = normalize_axis(axis, x.ndim, "max")
        if x.size == 0:
            raise ValueError(f"max: cannot take the max of an empty tensor (shape {x.shape})")
        m = x.max(axis=axes, keepdims=True)
        ctx.save_for_backward(x, m, axes, keepdims)
        return np.asarray(m if keepdims else np.squeeze(m, axis=axes))

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray]:
        x, m, axes, keepdims = ctx.saved
        mask = x == m
        count = mask.sum(axis=axes, keepdims=True)
        return (_expand(grad, axes, keepdims) * mask / count,)


# ------------------------------------------------------------------------------ shape


@register("reshape", arity=1, kind="shape")
class Reshape(Function):
    """y = x viewed with another shape of the same size."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, shape: tuple[int, ...] = ()) -> np.ndarray:
        ctx.save_for_backward(x.shape)
        try:
            return x.reshape(shape)
        except ValueError as e:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                f"into shape {tuple(shape)}"
            ) from e

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray]:
        (shape,) = ctx.saved
        return (grad.reshape(shape),)


@register("transpose", arity=1, kind="shape")
class Transpose(Function):
    """y = x with its axes permuted (reversed when `axes` is None)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axes: tuple[int, ...] | None = None) -> np.ndarray:
        if axes is not None:
            if (
                sorted(int(a) % max(x.ndim, 1) for a in axes) != list(range(x.ndim))
                or len(axes) != x.ndim
            ):
                raise ValueError(
                    f"transpose: axes {tuple(axes)} are not a permutation of the "
                    f"{x.ndim} axes of a tensor of shape {x.shape}"
                )
        ctx.save_for_backward(axes)
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray]:
        (axes,) = ctx.saved
        if axes is None:
            return (np.transpose(grad),)
        return (np.transpose(grad, np.argsort([a % grad.ndim for a in axes])),)


def _has_advanced(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, (list, np.ndarray)) for i in items)


@register("getitem", arity=1, kind="index")
class GetItem(Function):
    """y = x[index]: basic slicing and integer-array indexing; repeated indices accumulate."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, index: Any = ()) -> np.ndarray:
        try:
            y = x[index]
        except IndexError as e:
            raise IndexError(f"getitem: index {index!r} is invalid for shape {x.shape}: {e}") from e
        ctx.save_for_backward(x.shape, x.dtype, index)
        return np.asarray(y)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray]:
        shape, dtype, index = ctx.saved
        out = np.zeros(shape, dtype=np.result_type(dtype, grad.dtype))
        if _has_advanced(index):
            np.add.at(out, index, grad)  # repeated indices must add up, not overwrite
        else:
            out[index] = grad
        return (out,)


# ------------------------------------------------------------------------------ fused losses


def check_unit_interval(op: str, what: str, a: np.ndarray, hint: str = "") -> None:
    """Raise unless every element of `a` lies in [0, 1] (NaN included: it is outside)."""
    lo_ok = np.minimum.reduce(a, axis=None) >= 0 if a.size else True
    if a.size and not (lo_ok and np.maximum.reduce(a, axis=None) <= 1):
        bad = a[~((a >= 0) & (a <= 1))]
        raise ValueError(
            f"{op}: {what} must lie in [0, 1], found {bad.size} outside, "
            f"e.g. {float(bad.flat[0])}{hint}"
        )


# Like PyTorch's BCELoss, log-probabilities are clamped at -100 so that a probability of
# exactly 0 or 1 gives a large but finite loss instead of inf or NaN.
LOG_CLAMP = -100.0


@register("binary_cross_entropy", arity=2, domain="binary_target", kind="loss")
class BinaryCrossEntropy(Function):
    """J = -(1/n) Σ [y·ln p + (1-y)·ln(1-p)], logs clamped at -100; dJ/dp = (p-y)/(p(1-p)n)."""

    @staticmethod
    def forward(ctx: Context, p: np.ndarray, y: np.ndarray) -> np.ndarray:
        check_unit_interval("binary_cross_entropy", "targets", y)
        check_unit_interval(
            "binary_cross_entropy",
            "probabilities",
            p,
            " (use binary_cross_entropy_with_logits for raw scores)",
        )
        with np.errstate(divide="ignore"):  # log 0 = -inf is expected here: it is clamped
            logp = np.maximum(np.log(p), LOG_CLAMP)
            log1mp = np.maximum(np.log1p(-p), LOG_CLAMP)
        ctx.save_for_backward(p, y, logp, log1mp)
        return np.asarray(-np.mean(y * logp + (1.0 - y) * log1mp))

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        p, y, logp, log1mp = ctx.saved
        n = p.size
        np_, ny = ctx.needs_input_grad
        gp = grad * (p - y) / (np.maximum(p * (1.0 - p), 1e-12) * n) if np_ else None
        gy = grad * (log1mp - logp) / n if ny else None
        return gp, gy


@register("binary_cross_entropy_with_logits", arity=2, domain="binary_target", kind="loss")
class BinaryCrossEntropyWithLogits(Function):
    """J = (1/n) Σ [max(z,0) - z·y + ln(1 + e^(-|z|))] = BCE(σ(z), y); dJ/dz = (σ(z) - y)/n.

    The sigmoid and the cross-entropy fused: no exp overflows and no log of 0 is taken, and the
    gradient is the tutorial's dZ2 = A2 - Y (over n), computed from the saved e^(-|z|).
    """

    @staticmethod
    def forward(ctx: Context, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        check_unit_interval("binary_cross_entropy_with_logits", "targets", y)
        e = np.exp(-np.abs(z))
        terms = np.maximum(z, 0.0) - z * y
        terms += np.log1p(e)
        ctx.save_for_backward(z, y, e)
        return np.asarray(np.add.reduce(terms, axis=None) / terms.size)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        z, y, e = ctx.saved
        scale = grad / z.size
        nz, ny = ctx.needs_input_grad
        gz = gy = None
        if nz:
            sig = np.where(z >= 0, 1.0, e)
            sig /= 1.0 + e  # σ(z) = 1/(1+e^-z) = e^z/(1+e^z), from the saved e = e^-|z|
            if sig.dtype == y.dtype and sig.shape == np.broadcast_shapes(sig.shape, y.shape):
                sig -= y  # the tutorial's A2 - Y, in place
                sig *= scale
                gz = sig
            else:
                gz = (sig - y) * scale
        if ny:
            gy = z * -scale
        return gz, gy
