"""DeepNet against the course's hand-derived L-layer network (models/manual_deep.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from models import manual_deep as manual
from models.deep import DeepNet
from tinygrad_lite import Tensor
from tinygrad_lite.rounding import Rounding
from tinygrad_lite.testing import assert_grads_close, rounding_of

# Values a safe distance from ReLU's kink: finite differences and rounding agree there.
RTOL = 1e-10


@st.composite
def problems(draw):
    n_layers = draw(st.integers(2, 5))
    dims = [draw(st.integers(1, 8)) for _ in range(n_layers)] + [1]
    m = draw(st.integers(1, 16))
    hidden = draw(st.sampled_from(["relu", "tanh"]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((dims[0], m))
    Y = (rng.random((1, m)) > 0.5).astype(np.float64)
    return dims, hidden, X, Y, seed


def _net(dims, hidden, seed) -> tuple[DeepNet, dict]:
    net = DeepNet(dims, hidden=hidden, init="he", seed=seed % 1000)
    params = {n: p.data.copy() for n, p in net.named_parameters()}
    return net, params


def _close(actual: np.ndarray, expected: np.ndarray) -> None:
    # relative to the whole array: a sum of near-cancelling terms may be tiny in one place
    scale = max(float(np.abs(expected).max()), 1e-300)
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=RTOL * scale)


def _times(r: Rounding, m: int) -> Rounding:
    """The rounding of m·g from that of g: one more rounding, m times the sizes."""
    return Rounding(r.magnitude * m, r.steps + 1, r.sensitivity * m, r.eps)


@settings(max_examples=60, deadline=None)
@given(problems())
def test_autograd_equals_L_model_backward_for_every_weight_and_intermediate(problem) -> None:
    dims, hidden, X, Y, seed = problem
    net, params = _net(dims, hidden, seed)
    m = X.shape[1]
    AL_ref, caches = manual.L_model_forward(X, params, hidden)
    grads = manual.L_model_backward(AL_ref, Y, caches)
    ZL, cache = net.forward_cache(X)
    for t in cache.values():
        if t.requires_grad:
            t.retain_grad()
    ZL.retain_grad()
    cost = tg.functional.binary_cross_entropy_with_logits(ZL, Y)
    # Each gradient is judged by the project's rule: within the rounding error its computation
    # can have (a bias gradient of one unit may cancel to 0.0 in one order and 3e-17 in another).
    L = len(dims) - 1
    named = {f"Z{L}": ZL, **{n: t for n, t in cache.items() if t.requires_grad}}
    named |= dict(net.named_parameters())
    rounding = rounding_of(cost, named)
    cost.backward()
    _close(net(X).data, AL_ref)
    # the course's 1 - A_L loses digits as A_L nears 1; compare with the cost from the logits
    z, y = ZL.data, Y
    exact = np.mean(y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z))
    assert cost.item() == pytest.approx(exact, rel=1e-12, abs=1e-15)
    course = manual.compute_cost(AL_ref, Y)
    p_true = float(np.min(np.where(y == 1, AL_ref, 1 - AL_ref)))  # the course rounds 1 - A_L
    assert abs(cost.item() - course) <= 1e-12 * abs(course) + 4 * 2.2e-16 / max(p_true, 1e-300)
    actual, expected = {}, {}
    for k in range(1, L + 1):
        for p in ("W", "b"):
            actual[f"{p}{k}"] = getattr(net, f"{p}{k}").grad.data
            expected[f"{p}{k}"] = grads[f"d{p}{k}"]
        # the course's dZ_l and dA_l are m times the gradients of J
        for p in ("Z", "A") if k < L else ("Z",):
            actual[f"{p}{k}"] = named[f"{p}{k}"].grad.data * m
            expected[f"{p}{k}"] = grads[f"d{p}{k}"]
            rounding[f"{p}{k}"] = _times(rounding[f"{p}{k}"], m)
    assert_grads_close(actual, expected, rounding=rounding)


def test_the_courses_published_forward_check() -> None:
    rs = np.random.RandomState(6)
    X = rs.randn(5, 4)
    params = {}
    for k, (a, b) in enumerate([(4, 5), (3, 4), (1, 3)], start=1):
        params[f"W{k}"] = rs.randn(a, b)
        params[f"b{k}"] = rs.randn(a, 1)
    net = DeepNet([5, 4, 3, 1])
    net.load_state_dict(params)
    AL = net(X).data
    published = np.array([[0.03921668, 0.70498921, 0.19734387, 0.04728177]])
    np.testing.assert_allclose(AL, published, atol=5e-9)  # the course prints 8 decimals


def test_initialisation_equals_the_courses() -> None:
    for init in ("small", "zeros", "random", "he"):
        net = DeepNet([2, 10, 5, 1], init=init, seed=3)
        ref = manual.initialize_parameters_deep([2, 10, 5, 1], init, 3)
        for name, p in net.named_parameters():
            np.testing.assert_array_equal(p.data, ref[name])


def test_several_outputs_use_softmax_and_cross_entropy_over_the_rows() -> None:
    net = DeepNet([2, 5, 3], hidden="tanh", init="he", seed=1)
    X = np.random.default_rng(0).standard_normal((2, 7))
    y = np.array([0, 2, 1, 1, 0, 2, 2])
    A = net(X).data
    np.testing.assert_allclose(A.sum(axis=0), 1.0)
    cost = net.cost(X, y)
    expected = -np.mean(np.log(A[y, np.arange(7)]))
    assert cost.item() == pytest.approx(expected, rel=1e-12)
    Z, _ = net.forward_cache(X)
    (dZ,) = tg.grad(tg.functional.cross_entropy(Z, y, dim=0), Z)
    onehot = np.eye(3)[:, y]
    np.testing.assert_allclose(dZ.data, (A - onehot) / 7, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(net.predict(X), A.argmax(axis=0))


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="layer_dims must be at least two sizes"):
        DeepNet([3])
    with pytest.raises(ValueError, match="hidden must be one of"):
        DeepNet([2, 1], hidden="gelu")
    with pytest.raises(ValueError, match="init must be one of"):
        DeepNet([2, 1], init="xavier")
    with pytest.raises(ValueError, match=r"X must have shape \(n_x, m\) = \(2, m\)"):
        DeepNet([2, 1])(np.ones((3, 4)))


def test_dropout_on_hidden_layers_only_while_training() -> None:
    net = DeepNet([3, 50, 1], keep_prob=0.5, generator=0)
    X = Tensor(np.ones((3, 4)))
    _, cache = net.forward_cache(X)
    assert (cache["A1"].data == 0).mean() > 0.2
    net.eval()
    _, cache = net.forward_cache(X)
    assert (cache["A1"].data == np.maximum(cache["Z1"].data, 0)).all()
