"""Tests of the course's gradient check and optimisation helpers in models/manual_optim.py."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.manual_deep import L_model_backward, L_model_forward, update_parameters
from models.manual_optim import (
    accuracy,
    dictionary_to_vector,
    gradient_check_n,
    gradients_to_vector,
    initialize_adam,
    initialize_velocity,
    model,
    random_mini_batches,
    schedule_lr_decay,
    update_lr,
    update_parameters_with_adam,
    update_parameters_with_momentum,
    vector_to_dictionary,
)
from tinygrad_lite.datasets import make_moons

Params = dict[str, np.ndarray]
NAMES = ["W1", "b1", "W2", "b2", "W3", "b3"]


def _gradient_check_case() -> tuple[np.ndarray, np.ndarray, Params]:
    """The course's gradient-checking exercise: seed 1, x (4, 3), y = [1, 1, 0], a 4-5-3-1 net."""
    rs = np.random.RandomState(1)
    x = rs.randn(4, 3)
    y = np.array([1, 1, 0])
    shapes = [(5, 4), (5, 1), (3, 5), (3, 1), (1, 3), (1, 1)]
    return x, y, {name: rs.randn(*shape) for name, shape in zip(NAMES, shapes, strict=True)}


def _course_forward(
    X: np.ndarray, Y: np.ndarray, p: Params
) -> tuple[float, tuple[np.ndarray, ...]]:
    """The course's forward_propagation_n, written out as it is (relu, relu, sigmoid)."""
    m = X.shape[1]
    A1 = np.maximum(0, np.dot(p["W1"], X) + p["b1"])
    A2 = np.maximum(0, np.dot(p["W2"], A1) + p["b2"])
    A3 = 1 / (1 + np.exp(-(np.dot(p["W3"], A2) + p["b3"])))
    logprobs = np.multiply(-np.log(A3), Y) + np.multiply(-np.log(1 - A3), 1 - Y)
    return 1.0 / m * np.sum(logprobs), (A1, A2, A3)


def _course_backward(
    X: np.ndarray, Y: np.ndarray, p: Params, cache: tuple[np.ndarray, ...]
) -> Params:
    """The course's backward_propagation_n with its two planted bugs corrected."""
    m = X.shape[1]
    A1, A2, A3 = cache
    dZ3 = A3 - Y
    dZ2 = np.multiply(np.dot(p["W3"].T, dZ3), np.int64(A2 > 0))
    dZ1 = np.multiply(np.dot(p["W2"].T, dZ2), np.int64(A1 > 0))
    grads = {}
    for k, dZ, A in ((3, dZ3, A2), (2, dZ2, A1), (1, dZ1, X)):
        grads[f"dW{k}"] = 1.0 / m * np.dot(dZ, A.T)
        grads[f"db{k}"] = 1.0 / m * np.sum(dZ, axis=1, keepdims=True)
    return grads


def test_gradient_check_gives_the_published_difference() -> None:
    x, y, params = _gradient_check_case()
    AL, caches = L_model_forward(x, params)
    grads = L_model_backward(AL, y, caches)
    difference = gradient_check_n(params, grads, x, y)
    assert difference == pytest.approx(1.1890913024229996e-07, rel=0, abs=1e-15)
    assert difference == 1.1890913024229996e-07  # in fact the same bits
    # The course's own code gives the same gradients and the same cost, bit for bit.
    cost, cache = _course_forward(x, y, params)
    course_grads = _course_backward(x, y, params, cache)
    for name, value in course_grads.items():
        np.testing.assert_array_equal(grads[name], value)
    np.testing.assert_array_equal(AL, cache[2])


def test_gradient_check_catches_the_course_bugs(capsys: pytest.CaptureFixture[str]) -> None:
    x, y, params = _gradient_check_case()
    AL, caches = L_model_forward(x, params)
    grads = L_model_backward(AL, y, caches)
    gradient_check_n(params, grads, x, y, print_msg=True)
    assert capsys.readouterr().out.startswith("Your backward propagation works perfectly fine!")
    buggy = dict(grads, dW2=grads["dW2"] * 2, db1=grads["db1"] * 4)
    difference = gradient_check_n(params, buggy, x, y, print_msg=True)
    assert difference > 2e-7
    assert difference == pytest.approx(0.2850931567761624, rel=0, abs=1e-15)  # the course's
    out = capsys.readouterr().out
    assert out == f"There is a mistake in the backward propagation! difference = {difference}\n"


def test_vectors_round_trip_in_the_course_order() -> None:
    _, _, params = _gradient_check_case()
    theta, keys = dictionary_to_vector(params)
    assert theta.shape == (47, 1)
    assert keys == [name for name in NAMES for _ in range(params[name].size)]
    np.testing.assert_array_equal(theta[:20, 0], params["W1"].ravel())
    np.testing.assert_array_equal(theta[43:46, 0], params["W3"].ravel())
    back = vector_to_dictionary(theta)
    assert list(back) == NAMES
    for name in NAMES:
        np.testing.assert_array_equal(back[name], params[name])
    grads = {"d" + name: value + 1 for name, value in params.items()} | {"dA0": np.zeros(3)}
    np.testing.assert_array_equal(gradients_to_vector(grads), theta + 1)
    other = vector_to_dictionary(np.arange(9.0).reshape(9, 1), [2, 2, 1])
    np.testing.assert_array_equal(other["W1"], [[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(other["b2"], [[8.0]])


def _course_mini_batches(
    X: np.ndarray, Y: np.ndarray, size: int, seed: int
) -> list[tuple[np.ndarray, ...]]:
    """The course's random_mini_batches, written out as it is: NumPy's global state."""
    state = np.random.get_state()  # noqa: NPY002
    try:
        np.random.seed(seed)  # noqa: NPY002
        m = X.shape[1]
        mini_batches = []
        permutation = list(np.random.permutation(m))  # noqa: NPY002
        shuffled_X = X[:, permutation]
        shuffled_Y = Y[:, permutation].reshape((1, m))
        num_complete_minibatches = math.floor(m / size)
        for k in range(0, num_complete_minibatches):
            mini_batch_X = shuffled_X[:, k * size : (k + 1) * size]
            mini_batch_Y = shuffled_Y[:, k * size : (k + 1) * size]
            mini_batches.append((mini_batch_X, mini_batch_Y))
        if m % size != 0:
            mini_batch_X = shuffled_X[:, num_complete_minibatches * size : m]
            mini_batch_Y = shuffled_Y[:, num_complete_minibatches * size : m]
            mini_batches.append((mini_batch_X, mini_batch_Y))
        return mini_batches
    finally:
        np.random.set_state(state)  # noqa: NPY002


@settings(deadline=None, max_examples=30)
@given(m=st.integers(1, 200), size=st.integers(1, 80), seed=st.integers(0, 2**32 - 1))
def test_mini_batches_are_the_course_ones(m: int, size: int, seed: int) -> None:
    X = np.arange(3.0 * m).reshape(3, m)
    Y = (np.arange(m) % 2).reshape(1, m).astype(float)
    ours = random_mini_batches(X, Y, size, seed)
    course = _course_mini_batches(X, Y, size, seed)
    assert len(ours) == len(course) == math.ceil(m / size)
    for (bx, by), (cx, cy) in zip(ours, course, strict=True):
        np.testing.assert_array_equal(bx, cx)
        np.testing.assert_array_equal(by, cy)
    columns = np.concatenate([bx[0] for bx, _ in ours])
    assert sorted(columns.tolist()) == list(range(m))  # every example exactly once


def test_momentum_and_adam_follow_their_formulas() -> None:
    rng = np.random.default_rng(4)
    params = {"W1": rng.normal(size=(3, 2)), "b1": rng.normal(size=(3, 1))}
    steps = [{"d" + k: rng.normal(size=v.shape) for k, v in params.items()} for _ in range(3)]
    # Momentum with β = 0 is plain gradient descent.
    v = initialize_velocity(params)
    assert {k: a.shape for k, a in v.items()} == {"dW1": (3, 2), "db1": (3, 1)}
    new, _ = update_parameters_with_momentum(params, steps[0], v, 0.0, 0.1)
    for name in params:
        np.testing.assert_allclose(
            new[name], update_parameters(params, steps[0], 0.1)[name], rtol=1e-15
        )
    # Element by element with Python floats: v = βv + (1 − β)g; θ = θ − αv.
    theta, vel = float(params["W1"][1, 0]), 0.0
    p, v = params, initialize_velocity(params)
    for grads in steps:
        p, v = update_parameters_with_momentum(p, grads, v, 0.9, 0.05)
        vel = 0.9 * vel + 0.1 * float(grads["dW1"][1, 0])
        theta -= 0.05 * vel
    assert p["W1"][1, 0] == pytest.approx(theta, rel=1e-14)
    # Adam: the first step moves every parameter by α·g / (|g| + ε), about α against the sign.
    v, s = initialize_adam(params)
    first, v, s = update_parameters_with_adam(params, steps[0], v, s, t=1, learning_rate=0.01)
    g = steps[0]["dW1"]
    np.testing.assert_allclose(
        params["W1"] - first["W1"], 0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12
    )
    # Three steps, element by element with Python floats.
    theta, m1, m2 = float(params["b1"][2, 0]), 0.0, 0.0
    p, v, s = params, *initialize_adam(params)
    for t, grads in enumerate(steps, start=1):
        p, v, s = update_parameters_with_adam(p, grads, v, s, t, 0.02, 0.8, 0.99, 1e-3)
        gt = float(grads["db1"][2, 0])
        m1, m2 = 0.8 * m1 + 0.2 * gt, 0.99 * m2 + 0.01 * gt * gt
        theta -= 0.02 * (m1 / (1 - 0.8**t)) / (math.sqrt(m2 / (1 - 0.99**t)) + 1e-3)
    assert p["b1"][2, 0] == pytest.approx(theta, rel=1e-14)


def test_learning_rate_decays() -> None:
    assert update_lr(0.5, 2, 1) == 0.5 / 3
    assert update_lr(0.5, 0, 1) == 0.5
    assert [schedule_lr_decay(0.5, e, 1, 1000) for e in (0, 999, 1000, 2500)] == [
        0.5,
        0.5,
        0.25,
        0.5 / 3,
    ]
    assert schedule_lr_decay(0.5, 100, 1, time_interval=10) == 0.5 / 11


@pytest.mark.slow
def test_optimisation_notebook_adam_reaches_94_percent() -> None:
    state = np.random.get_state()  # noqa: NPY002
    try:
        np.random.seed(3)  # noqa: NPY002
        X, y = make_moons(n_samples=300, noise=0.2)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    X, Y = X.T, y.reshape(1, -1)
    params, costs = model(X, Y, [2, 5, 2, 1], optimizer="adam")
    assert len(costs) == 10000
    assert accuracy(params, X, Y) == pytest.approx(0.94, abs=1e-12)


_X, _Y = np.zeros((2, 5)), np.zeros((1, 5))
BAD_INPUT: list[tuple[Callable[[], object], str]] = [
    (lambda: vector_to_dictionary(np.zeros((46, 1))), "(46, 1) must be (47, 1) for [4, 5, 3, 1]"),
    (lambda: gradients_to_vector({"dW1": np.zeros((1, 1))}), "missing ['db1']"),
    (lambda: random_mini_batches(_X, np.zeros((1, 4))), "X (2, 5) and Y (1, 4)"),
    (lambda: random_mini_batches(_X, _Y, 0), "mini_batch_size must be an int >= 1, got 0"),
    (lambda: random_mini_batches(_X, _Y, seed=-1), "seed must be an int in [0, 2**32 - 1], got -1"),
    (lambda: update_parameters_with_adam({}, {}, {}, {}, t=0), "t must be an int >= 1, got 0"),
    (
        lambda: model(np.zeros((2, 4)), np.zeros((1, 4)), [2, 1], "rmsprop"),
        "optimizer must be 'gd', 'momentum' or 'adam', got 'rmsprop'",
    ),
]


@pytest.mark.parametrize(("call", "message"), BAD_INPUT)
def test_bad_input_is_refused(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        call()
