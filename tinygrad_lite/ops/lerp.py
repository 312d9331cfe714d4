"""Linear interpolation, start + weight·(end − start), rounded exactly as PyTorch rounds it.

PyTorch computes lerp with one fused multiply-add (one rounding) per element, from the end
nearer to the weight: start + w·(end − start) for |w| < ½, else end + (w − 1)·(end − start).
NumPy has no fused multiply-add, so `fused_multiply_add` computes one from exact products and
sums of floats; the results are those of PyTorch's CPU kernels (FMA hardware), to the bit.
"""

from __future__ import annotations

import math
from fractions import Fraction

from .. import tracing
from .base import Any, Context, FloatFunction, np, register

_SPLIT = 134217729.0  # 2**27 + 1: splits a float64 into two halves of 26 bits (Veltkamp)
_BIG = 2.0**995  # below it neither the split nor a sum of the terms overflows
_HUGE = 2.0**1020
_TINY = 2.0**-968  # above it a product's rounding error is itself a float64 (no underflow)


def _two_sum(a: Any, b: Any) -> tuple[Any, Any]:
    """The rounded sum s of a and b, and its error e: a + b = s + e exactly (Knuth's TwoSum)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _round_to_odd(s: Any, e: Any) -> Any:
    """The exact sum s + e (s rounded, e its error) rounded to the float whose last bit is 1.

    Where the sum is inexact and s is even, the other neighbour of the exact sum (one ulp
    towards e) is odd. A float64 sum rounded this way and then to a float of 51 bits or fewer
    is rounded once (no double rounding).
    """
    mantissa, _ = np.frexp(s)
    even = np.fmod(mantissa * 2.0**53, 2.0) == 0
    away = np.nextafter(s, np.where(e > 0, np.inf, -np.inf))
    return np.where((e != 0) & even, away, s)


def _fma64(a: Any, b: Any, c: Any) -> Any:
    """a·b + c rounded once, for float64 terms whose split and error terms stay finite."""
    p = a * b
    ta = _SPLIT * a
    ah = ta - (ta - a)
    tb = _SPLIT * b
    bh = tb - (tb - b)
    al, bl = a - ah, b - bh
    p_err = ((ah * bh - p) + ah * bl + al * bh) + al * bl  # a·b = p + p_err exactly (Dekker)
    s, s_err = _two_sum(c, p)
    low, low_err = _two_sum(s_err, p_err)
    # Boldo and Melquiond's emulated FMA: the low part rounded to odd, then one rounding
    return s + _round_to_odd(low, low_err)


def _exact_fma(a: float, b: float, c: float) -> float:
    """a·b + c rounded once, by exact rational arithmetic (Python's int division rounds once)."""
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    try:
        return float(exact)
    except OverflowError:
        return math.inf if exact > 0 else -math.inf


_EXACT_FMA = np.frompyfunc(_exact_fma, 3, 1)


def fused_multiply_add(a: Any, b: Any, c: Any) -> Any:
    """a·b + c with one rounding, as a hardware FMA, in the result dtype of the three.

    Float32 and float16 terms: their product is exact in float64, and the sum is rounded to odd
    there, then to the dtype. Float64 terms: exact products and sums of float64s, wherever
    |a|, |b| < 2^995 and 2^−968 < |a·b|, |c| < 2^1020; the rare other finite terms (where a
    product or its rounding error under- or overflows) by exact rational arithmetic, one Python
    call each; infinities, NaN and zero factors by the plain a·b + c, which is exact there.

    Example:
        >>> import numpy as np
        >>> a = np.float64(1 + 2.0**-30)
        >>> float(fused_multiply_add(a, a, -(1 + 2.0**-29)))  # 2**-60; a·a rounds it away
        8.673617379884035e-19
    """
    dtype = np.result_type(a, b, c)
    with np.errstate(all="ignore"):  # the values of the elements computed otherwise
        if dtype.itemsize < 8:
            p = np.asarray(a, np.float64) * np.asarray(b, np.float64)
            s, e = _two_sum(np.asarray(c, np.float64), p)
            return _round_to_odd(s, e).astype(dtype)
        a, b, c = np.broadcast_arrays(*(np.asarray(v, dtype) for v in (a, b, c)))
        p = np.abs(a * b)
        safe = (np.abs(a) < _BIG) & (np.abs(b) < _BIG) & (p < _HUGE) & (np.abs(c) < _HUGE)
        safe &= p > _TINY
        z = np.where(safe, _fma64(a, b, c), a * b + c)
        rare = ~safe & (a != 0) & (b != 0) & np.isfinite(a) & np.isfinite(b) & np.isfinite(c)
        if rare.any():
            z[rare] = _EXACT_FMA(a[rare], b[rare], c[rare]).astype(dtype)
        return z


def _lerp(start: Any, end: Any, weight: Any) -> Any:
    small = np.abs(weight) < 0.5
    coefficient = np.where(small, weight, weight - 1.0)
    return fused_multiply_add(coefficient, end - start, np.where(small, start, end))


@register(
    "lerp",
    arity=3,
    kind="broadcast",
    reference=lambda start, end, weight: start + weight * (end - start),
)
class Lerp(FloatFunction):
    """z = start + weight·(end − start), with broadcasting (see the module for the rounding).

    dz/dstart = 1 − weight, dz/dend = weight, dz/dweight = end − start.
    """

    @staticmethod
    def forward(ctx: Context, start: Any, end: Any, weight: Any) -> Any:
        try:
            np.broadcast_shapes(start.shape, end.shape, weight.shape)
        except ValueError:
            raise ValueError(
                f"lerp: shapes {start.shape}, {end.shape} and {weight.shape} (start, end, "
                "weight) do not broadcast together"
            ) from None
        ctx.save_for_backward(start, end, weight)
        return tracing.replayed(_lerp, start, end, weight)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any, Any]:
        start, end, weight = ctx.saved
        ns, ne, nw = ctx.needs_input_grad
        return (
            grad * (1.0 - weight) if ns else None,
            grad * weight if ne else None,
            grad * (end - start) if nw else None,
        )

    formula = ("{g} ⊙ (1 − {2})", "{g} ⊙ {2}", "{g} ⊙ ({1} − {0})")
