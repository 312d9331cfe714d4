"""grad(..., is_grads_batched=True) against torch.autograd.grad: values, shapes, flags, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinygrad_lite as tg  # noqa: E402

RNG = np.random.default_rng(7)
X, Z = RNG.normal(size=(2, 3)), RNG.normal(size=3)
V1, V2 = RNG.normal(size=(4, 2, 3)), RNG.normal(size=(4, 3))


def _t(m: Any, a: Any, rg: bool = True) -> Any:
    if m is tg:
        return tg.Tensor(np.array(a), requires_grad=rg)
    return torch.tensor(np.array(a), requires_grad=rg)


def _gr(m: Any) -> Any:
    return tg.grad if m is tg else torch.autograd.grad


def _two_outputs(m: Any, **kw: Any) -> Any:
    x, z = _t(m, X), _t(m, Z)
    h = x * z
    outs = [h.tanh() * x, (h * h).sum(0) + z.exp()]
    return _gr(m)(outs, [x, z, h], [_t(m, V1, False), _t(m, V2, False)], is_grads_batched=True,
                  **kw)  # fmt: skip


def _second_order(m: Any) -> Any:
    x = _t(m, Z)
    (jac,) = _gr(m)(x.sin() * x.sum(), x, _t(m, np.eye(3), False), create_graph=True,
                    is_grads_batched=True)  # fmt: skip
    return (jac, *_gr(m)((jac * jac).sum(), x))


def _wrt_grad_outputs(m: Any) -> Any:
    x, v = _t(m, Z), _t(m, V2)
    (g,) = _gr(m)(x.exp() * x, x, v, create_graph=True, is_grads_batched=True)
    return (g, *_gr(m)((g * g.detach()).sum(), [x, v]))


def _unused(m: Any, **kw: Any) -> Any:
    x, z = _t(m, Z), _t(m, [1.0])
    return _gr(m)(x * x, [x, z], _t(m, V2, False), is_grads_batched=True, **kw)


CASES: list[Callable[[Any], Any]] = [
    _two_outputs,
    lambda m: _two_outputs(m, create_graph=True),
    _second_order,
    _wrt_grad_outputs,
    lambda m: _unused(m, allow_unused=True),
    lambda m: _unused(m, materialize_grads=True),
    lambda m: _unused(m, materialize_grads=True, create_graph=True),
    lambda m: (lambda a: _gr(m)(a * a, a, _t(m, [1.0, 2.0], False), is_grads_batched=True))(
        _t(m, 3.0)
    ),
    lambda m: (
        lambda x: _gr(m)(x * 2.0, x, _t(m, V2, False), create_graph=True, is_grads_batched=True)
    )(_t(m, Z)),  # fmt: skip
]


def _same(ours: Any, theirs: Any) -> None:
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        if b is None:
            assert a is None
            continue
        assert a.shape == tuple(b.shape) and a.requires_grad == b.requires_grad
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_values_shapes_and_flags_as_torch(case: int) -> None:
    _same(CASES[case](tg), CASES[case](torch))


def _released(m: Any) -> Any:
    x = _t(m, Z)
    y = x.exp()
    _gr(m)(y, x, _t(m, V2, False), is_grads_batched=True)
    return _gr(m)(y, x, _t(m, V2, False), is_grads_batched=True)


ERRORS: list[Callable[[Any], Any]] = [
    lambda m: (lambda x: _gr(m)((x * x).sum(), x, is_grads_batched=True))(_t(m, Z)),
    lambda m: (lambda x: _gr(m)(x * x, x, _t(m, Z, False), is_grads_batched=True))(_t(m, Z)),
    lambda m: (
        lambda x: _gr(m)(
            [x * x, x.sin()], x, [_t(m, V2, False), _t(m, V2[:2], False)], is_grads_batched=True
        )
    )(_t(m, Z)),  # fmt: skip
    lambda m: _unused(m),
    _released,
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_refused_where_torch_refuses_with_the_same_error_type(case: int) -> None:
    with pytest.raises(Exception) as theirs:
        ERRORS[case](torch)
    with pytest.raises(theirs.type):
        ERRORS[case](tg)
