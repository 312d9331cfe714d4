"""Every registered op, drawn from its registry entry: gradients of first and second order,
the forward against an independent reference, gradient shapes and dtypes, float32."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor, ops
from tinygrad_lite.autograd import Context, Function
from tinygrad_lite.gradcheck import GradcheckError, gradcheck, gradgradcheck
from tinygrad_lite.opcases import Case, op_case
from tinygrad_lite.registry import REGISTRY
from tinygrad_lite.testing import tensors

NAMES = sorted(REGISTRY)


def draw_case(data: st.DataObject, name: str) -> Case:
    return data.draw(op_case(REGISTRY[name]))


def test_the_registry_holds_every_op() -> None:
    assert len(REGISTRY) >= 50


def test_every_function_in_ops_is_registered() -> None:
    functions = [
        obj
        for mod in (
            ops.arithmetic,
            ops.powers,
            ops.elementwise,
            ops.reduce,
            ops.shape,
            ops.scan,
            ops.losses,
            ops.classify,
            ops.class_losses,
            ops.trig,
            ops.logexp,
            ops.lerp,
            ops.einsum,
            ops.scatter,
            ops.scatter_red,
            ops.logcumsum,
            ops.linalg,
            ops.decomp,
            ops.solves,
            ops.gammas,
            ops.bessel,
            ops.erfs,
            ops.entropy,
        )
        for _, obj in inspect.getmembers(mod, inspect.isclass)
        if issubclass(obj, Function) and obj.__module__ == mod.__name__ and obj.name
    ]
    abstract = [
        obj
        for mod in (
            ops.arithmetic,
            ops.powers,
            ops.elementwise,
            ops.reduce,
            ops.shape,
            ops.scan,
            ops.losses,
            ops.classify,
            ops.class_losses,
            ops.trig,
            ops.logexp,
            ops.lerp,
            ops.einsum,
            ops.scatter,
            ops.scatter_red,
            ops.logcumsum,
            ops.linalg,
            ops.decomp,
            ops.solves,
            ops.gammas,
            ops.bessel,
            ops.erfs,
            ops.entropy,
        )
        for _, obj in inspect.getmembers(mod, inspect.isclass)
        if issubclass(obj, Function) and obj.__module__ == mod.__name__ and not obj.name
    ]
    registered = {s.fn for s in REGISTRY.values()}
    assert functions and all(f in registered for f in functions)
    # the only unregistered Function subclasses are shared bases of registered ones
    assert all(any(issubclass(s.fn, a) for s in REGISTRY.values()) for a in abstract)


@pytest.mark.parametrize("name", NAMES)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_every_op_against_its_reference_finite_differences_and_float32(
    name: str, data: st.DataObject
) -> None:
    """One drawn case serves every check of an op (drawing costs as much as checking).

    The forward against the reference; each input's gradient in its shape and dtype; first and
    second derivatives against finite differences; float32 kept through forward and backward.
    """
    case = draw_case(data, name)
    out = case.call()
    expected = np.asarray(case.reference())
    assert out.shape == expected.shape
    assert out.dtype == expected.dtype or out.dtype.kind == expected.dtype.kind == "f"
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    if not REGISTRY[name].fn.differentiable:
        return
    out.backward(np.ones_like(out.data))
    for t in case.inputs:
        if t.requires_grad:
            assert t.grad is not None
            assert t.grad.shape == t.shape and t.grad.dtype == t.dtype
    cast = case.params.get("dtype")
    if cast != np.float32:  # a float32 cast rounds: finite differences of it are not a derivative
        assert gradcheck(case.call, *case.inputs)
        if case.smooth:  # second order, on the same draw
            assert gradgradcheck(case.call, *case.inputs, atol=1e-4, rtol=1e-3)
    if cast == np.float64:
        return  # a cast to float64 changes the dtype by definition
    inputs = tuple(
        Tensor(t.data.astype(np.float32), requires_grad=True) if t.requires_grad else t
        for t in case.inputs
    )
    out = case.call(*inputs)
    assert out.dtype == np.float32
    out.backward(np.ones_like(out.data))
    for t in inputs:
        if t.requires_grad:
            assert t.grad is not None and t.grad.dtype == np.float32


@pytest.mark.parametrize("name", [n for n in NAMES if not REGISTRY[n].fn.differentiable])
@given(data=st.data())
def test_ops_without_gradient_give_results_that_do_not_require_grad(
    name: str, data: st.DataObject
) -> None:
    case = draw_case(data, name)
    assert any(t.requires_grad for t in case.inputs)
    out = case.call()
    assert not out.requires_grad and out.grad_fn is None


class WrongTanh(Function):
    """A planted bug: tanh with the derivative 1 - y instead of 1 - y²."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray]:
        (y,) = ctx.saved
        return (grad * (1.0 - y),)  # should be 1 - y²


@given(tensors(shape=(3, 2), elements=st.floats(0.3, 2.0), requires_grad=True))
def test_gradcheck_catches_a_wrong_backward(x: Tensor) -> None:
    with pytest.raises(GradcheckError, match=r"input 0 .* index \(\d, \d\): analytic .* numeric"):
        gradcheck(WrongTanh.apply, x)


class TanhWrongSecondOrder(Function):
    """A planted bug visible only to second order: a backward whose own graph is cut."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray]:
        (y,) = ctx.saved
        y = y.detach() if hasattr(y, "detach") else y  # right values, wrong graph
        return (grad * (1.0 - y * y),)


@given(tensors(shape=(2, 2), elements=st.floats(0.3, 2.0), requires_grad=True))
def test_gradgradcheck_catches_a_backward_that_is_right_only_to_first_order(x: Tensor) -> None:
    assert gradcheck(TanhWrongSecondOrder.apply, x)
    with pytest.raises(GradcheckError):
        gradgradcheck(TanhWrongSecondOrder.apply, x)


def test_gradcheck_catches_a_wrong_matmul_backward(monkeypatch: pytest.MonkeyPatch) -> None:
    def bad_backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = ctx.saved
        return grad @ y.T, x.T @ grad * 1.001  # 0.1% off in the second input

    monkeypatch.setattr(ops.MatMul, "backward", staticmethod(bad_backward))
    a = tg.randn(3, 4, seed=0, requires_grad=True)
    b = tg.randn(4, 2, seed=1, requires_grad=True)
    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(lambda u, v: u @ v, a, b, rtol=1e-4, atol=1e-7)


def test_register_rejects_a_duplicate_name_and_a_missing_reference() -> None:
    with pytest.raises(ValueError, match="'tanh' is already registered to Tanh"):
        tg.registry.register("tanh", arity=1, reference=np.tanh)(WrongTanh)
    with pytest.raises(ValueError, match="give a reference"):
        tg.registry.register("wrong_tanh", arity=1)(WrongTanh)
