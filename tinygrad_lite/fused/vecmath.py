"""exp, expm1, log, log1p, tanh and the logistic sigmoid as branch-free numba functions.

NumPy's `np.tanh` and friends, called from numba, become calls to the C library's scalar
functions, which stop LLVM from vectorising the loop around them. The functions here use only
arithmetic, comparisons that become selects, and bit casts between a float64 and its int64
pattern, so that a loop calling them runs 4 or 8 elements per instruction (AVX2, AVX-512).

Each follows the classic recipe:

- exp: x = k·ln 2 + r with k = round(x / ln 2) and |r| ≤ ln 2 / 2, ln 2 split in a high
  part with trailing zero bits (k·ln2_hi is exact) and a low part (Cody and Waite); e^r by
  its Taylor polynomial to degree 13 (truncation below 2⁻⁵⁷); 2^k applied as two exact
  powers of two 2^⌊k/2⌋·2^⌈k/2⌉, so that a subnormal result is rounded once.
- expm1: the same reduction; e^x − 1 = 2^k·(e^r − 1) + (2^k − 1) with e^r − 1 by its own
  Taylor polynomial, which keeps small results accurate (2^k again as two halves).
- log: x = 2^e·m with √½ ≤ m < √2 read from the bits (subnormals scaled by 2⁵⁴ first);
  with f = m − 1 and s = f/(2 + f), log(1 + f) = 2·atanh(s) = f − (f²/2 − s·(f²/2 + R)),
  R = Σ_{j≥1} 2 s^{2j}/(2j + 1) to j = 10 (|s| ≤ 0.172, truncation below 2⁻⁵⁸).
- log1p: u = 1 + x rounded, then log(u) + (x − (u − 1))/u: the second term is the first-order
  correction for the rounding of 1 + x.
- tanh: tanh(x) = sign(x)·t/(t + 2) with t = e^{2|x|} − 1 computed as in expm1 (|x| capped
  at 20, where tanh = 1 to double precision).
- sigmoid: with e = exp(−|x|), 1/(1 + e) for x ≥ 0 and e/(1 + e) below: no overflow.

Accuracy against NumPy (tests/test_vecmath.py measures it over a grid with ±0, subnormals,
saturation and random points): at most a few ulp for each (the test asserts ≤ 4 and prints the
worst case). NaN propagates, ±inf and ±0 give what NumPy gives.
"""

from __future__ import annotations

import decimal
import math
import struct
from collections.abc import Callable
from typing import Any

try:
    import numba
    from llvmlite import ir
    from numba import types
    from numba.core import extending

    HAVE_NUMBA = True
except ImportError:  # the same functions run as plain Python (slowly): for reading and tests
    HAVE_NUMBA = False

__all__ = [
    "HAVE_NUMBA",
    "exp",
    "expm1",
    "log",
    "log1p",
    "tanh",
    "sigmoid",
    "maximum",
    "minimum",
    "rowsum",
    "FUNCTIONS",
]


def _py_as_float(bits: int) -> float:
    """The float64 whose bit pattern is the int64 `bits` (plain Python)."""
    return float(struct.unpack("<d", struct.pack("<q", bits))[0])


def _py_as_bits(x: float) -> int:
    """The int64 bit pattern of the float64 `x` (plain Python)."""
    return int(struct.unpack("<q", struct.pack("<d", x))[0])


_as_float: Callable[..., Any] = _py_as_float
_as_bits: Callable[..., Any] = _py_as_bits
if HAVE_NUMBA:
    # In compiled code: LLVM bit casts, free and vectorisable.
    intrinsic: Callable[[Callable[..., Any]], Any] = extending.intrinsic

    @intrinsic
    def _as_float(typingctx: Any, bits: Any) -> Any:
        sig = types.float64(types.int64)

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            return builder.bitcast(args[0], ir.DoubleType())

        return sig, codegen

    @intrinsic
    def _as_bits(typingctx: Any, x: Any) -> Any:
        sig = types.int64(types.float64)

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            return builder.bitcast(args[0], ir.IntType(64))

        return sig, codegen


def _split_ln2() -> tuple[float, float]:
    """Split ln 2 = hi + lo: hi keeps 32 significant bits (so k·hi is exact for |k| < 2²¹)."""
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        ln2 = decimal.Decimal(2).ln()
        hi = _py_as_float(_py_as_bits(float(ln2)) & ~((1 << 21) - 1))
        return hi, float(ln2 - decimal.Decimal(hi))


LN2_HI, LN2_LO = _split_ln2()
LOG2E = 1.0 / math.log(2.0)
# exp overflows above 709.78 and is 0 below −745.13: inputs are clamped just outside.
EXP_MAX, EXP_MIN = 710.0, -746.0
TWO54 = 2.0**54
SQRT2 = math.sqrt(2.0)
MANTISSA = (1 << 52) - 1
ONE_BITS = 1023 << 52

# Taylor coefficients 1/j! of e^r and 2/(2j + 1) of 2·atanh(s)/s − 2 (in s²), as floats.
_F = tuple(1.0 / math.factorial(j) for j in range(14))
_A = tuple(2.0 / (2 * j + 1) for j in range(1, 11))
# Adding 1.5·2⁵² rounds to an integer, which then sits in the low bits of the sum.
MAGIC = 1.5 * 2.0**52
MAGIC_BITS = _py_as_bits(MAGIC)


def _jit(fn: Any) -> Any:
    """Compile with numba where it is installed, else keep the plain Python function.

    LLVM inlines these small functions into the loops that call them.
    """
    if not HAVE_NUMBA:
        return fn
    return numba.njit(inline="never", error_model="numpy", cache=True)(fn)


@_jit
def _pow2(k: int) -> float:  # pragma: no cover - compiled
    """2^k for −1022 ≤ k ≤ 1023, from its bits."""
    return _as_float((k + 1023) << 52)


@_jit
def _reduce(x: float) -> tuple[float, int]:  # pragma: no cover - compiled
    """(r, k) with x = k·ln 2 + r, |r| ≤ ln 2 / 2 (up to rounding); x finite, clamped."""
    t = x * LOG2E + MAGIC
    k = t - MAGIC
    r = (x - k * LN2_HI) - k * LN2_LO
    return r, _as_bits(t) - MAGIC_BITS


@_jit
def _exp_poly(r: float) -> float:  # pragma: no cover - compiled
    """e^r − 1 − r for |r| ≤ 0.35, Taylor to degree 13."""
    p = _F[13]
    p = _F[12] + r * p
    p = _F[11] + r * p
    p = _F[10] + r * p
    p = _F[9] + r * p
    p = _F[8] + r * p
    p = _F[7] + r * p
    p = _F[6] + r * p
    p = _F[5] + r * p
    p = _F[4] + r * p
    p = _F[3] + r * p
    p = _F[2] + r * p
    return (r * r) * p


@_jit
def _clamp(x: float) -> float:  # pragma: no cover - compiled
    """Clamp x to [EXP_MIN, EXP_MAX]; NaN becomes 0 (the callers select NaN back at the end)."""
    c = EXP_MAX if x > EXP_MAX else x
    c = EXP_MIN if c < EXP_MIN else c
    return c if c == c else 0.0


@_jit
def exp(x: float) -> float:  # pragma: no cover - compiled
    """e^x."""
    r, k = _reduce(_clamp(x))
    y = 1.0 + (r + _exp_poly(r))
    k1 = k >> 1
    y = (y * _pow2(k1)) * _pow2(k - k1)
    return y if x == x else x


@_jit
def expm1(x: float) -> float:  # pragma: no cover - compiled
    """e^x − 1, accurate for small |x| too."""
    r, k = _reduce(_clamp(x))
    q = r + _exp_poly(r)  # e^r − 1
    k1 = k >> 1
    k2 = k - k1
    # 2^k·q + 2^k − 1 = 2^k2·(2^k1·q + (2^k1 − 2^−k2)): no power of two overflows, k = 0
    # gives q exactly, and very negative k gives −1.
    y = _pow2(k2) * (_pow2(k1) * q + (_pow2(k1) - _pow2(-k2)))
    y = x if abs(x) < 2.0**-54 else y  # e^x − 1 rounds to x (and keeps −0)
    return y if x == x else x


@_jit
def _log_poly(s: float) -> float:  # pragma: no cover - compiled
    """R(z) = Σ_{j=1..10} 2 z^j/(2j + 1), z = s²."""
    z = s * s
    p = _A[9]
    p = _A[8] + z * p
    p = _A[7] + z * p
    p = _A[6] + z * p
    p = _A[5] + z * p
    p = _A[4] + z * p
    p = _A[3] + z * p
    p = _A[2] + z * p
    p = _A[1] + z * p
    p = _A[0] + z * p
    return z * p


@_jit
def log(x: float) -> float:  # pragma: no cover - compiled
    """The natural logarithm: −inf at ±0, NaN below 0, inf at inf."""
    tiny = x < 2.2250738585072014e-308
    xs = x * TWO54 if tiny else x
    bits = _as_bits(xs)
    e = (bits >> 52) - 1023 - (54 if tiny else 0)
    m = _as_float((bits & MANTISSA) | ONE_BITS)
    big = m > SQRT2
    m = m * 0.5 if big else m
    e = e + 1 if big else e
    f = m - 1.0
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    ef = float(e)
    y = ef * LN2_HI + (f - (hfsq - (s * (hfsq + _log_poly(s)) + ef * LN2_LO)))
    y = -math.inf if x == 0.0 else y
    y = math.nan if x < 0.0 else y
    y = x if x == math.inf else y
    return y if x == x else x


@_jit
def log1p(x: float) -> float:  # pragma: no cover - compiled
    """log(1 + x), accurate for small |x|."""
    u = 1.0 + x
    finite = u > 0.0 and u < math.inf
    c = (x - (u - 1.0)) / u if finite else 0.0
    y = log(u) + c
    return x if u == 1.0 else y


@_jit
def tanh(x: float) -> float:  # pragma: no cover - compiled
    """The hyperbolic tangent."""
    a = abs(x)
    a = a if a <= 20.0 else 20.0  # NaN too (selected back at the end)
    # t = e^{2a} − 1 for 0 <= 2a <= 40, as in expm1 without its edge cases (2^k is normal).
    r, k = _reduce(2.0 * a)
    q = r + _exp_poly(r)
    s = _pow2(k)
    t = q * s + (s - 1.0) if k != 0 else q
    y = math.copysign(t / (t + 2.0), x)
    return y if x == x else x


@_jit
def sigmoid(x: float) -> float:  # pragma: no cover - compiled
    """σ(x) = 1/(1 + e^−x), computed without overflow."""
    e = exp(-abs(x))
    y = (1.0 if x >= 0.0 else e) / (1.0 + e)
    return y if x == x else x


FUNCTIONS = {
    "exp": exp,
    "expm1": expm1,
    "log": log,
    "log1p": log1p,
    "tanh": tanh,
    "sigmoid": sigmoid,
}


@_jit
def maximum(a: float, b: float) -> float:  # pragma: no cover - compiled
    """NumPy's maximum: the larger, NaN if either is NaN."""
    return a if (a >= b or a != a) else b


@_jit
def minimum(a: float, b: float) -> float:  # pragma: no cover - compiled
    """NumPy's minimum: the smaller, NaN if either is NaN."""
    return a if (a <= b or a != a) else b


@_jit
def sign(a: float) -> float:  # pragma: no cover - compiled
    """NumPy's sign: 1.0 above 0, -1.0 below, 0.0 at ±0, NaN for NaN."""
    if a > 0:
        return 1.0
    if a < 0:
        return -1.0
    return 0.0 if a == 0 else a


@_jit
def rowsum(row: Any, n: int) -> float:  # pragma: no cover - compiled
    """Σ row[:n] with 8 partial sums (independent chains), added pairwise at the end."""
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    n8 = n - n % 8
    for j in range(0, n8, 8):
        s0 += row[j]
        s1 += row[j + 1]
        s2 += row[j + 2]
        s3 += row[j + 3]
        s4 += row[j + 4]
        s5 += row[j + 5]
        s6 += row[j + 6]
        s7 += row[j + 7]
    for j in range(n8, n):
        s0 += row[j]
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
