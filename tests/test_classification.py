"""Softmax cross-entropy: the hand-derived gradient (softmax - onehot)/m, stability, nll_loss."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_lite import Tensor
from tinygrad_lite import functional as F

REDUCTIONS = ["mean", "sum", "none"]


def softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def onehot(labels: np.ndarray, classes: int, axis: int) -> np.ndarray:
    return np.moveaxis(np.eye(classes)[labels], -1, axis)


@st.composite
def classification(draw: Any) -> dict[str, Any]:
    """Logits in the PyTorch layout (m, C) with dim=1, or the course's (C, m) with dim=0."""
    m, c = draw(st.integers(1, 6)), draw(st.integers(2, 6))
    dim = draw(st.sampled_from([0, 1]))
    shape = (m, c) if dim == 1 else (c, m)
    logits = draw(hnp.arrays(np.float64, shape, elements=st.floats(-30, 30)))
    if draw(st.booleans()):
        labels = draw(hnp.arrays(np.int64, (m,), elements=st.integers(0, c - 1)))
        target, dense = labels, onehot(labels, c, dim)
    else:
        weights = draw(hnp.arrays(np.float64, shape, elements=st.floats(0.01, 1)))
        dense = weights / weights.sum(axis=dim, keepdims=True)  # each sample's distribution
        target = dense
    return {"logits": logits, "target": target, "dense": dense, "dim": dim, "m": m}


@given(classification(), st.sampled_from(REDUCTIONS), st.data())
def test_the_gradient_is_softmax_minus_onehot_over_m(
    case: dict[str, Any], reduction: str, data: st.DataObject
) -> None:
    x = Tensor(case["logits"], requires_grad=True)
    loss = F.cross_entropy(x, Tensor(case["target"]), reduction=reduction, dim=case["dim"])
    dim, m = case["dim"], case["m"]
    # the hand derivation: dJ/dZ = (A - Y) / m for the mean, A = softmax(Z), Y the targets
    diff = softmax(case["logits"], dim) - case["dense"]
    if reduction == "none":
        upstream = data.draw(hnp.arrays(np.float64, (m,), elements=st.floats(-2, 2)))
        loss.backward(upstream)
        expected = diff * np.expand_dims(upstream, dim)
    else:
        loss.backward()
        expected = diff / m if reduction == "mean" else diff
    assert x.grad is not None
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-12, atol=1e-15)
    # and the loss is -Σ y·ln softmax(z), reduced
    terms = -(case["dense"] * np.log(softmax(case["logits"], dim))).sum(axis=dim)
    value = terms if reduction == "none" else terms.sum() / (m if reduction == "mean" else 1)
    np.testing.assert_allclose(loss.data, value, rtol=1e-12, atol=1e-12)


@given(classification(), st.sampled_from(REDUCTIONS))
def test_nll_of_log_softmax_is_cross_entropy(case: dict[str, Any], reduction: str) -> None:
    labels = case["target"]
    if labels.dtype.kind != "i":
        labels = case["dense"].argmax(axis=case["dim"])
    dim = case["dim"]
    a = Tensor(case["logits"], requires_grad=True)
    b = Tensor(case["logits"], requires_grad=True)
    fused = F.cross_entropy(a, labels, reduction=reduction, dim=dim)
    composed = F.nll_loss(F.log_softmax(b, dim=dim), labels, reduction=reduction, dim=dim)
    np.testing.assert_allclose(fused.data, composed.data, rtol=1e-12, atol=1e-13)
    fused.sum().backward()
    composed.sum().backward()
    assert a.grad is not None and b.grad is not None
    np.testing.assert_allclose(a.grad.data, b.grad.data, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dim", [1, 0])
def test_logits_of_1e4_give_finite_losses_and_gradients(dim: int) -> None:
    rows = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]])
    logits = rows if dim == 1 else rows.T.copy()
    labels = np.array([1, 0])
    x = Tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, labels, dim=dim)
    # row 0: ln Σe = 1e4, the true class has -1e4; row 1: ln Σe = 1e4 + ln 2, true class -1e4
    np.testing.assert_allclose(loss.item(), (2e4 + 2e4 + np.log(2)) / 2, rtol=1e-15)
    loss.backward()
    assert x.grad is not None
    expected = np.array([[1.0, -1.0, 0.0], [-1.0, 0.5, 0.5]]) / 2
    np.testing.assert_allclose(x.grad.data, expected if dim == 1 else expected.T, atol=1e-300)
    for reduction in REDUCTIONS:
        x = Tensor(logits, requires_grad=True)
        probs = np.array([[0.25, 0.25, 0.5], [0.5, 0.5, 0.0]])
        out = F.cross_entropy(x, probs if dim == 1 else probs.T.copy(), reduction, dim=dim)
        out.sum().backward()
        assert np.all(np.isfinite(out.data)) and x.grad is not None
        assert np.all(np.isfinite(x.grad.data))
        nll = F.nll_loss(F.log_softmax(Tensor(logits), dim=dim), labels, reduction, dim=dim)
        np.testing.assert_allclose(
            nll.data, F.cross_entropy(Tensor(logits), labels, reduction, dim=dim).data
        )


def test_softmax_and_log_softmax_are_finite_at_1e4() -> None:
    x = Tensor([[1e4, -1e4, 0.0]], requires_grad=True)
    np.testing.assert_array_equal(F.softmax(x, dim=1).data, [[1.0, 0.0, 0.0]])
    np.testing.assert_array_equal(F.log_softmax(x, dim=1).data, [[0.0, -2e4, -1e4]])
    (F.log_softmax(x, dim=1) * Tensor([[0.0, 1.0, 0.0]])).sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, [[-1.0, 1.0, 0.0]])


def test_classification_errors_name_the_problem() -> None:
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    with pytest.raises(IndexError, match="target class 3 is out of range for 3 classes"):
        F.cross_entropy(x, np.array([0, 3]))
    with pytest.raises(ValueError, match=r"class-index targets of shape \(3,\) do not match"):
        F.cross_entropy(x, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="probabilities of the input's shape"):
        F.cross_entropy(x, np.ones((3, 2)) / 2)
    with pytest.raises(TypeError, match="nll_loss: targets must be class indices"):
        F.nll_loss(x, np.ones((2, 3)) / 3)
    with pytest.raises(ValueError, match="input must have a class dimension"):
        F.cross_entropy(Tensor(1.0), np.array(0))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_a_1d_input_is_one_unbatched_sample_as_in_pytorch(reduction: str) -> None:
    z = np.array([1.0, 2.0, 0.5])
    p = np.exp(z) / np.exp(z).sum()
    x = Tensor(z, requires_grad=True)
    loss = F.cross_entropy(x, Tensor(np.array(1)), reduction=reduction)
    assert loss.shape == () and loss.item() == pytest.approx(-math.log(p[1]), rel=1e-15)
    loss.backward()
    np.testing.assert_allclose(x.grad.data, p - np.eye(3)[1], rtol=1e-14)  # softmax − onehot
    nll = F.nll_loss(Tensor(np.log(p)), Tensor(np.array(2)), reduction=reduction)
    assert nll.item() == pytest.approx(-math.log(p[2]), rel=1e-15)
    soft = F.cross_entropy(Tensor(z), Tensor([0.2, 0.5, 0.3]), reduction=reduction)
    assert soft.item() == pytest.approx(-(np.array([0.2, 0.5, 0.3]) * np.log(p)).sum(), rel=1e-14)
