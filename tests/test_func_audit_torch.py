"""Differential audit of tinygrad_lite.func and gradcheck against torch.func and torch.autograd."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinygrad_lite as tg  # noqa: E402
from tinygrad_lite import func  # noqa: E402

checks = importlib.import_module("tinygrad_lite.gradcheck")
from tests.test_autograd_audit_torch import M, X, mk, run_case  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def _torch_float64() -> Any:
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


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
