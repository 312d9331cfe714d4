"""Multi-label hinge and custom-distance triplet losses against PyTorch: values, gradients."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lite import Tensor
from tinygrad_lite.engine import grad
from tinygrad_lite.more_losses import (
    MultiLabelMarginLoss,
    TripletMarginWithDistanceLoss,
    multilabel_margin_loss,
    triplet_margin_with_distance_loss,
)

torch = pytest.importorskip("torch")
TF = torch.nn.functional

FEW = settings(max_examples=10, deadline=None)
REDUCTION = st.sampled_from(["none", "mean", "sum"])
VALUES = st.sampled_from([0.0, 0.5, -0.5, 1.0, -1.0, 0.25, 2.0])  # kinks and ties come up


def _check(ours: Tensor, theirs: Any, leaves: list[Tensor], tleaves: list[Any]) -> None:
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), 1e-12, 1e-15)
    assert ours.shape == tuple(theirs.shape)
    w = np.linspace(0.5, 1.5, ours.size).reshape(ours.shape)
    g = grad((ours * Tensor(w)).sum(), leaves)
    tg = torch.autograd.grad((theirs * torch.tensor(w)).sum(), tleaves)
    for a, b in zip(g, tg, strict=True):
        assert a is not None
        np.testing.assert_allclose(a.data, b.numpy(), 1e-12, 1e-12)


@FEW
@given(st.integers(1, 4), st.integers(0, 3), st.booleans(), REDUCTION, st.data())
def test_multilabel_margin_loss(c: int, n: int, single: bool, reduction: str, data: Any) -> None:
    shape = (c,) if single else (n, c)
    if reduction == "mean" and 0 in shape:
        reduction = "sum"  # PyTorch's mean of no sample is not a defined value
    x = np.array(
        data.draw(st.lists(VALUES, min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    ).reshape(shape)
    y = np.array(
        data.draw(st.lists(st.integers(-1, c - 1), min_size=x.size, max_size=x.size)),
        dtype=np.int64,
    ).reshape(shape)
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    got = MultiLabelMarginLoss(reduction=reduction)(ours, y)
    want = TF.multilabel_margin_loss(theirs, torch.tensor(y), reduction=reduction)
    _check(got, want, [ours], [theirs])


def test_multilabel_margin_loss_float32_and_0d() -> None:
    x = np.array([[0.1, 0.2, 0.4, 0.8]], np.float32)
    y = np.array([[3, 0, -1, 1]])
    got = multilabel_margin_loss(Tensor(x), y)
    want = TF.multilabel_margin_loss(torch.tensor(x), torch.tensor(y))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.data, want.numpy(), 1e-6)
    for target in (np.array(0), np.array([0])):
        got = multilabel_margin_loss(Tensor(1.5), target, reduction="none")
        want = TF.multilabel_margin_loss(torch.tensor(1.5), torch.tensor(target), reduction="none")
        assert got.shape == tuple(want.shape) and got.item() == want.item()


def _l1(u: Any, v: Any) -> Any:
    return (u - v).abs().sum(-1)


@FEW
@given(st.booleans(), st.booleans(), REDUCTION, st.sampled_from([0.5, 1.0, 2.0]), st.data())
def test_triplet_margin_with_distance_loss(
    custom: bool, swap: bool, reduction: str, margin: float, data: Any
) -> None:
    xs = [
        np.array(data.draw(st.lists(VALUES, min_size=6, max_size=6))).reshape(2, 3)
        for _ in range(3)
    ]
    ours = [Tensor(v, requires_grad=True) for v in xs]
    theirs = [torch.tensor(v, requires_grad=True) for v in xs]
    fn = _l1 if custom else None
    got = triplet_margin_with_distance_loss(
        *ours, distance_function=fn, margin=margin, swap=swap, reduction=reduction
    )
    want = TF.triplet_margin_with_distance_loss(
        *theirs, distance_function=fn, margin=margin, swap=swap, reduction=reduction
    )
    _check(got, want, ours, theirs)


def test_triplet_layer_second_gradient() -> None:
    rng = np.random.default_rng(1)
    xs = [rng.standard_normal((3, 4)) for _ in range(3)]
    ours = [Tensor(v, requires_grad=True) for v in xs]
    theirs = [torch.tensor(v, requires_grad=True) for v in xs]
    loss = TripletMarginWithDistanceLoss(margin=3.0, swap=True)(*ours)
    tloss = torch.nn.TripletMarginWithDistanceLoss(margin=3.0, swap=True)(*theirs)
    (g,) = grad(loss, [ours[0]], create_graph=True)
    (tgrad,) = torch.autograd.grad(tloss, [theirs[0]], create_graph=True)
    assert g is not None
    second = grad((g * g).sum(), ours)
    tsecond = torch.autograd.grad((tgrad * tgrad).sum(), theirs)
    for a, b in zip(second, tsecond, strict=True):
        assert a is not None
        np.testing.assert_allclose(a.data, b.numpy(), 1e-10, 1e-12)
