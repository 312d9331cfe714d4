"""grid_sample and affine_grid against PyTorch: values, gradients of the first and second order.

Optional: skipped when torch is not installed. Modes, padding modes, align_corners, dtypes and
shapes are drawn at random, and the same values go through both libraries. The positions every
output element reads are PyTorch's bit for bit (the nearest mode's values are equal, ties and
the 4-D kernel's fused coordinate included), and so are all 5-D values. PyTorch's 4-D kernel
fuses the multiply-adds of its weighted sums, so those agree to about one rounding.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite.grid_sample import affine_grid, grid_sample

torch = pytest.importorskip("torch")
TF = torch.nn.functional
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _tolerance(dtype: Any, scale: float = 1.0) -> dict[str, float]:
    return {"rtol": 0, "atol": (1e-13 if dtype == np.float64 else 2e-5) * scale}


CASES = st.tuples(
    st.sampled_from(["bilinear", "nearest", "bicubic"]),
    st.sampled_from(["zeros", "border", "reflection"]),
    st.booleans(),
    st.sampled_from([2, 3]),
    st.sampled_from([np.float64, np.float32]),
    st.integers(0, 2**32 - 1),
)


@given(CASES)
def test_values_and_gradients_are_pytorchs(case: tuple[Any, ...]) -> None:
    mode, padding, corners, nd, dtype, seed = case
    mode = "nearest" if nd == 3 and mode == "bicubic" else mode
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((int(rng.integers(1, 3)), 2, *rng.integers(1, 5, nd))).astype(dtype)
    grid = rng.uniform(-1.8, 1.8, (x.shape[0], *rng.integers(1, 4, nd), nd)).astype(dtype)
    w = rng.standard_normal((*x.shape[:2], *grid.shape[1:-1])).astype(dtype)
    tx, tgrid = torch.tensor(x, requires_grad=True), torch.tensor(grid, requires_grad=True)
    ty = TF.grid_sample(tx, tgrid, mode, padding, corners)
    (ty * torch.tensor(w)).sum().backward()
    a, g = Tensor(x, requires_grad=True), Tensor(grid, requires_grad=True)
    y = grid_sample(a, g, mode, padding, corners)
    (y * Tensor(w)).sum().backward()
    assert y.shape == tuple(ty.shape) and y.dtype == dtype
    if mode == "nearest" or nd == 3:
        assert np.array_equal(y.data, ty.detach().numpy())
    else:
        np.testing.assert_allclose(y.data, ty.detach().numpy(), **_tolerance(dtype, 4))
    np.testing.assert_allclose(a.grad.data, tx.grad.numpy(), **_tolerance(dtype, 8))
    np.testing.assert_allclose(g.grad.data, tgrid.grad.numpy(), **_tolerance(dtype, 200))


@settings(max_examples=10)
@given(CASES)
def test_second_derivatives_are_pytorchs(case: tuple[Any, ...]) -> None:
    mode, padding, corners, nd, _, seed = case
    mode = "bilinear" if mode == "nearest" or nd == 3 else mode
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, 2, *(3,) * nd))
    grid = rng.uniform(-1.4, 1.4, (1, *(2,) * nd, nd))
    w, ux, ug = (rng.standard_normal(s) for s in ((1, 2, *(2,) * nd), x.shape, grid.shape))
    tx, tgrid = torch.tensor(x, requires_grad=True), torch.tensor(grid, requires_grad=True)
    ty = TF.grid_sample(tx, tgrid, mode, padding, corners)
    da, dg = torch.autograd.grad((ty * torch.tensor(w)).sum(), (tx, tgrid), create_graph=True)
    total = (da * torch.tensor(ux)).sum() + (dg * torch.tensor(ug)).sum()
    expected = torch.autograd.grad(total, (tx, tgrid), allow_unused=True)
    a, g = Tensor(x, requires_grad=True), Tensor(grid, requires_grad=True)
    y = grid_sample(a, g, mode, padding, corners)
    da_, dg_ = tg.grad((y * Tensor(w)).sum(), [a, g], create_graph=True)
    got = tg.grad((da_ * Tensor(ux)).sum() + (dg_ * Tensor(ug)).sum(), [a, g], allow_unused=True)
    for e, r in zip(expected, got, strict=True):
        e_ = np.zeros(r.shape if r is not None else ()) if e is None else e.numpy()
        r_ = np.zeros_like(e_) if r is None else r.data
        np.testing.assert_allclose(r_, e_, rtol=0, atol=1e-11)


def test_ties_and_near_ties_read_pytorchs_elements() -> None:
    """Grids at (and one step beside) pixel centres and edges: the nearest reads are PyTorch's."""
    for dtype, size, corners, nd in itertools.product(
        (np.float32, np.float64), (3, 6, 7, 11), (False, True), (2, 3)
    ):
        k = np.arange(-2, 2 * size + 3)
        g = np.concatenate([k / size - 1, (2 * k + 1) / (2 * size) - 1, 2 * k / (size - 1) - 1])
        g = g.astype(dtype)
        g = np.concatenate([g, np.nextafter(g, dtype(2)), np.nextafter(g, dtype(-2))])
        spatial = (size,) * 2 if nd == 2 else (2, size, size)
        x = np.arange(np.prod(spatial), dtype=dtype).reshape(1, 1, *spatial)
        grid = np.stack([g, g[::-1], g[::-1]][:nd], -1).reshape(1, *(1,) * (nd - 1), -1, nd)
        for padding in ("zeros", "border", "reflection"):
            expected = TF.grid_sample(
                torch.tensor(x), torch.tensor(grid), "nearest", padding, corners
            )
            got = grid_sample(Tensor(x), Tensor(grid), "nearest", padding, corners)
            assert np.array_equal(got.data, expected.numpy()), (dtype, size, corners, nd, padding)


def test_special_values_in_the_grid_read_as_pytorch() -> None:
    rng = np.random.default_rng(0)
    special = np.array([np.nan, np.inf, -np.inf, 1e30, -1e30, 2.0, -3.0, 0.5, 1.0, -1.0])
    for nd, mode, padding, corners in itertools.product(
        (2, 3), ("bilinear", "nearest", "bicubic"), ("zeros", "border", "reflection"), (False, True)
    ):
        if nd == 3 and mode == "bicubic":
            continue
        x = rng.standard_normal((1, 2, *(3,) * nd))
        grid = rng.choice(special, (1, 4, *(1,) * (nd - 1), nd))
        tx, tgrid = torch.tensor(x, requires_grad=True), torch.tensor(grid, requires_grad=True)
        expected = TF.grid_sample(tx, tgrid, mode, padding, corners)
        a, g = Tensor(x, requires_grad=True), Tensor(grid, requires_grad=True)
        with np.errstate(all="ignore"):
            got = grid_sample(a, g, mode, padding, corners)
            np.testing.assert_allclose(got.data, expected.detach().numpy(), atol=1e-12)
            if padding == "zeros":  # PyTorch's backward crashes on a NaN moved by padding
                expected.sum().backward()
                got.sum().backward()
                np.testing.assert_allclose(a.grad.data, tx.grad.numpy(), atol=1e-12)
                np.testing.assert_allclose(g.grad.data, tgrid.grad.numpy(), atol=1e-12)


@given(
    st.sampled_from([(2, 3, 4, 5), (1, 1, 1, 7), (3, 2, 9, 1), (2, 1, 3, 4, 5), (1, 1, 5, 1, 2)]),
    st.booleans(),
    st.sampled_from([np.float64, np.float32]),
    st.integers(0, 2**32 - 1),
)
def test_affine_grid_is_pytorchs(
    size: tuple[int, ...], corners: bool, dtype: Any, seed: int
) -> None:
    nd = len(size) - 2
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal((size[0], nd, nd + 1)).astype(dtype)
    t = torch.tensor(theta, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = TF.affine_grid(t, list(size), align_corners=corners)
    w = rng.standard_normal(tuple(expected.shape)).astype(dtype)
    (expected * torch.tensor(w)).sum().backward()
    got_theta = Tensor(theta, requires_grad=True)
    got = affine_grid(got_theta, size, align_corners=corners)
    (got * Tensor(w)).sum().backward()
    assert got.shape == tuple(expected.shape) and got.dtype == dtype
    np.testing.assert_allclose(got.data, expected.detach().numpy(), **_tolerance(dtype, 8))
    np.testing.assert_allclose(got_theta.grad.data, t.grad.numpy(), **_tolerance(dtype, 100))


def test_the_same_inputs_are_refused() -> None:
    x, grid = np.ones((1, 1, 2, 2)), np.zeros((1, 1, 1, 2))
    for kwargs in ({"mode": "area"}, {"padding_mode": "circular"}):
        with pytest.raises(ValueError):
            TF.grid_sample(torch.tensor(x), torch.tensor(grid), align_corners=False, **kwargs)
        with pytest.raises(ValueError):
            grid_sample(Tensor(x), Tensor(grid), align_corners=False, **kwargs)
    x5, grid5 = np.ones((1, 1, 2, 2, 2)), np.zeros((1, 1, 1, 1, 3))
    with pytest.raises(RuntimeError, match="bicubic"):
        TF.grid_sample(torch.tensor(x5), torch.tensor(grid5), "bicubic", align_corners=False)
    with pytest.raises(ValueError, match="bicubic"):
        grid_sample(Tensor(x5), Tensor(grid5), "bicubic", align_corners=False)
