"""The tutorial network built with autograd against the hand-derived NumPy reference."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from models import manual
from models.gradients import compare_with_manual
from models.two_layer import (
    TwoLayerNet,
    make_sequential,
    parameters_from_sequential_state,
    sequential_from_two_layer,
    sequential_state_from_parameters,
    two_layer_forward,
    two_layer_from_sequential,
)
from tinygrad_lite import Tensor, gradcheck, nn, optim
from tinygrad_lite import functional as F
from tinygrad_lite.datasets import load_planar_dataset
from tinygrad_lite.testing import assert_grads_close, floats

NAMES = ("W1", "b1", "W2", "b2")
EPS = np.finfo(np.float64).eps

# Largest elementwise |autograd - manual| / |manual| seen by the gradient property test
# (printed at the end of this module under `pytest -s`).
_largest_relative_difference = [0.0]


@pytest.fixture(scope="module", autouse=True)
def _report_largest_difference() -> Any:
    yield
    print(
        "\nlargest relative gradient difference, autograd vs hand-derived: "
        f"{_largest_relative_difference[0]:.3g}"
    )


def array(draw: Any, shape: tuple[int, ...], lo: float, hi: float) -> np.ndarray:
    return draw(hnp.arrays(np.float64, shape, elements=floats(lo, hi)))


@st.composite
def tutorial_case(
    draw: Any, max_m: int = 20
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Weights, X (n_x, m) and binary Y (1, m) for n_y = 1.

    The bounds keep |Z2| <= n_h·1 + 1 <= 6, so A2 stays in [0.0025, 0.9975]: away from the
    probabilities where binary_cross_entropy's clamps act (those are tested in
    test_functional.py), so both sides compute the textbook formula.
    """
    n_x = draw(st.integers(1, 4))
    n_h = draw(st.integers(1, 5))
    m = draw(st.integers(1, max_m))
    params = {
        "W1": array(draw, (n_h, n_x), -2, 2),
        "b1": array(draw, (n_h, 1), -1, 1),
        "W2": array(draw, (1, n_h), -1, 1),
        "b2": array(draw, (1, 1), -1, 1),
    }
    X = array(draw, (n_x, m), -2, 2)
    Y = draw(hnp.arrays(np.float64, (1, m), elements=st.sampled_from([0.0, 1.0])))
    return params, X, Y


def autograd_grads(net: nn.Module) -> dict[str, np.ndarray]:
    return {name: p.grad.data for name, p in net.named_parameters()}  # type: ignore[union-attr]


# ---------------------------------------------------------------------- initialisation


@given(
    n_x=st.integers(1, 5),
    n_h=st.integers(1, 6),
    n_y=st.integers(1, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_initialisation_equals_the_tutorials_exactly(
    n_x: int, n_h: int, n_y: int, seed: int
) -> None:
    net = TwoLayerNet(n_x, n_h, n_y, seed=seed)
    ref = manual.initialize_parameters(n_x, n_h, n_y, seed=seed)
    assert [name for name, _ in net.named_parameters()] == list(NAMES)
    for name in NAMES:
        p = getattr(net, name)
        assert isinstance(p, nn.Parameter) and p.requires_grad and p.is_leaf
        assert p.dtype == np.float64
        np.testing.assert_array_equal(p.data, ref[name])


def test_default_seed_is_the_tutorials() -> None:
    net = TwoLayerNet(2)
    ref = manual.initialize_parameters(2, 4, 1)
    for name in NAMES:
        np.testing.assert_array_equal(getattr(net, name).data, ref[name])


# ---------------------------------------------------------------------- gradients


@given(tutorial_case())
def test_gradients_equal_the_hand_derived_ones(case: Any) -> None:
    params, X, Y = case
    # Judged by the project's rounding rule (tinygrad_lite.rounding): each gradient entry sums
    # m terms, and the two sides divide by m at different points and compute A2 − Y and
    # σ(Z2) − Y from differently rounded values, so they agree to within the rounding error
    # of the terms (|dZ|·|A|ᵀ for a weight), not to a bare relative tolerance.
    rows = compare_with_manual(TwoLayerNet.from_parameters(params), params, X, Y)
    bad = [f"{r['name']}: {r['abs_diff']:.3g} > {r['tolerance']:.3g}" for r in rows if not r["ok"]]
    assert not bad, bad
    for r in rows[1:]:
        e, a = r["manual"], r["autograd"]
        nonzero = np.abs(e) > 1e-290  # relative differences of subnormals say nothing
        if nonzero.any():
            rel = np.abs(a - e)[nonzero] / np.abs(e[nonzero])
            _largest_relative_difference[0] = max(_largest_relative_difference[0], rel.max())


def test_a_wrong_gradient_would_be_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # The comparison above can fail: a gradient off by 1e-9 relative is caught.
    params, X, Y = (
        manual.initialize_parameters(2, 4, 1, seed=3),
        np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]]),
        np.array([[1.0, 0.0, 1.0]]),
    )
    right = manual.backward_propagation

    def off(*args: Any) -> dict[str, np.ndarray]:
        grads = right(*args)
        return {**grads, "dW1": grads["dW1"] * (1 + 1e-9)}

    assert all(
        r["ok"] for r in compare_with_manual(TwoLayerNet.from_parameters(params), params, X, Y)
    )
    monkeypatch.setattr(manual, "backward_propagation", off)
    rows = compare_with_manual(TwoLayerNet.from_parameters(params), params, X, Y)
    assert [r["name"] for r in rows if not r["ok"]] == ["dW1"]


@settings(max_examples=15)
@given(tutorial_case(max_m=8))
def test_gradcheck_on_the_cost_wrt_every_parameter(case: Any) -> None:
    params, X, Y = case
    tensors = [Tensor(params[name], requires_grad=True) for name in NAMES]

    def cost(W1: Tensor, b1: Tensor, W2: Tensor, b2: Tensor) -> Tensor:
        return F.binary_cross_entropy(two_layer_forward(Tensor(X), W1, b1, W2, b2), Y)

    assert gradcheck(cost, *tensors, atol=1e-7, rtol=1e-5)


def test_forward_uses_the_module_parameters() -> None:
    params, X = manual.initialize_parameters(3, 2, 1, seed=5), np.arange(6.0).reshape(3, 2)
    net = TwoLayerNet.from_parameters(params)
    np.testing.assert_allclose(
        net(X).data, manual.forward_propagation(X, params)[0], rtol=1e-14, atol=0
    )


# ---------------------------------------------------------------------- training


@given(
    tutorial_case(),
    st.integers(1, 20),
    st.floats(0.01, 1.2),
)
def test_training_side_by_side_stays_equal(case: Any, k: int, lr: float) -> None:
    params, X, Y = case
    net = TwoLayerNet.from_parameters(params)
    opt = optim.SGD(net.parameters(), lr=lr)
    ref = {name: value.copy() for name, value in params.items()}
    for _ in range(k):
        opt.zero_grad()
        net.cost(X, Y).backward()
        opt.step()
        A2, cache = manual.forward_propagation(X, ref)
        ref = manual.update_parameters(ref, manual.backward_propagation(ref, cache, X, Y), lr)
        for name in NAMES:
            np.testing.assert_allclose(getattr(net, name).data, ref[name], rtol=0, atol=1e-9)


@given(tutorial_case())
def test_a_plain_sgd_step_is_update_parameters_bit_for_bit(case: Any) -> None:
    params, X, Y = case
    A2, cache = manual.forward_propagation(X, params)
    grads = manual.backward_propagation(params, cache, X, Y)
    net = TwoLayerNet.from_parameters(params)
    for name in NAMES:
        getattr(net, name).grad = Tensor(grads["d" + name])
    optim.SGD(net.parameters(), lr=1.2).step()
    expected = manual.update_parameters(params, grads, learning_rate=1.2)
    for name in NAMES:
        np.testing.assert_array_equal(getattr(net, name).data, expected[name])


def test_training_on_the_flower_follows_nn_model() -> None:
    X, Y = load_planar_dataset()
    _, costs = manual.nn_model(X, Y, n_h=4, num_iterations=60, learning_rate=1.2)
    net = TwoLayerNet(2, 4, 1)
    opt = optim.SGD(net.parameters(), lr=1.2)
    ours = []
    for _ in range(60):
        opt.zero_grad()
        cost = net.cost(X, Y)
        ours.append(cost.item())
        cost.backward()
        opt.step()
    assert round(ours[0], 6) == 0.693048  # the tutorial's "Cost after iteration 0"
    np.testing.assert_allclose(ours, costs, rtol=1e-10, atol=0)


# ---------------------------------------------------------------------- predict and formats


@given(tutorial_case())
def test_predict_equals_the_reference(case: Any) -> None:
    params, X, _ = case
    net = TwoLayerNet.from_parameters(params)
    labels = net.predict(X)
    assert isinstance(labels, np.ndarray) and labels.dtype == np.float64
    A2 = manual.forward_propagation(X, params)[0]
    # Both sides threshold A2 at 0.5; decide only where A2 is not within rounding of it.
    clear = np.abs(A2 - 0.5) > 1e-12
    np.testing.assert_array_equal(labels[clear], manual.predict(params, X)[clear])
    assert all(p.grad is None for p in net.parameters())


def test_predict_builds_no_graph() -> None:
    net = TwoLayerNet(2)
    labels = net.predict(np.zeros((2, 3)))
    assert labels.shape == (1, 3)
    assert set(np.unique(labels)) <= {0.0, 1.0}


def test_parameters_round_trip_as_copies() -> None:
    params = manual.initialize_parameters(3, 5, 2, seed=7)
    net = TwoLayerNet.from_parameters(params)
    assert (net.n_x, net.n_h, net.n_y) == (3, 5, 2)
    out = net.to_parameters()
    assert list(out) == list(NAMES)
    for name in NAMES:
        np.testing.assert_array_equal(out[name], params[name])
        assert not np.shares_memory(out[name], getattr(net, name).data)
        assert not np.shares_memory(params[name], getattr(net, name).data)
    out["W1"][0, 0] = 99.0
    assert net.W1.data[0, 0] != 99.0


def test_from_parameters_reports_bad_shapes() -> None:
    params = manual.initialize_parameters(2, 4, 1)
    bad = dict(params, b1=np.zeros((3, 1)))
    with pytest.raises(ValueError, match=r"b1: shape \(3, 1\)"):
        TwoLayerNet.from_parameters(bad)
    with pytest.raises(ValueError, match="missing"):
        TwoLayerNet.from_parameters({"W1": params["W1"]})


def test_shape_errors_name_the_shapes() -> None:
    net = TwoLayerNet(2, 4, 1)
    with pytest.raises(ValueError, match=r"\(2, m\).*\(3, 5\).*3 rows.*n_x = 2"):
        net(np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"got shape \(5,\)"):
        net(np.zeros(5))
    with pytest.raises(ValueError, match=r"Y must have shape \(n_y, m\) = \(1, 5\).*\(5,\)"):
        net.cost(np.zeros((2, 5)), np.zeros(5))
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        net.cost(np.zeros((2, 2)), np.array([[0.0, 2.0]]))
    with pytest.raises(ValueError, match="n_h must be >= 1, got 0"):
        TwoLayerNet(2, 0)
    with pytest.raises(TypeError, match="n_x must be an int"):
        TwoLayerNet(2.0)  # type: ignore[arg-type]


def test_repr_shows_the_sizes() -> None:
    assert repr(TwoLayerNet(2, 4, 1)) == "TwoLayerNet(n_x=2, n_h=4, n_y=1)"


# ---------------------------------------------------------------------- the Sequential twin


def test_make_sequential_structure() -> None:
    seq = make_sequential(2, 4, 1, seed=0)
    assert [type(m).__name__ for m in seq] == ["Linear", "Tanh", "Linear", "Sigmoid"]
    assert [(n, tuple(p.shape)) for n, p in seq.named_parameters()] == [
        ("0.weight", (4, 2)),
        ("0.bias", (4,)),
        ("2.weight", (1, 4)),
        ("2.bias", (1,)),
    ]
    again = make_sequential(2, 4, 1, seed=0)
    for a, b in zip(seq.parameters(), again.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)
    # The two layers are drawn from one generator, not from two copies of it.
    assert not np.array_equal(seq[0].weight.data[:1, :1], seq[2].weight.data[:1, :1])


@given(tutorial_case())
def test_sequential_and_two_layer_agree(case: Any) -> None:
    params, X, Y = case
    net = TwoLayerNet.from_parameters(params)
    seq = sequential_from_two_layer(net)
    cost = net.cost(X, Y)
    cost.backward()
    seq_cost = F.binary_cross_entropy(seq(X.T), Y.T)
    seq_cost.backward()
    np.testing.assert_allclose(seq_cost.item(), cost.item(), rtol=1e-12, atol=0)
    # Batch-first vs column layout: the same products, summed in another order.
    seq_grads = parameters_from_sequential_state(
        {name: p.grad for name, p in seq.named_parameters()}  # type: ignore[misc]
    )
    m = X.shape[1]
    assert_grads_close(seq_grads, autograd_grads(net), rtol=1e-10, atol=16 * (m + 4) * EPS)
    np.testing.assert_allclose(seq(X.T).data.T, net(X).data, rtol=1e-13, atol=0)


def test_weight_mappings_are_inverse() -> None:
    params = manual.initialize_parameters(3, 5, 1, seed=4)
    params["b1"] = np.arange(5.0).reshape(5, 1)
    state = sequential_state_from_parameters(params)
    assert state["0.bias"].shape == (5,) and state["2.bias"].shape == (1,)
    back = parameters_from_sequential_state(state)
    for name in NAMES:
        np.testing.assert_array_equal(back[name], params[name])
    seq = make_sequential(3, 5, 1, seed=1)
    seq.load_state_dict(state)
    net = two_layer_from_sequential(seq)
    for name in NAMES:
        np.testing.assert_array_equal(getattr(net, name).data, params[name])
