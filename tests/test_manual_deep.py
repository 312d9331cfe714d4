"""Tests of the hand-derived L-layer NumPy reference in models/manual_deep.py."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from models.manual_deep import (
    L_layer_model,
    L_model_backward,
    L_model_forward,
    compute_cost,
    initialize_parameters_deep,
    linear_activation_backward,
    linear_activation_forward,
    linear_backward,
    linear_forward,
    predict,
    sigmoid,
    update_parameters,
)
from tinygrad_lite.datasets import make_circles
from tinygrad_lite.gradcheck import numerical_grad

Params = dict[str, np.ndarray]


def _printed(array: np.ndarray) -> str:
    """An array as the course's notebooks print it (NumPy's 8 digits)."""
    return np.array2string(array, precision=8)


def _course_draws(seed: int, *shapes: tuple[int, ...]) -> list[np.ndarray]:
    """``np.random.seed(seed)`` then ``np.random.randn(*shape)`` for each shape, in order."""
    rs = np.random.RandomState(seed)
    return [rs.randn(*shape) for shape in shapes]


# ------------------------------------------------------------------ the course's published checks


def test_initialization_matches_the_course() -> None:
    params = initialize_parameters_deep([5, 4, 3])
    assert _printed(params["W1"]) == (
        "[[ 0.01788628  0.0043651   0.00096497 -0.01863493 -0.00277388]\n"
        " [-0.00354759 -0.00082741 -0.00627001 -0.00043818 -0.00477218]\n"
        " [-0.01313865  0.00884622  0.00881318  0.01709573  0.00050034]\n"
        " [-0.00404677 -0.0054536  -0.01546477  0.00982367 -0.01101068]]"
    )
    assert _printed(params["W2"]) == (
        "[[-0.01185047 -0.0020565   0.01486148  0.00236716]\n"
        " [-0.01023785 -0.00712993  0.00625245 -0.00160513]\n"
        " [-0.00768836 -0.00230031  0.00745056  0.01976111]]"
    )
    np.testing.assert_array_equal(params["b1"], np.zeros((4, 1)))
    np.testing.assert_array_equal(params["b2"], np.zeros((3, 1)))
    he = initialize_parameters_deep([2, 4, 1], init="he")
    assert _printed(he["W1"]) == (
        "[[ 1.78862847  0.43650985]\n [ 0.09649747 -1.8634927 ]\n"
        " [-0.2773882  -0.35475898]\n [-0.08274148 -0.62700068]]"
    )
    assert _printed(he["W2"]) == "[[-0.03098412 -0.33744411 -0.92904268  0.62552248]]"
    random = initialize_parameters_deep([3, 2, 1], init="random")
    assert _printed(random["W1"]) == (
        "[[ 17.88628473   4.36509851   0.96497468]\n [-18.63492703  -2.77388203  -3.54758979]]"
    )
    assert _printed(random["W2"]) == "[[-0.82741481 -6.27000677]]"
    zeros = initialize_parameters_deep([3, 2, 1], init="zeros")
    assert all(not value.any() for value in zeros.values())
    assert {k: v.shape for k, v in zeros.items()} == {
        "W1": (2, 3),
        "b1": (2, 1),
        "W2": (1, 2),
        "b2": (1, 1),
    }


def test_initialization_draws_layer_by_layer_exactly() -> None:
    dims = [4, 6, 3, 1]
    W1, W2, W3 = _course_draws(3, (6, 4), (3, 6), (1, 3))
    he = initialize_parameters_deep(dims, init="he")
    np.testing.assert_array_equal(he["W1"], W1 * np.sqrt(2.0 / 4))
    np.testing.assert_array_equal(he["W2"], W2 * np.sqrt(2.0 / 6))
    np.testing.assert_array_equal(he["W3"], W3 * np.sqrt(2.0 / 3))
    np.testing.assert_array_equal(
        initialize_parameters_deep(dims, seed=5)["W2"], _course_draws(5, (6, 4), (3, 6))[1] * 0.01
    )


def test_forward_steps_match_the_course() -> None:
    A_prev, W, b = _course_draws(2, (3, 2), (1, 3), (1, 1))
    A, ((A_cached, W_cached, b_cached), (Z, activation)) = linear_activation_forward(
        A_prev, W, b, "sigmoid"
    )
    assert _printed(A) == "[[0.96890023 0.11013289]]"
    assert A_cached is A_prev and W_cached is W and b_cached is b and activation == "sigmoid"
    np.testing.assert_array_equal(Z, linear_forward(A_prev, W, b)[0])
    assert (
        _printed(linear_activation_forward(A_prev, W, b, "relu")[0]) == "[[3.43896131 0.        ]]"
    )


def test_L_model_forward_matches_the_course() -> None:
    X, W1, b1, W2, b2, W3, b3 = _course_draws(
        6, (5, 4), (4, 5), (4, 1), (3, 4), (3, 1), (1, 3), (1, 1)
    )
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2, "W3": W3, "b3": b3}
    AL, caches = L_model_forward(X, params)
    assert _printed(AL) == "[[0.03921668 0.70498921 0.19734387 0.04728177]]"
    np.testing.assert_allclose(AL, [[0.03921668, 0.70498921, 0.19734387, 0.04728177]], atol=5e-9)
    assert len(caches) == 3
    assert [cache[1][1] for cache in caches] == ["relu", "relu", "sigmoid"]
    # Relu, relu, sigmoid written out, in the course's own arithmetic: the same bits.
    A1 = np.maximum(0, np.dot(W1, X) + b1)
    A2 = np.maximum(0, np.dot(W2, A1) + b2)
    np.testing.assert_array_equal(AL, 1 / (1 + np.exp(-(np.dot(W3, A2) + b3))))


def test_compute_cost_matches_the_course() -> None:
    cost = compute_cost(np.array([[0.8, 0.9, 0.4]]), np.array([[1, 1, 0]]))
    assert cost == 0.2797765635793422
    rng = np.random.default_rng(0)
    AL = rng.uniform(0.01, 0.99, (1, 50))
    Y = rng.integers(0, 2, (1, 50)).astype(float)
    course = (-1 / 50) * np.sum(np.multiply(Y, np.log(AL)) + np.multiply(1 - Y, np.log(1 - AL)))
    assert compute_cost(AL, Y) == course
    assert compute_cost(AL, Y[0]) == course  # Y of shape (m,), as the course sometimes passes it
    # Saturated but right costs nothing (the course's formula gives 0·log 0 = nan here).
    assert compute_cost(np.array([[1.0, 0.0]]), np.array([[1, 0]])) == 0.0
    assert compute_cost(np.array([[0.0, 0.5]]), np.array([[1, 0]])) == np.inf


def test_linear_backward_matches_the_course() -> None:
    dZ, A, W, b = _course_draws(1, (3, 4), (5, 4), (3, 5), (3, 1))
    dA_prev, dW, db = linear_backward(dZ, (A, W, b))
    assert _printed(dA_prev) == (
        "[[-1.15171336  0.06718465 -0.3204696   2.09812712]\n"
        " [ 0.60345879 -3.72508701  5.81700741 -3.84326836]\n"
        " [-0.4319552  -1.30987417  1.72354705  0.05070578]\n"
        " [-0.38981415  0.60811244 -1.25938424  1.47191593]\n"
        " [-2.52214926  2.67882552 -0.67947465  1.48119548]]"
    )
    assert _printed(dW) == (
        "[[ 0.07313866 -0.0976715  -0.87585828  0.73763362  0.00785716]\n"
        " [ 0.85508818  0.37530413 -0.59912655  0.71278189 -0.58931808]\n"
        " [ 0.97913304 -0.24376494 -0.08839671  0.55151192 -0.10290907]]"
    )
    assert _printed(db) == "[[-0.14713786]\n [-0.11313155]\n [-0.13209101]]"


def test_linear_activation_backward_matches_the_course() -> None:
    dA, A, W, b, Z = _course_draws(2, (1, 2), (3, 2), (1, 3), (1, 1), (1, 2))
    dA_prev, dW, db = linear_activation_backward(dA, ((A, W, b), (Z, "sigmoid")), "sigmoid")
    assert _printed(dA_prev) == (
        "[[ 0.11017994  0.01105339]\n [ 0.09466817  0.00949723]\n [-0.05743092 -0.00576154]]"
    )
    assert _printed(dW) == "[[ 0.10266786  0.09778551 -0.01968084]]"
    assert _printed(db) == "[[-0.05729622]]"
    dA_prev, dW, db = linear_activation_backward(dA, ((A, W, b), (Z, "relu")))
    assert (
        _printed(dA_prev)
        == "[[ 0.44090989  0.        ]\n [ 0.37883606  0.        ]\n [-0.2298228   0.        ]]"
    )
    assert _printed(dW) == "[[ 0.44513824  0.37371418 -0.10478989]]"
    assert _printed(db) == "[[-0.20837892]]"


# ------------------------------------------------------------------ gradients by finite differences


def _problem(dims: list[int], m: int, seed: int) -> tuple[Params, np.ndarray, np.ndarray]:
    """Weights of variance 1/n_{l−1} (activations stay of order one), biases, data, labels."""
    rng = np.random.default_rng(seed)
    params = {}
    for k in range(1, len(dims)):
        params[f"W{k}"] = rng.normal(0.0, 1.0 / np.sqrt(dims[k - 1]), (dims[k], dims[k - 1]))
        params[f"b{k}"] = rng.normal(0.0, 0.5, (dims[k], 1))
    X = rng.normal(0.0, 1.0, (dims[0], m))
    Y = rng.integers(0, 2, (1, m)).astype(np.float64)
    return params, X, Y


def _cost(params: Params, X: np.ndarray, Y: np.ndarray, hidden: str) -> float:
    return compute_cost(L_model_forward(X, params, hidden)[0], Y)


def _cost_from_logits(params: Params, X: np.ndarray, Y: np.ndarray, hidden: str) -> float:
    """The cross-entropy from the output layer's Z: softplus(Z) − Y·Z, as −log σ, −log(1 − σ).

    What central differences take, not ``_cost``: with σ(Z) within 1e-5 of 1, ``log(1 − AL)``
    keeps only 11 digits, and a central difference of step 1e-6 would carry an error of 1e-5.
    """
    ZL = L_model_forward(X, params, hidden)[1][-1][1][0]
    return float(np.mean(np.logaddexp(0.0, ZL) - Y * ZL))


def _kink_distance(params: Params, X: np.ndarray, hidden: str) -> float:
    """The smallest |Z| of a hidden ReLU layer (inf for tanh): a difference must not cross 0."""
    if hidden != "relu":
        return np.inf
    _, caches = L_model_forward(X, params, hidden)
    return (
        min(float(np.min(np.abs(cache[1][0]))) for cache in caches[:-1]) if caches[:-1] else np.inf
    )


networks = st.tuples(
    st.lists(st.integers(1, 8), min_size=1, max_size=5),  # n_x and the hidden widths
    st.integers(1, 16),
    st.sampled_from(["relu", "tanh"]),
    st.integers(0, 2**32 - 1),
)


@settings(deadline=None, max_examples=30)
@given(networks)
def test_backward_matches_finite_differences(network: tuple[list[int], int, str, int]) -> None:
    widths, m, hidden, seed = network
    dims = [*widths, 1]
    params, X, Y = _problem(dims, m, seed)
    assume(_kink_distance(params, X, hidden) > 1e-4)
    AL, caches = L_model_forward(X, params, hidden)
    grads = L_model_backward(AL, Y, caches)
    L = len(dims) - 1
    expected = {"dA0"} | {f"{p}{k}" for k in range(1, L + 1) for p in ("dW", "db", "dZ")}
    expected |= {f"dA{k}" for k in range(1, L)}
    assert set(grads) == expected
    for name, value in params.items():
        numerical = numerical_grad(lambda: _cost_from_logits(params, X, Y, hidden), value)
        assert grads["d" + name].shape == value.shape
        np.testing.assert_allclose(grads["d" + name], numerical, rtol=1e-6, atol=1e-8, err_msg=name)
    # The course's dA0 is m times the gradient of J with respect to the inputs.
    numerical = numerical_grad(lambda: _cost_from_logits(params, X, Y, hidden), X)
    np.testing.assert_allclose(grads["dA0"] / m, numerical, rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(grads[f"dZ{L}"], AL - Y)


def test_finite_differences_catch_a_wrong_backward() -> None:
    params, X, Y = _problem([3, 4, 4, 1], 6, seed=11)
    AL, caches = L_model_forward(X, params, "tanh")
    numerical = numerical_grad(lambda: _cost_from_logits(params, X, Y, "tanh"), params["W1"])
    right = L_model_backward(AL, Y, caches)["dW1"]
    np.testing.assert_allclose(right, numerical, rtol=1e-6, atol=1e-8)
    # A planted bug: tanh's derivative forgotten in the second layer.
    wrong_caches = [caches[0], (caches[1][0], (caches[1][1][0], "relu")), caches[2]]
    wrong = L_model_backward(AL, Y, wrong_caches)["dW1"]
    assert np.max(np.abs(wrong - numerical)) > 1e-3


# ------------------------------------------------------------------ the rest of the API


def test_update_predict_and_the_model_loop() -> None:
    params, X, Y = _problem([2, 3, 1], 5, seed=2)
    AL, caches = L_model_forward(X, params)
    grads = L_model_backward(AL, Y, caches)
    before = {k: v.copy() for k, v in params.items()}
    updated = update_parameters(params, grads, 0.5)
    for name, value in params.items():
        np.testing.assert_array_equal(value, before[name])  # the arrays passed in are unchanged
        np.testing.assert_array_equal(updated[name], value - 0.5 * grads["d" + name])
    np.testing.assert_array_equal(predict(params, X), (AL > 0.5).astype(float))
    _, costs = L_layer_model(X, Y, [2, 3, 1], learning_rate=0.1, num_iterations=3, init="he")
    start = initialize_parameters_deep([2, 3, 1], "he")
    assert costs[0] == _cost(start, X, Y, "relu")
    AL0, caches0 = L_model_forward(X, start)
    one_step = update_parameters(start, L_model_backward(AL0, Y, caches0), 0.1)
    assert costs[1] == _cost(one_step, X, Y, "relu")


def test_sigmoid_is_the_course_formula_without_overflow_warnings() -> None:
    z = np.array([-800.0, -30.0, 0.0, 2.5, 40.0])
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(sigmoid(z), 1 / (1 + np.exp(-z)))
    assert sigmoid(z)[0] == 0.0 and sigmoid(z)[-1] == 1.0


def _circles() -> tuple[np.ndarray, ...]:
    """The initialisation notebook's data: seeds 1 (train, 300) and 2 (test, 100)."""
    state = np.random.get_state()  # noqa: NPY002
    try:
        np.random.seed(1)  # noqa: NPY002
        train_X, train_y = make_circles(n_samples=300, noise=0.05)
        np.random.seed(2)  # noqa: NPY002
        test_X, test_y = make_circles(n_samples=100, noise=0.05)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    return train_X.T, train_y.reshape(1, -1), test_X.T, test_y.reshape(1, -1)


def test_zero_initialisation_never_breaks_symmetry() -> None:
    X, Y, _, _ = _circles()
    params, costs = L_layer_model(X, Y, [2, 10, 5, 1], 0.01, num_iterations=200, init="zeros")
    assert costs == [np.log(2.0)] * 200
    assert not params["W1"].any() and not params["W2"].any()
    assert np.mean(predict(params, X) == Y) == 0.5


@pytest.mark.slow
@pytest.mark.parametrize(
    ("init", "train", "test", "published_costs"),
    [
        (
            "he",
            0.9933333333333333,
            0.96,
            [0.8830537463419761, 0.6879825919728063, 0.07357895962677366],
        ),
        ("random", 0.83, 0.86, None),
    ],
)
@pytest.mark.slow
def test_initialisation_notebook_numbers(
    init: str, train: float, test: float, published_costs: list[float] | None
) -> None:
    train_X, train_Y, test_X, test_Y = _circles()
    params, costs = L_layer_model(train_X, train_Y, [2, 10, 5, 1], 0.01, 15000, init=init)
    assert np.mean(predict(params, train_X) == train_Y) == pytest.approx(train, abs=1e-12)
    assert np.mean(predict(params, test_X) == test_Y) == pytest.approx(test, abs=1e-12)
    if published_costs is not None:
        np.testing.assert_allclose(
            [costs[0], costs[1000], costs[14000]], published_costs, rtol=0, atol=1e-9
        )
    else:  # random × 10 saturates the output: the first costs are infinite, as the course shows
        assert costs[0] == np.inf and np.isfinite(costs[1000])


def _ones(*shape: int) -> np.ndarray:
    return np.ones(shape)


_TWO_LAYERS = {"W1": _ones(3, 2), "b1": _ones(3, 1), "W2": _ones(1, 4), "b2": _ones(1, 1)}
_RELU_CACHE = ((_ones(1, 2), _ones(1, 1), _ones(1, 1)), (_ones(1, 2), "relu"))
BAD_INPUT: list[tuple[Callable[[], object], str]] = [
    (lambda: initialize_parameters_deep([3]), "at least 2 sizes (n_x, n_y), got [3]"),
    (lambda: initialize_parameters_deep([3, 0, 1]), "ints >= 1, got [3, 0, 1]"),
    (lambda: initialize_parameters_deep([2, 1], init="xavier"), "init must be one of"),
    (
        lambda: linear_forward(_ones(3, 2), _ones(1, 4), _ones(1, 1)),
        "W (1, 4) does not fit A (3, 2)",
    ),
    (
        lambda: linear_activation_forward(_ones(1, 1), _ones(1, 1), _ones(1, 1), "gelu"),
        "activation must be one of ['relu', 'tanh', 'sigmoid'], got 'gelu'",
    ),
    (lambda: L_model_forward(_ones(2, 3), {"W1": _ones(1, 2)}), "must be W1, b1, ..., WL, bL"),
    (
        lambda: L_model_forward(_ones(2, 3), _TWO_LAYERS),
        "W2 (1, 4) and b2 (1, 1) do not fit together after W1 (3, 2)",
    ),
    (
        lambda: L_model_forward(_ones(2, 3), initialize_parameters_deep([2, 1]), "sigmoid"),
        "hidden must be one of ['relu', 'tanh']",
    ),
    (
        lambda: compute_cost(_ones(1, 3) / 2, _ones(1, 4)),
        "Y must have shape (1, 3) or (3,), got (1, 4)",
    ),
    (lambda: compute_cost(_ones(1, 2) / 2, np.array([[0.0, 2.0]])), "only 0 and 1, got [0.0, 2.0]"),
    (
        lambda: linear_backward(_ones(2, 3), (_ones(4, 3), _ones(1, 4), _ones(1, 1))),
        "dZ (2, 3) must be (1, 3)",
    ),
    (
        lambda: linear_activation_backward(_ones(1, 2), _RELU_CACHE, "sigmoid"),
        "activation 'sigmoid' but the forward pass used 'relu'",
    ),
    (
        lambda: L_model_backward(_ones(1, 2) / 2, _ones(1, 2), [_RELU_CACHE]),
        "the output layer must be a sigmoid, got 'relu'",
    ),
    (
        lambda: update_parameters({"W1": _ones(2, 2)}, {"dW1": _ones(2, 1)}, 0.1),
        "dW1 is (2, 1); expected the shape of W1, (2, 2)",
    ),
    (
        lambda: L_layer_model(_ones(2, 3), _ones(1, 3), [2, 1], learning_rate=0.0),
        "learning_rate must be finite and > 0, got 0.0",
    ),
]


@pytest.mark.parametrize(("call", "message"), BAD_INPUT)
def test_bad_input_is_refused(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        call()
