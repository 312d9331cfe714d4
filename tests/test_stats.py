"""var_mean, std_mean, nansum, nanmean, median, cummax, cummin, logcumsumexp, diff: NumPy
references, derivatives, the rules for ties and NaN, and the refusals."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck

RNG = np.random.default_rng(2)
NAN = np.nan


def leaf(*shape: int) -> Tensor:
    return Tensor(RNG.uniform(-1.5, 1.5, shape), requires_grad=True)


def grad_of(f: Any, x: Tensor, w: Any = None) -> np.ndarray:
    y = f(x)
    (y * Tensor(np.ones(y.shape) if w is None else w)).sum().backward()
    assert x.grad is not None
    g = x.grad.data.copy()
    x.grad = None
    return g


def test_var_mean_and_std_mean_in_pytorchs_forms() -> None:
    x = leaf(3, 4)
    var, mean = tg.var_mean(x, 1)
    np.testing.assert_allclose(var.data, np.var(x.data, 1, ddof=1), rtol=1e-14)
    np.testing.assert_allclose(mean.data, np.mean(x.data, 1), rtol=1e-14)
    for args, kwargs, ddof in [
        ((0, False), {}, 0),
        ((0,), {"correction": 2}, 2),
        ((0, True, True), {}, 1),
        ((False,), {}, 0),  # unbiased as the second positional argument, without dim
    ]:
        var, mean = tg.var_mean(x, *args, **kwargs)
        std, _ = tg.std_mean(x, *args, **kwargs)
        axis = None if isinstance(args[0], bool) else args[0]
        keep = len(args) > 2
        np.testing.assert_allclose(var.data, np.var(x.data, axis, ddof=ddof, keepdims=keep))
        np.testing.assert_allclose(std.data, np.std(x.data, axis, ddof=ddof, keepdims=keep))
        np.testing.assert_allclose(mean.data, np.mean(x.data, axis, keepdims=keep))
    with pytest.raises(TypeError, match="give correction or unbiased, not both"):
        tg.var_mean(x, 0, True, correction=0)
    assert gradgradcheck(lambda u: tg.std_mean(u, 1)[0] * tg.std_mean(u, 1)[1], x)


def test_nansum_and_nanmean_skip_nan_in_values_and_gradients() -> None:
    a = np.array([[1.0, NAN, 2.0], [NAN, NAN, NAN], [0.5, -1.0, 4.0]])
    x = Tensor(a, requires_grad=True)
    np.testing.assert_array_equal(x.nansum(1).data, np.nansum(a, 1))
    np.testing.assert_array_equal(tg.nansum(x).data, np.nansum(a))
    with warnings.catch_warnings():  # NumPy warns for the mean of no value
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmean(a, 0), np.nanmean(a, 1, keepdims=True)
    np.testing.assert_allclose(x.nanmean(0).data, expected[0], rtol=1e-15)
    np.testing.assert_allclose(tg.nanmean(x, 1, True).data, expected[1], rtol=1e-15)
    np.testing.assert_array_equal(grad_of(lambda u: u.nansum(), x), np.where(np.isnan(a), 0, 1))
    g = grad_of(lambda u: u.nanmean(1), x)
    np.testing.assert_allclose(g, [[0.5, 0, 0.5], [0, 0, 0], [1 / 3] * 3], rtol=1e-15)
    b = leaf(2, 3)
    assert gradgradcheck(lambda u: u.nanmean(0) * u.nansum(0), b)
    assert tg.tensor([1, 2]).nansum().tolist() == 3
    with pytest.raises(TypeError, match="floating-point tensor, got dtype int64"):
        tg.tensor([1, 2]).nanmean()
    with pytest.raises(ValueError, match=r"dim=\(\) is ambiguous"):
        x.nansum(())


def test_median_is_the_lower_middle_value_and_shares_its_gradient_among_ties() -> None:
    x = Tensor([4.0, 1.0, 3.0, 2.0], requires_grad=True)
    assert tg.median(x).item() == 2.0  # the lower of 2 and 3
    t = Tensor([1.0, 2.0, 2.0, 2.0, 3.0], requires_grad=True)
    np.testing.assert_allclose(grad_of(lambda u: u.median(), t), [0, 1 / 3, 1 / 3, 1 / 3, 0])
    n = Tensor([1.0, NAN, NAN, 0.0], requires_grad=True)
    assert np.isnan(n.median().item())
    np.testing.assert_array_equal(grad_of(lambda u: u.median(), n), [0, 0.5, 0.5, 0])
    assert tg.tensor([3, 1, 2, 4]).median().tolist() == 2
    with pytest.raises(ValueError, match="empty"):
        tg.ones(0).median()


def test_median_along_a_dim_returns_values_and_the_stable_middle_index() -> None:
    rows = [[2.0, 1.0, 2.0, 2.0, 3.0], [1.0, 1.0, 1.0, 1.0, 1.0], [5.0, 5.0, 0.0, 0.0, 1.0]]
    x = Tensor(rows, requires_grad=True)
    values, indices = x.median(1)
    assert values.tolist() == [2.0, 1.0, 1.0] and indices.tolist() == [2, 2, 4]
    for row, i in zip(rows, indices.tolist(), strict=True):  # the middle of a stable sort
        assert i == np.argsort(row, kind="stable")[(len(row) - 1) // 2]
    g = grad_of(lambda u: u.median(1).values, x)
    np.testing.assert_array_equal(g, np.eye(5)[[2, 2, 4]])
    v, i = tg.median(Tensor([[1.0, NAN, 3.0, NAN]]), 1, keepdim=True)
    assert np.isnan(v.item()) and i.tolist() == [[1]]  # the first NaN
    v, i = tg.tensor(3.0).median(0)
    assert v.item() == 3.0 and i.item() == 0
    with pytest.raises(ValueError, match="no elements"):
        tg.ones(2, 0).median(1)
    assert gradgradcheck(lambda u: u.median(0).values, leaf(4, 3))


def running_reference(a: np.ndarray, larger: bool) -> tuple[list[float], list[int]]:
    """The running extreme and its index, one element at a time (ties and NaN move it)."""
    best, index, values, indices = a[0], 0, [], []
    for i, v in enumerate(a):
        if np.isnan(v) or (not np.isnan(best) and (v >= best if larger else v <= best)):
            best, index = v, i
        values.append(best)
        indices.append(index)
    return values, indices


@pytest.mark.parametrize("larger", [True, False])
def test_cummax_and_cummin_move_to_the_later_tie_and_to_each_nan(larger: bool) -> None:
    for row in ([1.0, 3.0, 2.0, 3.0, 3.0, 1.0, 4.0], [1.0, NAN, 2.0, NAN, 5.0], [-np.inf] * 3):
        x = Tensor(row, requires_grad=True)
        values, indices = x.cummax(0) if larger else tg.cummin(x, 0)
        expected_values, expected_indices = running_reference(np.array(row), larger)
        np.testing.assert_array_equal(values.data, expected_values)
        assert indices.tolist() == expected_indices
        w = np.arange(1.0, len(row) + 1.0)
        g = grad_of(lambda u: u.cummax(0).values if larger else u.cummin(0).values, x, w)
        np.testing.assert_array_equal(g, np.bincount(expected_indices, w, len(row)))
    v, i = tg.tensor([[1, 3], [3, 2]]).cummax(0)
    assert v.tolist() == [[1, 3], [3, 3]] and i.tolist() == [[0, 0], [1, 0]]
    assert gradcheck(lambda u: u.cummin(1).values, leaf(2, 4))


def test_logcumsumexp_neither_overflows_nor_underflows() -> None:
    x = leaf(3, 4)
    expected = np.log(np.cumsum(np.exp(x.data), axis=1))
    np.testing.assert_allclose(tg.logcumsumexp(x, 1).data, expected, rtol=1e-14)
    assert gradgradcheck(lambda u: u.logcumsumexp(0), x)
    big = Tensor([0.0, -1000.0, 1000.0, 1000.0], requires_grad=True)
    y = big.logcumsumexp(0)
    np.testing.assert_allclose(y.data, [0.0, 0.0, 1000.0, 1000.0 + np.log(2.0)], rtol=1e-15)
    g = grad_of(lambda u: u.logcumsumexp(0), big, np.array([1.0, -2.0, 3.0, 1.0]))
    # y near 1000 is known to an ulp of 1e-13, and so is every exponent
    np.testing.assert_allclose(g, [-1.0, 0.0, 3.5, 0.5], rtol=1e-12, atol=1e-300)
    with np.errstate(divide="ignore"):
        assert Tensor([-np.inf, 1.0]).logcumsumexp(0).tolist() == [-np.inf, 1.0]


def test_diff_as_numpys_with_prepend_append_and_bools() -> None:
    x, p = leaf(3, 4), leaf(3, 2)
    for n in (0, 1, 2, 5):
        np.testing.assert_array_equal(x.diff(n).data, np.diff(x.data, n))
    np.testing.assert_array_equal(
        tg.diff(x, 2, 1, prepend=p, append=p).data, np.diff(x.data, 2, 1, p.data, p.data)
    )
    np.testing.assert_array_equal(x.diff(1, 0).data, np.diff(x.data, 1, 0))
    assert gradgradcheck(lambda u, v: u.diff(2, -1, prepend=v), x, p)
    b = tg.tensor([True, False, False, True])
    assert b.diff().tolist() == [True, False, True] and not b.diff().requires_grad
    assert tg.tensor([1, 5, 2], dtype=np.uint8).diff().tolist() == [4, 253]
    with pytest.raises(ValueError, match="must be an int >= 0, got -1"):
        x.diff(-1)
    with pytest.raises(ValueError, match="at least one dimension"):
        tg.tensor(1.0).diff()
    with pytest.raises(ValueError, match=r"prepend of shape \(\) must have the tensor's 2"):
        x.diff(prepend=0.0)
    with pytest.raises(ValueError, match=r"append of shape \(3, 1\) must have"):
        x.diff(dim=0, append=tg.ones(3, 1))
