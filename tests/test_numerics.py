"""Numerics at the edges: activations and losses for inputs in [-1e4, 1e4] vs exact references.

The references are computed with Python's `decimal` at 80 significant digits (with series for
log1p/expm1 of tiny arguments, where even 80 digits would cancel), then rounded once to float64.
Values must agree to a few units in the last place (ulp); where a formula subtracts nearly equal
numbers by design (1 - y for a saturated sigmoid, z - z·y in the logit loss), the bound is the
honest one for that formula: a few machine epsilons times the size of the terms.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal, localcontext

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_lite import Tensor
from tinygrad_lite import functional as F
from tinygrad_lite.ops import LOG_CLAMP

EPS = float(np.finfo(np.float64).eps)
SMALL = Decimal("1e-40")
PREC = 80

wide = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)
wide_arrays = hnp.arrays(
    np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=5), elements=wide
)


# ------------------------------------------------------------------------------ references


def _log1p(u: Decimal) -> Decimal:
    return u - u * u / 2 if abs(u) < SMALL else (1 + u).ln()


def _expm1(d: Decimal) -> Decimal:
    return d + d * d / 2 if abs(d) < SMALL else d.exp() - 1


def _softplus(t: Decimal) -> Decimal:
    """ln(1 + e^t)."""
    return t + _log1p((-t).exp()) if t > 0 else _log1p(t.exp())


def ref_sigmoid(x: float) -> Decimal:
    with localcontext() as c:
        c.prec = PREC
        return 1 / (1 + (-Decimal(x)).exp())


def ref_tanh(x: float) -> Decimal:
    with localcontext() as c:
        c.prec = PREC
        d = Decimal(x)
        e = _expm1(-2 * abs(d))
        r = -e / (2 + e)
        return r if d >= 0 else -r


def ref_tanh_grad(x: float) -> Decimal:
    """1 - tanh² = 4e^(-2|x|) / (1 + e^(-2|x|))²."""
    with localcontext() as c:
        c.prec = PREC
        e = (-2 * abs(Decimal(x))).exp()
        return 4 * e / (1 + e) ** 2


def ref_log_sigmoid(x: float) -> Decimal:
    with localcontext() as c:
        c.prec = PREC
        return -_softplus(-Decimal(x))


def ref_bce_logits(z: np.ndarray, y: np.ndarray) -> Decimal:
    """mean of y·softplus(-z) + (1-y)·softplus(z)."""
    with localcontext() as c:
        c.prec = PREC
        total = Decimal(0)
        for zi, yi in zip(z.flat, y.flat, strict=True):
            dz, dy = Decimal(float(zi)), Decimal(float(yi))
            total += dy * _softplus(-dz) + (1 - dy) * _softplus(dz)
        return total / z.size


def ref_bce(p: np.ndarray, y: np.ndarray) -> Decimal:
    """-mean of y·max(ln p, -100) + (1-y)·max(ln(1-p), -100), exactly as documented."""
    clamp = Decimal(int(LOG_CLAMP))
    with localcontext() as c:
        c.prec = PREC
        total = Decimal(0)
        for pi, yi in zip(p.flat, y.flat, strict=True):
            dp, dy = Decimal(float(pi)), Decimal(float(yi))
            logp = max(dp.ln(), clamp) if dp > 0 else clamp
            log1mp = max(_log1p(-dp), clamp) if dp < 1 else clamp
            total += dy * logp + (1 - dy) * log1mp
        return -total / p.size


def ref_logsumexp(row: np.ndarray) -> Decimal:
    """m + ln(1 + Σ e^(x - m)) over all but one maximal element (exact even when x ≈ 0)."""
    with localcontext() as c:
        c.prec = PREC
        values = sorted(Decimal(float(v)) for v in row)
        m = values.pop()
        return m + _log1p(sum(((v - m).exp() for v in values), Decimal(0)))


def elementwise(f: Callable[[float], Decimal], x: np.ndarray) -> np.ndarray:
    return np.array([float(f(float(v))) for v in x.flat]).reshape(x.shape)


def assert_ulps(actual: np.ndarray, expected: np.ndarray, ulps: float = 4, abs_tol: float = 0.0):
    """|actual - expected| <= ulps·spacing(expected) + abs_tol, elementwise, all finite."""
    assert np.all(np.isfinite(actual)), actual
    bound = ulps * np.spacing(np.abs(expected)) + abs_tol
    err = np.abs(actual - expected)
    bad = err > bound
    assert not bad.any(), (
        f"{int(bad.sum())} element(s) off, worst: actual {actual[bad][0]!r} vs exact "
        f"{expected[bad][0]!r} (error {err[bad][0]:.3g}, bound {bound[bad][0]:.3g})"
    )


# ------------------------------------------------------------------------------ activations


@given(wide_arrays)
def test_sigmoid_value_and_gradient(x: np.ndarray) -> None:
    t = Tensor(x.copy(), requires_grad=True)
    y = t.sigmoid()
    assert_ulps(y.data, elementwise(ref_sigmoid, x))
    y.sum().backward()
    assert t.grad is not None
    exact = np.array(
        [float(ref_sigmoid(v) * ref_sigmoid(-v)) for v in x.flat], dtype=np.float64
    ).reshape(x.shape)
    # y·(1 - y) loses everything below eps when y rounds to 1: an absolute eps bound.
    assert_ulps(t.grad.data, exact, ulps=8, abs_tol=EPS)


@given(wide_arrays)
def test_tanh_value_and_gradient(x: np.ndarray) -> None:
    t = Tensor(x.copy(), requires_grad=True)
    y = t.tanh()
    assert_ulps(y.data, elementwise(ref_tanh, x))
    y.sum().backward()
    assert t.grad is not None
    assert_ulps(t.grad.data, elementwise(ref_tanh_grad, x), ulps=8, abs_tol=2 * EPS)


@given(wide_arrays)
def test_log_sigmoid_value_and_gradient_to_a_few_ulps(x: np.ndarray) -> None:
    t = Tensor(x.copy(), requires_grad=True)
    y = t.log_sigmoid()
    assert_ulps(y.data, elementwise(ref_log_sigmoid, x))
    y.sum().backward()
    assert t.grad is not None
    # d/dx ln σ(x) = σ(-x), computed without cancellation: relative accuracy everywhere.
    assert_ulps(t.grad.data, elementwise(lambda v: ref_sigmoid(-v), x), ulps=8)


@pytest.mark.parametrize(
    ("x", "value", "grad"),
    [
        (1e4, 1.0, 0.0),
        (-1e4, 0.0, 0.0),
        (800.0, 1.0, 0.0),
        (-800.0, 0.0, 0.0),
        (0.0, 0.5, 0.25),
    ],
)
def test_sigmoid_saturates_exactly(x: float, value: float, grad: float) -> None:
    t = Tensor([x], requires_grad=True)
    y = t.sigmoid()
    assert y.data[0] == value
    y.sum().backward()
    assert t.grad is not None and t.grad.data[0] == grad


def test_log_sigmoid_far_tails() -> None:
    t = Tensor([-1e4, 1e4, -745.0, 40.0], requires_grad=True)
    y = t.log_sigmoid()
    assert y.data[0] == -1e4  # ln σ(x) -> x, not -inf
    assert y.data[1] == 0.0
    assert y.data[2] == -745.0
    assert y.data[3] == pytest.approx(-np.exp(-40.0), rel=1e-15)  # not rounded to 0
    y.sum().backward()
    assert t.grad is not None
    np.testing.assert_array_equal(t.grad.data[:3], [1.0, 0.0, 1.0])


@given(
    hnp.arrays(
        np.float32,
        hnp.array_shapes(max_dims=2, max_side=5),
        elements=st.floats(-1e4, 1e4, width=32),
    )
)
def test_float32_activations_stay_float32_finite_and_accurate(x: np.ndarray) -> None:
    t = Tensor(x, requires_grad=True)
    x64 = x.astype(np.float64)
    for name, ref in [
        ("sigmoid", ref_sigmoid),
        ("tanh", ref_tanh),
        ("log_sigmoid", ref_log_sigmoid),
    ]:
        y = getattr(t, name)()
        assert y.dtype == np.float32
        exact = elementwise(ref, x64).astype(np.float32)
        bound = 4 * np.spacing(np.abs(exact)) + np.float32(0)
        assert np.all(np.isfinite(y.data))
        assert np.all(np.abs(y.data - exact) <= bound), (name, x, y.data, exact)
        y.sum().backward()
        assert t.grad is not None and t.grad.dtype == np.float32
        assert np.all(np.isfinite(t.grad.data))
        t.grad = None


# ------------------------------------------------------------------------------ losses


@st.composite
def logits_and_targets(draw: st.DrawFn, exact_labels: bool) -> tuple[np.ndarray, np.ndarray]:
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=2, max_side=6))
    z = draw(hnp.arrays(np.float64, shape, elements=wide))
    labels = st.sampled_from([0.0, 1.0]) if exact_labels else st.floats(0.0, 1.0)
    y = draw(hnp.arrays(np.float64, shape, elements=labels))
    return z, y


@given(logits_and_targets(exact_labels=True))
def test_bce_with_logits_exact_labels(zy: tuple[np.ndarray, np.ndarray]) -> None:
    z, y = zy
    t = Tensor(z.copy(), requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(t, Tensor(y))
    exact = float(ref_bce_logits(z, y))
    # With 0/1 labels max(z,0) - z·y is exact, so the loss is accurate relative to its size.
    assert np.isfinite(loss.item())
    assert abs(loss.item() - exact) <= 8 * np.spacing(abs(exact)) + 1e-300
    loss.backward()
    assert t.grad is not None
    n = z.size
    exact_grad = np.array(
        [
            float((ref_sigmoid(float(zi)) - Decimal(float(yi))) / n)
            for zi, yi in zip(z.flat, y.flat, strict=True)
        ]
    ).reshape(z.shape)
    assert_ulps(t.grad.data, exact_grad, ulps=8, abs_tol=EPS / n)


@given(logits_and_targets(exact_labels=False))
def test_bce_with_logits_soft_labels(zy: tuple[np.ndarray, np.ndarray]) -> None:
    z, y = zy
    loss = F.binary_cross_entropy_with_logits(Tensor(z), Tensor(y))
    exact = float(ref_bce_logits(z, y))
    # z - z·y cancels when y is near 1: a few eps times the size of the terms.
    scale = float(np.mean(np.abs(z) + 1.0))
    assert np.isfinite(loss.item())
    assert abs(loss.item() - exact) <= 8 * EPS * scale


@st.composite
def probs_and_targets(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=2, max_side=6))
    # Include exact 0 and 1, subnormals and 1 - 2^-53: the clamp must handle all of them.
    edges = st.sampled_from([0.0, 1.0, 5e-324, 1e-45, 1e-300, 1.0 - 2.0**-53, 0.5])
    p = draw(hnp.arrays(np.float64, shape, elements=st.one_of(st.floats(0.0, 1.0), edges)))
    y = draw(hnp.arrays(np.float64, shape, elements=st.floats(0.0, 1.0)))
    return p, y


# PyTorch's floor on p(1 - p) in BCELoss's gradient: 1e-12 stored as a float32.
BCE_FLOOR = float(np.float32(1e-12))


@given(probs_and_targets())
def test_plain_bce_matches_the_documented_clamped_formula(
    py: tuple[np.ndarray, np.ndarray],
) -> None:
    p, y = py
    t = Tensor(p.copy(), requires_grad=True)
    loss = F.binary_cross_entropy(t, Tensor(y))
    exact = float(ref_bce(p, y))
    # Every term is >= 0: no cancellation, so a relative bound holds.
    assert np.isfinite(loss.item())
    assert abs(loss.item() - exact) <= 1e-13 * exact + 1e-300
    loss.backward()
    assert t.grad is not None
    g = t.grad.data
    assert np.all(np.isfinite(g))
    n = p.size
    with localcontext() as c:
        c.prec = PREC
        for k, (pi, yi) in enumerate(zip(p.flat, y.flat, strict=True)):
            dp, dy = Decimal(float(pi)), Decimal(float(yi))
            denom = dp * (1 - dp)
            if denom >= Decimal(BCE_FLOOR):  # the exact derivative (p - y) / (p(1 - p)·n)
                want = (dp - dy) / (denom * n)
                tol = Decimal(1e-14) * (abs(want) + (dp + dy) / (denom * n))
                assert abs(Decimal(float(g.flat[k])) - want) <= tol, (pi, yi, g.flat[k], want)
            else:  # saturated: finite, bounded by the floor, and pointing towards y
                assert abs(g.flat[k]) <= 1 / BCE_FLOOR / n * (1 + 1e-12)
                assert g.flat[k] * float(dp - dy) >= 0


def test_plain_bce_exact_saturation_gives_the_clamped_value() -> None:
    # Completely wrong, certain predictions: each log is clamped to -100, like PyTorch.
    p = Tensor([[0.0, 1.0]], requires_grad=True)
    loss = F.binary_cross_entropy(p, Tensor([[1.0, 0.0]]))
    assert loss.item() == 100.0
    loss.backward()
    assert p.grad is not None
    np.testing.assert_array_equal(p.grad.data, [[0.5 * -1.0 / BCE_FLOOR, 0.5 * 1.0 / BCE_FLOOR]])

    # Certain and right: zero loss and zero gradient, not 0·log 0 = NaN.
    q = Tensor([[0.0, 1.0]], requires_grad=True)
    loss = F.binary_cross_entropy(q, Tensor([[0.0, 1.0]]))
    assert loss.item() == 0.0
    loss.backward()
    assert q.grad is not None
    np.testing.assert_array_equal(q.grad.data, [[0.0, 0.0]])


def test_tutorial_network_saturated_output_has_finite_cost_and_gradients() -> None:
    # The tutorial's 2 -> tanh -> sigmoid net with weights so large that A2 is exactly 0 or 1.
    X = Tensor(np.array([[-1.0, 1.0, -1.0, 1.0], [0.5, 0.5, -0.5, -0.5]]))
    Y = Tensor(np.array([[0.0, 1.0, 1.0, 0.0]]))
    W1 = Tensor(np.array([[1000.0, 0.0]]), requires_grad=True)
    b1 = Tensor(np.zeros((1, 1)), requires_grad=True)
    W2 = Tensor(np.array([[1000.0]]), requires_grad=True)
    b2 = Tensor(np.zeros((1, 1)), requires_grad=True)
    A1 = (W1 @ X + b1).tanh()
    A2 = (W2 @ A1 + b2).sigmoid()
    np.testing.assert_array_equal(A2.data, [[0.0, 1.0, 0.0, 1.0]])
    cost = F.binary_cross_entropy(A2, Y)
    assert cost.item() == 50.0  # two of four wrong with certainty: (100 + 100) / 4
    cost.backward()
    for w in (W1, b1, W2, b2):
        assert w.grad is not None and np.all(np.isfinite(w.grad.data))


def test_logits_loss_far_from_zero() -> None:
    z = Tensor([[1e4, -1e4, 1e4, -1e4]], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(z, Tensor([[0.0, 1.0, 1.0, 0.0]]))
    assert loss.item() == 5e3  # (1e4 + 1e4 + 0 + 0) / 4
    loss.backward()
    assert z.grad is not None
    np.testing.assert_array_equal(z.grad.data, [[0.25, -0.25, 0.0, 0.0]])


# ------------------------------------------------------------------------------ log-sum-exp


def logsumexp(x: Tensor, axis: int) -> Tensor:
    """ln Σ e^x along axis, with the max subtracted first so that no exp overflows."""
    m = x.max(axis=axis, keepdims=True).detach()
    return (x - m).exp().sum(axis=axis, keepdims=True).log() + m


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=5), elements=wide))
def test_logsumexp_and_softmax_gradient(x: np.ndarray) -> None:
    t = Tensor(x.copy(), requires_grad=True)
    out = logsumexp(t, axis=1)
    exact = np.array([float(ref_logsumexp(row)) for row in x]).reshape(-1, 1)
    m = np.max(x, axis=1, keepdims=True)
    # ln s for s = Σ e^(x - m) in [1, n] is accurate to about eps absolutely (ln of a number
    # near 1), and adding back the max costs up to an ulp of |m|.
    assert_ulps(out.data, exact, ulps=4, abs_tol=4 * EPS * (1.0 + float(np.max(np.abs(m)))))
    out.sum().backward()
    assert t.grad is not None
    with localcontext() as c:
        c.prec = PREC
        softmax = np.array(
            [[float((Decimal(float(v)) - ref_logsumexp(row)).exp()) for v in row] for row in x]
        )
    # e^(x - m) inherits the rounding of x - m: relative error about eps·|x - m|.
    rel = 4 * EPS * (1.0 + np.abs(x - m))
    assert np.all(np.abs(t.grad.data - softmax) <= rel * softmax + 1e-300)
    np.testing.assert_allclose(t.grad.data.sum(axis=1), 1.0, rtol=1e-13)


def test_naive_logsumexp_overflows_where_the_stable_one_does_not() -> None:
    x = Tensor([[1000.0, 1000.0], [-1000.0, -1000.0]])
    with pytest.raises(FloatingPointError):  # conftest makes overflow an error
        x.exp().sum(axis=1).log()
    out = logsumexp(x, axis=1)
    np.testing.assert_allclose(out.data[:, 0], [1000.0 + np.log(2.0), -1000.0 + np.log(2.0)])


def test_plain_bce_target_gradient_is_minus_the_logit_unclamped() -> None:
    # PyTorch's gradient with respect to a target that requires grad: -logit(p), not clamped.
    p = Tensor([0.0, 1.0, 1e-13, 1e-50, 0.25], requires_grad=True)
    y = Tensor([1.0, 0.0, 1.0, 0.1, 0.3], requires_grad=True)
    F.binary_cross_entropy(p, y, reduction="sum").backward()
    assert y.grad is not None
    g = y.grad.data
    assert g[0] == np.inf and g[1] == -np.inf
    np.testing.assert_allclose(g[2:], [math.log(1e13 - 1), 50 * math.log(10), math.log(3)])
