"""Differential audit of `tensor_more`: gradients, in-place rules, aliasing and random draws."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg

torch = pytest.importorskip("torch")


from tests.test_tensor_more_audit_torch import (  # noqa: E402
    T,
    _float64_default,  # noqa: F401 - PyTorch's default float set to float64 here too
    _make,
    _np,
)

R = np.random.default_rng(0)
M = T(R.standard_normal((3, 4)))
V3, V4 = T(R.standard_normal(3)), T(R.standard_normal(4))
S = T(R.standard_normal((3, 3)) + np.eye(3))
Sb = T(R.standard_normal((2, 3, 3)))


# ---------------------------------------------------------------------------------- gradients


def _lib(lib: str) -> Any:
    return tg if lib == "tg" else torch


GRADS: dict[str, tuple[Any, ...]] = {
    "addmv": (lambda lb, x, m, v: x.addmv(m, v, beta=0.5, alpha=2), V3, M, V4),
    "addr": (lambda lb, x, a, b: x.addr(a, b, beta=0.5, alpha=2), M, V3, V4),
    "addcdiv": (lambda lb, x, a, b: x.addcdiv(a, b, value=-2), M, V4, T(np.ones((3, 1)) + 2)),
    "cross": (lambda lb, a, b: a.cross(b, dim=1), T(np.ones((2, 3))), T(R.standard_normal((2, 3)))),
    "dist3": (lambda lb, a, b: a.dist(b, 3), M, V4),
    "renorm": (lambda lb, a: a.renorm(3, 0, 1.0), M),
    "matrix_power-2": (lambda lb, a: a.matrix_power(-2), S),
    "matrix_power0": (lambda lb, a: a.matrix_power(0) + a, S),
    "slogdet": (lambda lb, a: a.slogdet()[1], Sb),
    "cov": (lambda lb, a, w: a.cov(aweights=w, correction=2), M, T([0.5, 1.0, 2.0, 0.1])),
    "corrcoef": (lambda lb, a: a.corrcoef(), M),
    "aminmax": (lambda lb, a: a.aminmax(dim=1)[1], T([[1.0, 3, 3], [2, 2, 0]])),
    "quantile": (lambda lb, a, q: a.quantile(q, 0, interpolation="linear"), M, T([0.2, 0.75])),
    "nanquantile": (lambda lb, a: a.nanquantile(0.3, 1), T(np.where(M.a > 1, np.nan, M.a))),
    "diag_embed": (lambda lb, a: a.diag_embed(1, 0, 2), M),
    "unfold": (lambda lb, a: a.unfold(1, 2, 1), M),
    "repeat_interleave": (lambda lb, a: a.repeat_interleave(_lib(lb).tensor([1, 0, 2]), 0), M),
    "copysign": (lambda lb, a, b: a.copysign(b), T([1.0, -2, 0, 3]), T([-1.0, 1, -1, -0.0])),
    "fmax": (lambda lb, a, b: a.fmax(b), T([1.0, np.nan, 3, 2]), T([2.0, 3, np.nan, 2])),
    "ldexp": (lambda lb, a, b: a.ldexp(b), V4, T([1.0, -2, 0.5, 3])),
    "float_power": (lambda lb, a, b: a.float_power(b), T(np.abs(V4.a) + 0.1), V4),
    "index_reduce": (
        lambda lb, a, s: a.index_reduce(
            0, _lib(lb).tensor([2, 0, 2]), s, "amax", include_self=False
        ),
        M,
        T(np.ones((3, 4))),
    ),
    "masked_scatter": (
        lambda lb, a, s: a.masked_scatter(_lib(lb).tensor([True, False, True, True]), s),
        M,
        T(R.standard_normal(10)),
    ),
    "index_put": (lambda lb, a, s: a.index_put((_lib(lb).tensor([0, 2, 0]),), s, True), M, M),
    "addcmul_": (lambda lb, a, b, c: (a * 1).addcmul_(b, c, value=0.5), M, V4, T(np.ones((3, 1)))),
    "index_fill_": (lambda lb, a, v: (a * 1).index_fill_(1, _lib(lb).tensor([3, 0]), v), M, T(2.0)),
    "renorm_": (lambda lb, a: (a * 1).renorm_(2, 0, 1.0), M),
    "cumprod_": (lambda lb, a: (a * 1).cumprod_(1), M),
}


@pytest.mark.parametrize("name", sorted(GRADS))
def test_gradients_float64(name: str) -> None:
    fn, *arrays = GRADS[name]
    grads = {}
    for lib in ("tg", "torch"):
        ts = [_make(T(a.a, grad=True), lib) for a in arrays]
        out = fn(lib, *ts)
        w = np.cos(np.arange(out.numel()).reshape(tuple(out.shape)) + 0.3)
        (out * (tg.tensor(w) if lib == "tg" else torch.tensor(w))).sum().backward()
        grads[lib] = [np.zeros(t.shape) if t.grad is None else _np(t.grad) for t in ts]
    for u, v in zip(grads["tg"], grads["torch"], strict=True):
        np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-12, err_msg=name)


# ------------------------------------------------------------------ in place, aliasing, draws


@pytest.mark.parametrize("name", ["cos_", "clamp_min_", "index_fill_", "fill_diagonal_",
                                  "exponential_", "addcmul_", "put_"])  # fmt: skip
def test_in_place_on_a_leaf_that_requires_grad_is_refused(name: str) -> None:
    args = {"clamp_min_": (0.0,), "index_fill_": (0, tg.tensor([0]), 1.0),
            "fill_diagonal_": (1.0,), "addcmul_": (tg.ones(2), tg.ones(2)),
            "put_": (tg.tensor([0]), tg.tensor([1.0]))}.get(name, ())  # fmt: skip
    x = tg.tensor(np.full((2, 2), 0.5), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf that requires grad"):
        getattr(x, name)(*args)
    assert (x.data == 0.5).all()


@pytest.mark.parametrize("name", ["fliplr", "flipud", "rot90", "narrow_copy", "msort",
                                  "repeat_interleave", "nan_to_num", "diagflat"])  # fmt: skip
def test_copies_do_not_alias_self(name: str) -> None:
    args = {"narrow_copy": (0, 0, 1), "repeat_interleave": (1,)}.get(name, ())
    x = tg.tensor(np.arange(4.0).reshape(2, 2))
    with tg.no_grad():
        getattr(x, name)(*args).mul_(0)
    assert x.tolist() == [[0.0, 1.0], [2.0, 3.0]]


def test_views_alias_self_as_in_pytorch() -> None:
    x = tg.tensor(np.arange(6.0).reshape(2, 3))
    with tg.no_grad():
        x.tensor_split(3, 1)[1].mul_(0)
        x.adjoint().add_(1)
    assert x.tolist() == [[1.0, 1.0, 3.0], [4.0, 1.0, 6.0]]
    assert x.conj() is x and x.resolve_neg() is x and x.positive() is x and x.real is x


def test_new_empty_shape_and_dtype() -> None:
    for dt in (None, np.int32):
        ours = tg.tensor(np.ones(2, np.float32)).new_empty(3, 2, dtype=dt)
        assert ours.shape == (3, 2) and ours.dtype == (dt or np.float32)


def test_detach_in_place() -> None:
    y = tg.tensor([1.0], requires_grad=True) * 2
    assert y.detach_() is y and not y.requires_grad and y.is_leaf


def test_random_fills_keep_dtype_and_follow_their_laws() -> None:
    tg.manual_seed(0)
    x = tg.tensor(np.zeros(4000, np.float32))
    assert x.exponential_(2.0) is x and x.dtype == np.float32
    assert abs(float(x.data.mean()) - 0.5) < 0.05 and x.data.min() >= 0
    g = tg.zeros(4000).geometric_(0.25)
    assert g.data.min() == 1 and abs(g.data.mean() - 4.0) < 0.3
    ln = tg.zeros(4000).log_normal_(0.0, 0.5)
    assert abs(float(np.log(ln.data).std()) - 0.5) < 0.05
    assert abs(float(np.median(tg.zeros(4000).cauchy_(1.0, 2.0).data)) - 1.0) < 0.3
    b = tg.zeros(3, 4000).bernoulli_(tg.tensor([[0.1], [0.5], [0.9]]))
    np.testing.assert_allclose(b.data.mean(1), [0.1, 0.5, 0.9], atol=0.05)
    assert tg.tensor([[0.0, 1.0]]).bernoulli().tolist() == [[0.0, 1.0]]
    m = tg.tensor([[0.0, 1.0, 3.0], [1.0, 0.0, 0.0]]).multinomial(2)
    assert m.dtype == np.int64 and m.shape == (2, 2) and set(m.data[0]) == {1, 2}
    assert m.data[1, 0] == 0
    for bad in (lambda: tg.zeros(2).exponential_(0.0), lambda: tg.zeros(2).geometric_(0.0)):
        with pytest.raises(ValueError):
            bad()


def test_clear_refusals() -> None:
    with pytest.raises(TypeError, match="bool operands"):
        tg.tensor([1.0]).subtract(tg.tensor([True]))
    with pytest.raises(TypeError, match="bool"):
        tg.tensor([True]).absolute()
    with pytest.raises(TypeError, match="one dtype"):
        tg.ones(2).addmv(tg.ones((2, 2)), tg.tensor([1, 1]))
    with pytest.raises(ValueError, match="cannot be split into 3 equal"):
        tg.ones((2, 4)).hsplit(tg.tensor(3))
    with pytest.raises(IndexError, match="0-d"):
        tg.tensor(2.0).repeat_interleave(2, 0)
    with pytest.raises(TypeError, match="size is missing"):
        tg.ones(2).sum_to_size()
    with pytest.raises(ValueError, match="dimension of size 0"):
        tg.zeros((2, 0)).unique(dim=0)


def test_diagflat_of_an_empty_tensor_keeps_its_dtype() -> None:
    assert tg.zeros((0, 3)).diagflat().dtype == np.float64
