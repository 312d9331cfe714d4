"""Losses and activation functions: values against the textbook formulas, edge cases, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_lite import Tensor, gradcheck
from tinygrad_lite import functional as F
from tinygrad_lite.testing import floats, shapes, tensors


@st.composite
def probs_and_labels(
    draw: Any, lo: float = 1e-3, hi: float = 1 - 1e-3
) -> tuple[Tensor, np.ndarray]:
    shape = draw(shapes(min_dims=1))
    p = draw(hnp.arrays(np.float64, shape, elements=floats(lo, hi)))
    y = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 1.0])))
    return Tensor(p, requires_grad=True), y


# ---------------------------------------------------------------------- binary cross-entropy


@given(probs_and_labels())
def test_bce_is_the_tutorials_cost(case: Any) -> None:
    p, y = case
    loss = F.binary_cross_entropy(p, y)
    a = p.data
    # The tutorial's J = -(1/m) Σ [Y·log A2 + (1 - Y)·log(1 - A2)], averaged over all elements.
    expected = -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a)) / a.size
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-12)
    loss.backward()
    np.testing.assert_allclose(p.grad.data, (a - y) / (a * (1 - a)) / a.size, rtol=1e-10)  # type: ignore[union-attr]


@given(probs_and_labels(lo=0.05, hi=0.95))
def test_bce_gradcheck_with_soft_targets(case: Any) -> None:
    p, _ = case
    soft = Tensor(np.clip(p.data[::-1] if p.ndim else p.data, 0.1, 0.9), requires_grad=True)
    assert gradcheck(F.binary_cross_entropy, p, soft)


def test_bce_at_probabilities_of_exactly_zero_and_one_is_finite() -> None:
    # As in PyTorch's BCELoss, each log is clamped at -100: a certain, wrong prediction costs
    # 100 (not inf), and a certain, right one costs 0 (not 0·log 0 = nan).
    p = Tensor([0.0, 1.0, 0.0, 1.0], requires_grad=True)
    y = np.array([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy(p, y)
    assert loss.item() == pytest.approx((100 + 100 + 0 + 0) / 4)
    loss.backward()
    assert np.all(np.isfinite(p.grad.data))  # type: ignore[union-attr]
    # The gradient still points the right way: up where y = 1, down where y = 0.
    assert p.grad.data[0] < 0 < p.grad.data[1]  # type: ignore[union-attr]


def test_bce_errors() -> None:
    p = Tensor([[0.2, 0.7]])
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\].*1.5"):
        F.binary_cross_entropy(p, np.array([[0.0, 1.5]]))
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\].*-0.5"):
        F.binary_cross_entropy(p, np.array([[-0.5, 1.0]]))
    with pytest.raises(ValueError, match=r"input shape \(1, 2\) and target shape \(2, 1\) differ"):
        F.binary_cross_entropy(p, np.array([[0.0], [1.0]]))
    with pytest.raises(ValueError, match=r"probabilities must lie in \[0, 1\].*with_logits"):
        F.binary_cross_entropy(Tensor([[1.2, 0.5]]), np.array([[1.0, 0.0]]))
    with pytest.raises(ValueError, match="empty input"):
        F.binary_cross_entropy(Tensor(np.zeros((1, 0))), np.zeros((1, 0)))


# ---------------------------------------------------------------------- with logits


def test_bce_with_logits_is_finite_at_huge_logits() -> None:
    z = Tensor([1000.0, -1000.0, 1000.0, -1000.0], requires_grad=True)
    y = np.array([0.0, 1.0, 1.0, 0.0])
    loss = F.binary_cross_entropy_with_logits(z, y)
    # Wrong and certain costs |z| each; right and certain costs ~e^(-1000) = 0.
    assert loss.item() == pytest.approx((1000 + 1000) / 4)
    loss.backward()
    np.testing.assert_array_equal(z.grad.data, np.array([1.0, -1.0, 0.0, 0.0]) / 4)  # type: ignore[union-attr]


@given(
    hnp.arrays(np.float64, shapes(min_dims=1), elements=floats(-10, 10)).flatmap(
        lambda z: st.tuples(st.just(z), hnp.arrays(np.float64, z.shape, elements=floats(0, 1)))
    )
)
def test_bce_with_logits_agrees_with_bce_of_sigmoid(case: Any) -> None:
    z_arr, y = case
    z1, z2 = Tensor(z_arr, requires_grad=True), Tensor(z_arr, requires_grad=True)
    fused = F.binary_cross_entropy_with_logits(z1, y)
    plain = F.binary_cross_entropy(z2.sigmoid(), y)
    # |z| <= 10 keeps σ(z) and 1 - σ(z) >= 4.5e-5, where the unfused form is still accurate.
    np.testing.assert_allclose(fused.item(), plain.item(), rtol=1e-9, atol=1e-12)
    fused.backward()
    plain.backward()
    np.testing.assert_allclose(z1.grad.data, z2.grad.data, rtol=1e-8, atol=1e-14)  # type: ignore[union-attr]
    sig = 1 / (1 + np.exp(-z_arr))
    np.testing.assert_allclose(z1.grad.data, (sig - y) / z_arr.size, rtol=1e-12, atol=1e-16)  # type: ignore[union-attr]


def test_bce_with_logits_errors() -> None:
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        F.binary_cross_entropy_with_logits(Tensor([0.0]), np.array([2.0]))
    with pytest.raises(ValueError, match=r"input shape \(2,\) and target shape \(3,\) differ"):
        F.binary_cross_entropy_with_logits(Tensor([0.0, 1.0]), np.zeros(3))


# ---------------------------------------------------------------------- mse


@given(
    hnp.arrays(np.float64, shapes(), elements=floats()).flatmap(
        lambda x: st.tuples(st.just(x), hnp.arrays(np.float64, x.shape, elements=floats()))
    )
)
def test_mse_value_and_gradient(case: Any) -> None:
    x_arr, y = case
    x = Tensor(x_arr, requires_grad=True)
    loss = F.mse_loss(x, y)
    np.testing.assert_allclose(loss.item(), np.mean((x_arr - y) ** 2), rtol=1e-12, atol=1e-300)
    loss.backward()
    np.testing.assert_allclose(x.grad.data, 2 * (x_arr - y) / x_arr.size, rtol=1e-12, atol=1e-300)  # type: ignore[union-attr]


def test_mse_accepts_tensors_and_checks_shapes() -> None:
    x, y = Tensor([1.0, 2.0], requires_grad=True), Tensor([0.0, 0.0], requires_grad=True)
    F.mse_loss(x, y).backward()
    np.testing.assert_array_equal(y.grad.data, [-1.0, -2.0])  # type: ignore[union-attr]
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(2,\) and target shape \(1, 2\)"):
        F.mse_loss(x, np.zeros((1, 2)))


# ---------------------------------------------------------------------- activations


@given(tensors(requires_grad=True))
def test_activation_functions_match_numpy(x: Tensor) -> None:
    a = x.data
    np.testing.assert_allclose(F.tanh(x).data, np.tanh(a), rtol=1e-15)
    np.testing.assert_allclose(F.sigmoid(x).data, 1 / (1 + np.exp(-a)), rtol=1e-14)
    np.testing.assert_array_equal(F.relu(x).data, np.maximum(a, 0))
    np.testing.assert_allclose(
        F.log_sigmoid(x).data, -np.log1p(np.exp(-a)), rtol=1e-13, atol=1e-300
    )


def test_log_sigmoid_is_stable_far_out() -> None:
    x = Tensor([-800.0, 800.0], requires_grad=True)
    y = F.log_sigmoid(x)
    np.testing.assert_array_equal(y.data, [-800.0, 0.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 0.0])  # type: ignore[union-attr]
