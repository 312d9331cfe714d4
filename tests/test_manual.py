"""Tests of the hand-derived NumPy reference network in models/manual.py."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.manual import (
    backward_propagation,
    compute_cost,
    forward_propagation,
    initialize_parameters,
    layer_sizes,
    nn_model,
    predict,
    update_parameters,
)
from tinygrad_lite.datasets import load_planar_dataset

Params = dict[str, np.ndarray]
Backward = Callable[[Params, Params, np.ndarray, np.ndarray], Params]


def _problem(n_x: int, n_h: int, m: int, seed: int) -> tuple[Params, np.ndarray, np.ndarray]:
    """Random parameters of order one (so tanh is not linear) and a random binary problem."""
    rng = np.random.default_rng(seed)
    params = {
        "W1": rng.normal(0.0, 0.8, (n_h, n_x)),
        "b1": rng.normal(0.0, 0.5, (n_h, 1)),
        "W2": rng.normal(0.0, 0.8, (1, n_h)),
        "b2": rng.normal(0.0, 0.5, (1, 1)),
    }
    X = rng.normal(0.0, 1.0, (n_x, m))
    Y = rng.integers(0, 2, (1, m)).astype(np.float64)
    return params, X, Y


def _cost(params: Params, X: np.ndarray, Y: np.ndarray) -> float:
    A2, _ = forward_propagation(X, params)
    return compute_cost(A2, Y)


def _numerical_grads(params: Params, X: np.ndarray, Y: np.ndarray, eps: float = 1e-6) -> Params:
    """Central differences (J(θ + ε) − J(θ − ε)) / 2ε, one element at a time, in float64."""
    grads = {}
    for name, value in params.items():
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            shifted = {key: array.copy() for key, array in params.items()}
            shifted[name][index] = value[index] + eps
            plus = _cost(shifted, X, Y)
            shifted[name][index] = value[index] - eps
            minus = _cost(shifted, X, Y)
            grad[index] = (plus - minus) / (2.0 * eps)
        grads["d" + name] = grad
    return grads


def _grad_error(backward: Backward, params: Params, X: np.ndarray, Y: np.ndarray) -> float:
    """Largest |analytic − numerical| over every element of every gradient."""
    _, cache = forward_propagation(X, params)
    analytic = backward(params, cache, X, Y)
    numerical = _numerical_grads(params, X, Y)
    assert set(analytic) == set(numerical) == {"dW1", "db1", "dW2", "db2"}
    return max(float(np.max(np.abs(analytic[k] - numerical[k]))) for k in numerical)


dims = st.tuples(st.integers(1, 4), st.integers(1, 5), st.integers(1, 8), st.integers(0, 2**32 - 1))


@settings(deadline=None, max_examples=30)
@given(dims)
def test_backward_matches_finite_differences(dims: tuple[int, int, int, int]) -> None:
    params, X, Y = _problem(*dims)
    assert _grad_error(backward_propagation, params, X, Y) < 1e-7


def _backward_without_tanh_derivative(
    params: Params, cache: Params, X: np.ndarray, Y: np.ndarray
) -> Params:
    """A planted bug: dZ1 = W2ᵀ·dZ2, forgetting the factor (1 − A1²)."""
    m = X.shape[1]
    dZ2 = cache["A2"] - Y
    dZ1 = params["W2"].T @ dZ2
    return {
        "dW1": dZ1 @ X.T / m,
        "db1": dZ1.sum(axis=1, keepdims=True) / m,
        "dW2": dZ2 @ cache["A1"].T / m,
        "db2": dZ2.sum(axis=1, keepdims=True) / m,
    }


def _backward_without_mean(params: Params, cache: Params, X: np.ndarray, Y: np.ndarray) -> Params:
    """A planted bug: the gradients are sums over examples, not means."""
    m = X.shape[1]
    return {k: v * m for k, v in backward_propagation(params, cache, X, Y).items()}


@pytest.mark.parametrize("wrong", [_backward_without_tanh_derivative, _backward_without_mean])
def test_finite_differences_catch_a_wrong_backward(wrong: Backward) -> None:
    params, X, Y = _problem(3, 4, 6, seed=7)
    assert _grad_error(backward_propagation, params, X, Y) < 1e-7
    assert _grad_error(wrong, params, X, Y) > 1e-3


def test_shapes_of_everything() -> None:
    n_x, n_h, m = 3, 5, 7
    params, X, Y = _problem(n_x, n_h, m, seed=0)
    assert layer_sizes(X, Y, n_h) == (n_x, n_h, 1)
    assert layer_sizes(X, Y) == (n_x, 4, 1)
    init = initialize_parameters(n_x, n_h, 1)
    assert {k: v.shape for k, v in init.items()} == {
        "W1": (n_h, n_x),
        "b1": (n_h, 1),
        "W2": (1, n_h),
        "b2": (1, 1),
    }
    assert all(v.dtype == np.float64 for v in init.values())
    A2, cache = forward_propagation(X, params)
    assert A2.shape == (1, m)
    assert {k: v.shape for k, v in cache.items()} == {
        "Z1": (n_h, m),
        "A1": (n_h, m),
        "Z2": (1, m),
        "A2": (1, m),
    }
    grads = backward_propagation(params, cache, X, Y)
    assert {k: v.shape for k, v in grads.items()} == {"d" + k: v.shape for k, v in params.items()}
    assert predict(params, X).shape == (1, m)
    assert isinstance(compute_cost(A2, Y), float)


def test_forward_values_follow_the_formulas() -> None:
    params, X, Y = _problem(2, 3, 5, seed=1)
    A2, cache = forward_propagation(X, params)
    A1 = np.tanh(params["W1"] @ X + params["b1"])
    expected = 1.0 / (1.0 + np.exp(-(params["W2"] @ A1 + params["b2"])))
    np.testing.assert_allclose(cache["A1"], A1, rtol=1e-15)
    np.testing.assert_allclose(A2, expected, rtol=1e-14)
    cost = -np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))
    assert compute_cost(A2, Y) == pytest.approx(cost, rel=1e-14)


def test_initialisation_reproduces_randomstate_2() -> None:
    rs = np.random.RandomState(2)
    W1 = rs.randn(4, 2) * 0.01
    W2 = rs.randn(1, 4) * 0.01
    params = initialize_parameters(2, 4, 1)
    np.testing.assert_array_equal(params["W1"], W1)
    np.testing.assert_array_equal(params["W2"], W2)
    np.testing.assert_array_equal(params["b1"], np.zeros((4, 1)))
    np.testing.assert_array_equal(params["b2"], np.zeros((1, 1)))
    # The values printed in the course.
    np.testing.assert_allclose(
        params["W1"],
        [[-0.00416758, -0.00056267], [-0.02136196, 0.01640271], [-0.01793436, -0.00841747],
         [0.00502881, -0.01245288]],
        atol=5e-9,
    )  # fmt: skip
    np.testing.assert_allclose(
        params["W2"], [[-0.01057952, -0.00909008, 0.00551454, 0.02292208]], atol=5e-9
    )
    assert not np.array_equal(initialize_parameters(2, 4, 1, seed=3)["W1"], W1)


def test_nn_model_decreases_the_cost_on_the_flower() -> None:
    X, Y = load_planar_dataset()
    params, costs = nn_model(X, Y, n_h=4, num_iterations=300)
    assert len(costs) == 300
    assert all(isinstance(c, float) for c in costs)
    assert costs[0] == pytest.approx(np.log(2.0), abs=1e-3)  # tiny weights: A2 ≈ 0.5
    assert costs[-1] < costs[0] - 0.1
    assert set(params) == {"W1", "b1", "W2", "b2"}


def test_nn_model_reproduces_the_course_cost_curve(capsys: pytest.CaptureFixture[str]) -> None:
    X, Y = load_planar_dataset()
    params, costs = nn_model(X, Y, num_iterations=5001, print_cost=True)
    course = [0.693048, 0.288083, 0.254385, 0.233864, 0.226792, 0.222644]
    assert [costs[i] for i in range(0, 5001, 1000)] == pytest.approx(course, abs=1e-6)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Cost after iteration 0: 0.693048"
    assert lines[1] == "Cost after iteration 1000: 0.288083"
    assert len(lines) == 6
    assert float(np.mean(predict(params, X) == Y)) > 0.88  # the course reaches 90%


def test_print_every(capsys: pytest.CaptureFixture[str]) -> None:
    X, Y = load_planar_dataset(m=20)
    nn_model(X, Y, num_iterations=10, print_cost=True, print_every=4)
    out = capsys.readouterr().out
    assert re.findall(r"Cost after iteration (\d+): \d+\.\d{6}\n", out) == ["0", "4", "8"]
    nn_model(X, Y, num_iterations=10)
    assert capsys.readouterr().out == ""


def test_update_parameters_does_not_mutate_its_input() -> None:
    params, X, Y = _problem(2, 3, 5, seed=2)
    before = {k: v.copy() for k, v in params.items()}
    _, cache = forward_propagation(X, params)
    grads = backward_propagation(params, cache, X, Y)
    grads_before = {k: v.copy() for k, v in grads.items()}
    new = update_parameters(params, grads, learning_rate=0.5)
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])
        np.testing.assert_array_equal(grads["d" + k], grads_before["d" + k])
        assert new[k] is not params[k]
        np.testing.assert_allclose(new[k], before[k] - 0.5 * grads["d" + k], rtol=1e-15)


def test_backward_does_not_update_weights() -> None:
    params, X, Y = _problem(2, 3, 5, seed=3)
    before = {k: v.copy() for k, v in params.items()}
    _, cache = forward_propagation(X, params)
    backward_propagation(params, cache, X, Y)
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])


@settings(deadline=None, max_examples=20)
@given(dims)
def test_predict_returns_zero_one_labels(dims: tuple[int, int, int, int]) -> None:
    params, X, _ = _problem(*dims)
    labels = predict(params, X)
    assert labels.dtype == np.float64
    assert labels.shape == (1, X.shape[1])
    assert set(np.unique(labels)) <= {0.0, 1.0}
    A2, _ = forward_propagation(X, params)
    np.testing.assert_array_equal(labels, (A2 > 0.5).astype(np.float64))


def test_large_activations_give_no_warning_and_finite_cost() -> None:
    X = np.array([[-1000.0, 1000.0, -1000.0, 1000.0]])
    Y = np.array([[0.0, 1.0, 0.0, 1.0]])
    params = {
        "W1": np.array([[1.0]]),
        "b1": np.zeros((1, 1)),
        "W2": np.array([[1000.0]]),
        "b2": np.zeros((1, 1)),
    }
    # Underflow to 0 is exact enough and NumPy ignores it by default; overflow must not happen.
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        A2, _ = forward_propagation(X, params)
        cost = compute_cost(A2, Y)
    np.testing.assert_array_equal(A2, [[0.0, 1.0, 0.0, 1.0]])
    assert cost == 0.0


def test_uint8_labels_do_not_wrap() -> None:
    X, Y = load_planar_dataset(m=40)
    params, _, _ = _problem(2, 3, 40, seed=4)
    A2, _ = forward_propagation(X, params)
    assert compute_cost(A2, Y.astype(np.uint8)) == pytest.approx(compute_cost(A2, Y), rel=1e-15)


@pytest.mark.parametrize(
    ("X", "Y", "shapes"),
    [
        (np.zeros(5), np.zeros((1, 5)), ["(5,)"]),
        (np.zeros((2, 5)), np.zeros(5), ["(5,)", "(2, 5)", "(1, 5)"]),
        (np.zeros((2, 5)), np.zeros((1, 4)), ["(1, 4)", "(2, 5)", "(1, 5)"]),
        (np.zeros((2, 5)), np.zeros((5, 1)), ["(5, 1)", "(2, 5)"]),
        (np.zeros((2, 0)), np.zeros((1, 0)), ["(2, 0)"]),
    ],
)
def test_bad_shapes_raise_with_the_shapes(X: np.ndarray, Y: np.ndarray, shapes: list[str]) -> None:
    for call in (
        lambda: layer_sizes(X, Y),
        lambda: nn_model(X, Y, num_iterations=1),
    ):
        with pytest.raises(ValueError) as info:
            call()
        for shape in shapes:
            assert shape in str(info.value)


def test_labels_must_be_binary() -> None:
    X = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"only 0 and 1.*\[2\.0\]"):
        nn_model(X, np.array([[0.0, 1.0, 2.0]]), num_iterations=1)
    with pytest.raises(ValueError, match="only 0 and 1"):
        compute_cost(np.full((1, 3), 0.5), np.array([[0.0, 0.5, 1.0]]))


def test_parameters_that_do_not_fit_x_raise() -> None:
    params = initialize_parameters(3, 4, 1)
    X = np.zeros((2, 5))
    with pytest.raises(ValueError, match=re.escape("(4, 3)")) as info:
        forward_propagation(X, params)
    assert "2 features" in str(info.value)
    with pytest.raises(ValueError, match="lack"):
        forward_propagation(X, {"W1": np.zeros((4, 2))})
    grads = {"dW1": np.zeros((4, 3)), "db1": np.zeros((4, 1)), "dW2": np.zeros((1, 4))}
    with pytest.raises(ValueError, match="db2"):
        update_parameters(params, grads)
    grads["db2"] = np.zeros((2, 1))
    with pytest.raises(ValueError, match=re.escape("db2 has shape (2, 1) but b2 has shape (1, 1)")):
        update_parameters(params, grads)


def test_bad_counts_raise() -> None:
    X, Y = load_planar_dataset(m=10)
    with pytest.raises(ValueError, match="n_h must be >= 1, got 0"):
        layer_sizes(X, Y, n_h=0)
    with pytest.raises(ValueError, match="num_iterations must be >= 0, got -1"):
        nn_model(X, Y, num_iterations=-1)
    with pytest.raises(ValueError, match="learning_rate"):
        nn_model(X, Y, learning_rate=float("nan"))
    with pytest.raises(ValueError, match="print_every"):
        nn_model(X, Y, print_every=0)
    with pytest.raises(ValueError, match="A2 must have shape"):
        compute_cost(np.full((2, 3), 0.5), np.zeros((1, 3)))
    params, costs = nn_model(X, Y, num_iterations=0)
    assert costs == []
    np.testing.assert_array_equal(params["W1"], initialize_parameters(2, 4, 1)["W1"])
