"""Gradients of gradients: create_graph, closed forms to third order, the tutorial's Hessian."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from models import manual
from models.two_layer import TwoLayerNet, two_layer_logits
from tinygrad_lite import Tensor
from tinygrad_lite.datasets import load_planar_dataset
from tinygrad_lite.func import hessian
from tinygrad_lite.functional import binary_cross_entropy_with_logits

xs = st.floats(-3, 3, allow_nan=False)


def derivatives(f, x: float, order: int) -> list[float]:
    """f(x) and its first `order` derivatives at x, each by differentiating the previous one."""
    t = Tensor(x, requires_grad=True)
    value = f(t)
    out = [value.item()]
    for k in range(order):
        (value,) = tg.grad(value, t, create_graph=k < order - 1)
        out.append(value.item())
    return out


@given(xs)
def test_tanh_to_third_order_matches_the_closed_forms(x: float) -> None:
    t = np.tanh(x)
    d1 = 1 - t**2
    d2 = -2 * t * d1
    d3 = -2 * d1 * d1 + 4 * t * t * d1
    got = derivatives(lambda v: v.tanh(), x, 3)
    np.testing.assert_allclose(got, [t, d1, d2, d3], rtol=1e-12, atol=1e-14)


@given(xs)
def test_sigmoid_to_third_order_matches_the_closed_forms(x: float) -> None:
    s = 1 / (1 + np.exp(-x))
    d1 = s * (1 - s)
    d2 = d1 * (1 - 2 * s)
    d3 = d1 * (1 - 6 * s + 6 * s * s)
    got = derivatives(lambda v: v.sigmoid(), x, 3)
    np.testing.assert_allclose(got, [s, d1, d2, d3], rtol=1e-12, atol=1e-14)


def test_backward_create_graph_fills_grads_that_carry_a_graph() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    g = x.grad
    assert g is not None and g.requires_grad and g.grad_fn is not None
    x.grad = None
    g.sum().backward()  # d/dx Σ 3x² = 6x
    np.testing.assert_allclose(x.grad.data, [6.0, 12.0])


def test_a_backward_that_saved_a_derived_float_array_is_refused_to_second_order() -> None:
    class SavesADerivedArray(tg.Function):
        @staticmethod
        def forward(ctx, x):
            s = 1 / (1 + np.exp(-x))
            ctx.save_for_backward(s * (1 - s))
            return s

        @staticmethod
        def backward(ctx, grad):
            (d,) = ctx.saved
            return (grad * d,)

    x = Tensor([0.5], requires_grad=True)
    y = SavesADerivedArray.apply(x).sum()
    with pytest.raises(RuntimeError, match="create_graph=True needs the backward to depend only"):
        tg.grad(y, x, create_graph=True)
    (g,) = tg.grad(SavesADerivedArray.apply(x).sum(), x)  # first order works as before
    assert g.shape == (1,)


def _flat_cost(net: TwoLayerNet, X: Tensor, Y: Tensor):
    """The tutorial's cost as a function of one flat vector of all the parameters."""
    names = [n for n, _ in net.named_parameters()]
    shapes = [p.shape for _, p in net.named_parameters()]
    sizes = [int(np.prod(s)) for s in shapes]

    def cost(theta: Tensor) -> Tensor:
        params, start = {}, 0
        for name, shape, size in zip(names, shapes, sizes, strict=True):
            params[name] = theta[start : start + size].reshape(shape)
            start += size
        logits = two_layer_logits(X, params["W1"], params["b1"], params["W2"], params["b2"])
        return binary_cross_entropy_with_logits(logits, Y)

    return cost, names, shapes, sizes


@pytest.mark.parametrize("n_h", [1, 4])
def test_hessian_of_the_tutorials_cost_matches_differences_of_the_hand_derived_gradients(
    n_h: int,
) -> None:
    X, Y = load_planar_dataset()
    X, Y = X[:, :60], Y[:, :60]
    net = TwoLayerNet(n_x=2, n_h=n_h, n_y=1, seed=5)
    cost, names, shapes, sizes = _flat_cost(net, Tensor(X), Tensor(Y.astype(np.float64)))
    theta0 = np.concatenate([p.data.ravel() for _, p in net.named_parameters()])
    assert theta0.size == n_h * 2 + n_h + n_h + 1  # 4·n_x+4+4+1 = 17 parameters at n_h = 4
    H = hessian(cost)(Tensor(theta0)).data
    assert H.shape == (theta0.size, theta0.size)

    def manual_grad(theta: np.ndarray) -> np.ndarray:
        params, start = {}, 0
        for name, shape, size in zip(names, shapes, sizes, strict=True):
            params[name] = theta[start : start + size].reshape(shape)
            start += size
        A2, cache = manual.forward_propagation(X, params)
        grads = manual.backward_propagation(params, cache, X, Y)
        return np.concatenate([grads["d" + n].ravel() for n in names])

    h = 1e-5
    H_fd = np.empty_like(H)
    for j in range(theta0.size):
        e = np.zeros_like(theta0)
        e[j] = h
        H_fd[:, j] = (manual_grad(theta0 + e) - manual_grad(theta0 - e)) / (2 * h)
    np.testing.assert_allclose(H, H.T, rtol=0, atol=1e-14)  # exactly symmetric up to rounding
    np.testing.assert_allclose(H, H_fd, rtol=1e-6, atol=1e-8 * np.abs(H).max())


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000))
def test_second_derivatives_of_random_programs_match_finite_differences_of_gradients(
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    a = Tensor(rng.uniform(0.5, 1.5, (3,)), requires_grad=True)
    b = Tensor(rng.uniform(-1, 1, (2, 3)), requires_grad=True)
    ops = [
        lambda u, v: (v * u).tanh(),
        lambda u, v: (v @ u.reshape(3, 1)).sigmoid() * v,
        lambda u, v: (u.log() * v).softmax(dim=1),
        lambda u, v: (v - u).abs().sqrt() + v.exp(),
        lambda u, v: (v / u).logsumexp(dim=0) * u.sum(),
    ]
    f = ops[seed % len(ops)]
    # sqrt(|v - u|) curves without bound as v - u → 0: there central differences of the
    # gradient lose their digits (two seeds in 10,001 come within 1e-4), so stay 1e-3 away.
    assume(seed % len(ops) != 3 or np.abs(b.data - a.data).min() > 1e-3)

    def g_of(u: np.ndarray) -> np.ndarray:
        t = Tensor(u, requires_grad=True)
        (g,) = tg.grad((f(t, b.detach()) ** 2).sum(), t)
        return g.data

    (g,) = tg.grad((f(a, b) ** 2).sum(), a, create_graph=True)
    w = rng.standard_normal(3)
    (h,) = tg.grad((g * Tensor(w)).sum(), a)  # H·w
    eps = 1e-6
    fd = (g_of(a.data + eps * w) - g_of(a.data - eps * w)) / (2 * eps)
    np.testing.assert_allclose(h.data, fd, rtol=1e-5, atol=1e-7)
