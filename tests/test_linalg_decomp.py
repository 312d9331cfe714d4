"""linalg_decomp without torch: identities, NumPy's values, finite differences, refusals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lite import Tensor
from tinygrad_lite import linalg as L
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck

RNG = np.random.default_rng(7)


def leaf(a: Any) -> Tensor:
    return Tensor(np.array(a, dtype=np.float64), requires_grad=True)


def spd(*batch: int, n: int = 3) -> np.ndarray:
    x = RNG.uniform(-1, 1, (*batch, n, n))
    return x @ np.swapaxes(x, -1, -2) + n * np.eye(n)


def close(got: Any, expected: Any, tol: float = 1e-12) -> None:
    got = got.data if isinstance(got, Tensor) else got
    assert np.shape(got) == np.shape(expected)
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


def mT(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


shapes = st.tuples(st.sampled_from([(), (2,)]), st.integers(1, 4), st.integers(1, 4)).map(
    lambda t: (*t[0], t[1], t[2])
)


# ------------------------------------------------------------------------------ identities


@settings(max_examples=8)
@given(shapes, st.integers(0, 2**32 - 1))
def test_factorisations_reconstruct_their_matrix(shape: tuple[int, ...], seed: int) -> None:
    a = np.random.default_rng(seed).uniform(-2, 2, shape)
    m, n = shape[-2:]
    eye = np.broadcast_to(np.eye(min(m, n)), shape[:-2] + (min(m, n),) * 2)
    q, r = L.qr(Tensor(a))
    close(q.data @ r.data, a)
    close(mT(q.data) @ q.data, eye)
    assert np.array_equal(r.data, np.triu(r.data))
    qc, rc = L.qr(Tensor(a), mode="complete")
    assert qc.shape == (*shape[:-2], m, m) and rc.shape == shape
    close(qc.data @ rc.data, a)
    u, s, vh = L.svd(Tensor(a), full_matrices=False)
    close((u.data * s.data[..., None, :]) @ vh.data, a)
    assert np.all(np.diff(s.data, axis=-1) <= 0) and np.all(s.data >= 0)
    close(L.svdvals(Tensor(a)), np.linalg.svd(a, compute_uv=False))
    uf, sf, vhf = L.svd(Tensor(a))
    assert uf.shape == (*shape[:-2], m, m) and vhf.shape == (*shape[:-2], n, n)
    close(mT(uf.data) @ uf.data, np.broadcast_to(np.eye(m), shape[:-2] + (m, m)))
    p = L.pinv(Tensor(a)).data  # the four Penrose conditions
    close(a @ p @ a, a, 1e-10)
    close(p @ a @ p, p, 1e-10)
    close(a @ p, mT(a @ p), 1e-10)
    close(p @ a, mT(p @ a), 1e-10)
    assert np.array_equal(L.matrix_rank(Tensor(a)).data, np.linalg.matrix_rank(a))


def test_symmetric_factorisations() -> None:
    a = spd(2)
    low = L.cholesky(Tensor(a)).data
    close(low @ mT(low), a)
    assert np.array_equal(low, np.tril(low)) and np.all(np.diagonal(low, 0, -2, -1) > 0)
    up = L.cholesky(Tensor(a), upper=True).data
    close(mT(up) @ up, a)
    w, v = L.eigh(Tensor(a))
    close(a @ v.data, v.data * w.data[..., None, :])
    close(mT(v.data) @ v.data, np.broadcast_to(np.eye(3), a.shape))
    close(w, np.linalg.eigvalsh(a))
    close(L.eigvalsh(Tensor(a)), np.linalg.eigvalsh(a))
    # one triangle is read: the other may hold anything
    lower, upper = np.tril(a) + 9 * np.triu(np.ones(3), 1), np.triu(a) - 9 * np.tri(3, k=-1)
    close(L.eigh(Tensor(lower)).eigenvalues, w.data)
    close(L.eigvalsh(Tensor(upper), UPLO="U"), w.data)
    close(L.cholesky(Tensor(upper), upper=True), up)
    close(L.cholesky_ex(Tensor(lower)).L, low)


def test_solve_triangular_lstsq_and_cond_against_numpy() -> None:
    a, b = np.tril(spd(2)) + 9 * np.triu(np.ones(3), 1), RNG.normal(size=(3, 2))
    t = np.tril(a)
    close(L.solve_triangular(Tensor(a), Tensor(b), upper=False), np.linalg.solve(t, b))
    unit = t - np.diagonal(t, 0, -2, -1)[..., None] * np.eye(3) + np.eye(3)
    close(L.solve_triangular(Tensor(a), Tensor(b.T), upper=False, left=False, unitriangular=True),
          b.T @ np.linalg.inv(unit))  # fmt: skip
    tall, rhs = RNG.normal(size=(2, 5, 3)), RNG.normal(size=(2, 5))
    x, residuals, rank, sv = L.lstsq(Tensor(tall), Tensor(rhs))
    close(x, np.linalg.solve(mT(tall) @ tall, mT(tall) @ rhs[..., None])[..., 0], 1e-10)
    assert residuals.shape == sv.shape == (0,) and rank.tolist() == [3, 3]
    wide = RNG.normal(size=(2, 4))  # the least-norm solution
    close(L.lstsq(Tensor(wide), Tensor(rhs[0, :2])).solution, np.linalg.pinv(wide) @ rhs[0, :2])
    sq = RNG.normal(size=(2, 3, 3))
    for p in (None, 2, -2, "fro", "nuc", 1, -1, np.inf, -np.inf):
        close(L.cond(Tensor(sq), p), np.linalg.cond(sq, p), 1e-10)
    wide = RNG.normal(size=(3, 5))
    close(L.cond(Tensor(wide)), np.linalg.cond(wide), 1e-10)
    close(L.cond(Tensor(wide), -2), 1 / np.linalg.cond(wide), 1e-10)


def test_rank_deficiency_tolerances_and_cholesky_ex() -> None:
    a = np.array([[1.0, 2.0], [2.0, 4.0 + 1e-9]])
    assert L.matrix_rank(Tensor(a)).item() == 2
    assert L.matrix_rank(Tensor(a), atol=1e-6).item() == 1
    assert L.matrix_rank(Tensor(a), rtol=1e-6, hermitian=True).item() == 1
    close(L.pinv(Tensor(a), rtol=1e-6), np.linalg.pinv(a, rcond=1e-6))
    assert L.matrix_rank(Tensor(a)).dtype == np.int64
    assert not L.matrix_rank(leaf(a)).requires_grad
    assert L.cond(Tensor(np.array([[1.0, 2.0], [2.0, 4.0]])), "fro").item() == np.inf
    bad = np.stack([spd(), np.array([[4.0, 2.0, 1.0], [2.0, 1.0, 0.0], [1.0, 0.0, 3.0]])])
    low, info = L.cholesky_ex(Tensor(bad))
    assert info.dtype == np.int32 and info.tolist() == [0, 2]
    close(low[0], np.linalg.cholesky(bad[0]))
    close(low[1], [[2.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.5, 0.0, 3.0]])  # what LAPACK leaves


# ------------------------------------------------------------------------------ derivatives

X = RNG.uniform(-1, 1, (3, 3))
BATCH = RNG.uniform(-1, 1, (2, 2, 2))
TALL = RNG.uniform(-1, 1, (3, 2))


def _sym(x: Tensor) -> Tensor:
    return x @ x.mT + 3.0 * Tensor(np.eye(x.shape[-1]))


def _pairs(u: Tensor, v: Tensor, scale: Tensor) -> Tensor:
    """scale_j·u_j·v_jᵀ for each column j: the same whatever the columns' signs."""
    return u.mT.unsqueeze(-1) * v.mT.unsqueeze(-2) * scale[..., None, None]


# functions of the factors that do not depend on the vectors' signs; second order too if True
GAUGE_FREE: list[tuple[Callable[[Tensor], Tensor], np.ndarray, bool]] = [
    (lambda x: L.cholesky(_sym(x), upper=True), BATCH, True),
    (lambda x: L.eigvalsh(_sym(x)), X, False),
    (lambda x: (lambda r: _pairs(r[1], r[1], r[0]))(L.eigh(x + x.mT)), X, True),
    (lambda x: L.qr(x)[0] + L.qr(x)[1], X, True),
    (lambda x: L.qr(x.mT, mode="complete").R, TALL, False),
    (lambda x: (lambda r: _pairs(r.U, r.Vh.mT, r.S))(L.svd(x, False)), TALL, True),
    (lambda x: (lambda r: _pairs(r.U, r.U, r.S * 0.0 + 1.0))(L.svd(x, False)), TALL.T, False),
    (lambda x: L.pinv(x), TALL, True),
    (lambda x: L.pinv(x + x.mT, hermitian=True), BATCH, False),
    (lambda x: L.lstsq(x, x[..., :1] * 2.0 + 1.0).solution, TALL, True),
    (lambda x: L.solve_triangular(x, x.mT, upper=True), BATCH, True),
    (lambda x: L.cond(x) + L.cond(x, "fro") + L.cond(x, -np.inf), BATCH[0], False),
]


@pytest.mark.parametrize("fn, x, second", GAUGE_FREE)
def test_derivatives_against_finite_differences(fn: Any, x: Any, second: bool) -> None:
    assert gradcheck(fn, leaf(x))
    assert not second or gradgradcheck(fn, leaf(x), atol=1e-4, rtol=1e-3)


def test_one_triangle_functions_take_pytorchs_symmetric_gradient() -> None:
    a = leaf(np.tril(spd()) + 5.0 * np.triu(np.ones((3, 3)), 1))  # upper triangle: not read
    L.eigvalsh(a).pow(3).sum().backward()
    s = leaf(np.tril(a.data) + np.tril(a.data, -1).T)  # the matrix read
    L.eigvalsh(s).pow(3).sum().backward()
    close(a.grad, s.grad.data)
    close(a.grad, a.grad.data.T)  # the gradient of a function of symmetric matrices


def test_vectors_of_repeated_values_have_no_gradient_but_the_values_do() -> None:
    eye = leaf(np.eye(3))
    L.eigh(eye).eigenvalues.sum().backward()
    close(eye.grad, np.eye(3))  # tr(A): fine where eigenvalues repeat
    with pytest.raises(np.linalg.LinAlgError, match="eigh: the vectors' gradient .* repeat"):
        L.eigh(eye).eigenvectors.sum().backward()
    with pytest.raises(np.linalg.LinAlgError, match="svd: .*singular values repeat"):
        L.svd(leaf(np.eye(2)), False).U.sum().backward()
    with pytest.raises(np.linalg.LinAlgError, match="svd: .* one is 0"):
        L.svd(leaf([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]), False).U.sum().backward()
    full = leaf(TALL)  # past min(m, n), U's columns carry no gradient (PyTorch's choice)
    L.svd(full).U[:, 2:].sum().backward()
    close(full.grad, np.zeros((3, 2)))


# ------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: L.cholesky(Tensor(np.eye(2, dtype=np.int64))), TypeError, "float32 or float64"),
        (lambda: L.eigh(Tensor(np.ones((2, 3)))), ValueError, "square .* 2 by 3"),
        (lambda: L.svd(Tensor(np.ones(3))), ValueError, r"\(\.\.\., m, n\), got shape \(3,\)"),
        (lambda: L.cholesky(Tensor([[1.0, 2.0], [2.0, 1.0]])), np.linalg.LinAlgError, "order 2"),
        (lambda: L.cholesky_ex(Tensor(np.stack([np.eye(2), -np.eye(2)])), check_errors=True),
         np.linalg.LinAlgError, r"batch element \(1,\)\) is not positive-definite.* order 1"),
        (lambda: L.eigh(Tensor(np.eye(2)), UPLO="X"), ValueError, "UPLO must be 'L' or 'U'"),
        (lambda: L.qr(Tensor(np.eye(2)), mode="full"), ValueError, "mode must be"),
        (lambda: L.qr(leaf(np.eye(2)), mode="r").R.sum().backward(), NotImplementedError,
         "mode='r'"),
        (lambda: L.qr(leaf(TALL), mode="complete").Q.sum().backward(), NotImplementedError,
         "tall 3×2"),
        (lambda: L.solve_triangular(Tensor(np.zeros((2, 2))), Tensor(np.ones((2, 1))),
         upper=True), np.linalg.LinAlgError, "zero on its diagonal"),
        (lambda: L.solve_triangular(Tensor(np.eye(3)), Tensor(np.ones((2, 3))), upper=True),
         ValueError, r"AX = B: B must be \(\.\.\., n, k\) with n = 3"),
        (lambda: L.lstsq(Tensor(TALL), Tensor(np.ones(3)), driver="gelsd"), ValueError,
         "'gelsd' is not supported"),
        (lambda: L.lstsq(Tensor(TALL), Tensor(np.ones(3, np.float32))), TypeError, "one dtype"),
        (lambda: L.lstsq(Tensor(TALL), Tensor(np.ones((2, 1)))), ValueError, r"\(\.\.\., 3, k\)"),
        (lambda: L.cond(Tensor(np.eye(2)), 3), ValueError, "p must be None, 2, -2"),
        (lambda: L.cond(Tensor(np.ones((2, 3))), "fro"), ValueError, "square"),
        (lambda: L.pinv(Tensor(np.eye(2)), atol="big"), TypeError, "atol must be a number"),
        (lambda: L.svd(np.eye(2)), TypeError, "expected a Tensor"),
    ],
)  # fmt: skip
def test_refusals_name_the_problem(call: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()
