"""Cosine similarity, pairwise distance and KL divergence: NumPy formulas, gradients, PyTorch."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_lite import Tensor
from tinygrad_lite.dist_layers import CosineSimilarity, KLDivLoss, PairwiseDistance
from tinygrad_lite.distances import cosine_similarity, kl_div, pairwise_distance
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck

FEW = settings(max_examples=15)
PS = [1.0, 2.0, math.inf, 0.5, 1.5, 3.0]
REDUCTIONS = ["none", "sum", "mean", "batchmean"]

# ------------------------------------------------------------------ independent NumPy formulas


def np_cosine(a: np.ndarray, b: np.ndarray, dim: int, eps: float) -> np.ndarray:
    """x₁·x₂ / (max(‖x₁‖, ε)·max(‖x₂‖, ε)), the vectors along `dim` of the broadcast arrays."""
    a, b = np.broadcast_arrays(a, b)
    if a.ndim == 0:  # a scalar is a vector of one element
        return np_cosine(a[None], b[None], 0, eps)
    n1 = np.maximum(np.linalg.norm(a, axis=dim), eps)
    n2 = np.maximum(np.linalg.norm(b, axis=dim), eps)
    return np.asarray(np.sum(a * b, axis=dim) / (n1 * n2))


def np_pairwise(a: np.ndarray, b: np.ndarray, p: float, eps: float, keepdim: bool) -> np.ndarray:
    """‖a - b + ε‖_p over the last axis (|a - b + ε| for scalars)."""
    d = np.asarray(a - b + eps)
    if d.ndim == 0:
        return np.abs(d)
    return np.asarray(np.linalg.norm(d, ord=p, axis=-1, keepdims=keepdim))


def np_kl(x: np.ndarray, t: np.ndarray, reduction: str, log_target: bool) -> np.ndarray:
    """Σ t·ln(t/q) for q = e^x, as the pointwise terms and PyTorch's four reductions."""
    if log_target:
        terms = np.exp(t) * (t - x)
    else:
        positive = t > 0
        terms = np.where(positive, t * np.log(np.where(positive, t, 1.0)), 0.0) - t * x
    if reduction == "none":
        return terms
    if reduction == "mean":
        return np.asarray(terms.mean())
    if reduction == "batchmean" and np.ndim(x) > 0:
        return np.asarray(terms.sum() / np.shape(x)[0])
    return np.asarray(terms.sum())


# ------------------------------------------------------------------ drawn inputs


@st.composite
def pairs(draw: Any, zeros: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Two float64 arrays in (-2, 2) of mutually broadcastable shapes (0-d to 3-d), from a seed.

    With `zeros`, the values under 0.5 in size are 0, so whole vectors may be 0.
    """
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    a, b = (rng.uniform(-2, 2, shape) for shape in shapes.input_shapes)
    if zeros:
        a, b = np.where(np.abs(a) < 0.5, 0.0, a), np.where(np.abs(b) < 0.5, 0.0, b)
    return a, b


def _dims(a: np.ndarray, b: np.ndarray) -> st.SearchStrategy[int]:
    n = max(len(np.broadcast_shapes(a.shape, b.shape)), 1)
    return st.integers(-n, n - 1)


def _leaves(*arrays: np.ndarray) -> list[Tensor]:
    return [Tensor(a.copy(), requires_grad=True) for a in arrays]


# ------------------------------------------------------------------ values


@FEW
@given(data=st.data(), arrays=pairs(zeros=True))
def test_cosine_similarity_is_the_numpy_formula(data: Any, arrays: Any) -> None:
    a, b = arrays
    dim = data.draw(_dims(a, b))
    eps = data.draw(st.sampled_from([1e-8, 0.5, 3.0]))  # large ε: the clamp is active
    out = cosine_similarity(Tensor(a), Tensor(b), dim, eps)
    np.testing.assert_allclose(out.data, np_cosine(a, b, dim, eps), rtol=1e-12, atol=1e-14)
    assert np.all(np.abs(out.data) <= 1 + 1e-15)


@FEW
@given(
    arrays=pairs(zeros=True),
    p=st.sampled_from(PS),
    keepdim=st.booleans(),
    eps=st.sampled_from([1e-6, 0.0, -0.5]),
)
def test_pairwise_distance_is_the_numpy_norm(
    arrays: Any, p: float, keepdim: bool, eps: float
) -> None:
    a, b = arrays
    out = pairwise_distance(Tensor(a), Tensor(b), p, eps, keepdim)
    np.testing.assert_allclose(out.data, np_pairwise(a, b, p, eps, keepdim), rtol=1e-12, atol=0)


@FEW
@given(arrays=pairs(zeros=True), reduction=st.sampled_from(REDUCTIONS), log_target=st.booleans())
def test_kl_div_is_the_numpy_formula(arrays: Any, reduction: str, log_target: bool) -> None:
    x, t = arrays
    t = t if log_target else np.abs(t)  # logs anywhere, or probabilities with some zeros
    out = kl_div(Tensor(x), Tensor(t), reduction, log_target)
    np.testing.assert_allclose(out.data, np_kl(x, t, reduction, log_target), rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------ derivatives


@FEW
@given(data=st.data(), arrays=pairs())
def test_cosine_similarity_first_and_second_derivatives(data: Any, arrays: Any) -> None:
    a, b = arrays
    a, b = a + np.sign(a), b + np.sign(b)  # norms well above ε, and away from 0
    dim = data.draw(_dims(a, b))
    x1, x2 = _leaves(a, b)
    assert gradcheck(lambda u, v: cosine_similarity(u, v, dim), x1, x2)
    assert gradgradcheck(lambda u, v: cosine_similarity(u, v, dim), x1, x2)


@FEW
@given(arrays=pairs(), p=st.sampled_from(PS), keepdim=st.booleans())
def test_pairwise_distance_first_and_second_derivatives(
    arrays: Any, p: float, keepdim: bool
) -> None:
    a, b = arrays
    x1, x2 = _leaves(a, b + 3 * np.sign(b))  # |differences| > 1: no kink of |d| within the steps
    assert gradcheck(lambda u, v: pairwise_distance(u, v, p, keepdim=keepdim), x1, x2)
    if p not in (1.0, math.inf):  # piecewise linear: the second derivative is 0
        assert gradgradcheck(lambda u, v: pairwise_distance(u, v, p, keepdim=keepdim), x1, x2)


@FEW
@given(arrays=pairs(), reduction=st.sampled_from(REDUCTIONS), log_target=st.booleans())
def test_kl_div_first_and_second_derivatives(arrays: Any, reduction: str, log_target: bool) -> None:
    x, t = arrays
    t = np.abs(t) + 0.05 if not log_target else t - 1.0  # targets > 0 (logs anywhere)
    xt, tt = _leaves(x, t)
    assert gradcheck(lambda u, v: kl_div(u, v, reduction, log_target), xt, tt)
    assert gradgradcheck(lambda u, v: kl_div(u, v, reduction, log_target), xt, tt)


# ------------------------------------------------------------------ special points


def test_cosine_at_and_near_zero_vectors_has_pytorchs_finite_gradient() -> None:
    eps = 1e-8
    tiny = np.array([1e-9, -3e-9, 2e-9])  # ‖x₁‖ < ε: the norm is clamped, not its gradient
    zero = np.zeros(3)
    b = np.array([1.0, -2.0, 2.0])  # ‖x₂‖ = 3
    for a in (tiny, zero):
        x1, x2 = _leaves(a, b)
        out = cosine_similarity(x1, x2, 0, eps)
        out.backward()
        na = np.linalg.norm(a)
        assert out.item() == pytest.approx(a @ b / (eps * 3), rel=1e-14)
        slope = b / (eps * 3) - (0.0 if na == 0 else (a @ b) * a / (eps**2 * 3 * na))
        np.testing.assert_allclose(x1.grad.data, slope, rtol=1e-12)
        assert np.all(np.isfinite(x1.grad.data)) and np.all(np.isfinite(x2.grad.data))
    x1, x2 = _leaves(zero, zero)  # both 0: similarity 0, gradients 0
    out = cosine_similarity(x1, x2, 0)
    out.backward()
    assert out.item() == 0.0
    assert not x1.grad.data.any() and not x2.grad.data.any()


@pytest.mark.parametrize("p", PS)
def test_pairwise_distance_of_equal_vectors_is_eps_sized_and_zero_differences_get_gradient_0(
    p: float,
) -> None:
    a = np.array([[0.5, -1.0, 2.0, 0.25]])
    x1 = _leaves(a)[0]
    out = pairwise_distance(x1, a, p)  # every difference is ε: ‖ε·1‖_p = ε·n^(1/p)
    assert out.item() == pytest.approx(1e-6 * 4 ** (0.0 if math.isinf(p) else 1 / p), rel=1e-9)
    x1 = _leaves(a)[0]
    out = pairwise_distance(x1, a, p, eps=0.0)  # a zero norm: gradient 0, as PyTorch's
    out.backward()
    assert out.item() == 0.0 and not x1.grad.data.any()
    x1 = _leaves(a)[0]
    b = a + np.array([[0.0, 0.5, 0.0, -0.5]])
    pairwise_distance(x1, b, p, eps=0.0).backward()  # zero differences get gradient 0
    assert x1.grad.data[0, 0] == 0.0 and x1.grad.data[0, 2] == 0.0


def test_kl_div_at_zero_targets_is_0_with_pytorchs_gradients() -> None:
    x, t = _leaves(np.array([-1.0, -2.0, -0.5]), np.array([0.0, 0.25, 0.75]))
    out = kl_div(x, t, "none")
    np.testing.assert_allclose(
        out.data, [0.0, 0.25 * (np.log(0.25) + 2), 0.75 * (np.log(0.75) + 0.5)]
    )
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [-0.0, -0.25, -0.75])  # -t: 0 at t = 0
    # dℓ/dt = ln t + 1 - x: t·ln t has no slope at 0, and PyTorch's xlogy gives NaN there
    assert np.isnan(t.grad.data[0])
    np.testing.assert_allclose(t.grad.data[1:], np.log([0.25, 0.75]) + 1 - x.data[1:], rtol=1e-15)
    constant = kl_div(x, np.array([0.0, 0.25, 0.75]), "none")  # a target without gradient
    np.testing.assert_array_equal(constant.data, out.data)


def test_batchmean_divides_by_the_inputs_first_dimension() -> None:
    x = np.log(np.full((2, 4), 0.25))
    t = np.full((3, 2, 4), 0.25) * np.array([1.0, 2.0, 3.0])[:, None, None]
    total = np_kl(x, t, "sum", False)
    assert kl_div(Tensor(x), t, "batchmean").item() == pytest.approx(total / 2, rel=1e-14)
    assert kl_div(Tensor(x), t, "mean").item() == pytest.approx(total / 24, rel=1e-14)
    scalar = kl_div(Tensor(np.array(-1.0)), np.array(0.5), "batchmean")  # a 0-d input: the sum
    assert scalar.item() == pytest.approx(0.5 * (np.log(0.5) + 1), rel=1e-15)


def test_float32_stays_float32_and_targets_may_be_lists() -> None:
    x = Tensor(np.array([[0.5, -1.0], [2.0, 1.0]], np.float32), requires_grad=True)
    for out in (
        cosine_similarity(x, [[1.0, 1.0]]),
        pairwise_distance(x, [0.0, 1.0], 1.5),
        kl_div(x, [0.25, 0.75], "batchmean"),
    ):
        assert out.dtype == np.float32
        out.sum().backward()
        assert x.grad is not None and x.grad.dtype == np.float32
        x.grad = None


def test_the_modules_compute_the_functions_and_show_pytorchs_reprs() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    cases: list[tuple[Any, np.ndarray, Tensor]] = [
        (CosineSimilarity(dim=0, eps=0.5), b, cosine_similarity(Tensor(a), b, 0, 0.5)),
        (PairwiseDistance(3, 0.0, keepdim=True), b, pairwise_distance(a, b, 3, 0.0, True)),
        (KLDivLoss(reduction="batchmean"), np.abs(b), kl_div(a, np.abs(b), "batchmean")),
        (KLDivLoss(reduction="sum", log_target=True), b, kl_div(a, b, "sum", log_target=True)),
    ]
    for module, target, expected in cases:
        np.testing.assert_array_equal(module(Tensor(a), target).data, expected.data)
        assert list(module.parameters()) == []
    assert repr(CosineSimilarity()) == "CosineSimilarity()"
    assert repr(PairwiseDistance(p=1)) == "PairwiseDistance()"
    assert PairwiseDistance(p=1).norm == 1.0
    assert repr(KLDivLoss()) == "KLDivLoss(reduction='mean', log_target=False)"
    assert (
        repr(KLDivLoss(reduction="batchmean", log_target=True))
        == "KLDivLoss(reduction='batchmean', log_target=True)"
    )


# ------------------------------------------------------------------ refusals

X3, X23, E20 = Tensor(np.zeros(3)), Tensor(np.zeros((2, 3))), Tensor(np.zeros((2, 0)))
I2, B2 = Tensor(np.ones(2, int)), Tensor(np.ones(2, bool))
# fmt: off
REFUSALS: list[tuple[Callable[[], Any], type[Exception], str]] = [  # call, error, its message
    (lambda: cosine_similarity(X3, X3), ValueError,
     "cosine_similarity: dim 1 is out of range for a tensor with 1 dimension(s)"),
    (lambda: cosine_similarity(X3, X3, 0.0), TypeError,  # type: ignore[arg-type]
     "cosine_similarity: dim must be an int, got 0.0"),
    (lambda: cosine_similarity(X23, np.zeros((2, 4))), ValueError,
     "cosine_similarity: shapes (2, 3) and (2, 4) do not broadcast"),
    (lambda: cosine_similarity(X23, X23, eps=-1.0), ValueError,
     "cosine_similarity: eps must be a number >= 0, got -1.0"),
    (lambda: cosine_similarity(I2, I2, 0), TypeError,
     "cosine_similarity: needs floating-point tensors, got dtypes int64 and int64"),
    (lambda: pairwise_distance(X23, X23, 0), ValueError,
     "pairwise_distance: p must be > 0 (or inf), got 0"),
    (lambda: pairwise_distance(X23, X23, -math.inf), ValueError,
     "pairwise_distance: p must be > 0 (or inf), got -inf"),
    (lambda: pairwise_distance(X23, X23, "2"), TypeError,  # type: ignore[arg-type]
     "pairwise_distance: p must be a real number, got str"),
    (lambda: pairwise_distance(X23, X23, eps=math.nan), ValueError,
     "pairwise_distance: eps must be a number, got nan"),
    (lambda: pairwise_distance(np.zeros((3, 1)), X23), ValueError,
     "pairwise_distance: shapes (3, 1) and (2, 3) do not broadcast"),
    (lambda: pairwise_distance(E20, E20, math.inf), ValueError,
     "pairwise_distance: the inf norm of an empty last dimension is undefined (shape (2, 0))"),
    (lambda: pairwise_distance(B2, B2), TypeError,
     "pairwise_distance: needs real-number tensors, got dtypes bool and bool"),
    (lambda: kl_div(X3, X3, "max"), ValueError,
     "kl_div: reduction must be 'mean', 'sum', 'none' or 'batchmean', got 'max'"),
    (lambda: kl_div(I2, np.ones(2)), TypeError,
     "kl_div: needs floating-point tensors, got dtype int64"),
    (lambda: kl_div(np.ones(2), I2), TypeError,
     "kl_div: needs floating-point tensors, got dtype int64"),
    (lambda: kl_div(X23, np.zeros(4)), ValueError,
     "kl_div: shapes (2, 3) and (4,) do not broadcast"),
    (lambda: kl_div(X3, X3, log_target="yes"), TypeError,  # type: ignore[arg-type]
     "kl_div: log_target must be a bool, got str"),
    (lambda: kl_div(np.zeros((0, 3)), np.zeros((0, 3)), "batchmean"), ValueError,
     "kl_div: 'batchmean' over an empty batch (input shape (0, 3))"),
    (lambda: CosineSimilarity(eps=-1e-8), ValueError,
     "CosineSimilarity: eps must be a number >= 0, got -1e-08"),
    (lambda: CosineSimilarity(dim=True), TypeError,
     "CosineSimilarity: dim must be an int, got True"),
    (lambda: PairwiseDistance(p=-1), ValueError,
     "PairwiseDistance: p must be > 0 (or inf), got -1"),
    (lambda: KLDivLoss(reduction="avg"), ValueError,
     "KLDivLoss: reduction must be 'mean', 'sum', 'none' or 'batchmean', got 'avg'"),
    (lambda: KLDivLoss(log_target=1), TypeError,  # type: ignore[arg-type]
     "KLDivLoss: log_target must be a bool, got int"),
]
# fmt: on


@pytest.mark.parametrize(("call", "kind", "message"), REFUSALS, ids=[r[2] for r in REFUSALS])
def test_bad_arguments_are_refused_with_exact_messages(
    call: Callable[[], Any], kind: type[Exception], message: str
) -> None:
    with pytest.raises(kind) as info:
        call()
    assert str(info.value) == message


# ------------------------------------------------------------------ PyTorch (optional)


def _ours_and_torch(
    ours: Callable[..., Tensor], theirs: Callable[..., Any], *arrays: np.ndarray
) -> None:
    """Values and gradients (of a weighted sum) of both, in float64, to 1e-12; NaN where NaN."""
    torch = pytest.importorskip("torch")
    leaves = _leaves(*arrays)
    out = ours(*leaves)
    weights = np.random.default_rng(0).standard_normal(out.shape)
    (out * Tensor(weights)).sum().backward()
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # kl_div's note on reduction="mean"
        expected = theirs(*tensors)
    grads = torch.autograd.grad((expected * torch.tensor(weights)).sum(), tensors)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    for leaf, g in zip(leaves, grads, strict=True):
        np.testing.assert_allclose(leaf.grad.data, g.numpy(), rtol=1e-12, atol=1e-12)


@FEW
@given(data=st.data(), arrays=pairs(zeros=True), eps=st.sampled_from([1e-8, 0.5]))
def test_cosine_similarity_matches_pytorch(data: Any, arrays: Any, eps: float) -> None:
    torch = pytest.importorskip("torch")
    dim = data.draw(_dims(*arrays))
    _ours_and_torch(
        lambda u, v: cosine_similarity(u, v, dim, eps),
        lambda u, v: torch.nn.functional.cosine_similarity(u, v, dim, eps),
        *arrays,
    )


@FEW
@given(arrays=pairs(zeros=True), p=st.sampled_from(PS), keepdim=st.booleans())
def test_pairwise_distance_matches_pytorch(arrays: Any, p: float, keepdim: bool) -> None:
    torch = pytest.importorskip("torch")
    _ours_and_torch(
        lambda u, v: pairwise_distance(u, v, p, keepdim=keepdim),
        lambda u, v: torch.nn.functional.pairwise_distance(u, v, p, keepdim=keepdim),
        *arrays,
    )


@FEW
@given(arrays=pairs(zeros=True), reduction=st.sampled_from(REDUCTIONS), log_target=st.booleans())
def test_kl_div_matches_pytorch(arrays: Any, reduction: str, log_target: bool) -> None:
    torch = pytest.importorskip("torch")
    x, t = arrays
    t = t if log_target else np.abs(t)  # zero targets too: NaN gradients in both
    _ours_and_torch(
        lambda u, v: kl_div(u, v, reduction, log_target),
        lambda u, v: torch.nn.functional.kl_div(u, v, reduction=reduction, log_target=log_target),
        x,
        t,
    )


def test_the_special_points_match_pytorch() -> None:
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    a = np.array([[1e-9, -3e-9, 2e-9], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 2.0, -1.0]])
    b = np.array([[1.0, -2.0, 2.0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [1.0, 2.0, -1.0]])
    _ours_and_torch(cosine_similarity, tf.cosine_similarity, a, b)
    for p in PS:
        _ours_and_torch(
            lambda u, v, p=p: pairwise_distance(u, v, p, eps=0.0),
            lambda u, v, p=p: tf.pairwise_distance(u, v, p, eps=0.0),
            a,
            b,
        )
    x, t = np.log(np.array([[0.2, 0.3, 0.5]])), np.array([[0.0, 0.4, 0.6]])
    _ours_and_torch(
        lambda u, v: kl_div(u, v, "batchmean"),
        lambda u, v: tf.kl_div(u, v, reduction="batchmean"),
        x,
        t,
    )
