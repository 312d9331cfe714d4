"""Tests of the hand-derived convolution and pooling reference in models/manual_conv.py."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.manual_conv import (
    conv_backward,
    conv_forward,
    conv_single_step,
    create_mask_from_window,
    distribute_value,
    pool_backward,
    pool_forward,
    zero_pad,
)
from tinygrad_lite.gradcheck import numerical_grad


def _printed(array: np.ndarray) -> str:
    """An array as the course's notebooks print it (NumPy's 8 digits), on one line per row."""
    return np.array2string(array, precision=8, max_line_width=200)


def _printed_scalar(value: float) -> str:
    """A number as the course's first version printed it (12 significant digits)."""
    return f"{value:.12g}"


def _course_draws(seed: int, *shapes: tuple[int, ...]) -> list[np.ndarray]:
    """``np.random.seed(seed)`` then ``np.random.randn(*shape)`` for each shape, in order."""
    rs = np.random.RandomState(seed)
    return [rs.randn(*shape) for shape in shapes]


def _course_conv_backward(
    dZ: np.ndarray, cache: tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The course's conv_backward as published: windows at (h, w), not (h·s, w·s)."""
    (A_prev, W, _, hparameters) = cache
    pad = hparameters["pad"]
    (f, _, n_C_prev, n_C) = W.shape
    (m, n_H, n_W, n_C) = dZ.shape
    dA_prev = np.zeros(A_prev.shape)
    dW = np.zeros(W.shape)
    db = np.zeros((1, 1, 1, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vert_start, horiz_start = h, w  # the course's window: no stride
                    a_slice = a_prev_pad[vert_start : vert_start + f, horiz_start : horiz_start + f]
                    da_prev_pad[vert_start : vert_start + f, horiz_start : horiz_start + f] += (
                        W[:, :, :, c] * dZ[i, h, w, c]
                    )
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
        dA_prev[i, :, :, :] = da_prev_pad[pad:-pad, pad:-pad, :]
    return dA_prev, dW, db


# ------------------------------------------------------------------ the course's published checks


def test_zero_pad_matches_the_course() -> None:
    (x,) = _course_draws(1, (4, 3, 3, 2))
    x_pad = zero_pad(x, 2)
    assert _printed(x[1, 1]) == (
        "[[ 0.90085595 -0.68372786]\n [-0.12289023 -0.93576943]\n [-0.26788808  0.53035547]]"
    )
    assert x_pad.shape == (4, 7, 7, 2)
    np.testing.assert_array_equal(x_pad[:, 2:5, 2:5, :], x)
    assert np.count_nonzero(x_pad) == x.size
    assert zero_pad(x, 0).shape == x.shape


def test_conv_single_step_matches_the_course() -> None:
    a_slice_prev, W, b = _course_draws(1, (4, 4, 3), (4, 4, 3), (1, 1, 1))
    Z = conv_single_step(a_slice_prev, W, b)
    assert type(Z) is float
    assert _printed_scalar(Z) == "-6.99908945068"


def test_conv_forward_matches_the_course() -> None:
    A_prev, W, b = _course_draws(1, (10, 4, 4, 3), (2, 2, 3, 8), (1, 1, 1, 8))
    Z, cache_conv = conv_forward(A_prev, W, b, {"pad": 2, "stride": 2})
    assert Z.shape == (10, 4, 4, 8)
    assert _printed_scalar(np.mean(Z)) == "0.0489952035289"
    assert _printed(Z[3, 2, 1]) == (
        "[-0.61490741 -6.7439236  -2.55153897  1.75698377  3.56208902  0.53036437  5.18531798"
        "  8.75898442]"
    )
    assert _printed(cache_conv[0][1][2][3]) == "[-0.20075807  0.18656139  0.41005165]"
    # The notebook's later version: two examples of 5 × 7 × 4, 3 × 3 filters, pad 1.
    A_prev, W, b = _course_draws(1, (2, 5, 7, 4), (3, 3, 4, 8), (1, 1, 1, 8))
    Z, cache_conv = conv_forward(A_prev, W, b, {"pad": 1, "stride": 2})
    assert Z.shape == (2, 3, 4, 8)
    assert np.mean(Z) == 0.5511276474566768
    assert _printed(Z[0, 2, 1]) == (
        "[-2.17796037  8.07171329 -0.5772704   3.36286738  4.48113645 -2.89198428 10.99288867"
        "  3.03171932]"
    )
    assert _printed(cache_conv[0][1][2][3]) == "[-1.1191154   1.9560789  -0.3264995  -1.34267579]"


def test_pool_forward_matches_the_course() -> None:
    (A_prev,) = _course_draws(1, (2, 4, 4, 3))
    A, (A_cached, hparameters) = pool_forward(A_prev, {"stride": 2, "f": 3})
    assert A.shape == (2, 1, 1, 3) and A_cached is A_prev and hparameters == {"stride": 2, "f": 3}
    assert _printed(A[:, 0, 0]) == (
        "[[1.74481176 0.86540763 1.13376944]\n [1.13162939 1.51981682 2.18557541]]"
    )
    A, _ = pool_forward(A_prev, {"stride": 2, "f": 3}, mode="average")
    assert _printed(A[:, 0, 0]) == (
        "[[ 0.02105773 -0.20328806 -0.40389855]\n [-0.22154621  0.51716526  0.48155844]]"
    )


def test_conv_backward_matches_the_course_and_the_course_code_does_not() -> None:
    A_prev, W, b = _course_draws(1, (10, 4, 4, 3), (2, 2, 3, 8), (1, 1, 1, 8))
    Z, cache_conv = conv_forward(A_prev, W, b, {"pad": 2, "stride": 2})
    dA, dW, db = conv_backward(Z, cache_conv)
    assert dA.shape == A_prev.shape and dW.shape == W.shape and db.shape == b.shape
    assert _printed_scalar(np.mean(dA)) == "1.45243777754"
    assert _printed_scalar(np.mean(dW)) == "1.72699145831"
    assert _printed_scalar(np.mean(db)) == "7.83923256462"
    # The published means are those of the strided windows: the course's own code gives others.
    dA, dW, db = _course_conv_backward(Z, cache_conv)
    assert _printed_scalar(np.mean(dA)) == "0.634770447265"
    assert _printed_scalar(np.mean(dW)) == "1.55726574285"
    assert _printed_scalar(np.mean(db)) == "7.83923256462"


def test_pool_backward_matches_the_course() -> None:
    A_prev, dA = _course_draws(1, (5, 5, 3, 2), (5, 4, 2, 2))
    _, cache = pool_forward(A_prev, {"stride": 1, "f": 2})
    assert _printed_scalar(np.mean(dA)) == "0.145713902729"
    assert _printed(pool_backward(dA, cache, mode="max")[1, 1]) == (
        "[[ 0.          0.        ]\n [ 5.05844394 -1.68282702]\n [ 0.          0.        ]]"
    )
    assert _printed(pool_backward(dA, cache, mode="average")[1, 1]) == (
        "[[ 0.08485462  0.2787552 ]\n [ 1.26461098 -0.25749373]\n [ 1.17975636 -0.53624893]]"
    )


# ------------------------------------------------------------------ gradients by finite differences


@st.composite
def conv_problems(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...], dict[str, int], int]:
    """Shapes of A_prev and W, hyperparameters and a seed, with at least one window fitting."""
    f, pad, stride = draw(st.integers(1, 3)), draw(st.integers(0, 2)), draw(st.integers(1, 3))
    smallest = max(1, f - 2 * pad)
    m, n_H, n_W = draw(st.integers(1, 2)), draw(st.integers(smallest, 5)), draw(st.integers(1, 6))
    n_W = max(n_W, smallest)
    n_C_prev, n_C = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    hparameters = {"stride": stride, "pad": pad}
    return (m, n_H, n_W, n_C_prev), (f, f, n_C_prev, n_C), hparameters, draw(st.integers(0, 2**32))


@settings(max_examples=15)
@given(conv_problems())
def test_conv_backward_matches_finite_differences(
    problem: tuple[tuple[int, ...], tuple[int, ...], dict[str, int], int],
) -> None:
    A_shape, W_shape, hparameters, seed = problem
    rng = np.random.default_rng(seed)
    A_prev, W = rng.normal(size=A_shape), rng.normal(size=W_shape)
    b = rng.normal(size=(1, 1, 1, W_shape[3]))
    Z, cache = conv_forward(A_prev, W, b, hparameters)
    G = rng.normal(size=Z.shape)
    dA_prev, dW, db = conv_backward(G, cache)

    def loss() -> float:
        return float(np.sum(conv_forward(A_prev, W, b, hparameters)[0] * G))

    for name, grad, value in (("dA_prev", dA_prev, A_prev), ("dW", dW, W), ("db", db, b)):
        assert grad.shape == value.shape
        numerical = numerical_grad(loss, value)
        np.testing.assert_allclose(grad, numerical, rtol=1e-6, atol=1e-7, err_msg=name)


@st.composite
def pool_problems(draw: st.DrawFn) -> tuple[tuple[int, ...], dict[str, int], str, int]:
    """The shape of A_prev, hyperparameters, a mode and a seed, with at least one window fitting."""
    f, stride = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    shape = (draw(st.integers(1, 2)), draw(st.integers(f, 6)), draw(st.integers(f, 6)))
    shape += (draw(st.integers(1, 3)),)
    mode = draw(st.sampled_from(["max", "average"]))
    return shape, {"stride": stride, "f": f}, mode, draw(st.integers(0, 2**32))


@settings(max_examples=20)
@given(pool_problems())
def test_pool_backward_matches_finite_differences(
    problem: tuple[tuple[int, ...], dict[str, int], str, int],
) -> None:
    shape, hparameters, mode, seed = problem
    rng = np.random.default_rng(seed)
    # Distinct values 0.1 apart: no window has a tie, and no step of 1e-6 changes its maximum.
    A_prev = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 - 1.0
    A, cache = pool_forward(A_prev, hparameters, mode)
    G = rng.normal(size=A.shape)
    dA_prev = pool_backward(G, cache, mode)

    def loss() -> float:
        return float(np.sum(pool_forward(A_prev, hparameters, mode)[0] * G))

    assert dA_prev.shape == A_prev.shape
    np.testing.assert_allclose(dA_prev, numerical_grad(loss, A_prev), rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------ the corrections


def test_the_course_window_without_stride_is_wrong_at_stride_2() -> None:
    rng = np.random.default_rng(4)
    A_prev, W, b = (
        rng.normal(size=(1, 5, 5, 2)),
        rng.normal(size=(2, 2, 2, 3)),
        np.zeros((1, 1, 1, 3)),
    )
    hparameters = {"stride": 2, "pad": 1}
    Z, cache = conv_forward(A_prev, W, b, hparameters)
    G = rng.normal(size=Z.shape)

    def loss() -> float:
        return float(np.sum(conv_forward(A_prev, W, b, hparameters)[0] * G))

    numerical_dA, numerical_dW = numerical_grad(loss, A_prev), numerical_grad(loss, W)
    dA_prev, dW, db = conv_backward(G, cache)
    np.testing.assert_allclose(dA_prev, numerical_dA, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(dW, numerical_dW, rtol=1e-6, atol=1e-7)
    course_dA, course_dW, course_db = _course_conv_backward(G, cache)
    assert np.max(np.abs(course_dA - numerical_dA)) > 0.1
    assert np.max(np.abs(course_dW - numerical_dW)) > 0.1
    np.testing.assert_allclose(course_db, db)  # the bias never looks at the window
    # At stride 1 the course's window is the right one.
    _, cache_1 = conv_forward(A_prev, W, b, {"stride": 1, "pad": 1})
    G_1 = rng.normal(size=(1, 6, 6, 3))
    for ours, course in zip(
        conv_backward(G_1, cache_1), _course_conv_backward(G_1, cache_1), strict=True
    ):
        np.testing.assert_allclose(ours, course, rtol=1e-12, atol=1e-12)


def test_pad_0_keeps_every_row_of_the_gradient() -> None:
    rng = np.random.default_rng(5)
    A_prev, W, b = (
        rng.normal(size=(2, 4, 3, 2)),
        rng.normal(size=(2, 2, 2, 1)),
        np.ones((1, 1, 1, 1)),
    )
    hparameters = {"stride": 1, "pad": 0}
    Z, cache = conv_forward(A_prev, W, b, hparameters)
    G = rng.normal(size=Z.shape)

    def loss() -> float:
        return float(np.sum(conv_forward(A_prev, W, b, hparameters)[0] * G))

    dA_prev, _, _ = conv_backward(G, cache)
    np.testing.assert_allclose(dA_prev, numerical_grad(loss, A_prev), rtol=1e-6, atol=1e-7)
    assert np.count_nonzero(dA_prev) == dA_prev.size
    # The course's crop [pad:-pad] is empty for pad = 0, so its conv_backward fails here.
    assert np.zeros((4, 3, 2))[0:-0, 0:-0, :].shape == (0, 0, 2)
    with pytest.raises(ValueError, match="could not broadcast"):
        _course_conv_backward(G, cache)


def test_ties_in_max_pooling_send_the_gradient_to_the_first_maximum() -> None:
    window = np.array([[1.0, 3.0], [3.0, 3.0]])
    np.testing.assert_array_equal(create_mask_from_window(window), [[False, True], [True, True]])
    A_prev = window.reshape(1, 2, 2, 1)
    _, cache = pool_forward(A_prev, {"stride": 1, "f": 2})
    dA_prev = pool_backward(np.full((1, 1, 1, 1), 2.5), cache, mode="max")
    np.testing.assert_array_equal(dA_prev[0, :, :, 0], [[0.0, 2.5], [0.0, 0.0]])
    # Overlapping windows each choose their own first maximum; what comes back adds up.
    A_prev = np.array([[5.0, 5.0, 5.0], [0.0, 5.0, 1.0]]).reshape(1, 2, 3, 1)
    A, cache = pool_forward(A_prev, {"stride": 1, "f": 2})
    np.testing.assert_array_equal(A[0, :, :, 0], [[5.0, 5.0]])
    dA_prev = pool_backward(np.array([1.0, 10.0]).reshape(1, 1, 2, 1), cache)
    np.testing.assert_array_equal(dA_prev[0, :, :, 0], [[1.0, 10.0, 0.0], [0.0, 0.0, 0.0]])
    # A constant window: max(x, ..., x) = x, so the gradient passed on is dA, not f² · dA.
    A_prev = np.full((1, 3, 3, 2), 0.5)
    _, cache = pool_forward(A_prev, {"stride": 3, "f": 3})
    assert pool_backward(np.ones((1, 1, 1, 2)), cache).sum() == 2.0


def test_distribute_value_and_the_mask() -> None:
    np.testing.assert_array_equal(distribute_value(2.0, (2, 2)), np.full((2, 2), 0.5))
    assert distribute_value(3.0, (1, 3)).shape == (1, 3)
    mask = create_mask_from_window(np.array([[1.0, 4.0, -1.0], [1.0, 3.0, -3.0]]))
    np.testing.assert_array_equal(mask, [[False, True, False], [False, False, False]])


def test_the_course_sizes_with_a_stride_that_does_not_divide() -> None:
    # (7 + 2 − 3) // 4 + 1 = 2: the last rows and columns of the padded input are never read.
    A_prev = np.arange(49.0).reshape(1, 7, 7, 1)
    Z, cache = conv_forward(
        A_prev, np.ones((3, 3, 1, 1)), np.zeros((1, 1, 1, 1)), {"stride": 4, "pad": 1}
    )
    assert Z.shape == (1, 2, 2, 1)
    dA_prev, _, _ = conv_backward(np.ones(Z.shape), cache)
    assert not dA_prev[0, 6, :, 0].any() and not dA_prev[0, :, 6, 0].any()
    assert pool_forward(A_prev, {"stride": 4, "f": 3})[0].shape == (1, 2, 2, 1)


# ------------------------------------------------------------------ refusals


def _ones(*shape: int) -> np.ndarray:
    return np.ones(shape)


_CONV_CACHE = conv_forward(
    _ones(1, 3, 3, 1), _ones(1, 1, 1, 1), _ones(1, 1, 1, 1), {"stride": 1, "pad": 0}
)[1]
_POOL_CACHE = pool_forward(_ones(1, 3, 3, 1), {"stride": 1, "f": 2})[1]
_CONV = {"stride": 1, "pad": 0}
BAD_INPUT: list[tuple[Callable[[], object], str]] = [
    (lambda: zero_pad(_ones(2, 3), 1), "zero_pad: X must be (m, n_H, n_W, n_C), got shape (2, 3)"),
    (lambda: zero_pad(_ones(1, 2, 2, 1), -1), "zero_pad: pad must be an int >= 0, got -1"),
    (lambda: zero_pad(_ones(1, 2, 2, 1), 1.0), "zero_pad: pad must be an int >= 0, got 1.0"),
    (
        lambda: conv_single_step(_ones(2, 2, 3), _ones(2, 2, 2), _ones(1, 1, 1)),
        "conv_single_step: a_slice_prev (2, 2, 3) and W (2, 2, 2) must have the same shape and "
        "b (1, 1, 1) one element",
    ),
    (lambda: conv_single_step(_ones(2, 2, 1), _ones(2, 2, 1), _ones(2)), "b (2,) one element"),
    (
        lambda: conv_forward(_ones(1, 4, 4, 3), _ones(2, 3, 3, 4), _ones(1, 1, 1, 4), _CONV),
        "conv_forward: W (2, 3, 3, 4) must be (f, f, 3, n_C) for A_prev (1, 4, 4, 3), "
        "and b (1, 1, 1, 4) (1, 1, 1, n_C)",
    ),
    (
        lambda: conv_forward(_ones(1, 4, 4, 3), _ones(2, 2, 2, 4), _ones(1, 1, 1, 4), _CONV),
        "W (2, 2, 2, 4) must be (f, f, 3, n_C)",
    ),
    (
        lambda: conv_forward(_ones(1, 4, 4, 3), _ones(2, 2, 3, 4), _ones(4), _CONV),
        "and b (4,) (1, 1, 1, n_C)",
    ),
    (
        lambda: conv_forward(_ones(4, 4, 3), _ones(2, 2, 3, 4), _ones(1, 1, 1, 4), _CONV),
        "conv_forward: A_prev must be (m, n_H, n_W, n_C), got shape (4, 4, 3)",
    ),
    (
        lambda: conv_forward(
            _ones(1, 2, 2, 1), _ones(1, 1, 1, 1), _ones(1, 1, 1, 1), {"stride": 1}
        ),
        "conv_forward: hparameters must have the keys ['pad', 'stride'], got ['stride']",
    ),
    (
        lambda: conv_forward(
            _ones(1, 2, 2, 1), _ones(1, 1, 1, 1), _ones(1, 1, 1, 1), {"stride": 0, "pad": 0}
        ),
        "conv_forward: hparameters['stride'] must be an int >= 1, got 0",
    ),
    (
        lambda: conv_forward(
            _ones(1, 2, 2, 1), _ones(1, 1, 1, 1), _ones(1, 1, 1, 1), {"stride": True, "pad": 0}
        ),
        "hparameters['stride'] must be an int >= 1, got True",
    ),
    (
        lambda: conv_forward(
            _ones(1, 2, 2, 1), _ones(1, 1, 1, 1), _ones(1, 1, 1, 1), {"stride": 1, "pad": -1}
        ),
        "conv_forward: hparameters['pad'] must be an int >= 0, got -1",
    ),
    (
        # The course's int((3 − 4) / 2) + 1 = 1 would read a window one row short.
        lambda: conv_forward(
            _ones(1, 3, 5, 1), _ones(4, 4, 1, 1), _ones(1, 1, 1, 1), {"stride": 2, "pad": 0}
        ),
        "conv_forward: the window (f = 4) does not fit in height 3 padded by 0",
    ),
    (
        lambda: conv_forward(
            _ones(1, 5, 1, 1), _ones(4, 4, 1, 1), _ones(1, 1, 1, 1), {"stride": 1, "pad": 1}
        ),
        "the window (f = 4) does not fit in width 1 padded by 1",
    ),
    (
        lambda: pool_forward(_ones(1, 2, 2, 1), {"stride": 1, "f": 1}, mode="min"),
        "pool_forward: mode must be one of ['max', 'average'], got 'min'",
    ),
    (
        lambda: pool_forward(_ones(1, 2, 2, 1), {"stride": 1, "pad": 0}),
        "pool_forward: hparameters must have the keys ['f', 'stride'], got ['pad', 'stride']",
    ),
    (
        lambda: pool_forward(_ones(1, 2, 2, 1), {"stride": 1, "f": 0}),
        "pool_forward: hparameters['f'] must be an int >= 1, got 0",
    ),
    (
        lambda: pool_forward(_ones(1, 2, 2, 1), {"stride": 1, "f": 3}),
        "pool_forward: the window (f = 3) does not fit in height 2 padded by 0",
    ),
    (
        lambda: conv_backward(_ones(1, 2, 2, 1), _CONV_CACHE),
        "conv_backward: dZ (1, 2, 2, 1) must have the forward output's shape (1, 3, 3, 1)",
    ),
    (
        lambda: pool_backward(_ones(1, 2, 2, 2), _POOL_CACHE),
        "pool_backward: dA (1, 2, 2, 2) must have the forward output's shape (1, 2, 2, 1)",
    ),
    (
        lambda: pool_backward(_ones(1, 2, 2, 1), _POOL_CACHE, mode="avg"),
        "pool_backward: mode must be one of ['max', 'average'], got 'avg'",
    ),
    (
        lambda: create_mask_from_window(np.zeros((0, 2))),
        "create_mask_from_window: x is empty, shape (0, 2)",
    ),
    (lambda: distribute_value(1.0, (2,)), "distribute_value: shape must be (n_H, n_W), got (2,)"),
    (lambda: distribute_value(1.0, (2, 0)), "distribute_value: shape must be an int >= 1, got 0"),
]


@pytest.mark.parametrize(("call", "message"), BAD_INPUT)
def test_bad_input_is_refused(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        call()
