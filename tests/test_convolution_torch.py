"""Convolution, pooling, padding, unfold and fold against PyTorch in float64.

Optional: skipped when torch is not installed (it is no dependency of the project). Every
setting is drawn at random (strides, padding including "same", dilation, groups; inputs with
ties, NaN and −∞ for max pooling) and the same values go through both libraries: values and
gradients agree to 1e-12, and max pooling's indices are equal.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lite import Tensor
from tinygrad_lite import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
pytestmark = [
    pytest.mark.slow,  # only where torch is installed
    # PyTorch's note that an even kernel with padding="same" pads a copy: the values are right
    pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning"),
]


def _both(*arrays: np.ndarray) -> tuple[list[Tensor], list[Any]]:
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return ours, theirs


def _backward(y: Tensor, ty: Any, rng: np.random.Generator) -> None:
    g = rng.standard_normal(y.shape)
    (y * Tensor(g)).sum().backward()
    (ty * torch.tensor(g)).sum().backward()


def _close(a: Any, b: Any) -> None:
    np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-12)


def _pair(draw: Any, lo: int, hi: int) -> tuple[int, int]:
    return (draw(st.integers(lo, hi)), draw(st.integers(lo, hi)))


@settings(max_examples=40)
@given(st.data())
def test_conv2d_equals_pytorchs(data: Any) -> None:
    draw = data.draw
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    k, d = _pair(draw, 1, 3), _pair(draw, 1, 2)
    padding: Any = draw(st.sampled_from(["int", "pair", "same", "valid"]))
    s = (1, 1) if padding == "same" else _pair(draw, 1, 3)
    padding = {"int": draw(st.integers(0, 2)), "pair": _pair(draw, 0, 2)}.get(padding, padding)
    h, w = (d[i] * (k[i] - 1) + 1 + draw(st.integers(0, 3)) for i in range(2))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    arrays = [rng.standard_normal((draw(st.integers(1, 2)), cin, h, w))]
    arrays.append(rng.standard_normal((cout, cin // groups, *k)))
    bias = draw(st.booleans())
    if bias:
        arrays.append(rng.standard_normal(cout))
    ours, theirs = _both(*arrays)
    kw = {"stride": s, "padding": padding, "dilation": d, "groups": groups}
    y = F.conv2d(*ours, **kw)
    ty = TF.conv2d(*theirs, **kw)
    _close(y, ty)
    _backward(y, ty, rng)
    for a, b in zip(ours, theirs, strict=True):
        _close(a.grad, b.grad)


@settings(max_examples=40)
@given(st.data())
def test_max_pool2d_equals_pytorchs_values_indices_and_gradients(data: Any) -> None:
    draw = data.draw
    k, s, d = _pair(draw, 1, 3), _pair(draw, 1, 3), _pair(draw, 1, 2)
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    h, w = (d[i] * (k[i] - 1) + 1 + draw(st.integers(0, 3)) for i in range(2))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.integers(-2, 3, (2, 2, h, w)).astype(float)  # ties
    for special in draw(st.lists(st.sampled_from([np.nan, -np.inf]), max_size=2)):
        x[rng.random(x.shape) < 0.25] = special
    (ours,), (theirs,) = _both(x)
    y, idx = F.max_pool2d(ours, k, s, p, d, return_indices=True)
    ty, tidx = TF.max_pool2d(theirs, k, s, p, d, return_indices=True)
    assert np.array_equal(y.data, ty.detach().numpy(), equal_nan=True)
    assert np.array_equal(idx.data, tidx.numpy())
    g = rng.standard_normal(y.shape)
    y.backward(g)  # not Σ y ⊙ g: y may hold ±∞
    ty.backward(torch.tensor(g))
    _close(ours.grad, theirs.grad)


@settings(max_examples=30)
@given(st.data())
def test_avg_pool2d_equals_pytorchs(data: Any) -> None:
    draw = data.draw
    k, s = _pair(draw, 1, 3), _pair(draw, 1, 3)
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    h, w = (k[i] + draw(st.integers(0, 3)) for i in range(2))
    count_include_pad = draw(st.booleans())
    divisor = draw(st.sampled_from([None, None, 1, 4]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    (ours,), (theirs,) = _both(rng.standard_normal((2, 3, h, w)))
    kw = {"count_include_pad": count_include_pad, "divisor_override": divisor}
    y = F.avg_pool2d(ours, k, s, p, **kw)
    ty = TF.avg_pool2d(theirs, k, s, p, **kw)
    _close(y, ty)
    _backward(y, ty, rng)
    _close(ours.grad, theirs.grad)


@settings(max_examples=30)
@given(st.data())
def test_pad_unfold_and_fold_equal_pytorchs(data: Any) -> None:
    draw = data.draw
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = (2, 3, draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    widths: list[int] = []
    for k in range(draw(st.integers(1, 4))):
        size = shape[3 - k]
        left = draw(st.integers(-size, 2))
        widths += [left, draw(st.integers(-(size + min(left, 0)), 2))]
    (ours,), (theirs,) = _both(rng.standard_normal(shape))
    y, ty = F.pad(ours, tuple(widths), value=-0.5), TF.pad(theirs, tuple(widths), value=-0.5)
    _close(y, ty)
    _backward(y, ty, rng)
    _close(ours.grad, theirs.grad)

    k, s, d, p = _pair(draw, 1, 3), _pair(draw, 1, 2), _pair(draw, 1, 2), _pair(draw, 0, 1)
    h, w = (d[i] * (k[i] - 1) + 1 + draw(st.integers(0, 3)) for i in range(2))
    (ours,), (theirs,) = _both(rng.standard_normal((2, 2, h, w)))
    y, ty = F.unfold(ours, k, d, p, s), TF.unfold(theirs, k, d, p, s)
    _close(y, ty)
    _backward(y, ty, rng)
    _close(ours.grad, theirs.grad)
    (ours,), (theirs,) = _both(rng.standard_normal(y.shape))
    z, tz = F.fold(ours, (h, w), k, d, p, s), TF.fold(theirs, (h, w), k, d, p, s)
    _close(z, tz)
    _backward(z, tz, rng)
    _close(ours.grad, theirs.grad)


def test_batch_norm_2d_after_a_convolution_equals_pytorchs() -> None:
    """Training steps (batch statistics, running ones updated), then evaluation."""
    from tinygrad_lite import nn

    rng = np.random.default_rng(0)
    ours, theirs = nn.BatchNorm2d(3, momentum=0.2), torch.nn.BatchNorm2d(3, momentum=0.2).double()
    for _ in range(3):
        (x,), (tx,) = _both(rng.standard_normal((4, 3, 5, 2)) * 2 + 1)
        y, ty = ours(x), theirs(tx)
        _close(y, ty)
        _backward(y, ty, rng)
        _close(x.grad, tx.grad)
        _close(ours.weight.grad, theirs.weight.grad)
        _close(ours.running_var, theirs.running_var)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((2, 3, 4, 4))
    _close(ours(x), theirs(torch.tensor(x)))


@settings(max_examples=30)
@given(st.data())
def test_one_dimensional_and_adaptive_functions_equal_pytorchs(data: Any) -> None:
    draw = data.draw
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    groups = draw(st.sampled_from([1, 2]))
    k, s, d = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    padding: Any = draw(st.sampled_from([0, 1, 2, "same", "valid"]))
    s = 1 if padding == "same" else s
    length = d * (k - 1) + 1 + draw(st.integers(0, 4))
    arrays = [rng.standard_normal((2, 2 * groups, length)), rng.standard_normal((2 * groups, 2, k))]
    ours, theirs = _both(*arrays, rng.standard_normal(2 * groups))
    y = F.conv1d(*ours, stride=s, padding=padding, dilation=d, groups=groups)
    ty = TF.conv1d(*theirs, stride=s, padding=padding, dilation=d, groups=groups)
    _close(y, ty)
    _backward(y, ty, rng)
    for a, b in zip(ours, theirs, strict=True):
        _close(a.grad, b.grad)

    p = draw(st.integers(0, k // 2))
    x = rng.integers(-2, 3, (2, 3, length)).astype(float)
    (ours_x,), (theirs_x,) = _both(x)
    y, idx = F.max_pool1d(ours_x, k, s, p, d, return_indices=True)
    ty, tidx = TF.max_pool1d(theirs_x, k, s, p, d, return_indices=True)
    _close(y, ty)
    assert np.array_equal(idx.data, tidx.numpy())
    _backward(y, ty, rng)
    _close(ours_x.grad, theirs_x.grad)
    cip = draw(st.booleans())
    (ours_x,), (theirs_x,) = _both(rng.standard_normal((2, 3, length)))
    y = F.avg_pool1d(ours_x, k, s, p, count_include_pad=cip)
    ty = TF.avg_pool1d(theirs_x, k, s, p, count_include_pad=cip)
    _close(y, ty)
    _backward(y, ty, rng)
    _close(ours_x.grad, theirs_x.grad)

    out = (draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    (ours_x,), (theirs_x,) = _both(rng.standard_normal((2, 3, draw(st.integers(1, 7)), 5)))
    y, ty = F.adaptive_avg_pool2d(ours_x, out), TF.adaptive_avg_pool2d(theirs_x, out)
    _close(y, ty)
    _backward(y, ty, rng)
    _close(ours_x.grad, theirs_x.grad)
    y, ty = F.adaptive_avg_pool1d(ours_x[0], out[0]), TF.adaptive_avg_pool1d(theirs_x[0], out[0])
    _close(y, ty)


@settings(max_examples=40)
@given(st.data())
def test_transposed_convolutions_equal_pytorchs(data: Any) -> None:
    draw = data.draw
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    groups = draw(st.sampled_from([1, 2]))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    k, s, d = _pair(draw, 1, 3), _pair(draw, 1, 2), _pair(draw, 1, 2)
    out_pad = tuple(draw(st.integers(0, max(a, b) - 1)) for a, b in zip(s, d, strict=True))
    h, w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    full = ((h - 1) * s[0] + d[0] * (k[0] - 1) + 1, (w - 1) * s[1] + d[1] * (k[1] - 1) + 1)
    p = tuple(draw(st.integers(0, (f + o - 1) // 2)) for f, o in zip(full, out_pad, strict=True))
    arrays = rng.standard_normal((2, cin, h, w)), rng.standard_normal((cin, cout // groups, *k))
    ours, theirs = _both(*arrays, rng.standard_normal(cout))
    kw = {"stride": s, "padding": p, "output_padding": out_pad, "groups": groups, "dilation": d}
    y, ty = F.conv_transpose2d(*ours, **kw), TF.conv_transpose2d(*theirs, **kw)
    _close(y, ty)
    _backward(y, ty, rng)
    for a, b in zip(ours, theirs, strict=True):
        _close(a.grad, b.grad)
    kw1 = {k: v[1] for k, v in kw.items() if k != "groups"}
    x1, w1 = rng.standard_normal((2, cin, w)), rng.standard_normal((cin, cout // groups, k[1]))
    y1 = F.conv_transpose1d(x1, w1, None, groups=groups, **kw1)
    _close(y1, TF.conv_transpose1d(torch.tensor(x1), torch.tensor(w1), None, groups=groups, **kw1))
