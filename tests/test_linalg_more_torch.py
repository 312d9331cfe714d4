"""linalg_more and linalg_solves against torch.linalg: values, dtypes, gradients (needs torch)."""

from __future__ import annotations

import importlib.util
import math
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

torch = pytest.importorskip("torch")

INF = math.inf
HAS_DECOMP = importlib.util.find_spec("tinygrad_lite.linalg_decomp") is not None
RNG = np.random.default_rng(0)


def pair(a: np.ndarray) -> tuple[Tensor, Any]:
    return Tensor(a.copy(), requires_grad=True), torch.from_numpy(a.copy()).requires_grad_()


def same(ours: Tensor, theirs: Any, inputs: Any = (), tol: float = 1e-12) -> None:
    """Equal values, shape and dtype; then equal gradients of a random projection."""
    expected = theirs.detach().numpy()
    assert ours.shape == expected.shape and ours.dtype == expected.dtype
    tol = max(tol, 1e-6) if ours.dtype == np.float32 else tol
    np.testing.assert_allclose(ours.data, expected, rtol=tol, atol=tol)
    if not inputs:
        return
    up = np.random.default_rng(1).standard_normal(expected.shape).astype(expected.dtype)
    ours.backward(up)
    # a scalar's backward: PyTorch's first backward with a gradient loads modules for a second
    (theirs * torch.from_numpy(up)).sum().backward()
    for x, tx in inputs:
        g = np.zeros(tx.shape) if tx.grad is None else tx.grad.numpy()  # None: PyTorch's 0
        assert x.grad is not None
        gtol = 1e-6 if x.dtype == np.float32 else max(tol, 1e-10)
        np.testing.assert_allclose(x.grad.data, g, rtol=gtol, atol=gtol / 100)


def both(fn: str, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """Our result and PyTorch's, or (None, None) when both raise."""
    ours = getattr(lm if hasattr(lm, fn) else ls, fn)
    try:
        theirs = getattr(torch.linalg, fn)(
            *[torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args], **kwargs
        )
    except (RuntimeError, IndexError, TypeError):
        with pytest.raises((ValueError, TypeError, IndexError)):
            ours(*[Tensor(a) if isinstance(a, np.ndarray) else a for a in args], **kwargs)
        return None, None
    return ours(*[Tensor(a) if isinstance(a, np.ndarray) else a for a in args], **kwargs), theirs


VALUES = st.sampled_from([0.0, 0.0, -1.5, 0.5, 2.0, -3.0, 0.25, 1.0])
ORD = st.one_of(
    st.sampled_from([0, 1, 2, INF, -INF, 0.5, 3, -1]),
    st.floats(-3, 3).filter(lambda p: abs(p) > 0.1),
)


@settings(max_examples=15)
@given(
    a=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=3), elements=VALUES),
    p=ORD,
    data=st.data(),
    keepdim=st.booleans(),
)
def test_vector_norm(a: np.ndarray, p: float, data: st.DataObject, keepdim: bool) -> None:
    dims = st.lists(
        st.integers(-a.ndim, a.ndim - 1), max_size=a.ndim, unique_by=lambda d: d % a.ndim
    )
    dim = data.draw(st.none() | dims.map(tuple)) if a.ndim else None
    if p == 0 and all(a.shape[d] == 1 for d in (dim or range(a.ndim))):
        return  # a count of size-1 reductions: PyTorch's first such backward takes 0.5 s
    x, tx = pair(a)
    same(
        lm.vector_norm(x, p, dim, keepdim), torch.linalg.vector_norm(tx, p, dim, keepdim), [(x, tx)]
    )


def test_vector_norm_dtype() -> None:
    x, tx = pair(RNG.standard_normal((2, 3)).astype(np.float32))
    theirs = torch.linalg.vector_norm(tx, 3, 1, dtype=torch.float64)
    same(lm.vector_norm(x, 3, 1, dtype=np.float64), theirs, [(x, tx)])


@pytest.mark.parametrize("p", ["fro", 1, -1, INF, -INF])
@pytest.mark.parametrize("dim", [(-2, -1), (2, 0), (0, 1)])
def test_matrix_norm(p: Any, dim: tuple[int, int]) -> None:
    a = RNG.standard_normal((2, 3, 4))
    a[0, 1] = a[0, 2]  # ties among the sums share the gradient
    for keepdim in (False, True):
        x, tx = pair(a)
        ours = lm.matrix_norm(x, p, dim, keepdim)
        same(ours, torch.linalg.matrix_norm(tx, p, dim, keepdim), [(x, tx)])


@pytest.mark.parametrize("p", [2, -2, "nuc"])
def test_singular_value_norms(p: Any) -> None:
    pytest.importorskip("tinygrad_lite.linalg_decomp")
    a = RNG.standard_normal((2, 3, 4))
    x, tx = pair(a)
    same(
        lm.matrix_norm(x, p, (2, 0), True),
        torch.linalg.matrix_norm(tx, p, (2, 0), True),
        [(x, tx)],
        1e-10,
    )


@pytest.mark.parametrize("shape", [(4,), (3, 4), (2, 3, 4)])
def test_norm_dispatch(shape: tuple[int, ...]) -> None:
    a = RNG.standard_normal(shape)
    for p in [None, "fro", "nuc", 1, -2, INF, 0, 3.0]:
        for dim in [None, 0, (1,), (1, 0), (0, 1, 2), ()]:
            two = len(shape) == 2 if dim is None else not isinstance(dim, int) and len(dim) == 2
            if p in (-2, "nuc") and two and len(shape) > 1 and not HAS_DECOMP:
                continue  # a singular values' norm
            try:
                ours, theirs = both("norm", a, p, dim)
                if ours is not None:
                    same(ours, theirs, tol=1e-10)
            except AssertionError as e:
                raise AssertionError(f"norm(shape {shape}, ord={p!r}, dim={dim!r}): {e}") from e


def test_matrix_norm_empty_matrices_and_refusals() -> None:
    for shape in [(2, 3, 0), (2, 0, 3), (0, 3, 2)]:
        for p in ["fro", 1, -1, INF, -INF]:
            ours, theirs = both("matrix_norm", np.zeros(shape), p)
            if ours is not None:
                same(ours, theirs)
    for p in [3, 0, "abc"]:
        assert both("matrix_norm", np.ones((2, 2)), p) == (None, None)
    assert both("matrix_norm", np.ones((2, 2)), dim=(1, -1)) == (None, None)
    with pytest.raises(RuntimeError, match="without narrowing"):
        torch.linalg.vector_norm(torch.ones(2, dtype=torch.float64), dtype=torch.float32)
    with pytest.raises(TypeError, match="without narrowing"):
        lm.vector_norm(Tensor(np.ones(2)), dtype=np.float32)


# ------------------------------------------------------------------------------ products


def test_products() -> None:
    a, b = RNG.standard_normal((2, 4, 3)), RNG.standard_normal((1, 4, 3))
    (x, tx), (y, ty) = pair(a), pair(b)
    same(lm.cross(x, y), torch.linalg.cross(tx, ty), [(x, tx), (y, ty)])
    (x, tx), (y, ty) = pair(a), pair(b)
    same(lm.vecdot(x, y, dim=1), torch.linalg.vecdot(tx, ty, dim=1), [(x, tx), (y, ty)])
    (x, tx), (y, ty) = pair(a), pair(b[0].T.copy())
    same(lm.matmul(x, y), torch.linalg.matmul(tx, ty), [(x, tx), (y, ty)])
    x, tx = pair(a)
    same(lm.diagonal(x, offset=-1), torch.linalg.diagonal(tx, offset=-1), [(x, tx)])
    sq = RNG.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    for n in (-2, 0, 1, 5):
        x, tx = pair(sq)
        same(lm.matrix_power(x, n), torch.linalg.matrix_power(tx, n), [(x, tx)] if n else ())
    assert both("cross", np.ones((2, 3)), np.ones(3)) == (None, None)
    assert both("vecdot", np.ones(3), np.ones(3, np.float32)) == (None, None)


@pytest.mark.parametrize(
    "shapes",
    [[(3,), (3,)], [(2, 3), (3,)], [(3,), (3, 5), (5, 2), (2, 4), (4,)], [(6, 1), (1, 7), (7, 2)],
     [(1, 5), (5, 3), (3, 8), (8, 2)], [(3,), (2, 2)], [(2, 2, 2), (2, 2)], [(0, 3), (3, 2)]],
)  # fmt: skip
def test_multi_dot(shapes: list[tuple[int, ...]]) -> None:
    arrays = [RNG.standard_normal(s) for s in shapes]
    ours, theirs = both("multi_dot", arrays)
    if ours is None:
        return
    pairs = [pair(a) for a in arrays]
    ours = lm.multi_dot([p[0] for p in pairs])
    same(ours, torch.linalg.multi_dot([p[1] for p in pairs]), pairs if ours.size else ())


@pytest.mark.parametrize(
    ("x", "N"),
    [(np.array([2.0, -1.0, 0.0]), None), (RNG.standard_normal((2, 3)), 4), (np.array(2.0), 3),
     (np.array([2, 3], np.int32), None), (np.array([1.0]), None), (np.ones((2, 0)), 3)],
)  # fmt: skip
def test_vander(x: np.ndarray, N: int | None) -> None:  # noqa: N803
    ours, theirs = both("vander", x, N=N)
    if ours is None:
        return
    if x.dtype.kind != "f" or not x.size:
        same(ours, theirs)
        return
    t, tt = pair(x)
    same(lm.vander(t, N=N), torch.linalg.vander(tt, N=N), [(t, tt)])


# ------------------------------------------------------------------------------ matrix_exp


def close_to(ours: np.ndarray, theirs: np.ndarray, rel: float) -> None:
    """Equal to `rel` of the largest value (e^A's entries span many magnitudes)."""
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    assert np.abs(ours - theirs).max() <= rel * np.abs(theirs).max()


@pytest.mark.parametrize("scale", [1e-3, 0.2, 1.5, 4.0, 40.0])
def test_matrix_exp(scale: float) -> None:
    a = RNG.standard_normal((2, 3, 3))
    a = a / np.abs(a).sum(-2).max(-1)[:, None, None] * scale * np.array([1.0, 0.3])[:, None, None]
    (x, tx), up = pair(a), RNG.standard_normal(a.shape)
    ours, theirs = ls.matrix_exp(x), torch.linalg.matrix_exp(tx)
    close_to(ours.data, theirs.detach().numpy(), 5e-14)
    ours.backward(up)
    (theirs * torch.from_numpy(up)).sum().backward()
    close_to(x.grad.data, tx.grad.numpy(), 5e-14)  # type: ignore[union-attr]
    x32 = Tensor(a.astype(np.float32))
    expected = torch.linalg.matrix_exp(torch.from_numpy(a.astype(np.float32))).numpy()
    close_to(ls.matrix_exp(x32).data, expected, 5e-6)


def test_matrix_exp_second_derivative() -> None:
    x, tx = pair(RNG.standard_normal((3, 3)))
    w = RNG.standard_normal((3, 3))
    (g,) = tg.grad(ls.matrix_exp(x).sum(), [x], create_graph=True)
    (tg_,) = torch.autograd.grad(torch.linalg.matrix_exp(tx).sum(), [tx], create_graph=True)
    (h,) = tg.grad((g * Tensor(w)).sum(), [x])
    (th,) = torch.autograd.grad((tg_ * torch.from_numpy(w)).sum(), [tx])
    np.testing.assert_allclose(h.data, th.numpy(), rtol=1e-11, atol=1e-12)


# ------------------------------------------------------------------------------ tensor solves


def test_tensorinv_and_tensorsolve() -> None:
    a = RNG.standard_normal((6, 2, 3)) + np.eye(6).reshape(6, 2, 3) * 3
    x, tx = pair(a)
    same(ls.tensorinv(x, 1), torch.linalg.tensorinv(tx, 1), [(x, tx)])
    (x, tx), (y, ty) = pair(a), pair(RNG.standard_normal((2, 3)))
    same(ls.tensorsolve(x, y, (0,)), torch.linalg.tensorsolve(tx, ty, (0,)), [(x, tx), (y, ty)])
    (x, tx), (y, ty) = pair(a.reshape(2, 3, 6)), pair(RNG.standard_normal((3, 2)))
    same(ls.tensorsolve(x, y), torch.linalg.tensorsolve(tx, ty), [(x, tx), (y, ty)])
    for shape in [(2, 3, 5), (4, 2, 2)]:
        for ind in (0, 1, 2, 4):
            assert both("tensorinv", np.ones(shape), ind) == (None, None)
    assert both("tensorsolve", np.ones((3, 2)), np.ones(2)) == (None, None)


SINGULAR = np.array(  # exact zero pivots: LAPACK's info 3, 1, 1, 0, 3, 0
    [[[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]],
     [[0.0, 2.0, 3.0], [0.0, 4.0, 6.0], [0.0, 0.0, 1.0]],
     np.zeros((3, 3)),
     np.eye(3) * 2,
     [[1.0, 2.0, 0.0], [1.0, 2.0, 0.0], [3.0, 1.0, 1.0]],
     [[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]]]
)  # fmt: skip


def test_inv_ex_and_solve_ex() -> None:
    ok = [3, 5]
    x, tx = pair(SINGULAR)
    ours, theirs = ls.inv_ex(x), torch.linalg.inv_ex(tx)
    assert ours.info.tolist() == theirs.info.tolist() and ours.info.dtype == np.int32
    ours.inverse[ok].sum().backward()
    theirs.inverse[ok].sum().backward()  # NaN for the singular ones, 0 here
    same(ours.inverse[ok], theirs.inverse[ok])
    np.testing.assert_allclose(x.grad.data[ok], tx.grad.numpy()[ok], rtol=1e-12)  # type: ignore[union-attr]
    assert not x.grad.data[[0, 1, 2, 4]].any()  # type: ignore[union-attr]
    for left in (True, False):
        b = RNG.standard_normal((2, 1, 3, 2) if left else (2, 1, 2, 3))
        ours_x, ours_info = ls.solve_ex(Tensor(SINGULAR), Tensor(b), left=left)
        theirs_x, theirs_info = torch.linalg.solve_ex(
            torch.from_numpy(SINGULAR), torch.from_numpy(b), left=left
        )
        assert ours_info.tolist() == theirs_info.tolist()
        same(ours_x[:, ok], theirs_x[:, ok])
    nan = np.array([[np.nan, 1.0], [1.0, 1.0]])
    assert ls.inv_ex(Tensor(nan)).info.item() == torch.linalg.inv_ex(torch.from_numpy(nan)).info
    with pytest.raises(ValueError, match=r"inv_ex: the matrix \(batch element \(0,\)"):
        ls.inv_ex(Tensor(SINGULAR), check_errors=True)
    with pytest.raises(torch.linalg.LinAlgError):
        torch.linalg.inv_ex(torch.from_numpy(SINGULAR), check_errors=True)
