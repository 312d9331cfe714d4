"""Differential audit of tinygrad_lite.func and gradcheck against torch.func and torch.autograd."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinygrad_lite as tg  # noqa: E402
from tinygrad_lite import Tensor, func  # noqa: E402

checks = importlib.import_module("tinygrad_lite.gradcheck")
X = np.array([0.3, -1.2, 2.0])
M = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


@pytest.fixture(autouse=True, scope="module")
def _torch_float64() -> Any:
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def mk(m: Any, a: Any = X, rg: bool = True, f32: bool = False) -> Any:
    """A tensor of `a` in library `m` (tg or torch), float64 (or float32)."""
    arr = np.array(a, dtype=np.float32 if f32 else np.float64)
    if m is tg:
        return Tensor(arr, requires_grad=rg)
    return torch.tensor(arr, requires_grad=rg)


def same(ours: Any, theirs: Any, where: str = "") -> None:
    """Equal structure, shapes, dtypes and values (exact for ints/bools, 1e-12 for floats)."""
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs), (where, ours, theirs)
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            same(a, b, f"{where}[{i}]")
        return
    if theirs is None or isinstance(theirs, (bool, str, int)) and not isinstance(ours, Tensor):
        assert ours == theirs, (where, ours, theirs)
        return
    a = ours.detach().data if isinstance(ours, Tensor) else np.asarray(ours)
    b = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert a.shape == b.shape, (where, a.shape, b.shape)
    assert a.dtype == b.dtype, (where, a.dtype, b.dtype)
    if a.dtype.kind in "biu":
        np.testing.assert_array_equal(a, b, err_msg=where)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300, err_msg=where)


def run_case(case: Callable[[Any], Any], kind: str, where: str) -> None:
    """ "same": equal results; "raise": both refuse; "ours refuses": PyTorch answers, we refuse."""
    if kind == "same":
        same(case(tg), case(torch), where)
        return
    if kind == "ours refuses":
        case(torch)
    else:
        with pytest.raises(Exception):  # noqa: B017 - PyTorch's exception types differ
            case(torch)
    with pytest.raises((ValueError, TypeError, RuntimeError, NotImplementedError, AssertionError)):
        case(tg)
    assert tg.is_grad_enabled()


def fn(m: Any) -> Any:
    return func if m is tg else torch.func


def _f(x: Any) -> Any:
    return (x.sin() * x * x).sum()


def _h(a: Any, b: Any) -> Any:
    return (a * b * b).sum()


def _g2(a: Any, b: Any) -> Any:
    return a * b.sum()


def _aux(x: Any) -> Any:
    return (x * x).sum(), x * 2.0


def ab(m: Any) -> tuple[Any, Any]:
    return mk(m, rg=False), mk(m, X + 1.0, rg=False)


def v3(m: Any) -> Any:
    return mk(m, [1.0, 2.0, 3.0], rg=False)


def _vjp(m: Any, aux: bool) -> Any:
    a = mk(m, rg=False)
    if aux:
        out, pull, extra = fn(m).vjp(lambda x: (x * 3.0, x * x), a, has_aux=True)
        return [out, pull(v3(m)), extra]
    out, pull = fn(m).vjp(lambda x: x.sin() * x, a)
    return [out, pull(v3(m))]


def _value_and_grad(m: Any) -> Any:  # JAX's order; torch.func has grad_and_value
    if m is tg:
        return func.value_and_grad(_f)(mk(m, rg=False))
    g, value = torch.func.grad_and_value(_f)(mk(m, rg=False))
    return value, g


def _jac_f32_empty(m: Any) -> Any:
    x32, e = mk(m, rg=False, f32=True), mk(m, np.zeros(0), rg=False)
    return [fn(m).jacrev(lambda x: x * x)(x32), fn(m).jacrev(lambda x: x * 2.0)(e)]


def _functional_call(m: Any) -> Any:
    layer = (tg.nn if m is tg else torch.nn).Linear(3, 2)
    w, x, bias = mk(m, M, False), mk(m, [X], False), mk(m, [0.5, -0.5], False)
    call = fn(m).functional_call
    dw = fn(m).grad(lambda w: call(layer, {"weight": w, "bias": bias}, (x,)).sin().sum())(w)
    return [call(layer, ({"weight": w}, {"bias": bias}), x), dw]


def _strict_call(m: Any) -> Any:
    layer = (tg.nn if m is tg else torch.nn).Linear(3, 2)
    fn(m).functional_call(layer, {"weight": mk(m, M, False)}, (mk(m, [X], False),), strict=True)


def _gradcheck(m: Any, which: str) -> Any:
    ag = checks if m is tg else torch.autograd
    x = mk(m, X[:2])
    bad = lambda x: x.detach() * x  # noqa: E731 - its derivative lacks one term
    if which == "good":
        return [ag.gradcheck(lambda x: x.sin() * x, (x,)), ag.gradgradcheck(lambda x: x**3, (x,))]
    if which == "quiet":
        return [ag.gradcheck(bad, (x,), raise_exception=False)]
    return ag.gradcheck(bad, (x,))


CASES: list[tuple[str, Callable[[Any], Any], str]] = [
    (
        "grad argnums",
        lambda m: [
            fn(m).grad(_f)(ab(m)[0]),
            fn(m).grad(_h, argnums=(0, 1))(*ab(m)),
            fn(m).grad(_h, argnums=-1)(*ab(m)),
        ],
        "same",
    ),
    (
        "grad of grad",
        lambda m: fn(m).grad(fn(m).grad(lambda x: (x * x * x).sum()))(mk(m, 2.0, rg=False)),
        "same",
    ),
    (
        "grad has_aux grad_and_value",
        lambda m: [
            fn(m).grad(_aux, has_aux=True)(ab(m)[0]),
            fn(m).grad_and_value(_aux, has_aux=True)(ab(m)[0]),
            fn(m).grad_and_value(_f)(ab(m)[0]),
        ],
        "same",
    ),
    ("value_and_grad", _value_and_grad, "same"),
    ("vjp", lambda m: _vjp(m, False), "same"),
    ("vjp has_aux", lambda m: _vjp(m, True), "same"),
    ("jvp", lambda m: fn(m).jvp(lambda x: x.sin() * x, (ab(m)[0],), (v3(m),)), "same"),
    (
        "jvp has_aux",
        lambda m: fn(m).jvp(lambda x: (x.sin() * x, x.cos()), (ab(m)[0],), (v3(m),), has_aux=True),
        "same",
    ),
    (
        "jacobian",
        lambda m: [
            (func.jacobian if m is tg else torch.func.jacrev)(_g2, argnums=(0, 1))(
                ab(m)[0], ab(m)[1][:2]
            ),
            (func.jacobian if m is tg else torch.func.jacrev)(lambda x: x * x)(
                mk(m, 2.0, rg=False)
            ),
        ],
        "same",
    ),
    (
        "jacrev jacfwd",
        lambda m: [fn(m).jacrev(_g2)(*ab(m)), fn(m).jacfwd(_g2, argnums=1)(*ab(m))],
        "same",
    ),
    ("jacobian float32 and empty", _jac_f32_empty, "same"),
    ("hessian", lambda m: fn(m).hessian(_f)(ab(m)[0]), "same"),
    (
        "hvp",
        lambda m: (func.hvp if m is tg else torch.autograd.functional.hvp)(_f, ab(m)[0], v3(m)),
        "same",
    ),
    ("functional_call", _functional_call, "same"),
    ("functional_call strict missing", _strict_call, "raise"),
    ("grad argnums repeated", lambda m: fn(m).grad(_h, argnums=(0, 0))(*ab(m)), "raise"),
    ("grad argnums empty", lambda m: fn(m).grad(_h, argnums=())(*ab(m)), "raise"),
    (
        "grad int input",
        lambda m: fn(m).grad(lambda x: (x * x).sum())(
            tg.Tensor([1, 2]) if m is tg else torch.tensor([1, 2])
        ),
        "raise",
    ),
    ("grad non-scalar", lambda m: fn(m).grad(lambda x: x * x)(ab(m)[0]), "raise"),
    (
        "grad tuple argument",
        lambda m: fn(m).grad(lambda q: (q[0] * q[1]).sum())(ab(m)),
        "ours refuses",
    ),
    (
        "jvp tangent shape",
        lambda m: fn(m).jvp(lambda x: x * x, (ab(m)[0],), (mk(m, X[:2], False),)),
        "raise",
    ),
    ("hessian argnums tuple", lambda m: fn(m).hessian(_h, argnums=(0, 1))(*ab(m)), "ours refuses"),
    ("gradcheck gradgradcheck", lambda m: _gradcheck(m, "good"), "same"),
    ("gradcheck raise_exception=False", lambda m: _gradcheck(m, "quiet"), "same"),
    ("gradcheck failure GradcheckError", lambda m: _gradcheck(m, "bad"), "raise"),
]


@pytest.mark.parametrize("name, case, kind", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name: str, case: Callable[[Any], Any], kind: str) -> None:
    run_case(case, kind, name)


def test_gradcheck_error_is_the_documented_type() -> None:
    with pytest.raises(checks.GradcheckError):
        _gradcheck(tg, "bad")


NO_COUNTERPART = {
    "GradcheckWarning": "nonfinite='skip'; test_gradcheck.py",
    "gradcheck_module": "test_gradcheck_module.py",
    "gradient_difference": "the course's check; test_gradcheck_module.py",
    "numerical_grad": "central differences; test_gradcheck.py",
    "relative_difference": "the course's number; test_gradcheck_module.py",
}


def test_every_public_name_has_a_case() -> None:
    words = {w for name, _, _ in CASES for w in name.split()}
    names = set(func.__all__) | set(checks.__all__)
    missing = sorted(n for n in names if n not in words and n not in NO_COUNTERPART)
    assert not missing, f"public names without a case against PyTorch: {missing}"
