"""In-place shape methods (squeeze_, t_, resize_, ...) against NumPy and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck

METHODS = [
    ("squeeze_", (), lambda a: a.squeeze()),
    ("squeeze_", (1,), lambda a: a.squeeze(1)),
    ("squeeze_", ((1, 3),), lambda a: a.squeeze((1, 3))),
    ("unsqueeze_", (-1,), lambda a: np.expand_dims(a, -1)),
    ("unsqueeze_", (0,), lambda a: a[None]),
    ("transpose_", (0, 2), lambda a: a.swapaxes(0, 2)),
    ("swapdims_", (1, -1), lambda a: a.swapaxes(1, -1)),
    ("swapaxes_", (0, 1), lambda a: a.swapaxes(0, 1)),
]


@pytest.mark.parametrize("name, args, ref", METHODS)
def test_values_shape_and_self(name: str, args: tuple, ref) -> None:
    a = np.arange(6.0).reshape(2, 1, 3, 1)
    x = tg.tensor(a.copy())
    assert getattr(x, name)(*args) is x
    np.testing.assert_array_equal(x.data, ref(a))


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=1, max_size=4), st.data())
def test_transpose_and_unsqueeze_match_numpy(shape: list[int], data: st.DataObject) -> None:
    a = np.arange(float(np.prod(shape))).reshape(shape)
    n = len(shape)
    d0, d1 = data.draw(st.integers(-n, n - 1)), data.draw(st.integers(-n, n - 1))
    u = data.draw(st.integers(-n - 1, n))
    x = tg.tensor(a.copy()).transpose_(d0, d1).unsqueeze_(u)
    np.testing.assert_array_equal(x.data, np.expand_dims(a.swapaxes(d0, d1), u))


def test_t_on_matrix_vector_and_scalar() -> None:
    assert tg.zeros(2, 3).t_().shape == (3, 2)
    assert tg.zeros(3).t_().shape == (3,)
    assert tg.tensor(1.0).t_().shape == ()
    with pytest.raises(ValueError, match="at most 2 dimensions"):
        tg.zeros(2, 3, 4).t_()


def _through(method: str, *args):
    def fn(x):
        y = x * x
        getattr(y, method)(*args)
        return y * tg.arange(float(y.data.size), dtype=np.float64).reshape(y.shape)

    return fn


@pytest.mark.parametrize(
    "method, args", [("t_", ()), ("unsqueeze_", (1,)), ("squeeze_", ()), ("transpose_", (0, 1))]
)
def test_gradients_of_every_order_through_a_non_leaf(method: str, args: tuple) -> None:
    x = tg.tensor(np.linspace(-1.0, 1.0, 6).reshape(2, 3, 1), requires_grad=True)
    if method == "t_":
        x = tg.tensor(np.linspace(-1.0, 1.0, 6).reshape(2, 3), requires_grad=True)
    assert gradcheck(_through(method, *args), x)
    assert gradgradcheck(_through(method, *args), x)


def test_non_leaf_takes_the_graph() -> None:
    x = tg.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    y = x * 2
    assert y.t_() is y and y.shape == (3, 1) and y.grad_fn is not None
    (y * tg.tensor([[1.0], [2.0], [3.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[2.0, 4.0, 6.0]])


def test_leaf_requiring_grad_is_refused_with_grad_on() -> None:
    x = tg.zeros(2, 1, requires_grad=True)
    for call in (lambda: x.squeeze_(), lambda: x.t_(), lambda: x.unsqueeze_(0)):
        with pytest.raises(RuntimeError, match="leaf that requires grad"):
            call()
    assert x.shape == (2, 1)
    with tg.no_grad():
        assert x.t_().shape == (1, 2)
    assert x.requires_grad and x.is_leaf


def test_no_grad_refuses_a_graph_result_and_a_stale_grad() -> None:
    x = tg.zeros(2, 3, requires_grad=True)
    y = x * 2
    with tg.no_grad(), pytest.raises(RuntimeError, match="graph would keep its old shape"):
        y.t_()
    x.sum().backward()
    with tg.no_grad(), pytest.raises(RuntimeError, match="set .grad = None"):
        x.t_()
    x.grad = None
    with tg.no_grad():
        x.t_()
    assert x.shape == (3, 2)


def test_values_a_graph_saved_are_then_stale() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()  # saves its output
    y.unsqueeze_(0)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.sum().backward()
    a = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    out = a @ tg.tensor([[1.0], [1.0]], requires_grad=True)
    a.t_()
    with pytest.raises(RuntimeError, match="modified in place"):
        out.sum().backward()


def test_memory_stays_shared() -> None:
    base = np.zeros((2, 1))
    x = tg.Tensor(base)
    x.squeeze_()
    x[0] = 5.0
    assert base[0, 0] == 5.0


def test_resize_shrink_grow_and_restore() -> None:
    x = tg.arange(6.0)
    assert x.resize_(2, 2) is x
    np.testing.assert_array_equal(x.data, [[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(x.resize_((6,)).data, np.arange(6.0))
    np.testing.assert_array_equal(x.resize_([8]).data, [0, 1, 2, 3, 4, 5, 0, 0])
    assert x.resize_(()).shape == () and x.item() == 0.0
    assert x.resize_(0).shape == (0,)
    assert x.dtype == np.float64
    i = tg.tensor([1, 2, 3])
    assert i.resize_as_(tg.zeros(1, 2)).tolist() == [[1, 2]]


def test_resize_refusals() -> None:
    with pytest.raises(RuntimeError, match="requires grad"):
        tg.zeros(2, requires_grad=True).resize_(3)
    with tg.no_grad(), pytest.raises(RuntimeError, match="requires grad"):
        tg.zeros(2, requires_grad=True).resize_(3)
    with pytest.raises(RuntimeError, match="not C-contiguous"):
        tg.zeros(2, 3).t_().resize_(6)
    with pytest.raises(ValueError, match=">= 0"):
        tg.zeros(2).resize_(-1)
    with pytest.raises(TypeError, match="ints"):
        tg.zeros(2).resize_(2.5)
    with pytest.raises(TypeError, match="missing the sizes"):
        tg.zeros(2).resize_()
    with pytest.raises(TypeError, match="must be a Tensor"):
        tg.zeros(2).resize_as_([3])
    with pytest.raises(ValueError, match="memory_format"):
        tg.zeros(2).resize_(2, memory_format="channels_last")
