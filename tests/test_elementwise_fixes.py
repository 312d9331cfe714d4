"""Elementwise edge cases: NaN tensor bounds of clamp, float promotion of two-input float ops,
pow's exponent gradient at low precision, in-place shifts, 0-d softmax of non-finite values,
NumPy scalars before bitwise operators, dtypes of logsumexp over nothing and of bincount."""

import numpy as np
import pytest

import tinygrad_lite as tl
import tinygrad_lite.functional as TF

nan, inf = np.nan, np.inf


def _grads(y, g, *xs):
    y.backward(tl.tensor(np.asarray(g, dtype=y.dtype)))
    return [x.grad.data.tolist() for x in xs]


def _same(a, b):
    np.testing.assert_array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float))


# ---------------------------------------------------------------- clamp with tensor bounds


def test_clamp_nan_tensor_bound_gives_nan():
    _same(tl.tensor([1.5, 0.0]).clamp(min=tl.tensor([nan, 1.0])).data, [nan, 1.0])
    _same(tl.tensor([1.5, 0.0]).clamp_min(tl.tensor([nan, 1.0])).data, [nan, 1.0])
    _same(tl.tensor([1.5, 0.0]).clamp_max(tl.tensor([nan, -1.0])).data, [nan, -1.0])
    _same(tl.tensor([1.5, 0.0]).clip(tl.tensor([0.0, nan]), tl.tensor([1.0, 1.0])).data, [1, nan])
    a = tl.tensor([0.5, 1.0, 2.0])
    out = tl.clamp(a, min=tl.tensor([nan, 0.0, 0.0]), max=tl.tensor([1.0, nan, 1.0]))
    _same(out.data, [nan, nan, 1.0])


def test_clamp_tensor_bounds_gradients_skip_nan():
    # x: lo <= x <= hi; lo: x < lo < hi; hi: x > hi or hi < lo; none where a comparison is NaN
    x = tl.tensor([0.5, 1.0, 2.0, nan, 0.5, 0.0], requires_grad=True)
    lo = tl.tensor([nan, 0.0, 0.0, 0.0, 1.0, 1.0], requires_grad=True)
    hi = tl.tensor([1.0, nan, 1.0, 1.0, 0.0, 1.0], requires_grad=True)
    y = tl.clamp(x, lo, hi)
    _same(y.data, [nan, nan, 1.0, nan, 0.0, 1.0])
    gx, glo, ghi = _grads(y, [1, 2, 3, 4, 5, 6], x, lo, hi)
    assert gx == [0.0] * 6 and glo == [0.0] * 6  # x < lo = hi: no term gets it
    assert ghi == [0.0, 0.0, 3.0, 0.0, 5.0, 0.0]


def test_clamp_hi_below_lo_takes_gradient_even_at_nan_x():
    x = tl.tensor([nan, 2.0], requires_grad=True)
    lo = tl.tensor([1.0, nan], requires_grad=True)
    hi = tl.tensor([0.0, 1.0], requires_grad=True)
    y = tl.clamp(x, lo, hi)
    _same(y.data, [nan, nan])
    assert _grads(y, [1, 2], x, lo, hi) == [[0.0, 0.0], [0.0, 0.0], [1.0, 2.0]]


def test_clamp_single_tensor_bound_gradients():
    x = tl.tensor([nan, 0.5, 2.0, -1.0], requires_grad=True)
    lo = tl.tensor([0.0, nan, 1.0, 0.0], requires_grad=True)
    y = x.clamp(min=lo)
    _same(y.data, [nan, nan, 2.0, 0.0])
    assert _grads(y, [1, 2, 3, 4], x, lo) == [[0, 0, 3, 0], [0, 0, 0, 4]]
    x = tl.tensor([nan, 0.5, 2.0, -1.0], requires_grad=True)
    hi = tl.tensor([0.0, nan, 1.0, 0.0], requires_grad=True)
    y = x.clamp(max=hi)
    _same(y.data, [nan, nan, 1.0, -1.0])
    assert _grads(y, [1, 2, 3, 4], x, hi) == [[0, 0, 0, 4], [0, 0, 3, 0]]


def test_clamp_tensor_bounds_dtypes_and_second_order():
    x = tl.tensor(np.float32([0.0, 3.0]))
    assert x.clamp(tl.tensor(np.float32([1.0, nan]))).dtype == np.float32
    ints = tl.tensor([1, 5]).clamp(tl.tensor([2, 0]), tl.tensor([4, 4]))
    assert ints.dtype == np.int64 and ints.tolist() == [2, 4]
    lo = tl.tensor([0.5, 0.0], requires_grad=True)
    x = tl.tensor([0.0, 2.0], requires_grad=True)
    (g,) = tl.autograd.grad((x.clamp(min=lo) ** 2).sum(), [lo], create_graph=True)
    assert g.tolist() == [1.0, 0.0]
    (gg,) = tl.autograd.grad(g.sum(), [lo])
    assert gg.tolist() == [2.0, 0.0]


def test_clamp_out_of_range_int_bound_names_the_op():
    with pytest.raises(OverflowError, match="^clamp: .*-2"):
        tl.clamp_max(tl.tensor(np.uint8([1, 2])), -2)


# ---------------------------------------------------------------- float ops on mixed dtypes

_TWO_INPUT = ["atan2", "arctan2", "hypot", "logaddexp", "logaddexp2", "xlogy"]


@pytest.mark.parametrize("fdt", [np.float16, np.float32])
@pytest.mark.parametrize("idt", [np.bool_, np.int8, np.uint8, np.int16, np.int32])
def test_two_input_float_ops_promote_as_add(fdt, idt):
    x = tl.tensor(np.array([0.5, 2.0], fdt))
    i = tl.tensor(np.array([1, 0], idt))
    want = (x + i).dtype
    for name in _TWO_INPUT:
        assert getattr(x, name)(i).dtype == want, name
        assert getattr(i.float().astype(fdt), name)(x).dtype == fdt
    assert tl.special.xlog1py(x, i).dtype == want
    assert tl.special.xlog1py(i, x).dtype == want


def test_float_op_on_integers_only_is_default_float():
    assert tl.tensor([1, 2]).atan2(tl.tensor([True, False])).dtype == np.float64
    assert tl.tensor(np.int8([1])).exp().dtype == np.float64
    x = tl.tensor(np.float32([0.5]))
    assert x.atan2(tl.tensor(np.int8([2]))).tolist() == pytest.approx([np.arctan2(0.5, 2.0)])


# ---------------------------------------------------------------- pow's exponent gradient


def test_pow_exponent_gradient_at_result_precision():
    e = tl.tensor([0.7], requires_grad=True)
    base = np.float16(0.1)
    (tl.tensor(np.float16([0.1])) ** e).sum().backward()
    b = float(base)  # the float16 value, exactly
    assert e.grad.data[0] == pytest.approx(b**0.7 * np.log(b), rel=1e-14)
    e = tl.tensor([0.7], requires_grad=True)
    (np.float16(0.3) ** e).sum().backward()
    b = float(np.float16(0.3))
    assert e.grad.data[0] == pytest.approx(b**0.7 * np.log(b), rel=1e-14)


def test_pow_exponent_second_order_at_result_precision():
    e = tl.tensor([0.7], requires_grad=True)
    (g,) = tl.autograd.grad((tl.tensor(np.float16([0.1])) ** e).sum(), [e], create_graph=True)
    (gg,) = tl.autograd.grad(g.sum(), [e])
    b = float(np.float16(0.1))
    assert gg.data[0] == pytest.approx(b**0.7 * np.log(b) ** 2, rel=1e-14)


# ---------------------------------------------------------------- in-place shifts


def test_shift_assignments_are_in_place():
    t = tl.tensor([1, 2, 3])
    same, data = t, t.data
    t <<= 2
    assert t is same and t.tolist() == [4, 8, 12] and data.tolist() == [4, 8, 12]
    t >>= tl.tensor([1, 2, 3])
    assert t is same and t.tolist() == [2, 2, 1] and data.tolist() == [2, 2, 1]
    f = tl.tensor([1.0])
    with pytest.raises(TypeError, match="bitwise_left_shift"):
        f <<= 1


# ---------------------------------------------------------------- logsumexp, softmax


@pytest.mark.parametrize("dt", [np.float16, np.float32, np.float64])
def test_logsumexp_of_nothing_keeps_dtype(dt):
    with np.errstate(divide="ignore"):
        assert tl.tensor(np.zeros((0, 3), dt)).logsumexp(0).dtype == dt
        out = tl.tensor(np.zeros(0, dt)).logsumexp(0)
    assert out.dtype == dt and out.item() == -inf


@pytest.mark.parametrize("v", [nan, inf, -inf])
def test_zero_dim_softmax_of_non_finite_is_nan(v):
    for fn in (TF.softmax, TF.log_softmax, TF.softmin):
        x = tl.tensor(v, requires_grad=True)
        y = fn(x, 0)
        assert np.isnan(y.item())
        (g,) = tl.autograd.grad(y, [x], create_graph=True)
        assert np.isnan(g.item())
        (gg,) = tl.autograd.grad(g, [x])
        assert np.isnan(gg.item())


def test_zero_dim_softmax_of_finite():
    for fn, want in ((TF.softmax, 1.0), (TF.log_softmax, 0.0), (TF.softmin, 1.0)):
        x = tl.tensor(np.float32(2.0), requires_grad=True)
        y = fn(x, 0)
        assert y.item() == want and y.dtype == np.float32
        y.backward()
        assert x.grad.item() == 0.0


# ---------------------------------------------------------------- NumPy scalars, bincount


def test_numpy_scalar_before_bitwise_operators_gives_tensors():
    t = tl.tensor([3, 5])
    for got, want in (
        (np.int64(6) & t, [2, 4]),
        (np.int64(6) | t, [7, 7]),
        (np.int64(6) ^ t, [5, 3]),
        (np.int64(6) << t, [48, 192]),
        (np.int64(64) >> t, [8, 2]),
        (np.invert(t), [-4, -6]),
    ):
        assert isinstance(got, tl.Tensor) and got.tolist() == want
    assert (np.int32(6) & tl.tensor(np.int8([3]))).dtype == (
        np.int32(6) + tl.tensor(np.int8([3]))
    ).dtype


def test_bincount_weight_dtypes():
    x = tl.tensor([0, 1, 1])
    for wdt, want in ((np.float16, np.float64), (np.float32, np.float32), (np.float64, np.float64)):
        w = tl.tensor(np.array([0.5, 1.5, 2.5], wdt), requires_grad=True)
        out = x.bincount(w)
        assert out.dtype == want and out.tolist() == [0.5, 4.0]
        out.backward(tl.tensor(np.array([1.0, 2.0], want)))
        assert w.grad.dtype == wdt and w.grad.tolist() == [1.0, 2.0, 2.0]


@pytest.mark.parametrize(
    ("make", "op"),
    [
        (lambda: tl.full_like(tl.tensor(np.array([1, 2], np.uint8)), -1), "full_like"),
        (lambda: tl.full((2,), 256, dtype=tl.uint8), "full"),
    ],
)
def test_a_fill_value_the_dtype_cannot_hold_is_refused_by_name(make, op):
    with pytest.raises(OverflowError, match=f"^{op}: Python integer"):
        make()
