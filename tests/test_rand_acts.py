"""gumbel_softmax, rrelu and the alpha dropouts: the exact formulas given the noise (re-drawn
from the same seed), the statistics they are built for, eval mode, gradients, reproducibility,
fresh draws in compiled steps, and the refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck
from tinygrad_lite.rand_acts import (
    SELU_LAMBDA_ALPHA,
    AlphaDropout,
    FeatureAlphaDropout,
    RReLU,
    alpha_dropout,
    feature_alpha_dropout,
    gumbel_softmax,
    rrelu,
)

SEEDS = st.integers(0, 2**32 - 1)


def _softmax(z: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@given(SEEDS, st.sampled_from([0, 1, -1]), st.floats(0.1, 3.0))
def test_gumbel_softmax_is_the_softmax_of_the_logits_plus_the_drawn_gumbel_noise(
    seed: int, dim: int, tau: float
) -> None:
    logits = np.random.default_rng(seed + 1).standard_normal((3, 4))
    y = gumbel_softmax(Tensor(logits), tau=tau, dim=dim, generator=seed)
    gumbel = -np.log(np.random.default_rng(seed).exponential(1.0, (3, 4)))
    expected = _softmax((logits + gumbel) / tau, dim)
    np.testing.assert_allclose(y.data, expected, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(y.data.sum(axis=dim), 1.0, rtol=1e-14)
    hard = gumbel_softmax(Tensor(logits), tau=tau, hard=True, dim=dim, generator=seed)
    one_hot = expected == expected.max(axis=dim, keepdims=True)
    np.testing.assert_allclose(hard.data, one_hot.astype(float), atol=1e-15)


def test_hard_samples_are_one_hot_with_the_soft_samples_gradients_of_every_order() -> None:
    w = Tensor(np.random.default_rng(0).standard_normal((2, 3)))
    grads = []
    for hard in (False, True):
        logits = Tensor(np.array([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]]), requires_grad=True)
        y = gumbel_softmax(logits, tau=0.5, hard=hard, generator=7)
        (g,) = tg.grad((y * w).sum(), [logits], create_graph=True)
        (h,) = tg.grad((g * g).sum(), [logits])
        grads.append((g.data, h.data))
        if hard:
            assert set(np.unique(y.data)) <= {0.0, 1.0} and y.data.sum(axis=1).tolist() == [1, 1]
    for a, b in zip(*grads, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    logits = Tensor(np.array([[0.3, -0.2, 1.0]]), requires_grad=True)
    assert gradcheck(lambda t: gumbel_softmax(t, tau=0.8, generator=3), logits)
    assert gradgradcheck(lambda t: gumbel_softmax(t, tau=0.8, generator=3), logits)


def test_hard_samples_follow_the_categorical_distribution() -> None:
    logits = np.log(np.array([0.2, 0.5, 0.3]))
    y = gumbel_softmax(Tensor(np.tile(logits, (4000, 1))), hard=True, generator=1).data
    counts = y.sum(axis=0)
    expected = 4000 * np.exp(logits)
    assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected))


def test_gumbel_softmax_dtypes_shapes_and_eps() -> None:
    x32 = Tensor(np.zeros((2, 3), np.float32))
    assert gumbel_softmax(x32, generator=0).dtype == np.float32
    assert gumbel_softmax(Tensor(np.array(1.5)), hard=True, generator=0).tolist() == 1.0
    with pytest.warns(UserWarning, match="deprecated"):
        gumbel_softmax(x32, eps=1e-5, generator=0)
    with pytest.raises(TypeError, match="floating-point"):
        gumbel_softmax(Tensor(np.zeros(3, int)))
    with pytest.raises(TypeError, match="tau must be a real number"):
        gumbel_softmax(x32, tau="1")  # type: ignore[arg-type]
    with pytest.raises(IndexError):
        gumbel_softmax(x32, dim=2)


@given(SEEDS, st.sampled_from([np.float64, np.float32]))
def test_rrelu_training_multiplies_the_non_positive_elements_by_their_drawn_slopes(
    seed: int, dtype: type
) -> None:
    x = np.array([-3.0, -0.5, 0.0, 0.25, 2.0, -1e-3, np.inf, -np.inf], dtype)
    t = Tensor(x, requires_grad=True)
    y = rrelu(t, 0.1, 0.4, training=True, generator=seed)
    slopes = np.random.default_rng(seed).uniform(0.1, 0.4, x.shape).astype(dtype)
    slope = np.where(x <= 0, slopes, 1).astype(dtype)
    assert y.dtype == dtype and np.array_equal(y.data, x * slope)
    assert np.all((slopes >= 0.1) & (slopes < 0.4))
    y.backward(np.ones_like(x))
    assert np.array_equal(t.grad.data, slope)  # the slope at 0 too, as PyTorch


def test_rrelu_eval_is_a_leaky_relu_with_the_mean_slope() -> None:
    x = Tensor(np.array([-2.0, 0.0, 3.0, np.nan]), requires_grad=True)
    y = rrelu(x)  # training=False is PyTorch's default
    mean = (1 / 8 + 1 / 3) / 2
    np.testing.assert_array_equal(y.data, [-2.0 * mean, 0.0, 3.0, np.nan])
    y.backward(np.ones(4))
    np.testing.assert_array_equal(x.grad.data, [mean, mean, 1.0, mean])
    layer = RReLU(0.1, 0.3)
    assert repr(layer) == "RReLU(lower=0.1, upper=0.3)"
    z = Tensor(-np.ones(1000))
    assert np.unique(layer(z).data).size > 900
    layer.eval()
    assert np.allclose(layer(z).data, -0.2)
    with pytest.raises(ValueError, match=r"lower must be <= upper, got lower=0.5 and upper=0.1"):
        rrelu(x, 0.5, 0.1)
    with pytest.raises(ValueError, match="lower must be <= upper"):
        RReLU(0.5, 0.1)
    with pytest.raises(TypeError, match="floating-point"):
        rrelu(Tensor(np.ones(2, int)))


def _alpha_expected(x: np.ndarray, kept: np.ndarray, p: float) -> np.ndarray:
    """PyTorch's formula, step by step in x's dtype: x·(a·m) + ((m − 1)·αa + αa·p)."""
    dt = x.dtype.type
    a = 1 / math.sqrt((SELU_LAMBDA_ALPHA**2 * p + 1) * (1 - p))
    m = kept.astype(x.dtype)
    return x * (m * dt(a)) + ((m - 1) * dt(SELU_LAMBDA_ALPHA * a) + dt(SELU_LAMBDA_ALPHA * a * p))


@given(SEEDS, st.floats(0.05, 0.95), st.sampled_from([np.float64, np.float32]))
def test_alpha_dropout_is_pytorchs_affine_map_of_the_drawn_mask(
    seed: int, p: float, dtype: type
) -> None:
    x = np.random.default_rng(seed + 1).standard_normal((3, 4, 2)).astype(dtype)
    t = Tensor(x, requires_grad=True)
    y = alpha_dropout(t, p, training=True, generator=seed)
    kept = np.random.default_rng(seed).random(x.shape) >= p
    assert y.dtype == dtype and np.array_equal(y.data, _alpha_expected(x, kept, p))
    y.sum().backward()
    a = 1 / math.sqrt((SELU_LAMBDA_ALPHA**2 * p + 1) * (1 - p))
    assert np.array_equal(t.grad.data, kept * dtype(a))
    z = feature_alpha_dropout(Tensor(x), p, training=True, generator=seed)
    kept = np.random.default_rng(seed).random((3, 4, 1)) >= p  # one draw per channel
    assert np.array_equal(z.data, _alpha_expected(x, np.broadcast_to(kept, x.shape), p))


def test_alpha_dropout_keeps_mean_and_variance_of_unit_normal_inputs() -> None:
    x = np.random.default_rng(0).standard_normal(40000)
    for p in (0.1, 0.5):
        y = alpha_dropout(Tensor(x), p, training=True, generator=1).data
        assert abs(y.mean()) < 0.03 and abs(y.var() - 1) < 0.05
        a = 1 / math.sqrt((SELU_LAMBDA_ALPHA**2 * p + 1) * (1 - p))
        kept = y != SELU_LAMBDA_ALPHA * a * (p - 1)  # the value of every dropped element
        assert abs(kept.mean() - (1 - p)) < 5 * math.sqrt(p * (1 - p) / x.size)


def test_eval_p0_p1_empty_and_in_place() -> None:
    x = Tensor(np.array([[1.0, -2.0], [np.nan, 3.0]]))
    for fn in (alpha_dropout, feature_alpha_dropout):
        assert fn(x) is x and fn(x, 0.5, False) is x and fn(x, 0.0, True) is x
        np.testing.assert_array_equal(fn(x, 1.0, True).data, [[0.0, -0.0], [np.nan, 0.0]])
        empty = Tensor(np.zeros((0, 3)))
        assert fn(empty, 0.5, True) is empty
    assert feature_alpha_dropout(Tensor(np.ones(3)), 1.0, True).tolist() == [0.0] * 3
    with pytest.raises(ValueError, match=r"at least 2 dimensions .* got shape \(3,\)"):
        feature_alpha_dropout(Tensor(np.ones(3)), 0.5, True)
    y = Tensor(np.array([-1.0, 2.0]))
    assert rrelu(y, inplace=True) is y and y.tolist() == [-0.22916666666666666, 2.0]
    z = Tensor(np.ones(4))
    assert alpha_dropout(z, 0.5, True, True, generator=0) is z and z.tolist() != [1.0] * 4
    for bad in (-0.1, 1.5, True):
        with pytest.raises(ValueError, match="p must be a probability"):
            alpha_dropout(x, bad, True)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="p must be a probability"):
            FeatureAlphaDropout(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="generator must be"):
        AlphaDropout(0.5, generator="seed")
    with pytest.raises(TypeError, match="floating-point"):
        alpha_dropout(Tensor(np.ones(3, int)), 0.5, True)


def test_modules_drop_in_train_and_pass_through_in_eval() -> None:
    x = Tensor(np.ones((2, 3, 4)))
    for layer in (AlphaDropout(0.5, generator=3), FeatureAlphaDropout(0.5, generator=3)):
        first, second = layer(x).data, layer(x).data
        assert not np.array_equal(first, second)  # an int seed is one stream, not one mask
        assert not np.array_equal(first, x.data)
        layer.eval()
        assert layer(x) is x
    assert repr(AlphaDropout(0.2)) == "AlphaDropout(p=0.2, inplace=False)"
    channels = FeatureAlphaDropout(0.5, generator=1)(x).data
    assert np.all(channels == channels[..., :1])


def test_manual_seed_reproduces_every_draw() -> None:
    x = Tensor(np.linspace(-1, 1, 12).reshape(3, 4))

    def draws() -> list[np.ndarray]:
        return [
            gumbel_softmax(x).data,
            rrelu(x, training=True).data,
            alpha_dropout(x, 0.5, True).data,
            feature_alpha_dropout(x, 0.5, True).data,
        ]

    tg.manual_seed(5)
    first = draws()
    tg.manual_seed(5)
    for a, b in zip(first, draws(), strict=True):
        assert np.array_equal(a, b)


def test_a_compiled_step_draws_afresh_on_every_call_exactly_as_eager() -> None:
    def make() -> object:
        w = Tensor(np.linspace(-1, 1, 8).reshape(2, 4), requires_grad=True)
        gen = np.random.default_rng(9)

        def step(x: Tensor) -> tuple[Tensor, Tensor]:
            w.grad = None
            h = rrelu(w * x, training=True, generator=gen)
            h = alpha_dropout(h, 0.3, True, generator=gen)
            h = feature_alpha_dropout(h.reshape(1, 2, 4), 0.3, True, generator=gen)
            loss = (gumbel_softmax(h, tau=0.5, hard=True, generator=gen) * h).sum()
            loss.backward()
            return loss, w.grad

        return step

    eager, fast = make(), tg.compile(make())
    x = Tensor(np.ones((2, 4)))
    seen = set()
    for _ in range(4):
        (a, ga), (b, gb) = eager(x), fast(x)  # type: ignore[operator]
        assert a.data.tobytes() == b.data.tobytes() and ga.data.tobytes() == gb.data.tobytes()
        seen.add(b.data.tobytes())
    assert len(seen) == 4 and fast.traces == 1
