"""Reductions over axes: sum, mean, max, min, prod, var, std, 2-norm, log-sum-exp, arg-max/min."""

from __future__ import annotations

import math

from .. import tracing
from ..shapes import broadcast_back
from .base import (
    Any,
    Axis,
    Context,
    FloatFunction,
    Function,
    expand,
    is_tensor,
    normalize_axis,
    np,
    per_term,
    register,
    value,
)


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _wide(x: Any) -> Any:
    """The dtype of a sum or product of `x`: int64 for unsigned ints narrower than 64 bits.

    NumPy gives uint64 there (and int64 for bool and signed ints); PyTorch gives int64.
    """
    return np.int64 if x.dtype.kind == "u" and x.dtype.itemsize < 8 else None


def _inverse(dof: float) -> float:
    """1/dof for the variance's divisor dof = max(0, n - correction): +inf at 0, as PyTorch."""
    return 1.0 / dof if dof else math.inf


def _masked_inverse(grad: Any, y: Any) -> Any:
    """grad/y, and 0 where y = 0 (PyTorch's choice for the gradient of a std or norm of 0).

    The mask is a constant and the denominator is made 1 there (not only the quotient
    replaced), so that a recorded backward's own gradient is 0 there too, not NaN.
    """
    yv = value(y)
    flat = (yv == 0).astype(yv.dtype)
    return grad * (1.0 - flat) / (y + flat)


@register(
    "sum",
    arity=1,
    kind="reduce",
    reference=lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims),
)
class Sum(Function):
    """y = Σ x over `axis` (all axes when None); unsigned ints sum to int64, as PyTorch."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
        axes = normalize_axis(axis, x.ndim, "sum")
        ctx.save_for_backward(x.shape, axes, keepdims)
        if x.dtype.kind == "u":
            return np.add.reduce(x, axis=axes, keepdims=keepdims, dtype=_wide(x))  # type: ignore[call-overload]
        return np.add.reduce(x, axis=axes, keepdims=keepdims)  # type: ignore[call-overload]

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        shape, axes, keepdims = ctx.saved
        return (broadcast_back(grad, axes, keepdims, shape),)

    formula = ("{g}",)  # broadcast back to the input's shape, in explain's notation


@register(
    "mean",
    arity=1,
    kind="reduce",
    reference=lambda x, axis, keepdims: np.mean(x, axis=axis, keepdims=keepdims),
)
class Mean(Function):
    """y = (1/n) Σ x over `axis`, n the number of elements reduced."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
        axes = normalize_axis(axis, x.ndim, "mean")
        n = _count(x.shape, axes)
        if n == 0:
            raise ValueError(f"mean: cannot take the mean over 0 elements (shape {x.shape})")
        ctx.save_for_backward(x.shape, axes, keepdims, n)
        if x.dtype.kind == "f" and x.dtype.itemsize >= 4:
            # np.mean's own two steps without its checks (it sums float16 in float32)
            total = np.add.reduce(x, axis=axes, keepdims=keepdims)  # type: ignore[call-overload]
            return total / n
        return np.mean(x, axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        shape, axes, keepdims, n = ctx.saved
        return (broadcast_back(grad / n, axes, keepdims, shape),)

    @staticmethod
    def formula(ctx: Context) -> tuple[str]:
        """dy/dx in explain's notation."""
        return ("{g}" + per_term("mean", ctx.saved[3]),)


def _extreme_backward(ctx: Context, grad: Any) -> tuple[Any]:
    """Gradient of max or min: split evenly among the tied extremes (NaN counts as the max)."""
    x, y, axes, keepdims = ctx.saved
    xv = x.data if is_tensor(x) else x
    yv = expand(y.data if is_tensor(y) else y, axes, keepdims)
    mask = (xv == yv) | (np.isnan(xv) & np.isnan(yv))
    count = np.add.reduce(mask, axis=axes, keepdims=True).astype(xv.dtype)
    return (expand(grad, axes, keepdims) * (mask / count),)


def _over_nothing(x: Any, axes: Any) -> bool:
    """Whether a reduction over `axes` (None: all) meets a dimension of size 0 (no identity)."""
    return x.size == 0 and any(x.shape[a] == 0 for a in (range(x.ndim) if axes is None else axes))


@register(
    "max",
    arity=1,
    domain="distinct",
    kind="reduce",
    reference=lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims),
)
class Max(Function):
    """y = max x over `axis`; the gradient is split evenly among tied maxima (as `amax`)."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
        axes = normalize_axis(axis, x.ndim, "max")
        if _over_nothing(x, axes):
            raise ValueError(
                f"max: cannot take the max over a dimension of size 0 (shape {x.shape})"
            )
        y = np.maximum.reduce(x, axis=axes, keepdims=keepdims)  # type: ignore[call-overload]
        ctx.save_for_backward(x, y, axes, keepdims)
        return y

    backward = staticmethod(_extreme_backward)

    formula = ("{g} ⊙ [{0} = {out}]/#ties",)


@register(
    "min",
    arity=1,
    domain="distinct",
    kind="reduce",
    reference=lambda x, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims),
)
class Min(Function):
    """y = min x over `axis`; the gradient is split evenly among tied minima (as `amin`)."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
        axes = normalize_axis(axis, x.ndim, "min")
        if _over_nothing(x, axes):
            raise ValueError(
                f"min: cannot take the min over a dimension of size 0 (shape {x.shape})"
            )
        y = np.minimum.reduce(x, axis=axes, keepdims=keepdims)  # type: ignore[call-overload]
        ctx.save_for_backward(x, y, axes, keepdims)
        return y

    backward = staticmethod(_extreme_backward)

    formula = ("{g} ⊙ [{0} = {out}]/#ties",)


class _ArgExtreme(Function):
    differentiable = False
    _np: Any = None

    @classmethod
    def forward(cls, ctx: Context, x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
        if _over_nothing(x, None if axis is None else normalize_axis(axis, x.ndim, cls.name)):
            raise ValueError(f"{cls.name}: cannot search a dimension of size 0 (shape {x.shape})")
        if axis is None:
            out = cls._np(x.reshape(-1))
            return out.reshape((1,) * x.ndim) if keepdims else out
        (a,) = normalize_axis(axis, x.ndim, cls.name) or (None,)
        if a is None:  # a 0-d tensor: its one element is at index 0
            return np.zeros((), dtype=np.int64)
        return cls._np(x, axis=a, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[None]:
        return (None,)


@register(
    "argmax",
    arity=1,
    domain="distinct",
    kind="arg",
    reference=lambda x, axis, keepdims: np.argmax(x, axis=axis, keepdims=keepdims),
)
class ArgMax(_ArgExtreme):
    """i = the index of the first maximum along `axis` (of the flattened tensor when None)."""

    _np = staticmethod(np.argmax)


@register(
    "argmin",
    arity=1,
    domain="distinct",
    kind="arg",
    reference=lambda x, axis, keepdims: np.argmin(x, axis=axis, keepdims=keepdims),
)
class ArgMin(_ArgExtreme):
    """i = the index of the first minimum along `axis` (of the flattened tensor when None)."""

    _np = staticmethod(np.argmin)


@register(
    "prod",
    arity=1,
    domain="nonzero",
    kind="reduce",
    reference=lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims),
)
class Prod(Function):
    """y = Π x over `axis`; dy/dx_i = the product of the other elements (unsigned ints: int64)."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
        axes = normalize_axis(axis, x.ndim, "prod")
        if x.dtype.kind == "u":
            y = np.multiply.reduce(x, axis=axes, keepdims=keepdims, dtype=_wide(x))  # type: ignore[call-overload]
        else:
            y = np.multiply.reduce(x, axis=axes, keepdims=keepdims)  # type: ignore[call-overload]
        ctx.save_for_backward(x, y, axes, keepdims)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        x, y, axes, keepdims = ctx.saved
        g = expand(grad, axes, keepdims)
        if not is_tensor(x):  # the branch reads values: a compiled step takes it on every call
            return (tracing.replayed(_product_gradient, g, x, expand(y, axes, keepdims), axes),)
        if not np.any(x.data == 0):
            return (g * (expand(y, axes, keepdims) / x),)
        raise NotImplementedError(
            "prod: the gradient of a gradient through a product with zero factors is not supported"
        )

    formula = ("{g} ⊙ {out}/{0}",)


def _product_gradient(g: Any, x: Any, y: Any, axes: tuple[int, ...]) -> Any:
    """The gradient g·∂y/∂x of a product y: g·(y/x), or g times the other elements' product.

    The second where a factor is 0 or y underflowed to 0 (y/x would lose the other factors).
    """
    if not np.any(x == 0) and not np.any(y == 0):
        return g * (y / x)  # (g·y)/x could overflow, y/x not
    return g * _others_product(x, axes)


def _others_product(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """For each element, the product of the other elements of its reduction group."""
    keep = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, keep + list(axes))
    flat = moved.reshape(*moved.shape[: len(keep)], -1)
    ones = np.ones((*flat.shape[:-1], 1), dtype=x.dtype)
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = (before * after).reshape(moved.shape)
    return np.transpose(others, np.argsort(keep + list(axes)))


@register(
    "var",
    arity=1,
    kind="var",
    reference=lambda x, axis, correction, keepdims: np.var(
        x, axis=axis, ddof=correction, keepdims=keepdims
    ),
)
class Var(FloatFunction):
    """y = Σ (x - x̄)² / dof over `axis`, dof = max(0, n - correction); dy/dx = 2(x - x̄)/dof.

    `correction=1` (the default, as PyTorch) is the unbiased sample variance, 0 the population
    variance. Where dof = 0 (correction ≥ n) the result is +inf, or NaN where there is no
    spread, and so is the gradient, as in PyTorch.
    """

    @staticmethod
    def forward(
        ctx: Context, x: Any, axis: Axis = None, correction: float = 1, keepdims: bool = False
    ) -> Any:
        axes = normalize_axis(axis, x.ndim, "var")
        dof = max(_count(x.shape, axes) - correction, 0)
        ctx.save_for_backward(x, axes, keepdims, dof)
        centred = x - np.mean(x, axis=axes, keepdims=True)
        with tracing.errstate(divide="ignore", invalid="ignore"):
            total = np.add.reduce(centred * centred, axis=axes, keepdims=keepdims)  # type: ignore[call-overload]
            return total / dof  # 0/0 = NaN, t/0 = inf

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        x, axes, keepdims, dof = ctx.saved
        centred = x - np.mean(x, axis=axes, keepdims=True)
        with tracing.errstate(divide="ignore", invalid="ignore"):
            return (expand(grad, axes, keepdims) * (2.0 * _inverse(dof)) * centred,)

    @staticmethod
    def formula(ctx: Context) -> tuple[str]:
        """dy/dx in explain's notation."""
        return (f"{{g}} ⊙ 2({{0}} − mean({{0}}))/{ctx.saved[3]:g}",)


@register(
    "std",
    arity=1,
    domain="distinct",
    kind="var",
    reference=lambda x, axis, correction, keepdims: np.std(
        x, axis=axis, ddof=correction, keepdims=keepdims
    ),
)
class Std(FloatFunction):
    """y = √var (see `Var`, same dof); dy/dx = (x - x̄)/(dof·y), and 0 where y = 0.

    At y = 0 (no spread) √ has no derivative; the gradient there is 0, as in PyTorch (its
    directional derivative along every direction that keeps the spread 0).
    """

    @staticmethod
    def forward(
        ctx: Context, x: Any, axis: Axis = None, correction: float = 1, keepdims: bool = False
    ) -> Any:
        axes = normalize_axis(axis, x.ndim, "std")
        dof = max(_count(x.shape, axes) - correction, 0)
        centred = x - np.mean(x, axis=axes, keepdims=True)
        with tracing.errstate(divide="ignore", invalid="ignore"):
            total = np.add.reduce(centred * centred, axis=axes, keepdims=keepdims)  # type: ignore[call-overload]
            y = np.sqrt(total / dof)
        ctx.save_for_backward(x, y, axes, keepdims, dof)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        x, y, axes, keepdims, dof = ctx.saved
        centred = x - np.mean(x, axis=axes, keepdims=True)
        with tracing.errstate(divide="ignore", invalid="ignore"):
            g = expand(_masked_inverse(grad, y), axes, keepdims)
            return (g * _inverse(dof) * centred,)

    @staticmethod
    def formula(ctx: Context) -> tuple[str]:
        """dy/dx in explain's notation."""
        return (f"{{g}} ⊙ ({{0}} − mean({{0}}))/({ctx.saved[4]:g}{{out}})",)


@register(
    "norm",
    arity=1,
    domain="nonzero",
    kind="reduce",
    reference=lambda x, axis, keepdims: np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims)),
)
class Norm(FloatFunction):
    """y = ‖x‖₂ = √(Σ x²) over `axis`; dy/dx = x/y, and 0 where y = 0 (as PyTorch)."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
        axes = normalize_axis(axis, x.ndim, "norm")
        y = np.sqrt(np.add.reduce(x * x, axis=axes, keepdims=keepdims))  # type: ignore[call-overload]
        ctx.save_for_backward(x, y, axes, keepdims)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        x, y, axes, keepdims = ctx.saved
        with tracing.errstate(divide="ignore", invalid="ignore"):
            return (expand(_masked_inverse(grad, y), axes, keepdims) * x,)

    formula = ("{g} ⊙ {0}/{out}",)


@register(
    "logsumexp",
    arity=1,
    kind="reduce",
    reference=lambda x, axis, keepdims: np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims)),
)
class LogSumExp(FloatFunction):
    """y = ln Σ e^x over `axis`, computed as m + ln Σ e^(x - m), m the max; dy/dx = e^(x - y)."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
        axes = normalize_axis(axis, x.ndim, "logsumexp")
        m = np.maximum.reduce(x, axis=axes, keepdims=True) if x.size else np.zeros((), x.dtype)
        m = np.where(np.isfinite(m), m, 0.0)  # all -inf (or an inf) must not give NaN
        y = np.log(np.add.reduce(np.exp(x - m), axis=axes, keepdims=True)) + m
        if not keepdims:
            y = np.squeeze(y, axis=axes)
        ctx.save_for_backward(x, y, axes, keepdims)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        x, y, axes, keepdims = ctx.saved
        return (expand(grad, axes, keepdims) * np.exp(x - expand(y, axes, keepdims)),)

    formula = ("{g} ⊙ exp({0} − {out})",)
