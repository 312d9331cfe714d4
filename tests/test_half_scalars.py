"""A float16 tensor beside a Python number gives PyTorch's float16 values, bit for bit.

PyTorch's float16 kernels compute `*`, `/`, `//`, div's rounding modes and lerp's weight in
float32 ("opmath") with the number rounded to float32 only, and round the result to float16
once; for +, −, `**`, `%` and comparisons they round the number to float16 first, as NumPy.
add's alpha is rounded to float16, and self + alpha·other is then computed in float32. The
expected values below are those closed forms written in NumPy (float32 arithmetic, one cast).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor

F16, F32 = np.float16, np.float32

RNG = np.random.default_rng(0)
X = np.concatenate(
    [
        RNG.standard_normal(3000),
        RNG.standard_normal(500) * 1000,
        RNG.standard_normal(500) * 1e-4,
        [0.0, -0.0, 1e-3, 0.5, 65504.0, -65504.0, np.inf, -np.inf, np.nan, 6e-8],
    ]
).astype(F16)
G = RNG.standard_normal(X.size).astype(F16)
# numbers float16 cannot hold (0.1, 65536 the usual loss scale, 1e-8 below its range) and
# numbers it holds exactly, where nothing changes
NUMBERS = [0.1, 1 / 3, 65536.0, 70000.0, 1e-8, 100000, 2**40, -2.5, 3, 0.5, np.inf, np.nan]


def same_bits(got: Any, expected: np.ndarray) -> bool:
    """Equal dtype and bits (every NaN equal to every NaN)."""
    got = got.detach().numpy() if isinstance(got, Tensor) else got
    if got.dtype != expected.dtype:
        return False
    nan = np.isnan(got) & np.isnan(expected)
    uint = f"u{got.dtype.itemsize}"
    return bool(np.all((got.view(uint) == expected.view(uint)) | nan))


def opmath(fn: Any, *operands: Any) -> np.ndarray:
    """fn of the operands in float32 (numbers rounded to float32 only), rounded to float16."""
    with np.errstate(all="ignore"):
        return np.asarray(fn(*[np.asarray(v).astype(F32) for v in operands])).astype(F16)


def test_the_loss_scale_and_numbers_beyond_float16_do_not_overflow() -> None:
    a = Tensor(np.array([0.0, 1e-3, 0.5], F16))
    # rounded to float16 first, 65536 and 100000 were inf (0·inf NaN), 1/70000 was 0
    assert (a * 65536.0).tolist() == [0.0, 65.5625, 32768.0]
    assert (a / 70000.0).tolist() == [0.0, 0.0, 7.152557373046875e-06]
    assert (a * 100000).tolist() == [0.0, 100.0625, 49984.0]
    assert (65536.0 / Tensor(np.array([1000.0, 2.0], F16))).tolist() == [65.5625, 32768.0]
    assert (a * 65536.0).dtype == F16 and (0.1 / (a + 1.0)).dtype == F16


@pytest.mark.parametrize("s", NUMBERS)
def test_times_and_divided_by_a_number_round_once_from_float32(s: Any) -> None:
    x = Tensor(X)
    with np.errstate(all="ignore"):
        for got in (x * s, s * x, x.mul(s), x.multiply(s), tg.mul(x, s)):
            assert same_bits(got, opmath(np.multiply, X, s))
        for got in (x / s, x.div(s), x.true_divide(s), x.divide(s), tg.div(x, s)):
            assert same_bits(got, opmath(np.divide, X, s))
        assert same_bits(s / x, opmath(np.divide, s, X))


@pytest.mark.parametrize("s", NUMBERS)
def test_the_gradients_of_x_times_and_over_a_number_are_computed_in_float32(s: Any) -> None:
    """PyTorch's backward of x·s and x/s is g·s and g/s by the same float16 kernel."""
    for fn, grad in ((lambda x: x * s, np.multiply), (lambda x: x / s, np.divide)):
        x = Tensor(X, requires_grad=True)
        with np.errstate(all="ignore"):
            fn(x).backward(Tensor(G))
        assert same_bits(x.grad, opmath(grad, G, s))


def test_a_number_over_a_tensor_keeps_its_gradient_finite() -> None:
    x = Tensor(np.array([1000.0, 300.0], F16), requires_grad=True)
    (65536.0 / x).backward(Tensor(np.ones(2, F16)))
    # −65536/x², about −0.0655 and −0.728 (with 65536 rounded to float16 first: −inf)
    expected = (-65536.0 / x.detach().numpy().astype(np.float64) ** 2).astype(F16)
    assert np.allclose(x.grad.numpy(), expected, rtol=2e-3)


@pytest.mark.parametrize("s", [0.1, 1 / 3, 1e-8, 3, -2.5, 7])
def test_rounded_quotients_by_a_number_are_computed_in_float32(s: Any) -> None:
    x = Tensor(X)
    with np.errstate(all="ignore"):
        floor = opmath(np.floor_divide, X, s)
        trunc = opmath(lambda a, b: np.trunc(a / b), X, s)
        assert same_bits(x // s, floor) and same_bits(x.floor_divide(s), floor)
        assert same_bits(x.div(s, rounding_mode="floor"), floor)
        assert same_bits(x.div(s, rounding_mode="trunc"), trunc)


def test_rounded_quotients_where_float16_quotients_round_differently() -> None:
    # float16's 0.1 is 0.0999755859375, and 3074/3 = 1024.67 rounds to 1025 in float16
    assert (Tensor(np.array([-249.75], F16)) // 0.1).tolist() == [-2498.0]
    assert Tensor(np.array([3074.0], F16)).div(3, rounding_mode="trunc").tolist() == [1024.0]


@pytest.mark.parametrize("s", [0.1, 65536.0, 70000.0, 1e-8, -2.5])
def test_sums_and_comparisons_round_the_number_to_float16_first(s: Any) -> None:
    """As PyTorch: x + 65536.0 is inf (65536 is beyond float16), and NumPy agrees."""
    x = Tensor(X)
    with np.errstate(all="ignore"):
        h = np.asarray(s).astype(F16)
        assert same_bits(x + s, X + h) and same_bits(s - x, h - X)
        assert np.array_equal((x < s).numpy(), X < h)
        assert np.array_equal((x == s).numpy(), X == h)


@pytest.mark.parametrize("alpha", [0.1, 1 / 3, -2.5, 3, 1e-3])
def test_add_and_sub_with_alpha_compute_the_sum_in_float32(alpha: Any) -> None:
    y = RNG.standard_normal(X.size).astype(F16)
    a = np.asarray(alpha).astype(F16)  # alpha is rounded to float16, as in PyTorch
    x, t = Tensor(X), Tensor(y)
    with np.errstate(all="ignore"):
        assert same_bits(x.add(t, alpha=alpha), opmath(lambda p, q, r: p + r * q, X, y, a))
        assert same_bits(x.sub(t, alpha=alpha), opmath(lambda p, q, r: p - r * q, X, y, a))


def test_the_gradients_of_add_with_alpha() -> None:
    x = Tensor(X[:3000], requires_grad=True)
    y = Tensor(X[1:3001], requires_grad=True)
    x.add(y, alpha=-2.5).backward(Tensor(G[:3000]))
    assert same_bits(x.grad, G[:3000]) and same_bits(y.grad, opmath(np.multiply, G[:3000], -2.5))


@pytest.mark.parametrize("w", [0.1, 1 / 3, 0.5, 0.75, -2.5, 3, 1e-8])
def test_lerp_with_a_number_weight_runs_in_float32(w: Any) -> None:
    """float32's lerp is PyTorch's to the bit; float16's is it, rounded once."""
    y = RNG.standard_normal(X.size).astype(F16)
    x, t = Tensor(X[:3000], requires_grad=True), Tensor(y[:3000], requires_grad=True)
    out = x.lerp(t, w)
    expected = Tensor(X[:3000].astype(F32)).lerp(Tensor(y[:3000].astype(F32)), w)
    assert same_bits(out, expected.numpy().astype(F16))
    out.backward(Tensor(G[:3000]))
    g = G[:3000].astype(F32)
    assert same_bits(x.grad, (g * (F32(1) - F32(w))).astype(F16))
    assert same_bits(t.grad, (g * F32(w)).astype(F16))


@pytest.mark.parametrize("p", [0.1, 1 / 3, -2.5, 1e-8, 3, 0.5])
def test_the_gradient_of_a_power_multiplies_by_the_exponent_in_float32(p: Any) -> None:
    """PyTorch's g·(p·x^(p−1)): x^(p−1) in float16, p times it in float32, then g times it."""
    x16 = np.linspace(0.5, 4.0, 301).astype(F16)
    g16 = G[:301]
    x = Tensor(x16, requires_grad=True)
    (x**p).backward(Tensor(g16))
    power = np.power(x16, p - 1)  # (the exponent rounded to float16, as PyTorch's pow)
    assert same_bits(x.grad, g16 * opmath(np.multiply, power, p))


def test_a_power_gradient_that_overflows_in_float16_is_the_exact_value_rounded_once() -> None:
    # x^(1e-8 - 1) at x = 7.7e-6 is beyond float16: the exact g·p·x^(p-1) is about -0.0021
    # (PyTorch's intermediate overflows to -inf; the exponent 1e-8 rounded to float16 gave -0)
    x = Tensor(np.array([7.68899917602539e-06], F16), requires_grad=True)
    with np.errstate(over="ignore"):
        (x**1e-8).backward(Tensor(np.array([-1.6181640625], F16)))
    exact = -1.6181640625 * 1e-8 * 7.68899917602539e-06 ** (1e-8 - 1)
    assert x.grad.tolist() == [float(np.float16(exact))] == [-0.0021038055419921875]


def test_a_float32_power_keeps_a_tiny_exponent_in_double_precision() -> None:
    """float32's 1e-50 is 0, and x ** 0 is 1 even at 0; PyTorch's 0 ** 1e-50 is 0."""
    x = Tensor(np.array([0.0, 0.5, np.inf, np.nan], F32))
    assert same_bits(x**1e-50, np.array([0.0, 1.0, np.inf, np.nan], F32))
    with np.errstate(divide="ignore"):
        assert same_bits(Tensor(np.array([0.0, 0.5], F32)) ** -1e-50, np.array([np.inf, 1], F32))


def test_in_place_products_in_a_graph_round_once() -> None:
    leaf = Tensor(np.array([0.0, 1e-3, 0.5], F16), requires_grad=True)
    y = leaf * 1.0
    y.mul_(65536.0)
    assert y.tolist() == [0.0, 65.5625, 32768.0]
    y.div_(70000.0)
    assert same_bits(y, opmath(np.divide, opmath(np.multiply, leaf.detach().numpy(), 65536.0), 7e4))


def test_a_compiled_step_replays_the_float32_arithmetic() -> None:
    def step(x: Tensor, s: float) -> Any:
        x.grad = None
        y = x * s + s / (x + 2.0) - x / s
        y.sum().backward()
        return y, x.grad

    compiled = tg.compile(step)
    x16 = X[:100].copy()
    for s in (0.1, 65536.0, 0.5, 1e-8):
        x1, x2 = Tensor(x16, requires_grad=True), Tensor(x16, requires_grad=True)
        with np.errstate(all="ignore"):
            eager, fast = step(x1, s), compiled(x2, s)
        for a, b in zip(eager, fast, strict=True):
            assert same_bits(b, a.detach().numpy())
    assert compiled.traces == 1


def test_other_dtypes_and_numpy_numbers_are_unchanged() -> None:
    x32 = RNG.standard_normal(100).astype(F32)
    assert same_bits(Tensor(x32) * 0.1, x32 * 0.1) and same_bits(Tensor(x32) / 3.0, x32 / 3.0)
    # a NumPy number is not weak: float16 beside float32 gives float32, as NumPy
    assert (Tensor(X) * np.float32(0.1)).dtype == F32
    # bools stay exact
    assert same_bits(Tensor(X) * True, X)
