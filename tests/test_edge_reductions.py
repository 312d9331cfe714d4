"""Edge cases of repeat/tile, all/any and count_nonzero, each as PyTorch computes it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tinygrad_lite as tg


@pytest.mark.parametrize("shape", [(3,), (2, 1), (1, 3), (2, 3), (0, 2), ()])
def test_repeat_and_tile_return_new_writable_memory(shape: tuple[int, ...]) -> None:
    for reps in itertools.product([1, 2], repeat=len(shape) + 1):
        x = tg.tensor(np.arange(float(np.prod(shape))).reshape(shape))
        for method in ("repeat", "tile"):
            y, expected = getattr(x, method)(reps), np.tile(x.data, reps)
            np.testing.assert_array_equal(y.data, expected)
            assert not np.shares_memory(y.data, x.data), (shape, reps)
            x.add_(10.0)  # a later write into x does not show through y
            np.testing.assert_array_equal(y.data, expected)
            y.add_(1.0)  # and y can be written (PyTorch's repeat is a copy)
            np.testing.assert_array_equal(y.data, expected + 1.0)


def test_repeat_of_ones_keeps_its_gradient() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x.repeat(1) * tg.tensor([3.0, 4.0])).sum().backward()
    assert x.grad is not None and x.grad.tolist() == [3.0, 4.0]


def test_all_and_any_keep_dims_without_a_dim() -> None:
    t = tg.tensor([[True, False]])
    assert t.all(dim=None, keepdim=True).shape == (1, 1)
    assert t.any(dim=None, keepdim=True).tolist() == [[True]]
    assert t.all(keepdim=True).tolist() == [[False]]


def test_all_and_any_of_uint8_are_uint8() -> None:
    u = tg.tensor(np.array([[0, 3], [1, 2]], np.uint8))
    assert u.all().dtype == np.uint8 and u.all().item() == 0
    assert u.any(1).dtype == np.uint8 and u.any(1).tolist() == [1, 1]
    assert tg.tensor([1.0, 0.0]).all().dtype == np.bool_


def test_all_and_any_take_lists_of_dims_and_the_dims_of_a_0d_tensor() -> None:
    t = tg.tensor([[1, 2], [0, 3]])
    assert t.all(dim=[0, 1]).item() is False and t.any(dim=[1]).tolist() == [True, True]
    assert tg.tensor(1.0).all(dim=(0,)).item() is True
    assert tg.tensor(0.0).any(dim=-1, keepdim=True).shape == ()
    with pytest.raises(ValueError, match="names a dimension twice"):
        t.all(dim=(0, -2))
    with pytest.raises(IndexError, match="out of range"):
        t.any(dim=2)


def test_count_nonzero_refuses_an_empty_dim() -> None:
    x = tg.tensor([[0.0, 1.0], [2.0, 0.0]])
    with pytest.raises(ValueError, match="ambiguous"):
        x.count_nonzero(dim=())
    assert x.count_nonzero().item() == 2 and x.count_nonzero(dim=(0, 1)).item() == 2


def test_norm_refuses_an_empty_dim() -> None:
    x = tg.tensor([3.0, -4.0])
    with pytest.raises(ValueError, match="ambiguous"):
        x.norm(dim=())
    assert x.norm(dim=(0,)).item() == 5.0 and x.norm().item() == 5.0


def test_eq_and_ne_refuse_what_is_not_a_tensor_number_or_array() -> None:
    t = tg.tensor([1.0, 2.0])
    for other in (None, [1.0, 3.0], "a"):
        for name in ("eq", "ne"):
            with pytest.raises(TypeError, match=f"{name}: cannot compare"):
                getattr(t, name)(other)
    assert t.eq(1.0).tolist() == [True, False] and t.ne(np.array([1.0, 3.0])).tolist() == [
        False,
        True,
    ]
    assert (t == None) is False and (t != [1.0]) is True  # noqa: E711 - the operators: PyTorch's


def test_index_fill_refuses_what_the_dtype_cannot_hold() -> None:
    x = tg.tensor(np.zeros((2, 3), np.int8))
    for value in (float("nan"), float("inf"), 300, -129, 127.5):
        with pytest.raises((ValueError, OverflowError), match="index_fill"):
            x.index_fill(1, tg.tensor([0]), value)
    assert x.index_fill(1, tg.tensor([0]), 2.7).tolist() == [[2, 0, 0], [2, 0, 0]]


@pytest.mark.parametrize("number", [65536.0, 0.1, 1e-8, 70000.0, 3.0, -2.5])
def test_float16_in_place_products_and_quotients_round_once_from_float32(number: float) -> None:
    a = np.array([0.0, 1e-3, 0.5, 0.1, 3.3, -7.25], np.float16)
    with np.errstate(over="ignore"):
        for op, ufunc in (("__imul__", np.multiply), ("__itruediv__", np.divide)):
            t = tg.tensor(a.copy())
            getattr(t, op)(number)  # outside the graph: written into t's array
            expected = ufunc(a.astype(np.float32), np.float32(number)).astype(np.float16)
            np.testing.assert_array_equal(t.data, expected)
            assert t.dtype == np.float16


def test_concat_and_concatenate_are_cat() -> None:
    parts = [tg.tensor([1.0, 2.0]), tg.tensor([3.0])]
    assert tg.concat(parts).tolist() == tg.concatenate(parts, dim=0).tolist() == [1.0, 2.0, 3.0]
    assert tg.concat is tg.cat and tg.concatenate is tg.cat


def test_softmax_methods_take_pytorchs_dtype_keyword() -> None:
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.softmax(0, dtype=np.float32)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum(), rtol=1e-6)
    (y * tg.tensor(np.float32([1.0, 0.0, 0.0]))).sum().backward()
    assert x.grad is not None and x.grad.dtype == np.float64
    z = tg.tensor([1, 2, 3]).log_softmax(0, dtype=np.float64)
    assert z.dtype == np.float64
    np.testing.assert_allclose(z.data, [1, 2, 3] - np.log(np.exp([1, 2, 3]).sum()), rtol=1e-15)
    with pytest.raises(TypeError, match="floating-point"):
        x.softmax(0, dtype=np.int64)


def test_top_level_sort_and_argsort_take_stable() -> None:
    x = tg.tensor([3.0, 1.0, 3.0, 1.0])
    assert tg.sort(x, stable=True).indices.tolist() == [1, 3, 0, 2]
    assert tg.argsort(x, descending=True, stable=True).tolist() == [0, 2, 1, 3]
