"""Differential audit of the core Tensor against PyTorch: construction, operators, indexing."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True, scope="module")
def _float64_default() -> Any:
    """PyTorch's default float set to this library's (float64) while the module runs."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


# The tables are swept in full under HYPOTHESIS_PROFILE=thorough; the default run takes a fixed
# quarter of each table's cases (the first and the last always), which keeps it cheap.
THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"


def some(cases: list[Any], seed: int = 0) -> list[Any]:
    """All of `cases` in a thorough run, else every fourth (from `seed`), the first and last."""
    if THOROUGH or len(cases) <= 4:
        return list(cases)
    keep = set(range(seed % 4, len(cases), 4)) | {0, len(cases) - 1}
    return [c for i, c in enumerate(cases) if i in keep]


class T:
    """An array that becomes a tensor of either library; float64 ones are leaves with grad.

    `nc=True` makes a non-contiguous tensor: the transpose of a leaf holding the transpose.
    """

    def __init__(self, a: Any, grad: bool | None = None, nc: bool = False) -> None:
        self.a = np.asarray(a)
        self.grad = self.a.dtype == np.float64 if grad is None else grad
        self.nc = nc and self.a.ndim >= 2

    def __repr__(self) -> str:
        return f"{self.a.dtype}{self.a.shape}{'nc' if self.nc else ''}"


class D:
    """A dtype named in either library (`torch.float32` or `np.float32`)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


class Run:
    """The tensors of one library made from `T` inputs (with or without grad)."""

    def __init__(self, lib: str, grad: bool) -> None:
        self.lib, self.want_grad = lib, grad
        self.leaves: list[Any] = []

    def make(self, v: Any) -> Any:
        if isinstance(v, T):
            base = np.array(v.a.swapaxes(-1, -2) if v.nc else v.a, order="C")
            g = self.want_grad and v.grad
            if self.lib == "tg":
                t = Tensor(base.copy(), requires_grad=g)
            else:
                t = torch.from_numpy(base.copy()).requires_grad_(g)
            if g:
                self.leaves.append(t)
            return t.transpose(-1, -2) if v.nc else t
        if isinstance(v, D):
            return np.dtype(v.name) if self.lib == "tg" else getattr(torch, v.name)
        if isinstance(v, tuple):
            return tuple(self.make(e) for e in v)
        if isinstance(v, list):
            return [self.make(e) for e in v]
        return v


def _np(v: Any) -> np.ndarray:
    return v.detach().numpy() if isinstance(v, torch.Tensor) else v.data


def _flat(r: Any) -> list[Any]:
    if isinstance(r, (tuple, list)):
        return [e for part in r for e in _flat(part)]
    return [r]


def assert_same(ours: Any, theirs: Any, what: str = "") -> None:
    """Same values, shapes and dtypes: exact for integers and bools, 1e-12 for float64."""
    if isinstance(theirs, tuple) and hasattr(theirs, "indices"):  # a named (values, indices)
        assert hasattr(ours, "values") and hasattr(ours, "indices"), f"{what}: not named"
        assert_same((ours.values, ours.indices), (theirs.values, theirs.indices), what)
        return
    assert isinstance(ours, (tuple, list)) == isinstance(theirs, (tuple, list)), f"{what}: kind"
    fo, ft = _flat(ours), _flat(theirs)
    assert len(fo) == len(ft), f"{what}: {len(fo)} results, PyTorch {len(ft)}"
    for u, v in zip(fo, ft, strict=True):
        if not isinstance(v, torch.Tensor):
            if isinstance(v, torch.Size):
                v = tuple(v)
            assert type(u) is type(v), f"{what}: {type(u).__name__} {u!r}, PyTorch {v!r}"
            assert u == v or (u != u and v != v), f"{what}: {u!r}, PyTorch {v!r}"
            continue
        assert isinstance(u, Tensor), f"{what}: got {type(u).__name__}, PyTorch a tensor"
        un, vn = _np(u), _np(v)
        assert un.dtype == vn.dtype, f"{what}: dtype {un.dtype}, PyTorch {vn.dtype}"
        assert un.shape == vn.shape, f"{what}: shape {un.shape}, PyTorch {vn.shape}"
        if un.dtype.kind == "f":
            tol = {8: 1e-12, 4: 1e-6, 2: 1e-3}[un.dtype.itemsize]
            with np.errstate(invalid="ignore"):
                close = (
                    (np.abs(un - vn) <= tol * (1 + np.abs(vn)))
                    | (un == vn)
                    | (un != un) & (vn != vn)
                )
            if not close.all():  # NumPy's message, with the places that differ
                np.testing.assert_allclose(un, vn, rtol=tol, atol=tol, equal_nan=True, err_msg=what)
        elif not np.array_equal(un, vn):
            np.testing.assert_array_equal(un, vn, err_msg=what)


def is_inplace(name: Any) -> bool:
    """Whether `name` is an in-place method (`add_`, `__iadd__`)."""
    if not isinstance(name, str):
        return False
    if name.endswith("__"):
        return name[2:-2] in {"iadd", "isub", "imul", "itruediv", "ifloordiv", "imod", "ipow",
                              "iand", "ior", "ixor", "ilshift", "irshift", "imatmul"}  # fmt: skip
    return name.endswith("_")


def _apply(run: Run, name: str | Callable[..., Any], x: Any, args: Any, kw: Any) -> Any:
    xs = run.make(x)
    inplace = is_inplace(name)
    if run.want_grad and inplace and isinstance(xs, (Tensor, torch.Tensor)):
        xs = xs * 1  # an in-place op on a leaf that requires grad is refused by both
    a = [run.make(e) for e in args]
    k = {n: run.make(e) for n, e in kw.items()}
    if callable(name):
        return xs, name(run.lib, xs, *a, **k)
    if name.startswith("."):
        return xs, getattr(xs, name[1:])
    if run.lib == "torch" and not hasattr(xs, name):  # F.gelu(x) where this library has x.gelu()
        return xs, getattr(torch.nn.functional, name.replace("log_sigmoid", "logsigmoid"))(
            xs, *a, **k
        )
    return xs, getattr(xs, name)(*a, **k)


_F64 = (torch.float64, np.dtype(np.float64))


def _weights(out: Any) -> list[Any]:
    return [o for o in _flat(out) if isinstance(o, (Tensor, torch.Tensor)) and o.dtype in _F64]


# what this library refuses where PyTorch answers (a fragment of our message), deliberately
DELIBERATE_REFUSALS = (
    "does not fit the tensor's dtype",  # uint8 + -3: PyTorch wraps the number around
    "exponent must be a number or a Tensor, got a bool",
    "needs integer tensors, got dtype bool",  # shifts of bool tensors
    "is not numeric",  # complex data
    "negative integer power",  # ints to negative int powers (PyTorch: 0, ±1 or a refusal)
    "only an integer tensor with one element can be used as an index",  # bool as an index
    "do not fit dtype",  # tensor([-1], dtype=uint8): PyTorch wraps some values, refuses others
    "mT: needs at least 2 dimensions",  # PyTorch: the identity on 0-d tensors, deprecated
    "is not recorded for backward",  # x[i] = v, fill_, copy_ while an operand requires grad
    "cannot take the mean over 0 elements",  # PyTorch: NaN
)
# what PyTorch refuses where this library answers as NumPy does (a fragment of PyTorch's message)
DELIBERATE_ACCEPTS = (
    "Subtraction, the `-` operator, with a bool tensor",  # x - True
    '"abs_cpu" not implemented for',  # abs of a bool tensor: the same bools
    "Index put requires the source and destination dtypes match",  # cast as x[0] = v casts
    "not implemented for 'Long'",  # float functions of integers: computed in the default float
    "not implemented for 'Bool'",
    "must be Tensor, not",  # maximum(x, 2), logical_and(x, 2): a number beside a tensor
    "got (tuple), but expected one of",  # prod over several dims
    "Boolean inputs not supported",  # relu of bools
    "mean(): could not infer output dtype",  # the mean of integers: the default float
)


COUNT = [0]


def check(name: str | Callable[..., Any], x: Any, *args: Any, **kw: Any) -> None:
    """Run `x.name(*args, **kw)` in both libraries: both refuse, or the same values and grads."""
    COUNT[0] += 1
    what = f"{getattr(name, '__name__', name)}{(x, *args)!r} {kw}"
    res: dict[str, Any] = {}
    for lib in ("tg", "torch"):
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res[lib] = _apply(Run(lib, False), name, x, args, kw)
        except Exception as e:  # noqa: BLE001 - either library's refusal
            res[lib] = e
    o, t = res["tg"], res["torch"]
    if isinstance(o, Exception) and any(m in str(o) for m in DELIBERATE_REFUSALS):
        return
    if isinstance(t, Exception) and any(m in str(t) for m in DELIBERATE_ACCEPTS):
        return
    if isinstance(o, Exception) or isinstance(t, Exception):
        assert isinstance(o, Exception) and isinstance(t, Exception), f"{what}: {o!r} / {t!r}"
        return
    assert_same(o[1], t[1], what)
    if is_inplace(name):
        assert o[1] is o[0], f"{what}: an in-place method must return self"
        assert_same(o[0], t[0], what + " (self afterwards)")
    check_grads(name, x, args, kw, what)


def check_grads(name: Any, x: Any, args: Any, kw: Any, what: str) -> None:
    """Gradients of a fixed weighted sum of the float64 results, against torch autograd."""
    runs = {lib: Run(lib, True) for lib in ("tg", "torch")}
    outs = {}
    for lib, run in runs.items():
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                outs[lib] = _weights(_apply(run, name, x, args, kw)[1])
        except Exception as e:  # noqa: BLE001
            outs[lib] = e
    if isinstance(outs["torch"], Exception) or not runs["torch"].leaves:
        return
    if isinstance(outs["tg"], Exception):
        assert any(m in str(outs["tg"]) for m in DELIBERATE_REFUSALS), f"{what}: {outs['tg']!r}"
        return
    tos = [o for o in outs["torch"] if o.requires_grad]
    if not tos:
        return
    f32 = any(isinstance(v, T) and v.a.dtype == np.float32 for v in (x, *args, *kw.values()))
    tol = 1e-6 if f32 else 1e-10  # PyTorch computes some float32 parts in float32
    rng = np.random.default_rng(1)
    ws = [rng.standard_normal(o.shape) for o in outs["torch"]]
    assert len(outs["tg"]) == len(ws), f"{what}: {len(outs['tg'])} float64 results"
    try:
        pairs = zip(outs["torch"], ws, strict=True)
        sum((o * torch.from_numpy(w)).sum() for o, w in pairs if o.requires_grad).backward()
    except RuntimeError:  # a derivative PyTorch does not implement
        return
    tgo = [o * w for o, w in zip(outs["tg"], ws, strict=True) if o.requires_grad]
    if tgo:  # a result without grad is constant: PyTorch gives it zero gradients
        with np.errstate(all="ignore"):
            sum(o.sum() for o in tgo).backward()
    for a, b in zip(runs["tg"].leaves, runs["torch"].leaves, strict=True):
        ga = np.zeros(a.shape) if a.grad is None else a.grad.data
        gb = np.zeros(tuple(b.shape)) if b.grad is None else b.grad.numpy()
        with np.errstate(invalid="ignore"):
            close = (
                (np.abs(ga - gb) <= tol * (np.abs(gb) + 0.01))
                | (ga == gb)
                | (ga != ga) & (gb != gb)
            )
        if not close.all():
            np.testing.assert_allclose(ga, gb, rtol=tol, atol=tol / 100, err_msg=what + " grad")


def both(fn: Callable[[Any], Any], what: str = "") -> None:
    """`fn(lib)` where lib is the tinygrad_lite or torch module: both refuse, or the same."""
    res = {}
    for lib in (tg, torch):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res[lib.__name__] = fn(lib)
        except Exception as e:  # noqa: BLE001
            res[lib.__name__] = e
    o, t = res["tinygrad_lite"], res["torch"]
    if isinstance(o, Exception) and any(m in str(o) for m in DELIBERATE_REFUSALS):
        return
    if isinstance(o, Exception) or isinstance(t, Exception):
        assert isinstance(o, Exception) and isinstance(t, Exception), f"{what}: {o!r} / {t!r}"
        return
    assert_same(o, t, what)


# ---------------------------------------------------------------------------- construction

DATA = [
    2.5, 3, True, -0.0, [], [[]], [1, 2], [1, 2.5], [True, False], [True, 2], [[1.0, 2], [3, 4]],
    np.float32(1.5), np.int32(7), np.bool_(True), np.array(3), np.zeros((2, 0)),
    np.arange(6, dtype=np.int8).reshape(2, 3), np.arange(4, dtype=np.float32), np.array([True]),
    np.arange(3, dtype=np.uint8), np.arange(3, dtype=np.int16), [np.float32(1), 2.0],
    [[1, 2], [3]], "text", [1, "a"], 1 + 2j, [[[2]]], (1, 2), [np.int64(2), 3],
]  # fmt: skip


@pytest.mark.parametrize("data", DATA, ids=repr)
def test_tensor_infers_dtype_as_pytorch(data: Any) -> None:
    both(lambda lib: lib.tensor(data), f"tensor({data!r})")


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "float64", "int32", "uint8"])
def test_tensor_with_dtype(dtype: str) -> None:
    for data in ([1.7, -2.2, 0.0], [[1, 0]], 3.9, np.array([2.5], np.float32)):
        both(lambda lib, d=data: lib.tensor(d, dtype=getattr(lib, dtype)), f"{data!r} {dtype}")


def test_requires_grad_only_on_floats() -> None:
    for data in ([1, 2], [True], [1.5]):
        both(lambda lib, d=data: lib.tensor(d, requires_grad=True).requires_grad, repr(data))
        both(lambda lib, d=data: lib.tensor(d).requires_grad_().requires_grad, repr(data))


# ------------------------------------------------------------------------------ properties

X = T(np.arange(24.0).reshape(2, 3, 4) / 7)
XI = T(np.arange(24).reshape(2, 3, 4) - 11)
XB = T(np.arange(6).reshape(2, 3) % 3 == 0)
X32 = T(np.linspace(-2, 2, 6, dtype=np.float32).reshape(3, 2))
Z0 = T(2.75)
ZI = T(np.int64(-3))
EM = T(np.zeros((0, 3)))
M = T(np.arange(12.0).reshape(3, 4) / 5 - 1)
PROPS = [X, XI, XB, X32, Z0, ZI, EM, M, T(M.a, nc=True)]


@pytest.mark.parametrize("prop", [".shape", ".ndim", ".T", ".mT", ".is_leaf", ".requires_grad"])
def test_properties(prop: str) -> None:
    for x in PROPS:
        if prop == ".T" and x.a.ndim > 2:
            continue  # PyTorch deprecates .T beyond 2-D
        check(prop, x)


@pytest.mark.parametrize("name", ["item", "tolist", "numel", "size", "dim", "__len__", "__bool__",
                                  "__float__", "__int__", "__index__", "element_size"])  # fmt: skip
def test_conversions(name: str) -> None:
    for x in PROPS + [T([4.5]), T([[-2]]), T([True]), T(np.float32(0.1))]:
        check(name, x)


def test_size_with_a_dim() -> None:
    for d in (0, 1, -1, -3, 3):
        check("size", X, d)
    check("size", Z0, 0)


# ------------------------------------------------------------------------------- operators

BIN = ["__add__", "__sub__", "__mul__", "__truediv__", "__floordiv__", "__mod__", "__pow__",
       "__radd__", "__rsub__", "__rmul__", "__rtruediv__", "__rfloordiv__", "__rmod__",
       "__rpow__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__and__",
       "__or__", "__xor__", "__rand__", "__ror__", "__rxor__", "__lshift__", "__rshift__",
       "__rlshift__", "__rrshift__", "__matmul__", "__rmatmul__"]  # fmt: skip
IBIN = ["__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__", "__imod__",
        "__ipow__", "__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__"]  # fmt: skip
A = T(np.array([[1.5, -2.0, 0.5], [3.0, 0.25, -1.25]]))
B = T(np.array([0.5, 2.0, -4.0]))
AI = T(np.array([[3, -7, 0], [15, 9, -2]]))
BI = T(np.array([2, -3, 5]))
BB = T(np.array([True, False, True]))
A32 = T(A.a.astype(np.float32))
I32 = T(AI.a.astype(np.int32))
PAIRS = [(A, B), (AI, BI), (A, BI), (A32, B), (A32, T(B.a.astype(np.float32))), (BB, BB),
         (AI, BB), (I32, T(BI.a.astype(np.int32))), (T(A.a, nc=True), T([[2.0], [3.0]])),
         (Z0, A), (EM, B), (T(np.array([[1, 2], [3, 4]], np.uint8)), T(np.uint8(3)))]  # fmt: skip
MATS = [(T(np.ones((2, 3)) / 3), T(np.arange(12.0).reshape(3, 4))), (B, B), (B, M),
        (M, T([1.0, 2, 3, 4])), (T(np.ones((2, 3, 4))), T(np.ones((4, 2)))),
        (AI, T(np.ones((3, 2), np.int64))), (B, A)]  # fmt: skip
NUMBERS = [2, -3, 0.5, True]


@pytest.mark.parametrize("name", BIN + IBIN)
def test_binary_operators(name: str) -> None:
    seed = (BIN + IBIN).index(name)
    for x, y in some(MATS if "matmul" in name else PAIRS, seed):
        if name == "__rtruediv__" and x is A32:
            continue  # PyTorch computes 1/x in float32 first, then multiplies in float64
        check(name, x, y)
        if "matmul" not in name and x in (A, AI, A32, BB, PAIRS[-1][0]):
            for s in some(NUMBERS, seed):
                if not (x.a.dtype == np.uint8 and s == -3):  # compared exactly here (PyTorch
                    check(name, x, s)  # wraps -3 to 253), refused by arithmetic


def test_unary_operators() -> None:
    for x in (A, AI, BB, A32, Z0, EM, T(A.a, nc=True), T([np.nan, -np.inf, -0.0], grad=False)):
        for name in ("__neg__", "__pos__", "__abs__", "__invert__", "abs", "neg"):
            check(name, x)
