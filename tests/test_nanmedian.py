"""nanmedian: the lower middle of the numbers (NumPy reference), its index, gradients, NaN
rows, integers, and the refusals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck

NAN = np.nan


def lower_middle(row: np.ndarray) -> tuple[float, int]:
    """The lower middle number of a row and its index (the middle of a stable sort of the
    numbers); NaN and the first index for a row of NaN only."""
    numbers = [(v, i) for i, v in enumerate(row) if not np.isnan(v)]
    if not numbers:
        return NAN, 0
    ordered = sorted(numbers, key=lambda p: p[0])  # sorted() is stable
    return ordered[(len(ordered) - 1) // 2]


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
        elements=st.sampled_from([-1.0, 0.0, 0.5, 2.0, 3.0, NAN]),
    ),
    st.data(),
)
def test_values_indices_and_gradients_are_the_references(a: np.ndarray, data: Any) -> None:
    dim = data.draw(st.integers(-a.ndim, a.ndim - 1))
    keep = data.draw(st.booleans())
    x = Tensor(a, requires_grad=True)
    values, indices = x.nanmedian(dim, keep)
    moved = np.moveaxis(a, dim, -1)
    pairs = [lower_middle(row) for row in moved.reshape(-1, moved.shape[-1])]
    expected_v = np.array([v for v, _ in pairs]).reshape(moved.shape[:-1])
    expected_i = np.array([i for _, i in pairs], dtype=np.int64).reshape(moved.shape[:-1])
    if keep:
        expected_v, expected_i = np.expand_dims(expected_v, dim), np.expand_dims(expected_i, dim)
    np.testing.assert_array_equal(values.data, expected_v)
    np.testing.assert_array_equal(indices.data, expected_i)
    assert indices.dtype == np.int64 and not indices.requires_grad
    w = np.arange(1.0, values.size + 1).reshape(values.shape)
    (values * Tensor(w)).sum().backward()
    expected_g = np.zeros(a.shape)  # w at the element each index names
    at = expected_i if keep else np.expand_dims(expected_i, dim)
    np.put_along_axis(expected_g, at, w if keep else np.expand_dims(w, dim), axis=dim)
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, expected_g)
    # over every element: the lower middle number, its gradient shared among its equals
    x.grad = None
    m = tg.nanmedian(x)
    v, _ = lower_middle(a.reshape(-1))
    np.testing.assert_array_equal(m.data, v)
    m.backward()
    chosen = np.isnan(a) if np.isnan(v) else a == v
    np.testing.assert_allclose(x.grad.data, chosen / chosen.sum(), rtol=1e-15)


def test_nan_is_skipped_and_only_an_all_nan_row_gives_nan() -> None:
    x = Tensor([[NAN, 1.0, 3.0, 2.0], [NAN, NAN, NAN, NAN], [2.0, 2.0, NAN, 2.0]])
    values, indices = x.nanmedian(1)
    np.testing.assert_array_equal(values.data, [2.0, NAN, 2.0])
    assert indices.tolist() == [3, 0, 1]  # the lower middle; the first NaN; the stable middle
    assert x.nanmedian().item() == 2.0
    assert np.isnan(tg.tensor([NAN, NAN]).nanmedian().item())
    assert np.isnan(x.median().item())  # median, unlike nanmedian, is NaN with any NaN
    v, i = tg.nanmedian(Tensor([[1.0, NAN, 4.0, NAN, 3.0]]), -1, keepdim=True)
    assert v.tolist() == [[3.0]] and i.tolist() == [[4]]


def test_gradients_against_finite_differences() -> None:
    a = np.array([[0.3, NAN, -1.2, 2.0], [1.1, 0.4, NAN, NAN], [-0.5, 0.9, 2.5, -2.0]])
    x = Tensor(a, requires_grad=True)
    assert gradcheck(lambda u: u.nanmedian(0).values, x, nonfinite="skip")
    y = Tensor(np.array([[0.3, 1.7, -1.2], [1.1, 0.4, 2.2]]), requires_grad=True)
    assert gradgradcheck(lambda u: u.nanmedian(1).values * u.nanmedian(), y)


def test_integers_zero_dim_and_refusals() -> None:
    assert tg.tensor([3, 1, 2, 4]).nanmedian().tolist() == 2
    v, i = tg.tensor([[3, 1, 2, 4]]).nanmedian(1)
    assert v.tolist() == [2] and i.tolist() == [2]
    v, i = tg.tensor(5.0).nanmedian(0, keepdim=True)
    assert v.item() == 5.0 and i.item() == 0
    with pytest.raises(TypeError, match="bool tensors have no median"):
        tg.tensor([True, False]).nanmedian()
    with pytest.raises(ValueError, match="the tensor is empty"):
        tg.ones(0).nanmedian()
    with pytest.raises(ValueError, match=r"dim 1 of shape \(2, 0\) has no elements"):
        tg.ones(2, 0).nanmedian(1)
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        tg.ones(2, 3).nanmedian(2)
    with pytest.raises(TypeError, match="expected a Tensor"):
        tg.nanmedian(np.ones(3))
