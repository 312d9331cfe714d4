"""Elementwise functions: activations, exponentials and logarithms, roots, trigonometry."""

from __future__ import annotations

import math

from .base import Any, Context, FloatFunction, Function, call, kept, np, register, value, zeroed


@register(
    "tanh",
    arity=1,
    reference=np.tanh,
)
class Tanh(FloatFunction):
    """y = tanh(x); dy/dx = 1 - y²."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (y,) = ctx.saved
        y = ctx.reuse(y, holders=2)  # the dead saved A1 may take the result (large arrays)
        return (grad * (1.0 - y * y),)  # the tutorial's (1 - A1²)

    formula = ("{g} ⊙ (1 − {out}²)",)  # in explain's notation ({g}: the output's gradient)


def stable_sigmoid(x: Any) -> Any:
    """σ(x) = 1/(1+e^(-x)), computed from e^(-|x|) so that no exp overflows."""
    e = np.exp(-np.abs(x))
    r = 1.0 / (1.0 + e)
    return np.where(x >= 0, r, e * r)


@register(
    "sigmoid",
    arity=1,
    reference=lambda x: 1 / (1 + np.exp(-x)),
)
class Sigmoid(FloatFunction):
    """y = σ(x) = 1 / (1 + e^(-x)); dy/dx = y·(1 - y)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        y = stable_sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (y,) = ctx.saved
        return (grad * (y * (1.0 - y)),)

    formula = ("{g} ⊙ {out} ⊙ (1 − {out})",)


@register(
    "relu",
    arity=1,
    domain="away_from_0",
    reference=lambda x: np.maximum(x, 0),
)
class ReLU(Function):
    """y = max(x, 0); dy/dx = 0 where x ≤ 0 (0 included), else 1 (NaN passes the gradient).

    Where x ≤ 0 the gradient is 0 even when the incoming one is ∞ or NaN, as in PyTorch.
    """

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return np.maximum(x, 0)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        return (zeroed(grad, value(x) <= 0),)

    formula = ("{g} ⊙ [{0} > 0]",)


@register(
    "leaky_relu",
    arity=1,
    domain="away_from_0",
    kind="leaky_relu",
    reference=lambda x, negative_slope: np.where(x > 0, x, negative_slope * x),
)
class LeakyReLU(Function):
    """y = x for x > 0, else slope·x; dy/dx = 1 or slope (slope at 0, as PyTorch)."""

    @staticmethod
    def forward(ctx: Context, x: Any, negative_slope: float = 0.01) -> Any:
        ctx.save_for_backward(x, negative_slope)
        return np.where(x > 0, x, x * negative_slope)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        x, slope = ctx.saved
        return (np.where(x > 0, grad, grad * slope),)

    @staticmethod
    def formula(ctx: Context) -> tuple[str]:
        """dy/dx in explain's notation."""
        return (f"{{g}} ⊙ ([{{0}} > 0] + {ctx.saved[1]:g}[{{0}} ≤ 0])",)


@register(
    "exp",
    arity=1,
    domain="moderate",
    reference=np.exp,
)
class Exp(FloatFunction):
    """y = e^x; dy/dx = y."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        y = np.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (y,) = ctx.saved
        return (grad * y,)

    formula = ("{g} ⊙ {out}",)


@register(
    "expm1",
    arity=1,
    domain="moderate",
    reference=np.expm1,
)
class Expm1(FloatFunction):
    """y = e^x - 1, accurate for small x; dy/dx = y + 1."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        y = np.expm1(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (y,) = ctx.saved
        return (grad * (y + 1.0),)

    formula = ("{g} ⊙ ({out} + 1)",)


@register(
    "log",
    arity=1,
    domain="positive",
    reference=np.log,
)
class Log(FloatFunction):
    """y = ln x; dy/dx = 1/x."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        return (grad / x,)

    formula = ("{g}/{0}",)


@register(
    "log1p",
    arity=1,
    domain="above_minus_1",
    reference=np.log1p,
)
class Log1p(FloatFunction):
    """y = ln(1 + x), accurate for small x; dy/dx = 1/(1 + x)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return np.log1p(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        return (grad / (x + 1.0),)

    formula = ("{g}/(1 + {0})",)


@register(
    "log_sigmoid",
    arity=1,
    reference=lambda x: np.log(1 / (1 + np.exp(-x))),
)
class LogSigmoid(FloatFunction):
    """y = ln σ(x) = min(x, 0) - ln(1 + e^(-|x|)); dy/dx = 1 - σ(x) = σ(-x)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        return (grad * call(Sigmoid, -x),)

    formula = ("{g} ⊙ σ(−{0})",)


@register(
    "softplus",
    arity=1,
    kind="softplus",
    reference=lambda x, beta, threshold: np.where(
        beta * x > threshold, x, np.log(1 + np.exp(beta * x)) / beta
    ),
)
class Softplus(FloatFunction):
    """y = ln(1 + e^(βx))/β, and x itself where βx > threshold (PyTorch's); dy/dx = σ(βx)."""

    @staticmethod
    def forward(ctx: Context, x: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
        ctx.save_for_backward(x, beta, threshold)
        bx = x * beta
        # ln(1 + e^t) = max(t, 0) + ln(1 + e^(-|t|)): no overflow for large t
        soft = (np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))) / beta
        return np.where(bx > threshold, x, soft)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        x, beta, threshold = ctx.saved
        bx = x * beta
        return (np.where(bx > threshold, grad, grad * call(Sigmoid, bx)),)

    @staticmethod
    def formula(ctx: Context) -> tuple[str]:
        """dy/dx in explain's notation."""
        x, beta, threshold = ctx.saved
        bx = "{0}" if beta == 1 else f"{beta:g}{{0}}"
        if not np.any(x * beta > threshold):
            return (f"{{g}} ⊙ σ({bx})",)
        return (f"{{g}} ⊙ ([{bx} > {threshold:g}] + [{bx} ≤ {threshold:g}] ⊙ σ({bx}))",)


_GELU_BETA = math.sqrt(2.0 / math.pi)
_GELU_KAPPA = 0.044715


@register(
    "gelu",
    arity=1,
    reference=lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
)
class GELU(FloatFunction):
    """y = ½x(1 + tanh(√(2/π)(x + 0.044715x³))), the tanh approximation of x·Φ(x).

    dy/dx = ½(1 + t) + ½x(1 - t²)·√(2/π)(1 + 3·0.044715x²), with t the tanh above.
    """

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        inner = _GELU_BETA * (x + _GELU_KAPPA * (x * x * x))
        return 0.5 * x * (1.0 + np.tanh(inner))

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        # tanh of the inner term is ±1 in float64 once |x| > 10; clipping x at 30 changes no
        # value and keeps x² finite, so that (1 - t²)·x² is 0, not 0·inf, for huge |x|
        x = np.clip(x, -30.0, 30.0)
        x_sq = x * x
        t = np.tanh(_GELU_BETA * (x + _GELU_KAPPA * (x_sq * x)))
        d_inner = _GELU_BETA * (1.0 + 3.0 * _GELU_KAPPA * x_sq)
        return (grad * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * d_inner),)

    formula = ("{g} ⊙ gelu′({0})",)


@register(
    "sqrt",
    arity=1,
    domain="positive",
    reference=np.sqrt,
)
class Sqrt(FloatFunction):
    """y = √x; dy/dx = 1/(2y)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        y = np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (y,) = ctx.saved
        return (grad / (2.0 * y),)

    formula = ("{g}/(2{out})",)


@register(
    "abs",
    arity=1,
    domain="away_from_0",
    reference=np.abs,
)
class Abs(Function):
    """y = |x|; dy/dx = sign(x) (0 at 0, as PyTorch)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        return (grad * np.sign(x),)

    formula = ("{g} ⊙ sign({0})",)


@register(
    "sin",
    arity=1,
    reference=np.sin,
)
class Sin(FloatFunction):
    """y = sin x; dy/dx = cos x."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        return (grad * np.cos(x),)

    formula = ("{g} ⊙ cos({0})",)


@register(
    "cos",
    arity=1,
    reference=np.cos,
)
class Cos(FloatFunction):
    """y = cos x; dy/dx = -sin x."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        return (grad * -np.sin(x),)

    formula = ("−{g} ⊙ sin({0})",)


@register(
    "sign",
    arity=1,
    reference=np.sign,
)
class Sign(Function):
    """y = sign(x) in {-1, 0, 1}: piecewise constant, so no gradient flows through it."""

    differentiable = False

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        return np.sign(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[None]:
        return (None,)


@register(
    "clamp",
    arity=1,
    domain="away_from_bounds",
    kind="clamp",
    reference=lambda x, min, max: np.clip(x, min, max),
)
class Clamp(Function):
    """y = min(max(x, lo), hi); the gradient passes only where lo ≤ x ≤ hi (not at NaN)."""

    @staticmethod
    def forward(ctx: Context, x: Any, min: float | None = None, max: float | None = None) -> Any:
        if min is None and max is None:
            raise ValueError("clamp: give at least one of min and max")
        ctx.save_for_backward(x, min, max)
        return np.clip(x, min, max)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        x, lo, hi = ctx.saved
        x = value(x)
        inside = (x >= lo) if lo is not None else (x <= hi)
        if lo is not None and hi is not None:
            inside = inside & (x <= hi)
        return (kept(grad, inside),)

    @staticmethod
    def formula(ctx: Context) -> tuple[str]:
        """dy/dx in explain's notation."""
        _, lo, hi = ctx.saved
        parts = ([] if lo is None else [f"[{lo:g} ≤ {{0}}]"]) + (
            [] if hi is None else [f"[{{0}} ≤ {hi:g}]"]
        )
        return ("{g} ⊙ " + " ⊙ ".join(parts),)
