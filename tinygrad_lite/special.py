"""PyTorch's `torch.special` as `tg.special`: gamma and Bessel functions, erf and its kin, ndtr.

Each function takes a Tensor (as PyTorch's do) and gives PyTorch's values, dtypes (an integer
input gives the default float) and gradients of every order. The primitives are ops
(`ops.gammas`, `ops.bessel`, `ops.erfs`, `ops.entropy`); the rest are compositions:
ndtr(x) = erfc(−x/√2)/2, which keeps its digits in the lower tail where 1 + erf(x/√2) has none,
and log_ndtr(x) = ln(erfcx(−x/√2)/2) − x²/2 below −1, ln(1 − erfc(x/√2)/2) above, PyTorch's
split, finite down to x ≈ −1.9e154.

>>> import tinygrad_lite as tg
>>> x = tg.tensor([0.5, 1.0, 3.0])
>>> tg.special.gammaln(x).round(decimals=6).tolist()
[0.572365, 0.0, 0.693147]
>>> f"{tg.special.log_ndtr(tg.tensor([-30.0])).item():.6f}"
'-454.321244'
"""

from __future__ import annotations

import math
from typing import Any

from . import tracing
from .ops.bessel import I0, I1, I0e, I1e
from .ops.entropy import Entr, XLog1pY
from .ops.erfs import Erfc, Erfcx, Erfinv, Ndtri
from .tensor import Tensor

__all__ = [
    "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammaln",
    "i0", "i0e", "i1", "i1e", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp",
    "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc", "softmax", "xlog1py",
    "xlogy",
]  # fmt: skip

_SQRT1_2 = math.sqrt(0.5)  # C's M_SQRT1_2, as PyTorch's ndtr and log_ndtr use it


def _t(x: Any, fn: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"special.{fn}: expected a Tensor, got {type(x).__name__}; wrap arrays with "
            f"tinygrad_lite.tensor(...)"
        )
    return x


def _pair(input: Any, other: Any, fn: str) -> tuple[Tensor, Tensor]:
    """Two operands of which one may be a Python number (a weak scalar), as PyTorch allows."""
    if isinstance(input, Tensor):
        return input, input._wrap(other, fn)
    if isinstance(other, Tensor):
        return other._wrap(input, fn), other
    raise TypeError(
        f"special.{fn}: expected a Tensor operand, got {type(input).__name__} and "
        f"{type(other).__name__}"
    )


# ---------------------------------------------------------------------- gamma family


def gammaln(input: Tensor) -> Tensor:
    """The log-gamma function ln |Γ(x)|, elementwise (+∞ at the poles); d/dx = ψ(x)."""
    return _t(input, "gammaln").lgamma()


def digamma(input: Tensor) -> Tensor:
    """ψ(x) = Γ′(x)/Γ(x), elementwise; ψ(±0) = ∓∞, NaN at the negative integers."""
    return _t(input, "digamma").digamma()


psi = digamma


def polygamma(n: int, input: Tensor) -> Tensor:
    """ψ⁽ⁿ⁾(x) = dⁿψ(x)/dxⁿ = (−1)ⁿ⁺¹ n! Σₖ 1/(x + k)ⁿ⁺¹ (n ≥ 1; n = 0 gives ψ)."""
    return _t(input, "polygamma").polygamma(n)


def multigammaln(input: Tensor, p: int) -> Tensor:
    """The multivariate log-gamma ln Γₚ(x) = p(p − 1)/4·ln π + Σᵢ₌₀^(p−1) ln Γ(x − i/2)."""
    return _t(input, "multigammaln").mvlgamma(p)


# ---------------------------------------------------------------------- error functions


def erf(input: Tensor) -> Tensor:
    """The error function 2/√π ∫₀ˣ e^(−t²) dt, elementwise."""
    return _t(input, "erf").erf()


def erfc(input: Tensor) -> Tensor:
    """The complementary error function 1 − erf(x), accurate where it is tiny (x ≫ 1).

    d/dx = −2/√π·e^(−x²).
    """
    return _t(input, "erfc").erfc()


def erfcx(input: Tensor) -> Tensor:
    """The scaled e^(x²)·erfc(x), finite for large x (≈ 1/(x√π)); d/dx = 2x·erfcx(x) − 2/√π."""
    return Erfcx.apply(_t(input, "erfcx"))


def erfinv(input: Tensor) -> Tensor:
    """The inverse error function: erf(erfinv(x)) = x; ±∞ at ±1, NaN outside [−1, 1]."""
    return Erfinv.apply(_t(input, "erfinv"))


def ndtr(input: Tensor) -> Tensor:
    """Φ(x) = ½ erfc(−x/√2), the standard normal distribution function; d/dx = φ(x).

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.special.ndtr(tg.tensor([0.0])).tolist()
        [0.5]
    """
    return Erfc.apply(_t(input, "ndtr") * -_SQRT1_2) * 0.5


def ndtri(input: Tensor) -> Tensor:
    """Φ⁻¹(p), the standard normal quantile (−∞ at 0, +∞ at 1); d/dp = √(2π)·e^(Φ⁻¹(p)²/2)."""
    return Ndtri.apply(_t(input, "ndtri"))


def log_ndtr(input: Tensor) -> Tensor:
    """The log of the normal distribution function, ln Φ(x), accurate in both tails.

    d/dx = φ(x)/Φ(x).

    With t = x/√2: ln(erfcx(−t)/2) − t² for x < −1, ln(1 − erfc(t)/2) otherwise (PyTorch's
    formulas). Each branch is evaluated on inputs clamped into its own side, so the branch
    not taken has a finite gradient to discard.
    """
    x = _t(input, "log_ndtr")
    if x.data.dtype.kind != "f":
        x = x * 1.0
    lower = x.data < -1.0
    tl = x.where(lower, -1.0) * _SQRT1_2
    with tracing.errstate(divide="ignore"):  # ln 0 = −∞ at x = −∞
        left = (Erfcx.apply(-tl) * 0.5).log() - tl * tl
    tu = x.where(~lower, 0.0) * _SQRT1_2
    right = (Erfc.apply(tu) * -0.5).log1p()
    return left.where(lower, right)


# ---------------------------------------------------------------------- logistic, entropy


def expit(input: Tensor) -> Tensor:
    """The logistic sigmoid 1/(1 + e^(−x)), elementwise."""
    return _t(input, "expit").sigmoid()


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """ln(x/(1 − x)), with x clamped to [eps, 1 − eps] when eps is given."""
    return _t(input, "logit").logit(eps)


def xlogy(input: Any, other: Any) -> Tensor:
    """x·ln y, and 0 where x = 0 (NaN where y is NaN); one operand may be a number."""
    x, y = _pair(input, other, "xlogy")
    return x.xlogy(y)


def xlog1py(input: Any, other: Any) -> Tensor:
    """x·ln(1 + y), and 0 where x = 0 (NaN where y is NaN); one operand may be a number.

    d/dx = ln(1 + y), d/dy = x/(1 + y).

    Example:
        >>> import tinygrad_lite as tg
        >>> tg.special.xlog1py(tg.tensor([0.0, 2.0]), tg.tensor([-1.0, 1e-20])).tolist()
        [0.0, 2e-20]
    """
    x, y = _pair(input, other, "xlog1py")
    return XLog1pY.apply(x, y)


def entr(input: Tensor) -> Tensor:
    """−x·ln x for x > 0, 0 at 0, −∞ for x < 0; d/dx = −(1 + ln x)."""
    return Entr.apply(_t(input, "entr"))


# ---------------------------------------------------------------------- Bessel functions


def i0(input: Tensor) -> Tensor:
    """I₀(x) = Σₖ (x/2)²ᵏ/(k!)², the modified Bessel function of order 0; d/dx = I₁(x)."""
    return I0.apply(_t(input, "i0"))


def i0e(input: Tensor) -> Tensor:
    """e^(−|x|)·I₀(x), which never overflows; d/dx = i1e(x) − sign(x)·i0e(x)."""
    return I0e.apply(_t(input, "i0e"))


def i1(input: Tensor) -> Tensor:
    """I₁(x) = Σₖ (x/2)²ᵏ⁺¹/(k!(k + 1)!); d/dx = I₀(x) − I₁(x)/x (½ at 0)."""
    return I1.apply(_t(input, "i1"))


def i1e(input: Tensor) -> Tensor:
    """The scaled Bessel function e^(−|x|)·I₁(x).

    d/dx = i0e(x) − i1e(x)·(sign(x) + 1/x) (½ at 0).
    """
    return I1e.apply(_t(input, "i1e"))


# ---------------------------------------------------------------------- elementary aliases


def sinc(input: Tensor) -> Tensor:
    """The normalised sinc sin(πx)/(πx), 1 at 0."""
    return _t(input, "sinc").sinc()


def log1p(input: Tensor) -> Tensor:
    """ln(1 + x), accurate near 0."""
    return _t(input, "log1p").log1p()


def expm1(input: Tensor) -> Tensor:
    """eˣ − 1, accurate near 0."""
    return _t(input, "expm1").expm1()


def exp2(input: Tensor) -> Tensor:
    """2ˣ, elementwise."""
    return _t(input, "exp2").exp2()


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001 - PyTorch's name
    """X rounded to `decimals` places, halves to even; no gradient."""
    return _t(input, "round").round(decimals)


# ---------------------------------------------------------------------- reductions


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """The log-sum-exp ln Σ eˣ over `dim`, without overflow."""
    return _t(input, "logsumexp").logsumexp(dim, keepdim)


def softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """eˣ/Σ eˣ along `dim`; with `dtype`, the input is cast to it first (as PyTorch does)."""
    x = _t(input, "softmax")
    return (x if dtype is None else x.astype(dtype)).softmax(dim)


def log_softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """The log-softmax x − ln Σ eˣ along `dim`; with `dtype`, the input is cast to it first."""
    x = _t(input, "log_softmax")
    return (x if dtype is None else x.astype(dtype)).log_softmax(dim)
