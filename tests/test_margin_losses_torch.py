"""The margin, embedding and likelihood losses against PyTorch: values, first and second gradients.

Inputs are drawn by hypothesis (kinks, ties and zero vectors included: the values 0, ±0.5 and ±1
come up often), for every reduction and option; values and gradients must agree to 1e-12.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_lite import Tensor
from tinygrad_lite import functional as F
from tinygrad_lite.engine import grad

torch = pytest.importorskip("torch")
TF = torch.nn.functional

FEW = settings(max_examples=12)
# Values agree to 1e-12 relative (1e-15 absolute for values near 0). A gradient can be a
# small difference of terms of order 1 (the inputs' order): its rounding is measured in those.
RTOL, ATOL, GRAD_ATOL = 1e-12, 1e-15, 1e-12
REDUCTION = st.sampled_from(["none", "mean", "sum"])
VALUE = st.one_of(st.sampled_from([0.0, 0.5, -0.5, 1.0, -1.0]), st.floats(-3, 3, width=64))
SIGN = st.sampled_from([1.0, -1.0, 1.0, -1.0, 0.0, 2.0])  # other targets than ±1 too
MARGIN = st.sampled_from([0.0, 0.5, 1.0, -0.25])


def arrays(shape: Sequence[int], elements: Any = VALUE) -> Any:
    return hnp.arrays(np.float64, tuple(shape), elements=elements)


def batch(draw: Any) -> tuple[int, int]:
    return draw(st.integers(1, 3)), draw(st.integers(1, 4))


def close(ours: Any, theirs: Any, atol: float = ATOL) -> None:
    a = np.zeros(np.shape(theirs)) if ours is None else np.asarray(ours.data)
    b = np.asarray(theirs.detach().numpy(force=True) if hasattr(theirs, "detach") else theirs)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=RTOL, atol=atol, equal_nan=True)


def compare(
    ours: Callable[..., Tensor],
    theirs: Callable[..., Any],
    inputs: Sequence[np.ndarray],
    diff: Sequence[int],
    second_order: bool = True,
) -> None:
    """Values, gradients and gradients of gradients (Jᵀw, then Hu) of both, on equal inputs."""
    ts = [torch.tensor(a, requires_grad=i in diff) for i, a in enumerate(inputs)]
    us = [Tensor(a, requires_grad=i in diff) for i, a in enumerate(inputs)]
    out_t, out_u = theirs(*ts), ours(*us)
    close(out_u, out_t)
    w = np.random.default_rng(0).uniform(0.5, 1.5, out_t.shape)
    d_t = torch.autograd.grad((out_t * torch.tensor(w)).sum(), [ts[i] for i in diff],
                              create_graph=second_order, allow_unused=True)  # fmt: skip
    d_u = grad((out_u * Tensor(w)).sum(), [us[i] for i in diff],
               create_graph=second_order, allow_unused=True)  # fmt: skip
    for g_u, g_t, i in zip(d_u, d_t, diff, strict=True):
        close(g_u, np.zeros(inputs[i].shape) if g_t is None else g_t, GRAD_ATOL)
    if not second_order:
        return
    u = [np.random.default_rng(i + 1).uniform(-1, 1, inputs[i].shape) for i in diff]
    pairs = [(g_t, g_u, v) for g_t, g_u, v in zip(d_t, d_u, u, strict=True) if g_u is not None]
    live = [(g_t, v) for g_t, _, v in pairs if g_t is not None and g_t.requires_grad]
    if not pairs:
        return
    dd_t = (
        torch.autograd.grad(
            sum((g * torch.tensor(v)).sum() for g, v in live),
            [ts[i] for i in diff],
            allow_unused=True,
        )  # fmt: skip
        if live
        else [None] * len(diff)
    )
    s_u = sum(((g * Tensor(v)).sum() for _, g, v in pairs), Tensor(0.0))
    if not s_u.requires_grad:
        dd_u: Sequence[Any] = [None] * len(diff)
    else:
        dd_u = grad(s_u, [us[i] for i in diff], allow_unused=True)
    # A second derivative can be a small difference of terms as large as the first ones (at a
    # zero vector the cosine's are ~1/√ε): its rounding is measured against their size.
    first = [np.abs(g.detach().numpy(force=True)) for g in d_t if g is not None and g.numel()]
    scale = max([1.0, *(float(np.nanmax(g)) for g in first if not np.isnan(g).all())])
    for h_u, h_t, i in zip(dd_u, dd_t, diff, strict=True):
        close(h_u, np.zeros(inputs[i].shape) if h_t is None else h_t, GRAD_ATOL * scale)


@FEW
@given(data=st.data(), reduction=REDUCTION, margin=MARGIN)
def test_margin_ranking(data: Any, reduction: str, margin: float) -> None:
    n, _ = batch(data.draw)
    x1, x2 = data.draw(arrays((n,))), data.draw(arrays(data.draw(st.sampled_from([(n,), (1,)]))))
    y = data.draw(arrays((n,), SIGN))
    compare(
        lambda a, b, c: F.margin_ranking_loss(a, b, c, margin, reduction=reduction),
        lambda a, b, c: TF.margin_ranking_loss(a, b, c, margin, reduction=reduction),
        [x1, x2, y],
        [0, 1, 2],
    )


@FEW
@given(data=st.data(), reduction=REDUCTION, margin=MARGIN)
def test_hinge_embedding(data: Any, reduction: str, margin: float) -> None:
    n, d = batch(data.draw)
    x = data.draw(arrays((n, d)))
    y = data.draw(arrays(data.draw(st.sampled_from([(n, d), (d,), (1, d), (2, n, d)])), SIGN))
    compare(
        lambda a, b: F.hinge_embedding_loss(a, b, margin, reduction=reduction),
        lambda a, b: TF.hinge_embedding_loss(a, b, margin, reduction=reduction),
        [x, y],
        [0],
    )


@FEW
@given(data=st.data(), reduction=REDUCTION)
def test_soft_margin(data: Any, reduction: str) -> None:
    n, d = batch(data.draw)
    x = data.draw(arrays((n, d)))
    y = data.draw(arrays(data.draw(st.sampled_from([(n, d), (d,), (1, d)])), SIGN))
    compare(  # PyTorch does not differentiate in the target
        lambda a, b: F.soft_margin_loss(a, b, reduction=reduction),
        lambda a, b: TF.soft_margin_loss(a, b, reduction=reduction),
        [x, y],
        [0],
    )


@FEW
@given(data=st.data(), reduction=REDUCTION, weighted=st.booleans(), one=st.booleans())
def test_multilabel_soft_margin(data: Any, reduction: str, weighted: bool, one: bool) -> None:
    n, c = batch(data.draw)
    shape = (c,) if one else (n, c)
    x, y = data.draw(arrays(shape)), data.draw(arrays(shape, st.sampled_from([0.0, 1.0, 0.25])))
    inputs = [x, y] + ([data.draw(arrays((c,), st.floats(0, 2)))] if weighted else [])
    compare(
        lambda a, b, *w: F.multilabel_soft_margin_loss(a, b, *w, reduction=reduction),
        lambda a, b, *w: TF.multilabel_soft_margin_loss(a, b, *w, reduction=reduction),
        inputs,
        list(range(len(inputs))),
    )


@FEW
@given(data=st.data(), reduction=REDUCTION, margin=MARGIN, one=st.booleans())
def test_cosine_embedding(data: Any, reduction: str, margin: float, one: bool) -> None:
    n, d = batch(data.draw)
    x1 = data.draw(arrays((d,) if one else (n, d)))
    x2 = data.draw(arrays((d,) if one else data.draw(st.sampled_from([(n, d), (1, d)]))))
    y = data.draw(arrays(() if one else data.draw(st.sampled_from([(n,), (1,)])), SIGN))
    compare(
        lambda a, b, c: F.cosine_embedding_loss(a, b, c, margin, reduction=reduction),
        lambda a, b, c: TF.cosine_embedding_loss(a, b, c, margin, reduction=reduction),
        [x1, x2, y],
        [0, 1],
    )


@FEW
@given(
    data=st.data(),
    reduction=REDUCTION,
    margin=st.sampled_from([0.5, 1.0, 2.0]),
    p=st.sampled_from([2.0, 1.0, math.inf, 3.0, 1.5]),
    eps=st.sampled_from([1e-6, 0.3]),  # never exactly a difference of drawn values
    swap=st.booleans(),
)
def test_triplet_margin(
    data: Any, reduction: str, margin: float, p: float, eps: float, swap: bool
) -> None:
    n, d = batch(data.draw)
    shape = data.draw(st.sampled_from([(n, d), (d,)]))
    inputs = [data.draw(arrays(shape)) for _ in range(3)]
    compare(
        lambda a, b, c: F.triplet_margin_loss(a, b, c, margin, p, eps, swap, reduction=reduction),
        lambda a, b, c: TF.triplet_margin_loss(a, b, c, margin, p, eps, swap, reduction=reduction),
        inputs,
        [0, 1, 2],
        # PyTorch's inf norm has no second derivative; near a zero difference (all values
        # equal, ε = 1e-6) the second derivatives are ~1/ε and their rounding is all they show
        second_order=not math.isinf(p) and eps > 0.1,
    )


@FEW
@given(
    data=st.data(),
    reduction=REDUCTION,
    p=st.sampled_from([1, 2]),
    margin=MARGIN,
    weighted=st.booleans(),
    one=st.booleans(),
)
def test_multi_margin(
    data: Any, reduction: str, p: int, margin: float, weighted: bool, one: bool
) -> None:
    n, c = batch(data.draw)
    x = data.draw(arrays((c,) if one else (n, c)))
    target = np.asarray(
        data.draw(hnp.arrays(np.int64, () if one else (n,), elements=st.integers(0, c - 1)))
    )
    w = data.draw(arrays((c,), st.floats(0, 2))) if weighted else None
    compare(  # PyTorch has no second derivative, nor a gradient in the weight
        lambda a: F.multi_margin_loss(a, target, p, margin, w, reduction=reduction),
        lambda a: TF.multi_margin_loss(
            a, torch.tensor(target), p, margin, None if w is None else torch.tensor(w),
            reduction=reduction,
        ),
        [x],
        [0],
        second_order=False,
    )  # fmt: skip


@FEW
@given(data=st.data(), reduction=REDUCTION, log_input=st.booleans(), full=st.booleans())
def test_poisson_nll(data: Any, reduction: str, log_input: bool, full: bool) -> None:
    n, d = batch(data.draw)
    x = data.draw(arrays((n, d), VALUE if log_input else st.floats(0, 4)))
    # (not below 1e-3: at a count y < 1e-154 PyTorch's second derivative in y is 0·∞ = NaN)
    counts = st.one_of(st.sampled_from([0.0, 1.0, 2.0, -1.0, 0.5]), st.floats(1e-3, 6))
    y = data.draw(arrays(data.draw(st.sampled_from([(n, d), (d,)])), counts))
    eps = data.draw(st.sampled_from([1e-8, 0.5]))
    compare(
        lambda a, b: F.poisson_nll_loss(a, b, log_input, full, eps=eps, reduction=reduction),
        lambda a, b: TF.poisson_nll_loss(a, b, log_input, full, eps=eps, reduction=reduction),
        [x, y],
        [0, 1],
    )


@FEW
@given(data=st.data(), reduction=REDUCTION, full=st.booleans())
def test_gaussian_nll(data: Any, reduction: str, full: bool) -> None:
    n, d = batch(data.draw)
    x = data.draw(arrays((n, d)))
    y = data.draw(arrays(data.draw(st.sampled_from([(n, d), (d,), (1, d)]))))
    eps = data.draw(st.sampled_from([1e-6, 0.5]))
    variances = st.one_of(st.sampled_from([0.0, 1e-7, 1.0]), st.floats(0, 3))
    shape = data.draw(st.sampled_from([(n, d), (n,), (n, 1), (1, d), None]))
    if shape is None:  # one variance for all, a Python float
        v = data.draw(variances)
        compare(
            lambda a, b: F.gaussian_nll_loss(a, b, v, full, eps, reduction),
            lambda a, b: TF.gaussian_nll_loss(a, b, v, full, eps, reduction),
            [x, y],
            [0, 1],
        )
        return
    compare(
        lambda a, b, c: F.gaussian_nll_loss(a, b, c, full, eps, reduction),
        lambda a, b, c: TF.gaussian_nll_loss(a, b, c, full, eps, reduction),
        [x, y, data.draw(arrays(shape, variances))],
        [0, 1, 2],
    )


def test_the_kinks_and_special_points_are_pytorchs() -> None:
    """The hand-picked points of the NumPy tests, against PyTorch itself."""
    compare(
        lambda a, b: F.margin_ranking_loss(a, b, Tensor([-1.0, 1.0]), 1.0, reduction="sum"),
        lambda a, b: TF.margin_ranking_loss(a, b, torch.tensor([-1.0, 1.0]), 1.0, reduction="sum"),
        [np.array([0.0, 2.0]), np.array([1.0, 1.0])],
        [0, 1],
    )
    compare(
        lambda a, b, c: F.triplet_margin_loss(a, b, c, eps=0.0, swap=True),
        lambda a, b, c: TF.triplet_margin_loss(a, b, c, eps=0.0, swap=True),
        [np.array([[0.0, 0.0]]), np.array([[2.0, 0.0]]), np.array([[1.0, 1.0]])],
        [0, 1, 2],
    )
    compare(
        lambda a, b: F.cosine_embedding_loss(a, b, Tensor([1.0, -1.0]), -0.5),
        lambda a, b: TF.cosine_embedding_loss(a, b, torch.tensor([1.0, -1.0]), -0.5),
        [np.zeros((2, 3)), np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 0.0]])],
        [0, 1],
    )
    compare(
        lambda a, b: F.poisson_nll_loss(a, b, full=True, reduction="sum"),
        lambda a, b: TF.poisson_nll_loss(a, b, full=True, reduction="sum"),
        [np.array([0.5, -1.0, 1.0, 1.0, 0.0]), np.array([2.0, 0.0, 1.0, -1.0, 0.5])],
        [0, 1],
    )
    compare(
        lambda a, b, c: F.gaussian_nll_loss(a, b, c, reduction="sum"),
        lambda a, b, c: TF.gaussian_nll_loss(a, b, c, reduction="sum"),
        [np.array([1.0, 2.0, 3.0]), np.zeros(3), np.array([0.0, 1e-7, 2.0])],
        [0, 1, 2],
    )
