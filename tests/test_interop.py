"""NumPy calls on Tensors: they run the matching op or refuse; never cut the graph."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from models import manual
from tinygrad_lite import Tensor, datasets, interop
from tinygrad_lite.gradcheck import gradcheck

RNG = np.random.default_rng(0)


def leaf(*shape: int, lo: float = 0.5, hi: float = 2.0) -> Tensor:
    """A float64 tensor that requires grad, with distinct values in [lo, hi)."""
    return Tensor(RNG.uniform(lo, hi, shape), requires_grad=True)


def _data(x: Any) -> Any:
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, (list, tuple)):
        return type(x)(_data(i) for i in x)
    return x


def check_dispatch(fn: Callable[..., Any], *args: Any, grad: bool = True, **kwargs: Any) -> None:
    """fn on Tensors returns a Tensor equal to fn on their arrays, with a correct gradient."""
    got = fn(*args, **kwargs)
    expected = fn(*_data(args), **{k: _data(v) for k, v in kwargs.items()})
    assert isinstance(got, Tensor), f"{fn} returned {type(got).__name__}"
    assert got.shape == np.shape(expected) and got.dtype == np.asarray(expected).dtype
    np.testing.assert_allclose(got.data, expected, rtol=1e-13, atol=1e-15)
    leaves = [a for a in args if isinstance(a, Tensor) and a.requires_grad]
    leaves += [
        a for seq in args if isinstance(seq, list) for a in seq if getattr(a, "requires_grad", 0)
    ]
    assert got.requires_grad == grad
    if grad:

        def again(*xs: Tensor) -> Tensor:
            it = iter(xs)
            new = [
                [next(it) if getattr(t, "requires_grad", 0) else t for t in a]
                if isinstance(a, list)
                else (next(it) if isinstance(a, Tensor) and a.requires_grad else a)
                for a in args
            ]
            return fn(*new, **kwargs)

        assert gradcheck(again, *leaves)


# ---------------------------------------------------------------------------- ufuncs

UNARY_DOMAINS = {np.log: (0.5, 3.0), np.sqrt: (0.5, 3.0), np.log1p: (0.5, 3.0)}
UNARY_DOMAINS |= {np.log2: (0.5, 3.0), np.log10: (0.5, 3.0), np.arccosh: (1.2, 3.0)}
UNARY_DOMAINS |= {f: (-0.9, 0.9) for f in (np.arcsin, np.arccos, np.arctanh)}
UNARY_DOMAINS |= {np.tan: (-1.2, 1.2)}  # tan's poles are at ±π/2


@pytest.mark.parametrize("ufunc", list(interop.UFUNCS), ids=lambda u: u.__name__)
def test_every_dispatched_ufunc_runs_its_op_with_gradients(ufunc: np.ufunc) -> None:
    if ufunc is np.matmul:
        check_dispatch(ufunc, leaf(2, 3), leaf(3, 4))
        check_dispatch(ufunc, np.ones((4, 2)), leaf(2, 3))
        return
    if ufunc.nin == 2:
        grad = ufunc is not np.floor_divide  # a rounded quotient: no gradient, as floor's
        check_dispatch(ufunc, leaf(2, 3), leaf(3), grad=grad)  # broadcasting
        check_dispatch(ufunc, leaf(2, 3), 1.5, grad=grad)  # a Python number
        check_dispatch(ufunc, np.full((2, 1), 0.75), leaf(2, 3), grad=grad)  # an array left
        return
    lo, hi = UNARY_DOMAINS.get(ufunc, (-2.0, 2.0))
    x = leaf(3, 2, lo=lo, hi=hi)
    check_dispatch(ufunc, x, grad=ufunc is not np.sign)


def test_ufunc_reductions_dispatch() -> None:
    x = leaf(3, 4)
    for ufunc, axis in [(np.add, 1), (np.add, None), (np.maximum, 0), (np.multiply, -1)]:
        check_dispatch(ufunc.reduce, x, axis=axis)
    check_dispatch(np.add.reduce, x)  # NumPy's default axis is 0
    check_dispatch(np.add.reduce, x, axis=(0, 1), keepdims=True)


def test_comparisons_and_value_tests_read_the_values() -> None:
    x = leaf(2, 3)
    for r in (np.greater(x, 1.0), np.isfinite(x), np.equal(x, x), np.signbit(x - 1)):
        assert isinstance(r, Tensor) and r.dtype == np.bool_ and not r.requires_grad
    assert np.allclose(x, x.data) and np.argmax(x) == np.argmax(x.data)
    assert np.shape(x) == (2, 3) and np.ndim(x) == 2 and np.size(x) == 6
    np.testing.assert_array_equal(np.argsort(x).data, np.argsort(x.data))
    with pytest.raises(TypeError, match="numpy.sort on a tensor that requires grad"):
        np.sort(x, order="f")  # only NumPy's structured arrays have fields
    with pytest.raises(TypeError, match="numpy.unique on a tensor that requires grad"):
        np.unique(x)
    np.testing.assert_array_equal(np.sort(x.detach()), np.sort(x.data))


# ---------------------------------------------------------------------------- functions

FUNCTION_CASES: dict[Any, list[tuple[tuple[Any, ...], dict[str, Any]]]] = {
    np.sum: [
        ((leaf(2, 3),), {}),
        ((leaf(2, 3), 1), {"keepdims": True}),
        ((leaf(2, 3),), {"axis": (0, 1)}),
    ],
    np.mean: [((leaf(2, 3),), {}), ((leaf(2, 3),), {"axis": 0})],
    np.max: [((leaf(2, 3),), {}), ((leaf(2, 3),), {"axis": 1, "keepdims": True})],
    np.amax: [((leaf(2, 3),), {"axis": 0})],
    np.min: [((leaf(2, 3),), {}), ((leaf(2, 3), -1), {})],
    np.amin: [((leaf(2, 3),), {"axis": 0})],
    np.prod: [((leaf(2, 3),), {}), ((leaf(2, 3),), {"axis": 1})],
    np.var: [((leaf(2, 3),), {}), ((leaf(2, 3),), {"axis": 1, "ddof": 1})],
    np.std: [((leaf(4, 3),), {}), ((leaf(4, 3),), {"axis": 0, "ddof": 1, "keepdims": True})],
    np.dot: [
        ((leaf(2, 3), leaf(3, 4)), {}),
        ((leaf(3), leaf(3)), {}),
        ((leaf(2, 3), leaf(3)), {}),
        ((leaf(3), np.ones((3, 2))), {}),
        ((2.5, leaf(2, 2)), {}),
    ],
    np.where: [
        ((np.array([[True, False, True]] * 2), leaf(2, 3), 0.0), {}),
        ((np.array([True, False]), -1.0, leaf(2)), {}),
    ],
    np.squeeze: [((leaf(1, 3, 1),), {}), ((leaf(1, 3, 1),), {"axis": 2})],
    np.expand_dims: [((leaf(2, 3), 1), {}), ((leaf(2, 3), (0, 3)), {})],
    np.reshape: [((leaf(2, 3), (3, 2)), {}), ((leaf(2, 3), -1), {})],
    np.ravel: [((leaf(2, 3),), {})],
    np.transpose: [((leaf(2, 3, 4),), {}), ((leaf(2, 3, 4), (1, 0, 2)), {})],
    np.swapaxes: [((leaf(2, 3, 4), 0, 2), {})],
    np.concatenate: [
        (([leaf(2, 3), leaf(1, 3)],), {}),
        (([leaf(2, 3), np.ones((2, 1))],), {"axis": 1}),
    ],
    np.stack: [(([leaf(2, 3), leaf(2, 3)],), {}), (([leaf(2, 3), leaf(2, 3)],), {"axis": -1})],
    np.broadcast_to: [((leaf(3, 1), (2, 3, 4)), {})],
    np.copy: [((leaf(2, 3),), {})],
    np.clip: [
        ((leaf(2, 3, lo=-2, hi=2), -0.95, 0.95), {}),
        ((leaf(2, 3, lo=-2, hi=2), None, 0.3), {}),
    ],
    np.linalg.norm: [
        ((leaf(4),), {}),
        ((leaf(2, 3),), {}),
        ((leaf(2, 3),), {"axis": 1}),
        ((leaf(2, 3), 2), {"axis": 0}),
    ],
    np.matmul: [((leaf(2, 3), leaf(3)), {})],
    np.cumsum: [((leaf(2, 3),), {}), ((leaf(2, 3),), {"axis": 1})],
    np.cumprod: [((leaf(2, 3),), {}), ((leaf(2, 3), 0), {})],
    np.flip: [((leaf(2, 3),), {}), ((leaf(2, 3),), {"axis": 1})],
    np.pad: [
        ((leaf(2, 3), 1), {}),
        ((leaf(2, 3), (1, 2)), {"constant_values": -1.5}),
        ((leaf(2, 3), ((0, 1), (2, 0))), {"mode": "constant"}),
    ],
    np.sort: [((leaf(2, 3),), {}), ((leaf(2, 3),), {"axis": 0}), ((leaf(2, 3),), {"axis": None})],
    np.sinc: [((leaf(2, 3, lo=-2.0, hi=2.0),), {})],
    np.einsum: [
        (("ij,jk->ik", leaf(2, 3), leaf(3, 4)), {}),
        (("ii", leaf(3, 3)), {}),
        (("...i,i", leaf(2, 3), np.ones(3)), {"optimize": True}),
        ((leaf(2, 3), [0, 1], leaf(3, 4), [1, 2], [0, 2]), {}),  # the sublist form
        ((leaf(3, 3), [30, 30]), {}),
        ((leaf(2, 3), [Ellipsis, 1], np.ones(3), [1], [Ellipsis]), {}),
    ],
    np.tensordot: [
        ((leaf(2, 3, 4), leaf(3, 4, 2)), {}),
        ((leaf(2, 3), leaf(3, 2)), {"axes": (1, 0)}),
        ((leaf(2, 3), np.ones((2, 4))), {"axes": ([0], [0])}),
    ],
    np.kron: [((leaf(2, 2), leaf(3)), {})],
    np.diagonal: [((leaf(3, 4),), {}), ((leaf(2, 3, 4),), {"offset": 1, "axis1": 2, "axis2": 0})],
    np.take_along_axis: [
        ((leaf(2, 3), np.array([[2, 0], [1, -1]]), 1), {}),
        ((leaf(2, 3), np.array([5, 0])), {"axis": None}),
    ],
    np.nansum: [((leaf(2, 3),), {}), ((leaf(2, 3),), {"axis": 1, "keepdims": True})],
    np.nanmean: [((leaf(2, 3),), {}), ((leaf(2, 3), 0), {})],
    np.diff: [
        ((leaf(2, 4),), {}),
        ((leaf(2, 4), 2, 0), {}),
        ((leaf(2, 4),), {"prepend": 0.5, "append": np.ones((2, 1))}),
    ],
}
NO_GRAD_FUNCTIONS = {np.zeros_like, np.ones_like, np.full_like, np.empty_like}


def test_every_dispatched_function_is_tested() -> None:
    assert set(FUNCTION_CASES) | NO_GRAD_FUNCTIONS == set(interop.FUNCTIONS)


@pytest.mark.parametrize("func", list(FUNCTION_CASES), ids=lambda f: f.__name__)
def test_every_dispatched_function_runs_its_op_with_gradients(func: Any) -> None:
    for args, kwargs in FUNCTION_CASES[func]:
        check_dispatch(func, *args, **kwargs)


@pytest.mark.parametrize("func", sorted(NO_GRAD_FUNCTIONS, key=lambda f: f.__name__))
def test_like_functions_give_tensors_of_the_same_dtype_without_grad(func: Any) -> None:
    x = leaf(2, 3)
    args = (x, 7.0) if func is np.full_like else (x,)
    r = func(*args)
    assert isinstance(r, Tensor) and not r.requires_grad
    assert r.shape == (2, 3) and r.dtype == np.float64
    if func is not np.empty_like:
        np.testing.assert_array_equal(r.data, func(x.data, *args[1:]))
    assert np.zeros_like(Tensor(np.ones(2, np.int32))).dtype == np.int32


# ---------------------------------------------------------------------------- refusals


def _other_numpy_functions() -> list[tuple[str, Any]]:
    handled = set(interop.FUNCTIONS) | set(interop.VALUE_TESTS)
    handled_ufuncs = set(interop.UFUNCS) | set(interop.VALUE_UFUNCS)
    found: dict[Any, str] = {}
    for module in (np, np.linalg, np.fft):
        for name in dir(module):
            f = getattr(module, name)
            if isinstance(f, np.ufunc):
                new = f not in handled_ufuncs
            else:
                new = callable(f) and hasattr(f, "_implementation") and f not in handled
            if new and not name.startswith("_") and f not in found:
                found[f] = f"{module.__name__}.{name}"
    return sorted(((n, f) for f, n in found.items()), key=lambda p: p[0])


OTHERS = _other_numpy_functions()


def test_there_are_many_other_numpy_functions() -> None:
    assert len(OTHERS) > 200  # the refusal test below sweeps them all


def test_every_other_numpy_function_refuses_a_tensor_that_requires_grad() -> None:
    t = Tensor(np.ones((2, 2)), requires_grad=True)
    # argument forms that satisfy the signatures of NumPy's functions, tried in turn
    forms: list[tuple[Any, ...]] = [
        (t,), (t, t), (t, 1), (t, 0), (t, t, t), (t, 1, 1), (t, [0]), ([t],), ([t, t],),
        (t, (2, 2)), (t, 0, 1), (t, t, t, t), (t, 2),
    ]  # fmt: skip
    unrefused = []
    for name, f in OTHERS:
        refused = False
        for args in forms if not isinstance(f, np.ufunc) else [(t,) * f.nin]:
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    f(*args)
            except TypeError as e:
                if "on a tensor that requires grad" in str(e):
                    assert f"numpy.{f.__name__}" in str(e) and "cut the graph" in str(e)
                    refused = True
                    break
            except Exception:  # noqa: S112 - a form that does not fit: try the next one
                continue
        if not refused:
            unrefused.append(name)
    assert not unrefused, f"not refused: {unrefused}"


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda t: np.cumsum(t, dtype=np.float32), "numpy.cumsum"),
        (lambda t: np.cumprod(t, out=np.empty(4)), "numpy.cumprod"),
        (lambda t: np.add.accumulate(t), "numpy.add.accumulate"),
        (lambda t: np.multiply.outer(t, t), "numpy.multiply.outer"),
        (lambda t: np.add(t, t, out=np.empty((2, 2))), "numpy.add"),
        (lambda t: np.tanh(t, where=True), "numpy.tanh"),
        (lambda t: np.sum(t, dtype=np.float32), "numpy.sum"),
        (lambda t: np.reshape(t, (4,), order="F"), "numpy.reshape"),
        (lambda t: np.ravel(t, order="F"), "numpy.ravel"),
        (lambda t: np.linalg.norm(t, 2), "numpy.norm"),  # the largest singular value
        (lambda t: np.clip(t, 0, 1, out=np.empty((2, 2))), "numpy.clip"),
        (lambda t: np.clip(t, Tensor(np.zeros((2, 2))), 1), "numpy.clip"),
        (lambda t: np.concatenate([t, t], axis=None), "numpy.concatenate"),
        (lambda t: np.dot(t[None], t), "numpy.dot"),
        (lambda t: np.asarray(t), "np.asarray"),
        (lambda t: np.array(t), "np.asarray/np.array"),
        (lambda t: np.einsum("ij", t, out=np.empty((2, 2))), "tinygrad_lite.einsum"),
        (lambda t: np.einsum(t, [0, 52]), "sublist label must be an int in"),
        (lambda t: np.median(t), "takes the lower one"),  # NumPy averages the middle two
        (lambda t: np.nanmedian(t), "nanmedian\\(dim\\) takes the lower one"),
        (lambda t: np.nansum(t, axis=()), "numpy.nansum"),
    ],
)
def test_calls_without_a_matching_op_refuse_and_say_why(call: Any, name: str) -> None:
    t = Tensor(np.arange(1.0, 5.0).reshape(2, 2), requires_grad=True)
    with pytest.raises((TypeError, RuntimeError), match=name):
        call(t)


def test_numpys_squeeze_of_an_axis_that_is_not_1_raises_as_numpy_does() -> None:
    with pytest.raises(ValueError, match="cannot squeeze axis 0 of shape"):
        np.squeeze(leaf(2, 1), axis=0)
    assert leaf(2, 1).squeeze(0).shape == (2, 1)  # PyTorch's method keeps it


# ---------------------------------------------------------------------------- without grad


def test_tensors_without_grad_work_with_numpy_as_arrays() -> None:
    a = RNG.uniform(0.5, 2.0, (3, 3))
    t = Tensor(a)
    np.testing.assert_array_equal(np.cumsum(t), np.cumsum(a))
    ints = np.arange(4, dtype=np.int32)  # NumPy widens the sums of int32: its own result
    assert np.cumsum(Tensor(ints)).dtype == np.cumsum(ints).dtype
    np.testing.assert_allclose(np.linalg.inv(t), np.linalg.inv(a))
    np.testing.assert_array_equal(np.vstack([t, t]), np.vstack([a, a]))
    np.testing.assert_array_equal(np.add(t, 1, out=np.empty((3, 3))), a + 1)
    np.testing.assert_array_equal(np.reshape(t, (9,), order="F"), a.reshape(9, order="F"))
    np.testing.assert_allclose(np.linalg.norm(t, 2), np.linalg.norm(a, 2))
    np.testing.assert_array_equal(np.tanh(t).data, np.tanh(a))  # a Tensor, equal
    assert float(np.sum(t)) == pytest.approx(a.sum())
    assert np.asarray(t) is a


def test_numpy_copies_are_snapshots_and_asarray_shares() -> None:
    t = Tensor(np.array([1.0, 2.0, 3.0]))
    copies = [np.array(t, copy=True), np.array(t), np.copy(t), np.array(t, dtype=np.float32)]
    shared = np.asarray(t)
    assert np.shares_memory(shared, t.data)
    assert not any(
        np.shares_memory(np.asarray(c.data if isinstance(c, Tensor) else c), t.data) for c in copies
    )
    t.data[0] = 100.0  # an in-place change after the copies were taken
    t.data += 1.0
    for c in copies:
        np.testing.assert_array_equal(c.data if isinstance(c, Tensor) else c, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(shared, [101.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="needs a copy"):
        np.asarray(t, dtype=np.float32, copy=False)


# ---------------------------------------------------------------------------- the tutorial


def _sigmoid(z: Any) -> Any:  # copied from models/manual.py
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _forward_propagation(X: Any, parameters: Any) -> Any:  # its body, from models/manual.py
    Z1 = parameters["W1"] @ X + parameters["b1"]
    A1 = np.tanh(Z1)
    Z2 = parameters["W2"] @ A1 + parameters["b2"]
    A2 = _sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def _cost(A2: Any, Y: Any) -> Any:  # compute_cost's formula, from models/manual.py
    m = Y.shape[1]
    logprobs = np.log(np.where(Y == 1.0, A2, 1.0 - A2))
    return -np.sum(logprobs) / m


@pytest.mark.parametrize("seed", [2, 3])
def test_the_tutorials_numpy_forward_pass_on_tensors_has_the_hand_derived_gradients(
    seed: int,
) -> None:
    X, Y = datasets.load_planar_dataset()
    params = manual.initialize_parameters(2, 4, 1, seed=seed)
    params = {k: v + RNG.normal(0, 0.5, v.shape) for k, v in params.items()}  # not tiny
    tensors = {k: Tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    A2, cache = _forward_propagation(Tensor(X), tensors)
    assert isinstance(A2, Tensor) and A2.requires_grad
    cost = _cost(A2, Y)
    assert isinstance(cost, Tensor)
    cost.backward()
    A2_ref, cache_ref = manual.forward_propagation(X, params)
    assert cost.item() == pytest.approx(manual.compute_cost(A2_ref, Y), rel=1e-12)
    grads = manual.backward_propagation(params, cache_ref, X, Y)
    for name, p in tensors.items():
        assert p.grad is not None, name
        np.testing.assert_allclose(p.grad.data, grads["d" + name], rtol=1e-10, atol=1e-15)


def test_the_graph_survives_numpys_where_dot_squeeze_and_concatenate() -> None:
    X = RNG.normal(size=(2, 5))
    W1 = Tensor(RNG.normal(size=(3, 2)), requires_grad=True)
    W2 = Tensor(RNG.normal(size=(1, 3)), requires_grad=True)
    Z1 = np.dot(W1, X)
    A1 = np.where(Z1 > 0, Z1, 0)  # ReLU, the NumPy way
    both = np.concatenate([A1, np.square(A1)], axis=0)
    out = np.squeeze(np.dot(W2, both[:3] + both[3:]))
    loss = np.sum(out)
    assert isinstance(loss, Tensor) and loss.requires_grad
    loss.backward()
    assert W1.grad is not None and W2.grad is not None
    # by hand: out = W2 (r + r²), r = relu(W1 X)
    z = W1.data @ X
    r = np.maximum(z, 0)
    g_r = W2.data.T @ np.ones((1, 5)) * (1 + 2 * r)
    np.testing.assert_allclose(W1.grad.data, (g_r * (z > 0)) @ X.T, rtol=1e-12)
    np.testing.assert_allclose(W2.grad.data, (r + r * r).sum(1)[None], rtol=1e-12)
    # and an SGD step moves W1
    before = W1.data.copy()
    tg.optim.SGD([W1], lr=0.1).step()
    assert not np.array_equal(W1.data, before)


def test_np_sum_of_a_tensor() -> None:
    x = leaf(2, 3)
    s = np.sum(x)
    assert isinstance(s, Tensor) and s.item() == pytest.approx(x.data.sum())
    s.backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, np.ones((2, 3)))


def test_abs_of_a_tensor() -> None:
    x = Tensor([-2.0, 3.0], requires_grad=True)
    abs(x).sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, [-1.0, 1.0])
