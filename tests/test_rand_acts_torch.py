"""gumbel_softmax, rrelu and the alpha dropouts against PyTorch: the deterministic parts.

Optional: skipped when torch is not installed. Random draws cannot be PyTorch's, so what is
compared is what does not depend on them: eval mode and its gradients, the identity and zero
cases, the value of a dropped element and the affine map of a kept one (bit for bit, where
both libraries kept or dropped the same element), the slopes' range, the one-hot structure,
the layers' representations and defaults.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lite import Tensor
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

torch = pytest.importorskip("torch")
TF = torch.nn.functional
DTYPES = st.sampled_from([np.float64, np.float32])
SPECIAL = np.array([-np.inf, -3.0, -0.5, -0.0, 0.0, 1e-300, 0.5, 2.0, np.inf, np.nan])


@given(DTYPES, st.floats(0.0, 0.5), st.floats(0.0, 0.5))
def test_rrelu_in_eval_is_pytorchs(dtype: Any, lower: float, width: float) -> None:
    x = SPECIAL.astype(dtype)
    t = torch.tensor(x, requires_grad=True)
    expected = TF.rrelu(t, lower, lower + width)  # PyTorch's default: training=False
    expected.backward(torch.ones_like(t))
    a = Tensor(x, requires_grad=True)
    with np.errstate(invalid="ignore"):  # −∞·0 is NaN, as in PyTorch
        got = rrelu(a, lower, lower + width)
        got.backward(np.ones_like(x))
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.data, expected.detach().numpy())
    np.testing.assert_array_equal(a.grad.data, t.grad.numpy())


@settings(max_examples=10)
@given(DTYPES, st.integers(0, 2**32 - 1))
def test_rrelu_in_training_draws_slopes_from_the_same_range(dtype: Any, seed: int) -> None:
    x = -np.abs(np.random.default_rng(seed).standard_normal(500)).astype(dtype) - 0.1
    expected = TF.rrelu(torch.tensor(x), 0.2, 0.3, training=True).numpy() / x
    got = rrelu(Tensor(x), 0.2, 0.3, training=True, generator=seed).data / x
    for slopes in (expected, got):
        assert slopes.min() >= 0.2 - 1e-6 and slopes.max() <= 0.3 + 1e-6
        assert abs(slopes.mean() - 0.25) < 0.01
    positive = np.abs(x)
    assert np.array_equal(rrelu(Tensor(positive), training=True).data, positive)


@given(DTYPES, st.sampled_from([0.1, 0.25, 0.5, 0.8]), st.integers(0, 2**32 - 1))
def test_alpha_dropout_drops_to_pytorchs_value_and_keeps_by_pytorchs_map(
    dtype: Any, p: float, seed: int
) -> None:
    x = np.random.default_rng(seed).standard_normal((8, 6, 5)).astype(dtype)
    for ours, theirs in (
        (alpha_dropout, TF.alpha_dropout),
        (feature_alpha_dropout, TF.feature_alpha_dropout),
    ):
        got = ours(Tensor(x), p, True, generator=seed).data
        expected = theirs(torch.tensor(x), p, True).numpy()
        assert got.dtype == expected.dtype
        a = 1 / math.sqrt((SELU_LAMBDA_ALPHA**2 * p + 1) * (1 - p))
        dropped = dtype(-SELU_LAMBDA_ALPHA * a) + dtype(
            SELU_LAMBDA_ALPHA * a * p
        )  # as PyTorch rounds it
        draws = x.size if ours is alpha_dropout else x.shape[0] * x.shape[1]
        for y in (got, expected):  # both drop to that value, with probability p
            assert abs((y == dropped).mean() - p) < 5 * math.sqrt(p * (1 - p) / draws)
        both_kept = (got != dropped) & (expected != dropped)
        assert np.array_equal(got[both_kept], expected[both_kept])
        if ours is feature_alpha_dropout:  # whole channels
            assert np.all((got == dropped).all(-1) | (got != dropped).all(-1))


def test_eval_zero_and_one_probabilities_are_pytorchs() -> None:
    x = np.array([[1.0, -2.0], [np.nan, np.inf]])
    for ours, theirs in (
        (alpha_dropout, TF.alpha_dropout),
        (feature_alpha_dropout, TF.feature_alpha_dropout),
    ):
        t, a = torch.tensor(x), Tensor(x)
        assert theirs(t) is t and ours(a) is a  # training=False is the default
        assert theirs(t, 0.0, True) is t and ours(a, 0.0, True) is a
        with np.errstate(invalid="ignore"):  # ∞·0
            np.testing.assert_array_equal(ours(a, 1.0, True).data, theirs(t, 1.0, True).numpy())
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        TF.feature_alpha_dropout(torch.ones(3), 0.5, True)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        feature_alpha_dropout(Tensor(np.ones(3)), 0.5, True)
    with pytest.raises(ValueError):
        TF.alpha_dropout(torch.ones(3), 1.5, True)
    with pytest.raises(ValueError):
        alpha_dropout(Tensor(np.ones(3)), 1.5, True)


def test_gumbel_softmax_shapes_structure_and_warning_are_pytorchs() -> None:
    logits = np.random.default_rng(0).standard_normal((4, 3, 5))
    for dim in (0, 1, -1):
        for hard in (False, True):
            expected = TF.gumbel_softmax(torch.tensor(logits), 0.5, hard, dim=dim).numpy()
            got = gumbel_softmax(Tensor(logits), 0.5, hard, dim=dim, generator=dim + 5).data
            assert got.shape == expected.shape and got.dtype == expected.dtype
            for y in (got, expected):
                np.testing.assert_allclose(y.sum(axis=dim), 1.0, rtol=1e-12)
                if hard:
                    assert np.array_equal(np.unique(y), [0.0, 1.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        TF.gumbel_softmax(torch.zeros(3), eps=1e-3)
        gumbel_softmax(Tensor(np.zeros(3)), eps=1e-3, generator=0)
    assert [str(w.message) for w in caught][0] == str(caught[1].message)


def test_layers_print_and_default_as_pytorchs() -> None:
    pairs = [
        (RReLU(), torch.nn.RReLU()),
        (RReLU(0.1, 0.2, True), torch.nn.RReLU(0.1, 0.2, True)),
        (RReLU(0, 1), torch.nn.RReLU(0, 1)),
        (AlphaDropout(), torch.nn.AlphaDropout()),
        (FeatureAlphaDropout(0.3, True), torch.nn.FeatureAlphaDropout(0.3, True)),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        assert ours.training and theirs.training
