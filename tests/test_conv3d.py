"""conv3d and the 3-D pools: a NumPy loop reference, finite differences (first and second order),
PyTorch's element choices and indices, and bad input (no torch needed)."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lite import Tensor, gradcheck
from tinygrad_lite.conv3d import (
    adaptive_avg_pool3d,
    adaptive_max_pool3d,
    avg_pool3d,
    conv3d,
    max_pool3d,
)
from tinygrad_lite.gradcheck import gradgradcheck


def _conv_reference(x: np.ndarray, w: np.ndarray, s: int, p: int, d: int) -> np.ndarray:
    """A loop over every output position: y[n, o, z, i, j] = Σ W · window."""
    x = np.pad(x, [(0, 0), (0, 0)] + [(p, p)] * 3)
    k = w.shape[2:]
    out = [(x.shape[2 + a] - d * (k[a] - 1) - 1) // s + 1 for a in range(3)]
    y = np.zeros((x.shape[0], w.shape[0], *out))
    for z, i, j in itertools.product(*(range(o) for o in out)):
        win = x[
            :,
            :,
            z * s : z * s + d * (k[0] - 1) + 1 : d,
            i * s : i * s + d * (k[1] - 1) + 1 : d,
            j * s : j * s + d * (k[2] - 1) + 1 : d,
        ]
        y[:, :, z, i, j] = np.einsum("ncabe,ocabe->no", win, w)
    return y


@settings(max_examples=6)
@given(st.integers(1, 2), st.integers(0, 1), st.integers(1, 2), st.integers(0, 2**32 - 1))
def test_conv3d_against_a_loop(s: int, p: int, d: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal((2, 2, 4, 5, 5)), rng.standard_normal((3, 2, 2, 2, 3))
    got = conv3d(x, Tensor(w), stride=s, padding=p, dilation=d).data
    np.testing.assert_allclose(got, _conv_reference(x, w, s, p, d), atol=1e-12)


def test_conv3d_first_and_second_derivatives() -> None:
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((1, 2, 3, 3, 4)), requires_grad=True)
    w = Tensor(rng.standard_normal((2, 1, 2, 2, 2)), requires_grad=True)
    b = Tensor(rng.standard_normal(2), requires_grad=True)

    def f(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        return conv3d(x, w, b, stride=(1, 2, 1), padding=(1, 0, 1), groups=2)

    assert gradcheck(f, x, w, b)
    assert gradgradcheck(f, x, w, b)
    same = conv3d(x, w, padding="same", groups=2)
    assert same.shape == x.shape


def test_pools_first_and_second_derivatives() -> None:
    rng = np.random.default_rng(1)
    shape = (1, 1, 3, 3, 4)
    # distinct values 0.1 apart: a step of eps never changes which element is a window's max
    x = Tensor(rng.permutation(np.prod(shape)).reshape(shape) * 0.1, requires_grad=True)
    pools = [
        lambda t: max_pool3d(t, 2, 1, 1, ceil_mode=True),
        lambda t: max_pool3d(t, (1, 2, 2), dilation=(1, 2, 1)),
        lambda t: avg_pool3d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False),
        lambda t: avg_pool3d(t, 2, divisor_override=3),
        lambda t: adaptive_avg_pool3d(t, (2, 3, 3)),
        lambda t: adaptive_max_pool3d(t, (2, 3, 3)),
    ]
    for pool in pools:
        assert gradcheck(pool, x)
    assert gradgradcheck(pools[0], x)  # the pools are linear where the max does not move


def test_max_pool3d_picks_pytorchs_element_and_reports_its_index() -> None:
    x = np.zeros((1, 1, 2, 2, 2))
    x[0, 0, 1, 0, 1] = x[0, 0, 1, 1, 0] = 5.0  # a tie: the first in (d, h, w) order wins
    t = Tensor(x, requires_grad=True)
    values, indices = max_pool3d(t, 2, return_indices=True)
    assert values.data.item() == 5.0 and indices.data.item() == 5
    values.sum().backward()
    assert t.grad is not None and t.grad.data[0, 0, 1, 0, 1] == 1.0 and t.grad.data.sum() == 1.0
    x[0, 0, 0, 1, 1] = x[0, 0, 1, 1, 1] = np.nan  # the last NaN wins
    v, i = adaptive_max_pool3d(x[0], 1, return_indices=True)
    assert np.isnan(v.data.item()) and i.data.item() == 7 and v.shape == (1, 1, 1, 1)


def test_avg_pool3d_divisors() -> None:
    x = np.ones((1, 1, 2, 2, 2))
    assert avg_pool3d(x, 2, padding=1).data.ravel().tolist() == [1 / 8] * 8
    assert avg_pool3d(x, 2, padding=1, count_include_pad=False).data.ravel().tolist() == [1.0] * 8
    assert avg_pool3d(x, 2, divisor_override=2).data.item() == 4.0


def test_adaptive_avg_pool3d_returns_new_memory() -> None:
    x = Tensor(np.ones((2, 2, 2, 2)))
    y = adaptive_avg_pool3d(x, (None, 2, 2))
    assert y is not x and not np.may_share_memory(y.data, x.data)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: conv3d(np.ones((2, 4, 4, 4)), Tensor(np.ones((1, 2, 2, 2)))),
            ValueError,
            "weight must be",
        ),
        (
            lambda: conv3d(np.ones((2, 4, 4)), Tensor(np.ones((1, 2, 1, 1, 1)))),
            ValueError,
            "(N, C, D, H, W)",
        ),
        (
            lambda: conv3d(np.ones((3, 4, 4, 4)), Tensor(np.ones((1, 2, 1, 1, 1)))),
            ValueError,
            "expects 2 input channels",
        ),
        (
            lambda: conv3d(
                np.ones((2, 4, 4, 4)), Tensor(np.ones((1, 2, 1, 1, 1))), stride=2, padding="same"
            ),
            ValueError,
            "strided",
        ),
        (
            lambda: conv3d(np.ones((2, 2, 2, 2)), Tensor(np.ones((1, 2, 3, 1, 1)))),
            ValueError,
            "does not fit in the input's depth 2",
        ),
        (
            lambda: conv3d(np.ones((2, 4, 4, 4), np.float32), Tensor(np.ones((1, 2, 1, 1, 1)))),
            TypeError,
            "differ",
        ),
        (
            lambda: conv3d(np.ones((2, 4, 4, 4), int), Tensor(np.ones((1, 2, 1, 1, 1)))),
            TypeError,
            "floating",
        ),
        (lambda: max_pool3d(np.ones((1, 4, 4, 4)), 2, padding=2), ValueError, "half the kernel"),
        (lambda: max_pool3d(np.ones((1, 4, 4, 4)), (2, 2)), TypeError, "3 ints"),
        (
            lambda: avg_pool3d(np.ones((1, 4, 4, 4)), 2, divisor_override=0),
            ValueError,
            "must not be 0",
        ),
        (lambda: adaptive_max_pool3d(np.ones((1, 4, 4, 4)), (1, 2)), ValueError, "3 sizes"),
        (lambda: adaptive_avg_pool3d(np.ones((4, 4, 4)), 1), ValueError, "(C, D, H, W)"),
    ],
)
def test_bad_input_is_refused_clearly(call, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=re.escape(message)):
        call()
