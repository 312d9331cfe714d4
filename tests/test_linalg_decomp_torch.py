"""linalg_decomp against torch.linalg: values (vectors up to sign), gradients of order 1 and 2."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite import linalg as L

torch = pytest.importorskip("torch")
TL = torch.linalg
RNG = np.random.default_rng(3)
SQ = RNG.uniform(-1, 1, (2, 3, 3))
SYM = SQ @ SQ.swapaxes(-1, -2) + 3 * np.eye(3)
NONSYM = SYM + np.triu(RNG.uniform(-1, 1, (3, 3)), 1)  # one triangle read: the other differs
TALL = RNG.uniform(-1, 1, (2, 4, 3))
WIDE = TALL.swapaxes(-1, -2)[:, :2]


def ours_and_theirs(a: np.ndarray) -> tuple[Tensor, Any]:
    return Tensor(a.copy(), requires_grad=True), torch.from_numpy(a.copy()).requires_grad_()


def same(got: Any, expected: Any, tol: float = 1e-10) -> None:
    e = expected.detach().numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    g = got.data if isinstance(got, Tensor) else np.asarray(got)
    assert g.shape == e.shape and g.dtype == e.dtype
    np.testing.assert_allclose(g, e, rtol=tol, atol=tol)


def same_up_to_sign(got: Tensor, expected: Any, tol: float = 1e-10) -> None:
    """Columns equal up to each one's sign (eigen- and singular vectors' freedom)."""
    e = expected.detach().numpy()
    flip = np.where(np.sum(got.data * e, axis=-2, keepdims=True) < 0, -1.0, 1.0)
    np.testing.assert_allclose(got.data * flip, e, rtol=tol, atol=tol)


# ------------------------------------------------------------------------------ values


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_values_and_dtypes_are_pytorchs(dtype: Any) -> None:
    tol = 1e-10 if dtype == np.float64 else 2e-5
    sym, tall, sq, nonsym = (x.astype(dtype) for x in (SYM, TALL, SQ, NONSYM))
    t = torch.from_numpy
    for upper in (False, True):
        same(L.cholesky(Tensor(nonsym), upper=upper), TL.cholesky(t(nonsym), upper=upper), tol)
    for uplo in ("L", "U"):
        w, v = L.eigh(Tensor(nonsym), UPLO=uplo)
        tw, tv = TL.eigh(t(nonsym), UPLO=uplo)
        same(w, tw, tol)
        same_up_to_sign(v, tv, tol)
        same(L.eigvalsh(Tensor(nonsym), UPLO=uplo), TL.eigvalsh(t(nonsym), UPLO=uplo), tol)
    for a in (tall, tall.swapaxes(-1, -2)):
        for mode in ("reduced", "complete", "r"):
            q, r = L.qr(Tensor(a), mode=mode)
            tq, tr = TL.qr(t(a), mode=mode)
            same(q, tq, tol)
            same(r, tr, tol)
        for full in (True, False):
            u, s, vh = L.svd(Tensor(a), full_matrices=full)
            tu, ts, tvh = TL.svd(t(a), full_matrices=full)
            same(s, ts, tol)
            k = s.shape[-1]  # the columns past k are any orthonormal completion
            same_up_to_sign(u[..., :k], tu[..., :k], tol)
            same_up_to_sign(vh.mT[..., :k], tvh.mT[..., :k], tol)
            assert u.shape == tu.shape and vh.shape == tvh.shape
        same(L.svdvals(Tensor(a)), TL.svdvals(t(a)), tol)
        same(L.pinv(Tensor(a)), TL.pinv(t(a)), tol * 10)
        same(L.pinv(Tensor(a), rtol=0.5), TL.pinv(t(a), rtol=0.5), tol * 10)
        same(L.matrix_rank(Tensor(a), atol=0.9), TL.matrix_rank(t(a), atol=0.9))
    same(L.pinv(Tensor(nonsym), hermitian=True), TL.pinv(t(nonsym), hermitian=True), tol * 10)
    same(L.matrix_rank(Tensor(sym), hermitian=True), TL.matrix_rank(t(sym), hermitian=True))
    for p in (None, 2, -2, "fro", "nuc", 1, -1, np.inf, -np.inf):
        same(L.cond(Tensor(sq), p), TL.cond(t(sq), p), tol * 100)
    same(L.cond(Tensor(tall)), TL.cond(t(tall)), tol * 10)
    for upper, left, unit in [(False, True, False), (True, False, True), (True, True, True)]:
        b = sq[:1, :2] if not left else sq[:1, :, :2]  # B broadcast against A's batch
        kwargs = {"upper": upper, "left": left, "unitriangular": unit}
        same(L.solve_triangular(Tensor(nonsym), Tensor(b), **kwargs),
             TL.solve_triangular(t(nonsym), t(b), **kwargs), tol)  # fmt: skip
    wide = tall.swapaxes(-1, -2)
    for a, rhs in [(tall, tall[..., :2]), (tall, tall[..., 0]), (wide, wide[..., 0])]:
        for got, expected in zip(
            L.lstsq(Tensor(a), Tensor(rhs)), TL.lstsq(t(a), t(rhs)), strict=True
        ):
            same(got, expected, tol * 10)


def test_cholesky_ex_reports_as_pytorch() -> None:
    a = np.stack([SYM[0], [[4.0, 2.0, 1.0], [2.0, 1.0, 0.0], [1.0, 0.0, 3.0]], -SYM[1]])
    for upper in (False, True):
        low, info = L.cholesky_ex(Tensor(a), upper=upper)
        tlow, tinfo = TL.cholesky_ex(torch.from_numpy(a), upper=upper)
        same(info, tinfo)
        same(low, tlow)


# ------------------------------------------------------------------------------ gradients


def _pairs(u: Any, v: Any, scale: Any) -> Any:
    """scale_j·u_j·v_jᵀ for each column j: the same whatever the columns' signs."""
    return u.mT.unsqueeze(-1) * v.mT.unsqueeze(-2) * scale[..., None, None]


# (ours, PyTorch's) on the same arguments, with the input they take
FUNCTIONS: list[tuple[Callable[..., Any], Callable[..., Any], np.ndarray]] = [
    (lambda x: L.cholesky(x), lambda x: TL.cholesky(x), NONSYM),
    (lambda x: L.cholesky(x, upper=True), lambda x: TL.cholesky(x, upper=True), NONSYM),
    (lambda x: L.cholesky_ex(x).L, lambda x: TL.cholesky_ex(x).L, SYM),
    (lambda x: (lambda w, v: _pairs(v, v, w))(*L.eigh(x)),
     lambda x: (lambda w, v: _pairs(v, v, w))(*TL.eigh(x)), NONSYM),
    (lambda x: L.eigh(x, UPLO="U")[0], lambda x: TL.eigh(x, UPLO="U")[0], NONSYM),
    (lambda x: L.eigvalsh(x) ** 2, lambda x: TL.eigvalsh(x) ** 2, NONSYM),
    (lambda x: tg.cat(list(L.qr(x)), -1), lambda x: torch.cat(TL.qr(x), -1), SQ),
    (lambda x: L.qr(x)[0], lambda x: TL.qr(x)[0], TALL),
    (lambda x: L.qr(x, mode="complete")[1], lambda x: TL.qr(x, mode="complete")[1], WIDE),
    (lambda x: _pairs(L.svd(x)[0][..., :3], L.svd(x)[2].mT, L.svd(x)[1]),
     lambda x: _pairs(TL.svd(x)[0][..., :3], TL.svd(x)[2].mT, TL.svd(x)[1]), TALL),
    (lambda x: _pairs(L.svd(x, False)[0], L.svd(x, False)[0], L.svd(x, False)[1]),
     lambda x: _pairs(TL.svd(x, False)[0], TL.svd(x, False)[0], TL.svd(x, False)[1]), WIDE),
    (lambda x: L.svdvals(x), lambda x: TL.svdvals(x), TALL),
    (lambda x: L.pinv(x), lambda x: TL.pinv(x), WIDE),
    (lambda x: L.pinv(x, hermitian=True), lambda x: TL.pinv(x, hermitian=True), NONSYM),
    (lambda x: L.lstsq(x, x[..., :2] ** 2).solution,
     lambda x: TL.lstsq(x, x[..., :2] ** 2).solution, TALL),
    (lambda x: L.solve_triangular(x, x.mT, upper=True, left=False),
     lambda x: TL.solve_triangular(x, x.mT, upper=True, left=False), SQ),
    (lambda x: L.cond(x) + L.cond(x, -2), lambda x: TL.cond(x) + TL.cond(x, -2), SQ),
]  # fmt: skip


@pytest.mark.parametrize("ours, theirs, a", FUNCTIONS)
def test_first_and_second_derivatives_equal_pytorchs(ours: Any, theirs: Any, a: Any) -> None:
    x, tx = ours_and_theirs(a)
    out, tout = ours(x), theirs(tx)
    same(out, tout)
    w, v = RNG.standard_normal(out.shape), RNG.standard_normal(a.shape)
    (g,) = tg.grad((out * Tensor(w)).sum(), [x], create_graph=True)
    (tg_,) = torch.autograd.grad((tout * torch.from_numpy(w)).sum(), tx, create_graph=True)
    same(g, tg_, 1e-9)
    (h,) = tg.grad((g * Tensor(v)).sum(), [x])
    (th,) = torch.autograd.grad((tg_ * torch.from_numpy(v)).sum(), tx)
    same(h, th, 1e-8)


# ------------------------------------------------------------------------------ differences


def test_the_deliberate_differences_from_pytorch() -> None:
    """Where PyTorch returns inf or NaN, or has a driver more, this refuses; the list stays true."""
    eye, teye = ours_and_theirs(np.eye(2))
    with pytest.raises(np.linalg.LinAlgError, match="repeat"):
        L.eigh(eye).eigenvectors.sum().backward()
    TL.eigh(teye).eigenvectors.sum().backward()
    assert not np.isfinite(teye.grad.numpy()).all()
    zero = np.triu(np.ones((2, 2))) - np.eye(2)[0:1].T * np.eye(2)[0]  # T₀₀ = 0
    with pytest.raises(np.linalg.LinAlgError, match="zero on its diagonal"):
        L.solve_triangular(Tensor(zero), Tensor(np.ones((2, 1))), upper=True)
    theirs = TL.solve_triangular(torch.from_numpy(zero), torch.ones(2, 1, dtype=torch.float64),
                                 upper=True)  # fmt: skip
    assert not np.isfinite(theirs.numpy()).all()
    with pytest.raises(ValueError, match="'gelsd' is not supported"):
        L.lstsq(Tensor(TALL), Tensor(TALL), driver="gelsd")
    assert TL.lstsq(torch.from_numpy(TALL), torch.from_numpy(TALL), driver="gelsd").rank.shape
    # cond in the norms 'fro', 'nuc', ±1, ±inf: PyTorch's graph cannot be differentiated
    # (an in-place fill of the inverse); here it is the derivative of ‖A‖·‖A⁻¹‖
    a, ta = ours_and_theirs(SQ)
    L.cond(a, "fro").sum().backward()
    assert np.isfinite(a.grad.data).all()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        TL.cond(ta, "fro").sum().backward()
