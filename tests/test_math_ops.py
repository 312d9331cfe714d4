"""The elementary functions (tan, asin, ..., log2, logit, atan2, xlogy, lerp) at their edges.

The registry's property tests (test_ops.py) check every op's gradients and forward on ordinary
inputs. Here: values and gradients at the special points (±0, ±1, ±∞, NaN), where they are the
mathematics' (asin′(±1) = ∞, log2′(0) = ∞, logaddexp2(3, 3) = 4) or PyTorch's choice where the
mathematics has none (xlogy's gradients at x = 0, logit's outside its eps clamp); digits kept
near the singular points; lerp's rounding; the aliases, the top-level functions and dtypes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite.ops import Logit, fused_multiply_add

NAN, INF, PI = math.nan, math.inf, math.pi


def value_and_grads(f: Callable[..., Tensor], *xs: Any, g: float = 1.0) -> list[np.ndarray]:
    """f's value and its gradients for each input (float64 leaves), under incoming gradient g."""
    ts = [Tensor(np.array(x, dtype=np.float64), requires_grad=True) for x in xs]
    with np.errstate(all="ignore"):
        out = f(*ts)
        out.backward(np.full(out.shape, g))
    return [out.data] + [t.grad.data for t in ts if t.grad is not None]


def assert_same(actual: Any, expected: Any) -> None:
    """Equal, NaN where expected is NaN, and zeros of the expected sign."""
    a, e = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    np.testing.assert_array_equal(a, e)
    np.testing.assert_array_equal(np.signbit(a[e == 0]), np.signbit(e[e == 0]))


def correctly_rounded(exact: Fraction) -> float:
    return float(exact)  # Python rounds a ratio of integers once


# ---------------------------------------------------------------------- inverse functions


def test_inverse_sine_cosine_and_tanh_are_infinitely_steep_at_plus_minus_one() -> None:
    x = [-1.0, 1.0, -2.0, 2.0, 0.0]
    y, dy = value_and_grads(Tensor.asin, x)
    assert_same(y, [-PI / 2, PI / 2, NAN, NAN, 0.0])
    assert_same(dy, [INF, INF, NAN, NAN, 1.0])
    y, dy = value_and_grads(Tensor.acos, x)
    assert_same(y, [PI, 0.0, NAN, NAN, PI / 2])
    assert_same(dy, [-INF, -INF, NAN, NAN, -1.0])
    # atanh′ = 1/(1 − x²): beyond ±1 its formula's value, as PyTorch's (the value is NaN)
    y, dy = value_and_grads(Tensor.atanh, [-1.0, 1.0, 2.0, INF, -0.0])
    assert_same(y, [-INF, INF, NAN, NAN, -0.0])
    assert_same(dy, [INF, INF, -1 / 3, -0.0, 1.0])


def test_inverse_cosh_is_infinitely_steep_at_one_and_undefined_below() -> None:
    y, dy = value_and_grads(Tensor.acosh, [1.0, 2.0, INF, 0.5, -1.0, -2.0, 1e200])
    assert_same(y[[0, 2, 3, 4, 5]], [0.0, INF, NAN, NAN, NAN])
    # acosh(2) is NumPy's arccosh, whose SIMD kernels are within an ulp of the C library's
    np.testing.assert_array_max_ulp(y[1], math.acosh(2.0), maxulp=1)
    # below 1 the derivative is 1/√(x² − 1) as in PyTorch: NaN on (−1, 1), +∞ at −1
    assert_same(dy[:-1], [INF, 1 / math.sqrt(3.0), 0.0, NAN, INF, 1 / math.sqrt(3.0)])
    assert dy[-1] == pytest.approx(1e-200, rel=1e-15)  # x² overflows; √(x − 1)·√(x + 1) not


@pytest.mark.parametrize("e", [2.0**-30, 2.0**-45])
def test_near_the_singular_points_the_derivatives_keep_every_digit(e: float) -> None:
    # (1 − x)(1 + x) is exact here, and √(x − 1)·√(x + 1) within two roundings; 1 − x² and
    # x² − 1 would lose the digits of x² (PyTorch's formulas)
    below, above = Fraction(1) - Fraction(e), Fraction(1) + Fraction(e)
    (_, d_asin) = value_and_grads(Tensor.asin, float(below))
    assert d_asin == pytest.approx(1 / math.sqrt(correctly_rounded(1 - below**2)), rel=3e-16)
    (_, d_atanh) = value_and_grads(Tensor.atanh, float(below))
    assert d_atanh == correctly_rounded(1 / (1 - below**2))
    (_, d_acosh) = value_and_grads(Tensor.acosh, float(above))
    assert d_acosh == pytest.approx(1 / math.sqrt(correctly_rounded(above**2 - 1)), rel=5e-16)


def test_atan_and_asinh_flatten_out_only_at_infinity() -> None:
    _, d_atan = value_and_grads(Tensor.atan, [-INF, INF, 0.0, 1.0])
    assert_same(d_atan, [0.0, 0.0, 1.0, 0.5])
    y, d_asinh = value_and_grads(Tensor.asinh, [-INF, INF, 1e200, -0.0])
    assert_same(y, [-INF, INF, math.asinh(1e200), -0.0])
    # 1/√(x² + 1) with √(x² + 1) as hypot(x, 1): 1e-200 at 1e200, where x² overflows (PyTorch: 0)
    assert_same(d_asinh, [0.0, 0.0, 1e-200, 1.0])


def test_tan_and_the_hyperbolic_functions() -> None:
    y, dy = value_and_grads(Tensor.tan, [0.0, PI / 4, INF])
    assert_same(y[[0, 2]], [0.0, NAN])
    assert dy[1] == pytest.approx(2.0, rel=1e-15) and dy[0] == 1.0 and math.isnan(dy[2])
    y, dy = value_and_grads(Tensor.sinh, [-INF, INF, -0.0])
    assert_same(y, [-INF, INF, -0.0])
    assert_same(dy, [INF, INF, 1.0])
    y, dy = value_and_grads(Tensor.cosh, [-INF, INF, -0.0])
    assert_same(y, [INF, INF, 1.0])
    assert_same(dy, [-INF, INF, -0.0])


# ---------------------------------------------------------------------- logarithms, sinc


def test_base_2_and_10_logarithms_and_powers_of_two() -> None:
    y, dy = value_and_grads(Tensor.log2, [-0.0, 0.0, -1.0, INF, 8.0])
    assert_same(y, [-INF, -INF, NAN, INF, 3.0])
    assert_same(dy, [-INF, INF, -1 / math.log(2.0), 0.0, 1 / (8 * math.log(2.0))])
    y, dy = value_and_grads(Tensor.log10, [0.0, 1000.0, 10.0])
    assert_same(y, [-INF, 3.0, 1.0])
    assert dy[0] == INF and dy[2] == pytest.approx(1 / (10 * math.log(10.0)), rel=1e-15)
    y, dy = value_and_grads(Tensor.exp2, [-INF, 10.0, 0.0, INF])
    assert_same(y, [0.0, 1024.0, 1.0, INF])
    assert_same(dy, [0.0, 1024.0 * math.log(2.0), math.log(2.0), INF])


def test_sinc_is_one_at_zero_with_a_zero_derivative_whatever_comes_in() -> None:
    y, dy = value_and_grads(Tensor.sinc, [0.0, -0.0, 0.5, 1.0, 1e-200, 1e200])
    assert_same(y[:3], [1.0, 1.0, 2 / PI])
    assert abs(y[3]) < 1e-16 and y[4] == 1.0
    assert dy[:2].tolist() == [0.0, 0.0] and dy[4] == 0.0
    assert dy[2] == pytest.approx(-4 / PI, rel=1e-15)  # (cos(π/2) − 2/π)/½
    assert dy[3] == pytest.approx(-1.0, rel=1e-15)
    assert 0 < abs(dy[5]) <= 2e-200  # (cos πx − y)/x; PyTorch's πx² overflows to give 0
    for g in (INF, NAN):  # a select at 0 (and where x² underflows), as PyTorch's
        assert value_and_grads(Tensor.sinc, [0.0, 1e-200], g=g)[1].tolist() == [0.0, 0.0]


def test_logit_without_eps() -> None:
    x = [0.0, -0.0, 1.0, 0.5, -0.5, 2.0, NAN]
    y, dy = value_and_grads(Tensor.logit, x)
    assert_same(y, [-INF, -INF, INF, 0.0, NAN, NAN, NAN])
    assert_same(dy, [INF, INF, INF, 4.0, NAN, NAN, NAN])  # +∞ at −0: x(1 − x) + 0 is +0
    assert_same(value_and_grads(lambda t: t.logit(-0.5), x)[1], dy)  # eps < 0: none


def test_logit_with_eps_clamps_and_its_gradient_is_zero_outside() -> None:
    x = [0.05, 0.1, 0.5, 0.9, 0.95, -1.0, 2.0, NAN]
    y, dy = value_and_grads(lambda t: t.logit(eps=0.1), x)
    lo, hi = math.log(0.1 / 0.9), math.log(0.9 / (1 - 0.9))
    assert_same(y, [lo, lo, 0.0, hi, hi, lo, hi, NAN])
    inside = [1 / (0.1 * (1 - 0.1)), 4.0, 1 / (0.9 * (1 - 0.9))]  # at the ends too
    assert_same(dy, [0.0, *inside, 0.0, 0.0, 0.0, NAN])
    dy_inf = value_and_grads(lambda t: t.logit(0.1), x, g=INF)[1]
    assert_same(dy_inf, [0.0, INF, INF, INF, 0.0, 0.0, 0.0, NAN])  # selected, not ∞·0
    # eps above ½: below eps to eps, then above 1 − eps to 1 − eps (PyTorch's order)
    y = value_and_grads(lambda t: t.logit(0.6), [0.5, 0.9])[0]
    assert_same(y, [math.log(0.6 / (1 - 0.6)), math.log(0.4 / (1 - 0.4))])
    out = Tensor([0.3], requires_grad=True).logit(eps=0.1)
    assert Logit.formula(out._ctx) == ("{g}/({0}(1 − {0})) ⊙ [0.1 ≤ {0} ≤ 0.9]",)


# ---------------------------------------------------------------------- two inputs


def test_xlogy_is_zero_where_x_is_zero_and_has_pytorchs_gradients_there() -> None:
    y = [0.0, INF, -1.0, 2.0, NAN]
    z, dx, dy = value_and_grads(Tensor.xlogy, [0.0] * 5, y)
    assert_same(z, [0.0, 0.0, 0.0, 0.0, NAN])
    assert_same(dx, [0.0, INF, 0.0, math.log(2.0), NAN])  # xlogy(g, y); 0 where y ≤ 0
    assert_same(dy, [NAN, 0.0, -0.0, 0.0, NAN])  # g·x/y
    z, dx, dy = value_and_grads(Tensor.xlogy, [1.0, 2.0, -1.0], [0.0, 3.0, 1.0])
    assert_same(z, [-INF, 2 * math.log(3.0), -0.0])
    assert_same(dx, [-INF, math.log(3.0), 0.0])
    assert_same(value_and_grads(Tensor.xlogy, 1.0, 0.0, g=0.0)[1], 0.0)  # xlogy(0, 0), not NaN
    assert tg.xlogy(2, Tensor([1.0, math.e])).tolist() == [0.0, 2.0]  # a number first
    assert tg.xlogy(Tensor([0, 2]), Tensor([0, 1])).tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    ("fn", "log"), [(tg.xlogy, np.log), (tg.special.xlog1py, np.log1p)], ids=["xlogy", "xlog1py"]
)
def test_x_log_of_mixed_floats_takes_the_log_in_the_result_dtype(fn: Any, log: Any) -> None:
    """float64 x, float32 y: the log of y in float64, as PyTorch promotes before computing (the
    log of the float32 value differed by ~1e-8 when NumPy took it in float32)."""
    y32 = np.linspace(0.1, 3.0, 7, dtype=np.float32)
    x = Tensor(np.linspace(-2.0, 2.0, 7), requires_grad=True)
    z = fn(x, Tensor(y32))
    want = x.data * log(y32.astype(np.float64))
    assert z.dtype == np.float64 and z.data.tobytes() == want.tobytes()
    z.sum().backward()
    assert x.grad is not None
    assert x.grad.data.tobytes() == log(y32.astype(np.float64)).tobytes()


def test_atan2_takes_the_quadrant_and_signed_zeros_and_is_flat_at_the_origin() -> None:
    x = [0.0, -0.0, 0.0, -0.0, 1.0, 1.0, -INF]
    y = [0.0, 0.0, -0.0, -0.0, -1.0, 1.0, 1.0]
    z, dx, dy = value_and_grads(Tensor.atan2, x, y)
    assert_same(z, [0.0, -0.0, PI, -PI, 3 * PI / 4, PI / 4, -PI / 2])
    assert_same(dx, [0.0, 0.0, -0.0, -0.0, -0.5, 0.5, 0.0])  # y/(x² + y²), 0 at the origin
    assert_same(dy, [-0.0, 0.0, -0.0, 0.0, -0.5, -0.5, NAN])  # −x/(x² + y²)
    assert tg.atan2(Tensor([[1.0], [-1.0]]), Tensor([1.0, 2.0, 3.0])).shape == (2, 3)


def test_hypot_neither_overflows_nor_is_differentiable_at_the_origin() -> None:
    z, dx, dy = value_and_grads(Tensor.hypot, [3.0, 1e300, 0.0, INF], [4.0, 1e300, 0.0, NAN])
    assert_same(z, [5.0, math.hypot(1e300, 1e300), 0.0, INF])
    assert_same(dx, [0.6, 1e300 / math.hypot(1e300, 1e300), NAN, NAN])
    assert_same(dy, [0.8, 1e300 / math.hypot(1e300, 1e300), NAN, NAN])


def test_logaddexp_and_logaddexp2_do_not_overflow_and_are_exact_on_the_diagonal() -> None:
    z, dx, dy = value_and_grads(Tensor.logaddexp, [INF, -INF, 1000.0], [1.0, -INF, 1000.0])
    assert_same(z, [INF, -INF, 1000.0 + math.log(2.0)])
    assert_same(dx, [1.0, NAN, 0.5])  # σ(x − y)
    assert_same(dy, [0.0, NAN, 0.5])
    z, dx, dy = value_and_grads(Tensor.logaddexp2, [3.0, -1.0, 2000.0], [3.0, -1.0, 1.0])
    assert_same(z, [4.0, 0.0, 2000.0])  # log₂(2·2ˣ) = x + 1 exactly (PyTorch: −4.8e-17 at −1)
    assert_same(dx, [0.5, 0.5, 1.0])
    assert_same(dy, [0.5, 0.5, 0.0])


# ---------------------------------------------------------------------- lerp


def exact_lerp(start: float, end: float, weight: float) -> float:
    """PyTorch's lerp, rounded once: start + w·d (|w| < ½) or end + (w − 1)·d, d = end − start."""
    d = Fraction(end - start)  # the difference is rounded first, as in PyTorch
    if abs(weight) < 0.5:
        return correctly_rounded(Fraction(start) + Fraction(weight) * d)
    return correctly_rounded(Fraction(end) + Fraction(weight - 1.0) * d)


def test_lerp_gives_its_ends_exactly() -> None:
    start, end = Tensor([3.0]), Tensor([0.1])
    assert start.lerp(end, 1.0).item() == 0.1  # the plain start + 1·(end − start) is not
    assert 3.0 + 1.0 * (0.1 - 3.0) != 0.1
    assert start.lerp(end, 0.0).item() == 3.0


def test_lerp_rounds_once_from_the_end_nearer_to_the_weight() -> None:
    rng = np.random.default_rng(0)
    s, e = rng.standard_normal(200), rng.standard_normal(200) * 10
    w = rng.uniform(-2.0, 3.0, 200)
    got = Tensor(s).lerp(Tensor(e), Tensor(w)).data
    assert got.tolist() == [exact_lerp(*v) for v in zip(s, e, w, strict=True)]
    got = Tensor(s).lerp(Tensor(e), 0.7).data  # a number
    assert got.tolist() == [exact_lerp(a, b, 0.7) for a, b in zip(s, e, strict=True)]


def test_lerp_with_a_tensor_weight_broadcasts_and_differentiates_all_three() -> None:
    start = Tensor([[1.0], [2.0]], requires_grad=True)
    end = Tensor([3.0, 5.0, 7.0], requires_grad=True)
    weight = Tensor([[0.25, 0.5, 2.0], [0.0, 1.0, -1.0]], requires_grad=True)
    out = tg.lerp(start, end, weight)
    assert out.tolist() == [[1.5, 3.0, 13.0], [2.0, 5.0, -3.0]]
    out.sum().backward()
    assert start.grad is not None and end.grad is not None and weight.grad is not None
    assert start.grad.tolist() == [[0.25], [3.0]]  # Σ (1 − w) over each row
    assert end.grad.tolist() == [0.25, 1.5, 1.0]  # Σ w over each column
    assert weight.grad.tolist() == [[2.0, 4.0, 6.0], [1.0, 3.0, 5.0]]  # end − start
    with pytest.raises(ValueError, match=r"lerp: shapes \(2,\), \(3,\) and \(\) .* broadcast"):
        Tensor([1.0, 2.0]).lerp(Tensor([1.0, 2.0, 3.0]), 0.5)


def test_fused_multiply_add_rounds_once_for_every_magnitude() -> None:
    rng = np.random.default_rng(1)
    n = 300  # exponents from the subnormals to the largest floats; products that fit
    ea = rng.integers(-1074, 1024, n)
    eb = np.clip(rng.integers(-1100, 1020, n) - ea, -1074, 1023)
    a, b = np.ldexp(rng.uniform(-1, 1, n), ea), np.ldexp(rng.uniform(-1, 1, n), eb)
    c = np.concatenate([-(a * b)[:150] * (1 + 2.0**-52), rng.standard_normal(150)])
    got = fused_multiply_add(a, b, c)
    exact = [Fraction(x) * Fraction(y) + Fraction(z) for x, y, z in zip(a, b, c, strict=True)]
    assert got.tolist() == [correctly_rounded(v) for v in exact]
    f32 = np.float32
    assert fused_multiply_add(f32(1 + 2**-12), f32(1 + 2**-12), f32(-1)).dtype == f32
    assert fused_multiply_add(f32(1 + 2**-12), f32(1 + 2**-12), f32(-1)) == 2**-11 + 2**-24


# ---------------------------------------------------------------------- names and dtypes

UNARY = ["tan", "atan", "asin", "acos", "sinh", "cosh", "asinh", "acosh", "atanh", "log2"]
UNARY += ["log10", "exp2", "sinc", "logit"]
BINARY = ["atan2", "hypot", "logaddexp", "logaddexp2", "xlogy"]
ALIASES = {"arctan": "atan", "arcsin": "asin", "arccos": "acos", "arcsinh": "asinh"}
ALIASES |= {"arccosh": "acosh", "arctanh": "atanh", "arctan2": "atan2"}


def test_integers_and_bools_give_the_default_float_and_float32_stays_float32() -> None:
    ints, flags = Tensor([1, 2]), Tensor([True, False])
    small = Tensor(np.array([0.25, 0.5], np.float32), requires_grad=True)
    with np.errstate(all="ignore"):  # asin(2), acosh(0.5), ...: NaN
        for name in UNARY:
            assert getattr(ints, name)().dtype == np.float64, name
            assert getattr(flags, name)().dtype == np.float64, name
            assert getattr(small, name)().dtype == np.float32, name
    for name in BINARY:
        assert getattr(ints, name)(Tensor([3, 4])).dtype == np.float64, name
        assert getattr(small, name)(0.75).dtype == np.float32, name  # a number is weak
    assert ints.lerp(Tensor([3, 4]), 0.5).tolist() == [2.0, 3.0]
    out = small.lerp(small * 2, 0.5)
    out.sum().backward()
    assert out.dtype == np.float32 and small.grad is not None and small.grad.dtype == np.float32


def test_aliases_and_top_level_functions_are_the_methods() -> None:
    x, y = Tensor([0.25, 1.5]), Tensor([0.75, 2.0])
    with np.errstate(all="ignore"):  # acosh(0.25), asin(1.5), ...: NaN
        for alias, name in ALIASES.items():
            args = (y,) if name in BINARY else ()
            assert_same(getattr(x, alias)(*args).data, getattr(x, name)(*args).data)
            assert getattr(tg, alias) is getattr(tg, name) and alias in tg.__all__
        for name in UNARY + BINARY + ["lerp"]:
            args = {"lerp": (y, 0.3)}.get(name, (y,) if name in BINARY else ())
            assert_same(getattr(tg, name)(x, *args).data, getattr(x, name)(*args).data)
            assert name in tg.__all__
        assert_same(tg.logit(x, eps=0.3).data, x.logit(0.3).data)
    with pytest.raises(TypeError, match="atan2: expected a Tensor"):
        tg.atan2(np.ones(2), x)


def test_numpy_functions_on_tensors_run_the_ops() -> None:
    x = Tensor([0.25, 0.5], requires_grad=True)
    for fn, name in [(np.arcsin, "asin"), (np.log2, "log2"), (np.sinc, "sinc")]:
        out = fn(x)
        assert isinstance(out, Tensor) and out.requires_grad, name
        assert out.tolist() == getattr(x, name)().tolist()
    assert np.arctan2(x, 1.0).tolist() == x.atan2(1.0).tolist()
    with pytest.raises(ValueError, match=r"hypot: shapes \(2,\) and \(3,\) do not broadcast"):
        x.hypot(Tensor([1.0, 2.0, 3.0]))
