"""The grid, set, calculus and elementwise top-level functions against PyTorch itself: values,
dtypes and gradients (at ties, zeros and kinks too) on parametrised cases."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(11)


def _same(ours: Any, theirs: Any, tol: float) -> None:
    if isinstance(theirs, (tuple, list)):
        assert len(ours) == len(theirs)
        for o, t in zip(ours, theirs, strict=True):
            _same(o, t, tol)
        return
    a, b = ours.detach().numpy(), theirs.detach().numpy()
    assert a.shape == b.shape and str(a.dtype) == str(b.dtype), (a.shape, b.shape, a.dtype, b.dtype)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def check(
    ours: Callable[..., Any],
    theirs: Callable[..., Any],
    *arrays: np.ndarray,
    tol: float = 1e-12,
    grad: bool = True,
) -> None:
    """Values, dtypes and (for float inputs) the gradients of a random projection agree.

    Where our result carries no gradient (a constant such as the identity or a count), PyTorch's
    gradient must be zero.
    """
    needs = [grad and a.dtype.kind == "f" for a in arrays]
    xs = [tg.tensor(a, requires_grad=g) for a, g in zip(arrays, needs, strict=True)]
    ts = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, needs, strict=True)]
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # the library's default float
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y, t = ours(*xs), theirs(*ts)
    finally:
        torch.set_default_dtype(default)
    _same(y, t, tol)
    if not isinstance(t, torch.Tensor) or not t.requires_grad:
        return
    w = RNG.normal(size=t.shape)
    (t * torch.tensor(w)).sum().backward()
    if not y.requires_grad:
        for tt in ts:
            assert tt.grad is None or not tt.grad.abs().sum().item()
        return
    (y * tg.tensor(w)).sum().backward()
    for x, tt in zip(xs, ts, strict=True):
        if tt.grad is not None and x.grad is not None:
            _same(x.grad, tt.grad, tol)


def ints(*shape: int, lo: int = -1, hi: int = 2) -> np.ndarray:
    """Small integers as floats: ties, zeros and equal points are common."""
    return RNG.integers(lo, hi, shape).astype(np.float64)


# ---------------------------------------------------------------------- grid


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_and_cartesian_prod(indexing: str) -> None:
    a, b, c = RNG.normal(size=2), RNG.normal(size=3), RNG.normal(size=())
    check(
        lambda *v: tg.meshgrid(*v, indexing=indexing),
        lambda *v: torch.meshgrid(*v, indexing=indexing),
        a,
        b,
        c,
    )
    check(lambda u, v: tg.cartesian_prod(u, v), lambda u, v: torch.cartesian_prod(u, v), a, b)


@pytest.mark.parametrize(
    ("r", "repl"), [(0, False), (1, False), (2, False), (2, True), (4, False), (3, True)]
)
def test_combinations(r: int, repl: bool) -> None:
    check(
        lambda v: tg.combinations(v, r, repl),
        lambda v: torch.combinations(v, r, repl),
        RNG.normal(size=3),
    )


def test_block_diag_broadcast_rot90_vander_indices() -> None:
    check(
        tg.block_diag,
        torch.block_diag,
        RNG.normal(size=()),
        RNG.normal(size=2),
        RNG.normal(size=(2, 3)),
    )
    check(
        tg.broadcast_tensors, torch.broadcast_tensors, RNG.normal(size=(2, 1)), RNG.normal(size=3)
    )
    for k in (-1, 1, 2, 3):
        check(
            lambda v, k=k: tg.rot90(v, k, (2, 0)),
            lambda v, k=k: torch.rot90(v, k, (2, 0)),
            RNG.normal(size=(2, 3, 4)),
        )
    for n, inc in ((None, False), (4, True), (1, False)):
        # values only: PyTorch's vander has no working backward (its cumprod is in place)
        vander = (
            (lambda v, n=n, i=inc: tg.vander(v, n, i)),
            (lambda v, n=n, i=inc: torch.vander(v, n, i)),
        )
        check(*vander, ints(3), grad=False)
    check(lambda v: tg.vander(v), lambda v: torch.vander(v), np.array([1, 2, 3]))
    for off in (-1, 0, 2):
        _same(tg.tril_indices(3, 4, off), torch.tril_indices(3, 4, off), 0)
        _same(tg.triu_indices(4, 3, off), torch.triu_indices(4, 3, off), 0)


# ---------------------------------------------------------------------- sets


@pytest.mark.parametrize("dim", [None, 0, 1])
@pytest.mark.parametrize("flags", [(False, False), (True, False), (True, True)])
def test_unique_and_unique_consecutive(dim: int | None, flags: tuple[bool, bool]) -> None:
    x = RNG.integers(0, 3, (4, 3))
    kw = {"return_inverse": flags[0], "return_counts": flags[1], "dim": dim}
    _same(tg.unique(tg.tensor(x), **kw), torch.unique(torch.tensor(x), **kw), 0)
    _same(
        tg.unique_consecutive(tg.tensor(x), **kw),
        torch.unique_consecutive(torch.tensor(x), **kw),
        0,
    )
    f = x.astype(float)
    f[0, 0] = np.nan
    _same(
        tg.unique(tg.tensor(f), return_counts=True),
        torch.unique(torch.tensor(f), return_counts=True),
        0,
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", range(4))
def test_histc_bins_like_pytorch(dtype: type, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=30) * rng.choice([1e-3, 1.0, 100.0])).astype(dtype)
    x[:3] = x[3:6]
    bins = int(rng.integers(1, 10))
    lo, hi = sorted(rng.choice(x, 2).tolist()) if seed % 2 else (0, 0)
    _same(tg.histc(tg.tensor(x), bins, lo, hi), torch.histc(torch.tensor(x), bins, lo, hi), 0)


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_bucketize_isin_bincount_count_nonzero(side: str) -> None:
    seq = np.sort(ints(2, 5, lo=0, hi=6), -1)
    seq[1, -1] = np.nan
    v = ints(2, 3, lo=-1, hi=7)
    v[0, 0] = np.nan
    for s, vv in ((seq, v), (seq[0], v), (seq[0], 3.0)):
        a = tg.tensor(vv) if isinstance(vv, np.ndarray) else vv
        b = torch.tensor(vv) if isinstance(vv, np.ndarray) else vv
        _same(
            tg.searchsorted(tg.tensor(s), a, side=side),
            torch.searchsorted(torch.tensor(s), b, side=side),
            0,
        )
    right = side == "right"
    ours = tg.bucketize(tg.tensor(v), tg.tensor(seq[0]), right=right, out_int32=True)
    theirs = torch.bucketize(torch.tensor(v), torch.tensor(seq[0]), right=right, out_int32=True)
    _same(ours, theirs, 0)
    _same(tg.isin(tg.tensor(v), tg.tensor(seq)), torch.isin(torch.tensor(v), torch.tensor(seq)), 0)
    idx = RNG.integers(0, 4, 6)
    _same(
        tg.bincount(tg.tensor(idx), minlength=6), torch.bincount(torch.tensor(idx), minlength=6), 0
    )
    w = RNG.normal(size=6).astype(np.float32)
    _same(
        tg.bincount(tg.tensor(idx), tg.tensor(w)),
        torch.bincount(torch.tensor(idx), torch.tensor(w)),
        1e-6,
    )
    _same(tg.count_nonzero(tg.tensor(v), 1), torch.count_nonzero(torch.tensor(v), 1), 0)


# ---------------------------------------------------------------------- calculus


def test_products_against_pytorch() -> None:
    check(
        lambda u, v: tg.cross(u, v, dim=1),
        lambda u, v: torch.cross(u, v, dim=1),
        RNG.normal(size=(2, 3, 4)),
        RNG.normal(size=(1, 3, 4)),
    )
    check(tg.cross, torch.cross, RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3)))
    check(tg.inner, torch.inner, RNG.normal(size=(2, 3)), RNG.normal(size=(4, 3)))
    check(tg.vdot, torch.vdot, RNG.normal(size=3), RNG.normal(size=3))
    for n in range(-3, 8):
        check(
            lambda v, n=n: tg.matrix_power(v, n),
            lambda v, n=n: torch.matrix_power(v, n),
            RNG.normal(size=(2, 3, 3)) + 3 * np.eye(3),
        )
    ms = [RNG.normal(size=s) for s in [(2, 5), (5, 3), (3, 7), (7, 2), (2, 4)]]
    for k in range(1, 6):
        check(tg.chain_matmul, torch.chain_matmul, *ms[:k])


@pytest.mark.parametrize("p", [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, math.inf])
def test_cdist_and_dist_against_pytorch(p: float) -> None:
    for mode in (
        "use_mm_for_euclid_dist_if_necessary",
        "use_mm_for_euclid_dist",
        "donot_use_mm_for_euclid_dist",
    ):
        for s1, s2 in (((2, 3, 2), (1, 4, 2)), ((27, 2), (3, 2))):
            tol = 1e-7 if p == 2 else 1e-12  # the product form's rounding depends on the BLAS
            check(
                lambda u, v, m=mode: tg.cdist(u, v, p, m),
                lambda u, v, m=mode: torch.cdist(u, v, p, compute_mode=m),
                ints(*s1),
                ints(*s2),
                tol=tol,
            )
    for q in (p, -p):
        if p == 0.0 or q >= 0 or q == -math.inf:
            check(
                lambda u, v, q=q: tg.dist(u, v, q),
                lambda u, v, q=q: torch.dist(u, v, q),
                ints(2, 3),
                ints(3),
                grad=q != 0,  # PyTorch's dist has no backward for p = 0
            )


def test_integrals_against_pytorch() -> None:
    y, x = RNG.normal(size=(2, 5)), np.sort(RNG.normal(size=5))
    check(lambda v: tg.trapezoid(v, dx=0.5, dim=0), lambda v: torch.trapezoid(v, dx=0.5, dim=0), y)
    check(tg.trapezoid, torch.trapezoid, y, x)
    check(tg.trapezoid, torch.trapezoid, y, RNG.normal(size=(2, 5)))
    check(tg.trapz, torch.trapz, np.array([1, 2, 4]))
    check(
        lambda v: tg.cumulative_trapezoid(v, dx=0.3),
        lambda v: torch.cumulative_trapezoid(v, dx=0.3),
        y,
    )
    check(tg.cumulative_trapezoid, torch.cumulative_trapezoid, y, x)
    check(tg.cumulative_trapezoid, torch.cumulative_trapezoid, np.array([1, 2, 4]))


@pytest.mark.parametrize("correction", [0, 1, 2])
def test_cov_corrcoef_against_pytorch(correction: int) -> None:
    m, fw, aw = RNG.normal(size=(3, 5)), np.array([1, 2, 0, 3, 1]), RNG.uniform(0.1, 2, 5)
    check(
        lambda v: tg.cov(v, correction=correction), lambda v: torch.cov(v, correction=correction), m
    )
    check(
        lambda v: tg.cov(v, correction=correction, fweights=tg.tensor(fw), aweights=tg.tensor(aw)),
        lambda v: torch.cov(
            v, correction=correction, fweights=torch.tensor(fw), aweights=torch.tensor(aw)
        ),
        m,
    )
    check(
        lambda v: tg.cov(v, correction=correction),
        lambda v: torch.cov(v, correction=correction),
        m[0],
    )
    check(tg.corrcoef, torch.corrcoef, m)
    check(tg.cov, torch.cov, np.array([[0, 1, 2], [2, 1, 0]]))


def test_elementwise_against_pytorch() -> None:
    special = np.array([np.nan, np.inf, -np.inf, 1.5, -0.0, 0.0, -2.0])
    check(tg.nan_to_num, torch.nan_to_num, special, grad=False)  # the largest floats overflow Σ
    check(
        lambda v: tg.nan_to_num(v, posinf=7.0), lambda v: torch.nan_to_num(v, posinf=7.0), special
    )
    check(
        lambda v: tg.nan_to_num(v, 1.0, 2.0, -3.0),
        lambda v: torch.nan_to_num(v, 1.0, 2.0, -3.0),
        special.astype(np.float32),
    )
    check(tg.copysign, torch.copysign, special, special[::-1].copy(), grad=False)
    # gradients at finite inputs (PyTorch's is result/input, NaN at ±inf; ours is ±1 there)
    check(tg.copysign, torch.copysign, special[3:], special[:4].copy())
    check(
        lambda v: tg.copysign(v, -1),
        lambda v: torch.copysign(v, -1),
        special[3:].astype(np.float32),
    )
    check(tg.copysign, torch.copysign, np.array([1, 2]), np.array([-1, 0]))
    check(
        lambda v: tg.heaviside(v, tg.tensor([0.5])),
        lambda v: torch.heaviside(v, torch.tensor([0.5])),
        special,
        grad=False,  # PyTorch has no derivative for heaviside
    )
    check(tg.signbit, torch.signbit, special)
    check(tg.rad2deg, torch.rad2deg, special.astype(np.float32), tol=0)
    check(tg.deg2rad, torch.deg2rad, special, tol=0)
    check(tg.rad2deg, torch.rad2deg, np.array([1, 2]))
    check(tg.frac, torch.frac, special[3:])
    for name in ("logical_and", "logical_or", "logical_xor"):
        check(getattr(tg, name), getattr(torch, name), np.array([1, 0, 2]), special[:3])
    check(tg.logical_not, torch.logical_not, special)
    check(lambda v: tg.clamp_min(v, 0.5), lambda v: torch.clamp_min(v, 0.5), special[3:])
    check(lambda v: tg.clamp_max(v, 2), lambda v: torch.clamp_max(v, 2), np.array([1, 5]))
