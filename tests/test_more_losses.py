"""Multi-label hinge and custom-distance triplet losses: NumPy formulas, gradients, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lite import Tensor
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck
from tinygrad_lite.more_losses import (
    MultiLabelMarginLoss,
    TripletMarginWithDistanceLoss,
    multilabel_margin_loss,
    triplet_margin_with_distance_loss,
)

REDUCTIONS = ["none", "mean", "sum"]
RNG = np.random.default_rng(3)
A, P, N = (RNG.standard_normal((3, 4)) for _ in range(3))
LABELS = np.array([[3, 0, -1, 1], [2, 2, 1, -1], [-1, 0, 1, 2]])  # a repeat, an empty row


def np_reduce(terms: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return terms
    return np.asarray(terms.sum() if reduction == "sum" else terms.mean())


def np_multilabel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The loss per row, by loops over the listed labels, as the formula reads."""
    out = []
    for row, labels in zip(x, y, strict=True):
        listed = []
        for k in labels:
            if k < 0:
                break
            listed.append(int(k))
        total = 0.0
        for k in listed:
            for j in range(len(row)):
                if j not in listed:
                    total += max(0.0, 1.0 - (row[k] - row[j]))
        out.append(total / len(row))
    return np.array(out)


def np_l2(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.sqrt(((u - v + 1e-6) ** 2).sum(-1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_matches_the_formula(reduction: str) -> None:
    got = multilabel_margin_loss(Tensor(A), LABELS, reduction=reduction)
    np.testing.assert_allclose(got.data, np_reduce(np_multilabel(A, LABELS), reduction), 1e-13)
    assert MultiLabelMarginLoss(reduction=reduction)(Tensor(A), LABELS).shape == got.shape


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 4), st.integers(0, 3), st.data())
def test_multilabel_random_rows(c: int, n: int, data: Any) -> None:
    y = np.array(
        data.draw(
            st.lists(
                st.lists(st.integers(-1, c - 1), min_size=c, max_size=c), min_size=n, max_size=n
            )
        ),
        dtype=np.int64,
    ).reshape(n, c)
    x = RNG.standard_normal((n, c))
    got = multilabel_margin_loss(Tensor(x), y, reduction="none")
    np.testing.assert_allclose(got.data, np_multilabel(x, y).reshape(n), 1e-13, 1e-15)


def test_multilabel_single_sample_shapes() -> None:
    assert multilabel_margin_loss(Tensor(A[0]), LABELS[0], reduction="none").shape == ()
    zero_d = multilabel_margin_loss(Tensor(2.0), np.array(0), reduction="none")
    assert zero_d.shape == () and zero_d.item() == 0.0
    assert multilabel_margin_loss(Tensor(2.0), [0]).item() == 0.0
    x = Tensor(np.zeros((0, 3)))
    assert multilabel_margin_loss(x, np.zeros((0, 3), np.int64), reduction="none").shape == (0,)
    assert multilabel_margin_loss(x, np.zeros((0, 3), np.int64), reduction="sum").item() == 0.0


def test_multilabel_gradients() -> None:
    x = Tensor(A, requires_grad=True)
    gradcheck(lambda t: multilabel_margin_loss(t, LABELS, reduction="none"), x)
    gradgradcheck(lambda t: multilabel_margin_loss(t, LABELS, reduction="sum"), x)


def test_multilabel_kink_has_zero_gradient() -> None:
    x = Tensor(np.array([[0.0, 1.0]]), requires_grad=True)  # 1 - x_1 + x_0 = 0
    multilabel_margin_loss(x, [[1, -1]]).backward()
    assert x.grad is not None and x.grad.tolist() == [[0.0, 0.0]]


@pytest.mark.parametrize(
    ("x", "y", "error", "match"),
    [
        (np.zeros((2, 3)), np.zeros((2, 2), np.int64), ValueError, "target must be of shape"),
        (np.zeros(3), np.zeros((1, 3), np.int64), ValueError, "target must be of shape"),
        (np.zeros((2, 0)), np.zeros((2, 0), np.int64), ValueError, "C >= 1"),
        (np.zeros((1, 2, 2)), np.zeros((1, 2, 2), np.int64), ValueError, "input must be"),
        (np.zeros((1, 3)), np.array([[0, -1, 3]]), ValueError, "got 3"),
        (np.zeros((1, 3)), np.array([[0, -2, 1]]), ValueError, "got -2"),
        (np.zeros((1, 3)), np.zeros((1, 3)), TypeError, "integer class indices"),
        (np.zeros((1, 3), np.int64), np.zeros((1, 3), np.int64), TypeError, "floating-point"),
    ],
)
def test_multilabel_refusals(x: Any, y: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        multilabel_margin_loss(Tensor(x), y)


def test_multilabel_other_refusals() -> None:
    with pytest.raises(ValueError, match="empty batch"):
        multilabel_margin_loss(Tensor(np.zeros((0, 2))), np.zeros((0, 2), np.int64))
    with pytest.raises(TypeError, match="size_average"):
        MultiLabelMarginLoss(size_average=True)
    with pytest.raises(ValueError, match="reduction"):
        multilabel_margin_loss(Tensor(A), LABELS, reduction="avg")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_default_distance(reduction: str, swap: bool) -> None:
    d_neg = np_l2(A, N)
    if swap:
        d_neg = np.minimum(d_neg, np_l2(P, N))
    want = np_reduce(np.maximum(0.0, 0.5 + np_l2(A, P) - d_neg), reduction)
    got = triplet_margin_with_distance_loss(
        Tensor(A), Tensor(P), Tensor(N), margin=0.5, swap=swap, reduction=reduction
    )
    np.testing.assert_allclose(got.data, want, 1e-13)
    layer = TripletMarginWithDistanceLoss(margin=0.5, swap=swap, reduction=reduction)
    np.testing.assert_allclose(layer(Tensor(A), Tensor(P), Tensor(N)).data, want, 1e-13)


def test_triplet_custom_distance_and_gradients() -> None:
    def l1(u: Tensor, v: Tensor) -> Tensor:
        return (u - v).abs().sum(-1)

    want = np.maximum(0.0, 3.0 + np.abs(A - P).sum(-1) - np.abs(A - N).sum(-1))
    got = triplet_margin_with_distance_loss(
        Tensor(A), Tensor(P), Tensor(N), distance_function=l1, margin=3.0, reduction="none"
    )
    np.testing.assert_allclose(got.data, want, 1e-13)
    ts = [Tensor(v, requires_grad=True) for v in (A, P, N)]
    gradcheck(lambda a, p, n: triplet_margin_with_distance_loss(a, p, n, swap=True), *ts)
    gradgradcheck(
        lambda a, p, n: triplet_margin_with_distance_loss(a, p, n, margin=2.0, reduction="sum"),
        *ts,
    )


def test_triplet_layer_holds_the_distance() -> None:
    layer = TripletMarginWithDistanceLoss()
    assert "PairwiseDistance()" in repr(layer)
    assert repr(TripletMarginWithDistanceLoss(distance_function=np.subtract)).endswith("()")


def test_triplet_refusals() -> None:
    a = Tensor(A)
    with pytest.raises(ValueError, match="margin must be a number > 0"):
        triplet_margin_with_distance_loss(a, a, a, margin=0.0)
    with pytest.raises(ValueError, match="margin must be a number > 0"):
        TripletMarginWithDistanceLoss(margin=-1.0)
    with pytest.raises(ValueError, match="same number of dimensions"):
        triplet_margin_with_distance_loss(a, Tensor(A[0]), a)
    with pytest.raises(TypeError, match="must return a Tensor"):
        triplet_margin_with_distance_loss(a, a, a, distance_function=lambda u, v: 1.0)
    with pytest.raises(TypeError, match="callable"):
        TripletMarginWithDistanceLoss(distance_function="l2")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="swap must be a bool"):
        triplet_margin_with_distance_loss(a, a, a, swap="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="reduction"):
        triplet_margin_with_distance_loss(a, a, a, reduction="avg")
