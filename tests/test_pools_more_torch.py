"""3-D transposed convolution, 3-D unpooling and power-average pools, and fractional max pools
against PyTorch: values, indices, gradients, layers, reprs and refusals.

Optional: skipped when torch is not installed. The same values (and, for the fractional pools,
the same `_random_samples`, float32 and float64) go through both libraries.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lite import Tensor, conv3d
from tinygrad_lite.convt3d import ConvTranspose3d, conv_transpose3d
from tinygrad_lite.frac_pool import (
    FractionalMaxPool2d,
    FractionalMaxPool3d,
    fractional_max_pool2d,
    fractional_max_pool3d,
)
from tinygrad_lite.unpool3d import LPPool3d, MaxUnpool3d, lp_pool3d, max_unpool3d

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _close(a: Any, b: Any, tol: float = 1e-12) -> None:
    np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=tol, atol=tol)


def _both(x: np.ndarray) -> tuple[Tensor, Any]:
    return Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


def _backward(y: Tensor, ty: Any, rng: np.random.Generator) -> None:
    g = rng.standard_normal(y.shape).astype(y.dtype)
    y.backward(g)
    (ty * torch.tensor(g)).sum().backward()  # no gradient argument: it imports sympy


def test_the_1d_and_2d_transposed_layers_take_output_size_and_print_as_torch() -> None:
    from tinygrad_lite import nn

    for ours, theirs, x in (
        (nn.ConvTranspose2d(2, 4, 3, stride=2, output_padding=1, groups=2, bias=False,
                            dilation=2, seed=0),
         torch.nn.ConvTranspose2d(2, 4, 3, stride=2, output_padding=1, groups=2, bias=False,
                                  dilation=2, dtype=torch.float64),
         np.random.default_rng(0).standard_normal((1, 2, 3, 4))),
        (nn.ConvTranspose1d(1, 2, 3, stride=3, padding=1, seed=0),
         torch.nn.ConvTranspose1d(1, 2, 3, stride=3, padding=1, dtype=torch.float64),
         np.random.default_rng(1).standard_normal((2, 1, 5))),
    ):  # fmt: skip
        assert repr(ours) == repr(theirs)
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(ours.weight.data))
            if ours.bias is not None:
                theirs.bias.copy_(torch.tensor(ours.bias.data))
        spatial = x.shape[2:]
        low = tuple(tuple(theirs(torch.tensor(x)).shape)[2:])
        for size in (*(tuple(n + d for n in low) for d in (-2, -1, 0, 1, 2)),
                     (x.shape[0], ours.out_channels, *low)):  # fmt: skip
            try:
                want = theirs(torch.tensor(x), output_size=size)
            except ValueError:
                with pytest.raises(ValueError, match="valid sizes range from"):
                    ours(Tensor(x), output_size=size)
                continue
            _close(ours(Tensor(x), output_size=size), want)
        assert len(spatial) == len(low)
    for padding in ("valid", "same"):
        assert repr(nn.Conv2d(1, 1, 3, padding=padding)) == repr(
            torch.nn.Conv2d(1, 1, 3, padding=padding)
        )


@settings(max_examples=8)
@given(st.data())
def test_conv_transpose3d_matches_torch(data: Any) -> None:
    draw = data.draw
    g = draw(st.integers(1, 2))
    s = tuple(draw(st.integers(1, 2)) for _ in range(3))
    d = tuple(draw(st.integers(1, 2)) for _ in range(3))
    k = tuple(draw(st.integers(1, 3)) for _ in range(3))
    o = tuple(draw(st.integers(0, max(a, b) - 1)) for a, b in zip(s, d, strict=True))
    p = tuple(draw(st.integers(0, (kk - 1) * dd // 2)) for kk, dd in zip(k, d, strict=True))
    single = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = (g, 2, 1, 3) if single else (2, g, 2, 1, 3)
    (x, tx), (w, tw) = _both(rng.standard_normal(shape)), _both(rng.standard_normal((g, 2, *k)))
    b, tb = _both(rng.standard_normal(2 * g))
    y = conv_transpose3d(x, w, b, s, p, o, g, d)
    ty = TF.conv_transpose3d(tx, tw, tb, s, p, o, g, d)
    _close(y, ty)
    _backward(y, ty, rng)
    for ours, theirs in ((x, tx), (w, tw), (b, tb)):
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_the_layer_matches_torchs_with_output_size_and_repr() -> None:
    torch.manual_seed(0)
    for args, kw in (
        ((2, 4, 3), {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}),
        ((2, 2, (1, 2, 2)), {"bias": False, "dilation": (1, 2, 1), "output_padding": (0, 1, 0)}),
        ((1, 3, 2), {"padding": (0, 1, 0)}),
    ):
        ours = ConvTranspose3d(*args, **kw, seed=1)
        theirs = torch.nn.ConvTranspose3d(*args, **kw, dtype=torch.float64)
        assert repr(ours) == repr(theirs)
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(ours.weight.data))
            if ours.bias is not None:
                theirs.bias.copy_(torch.tensor(ours.bias.data))
        x = np.random.default_rng(2).standard_normal((1, args[0], 2, 3, 2))
        _close(ours(Tensor(x)), theirs(torch.tensor(x)))
    m = ConvTranspose3d(1, 1, 3, stride=2, padding=1)
    tm = torch.nn.ConvTranspose3d(1, 1, 3, 2, 1, dtype=torch.float64)
    x = np.zeros((1, 1, 2, 3, 4))
    for size in ((3, 5, 7), (4, 6, 8), [1, 1, 4, 5, 7]):
        assert m(Tensor(x), output_size=size).shape == tuple(tm(torch.tensor(x), size).shape)
    for size in ((5, 5, 5), (2, 5, 7), (4, 5)):
        with pytest.raises(ValueError) as theirs_error:
            tm(torch.tensor(x), output_size=size)
        with pytest.raises(ValueError) as ours_error:
            m(Tensor(x), output_size=size)
        shown = str(theirs_error.value).split("but ")[-1].split(" (for")[0]
        assert shown.lower() in str(ours_error.value).lower()


@settings(max_examples=8)
@given(st.data())
def test_lp_pool3d_matches_torch(data: Any) -> None:
    draw = data.draw
    p = draw(st.sampled_from([1.0, 2.0, 3.0, 1.5, -2.0, np.inf, -np.inf]))
    k = tuple(draw(st.integers(1, 2)) for _ in range(3))
    s = draw(st.sampled_from([None, 1, (2, 1, 2)]))
    ceil_mode = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = rng.integers(-2, 3, (1, 2, 3, 3, 4)).astype(np.float64)  # zeros and ties
    if p not in (2.0, np.inf, -np.inf):
        values = np.abs(values) + 0.5  # powers of negatives are NaN in both
    x, tx = _both(values)
    y, ty = lp_pool3d(x, p, k, s, ceil_mode), TF.lp_pool3d(tx, p, k, s, ceil_mode)
    _close(y, ty, 1e-10)
    _backward(y, ty, rng)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-10, atol=1e-10)
    layer, theirs = LPPool3d(p, k, s, ceil_mode), torch.nn.LPPool3d(p, k, s, ceil_mode)
    assert repr(layer) == repr(theirs)


def test_max_unpool3d_matches_torch() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 2, 4, 5, 4))
    tv, ti = TF.max_pool3d(torch.tensor(x), 2, 2, 1, return_indices=True)
    values, indices = conv3d.max_pool3d(Tensor(x), 2, 2, 1, return_indices=True)
    np.testing.assert_array_equal(indices.data, ti.numpy())
    v, tvv = _both(tv.numpy())
    for size in ((4, 5, 4), (2, 2, 5, 5, 5)):
        y, ty = max_unpool3d(v, indices, 2, 2, 1, size), TF.max_unpool3d(tvv, ti, 2, 2, 1, size)
        _close(y, ty)
        _backward(y, ty, rng)
    np.testing.assert_allclose(v.grad.data, tvv.grad.numpy(), atol=1e-12)
    assert repr(MaxUnpool3d(2, 1, (1, 0, 1))) == repr(torch.nn.MaxUnpool3d(2, 1, (1, 0, 1)))
    with pytest.raises(ValueError, match="invalid output_size"):
        max_unpool3d(v, indices, 2, 2, 1, (6, 6, 6))
    with pytest.raises(ValueError, match="invalid output_size"):
        TF.max_unpool3d(tvv, ti, 2, 2, 1, (6, 6, 6))


@settings(max_examples=12)
@given(st.data())
def test_fractional_pools_match_torch_with_the_same_samples(data: Any) -> None:
    draw = data.draw
    dims = draw(st.sampled_from([2, 3]))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    size = tuple(draw(st.integers(2, 9 if dims == 2 else 5)) for _ in range(dims))
    k = tuple(draw(st.integers(1, s - 1)) for s in size)
    out = tuple(draw(st.integers(0, s - kk)) for s, kk in zip(size, k, strict=True))
    single = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = (
        rng.integers(-3, 4, (2, 2, *size)) if draw(st.booleans()) else rng.random((2, 2, *size))
    )
    values = values.astype(dtype)
    u = rng.random((2, 2, dims)).astype(dtype)
    if single:
        values, u = values[0], u[:1]
    x, tx = _both(values)
    pool = fractional_max_pool2d if dims == 2 else fractional_max_pool3d
    theirs_pool = TF.fractional_max_pool2d if dims == 2 else TF.fractional_max_pool3d
    y, idx = pool(x, k, out, return_indices=True, _random_samples=u)
    ty, tidx = theirs_pool(tx, k, out, return_indices=True, _random_samples=torch.tensor(u))
    np.testing.assert_array_equal(y.data, ty.detach().numpy())
    np.testing.assert_array_equal(idx.data, tidx.numpy())
    assert y.dtype == dtype and idx.dtype == np.int64
    _backward(y, ty, rng)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_float32_samples_give_torchs_windows_where_float64_arithmetic_would_not() -> None:
    # u = 0.08376776 with 194 inputs, k = 3 and 146 outputs: (i + u)·α rounds differently
    x = np.arange(194, dtype=np.float32).reshape(1, 1, 1, 194)
    u = np.array([[[0.08376776, 0.5]]], np.float32)
    _, idx = fractional_max_pool2d(Tensor(x), (1, 3), (1, 146), None, True, u)
    _, tidx = TF.fractional_max_pool2d(torch.tensor(x), (1, 3), (1, 146), None, True,
                                       torch.tensor(u))  # fmt: skip
    np.testing.assert_array_equal(idx.data, tidx.numpy())
    _, idx64 = fractional_max_pool2d(Tensor(x.astype(np.float64)), (1, 3), (1, 146), None, True,
                                     u.astype(np.float64))  # fmt: skip
    assert not np.array_equal(idx64.data, tidx.numpy())


def test_fractional_layers_match_torchs() -> None:
    x = np.random.default_rng(4).standard_normal((2, 3, 7, 6, 5))
    u = torch.rand(2, 3, 3, dtype=torch.float64)
    for ours, theirs in (
        (FractionalMaxPool3d(2, output_ratio=0.5, _random_samples=Tensor(u.numpy())),
         torch.nn.FractionalMaxPool3d(2, output_ratio=0.5, _random_samples=u)),
        (FractionalMaxPool3d((1, 2, 3), (3, 2, 1), return_indices=True,
                             _random_samples=Tensor(u.numpy())),
         torch.nn.FractionalMaxPool3d((1, 2, 3), (3, 2, 1), return_indices=True,
                                      _random_samples=u)),
    ):  # fmt: skip
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        a, b = ours(Tensor(x)), theirs(torch.tensor(x))
        for mine, other in zip(a if isinstance(a, tuple) else [a], b if isinstance(b, tuple)
                               else [b], strict=True):  # fmt: skip
            np.testing.assert_array_equal(mine.data, other.numpy())
    two, torch_two = FractionalMaxPool2d(3, output_size=2), torch.nn.FractionalMaxPool2d(3, 2)
    assert repr(two) == repr(torch_two) and two.state_dict() == {} == dict(torch_two.state_dict())
    assert two(Tensor(x[0])).shape == tuple(torch_two(torch.tensor(x[0])).shape)


@pytest.mark.parametrize(
    "call",
    [
        lambda f, x: f.fractional_max_pool2d(x, 2, (5, 3)),
        lambda f, x: f.fractional_max_pool2d(x[:, :, :, :0], 1, 0),
        lambda f, x: f.fractional_max_pool2d(x, 2, (2, 2), _random_samples=x[:, :, :2, 0].float()),
        lambda f, x: f.fractional_max_pool2d(x, 2, (2, 2), _random_samples=x[:, :1, :2, 0:1]),
        lambda f, x: f.fractional_max_pool2d(x, (2, 2, 2), (2, 2)),
        lambda f, x: f.fractional_max_pool3d(x[..., None], 2, (2, 2, 1)),
    ],
)
def test_both_refuse_the_same_bad_fractional_pools(call: Any) -> None:
    x = np.random.default_rng(5).standard_normal((1, 2, 5, 6))
    with pytest.raises((RuntimeError, IndexError, ValueError)):
        call(TF, torch.tensor(x))

    class Ours:
        fractional_max_pool2d = staticmethod(fractional_max_pool2d)
        fractional_max_pool3d = staticmethod(fractional_max_pool3d)

    with pytest.raises((ValueError, TypeError)):
        call(Ours, Tensor(x))
