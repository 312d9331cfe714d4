"""Margin, embedding and likelihood losses: NumPy formulas, finite differences, kinks, refusals."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tinygrad_lite import Tensor
from tinygrad_lite import functional as F
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck
from tinygrad_lite.margin_layers import (
    CosineEmbeddingLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    MarginRankingLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    PoissonNLLLoss,
    SoftMarginLoss,
    TripletMarginLoss,
)

REDUCTIONS = ["none", "mean", "sum"]
RNG = np.random.default_rng(7)
A, B, C = (RNG.standard_normal((3, 4)) for _ in range(3))
SIGNS = np.array([1.0, -1.0, 1.0])  # one target per row of A
LABELS = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 0.0, 0.25]])
CLASSES = np.array([2, 0, 3])
WEIGHT = np.array([0.5, 2.0, 1.0, 1.5])
COUNTS = np.array([[0.0, 1.0, 2.0, 5.0], [3.0, 0.5, 1.0, 7.0], [4.0, 1.5, 0.0, 2.0]])
VAR = RNG.uniform(0.5, 2.0, (3, 4))

# ------------------------------------------------------------------ independent NumPy formulas


def np_reduce(terms: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return terms
    return np.asarray(terms.sum() if reduction == "sum" else terms.mean())


def np_ranking(x1: np.ndarray, x2: np.ndarray, y: np.ndarray, margin: float) -> np.ndarray:
    return np.maximum(0.0, margin - y * (x1 - x2))


def np_hinge(x: np.ndarray, y: np.ndarray, margin: float) -> np.ndarray:
    """x for y = 1, max(0, margin - x) for y = -1, and both for any other y (PyTorch's)."""
    return np.where(y != 1, np.maximum(0.0, margin - x), 0.0) + np.where(y != -1, x, 0.0)


def np_soft_margin(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, -x * y)


def np_multilabel(x: np.ndarray, y: np.ndarray, w: Any) -> np.ndarray:
    log_p, log_q = -np.logaddexp(0.0, -x), -np.logaddexp(0.0, x)  # ln σ(x), ln σ(-x)
    terms = -(y * log_p + (1 - y) * log_q) * (1.0 if w is None else w)
    return np.asarray(terms.mean(axis=-1))


def np_cosine(a: np.ndarray, b: np.ndarray, y: np.ndarray, margin: float) -> np.ndarray:
    eps = float(np.float32(1e-12))
    cos = np.sum(a * b, -1) / np.sqrt((np.sum(a * a, -1) + eps) * (np.sum(b * b, -1) + eps))
    return np.where(y == 1, 1 - cos, 0.0) + np.where(y == -1, np.maximum(0.0, cos - margin), 0.0)


def np_triplet(
    a: np.ndarray, p: np.ndarray, n: np.ndarray, margin: float, deg: float, eps: float, swap: bool
) -> np.ndarray:
    def dist(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.asarray(np.linalg.norm(u - v + eps, ord=deg, axis=-1))

    d_neg = np.minimum(dist(a, n), dist(p, n)) if swap else dist(a, n)
    return np.maximum(0.0, margin + dist(a, p) - d_neg)


def np_multi_margin(x: np.ndarray, t: np.ndarray, p: int, margin: float, w: Any) -> np.ndarray:
    """A loop over samples and classes, as the definition reads."""
    rows, targets = np.atleast_2d(x), np.atleast_1d(t)
    out = np.zeros(len(rows))
    for i, (row, k) in enumerate(zip(rows, targets, strict=True)):
        for j, score in enumerate(row):
            if j != k:
                out[i] += max(0.0, margin - row[k] + score) ** p * (1.0 if w is None else w[k])
        out[i] /= len(row)
    return out.reshape(np.shape(t)) if x.ndim < 2 else out


def np_poisson(x: np.ndarray, y: np.ndarray, log_input: bool, full: bool, eps: float) -> np.ndarray:
    terms = np.exp(x) - y * x if log_input else x - y * np.log(x + eps)
    if full:
        safe = np.where(y > 1, y, 1.0)
        terms = terms + np.where(
            y > 1, safe * np.log(safe) - safe + 0.5 * np.log(2 * np.pi * safe), 0
        )
    return terms


def np_gaussian(
    x: np.ndarray, y: np.ndarray, var: np.ndarray, full: bool, eps: float
) -> np.ndarray:
    v = np.maximum(var, eps)
    return 0.5 * (np.log(v) + (x - y) ** 2 / v) + (0.5 * np.log(2 * np.pi) if full else 0.0)


# Each case: the loss (inputs..., reduction) -> Tensor, its NumPy terms, the float inputs, the
# positions of those that are differentiated.
Case = tuple[Callable[..., Tensor], Callable[..., np.ndarray], list[np.ndarray]]
CASES: dict[str, Case] = {
    "margin_ranking": (
        lambda a, b, y, r: F.margin_ranking_loss(a, b, y, 0.4, reduction=r),
        lambda a, b, y: np_ranking(a, b, y, 0.4),
        [A[0], B[0], np.array([1.0, -1.0, 0.5, -1.0])],
    ),
    "hinge_embedding": (
        lambda x, y, r: F.hinge_embedding_loss(x, y, 0.6, reduction=r),
        lambda x, y: np_hinge(x, y, 0.6),
        [A, np.array([1.0, -1.0, 0.0, -1.0])],
    ),
    "soft_margin": (
        lambda x, y, r: F.soft_margin_loss(x, y, reduction=r),
        np_soft_margin,
        [A, np.sign(B)],
    ),
    "multilabel_soft_margin": (
        lambda x, y, w, r: F.multilabel_soft_margin_loss(x, y, w, reduction=r),
        np_multilabel,
        [A, LABELS, WEIGHT],
    ),
    "cosine_embedding": (
        lambda a, b, y, r: F.cosine_embedding_loss(a, b, y, -0.2, reduction=r),
        lambda a, b, y: np_cosine(a, b, y, -0.2),
        [A, B, SIGNS],
    ),
    "triplet": (
        lambda a, p, n, r: F.triplet_margin_loss(a, p, n, 0.7, reduction=r),
        lambda a, p, n: np_triplet(a, p, n, 0.7, 2.0, 1e-6, False),
        [A, B, C],
    ),
    "triplet p=1 swap": (
        lambda a, p, n, r: F.triplet_margin_loss(a, p, n, 1.5, 1, 0.0, True, reduction=r),
        lambda a, p, n: np_triplet(a, p, n, 1.5, 1.0, 0.0, True),
        [A, B, C],
    ),
    "triplet p=3": (
        lambda a, p, n, r: F.triplet_margin_loss(a, p, n, 2.0, 3.0, reduction=r),
        lambda a, p, n: np_triplet(a, p, n, 2.0, 3.0, 1e-6, False),
        [A, B, C],
    ),
    "multi_margin": (
        lambda x, r: F.multi_margin_loss(x, CLASSES, reduction=r),
        lambda x: np_multi_margin(x, CLASSES, 1, 1.0, None),
        [A],
    ),
    "multi_margin p=2 weight": (
        lambda x, w, r: F.multi_margin_loss(x, CLASSES, 2, 0.5, w, reduction=r),
        lambda x, w: np_multi_margin(x, CLASSES, 2, 0.5, w),
        [A, WEIGHT],
    ),
    "poisson": (
        lambda x, y, r: F.poisson_nll_loss(x, y, reduction=r),
        lambda x, y: np_poisson(x, y, True, False, 1e-8),
        [A, COUNTS],
    ),
    "poisson rates full": (
        lambda x, y, r: F.poisson_nll_loss(x, y, False, True, eps=0.01, reduction=r),
        lambda x, y: np_poisson(x, y, False, True, 0.01),
        [np.abs(A) + 0.1, COUNTS + 0.25],
    ),
    "gaussian": (
        lambda x, y, v, r: F.gaussian_nll_loss(x, y, v, reduction=r),
        lambda x, y, v: np_gaussian(x, y, v, False, 1e-6),
        [A, B, VAR],
    ),
    "gaussian full, var per row": (
        lambda x, y, v, r: F.gaussian_nll_loss(x, y, v, True, reduction=r),
        lambda x, y, v: np_gaussian(x, y, v[:, None], True, 1e-6),
        [A, B, VAR[:, 0]],
    ),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(CASES))
def test_values_are_the_numpy_formulas(name: str, reduction: str) -> None:
    loss_fn, formula, arrays = CASES[name]
    got = loss_fn(*(Tensor(a) for a in arrays), reduction)
    want = np_reduce(formula(*arrays), reduction)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.data, want, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", list(CASES))
def test_first_and_second_derivatives_match_finite_differences(name: str) -> None:
    loss_fn, _, arrays = CASES[name]
    # targets of ±1 and class labels are differentiated too: the formulas are smooth in them
    inputs = [Tensor(a, requires_grad=True) for a in arrays]
    assert gradcheck(lambda *xs: loss_fn(*xs, "sum"), *inputs)
    assert gradgradcheck(lambda *xs: loss_fn(*xs, "none"), *inputs)


def test_a_wrong_formula_fails_the_value_test() -> None:
    _, formula, arrays = CASES["hinge_embedding"]
    got = F.hinge_embedding_loss(*(Tensor(a) for a in arrays), margin=0.5)  # not 0.6
    assert not np.allclose(got.data, np_reduce(formula(*arrays), "mean"), rtol=1e-13)


# ------------------------------------------------------------------ PyTorch's gradients at kinks


def grads(loss: Tensor, *xs: Tensor) -> list[np.ndarray]:
    loss.backward()
    return [x.grad.data if x.grad is not None else np.zeros(x.shape) for x in xs]


def test_the_ranking_and_hinge_gradients_pass_at_the_kink_as_pytorchs_clamp_min() -> None:
    x1, x2 = Tensor([0.0, 2.0], requires_grad=True), Tensor([1.0, 1.0], requires_grad=True)
    loss = F.margin_ranking_loss(x1, x2, [-1.0, 1.0], margin=1.0, reduction="sum")
    assert loss.item() == 0.0  # both terms sit exactly on the kink
    g1, g2 = grads(loss, x1, x2)
    np.testing.assert_array_equal(g1, [1.0, -1.0])
    np.testing.assert_array_equal(g2, [-1.0, 1.0])
    x = Tensor([1.0, 0.5, 0.5], requires_grad=True)  # margin - x = 0 for the first, y = -1
    (g,) = grads(F.hinge_embedding_loss(x, [-1.0, 0.0, 1.0], reduction="sum"), x)
    np.testing.assert_array_equal(g, [-1.0, 0.0, 1.0])  # y = 0 gets the hinge and x: 0


def test_the_cosine_and_triplet_gradients_pass_at_the_kink() -> None:
    a = Tensor([[1.0, 0.0]], requires_grad=True)
    (g,) = grads(F.cosine_embedding_loss(a, Tensor([[0.0, 1.0]]), [-1.0]), a)  # cos = 0 = margin
    np.testing.assert_allclose(g, [[0.0, 1.0 / (1.0 + float(np.float32(1e-12)))]], rtol=1e-15)
    a = Tensor([[0.0, 0.0]], requires_grad=True)
    loss = F.triplet_margin_loss(a, [[1.0, 0.0]], [[0.0, 2.0]], margin=1.0, eps=0.0)
    assert loss.item() == 0.0
    np.testing.assert_array_equal(grads(loss, a)[0], [[-1.0, 1.0]])


def test_a_swap_tie_shares_the_gradient_as_pytorchs_min() -> None:
    a, p, n = (Tensor(v, requires_grad=True) for v in ([[0.0, 0.0]], [[2.0, 0.0]], [[1.0, 1.0]]))
    ga, gp, gn = grads(F.triplet_margin_loss(a, p, n, eps=0.0, swap=True), a, p, n)
    h = 0.5 / math.sqrt(2.0)  # half of each tied distance's unit vector
    np.testing.assert_allclose(ga, [[-1.0 + h, h]], rtol=1e-15)
    np.testing.assert_allclose(gp, [[1.0 - h, h]], rtol=1e-15)
    np.testing.assert_allclose(gn, [[0.0, -2 * h]], rtol=1e-15, atol=1e-16)


def test_multi_margin_terms_on_the_kink_get_no_gradient_as_pytorchs() -> None:
    x = Tensor([[0.0, 1.0, 0.5]], requires_grad=True)  # margin - x_1 + x_0 = 0 exactly
    (g,) = grads(F.multi_margin_loss(x, [1], reduction="sum"), x)
    np.testing.assert_array_equal(g, [[0.0, -1.0 / 3, 1.0 / 3]])


def test_the_variance_clamp_is_not_differentiated() -> None:
    v = Tensor([0.0, 1e-7, 2.0], requires_grad=True)
    (g,) = grads(
        F.gaussian_nll_loss(Tensor([1.0, 2.0, 3.0]), [0.0, 0.0, 0.0], v, reduction="sum"), v
    )
    used = np.array([1e-6, 1e-6, 2.0])  # max(σ², ε), differentiated as σ² itself
    np.testing.assert_allclose(g, 0.5 * (1 / used - np.array([1.0, 4.0, 9.0]) / used**2))


def test_the_stirling_term_gives_pytorchs_nan_target_gradient_at_counts_up_to_0() -> None:
    x = Tensor([0.5, -1.0, 1.0, 1.0, 0.0], requires_grad=True)
    y = Tensor([2.0, 0.0, 1.0, -1.0, 0.5], requires_grad=True)
    loss = F.poisson_nll_loss(x, y, full=True, reduction="sum")
    gx, gy = grads(loss, x, y)
    np.testing.assert_allclose(gx, np.exp(x.data) - y.data)
    stirling_slope = math.log(2.0) + 0.25  # d/dy (y ln y - y + ½ ln 2πy) at y = 2
    np.testing.assert_allclose(gy, [-0.5 + stirling_slope, np.nan, -1.0, np.nan, 0.0])
    assert np.isfinite(loss.item())  # the values are finite: only the slope is undefined


# ------------------------------------------------------------------ shapes as PyTorch's


def test_shapes_follow_pytorch() -> None:
    x = Tensor(A)
    assert F.hinge_embedding_loss(Tensor(A[0]), np.ones((2, 4)), reduction="none").shape == (2, 4)
    assert F.multilabel_soft_margin_loss(Tensor(A[0]), LABELS[0], reduction="none").shape == ()
    assert F.cosine_embedding_loss(Tensor(A[0]), B[0], 1.0, reduction="none").shape == ()
    assert F.cosine_embedding_loss(x, B[:1], [-1.0], reduction="none").shape == (3,)
    assert F.triplet_margin_loss(Tensor(A[0]), B[0], C[0], reduction="none").shape == ()
    assert F.multi_margin_loss(Tensor(A[0]), 1, reduction="none").shape == ()
    assert F.multi_margin_loss(Tensor(A[0]), [1], reduction="none").shape == (1,)
    assert F.multi_margin_loss(Tensor(np.zeros((0, 3))), np.zeros(0, int)).item() == 0.0
    mid = F.gaussian_nll_loss(
        Tensor(np.zeros((2, 3, 4))), 0.0, np.ones((2, 1, 4)), reduction="none"
    )
    assert mid.shape == (2, 3, 4)
    assert F.gaussian_nll_loss(x, B, 2.0, reduction="none").shape == (3, 4)


def test_float32_stays_float32() -> None:
    x = Tensor(A.astype(np.float32), requires_grad=True)
    for loss in (
        F.soft_margin_loss(x, np.sign(B)),
        F.multi_margin_loss(x, CLASSES, weight=WEIGHT),
        F.poisson_nll_loss(x, COUNTS, full=True),
        F.gaussian_nll_loss(x, B, 0.5),
    ):
        assert loss.dtype == np.float32


# ------------------------------------------------------------------ refusals

X, Y = Tensor(A), np.ones((3, 4))
REFUSALS: list[tuple[Callable[[], Any], type[Exception], str]] = [
    (lambda: F.soft_margin_loss(X, Y, reduction="max"), ValueError, "reduction must be 'mean'"),
    (lambda: F.soft_margin_loss(X, Y, True), TypeError, "size_average and reduce .* not supp"),
    (lambda: F.hinge_embedding_loss(X, Y, reduce=False), TypeError, "hinge_embedding_loss: size"),
    (lambda: F.hinge_embedding_loss(X, Y, math.nan), ValueError, "margin must be a number"),
    (lambda: F.hinge_embedding_loss(X, np.ones(3)), ValueError, r"shapes \(3, 4\) and \(3,\)"),
    (lambda: F.soft_margin_loss(Tensor(A[0]), Y), ValueError, "does not broadcast to input"),
    (lambda: F.soft_margin_loss(Tensor([1, 2]), [1, 1]), TypeError, "must be floating-point"),
    (
        lambda: F.margin_ranking_loss(X, A[0], Y),
        ValueError,
        r"same number of dimensions, got \(3, 4\), \(4,\), \(3, 4\)",
    ),
    (lambda: F.multilabel_soft_margin_loss(Tensor(1.0), 1.0), ValueError, "a class dimension"),
    (
        lambda: F.multilabel_soft_margin_loss(Tensor(A[0]), Y),
        ValueError,
        r"must broadcast to input shape \(4,\)",
    ),
    (lambda: F.cosine_embedding_loss(X, B, np.ones((3, 1))), ValueError, "0-d or 1-D"),
    (lambda: F.cosine_embedding_loss(X, B, 1.0), ValueError, "a 0-d target needs 1-D inputs"),
    (lambda: F.cosine_embedding_loss(X, B, np.ones(2)), ValueError, "do not broadcast"),
    (lambda: F.triplet_margin_loss(X, B, C, margin=0), ValueError, "margin must be a number > 0"),
    (lambda: F.triplet_margin_loss(X, B, C, p=0), ValueError, "p must be > 0"),
    (lambda: F.triplet_margin_loss(X, B, C, swap=1), TypeError, "swap must be a bool"),
    (lambda: F.triplet_margin_loss(X, B[0], C), ValueError, "same number of dimensions"),
    (lambda: F.multi_margin_loss(X, CLASSES, p=3), ValueError, "p must be 1 or 2, got 3"),
    (lambda: F.multi_margin_loss(X, [0, 1, 4]), ValueError, r"lie in \[0, 4\), got 4"),
    (lambda: F.multi_margin_loss(X, [0, -1, 2]), ValueError, r"lie in \[0, 4\), got -1"),
    (lambda: F.multi_margin_loss(X, [0.0, 1.0, 2.0]), TypeError, "integer class indices"),
    (lambda: F.multi_margin_loss(X, [0, 1]), ValueError, r"shape \(3,\) for input shape"),
    (lambda: F.multi_margin_loss(X, CLASSES, weight=[1.0]), ValueError, r"weight must be of sh"),
    (lambda: F.multi_margin_loss(Tensor(np.ones((2, 2, 2))), [0]), ValueError, r"\(C,\) or"),
    (lambda: F.poisson_nll_loss(X, Y, full=1), TypeError, "full must be a bool"),
    (lambda: F.poisson_nll_loss(X, Y, eps=math.nan), ValueError, "eps must be a number"),
    (lambda: F.gaussian_nll_loss(X, Y, -1.0), ValueError, "var must be >= 0, got -1.0"),
    (
        lambda: F.gaussian_nll_loss(X, Y, Tensor([[1.0], [-2.0], [1.0]])),
        ValueError,
        "var must be >= 0, found 1 negative, e.g. -2.0",
    ),
    (lambda: F.gaussian_nll_loss(X, Y, np.ones((1, 1))), ValueError, r"var of shape \(1, 1\)"),
    (lambda: F.gaussian_nll_loss(X, Y, np.ones(4)), ValueError, "does not fit input shape"),
    (lambda: F.gaussian_nll_loss(X, Y, Tensor(np.ones(3, int))), TypeError, "var must be floating"),
    (lambda: TripletMarginLoss(margin=-1.0), ValueError, "TripletMarginLoss: margin must be"),
    (lambda: MultiMarginLoss(p=True), ValueError, "MultiMarginLoss: p must be 1 or 2"),
    (lambda: MarginRankingLoss(0.0, True), TypeError, "MarginRankingLoss: size_average"),
    (lambda: SoftMarginLoss(reduction="avg"), ValueError, "SoftMarginLoss: reduction must"),
    (lambda: PoissonNLLLoss(full="yes"), TypeError, "PoissonNLLLoss: full must be a bool"),
    (lambda: GaussianNLLLoss(eps=math.nan), ValueError, "GaussianNLLLoss: eps must be"),
]


@pytest.mark.parametrize("index", range(len(REFUSALS)))
def test_bad_arguments_are_refused_with_clear_messages(index: int) -> None:
    call, error, message = REFUSALS[index]
    with pytest.raises(error, match=message):
        call()


# ------------------------------------------------------------------ the modules


def test_the_modules_compute_their_functions_and_show_their_settings() -> None:
    x, y = Tensor(A), Tensor(B)
    r = x.abs()  # rates
    pairs = [
        (MarginRankingLoss(0.3, reduction="sum")(x, y, Y),
         F.margin_ranking_loss(x, y, Y, 0.3, None, None, "sum")),
        (HingeEmbeddingLoss(0.5)(x, SIGNS[:, None]),
         F.hinge_embedding_loss(x, SIGNS[:, None], 0.5)),
        (SoftMarginLoss(reduction="none")(x, Y),
         F.soft_margin_loss(x, Y, None, None, "none")),
        (MultiLabelSoftMarginLoss(WEIGHT)(x, LABELS),
         F.multilabel_soft_margin_loss(x, LABELS, WEIGHT)),
        (CosineEmbeddingLoss(0.1)(x, y, SIGNS),
         F.cosine_embedding_loss(x, y, SIGNS, 0.1)),
        (TripletMarginLoss(0.5, 1, 0, True)(x, y, C),
         F.triplet_margin_loss(x, y, C, 0.5, 1, 0, True)),
        (PoissonNLLLoss(False, True, eps=0.1)(r, COUNTS),
         F.poisson_nll_loss(r, COUNTS, False, True, eps=0.1)),
        (GaussianNLLLoss(full=True, eps=0.5)(x, y, VAR),
         F.gaussian_nll_loss(x, y, VAR, True, 0.5)),
        (MultiMarginLoss(2, 0.5, WEIGHT)(x, CLASSES),
         F.multi_margin_loss(x, CLASSES, 2, 0.5, WEIGHT)),
    ]  # fmt: skip
    for module_value, function_value in pairs:
        np.testing.assert_array_equal(module_value.data, function_value.data)
    assert repr(MarginRankingLoss()) == "MarginRankingLoss(margin=0.0, reduction='mean')"
    assert repr(SoftMarginLoss()) == "SoftMarginLoss(reduction='mean')"
    assert repr(TripletMarginLoss(p=1)) == (
        "TripletMarginLoss(margin=1.0, p=1.0, eps=1e-06, swap=False, reduction='mean')"
    )
    assert repr(PoissonNLLLoss()) == (
        "PoissonNLLLoss(log_input=True, full=False, eps=1e-08, reduction='mean')"
    )
    assert repr(GaussianNLLLoss()) == "GaussianNLLLoss(full=False, eps=1e-06, reduction='mean')"
    assert repr(MultiMarginLoss()) == "MultiMarginLoss(p=1, margin=1.0, reduction='mean')"


def test_class_weights_are_buffers_and_no_parameters() -> None:
    loss = MultiMarginLoss(weight=[1.0, 2.0])
    assert list(loss.parameters()) == []
    np.testing.assert_array_equal(loss.state_dict()["weight"], [1.0, 2.0])
    assert "weight" not in MultiLabelSoftMarginLoss().state_dict()
