"""tg.special and the gamma, Bessel and error-function ops: closed forms, identities, gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite import special as sp
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck

EULER = 0.5772156649015329  # γ
ZETA3 = 1.2020569031595942  # ζ(3)
INF, NAN = math.inf, math.nan


def t64(*values: float, grad: bool = False) -> Tensor:
    return Tensor(np.array(values, dtype=np.float64), requires_grad=grad)


def quad_bessel(nu: int, x: np.ndarray) -> np.ndarray:
    """e^(−|x|)·Iᵥ(x) = (1/π)∫₀^π e^(|x|(cos t − 1)) cos(νt) dt·sign(x)^ν, by the trapezoid rule.

    The integrand is smooth and periodic: the rule converges geometrically, and 4000 nodes
    put its error below float64's rounding for |x| ≤ 700.
    """
    t = np.linspace(0.0, math.pi, 4001)
    w = np.ones_like(t)
    w[0] = w[-1] = 0.5
    ax = np.abs(x)[:, None]
    vals = np.exp(ax * (np.cos(t) - 1.0)) * np.cos(nu * t)
    return (vals * w).sum(-1) / 4000 * np.sign(x) ** nu


# ---------------------------------------------------------------------- values


def test_digamma_closed_forms_reflection_and_poles() -> None:
    # ψ(1) = −γ, ψ(½) = −γ − 2 ln 2, ψ(n + 1) = Hₙ − γ
    got = sp.digamma(t64(1.0, 0.5, 11.0)).data
    np.testing.assert_allclose(got, [-EULER, -EULER - 2 * math.log(2), 7381 / 2520 - EULER], 1e-15)
    x = np.array([-0.3, -2.7, -11.25, 0.4])  # ψ(1 − x) − ψ(x) = π cot(πx)
    lhs = sp.psi(Tensor(1 - x)).data - sp.psi(Tensor(x)).data
    np.testing.assert_allclose(lhs, math.pi / np.tan(math.pi * x), rtol=1e-13)
    assert sp.digamma(t64(0.0, -0.0, -2.0, INF, -INF)).tolist()[:2] == [-INF, INF]
    assert np.isnan(sp.digamma(t64(-2.0, -INF)).data).all()
    assert sp.digamma(t64(INF)).item() == INF


def test_polygamma_closed_forms_recurrence_and_poles() -> None:
    one = t64(1.0)
    assert sp.polygamma(1, one).item() == pytest.approx(math.pi**2 / 6, rel=1e-15)
    assert sp.polygamma(2, one).item() == pytest.approx(-2 * ZETA3, rel=1e-15)
    assert sp.polygamma(3, one).item() == pytest.approx(math.pi**4 / 15, rel=1e-15)
    assert sp.polygamma(1, t64(0.5)).item() == pytest.approx(math.pi**2 / 2, rel=1e-15)
    assert sp.polygamma(0, one).item() == pytest.approx(-EULER, rel=1e-15)
    x = np.array([0.3, 2.5, 17.0, -0.4, -3.7, -20.2])
    for n in (1, 2, 3, 6):  # ψ⁽ⁿ⁾(x + 1) − ψ⁽ⁿ⁾(x) = (−1)ⁿ n!/xⁿ⁺¹
        diff = sp.polygamma(n, Tensor(x + 1)).data - sp.polygamma(n, Tensor(x)).data
        scale = np.abs(sp.polygamma(n, Tensor(x)).data) + np.abs(diff)
        err = np.abs(diff - (-1) ** n * math.factorial(n) / x ** (n + 1)) / scale
        assert err.max() < 1e-14
    for n in (1, 2, 3):  # poles: (−1)ⁿ⁺¹·∞
        assert sp.polygamma(n, t64(0.0, -3.0)).tolist() == [(-1) ** (n + 1) * INF] * 2


def test_lgamma_values_and_poles() -> None:
    x = [0.5, 3.0, 171.5, -2.5, 1e-300]
    # math.lgamma is itself a few ulp off (an absolute 3e-16 at −2.5, where the value is −0.056)
    want = [math.lgamma(v) for v in x]
    np.testing.assert_allclose(sp.gammaln(t64(*x)).data, want, rtol=1e-15, atol=5e-16)
    assert sp.gammaln(t64(0.0, -4.0, INF, -INF, 1e308)).tolist() == [INF] * 5


def test_multigammaln_is_a_sum_of_lgammas() -> None:
    x = np.array([1.7, 4.0])
    want = 1.5 * math.log(math.pi) + sum(np.vectorize(math.lgamma)(x - i / 2) for i in range(3))
    np.testing.assert_allclose(sp.multigammaln(Tensor(x), 3).data, want, rtol=1e-14)


def test_erfinv_inverts_erf_and_keeps_the_tails() -> None:
    x = np.array([-0.9, -1e-300, 0.0, 0.3, 0.49, 0.51, 0.999])
    y = sp.erfinv(Tensor(x)).data
    np.testing.assert_allclose([math.erf(v) for v in y], x, rtol=2e-16, atol=0)
    rest = 1.0 - (1.0 - np.array([2.0**-53, 1e-12, 1e-5]))  # erfc(erfinv(1 − ε)) = ε
    y = sp.erfinv(Tensor(1.0 - rest)).data
    np.testing.assert_allclose([math.erfc(v) for v in y], rest, rtol=3e-14)
    assert sp.erfinv(t64(1.0, -1.0)).tolist() == [INF, -INF]
    assert np.isnan(sp.erfinv(t64(1.5, -1.0000001, NAN)).data).all()


def test_erfc_erfcx_and_ndtr_in_the_tails() -> None:
    assert sp.erfc(t64(10.0)).item() == math.erfc(10.0)  # 2e-45, where 1 − erf(x) is 0
    x = np.array([-3.0, -0.5, 0.0, 1.0, 5.0, 9.9])
    np.testing.assert_allclose(
        sp.erfcx(Tensor(x)).data, np.exp(x * x) * np.vectorize(math.erfc)(x), 5e-15
    )
    big = np.array([100.0, 1e4, 1e50])  # 1/(x√π)·(1 − 1/(2x²) + 3/(4x⁴) − 15/(8x⁶))
    z = 1 / (2 * big**2)
    series = (1 - z + 3 * z**2 - 15 * z**3) / (big * math.sqrt(math.pi))
    np.testing.assert_allclose(sp.erfcx(Tensor(big)).data, series, rtol=1e-12)
    assert sp.erfcx(t64(-30.0, INF, -INF)).tolist() == [INF, 0.0, INF]
    assert sp.ndtr(t64(-30.0)).item() == pytest.approx(0.5 * math.erfc(30 / math.sqrt(2)), 1e-14)


def test_ndtri_and_log_ndtr() -> None:
    p = np.array([1e-300, 1e-20, 0.01, 0.3, 0.5, 0.7, 0.99, 1 - 2.0**-53])
    x = sp.ndtri(Tensor(p)).data
    phi = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    np.testing.assert_allclose(phi, p, rtol=1e-13)
    assert sp.ndtri(t64(0.0, 1.0)).tolist() == [-INF, INF]
    assert np.isnan(sp.ndtri(t64(-0.1, 1.1)).data).all()
    # ln Φ(−30) (the leading digits of ln(erfc(30/√2)/2)), and ln Φ(x) ≈ −Φ(−x) for large x
    assert sp.log_ndtr(t64(-30.0)).item() == pytest.approx(-454.3212439563432, rel=1e-15)
    assert sp.log_ndtr(t64(30.0)).item() == pytest.approx(-0.5 * math.erfc(30 / 2**0.5), 1e-14)
    mid = np.array([-0.999, -1.001, 0.0, 2.0])
    np.testing.assert_allclose(
        sp.log_ndtr(Tensor(mid)).data,
        np.log([0.5 * math.erfc(-v / math.sqrt(2)) for v in mid]),
        rtol=1e-14,
    )


def test_bessel_functions_against_quadrature_over_a_wide_range() -> None:
    x = np.array([-700.0, -25.0, -19.9, -3.0, -0.01, 0.0, 0.7, 15.0, 20.0, 20.1, 80.0, 700.0])
    for nu, fn in ((0, sp.i0e), (1, sp.i1e)):
        np.testing.assert_allclose(fn(Tensor(x)).data, quad_bessel(nu, x), rtol=2e-14, atol=0)
    small = x[np.abs(x) <= 80]
    np.testing.assert_allclose(
        sp.i0(Tensor(small)).data, quad_bessel(0, small) * np.exp(np.abs(small)), 2e-14
    )
    np.testing.assert_allclose(
        sp.i1(Tensor(small)).data, quad_bessel(1, small) * np.exp(np.abs(small)), 2e-14
    )
    assert sp.i0(t64(713.0)).item() == pytest.approx(
        quad_bessel(0, np.array([713.0]))[0] * math.exp(356.5) * math.exp(356.5), rel=1e-13
    )
    assert sp.i0(t64(INF, -INF, 720.0)).tolist() == [INF, INF, INF]
    assert sp.i1(t64(-INF)).item() == -INF and sp.i1e(t64(-INF)).item() == 0.0


def test_entr_xlog1py_and_the_aliases() -> None:
    assert sp.entr(t64(0.0, 1.0, -1.0, 0.5)).tolist() == [0.0, -0.0, -INF, 0.5 * math.log(2)]
    assert np.isnan(sp.entr(t64(NAN)).item())
    got = sp.xlog1py(t64(0.0, 2.0, 0.0, 3.0), t64(-1.0, 1e-20, NAN, 1.0)).data
    assert got[0] == 0.0 and got[1] == 2e-20 and np.isnan(got[2]) and got[3] == 3 * math.log(2)
    assert sp.xlog1py(2.0, t64(1.0)).item() == 2 * math.log(2)
    assert sp.xlogy(t64(2.0), 4.0).item() == 2 * math.log(4)
    x = t64(0.25, -1.5)
    assert sp.expit(x).tolist() == x.sigmoid().tolist()
    assert sp.round(t64(1.25, 2.5), decimals=1).tolist() == [1.2, 2.5]
    assert (
        sp.softmax(Tensor(np.array([1.0, 2.0], np.float32)), 0, dtype=np.float64).dtype
        == np.float64
    )
    assert sp.logsumexp(t64(0.0, 0.0), 0).item() == math.log(2)


def test_dtypes_follow_pytorch() -> None:
    ints = Tensor(np.array([1, 2, 3]))
    for fn in (sp.gammaln, sp.digamma, sp.i0, sp.i1e, sp.erfc, sp.erfcx, sp.ndtr, sp.entr):
        assert fn(ints).dtype == tg.float64 if hasattr(tg, "float64") else np.float64
    f32 = Tensor(np.array([0.5, 2.0], np.float32))
    for fn in (sp.gammaln, sp.digamma, sp.i0, sp.i0e, sp.i1, sp.i1e, sp.erfcx, sp.log_ndtr):
        assert fn(f32).dtype == np.float32
    assert sp.polygamma(2, f32).dtype == np.float32 and sp.erfinv(f32 * 0.5).dtype == np.float32


def test_in_place_methods() -> None:
    x = t64(1.0, 3.0)
    assert x.lgamma_() is x and x.tolist() == [0.0, math.log(2)]
    assert sp.i1e(t64(1e-8)).item() == pytest.approx(5e-9 * (1 - 1e-8), rel=1e-15)
    y = t64(0.5)
    y.erfinv_()
    assert y.item() == pytest.approx(0.4769362762044699, rel=1e-15)
    z = t64(1.0)
    z.polygamma_(1)
    assert z.item() == pytest.approx(math.pi**2 / 6, rel=1e-15)


# ---------------------------------------------------------------------- gradients


@pytest.mark.parametrize(
    ("fn", "lo", "hi"),
    [
        (sp.gammaln, 0.3, 4.0),
        (sp.digamma, 0.3, 4.0),
        (lambda x: sp.polygamma(2, x), 0.3, 4.0),
        (lambda x: sp.multigammaln(x, 3), 1.3, 4.0),
        (sp.erfinv, -0.9, 0.9),
        (sp.ndtri, 0.05, 0.95),
        (sp.erfc, -2.0, 2.0),
        (sp.erfcx, -2.0, 12.0),
        (sp.ndtr, -3.0, 3.0),
        (sp.log_ndtr, -12.0, 3.0),
        (sp.entr, 0.2, 3.0),
        (sp.i0, -4.0, 4.0),
        (sp.i1, -4.0, 4.0),
        (sp.i0e, 0.1, 25.0),
        (sp.i1e, -25.0, -0.1),
    ],
)
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_first_and_second_derivatives_against_finite_differences(fn, lo, hi, data) -> None:
    v = data.draw(st.lists(st.floats(lo, hi), min_size=1, max_size=3))
    x = Tensor(np.array(v), requires_grad=True)
    assert gradcheck(fn, x, rtol=1e-5)
    assert gradgradcheck(fn, x, atol=1e-4, rtol=1e-3)


def test_xlog1py_gradients_against_finite_differences() -> None:
    x, y = t64(0.5, -2.0, grad=True), t64(0.3, 4.0, grad=True)
    assert gradcheck(sp.xlog1py, x, y) and gradgradcheck(sp.xlog1py, x, y)


def test_derivative_limits_at_zero() -> None:
    for fn, want in ((sp.i1, 0.5), (sp.i1e, 0.5), (sp.i0e, 0.0), (sp.i0, 0.0)):
        x = t64(0.0, grad=True)
        fn(x).sum().backward()
        assert x.grad.tolist() == [want]
    x = t64(0.0, grad=True)
    sp.entr(x).sum().backward()
    assert x.grad.tolist() == [INF]  # −(1 + ln 0), as PyTorch's


# ---------------------------------------------------------------------- errors


def test_bad_arguments_are_refused_with_clear_errors() -> None:
    x = t64(1.0)
    with pytest.raises(ValueError, match="does not support negative n, got n = -1"):
        sp.polygamma(-1, x)
    with pytest.raises(TypeError, match="n must be an int, got float 1.5"):
        x.polygamma(1.5)
    with pytest.raises(ValueError, match="p has to be greater than or equal to 1, got p = 0"):
        sp.multigammaln(x, 0)
    with pytest.raises(TypeError, match="may not be a boolean tensor"):
        Tensor(np.array([True])).mvlgamma(1)
    with pytest.raises(TypeError, match="special.erfc: expected a Tensor, got ndarray"):
        sp.erfc(np.array([1.0]))
    with pytest.raises(TypeError, match="special.xlog1py: expected a Tensor operand"):
        sp.xlog1py(1.0, 2.0)
    with pytest.raises(ValueError, match="xlog1py: shapes \\(2,\\) and \\(3,\\)"):
        sp.xlog1py(t64(1.0, 2.0), t64(1.0, 2.0, 3.0))
