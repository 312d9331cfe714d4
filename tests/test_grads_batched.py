"""grad(..., is_grads_batched=True) against float64 finite-difference Jacobians and the loop."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite.gradcheck import numerical_grad


def _f(x: Tensor) -> Tensor:
    """A map R^n -> R^(n+1) whose Jacobian is dense."""
    return tg.cat([x.sin() * x.sum(), (x * x).sum().reshape(1)])


def _jacobian_fd(x: np.ndarray) -> np.ndarray:
    """The Jacobian of `_f` by central differences, row by row."""
    m = x.size + 1
    rows = []
    for j in range(m):
        at = x.copy()
        rows.append(numerical_grad(lambda at=at, j=j: float(_f(Tensor(at)).data[j]), at))
    return np.stack(rows)


@settings(max_examples=5, deadline=None)
@given(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=3))
def test_identity_batch_gives_the_jacobian(values: list[float]) -> None:
    x0 = np.array(values)
    x = Tensor(x0.copy(), requires_grad=True)
    (jac,) = tg.grad(_f(x), x, grad_outputs=tg.eye(x0.size + 1), is_grads_batched=True)
    assert jac.shape == (x0.size + 1, x0.size) and not jac.requires_grad
    np.testing.assert_allclose(jac.data, _jacobian_fd(x0), rtol=1e-6, atol=1e-7)


def test_each_row_is_the_unbatched_vector_jacobian_product() -> None:
    rng = np.random.default_rng(0)
    a, b = Tensor(rng.normal(size=(2, 3)), requires_grad=True), Tensor(rng.normal(size=3))
    b.requires_grad_()
    h = a * b  # an intermediate input
    outs = [(h.tanh() @ b).exp(), h.sum(0) * a[0]]
    v = [Tensor(rng.normal(size=(4, 2))), Tensor(rng.normal(size=(4, 3)))]
    got = tg.grad(outs, [a, b, h], v, retain_graph=True, is_grads_batched=True)
    for i in range(4):
        want = tg.grad(outs, [a, b, h], [v[0][i], v[1][i]], retain_graph=True)
        for g, w in zip(got, want, strict=True):
            assert g is not None and w is not None and g.shape == (4, *w.shape)
            np.testing.assert_allclose(g.data[i], w.data, rtol=1e-13, atol=1e-15)


def test_create_graph_results_differentiate_to_finite_differences() -> None:
    x0, v0, w = np.array([0.4, -0.7]), np.array([[1.0, 0.5, -2.0], [0.3, 2.0, 1.0]]), 1.5

    def vjps(x: Tensor, v: Tensor) -> Tensor:
        (g,) = tg.grad(_f(x), x, v, create_graph=True, is_grads_batched=True)
        return (g * g).sum() * w

    x, v = Tensor(x0.copy(), requires_grad=True), Tensor(v0.copy(), requires_grad=True)
    gx, gv = tg.grad(vjps(x, v), [x, v])
    fx = numerical_grad(lambda: float(vjps(Tensor(x0, requires_grad=True), Tensor(v0)).data), x0)
    fv = numerical_grad(lambda: float(vjps(Tensor(x0, requires_grad=True), Tensor(v0)).data), v0)
    np.testing.assert_allclose(gx.data, fx, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(gv.data, fv, rtol=1e-6, atol=1e-7)


def test_unused_inputs_none_or_zeros_of_the_inputs_own_shape() -> None:
    x, z = Tensor([1.0, 2.0], requires_grad=True), Tensor([[3.0]], requires_grad=True)
    v = tg.ones(3, 2)
    with pytest.raises(RuntimeError, match="input 1 .* was not used"):
        tg.grad(x * x, [x, z], v, is_grads_batched=True)
    g, none = tg.grad(x * x, [x, z], v, is_grads_batched=True, allow_unused=True)
    assert none is None and g is not None and g.tolist() == [[2.0, 4.0]] * 3
    for cg in (False, True):
        g, zero = tg.grad(x * x, [x, z], v, is_grads_batched=True, materialize_grads=True,
                          create_graph=cg)  # fmt: skip
        assert zero is not None and zero.shape == (1, 1) and not zero.data.any()
        assert zero.requires_grad is cg and g is not None and g.requires_grad is cg


def test_graph_is_released_after_the_last_row_unless_retained() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    tg.grad(y, x, tg.ones(3, 2), is_grads_batched=True, retain_graph=True)
    tg.grad(y, x, tg.ones(3, 2), is_grads_batched=True)
    with pytest.raises(RuntimeError, match="released"):
        tg.grad(y, x, tg.ones(1, 2), is_grads_batched=True)


def test_scalar_output_and_zero_dim_input() -> None:
    a = Tensor(2.0, requires_grad=True)
    (g,) = tg.grad(a * a * a, a, Tensor([1.0, -1.0, 0.5]), is_grads_batched=True)
    assert g.shape == (3,) and g.tolist() == [12.0, -12.0, 6.0]


def _x() -> Tensor:
    return Tensor([1.0, 2.0, 3.0], requires_grad=True)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda x: tg.grad((x * x).sum(), x, is_grads_batched=True), ValueError, "needs grad"),
        (lambda x: tg.grad([x.sum()], x, [None], is_grads_batched=True), ValueError, "None"),
        (lambda x: tg.grad(x * x, x, tg.ones(3), is_grads_batched=True), RuntimeError,
         r"grad_outputs\[0\] has shape \(3,\) and output 0 has shape \(3,\)"),
        (lambda x: tg.grad(x * x, x, tg.ones(2, 4), is_grads_batched=True), RuntimeError,
         r"\(2, 4\)"),
        (lambda x: tg.grad([x * x, x.sum()], x, [tg.ones(2, 3), tg.ones(3)],
                           is_grads_batched=True), ValueError, r"one batch size.*\[2, 3\]"),
        (lambda x: tg.grad(x * x, x, tg.ones(0, 3), is_grads_batched=True), ValueError,
         "at least one"),
        (lambda x: tg.grad(x * x, x, [tg.ones(1, 3)] * 2, is_grads_batched=True), ValueError,
         "1 outputs but 2 grad_outputs"),
        (lambda x: tg.grad(x * x, x, tg.ones(1, 3), is_grads_batched=True,
                           materialize_grads=True, allow_unused=False), ValueError,
         "allow_unused"),
        (lambda x: tg.grad(x * x, x, tg.ones(1, 3, dtype=np.float32), is_grads_batched=True),
         TypeError, "dtype"),
    ],
)  # fmt: skip
def test_bad_batches_are_refused_clearly(call: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        call(_x())
