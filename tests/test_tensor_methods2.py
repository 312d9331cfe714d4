"""The `tensor_more` methods without PyTorch: each equals its top-level function or a NumPy
reference, differentiates as float64 finite differences say, works in place as `tensor_inplace`
says, and refuses bad input with a clear error."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view

import tinygrad_lite as tg
from tinygrad_lite import Tensor, no_grad
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck

RNG = np.random.default_rng(3)
NAN, INF = float("nan"), float("inf")


def leaf(*shape: int) -> Tensor:
    return Tensor(RNG.normal(size=shape), requires_grad=True)


def same(a: Any, b: Any) -> None:
    """Equal values (NaN equal to NaN), shapes and dtypes."""
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            same(x, y)
        return
    x, y = (np.asarray(v.data if isinstance(v, Tensor) else v) for v in (a, b))
    assert x.shape == y.shape and x.dtype == y.dtype, (x.shape, y.shape, x.dtype, y.dtype)
    np.testing.assert_array_equal(x, y)


def written(a: np.ndarray, index: Any, values: Any, add: bool = False) -> np.ndarray:
    """NumPy's reference of a write: a copy of `a` with `values` set (or added) at `index`."""
    e = a.copy()
    if add:
        np.add.at(e, index, values)
    else:
        e[index] = values
    return e


# ---------------------------------------------------------------------- the top-level functions


M = RNG.normal(size=(3, 4))
SQ = RNG.normal(size=(2, 3, 3)) + 3 * np.eye(3)
CASES_TOP = [
    (lambda x: tg.rot90(x, -1, (1, 0)), lambda x: x.rot90(-1, (1, 0)), M),
    (lambda x: tg.cross(x, x.flip(1), dim=1), lambda x: x.cross(x.flip(1), dim=1), M[:, :3]),
    (lambda x: tg.inner(x, x), lambda x: x.inner(x), M),
    (lambda x: tg.vdot(x[0], x[1]), lambda x: x[0].vdot(x[1]), M),
    (lambda x: tg.dist(x[0], x[1], 3), lambda x: x[0].dist(x[1], 3), M),
    (lambda x: tg.matrix_power(x, -3), lambda x: x.matrix_power(-3), SQ),
    (lambda x: tg.det(x), lambda x: x.det(), SQ),
    (lambda x: tg.logdet(x), lambda x: x.logdet(), SQ),
    (lambda x: tuple(tg.slogdet(x)), lambda x: tuple(x.slogdet()), SQ),
    (lambda x: tg.inverse(x), lambda x: x.inverse(), SQ),
    (lambda x: tg.cov(x, correction=0), lambda x: x.cov(correction=0), M),
    (lambda x: tg.corrcoef(x), lambda x: x.corrcoef(), M),
    (lambda x: tg.unique(x, return_inverse=True, return_counts=True, dim=0),
     lambda x: x.unique(return_inverse=True, return_counts=True, dim=0), np.eye(2, dtype=int)),
    (lambda x: tg.unique_consecutive(x, return_counts=True),
     lambda x: x.unique_consecutive(return_counts=True), np.array([1, 1, 3, 1])),
    (lambda x: tg.bincount(x, minlength=6), lambda x: x.bincount(minlength=6), np.array([1, 4, 1])),
    (lambda x: tg.histc(x, 3), lambda x: x.histc(3), M),
    (lambda x: tg.count_nonzero(x, 1), lambda x: x.count_nonzero(1), np.array([[0, 1], [2, 3]])),
    (lambda x: tg.nan_to_num(x, 1.0), lambda x: x.nan_to_num(1.0), np.array([NAN, INF, 2.0])),
    (lambda x: tg.copysign(x, -2.0), lambda x: x.copysign(-2.0), M),
    (lambda x: tg.heaviside(x, x[:1]), lambda x: x.heaviside(x[:1]), np.array([0.0, -1.0, 2.0])),
    (lambda x: tg.signbit(x), lambda x: x.signbit(), np.array([-0.0, 0.0, -1.0])),
    (lambda x: tg.rad2deg(x), lambda x: x.rad2deg(), np.array([1, 2])),
    (lambda x: tg.deg2rad(x), lambda x: x.deg2rad(), M),
]  # fmt: skip


@pytest.mark.parametrize(("top", "method", "data"), CASES_TOP)
def test_each_top_level_function_is_its_method(top: Any, method: Any, data: np.ndarray) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none of these warns
        same(top(Tensor(data)), method(Tensor(data)))


def test_predicates_sizes_and_casts() -> None:
    x = Tensor(np.arange(6.0).reshape(2, 3))
    sizes = (x.nelement(), x.ndimension(), x.element_size(), x.itemsize, x.nbytes)
    assert sizes == (6, 2, 8, 8, 48)
    assert x.is_floating_point() and x.is_signed() and not x.is_complex()
    assert not tg.tensor([1]).is_floating_point() and not tg.tensor([1], dtype=np.uint8).is_signed()
    assert not tg.tensor([True]).is_signed() and tg.tensor([1], dtype=np.int8).is_signed()
    assert x.is_same_size(np.zeros((2, 3), int)) and not x.is_same_size(Tensor(np.zeros(6)))
    assert x.is_contiguous() and not x.T.is_contiguous()
    assert x.is_cpu and not (x.is_cuda or x.is_sparse or x.is_quantized or x.is_meta)
    assert x.get_device() == -1 and not (x.is_conj() or x.is_neg() or x.is_inference())
    assert not (x.is_pinned() or x.is_shared()) and x.conj_physical_() is x
    assert tg.tensor([NAN]).is_nonzero() and not tg.tensor(0).is_nonzero()
    casts = [x.byte().dtype, x.char().dtype, x.short().dtype, x.half().dtype]
    assert casts == [np.uint8, np.int8, np.int16, np.float16]
    assert x.type() == "torch.DoubleTensor" and tg.tensor([True]).type() == "torch.BoolTensor"
    assert x.type("torch.ShortTensor").dtype == np.int16 and x.type(np.float64) is x
    e = x.new_empty(4, 1)
    assert e.shape == (4, 1) and e.dtype == x.dtype and not e.requires_grad


def test_aliases_are_the_methods_they_name() -> None:
    x, y = leaf(2, 3), Tensor(RNG.normal(size=3))
    same(x.absolute(), x.abs())
    same(x.negative(), -x)
    assert x.positive() is x and x.conj() is x and x.resolve_conj() is x and x.real is x
    same(x.multiply(y), x * y)
    same(x.subtract(y, alpha=3), x - y * 3)
    same(tg.tensor([5, 7]).subtract(2, alpha=2), tg.tensor([1, 3]))
    same(x.divide(y, rounding_mode="trunc"), x.div(y, rounding_mode="trunc"))
    same([x.greater(y), x.greater_equal(y), x.less(y), x.less_equal(y), x.not_equal(y)],
         [x > y, x >= y, x < y, x <= y, x != y])  # fmt: skip
    same(x.fix(), x.trunc())
    same(y.ger(y), y.outer(y))
    same(x.ravel(), x.reshape(-1))
    same(x.argwhere(), x.nonzero())
    same(x.H, x.T)
    same(x.mH, x.mT)
    same(Tensor(np.ones((2, 3, 4))).adjoint(), Tensor(np.ones((2, 4, 3))))
    c = x.narrow_copy(1, 1, 2)
    same(c, x.narrow(1, 1, 2))
    with no_grad():
        x[0, 1] = 100.0
    assert c.data[0, 0] != 100.0  # a copy, not a view


# ---------------------------------------------------------------------- elementwise vs NumPy


def test_elementwise_against_numpy() -> None:
    a = np.array([1.0, NAN, NAN, -2.0, 0.0, -0.0])
    b = np.array([NAN, 3.0, NAN, -2.0, -0.0, 0.0])
    same(Tensor(a).fmax(Tensor(b)), np.fmax(a, b))
    same(Tensor(a).fmin(Tensor(b)), np.fmin(a, b))
    same(tg.tensor([1, 2]).fmax(Tensor([1.5, 0.5])), np.array([1.5, 2.0]))
    same(tg.tensor([1, 2, 3]).float_power(2), np.float_power([1, 2, 3], 2))
    same(Tensor(np.float32([4.0])).float_power(Tensor([0.5])), np.array([2.0]))
    same(Tensor([1.5, 3.0]).ldexp(tg.tensor([3, -1])), np.ldexp([1.5, 3.0], [3, -1]))
    assert Tensor(np.float32([1.0])).ldexp(tg.tensor([2])).dtype == np.float32
    same(tg.tensor([1, 2]).ldexp(tg.tensor([1, 1])), np.array([2.0, 4.0]))
    # a float32 exponent's power is rounded in float32, then widened (PyTorch's rounding)
    e32 = np.float32([-2.7, 0.3, 1.1])
    power = np.power(np.float32(2.0), e32).astype(np.float64)
    same(Tensor([1.5, -3.0, 0.7]).ldexp(Tensor(e32)), np.array([1.5, -3.0, 0.7]) * power)
    v = np.array([8.0, 0.0, -3.5, INF, NAN, -0.0, 1e-310])
    m, e = Tensor(v).frexp()
    same(m, np.frexp(v)[0])
    same(e, np.frexp(v)[1].astype(np.int32))
    same(Tensor([1.0, 0.0, INF]).nextafter(Tensor([2.0, -1.0, 0.0])),
         np.nextafter([1.0, 0.0, INF], [2.0, -1.0, 0.0]))  # fmt: skip
    i, j = np.array([-12, 18, 0, 0, 7]), np.array([8, -27, 5, 0, 0])
    same(tg.tensor(i).gcd(tg.tensor(j)), np.gcd(i, j))
    same(tg.tensor(i).lcm(tg.tensor(j)), np.lcm(i, j))
    same(tg.tensor(i).bitwise_and(tg.tensor(j)), i & j)
    same(tg.tensor(i).bitwise_or(3), i | 3)
    same(tg.tensor(i).bitwise_xor(tg.tensor(j)), i ^ j)
    same(tg.tensor(i).bitwise_not(), ~i)
    same(tg.tensor([True, False]).bitwise_not(), np.array([False, True]))
    same(tg.tensor([True, False]).bitwise_and(True), np.array([True, False]))
    same(tg.tensor([1, -8, 1, 3]).bitwise_left_shift(tg.tensor([3, 1, 64, -1])),
         np.array([8, -16, 0, 0]))  # fmt: skip
    same(tg.tensor([-8, 16, -1, 5]).bitwise_right_shift(tg.tensor([2, -1, 70, 1])),
         np.array([-2, 0, -1, 2]))  # fmt: skip
    same(tg.tensor([3], dtype=np.uint8).bitwise_left_shift(7), np.array([128], np.uint8))
    s = np.array([NAN, INF, -INF, -0.0, 0.0, -2.5])
    same(Tensor(s).sgn(), np.array([0.0, 1.0, -1.0, 0.0, 0.0, -1.0]))
    same(tg.tensor([True, False]).sgn(), np.array([True, False]))
    same(tg.tensor([-3, 0, 2]).sgn(), np.array([-1, 0, 1]))
    same(Tensor(s).angle(), np.array([NAN, 0.0, math.pi, 0.0, 0.0, math.pi]))
    same(tg.tensor([-1, 2]).angle(), np.array([math.pi, 0.0]))
    same(Tensor(s).isposinf(), np.isposinf(s))
    same(Tensor(s).isneginf(), np.isneginf(s))
    same(tg.tensor([1, 2]).isposinf(), np.array([False, False]))
    same(Tensor(s).isreal(), np.ones(6, bool))
    same(Tensor(np.float32([INF, -INF])).nan_to_num(), np.nan_to_num(np.float32([INF, -INF])))


# ---------------------------------------------------------------------- gradients


def _grad_cases() -> list[tuple[str, Callable[..., Any], list[Tensor]]]:
    x, y, w = leaf(2, 3), leaf(2, 3), leaf(3)
    sq, v3 = Tensor(SQ[0], requires_grad=True), leaf(3)
    return [
        ("fmax", lambda a, b: a.fmax(b), [x, y]), ("fmin", lambda a, b: a.fmin(b), [x, y]),
        ("float_power", lambda a, b: a.abs().float_power(b), [x, y]),
        ("float_power_number", lambda a: a.float_power(3), [x]),
        ("ldexp", lambda a: a.ldexp(tg.tensor([[2, -1, 0]])), [x]),
        ("ldexp_float", lambda a, b: a.ldexp(b), [x, y]),
        ("frexp", lambda a: a.frexp().mantissa * 3.0, [x]),
        ("nextafter", lambda a, b: a.nextafter(b), [x, y]),
        ("copysign", lambda a, b: a.copysign(b), [x, y]),
        ("heaviside", lambda v: tg.tensor([0.0, 1.0, 0.0]).heaviside(v), [w]),
        ("deg2rad", lambda a: a.deg2rad().rad2deg() * 2.0, [x]),
        ("mv", lambda m, v: m.mv(v), [x, w]),
        ("addmv", lambda s, m, v: s.addmv(m, v, beta=0.5, alpha=2), [leaf(2), x, w]),
        ("addr", lambda s, a, b: s.addr(a, b, alpha=-1.5), [x, leaf(2), w]),
        ("addbmm", lambda s, a, b: s.addbmm(a, b), [leaf(2, 4), leaf(3, 2, 2), leaf(3, 2, 4)]),
        ("addcmul", lambda s, a, b: s.addcmul(a, b, value=2), [w, x, y]),
        ("addcdiv", lambda s, a, b: s.addcdiv(a, b.exp(), value=-0.5), [w, x, y]),
        ("cross", lambda a, b: a.cross(b, dim=1), [x[:, :3], y]),
        ("inner", lambda a, b: a.inner(b), [x, y]), ("vdot", lambda a, b: a.vdot(b), [w, v3]),
        ("dist", lambda a, b: a.dist(b) + a.dist(b, 1) + a.dist(b, 3) + a.dist(b, INF), [x, y]),
        ("matrix_power", lambda a: a.matrix_power(5) + a.matrix_power(-2), [sq]),
        ("determinants", lambda a: a.det() + a.logdet() + a.slogdet().logabsdet, [sq]),
        ("inverse", lambda a: a.inverse(), [sq]),
        ("cov", lambda a: a.cov(aweights=tg.tensor([1.0, 2.0, 0.5])), [x]),
        ("corrcoef", lambda a: a.corrcoef(), [leaf(2, 4)]),
        ("aminmax", lambda a: a.aminmax(dim=1).max - a.aminmax().min, [x]),
        ("kthvalue", lambda a: a.kthvalue(2, 0, keepdim=True).values, [x]),
        ("mode", lambda a: (a * 0 + tg.tensor([[1.0, 2.0, 1.0]])).mode(1).values * a[:, 0], [x]),
        ("msort", lambda a: a.msort(), [x]),
        ("quantile", lambda a, q: a.quantile(q.sigmoid(), dim=1) + a.quantile(0.4), [x, leaf(2)]),
        ("nanquantile_midpoint", lambda a: a.nanquantile(0.3, 0, interpolation="midpoint"), [x]),
        ("renorm", lambda a: a.renorm(2, 0, 0.5) + a.renorm(1.5, 1, 0.8), [x]),
        ("index_reduce", lambda a, s: a.index_reduce(1, tg.tensor([0, 0]), s, "prod"),
         [x, leaf(2, 2)]),
        ("rot90", lambda a: a.rot90(3), [x]), ("flips", lambda a: a.fliplr() * a.flipud(), [x]),
        ("diag_embed", lambda a: a.diag_embed(1, 0, 2), [x]),
        ("diagflat", lambda a: a.diagflat(-1), [x]),
        ("repeat_interleave", lambda a: a.repeat_interleave(tg.tensor([2, 0, 3]), dim=1), [x]),
        ("unfold", lambda a: a.unfold(1, 2, 1), [x]),
        ("sum_to_size", lambda a: a.sum_to_size(1, 3), [x]),
        ("tensor_split", lambda a: a.tensor_split([1, 2], 1)[1] * a.hsplit(3)[2], [x]),
        ("index_copy", lambda a, s: a.index_copy(1, tg.tensor([2, 0]), s), [x, leaf(2, 2)]),
        ("index_fill", lambda a, v: a.index_fill(1, tg.tensor([0, -1]), v), [x, leaf()]),
        ("masked_scatter", lambda a, s: a.masked_scatter(tg.tensor([True, False, True]), s),
         [x, leaf(5)]),
        ("select_scatter", lambda a, s: a.select_scatter(s, 1, 1), [x, leaf(2)]),
        ("slice_scatter", lambda a, s: a.slice_scatter(s, 1, 0, 3, 2), [x, leaf(2, 2)]),
        ("diagonal_scatter", lambda a, s: a.diagonal_scatter(s, 1), [x, leaf(2)]),
        ("put", lambda a, s: a.put(tg.tensor([5, -6, 1]), s, accumulate=True), [x, w]),
        ("index_put", lambda a, s: a.index_put((tg.tensor([1, 0]), tg.tensor([2, 2])), s),
         [x, leaf(2)]),
    ]  # fmt: skip


@pytest.mark.parametrize("case", _grad_cases(), ids=lambda c: c[0])
def test_gradients_match_finite_differences(case: tuple) -> None:
    _, fn, inputs = case
    assert gradcheck(fn, *inputs)


def test_second_derivatives_of_compositions() -> None:
    x, y = leaf(2, 3), leaf(2, 3)
    assert gradgradcheck(lambda a, b: a.addcdiv(b, b.exp() + 1.0, value=0.5) ** 2, x, y)
    assert gradgradcheck(lambda a, s: a.diagonal_scatter(s, 0) ** 3, x, leaf(2))
    assert gradgradcheck(lambda a: (a.unfold(1, 2, 1) ** 2).sum(-1), x)


# ---------------------------------------------------------------------- shapes vs NumPy


def test_turns_splits_and_windows_against_numpy() -> None:
    a = np.arange(24.0).reshape(2, 3, 4)
    x = Tensor(a)
    for k in range(-2, 6):
        same(x.rot90(k, (1, 2)), np.rot90(a, k, (1, 2)))
    same(x.fliplr(), np.fliplr(a))
    same(x.flipud(), np.flipud(a))
    same(x.tensor_split(3, 2), np.array_split(a, 3, 2))
    same(x.tensor_split([1, 5, -1, 2], 2), np.split(a, [1, 5, -1, 2], 2))
    same(x.tensor_split(tg.tensor(2)), np.array_split(a, 2))
    same(x.hsplit(3), np.hsplit(a, 3))
    same(x.vsplit([1]), np.vsplit(a, [1]))
    same(x.dsplit(2), np.dsplit(a, 2))
    same(Tensor(a[0, 0]).hsplit(2), np.hsplit(a[0, 0], 2))
    same(x.split_with_sizes([1, 3], 2), np.split(a, [1], 2))
    same(x.unsafe_split_with_sizes([2, 1], 1), np.split(a, [2], 1))
    same(x.unsafe_chunk(2, 2), np.split(a, 2, 2))
    same(x.unsafe_split(1), np.split(a, 2))  # pieces of size 1
    v = np.array([1.0, 2.0, 3.0])
    same(Tensor(v).diag_embed(-1), np.diag(v, -1))
    same(x.diag_embed(), np.stack([np.stack([np.diag(r) for r in m]) for m in a]))
    same(x.diag_embed(0, 0, 1), np.moveaxis(x.diag_embed().data, (2, 3), (0, 1)))
    same(x.diagflat(2), np.diagflat(a, 2))
    same(x.repeat_interleave(2), np.repeat(a, 2))
    same(x.repeat_interleave(tg.tensor([0, 1, 3]), dim=1), np.repeat(a, [0, 1, 3], 1))
    same(tg.tensor(5).repeat_interleave(3, output_size=3), np.array([5, 5, 5]))
    same(x.unfold(2, 2, 1), sliding_window_view(a, 2, axis=2))
    same(x.unfold(1, 2, 2), sliding_window_view(a, 2, axis=1)[:, ::2])
    same(tg.tensor(3.0).unfold(0, 1, 1), np.array([3.0]))
    same(x.sum_to_size(3, 1), a.sum(0).sum(1, keepdims=True))
    assert x.sum_to_size(2, 3, 4) is x


@settings(max_examples=10)
@given(
    n=st.integers(0, 7),
    sections=st.one_of(st.integers(1, 5), st.lists(st.integers(-8, 8), max_size=4)),
)
def test_tensor_split_pieces_join_back_to_the_tensor(n: int, sections: Any) -> None:
    a = np.arange(float(n))
    pieces = Tensor(a).tensor_split(sections)
    same(
        pieces, np.array_split(a, sections) if isinstance(sections, int) else np.split(a, sections)
    )


@settings(max_examples=10)
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3), data=st.data())
def test_sum_to_size_undoes_a_broadcast(shape: list[int], data: st.DataObject) -> None:
    target = tuple(
        data.draw(st.sampled_from([1, s])) for s in shape[data.draw(st.integers(0, len(shape))) :]
    )
    a = RNG.normal(size=shape)
    lead = len(shape) - len(target)
    expected = a.sum(tuple(range(lead))) if lead else a
    expected = expected.sum(tuple(d for d, t in enumerate(target) if t == 1), keepdims=True)
    np.testing.assert_allclose(Tensor(a).sum_to_size(target).data, expected.reshape(target))


# ---------------------------------------------------------------------- places vs NumPy


def test_writes_by_position_against_numpy() -> None:
    a = RNG.normal(size=(3, 4))
    x, t, m = Tensor(a), tg.tensor, RNG.random((3, 4)) > 0.5
    same(x.index_copy(1, t([3, 1]), Tensor([[1.0, 2.0]] * 3)), written(a, np.s_[:, [3, 1]], [1, 2]))
    same(x.index_fill(0, t([0, -1]), 7), written(a, [0, 2], 7))
    same(t([[1, 2]]).index_fill(1, t(0), 2.7), np.array([[2, 2]]))  # cast, as PyTorch
    same(x.masked_scatter(Tensor(m), Tensor(np.arange(1.0, 13.0))),
         written(a, m, np.arange(1.0, m.sum() + 1)))  # fmt: skip
    same(Tensor(np.zeros(2)).masked_scatter(t([[True], [False]]), t([5.0, 6.0])),
         np.array([[5.0, 6.0], [0.0, 0.0]]))  # fmt: skip
    same(x.select_scatter(Tensor(np.full(3, 9.0)), 1, -1), written(a, np.s_[:, -1], 9.0))
    same(x.slice_scatter(Tensor(-np.ones((1, 4))), 0, 1, None, 2), written(a, np.s_[1::2], -1.0))
    same(x.slice_scatter(t([[1, 2, 3, 4]]), start=-1, end=9), written(a, -1, [1, 2, 3, 4]))
    diagonal = ([0, 1, 2], [1, 2, 3])
    same(x.diagonal_scatter(Tensor([5.0, 6.0, 7.0]), 1), written(a, diagonal, [5, 6, 7]))
    assert x.diagonal_scatter(t([1, 2, 3]), 1).dtype == np.float64
    same(x.put(t([0, -1]), Tensor([3.0, 4.0])), written(a, ([0, 2], [0, 3]), [3.0, 4.0]))
    same(x.put(t([5, 5, 0]), Tensor([1.0, 2.0, 3.0]), accumulate=True),
         written(a, ([1, 1, 0], [1, 1, 0]), [1.0, 2.0, 3.0], add=True))  # fmt: skip
    same(x.index_put((t([0, 2]), t([1, 1])), Tensor(8.0)), written(a, ([0, 2], [1, 1]), 8.0))
    same(x.index_put((t([True, False, True]),), Tensor(np.ones(4)), True),
         written(a, [0, 2], 1.0, add=True))  # fmt: skip
    src = Tensor(np.array([[2.0, 5.0, 3.0]] * 3))
    same(x.index_reduce(1, t([0, 2, 0]), src, "prod")[:, 0], a[:, 0] * 6.0)
    same(x.index_reduce(1, t([0, 2, 0]), src, "amax")[:, 2], np.maximum(a[:, 2], 5.0))
    same(t([[1, 1]]).index_reduce(0, t([0, 0]), t([[2, 3], [4, 4]]), "mean"), np.array([[2, 2]]))
    norms = np.sqrt((a**2).sum(1, keepdims=True))
    np.testing.assert_allclose(x.renorm(2, 0, 1.0).data, np.where(norms > 1, a / (norms + 1e-7), a))
    e = np.zeros((7, 3))
    np.fill_diagonal(e, 2.0, wrap=True)
    same(Tensor(np.zeros((7, 3))).fill_diagonal_(2.0, wrap=True), e)
    assert tg.zeros(2, 2, 2).fill_diagonal_(1.0).data[1, 1, 1] == 1.0


def test_order_statistics_against_numpy() -> None:
    a = RNG.normal(size=(4, 5))
    x = Tensor(a)
    same(x.aminmax(), (np.float64(a.min()), np.float64(a.max())))
    same(x.aminmax(dim=1, keepdim=True), (a.min(1, keepdims=True), a.max(1, keepdims=True)))
    for k in (1, 3, 5):
        values, indices = x.kthvalue(k)
        same(values, np.sort(a, 1)[:, k - 1])
        same(indices, np.argsort(a, 1)[:, k - 1])
    same(Tensor([2.0, NAN, 1.0]).kthvalue(3), (np.float64(NAN), np.int64(1)))
    same(x.msort(), np.sort(a, 0))
    same(tg.tensor([2, 1, 2, 1, 3]).mode(), (np.int64(1), np.int64(3)))  # the smallest, last
    same(tg.tensor([[5, 5, 1], [0, 7, 7]]).mode(1, True), ([[5], [7]], [[1], [2]]))
    same(Tensor([NAN, NAN, 2.0]).mode(), (np.float64(2.0), np.int64(2)))  # each NaN its own
    same(tg.tensor(4.0).mode(), (np.float64(4.0), np.int64(0)))
    b = a.copy()
    b[0, 1] = b[2, :] = NAN
    for method in ("linear", "lower", "higher", "midpoint", "nearest"):
        qs = np.array([0.0, 0.3, 0.5, 1.0])
        np.testing.assert_allclose(
            x.quantile(Tensor(qs), 1, interpolation=method).data,
            np.quantile(a, qs, axis=1, method=method),
            atol=1e-14,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's all-NaN row
            expected = np.nanquantile(b, 0.7, axis=1, keepdims=True, method=method)
        np.testing.assert_allclose(
            Tensor(b).nanquantile(0.7, 1, True, interpolation=method).data, expected, atol=1e-14
        )
    assert math.isnan(Tensor(b).quantile(0.1).item())
    same(x.nonzero_static(size=25)[20:], np.full((5, 2), -1))
    same(tg.tensor([0, 3, 4]).nonzero_static(size=1, fill_value=9), np.array([[1]]))
