"""The functional API: grad, value_and_grad, vjp, jvp, jacobian, hessian, hvp, functional_call."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn
from tinygrad_lite.func import (
    functional_call,
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    value_and_grad,
    vjp,
)
from tinygrad_lite.gradcheck import gradcheck, numerical_grad

vectors = hnp.arrays(np.float64, st.integers(1, 4), elements=st.floats(-2, 2))


def f(x: Tensor) -> Tensor:
    return (x.tanh() * x.exp()).sum() + (x * x * x).sum() / 3


def f_np(a: np.ndarray) -> float:
    return float(np.sum(np.tanh(a) * np.exp(a)) + np.sum(a**3) / 3)


def _grad_np(fun, a: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    x = a.copy()
    return numerical_grad(lambda: fun(x), x, eps)


@given(vectors)
def test_grad_equals_finite_differences(a: np.ndarray) -> None:
    g = grad(f)(Tensor(a))
    np.testing.assert_allclose(g.data, _grad_np(f_np, a), rtol=1e-6, atol=1e-7)
    assert not g.requires_grad


@given(vectors)
def test_grad_of_grad_is_the_second_derivative(a: np.ndarray) -> None:
    def second(x: Tensor) -> Tensor:  # Σ d²/dx² of each element's term
        return grad(f)(x).sum()

    g2 = grad(second)(Tensor(a))
    t, e = np.tanh(a), np.exp(a)  # (tanh·exp)'' = (−2t(1−t²) + 2(1−t²) + t)·e; (x³/3)'' = 2x
    d2 = -2 * t * (1 - t * t) * e + 2 * (1 - t * t) * e + t * e + 2 * a
    np.testing.assert_allclose(g2.data, d2, rtol=1e-10, atol=1e-12)


def test_value_and_grad_and_argnums() -> None:
    def g(x: Tensor, y: Tensor) -> Tensor:
        return (x * y * y).sum()

    x, y = Tensor([1.0, 2.0]), Tensor([3.0, 4.0])
    value, (gx, gy) = value_and_grad(g, argnums=(0, 1))(x, y)
    assert value.item() == 1 * 9 + 2 * 16
    np.testing.assert_array_equal(gx.data, [9.0, 16.0])
    np.testing.assert_array_equal(gy.data, [6.0, 16.0])
    np.testing.assert_array_equal(grad(g, argnums=-1)(x, y).data, [6.0, 16.0])
    with pytest.raises(ValueError, match="argnums 2 is out of range for 2 arguments"):
        grad(g, argnums=2)(x, y)
    with pytest.raises(ValueError, match="one number"):
        grad(lambda x: x * 2)(x)


def test_grad_of_an_unused_argument_is_zero() -> None:
    g = grad(lambda x, y: (x * 2).sum(), argnums=1)(Tensor([1.0]), Tensor([5.0, 6.0]))
    np.testing.assert_array_equal(g.data, [0.0, 0.0])


@given(vectors, st.integers(0, 2**31 - 1))
def test_vjp_jvp_and_jacobian_agree(a: np.ndarray, seed: int) -> None:
    rng = np.random.default_rng(seed)

    def fv(x: Tensor) -> Tensor:
        return (x.sigmoid() * x).softmax(dim=0) * x.sum()

    J = jacobian(fv)(Tensor(a)).data
    assert J.shape == (a.size, a.size)
    # the Jacobian, column by column, against finite differences
    eps = 1e-6
    J_fd = np.stack(
        [
            (fv(Tensor(a + eps * e)).data - fv(Tensor(a - eps * e)).data) / (2 * eps)
            for e in np.eye(a.size)
        ],
        axis=1,
    )
    np.testing.assert_allclose(J, J_fd, rtol=1e-5, atol=1e-7)
    u, v = rng.standard_normal(a.size), rng.standard_normal(a.size)
    out, pullback = vjp(fv, Tensor(a))
    (ut_j,) = pullback(Tensor(u))
    np.testing.assert_allclose(ut_j.data, u @ J, rtol=1e-10, atol=1e-12)
    out2, jv = jvp(fv, [Tensor(a)], [Tensor(v)])
    np.testing.assert_allclose(jv.data, J @ v, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(out.data, out2.data)


@settings(deadline=None)
@given(vectors, st.integers(0, 2**31 - 1))
def test_hessian_and_hvp(a: np.ndarray, seed: int) -> None:
    H = hessian(f)(Tensor(a)).data
    t, e = np.tanh(a), np.exp(a)
    diag = -2 * t * (1 - t * t) * e + 2 * (1 - t * t) * e + t * e + 2 * a
    np.testing.assert_allclose(H, np.diag(diag), rtol=1e-10, atol=1e-12)  # f is separable
    v = np.random.default_rng(seed).standard_normal(a.size)
    value, hv = hvp(f, Tensor(a), Tensor(v))
    np.testing.assert_allclose(hv.data, H @ v, rtol=1e-10, atol=1e-12)
    assert value.item() == pytest.approx(f_np(a), rel=1e-12)


def test_hessian_of_a_coupled_function_is_symmetric_and_right() -> None:
    def g(x: Tensor) -> Tensor:
        return x[0] * x[0] * x[1] + (x[1] * x[2]).exp()

    a = np.array([1.0, 0.5, -0.3])
    H = hessian(g)(Tensor(a)).data
    x0, x1, x2 = a
    e = np.exp(x1 * x2)
    expected = np.array(
        [
            [2 * x1, 2 * x0, 0.0],
            [2 * x0, x2 * x2 * e, e + x1 * x2 * e],
            [0.0, e + x1 * x2 * e, x1 * x1 * e],
        ]
    )
    np.testing.assert_allclose(H, expected, rtol=1e-12)


def test_functional_call_differentiates_a_module_by_its_parameters() -> None:
    net = nn.Sequential(nn.Linear(3, 4, seed=0), nn.Tanh(), nn.Linear(4, 1, seed=1))
    x = tg.randn(5, 3, seed=2)
    names = [n for n, _ in net.named_parameters()]
    params = [p.detach().clone() for _, p in net.named_parameters()]
    for p in params:
        p.requires_grad_()
    before = [p.data.copy() for p in net.parameters()]

    def loss(*ps: Tensor) -> Tensor:
        return functional_call(net, dict(zip(names, ps, strict=True)), x).tanh().sum()

    assert gradcheck(loss, *params)
    for p, b in zip(net.parameters(), before, strict=True):  # the module is unchanged
        np.testing.assert_array_equal(p.data, b)
        assert isinstance(p, nn.Parameter) and p.grad is None
    assert isinstance(net[0].weight, nn.Parameter)


def test_functional_call_refuses_unknown_names_and_wrong_shapes() -> None:
    net = nn.Linear(2, 1)
    x = Tensor(np.ones((1, 2)))
    with pytest.raises(KeyError, match="has no parameter 'weights'"):
        functional_call(net, {"weights": Tensor(np.ones((1, 2)))}, x)
    with pytest.raises(ValueError, match="'weight' has shape \\(1, 2\\)"):
        functional_call(net, {"weight": Tensor(np.ones((2, 1)))}, x)
    assert isinstance(net.weight, nn.Parameter)


def test_functional_call_restores_the_parameters_after_an_error() -> None:
    net = nn.Linear(2, 1)
    w = net.weight
    with pytest.raises(ValueError, match="last dimension must be 2"):
        functional_call(net, {"weight": Tensor(np.ones((1, 2)))}, Tensor(np.ones((1, 3))))
    assert net.weight is w


def test_the_variable_is_the_argument_alone_not_its_other_uses() -> None:
    # "Perturbation confusion": x is both the argument and a constant of the function.
    x = Tensor([1.0, -2.0, 3.0])
    inner = grad(lambda x: grad(lambda y: (x * y).sum())(x).sum())
    assert inner(x).data.tolist() == [1.0, 1.0, 1.0]  # d/dx sum(x), not d/dx sum(2x)
    w = Tensor([-3.0, -1.0, 1.5], requires_grad=True)  # a parameter, also used by a closure
    assert grad(lambda v: (v * w).sum())(w).data.tolist() == [-3.0, -1.0, 1.5]
    a = Tensor([1.0, -2.0, 3.0], requires_grad=True)  # the same tensor as two arguments
    da, db = grad(lambda a, b: (a * a * b).sum(), argnums=(0, 1))(a, a)
    assert da.data.tolist() == [2.0, 8.0, 18.0] and db.data.tolist() == [1.0, 4.0, 9.0]
    (g,) = vjp(lambda v: v * w, w)[1](Tensor(np.ones(3)))
    assert g.data.tolist() == [-3.0, -1.0, 1.5]


def test_the_transforms_differentiate_inside_no_grad() -> None:
    x = Tensor([1.0, 2.0])
    with tg.no_grad():
        assert grad(lambda x: (x * x).sum())(x).data.tolist() == [2.0, 4.0]
        assert jacobian(lambda x: x * x)(x).data.tolist() == [[2.0, 0.0], [0.0, 4.0]]
        assert hvp(lambda x: (x * x * x).sum(), x, Tensor([1.0, 1.0]))[1].data.tolist() == [
            6.0,
            12.0,
        ]
        assert jvp(lambda x: x * x, [x], [Tensor([1.0, 0.0])])[1].data.tolist() == [2.0, 0.0]
        assert not tg.is_grad_enabled()


def test_functional_call_takes_torch_funcs_arguments() -> None:
    # As torch.func.functional_call: args is a tuple (spread) or one value, kwargs a dict, and
    # the parameters may come as several dicts with different names.
    class Affine(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(np.ones((1, 2)))
            self.b = nn.Parameter(np.zeros((1, 1)))

        def forward(self, x: Tensor, y: Tensor, scale: float = 1.0) -> Tensor:
            return (x @ self.w.T + self.b + y) * scale

    net = Affine()
    x, y = Tensor(np.array([[1.0, 2.0]])), Tensor(np.array([[10.0]]))
    w, b = Tensor(np.array([[2.0, 3.0]])), Tensor(np.array([[0.5]]))
    out = functional_call(net, ({"w": w}, {"b": b}), (x, y), {"scale": 2.0})
    np.testing.assert_array_equal(out.data, [[(2 + 6 + 0.5 + 10) * 2]])
    one = functional_call(nn.Linear(2, 1), {"weight": w}, x)  # a single value: the only arg
    assert one.shape == (1, 1)
    with pytest.raises(ValueError, match=r"\['w'\] given in more than one dict"):
        functional_call(net, ({"w": w}, {"w": w}), (x, y))
    with pytest.raises(RuntimeError, match="Missing key\\(s\\): 'b'"):
        functional_call(net, {"w": w}, (x, y), strict=True)
    with pytest.raises(NotImplementedError, match="tie_weights=False"):
        functional_call(net, {"w": w}, (x, y), tie_weights=False)
