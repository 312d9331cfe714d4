"""Every registered op: gradcheck on hypothesis-drawn inputs, and forward agreement with NumPy."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_lite as tg
from tinygrad_lite import Tensor, ops
from tinygrad_lite.autograd import REGISTRY, Context, Function
from tinygrad_lite.gradcheck import GradcheckError, gradcheck
from tinygrad_lite.testing import broadcastable_tensors, floats, shapes, tensors

# A case is (inputs, call, numpy_reference): call(*inputs) -> Tensor and
# numpy_reference(*arrays) -> ndarray must agree.
Case = tuple[tuple[Tensor, ...], Callable[..., Tensor], Callable[..., Any]]

away_from_zero = st.one_of(st.floats(-10, -0.5), st.floats(0.5, 10))
positive = st.floats(0.2, 5.0)
unit = st.floats(0.05, 0.95)
away_from_kink = st.one_of(st.floats(-5, -0.01), st.floats(0.01, 5))


def binary(name: str, call: Callable[..., Tensor], ref: Callable[..., Any], ex=None, ey=None):
    @st.composite
    def build(draw: Any) -> Case:
        x, y = draw(broadcastable_tensors(2))
        if ex is not None or ey is not None:
            x = Tensor(
                draw(hnp.arrays(np.float64, x.shape, elements=floats() if ex is None else ex)), True
            )
            y = Tensor(
                draw(hnp.arrays(np.float64, y.shape, elements=floats() if ey is None else ey)), True
            )
        return (x, y), call, ref

    return build()


def unary(call: Callable[..., Tensor], ref: Callable[..., Any], elements=None):
    return tensors(elements=elements, requires_grad=True).map(lambda x: ((x,), call, ref))


@st.composite
def pow_case(draw: Any) -> Case:
    p = draw(st.sampled_from([2.0, 3.0, 0.5, -1.0, 1.0, -0.5, 1.7]))
    x = draw(tensors(elements=positive, requires_grad=True))
    return (x,), (lambda t: t**p), (lambda a: a**p)


@st.composite
def matmul_case(draw: Any) -> Case:
    n, k, p = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    kind = draw(st.sampled_from(["2d", "vv", "v2", "2v", "batched", "vb", "bv"]))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
    bx, by = batch.input_shapes
    sx, sy = {
        "2d": ((n, k), (k, p)),
        "vv": ((k,), (k,)),
        "v2": ((k,), (k, p)),
        "2v": ((n, k), (k,)),
        "batched": ((*bx, n, k), (*by, k, p)),
        "vb": ((k,), (*by, k, p)),
        "bv": ((*bx, n, k), (k,)),
    }[kind]
    x = Tensor(draw(hnp.arrays(np.float64, sx, elements=floats(-3, 3))), True)
    y = Tensor(draw(hnp.arrays(np.float64, sy, elements=floats(-3, 3))), True)
    return (x, y), (lambda a, b: a @ b), np.matmul


@st.composite
def axis_args(draw: Any, ndim: int) -> tuple[Any, bool]:
    keepdims = draw(st.booleans())
    if ndim == 0 or draw(st.booleans()):
        return None, keepdims
    axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    if len(axes) == 1 and draw(st.booleans()):
        return axes[0] - ndim * draw(st.integers(0, 1)), keepdims  # negative axes too
    return tuple(axes), keepdims


def reduce_case(method: str, ref: Callable[..., Any], unique: bool = False):
    @st.composite
    def build(draw: Any) -> Case:
        shape = draw(shapes())
        elems = floats()
        if unique:  # values 0.01 apart: the max is differentiable away from ties
            grid = st.integers(-1000, 1000).map(lambda i: i / 100)
            data = draw(hnp.arrays(np.float64, shape, elements=grid, unique=True))
        else:
            data = draw(hnp.arrays(np.float64, shape, elements=elems))
        axis, keepdims = draw(axis_args(len(shape)))
        x = Tensor(data, True)
        return (
            (x,),
            lambda t: getattr(t, method)(axis=axis, keepdims=keepdims),
            lambda a: ref(a, axis=axis, keepdims=keepdims),
        )

    return build()


@st.composite
def reshape_case(draw: Any) -> Case:
    x = draw(tensors(requires_grad=True))
    dims = list(x.shape)
    target = draw(
        st.sampled_from(
            [(x.size,), (-1,), tuple(reversed(dims)), (1, *dims), (*dims, 1), (x.size, 1)]
        )
    )
    return (x,), (lambda t: t.reshape(*target)), (lambda a: a.reshape(target))


@st.composite
def transpose_case(draw: Any) -> Case:
    x = draw(tensors(requires_grad=True))
    if x.ndim == 0 or draw(st.booleans()):
        return (x,), (lambda t: t.T), np.transpose
    perm = tuple(draw(st.permutations(range(x.ndim))))
    return (x,), (lambda t: t.transpose(*perm)), (lambda a: np.transpose(a, perm))


@st.composite
def getitem_case(draw: Any) -> Case:
    x = draw(tensors(shape=shapes(min_dims=1), requires_grad=True))
    n = x.shape[0]
    kind = draw(st.sampled_from(["int", "slice", "array", "tuple", "ellipsis"]))
    if kind == "int":
        index: Any = draw(st.integers(-n, n - 1))
    elif kind == "slice":
        index = slice(draw(st.integers(0, n)), draw(st.integers(0, n)), draw(st.integers(1, 2)))
    elif kind == "array":  # repeated indices must accumulate
        index = np.array(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=6)))
    elif kind == "tuple" and x.ndim >= 2:
        index = (slice(None), draw(st.integers(0, x.shape[1] - 1)))
    else:
        index = (Ellipsis, 0) if x.ndim >= 1 else ()
    return (x,), (lambda t: t[index]), (lambda a: a[index])


def bce_ref(p: np.ndarray, y: np.ndarray) -> Any:
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def bce_logits_ref(z: np.ndarray, y: np.ndarray) -> Any:
    p = 1 / (1 + np.exp(-z))
    return bce_ref(p, y)


@st.composite
def loss_case(draw: Any, fused_logits: bool) -> Case:
    shape = draw(shapes(min_dims=1))
    first = floats(-5, 5) if fused_logits else unit
    x = Tensor(draw(hnp.arrays(np.float64, shape, elements=first)), True)
    # targets strictly inside (0, 1): gradcheck perturbs them and they must stay valid
    y = Tensor(draw(hnp.arrays(np.float64, shape, elements=st.floats(0.01, 0.99))), True)
    if fused_logits:
        fn = ops.BinaryCrossEntropyWithLogits.apply
        return (x, y), fn, bce_logits_ref
    return (x, y), ops.BinaryCrossEntropy.apply, bce_ref


def _sigmoid(a: np.ndarray) -> Any:
    return 1 / (1 + np.exp(-a))


CASES: dict[str, st.SearchStrategy[Case]] = {
    "add": binary("add", lambda a, b: a + b, np.add),
    "sub": binary("sub", lambda a, b: a - b, np.subtract),
    "mul": binary("mul", lambda a, b: a * b, np.multiply),
    "div": binary("div", lambda a, b: a / b, np.divide, ey=away_from_zero),
    "pow_tensor": binary(
        "pow_tensor", lambda a, b: a**b, np.power, ex=positive, ey=st.floats(-2, 2)
    ),
    "neg": unary(lambda t: -t, np.negative),
    "pow": pow_case(),
    "matmul": matmul_case(),
    "tanh": unary(lambda t: t.tanh(), np.tanh),
    "sigmoid": unary(lambda t: t.sigmoid(), _sigmoid),
    "relu": unary(lambda t: t.relu(), lambda a: np.maximum(a, 0), away_from_kink),
    "exp": unary(lambda t: t.exp(), np.exp, floats(-5, 3)),
    "log": unary(lambda t: t.log(), np.log, positive),
    "log_sigmoid": unary(lambda t: t.log_sigmoid(), lambda a: np.log(_sigmoid(a)), floats(-20, 20)),
    "clamp": unary(
        lambda t: t.clamp(-1.0, 1.0),
        lambda a: np.clip(a, -1, 1),
        st.one_of(st.floats(-5, -1.01), st.floats(-0.99, 0.99), st.floats(1.01, 5)),
    ),
    "sum": reduce_case("sum", np.sum),
    "mean": reduce_case("mean", np.mean),
    "max": reduce_case("max", np.max, unique=True),
    "reshape": reshape_case(),
    "transpose": transpose_case(),
    "getitem": getitem_case(),
    "binary_cross_entropy": loss_case(fused_logits=False),
    "binary_cross_entropy_with_logits": loss_case(fused_logits=True),
}


def test_every_registered_op_has_a_case() -> None:
    assert sorted(CASES) == sorted(REGISTRY)


def test_every_function_in_ops_is_registered() -> None:
    functions = [
        obj
        for _, obj in inspect.getmembers(ops, inspect.isclass)
        if issubclass(obj, Function) and obj is not Function and obj.__module__ == ops.__name__
    ]
    unregistered = [f.__name__ for f in functions if f not in {s.fn for s in REGISTRY.values()}]
    assert functions and not unregistered, f"Function classes not registered: {unregistered}"


@pytest.mark.parametrize("name", sorted(CASES))
@given(data=st.data())
def test_gradcheck_every_op(name: str, data: st.DataObject) -> None:
    inputs, call, _ = data.draw(CASES[name])
    assert gradcheck(call, *inputs)


@pytest.mark.parametrize("name", sorted(CASES))
@given(data=st.data())
def test_forward_matches_numpy(name: str, data: st.DataObject) -> None:
    inputs, call, ref = data.draw(CASES[name])
    out = call(*inputs)
    expected = np.asarray(ref(*[t.data for t in inputs]))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
@given(data=st.data())
def test_grad_shape_and_dtype_equal_data(name: str, data: st.DataObject) -> None:
    inputs, call, _ = data.draw(CASES[name])
    out = call(*inputs)
    out.backward(np.ones_like(out.data))
    for t in inputs:
        assert t.grad is not None
        assert t.grad.shape == t.shape and t.grad.dtype == t.dtype


@pytest.mark.parametrize("name", sorted(CASES))
@given(data=st.data())
def test_float32_stays_float32(name: str, data: st.DataObject) -> None:
    inputs, call, _ = data.draw(CASES[name])
    inputs32 = tuple(Tensor(t.data.astype(np.float32), requires_grad=True) for t in inputs)
    out = call(*inputs32)
    assert out.dtype == np.float32
    out.backward(np.ones_like(out.data))
    for t in inputs32:
        assert t.grad is not None and t.grad.dtype == np.float32


class WrongTanh(Function):
    """A planted bug: tanh with the derivative of sin(x) ≈ its own slope at 0 only."""

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


def test_gradcheck_catches_a_wrong_matmul_backward(monkeypatch: pytest.MonkeyPatch) -> None:
    def bad_backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = ctx.saved
        return grad @ y.T, x.T @ grad * 1.001  # 0.1% off in the second input

    monkeypatch.setattr(ops.MatMul, "backward", staticmethod(bad_backward))
    a = tg.randn(3, 4, seed=0, requires_grad=True)
    b = tg.randn(4, 2, seed=1, requires_grad=True)
    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(lambda u, v: u @ v, a, b, rtol=1e-4, atol=1e-7)


def test_register_rejects_a_duplicate_name() -> None:
    with pytest.raises(ValueError, match="'tanh' is already registered to Tanh"):
        tg.autograd.register("tanh", arity=1)(WrongTanh)
