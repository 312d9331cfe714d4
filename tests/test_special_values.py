"""Gradients at NaN, ±∞, ±0, subnormals and huge values, and under non-finite incoming gradients.

Where a derivative is exactly 0 (ReLU below 0, clamp outside its range, x ** 0), the gradient
is selected rather than multiplied by a 0/1 mask, so it stays 0 when the incoming gradient is ∞
or NaN, as in PyTorch (∞·0 would be NaN). The last test sweeps every elementwise op over the
special values against PyTorch (optional) and checks that the answers differ exactly where the
documented exceptions say (`docs/reliability.md`, "Special values").
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite import functional as F

NAN, INF = math.nan, math.inf
SPECIAL = [NAN, INF, -INF, 0.0, -0.0, 5e-324, -5e-324, 1.0, -1.0, 0.5, -2.0, 30.0, -800.0]
SPECIAL += [1e308, -1e308]
NONFINITE_GRADS = [INF, -INF, NAN]


def gradient(f: Callable[[Tensor], Tensor], x: Any, g: float = 1.0) -> np.ndarray:
    t = Tensor(np.array(x, dtype=np.float64), requires_grad=True)
    with np.errstate(all="ignore"):
        out = f(t)
        out.backward(np.full(out.shape, g))
    assert t.grad is not None
    return t.grad.data


@pytest.mark.parametrize("g", NONFINITE_GRADS)
@pytest.mark.parametrize("x", [-INF, -1e308, -1.0, -5e-324, -0.0, 0.0])
def test_relu_gradient_is_zero_at_and_below_zero_whatever_the_incoming_gradient(
    x: float, g: float
) -> None:
    assert gradient(Tensor.relu, x, g).tolist() == 0.0


@pytest.mark.parametrize("g", [1.0, -3.0, INF, NAN])
def test_relu_passes_the_gradient_through_nan_as_pytorch(g: float) -> None:
    np.testing.assert_array_equal(gradient(Tensor.relu, NAN, g), g)


@pytest.mark.parametrize("g", NONFINITE_GRADS)
@pytest.mark.parametrize("x", [NAN, -INF, -2.0, 2.0, INF])
def test_clamp_gradient_is_zero_outside_the_range_and_at_nan(x: float, g: float) -> None:
    assert gradient(lambda t: t.clamp(-1.0, 1.0), x, g).tolist() == 0.0
    assert gradient(lambda t: t.clamp(-1.0, 1.0), 0.25, 1.0).tolist() == 1.0


@pytest.mark.parametrize("g", [*NONFINITE_GRADS, 1.0])
@pytest.mark.parametrize("x", [NAN, INF, -INF, 0.0, -0.0, 2.0])
def test_the_zeroth_power_has_zero_gradient_everywhere(x: float, g: float) -> None:
    grad = gradient(lambda t: t**0, x, g)
    assert grad.tolist() == 0.0 and not np.signbit(grad)


@pytest.mark.parametrize("g", [*NONFINITE_GRADS, 1.0])
@pytest.mark.parametrize("x", [NAN, INF, -INF, 0.0, 2.0])
def test_a_tensor_exponent_of_zero_gives_the_base_a_zero_gradient(x: float, g: float) -> None:
    base = Tensor(x, requires_grad=True)
    with np.errstate(all="ignore"):
        (base ** Tensor(0.0)).backward(np.array(g))
    assert base.grad is not None and base.grad.tolist() == 0.0


def test_the_mixed_second_derivative_of_a_power_survives_at_a_zero_exponent() -> None:
    # z = x^y: dz/dx = y·x^(y−1), and d/dy of it at y = 0 is 1/x (lost if dz/dx were masked)
    x = Tensor(4.0, requires_grad=True)
    y = Tensor(0.0, requires_grad=True)
    (gx,) = tg.grad(x**y, [x], create_graph=True)
    assert gx.tolist() == 0.0
    (gxy,) = tg.grad(gx, [y])
    assert gxy.tolist() == 0.25


def test_the_exponents_gradient_at_a_zero_base_is_zero_times_the_incoming_gradient() -> None:
    for g, expected in ((1.0, 0.0), (-4.0, 0.0), (INF, NAN), (NAN, NAN)):
        base = Tensor(0.0, requires_grad=True)
        exponent = Tensor(2.0, requires_grad=True)
        (base**exponent).backward(np.array(g))
        assert exponent.grad is not None and base.grad is not None
        np.testing.assert_array_equal(exponent.grad.data, expected)  # PyTorch: g·0
        np.testing.assert_array_equal(base.grad.data, g * 0.0)  # 2·0¹ = 0, times g


def test_the_product_gradient_does_not_overflow_where_the_exact_value_is_finite() -> None:
    # d/dx0 of x0·x1 is x1 = 0.3: times 1e308, 3e307 (not (g·y)/x0 = (1e308·−9)/−30 = ∞);
    # d/dx1 is −30, and −30·1e308 does overflow
    grad = gradient(lambda t: t.prod(), [-30.0, 0.3], 1e308)
    np.testing.assert_allclose(grad, [3e307, -INF], rtol=1e-15)


def test_the_product_gradient_is_exact_where_the_product_underflowed() -> None:
    x = [1e-200, 1e-200, 3.0]  # Π underflows to 0; the products of the others need not
    grad = gradient(lambda t: t.prod(), x)
    exact = []
    for i in range(len(x)):
        others = Fraction(1)
        for j, v in enumerate(x):
            others *= Fraction(v) if j != i else 1
        exact.append(float(others))
    assert exact[0] == pytest.approx(3e-200, rel=1e-14) and exact[2] == 0.0
    np.testing.assert_allclose(grad, exact, rtol=1e-14, atol=0)


def test_the_exact_gelus_gradient_is_one_product_with_the_incoming_gradient() -> None:
    # dy/dx = Φ(x) + x·φ(x): 1/2 at 0, 1 far right, 0 far left, times g once
    assert gradient(F.gelu, 0.0, 1.0).tolist() == 0.5
    assert gradient(F.gelu, 0.0, INF).tolist() == INF  # not ∞·0 from the x·Φ(x) product rule
    assert gradient(F.gelu, -0.0, -INF).tolist() == -INF
    assert gradient(F.gelu, 30.0, 1e308).tolist() == 1e308  # no overflow of g·Φ + g·x·φ
    assert gradient(F.gelu, -800.0, 1e308).tolist() == 0.0
    for x in np.linspace(-5.0, 5.0, 41):
        phi = math.exp(-x * x / 2) / math.sqrt(2 * math.pi)
        exact = 0.5 * (1 + math.erf(x / math.sqrt(2))) + x * phi
        assert gradient(F.gelu, x).tolist() == pytest.approx(exact, rel=1e-13, abs=1e-15)


# ------------------------------------------------------------------ the sweep against PyTorch

REDUCING = {"sum", "mean", "max", "min", "prod", "logsumexp", "softmax", "log_softmax"}
REDUCING |= {"cumsum", "cumprod"}


def _ops(torch: Any) -> dict[str, tuple[Callable[[Tensor], Tensor], Callable[[Any], Any]]]:
    tf = torch.nn.functional
    return {
        "abs": (Tensor.abs, torch.abs),
        "neg": (Tensor.__neg__, torch.neg),
        "relu": (Tensor.relu, torch.relu),
        "leaky_relu": (lambda t: F.leaky_relu(t, 0.1), lambda x: tf.leaky_relu(x, 0.1)),
        "tanh": (Tensor.tanh, torch.tanh),
        "sigmoid": (Tensor.sigmoid, torch.sigmoid),
        "log_sigmoid": (F.log_sigmoid, tf.logsigmoid),
        "softplus": (F.softplus, tf.softplus),
        "gelu": (F.gelu, tf.gelu),
        "gelu_tanh": (
            lambda t: F.gelu(t, approximate="tanh"),
            lambda x: tf.gelu(x, approximate="tanh"),
        ),
        "exp": (Tensor.exp, torch.exp),
        "expm1": (Tensor.expm1, torch.expm1),
        "log": (Tensor.log, torch.log),
        "log1p": (Tensor.log1p, torch.log1p),
        "sqrt": (Tensor.sqrt, torch.sqrt),
        "sin": (Tensor.sin, torch.sin),
        "cos": (Tensor.cos, torch.cos),
        "erf": (Tensor.erf, torch.erf),
        "clamp": (lambda t: t.clamp(-1.0, 1.0), lambda x: torch.clamp(x, -1.0, 1.0)),
        "pow0": (lambda t: t**0, lambda x: x**0),
        "pow2": (lambda t: t**2, lambda x: x**2),
        "pow3": (lambda t: t**3, lambda x: x**3),
        "pow-1": (lambda t: t**-1, lambda x: x**-1),
        "pow0.5": (lambda t: t**0.5, lambda x: x**0.5),
        "sum": (Tensor.sum, torch.sum),
        "mean": (Tensor.mean, torch.mean),
        "max": (Tensor.max, torch.amax),
        "min": (Tensor.min, torch.amin),
        "prod": (Tensor.prod, torch.prod),
        "logsumexp": (lambda t: t.logsumexp(axis=0), lambda x: torch.logsumexp(x, dim=0)),
        "softmax": (lambda t: F.softmax(t, dim=0), lambda x: torch.softmax(x, dim=0)),
        "log_softmax": (lambda t: F.log_softmax(t, dim=0), lambda x: torch.log_softmax(x, dim=0)),
        "cumsum": (lambda t: t.cumsum(0), lambda x: torch.cumsum(x, 0)),
        "cumprod": (lambda t: t.cumprod(0), lambda x: torch.cumprod(x, 0)),
    }


def _same(a: Any, b: Any) -> bool:
    """Equal, NaN where the other is NaN, zeros of the same sign; 1e-12 relative if finite."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    equal = (np.isnan(a) & np.isnan(b)) | ((a == b) & (np.signbit(a) == np.signbit(b)))
    close = np.isfinite(a) & np.isfinite(b) & np.isclose(a, b, rtol=1e-12, atol=0)
    return bool(np.all(equal | close))


# The documented differences (docs/reliability.md, "Special values"): (op, what, reason).
# Each is a predicate on (x, incoming gradient g); what is "value" or "grad".
EXCEPTIONS: dict[tuple[str, str], tuple[Callable[[float, float], bool], str]] = {
    ("abs", "grad"): (lambda x, g: math.isnan(x), "sign(NaN) is NaN here, 0 in PyTorch"),
    ("max", "grad"): (lambda x, g: math.isnan(x), "the gradient goes to the NaN element"),
    ("min", "grad"): (lambda x, g: math.isnan(x), "the gradient goes to the NaN element"),
    ("log1p", "value"): (lambda x, g: 0 < abs(x) < 1e-307, "log1p of a subnormal x is x"),
    ("gelu_tanh", "grad"): (lambda x, g: abs(x) >= 1e308, "the limits 1 and 0, not NaN"),
    ("pow0.5", "grad"): (
        lambda x, g: x == -INF or (x == 0 and math.copysign(1, x) < 0),
        "0.5·x^(−0.5) at −∞ and −0, where PyTorch takes the square root's derivative",
    ),
    ("cumprod", "grad"): (
        lambda x, g: (
            not math.isfinite(x)
            or 0 < abs(x) < 1e-307
            or (x == 0 and not _finite(g))
            or abs(g) >= 1e308
        ),
        "the sums of products of the other factors, where PyTorch divides, skips ∞·0 or "
        "multiplies by g first (and overflows)",
    ),
    ("softplus", "grad"): (
        lambda x, g: abs(g) >= 1e308,
        "g·σ(βx): PyTorch's g·e^(βx)/(1 + e^(βx)) overflows before its division",
    ),
    ("prod", "grad"): (
        lambda x, g: 0 < abs(x) < 1e-307,
        "the products of the other factors where the product underflowed, PyTorch 0",
    ),
    ("pow-1", "grad"): (
        lambda x, g: abs(x) >= 1e308,
        "−x^(−2) underflows: PyTorch rounds it to −0 first (∞·0 = NaN); here the product "
        "with g is rounded once",
    ),
    ("pow3", "grad"): (
        lambda x, g: 0 < abs(x) < 1e-307 and not _finite(g),
        "3x² underflows to 0 in PyTorch first (∞·0 = NaN); here the product with g is rounded once",
    ),
}


def _finite(v: float) -> bool:
    return math.isfinite(v)


def test_special_values_against_pytorch() -> None:
    torch = pytest.importorskip("torch")
    found: set[tuple[str, str]] = set()
    unexplained = []
    for name, (ours, theirs) in _ops(torch).items():
        for x, g in itertools.product(SPECIAL, [1.0, *NONFINITE_GRADS, 1e308]):
            a = np.array([x, 0.3]) if name in REDUCING else np.array(x)
            t = Tensor(a.copy(), requires_grad=True)
            with np.errstate(all="ignore"):
                out = ours(t)
                out.backward(np.full(out.shape, g))
            tt = torch.tensor(a, requires_grad=True)
            tout = theirs(tt)
            tout.backward(torch.full(tuple(tout.shape), g, dtype=torch.float64))
            assert t.grad is not None and tt.grad is not None
            pairs = (("value", out.data, tout.detach().numpy()), ("grad", t.grad.data, tt.grad))
            for what, mine, other in pairs:
                if _same(mine, np.asarray(other)):
                    continue
                rule = EXCEPTIONS.get((name, what))
                if rule is not None and rule[0](x, g):
                    found.add((name, what))
                    continue
                unexplained.append(f"{name} {what} at x={x!r}, g={g!r}: {mine} vs {other}")
    assert not unexplained, "\n".join(unexplained[:20])
    assert found == set(EXCEPTIONS), f"exceptions that no longer occur: {set(EXCEPTIONS) - found}"


BINARY_VALUES = [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -2.0, 1e308]
BINARY_EXCEPTIONS: dict[tuple[str, str], tuple[Callable[[float, float, float], bool], str]] = {
    ("div", "grad y"): (
        lambda x, y, g: abs(y) >= 1e308,
        "−g·x/y² underflows in PyTorch's order; here it is exact (tests/test_extremes.py)",
    ),
    ("pow", "value"): (lambda x, y, g: x == -INF and y == 0.5, "NumPy's power: NaN"),
}


def test_special_value_pairs_against_pytorch() -> None:
    torch = pytest.importorskip("torch")
    ops: dict[str, Callable[[Any, Any], Any]] = {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
        "pow": lambda a, b: a**b,
        "maximum": lambda a, b: a.maximum(b) if isinstance(a, Tensor) else torch.maximum(a, b),
        "minimum": lambda a, b: a.minimum(b) if isinstance(a, Tensor) else torch.minimum(a, b),
    }
    found: set[tuple[str, str]] = set()
    unexplained = []
    for (name, op), x, y, g in itertools.product(
        ops.items(), BINARY_VALUES, BINARY_VALUES, [1.0, *NONFINITE_GRADS, 1e308]
    ):
        a, b = (Tensor(np.array(v), requires_grad=True) for v in (x, y))
        with np.errstate(all="ignore"):
            out = op(a, b)
            out.backward(np.array(g))
        ta, tb = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (x, y))
        tout = op(ta, tb)
        tout.backward(torch.tensor(g, dtype=torch.float64))
        assert a.grad is not None and b.grad is not None
        assert ta.grad is not None and tb.grad is not None
        for what, mine, other in (
            ("value", out.data, tout.item()),
            ("grad x", a.grad.data, ta.grad.item()),
            ("grad y", b.grad.data, tb.grad.item()),
        ):
            if _same(mine, other):
                continue
            rule = BINARY_EXCEPTIONS.get((name, what))
            if rule is not None and rule[0](x, y, g):
                found.add((name, what))
                continue
            unexplained.append(f"{name} {what} at {x!r}, {y!r}, g={g!r}: {mine} vs {other}")
    assert not unexplained, "\n".join(unexplained[:20])
    assert found == set(BINARY_EXCEPTIONS), f"no longer occur: {set(BINARY_EXCEPTIONS) - found}"


def test_a_compiled_step_selects_as_eager_does_when_the_gradient_turns_infinite() -> None:
    x = Tensor([-1.0, 2.0, NAN, -3.0], requires_grad=True)

    def step(w: Tensor) -> Tensor:
        x.grad = None
        ((x.relu() + x.clamp(-2.0, 1.0)) * w).sum().backward()
        assert x.grad is not None
        return x.grad

    compiled = tg.compile(step)
    for w in ([1.0, 2.0, 3.0, 4.0], [INF, -INF, NAN, INF], [1.0, 2.0, 3.0, 4.0]):
        with np.errstate(all="ignore"):
            replayed = compiled(Tensor(w)).data.copy()
            eager = step(Tensor(w)).data.copy()
        np.testing.assert_array_equal(replayed, eager)
        assert not np.isnan(replayed[[0, 3]]).any()  # relu and clamp at x ≤ −2: 0, not ∞·0
    assert compiled.traces == 1


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("keep", [False, True])
def test_the_large_array_select_gives_np_wheres_values_bit_for_bit(
    dtype: Any, transposed: bool, keep: bool
) -> None:
    from tinygrad_lite.ops.base import _SMALL, _selected

    rng = np.random.default_rng(7)
    shape = (150, 2 * _SMALL // 150)
    grad = rng.standard_normal(shape).astype(dtype)
    grad.flat[::7], grad.flat[::11], grad.flat[::13] = INF, NAN, -0.0
    mask = rng.random(shape) < 0.5
    if transposed:
        grad, mask = grad.T, mask.T
    assert grad.size > _SMALL  # the branch-free path
    ours = _selected(grad, mask, keep)
    reference = np.where(mask, grad, 0.0) if keep else np.where(mask, 0.0, grad)
    assert ours.dtype == reference.dtype == dtype
    same_bits = np.ascontiguousarray(ours).view(np.uint8) == np.ascontiguousarray(reference).view(
        np.uint8
    )
    assert same_bits.all()
