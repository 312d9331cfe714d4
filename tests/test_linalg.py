"""linalg.inv, det, slogdet, solve and the top-level aliases: values, derivatives, refusals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import GradcheckError, Tensor, ops
from tinygrad_lite.autograd import Context, Function
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)


def matrices(*batch: int, n: int = 3, sign: float = 1.0) -> np.ndarray:
    """Well-conditioned matrices: sign·2·I plus entries of at most 0.4."""
    return sign * 2.0 * np.eye(n) + RNG.uniform(-0.4, 0.4, (*batch, n, n))


def leaf(a: np.ndarray) -> Tensor:
    return Tensor(a, requires_grad=True)


A = matrices(2)
A[1] *= -1  # a negative determinant in the batch (n = 3)


def close(t: Tensor, expected: Any) -> None:
    assert t.shape == np.shape(expected)
    np.testing.assert_allclose(t.data, expected, rtol=1e-12, atol=1e-13)


# ------------------------------------------------------------------------------ values


def test_values_are_numpys() -> None:
    a = Tensor(A)
    close(tg.linalg.inv(a), np.linalg.inv(A))
    assert np.array_equal(tg.inverse(a).data, tg.linalg.inv(a).data)
    close(tg.linalg.det(a), np.linalg.det(A))
    assert np.array_equal(tg.det(a).data, tg.linalg.det(a).data)
    sign, logabsdet = tg.linalg.slogdet(a)
    assert tg.slogdet(a).sign is not sign  # a fresh result, the same values
    close(sign, [1.0, -1.0])
    close(logabsdet, np.linalg.slogdet(A)[1])
    assert tg.slogdet(a).logabsdet.tolist() == logabsdet.tolist()
    logdet = tg.logdet(a).data
    assert logdet[0] == pytest.approx(np.log(np.linalg.det(A[0])), rel=1e-13)
    assert np.isnan(logdet[1])
    assert tg.logdet(Tensor([[1.0, 2.0], [2.0, 4.0]])).item() == -np.inf


def test_float32_stays_float32() -> None:
    a32 = Tensor(A.astype(np.float32), requires_grad=True)
    results = [tg.linalg.inv(a32), tg.det(a32), *tg.slogdet(a32), tg.logdet(a32)]
    assert all(r.dtype == np.float32 for r in results)
    tg.linalg.solve(a32, Tensor(np.ones(3, np.float32))).sum().backward()
    assert a32.grad is not None and a32.grad.dtype == np.float32


def _cofactor_matrix(a: np.ndarray) -> np.ndarray:
    """Cofactors by their definition: (−1)^(i+j) times the minor without row i and column j."""
    n = a.shape[0]
    out = np.empty_like(a)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, axis=0), j, axis=1)
            out[i, j] = (-1) ** (i + j) * (np.linalg.det(minor) if n > 1 else 1.0)
    return out


def test_singular_determinant_is_zero_and_its_gradient_the_cofactors() -> None:
    a = leaf(np.array([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 1.0], [1.0, 1.0]]]))
    d = tg.det(a)
    assert d.tolist() == [0.0, 1.0]
    (d * Tensor([3.0, 1.0])).sum().backward()
    assert a.grad is not None
    # d det/dA is the matrix of cofactors at every A, singular or not (PyTorch gives 0 where
    # its LU meets an exact zero pivot)
    np.testing.assert_allclose(a.grad.data[0], [[12.0, -6.0], [-6.0, 3.0]], atol=1e-14)
    np.testing.assert_allclose(a.grad.data[1], [[1.0, -1.0], [-1.0, 2.0]])  # det·A⁻ᵀ
    sign, logabsdet = tg.slogdet(a)
    assert sign.tolist() == [0.0, 1.0] and logabsdet.data[0] == -np.inf


@pytest.mark.parametrize("n", [1, 2, 3, 5])
@pytest.mark.parametrize("rank_drop", [1, 2])
def test_the_gradient_at_singular_matrices_is_the_cofactor_matrix(n: int, rank_drop: int) -> None:
    rng = np.random.default_rng(10 * n + rank_drop)
    for _ in range(5):
        # rank n − rank_drop with exact zeros: small integers, a row repeated or zeroed
        m = rng.integers(-3, 4, (n, n)).astype(np.float64)
        m[: min(rank_drop, n)] = 0.0 if rank_drop > 1 or n == 1 else m[n - 1]
        m = m[rng.permutation(n)][:, rng.permutation(n)]
        a = leaf(m)
        d = tg.det(a)
        assert d.item() == 0.0
        d.backward()
        assert a.grad is not None
        expected = _cofactor_matrix(m)
        np.testing.assert_allclose(a.grad.data, expected, rtol=1e-12, atol=1e-12)
        # and finite differences (det is a polynomial: the central difference is exact to
        # rounding)
        h, fd = 1e-4, np.empty_like(m)
        for idx in np.ndindex(*m.shape):
            up, down = m.copy(), m.copy()
            up[idx] += h
            down[idx] -= h
            fd[idx] = (np.linalg.det(up) - np.linalg.det(down)) / (2 * h)
        np.testing.assert_allclose(a.grad.data, fd, rtol=1e-7, atol=1e-7)


# ------------------------------------------------------------------------------ derivatives


@pytest.mark.parametrize(
    "fn",
    [tg.linalg.inv, tg.linalg.det, lambda a: tg.linalg.slogdet(a).logabsdet, tg.logdet],
    ids=["inv", "det", "slogdet", "logdet"],
)
def test_first_and_second_derivatives_of_batches(fn: Any) -> None:
    a = leaf(matrices(2, sign=-1.0) if fn is not tg.logdet else matrices(2))
    assert gradcheck(fn, a)
    assert gradgradcheck(fn, a)


def test_solve_derivatives_with_broadcast_batches() -> None:
    a, b = leaf(matrices(2, 1, n=2)), leaf(RNG.uniform(-1, 1, (3, 2, 2)))
    assert gradcheck(tg.linalg.solve, a, b)
    assert gradgradcheck(tg.linalg.solve, a, b)
    right = leaf(RNG.uniform(-1, 1, (3, 2)))
    assert gradcheck(lambda a, b: tg.linalg.solve(a, b, left=False), a, right)


def test_a_wrong_backward_is_caught() -> None:
    class InvWithoutTransposes(Function):
        """A planted bug: −Y·Ḡ·Y instead of −Yᵀ·Ḡ·Yᵀ."""

        forward = ops.Inv.forward

        @staticmethod
        def backward(ctx: Context, grad: Any) -> tuple[Any]:
            (y,) = ctx.saved
            return (-(y @ grad @ y),)

    with pytest.raises(GradcheckError, match="gradient of input 0"):
        gradcheck(InvWithoutTransposes.apply, leaf(matrices(n=2)))


# ------------------------------------------------------------------------------ solve's forms


def test_solve_reads_pytorchs_forms_of_b() -> None:
    a = matrices(2)
    solve = tg.linalg.solve
    b = RNG.uniform(-1, 1, (2, 3, 2))
    close(solve(Tensor(a), Tensor(b)), np.linalg.solve(a, b))
    v = np.array([1.0, 2.0, 3.0])  # one vector, for every matrix of the batch
    close(solve(Tensor(a), Tensor(v)), np.linalg.solve(a, v[:, None])[..., 0])
    vs = RNG.uniform(-1, 1, (2, 3))  # a batch of vectors: B's shape is A's without the last dim
    close(solve(Tensor(a), Tensor(vs)), np.linalg.solve(a, vs[..., None])[..., 0])
    m = RNG.uniform(-1, 1, (3, 4))  # one matrix, for every matrix of the batch
    close(solve(Tensor(a), Tensor(m)), np.linalg.solve(a, np.broadcast_to(m, (2, 3, 4))))
    # the same shapes as a batch of vectors, but for n = 2: A (2, 2, 2) and B (2, 2)
    sq, ambiguous = matrices(2, n=2), RNG.uniform(-1, 1, (2, 2))
    close(solve(Tensor(sq), Tensor(ambiguous)), np.linalg.solve(sq, ambiguous[..., None])[..., 0])
    left = RNG.uniform(-1, 1, (2, 4, 3))  # X·A = B
    close(solve(Tensor(a), Tensor(left), left=False), left @ np.linalg.inv(a))


# ------------------------------------------------------------------------------ refusals


def test_singular_matrices_are_refused_by_inv_and_solve() -> None:
    singular = np.stack([np.eye(2), [[1.0, 2.0], [2.0, 4.0]]])
    with pytest.raises(ValueError, match=r"inv: the matrix \(batch element \(1,\).*is singular"):
        tg.linalg.inv(Tensor(singular))
    with pytest.raises(np.linalg.LinAlgError, match="solve: the matrix.* is singular"):
        tg.linalg.solve(Tensor(singular), Tensor([1.0, 2.0]))
    a = leaf(singular[1])
    with pytest.raises(ValueError, match="slogdet: the matrix is singular"):
        tg.slogdet(a).logabsdet.backward()
    (g,) = tg.grad(tg.det(a), [a])  # the first derivative is the matrix of cofactors
    np.testing.assert_allclose(g.data, [[4.0, -2.0], [-2.0, 1.0]], atol=1e-14)
    with pytest.raises(NotImplementedError, match="det: the gradient of a gradient at a singular"):
        tg.grad(tg.det(a), [a], create_graph=True)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: tg.linalg.inv(Tensor(np.ones((2, 3)))), ValueError, r"but they are 2 by 3"),
        (lambda: tg.det(Tensor(np.ones(3))), ValueError, r"matrix or a batch of .* shape \(3,\)"),
        (lambda: tg.linalg.inv(Tensor(np.eye(2, dtype=np.int64))), TypeError, "got int64"),
        (lambda: tg.slogdet(Tensor(np.eye(2, dtype=bool))), TypeError, "float32 or float64"),
        (lambda: tg.logdet(Tensor(np.eye(2, dtype=np.float16))), TypeError, "got float16"),
        (
            lambda: tg.linalg.solve(Tensor(np.eye(2)), Tensor(np.eye(2, dtype=np.int32))),
            TypeError,
            "for B, got int32",
        ),
        (
            lambda: tg.linalg.solve(Tensor(np.eye(3)), Tensor(np.ones((2, 3)))),
            ValueError,
            r"do not fit the equation AX = B: B must be \(\.\.\., 3, k\)",
        ),
        (
            lambda: tg.linalg.solve(Tensor(np.eye(3)), Tensor(np.ones(3)), left=False),
            ValueError,
            r"do not fit the equation XA = B",
        ),
        (
            lambda: tg.linalg.solve(Tensor(matrices(2)), Tensor(np.ones((3, 3, 1)))),
            ValueError,
            r"batch dims of A \(2,\) and of B \(3,\) do not broadcast",
        ),
        (lambda: tg.linalg.inv(np.eye(2)), TypeError, "expected a Tensor, got ndarray"),
    ],
)
def test_refusals_name_the_problem(call: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()


# ------------------------------------------------------------------------------ compile


def _step(a: Tensor, b: Tensor) -> Tensor:
    a.grad = b.grad = None
    loss = (
        tg.logdet(a).sum()
        + tg.det(a).sum()
        + tg.linalg.inv(a).sum()
        + tg.linalg.solve(a, b, left=False).sum()
    )
    loss.backward()
    return loss


def _det_step(a: Tensor) -> Tensor:
    a.grad = None
    loss = tg.det(a).sum()
    loss.backward()
    return loss


def _same(got: Tensor, expected: Tensor) -> bool:
    return np.array_equal(got.data, expected.data, equal_nan=True)


def test_a_compiled_step_replays_eager_bit_for_bit() -> None:
    compiled, compiled_det = tg.compile(_step), tg.compile(_det_step)
    singular = np.stack([matrices(n=2), [[1.0, 2.0], [2.0, 4.0]]])
    # the first call traces, the next ones replay; the last meets det's singular branch anew
    for k, a0 in enumerate([matrices(2, n=2), matrices(2, n=2, sign=-1.0), singular]):
        got_a, expected_a = leaf(a0), leaf(a0)
        assert _same(compiled_det(got_a), _det_step(expected_a))
        assert _same(got_a.grad, expected_a.grad)  # type: ignore[arg-type]
        if k == 2:  # inv and solve refuse the singular matrix
            break
        b0 = RNG.uniform(-1, 1, (2, 3, 2))
        got_a, got_b, expected_a, expected_b = leaf(a0), leaf(b0), leaf(a0), leaf(b0)
        assert _same(compiled(got_a, got_b), _step(expected_a, expected_b))
        assert _same(got_a.grad, expected_a.grad)  # type: ignore[arg-type]
        assert _same(got_b.grad, expected_b.grad)  # type: ignore[arg-type]
    assert compiled.traces == 1 and compiled_det.traces == 1
