"""Max unpooling, power-average pools and pdist: values and gradients against loops and NumPy
formulas, finite differences in float64, the behaviour at zero, the layers, and refusals."""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lite import Tensor, pooling
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck
from tinygrad_lite.unpool import (
    LPPool1d,
    LPPool2d,
    MaxUnpool1d,
    MaxUnpool2d,
    lp_pool1d,
    lp_pool2d,
    max_pool1d_with_indices,
    max_pool2d_with_indices,
    max_unpool1d,
    max_unpool2d,
    pdist,
)


@settings(max_examples=15)
@given(st.data())
def test_unpooling_writes_each_value_at_its_index_and_reads_its_gradient_there(data: Any) -> None:
    draw = data.draw
    dims = draw(st.sampled_from([1, 2]))
    size = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    k, s = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    out = tuple((n - 1) * s + k for n in size)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((2, 2, *size))
    idx = rng.integers(0, math.prod(out), x.shape)  # repeats, usually
    xt = Tensor(x, requires_grad=True)
    y = (max_unpool1d if dims == 1 else max_unpool2d)(xt, Tensor(idx), k, s)
    assert y.shape == (2, 2, *out)
    expected = np.zeros((2, 2, math.prod(out)))
    for n, c in itertools.product(range(2), range(2)):
        for i, target in enumerate(idx[n, c].ravel()):  # in order: the last write stays
            expected[n, c, target] = x[n, c].ravel()[i]
    np.testing.assert_array_equal(y.data.reshape(2, 2, -1), expected)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    gathered = np.take_along_axis(g.reshape(2, 2, -1), idx.reshape(2, 2, -1), axis=2)
    np.testing.assert_array_equal(xt.grad.data, gathered.reshape(x.shape))


def test_pooling_then_unpooling_keeps_the_maxima_in_place() -> None:
    x = np.array([[[[1.0, 5.0, 2.0, 0.0], [4.0, 0.0, 6.0, 3.0], [7.0, 1.0, 1.0, 8.0]]]])
    values, indices = max_pool2d_with_indices(Tensor(x), 2, 2, ceil_mode=True)
    assert isinstance(values, Tensor) and indices.tolist() == [[[[1, 6], [8, 11]]]]
    y = max_unpool2d(values, indices, 2, output_size=x.shape)
    expected = np.where(np.isin(np.arange(12), [1, 6, 8, 11]).reshape(3, 4), x[0, 0], 0.0)
    np.testing.assert_array_equal(y.data[0, 0], expected)
    assert max_unpool2d(values[0], indices[0], 2, output_size=(3, 4)).shape == (1, 3, 4)
    v1, i1 = max_pool1d_with_indices(Tensor(x[0, :, 0]), 3, 1, 1, return_indices=False)
    assert i1.tolist() == [[1, 1, 1, 2]] and v1.tolist() == [[5.0, 5.0, 5.0, 2.0]]
    assert max_unpool1d(v1, i1, 3, 1, 1).tolist() == [[0.0, 5.0, 2.0, 0.0]]


def test_unpooling_gradients_match_finite_differences() -> None:
    rng = np.random.default_rng(0)
    values, indices = max_pool2d_with_indices(Tensor(rng.standard_normal((1, 2, 6, 6))), 2)
    a = Tensor(rng.standard_normal(values.shape), requires_grad=True)
    assert gradcheck(lambda t: max_unpool2d(t, indices, 2) ** 2, a)
    # With repeated indices the first derivative is PyTorch's, not the value's, but it has
    # derivatives of its own, which must match.
    _, repeats = max_pool2d_with_indices(Tensor(rng.standard_normal((1, 2, 4, 4))), 3, 1)
    b = Tensor(rng.standard_normal(repeats.shape), requires_grad=True)
    assert gradgradcheck(lambda t: max_unpool2d(t * t, repeats, 3, 1), b)


def test_output_size_picks_among_the_sizes_a_pool_could_have_come_from() -> None:
    x, idx = Tensor(np.ones((1, 1, 2, 2))), np.zeros((1, 1, 2, 2), np.int64)
    assert max_unpool2d(x, idx, 2).shape == (1, 1, 4, 4)  # (2 - 1)·2 + 2
    assert max_unpool2d(x, idx, 3, 2, 1).shape == (1, 1, 3, 3)
    assert max_unpool2d(x, idx, 2, output_size=[5, 3]).shape == (1, 1, 5, 3)
    assert max_unpool2d(x, idx, 2, output_size=(1, 1, 3, 5)).shape == (1, 1, 3, 5)
    with pytest.raises(ValueError, match="dim 1 must be between 2 and 6"):
        max_unpool2d(x, idx, 2, output_size=(4, 6))
    assert max_unpool1d(x[0], idx[0], 2, output_size=[5]).shape == (1, 2, 5)


def _lp_reference(x: np.ndarray, p: float, k: tuple[int, int], s: tuple[int, int]) -> Any:
    """(Σ xᵖ)^(1/p) over the windows of the last two axes, window by window."""
    rows, cols = range(0, x.shape[-2] - k[0] + 1, s[0]), range(0, x.shape[-1] - k[1] + 1, s[1])
    out = np.empty((*x.shape[:-2], len(rows), len(cols)))
    for (a, i), (b, j) in itertools.product(enumerate(rows), enumerate(cols)):
        out[..., a, b] = np.sum(x[..., i : i + k[0], j : j + k[1]] ** p, axis=(-2, -1)) ** (1 / p)
    return out


@pytest.mark.parametrize("p", [1, 2, 3, 1.5, 0.5])
def test_lp_pools_are_p_norms_of_the_windows(p: float) -> None:
    rng = np.random.default_rng(1)
    x = np.abs(rng.standard_normal((2, 3, 7))) + 0.1
    expected = _lp_reference(x[:, :, None], p, (1, 3), (1, 2))[:, :, 0]
    np.testing.assert_allclose(lp_pool1d(x, p, 3, 2).data, expected, rtol=1e-12)
    x2 = np.abs(rng.standard_normal((3, 4, 5))) + 0.1
    expected = _lp_reference(x2, p, (2, 2), (1, 2))
    np.testing.assert_allclose(lp_pool2d(x2, p, 2, (1, 2)).data, expected, rtol=1e-12)
    xt = Tensor(x2[:1, :3], requires_grad=True)
    assert gradcheck(lambda t: lp_pool2d(t, p, (2, 3), 1, True), xt)
    assert gradgradcheck(lambda t: lp_pool2d(t, p, 2, ceil_mode=True), xt)


def test_lp_pools_at_zero_and_infinity() -> None:
    x = Tensor(np.array([[[0.0, 0.0, 3.0, -4.0, 0.0, 2.0]]]), requires_grad=True)
    y = lp_pool1d(x, 2, 2)
    np.testing.assert_allclose(y.data, [[[0.0, 5.0, 2.0]]])
    y.backward(np.ones(y.shape))
    np.testing.assert_allclose(x.grad.data, [[[0.0, 0.0, 0.6, -0.8, 0.0, 1.0]]])  # 0 at 0
    x.grad = None
    with np.errstate(divide="ignore", invalid="ignore"):  # p < 1: 0^(−1/2), as in PyTorch
        lp_pool1d(x, 0.5, 2).sum().backward()
    np.testing.assert_allclose(x.grad.data, [[[np.nan] * 4 + [np.inf, 1.0]]], rtol=1e-15)
    assert lp_pool1d(x, math.inf, 3).tolist() == [[[3.0, 4.0]]]
    assert lp_pool1d(x, -math.inf, 3).tolist() == [[[0.0, 0.0]]]
    with np.errstate(invalid="ignore"):  # a negative sum's cube root is NaN, as in PyTorch
        assert np.isnan(lp_pool1d(x, 3, 2).data[0, 0, 1])
    with np.errstate(divide="ignore"):
        y = lp_pool1d(x, -1, 2)  # 1/(1/0 + 1/0), 1/(1/3 − 1/4), ...
    np.testing.assert_allclose(y.data, [[[0.0, 12.0, 0.0]]], rtol=1e-15)


def _pdist_reference(x: np.ndarray, p: float) -> np.ndarray:
    pairs = itertools.combinations(range(len(x)), 2)
    d = [np.abs(x[i] - x[j]) for i, j in pairs]
    if p == 0:
        return np.array([np.count_nonzero(r) for r in d], float)
    if math.isinf(p):
        return np.array([r.max(initial=0.0) for r in d])
    return np.array([np.sum(r**p) ** (1 / p) for r in d])


@pytest.mark.parametrize("p", [0, 0.5, 1, 1.5, 2, 3, math.inf])
def test_pdist_is_the_p_norm_of_every_pair_of_rows(p: float) -> None:
    x = np.random.default_rng(2).standard_normal((5, 3))
    np.testing.assert_allclose(pdist(x, p).data, _pdist_reference(x, p), rtol=1e-12)
    xt = Tensor(x, requires_grad=True)
    assert gradcheck(lambda t: pdist(t, p) ** 2, xt)
    assert gradgradcheck(lambda t: pdist(t, p) ** 2, xt)
    for shape in [(1, 3), (0, 2), (3, 0)]:
        y = pdist(Tensor(np.zeros(shape), requires_grad=True), p)
        np.testing.assert_array_equal(y.data, np.zeros(shape[0] * (shape[0] - 1) // 2))


def test_pdist_gradients_at_zero_distance_and_at_ties() -> None:
    x = Tensor(np.array([[0.0, 2.0, -2.0], [0.0, 2.0, -2.0], [0.0, 0.0, 0.0]]), requires_grad=True)
    half = math.sqrt(0.5)
    for p, row in [(2, [0.0, half, -half]), (0.5, [0.0, 2.0, -2.0]), (math.inf, [0.0, 1, -1])]:
        x.grad = None
        y = pdist(x, p)
        y.backward(np.array([1.0, 0.0, 0.0]))  # the pair at distance 0 only: no gradient
        np.testing.assert_array_equal(x.grad.data, np.zeros((3, 3)))
        x.grad = None
        pdist(x, p).backward(np.array([0.0, 1.0, 0.0]))
        np.testing.assert_allclose(x.grad.data[0], row, rtol=1e-12)  # inf: each tie gets all


def test_the_layers_call_their_functions_and_show_pytorchs_settings() -> None:
    x = Tensor(np.abs(np.random.default_rng(3).standard_normal((1, 2, 4, 4))))
    values, indices = max_pool2d_with_indices(x, 2)
    layer = MaxUnpool2d(2)
    assert repr(layer) == "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    assert layer(values, indices).tolist() == max_unpool2d(values, indices, 2).tolist()
    assert layer.state_dict() == {}
    one = MaxUnpool1d(2, stride=1)
    assert repr(one) == "MaxUnpool1d(kernel_size=(2,), stride=(1,), padding=(0,))"
    v1, i1 = pooling.max_pool1d(x[0, :, 0], 2, 1, return_indices=True)
    assert one(v1, i1, output_size=[4]).tolist() == max_unpool1d(v1, i1, 2, 1).tolist()
    lp = LPPool2d(1.5, (2, 3), stride=1, ceil_mode=True)
    assert repr(lp) == "LPPool2d(norm_type=1.5, kernel_size=(2, 3), stride=1, ceil_mode=True)"
    assert lp(x).tolist() == lp_pool2d(x, 1.5, (2, 3), 1, True).tolist()
    shown = "LPPool1d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)"
    assert repr(LPPool1d(2, 3)) == shown
    assert LPPool1d(2, 3)(x[0, 0]).tolist() == lp_pool1d(x[0, 0], 2, 3).tolist()


X = Tensor(np.ones((1, 1, 2, 2)))
IDX = np.zeros((1, 1, 2, 2), np.int64)
BAD: list[tuple[Any, tuple[Any, ...], type[Exception], str]] = [
    (max_unpool2d, (X, IDX.astype(float), 2), TypeError, "indices must be integers"),
    (max_unpool2d, (X, IDX[..., :1], 2), ValueError, "indices of shape (1, 1, 2, 1) must have"),
    (max_unpool2d, (X, IDX + 16, 2), IndexError, "index 16 is out of range for an output of size"),
    (max_unpool2d, (X, IDX - 1, 2), IndexError, "index -1 is out of range"),
    (max_unpool2d, (X.long(), IDX, 2), TypeError, "needs a floating-point input"),
    (max_unpool2d, (X[0, 0], IDX[0, 0], 2), ValueError, "(N, C, H, W) or (C, H, W)"),
    (max_unpool2d, (Tensor(np.ones((1, 0, 2, 2))), IDX[:, :0], 2), ValueError, "non-empty"),
    (max_unpool2d, (X, IDX, 2, None, 0, 5), TypeError, "output_size must be a sequence"),
    (max_unpool2d, (X, IDX, 2, None, 0, (4,)), ValueError, "must hold 2 or 4 ints"),
    (max_unpool2d, (X, IDX, 0), ValueError, "kernel_size must be >= 1"),
    (max_unpool1d, (X[0, :, :1, :1], IDX[0, :, :1, :1], 1, 1, 1), ValueError, "size -1 along"),
    (
        max_unpool1d,
        (X[0, 0], IDX[0, 0] + 4, 2),
        IndexError,
        "index 4 is out of range for an output of length 4",
    ),
    (max_unpool1d, (X[0, 0, 0], IDX[0, 0, 0], 2), ValueError, "(N, C, L) or (C, L)"),
    (lp_pool2d, (X, 0, 2), ValueError, "norm_type must not be 0"),
    (lp_pool2d, (X, "2", 2), TypeError, "norm_type must be a real number"),
    (lp_pool1d, (X[0], 2, (2, 2)), TypeError, "kernel_size must be an int"),
    (pdist, (np.ones(3),), ValueError, "needs a 2-D input (N, M), got shape (3,)"),
    (pdist, (np.ones((2, 2), np.int64),), TypeError, "floating-point"),
    (pdist, (np.ones((2, 2)), -1.0), ValueError, "p must be >= 0 (or inf), got -1.0"),
    (pdist, (np.ones((2, 2)), math.nan), ValueError, "p must be >= 0"),
    (pdist, (np.ones((2, 2)), "2"), TypeError, "p must be a real number"),
]


@pytest.mark.parametrize(("fn", "args", "error", "message"), BAD)
def test_bad_arguments_are_refused_with_their_values(
    fn: Any, args: tuple[Any, ...], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        fn(*args)


def test_the_layers_refuse_bad_settings() -> None:
    with pytest.raises(ValueError, match="stride must be >= 1"):
        MaxUnpool2d(2, stride=0)
    with pytest.raises(ValueError, match="norm_type must not be 0"):
        LPPool1d(0, 2)
    with pytest.raises(TypeError, match="kernel_size must be an int or 2 ints"):
        LPPool2d(2, (1, 2, 3))
