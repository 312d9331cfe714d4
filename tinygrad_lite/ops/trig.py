"""Trigonometry beyond sin and cos: tan, the inverse and hyperbolic functions, sinc, atan2, hypot.

Each derivative is PyTorch's, values at the edges included (asin′(±1) = ∞, atan2′ = 0 at the
origin, sinc′(0) = 0), computed so that it keeps its digits where PyTorch's loses them: 1 − x²
as (1 − x)(1 + x) near ±1, and √(x² ± 1) without the overflow of x² for |x| > 1e154.

Example:
    >>> from tinygrad_lite import Tensor
    >>> from tinygrad_lite.ops import Atan2
    >>> Atan2.apply(Tensor([1.0, -1.0]), Tensor([-1.0, -1.0])).tolist()  # 3π/4 and −3π/4
    [2.356194490192345, -2.356194490192345]
"""

from __future__ import annotations

import math

from .. import tracing
from .base import Any, Context, FloatFunction, no_broadcast, np, register, value, zeroed


@register(
    "tan",
    arity=1,
    domain="inside_half_pi",
    reference=lambda x: np.sin(x) / np.cos(x),
)
class Tan(FloatFunction):
    """y = tan x; dy/dx = 1 + y²."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        y = np.tan(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (y,) = ctx.saved
        return (grad * (1.0 + y * y),)

    formula = ("{g} ⊙ (1 + {out}²)",)


@register(
    "atan",
    arity=1,
    reference=lambda x: np.arctan2(x, 1.0),
)
class Atan(FloatFunction):
    """y = atan x in (−π/2, π/2); dy/dx = 1/(1 + x²) (0 at ±∞)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return np.arctan(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        with tracing.errstate(over="ignore"):  # x² = ∞ for |x| > 1e154: the 0 it gives is right
            return (grad / (1.0 + x * x),)

    formula = ("{g}/(1 + {0}²)",)


@register(
    "asin",
    arity=1,
    domain="inside_unit",
    reference=lambda x: np.arctan2(x, np.sqrt(1.0 - x * x)),
)
class Asin(FloatFunction):
    """y = asin x in [−π/2, π/2]; dy/dx = 1/√((1 − x)(1 + x)) (∞ at ±1, NaN beyond)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return np.arcsin(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        return (grad / np.sqrt((1.0 - x) * (1.0 + x)),)

    formula = ("{g}/√(1 − {0}²)",)


@register(
    "acos",
    arity=1,
    domain="inside_unit",
    reference=lambda x: np.arctan2(np.sqrt(1.0 - x * x), x),
)
class Acos(FloatFunction):
    """y = acos x in [0, π]; dy/dx = −1/√((1 − x)(1 + x)) (−∞ at ±1, NaN beyond)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return np.arccos(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        return (-grad / np.sqrt((1.0 - x) * (1.0 + x)),)

    formula = ("−{g}/√(1 − {0}²)",)


@register(
    "sinh",
    arity=1,
    reference=lambda x: (np.exp(x) - np.exp(-x)) / 2.0,
)
class Sinh(FloatFunction):
    """y = sinh x = (eˣ − e⁻ˣ)/2; dy/dx = cosh x."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return np.sinh(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        return (grad * np.cosh(x),)

    formula = ("{g} ⊙ cosh({0})",)


@register(
    "cosh",
    arity=1,
    reference=lambda x: (np.exp(x) + np.exp(-x)) / 2.0,
)
class Cosh(FloatFunction):
    """y = cosh x = (eˣ + e⁻ˣ)/2; dy/dx = sinh x."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return np.cosh(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        return (grad * np.sinh(x),)

    formula = ("{g} ⊙ sinh({0})",)


@register(
    "asinh",
    arity=1,
    reference=lambda x: np.sign(x) * np.log(np.abs(x) + np.sqrt(x * x + 1.0)),
)
class Asinh(FloatFunction):
    """y = asinh x = ln(x + √(x² + 1)); dy/dx = 1/√(x² + 1) (0 at ±∞)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return np.arcsinh(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        # hypot(x, 1) = √(x² + 1) without overflow of x² (|x| > 1e154 gives 1/|x|, not 0)
        return (grad / np.hypot(x, 1.0),)

    formula = ("{g}/√({0}² + 1)",)


@register(
    "acosh",
    arity=1,
    domain="above_1",
    reference=lambda x: np.log(x + np.sqrt(x * x - 1.0)),
)
class Acosh(FloatFunction):
    """y = acosh x = ln(x + √(x² − 1)) for x ≥ 1; dy/dx = 1/√(x² − 1) (∞ at 1).

    Below 1 the value is NaN; the derivative is PyTorch's formula there too: NaN on (−1, 1),
    ∞ at −1, finite below. For |x| > 1e154 it is about 1/|x|, where PyTorch's x² − 1
    overflows and gives 0.
    """

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return np.arccosh(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        # √(|x| − 1)·√(|x| + 1) = √(x² − 1) without x²'s rounding near 1 or its overflow for
        # |x| > 1e154, and +0 at x = −1
        a = np.abs(x)
        return (grad / (np.sqrt(a - 1.0) * np.sqrt(a + 1.0)),)

    formula = ("{g}/√({0}² − 1)",)


@register(
    "atanh",
    arity=1,
    domain="inside_unit",
    reference=lambda x: 0.5 * np.log((1.0 + x) / (1.0 - x)),
)
class Atanh(FloatFunction):
    """y = atanh x = ½ ln((1 + x)/(1 − x)); dy/dx = 1/((1 − x)(1 + x)) (∞ at ±1)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return np.arctanh(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        return (grad / ((1.0 - x) * (1.0 + x)),)

    formula = ("{g}/(1 − {0}²)",)


@register(
    "sinc",
    arity=1,
    domain="away_from_0",
    reference=np.sinc,
)
class Sinc(FloatFunction):
    """y = sin(πx)/(πx), the normalised sinc, 1 at 0; dy/dx = (cos(πx) − y)/x, 0 at 0.

    The derivative at 0 is its limit, 0, whatever the incoming gradient (PyTorch's select);
    the second derivative there is NaN, as PyTorch's. For |x| > 1e154 the derivative is still
    (cos(πx) − y)/x, about 1/x; PyTorch's divides by πx², which overflows, and gives 0.
    """

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        zero = x == 0
        px = math.pi * np.where(zero, 1.0, x)  # no 0/0 to warn about
        y = np.where(zero, 1.0, np.sin(px) / px)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        x, y = ctx.saved
        with tracing.errstate(invalid="ignore", over="ignore"):  # 0/0 at 0; x² of a huge x
            d = grad * ((np.cos(math.pi * x) - y) / x)
            # 0 where x² underflows to 0, as PyTorch selects it (the derivative, −π²x/3 there,
            # is far below what cos(πx) − y resolves): an incoming ∞ gives 0 there, not ∞·0
            xv = value(x)
            tiny = xv * xv == 0
        return (zeroed(d, tiny),)

    formula = ("{g} ⊙ (cos(π{0}) − {out})/{0}",)


def paired(op: str, fn: Any, x: Any, y: Any) -> Any:
    """fn(x, y) with broadcasting; shapes that do not broadcast are refused in `op`'s name."""
    try:
        return fn(x, y)
    except ValueError:
        raise no_broadcast(op, x, y) from None


@register(
    "atan2",
    arity=2,
    domain=("nonzero", "real"),
    kind="broadcast",
    reference=lambda x, y: np.angle(y + 1j * x),
)
class Atan2(FloatFunction):
    """z = atan2(x, y), the angle of the point (y, x) in [−π, π] (PyTorch's argument order).

    dz/dx = y/(x² + y²), dz/dy = −x/(x² + y²); both 0 at the origin, as in PyTorch.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, y: Any) -> Any:
        ctx.save_for_backward(x, y)
        return paired("atan2", np.arctan2, x, y)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        x, y = ctx.saved
        nx, ny = ctx.needs_input_grad
        with tracing.errstate(divide="ignore", over="ignore"):  # 1/(x² + y²) is 0 or ∞ there
            d = x * x + y * y
            r = zeroed(1.0 / d, value(d) == 0)
        return (grad * y * r if nx else None), (grad * -x * r if ny else None)

    formula = ("{g} ⊙ {1}/({0}² + {1}²)", "−{g} ⊙ {0}/({0}² + {1}²)")


@register(
    "hypot",
    arity=2,
    domain=("nonzero", "real"),
    kind="broadcast",
    reference=lambda x, y: np.sqrt(x * x + y * y),
)
class Hypot(FloatFunction):
    """z = √(x² + y²), without overflow or underflow of the squares; dz/dx = x/z, dz/dy = y/z.

    At the origin both derivatives are NaN (0/0), as in PyTorch.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, y: Any) -> Any:
        z = paired("hypot", np.hypot, x, y)
        ctx.save_for_backward(x, y, z)
        return z

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        x, y, z = ctx.saved
        nx, ny = ctx.needs_input_grad
        return (grad * x / z if nx else None), (grad * y / z if ny else None)

    formula = ("{g} ⊙ {0}/{out}", "{g} ⊙ {1}/{out}")
