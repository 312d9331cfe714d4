"""nn.init's orthogonal, truncated normal, eye, dirac and sparse: structure and statistics."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn
from tinygrad_lite import functional as F
from tinygrad_lite.nn import init


def empty(*shape: int, dtype: Any = np.float64) -> nn.Parameter:
    return nn.Parameter(np.full(shape, np.nan, dtype=dtype))


# ---------------------------------------------------------------------- orthogonal_


@settings(max_examples=10)
@given(
    st.lists(st.integers(1, 5), min_size=2, max_size=4),
    st.floats(-3, 3).filter(lambda g: abs(g) > 1e-3),
    st.integers(0, 2**16),
)
def test_orthogonal_is_orthonormal_times_gain(shape: list[int], gain: float, seed: int) -> None:
    W = init.orthogonal_(empty(*shape), gain=gain, seed=seed)
    M = W.data.reshape(shape[0], -1)
    rows, cols = M.shape
    gram = M @ M.T if rows <= cols else M.T @ M
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(rows, cols)), rtol=0, atol=1e-12)
    assert W.requires_grad and W.shape == tuple(shape)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 3, 2)])
def test_orthogonal_is_the_sign_corrected_q_of_the_normal_draw(shape: tuple[int, ...]) -> None:
    # The draw A (transposed if wide) is Q·R with diag(R) > 0: Qᵀ A is upper triangular with
    # a positive diagonal, which pins Q down (the Haar measure's sign correction).
    W = init.orthogonal_(empty(*shape), seed=7).data.reshape(shape[0], -1)
    A = np.random.default_rng(7).standard_normal(W.shape)
    Q = W if W.shape[0] >= W.shape[1] else W.T
    A = A if W.shape[0] >= W.shape[1] else A.T
    R = Q.T @ A
    np.testing.assert_allclose(np.tril(R, -1), 0, atol=1e-12)
    assert (np.diagonal(R) > 0).all()


def test_orthogonal_draws_from_the_default_generator_and_float32() -> None:
    tg.manual_seed(3)
    a = init.orthogonal_(empty(3, 5)).data.copy()
    tg.manual_seed(3)
    b = init.orthogonal_(empty(3, 5)).data
    np.testing.assert_array_equal(a, b)
    w = init.orthogonal_(empty(4, 2, dtype=np.float32), seed=0)
    assert w.dtype == np.float32
    np.testing.assert_allclose(w.data.T @ w.data, np.eye(2), atol=1e-6)


def test_orthogonal_refusals() -> None:
    with pytest.raises(ValueError, match=r"orthogonal_: only tensors with 2 or more .*\(5,\)"):
        init.orthogonal_(empty(5))
    with pytest.raises(TypeError, match="floating-point tensor, got dtype int64"):
        init.orthogonal_(Tensor(np.zeros((2, 2), np.int64)))
    with pytest.raises(ValueError, match="gain must be finite"):
        init.orthogonal_(empty(2, 2), gain=math.inf)
    w = empty(0, 3)
    assert init.orthogonal_(w) is w  # nothing to fill


# ---------------------------------------------------------------------- trunc_normal_


def truncated_moments(mean: float, std: float, a: float, b: float) -> tuple[float, float]:
    """Mean and variance of N(mean, std²) truncated to [a, b] (closed forms)."""
    al, be = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2  # noqa: E731
    z = cdf(be) - cdf(al)
    m = mean + std * (pdf(al) - pdf(be)) / z
    v = std**2 * (1 + (al * pdf(al) - be * pdf(be)) / z - ((pdf(al) - pdf(be)) / z) ** 2)
    return m, v


@pytest.mark.parametrize(
    "mean, std, a, b",
    [
        (0.0, 1.0, -2.0, 2.0),  # most of the mass: normal draws, redrawn
        (0.5, 2.0, -1.0, 1.0),
        (0.0, 1.0, 2.0, 3.0),  # a tail: uniform proposals, accepted by the density
        (0.8, 0.5, -1.0, 0.0),
    ],
)
def test_trunc_normal_bounds_and_moments(mean: float, std: float, a: float, b: float) -> None:
    n = 20000
    w = init.trunc_normal_(empty(n), mean, std, a, b, seed=1).data
    assert w.min() >= a and w.max() <= b
    m, v = truncated_moments(mean, std, a, b)
    assert abs(w.mean() - m) < 5 * math.sqrt(v / n)
    assert abs(w.var() - v) < 0.05 * v


def test_trunc_normal_bounds_hold_in_float32_and_edge_cases() -> None:
    w = init.trunc_normal_(empty(2000, dtype=np.float32), std=3.0, a=0.1, b=0.3, seed=2)
    assert w.data.min() >= np.float32(0.1) and w.data.max() <= np.float32(0.3)
    np.testing.assert_array_equal(init.trunc_normal_(empty(3), a=1.5, b=1.5).data, 1.5)
    with pytest.warns(UserWarning, match="more than 2 std"):
        init.trunc_normal_(empty(10), mean=10.0, a=-1.0, b=1.0, seed=0)
    with pytest.raises(ValueError, match=r"a <= b, got a=1.0, b=0.0"):
        init.trunc_normal_(empty(3), a=1.0, b=0.0)
    with pytest.raises(ValueError, match="std must be > 0, got 0.0"):
        init.trunc_normal_(empty(3), std=0.0)
    with pytest.raises(TypeError, match="floating-point"):
        init.trunc_normal_(Tensor(np.zeros(3, np.int32)))


# ---------------------------------------------------------------------- eye_ and dirac_


@pytest.mark.parametrize("shape", [(2, 3), (3, 2), (4, 4)])
def test_eye_is_the_identity_for_any_dtype(shape: tuple[int, int]) -> None:
    np.testing.assert_array_equal(init.eye_(empty(*shape)).data, np.eye(*shape))
    t = init.eye_(Tensor(np.full(shape, 7, np.int64)))
    assert t.dtype == np.int64
    np.testing.assert_array_equal(t.data, np.eye(*shape))
    with pytest.raises(ValueError, match=r"eye_: only tensors with 2 dimensions .*\(2, 2, 2\)"):
        init.eye_(empty(2, 2, 2))


@pytest.mark.parametrize("groups", [1, 2])
def test_dirac_convolution_is_the_identity_on_each_group(groups: int) -> None:
    x = np.random.default_rng(0).standard_normal((2, 4, 5, 6))
    w = init.dirac_(empty(4, 4 // groups, 3, 3), groups=groups)
    y = F.conv2d(Tensor(x), w, padding=1, groups=groups)
    np.testing.assert_array_equal(y.data, x)
    w1 = init.dirac_(empty(6, 4, 5))  # more outputs than inputs: the last two are zero
    y1 = F.conv1d(Tensor(x[:, :, 0, :]), w1, padding=2).data
    np.testing.assert_array_equal(y1[:, :4], x[:, :, 0, :])
    np.testing.assert_array_equal(y1[:, 4:], 0.0)


def test_dirac_entries_and_refusals() -> None:
    w = init.dirac_(empty(4, 2, 2, 3, 3), groups=2).data
    ones = np.argwhere(w == 1).tolist()
    assert ones == [[0, 0, 1, 1, 1], [1, 1, 1, 1, 1], [2, 0, 1, 1, 1], [3, 1, 1, 1, 1]]
    assert np.count_nonzero(w) == 4
    with pytest.raises(ValueError, match=r"3, 4, or 5 dimensions are supported, got shape"):
        init.dirac_(empty(2, 2))
    with pytest.raises(ValueError, match="divisible by groups, got size 3 and groups=2"):
        init.dirac_(empty(3, 1, 3), groups=2)
    with pytest.raises(ValueError, match="groups must be an int >= 1, got 0"):
        init.dirac_(empty(3, 1, 3), groups=0)


# ---------------------------------------------------------------------- sparse_


def test_sparse_zeros_per_column_and_std() -> None:
    w = init.sparse_(empty(40, 200), sparsity=0.3, std=0.5, seed=0).data
    np.testing.assert_array_equal((w == 0).sum(axis=0), math.ceil(0.3 * 40))
    nonzero = w[w != 0]
    assert abs(nonzero.std() - 0.5) < 0.02 and abs(nonzero.mean()) < 0.02
    rows_zeroed = (w == 0).mean(axis=1)  # each row equally likely: about 30% of the columns
    assert abs(rows_zeroed.mean() - 12 / 40) < 1e-12 and rows_zeroed.max() < 0.5
    np.testing.assert_array_equal(init.sparse_(empty(3, 2), sparsity=1.0).data, 0.0)
    np.testing.assert_array_equal(init.sparse_(empty(3, 2), sparsity=0.0, seed=1).data != 0, True)


def test_sparse_refusals() -> None:
    with pytest.raises(ValueError, match=r"sparsity must be in \[0, 1\], got 1.5"):
        init.sparse_(empty(3, 2), sparsity=1.5)
    with pytest.raises(ValueError, match="only tensors with 2 dimensions"):
        init.sparse_(empty(3), sparsity=0.5)
    with pytest.raises(ValueError, match="std must be >= 0"):
        init.sparse_(empty(3, 3), sparsity=0.5, std=-1.0)


# ---------------------------------------------------------------------- the old names


@pytest.mark.parametrize(
    "old, args",
    [
        ("uniform", ()),
        ("normal", ()),
        ("xavier_uniform", ()),
        ("xavier_normal", ()),
        ("kaiming_uniform", ()),
        ("kaiming_normal", ()),
        ("orthogonal", ()),
        ("sparse", (0.5,)),
    ],
)
def test_deprecated_names_warn_and_draw_the_same(old: str, args: tuple[Any, ...]) -> None:
    with pytest.warns(FutureWarning, match=rf"`nn.init.{old}` is now deprecated .*{old}_"):
        a = getattr(init, old)(empty(3, 4), *args, seed=5).data
    b = getattr(init, old + "_")(empty(3, 4), *args, seed=5).data
    np.testing.assert_array_equal(a, b)


def test_deprecated_deterministic_names() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        np.testing.assert_array_equal(init.constant(empty(2, 2), 3.0).data, 3.0)
        np.testing.assert_array_equal(init.eye(empty(2, 3)).data, np.eye(2, 3))
        assert init.dirac(empty(1, 1, 3)).data.tolist() == [[[0.0, 1.0, 0.0]]]
    assert init.eye.__name__ == "eye" and "eye_" in (init.eye.__doc__ or "")
