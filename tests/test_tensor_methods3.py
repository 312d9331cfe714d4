"""The `tensor_more` methods without PyTorch, continued: in-place variants write the out-of-place
result under `tensor_inplace`'s rules, the random fills draw what they say, and bad input is
refused with a clear error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tests.test_tensor_methods2 import RNG, leaf
from tinygrad_lite import Tensor, no_grad

# ---------------------------------------------------------------------- in place


IN_PLACE = [
    ("cos_", (), lambda a: a.cos()), ("asin_", (), lambda a: a.asin()),
    ("arctanh_", (), lambda a: a.atanh()), ("sinh_", (), lambda a: a.sinh()),
    ("exp2_", (), lambda a: a.exp2()), ("expm1_", (), lambda a: a.expm1()),
    ("square_", (), lambda a: a.square()), ("sinc_", (), lambda a: a.sinc()),
    ("erf_", (), lambda a: a.erf()), ("logit_", (0.3,), lambda a: a.logit(0.3)),
    ("clamp_min_", (0.1,), lambda a: a.clamp(min=0.1)),
    ("clamp_max_", (0.1,), lambda a: a.clamp(max=0.1)),
    ("clip_", (-0.2, 0.2), lambda a: a.clamp(-0.2, 0.2)), ("tril_", (-1,), lambda a: a.tril(-1)),
    ("triu_", (1,), lambda a: a.triu(1)), ("cumsum_", (1,), lambda a: a.cumsum(1)),
    ("cumprod_", (0,), lambda a: a.cumprod(0)), ("pow_", (2,), lambda a: a**2),
    ("hypot_", (0.5,), lambda a: a.hypot(0.5)), ("atan2_", (0.5,), lambda a: a.atan2(0.5)),
    ("xlogy_", (2.0,), lambda a: a.xlogy(2.0)), ("multiply_", (3.0,), lambda a: a * 3.0),
    ("subtract_", (1.0,), lambda a: a - 1.0), ("true_divide_", (4.0,), lambda a: a / 4.0),
    ("negative_", (), lambda a: -a), ("absolute_", (), lambda a: a.abs()),
    ("copysign_", (-1.0,), lambda a: a.copysign(-1.0)), ("deg2rad_", (), lambda a: a.deg2rad()),
    ("nan_to_num_", (), lambda a: a.nan_to_num()), ("floor_", (), lambda a: a.floor()),
    ("round_", (1,), lambda a: a.round(1)), ("sgn_", (), lambda a: a.sgn()),
    ("frac_", (), lambda a: a.frac()), ("eq_", (0.0,), lambda a: (a == 0.0).astype(np.float64)),
    ("ge_", (0.0,), lambda a: (a >= 0.0).astype(np.float64)),
    ("logical_not_", (), lambda a: a.logical_not().astype(np.float64)),
    ("addcmul_", (Tensor(np.ones(3)), Tensor(np.full(3, 2.0))), lambda a: a + 2.0),
    ("addcdiv_", (Tensor(np.ones(3)), Tensor(np.full(3, 2.0))), lambda a: a + 0.5),
    ("lerp_", (Tensor(np.ones(3)), 0.25), lambda a: a.lerp(Tensor(np.ones(3)), 0.25)),
    ("addmm_", (Tensor(np.eye(3)), Tensor(np.eye(3))), lambda a: a + Tensor(np.eye(3))),
    ("addr_", (Tensor(np.ones(3)), Tensor(np.ones(3)),), lambda a: a + 1.0),
    ("index_fill_", (1, tg.tensor([0]), 5.0), lambda a: a.index_fill(1, tg.tensor([0]), 5.0)),
    ("put_", (tg.tensor([4]), Tensor([9.0])), lambda a: a.put(tg.tensor([4]), Tensor([9.0]))),
    ("fill_diagonal_", (3.0,), lambda a: a.fill_diagonal_(3.0)),
    ("renorm_", (2, 1, 0.5), lambda a: a.renorm(2, 1, 0.5)),
    ("index_reduce_", (0, tg.tensor([2, 2]), Tensor(np.full((2, 3), 2.0)), "prod"),
     lambda a: a.index_reduce(0, tg.tensor([2, 2]), Tensor(np.full((2, 3), 2.0)), "prod")),
]  # fmt: skip


@pytest.mark.parametrize(("name", "args", "reference"), IN_PLACE, ids=[c[0] for c in IN_PLACE])
def test_in_place_variants_write_the_out_of_place_result(
    name: str, args: tuple, reference: Callable[[Tensor], Tensor]
) -> None:
    a = RNG.uniform(-0.9, 0.9, (3, 3))
    expected = reference(Tensor(a.copy()))
    t = Tensor(a)  # the tensor wraps `a`: an unrecorded in-place op writes into it
    assert getattr(t, name)(*args) is t
    np.testing.assert_allclose(a, expected.data, rtol=1e-15, atol=1e-15)
    w = Tensor(RNG.uniform(-0.9, 0.9, (3, 3)), requires_grad=True)
    # recorded on a result of an op: the gradient is the out-of-place one's
    y = w * 1.0
    getattr(y, name)(*args)
    if y.requires_grad:
        (y * y).sum().backward()
        w2 = Tensor(w.data, requires_grad=True)
        (reference(w2 * 1.0) ** 2).sum().backward()
        np.testing.assert_allclose(w.grad.data, w2.grad.data, rtol=1e-12, atol=1e-12)


def test_in_place_rules() -> None:
    w = leaf(3)
    with pytest.raises(RuntimeError, match="leaf that requires grad"):
        w.cos_()
    with pytest.raises(TypeError, match="cannot be written into a tensor of dtype int64"):
        tg.tensor([1, 2]).cos_()
    i = tg.tensor([1, 2, 3])
    assert i.eq_(2) is i and i.tolist() == [0, 1, 0]
    assert tg.tensor([6, 4]).gcd_(tg.tensor([4, 6])).tolist() == [2, 2]
    assert tg.tensor([5]).bitwise_left_shift_(2).tolist() == [20]
    with pytest.raises(TypeError, match="float_power_: the result is float64"):
        Tensor(np.float32([2.0])).float_power_(2)
    with pytest.raises(ValueError, match="keeps the tensor's shape"):
        tg.zeros(3).masked_scatter_(tg.tensor([[True], [False]]), tg.ones(6))
    y = leaf(2) * 2.0
    y.detach_()
    assert not y.requires_grad and y.is_leaf
    with no_grad():
        w.exp2_()  # a leaf may change outside the graph
    assert np.all(w.data > 0)


def test_random_fills() -> None:
    tg.manual_seed(5)
    a = tg.zeros(2000).bernoulli_(0.25).data
    tg.manual_seed(5)
    assert np.array_equal(tg.zeros(2000).bernoulli_(0.25).data, a)  # reproducible
    assert set(np.unique(a)) <= {0.0, 1.0} and 0.2 < a.mean() < 0.3
    p = tg.tensor([0.0, 1.0] * 500)
    assert p.bernoulli().tolist() == p.tolist() and not p.bernoulli().requires_grad
    e = tg.zeros(2000).exponential_(4.0).data
    assert e.min() >= 0 and 0.2 < e.mean() < 0.3
    g = tg.zeros(2000).geometric_(0.5).data
    assert g.min() >= 1 and np.all(g == np.round(g)) and 1.8 < g.mean() < 2.2
    ln = tg.zeros(2000).log_normal_(0.0, 0.5).data
    assert ln.min() > 0 and abs(np.median(np.log(ln))) < 0.1
    c = tg.zeros(2000).cauchy_(3.0, 0.1).data
    assert abs(np.median(c) - 3.0) < 0.05
    assert tg.zeros(3, dtype=np.float32).exponential_(generator=1).dtype == np.float32
    w = tg.tensor([[0.0, 1.0, 3.0], [2.0, 0.0, 0.0]])
    d = w.multinomial(4000, replacement=True)
    assert d.shape == (2, 4000) and d.dtype == np.int64
    assert set(d.data[0].tolist()) == {1, 2} and 0.7 < (d.data[0] == 2).mean() < 0.8
    assert set(d.data[1].tolist()) == {0}
    assert sorted(w.multinomial(3).data[0].tolist()) == [0, 1, 2]  # weight 0 comes last
    assert w.multinomial(3).data[0, 2] == 0 and tg.ones(5).multinomial(5).shape == (5,)
    tg.manual_seed(1)
    first = tg.ones(6).multinomial(3).tolist()
    tg.manual_seed(1)
    assert tg.ones(6).multinomial(3).tolist() == first


# ---------------------------------------------------------------------- refusals


N, T, V, TE, IE = tg.ones, tg.tensor, ValueError, TypeError, IndexError
# fmt: off
REFUSALS = [
    (lambda: T([]).is_nonzero(), V, "no values"), (lambda: N(2).is_nonzero(), V, "more than one"),
    (lambda: N(2).is_contiguous(memory_format="torch.channels_last"), V, "memory_format"),
    (lambda: N(2).imag, TE, "real tensor"), (lambda: N(3).H, V, "2-D"),
    (lambda: N(3).adjoint(), V, "matrices"), (lambda: T([True]).positive(), TE, "bool"),
    (lambda: T([1]).subtract(1, alpha=0.5), TE, "integer"),
    (lambda: N(2).type("torch.cuda.FloatTensor"), V, "unknown tensor type"),
    (lambda: N(2).fmax(1.0), TE, "must be a Tensor"), (lambda: N(2).heaviside(0.5), TE, "Tensor"),
    (lambda: N(2).gcd(N(2)), TE, "integer tensors"), (lambda: N(2).bitwise_and(N(2)), TE, "bool"),
    (lambda: T([True]).bitwise_left_shift(1), TE, "integer tensors"),
    (lambda: T([1]).nextafter(T([2])), TE, "float tensors"), (lambda: T([1]).frexp(), TE, "float"),
    (lambda: N(2).float_power(True), TE, "bool"),
    (lambda: N(2, 3).mv(N(2)), V, r"\(n, k\) and a vector"),
    (lambda: N(2, 3).mv(N(3, dtype=np.float32)), TE, "one dtype"),
    (lambda: N(3).addmv(N(2, 3), N(3)), V, "does not broadcast"),
    (lambda: N(2).addmv(N(2, 3), N(3), beta="x"), TE, "addmv: beta"),
    (lambda: N(2, 2).addr(N(2, 1), N(2)), V, "two vectors"),
    (lambda: N(2, 2).addbmm(N(2, 2, 3), N(3, 3, 2)), V, "batch2"),
    (lambda: T([1]).addcmul(T([1]), T([1]), value=0.5), TE, "integer"),
    (lambda: N(1).addcdiv(T([1]), T([2])), TE, "both integers"),
    (lambda: T([True]).addcmul(T([True]), T([True])), TE, "bool"),
    (lambda: N(2).dist(N(2), -1), V, "non-negative"),
    (lambda: N(2, 3).matrix_power(2), V, "square"),
    (lambda: N(2).aminmax(dim=2), IE, "out of range"), (lambda: T([]).aminmax(), V, "empty"),
    (lambda: N(3).kthvalue(4), V, "out of range"), (lambda: N(0).mode(), V, "no elements"),
    (lambda: T([1, 2]).quantile(0.5), TE, "float tensor"), (lambda: N(2).quantile(1.5), V, "0, 1"),
    (lambda: N(2).quantile(0.5, interpolation="cubic"), V, "interpolation"),
    (lambda: N(0).nanquantile(0.5), V, "empty"), (lambda: N(3).renorm(2, 0, 1.0), V, "at least 2"),
    (lambda: N(2, 2).renorm(0, 0, 1.0), V, "p must be"),
    (lambda: N(2, 2).renorm(2, 0, -1), V, "maxnorm"),
    (lambda: N(2).nonzero_static(size=-1), V, "size"), (lambda: N(3).rot90(), V, "2 or more"),
    (lambda: N(3).fliplr(), V, "2 or more"), (lambda: T(1.0).flipud(), V, "0-d"),
    (lambda: T(1.0).tensor_split(2), V, "0-d"), (lambda: N(4).tensor_split(0), V, "> 0"),
    (lambda: N(4).tensor_split(N(2)), TE, "integer tensor"), (lambda: N(5).hsplit(2), V, "equal"),
    (lambda: N(5).vsplit(1), V, "at least 2"), (lambda: N(2, 2).dsplit(1), V, "at least 3"),
    (lambda: N(4).split_with_sizes([1, 2]), V, "add up"),
    (lambda: N(4).split_with_sizes([-1, 5]), V, "non-negative"),
    (lambda: N(2).diag_embed(0, 0, -2), V, "differ"), (lambda: T(1).diag_embed(), V, "0-d"),
    (lambda: N(2).repeat_interleave(T([1, 2, 3])), V, "one count"),
    (lambda: N(2).repeat_interleave(-1), V, "non-negative"),
    (lambda: N(2).repeat_interleave(1.5), TE, "ints"),
    (lambda: N(2).repeat_interleave(2, output_size=3), V, "output_size"),
    (lambda: N(3).unfold(0, 4, 1), V, "size <= 3"), (lambda: N(3).unfold(0, 2, 0), V, "step > 0"),
    (lambda: N(2, 2).sum_to_size(3, 2), V, "not expandable"),
    (lambda: N(2).sum_to_size(1, 2), V, "not expandable"),
    (lambda: N(3).index_copy(0, T([3]), N(1)), IE, "index 3"),
    (lambda: N(3).index_copy(0, T([-1]), N(1)), IE, "index -1"),
    (lambda: N(3).index_copy(0, T([0]), T([1])), TE, "same dtype"),
    (lambda: N(3).index_copy(0, T([0, 1]), N(1)), V, "shape"),
    (lambda: N(3).index_fill(0, T([[0]]), 1.0), V, "vector"),
    (lambda: N(3).index_fill(0, T([0]), N(1)), V, "0-d"),
    (lambda: N(3).index_fill(0, T([0.0]), 1.0), TE, "integers"),
    (lambda: N(3).index_reduce(0, T([0]), N(1), "sum"), V, "reduce must be"),
    (lambda: N(3).index_reduce(0, T([-1]), N(1), "amax"), IE, "index -1"),
    (lambda: N(3).masked_scatter(T([1, 0, 1]), N(3)), TE, "bool"),
    (lambda: N(3).masked_scatter(T([True, True]), N(3)), V, "broadcast"),
    (lambda: N(3).masked_scatter(T([True] * 3), N(2)), V, "only 2 elements"),
    (lambda: N(2, 3).select_scatter(N(2), 0, 0), V, "src of shape"),
    (lambda: N(2, 3).select_scatter(N(3), 0, 2), IE, "out of range"),
    (lambda: N(4).slice_scatter(N(2), step=0), V, "positive"),
    (lambda: N(4).slice_scatter(N(3), step=2), V, r"\(2,\)"),
    (lambda: N(3, 3).diagonal_scatter(N(2)), V, r"\(3,\)"),
    (lambda: N(3).put(T([3]), N(1)), IE, "index 3"),
    (lambda: N(3).put(T([0, 1]), N(1)), V, "as many elements"),
    (lambda: N(3).index_put([0], N(1)), TE, "index tensors"),
    (lambda: N(3).index_put((T([0]),), T([1])), TE, "same dtype"),
    (lambda: N(3).fill_diagonal_(1.0), V, "matrix"),
    (lambda: N(2, 3, 3).fill_diagonal_(1), V, "one"),
    (lambda: N(2, 2).fill_diagonal_(N(1)), TE, "number"),
    (lambda: tg.zeros(3).bernoulli_(1.5), V, "lie in"), (lambda: T([2.0]).bernoulli(), V, "lie in"),
    (lambda: T([1, 2]).exponential_(), TE, "float tensor"),
    (lambda: tg.zeros(2).exponential_(0.0), V, "lambd"),
    (lambda: tg.zeros(2).geometric_(0.0), V, r"\(0, 1\]"),
    (lambda: tg.zeros(2).cauchy_(sigma=-1.0), V, "sigma"),
    (lambda: tg.zeros(2).log_normal_(std=0.0), V, "std"),
    (lambda: N(3).multinomial(4), V, "without replacement"),
    (lambda: N(3).multinomial(0, True), V, "cannot draw 0"),
    (lambda: T([1.0, -1.0]).multinomial(1), V, "non-negative"),
    (lambda: T([0.0, 0.0]).multinomial(1), V, "not all zero"),
    (lambda: T([1, 2]).multinomial(1), TE, "float weights"),
    (lambda: N(2, 2, 2).multinomial(1), V, "1-D or 2-D"),
]
# fmt: on


@pytest.mark.parametrize(("call", "error", "match"), REFUSALS)
def test_bad_input_is_refused_clearly(call: Callable[[], Any], error: Any, match: str) -> None:
    with pytest.raises(error, match=match):
        call()
