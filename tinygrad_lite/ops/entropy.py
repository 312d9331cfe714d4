"""The elementwise entropy −x·ln x and x·ln(1 + y), with PyTorch's values and gradients at 0.

Example:
    >>> from tinygrad_lite import Tensor
    >>> from tinygrad_lite.ops.entropy import Entr
    >>> Entr.apply(Tensor([0.0, 1.0, -1.0])).tolist()
    [0.0, -0.0, -inf]
"""

from __future__ import annotations

from .. import tracing
from .base import Any, Context, FloatFunction, call, np, register, value, zeroed
from .logexp import x_log

__all__ = ["Entr", "XLog1pY"]


def _entr(x: Any) -> Any:
    """−x·ln x for x > 0, 0 at 0, −∞ for x < 0, NaN at NaN (PyTorch's entr)."""
    with tracing.errstate(divide="ignore", invalid="ignore"):
        inner = -x * np.log(x)
    return np.where(x > 0, inner, np.where(x == 0, 0.0, np.where(x < 0, -np.inf, x)))


@register("entr", arity=1, domain="positive", reference=lambda x: -x * np.log(x))
class Entr(FloatFunction):
    """y = −x·ln x (0 at 0, −∞ below); dy/dx = −(1 + ln x) (+∞ at 0, NaN below, as PyTorch's)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return _entr(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        with tracing.errstate(divide="ignore", invalid="ignore"):
            return (grad * -(1.0 + np.log(x)),)

    formula = ("{g} ⊙ −(1 + ln {0})",)


@register(
    "xlog1py",
    arity=2,
    domain=("real", "positive"),
    kind="broadcast",
    reference=lambda x, y: np.where(x == 0, 0.0, x * np.log(1.0 + y)),
)
class XLog1pY(FloatFunction):
    """z = x·ln(1 + y), and 0 where x = 0, even where y is −1 or ∞ (NaN where y is NaN).

    dz/dx = ln(1 + y), dz/dy = x/(1 + y), as PyTorch computes them: dz/dx is
    xlog1py(g, y), and 0 where x = 0 and y ≤ −1; dz/dy is g·x/(1 + y).
    """

    @staticmethod
    def forward(ctx: Context, x: Any, y: Any) -> Any:
        ctx.save_for_backward(x, y)
        return x_log("xlog1py", np.log1p, x, y)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        x, y = ctx.saved
        nx, ny = ctx.needs_input_grad
        gx = None
        if nx:
            xv, yv = value(x), value(y)
            gx = zeroed(call(XLog1pY, grad, y), (xv == 0) & (yv <= -1))
        with tracing.errstate(divide="ignore", invalid="ignore"):
            return gx, (grad * x / (y + 1.0) if ny else None)

    formula = ("{g} ⊙ ln(1 + {1})", "{g} ⊙ {0}/(1 + {1})")
