"""3-D transposed convolution, 3-D unpooling and power-average pools, and fractional max pools:
values against loops and NumPy formulas, finite differences in float64, layers, and refusals."""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor, conv3d
from tinygrad_lite.conv_transpose import conv_transpose2d, transposed_output_padding
from tinygrad_lite.convt3d import ConvTranspose3d, conv_transpose3d
from tinygrad_lite.frac_pool import (
    FractionalMaxPool2d,
    FractionalMaxPool3d,
    fractional_max_pool2d,
    fractional_max_pool2d_with_indices,
    fractional_max_pool3d,
    fractional_starts,
)
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck
from tinygrad_lite.unpool3d import LPPool3d, MaxUnpool3d, lp_pool3d, max_unpool3d


def _loop_conv_transpose3d(x: np.ndarray, w: np.ndarray, b: np.ndarray, s: Any, p: Any,
                           o: Any, g: int, d: Any) -> np.ndarray:  # fmt: skip
    """Every input voxel times its kernel, added where the convolution read it from."""
    n, c, *size = x.shape
    og, k = w.shape[1], w.shape[2:]
    full = [(i - 1) * s[j] + d[j] * (k[j] - 1) + 1 + o[j] for j, i in enumerate(size)]
    y = np.zeros((n, og * g, *full))
    for ci, z, i, j in itertools.product(range(c), *(range(v) for v in size)):
        group = ci // (c // g)
        for a, bb, cc in itertools.product(*(range(v) for v in k)):
            at = (z * s[0] + a * d[0], i * s[1] + bb * d[1], j * s[2] + cc * d[2])
            y[:, group * og : (group + 1) * og, at[0], at[1], at[2]] += (
                x[:, ci, z, i, j, None] * w[ci, :, a, bb, cc]
            )
    cut = y[:, :, p[0] : full[0] - p[0], p[1] : full[1] - p[1], p[2] : full[2] - p[2]]
    return cut + b[None, :, None, None, None]


@settings(max_examples=6)
@given(st.data())
def test_conv_transpose3d_adds_each_voxel_into_its_window(data: Any) -> None:
    draw = data.draw
    g = draw(st.integers(1, 2))
    s = tuple(draw(st.integers(1, 2)) for _ in range(3))
    d = tuple(draw(st.integers(1, 2)) for _ in range(3))
    k = tuple(draw(st.integers(1, 2)) for _ in range(3))
    o = tuple(draw(st.integers(0, max(a, b) - 1)) for a, b in zip(s, d, strict=True))
    p = tuple(draw(st.integers(0, (kk - 1) * dd // 2)) for kk, dd in zip(k, d, strict=True))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((2, 2 * g, 2, 1, 2))
    w, b = rng.standard_normal((2 * g, 2, *k)), rng.standard_normal(2 * g)
    y = conv_transpose3d(Tensor(x), Tensor(w), Tensor(b), s, p, o, g, d)
    np.testing.assert_allclose(y.data, _loop_conv_transpose3d(x, w, b, s, p, o, g, d), atol=1e-12)
    # the adjoint of conv3d: <conv3d(v, w), x> = <v, conv_transpose3d(x, w)>
    v = rng.standard_normal(y.shape)
    back = conv3d.conv3d(Tensor(v), Tensor(w), None, s, p, d, g).data  # past x where o >= s
    lhs = np.sum(back[:, :, :2, :1, :2] * x)
    rhs = np.sum(v * conv_transpose3d(Tensor(x), Tensor(w), None, s, p, o, g, d).data)
    assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-10)


def test_conv_transpose3d_on_one_plane_is_the_2d_one_and_keeps_float32() -> None:
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 4, 3, 3)), rng.standard_normal((4, 1, 2, 3))
    two = conv_transpose2d(Tensor(x), Tensor(w), None, 2, 1, 1, 2, (1, 2))
    three = conv_transpose3d(
        Tensor(x[:, :, None]), Tensor(w[:, :, None]), None, (1, 2, 2), (0, 1, 1), (0, 1, 1),
        2, (1, 1, 2),
    )  # fmt: skip
    np.testing.assert_allclose(three.data[:, :, 0], two.data, atol=1e-12)
    single = conv_transpose3d(Tensor(x[0, :, None].astype(np.float32)), Tensor(w[:, :, None]
                              .astype(np.float32)), stride=2)  # fmt: skip
    assert single.dtype == np.float32 and single.shape == (1, 1, 6, 7)


def test_conv_transpose3d_gradients_of_both_orders_match_finite_differences() -> None:
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((1, 2, 2, 2, 1)), requires_grad=True)
    w = Tensor(rng.standard_normal((2, 1, 2, 1, 2)), requires_grad=True)
    b = Tensor(rng.standard_normal(2), requires_grad=True)

    def f(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        return conv_transpose3d(x, w, b, (2, 1, 1), (1, 0, 0), (1, 0, 0), 2, (1, 1, 2))

    assert gradcheck(f, x, w, b)
    assert gradgradcheck(lambda x, w: f(x, w, b) ** 2, x, w)


def test_the_layer_draws_pytorchs_weights_and_honours_output_size() -> None:
    m = ConvTranspose3d(2, 4, 3, stride=2, padding=1, output_padding=1, groups=2, seed=0)
    assert m.weight.shape == (2, 2, 3, 3, 3) and m.bias is not None
    assert np.abs(m.weight.data).max() <= 1 / math.sqrt(2 * 27)
    assert repr(m) == (
        "ConvTranspose3d(2, 4, kernel_size=(3, 3, 3), stride=(2, 2, 2), padding=(1, 1, 1), "
        "output_padding=(1, 1, 1), groups=2)"
    )
    x = tg.randn(1, 2, 2, 3, 1)
    assert m(x).shape == (1, 4, 4, 6, 2)
    assert m(x, output_size=(3, 6, 1)).shape == (1, 4, 3, 6, 1)
    assert m(x[0], output_size=[4, 3, 5, 2]).shape == (4, 3, 5, 2)
    plain = ConvTranspose3d(1, 1, (1, 2, 1), bias=False, dilation=2)
    assert repr(plain).endswith("stride=(1, 1, 1), dilation=(2, 2, 2), bias=False)")
    assert transposed_output_padding("f", np.zeros((1, 1, 3)), [8], [3], [0], [2], [1]) == (0,)
    with pytest.raises(ValueError, match=re.escape("valid sizes range from [3, 5, 1] to")):
        m(x, output_size=(2, 6, 1))
    with pytest.raises(ValueError, match="output_size must have 3 or 5 elements"):
        m(x, output_size=(3, 6))


def _windows3d(x: np.ndarray, k: tuple[int, ...], s: tuple[int, ...]) -> np.ndarray:
    """(N, C, OD, OH, OW, kd·kh·kw): every window of x, no padding."""
    shape = x.shape[2:]
    out = [(n - kk) // ss + 1 for n, kk, ss in zip(shape, k, s, strict=True)]
    cols = np.empty(x.shape[:2] + tuple(out) + (math.prod(k),))
    for z, i, j in itertools.product(*(range(o) for o in out)):
        a, b, c = z * s[0], i * s[1], j * s[2]
        window = x[:, :, a : a + k[0], b : b + k[1], c : c + k[2]]
        cols[:, :, z, i, j] = window.reshape(x.shape[:2] + (-1,))
    return cols


def test_lp_pool3d_is_the_p_norm_of_each_window() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(0.5, 2.0, (1, 2, 4, 3, 5))
    cases = (((2.0, (2, 2, 2), (2, 1, 2))), (1.5, (1, 3, 2), None), (np.inf, (2, 2, 2), 1))
    for p, k, s in cases:
        step = k if s is None else (s, s, s) if isinstance(s, int) else s
        cols = _windows3d(x, k, step)
        expected = cols.max(-1) if p == np.inf else (cols**p).sum(-1) ** (1 / p)
        np.testing.assert_allclose(lp_pool3d(Tensor(x), p, k, s).data, expected, rtol=1e-12)
    y = LPPool3d(2, (2, 1, 2), ceil_mode=True)(Tensor(x))
    assert y.shape == (1, 2, 2, 3, 3)
    assert (
        repr(LPPool3d(2, 3, 2)) == "LPPool3d(norm_type=2, kernel_size=3, stride=2, ceil_mode=False)"
    )
    t = Tensor(x[:, :, :3, :2, :3], requires_grad=True)
    assert gradcheck(lambda t: lp_pool3d(t, 3.0, (2, 1, 2), 1), t)


def test_max_unpool3d_puts_the_maxima_back_and_reads_their_gradients() -> None:
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 2, 4, 3, 4))
    values, indices = conv3d.max_pool3d(Tensor(x), 2, 2, 1, return_indices=True)
    y = max_unpool3d(values, indices, 2, 2, 1, output_size=x.shape)
    picked = np.zeros((2, 2, x[0, 0].size))
    np.put_along_axis(picked, indices.data.reshape(2, 2, -1), values.data.reshape(2, 2, -1), 2)
    np.testing.assert_array_equal(y.data, picked.reshape(x.shape))
    assert MaxUnpool3d(2, 2, 1)(values[0], indices[0], (4, 3, 4)).shape == (2, 4, 3, 4)
    assert (
        repr(MaxUnpool3d(2))
        == "MaxUnpool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0))"
    )
    a = Tensor(rng.standard_normal(values.shape), requires_grad=True)
    assert gradcheck(lambda t: max_unpool3d(t, indices, 2, 2, 1, x.shape) ** 2, a)
    idx = rng.integers(0, 8, (1, 1, 2, 2, 2))  # repeats: the last write stays
    v = Tensor(rng.standard_normal(idx.shape), requires_grad=True)
    out = max_unpool3d(v, Tensor(idx), 2, 1)
    flat = np.zeros(27)
    for i, target in enumerate(idx.ravel()):
        flat[target] = v.data.ravel()[i]
    np.testing.assert_array_equal(out.data.ravel(), flat)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    np.testing.assert_array_equal(v.grad.data.ravel(), g.ravel()[idx.ravel()])


def _starts64(u: float, size: int, out: int, k: int) -> list[int]:
    """The window starts of the fractional pool, in exact (float64) arithmetic."""
    if out == 1:
        return [size - k]
    alpha = (size - k) / (out - 1)
    return [math.floor((i + u) * alpha) - math.floor(u * alpha) for i in range(out - 1)] + [
        size - k
    ]


@settings(max_examples=20)
@given(size=st.integers(1, 40), data=st.data())
def test_fractional_starts_step_by_the_floor_or_ceiling_of_alpha(size: int, data: Any) -> None:
    k = data.draw(st.integers(1, size))
    out = data.draw(st.integers(1, size - k + 1))
    u = np.array([data.draw(st.floats(0.0, 1.0, exclude_max=True)), 0.0, 0.5])
    starts = fractional_starts(u, size, out, k)
    assert starts.shape == (3, out) and starts.dtype == np.int64
    for row, ui in zip(starts, u, strict=True):
        assert row.tolist() == _starts64(float(ui), size, out, k)
        assert row[0] == (0 if out > 1 else size - k) and row[-1] == size - k
        if out > 2:  # every step but the last is ⌊α⌋ or ⌈α⌉
            alpha = (size - k) / (out - 1)
            assert set(np.diff(row[:-1])) <= {math.floor(alpha), math.ceil(alpha)}
    assert fractional_starts(np.zeros(2), size, 0, k).shape == (2, 0)


def _loop_fractional(x: np.ndarray, k: tuple[int, ...], out: tuple[int, ...],
                     u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The reference: each window scanned in row-major order, first maximum kept."""
    n, c, *size = x.shape
    dims = len(size)
    order = (1, 0) if dims == 2 else (0, 1, 2)
    values, where = np.empty((n, c, *out)), np.empty((n, c, *out), np.int64)
    for b, ch in itertools.product(range(n), range(c)):
        starts = [_starts64(float(u[b, ch, order[j]]), size[j], out[j], k[j]) for j in range(dims)]
        for pos in itertools.product(*(range(o) for o in out)):
            best, at = -np.inf, None
            for off in itertools.product(*(range(kk) for kk in k)):
                point = tuple(starts[j][pos[j]] + off[j] for j in range(dims))
                if at is None or x[(b, ch, *point)] > best:
                    best, at = x[(b, ch, *point)], np.ravel_multi_index(point, size)
            values[(b, ch, *pos)], where[(b, ch, *pos)] = best, at
    return values, where


@settings(max_examples=8)
@given(st.data())
def test_fractional_pools_take_each_windows_first_maximum(data: Any) -> None:
    draw = data.draw
    dims = draw(st.sampled_from([2, 3]))
    size = tuple(draw(st.integers(2, 6)) for _ in range(dims))
    k = tuple(draw(st.integers(1, s - 1)) for s in size)
    out = tuple(draw(st.integers(0, s - kk)) for s, kk in zip(size, k, strict=True))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.integers(-2, 3, (2, 2, *size)).astype(np.float64)  # ties
    u = rng.random((3, 2, dims))
    pool = fractional_max_pool2d if dims == 2 else fractional_max_pool3d
    xt = Tensor(x, requires_grad=True)
    values, indices = pool(xt, k, out, return_indices=True, _random_samples=u)
    ref_values, ref_indices = _loop_fractional(x, k, out, u)
    np.testing.assert_array_equal(values.data, ref_values)
    np.testing.assert_array_equal(indices.data, ref_indices)
    g = rng.standard_normal(values.shape)
    values.backward(g)
    expected = np.zeros((2, 2, math.prod(size)))
    for b, ch in itertools.product(range(2), range(2)):  # overlapping windows add up
        np.add.at(expected[b, ch], ref_indices[b, ch].ravel(), g[b, ch].ravel())
    np.testing.assert_array_equal(xt.grad.data if xt.grad is not None else 0.0,
                                  expected.reshape(x.shape) if values.size else 0.0)  # fmt: skip


def test_fractional_pool_gradients_of_both_orders_match_finite_differences() -> None:
    rng = np.random.default_rng(5)
    x = Tensor(rng.standard_normal((1, 2, 5, 4)), requires_grad=True)
    u = Tensor(rng.random((1, 2, 2)))
    assert gradcheck(lambda t: fractional_max_pool2d(t, 2, (3, 2), _random_samples=u), x)
    assert gradgradcheck(lambda t: fractional_max_pool2d(t * t, (1, 2), 2, _random_samples=u), x)
    v = Tensor(rng.standard_normal((2, 4, 3, 3)), requires_grad=True)
    w = Tensor(rng.random((1, 2, 3)))
    assert gradcheck(lambda t: fractional_max_pool3d(t, (2, 1, 2), (2, 2, 1), _random_samples=w), v)


def test_fractional_pool_sizes_samples_and_layers() -> None:
    x = tg.randn(2, 3, 5, 7)
    assert fractional_max_pool2d(x, 2, output_ratio=0.5).shape == (2, 3, 2, 3)
    assert fractional_max_pool2d(x, 2, output_ratio=(0.5, 0.75)).shape == (2, 3, 2, 5)
    assert fractional_max_pool2d(x, 2, output_size=(0, 3)).shape == (2, 3, 0, 3)
    assert fractional_max_pool2d(tg.randn(0, 3, 5, 7), 2, 3).shape == (0, 3, 3, 3)
    v, i = fractional_max_pool2d_with_indices(x[0], (2, 3), 2)
    assert v.shape == i.shape == (3, 2, 2) and i.dtype == np.int64
    x32 = tg.randn(1, 2, 6, 5, 4, dtype=np.float32)
    assert fractional_max_pool3d(x32, 2, output_ratio=0.5).dtype == np.float32
    tg.manual_seed(7)  # the default generator draws the samples
    first = fractional_max_pool2d(x, 2, 3, return_indices=True).indices.data
    tg.manual_seed(7)
    np.testing.assert_array_equal(
        fractional_max_pool2d(x, 2, 3, return_indices=True)[1].data, first
    )
    samples = tg.rand(4, 3, 2)  # more rows than the batch: the first ones are used
    m = FractionalMaxPool2d(2, output_ratio=0.6, return_indices=True, _random_samples=samples)
    assert repr(m) == "FractionalMaxPool2d()" and list(m.state_dict()) == ["_random_samples"]
    assert m.kernel_size == (2, 2) and m.output_ratio == (0.6, 0.6) and m.output_size is None
    np.testing.assert_array_equal(
        m(x).indices.data, fractional_max_pool2d(x, 2, (3, 4), None, True, samples[:2])[1].data
    )
    m3 = FractionalMaxPool3d((1, 2, 2), output_size=2)
    assert m3.output_size == (2, 2, 2) and m3(x32).shape == (1, 2, 2, 2, 2)
    assert FractionalMaxPool2d(2, 3).state_dict() == {}


def _bad(fn: Any, error: type[Exception], pattern: str) -> tuple[Any, type[Exception], str]:
    return fn, error, pattern


x4, x5 = tg.randn(1, 2, 5, 6), tg.randn(1, 2, 4, 5, 6)
w5 = tg.randn(2, 1, 2, 2, 2)


@pytest.mark.parametrize(
    ("fn", "error", "pattern"),
    [
        _bad(lambda: conv_transpose3d(x4[0], w5), ValueError, r"\(N, C, D, H, W\) or"),
        _bad(lambda: conv_transpose3d(x5, w5[0]), ValueError, "weight must be"),
        _bad(lambda: conv_transpose3d(x5, tg.randn(3, 1, 2, 2, 2)), ValueError, "expects 3"),
        _bad(lambda: conv_transpose3d(x5, w5, output_padding=1), ValueError, "smaller than"),
        _bad(lambda: conv_transpose3d(x5, w5, padding=3), ValueError, "leaves no output"),
        _bad(lambda: conv_transpose3d(x5, w5, stride=0), ValueError, "stride must be >= 1"),
        _bad(lambda: conv_transpose3d(x5, w5, bias=tg.randn(3)), ValueError, r"bias must"),
        _bad(lambda: conv_transpose3d(x5, w5.float()), TypeError, "dtype"),
        _bad(lambda: ConvTranspose3d(2, 2, 2, padding="same"), ValueError, "padding must be"),
        _bad(lambda: lp_pool3d(x5, 0, 2), ValueError, "norm_type must not be 0"),
        _bad(lambda: lp_pool3d(x5, 2, (2, 2)), TypeError, "kernel_size must be"),
        _bad(
            lambda: max_unpool3d(x5, np.zeros((1, 2, 4, 5, 6), np.int64), 2, output_size=(9, 9, 9)),
            ValueError,
            "invalid output_size",
        ),  # fmt: skip
        _bad(
            lambda: max_unpool3d(x5, np.full((1, 2, 4, 5, 6), 999), 1),
            IndexError,
            r"index 999 is out of range for an output of size 4x5x6",
        ),  # fmt: skip
        _bad(lambda: max_unpool3d(x5, np.zeros((1, 2, 4, 5, 6)), 1), TypeError, "integers"),
        _bad(lambda: fractional_max_pool2d(x4, 2), ValueError, "either an output_size or"),
        _bad(lambda: fractional_max_pool2d(x4, 2, 5), ValueError, "pool height of 2 is too"),
        _bad(lambda: fractional_max_pool3d(x5, 2, (2, 2, 5)), ValueError, "pool width of 2"),
        _bad(lambda: fractional_max_pool2d(x4, 0, 3), ValueError, "kernel_size must be >= 1"),
        _bad(lambda: fractional_max_pool2d(x4, 2, -1), ValueError, "output_size must be >= 0"),
        _bad(lambda: fractional_max_pool2d(x4, 2, output_ratio=-1), ValueError, "negative"),
        _bad(lambda: fractional_max_pool2d(x4, 2, output_ratio=(1, 2, 3)), ValueError, "2 fini"),
        _bad(
            lambda: fractional_max_pool2d(
                x4, 2, 3, _random_samples=np.zeros((1, 2, 2), np.float32)
            ),
            TypeError,
            "input's dtype float64, got float32",
        ),  # fmt: skip
        _bad(
            lambda: fractional_max_pool2d(x4, 2, 3, _random_samples=np.zeros((1, 3, 2))),
            ValueError,
            r"must be \(N, C, 2\) = \(1, 2, 2\)",
        ),  # fmt: skip
        _bad(
            lambda: fractional_max_pool2d(x4, 2, 3, _random_samples=np.zeros((2, 2))),
            ValueError,
            "3 dimensions",
        ),  # fmt: skip
        _bad(
            lambda: fractional_max_pool2d(x4, 2, 3, _random_samples=np.full((1, 2, 2), np.nan)),
            ValueError,
            "finite",
        ),  # fmt: skip
        _bad(lambda: fractional_max_pool2d(tg.zeros(1, 0, 5, 6), 2, 3), ValueError, "non-empty"),
        _bad(lambda: fractional_max_pool3d(x4[0], 2, 1), ValueError, r"\(C, T, H, W\)"),
        _bad(lambda: fractional_max_pool2d(tg.tensor([[[1, 2]]]), 1, 1), TypeError, "floating"),
        _bad(lambda: FractionalMaxPool2d(2), ValueError, "either an output size, or a pooling"),
        _bad(lambda: FractionalMaxPool2d(2, 3, 0.5), ValueError, "only one of"),
        _bad(lambda: FractionalMaxPool3d(2, output_ratio=1.0), ValueError, "between 0 and 1"),
        _bad(lambda: FractionalMaxPool3d((2, 0, 1), 3), ValueError, "kernel_size must be >= 1"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(
    fn: Any, error: type[Exception], pattern: str
) -> None:
    with pytest.raises(error, match=pattern):
        fn()
