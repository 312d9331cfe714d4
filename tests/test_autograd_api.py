"""tinygrad_lite.autograd's PyTorch names: backward of several tensors and autograd.functional.

Checked against float64 central differences and closed forms (no torch needed).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import autograd, autograd_fn
from tinygrad_lite.finite_diff import numerical_grad
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck

shapes = st.sampled_from([(1,), (3,), (2, 2)])
seeds = st.integers(0, 2**16)


def _x(shape, seed, offset=0.0):
    return np.random.default_rng(seed).standard_normal(shape) + offset


def _numeric_jacobian(f, arrays, k):
    """∂f/∂arrays[k] by central differences, shape f.shape + arrays[k].shape."""
    out = f(*[tg.tensor(a) for a in arrays]).data
    cols = []
    for j in range(out.size):

        def value(j=j):
            return float(f(*[tg.tensor(a) for a in arrays]).data.reshape(-1)[j])

        cols.append(numerical_grad(value, arrays[k]))
    return np.stack(cols).reshape(out.shape + arrays[k].shape)


def test_import_paths():
    import tinygrad_lite.autograd.functional as functional
    from tinygrad_lite.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp  # noqa: F401

    assert functional is autograd_fn is autograd.functional
    assert autograd.grad is tg.grad
    # PyTorch's calls: (func, inputs) with inputs a tuple, a list or one tensor; the library's
    # checks underneath, which also say no to a wrong gradient.
    x = tg.tensor([0.3, -1.2], dtype=tg.float64, requires_grad=True)
    y = tg.tensor([2.0, 0.7], dtype=tg.float64, requires_grad=True)
    assert autograd.gradcheck(lambda a, b: (a * b).sin(), (x, y))
    assert autograd.gradcheck(lambda a: a.tanh(), x) and gradcheck(lambda a: a.tanh(), x)
    assert autograd.gradgradcheck(lambda a, b: (a * b).sin(), [x, y])
    assert gradgradcheck(lambda a, b: (a * b).sin(), x, y)
    with pytest.raises(NotImplementedError, match="grad_outputs is not supported"):
        autograd.gradgradcheck(lambda a: a * a, (x,), (tg.ones(2),))
    with pytest.raises(TypeError):
        autograd.gradcheck(lambda a, b: a * b, x, y)  # PyTorch's inputs are one argument
    assert set(autograd_fn.__all__) == {"vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"}


@settings(max_examples=8)
@given(shapes, shapes, seeds)
def test_jacobian_against_finite_differences(sx, sy, seed):
    x, y = _x(sx, seed), _x(sy, seed + 1)

    def f(a, b):
        return (a.tanh().reshape(-1, 1) * b.exp().reshape(1, -1)).sum(1)

    def g(a, b):
        return a.sum() * b

    jac = autograd_fn.jacobian(lambda a, b: (f(a, b), g(a, b)), (tg.tensor(x), tg.tensor(y)))
    for i, fn in enumerate((f, g)):
        for k in range(2):
            np.testing.assert_allclose(
                jac[i][k].data, _numeric_jacobian(fn, [x, y], k), rtol=1e-6, atol=1e-8
            )
            assert not jac[i][k].requires_grad


@settings(max_examples=6)
@given(shapes, seeds)
def test_hessian_hvp_vhp_closed_forms(shape, seed):
    x, v = _x(shape, seed), _x(shape, seed + 1)
    f = lambda t: (t * t * t).sum()  # noqa: E731 - H = diag(6x)
    eye = np.eye(x.size).reshape(shape + shape)
    h = autograd_fn.hessian(f, tg.tensor(x))
    np.testing.assert_allclose(h.data, eye * 6.0 * x.reshape(shape + (1,) * len(shape)))
    for fn in (autograd_fn.hvp, autograd_fn.vhp):
        value, hv = fn(f, tg.tensor(x), tg.tensor(v))
        np.testing.assert_allclose(value.data, np.sum(x**3))
        np.testing.assert_allclose(hv.data, 6.0 * x * v)


def test_hessian_of_two_inputs_is_a_tuple_of_tuples():
    x, y = _x(3, 0), _x(3, 1)
    h = autograd_fn.hessian(lambda a, b: (a * a * b).sum(), (tg.tensor(x), tg.tensor(y)))
    np.testing.assert_allclose(h[0][0].data, np.diag(2 * y))
    np.testing.assert_allclose(h[0][1].data, np.diag(2 * x))
    np.testing.assert_allclose(h[1][0].data, np.diag(2 * x))
    np.testing.assert_allclose(h[1][1].data, np.zeros((3, 3)))


@settings(max_examples=6)
@given(shapes, seeds)
def test_vjp_and_jvp_are_adjoint(shape, seed):
    x, w = _x(shape, seed), _x(shape, seed + 1)
    f = lambda t: (t.sin() * 2.0, (t * t).sum())  # noqa: E731
    u = (tg.tensor(_x(shape, seed + 2)), tg.tensor(1.5))
    _, uj = autograd_fn.vjp(f, tg.tensor(x), u)
    _, jw = autograd_fn.jvp(f, tg.tensor(x), tg.tensor(w))
    lhs = float(np.sum(uj.data * w))
    rhs = sum(float(np.sum(a.data * b.data)) for a, b in zip(u, jw, strict=True))
    assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-12)


def test_create_graph_results_can_be_differentiated():
    x = _x(3, 4)
    xt = tg.tensor(x, requires_grad=True)
    jac = autograd_fn.jacobian(lambda t: t * t * t, xt, create_graph=True)
    assert jac.requires_grad
    (g,) = tg.grad(jac.sum(), xt)
    np.testing.assert_allclose(g.data, 6.0 * x)  # d/dx Σ diag(3x²)
    _, hv = autograd_fn.hvp(lambda t: (t**4).sum(), xt, tg.ones(3), create_graph=True)
    (g2,) = tg.grad(hv.sum(), xt)
    np.testing.assert_allclose(g2.data, 24.0 * x)
    plain = autograd_fn.jacobian(lambda t: t * t, xt)
    assert not plain.requires_grad and xt.grad is None


def test_unused_inputs_give_zeros_and_strict_refuses():
    x, y = tg.tensor(_x(2, 0)), tg.tensor(_x(3, 1))
    jac = autograd_fn.jacobian(lambda a, b: a * 2.0, (x, y))
    np.testing.assert_array_equal(jac[1].data, np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is indep"):
        autograd_fn.jacobian(lambda a, b: a * 2.0, (x, y), strict=True)
    with pytest.raises(RuntimeError, match="does not require gradients"):
        autograd_fn.vjp(lambda a: a.detach(), x, tg.ones(2), strict=True)
    with pytest.raises(RuntimeError, match="twice differentiable"):
        autograd_fn.hessian(lambda a: a.sum(), x, strict=True)


def test_bad_arguments_are_refused():
    x = tg.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="v has invalid size: should be"):
        autograd_fn.vjp(lambda t: t * t, x, tg.ones(3))
    with pytest.raises(RuntimeError, match="v can only be None"):
        autograd_fn.jvp(lambda t: t * t, x)
    with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
        autograd_fn.jacobian(lambda t: t, [x])
    with pytest.raises(RuntimeError, match="floating point"):
        autograd_fn.jacobian(lambda t: t * 2, tg.tensor([1, 2]))
    with pytest.raises(ValueError, match="reverse-mode"):
        autograd_fn.jacobian(lambda t: t, x, strategy="sideways")
    with pytest.raises(NotImplementedError, match="vectorize=True"):
        autograd_fn.jacobian(lambda t: t, x, strategy="forward-mode")
    with pytest.raises(RuntimeError, match="single element"):
        autograd_fn.hessian(lambda t: t * t, x)


def test_backward_of_several_tensors_sums_their_gradients():
    x0, v = _x(3, 5), _x(3, 6)

    def total(a):  # Σᵢ vᵢᵀ yᵢ for the three roots below
        s = tg.tensor(v)
        return ((a * a).sum() + (a.exp() * s).sum() + (a.sum() * a * s).sum()).item()

    x = tg.tensor(x0.copy(), requires_grad=True)
    shared = x * 1.0  # one node behind all three roots
    roots = [(shared * shared).sum(), shared.exp(), shared.sum() * shared]
    autograd.backward(roots, [None, tg.tensor(v), tg.tensor(v)])
    arr = x0.copy()
    numeric = numerical_grad(lambda: total(tg.tensor(arr)), arr)
    np.testing.assert_allclose(x.grad.data, numeric, rtol=1e-6, atol=1e-8)
    with pytest.raises(RuntimeError, match="released"):
        roots[0].backward()  # one pass released the graph once for all roots


def test_backward_inputs_and_single_tensor():
    x, y = tg.tensor([1.0, 2.0], requires_grad=True), tg.tensor([3.0, 4.0], requires_grad=True)
    autograd.backward([(x * y).sum(), (y * y).sum()], inputs=[x])
    np.testing.assert_array_equal(x.grad.data, [3.0, 4.0])
    assert y.grad is None
    autograd.backward((x * x).sum())
    np.testing.assert_array_equal(x.grad.data, [5.0, 8.0])  # accumulated
    autograd.backward([])  # nothing to do, as in PyTorch


def test_backward_errors():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"got 2 tensors and 1 gradients"):
        autograd.backward([x.sum(), x.sum()], [tg.tensor(1.0)])
    with pytest.raises(RuntimeError, match=r"tensors\[0\] has shape \(2,\)"):
        autograd.backward([x * 2])
    with pytest.raises(RuntimeError, match=r"grad_tensors\[0\] has shape \(3,\)"):
        autograd.backward([x * 2], [tg.ones(3)])
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        autograd.backward([tg.tensor(1.0)])
    with pytest.raises(RuntimeError, match="cannot be empty"):
        autograd.backward([x.sum()], inputs=[])
    with pytest.raises(TypeError, match=r"grad_tensors\[0\] is a float"):
        autograd.backward([x.sum()], [1.0])
