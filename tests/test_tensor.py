"""Tensor construction, dtypes, properties, factories, conversions and comparisons."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite.testing import tensors


@pytest.mark.parametrize(
    ("data", "dtype"),
    [
        (3, np.int64),
        (2.5, np.float64),
        ([1, 2, 3], np.int64),
        ([1, 2.5], np.float64),
        ([[1.0, 2.0]], np.float64),
        (np.arange(4, dtype=np.int32), np.int32),
        (np.array([True, False]), np.bool_),
        (True, np.bool_),
    ],
)
def test_dtypes_are_inferred_as_pytorch_and_numpy_do(data: object, dtype: type) -> None:
    assert Tensor(data).dtype == dtype


def test_float32_arrays_stay_float32_and_dtype_is_honoured() -> None:
    assert Tensor(np.ones(2, dtype=np.float32)).dtype == np.float32
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32
    assert Tensor([1, 2], dtype=np.int64).dtype == np.int64


def test_data_is_the_live_array() -> None:
    a = np.zeros(3)
    t = Tensor(a)
    assert t.data is a
    t.data -= 1.0  # the tutorial's in-place update
    assert a[0] == -1.0
    assert t.numpy() is a


@pytest.mark.parametrize("dtype", [np.int32, np.int64, bool])
def test_int_or_bool_tensor_cannot_require_grad(dtype: type) -> None:
    with pytest.raises(
        TypeError,
        match=f"only floating-point tensors can require grad, got dtype {np.dtype(dtype)}",
    ):
        Tensor([1, 0], dtype=dtype, requires_grad=True)
    with pytest.raises(TypeError, match="requires_grad_"):
        Tensor([1, 0], dtype=dtype).requires_grad_()


@pytest.mark.parametrize("data", [["a", "b"], np.array([object(), 1]), {"x": 1}])
def test_non_numeric_data_is_a_type_error(data: object) -> None:
    with pytest.raises(TypeError, match="not numeric"):
        Tensor(data)


@given(tensors())
def test_properties_mirror_numpy(t: Tensor) -> None:
    assert t.shape == t.data.shape and t.ndim == t.data.ndim and t.size == t.data.size
    assert t.dtype == t.data.dtype
    np.testing.assert_array_equal(np.asarray(t), t.data)
    np.testing.assert_array_equal(t.T.data, t.data.T)


def test_len_item_and_errors() -> None:
    assert len(Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])) == 3
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))
    assert Tensor([[7.0]]).item() == 7.0
    with pytest.raises(ValueError, match=r"one element.*shape \(2,\)"):
        Tensor([1.0, 2.0]).item()


def test_detach_shares_data_and_cuts_the_graph() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.grad_fn is None
    z = x.detach()
    assert z.data is x.data


def test_repr_like_pytorch() -> None:
    x = Tensor([[0.1, 0.2]], requires_grad=True)
    assert repr(x) == "Tensor([[0.1, 0.2]], requires_grad=True)"
    assert repr(x.tanh()).endswith("grad_fn=<Tanh>)")
    assert repr(Tensor([1.0], dtype=np.float32)) == "Tensor([1.], dtype=float32)"


def test_scalars_on_either_side_keep_the_tensor_dtype() -> None:
    t = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    for r in (2 - t, 1 / t, t * 3, 2.0 + t, t**2, 2**t, t / 4):
        assert r.dtype == np.float32
    np.testing.assert_allclose((2 - t).data, [1.0, 0.0])
    np.testing.assert_allclose((1 / t).data, [1.0, 0.5])
    np.testing.assert_allclose((2**t).data, [2.0, 4.0])


def test_numpy_array_on_the_left_defers_to_tensor() -> None:
    t = Tensor([1.0, 2.0], requires_grad=True)
    r = np.array([10.0, 20.0]) + t
    assert isinstance(r, Tensor) and r.requires_grad
    m = np.eye(2) @ t
    assert isinstance(m, Tensor)


@given(tensors(shape=(3, 2)), st.floats(-5, 5))
def test_comparisons_return_bool_tensors_without_grad(t: Tensor, c: float) -> None:
    t.requires_grad_()
    for r, ref in [
        (t > c, t.data > c),
        (t < c, t.data < c),
        (t >= c, t.data >= c),
        (t <= c, t.data <= c),
        (t == c, t.data == c),
        (t != c, t.data != c),
    ]:
        assert r.dtype == np.bool_ and not r.requires_grad
        np.testing.assert_array_equal(r.data, ref)


def test_tensors_stay_hashable() -> None:
    a, b = Tensor([1.0]), Tensor([1.0])
    assert len({a, b}) == 2


def test_factories() -> None:
    assert tg.zeros(2, 3).shape == (2, 3) and tg.zeros((2, 3)).data.sum() == 0
    assert tg.ones(4, dtype=np.float32).dtype == np.float32
    assert tg.zeros(2, requires_grad=True).requires_grad
    assert tg.zeros_like(Tensor(np.ones((2, 2), np.float32))).dtype == np.float32
    np.testing.assert_array_equal(tg.ones_like(np.zeros(3)).data, np.ones(3))
    np.testing.assert_array_equal(tg.arange(4).data, [0.0, 1.0, 2.0, 3.0])
    assert tg.arange(1, 3, 0.5).dtype == np.float64
    assert tg.tensor([1.0, 2], requires_grad=True).requires_grad
    assert tg.arange(4).dtype == np.int64  # all-int arguments, as PyTorch


def test_random_factories_are_seedable() -> None:
    np.testing.assert_array_equal(tg.randn(3, 2, seed=7).data, tg.randn(3, 2, seed=7).data)
    assert not np.array_equal(tg.randn(3, seed=1).data, tg.randn(3, seed=2).data)
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    np.testing.assert_array_equal(tg.rand(4, seed=g1).data, tg.rand(4, seed=g2).data)
    r = tg.rand(1000, seed=0)
    assert 0 <= r.data.min() and r.data.max() < 1
    assert tg.randn(2, dtype=np.float32, requires_grad=True).dtype == np.float32


def test_getitem_with_tensor_index_and_repeats_accumulates() -> None:
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    idx = Tensor([0, 0, 2], dtype=np.int64)
    x[idx].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 0.0, 1.0])


def test_pow_rejects_a_bad_exponent() -> None:
    with pytest.raises(TypeError, match="exponent must be a number or a Tensor"):
        Tensor([1.0]) ** "2"  # type: ignore[operator]
