"""PyTorch's names and meanings where users type them, NumPy's spellings accepted too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite.gradcheck import gradcheck


def _logsumexp(x: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))


# method -> its NumPy reference (PyTorch's defaults: var and std are unbiased)
REDUCTIONS: dict[str, Callable[..., np.ndarray]] = {
    "sum": np.sum,
    "mean": np.mean,
    "prod": np.prod,
    "var": lambda x, axis, keepdims: np.var(x, axis=axis, ddof=1, keepdims=keepdims),
    "std": lambda x, axis, keepdims: np.std(x, axis=axis, ddof=1, keepdims=keepdims),
    "logsumexp": _logsumexp,
    "amax": np.max,
    "amin": np.min,
    "max": np.max,
    "min": np.min,
    "argmax": np.argmax,
    "argmin": np.argmin,
}
ONE_DIM_ONLY = {"argmax", "argmin"}


def _dims(method: str) -> list[Any]:
    dims: list[Any] = [0, 1, 2, -1, -3]
    if method not in ONE_DIM_ONLY:
        dims += [(0, 2), (-1, 0)]
    return dims


def _values(r: Any) -> np.ndarray:
    return r.data if isinstance(r, Tensor) else r.values.data


@pytest.mark.parametrize("method", sorted(REDUCTIONS))
def test_dim_keepdim_and_axis_keepdims_are_one_argument(method: str) -> None:
    rng = np.random.default_rng(0)
    data = rng.permutation(24).reshape(2, 3, 4) / 7.0 + 0.5  # distinct, positive
    x = Tensor(data)
    fn = getattr(x, method)
    ref = REDUCTIONS[method]
    for d in _dims(method):
        for keep in (False, True):
            expected = ref(data, axis=d, keepdims=keep)
            spellings = [fn(axis=d, keepdims=keep), fn(axis=d, keepdim=keep)]
            if method in ("max", "min") and isinstance(d, tuple):
                # PyTorch's max(dim) gives values and indices along one dim; NumPy's axis= only
                with pytest.raises(TypeError, match="dim must be one int"):
                    fn(dim=d)
            else:
                spellings += [fn(dim=d, keepdim=keep), fn(dim=d, keepdims=keep)]
                # positionally as PyTorch: (dim, keepdim); std and var read (dim, unbiased, keepdim)
                spellings += [fn(d, True, keep) if method in ("std", "var") else fn(d, keep)]
            for r in spellings:
                got = _values(r)
                assert got.shape == expected.shape, (d, keep)
                np.testing.assert_allclose(got, expected, rtol=1e-13)
    # no dim: over everything
    np.testing.assert_allclose(_values(fn()), ref(data, axis=None, keepdims=False), rtol=1e-13)


@pytest.mark.parametrize("method", sorted(REDUCTIONS))
def test_giving_both_spellings_is_an_error(method: str) -> None:
    fn = getattr(Tensor(np.ones((2, 3))), method)
    with pytest.raises(TypeError, match=f"{method}: give dim or axis, not both"):
        fn(dim=0, axis=0)
    with pytest.raises(TypeError, match="give keepdim or keepdims, not both"):
        fn(0, keepdim=True, keepdims=True)


@pytest.mark.parametrize("method", ["sum", "mean", "prod", "logsumexp", "amax", "amin", "var"])
def test_both_spellings_build_the_same_graph(method: str) -> None:
    data = np.random.default_rng(1).permutation(12).reshape(3, 4) / 5.0 + 0.3
    grads = []
    for kw in ({"dim": 1, "keepdim": True}, {"axis": 1, "keepdims": True}):
        x = Tensor(data, requires_grad=True)
        y = getattr(x, method)(**kw)
        assert gradcheck(lambda t, kw=kw: getattr(t, method)(**kw), x)
        (y * Tensor(np.arange(3.0).reshape(3, 1))).sum().backward()
        assert x.grad is not None
        grads.append(x.grad.data)
    np.testing.assert_array_equal(grads[0], grads[1])


# ---------------------------------------------------------------------------- max(dim)


def test_max_and_min_with_a_dim_return_values_and_indices() -> None:
    data = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    x = Tensor(data, requires_grad=True)
    r = x.max(1)
    values, indices = r
    assert r.values is values and r.indices is indices
    np.testing.assert_array_equal(values.data, [3.0, 2.0])
    np.testing.assert_array_equal(indices.data, [1, 0])  # the first of tied maxima, as PyTorch
    assert indices.dtype == np.int64 and not indices.requires_grad
    values.sum().backward()
    assert x.grad is not None
    # the gradient goes to the index returned, not shared among the ties (as PyTorch)
    np.testing.assert_array_equal(x.grad.data, [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    lo, at = x.min(dim=0, keepdim=True)
    assert lo.shape == at.shape == (1, 3)
    np.testing.assert_array_equal(at.data, [[0, 1, 1]])


def test_max_over_everything_and_amax_share_the_gradient_among_ties() -> None:
    data = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    x = Tensor(data, requires_grad=True)
    x.max().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, [[0.0, 0.5, 0.5], [0.0, 0.0, 0.0]])
    x = Tensor(data, requires_grad=True)
    x.amax(1).sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, [[0.0, 0.5, 0.5], [0.5, 0.5, 0.0]])
    # NumPy's axis= spelling gives the values only, with amax's gradient
    assert isinstance(x.max(axis=1), Tensor)


@given(st.integers(0, 2), st.booleans(), st.integers(0, 2**31))
def test_max_dim_gradient_is_the_onehot_of_the_indices(dim: int, keep: bool, seed: int) -> None:
    data = np.random.default_rng(seed).integers(0, 3, (3, 2, 4)).astype(float)  # many ties
    x = Tensor(data, requires_grad=True)
    values, indices = x.max(dim, keep)
    np.testing.assert_array_equal(values.data, data.max(axis=dim, keepdims=keep))
    np.testing.assert_array_equal(indices.data, data.argmax(axis=dim, keepdims=keep))
    weights = np.random.default_rng(seed + 1).standard_normal(values.shape)
    (values * weights).sum().backward()
    expected = np.zeros_like(data)
    idx = indices.data if keep else np.expand_dims(indices.data, dim)
    w = weights if keep else np.expand_dims(weights, dim)
    np.put_along_axis(expected, idx, w, axis=dim)
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, expected)


# ---------------------------------------------------------------------------- dims and shapes


def test_transpose_swaps_two_dims() -> None:
    a = np.arange(6.0).reshape(2, 3)
    x = Tensor(a, requires_grad=True)
    for d0, d1 in [(0, 1), (1, 0), (-1, 0), (-2, -1)]:
        np.testing.assert_array_equal(x.transpose(d0, d1).data, a.T)
    np.testing.assert_array_equal(x.transpose(1, 1).data, a)
    b = np.arange(24.0).reshape(2, 3, 4)
    y = Tensor(b, requires_grad=True)
    np.testing.assert_array_equal(y.transpose(1, 2).data, np.swapaxes(b, 1, 2))
    np.testing.assert_array_equal(y.transpose(0, 2).data, np.swapaxes(b, 0, 2))
    np.testing.assert_array_equal(y.transpose(-1, 0).data, np.swapaxes(b, 0, 2))
    assert y.transpose(1, 2).shape == (2, 4, 3)
    assert gradcheck(lambda t: t.transpose(0, 2) * Tensor(np.arange(24.0).reshape(4, 3, 2)), y)
    with pytest.raises(IndexError, match="dim 3 is out of range"):
        y.transpose(0, 3)


def test_permute_T_and_mT() -> None:
    b = np.arange(24.0).reshape(2, 3, 4)
    y = Tensor(b, requires_grad=True)
    np.testing.assert_array_equal(y.permute(2, 0, 1).data, np.transpose(b, (2, 0, 1)))
    np.testing.assert_array_equal(y.permute((2, 0, 1)).data, np.transpose(b, (2, 0, 1)))
    np.testing.assert_array_equal(y.permute(-1, 0, 1).data, np.transpose(b, (2, 0, 1)))
    np.testing.assert_array_equal(y.T.data, np.transpose(b))  # all dims reversed
    np.testing.assert_array_equal(y.mT.data, np.swapaxes(b, -1, -2))
    assert Tensor(np.ones((2, 3))).mT.shape == (3, 2)
    with pytest.raises(ValueError, match="not a permutation"):
        y.permute(0, 0, 1)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        _ = Tensor([1.0, 2.0]).mT
    weights = Tensor(np.arange(24.0).reshape(4, 3, 2))
    assert gradcheck(lambda t: t.permute(2, 1, 0) * weights, y)
    assert gradcheck(lambda t: t.mT.sum(0) * 1.5, y)


def test_arithmetic_methods_are_the_operators() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.uniform(0.5, 2, (3, 3)), rng.uniform(0.5, 2, (3, 3))
    pairs: list[tuple[Callable[..., Tensor], Callable[..., Any]]] = [
        (lambda x, y: x.add(y), lambda x, y: x + y),
        (lambda x, y: x.sub(y), lambda x, y: x - y),
        (lambda x, y: x.mul(y), lambda x, y: x * y),
        (lambda x, y: x.div(y), lambda x, y: x / y),
        (lambda x, y: x.pow(y), lambda x, y: x**y),
        (lambda x, y: x.matmul(y), lambda x, y: x @ y),
        (lambda x, y: x.neg() * y, lambda x, y: -x * y),
    ]
    for method, operator in pairs:
        x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
        got = method(x, y)
        np.testing.assert_array_equal(got.data, operator(a, b))
        assert got.grad_fn is operator(x, y).grad_fn
        assert gradcheck(method, x, y)
    x = Tensor(a)
    for r in (x.add(2), x.sub(2.5), x.mul(3), x.div(4), x.pow(2)):
        assert r.dtype == np.float64
    np.testing.assert_array_equal(x.add(np.ones(3)).data, a + 1)


def test_numpy_on_a_tensor_that_requires_grad_says_to_detach() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"call tensor\.detach\(\)\.numpy\(\) instead"):
        x.numpy()
    with pytest.raises(RuntimeError, match="requires grad"):
        (x * 2).numpy()
    assert x.detach().numpy() is x.data
    assert Tensor([1.0]).numpy() is not None  # no grad, no fuss


def test_reductions_over_dim_0_and_minus_1_of_a_0d_tensor() -> None:
    t = Tensor(3.0, requires_grad=True)
    for d in (0, -1):
        for name in ("sum", "mean", "prod", "logsumexp", "amax", "amin"):
            r = getattr(t, name)(d)
            assert r.shape == () and r.item() == pytest.approx(3.0), name
        assert t.sum(d, keepdim=True).shape == ()
        values, indices = t.max(d)
        assert values.item() == 3.0 and indices.item() == 0
        assert t.argmax(d).item() == 0 and t.argmin(dim=d).item() == 0
    t.sum(0).backward()
    assert t.grad is not None and t.grad.item() == 1.0
    for bad in (1, -2):
        with pytest.raises(ValueError, match=f"dim {bad} is out of range"):
            t.sum(bad)


@pytest.mark.parametrize("dtype", [np.int32, np.int8, np.uint8, np.bool_, np.float32, np.float16])
def test_like_factories_keep_the_dtype(dtype: type) -> None:
    t = Tensor(np.zeros((2, 3), dtype))
    for r in (tg.zeros_like(t), tg.ones_like(t), tg.full_like(t, 1)):
        assert r.dtype == dtype and r.shape == (2, 3)
    assert tg.zeros_like(t, dtype=np.float64).dtype == np.float64


def test_sizes_must_be_integers() -> None:
    for factory in (tg.zeros, tg.ones, tg.randn, tg.rand):
        with pytest.raises(TypeError, match=r"sizes must be integers, got 2\.7"):
            factory(2.7)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="sizes must be integers"):
            factory(2, 3.0)  # type: ignore[arg-type]
    assert tg.zeros(np.int64(2), 3).shape == (2, 3)
