"""Differential audit of the top-level math, product and reduction functions against torch."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import toplevel, toplevel_calc, toplevel_elem, toplevel_more

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch's deprecation notes

from tests.test_linalg_audit_torch import _torch_float64, check, rand, run_cases  # noqa: E402, F401

F4, F8, I8 = np.float32, np.float64, np.int64
MODULES = (toplevel, toplevel_calc, toplevel_elem, toplevel_more)
CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], dict[str, Any]]] = []


def lenient(name: str, other: bool = True) -> Any:
    """torch.<name>, where it takes tensors only: what ours accepts besides (a Python number as
    `other`, integer or bool inputs of float functions) is PyTorch's answer for the tensor or
    the float tensor (a documented extension)."""

    def fn(*args: Any, **kwargs: Any) -> Any:
        f = getattr(torch, name)
        try:
            return f(*args, **kwargs)
        except (RuntimeError, TypeError, NotImplementedError):
            pass
        if (
            other and len(args) == 2 and isinstance(args[1], (int, float))
        ):  # a Python number as `other`
            args = (args[0], torch.tensor(float(args[1])))
        args = tuple(
            a.double() if isinstance(a, torch.Tensor) and not a.is_floating_point() else a
            for a in args
        )
        return f(*args, **kwargs)

    return fn


def promoted(name: str) -> Any:
    """torch.<name> of float tensors cast to their NumPy promotion (ours promotes; PyTorch's
    linear algebra and lerp refuse mixed dtypes)."""

    def fn(*args: Any, **kwargs: Any) -> Any:
        floats = [a.dtype for a in args if isinstance(a, torch.Tensor) and a.is_floating_point()]
        if torch.float64 in floats:
            args = tuple(a.double() if isinstance(a, torch.Tensor) else a for a in args)
        return getattr(torch, name)(*args, **kwargs)

    return fn


def case(name: str, *args: Any, opts: dict[str, Any] | None = None, **kwargs: Any) -> None:
    CASES.append((name, args, kwargs, opts or {}))


A, B = rand(2, 3), rand(2, 3, seed=1)
POS = np.abs(A) + 0.5
UNIT = np.tanh(A) * 0.9
INTS = np.array([[3, -1, 4], [1, -5, 9]])
BOOLS = np.array([True, False, True])
for name in ("abs", "sqrt", "exp", "log", "sigmoid", "tanh", "relu", "tan", "atan", "asin",
             "acos", "sinh", "cosh", "asinh", "atanh", "sinc", "log2", "log10", "exp2", "logit",
             "arcsin", "arccos", "arctan", "arcsinh", "arctanh", "deg2rad", "rad2deg", "frac",
             "signbit", "logical_not", "nan_to_num"):  # fmt: skip
    x = UNIT if name in ("asin", "acos", "atanh", "arcsin", "arccos", "arctanh") else POS
    x = x / 2 if name == "logit" else x
    case(name, x)
    case(name, x.astype(F4))
    case(name, INTS, opts={"grad": False, "theirs": name != "frac" and lenient(name)})
for name in ("acosh", "arccosh"):
    case(name, POS + 1)
    case(name, INTS, opts={"errstate": True})
case("logit", UNIT, 0.1)
case("nan_to_num", np.array([np.nan, np.inf, -np.inf, 1.0]), opts={"grad": False})
case("nan_to_num", np.array([np.nan, np.inf, -np.inf, 1.0]), 1.0, 2.0, -3.0)
case("nan_to_num", np.array([np.nan, np.inf, -np.inf]).astype(F4), opts={"grad": False})
case("signbit", np.array([-0.0, 0.0, -np.nan, -np.inf]))
case("frac", np.array([-1.5, 2.25, -0.0]))
case("sinc", np.array([0.0, 1.0, -2.5]))
case("relu", np.array([-1, 2]))
for name in ("atan2", "arctan2", "hypot", "logaddexp", "logaddexp2", "xlogy", "copysign", "div",
             "remainder", "fmod", "floor_divide", "logical_and", "logical_or", "logical_xor",
             "clamp_min", "clamp_max", "heaviside"):  # fmt: skip
    g = {"grad": name not in ("floor_divide", "heaviside"), "theirs": lenient(name)}
    case(name, A, B, opts=g)
    case(name, A, B[:1], opts=g)
    case(name, A.astype(F4), B.astype(F4), opts=g)
    case(name, INTS, np.array([2, -3, 1]), opts={**g, "grad": False})
    case(name, A, 2.5 if name != "heaviside" else np.array(0.5), opts=g)
for name in ("div", "remainder", "fmod", "floor_divide", "copysign", "atan2", "xlogy", "hypot"):
    g = {"grad": name != "floor_divide", "theirs": lenient(name)}
    case(name, A.astype(F4), 2, opts=g)
    case(name, INTS, 2, opts=g)
    case(name, INTS, 2.5, opts=g)
case("div", A, B, rounding_mode="floor", opts={"grad": False})  # rounded: no gradient here
case("div", A, B, rounding_mode="trunc", opts={"grad": False})
case("div", INTS, np.array([2, -3, 1]), rounding_mode="trunc")
case("div", INTS, np.array([2, -3, 1]))
case("div", A, B, rounding_mode="round")
case("xlogy", np.array([0.0, 0.0, 2.0]), np.array([0.0, np.nan, 3.0]), opts={"grad": False})
case("xlogy", 2.0, POS)
case("heaviside", np.array([-1.0, 0.0, 2.0]), np.array([0.5]), opts={"grad": False})
case("heaviside", np.array([-1.0, 0.0, 2.0]), 0.5)
case("lerp", A, B, 0.3)
case("lerp", A, B, rand(2, 1, seed=3))
case("lerp", A.astype(F4), B.astype(F4), 0.5)
case("lerp", A, B.astype(F4), 0.5, opts={"theirs": promoted("lerp")})
for lo, hi in ((-0.5, 0.5), (None, 0.2), (-0.2, None), (0.5, -0.5)):
    case("clamp", A, lo, hi)
case("clamp", A, rand(2, 1, seed=4), rand(3, seed=5) + 1)
case("clamp", A, None, B)
case("clamp", INTS, -1, 2)
case("clamp", INTS, -1.5, 2)
case("clamp", INTS, 0.5)
case("clamp", A.astype(F4), -1, 0.5)
case("clamp", A)
case("clamp", np.array([np.nan, 1.0]), 0.0, 0.5, opts={"grad": False})
# reductions
for name in ("sum", "mean", "prod", "amax", "amin", "logsumexp", "std", "var", "nansum",
             "nanmean", "argmax", "argmin"):  # fmt: skip
    case(name, A, 1)
    case(name, A, -1, True)
    if name == "prod":  # PyTorch's takes one dim: ours takes several
        case(name, rand(2, 3, 4), (0, 2), opts={"theirs": lambda x, d: x.prod(2).prod(0)})
    else:
        case(name, rand(2, 3, 4), (0, 2))
    if name not in ("logsumexp",):
        case(name, A)
    case(name, INTS, 0, opts={"grad": False, "theirs": name != "nanmean" and lenient(name, False)})
    case(name, A.astype(F4), 0)
    case(name, np.zeros((0, 3)), 1)
case("sum", BOOLS)
case("sum", INTS.astype(np.int32))
case("prod", BOOLS)
case("mean", INTS, opts={"theirs": lenient("mean", False)})
case("std", A, 1, correction=0)
case("var", A, (0, 1), correction=2, keepdim=True)
case("var", rand(1, 3), 0)
case("nansum", np.array([[np.nan, 1.0], [2.0, np.nan]]), 0)
case("nanmean", np.array([[np.nan, 1.0], [2.0, np.nan]]), 1)
case("nanmean", np.array([[np.nan, np.nan]]), 1, opts={"errstate": True})
for name in ("max", "min"):
    case(name, A)
    case(name, A, 1)
    case(name, A, 0, True)
    case(name, A, B)
    case(name, INTS, 1)
for name in ("median", "nanmedian"):
    case(name, rand(2, 4))
    case(name, rand(2, 4), 1)
    case(name, rand(2, 3), 0, True)
    case(name, np.array([[1.0, np.nan, 3.0], [2.0, 1.0, 0.0]]), 1, opts={"grad": False})
    case(name, INTS, 1)
for name in ("std_mean", "var_mean"):
    case(name, A)
    case(name, A, 1)
    case(name, A, 1, True)
    case(name, A, (0, 1), keepdim=True, correction=0)
case("cummax", A, 1)
case("cummin", A, 0)
case("cummax", INTS, -1)
case("cummin", np.array([1.0, np.nan, 0.0, 2.0]), 0, opts={"grad": False})
case("logcumsumexp", A, 1)
case("logcumsumexp", np.array([-np.inf, -np.inf, 0.0]), 0, opts={"grad": False})
case("norm", A)
case("norm", A, 1, 1)
case("norm", A, math.inf, (0, 1))
case("norm", A, "fro", 1, True)
case("norm", A, "nuc", opts={"refuse": True})  # refused here: tg.linalg.matrix_norm(A, "nuc")
case("norm", A, 3)
# products
for name, x, y in (("matmul", A, B.T), ("matmul", rand(3), rand(2, 3, 4)), ("mm", A, B.T),
                   ("dot", rand(3), rand(3)), ("outer", rand(3), rand(2)),
                   ("inner", A, B), ("inner", rand(3), rand(3)), ("vdot", rand(3), rand(3)),
                   ("bmm", rand(2, 2, 3), rand(2, 3, 4)), ("kron", A, B), ("kron", rand(3), A),
                   ("kron", rand(2, 1, 2), rand(3, 2)), ("dist", A, B),
                   ("dist", A, B[0])):  # fmt: skip
    case(name, x, y)
    case(name, x.astype(F4), y.astype(F4))
    mixed = name in ("dot", "inner", "vdot") or promoted(name)  # the first three refuse
    case(name, x, y.astype(F4), opts={"theirs": mixed})
for name in ("dot", "mm", "bmm", "matmul", "kron", "inner", "outer"):
    x = INTS[0] if name == "dot" else INTS.reshape(1, 2, 3) if name == "bmm" else INTS
    y = INTS[0] if name == "dot" else INTS.reshape(1, 3, 2) if name == "bmm" else INTS.T.copy()
    case(name, x, y if name != "inner" else INTS)
case("dot", rand(3), rand(4))
case("mm", rand(3), rand(3, 2))
for p in (0, 1, 2, 3, math.inf, -math.inf, 0.5):
    case("dist", A, B, p, opts={"grad": p != 0})  # PyTorch's p = 0 backward fails
    case("cdist", rand(4, 3), rand(5, 3), p)
case("cdist", rand(2, 4, 3), rand(1, 5, 3))
case(
    "cdist",
    rand(4, 3),
    rand(5, 3),
    compute_mode="use_mm_for_euclid_dist",
    opts={"tol": 1e-7, "grad": False},
)  # ours: the exact gradient, PyTorch's: the mm form's
case("cdist", rand(4, 3), rand(5, 3), compute_mode="donot_use_mm_for_euclid_dist")
case("cdist", rand(4, 3), rand(5, 3), compute_mode="bad")
case("cdist", rand(4, 3), rand(5, 2))
case("cdist", rand(4, 3), rand(4, 3), -1)
case("cdist", rand(4, 3).astype(F4), rand(5, 3).astype(F4))
case("cdist", np.zeros((0, 3)), rand(5, 3))
case("cross", rand(2, 3), rand(2, 3))
case("cross", rand(3, 2), rand(3, 2), 0)
case("cross", rand(3, 3), rand(3, 3))
case("cross", rand(2, 3), rand(3))
case("cross", rand(2, 4), rand(2, 4))
case("chain_matmul", rand(2, 3), rand(3, 4), rand(4, 1))
case("chain_matmul", rand(2, 3))
case("chain_matmul", rand(2, 3), rand(2, 3))
case("matrix_power", rand(2, 3, 3) + 3 * np.eye(3), -2)
case("matrix_power", INTS[:, :2].reshape(1, 2, 2).repeat(2, 0), 0)
case("addmm", A, A, rand(3, 3), beta=0.5, alpha=2.0)
case("addmm", rand(3), A, rand(3, 3))
case("addmm", INTS, INTS, np.eye(3, dtype=I8), beta=2)
case("addmm", np.full((2, 3), np.nan), A, rand(3, 3), beta=0, opts={"grad": False})
case("baddbmm", rand(2, 2, 4), rand(2, 2, 3), rand(2, 3, 4), beta=0.5, alpha=-1)
case("baddbmm", rand(1, 4), rand(2, 2, 3), rand(2, 3, 4))
# shapes and indexing
for name, args in (("reshape", ((3, 2),)), ("reshape", ((-1,),)), ("flatten", ()),
                   ("flatten", (1,)), ("squeeze", ()), ("squeeze", (0,)), ("unsqueeze", (-1,)),
                   ("transpose", (0, -1)), ("permute", ((1, 0),)), ("broadcast_to", ((4, 2, 3),)),
                   ("split", (1,)), ("split", ([1, 2], 1)), ("chunk", (2, 1)), ("chunk", (5, 1)),
                   ("diag", ()), ("tril", ()), ("tril", (-1,)), ("triu", (1,)),
                   ("unflatten", (1, (3, 1))), ("diagonal", ()), ("diagonal", (1, 1, 0)),
                   ("numel", ()), ("is_tensor", ()), ("softmax", (1,)),
                   ("log_softmax", (0,))):  # fmt: skip
    case(name, A, *args)
case("diag", rand(3))
case("diag", rand(3), -1)
case("squeeze", rand(1, 3, 1), (0, 2))
case("unflatten", A, -1, (-1, 3))
case("softmax", INTS, 1, opts={"theirs": lenient("softmax", False)})
D = rand(3, 4)
IDX = np.array([[0, 2], [1, 0], [2, 3]])  # no repeats: PyTorch's scatter is then defined
case("take", D, np.array([[0, 11], [5, -1]]))
case("take", D, np.array([12]))
case("take_along_dim", D, IDX, 1)
case("take_along_dim", D, np.array([3, 0]))
case("take_along_dim", D, np.array([[0, 1, 2, 0]]), 0)
case("index_add", D, 1, np.array([0, 0, 3]), rand(3, 3, seed=9), alpha=2.0)
case("index_add", D, 0, np.array([2, 2]), rand(2, 4, seed=9))
case("scatter", D, 1, IDX, rand(3, 2, seed=9))
case("scatter", D, 1, IDX, value=2.5)
case("scatter", D, 1, IDX, rand(3, 2, seed=9), reduce="add", opts={"grad": False})
case("scatter_add", D, 0, IDX, rand(3, 2, seed=9))
for red in ("sum", "prod", "mean", "amax", "amin"):
    for inc in (True, False):
        case("scatter_reduce", D, 1, IDX, rand(3, 2, seed=9), red, include_self=inc)
case("scatter_reduce", D, 1, IDX, rand(3, 2, seed=9), "max", opts={"grad": False})
# einsum, tensordot, diff
E1, E2, E3 = rand(2, 3), rand(3, 4), rand(4)
for eq, ops in (("ij,jk->ik", (E1, E2)), ("ij,jk", (E1, E2)), ("ii->i", (rand(3, 3),)),
                ("ii", (rand(3, 3),)), ("ij->ji", (E1,)), ("...j,j->...", (E2, E3)),
                ("i,i->", (E3, E3)), ("i,j->ij", (E3, E3[:2])), ("bij,bjk->bik", (rand(2, 2, 3),
                rand(2, 3, 2))), ("ij,jk,k->i", (E1, E2, E3)), ("ij->", (E1,)),
                ("i j , j k -> i k", (E1, E2)), ("ba...,a...->b", (rand(2, 3, 4), rand(3, 4))),
                ("ij,jk->ik", (E1, E1)), ("ij,jk->iz", (E1, E2))):  # fmt: skip
    case("einsum", eq, *ops)
case("einsum", "ij,jk->ik", [E1, E2])
case("einsum", "ij,jk->ik", E1.astype(F4), E2.astype(F4))
case("einsum", "i,i->", np.arange(3), np.arange(3))
T1, T2 = rand(2, 3, 4), rand(3, 4, 5)
for dims in (2, 1, 0, ([1, 2], [0, 1]), ((2,), (1,)), [[1], [0]], ([], [])):
    case("tensordot", T1, T2 if dims != ((2,), (1,)) else T2, dims)
case("tensordot", T1, T2, 3)
case("tensordot", T1, T2, ([0], [0]))
case("tensordot", T1.astype(F4), T2.astype(F4), 2)
for n in (1, 2, 3, 0):
    case("diff", A, n)
case("diff", A, 1, 0)
case("diff", A, 1, -1, rand(2, 1, seed=2), rand(2, 2, seed=3))
case("diff", A, 2, 0, rand(1, 3, seed=2))
case("diff", A, 1, -1, None, rand(2, 2, seed=3))
case("diff", INTS, 1)
case("diff", BOOLS)
case("diff", A, -1)
case("diff", np.array(1.0))
case("diff", A, 1, -1, rand(3, 1))
# comparisons that return Python values
case("allclose", A, A + 1e-9)
case("allclose", A, B, rtol=10.0)
case("allclose", np.array([np.nan]), np.array([np.nan]), equal_nan=True)
case("isclose", A, A + 1e-9)
case("isclose", np.array([np.nan, 1.0]), np.array([np.nan, 1.1]), atol=0.2, equal_nan=True)
case("isclose", INTS, INTS + 1, atol=1)
case("equal", A, A)
case("equal", A, A[:1])
case("equal", INTS, INTS.astype(F8))

SKIP = {"inference_mode"}  # a context manager: tested below


def test_inference_mode() -> None:
    x = tg.tensor([1.0], requires_grad=True)
    with tg.inference_mode():
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad


def one_case(name: str, args: Any, kwargs: Any, opts: Any) -> None:
    mod = next(m for m in MODULES if name in m.__all__)
    ours, theirs = getattr(mod, name), opts.get("theirs") or getattr(torch, name)
    theirs = getattr(torch, name) if theirs is True else theirs
    post, tol = opts.get("post"), opts.get("tol", 1e-12)
    if opts.get("refuse"):  # a deliberate refusal where PyTorch answers
        with pytest.raises((ValueError, TypeError)):
            ours(*[tg.tensor(a) if isinstance(a, np.ndarray) else a for a in args], **kwargs)
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


def test_every_name_has_a_case() -> None:
    names = {n for m in MODULES for n in m.__all__}
    missing = names - SKIP - {c[0] for c in CASES}
    assert not missing, f"names without a case: {sorted(missing)}"
