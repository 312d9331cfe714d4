"""Gradients of intermediate tensors: retain_grad, register_hook, and grad() on non-leaves."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, hooks


def test_retain_grad_keeps_the_tutorials_intermediate_gradients() -> None:
    rng = np.random.default_rng(0)
    W1 = Tensor(rng.standard_normal((4, 2)), requires_grad=True)
    W2 = Tensor(rng.standard_normal((1, 4)), requires_grad=True)
    X = rng.standard_normal((2, 5))
    Z1 = W1 @ X
    A1 = Z1.tanh()
    Z2 = W2 @ A1
    for t in (Z1, A1, Z2):
        t.retain_grad()
    (Z2 * Z2).sum().backward()
    dZ2 = 2 * Z2.data
    np.testing.assert_allclose(Z2.grad.data, dZ2)
    np.testing.assert_allclose(A1.grad.data, W2.data.T @ dZ2)
    np.testing.assert_allclose(Z1.grad.data, (W2.data.T @ dZ2) * (1 - A1.data**2))
    np.testing.assert_allclose(W1.grad.data, Z1.grad.data @ X.T)
    # retain_grad on a leaf is a no-op; intermediate grads accumulate like leaves'
    W1.retain_grad()
    first = Z1.grad.data.copy()
    assert Z1.grad is not None and first.shape == Z1.shape


def test_a_hook_sees_the_gradient_and_may_replace_it() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    seen = []
    handle = y.register_hook(lambda g: seen.append(g.data.copy()))
    y.register_hook(lambda g: g * 10)  # replaces the gradient flowing on
    (y * y).sum().backward()
    np.testing.assert_array_equal(seen[0], 2 * y.data)
    np.testing.assert_array_equal(x.grad.data, 10 * 2 * y.data * 3)
    handle.remove()
    handle.remove()  # a second remove does nothing
    x.grad = None
    y2 = x * 3
    y2.register_hook(lambda g: g * 0)
    y2.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])


def test_a_hook_on_a_leaf_runs_before_its_gradient_is_stored() -> None:
    w = Tensor([1.0, -1.0], requires_grad=True)
    w.register_hook(lambda g: g.clamp(-0.5, 0.5))
    (w * 4).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [0.5, 0.5])


def test_hook_errors_are_named() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).register_hook(lambda g: g)
    with pytest.raises(TypeError, match="hook must be callable"):
        Tensor([1.0], requires_grad=True).register_hook(3)  # type: ignore[arg-type]
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: Tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="hook: must return None or a Tensor of shape"):
        y.sum().backward()


def test_the_hook_count_follows_tensors_that_die() -> None:
    before = hooks.count
    x = Tensor([1.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g)
    y.retain_grad()
    assert hooks.count == before + 2
    del y
    gc.collect()
    assert hooks.count == before


def test_grad_returns_gradients_of_intermediate_tensors_without_touching_grad() -> None:
    x = Tensor([0.5, 1.5], requires_grad=True)
    h = x.exp()
    out = (h * h).sum()
    gh, gx = tg.grad(out, [h, x])
    np.testing.assert_allclose(gh.data, 2 * h.data)
    np.testing.assert_allclose(gx.data, 2 * np.exp(2 * x.data))
    assert x.grad is None
    with pytest.raises(RuntimeError, match="was not used to compute the outputs"):
        tg.grad((x * 2).sum(), [Tensor([1.0], requires_grad=True)])
    (unused,) = tg.grad((x * 2).sum(), [Tensor([1.0], requires_grad=True)], allow_unused=True)
    assert unused is None


def test_retain_grad_keeps_the_gradient_after_the_other_hooks_whenever_registered() -> None:
    for retain_first in (True, False):
        x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = x * 2
        if retain_first:
            y.retain_grad()
        y.register_hook(lambda g: g * 100)
        if not retain_first:
            y.retain_grad()
        (y * y).sum().backward()
        assert y.grad.data.tolist() == [400.0, -800.0, 1200.0]  # 2y, then the hook's × 100
        assert x.grad.data.tolist() == [800.0, -1600.0, 2400.0]


@pytest.mark.parametrize("create_graph", [False, True])
def test_grad_runs_the_hooks_of_its_input_leaves(create_graph: bool) -> None:
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.data.tolist()) or g * 7)
    (g,) = tg.grad((x * x).sum(), [x], create_graph=create_graph)
    assert g.data.tolist() == [14.0, -28.0, 42.0] and seen == [[2.0, -4.0, 6.0]]
    assert x.grad is None  # grad() stores nothing
