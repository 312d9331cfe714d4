"""linalg_more and linalg_solves against NumPy references and finite differences (no torch)."""

from __future__ import annotations

import math
import sys
import types
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite import linalg_more as lm
from tinygrad_lite import linalg_solves as ls
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)
INF = math.inf


def leaf(a: Any) -> Tensor:
    return Tensor(np.array(a, dtype=np.float64), requires_grad=True)


def grad_of(fn: Any, a: Any) -> np.ndarray:
    x = leaf(a)
    fn(x).sum().backward()
    assert x.grad is not None
    return x.grad.data


def ref_vector_norm(a: np.ndarray, p: float, axis: Any, keepdims: bool) -> np.ndarray:
    """The p-norm from its definition (NumPy's own norm takes at most two axes)."""
    m = np.abs(a)
    if p == 0:
        return np.sum(m != 0, axis=axis, keepdims=keepdims).astype(a.dtype)
    if p == INF:
        return np.max(m, axis=axis, keepdims=keepdims)
    if p == -INF:
        return np.min(m, axis=axis, keepdims=keepdims)
    with np.errstate(divide="ignore"):
        return np.sum(m**p, axis=axis, keepdims=keepdims) ** (1.0 / p)


ORDS = [0.0, 1.0, 2.0, 3.0, 0.5, 1.5, -1.0, -0.5, INF, -INF]


# ------------------------------------------------------------------------------ vector_norm


@settings(max_examples=15)
@given(
    a=hnp.arrays(np.float64, (2, 3, 2), elements=st.sampled_from([0.0, -1.5, 0.5, 2.0, -3.0])),
    p=st.sampled_from(ORDS),
    dim=st.sampled_from([None, 0, -1, (0, 2), (2, 1), ()]),
    keepdim=st.booleans(),
)
def test_vector_norm_is_the_definition(a: np.ndarray, p: float, dim: Any, keepdim: bool) -> None:
    got = lm.vector_norm(Tensor(a), p, dim, keepdim)
    axis = None if dim == () else dim
    expected = ref_vector_norm(a, p, axis, keepdim)
    assert got.shape == expected.shape and got.dtype == np.float64
    np.testing.assert_allclose(got.data, expected, rtol=1e-13)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, 0.5, 1.5, -1.0, -2.5, INF, -INF])
def test_vector_norm_gradients_are_finite_differences(p: float) -> None:
    a = np.array([[0.7, -1.3, 2.1], [-0.4, 0.9, 1.6]])
    assert gradcheck(lambda x: lm.vector_norm(x, p, dim=1), leaf(a))


def test_a_second_derivative_of_a_p_norm() -> None:
    assert gradgradcheck(lambda x: lm.vector_norm(x, 3.0, dim=0), leaf([[0.7, -1.3], [2.1, 0.5]]))


def test_pytorchs_gradients_at_zeros() -> None:
    zero = np.zeros(3)
    for p in [2.0, 1.0, 3.0, 0.5, INF]:  # the norm is 0: gradient 0, not NaN
        assert not grad_of(lambda x, p=p: lm.vector_norm(x, p), zero).any()
    a = np.array([0.0, 3.0, -4.0])
    count = lm.vector_norm(leaf(a), 0)
    assert count.item() == 2.0 and count.requires_grad
    assert not grad_of(lambda x: lm.vector_norm(x, 0), a).any()  # a count: gradient 0
    g = grad_of(lambda x: lm.vector_norm(x, 0.5), a)  # ∞ at the zero, PyTorch gives 0
    assert g[0] == 0 and np.isfinite(g).all()
    n = (np.sqrt(3.0) + 2.0) ** 2  # d‖x‖/dxᵢ = sgn(xᵢ)|xᵢ|^(p−1)‖x‖^(1−p)
    np.testing.assert_allclose(g[1:], np.sign(a[1:]) * np.abs(a[1:]) ** -0.5 * n**0.5)
    negative = lm.vector_norm(leaf(a), -1.0)  # |0|^-1 = ∞: the norm is 0, gradient 0
    assert negative.item() == 0.0 and not grad_of(lambda x: lm.vector_norm(x, -1.0), a).any()
    assert lm.vector_norm(Tensor([0.0, np.nan]), -1.0).data != 0  # NaN wins, as in PyTorch


def test_size_one_reductions_are_the_absolute_value() -> None:
    a = np.array([[-2.0], [3.0], [0.0]])
    for p in [3.0, 0.5, -1.5, INF]:  # |x| exactly, not (|x|^p)^(1/p)
        assert lm.vector_norm(Tensor(a), p, dim=1).tolist() == [2.0, 3.0, 0.0]
    assert lm.vector_norm(Tensor(a), 0, dim=-1, keepdim=True).tolist() == [[1.0], [1.0], [0.0]]
    assert lm.vector_norm(Tensor(-3.0), 3.0).item() == 3.0  # a 0-d tensor
    assert lm.vector_norm(Tensor(-3.0), 2, dim=0).shape == ()


def test_dtype_and_empty_tensors() -> None:
    x32 = Tensor(np.array([3.0, 4.0], np.float32), requires_grad=True)
    y = lm.vector_norm(x32, dtype=np.float64)
    assert y.dtype == np.float64 and y.item() == 5.0
    y.backward()
    assert x32.grad is not None and x32.grad.dtype == np.float32
    assert lm.vector_norm(Tensor(np.array([1.0, 2.0], np.float32))).dtype == np.float32
    assert lm.vector_norm(Tensor(np.zeros((0, 3))), 2, dim=0).tolist() == [0.0] * 3
    assert lm.vector_norm(Tensor(np.zeros((0, 3))), INF, dim=1).shape == (0,)
    assert lm.vector_norm(Tensor(np.zeros((0, 3))), 0).item() == 0.0


# ------------------------------------------------------------------------------ matrix norms


@pytest.mark.parametrize("p", ["fro", 1, -1, INF, -INF])
def test_matrix_norms_are_numpys(p: Any) -> None:
    a = RNG.standard_normal((2, 3, 4))
    got = lm.matrix_norm(Tensor(a), p)
    np.testing.assert_allclose(got.data, [np.linalg.norm(m, p) for m in a], rtol=1e-13)
    moved = lm.matrix_norm(Tensor(a), p, dim=(2, 0), keepdim=True)
    assert moved.shape == (1, 3, 1)
    expected = [np.linalg.norm(a[:, k, :].T, p) for k in range(3)]
    np.testing.assert_allclose(moved.data[0, :, 0], expected, rtol=1e-13)
    assert gradcheck(lambda x: lm.matrix_norm(x, p), leaf(a[0]))


def test_matrix_norms_of_empty_matrices() -> None:
    for p in ["fro", 1, INF]:
        assert lm.matrix_norm(Tensor(np.zeros((2, 3, 0))), p).tolist() == [0.0, 0.0]
    assert lm.matrix_norm(Tensor(np.zeros((2, 0, 3))), -1, keepdim=True).shape == (2, 1, 1)
    assert lm.matrix_norm(Tensor(np.zeros((0, 3, 2))), -INF).shape == (0,)  # no matrices
    with pytest.raises(ValueError, match="-1 norm of empty matrices"):
        lm.matrix_norm(Tensor(np.zeros((2, 3, 0))), -1)


@pytest.mark.parametrize("p", [2, -2, "nuc"])
def test_singular_value_norms(p: Any) -> None:
    pytest.importorskip("tinygrad_lite.linalg_decomp")
    a = RNG.standard_normal((2, 3, 4))
    got = lm.matrix_norm(Tensor(a), p)
    np.testing.assert_allclose(got.data, [np.linalg.norm(m, p) for m in a], rtol=1e-12)
    assert lm.matrix_norm(Tensor(a), p, dim=(0, 2), keepdim=True).shape == (1, 3, 1)
    assert lm.norm(Tensor(a[0]), p).shape == ()


def test_singular_value_norms_compose_svdvals(monkeypatch: pytest.MonkeyPatch) -> None:
    stub = types.ModuleType("tinygrad_lite.linalg_decomp")
    stub.svdvals = lambda a: Tensor(np.linalg.svd(a.data, compute_uv=False))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tinygrad_lite.linalg_decomp", stub)
    a = RNG.standard_normal((2, 3, 4))
    for p in [2, -2, "nuc"]:
        moved = lm.matrix_norm(Tensor(a), p, dim=(2, 0), keepdim=True)
        expected = [np.linalg.norm(a[:, k, :].T, p) for k in range(3)]
        assert moved.shape == (1, 3, 1)
        np.testing.assert_allclose(moved.data[0, :, 0], expected, rtol=1e-13)
    assert lm.matrix_norm(Tensor(np.zeros((2, 3, 0))), 2).tolist() == [0.0, 0.0]
    assert lm.matrix_norm(Tensor(np.zeros((3, 0))), "nuc").item() == 0.0
    assert lm.matrix_norm(Tensor(np.zeros((0, 3, 2))), -2).shape == (0,)
    with pytest.raises(ValueError, match="-2 norm of empty matrices"):
        lm.matrix_norm(Tensor(np.zeros((3, 0))), -2)
    with pytest.raises(TypeError, match="float32 or float64 tensor, got dtype float16"):
        lm.matrix_norm(Tensor(np.ones((2, 2), np.float16)), "nuc")


@pytest.mark.parametrize(
    ("shape", "p", "dim"),
    [
        ((3, 4), None, None),  # every element, ord 2
        ((2, 3, 4), None, None),
        ((3, 4), 1, None),  # a matrix norm: the largest column sum
        ((3, 4), INF, (1, 0)),
        ((3, 4), "fro", None),
        ((3, 4), INF, 1),  # a vector norm of each row
        ((4,), 3.0, None),
        ((2, 3, 4), 0.5, (2,)),
        ((2, 3, 4), None, (0, 2)),  # ord None over two dims: Frobenius
    ],
)
def test_norm_dispatches_as_pytorch(shape: tuple[int, ...], p: Any, dim: Any) -> None:
    a = RNG.standard_normal(shape)
    got = lm.norm(Tensor(a), p, dim)
    if p is None:
        expected = ref_vector_norm(a, 2, dim, False)
    elif isinstance(dim, tuple) and len(dim) == 2 or (dim is None and a.ndim == 2):
        expected = np.linalg.norm(a, p, dim)
    else:
        expected = ref_vector_norm(a, p, dim, False)
    np.testing.assert_allclose(got.data, expected, rtol=1e-13)


# ------------------------------------------------------------------------------ products


def test_products_are_numpys() -> None:
    a, b = RNG.standard_normal((4, 3)), RNG.standard_normal((2, 1, 3))
    np.testing.assert_allclose(lm.cross(Tensor(a), Tensor(b[0])).data, np.cross(a, b[0]))
    np.testing.assert_allclose(lm.vecdot(Tensor(a), Tensor(b)).data, np.sum(a * b, -1))
    np.testing.assert_allclose(lm.vecdot(Tensor(a), Tensor(b), dim=-2).data, np.sum(a * b, -2))
    assert lm.vecdot(Tensor(2.0), Tensor(3.0)).item() == 6.0
    m = RNG.standard_normal((2, 3, 3))
    np.testing.assert_allclose(lm.matmul(Tensor(m), Tensor(a[0])).data, m @ a[0])
    assert lm.diagonal(Tensor(m), offset=1).tolist() == np.diagonal(m, 1, -2, -1).tolist()
    np.testing.assert_allclose(lm.matrix_power(Tensor(m), 3).data, np.linalg.matrix_power(m, 3))
    chain = [RNG.standard_normal(s) for s in [(3,), (3, 5), (5, 2), (2, 4), (4,)]]
    got = lm.multi_dot([Tensor(c) for c in chain])
    assert got.shape == () and np.isclose(got.item(), np.linalg.multi_dot(chain), rtol=1e-13)
    assert lm.multi_dot([Tensor(chain[1]), Tensor(chain[2])]).shape == (3, 2)
    assert gradcheck(lambda *ms: lm.multi_dot(ms), *[leaf(c) for c in chain[1:4]])


def test_vander_has_increasing_powers() -> None:
    x = np.array([[2.0, -1.0, 0.0], [0.5, 3.0, 1.0]])
    got = lm.vander(Tensor(x), N=4)
    np.testing.assert_allclose(got.data, np.stack([np.vander(r, 4, increasing=True) for r in x]))
    assert lm.vander(Tensor(np.array([2, 3], np.int32))).tolist() == [[1, 2], [1, 3]]
    assert lm.vander(Tensor(np.array([2, 3], np.int32))).dtype == np.int64
    assert lm.vander(Tensor(2.0), N=3).tolist() == [[1.0, 2.0, 4.0]]
    assert gradcheck(lambda v: lm.vander(v, N=4), leaf(x))  # x holds a 0: exact, no division


# ------------------------------------------------------------------------------ matrix_exp


def taylor_exp(a: np.ndarray) -> np.ndarray:
    term, total = np.eye(a.shape[-1]), np.eye(a.shape[-1])
    for k in range(1, 60):
        term = term @ a / k
        total = total + term
    return total


def test_matrix_exp_values() -> None:
    small = RNG.standard_normal((3, 3)) * 0.3
    np.testing.assert_allclose(ls.matrix_exp(Tensor(small)).data, taylor_exp(small), rtol=1e-14)
    s = RNG.standard_normal((3, 3))
    sym = np.stack([(s + s.T) * c for c in (0.001, 0.5, 4.0, 15.0)])  # every degree and s
    w, v = np.linalg.eigh(sym)
    expected = v @ (np.exp(w)[..., None] * np.swapaxes(v, -1, -2))
    np.testing.assert_allclose(ls.matrix_exp(Tensor(sym)).data, expected, rtol=1e-12)
    nilpotent = np.array([[0.0, 1.0, 2.0], [0.0, 0.0, 3.0], [0.0, 0.0, 0.0]])
    exact = np.eye(3) + nilpotent + nilpotent @ nilpotent / 2
    np.testing.assert_allclose(ls.matrix_exp(Tensor(nilpotent * 1.0)).data, exact, rtol=1e-15)
    assert ls.matrix_exp(Tensor([[1.0]])).tolist() == [[math.e]]
    f32 = ls.matrix_exp(Tensor(sym[2].astype(np.float32)))
    assert f32.dtype == np.float32
    np.testing.assert_allclose(f32.data, expected[2], rtol=2e-5)
    assert ls.matrix_exp(Tensor(np.zeros((2, 0, 0)))).shape == (2, 0, 0)
    with np.errstate(invalid="ignore"):  # ∞ gives NaN, as in PyTorch
        assert np.isnan(ls.matrix_exp(Tensor([[np.inf, 0.0], [0.0, 1.0]])).data).all()


def test_matrix_exp_derivatives() -> None:
    a = np.array([[0.3, -1.2, 0.8], [1.1, 0.4, -2.0], [-0.5, 0.9, 0.1]])
    for scale in (0.05, 3.0):  # a low degree, and degree 13 with squarings
        assert gradcheck(ls.matrix_exp, leaf(a * scale))
    assert gradgradcheck(ls.matrix_exp, leaf(a[:2, :2] * 2.0))


# ------------------------------------------------------------------------------ tensor solves


def test_tensorinv_and_tensorsolve_are_numpys() -> None:
    a = RNG.standard_normal((6, 2, 3)) + np.eye(6).reshape(6, 2, 3) * 3
    np.testing.assert_allclose(ls.tensorinv(Tensor(a), 1).data, np.linalg.tensorinv(a, 1))
    b = a.reshape(2, 3, 6)
    np.testing.assert_allclose(ls.tensorinv(Tensor(b)).data, np.linalg.tensorinv(b), rtol=1e-12)
    rhs = RNG.standard_normal((2, 3))
    got = ls.tensorsolve(Tensor(b), Tensor(rhs))
    np.testing.assert_allclose(got.data, np.linalg.tensorsolve(b, rhs).reshape(-1), rtol=1e-12)
    moved = ls.tensorsolve(Tensor(a), Tensor(rhs), dims=(0,))
    np.testing.assert_allclose(moved.data, np.linalg.tensorsolve(a, rhs, axes=(0,)), rtol=1e-12)
    assert gradcheck(ls.tensorsolve, leaf(b), leaf(rhs))
    assert gradcheck(lambda t: ls.tensorinv(t, 1), leaf(a[:4, :2, :2]))


# ------------------------------------------------------------------------------ inv_ex, solve_ex

SINGULAR = np.array(  # LAPACK's info for each: 2, 0, 1, 0
    [[[1.0, 2.0], [2.0, 4.0]], [[2.0, 0.0], [0.0, 4.0]], [[0.0, 0.0], [0.0, 0.0]], np.eye(2)]
)


def test_inv_ex_reports_singular_matrices() -> None:
    a = leaf(SINGULAR)
    inverse, info = ls.inv_ex(a)
    assert info.dtype == np.int32 and info.tolist() == [2, 0, 1, 0]
    assert np.isnan(inverse.data[[0, 2]]).all()
    np.testing.assert_allclose(inverse.data[[1, 3]], np.linalg.inv(SINGULAR[[1, 3]]))
    inverse.sum().backward()
    assert a.grad is not None and not a.grad.data[[0, 2]].any()
    np.testing.assert_allclose(a.grad.data[[1, 3]], grad_of(tg.linalg.inv, SINGULAR[[1, 3]]))
    rank_two = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]
    assert ls.inv_ex(Tensor(rank_two)).info.item() == 3
    assert ls.inv_ex(Tensor([[0.0, 2.0, 3.0], [0.0, 4.0, 6.0], [0.0, 0.0, 1.0]])).info.item() == 1
    assert ls.inv_ex(Tensor(np.eye(3))).info.shape == ()
    assert ls.inv_ex(Tensor(np.zeros((3, 0, 0)))).info.tolist() == [0, 0, 0]
    nan = ls.inv_ex(Tensor([[np.nan, 1.0], [1.0, 1.0]]))  # PyTorch's: NaN, info 0
    assert nan.info.item() == 0 and np.isnan(nan.inverse.data).all()
    with pytest.raises(ValueError, match=r"batch element \(0,\).* pivot 2 of its LU"):
        ls.inv_ex(Tensor(SINGULAR), check_errors=True)
    assert gradgradcheck(lambda t: ls.inv_ex(t).inverse, leaf(SINGULAR[1]))


def test_solve_ex_reports_singular_matrices() -> None:
    result, info = ls.solve_ex(Tensor(SINGULAR), Tensor([2.0, 4.0]))
    assert info.tolist() == [2, 0, 1, 0] and result.shape == (4, 2)
    assert np.isnan(result.data[[0, 2]]).all() and result.data[[1, 3]].tolist() == [[1, 1], [2, 4]]
    b = RNG.standard_normal((3, 1, 2, 5))  # broadcast batches: info keeps A's batch shape
    result, info = ls.solve_ex(Tensor(SINGULAR), Tensor(b))
    assert result.shape == (3, 4, 2, 5) and info.shape == (4,)
    right, _ = ls.solve_ex(Tensor(SINGULAR), Tensor(np.ones((4, 3, 2))), left=False)
    np.testing.assert_allclose(right.data[1], np.ones((3, 2)) @ np.linalg.inv(SINGULAR[1]))
    with pytest.raises(ValueError, match="solve_ex: the matrix is singular"):
        ls.solve_ex(Tensor(SINGULAR[2]), Tensor([1.0, 1.0]), check_errors=True)
    assert gradcheck(lambda a, b: ls.solve_ex(a, b).result, leaf(SINGULAR[[1, 3]]), leaf(b[0]))


# ------------------------------------------------------------------------------ refusals

M = Tensor(np.ones((2, 3)))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: lm.vector_norm(Tensor([1, 2])), TypeError, "floating-point tensor, got dtype int"),
        (lambda: lm.vector_norm(M, dtype=np.float32), TypeError, r"without narrowing"),
        (lambda: lm.vector_norm(M, dtype=np.int64), TypeError, "floating-point dtype"),
        (lambda: lm.vector_norm(M, "fro"), TypeError, "ord must be a number"),
        (lambda: lm.vector_norm(M, math.nan), ValueError, "NaN"),
        (lambda: lm.vector_norm(M, dim=(0, -2)), ValueError, "dim 0 appears more than once"),
        (lambda: lm.vector_norm(M, dim=2), IndexError, "out of range"),
        (lambda: lm.vector_norm(Tensor(np.zeros((0, 2))), -1), ValueError, "no identity"),
        (lambda: lm.vector_norm(Tensor(np.zeros((0, 2))), INF, 0), ValueError, "no identity"),
        (lambda: lm.matrix_norm(M, 3), ValueError, "order 3 is not supported"),
        (lambda: lm.matrix_norm(M, "abc"), ValueError, "order 'abc' is not supported"),
        (lambda: lm.matrix_norm(Tensor([1.0]), 1), ValueError, "at least 2 dimensions"),
        (lambda: lm.matrix_norm(M, dim=(1, -1)), ValueError, "dims must be different"),
        (lambda: lm.matrix_norm(M, dim=0), ValueError, "must be a 2-tuple"),  # type: ignore[arg-type]
        (lambda: lm.matrix_norm(Tensor([[1]]), 1), TypeError, "floating-point"),
        (lambda: lm.norm(M, 1, dim=(0, 1, 1)), ValueError, "1 or 2 dims"),
        (lambda: lm.norm(Tensor(np.ones((2, 2, 2))), 1), ValueError, "1-D or 2-D input"),
        (lambda: lm.norm(Tensor([1.0, 2.0]), "fro"), ValueError, "at least 2 dimensions"),
        (lambda: lm.cross(Tensor(np.ones((3, 2))), Tensor(np.ones((3, 2)))), ValueError, "3"),
        (lambda: lm.vecdot(Tensor([1, 2]), Tensor([1, 2])), TypeError, "floating-point"),
        (lambda: lm.vecdot(M, Tensor(np.ones(3, np.float32))), TypeError, "same dtype"),
        (lambda: lm.vecdot(M, Tensor(np.ones(2))), ValueError, "do not broadcast"),
        (lambda: lm.matmul(M, Tensor(np.ones(3, np.float32))), TypeError, "one dtype"),
        (lambda: lm.multi_dot([M]), ValueError, "at least 2 tensors"),
        (lambda: lm.multi_dot([M, Tensor(np.ones((2, 2, 2)))]), ValueError, "last tensor"),
        (lambda: lm.multi_dot([M, Tensor(np.ones(2)), M]), ValueError, "tensor 1 must be 2-D"),
        (lambda: lm.multi_dot([M, M]), ValueError, r"\(2, 3\) and \(2, 3\) cannot be"),
        (lambda: lm.vander(Tensor([True])), TypeError, "got bool"),
        (lambda: lm.vander(Tensor([1.0])), ValueError, "greater than 1, got 1"),
        (lambda: lm.vander(Tensor([1.0]), N=2.0), TypeError, "N must be an int"),  # type: ignore[arg-type]
        (lambda: lm.diagonal(Tensor([1.0])), IndexError, "out of range"),
        (lambda: ls.matrix_exp(M), ValueError, "2 by 3"),
        (lambda: ls.matrix_exp(Tensor([[1]])), TypeError, "float32 or float64"),
        (lambda: ls.tensorinv(Tensor(np.ones((2, 3, 5)))), ValueError, "5 must equal .* 6"),
        (lambda: ls.tensorinv(Tensor(np.ones((4, 2, 2))), 0), ValueError, r"ind must be in 1\.\.3"),
        (lambda: ls.tensorinv(Tensor(np.zeros((2, 2)) + 0.0), 1), ValueError, "singular"),
        (lambda: ls.tensorsolve(Tensor(np.ones((3, 2))), Tensor(np.ones(2))), ValueError, "square"),
        (lambda: ls.tensorsolve(Tensor(np.eye(2)), Tensor(np.ones((2, 1, 1)))), ValueError, "more"),
        (lambda: ls.tensorsolve(Tensor(np.eye(2)), Tensor([1, 1])), TypeError, "same dtype"),
        (lambda: ls.tensorsolve(Tensor(np.eye(2)), Tensor([1.0, 1]), 0), TypeError, "tuple"),  # type: ignore[arg-type]
        (lambda: ls.inv_ex(Tensor(np.eye(2, dtype=np.int64))), TypeError, "float32 or float64"),
        (lambda: ls.solve_ex(Tensor(np.eye(2)), Tensor(np.ones(2, np.float32))), TypeError, "same"),
        (lambda: lm.vector_norm(np.ones(2)), TypeError, "expected a Tensor"),
    ],
)
def test_refusals_name_the_problem(call: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()
