"""Logarithms and exponentials in base 2 and 10, logit, log-add-exp and xlogy, as PyTorch's.

Each derivative is PyTorch's at the edges too: log2′(±0) = ±∞, logit′ = 0 outside its eps clamp,
xlogy's derivatives where x = 0.

Example:
    >>> from tinygrad_lite import Tensor
    >>> from tinygrad_lite.ops import XLogY
    >>> XLogY.apply(Tensor([0.0, 2.0]), Tensor([0.0, 1.0])).tolist()  # 0·ln 0 is 0 here
    [0.0, 0.0]
"""

from __future__ import annotations

import math

from .. import tracing
from .base import (
    Any,
    Context,
    FloatFunction,
    call,
    np,
    register,
    value,
    zeroed,
)
from .elementwise import Sigmoid
from .trig import paired

LN2 = math.log(2.0)
LN10 = math.log(10.0)


@register(
    "log2",
    arity=1,
    domain="positive",
    reference=lambda x: np.log(x) / np.log(2.0),
)
class Log2(FloatFunction):
    """y = log₂ x; dy/dx = 1/(x ln 2) (±∞ at ±0)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return np.log2(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        return (grad / (x * LN2),)

    formula = ("{g}/({0}·ln 2)",)


@register(
    "log10",
    arity=1,
    domain="positive",
    reference=lambda x: np.log(x) / np.log(10.0),
)
class Log10(FloatFunction):
    """y = log₁₀ x; dy/dx = 1/(x ln 10) (±∞ at ±0)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return np.log10(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        return (grad / (x * LN10),)

    formula = ("{g}/({0}·ln 10)",)


@register(
    "exp2",
    arity=1,
    domain="moderate",
    reference=lambda x: np.exp(x * np.log(2.0)),
)
class Exp2(FloatFunction):
    """y = 2ˣ; dy/dx = y ln 2."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        y = np.exp2(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (y,) = ctx.saved
        return (grad * y * LN2,)

    formula = ("{g} ⊙ {out}·ln 2",)


def logit_reference(x: Any, eps: float | None) -> Any:
    """ln(z) − ln(1 − z), with z = x clamped to [eps, 1 − eps] when eps is given."""
    z = x if eps is None or eps < 0 else np.clip(x, eps, 1.0 - eps)
    return np.log(z) - np.log1p(-z)


@register(
    "logit",
    arity=1,
    domain="unit_offset",
    kind="logit",
    reference=logit_reference,
)
class Logit(FloatFunction):
    """y = ln(z/(1 − z)), z = x, or x clamped to [eps, 1 − eps]; dy/dx = 1/(x(1 − x)).

    As PyTorch's: with eps the derivative is 0 where x < eps or x > 1 − eps (a select, so an
    incoming ∞ or NaN gives 0 there too); without eps (or with eps < 0, which PyTorch reads as
    none) it is NaN outside [0, 1] and +∞ at 0 and 1, −0 included (PyTorch's one-element kernel;
    its vectorised one gives −∞ at −0). An eps above ½ clamps x below eps to eps
    and the rest to 1 − eps, in that order, as PyTorch does.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, eps: float | None = None) -> Any:
        if eps is not None:
            eps = float(eps)  # a Python float: a constant of the derivative, not an input
            if eps < 0:
                eps = None
        ctx.save_for_backward(x, eps)
        if eps is not None:
            x = np.where(x < eps, eps, np.where(x > 1.0 - eps, 1.0 - eps, x))
        return np.log(x / (1.0 - x))

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        x, eps = ctx.saved
        xv = value(x)
        with tracing.errstate(divide="ignore", invalid="ignore"):  # ∞ and NaN are its values
            d = grad / (x * (1.0 - x) + 0.0)  # + 0: +∞ at x = −0 too (−0 + 0 is +0)
        if eps is None:
            return (np.where((xv < 0) | (xv > 1), np.nan, d),)
        return (zeroed(d, (xv < eps) | (xv > 1.0 - eps)),)

    @staticmethod
    def formula(ctx: Context) -> tuple[str]:
        """dy/dx in explain's notation."""
        eps = ctx.saved[1]
        inside = "" if eps is None else f" ⊙ [{eps:g} ≤ {{0}} ≤ {1.0 - eps:g}]"
        return ("{g}/({0}(1 − {0}))" + inside,)


@register(
    "logaddexp",
    arity=2,
    kind="broadcast",
    reference=lambda x, y: np.log(np.exp(x) + np.exp(y)),
)
class LogAddExp(FloatFunction):
    """z = ln(eˣ + eʸ), without overflow; dz/dx = σ(x − y), dz/dy = σ(y − x).

    The derivatives are σ of the difference rather than e^(x − z), so that x = ∞ beside a finite
    y gives 1 and 0 (PyTorch's), not NaN.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, y: Any) -> Any:
        ctx.save_for_backward(x, y)
        return paired("logaddexp", np.logaddexp, x, y)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        x, y = ctx.saved
        nx, ny = ctx.needs_input_grad
        gx = grad * call(Sigmoid, x - y) if nx else None
        return gx, (grad * call(Sigmoid, y - x) if ny else None)

    formula = ("{g} ⊙ σ({0} − {1})", "{g} ⊙ σ({1} − {0})")


@register(
    "logaddexp2",
    arity=2,
    kind="broadcast",
    reference=lambda x, y: np.log2(2.0**x + 2.0**y),
)
class LogAddExp2(FloatFunction):
    """z = log₂(2ˣ + 2ʸ), without overflow; dz/dx = σ((x − y) ln 2), dz/dy = σ((y − x) ln 2)."""

    @staticmethod
    def forward(ctx: Context, x: Any, y: Any) -> Any:
        ctx.save_for_backward(x, y)
        return paired("logaddexp2", np.logaddexp2, x, y)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        x, y = ctx.saved
        nx, ny = ctx.needs_input_grad
        gx = grad * call(Sigmoid, (x - y) * LN2) if nx else None
        return gx, (grad * call(Sigmoid, (y - x) * LN2) if ny else None)

    formula = ("{g} ⊙ σ(({0} − {1})·ln 2)", "{g} ⊙ σ(({1} − {0})·ln 2)")


def x_log(op: str, log: Any, x: Any, y: Any) -> Any:
    """x·log(y), 0 where x = 0 (unless y is NaN): PyTorch's xlogy (log = ln), xlog1py (log1p).

    The log is taken in the result's dtype (of float32 y beside float64 x: in float64).
    """
    if y.dtype != x.dtype:
        y = y.astype(np.result_type(x.dtype, y.dtype), copy=False)
    with tracing.errstate(divide="ignore", invalid="ignore"):  # ln 0 and 0·(−∞): replaced
        z = paired(op, lambda a, b: a * log(b), x, y)
    return np.where((x == 0) & ~np.isnan(y), 0.0, z)


@register(
    "xlogy",
    arity=2,
    domain=("real", "positive"),
    kind="broadcast",
    reference=lambda x, y: np.where(x == 0, 0.0, x * np.log(y)),
)
class XLogY(FloatFunction):
    """z = x·ln y, and 0 where x = 0, even where y is 0 or ∞ (NaN where y is NaN).

    dz/dx = ln y, dz/dy = x/y, as PyTorch computes them: dz/dx is xlogy(g, y), so a zero
    incoming gradient gives 0 even where y = 0, and it is 0 where x = 0 and y ≤ 0; dz/dy is
    g·x/y, so NaN at x = y = 0.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, y: Any) -> Any:
        ctx.save_for_backward(x, y)
        return x_log("xlogy", np.log, x, y)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        x, y = ctx.saved
        nx, ny = ctx.needs_input_grad
        gx = None
        if nx:
            xv, yv = value(x), value(y)
            gx = zeroed(call(XLogY, grad, y), (xv == 0) & (yv <= 0))
        return gx, (grad * x / y if ny else None)

    formula = ("{g} ⊙ ln {1}", "{g} ⊙ {0}/{1}")
