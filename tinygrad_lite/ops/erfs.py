"""The complementary error function erfc, the scaled erfcx, the inverse erfinv and ndtri, Φ⁻¹.

erfc is Python's `math.erfc` on every element (accurate in the tail, where 1 − erf(x) loses
every digit); erfcx(x) = e^(x²)·erfc(x) multiplies e^(x²) with x² split exactly in two (a rounded
x² would cost e^(x²) up to 700 ulp of it) and switches to its asymptotic series at x ≥ 10.
erfinv and ndtri start from a rational approximation and take Halley steps on `math.erf` (near
0) or `math.erfc` (where erf is near ±1, so the residual keeps its digits). Derivatives, all
written with the ops: erfc′ = −2/√π·e^(−x²), erfcx′ = 2x·erfcx(x) − 2/√π,
erfinv′ = √π/2·e^(erfinv(x)²), ndtri′ = √(2π)·e^(ndtri(p)²/2).

Example:
    >>> from tinygrad_lite import Tensor
    >>> from tinygrad_lite.ops.erfs import Erfinv
    >>> Erfinv.apply(Tensor([0.0, 1.0, -1.0])).tolist()
    [0.0, inf, -inf]
"""

from __future__ import annotations

import math

from .. import tracing
from .base import Any, Context, FloatFunction, np, register
from .gammas import quiet

__all__ = ["Erfc", "Erfcx", "Erfinv", "Ndtri", "erfc_values", "erfcx_values"]

_ERF = np.frompyfunc(math.erf, 1, 1)
_ERFC = np.frompyfunc(math.erfc, 1, 1)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_SQRT2 = math.sqrt(2.0)


def _f64(fn: Any, x: Any) -> Any:
    return np.asarray(fn(x), dtype=np.float64)


@quiet
def erfc_values(x: Any) -> Any:
    """math.erfc on every element, in x's dtype."""
    return _f64(_ERFC, x).astype(x.dtype)


def _exp_square(x: Any) -> Any:
    """e^(x²) without the rounding of x²: x = h + l (h with 26 bits), x² = h² + (2h + l)·l."""
    h = x * 134217729.0 - (x * 134217729.0 - x)
    finite = np.isfinite(h)
    h = np.where(finite, h, x)
    lo = x - h
    return np.exp(h * h) * np.exp(np.where(finite, (2.0 * h + lo) * lo, 0.0))


@quiet
def erfcx_values(x: Any) -> Any:
    """e^(x²)·erfc(x) on every element (x's dtype): +∞ below x ≈ −26.6, ~1/(x√π) for large x."""
    v = x.astype(np.float64)
    out = np.full(v.shape, np.nan)
    near = v < 10.0
    out[near] = _exp_square(v[near]) * _f64(_ERFC, v[near])
    far = v >= 10.0
    vf = v[far]
    with np.errstate(over="ignore"):
        r = 1.0 / (2.0 * vf * vf)
    terms = [np.ones_like(vf)]
    for k in range(1, 24):  # Σ (−1)ᵏ (2k − 1)!!/(2x²)ᵏ: the 23rd term is below 1e−21 at x = 10
        terms.append(-terms[-1] * (2 * k - 1) * r)
    total = terms[-1]
    for t in reversed(terms[:-1]):
        total = total + t
    out[far] = total / (vf * math.sqrt(math.pi))
    return out.astype(x.dtype)


def _giles(a: Any) -> Any:
    """Giles' approximation of erfinv on [0, 1) (relative error about 1e−7 where fitted)."""
    w = -np.log((1.0 - a) * (1.0 + a))
    central = w < 5.0
    wc = w - 2.5
    pc = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
              -0.00417768164, 0.246640727, 1.50140941):  # fmt: skip
        pc = c + pc * wc
    wt = np.sqrt(w) - 3.0
    pt = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
              0.00943887047, 1.00167406, 2.83297682):  # fmt: skip
        pt = c + pt * wt
    return np.where(central, pc, pt) * a


def _halley(y: Any, residual: Any) -> Any:
    """One Halley step for f(y) = 0 where f′ = 2/√π·e^(−y²) (so f″/f′ = −2y)."""
    u = residual / (_TWO_OVER_SQRT_PI * np.exp(-(y * y)))
    return y - u / (1.0 + y * u)


@quiet
def erfinv_values(x: Any) -> Any:
    """Erfinv on every element (x's dtype): ±∞ at ±1, NaN outside [−1, 1]."""
    v = x.astype(np.float64)
    a = np.abs(v)
    out = np.full(v.shape, np.nan)
    inside = a < 1.0
    ai = a[inside]
    y = _giles(ai)
    low = ai < 0.5
    for _ in range(3):
        y[low] = _halley(y[low], _f64(_ERF, y[low]) - ai[low])
    # for a ≥ ½, Newton steps on ln erfc(y) − ln(1 − a) (1 − a exact): nearly linear in y²,
    # so they converge from Giles' start even where it is extrapolated (1 − a down to 2⁻⁵³)
    yt, log_rest = y[~low], np.log(1.0 - ai[~low])
    for _ in range(5):
        e = _f64(_ERFC, yt)
        yt = yt + (np.log(e) - log_rest) * e / (_TWO_OVER_SQRT_PI * np.exp(-(yt * yt)))
    y[~low] = yt
    out[inside] = y
    out[a == 1.0] = np.inf
    return np.copysign(out, v).astype(x.dtype)


@quiet
def ndtri_values(p: Any) -> Any:
    """Φ⁻¹(p), the standard normal quantile, on every element (p's dtype): ±∞ at 1 and 0.

    √2·erfinv(2p − 1) on [¼, ¾] (where 2p − 1 is exact); in the tails Halley steps on
    Φ(x) = erfc(−x/√2)/2 − q, q = min(p, 1 − p), from the Abramowitz–Stegun 26.2.23 start.
    """
    v = p.astype(np.float64)
    out = np.full(v.shape, np.nan)
    mid = (v >= 0.25) & (v <= 0.75)
    out[mid] = _SQRT2 * erfinv_values(2.0 * v[mid] - 1.0)
    tail = ((v > 0.0) & (v < 0.25)) | ((v > 0.75) & (v < 1.0))
    vt = v[tail]
    q = np.minimum(vt, 1.0 - vt)
    t = np.sqrt(-2.0 * np.log(q))
    x = -(
        t
        - (2.515517 + t * (0.802853 + t * 0.010328))
        / (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308)))
    )
    for _ in range(3):
        u = (0.5 * _f64(_ERFC, -x / _SQRT2) - q) / (np.exp(-0.5 * x * x) / _SQRT_2PI)
        x = x - u / (1.0 - 0.5 * x * u)
    out[tail] = np.where(vt > 0.5, -x, x)
    out[v == 0.0] = -np.inf
    out[v == 1.0] = np.inf
    return out.astype(p.dtype)


def _bisected(fn: Any, target: Any, lo: float, hi: float) -> Any:
    """The root of fn(y) = target by 80 bisections of [lo, hi] (fn increasing)."""
    t = np.asarray(target, dtype=np.float64)
    a, b = np.full(t.shape, lo), np.full(t.shape, hi)
    for _ in range(80):
        m = 0.5 * (a + b)
        below = _f64(fn, m) < t
        a, b = np.where(below, m, a), np.where(below, b, m)
    return 0.5 * (a + b)


@register(
    "erfc",
    arity=1,
    reference=lambda x: 1.0 - _f64(_ERF, x),
)
class Erfc(FloatFunction):
    """y = erfc(x) = 1 − erf(x); dy/dx = −2/√π·e^(−x²)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return tracing.replayed(erfc_values, x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        with tracing.errstate(over="ignore"):  # e^(−x²) is 0 where x² overflows
            return (grad * (-_TWO_OVER_SQRT_PI * np.exp(-(x * x))),)

    formula = ("{g} ⊙ (−2/√π·e^(−{0}²))",)


@register(
    "erfcx",
    arity=1,
    reference=lambda x: np.exp(x * x) * _f64(_ERFC, x),
)
class Erfcx(FloatFunction):
    """y = erfcx(x) = e^(x²)·erfc(x); dy/dx = 2x·y − 2/√π."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        y = tracing.replayed(erfcx_values, x)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        x, y = ctx.saved
        return (grad * (2.0 * x * y - _TWO_OVER_SQRT_PI),)

    formula = ("{g} ⊙ (2{0}·{out} − 2/√π)",)


@register(
    "erfinv",
    arity=1,
    domain="inside_unit",
    reference=lambda x: _bisected(_ERF, x, -6.0, 6.0),
)
class Erfinv(FloatFunction):
    """y = erfinv(x), the y with erf(y) = x; dy/dx = √π/2·e^(y²)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        y = tracing.replayed(erfinv_values, x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (y,) = ctx.saved
        return (grad * (_SQRT_PI_OVER_2 * np.exp(y * y)),)

    formula = ("{g} ⊙ √π/2·e^({out}²)",)


@register(
    "ndtri",
    arity=1,
    domain="unit",
    reference=lambda p: _SQRT2 * _bisected(_ERF, 2.0 * np.asarray(p) - 1.0, -6.0, 6.0),
)
class Ndtri(FloatFunction):
    """x = Φ⁻¹(p), the standard normal quantile; dx/dp = √(2π)·e^(x²/2)."""

    @staticmethod
    def forward(ctx: Context, p: Any) -> Any:
        x = tracing.replayed(ndtri_values, p)
        ctx.save_for_backward(x)
        return x

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        return (grad * (_SQRT_2PI * np.exp(0.5 * (x * x))),)

    formula = ("{g} ⊙ √(2π)·e^({out}²/2)",)
