"""Differential audit of the Tensor methods of `tensor_more` against PyTorch, case by case."""

from __future__ import annotations

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


class T:
    """An array that becomes a tensor of either library (requires_grad optional)."""

    def __init__(self, a: Any, grad: bool = False) -> None:
        self.a, self.grad = np.asarray(a), grad

    def __repr__(self) -> str:
        return f"{self.a.dtype}{self.a.shape}"


def _make(v: Any, lib: str) -> Any:
    if isinstance(v, T):
        if lib == "tg":
            return tg.tensor(v.a.copy(), requires_grad=True) if v.grad else tg.tensor(v.a.copy())
        t = torch.from_numpy(v.a.copy())
        return t.requires_grad_(True) if v.grad else t
    if isinstance(v, tuple):
        return tuple(_make(e, lib) for e in v)
    return v


def _call(lib: str, x: Any, name: str, args: tuple[Any, ...], kw: dict[str, Any]) -> Any:
    xs = _make(x, lib)
    a = [_make(e, lib) for e in args]
    k = {n: _make(e, lib) for n, e in kw.items()}
    if name.startswith("."):
        return xs, getattr(xs, name[1:])
    return xs, getattr(xs, name)(*a, **k)


def _np(v: Any) -> np.ndarray:
    return v.detach().numpy() if isinstance(v, torch.Tensor) else v.data


def _flat(r: Any) -> list[Any]:
    if isinstance(r, (tuple, list)):
        return [e for part in r for e in _flat(part)]
    return [r]


def assert_same(ours: Any, theirs: Any, what: str = "") -> None:
    """Same values, shapes and dtypes: exact for integers and bools, 1e-12 for float64."""
    fo, ft = _flat(ours), _flat(theirs)
    assert len(fo) == len(ft), f"{what}: {len(fo)} results, PyTorch {len(ft)}"
    for u, v in zip(fo, ft, strict=True):
        if not isinstance(v, torch.Tensor):
            assert type(u) is type(v) and (u == v or (u != u and v != v)), f"{what}: {u!r} {v!r}"
            continue
        assert isinstance(u, Tensor), f"{what}: got {type(u).__name__}, PyTorch a tensor"
        un, vn = _np(u), _np(v)
        assert un.dtype == vn.dtype, f"{what}: dtype {un.dtype}, PyTorch {vn.dtype}"
        assert un.shape == vn.shape, f"{what}: shape {un.shape}, PyTorch {vn.shape}"
        if un.dtype.kind == "f":
            tol = {8: 1e-12, 4: 1e-6, 2: 1e-3}[un.dtype.itemsize]
            np.testing.assert_allclose(un, vn, rtol=tol, atol=tol, equal_nan=True, err_msg=what)
        else:
            np.testing.assert_array_equal(un, vn, err_msg=what)


# deliberate refusals of what PyTorch accepts: (method, the input's dtype kind or "0-d")
REFUSED = {(".mH", "0-d"), ("adjoint", "0-d"), ("ldexp", "b"), ("pow_", "i")}


def check(name: str, x: Any, *args: Any, **kw: Any) -> None:
    """Run `x.name(*args, **kw)` in both libraries: both refuse, or both give the same."""
    what = f"{name}{(x, *args)!r} {kw}"
    outcome = {}
    for lib in ("tg", "torch"):
        try:
            with np.errstate(all="ignore"):  # NaN and ∞ as PyTorch makes them
                outcome[lib] = _call(lib, x, name, args, kw)
        except Exception as e:  # noqa: BLE001 - either library's refusal
            outcome[lib] = e
    o, t = outcome["tg"], outcome["torch"]
    kind = "0-d" if isinstance(x, T) and x.a.ndim == 0 else getattr(x, "a", np.zeros(0)).dtype.kind
    if isinstance(o, Exception) and (name, kind) in REFUSED:
        return
    if isinstance(o, Exception) or isinstance(t, Exception):
        assert isinstance(o, Exception) and isinstance(t, Exception), f"{what}: {o!r} / {t!r}"
        return
    assert_same(o[1], t[1], what)
    if name.endswith("_") and not name.startswith("."):  # in place: returns self, changed
        assert o[1] is o[0], f"{what}: an in-place method must return self"
        assert_same(o[0], t[0], what + " (self afterwards)")


# ---------------------------------------------------------------------------------- the inputs

P = T([[0.3, -0.7, 0.0], [1.5, 0.9, -0.2]])
F = T([[-2.5, -0.0, 1.5], [np.nan, np.inf, -np.inf]])
F32 = T(P.a.astype(np.float32))
IN = T([[3, -7, 0], [15, 9, -2]])
I32 = T(IN.a.astype(np.int32))
B = T([[True, False, True], [False, False, True]])
U8 = T(
    [[3, 0, 2], [5, 7, 1]],
)
U8.a = U8.a.astype(np.uint8)
Z = T(2.5)
E = T(np.zeros((0, 3)))
ALL = [P, F, F32, IN, I32, B, U8, Z, E]
SAME = [
    (P, T(np.array([[2.0, -1.0, 0.5]]))),
    (F32, T(np.array([2.0, -1.0, 0.5], np.float32))),
    (IN, T(np.array([2, -1, 3]))),
    (I32, T(np.array([[2], [3]], np.int32))),
    (B, B),
    (U8, U8),
]

UNARY = (
    "is_floating_point is_complex is_signed is_conj is_neg is_inference is_pinned is_shared "
    "get_device nelement ndimension element_size .is_cpu .is_cuda .is_sparse .is_quantized "
    ".is_meta .itemsize .nbytes type is_contiguous conj conj_physical resolve_conj resolve_neg "
    ".real .imag .mH adjoint negative positive fix ravel argwhere signbit sgn angle rad2deg "
    "deg2rad isposinf isneginf isreal nan_to_num bitwise_not frexp absolute msort fliplr "
    "flipud count_nonzero unique aminmax byte char short half"
).split()
BINARY = (
    "copysign heaviside fmax fmin float_power ldexp nextafter gcd lcm bitwise_and bitwise_or "
    "bitwise_xor bitwise_left_shift bitwise_right_shift multiply subtract divide greater "
    "greater_equal less less_equal not_equal is_same_size"
).split()
UNARY_INPLACE = (
    "cos_ sin_ tan_ acos_ asin_ atan_ cosh_ sinh_ acosh_ asinh_ atanh_ arccos_ arcsin_ arctan_ "
    "arccosh_ arcsinh_ arctanh_ sinc_ deg2rad_ rad2deg_ exp2_ expm1_ log2_ log10_ log1p_ erf_ "
    "reciprocal_ rsqrt_ square_ absolute_ negative_ floor_ ceil_ trunc_ fix_ frac_ sign_ sgn_ "
    "logical_not_ bitwise_not_ nan_to_num_ tril_ triu_ round_ conj_physical_"
).split()
BINARY_INPLACE = (
    "atan2_ arctan2_ hypot_ pow_ float_power_ ldexp_ xlogy_ multiply_ subtract_ true_divide_ "
    "divide_ floor_divide_ copysign_ heaviside_ eq_ ne_ not_equal_ lt_ less_ le_ less_equal_ "
    "gt_ greater_ ge_ greater_equal_ logical_and_ logical_or_ logical_xor_ bitwise_and_ "
    "bitwise_or_ bitwise_xor_ bitwise_left_shift_ bitwise_right_shift_ gcd_ lcm_ nextafter_"
).split()


@pytest.mark.parametrize("name", UNARY)
def test_unary(name: str) -> None:
    for x in ALL:
        if not (name in ("byte", "char", "short") and x is F):  # NaN and ∞ to ints: undefined
            check(name, x)


@pytest.mark.parametrize("name", BINARY)
def test_binary(name: str) -> None:
    for x, y in SAME:
        check(name, x, y)
        check(name, y if y.a.shape == x.a.shape else x, x)
    for x in (P, IN, U8):
        for s in (2, 3.5, -1):
            if name not in ("heaviside", "nextafter", "gcd", "lcm", "copysign", "ldexp", "fmax"):
                if not (x is U8 and s == -1):  # a number that does not fit uint8 is refused
                    check(name, x, s)


@pytest.mark.parametrize("name", UNARY_INPLACE)
def test_unary_in_place(name: str) -> None:
    for x in (T(P.a * 0.9), F32, IN, I32, B):
        check(name, x)


@pytest.mark.parametrize("name", BINARY_INPLACE)
def test_binary_in_place(name: str) -> None:
    for x, y in SAME[:4] + [(T(P.a + 1), T([[0.5, 2.0, 1.5]])), (B, B)]:
        check(name, x, y)
    for s in (2, 0.5):
        if name not in ("atan2_", "arctan2_", "hypot_", "heaviside_", "nextafter_", "gcd_",
                        "lcm_", "copysign_", "ldexp_", "logical_and_", "logical_or_",
                        "logical_xor_"):  # fmt: skip
            for x in (T(P.a + 1), IN):
                check(name, x, s)
