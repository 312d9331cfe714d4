"""The `tensor_more` methods against PyTorch's methods of the same names: values, dtypes,
shapes and gradients (at ties, zeros and NaN too), one parametrised table of calls that read
the same in both libraries."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)
NAN, INF = float("nan"), float("inf")


def normal(*shape: int) -> np.ndarray:
    return RNG.normal(size=shape)


def ints(*shape: int, lo: int = -3, hi: int = 4) -> np.ndarray:
    return RNG.integers(lo, hi, shape)


def small(*shape: int) -> np.ndarray:
    """Small integers as floats: ties and zeros are common."""
    return RNG.integers(-1, 2, shape).astype(np.float64)


def _pairs(ours: Any, theirs: Any) -> list[tuple[Any, Any]]:
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs)
        return [p for o, t in zip(ours, theirs, strict=True) for p in _pairs(o, t)]
    return [(ours, theirs)]


def _same(ours: Any, theirs: Any) -> None:
    if not isinstance(theirs, torch.Tensor):
        assert ours == theirs, (ours, theirs)
        return
    a, b = ours.detach().numpy(), theirs.detach().numpy()
    assert a.shape == b.shape and str(a.dtype) == str(b.dtype), (a.shape, b.shape, a.dtype, b.dtype)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def check(call: Callable[..., Any], *arrays: np.ndarray, grad: bool = True) -> None:
    """`call` on tinygrad_lite and on torch tensors of `arrays`: values, dtypes and gradients.

    Float arrays require grad. Where our result carries no gradient, PyTorch's must be zero.
    """
    needs = [a.dtype.kind == "f" for a in arrays]
    xs = [tg.tensor(a, requires_grad=g) for a, g in zip(arrays, needs, strict=True)]
    ts = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, needs, strict=True)]
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # the library's default float
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y, t = call(*xs), call(*ts)
    finally:
        torch.set_default_dtype(default)
    pairs = _pairs(y, t)
    for o, th in pairs:
        _same(o, th)
    grads = [(o, th) for o, th in pairs if isinstance(th, torch.Tensor) and th.requires_grad]
    if not grads or not grad:
        return
    ws = [RNG.normal(size=th.shape) for _, th in grads]
    try:
        sum((th * torch.tensor(w)).sum() for (_, th), w in zip(grads, ws, strict=True)).backward()
    except (RuntimeError, NotImplementedError) as e:  # PyTorch has no derivative here
        assert "derivative" in str(e) or "undefined Tensor" in str(e), e
        return
    ours = [(o, w) for (o, _), w in zip(grads, ws, strict=True) if o.requires_grad]
    if ours:
        sum((o * tg.tensor(w)).sum() for o, w in ours).backward()
    for x, tt in zip(xs, ts, strict=True):
        if tt.grad is None:
            continue
        if x.grad is None:
            assert not tt.grad.abs().sum().item(), "PyTorch has a gradient where we have none"
        else:
            _same(x.grad, tt.grad)


SPECIAL = np.array([NAN, INF, -INF, -0.0, 0.0, 1.5, -2.0])
TIES = np.array([[1.0, 2.0, NAN], [3.0, 3.0, NAN], [NAN, 0.0, -1.0]])
IDX = np.array([2, 0])

CASES: list[tuple[str, Callable[..., Any], tuple[np.ndarray, ...]]] = [
    # ------------------------------------------------------------- predicates, sizes, aliases
    ("sizes", lambda x: (x.nelement(), x.ndimension(), x.element_size(), x.itemsize, x.nbytes),
     (normal(2, 3),)),
    ("predicates", lambda x, i: (x.is_floating_point(), i.is_floating_point(), x.is_signed(),
                                 i.is_signed(), x.is_complex(), x.is_same_size(i)),
     (normal(2), ints(2))),
    ("is_nonzero", lambda x, y: (x.is_nonzero(), y.is_nonzero()),
     (np.array([NAN]), np.array([0]))),
    ("absolute", lambda x: x.absolute(), (small(5),)),
    ("negative", lambda x: x.negative(), (normal(3),)),
    ("positive", lambda x: x.positive(), (normal(3),)),
    ("multiply", lambda x, y: x.multiply(y), (normal(2, 3), normal(3))),
    ("subtract_alpha", lambda x, y: x.subtract(y, alpha=2.5), (normal(2, 3), normal(3))),
    ("subtract_ints", lambda x, y: x.subtract(y, alpha=3), (ints(4), ints(4))),
    ("divide_floor", lambda x, y: x.divide(y, rounding_mode="floor"), (normal(4), normal(4))),
    ("greater", lambda x, y: (x.greater(y), x.greater_equal(y), x.less(y), x.less_equal(y),
                              x.not_equal(y)), (small(6), small(6))),
    ("fix", lambda x: x.fix(), (normal(4) * 3,)),
    ("ger", lambda x, y: x.ger(y), (normal(3), normal(2))),
    ("ravel", lambda x: x.ravel(), (normal(2, 3),)),
    ("narrow_copy", lambda x: x.narrow_copy(1, 1, 2), (normal(2, 4),)),
    ("argwhere", lambda x: x.argwhere(), (small(3, 3),)),
    ("conj", lambda x: (x.conj(), x.resolve_conj(), x.resolve_neg(), x.real), (normal(3),)),
    ("adjoint", lambda x: (x.adjoint(), x.mH, x[0].H), (normal(2, 3, 4),)),
    ("casts", lambda x: (x.byte(), x.char(), x.short(), x.half()), (np.abs(normal(4)) * 9,)),
    # ------------------------------------------------------------- elementwise
    ("nan_to_num", lambda x: (x.nan_to_num(neginf=-8.0, posinf=9.0), x.nan_to_num(1.0, 2.0, -3.0)),
     (SPECIAL,)),
    ("copysign", lambda x, y: x.copysign(y), (SPECIAL[3:], SPECIAL[:4][::-1].copy())),
    ("copysign_number", lambda x: x.copysign(-1.0), (normal(3),)),
    ("copysign_ints", lambda x, y: x.copysign(y), (ints(5), ints(5))),
    ("heaviside", lambda x, v: x.heaviside(v), (small(6), normal(6))),
    ("signbit", lambda x: x.signbit(), (SPECIAL,)),
    ("sgn", lambda x: x.sgn(), (SPECIAL,)),
    ("sgn_ints", lambda x: x.sgn(), (ints(5),)),
    ("angle", lambda x: x.angle(), (SPECIAL,)),
    ("angle_ints", lambda x: x.angle(), (ints(5),)),
    ("rad2deg", lambda x: (x.rad2deg(), x.deg2rad()), (normal(3),)),
    ("rad2deg_ints", lambda x: (x.rad2deg(), x.deg2rad()), (ints(3),)),
    ("isposinf", lambda x: (x.isposinf(), x.isneginf(), x.isreal()), (SPECIAL,)),
    ("fmax_fmin", lambda x, y: (x.fmax(y), x.fmin(y)), (TIES, TIES.T.copy())),
    ("fmax_mixed", lambda x, y: x.fmax(y), (ints(3), normal(2, 3))),
    ("float_power", lambda x: x.float_power(2), (normal(4),)),
    ("float_power_ints", lambda x: x.float_power(0.5), (np.abs(ints(4)),)),
    ("float_power_tensor", lambda x, y: x.float_power(y), (np.abs(normal(3)) + 0.5, normal(3))),
    ("ldexp", lambda x, e: x.ldexp(e), (normal(4), ints(4, lo=0))),
    ("ldexp_float", lambda x, e: x.ldexp(e), (normal(4), normal(4))),
    ("frexp", lambda x: x.frexp(), (np.append(normal(4) * 100, [0.0, -0.0]),)),
    ("nextafter", lambda x, y: x.nextafter(y), (normal(4), normal(4))),
    ("gcd_lcm", lambda x, y: (x.gcd(y), x.lcm(y)), (ints(8, lo=-9, hi=10), ints(8, lo=-9, hi=10))),
    ("bitwise", lambda x, y: (x.bitwise_and(y), x.bitwise_or(y), x.bitwise_xor(y),
                              x.bitwise_not()), (ints(6, lo=-9, hi=9), ints(6, lo=-9, hi=9))),
    ("bitwise_bool", lambda x, y: (x.bitwise_and(y), x.bitwise_xor(y), x.bitwise_not()),
     (np.array([True, False, True]), np.array([True, True, False]))),
    ("bitwise_number", lambda x: (x.bitwise_and(6), x.bitwise_or(-2)), (ints(4, lo=-9, hi=9),)),
    ("shifts", lambda x, s: (x.bitwise_left_shift(s), x.bitwise_right_shift(s)),
     (np.array([1, -8, 5, -1, 16, 3]), np.array([3, 1, 64, 70, -1, 63]))),
    ("bit_operators", lambda x, y: (x & y, x | y, x ^ y, ~x, x & 3, 5 | x, x << 2, x >> 1,
                                    3 << y.abs(), -64 >> y.abs()),
     (ints(6, lo=-9, hi=9), ints(6, lo=0, hi=9))),
    ("bit_operators_bool", lambda m, n: (m & n, m | n, m ^ n, ~m, m & 1, m & True, 2 ^ m),
     (np.array([True, False, True]), np.array([True, True, False]))),
    # ------------------------------------------------------------- in place
    ("cos_", lambda x: x.clone().cos_(), (normal(3),)),
    ("inverse_trig_", lambda x: (x.clone().asin_(), x.clone().arctan_(), x.clone().atanh_()),
     (RNG.uniform(-0.9, 0.9, 4),)),
    ("hyperbolic_", lambda x: (x.clone().sinh_(), x.clone().cosh_(), x.clone().asinh_()),
     (normal(3),)),
    ("acosh_", lambda x: (x.clone().acosh_(), x.clone().arccosh_()), (1.5 + np.abs(normal(3)),)),
    ("logs_", lambda x: (x.clone().log2_(), x.clone().log10_(), x.clone().log1p_(),
                         x.clone().rsqrt_(), x.clone().reciprocal_()), (0.5 + np.abs(normal(3)),)),
    ("exps_", lambda x: (x.clone().exp2_(), x.clone().expm1_(), x.clone().square_(),
                         x.clone().erf_(), x.clone().sinc_(), x.clone().tan_()), (normal(3),)),
    ("logit_", lambda x: x.clone().logit_(0.2), (RNG.uniform(0, 1, 5),)),
    ("floor_", lambda x: x.clone().floor_(), (normal(4) * 3,)),
    ("rounding_", lambda x: (x.clone().floor_(), x.clone().ceil_(), x.clone().trunc_(),
                             x.clone().fix_(), x.clone().round_(decimals=1), x.clone().frac_(),
                             x.clone().sign_(), x.clone().sgn_()), (normal(4) * 3,)),
    ("binary_", lambda x, y: (x.clone().atan2_(y), x.clone().hypot_(y), x.clone().copysign_(y),
                              x.clone().xlogy_(y.abs()), x.clone().pow_(2),
                              x.clone().multiply_(y), x.clone().subtract_(y, alpha=2),
                              x.clone().true_divide_(y), x.clone().floor_divide_(y)),
     (normal(4), normal(4))),
    ("lerp_", lambda x, y, w: x.clone().lerp_(y, w), (normal(3), normal(3), normal(3))),
    ("compare_", lambda x, y: (x.clone().eq_(y), x.clone().ne_(y), x.clone().lt_(y),
                               x.clone().le_(y), x.clone().gt_(y), x.clone().ge_(y),
                               x.clone().greater_(y), x.clone().less_equal_(y)),
     (small(5), small(5))),
    ("logical_", lambda x, y: (x.clone().logical_and_(y), x.clone().logical_or_(y),
                               x.clone().logical_xor_(y), x.clone().logical_not_()),
     (small(5), small(5))),
    ("clamps_", lambda x: (x.clone().clamp_min_(0.2), x.clone().clamp_max_(0.1),
                           x.clone().clip_(-0.5, 0.5)), (normal(5),)),
    ("dims_", lambda x: (x.clone().tril_(), x.clone().triu_(1), x.clone().cumsum_(1),
                         x.clone().cumprod_(0)), (normal(3, 3),)),
    ("nan_to_num_", lambda x: x.clone().nan_to_num_(posinf=5.0, neginf=-1.0), (SPECIAL,)),
    ("angles_", lambda x: (x.clone().deg2rad_(), x.clone().rad2deg_(), x.clone().negative_(),
                           x.clone().absolute_()), (normal(3),)),
    ("float_power_", lambda x: x.clone().float_power_(3), (normal(3),)),
    ("ldexp_", lambda x, e: x.clone().ldexp_(e), (normal(3), ints(3, lo=0))),
    ("heaviside_", lambda x, v: x.clone().heaviside_(v), (small(5), normal(5))),
    ("integer_", lambda x, y: (x.clone().gcd_(y), x.clone().lcm_(y), x.clone().bitwise_and_(y),
                               x.clone().bitwise_or_(y), x.clone().bitwise_xor_(y),
                               x.clone().bitwise_not_(), x.clone().bitwise_left_shift_(2),
                               x.clone().bitwise_right_shift_(1), x.clone().divide_(y.abs() + 1,
                               rounding_mode="trunc")), (ints(4), ints(4))),
    # ------------------------------------------------------------- products
    ("mv", lambda m, v: m.mv(v), (normal(3, 4), normal(4))),
    ("addmv", lambda x, m, v: x.addmv(m, v, beta=0.5, alpha=-2), (normal(3), normal(3, 4),
                                                                  normal(4))),
    ("addmv_scalar_self", lambda x, m, v: x.addmv(m, v), (normal(), normal(3, 4), normal(4))),
    ("addmv_beta0", lambda x, m, v: x.addmv(m, v, beta=0), (np.array([NAN, 1.0]), normal(2, 3),
                                                            normal(3))),
    ("addr", lambda x, a, b: x.addr(a, b, beta=2, alpha=0.5), (normal(1, 4), normal(3),
                                                               normal(4))),
    ("addbmm", lambda x, a, b: x.addbmm(a, b, alpha=2), (normal(3, 5), normal(4, 3, 2),
                                                         normal(4, 2, 5))),
    ("addcmul", lambda x, a, b: x.addcmul(a, b, value=0.5), (normal(3), normal(2, 3),
                                                             normal(3))),
    ("addcmul_ints", lambda x, a, b: x.addcmul(a, b, value=2), (ints(3), ints(3), ints(3))),
    ("addcdiv", lambda x, a, b: x.addcdiv(a, b, value=-1.5), (normal(3), normal(3), normal(3))),
    ("addcdiv_int_self", lambda x, a, b: x.addcdiv(a, b), (ints(3), normal(3), normal(3))),
    ("products_", lambda x, m1, m2, v: (x.clone().addmm_(m1, m2, beta=2),
                                        x[:, 0].clone().addmv_(m1, v),
                                        x.clone().addr_(v[:3], v, alpha=3),
                                        x.clone().addcmul_(m1[:, :1], v, value=2),
                                        x.clone().addcdiv_(x, m1[:, :1] + 5)),
     (normal(3, 4), normal(3, 4), normal(4, 4), normal(4))),
    ("bmm_", lambda x, a, b: (x.clone().baddbmm_(a, b, alpha=2), x[0].clone().addbmm_(a, b)),
     (normal(2, 3, 5), normal(2, 3, 4), normal(2, 4, 5))),
    ("cross", lambda a, b: a.cross(b, dim=1), (normal(2, 3), normal(1, 3))),
    ("cross_default_dim", lambda a, b: a.cross(b), (normal(3, 2), normal(3, 2))),
    ("inner", lambda a, b: a.inner(b), (normal(2, 3), normal(4, 3))),
    ("vdot", lambda a, b: a.vdot(b), (normal(4), normal(4))),
    ("dist", lambda a, b: (a.dist(b), a.dist(b, 1), a.dist(b, 3), a.dist(b, INF), a.dist(b, 0)),
     (small(2, 3), small(3))),
    # ------------------------------------------------------------- square matrices
    ("matrix_power", lambda a: (a.matrix_power(0), a.matrix_power(1), a.matrix_power(5),
                                a.matrix_power(-2)), (normal(2, 3, 3) + 3 * np.eye(3),)),
    ("determinants", lambda a: (a.det(), a.logdet(), a.slogdet(), a.inverse()),
     (normal(2, 3, 3) + 3 * np.eye(3),)),
    # ------------------------------------------------------------- counts
    ("unique", lambda x: x.unique(return_inverse=True, return_counts=True), (ints(3, 4),)),
    ("unique_dim", lambda x: x.unique(dim=1, return_inverse=True, return_counts=True),
     (ints(2, 6, lo=0, hi=2),)),
    ("unique_nan", lambda x: x.unique(), (np.array([NAN, 1.0, NAN, 1.0]),)),
    ("unique_consecutive", lambda x: x.unique_consecutive(return_inverse=True,
                                                          return_counts=True),
     (np.array([1, 1, 2, 2, 1, 3]),)),
    ("bincount", lambda x, w: (x.bincount(), x.bincount(w), x.bincount(minlength=9)),
     (ints(7, lo=0, hi=5), normal(7))),
    ("histc", lambda x: (x.histc(4), x.histc(5, -1, 1)), (normal(20),)),
    ("count_nonzero", lambda x: (x.count_nonzero(), x.count_nonzero(1),
                                 x.count_nonzero((0, 2))), (small(2, 3, 4),)),
    ("cov", lambda x, f, a: (x.cov(), x.cov(correction=0, fweights=f, aweights=a)),
     (normal(3, 5), ints(5, lo=1, hi=4), np.abs(normal(5)))),
    ("corrcoef", lambda x: x.corrcoef(), (normal(3, 5),)),
    # ------------------------------------------------------------- order statistics
    ("aminmax", lambda x: (x.aminmax(), x.aminmax(dim=1), x.aminmax(dim=0, keepdim=True)),
     (small(3, 4),)),
    ("kthvalue", lambda x: (x.kthvalue(2), x.kthvalue(3, 0, True)), (normal(4, 5),)),
    ("kthvalue_nan", lambda x: x.kthvalue(3), (np.array([2.0, NAN, 1.0, 5.0]),)),
    ("mode", lambda x: (x.mode(), x.mode(0), x.mode(1, True)), (ints(5, 7, lo=0, hi=3),)),
    ("mode_floats", lambda x: x.mode(), (np.array([[1.0, 2.0, 0.5, 2.0, 1.0], [3, 1, 1, 3, 0]]),)),
    ("msort", lambda x: x.msort(), (normal(4, 3),)),
    ("quantile", lambda x, q: (x.quantile(q, dim=1), x.quantile(0.3, interpolation="nearest"),
                               x.quantile(q, 0, True, interpolation="midpoint"),
                               x.quantile(0.6, dim=0, interpolation="lower"),
                               x.quantile(0.6, dim=-1, interpolation="higher")),
     (small(3, 5), np.array([0.0, 0.25, 0.9]))),
    ("nanquantile", lambda x: (x.nanquantile(0.4, dim=1), x.nanquantile(0.5), x.quantile(0.5, 1)),
     (TIES,)),
    ("renorm", lambda x: (x.renorm(2, 0, 1.0), x.renorm(1, 1, 0.5), x.renorm(3, 0, 1.0),
                          x.renorm(INF, 1, 0.5)), (normal(3, 4),)),
    ("nonzero_static", lambda x: (x.nonzero_static(size=2), x.nonzero_static(size=9, fill_value=7)),
     (ints(3, 3, lo=0, hi=2),)),
    # ------------------------------------------------------------- pieces
    ("rot90", lambda x: (x.rot90(), x.rot90(2), x.rot90(-1, (2, 0)), x.rot90(4, [1, 2])),
     (normal(2, 3, 4),)),
    ("flips", lambda x: (x.fliplr(), x.flipud()), (normal(2, 3),)),
    ("tensor_split", lambda x: (x.tensor_split(3), x.tensor_split([1, 4, 20]),
                                x.tensor_split((-2,), dim=1), x.tensor_split(4, 1)),
     (normal(7, 3),)),
    ("tensor_split_tensor", lambda x, i, s: (x.tensor_split(i), x.tensor_split(s)),
     (normal(5), np.array([3, 1]), np.array(2))),
    ("hvdsplit", lambda x: (x.hsplit(2), x.vsplit([1]), x.dsplit(2), x.hsplit([1, 3])),
     (normal(2, 4, 6),)),
    ("split_with_sizes", lambda x: (x.split_with_sizes([1, 3], 1), x.unsafe_split(2),
                                    x.unsafe_chunk(2, 1), x.unsafe_split_with_sizes([2, 1])),
     (normal(3, 4),)),
    ("diag_embed", lambda x: (x.diag_embed(), x.diag_embed(1), x.diag_embed(-2, 0, 2)),
     (normal(2, 3),)),
    ("diagflat", lambda x: (x.diagflat(), x.diagflat(-1)), (normal(2, 2),)),
    ("repeat_interleave", lambda x, r: (x.repeat_interleave(2), x.repeat_interleave(r, dim=1),
                                        x.repeat_interleave(r[:1], dim=0)),
     (normal(2, 3), np.array([0, 2, 1]))),
    ("unfold", lambda x: (x.unfold(1, 2, 1), x.unfold(-1, 3, 2), x.unfold(0, 2, 3)),
     (normal(2, 7),)),
    ("sum_to_size", lambda x: (x.sum_to_size(1, 3), x.sum_to_size(3), x.sum_to_size(2, 1)),
     (normal(2, 3),)),
    # ------------------------------------------------------------- places
    ("index_copy", lambda x, s: x.index_copy(0, torchlike(x, IDX), s), (normal(3, 2),
                                                                         normal(2, 2))),
    ("index_fill", lambda x, v: (x.index_fill(1, torchlike(x, [0, -1]), 2.5),
                                 x.index_fill(0, torchlike(x, [1]), v)), (normal(3, 2),
                                                                          normal())),
    ("masked_scatter", lambda x, m, s: x.masked_scatter(m, s), (normal(3), RNG.random((2, 3)) > 0.5,
                                                                normal(8))),
    ("select_scatter", lambda x, s: (x.select_scatter(s, 0, -1), x.select_scatter(s[:2], 1, 1)),
     (normal(2, 3), normal(3))),
    ("slice_scatter", lambda x, s: (x.slice_scatter(s, 0, 1, 5, 2),
                                    x.slice_scatter(s[:1], start=-1)),
     (normal(5, 2), normal(2, 2))),
    ("diagonal_scatter", lambda x, s: (x.diagonal_scatter(s[:, :2], 1, 1, 2),
                                       x.diagonal_scatter(s, 0, 0, 2)),
     (normal(3, 3, 3), normal(3, 3))),
    ("index_reduce", lambda x, s: (x.index_reduce(0, torchlike(x, [2, 0, 2]), s, "prod"),
                                   x.index_reduce(0, torchlike(x, [1, 1, 0]), s, "mean",
                                                  include_self=False),
                                   x.index_reduce(1, torchlike(x, [0, 0, 1]), s.T, "amax"),
                                   x.index_reduce(1, torchlike(x, [1, 0, 1]), s.T, "amin")),
     (normal(3, 3), normal(3, 3))),
    ("index_reduce_ints", lambda x, s: x.index_reduce(0, torchlike(x, [0, 0]), s, "mean"),
     (ints(2, 3), ints(2, 3))),
    ("put", lambda x, s: (x.put(torchlike(x, [3, -1, 0]), s),
                          x.put(torchlike(x, [1, 1, 0]), s, accumulate=True)),
     (normal(2, 3), normal(3))),
    ("index_put", lambda x, v, m: (x.index_put((torchlike(x, [0, 1]), torchlike(x, [2, 2])), v),
                                   x.index_put((m,), v[:1], accumulate=True)),
     (normal(2, 3), normal(2), np.array([True, False]))),
    ("fill_diagonal_", lambda x: (x.clone().fill_diagonal_(2.5), x[:, :2].clone().fill_diagonal_(
        -1.0, wrap=True)), (normal(5, 3),)),
    ("places_", lambda x, s: (x.clone().index_copy_(1, torchlike(x, [1, 0]), s),
                              x.clone().index_fill_(0, torchlike(x, [1]), -3.0),
                              x.clone().masked_scatter_(s > 0, s),
                              x.clone().put_(torchlike(x, [3]), s[0, :1], accumulate=True),
                              x.clone().index_put_((torchlike(x, [1]),), s[1]),
                              x.clone().index_reduce_(0, torchlike(x, [1, 1]), s, "prod"),
                              x.clone().renorm_(2, 1, 0.5)),
     (normal(2, 2), normal(2, 2))),
]  # fmt: skip


def torchlike(like: Any, values: Any) -> Any:
    """An int64 index tensor of the library `like` belongs to."""
    if isinstance(like, torch.Tensor):
        return torch.tensor(values, dtype=torch.int64)
    return tg.tensor(np.asarray(values, dtype=np.int64))


# PyTorch's in-place logical ops leave the tensor's place in the graph as it was, so the gradient
# passes through them unchanged; here their result is a constant, as the out-of-place one's.
# The rounding ops' zero gradients, added up in one backward, make PyTorch import its compiler
# (seconds): "floor_" checks one of them.
VALUES_ONLY = {"logical_", "rounding_"}


@pytest.mark.parametrize(("name", "call", "arrays"), CASES, ids=[c[0] for c in CASES])
def test_method_matches_torch(name: str, call: Callable[..., Any], arrays: tuple) -> None:
    check(call, *arrays, grad=name not in VALUES_ONLY)


def test_type_names_and_casts_match_torch() -> None:
    for dt in (np.float64, np.float32, np.float16, np.int64, np.int32, np.int16, np.int8,
               np.uint8, np.bool_):  # fmt: skip
        assert tg.zeros(1, dtype=dt).type() == torch.zeros(1, dtype=_torch_dtype(dt)).type()
    x = tg.tensor([1.5, -2.5])
    assert x.type("torch.IntTensor").tolist() == torch.tensor([1.5, -2.5]).int().tolist()


def _torch_dtype(dt: Any) -> Any:
    return torch.from_numpy(np.zeros(1, dtype=dt)).dtype
