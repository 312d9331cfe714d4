"""The log-gamma function and its derivatives: lgamma, digamma ψ and the polygammas ψ⁽ⁿ⁾.

lgamma is Python's `math.lgamma` on every element (+∞ at the poles, as PyTorch's); ψ and ψ⁽ⁿ⁾
push x up by the recurrence ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁾(x + 1) − (−1)ⁿ n!/x^(n+1) and finish with the
asymptotic (Euler–Maclaurin) series in the Bernoulli numbers; negative x go through the
reflection formula. Each derivative is the next function of the family, written with the ops,
so gradients of every order follow: lgamma′ = ψ, ψ′ = ψ⁽¹⁾, ψ⁽ⁿ⁾′ = ψ⁽ⁿ⁺¹⁾.

Example:
    >>> from tinygrad_lite import Tensor
    >>> from tinygrad_lite.ops.gammas import Digamma
    >>> round(Digamma.apply(Tensor([1.0])).item(), 12)  # −γ, the Euler–Mascheroni constant
    -0.577215664902
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import TypeVar, cast

from .. import tracing
from .base import Any, Context, FloatFunction, call, np, register

__all__ = ["Digamma", "Lgamma", "Polygamma", "digamma_values", "polygamma_values", "quiet"]

_F = TypeVar("_F", bound=Callable[..., Any])


def quiet(fn: _F) -> _F:
    """`fn` with NumPy's floating-point warnings off: its ∞ and NaN are values it means."""

    @functools.wraps(fn)
    def run(*args: Any) -> Any:
        with np.errstate(all="ignore"):
            return fn(*args)

    return cast(_F, run)


# B₂ₖ for k = 1..12: enough terms for the asymptotic series at the shifts used below
_BERNOULLI = [
    1 / 6,
    -1 / 30,
    1 / 42,
    -1 / 30,
    5 / 66,
    -691 / 2730,
    7 / 6,
    -3617 / 510,
    43867 / 798,
    -174611 / 330,
    854513 / 138,
    -236364091 / 2730,
]


def _lgamma1(v: float) -> float:
    try:
        if -170.0 < v < 171.0:  # Γ is a normal float here: ln |Γ(x)| is the closer of the two
            return math.log(abs(math.gamma(v)))
        return math.lgamma(v)
    except ValueError:  # 0 and the negative integers: the poles, +∞ as in PyTorch
        return math.inf
    except OverflowError:
        return math.inf


_LGAMMA = np.frompyfunc(_lgamma1, 1, 1)


@quiet
def _lgamma_values(x: Any) -> Any:
    return np.asarray(_LGAMMA(x), dtype=np.float64).astype(x.dtype)


def _shifted(x: Any, start: float, power: int) -> tuple[Any, Any]:
    """(a, Σ) with a = x + m ≥ `start` (m = 0, 1, ...) and Σ = Σₖ<ₘ (x + k)^(−power)."""
    m = np.maximum(np.ceil(start - x), 0.0)
    total = np.zeros_like(x)
    for k in range(int(m.max(initial=0.0))):
        xk = x + k
        total += np.where(k < m, xk ** (-power) if power > 1 else 1.0 / xk, 0.0)
    return x + m, total


def _digamma_positive(x: Any) -> Any:
    """ψ(x) for x > 0 (float64): the recurrence up to x ≥ 10, then the asymptotic series."""
    a, recip = _shifted(x, 10.0, 1)
    z = 1.0 / (a * a)
    tail = np.zeros_like(a)
    for k in range(8, 0, -1):  # Σ B₂ₖ/(2k a²ᵏ), by Horner in 1/a²
        tail = (tail + _BERNOULLI[k - 1] / (2 * k)) * z
    return np.log(a) - 0.5 / a - tail - recip


@quiet
def digamma_values(x: Any) -> Any:
    """ψ(x) = d ln Γ(x)/dx on every element, as PyTorch gives it at the poles.

    ψ(±0) = ∓∞, NaN at the negative integers and at −∞, +∞ at +∞. Negative x by the
    reflection ψ(x) = ψ(1 − x) − π/tan(π(x − round x)).
    """
    v = x.astype(np.float64)
    out = np.full(v.shape, np.nan)
    pos = (v > 0) & np.isfinite(v)
    with np.errstate(over="ignore"):
        out[pos] = _digamma_positive(v[pos])
    out[v == np.inf] = np.inf
    neg = (v < 0) & (v != np.floor(v))
    vn = v[neg]
    out[neg] = _digamma_positive(1.0 - vn) - math.pi / np.tan(math.pi * (vn - np.round(vn)))
    zero = v == 0
    out[zero] = np.copysign(np.inf, -v[zero])
    return out.astype(x.dtype)


def _zeta_positive(s: int, q: Any) -> Any:
    """Hurwitz's ζ(s, q) = Σₖ (q + k)^(−s) for q > 0, s ≥ 2 (float64).

    The first terms up to q + m ≥ s + 9, then the Euler–Maclaurin tail
    a^(1−s)/(s − 1) + a^(−s)/2 + Σⱼ B₂ⱼ/(2j)! · s(s+1)…(s+2j−2) · a^(−s−2j+1), a = q + m.
    """
    a, head = _shifted(q, s + 9.0, s)
    coeffs = []
    rising, fact = float(s), 2.0  # s(s+1)…(s+2j−2) and (2j)!
    for j in range(1, 13):
        coeffs.append(_BERNOULLI[j - 1] / fact * rising)
        rising *= (s + 2 * j - 1) * (s + 2 * j)
        fact *= (2 * j + 1) * (2 * j + 2)
    z = 1.0 / (a * a)
    series = np.zeros_like(a)
    for c in reversed(coeffs):
        series = (series + c) * z
    with np.errstate(over="ignore", under="ignore"):
        lead = a ** (1.0 - s)
        return head + lead * (1.0 / (s - 1) + 0.5 / a + series)


@functools.cache
def _cot_derivative(n: int) -> tuple[int, ...]:
    """Coefficients (lowest power first) of Pₙ with dⁿ/dxⁿ cot(πx) = πⁿ Pₙ(cot πx)."""
    p = [0, 1]  # P₀(c) = c
    for _ in range(n):  # Pₖ₊₁(c) = −(1 + c²)·Pₖ′(c)
        d = [i * p[i] for i in range(1, len(p))] + [0, 0]
        p = [-(d[i] + (d[i - 2] if i >= 2 else 0)) for i in range(len(d))]
    return tuple(p)


@quiet
def polygamma_values(n: int, x: Any) -> Any:
    """ψ⁽ⁿ⁾(x) = dⁿ⁺¹ ln Γ(x)/dxⁿ⁺¹ for n ≥ 1 on every element (x's dtype).

    For x > 0, (−1)ⁿ⁺¹ n! ζ(n + 1, x); for negative x the reflection
    ψ⁽ⁿ⁾(x) = (−1)ⁿ ψ⁽ⁿ⁾(1 − x) − πⁿ⁺¹ Pₙ(cot πx). At the poles (0 and the negative integers)
    (−1)ⁿ⁺¹·∞, at +∞ the limit ±0, at −∞ NaN.
    """
    v = x.astype(np.float64)
    sign = -1.0 if n % 2 == 0 else 1.0
    out = np.full(v.shape, np.nan)
    factorial = math.exp(math.lgamma(n + 1.0)) if n > 170 else float(math.factorial(n))
    pos = (v > 0) & np.isfinite(v)
    with np.errstate(over="ignore"):
        out[pos] = sign * factorial * _zeta_positive(n + 1, v[pos])
    out[v == np.inf] = sign * 0.0
    pole = (v <= 0) & (v == np.floor(v)) & np.isfinite(v)
    out[pole] = sign * np.inf
    neg = (v < 0) & ~pole
    vn = v[neg]
    if vn.size:
        c = 1.0 / np.tan(math.pi * (vn - np.round(vn)))
        poly = np.zeros_like(c)
        for coeff in reversed(_cot_derivative(n)):
            poly = poly * c + coeff
        with np.errstate(over="ignore"):
            reflected = factorial * _zeta_positive(n + 1, 1.0 - vn)
            out[neg] = (-1.0 if n % 2 else 1.0) * sign * reflected - math.pi ** (n + 1) * poly
    return out.astype(x.dtype)


@register("lgamma", arity=1, domain="positive", reference=np.vectorize(math.lgamma))
class Lgamma(FloatFunction):
    """y = ln |Γ(x)|; dy/dx = ψ(x) (+∞ at the poles, as PyTorch's)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return tracing.replayed(_lgamma_values, x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        return (grad * call(Digamma, x),)

    formula = ("{g} ⊙ ψ({0})",)


def _digamma_reference(x: Any) -> Any:
    """ψ by another route: the recurrence to x ≥ 40, then four terms of the asymptotic series."""
    m = np.maximum(np.ceil(40.0 - x), 0.0)
    head = sum(np.where(k < m, 1.0 / (x + k), 0.0) for k in range(int(m.max(initial=0))))
    a = x + m
    return np.log(a) - 0.5 / a - 1 / (12 * a**2) + 1 / (120 * a**4) - 1 / (252 * a**6) - head


@register("digamma", arity=1, domain="positive", reference=_digamma_reference)
class Digamma(FloatFunction):
    """y = ψ(x) = Γ′(x)/Γ(x); dy/dx = ψ⁽¹⁾(x)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return tracing.replayed(digamma_values, x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        return (grad * call(Polygamma, x, n=1),)

    formula = ("{g} ⊙ ψ⁽¹⁾({0})",)


def _trigamma_reference(x: Any, n: int = 1) -> Any:
    """ψ⁽¹⁾ by another route: Σ 1/(x + k)² to x ≥ 40, then 1/a + 1/(2a²) + 1/(6a³) − 1/(30a⁵)."""
    m = np.maximum(np.ceil(40.0 - x), 0.0)
    head = sum(np.where(k < m, 1.0 / (x + k) ** 2, 0.0) for k in range(int(m.max(initial=0))))
    a = x + m
    return head + 1 / a + 1 / (2 * a**2) + 1 / (6 * a**3) - 1 / (30 * a**5) + 1 / (42 * a**7)


@register("polygamma", arity=1, domain="positive", reference=_trigamma_reference)
class Polygamma(FloatFunction):
    """y = ψ⁽ⁿ⁾(x), the n-th derivative of ψ (n ≥ 1; 1 by default); dy/dx = ψ⁽ⁿ⁺¹⁾(x)."""

    @staticmethod
    def forward(ctx: Context, x: Any, n: int = 1) -> Any:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"polygamma: n must be an integer ≥ 1 here, got {n!r}")
        n = int(n)
        ctx.save_for_backward(x, n)
        return tracing.replayed(functools.partial(polygamma_values, n), x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        x, n = ctx.saved
        return (grad * call(Polygamma, x, n=n + 1),)

    @staticmethod
    def formula(ctx: Context) -> tuple[str]:
        """dy/dx in explain's notation."""
        return (f"{{g}} ⊙ ψ⁽{ctx.saved[1] + 1}⁾({{0}})",)
