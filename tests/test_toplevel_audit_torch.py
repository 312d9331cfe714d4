"""Differential audit of top-level creation, grid, set and statistics functions against torch."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import creation, toplevel_grid, toplevel_sets, toplevel_stat

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch's deprecation notes

from tests.test_linalg_audit_torch import _torch_float64, check, compare, convert, rand, run_cases  # noqa: E402, F401

F4, F8, I8 = np.float32, np.float64, np.int64
MODULES = (creation, toplevel_grid, toplevel_sets, toplevel_stat)
CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], dict[str, Any]]] = []


def case(name: str, *args: Any, opts: dict[str, Any] | None = None, **kwargs: Any) -> None:
    CASES.append((name, args, kwargs, opts or {}))


def meta(r: Any) -> Any:
    """Shape and dtype only (values that are random or undefined)."""
    return tuple(r.shape), str(r.dtype).replace("torch.", "")


def d(name: str) -> np.dtype[Any]:
    return np.dtype(name)


INTS = np.array([3, 1, 4, 1, 5, 9, 2, 6])
# creation: dtype inference and copies
for data in ([1, 2], [1.0, 2], 3.5, [True, False], [[1, 2], [3, 4]], [], np.float32(2.0)):
    case("tensor", data)
case("tensor", np.arange(3, dtype=np.int32))
case("tensor", rand(2, 3, dtype=F4))
case("tensor", [1, 2], dtype=d("float32"))
case("tensor", [1.7, -1.7], dtype=d("int64"))
case("tensor", [[1, 2], [3]])
for shape in ((2, 3), ((2, 3),), ((),), (0, 2)):
    case("zeros", *shape)
    case("ones", *shape)
case("zeros", 2, dtype=d("int32"))
case("ones", 2, dtype=d("bool"))
case("zeros", -1)
for fill in (3, 3.0, True, -2.5, np.float32(1.5), np.int32(7)):
    case("full", (2,), fill)
case("full", (2, 2), 3, dtype=d("float32"))
case("full", (), 1.5)
case("full", (2,), 1.5, dtype=d("int64"))
for like in ("zeros_like", "ones_like"):
    case(like, rand(2, 3, dtype=F4))
    case(like, INTS)
    case(like, INTS, dtype=d("float64"))
case("full_like", INTS, 2.7)
case("full_like", rand(2, dtype=F4), 7)
case("full_like", INTS, 2.5, dtype=d("float32"))
case("full_like", np.array([True]), 0)
for args in ((5,), (0, 1, 0.1), (1, 0, -0.25), (0.5, 3), (0, 10, 3), (10, 0, -3), (0, 1, 0.3),
             (-1.5, 1.5, 0.5), (0, 0), (3, 1), (1, 2.5, 0.5), (0, 1, 1 / 3),
             (1e-3, 1, 0.1)):  # fmt: skip
    case("arange", *args)
case("arange", 0, 5, 1.5, dtype=d("int64"))
case("arange", 5, dtype=d("float32"))
case("arange", 0, 1, 0.1, dtype=d("float32"))
case("arange", 0, 1, 0)
case("arange", 0, 1, -1)
case("arange", 0, math.inf)
case("eye", 3)
case("eye", 2, 3)
case("eye", 3, 2, dtype=d("int64"))
case("eye", 0)
case("eye", -1)
for like in ("randn", "rand"):
    case(like, 2, 3, opts={"post": meta})
    case(like, (2, 3), dtype=d("float32"), opts={"post": meta})
case("empty", 2, 3, opts={"post": meta})
case("empty", (0, 2), dtype=d("int64"), opts={"post": meta})
for args in ((0, 1, 5), (0, 1, 1), (0, 1, 0), (2, -2, 4), (1, 10, 4)):
    case("linspace", *args)
case("linspace", 0, 10, 5, dtype=d("int64"))
case("linspace", 0.5, 3.7, 3, dtype=d("int64"))
case("linspace", -3.7, 0.5, 3, dtype=d("int32"))
case("linspace", -1, 1.3, 7, dtype=d("float32"))
case("linspace", 0, 1, 3, dtype=d("float32"))
case("linspace", 0, 1, -1)
for args in ((0, 3, 4), (-2, 2, 5), (0, 3, 4, 2), (0.5, 2.5, 3, 2.0), (0, 1, 1), (0, 1, 0)):
    case("logspace", *args)
    case("logspace", *args, dtype=d("float32"))
    case("logspace", *args, dtype=d("int64"))
case("empty_like", rand(2, dtype=F4), opts={"post": meta})
case("empty_like", INTS, dtype=d("float64"), opts={"post": meta})
case("as_tensor", [1, 2.5])
case("as_tensor", INTS, dtype=d("float32"))
case("as_tensor", rand(2, dtype=F4))
# the joins: 0-D, 1-D and 2-D pieces, promotion, refusals
P1, P2, P0 = rand(3), rand(2, 3, seed=1), np.array(2.0)
for fn in ("hstack", "vstack", "row_stack", "dstack", "column_stack"):
    case(fn, [P1, P1 * 2])
    case(fn, (P0, P0))
    case(fn, [P2, P2])
    case(fn, [P1.astype(F4), P1.astype(F4)])
    case(fn, [INTS[:3], INTS[3:6]])
    case(fn, [])
case("hstack", [P1, P0])
case("vstack", [P1, P2])
case("column_stack", [P1[:2], P2.T[:2]])
case("dstack", [P2, P2[None]])
case("hstack", [P2, P1])
case("from_numpy", rand(2, 3, dtype=F4))
case("from_numpy", INTS)
case("from_numpy", np.array(2.0))
# grids
case("meshgrid", rand(2), rand(3), indexing="ij")
case("meshgrid", rand(2), rand(3), rand(4), indexing="xy")
case("meshgrid", [rand(2), rand(3)], indexing="xy")
case("meshgrid", rand(2), indexing="xy")
case("meshgrid", np.array(1.0), rand(3), indexing="ij")
case("meshgrid", rand(2), rand(3), indexing="ji")
case("meshgrid", rand(2, 2), rand(3), indexing="ij")
for fn in ("tril_indices", "triu_indices"):
    for args in ((3, 3), (3, 4, 1), (4, 3, -1), (3, 3, 10), (3, 3, -10), (0, 0), (1, 5, 2)):
        case(fn, *args)
    case(fn, 3, 3, dtype=d("int32"))
case("atleast_1d", np.array(1.0))
case("atleast_1d", rand(2, 3))
case("atleast_2d", rand(3))
case("atleast_2d", np.array(1.0), rand(3))
case("atleast_3d", rand(3))
case("atleast_3d", rand(2, 3))
case("atleast_3d", [np.array(1.0), rand(2, 3, 4, 5)])
case("broadcast_tensors", rand(2, 1), rand(3), INTS[:1])
case("broadcast_tensors", rand(2), rand(3))
case("block_diag", rand(2, 3), rand(1), np.array(2.0), rand(2, 2))
case("block_diag", rand(2, 3), INTS[:2].reshape(1, 2))
case("block_diag", rand(2, 3, dtype=F4), rand(1, 2, dtype=F4))
case("block_diag", rand(0, 2), rand(2, 0))
case("block_diag")
case("block_diag", rand(2, 2, 2))
case("cartesian_prod", rand(2), rand(3))
case("cartesian_prod", rand(3))
case("cartesian_prod", INTS[:2], INTS[:3], INTS[:2])
case("cartesian_prod", rand(2), INTS[:2])
for r, wr in ((2, False), (3, False), (2, True), (0, False), (5, False), (3, True), (1, False)):
    case("combinations", rand(4), r, wr)
case("combinations", INTS[:3], 2, True)
case("combinations", rand(2, 2))
case("combinations", rand(3), -1)
A = rand(2, 3, 4)
for k, dims in ((1, (0, 1)), (2, (0, 1)), (-1, (0, 1)), (3, (1, 2)), (5, (-1, 0)), (0, (0, 2))):
    case("rot90", A, k, dims)
case("rot90", A)
case("rot90", A, 1, (0, 0))
case("rot90", A, 1, (0,))
case("rot90", rand(3), 1)
for shifts, dims in ((1, None), (-2, None), (1, 0), ((1, 2), (0, 2)), ((1, -1), (-1, 0)), (7, 1)):
    case("roll", A, shifts, dims)
case("roll", A, (1, 2), 0)
case("roll", A, (1, 1), (0, 0))
case("roll", np.zeros((0, 2)), 1)


def torch_vander(x: Any, N: Any = None, increasing: bool = False) -> Any:
    """torch.vander by torch.linalg.vander (torch.vander's own backward fails)."""
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor")
    if N in (0, 1):
        return torch.vander(x.detach(), N, increasing)
    v = torch.linalg.vander(x, N=N)
    return v if increasing else v.flip(-1)


VANDER = {"theirs": torch_vander}
case("vander", rand(3), opts=VANDER)
case("vander", rand(3), 4, True, opts=VANDER)
case("vander", rand(3), 1, opts=VANDER)
case("vander", INTS[:3], 2, opts=VANDER)
case("vander", INTS[:3], 0, opts=VANDER)
case("vander", rand(2, 2), opts=VANDER)
# sets and counts
X = np.array([2.0, -1.0, 3.5, 0.0, 2.0, 9.0, -4.0])
for bins, lo, hi in ((4, 0, 0), (3, -1, 3), (5, 0, 10), (1, 2, 2), (4, 5, 1)):
    case("histc", X, bins, lo, hi)
case("histc", X.astype(F4), 3)
case("histc", INTS, 3)
case("histc", np.array([np.nan, 1.0]), 2, 0, 2, opts={"errstate": True})
case("histc", np.zeros(0), 3)
case("histc", np.array([np.inf, 1.0]), 2)
case("bincount", INTS)
case("bincount", INTS, minlength=12)
case("bincount", INTS, rand(8), opts={"grad": False})
case("bincount", INTS, rand(8, dtype=F4))
case("bincount", INTS, INTS)
case("bincount", np.zeros(0, I8))
case("bincount", np.array([-1, 2]))
case("bincount", rand(3))
case("bincount", INTS.reshape(2, 4))
SEQ = np.array([1.0, 2.0, 2.0, 3.0, 5.0])
V = np.array([[0.0, 2.0, 6.0], [2.0, 3.0, 1.5]])
case("searchsorted", SEQ, V)
case("searchsorted", SEQ, V, right=True)
case("searchsorted", SEQ, V, side="right")
case("searchsorted", SEQ, V, side="left", out_int32=True)
case("searchsorted", SEQ, V, side="left", right=True)
case("searchsorted", SEQ, 2.0)
case("searchsorted", np.array([[1, 3, 5], [2, 4, 6]]), np.array([[3], [3]]))
case("searchsorted", np.array([5.0, 1.0, 3.0]), V, sorter=np.array([1, 2, 0]))
case("searchsorted", SEQ, V.astype(F4))
case("searchsorted", SEQ, np.array([np.nan, np.inf, -np.inf]))
case("searchsorted", np.array([[1.0, 2.0]]), V)
case("bucketize", V, SEQ)
case("bucketize", V, SEQ, right=True, out_int32=True)
case("bucketize", 2.0, SEQ)
case("bucketize", INTS, SEQ)
case("bucketize", V, np.array([[1.0, 2.0]]))
U = np.array([3, 1, 3, 2, 1, 1])
M = np.array([[1, 2], [1, 2], [0, 5], [1, 2]])
for kw in ({}, {"return_inverse": True}, {"return_counts": True},
           {"return_inverse": True, "return_counts": True}):  # fmt: skip
    case("unique", U, **kw)
    case("unique", M, dim=0, **kw)
    case("unique", M, dim=1, **kw)
    case("unique_consecutive", U, **kw)
    case("unique_consecutive", M, dim=0, **kw)
case("unique", M, dim=-2)
case("unique", np.array([2.0, np.nan, 1.0, np.nan]), opts={"errstate": True})
case("unique", np.zeros(0), opts={"grad": False})
case("unique", np.array([True, False, True]))
case("unique", U.reshape(2, 3), return_inverse=True)
case(
    "unique_consecutive",
    np.array([1.0, 1.0, 2.0, 1.0]).reshape(2, 2),
    return_counts=True,
    opts={"grad": False},
)
for inv in (False, True):
    case("isin", U, np.array([1, 9]), invert=inv)
    case("isin", U.reshape(2, 3), np.array([[3, 2]]), invert=inv)
case("isin", U, 3)
case("isin", 3, U)
case("isin", U, np.array([1.0, 2.5]))
case("isin", np.array([np.nan, 1.0]), np.array([np.nan]))
case("isin", U, U, assume_unique=True)
case("count_nonzero", np.array([[0, 1, 2], [0, 0, 3]]))
case("count_nonzero", np.array([[0, 1, 2], [0, 0, 3]]), 0)
case("count_nonzero", np.array([[0.0, -0.0, np.nan]]), (0, -1))
case("count_nonzero", np.array([True, False]))
# statistics
Y, XS = rand(2, 5), np.array([0.0, 0.5, 1.5, 2.0, 4.0])
for name in ("trapezoid", "trapz", "cumulative_trapezoid"):
    case(name, Y)
    case(name, Y, XS)
    case(name, Y, dx=0.5)
    case(name, Y.T, dim=0)
    case(name, Y, rand(2, 5))
    case(name, INTS)
    case(name, np.zeros((2, 0)))
    case(name, rand(3, dtype=F4), dx=2)
    case(name, Y, XS, dx=1.0)
case("cov", rand(3, 5))
case("cov", rand(5))
case("cov", rand(3, 5), correction=0)
case("cov", rand(3, 5), correction=2, fweights=np.array([1, 2, 1, 3, 1]))
case("cov", rand(3, 5), aweights=np.abs(rand(5)) + 0.1)
case("cov", rand(3, 5), fweights=np.array([1, 2, 1, 3, 1]), aweights=np.abs(rand(5)) + 0.1)
case("cov", INTS.reshape(2, 4))
case("cov", rand(2, 2, 2))
case("corrcoef", rand(3, 5))
case("corrcoef", rand(5))
case("corrcoef", INTS.reshape(2, 4))
case("corrcoef", rand(3, 5, dtype=F4))

RAW = {"tensor", "from_numpy", "as_tensor"}
SKIP = {"manual_seed", "generator"}  # the library's own generator: nothing of PyTorch to match


def one_case(name: str, args: Any, kwargs: Any, opts: Any) -> None:
    mod = next((m for m in MODULES if hasattr(m, name)), tg)  # some are not in tg (yet)
    ours = getattr(mod, name)
    theirs = opts.get("theirs") or getattr(torch, name)
    post, tol = opts.get("post"), opts.get("tol", 1e-12)
    if name in RAW:  # arrays go in as they are
        try:
            expected = theirs(*args, **convert(kwargs, "torch", []))
        except (RuntimeError, ValueError, TypeError) as err:
            with pytest.raises((ValueError, TypeError), match=None):
                ours(*args, **kwargs)
            return print("both refuse:", err)
        compare(ours(*args, **kwargs), expected, tol)
        return
    if opts.get("errstate") or not opts.get("grad", True):  # values only
        with np.errstate(all="ignore"), tg.no_grad(), torch.no_grad():
            check(ours, theirs, args, kwargs, post, tol)
        return
    check(ours, theirs, args, kwargs, post, tol)


@pytest.mark.parametrize("name", sorted({c[0] for c in CASES}))
def test_against_torch(name: str) -> None:
    """Every case of `name`: PyTorch's values, dtypes, refusals and gradients."""
    run_cases(one_case, [c for c in CASES if c[0] == name])


def test_tensor_copies_and_from_numpy_shares() -> None:
    a, t0 = np.zeros(3), tg.tensor([1.0, 2.0], requires_grad=True)
    t, shared, t1 = tg.tensor(a), tg.from_numpy(a), tg.tensor(t0)
    a[0] = 5.0
    assert t.tolist() == [0.0, 0.0, 0.0] and shared.tolist() == [5.0, 0.0, 0.0]
    assert not np.shares_memory(t1.data, t0.data) and not t1.requires_grad


def test_as_tensor_shares_what_it_can() -> None:
    a, t = np.zeros(2), tg.tensor([1.0])
    shared, converted = creation.as_tensor(a), creation.as_tensor(a, dtype=np.float32)
    a[0] = 3.0
    assert shared.tolist() == [3.0, 0.0] and converted.tolist() == [0.0, 0.0]
    assert creation.as_tensor(t) is t and creation.as_tensor(t, np.float64) is t


def test_every_name_has_a_case() -> None:
    names = {n for m in MODULES for n in m.__all__}
    names |= {"empty", "empty_like", "linspace", "logspace", "from_numpy", "as_tensor"}
    missing = names - SKIP - {c[0] for c in CASES}
    assert not missing, f"names without a case: {sorted(missing)}"
