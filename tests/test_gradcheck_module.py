"""gradcheck on a Module's parameters, and the course's one-number relative difference."""

from __future__ import annotations

import re

import numpy as np
import pytest

from models.course_runs import GRADCHECK_NAMES, course_cost, gradcheck_network
from models.deep import DeepNet
from models.manual_deep import L_model_backward, L_model_forward
from models.manual_optim import gradient_check_n
from tinygrad_lite import Tensor, nn, ops
from tinygrad_lite.autograd import Context
from tinygrad_lite.gradcheck import (
    GradcheckError,
    gradcheck_module,
    gradient_difference,
    relative_difference,
)

PUBLISHED = 1.1890913024229996e-07  # the course's gradient_check_n on its case
PUBLISHED_BUGGY = 0.2850931567761624


def _course_parameters(net: DeepNet) -> dict[str, np.ndarray]:
    return {name: getattr(net, name).data.copy() for name in GRADCHECK_NAMES}


def _labels(y: np.ndarray) -> np.ndarray:
    return y.reshape(1, -1).astype(np.float64)


def test_relative_difference_is_the_courses_formula() -> None:
    g = [np.array([[3.0, 0.0]]), np.array([4.0])]
    h = np.array([3.0, 0.0, 4.0 + 1e-3])
    expected = 1e-3 / (5.0 + np.sqrt(9.0 + (4.0 + 1e-3) ** 2))
    assert relative_difference(g, h) == pytest.approx(expected, rel=1e-14)
    assert relative_difference(g, -np.array([[3.0], [0.0], [4.0]])) == 1.0  # opposite: 1
    assert relative_difference(np.zeros(3), [np.zeros(2), np.zeros(1)]) == 0.0
    assert relative_difference(Tensor([1.0, 2.0]), Tensor([1.0, 2.0])) == 0.0
    with pytest.raises(ValueError, match="3 analytic values but 2 numeric"):
        relative_difference(np.zeros(3), np.zeros(2))


def test_the_number_equals_the_courses_gradient_check_n() -> None:
    net, x, y = gradcheck_network()
    params = _course_parameters(net)
    AL, caches = L_model_forward(x, params)
    hand = L_model_backward(AL, y, caches)
    reference = gradient_check_n(params, hand, x, y)
    assert reference == PUBLISHED
    # The hand-derived gradients checked by the library: the same number, bit for bit.
    given = {name: hand["d" + name] for name in GRADCHECK_NAMES}
    assert gradient_difference(net, course_cost, x, y, gradients=given) == reference
    # Autograd's gradients (the fused loss: dZ3 = A3 − Y) against the library's differences.
    net.zero_grad()
    net.cost(x, _labels(y)).backward()
    autograd = {n: p.grad.data.copy() for n, p in net.named_parameters()}
    ours = gradient_difference(net, course_cost, x, y, gradients=autograd)
    assert abs(ours - PUBLISHED) <= 1e-15
    # The course's planted bugs (dW2 × 2, db1 × 4) fail its check.
    buggy = dict(autograd, W2=autograd["W2"] * 2, b1=autograd["b1"] * 4)
    bad = gradient_difference(net, course_cost, x, y, gradients=buggy)
    assert bad > 2e-7 and abs(bad - PUBLISHED_BUGGY) <= 1e-15
    # The check left the module as it was: its weights, and no gradient written by it.
    for name, value in params.items():
        np.testing.assert_array_equal(getattr(net, name).data, value)
        np.testing.assert_array_equal(getattr(net, name).grad.data, autograd[name])


def test_autograd_through_the_literal_cost_rounds_differently() -> None:
    # Differentiating −log(1/(1 + e^(−z))) as written is not the simplified A3 − Y in the last
    # bits: the number moves by a few 1e-15, far below what separates a right backward (1e-7)
    # from a wrong one (1e-1), but above the published number's 1e-15.
    net, x, y = gradcheck_network()
    literal = gradient_difference(net, course_cost, x, y)
    assert 1e-15 < abs(literal - PUBLISHED) < 1e-13


def test_gradcheck_module_passes_correct_gradients() -> None:
    net, x, y = gradcheck_network()
    assert gradcheck_module(net, course_cost, x, y)
    tanh = DeepNet([3, 4, 2, 1], hidden="tanh", init="he", seed=0)
    X = np.random.default_rng(0).standard_normal((3, 5))
    Y = np.array([[0.0, 1.0, 1.0, 0.0, 1.0]])
    assert gradcheck_module(tanh, lambda m, X, Y: m.cost(X, Y), X, Y)
    assert gradient_difference(tanh, lambda m, X, Y: m.cost(X, Y), X, Y) < 1e-7
    softmax = DeepNet([3, 4, 3], init="he", seed=1)
    labels = np.array([0, 2, 1, 1, 0])
    assert gradcheck_module(softmax, lambda m, X, t: m.cost(X, t), X, labels)


def test_a_planted_bug_is_caught_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    def bad_backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = ctx.saved
        return grad @ y.T * 1.01, x.T @ grad  # 1% off in the first input: every W_l

    net, x, y = gradcheck_network()
    assert gradient_difference(net, course_cost, x, y) < 2e-7
    monkeypatch.setattr(ops.MatMul, "backward", staticmethod(bad_backward))
    with pytest.raises(GradcheckError) as info:
        gradcheck_module(net, course_cost, x, y, rtol=1e-4)
    message = str(info.value)
    assert message.startswith("gradcheck_module: gradient of parameter 'W1' (shape (5, 4))")
    assert re.search(r"analytic .*, numeric .*", message)
    difference = gradient_difference(net, course_cost, x, y)
    assert 2e-7 < difference < 1e-2  # 1% wrong in W: a difference of about 0.5%


def test_frozen_parameters_are_not_checked() -> None:
    net, x, y = gradcheck_network()
    net.W1.requires_grad = False
    net.W1.data[...] = 0.0  # a dead first layer: nothing flows, nothing is checked
    assert gradcheck_module(net, course_cost, x, y)


def test_bad_use_is_refused_with_the_reason() -> None:
    net, x, y = gradcheck_network()
    with pytest.raises(ValueError, match="does not depend on the module's parameters"):
        gradient_difference(net, lambda m, X, Y: Tensor(m.W1.data).sum(), x, y)
    with pytest.raises(TypeError, match="one-element Tensor, got shape \\(1, 3\\)"):
        gradcheck_module(net, lambda m, X, Y: m(X), x, y)
    with pytest.raises(TypeError, match="one-element Tensor, got float"):
        gradcheck_module(net, lambda m, X, Y: 1.0, x, y)
    with pytest.raises(TypeError, match="module must be a Module"):
        gradcheck_module(lambda X: X, course_cost, x, y)
    with pytest.raises(KeyError, match=r"missing \['b3'\], unknown \['dW1'\]"):
        grads = {n: np.zeros(p.shape) for n, p in net.named_parameters() if n != "b3"}
        gradient_difference(net, course_cost, x, y, gradients=grads | {"dW1": 0})
    with pytest.raises(ValueError, match="the gradient of 'b3' has shape \\(1,\\)"):
        grads = {n: np.zeros(p.shape) for n, p in net.named_parameters()}
        gradient_difference(net, course_cost, x, y, gradients=grads | {"b3": np.zeros(1)})
    with pytest.raises(ValueError, match="nonfinite must be 'fail' or 'skip'"):
        gradcheck_module(net, course_cost, x, y, nonfinite="ignore")
    single = nn.Linear(2, 1, seed=0, dtype=np.float32)
    with pytest.raises(TypeError, match="parameter 'weight' is float32"):
        gradcheck_module(single, lambda m, X: m(X).sum(), np.ones((1, 2), np.float32))
    frozen = nn.Linear(2, 1, seed=0)
    for p in frozen.parameters():
        p.requires_grad = False
    with pytest.raises(ValueError, match="no parameter that requires grad"):
        gradcheck_module(frozen, lambda m, X: m(X).sum(), np.ones((1, 2)))


def test_parameters_are_restored_bit_for_bit_even_when_the_loss_fails() -> None:
    net, x, y = gradcheck_network()
    before = {n: p.data.copy() for n, p in net.named_parameters()}
    calls = {"n": 0}

    def flaky(m: DeepNet, X: np.ndarray, Y: np.ndarray) -> Tensor:
        calls["n"] += 1
        if calls["n"] == 30:  # in the middle of the central differences of W2
            raise RuntimeError("interrupted")
        return course_cost(m, X, Y)

    with pytest.raises(RuntimeError, match="interrupted"):
        gradcheck_module(net, flaky, x, y)
    for name, p in net.named_parameters():
        np.testing.assert_array_equal(p.data, before[name])
        assert p.grad is None  # engine.grad: no .grad written


def test_parameters_of_any_memory_layout_are_moved() -> None:
    layer = nn.Linear(3, 2, seed=0)
    layer.weight.data = np.asfortranarray(layer.weight.data)  # not C-contiguous
    X = np.random.default_rng(1).standard_normal((4, 3))
    assert not layer.weight.data.flags.c_contiguous
    assert gradcheck_module(layer, lambda m, X: (m(X) ** 2).sum(), X)
    assert gradient_difference(layer, lambda m, X: (m(X) ** 2).sum(), X) < 1e-8
