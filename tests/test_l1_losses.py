"""L1, Huber and smooth L1 losses: closed forms, gradients at the kinks, finite differences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_lite import Tensor, nn
from tinygrad_lite import functional as F
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck

# Differences d = x - y at and around every kink: 0, ±0.5 and ±1 (δ and β below are 0.5 or 1).
D = np.array([-3.0, -1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0, 3.0])
Y = np.linspace(-1.25, 1.25, D.size)  # multiples of 1/4: X - Y is exactly D
X = Y + D
assert np.array_equal(X - Y, D)  # the differences are exact, so the kinks are hit exactly


def l1_terms(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """|d| and its derivative in d, sign(d) with 0 at 0 (PyTorch's)."""
    return np.abs(d), np.sign(d)


def huber_terms(d: np.ndarray, delta: float) -> tuple[np.ndarray, np.ndarray]:
    """½d² inside |d| < δ, δ(|d| - ½δ) outside; the derivative is d clipped to [-δ, δ]."""
    z = np.abs(d)
    value = np.where(z < delta, 0.5 * d * d, delta * (z - 0.5 * delta))
    return value, np.clip(d, -delta, delta)


def smooth_l1_terms(d: np.ndarray, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """½d²/β inside |d| < β, |d| - ½β outside; the derivative is d/β clipped to [-1, 1]."""
    z = np.abs(d)
    value = np.where(z < beta, 0.5 * d * d / beta, z - 0.5 * beta)
    return value, np.clip(d / beta, -1.0, 1.0)


CASES: dict[str, tuple[Callable[..., Tensor], Callable[[np.ndarray], tuple[Any, Any]]]] = {
    "l1": (F.l1_loss, l1_terms),
    "huber delta=1": (F.huber_loss, lambda d: huber_terms(d, 1.0)),
    "huber delta=0.5": (
        lambda x, y, r: F.huber_loss(x, y, r, delta=0.5),
        lambda d: huber_terms(d, 0.5),
    ),
    "smooth_l1 beta=1": (F.smooth_l1_loss, lambda d: smooth_l1_terms(d, 1.0)),
    "smooth_l1 beta=0.5": (
        lambda x, y, r: F.smooth_l1_loss(x, y, r, beta=0.5),
        lambda d: smooth_l1_terms(d, 0.5),
    ),
    "smooth_l1 beta=0 is l1": (lambda x, y, r: F.smooth_l1_loss(x, y, r, beta=0.0), l1_terms),
}


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_values_and_gradients_are_the_closed_forms_at_and_between_the_kinks(
    case: tuple[Callable[..., Tensor], Callable[..., Any]], reduction: str
) -> None:
    loss_fn, closed_form = case
    terms, slope = closed_form(D)
    x, y = Tensor(X, requires_grad=True), Tensor(Y, requires_grad=True)
    loss = loss_fn(x, y, reduction)
    upstream = np.linspace(0.5, 2.0, D.size) if reduction == "none" else np.array(1.5)
    (loss * Tensor(upstream)).sum().backward()
    if reduction == "none":
        expected, scale = terms, upstream
    elif reduction == "sum":
        expected, scale = terms.sum(), upstream
    else:
        expected, scale = terms.mean(), upstream / D.size
    np.testing.assert_allclose(loss.data, expected, rtol=1e-15, atol=0)
    np.testing.assert_allclose(x.grad.data, slope * scale, rtol=1e-15, atol=0)
    np.testing.assert_allclose(y.grad.data, -slope * scale, rtol=1e-15, atol=0)


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_gradients_match_finite_differences_away_from_the_kinks(
    case: tuple[Callable[..., Tensor], Callable[..., Any]],
) -> None:
    loss_fn = case[0]
    rng = np.random.default_rng(0)
    d = rng.uniform(0.05, 0.45, (3, 4)) * rng.choice([-1, 1], (3, 4))
    d[0] *= 5  # some beyond the kinks at 0.5 and 1 too
    y = rng.standard_normal((3, 4))
    xt, yt = Tensor(y + d, requires_grad=True), Tensor(y, requires_grad=True)
    for reduction in ("mean", "sum", "none"):
        assert gradcheck(lambda a, b, r=reduction: loss_fn(a, b, r), xt, yt)
    assert gradgradcheck(lambda a, b: loss_fn(a, b, "none"), xt, yt)


@given(
    values=st.lists(st.floats(-4, 4), min_size=1, max_size=8),
    delta=st.floats(0.1, 3.0),
)
def test_the_huber_loss_is_delta_times_smooth_l1_with_beta_delta(
    values: list[float], delta: float
) -> None:
    x = Tensor(np.array(values), requires_grad=True)
    y = np.zeros(len(values))
    huber = F.huber_loss(x, y, "none", delta=delta)
    smooth = F.smooth_l1_loss(x, y, "none", beta=delta)
    np.testing.assert_allclose(huber.data, delta * smooth.data, rtol=1e-12, atol=1e-300)
    assert np.all(huber.data <= np.abs(np.array(values)) * delta + 1e-12)


def test_the_modules_reduce_as_asked_and_show_their_settings() -> None:
    x, y = Tensor(X), Y
    assert nn.L1Loss()(x, y).data == pytest.approx(np.abs(D).mean(), rel=1e-15)
    assert nn.L1Loss(reduction="sum")(x, y).data == pytest.approx(np.abs(D).sum(), rel=1e-15)
    np.testing.assert_array_equal(
        nn.HuberLoss("none", delta=0.5)(x, y).data, huber_terms(D, 0.5)[0]
    )
    smooth = nn.SmoothL1Loss(reduction="sum", beta=0.5)(x, y).data
    assert smooth == pytest.approx(smooth_l1_terms(D, 0.5)[0].sum(), rel=1e-15)
    assert repr(nn.L1Loss()) == "L1Loss(reduction='mean')"
    assert repr(nn.HuberLoss(delta=2)) == "HuberLoss(reduction='mean', delta=2.0)"
    assert (
        repr(nn.SmoothL1Loss(reduction="sum", beta=0)) == "SmoothL1Loss(reduction='sum', beta=0.0)"
    )
    assert list(nn.HuberLoss().parameters()) == []


def test_targets_may_be_arrays_or_lists_and_float32_stays_float32() -> None:
    x = Tensor(np.array([1.0, -2.0], np.float32), requires_grad=True)
    for loss_fn in (F.l1_loss, F.huber_loss, F.smooth_l1_loss):
        loss = loss_fn(x, [0.5, 0.5])
        assert loss.dtype == np.float32
        loss.backward()
        assert x.grad is not None and x.grad.dtype == np.float32
        x.grad = None


def test_bad_arguments_are_refused_with_clear_errors() -> None:
    x = Tensor(np.zeros(3))
    with pytest.raises(
        ValueError, match=r"l1_loss: input shape \(3,\) and target shape \(2,\) differ"
    ):
        F.l1_loss(x, np.zeros(2))
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'max'"):
        F.huber_loss(x, np.zeros(3), "max")
    with pytest.raises(ValueError, match="HuberLoss: reduction must be"):
        nn.HuberLoss("avg")
    with pytest.raises(ValueError, match="huber_loss: delta must be finite and > 0, got 0"):
        F.huber_loss(x, np.zeros(3), delta=0)
    with pytest.raises(ValueError, match="HuberLoss: delta must be finite and > 0"):
        nn.HuberLoss(delta=-1.0)
    with pytest.raises(ValueError, match="smooth_l1_loss: beta must be finite and >= 0, got -0.5"):
        F.smooth_l1_loss(x, np.zeros(3), beta=-0.5)
    with pytest.raises(TypeError, match="SmoothL1Loss: beta must be a real number, got str"):
        nn.SmoothL1Loss(beta="1")  # type: ignore[arg-type]
