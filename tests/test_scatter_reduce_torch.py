"""scatter_reduce, scatter(reduce=) and nanmedian against PyTorch: values, indices, gradients.

Optional: skipped when torch is not installed. Shapes, indices (with repeats) and values (with
ties and zeros) are drawn; both libraries get the same float64 arrays, and the gradients of a
random weighting of the output are compared. The documented differences are tested at the end.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_lite as tg
from tinygrad_lite import Tensor

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.slow

NAN = np.nan
TOL = {"rtol": 1e-12, "atol": 1e-14}
REDUCTIONS = ["sum", "prod", "mean", "amax", "amin"]


@st.composite
def problems(draw: Any, nan: bool) -> tuple[Any, ...]:
    """Self, a dim, an index with repeats, a src of the index's shape, a reduction."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    a = dim % len(shape)
    index_shape = tuple(
        draw(st.integers(0, 4)) if d == a else draw(st.integers(1, n)) for d, n in enumerate(shape)
    )
    index = draw(hnp.arrays(np.int64, index_shape, elements=st.integers(0, shape[a] - 1)))
    values = st.sampled_from([-1.5, -1.0, 0.0, 0.5, 2.0] + ([NAN] if nan else []))
    x = draw(hnp.arrays(np.float64, shape, elements=values))
    src = draw(hnp.arrays(np.float64, index_shape, elements=values))
    return x, dim, index, src


def _both(x: np.ndarray, src: np.ndarray, ours: Any, theirs: Any, seed: int) -> None:
    """Values and the gradients of Σ w·y, ours against PyTorch's."""
    u, s = Tensor(x.copy(), requires_grad=True), Tensor(src.copy(), requires_grad=True)
    tu = torch.from_numpy(x.copy()).requires_grad_()
    ts = torch.from_numpy(src.copy()).requires_grad_()
    y, ty = ours(u, s), theirs(tu, ts)
    assert y.shape == tuple(ty.shape) and y.dtype == ty.detach().numpy().dtype
    np.testing.assert_allclose(y.data, ty.detach().numpy(), equal_nan=True, **TOL)
    w = np.random.default_rng(seed).standard_normal(y.shape)
    (y * Tensor(w)).sum().backward()
    (ty * torch.from_numpy(w)).sum().backward()
    for o, t in ((u, tu), (s, ts)):
        assert o.grad is not None and t.grad is not None
        np.testing.assert_allclose(o.grad.data, t.grad.numpy(), equal_nan=True, **TOL)


seeds = st.integers(0, 2**32 - 1)


@given(problems(nan=False), st.sampled_from(REDUCTIONS), st.booleans(), seeds)
def test_scatter_reduce_is_pytorchs(
    problem: Any, reduce: str, include_self: bool, seed: int
) -> None:
    x, dim, index, src = problem
    if not include_self and reduce in ("amax", "amin"):
        # PyTorch counts self among the ties where it was left out (see the end): give the
        # positions that receive something a self that never ties
        x = x.copy()
        positions = list(np.indices(index.shape, sparse=True))
        positions[dim % x.ndim] = index
        x[tuple(positions)] = 7.25
    ti = torch.from_numpy(index)
    _both(
        x,
        src,
        lambda u, s: u.scatter_reduce(dim, index, s, reduce, include_self=include_self),
        lambda u, s: u.scatter_reduce(dim, ti, s, reduce, include_self=include_self),
        seed,
    )


@given(problems(nan=True), st.sampled_from(["sum", "mean"]), st.booleans(), seeds)
def test_sums_and_means_with_nan_are_pytorchs(
    problem: Any, reduce: str, include_self: bool, seed: int
) -> None:
    x, dim, index, src = problem
    ti = torch.from_numpy(index)
    _both(
        x,
        src,
        lambda u, s: tg.scatter_reduce(u, dim, index, s, reduce, include_self=include_self),
        lambda u, s: torch.scatter_reduce(u, dim, ti, s, reduce, include_self=include_self),
        seed,
    )


@given(problems(nan=False), st.sampled_from(["add", "multiply"]))
def test_scatter_with_reduce_gives_pytorchs_values(problem: Any, reduce: str) -> None:
    x, dim, index, src = problem
    ti = torch.from_numpy(index)
    with warnings.catch_warnings():  # PyTorch's deprecation of this form, for a tensor src
        warnings.simplefilter("ignore", UserWarning)
        theirs = torch.from_numpy(x).scatter(dim, ti, torch.from_numpy(src), reduce=reduce)
    ours = Tensor(x).scatter(dim, index, Tensor(src), reduce=reduce)
    np.testing.assert_allclose(ours.data, theirs.numpy(), **TOL)
    theirs = torch.from_numpy(x).scatter(dim, ti, 1.5, reduce=reduce)
    np.testing.assert_allclose(Tensor(x).scatter(dim, index, 1.5, reduce=reduce).data, theirs)


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
        elements=st.sampled_from([-1.0, 0.0, 0.5, 2.0, NAN]),
    ),
    st.data(),
    seeds,
)
def test_nanmedian_is_pytorchs(a: np.ndarray, data: Any, seed: int) -> None:
    dim = data.draw(st.integers(-a.ndim, a.ndim - 1))
    keep = data.draw(st.booleans())
    # an all-NaN slice: PyTorch's index there is not a rule (see the end); its value is NaN
    all_nan = np.isnan(a).all(axis=dim, keepdims=keep)
    x, tx = Tensor(a.copy(), requires_grad=True), torch.from_numpy(a.copy()).requires_grad_()
    (v, i), (tv, ti) = x.nanmedian(dim, keep), tx.nanmedian(dim, keep)
    np.testing.assert_array_equal(v.data, tv.detach().numpy())
    np.testing.assert_array_equal(np.where(all_nan, 0, i.data), np.where(all_nan, 0, ti.numpy()))
    w = np.where(all_nan, 0.0, np.random.default_rng(seed).standard_normal(v.shape))
    (v * Tensor(w)).sum().backward()
    (tv * torch.from_numpy(w)).sum().backward()
    assert x.grad is not None and tx.grad is not None
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())
    x.grad, tx.grad = None, None
    m, tm = tg.nanmedian(x), torch.nanmedian(tx)
    np.testing.assert_array_equal(m.data, tm.detach().numpy())
    m.backward()
    tm.backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), **TOL)


# ---------------------------------------------------------------------- the differences


def test_documented_differences() -> None:
    # 1. extremes without self: PyTorch still counts a self equal to the result among the
    # ties, so the src elements' shares do not add up to the gradient; here they do
    index = np.array([0, 0])
    s = Tensor([5.0, 5.0], requires_grad=True)
    Tensor([5.0, 1.0]).scatter_reduce(0, index, s, "amax", include_self=False).sum().backward()
    ts = torch.tensor([5.0, 5.0], dtype=torch.float64, requires_grad=True)
    tx = torch.tensor([5.0, 1.0], dtype=torch.float64)
    tx.scatter_reduce(0, torch.from_numpy(index), ts, "amax", include_self=False).sum().backward()
    assert s.grad is not None and s.grad.tolist() == [0.5, 0.5]
    np.testing.assert_allclose(ts.grad.numpy(), [1 / 3, 1 / 3])
    # 2. NaN: PyTorch's extreme gives NaN to every element of a NaN position and to a NaN of
    # self that received nothing, its product NaN to a NaN factor; here the derivatives
    a, b = np.array([NAN, 1.0, NAN]), np.array([NAN, 2.0])
    x, s = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    x.scatter_reduce(0, index, s, "amax").sum().backward()
    assert x.grad is not None and s.grad is not None
    assert x.grad.tolist() == [0.5, 1.0, 1.0] and s.grad.tolist() == [0.5, 0.0]
    tx = torch.from_numpy(a.copy()).requires_grad_()
    ts = torch.from_numpy(b.copy()).requires_grad_()
    tx.scatter_reduce(0, torch.from_numpy(index), ts, "amax").sum().backward()
    np.testing.assert_array_equal(tx.grad.numpy(), [NAN, 1.0, NAN])
    assert np.isnan(ts.grad.numpy()).all()
    # 3. a second derivative of a product where two zeros of src meet: PyTorch refuses
    x, s = Tensor([2.0], requires_grad=True), Tensor([0.0, 0.0], requires_grad=True)
    (g,) = tg.grad(x.scatter_reduce(0, index, s, "prod").sum(), s, create_graph=True)
    assert g is not None
    (gg,) = tg.grad(g[0], s)
    assert gg is not None and gg.tolist() == [0.0, 2.0]  # ∂²(x·s0·s1)/∂s0∂s1 = x
    tx = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
    ts = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    y = tx.scatter_reduce(0, torch.from_numpy(index), ts, "prod").sum()
    (tg_,) = torch.autograd.grad(y, ts, create_graph=True)
    with pytest.raises(RuntimeError, match="Double backward is unsupported"):
        torch.autograd.grad(tg_[0], ts)
    # 4. scatter with reduce=: PyTorch has no derivative, here it is scatter_reduce's
    ts = torch.ones(2, dtype=torch.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ty = torch.zeros(2, dtype=torch.float64).scatter(0, torch.tensor([1, 1]), ts, reduce="add")
    with pytest.raises(RuntimeError, match="not implemented"):
        ty.sum().backward()
    # 5. nanmedian of an all-NaN slice: the first index here; PyTorch's follows its partial
    # sort (2 for four NaN)
    _, i = Tensor(np.full((1, 4), NAN)).nanmedian(1)
    _, ti = torch.full((1, 4), NAN).nanmedian(1)
    assert i.tolist() == [0] and ti.tolist() == [2]
