"""Backward at extreme inputs (±1e308, subnormals, ±0, huge or tiny upstream gradients).

Where the exact derivative is a representable number, the computed gradient must be that number
(to a few units in the last place), never NaN or infinity from an intermediate that overflowed
or underflowed. Exact references: Python's `fractions` (rational ops) and `decimal` at 60 digits.
"""

from __future__ import annotations

import decimal
import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from tinygrad_lite import Tensor, ops

TINY = 5e-324  # the smallest subnormal
VALUES = [0.0, -0.0, TINY, -TINY, 1e-310, 1e-300, 1e-150, 0.5, 1.0, 3.0, 1e150, 1e300, 1.7e308]
VALUES += [-v for v in VALUES if v > 0]
GRADS = [1e-300, 1e-10, 1.0, 1e10, 1e300]
MAX = np.finfo(np.float64).max


def exact(f: Fraction) -> float | None:
    """The float nearest the exact value, or None where it overflows."""
    try:
        value = float(f)
    except OverflowError:
        return None
    return value if abs(value) <= MAX else None


def close(ours: float, reference: float, ulps: int = 4) -> bool:
    if reference == 0:
        return ours == 0
    if not math.isfinite(ours):
        return False
    tolerance = ulps * max(abs(math.ulp(reference)), TINY)
    return abs(ours - reference) <= tolerance


def grads_of(fn: type[ops.Function], *xs: float, g: float, **params: object) -> list[float]:
    ts = [Tensor(np.array(x), requires_grad=True) for x in xs]
    with np.errstate(all="ignore"):
        out = fn.apply(*ts, **params)
        out.backward(np.array(g))
    return [float(t.grad.data) if t.grad is not None else 0.0 for t in ts]


@pytest.mark.parametrize("g", GRADS)
def test_div_gradients_are_exact_where_representable(g: float) -> None:
    wrong = []
    for x, y in itertools.product(VALUES, VALUES):
        if y == 0:
            continue
        with np.errstate(all="ignore"):
            if not math.isfinite(x / y):
                continue  # the forward itself overflowed: nothing to differentiate
        gx, gy = grads_of(ops.Div, x, y, g=g)
        ref_x = exact(Fraction(g) / Fraction(y))
        ref_y = exact(-Fraction(g) * Fraction(x) / (Fraction(y) * Fraction(y)))
        for name, ours, ref in (("dx", gx, ref_x), ("dy", gy, ref_y)):
            if ref is not None and not close(ours, ref):
                wrong.append(f"{name} at x={x!r}, y={y!r}, grad={g!r}: {ours!r} != {ref!r}")
    assert not wrong, "\n".join(wrong[:10])


@pytest.mark.parametrize("g", GRADS)
def test_mul_gradients_are_exact_where_representable(g: float) -> None:
    wrong = []
    for x, y in itertools.product(VALUES, VALUES):
        gx, gy = grads_of(ops.Mul, x, y, g=g)
        for ours, ref in (
            (gx, exact(Fraction(g) * Fraction(y))),
            (gy, exact(Fraction(g) * Fraction(x))),
        ):
            if ref is not None and not close(ours, ref, ulps=1):
                wrong.append(f"mul at x={x!r}, y={y!r}, grad={g!r}: {ours!r} != {ref!r}")
    assert not wrong, "\n".join(wrong[:10])


@pytest.mark.parametrize("p", [0, 1, 2, 3, -1, -2])
def test_integer_powers_have_exact_gradients_and_no_nan_at_zero(p: int) -> None:
    wrong = []
    for x, g in itertools.product(VALUES, GRADS):
        if x == 0 and p < 1:
            continue  # x^p itself is infinite (p < 0), or x^0 = 1 whose derivative 0 is below
        with np.errstate(all="ignore"):
            if not math.isfinite(float(np.power(x, float(p)))):
                continue
        (gx,) = grads_of(ops.Pow, x, g=g, exponent=p)
        ref = exact(Fraction(g) * p * Fraction(x) ** (p - 1)) if p != 0 else 0.0
        if ref is not None and not close(gx, ref):
            wrong.append(f"x**{p} at x={x!r}, grad={g!r}: {gx!r} != {ref!r}")
    assert not wrong, "\n".join(wrong[:10])
    (g0,) = grads_of(ops.Pow, 0.0, g=1.0, exponent=0)
    assert g0 == 0.0


def test_pow_tensor_at_base_zero_is_zero_where_the_derivative_is() -> None:
    for y in (0.0, 0.5, 1.0, 2.0, 3.5):
        gx, gy = grads_of(ops.PowTensor, 0.0, y, g=1.0)
        assert gy == 0.0  # z·ln x = 0·(-inf): 0 as in PyTorch
        if y == 0.0 or y > 1:
            assert gx == 0.0
        elif y == 1.0:
            assert gx == 1.0


D = decimal.Context(prec=60)


def _dec(x: float) -> decimal.Decimal:
    return decimal.Decimal(x)


def _exp(d: decimal.Decimal) -> decimal.Decimal:
    return D.exp(d)


def _sigmoid_prime(x: float) -> float | None:
    if abs(x) > 745:
        return 0.0 if abs(x) > 1e4 else float(D.exp(-abs(_dec(x))))
    s = 1 / (1 + _exp(-_dec(x)))
    return float(s * (1 - s))


def _tanh_prime(x: float) -> float | None:
    if abs(x) > 400:
        return 0.0
    t = (_exp(2 * _dec(x)) - 1) / (_exp(2 * _dec(x)) + 1)
    return float(1 - t * t)


def _gelu_prime(x: float) -> float | None:
    if x > 40:
        return 1.0
    if x < -40:
        return 0.0
    b, k, d = _dec(math.sqrt(2 / math.pi)), decimal.Decimal("0.044715"), _dec(x)
    u = b * (d + k * d * d * d)
    t = (_exp(2 * u) - 1) / (_exp(2 * u) + 1)
    return float(
        decimal.Decimal("0.5") * (1 + t)
        + decimal.Decimal("0.5") * d * (1 - t * t) * b * (1 + 3 * k * d * d)
    )


REFERENCES = {
    ops.Sigmoid: _sigmoid_prime,
    ops.Tanh: _tanh_prime,
    ops.GELU: _gelu_prime,
    ops.LogSigmoid: lambda x: float(1 / (1 + _exp(_dec(x)))) if x < 1e4 else 0.0,
    ops.Softplus: lambda x: (
        _sigmoid_prime(x) and float(1 / (1 + _exp(-_dec(x)))) if x < 20 else 1.0
    ),
}


@pytest.mark.parametrize("fn", list(REFERENCES), ids=lambda f: f.__name__)
def test_activations_have_finite_exact_gradients_at_every_extreme(fn: type[ops.Function]) -> None:
    wrong = []
    for x in VALUES:
        (gx,) = grads_of(fn, x, g=1.0)
        ref = REFERENCES[fn](x)
        if ref is None:
            continue
        if not math.isfinite(gx) or abs(gx - ref) > 1e-12 * max(abs(ref), 1e-300):
            wrong.append(f"{fn.__name__}' at {x!r}: {gx!r} != {ref!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "fn,domain",
    [
        (ops.Exp, lambda x: x < 709),
        (ops.Expm1, lambda x: x < 709),
        (ops.Log, lambda x: x > 0),
        (ops.Log1p, lambda x: x > -1),
        (ops.Sqrt, lambda x: x > 0),
        (ops.Abs, lambda x: x != 0),
        (ops.Sin, lambda x: abs(x) < 1e15),
        (ops.Cos, lambda x: abs(x) < 1e15),
        (ops.ReLU, lambda x: x != 0),
        (ops.LeakyReLU, lambda x: x != 0),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_no_nan_gradient_where_the_derivative_is_finite(fn: type[ops.Function], domain) -> None:
    for x, g in itertools.product(VALUES, [1.0, 1e-300]):
        if not domain(x):
            continue
        with np.errstate(all="ignore"):
            (gx,) = grads_of(fn, x, g=g)
        assert not math.isnan(gx), f"{fn.__name__} at {x!r} with grad {g!r} gives NaN"
