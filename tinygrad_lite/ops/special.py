"""The error function, erf(x) = 2/√π ∫₀ˣ e^(−t²) dt, and PyTorch's exact GELU built on it."""

from __future__ import annotations

import math

from .. import tracing
from .base import Any, Context, FloatFunction, call, np, register

# NumPy has no erf: Python's (the C library's, correctly rounded to within an ulp) on every
# element. About 0.1 µs an element, so slower than a NumPy ufunc on large arrays.
_ERF = np.frompyfunc(math.erf, 1, 1)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def erf(x: Any) -> Any:
    """math.erf on every element of a float array, in its dtype (one call in a compiled step)."""
    return tracing.replayed(_erf_values, x)


def _erf_values(x: Any) -> Any:
    return np.asarray(_ERF(x)).astype(x.dtype)


@register(
    "erf",
    arity=1,
    reference=np.vectorize(math.erf, otypes=[np.float64]),
)
class Erf(FloatFunction):
    """y = erf(x); dy/dx = 2/√π · e^(−x²)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return erf(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        return (grad * (_TWO_OVER_SQRT_PI * np.exp(-(x * x))),)

    formula = ("{g} ⊙ 2/√π·e^(−{0}²)",)


_SQRT1_2 = math.sqrt(0.5)  # C's M_SQRT1_2, as PyTorch's GELU uses it
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _gelu_erf(x: Any) -> Any:
    """x·Φ(x) with the error function, in PyTorch's order: x · 0.5 · (1 + erf(x · 1/√2))."""
    return x * 0.5 * (1.0 + erf(x * _SQRT1_2))


@register(
    "gelu_erf",
    arity=1,
    reference=lambda x: x * 0.5 * (1.0 + np.vectorize(math.erf, otypes=[np.float64])(x / 2**0.5)),
)
class GELUErf(FloatFunction):
    """y = x·Φ(x), GELU with the error function; dy/dx = Φ(x) + x·φ(x).

    Φ is the standard normal distribution function, ½(1 + erf(x/√2)), and φ its density,
    e^(−x²/2)/√(2π). One op rather than the composition of its formula, so that the derivative
    is one product with the incoming gradient (an infinite or huge gradient is not split into
    terms that meet as ∞ − ∞ or overflow, and at x = 0 it is g/2).
    """

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return _gelu_erf(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        cdf = 0.5 * (1.0 + call(Erf, x * _SQRT1_2))
        return (grad * (cdf + x * (np.exp(-0.5 * (x * x)) * _INV_SQRT_2PI)),)

    formula = ("{g} ⊙ (Φ({0}) + {0}·φ({0}))",)
