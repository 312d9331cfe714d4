"""Padding modes, padding_mode, ceil_mode, adaptive max pooling and interpolate against PyTorch.

Optional: skipped when torch is not installed (it is no dependency of the project). Settings
are drawn at random and the same float64 values go through both libraries: values and
gradients agree to 1e-12, indices are equal, and an argument refused here is refused by PyTorch
too (or, for circular padding that crops and then wraps further than what is left, read from
memory PyTorch never wrote).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lite import Tensor, nn
from tinygrad_lite import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::UserWarning")]


def _close(a: Any, b: Any) -> None:
    np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-12)


def _both(x: np.ndarray) -> tuple[Tensor, Any]:
    return Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


def _backward(y: Tensor, ty: Any, seed: int) -> None:
    g = np.random.default_rng(seed).standard_normal(y.shape)
    y.backward(g)
    ty.backward(torch.tensor(g))


def _torch_or_error(fn: Any) -> Any:
    try:
        return fn()
    except (RuntimeError, ValueError, NotImplementedError, TypeError):
        return None


@settings(max_examples=40)
@given(st.data())
def test_pad_modes_equal_pytorchs(data: Any) -> None:
    draw = data.draw
    mode = draw(st.sampled_from(["reflect", "replicate", "circular"]))
    padded = draw(st.integers(1, 3))
    ndim = padded + draw(st.integers(0, 2)) if draw(st.booleans()) else padded + 1
    shape = tuple(draw(st.integers(1 if i else 0, 4)) for i in range(ndim))
    pad = tuple(draw(st.integers(-4, 4)) for _ in range(2 * padded))
    x = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).standard_normal(shape)
    ours, theirs = _both(x)
    ty = _torch_or_error(lambda: TF.pad(theirs, pad, mode=mode))
    try:
        y = F.pad(ours, pad, mode=mode)
    except ValueError:
        wraps_too_far = mode == "circular" and any(
            max(pad[2 * k], pad[2 * k + 1])
            > shape[ndim - 1 - k] - max(-pad[2 * k], 0) - max(-pad[2 * k + 1], 0)
            for k in range(padded)
        )
        assert ty is None or wraps_too_far, (shape, pad, mode)
        return
    assert ty is not None, (shape, pad, mode)
    _close(y, ty)
    if y.size:
        _backward(y, ty, 0)
        _close(ours.grad, theirs.grad)


@settings(max_examples=20)
@given(st.data())
def test_convolutions_padding_mode_equals_pytorchs(data: Any) -> None:
    draw = data.draw
    mode = draw(st.sampled_from(["reflect", "replicate", "circular"]))
    dims = draw(st.sampled_from([1, 2]))
    k = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    d = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    padding: Any = draw(st.sampled_from(["same", "valid", "ints"]))
    if padding == "ints":
        padding = tuple(draw(st.integers(0, 2)) for _ in range(dims))
    stride = 1 if isinstance(padding, str) else draw(st.integers(1, 2))
    size = tuple(d[i] * (k[i] - 1) + 3 + draw(st.integers(0, 2)) for i in range(dims))
    batch = (2,) if draw(st.booleans()) else ()
    x = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).standard_normal((*batch, 2, *size))
    kw = {"stride": stride, "padding": padding, "dilation": d, "padding_mode": mode}
    ours = (nn.Conv1d if dims == 1 else nn.Conv2d)(2, 3, k, seed=0, **kw)
    theirs = (torch.nn.Conv1d if dims == 1 else torch.nn.Conv2d)(2, 3, k, dtype=torch.float64, **kw)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data))
        theirs.bias.copy_(torch.tensor(ours.bias.data))
    xo, xt = _both(x)
    y, ty = ours(xo), theirs(xt)
    _close(y, ty)
    _backward(y, ty, 1)
    _close(xo.grad, xt.grad)
    _close(ours.weight.grad, theirs.weight.grad)


@settings(max_examples=40)
@given(st.data())
def test_ceil_mode_pools_equal_pytorchs(data: Any) -> None:
    draw = data.draw
    kind = draw(st.sampled_from(["max", "avg"]))
    dims = draw(st.sampled_from([1, 2]))
    k = tuple(draw(st.integers(1, 4)) for _ in range(dims))
    s = tuple(draw(st.integers(1, 4)) for _ in range(dims))
    p = tuple(draw(st.integers(0, ki // 2)) for ki in k)
    d = tuple(draw(st.integers(1, 2)) if kind == "max" else 1 for _ in range(dims))
    size = tuple(draw(st.integers(1, 7)) for _ in range(dims))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.integers(-2, 3, (2, 2, *size)).astype(float)  # ties
    if kind == "max":
        for special in draw(st.lists(st.sampled_from([np.nan, -np.inf]), max_size=2)):
            x[rng.random(x.shape) < 0.2] = special
    one = (lambda v: v[0]) if dims == 1 else (lambda v: v)
    ours, theirs = _both(x)
    if kind == "max":
        args = (one(k), one(s), one(p), one(d))
        pool, tpool = (F.max_pool1d, TF.max_pool1d) if dims == 1 else (F.max_pool2d, TF.max_pool2d)
        kw: dict[str, Any] = {"ceil_mode": True, "return_indices": True}
    else:
        args = (one(k), one(s), one(p))
        pool, tpool = (F.avg_pool1d, TF.avg_pool1d) if dims == 1 else (F.avg_pool2d, TF.avg_pool2d)
        kw = {"ceil_mode": True, "count_include_pad": draw(st.booleans())}
        if dims == 2:
            kw["divisor_override"] = draw(st.sampled_from([None, None, 3]))
    result = _torch_or_error(lambda: tpool(theirs, *args, **kw))
    try:
        out = pool(ours, *args, **kw)
    except ValueError as e:  # no window, or (max, dilated) a window of padding alone
        assert result is None or "holds only padding" in str(e), (args, size)
        return
    assert result is not None, (args, size)
    y, ty = (out[0], result[0]) if kind == "max" else (out, result)
    _close(y, ty)
    if kind == "max":
        assert np.array_equal(out[1].data, result[1].numpy())
    g = rng.standard_normal(y.shape)
    y.backward(g)  # not Σ y ⊙ g: y may hold ±∞
    ty.backward(torch.tensor(g))
    _close(ours.grad, theirs.grad)


@settings(max_examples=30)
@given(st.data())
def test_adaptive_max_pools_equal_pytorchs(data: Any) -> None:
    draw = data.draw
    dims = draw(st.sampled_from([1, 2]))
    size = tuple(draw(st.integers(1, 7)) for _ in range(dims))
    out = tuple(draw(st.integers(1, 8)) for _ in range(dims))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    batch = (2,) if draw(st.booleans()) else ()
    x = rng.integers(-2, 3, (*batch, 2, *size)).astype(float)
    for special in draw(st.lists(st.sampled_from([np.nan, -np.inf]), max_size=2)):
        x[rng.random(x.shape) < 0.2] = special
    ours, theirs = _both(x)
    if dims == 1:
        y, i = F.adaptive_max_pool1d(ours, out[0], return_indices=True)
        ty, ti = TF.adaptive_max_pool1d(theirs, out[0], return_indices=True)
    else:
        y, i = nn.AdaptiveMaxPool2d(out, return_indices=True)(ours)
        ty, ti = torch.nn.AdaptiveMaxPool2d(out, return_indices=True)(theirs)
    assert np.array_equal(y.data, ty.detach().numpy(), equal_nan=True)
    assert np.array_equal(i.data, ti.numpy())
    g = rng.standard_normal(y.shape)
    y.backward(g)
    ty.backward(torch.tensor(g))
    _close(ours.grad, theirs.grad)


@settings(max_examples=60)
@given(st.data())
def test_interpolate_equals_pytorchs(data: Any) -> None:
    draw = data.draw
    dims = draw(st.sampled_from([1, 2]))
    mode = draw(
        st.sampled_from(["nearest", "nearest-exact", "linear" if dims == 1 else "bilinear"])
    )
    size = tuple(draw(st.integers(1, 8)) for _ in range(dims))
    kw: dict[str, Any] = {}
    if draw(st.booleans()):
        out = tuple(draw(st.integers(1, 17)) for _ in range(dims))
        kw["size"] = out if dims == 2 or draw(st.booleans()) else out[0]
    else:
        factors = st.sampled_from([0.5, 1 / 3, 0.7, 0.9, 1.0, 1.1, 1.5, 2.0, 2.5, 3.0, 10 / 3, 3.7])
        scales = tuple(draw(factors) for _ in range(dims))
        kw["scale_factor"] = scales if dims == 2 or draw(st.booleans()) else scales[0]
        kw["recompute_scale_factor"] = draw(st.sampled_from([None, False, True]))
        out = tuple(math.floor(n * f) for n, f in zip(size, scales, strict=True))
    if mode in ("linear", "bilinear"):
        kw["align_corners"] = draw(st.sampled_from([None, False, True]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    ours, theirs = _both(rng.standard_normal((2, 2, *size)))
    result = _torch_or_error(lambda: TF.interpolate(theirs, mode=mode, **kw))
    try:
        y = F.interpolate(ours, mode=mode, **kw)
    except ValueError:
        assert result is None and min(out) < 1, (size, kw)
        return
    _close(y, result)
    assert np.array_equal(nn.Upsample(mode=mode, **kw)(ours).data, y.data)
    # PyTorch's 1-D nearest backward copies the gradient when the size is unchanged, though
    # its forward then reads ⌊dst·s⌋ with s = 1/scale_factor ≠ 1: the gradients differ there
    if not (dims == 1 and mode == "nearest" and out == size and "scale_factor" in kw):
        _backward(y, result, 2)
        _close(ours.grad, theirs.grad)
