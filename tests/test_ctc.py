"""CTC loss and adaptive softmax: brute-force and NumPy references, finite differences, errors."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lite import Tensor
from tinygrad_lite.adaptive_sm import AdaptiveLogSoftmaxWithLoss
from tinygrad_lite.ctc import CTCLoss, ctc_loss
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck, numerical_grad

RNG = np.random.default_rng(5)


def log_softmax(x: np.ndarray) -> np.ndarray:
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def collapse(path: tuple[int, ...], blank: int) -> list[int]:
    merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
    return [k for k in merged if k != blank]


def brute_nll(lp: np.ndarray, target: list[int], blank: int) -> float:
    """-ln Σ over every path of length T (lp is (T, C)) that collapses to the target."""
    t, c = lp.shape
    total = sum(
        np.exp(sum(lp[i, k] for i, k in enumerate(path)))
        for path in itertools.product(range(c), repeat=t)
        if collapse(path, blank) == target
    )
    with np.errstate(divide="ignore"):
        return float(-np.log(total))


@st.composite
def problems(draw: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    t, n, c = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(2, 3))
    blank = draw(st.integers(0, c - 1))
    steps = np.array([draw(st.integers(0, t)) for _ in range(n)])
    sizes = np.array([draw(st.integers(0, 3)) for _ in range(n)])
    labels = np.array([[draw(st.integers(1, c - 1)) for _ in range(3)] for _ in range(n)])
    labels = (labels + blank) % c  # never the blank
    seed = draw(st.integers(0, 2**16))
    lp = log_softmax(np.random.default_rng(seed).standard_normal((t, n, c)))
    return lp, labels, steps, sizes, blank


@settings(max_examples=15)
@given(problems())
def test_loss_is_the_sum_over_every_alignment(problem: Any) -> None:
    lp, labels, steps, sizes, blank = problem
    got = ctc_loss(lp, labels, steps, sizes, blank, reduction="none").data
    want = [
        brute_nll(lp[: steps[i], i], list(labels[i, : sizes[i]]), blank) for i in range(lp.shape[1])
    ]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    mean = ctc_loss(lp, labels, steps, sizes, blank, zero_infinity=True).item()
    zeroed = np.where(np.isinf(want), 0.0, want)
    np.testing.assert_allclose(mean, np.mean(zeroed / np.maximum(sizes, 1)), rtol=1e-12)


def test_concatenated_targets_and_unbatched_input_give_the_padded_losses() -> None:
    lp = log_softmax(RNG.standard_normal((5, 3, 4)))
    padded = np.array([[1, 2, 2], [3, 0, 0], [1, 1, 3]])
    sizes = [3, 1, 2]
    flat = np.array([1, 2, 2, 3, 1, 1])
    a = ctc_loss(lp, padded, [5, 4, 5], sizes, reduction="none")
    b = ctc_loss(Tensor(lp), Tensor(flat), Tensor(np.array([5, 4, 5])), (3, 1, 2), reduction="none")
    np.testing.assert_array_equal(a.data, b.data)
    one = ctc_loss(lp[:, 2], [1, 1], 5, 2, reduction="none")
    assert one.shape == () and one.item() == a.data[2]
    assert ctc_loss(lp[:, 2], [[1, 1]], [5], [2], reduction="mean").item() == a.data[2] / 2


def test_float32_stays_float32_and_empty_input_gives_0_or_inf() -> None:
    lp = log_softmax(RNG.standard_normal((3, 2, 3))).astype(np.float32)
    out = ctc_loss(lp, [[1], [2]], [3, 3], [1, 1], reduction="none")
    assert out.dtype == np.float32
    for x in (lp, Tensor(lp, requires_grad=True)):
        empty = ctc_loss(x, [[1], [2]], [0, 0], [0, 1], reduction="none").data
        assert np.signbit(empty[0]) and empty[0] == 0.0 and empty[1] == np.inf  # PyTorch's -0.0


def test_gradient_through_log_softmax_is_the_finite_difference_one() -> None:
    x = Tensor(RNG.standard_normal((3, 2, 3)), requires_grad=True)
    args = ([[1, 2], [2, 0]], [3, 2], [2, 1])
    gradcheck(lambda z: ctc_loss(z.log_softmax(2), *args, reduction="none"), x)
    small = Tensor(RNG.standard_normal((3, 1, 2)), requires_grad=True)
    gradgradcheck(lambda z: ctc_loss(z.log_softmax(2), [[1]], [3], [1]), small)


def test_raw_gradient_is_pytorchs_exp_minus_posterior() -> None:
    lp = log_softmax(RNG.standard_normal((4, 2, 3)))
    args = ([[1, 1], [2, 0]], [4, 3], [2, 1])
    x = Tensor(lp, requires_grad=True)
    ctc_loss(x, *args, reduction="sum").backward()
    assert x.grad is not None

    def value() -> float:
        return ctc_loss(lp, *args, reduction="sum").item()

    numeric = numerical_grad(value, lp)  # -γ, the posterior occupancy
    frames = (np.arange(4)[:, None] < np.array([4, 3]))[..., None]
    np.testing.assert_allclose(x.grad.data, numeric + np.exp(lp) * frames, atol=1e-7)
    np.testing.assert_allclose(-numeric.sum(2), frames[..., 0] * 1.0, atol=1e-7)  # Σ_c γ = 1


def test_nan_and_zero_gradients_as_pytorch() -> None:
    lp = log_softmax(RNG.standard_normal((4, 2, 3)))
    lp[1, 1, 2] = -np.inf
    for zero_infinity in (False, True):
        x = Tensor(lp, requires_grad=True)
        # sample 0 is infeasible: 2 repeated labels need 3 frames, it has 2
        loss = ctc_loss(x, [[1, 1], [2, 0]], [2, 4], [2, 1], 0, "none", zero_infinity)
        loss.sum().backward()
        assert x.grad is not None
        g = x.grad.data
        assert loss.data[0] == (0.0 if zero_infinity else np.inf) and np.isfinite(loss.data[1])
        assert (np.isnan(g[:2, 0]).all() != zero_infinity) and (g[2:, 0] == 0).all()
        assert np.isnan(g[1, 1, 2]) and np.isfinite(np.delete(g[:, 1].ravel(), 5)).all()
        if zero_infinity:
            assert (g[:, 0] == 0).all()


def test_ctc_module_matches_function() -> None:
    lp = log_softmax(RNG.standard_normal((3, 2, 4)))
    m = CTCLoss(blank=3, reduction="sum", zero_infinity=True)
    assert (m.blank, m.reduction, m.zero_infinity) == (3, "sum", True) and repr(m) == "CTCLoss()"
    want = ctc_loss(lp, [[0, 1], [2, 2]], [3, 3], [2, 2], 3, "sum", True).item()
    assert m(lp, [[0, 1], [2, 2]], [3, 3], [2, 2]).item() == want


LP = log_softmax(np.zeros((3, 2, 4)))


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((LP, [[1], [1]], [3, 3], [1, 1]), {"reduction": "avg"}, ValueError, "reduction"),
        ((LP.astype(int), [[1], [1]], [3, 3], [1, 1]), {}, TypeError, "floating-point"),
        ((LP[0, 0], [[1]], [3], [1]), {}, ValueError, r"\(T, N, C\).*got shape \(4,\)"),
        ((LP[:, :0], [[1]], [], []), {}, ValueError, "non-empty"),
        ((LP, [[1], [1]], [3, 3], [1, 1]), {"blank": 4}, ValueError, r"blank.*\[0, 4\), got 4"),
        ((LP, [[1], [1]], [3, 3], [1, 1]), {"blank": 1.0}, TypeError, "blank must be an int"),
        ((LP, [[1], [1]], [3], [1, 1]), {}, ValueError, r"input_lengths.*\(2\), got 1"),
        ((LP, [[1], [1]], [3, 3], [1.0, 1.0]), {}, TypeError, "target_lengths must hold int"),
        ((LP, [[1], [1]], [3, -1], [1, 1]), {}, ValueError, "input_lengths must be >= 0, got -1"),
        ((LP, [[1], [1]], [3, 4], [1, 1]), {}, ValueError, "T = 3, got 4"),
        ((LP, [[1], [1]], [3, 3], [1, 2]), {}, ValueError, r"S >= .* 2, got shape \(2, 1\)"),
        ((LP, [[1]], [3, 3], [1, 1]), {}, ValueError, r"N = 2"),
        ((LP, [1, 2, 3], [3, 3], [1, 1]), {}, ValueError, r"= 2 entries, got shape \(3,\)"),
        ((LP, [[[1]]], [3, 3], [1, 1]), {}, ValueError, "padded"),
        ((LP, [[1.0], [1.0]], [3, 3], [1, 1]), {}, TypeError, "targets must hold integer"),
        ((LP, [[4], [1]], [3, 3], [1, 1]), {}, ValueError, r"\[0, 4\).*got 4"),
        ((LP, [[-1], [1]], [3, 3], [1, 1]), {}, ValueError, r"\[0, 4\).*got -1"),
        ((LP, [[1], [0]], [3, 3], [1, 1]), {}, ValueError, "other than the blank 0, got 0"),
        ((LP, [[1], [1]], [3, 3], [1, 1]), {"zero_infinity": 1}, TypeError, "zero_infinity"),
    ],
)
def test_ctc_refuses_bad_input(args: Any, kwargs: Any, error: Any, match: str) -> None:
    with pytest.raises(error, match=match):
        ctc_loss(*args, **kwargs)


# ------------------------------------------------------------------ adaptive softmax


def np_log_prob(m: AdaptiveLogSoftmaxWithLoss, x: np.ndarray) -> np.ndarray:
    """Every class's log-probability from the weights, with NumPy."""
    w = m.state_dict()
    head = log_softmax(x @ w["head.weight"].T)
    cols = [head[:, : m.shortlist_size]]
    for i in range(m.n_clusters):
        cluster = log_softmax(x @ w[f"tail.{i}.0.weight"].T @ w[f"tail.{i}.1.weight"].T)
        cols.append(cluster + head[:, m.shortlist_size + i, None])
    return np.concatenate(cols, 1)


def test_adaptive_softmax_matches_numpy_and_finite_differences() -> None:
    m = AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, seed=1)
    for p in m.parameters():
        p.data *= 4  # confident enough that predictions leave the shortlist
    x = RNG.standard_normal((12, 8))
    y = np.array([0, 2, 3, 5, 6, 9, 1, 4, 7, 8, 2, 9])
    full = np_log_prob(m, x)
    out, loss = m(x, y)
    np.testing.assert_allclose(out.data, full[np.arange(12), y], rtol=1e-12)
    np.testing.assert_allclose(loss.item(), -full[np.arange(12), y].mean(), rtol=1e-12)
    np.testing.assert_allclose(m.log_prob(x).data, full, rtol=1e-12)
    pred = m.predict(x).data
    assert pred.dtype == np.int64 and (pred == full.argmax(1)).all()
    assert (pred >= 3).any() and (pred < 3).any()
    single = m(x[4], np.array(y[4]))
    # one sample: a (1, 8) product, which BLAS may round differently from the batch's rows
    assert single.output.shape == ()
    np.testing.assert_allclose(single.output.item(), full[4, y[4]], rtol=1e-12)
    small = AdaptiveLogSoftmaxWithLoss(3, 5, [2, 3], div_value=1.0, seed=2)
    z = Tensor(RNG.standard_normal((3, 3)), requires_grad=True)
    gradcheck(lambda z: small(z, [0, 2, 4]).output, z)
    gradgradcheck(lambda z: small(z, [1, 2, 4]).loss, z)


def test_adaptive_softmax_parameters_as_pytorch() -> None:
    m = AdaptiveLogSoftmaxWithLoss(8, 10, (4, 7), head_bias=True)
    shapes = {k: v.shape for k, v in m.state_dict().items()}
    assert shapes == {
        "head.weight": (6, 8),
        "head.bias": (6,),
        "tail.0.0.weight": (2, 8),
        "tail.0.1.weight": (3, 2),
        "tail.1.0.weight": (0, 8),  # ⌊8 / 16⌋ = 0: a cluster of uniform probabilities
        "tail.1.1.weight": (3, 0),
    }
    assert (m.cutoffs, m.shortlist_size, m.n_clusters, m.head_size) == ([4, 7, 10], 4, 2, 6)
    lp = m.log_prob(RNG.standard_normal((2, 8))).data
    np.testing.assert_allclose(lp[:, 7:] - lp[:, 7:8], 0.0, atol=1e-15)


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((8, 10, []), ValueError, "length larger than 0"),
        ((8, 10, [5, 3]), ValueError, r"sorted.*got \[5, 3\]"),
        ((8, 10, [3, 3]), ValueError, "unique"),
        ((8, 10, [0, 3]), ValueError, "positive"),
        ((8, 10, [3, 10]), ValueError, "n_classes - 1 = 9"),
        ((8, 10, [2.5]), ValueError, "integers"),
        ((8, 10, 3), TypeError, "sequence"),
        ((8, 10, [3], 0.0), ValueError, "div_value"),
        ((0, 10, [3]), ValueError, "in_features must be >= 1"),
    ],
)
def test_adaptive_softmax_refuses_bad_settings(args: Any, error: Any, match: str) -> None:
    with pytest.raises(error, match=match):
        AdaptiveLogSoftmaxWithLoss(*args)


def test_adaptive_softmax_refuses_bad_input() -> None:
    m = AdaptiveLogSoftmaxWithLoss(4, 6, [2])
    x = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"\[0, 5\], but values in \[-1, 6\]"):
        m(x, [0, -1, 6])
    with pytest.raises(ValueError, match="as many rows"):
        m(x, [0, 1])
    with pytest.raises(ValueError, match="multi-target"):
        m(x, [[0, 1, 2]])
    with pytest.raises(ValueError, match="as many rows"):
        m(x, np.array(1))
    with pytest.raises(TypeError, match="integer"):
        m(x, [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="empty"):
        m(np.zeros((0, 4)), np.zeros(0, np.int64))
    with pytest.raises(ValueError, match=r"in_features = 4, got shape \(3, 5\)"):
        m(np.zeros((3, 5)), [0, 1, 2])
    with pytest.raises(ValueError, match=r"log_prob: input must be \(N, in_features\)"):
        m.log_prob(np.zeros(4))
    with pytest.raises(ValueError, match="predict"):
        m.predict(np.zeros((2, 3)))
