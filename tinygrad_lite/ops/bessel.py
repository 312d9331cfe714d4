"""Modified Bessel functions of the first kind I₀, I₁, and the scaled e^(−|x|)·I₀, e^(−|x|)·I₁.

Below |x| = 20 the power series Iᵥ(x) = Σₖ (x/2)^(2k+ν)/(k!(k+ν)!) (every term positive, so
no cancellation); above it the asymptotic series
Iᵥ(x) ~ e^x/√(2πx) · Σₖ (−1)ᵏ aₖ(ν)/xᵏ, aₖ(ν) = Πⱼ₌₁ᵏ (4ν² − (2j − 1)²)/(k! 8ᵏ), whose smallest
term there is below e^(−2x) ≈ 4e−18 of the sum. The scaled forms never overflow; I₀ and I₁
overflow only where their values do (|x| ≈ 713.987), not where eˣ does. Each derivative is
written with the ops: I₀′ = I₁, I₁′ = I₀ − I₁/x (½ at 0), and for the scaled forms
(e^(−|x|)I₀)′ = e^(−|x|)I₁ − sign(x)·e^(−|x|)I₀ and
(e^(−|x|)I₁)′ = e^(−|x|)I₀ − e^(−|x|)I₁·(sign(x) + 1/x).

Example:
    >>> from tinygrad_lite import Tensor
    >>> from tinygrad_lite.ops.bessel import I0
    >>> [round(v, 12) for v in I0.apply(Tensor([0.0, 1.0])).tolist()]
    [1.0, 1.266065877752]
"""

from __future__ import annotations

import functools
import math

from .. import tracing
from .base import Any, Context, FloatFunction, call, np, register
from .gammas import quiet

__all__ = ["I0", "I0e", "I1", "I1e", "bessel_values"]

_SWITCH = 20.0  # |x| from which the asymptotic series is used
_EPS = 2.0**-60


def _series(ax: Any, nu: int) -> Any:
    """Σₖ (x/2)^(2k+ν)/(k!(k+ν)!) for 0 ≤ x < 20, float64."""
    # (x/2)² as qh + ql exactly (Dekker's split): a rounded q would put its error k times
    # into the k-th term
    h = 0.5 * ax
    hi = h * 134217729.0 - (h * 134217729.0 - h)
    lo = h - hi
    qh = h * h
    ql = ((hi * hi - qh) + 2.0 * hi * lo) + lo * lo
    terms = [np.ones_like(ax) if nu == 0 else h]
    rough = terms[0]  # the sum so far, for the test of convergence only
    for k in range(1, 200):
        terms.append((terms[-1] * qh + terms[-1] * ql) / (k * (k + nu)))
        rough = rough + terms[-1]
        if not np.any(terms[-1] > _EPS * rough):
            break
    return _sum_smallest_first(terms)


def _sum_smallest_first(terms: list[Any]) -> Any:
    """Σ of the terms, the last (smallest) first: fewer roundings reach the leading digits."""
    total = terms[-1]
    for t in reversed(terms[:-1]):
        total = total + t
    return total


def _asymptotic(ax: Any, nu: int) -> Any:
    """Σₖ (−1)ᵏ aₖ(ν)/xᵏ for x ≥ 20, float64 (see the module docstring)."""
    terms = [np.ones_like(ax)]
    for k in range(1, 60):
        terms.append(terms[-1] * ((2 * k - 1) ** 2 - 4 * nu * nu) / (8 * k * ax))
        if not np.any(np.abs(terms[-1]) > _EPS):
            break
    return _sum_smallest_first(terms)


@quiet
def bessel_values(nu: int, scaled: bool, x: Any) -> Any:
    """Iᵥ(x), or e^(−|x|)·Iᵥ(x) when `scaled`, for ν = 0 or 1, on every element (x's dtype).

    I₀(±∞) = +∞ and I₁(±∞) = ±∞ (the limits); the scaled forms give 0 there.
    """
    v = x.astype(np.float64)
    ax = np.abs(v)
    out = np.full(v.shape, np.nan)
    small = ax < _SWITCH
    s = _series(ax[small], nu)
    out[small] = s * np.exp(-ax[small]) if scaled else s
    large = (ax >= _SWITCH) & np.isfinite(ax)
    al = ax[large]
    e = _asymptotic(al, nu) / np.sqrt(2.0 * math.pi * al)
    if not scaled:
        with np.errstate(over="ignore"):
            half = np.exp(0.5 * al)  # e^x/√(2πx)·S as e^(x/2)·(e^(x/2)·S/√(2πx)): no early ∞
            e = half * (half * e)
    out[large] = e
    out[np.isinf(ax)] = 0.0 if scaled else np.inf
    if nu == 1:
        out = np.copysign(out, v)
    return out.astype(x.dtype)


def _kernel(nu: int, scaled: bool) -> Any:
    return functools.partial(bessel_values, nu, scaled)


def _reference(nu: int, scaled: bool) -> Any:
    """Iᵥ by quadrature, (1/π)∫₀^π e^(x cos t) cos(νt) dt, on 2000 trapezoid nodes.

    The integrand is smooth and periodic, so the trapezoid rule converges geometrically: at
    |x| ≤ 3 its error is far below float64's rounding.
    """

    def ref(x: Any) -> Any:
        t = np.linspace(0.0, math.pi, 2001)
        w = np.full(t.shape, 1.0)
        w[0] = w[-1] = 0.5
        ex = np.asarray(x, dtype=np.float64)[..., None]
        shift = np.abs(ex) if scaled else 0.0
        vals = np.exp(ex * np.cos(t) - shift) * np.cos(nu * t)
        return (vals * w).sum(-1) / 2000

    return ref


@register("i0", arity=1, reference=_reference(0, False))
class I0(FloatFunction):
    """y = I₀(x), the modified Bessel function of order 0; dy/dx = I₁(x)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return tracing.replayed(_kernel(0, False), x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (x,) = ctx.saved
        return (grad * call(I1, x),)

    formula = ("{g} ⊙ I₁({0})",)


@register("i0e", arity=1, domain="away_from_0", reference=_reference(0, True))
class I0e(FloatFunction):
    """y = e^(−|x|)·I₀(x); dy/dx = e^(−|x|)·I₁(x) − sign(x)·y (0 at x = 0)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        y = tracing.replayed(_kernel(0, True), x)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        x, y = ctx.saved
        return (grad * (call(I1e, x) - np.sign(x) * y),)

    formula = ("{g} ⊙ (i1e({0}) − sign({0})·{out})",)


def _tiny(x: Any) -> Any:
    """|x| < 1e-4: where I₁′ is taken from its series (the formula I₀ − I₁/x cancels there).

    The series is ½ + 3x²/16 + 5x⁴/384 (I₁e′ likewise), correct to rounding for |x| < 1e-4, ½
    at |x| ≤ ε as PyTorch's limit; written with ops, so its own derivative is the series' (the
    formula's second derivative loses every digit near 0).
    """
    xv = x.data if hasattr(x, "_ctx") else x
    return np.abs(xv) < 1e-4


def _i1_slope_near_0(x: Any) -> Any:
    """I₁′(x) = ½ + 3x²/16 + 5x⁴/384 + ..., for |x| < 1e-4."""
    x2 = x * x
    return 0.5 + x2 * (0.1875 + x2 * (5.0 / 384.0))


def _safe(x: Any, tiny: Any) -> Any:
    """X, with 1 where `tiny`: the formula's branch stays finite there (so does its gradient)."""
    return np.where(tiny, 1.0, x)


@register("i1", arity=1, reference=_reference(1, False))
class I1(FloatFunction):
    """y = I₁(x), the modified Bessel function of order 1; dy/dx = I₀(x) − y/x (½ at x = 0)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        y = tracing.replayed(_kernel(1, False), x)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        x, y = ctx.saved
        tiny = _tiny(x)
        xs = _safe(x, tiny)
        return (grad * np.where(tiny, _i1_slope_near_0(x), call(I0, xs) - y / xs),)

    formula = ("{g} ⊙ (I₀({0}) − {out}/{0})",)


@register("i1e", arity=1, domain="away_from_0", reference=_reference(1, True))
class I1e(FloatFunction):
    """y = e^(−|x|)·I₁(x); dy/dx = e^(−|x|)·I₀(x) − y·(sign(x) + 1/x) (½ at x = 0)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        y = tracing.replayed(_kernel(1, True), x)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        x, y = ctx.saved
        tiny = _tiny(x)
        xs = _safe(x, tiny)
        # near 0: e^(−|x|)·(I₁′(x) − sign(x)·I₁(x)), with I₁(x) = x/2 + x³/16 + ...
        a = np.abs(x)
        near = np.exp(-a) * (_i1_slope_near_0(x) - a * (0.5 + x * x * 0.0625))
        return (grad * np.where(tiny, near, call(I0e, xs) - y * (np.sign(xs) + 1.0 / xs)),)

    formula = ("{g} ⊙ (i0e({0}) − {out}·(sign({0}) + 1/{0}))",)
