"""Elementwise edge cases against PyTorch: clamp with NaN tensor bounds, mixed-dtype float
ops, pow's exponent gradient, 0-d softmax of non-finite values, bincount's dtypes."""

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinygrad_lite as tl  # noqa: E402
import tinygrad_lite.functional as TF  # noqa: E402

nan, inf = np.nan, np.inf


def _eq(a, b):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("mode", ["both", "min", "max", "clamp_min", "clamp_max"])
def test_clamp_tensor_bounds_like_torch(mode):
    vals = [nan, -inf, -1.0, 0.5, 1.0, inf]
    xs, los, his = np.array(list(itertools.product(vals, repeat=3))).T.copy()
    g = np.arange(1.0, xs.size + 1)
    tx, tlo, thi = (torch.tensor(a, requires_grad=True) for a in (xs, los, his))
    lx, llo, lhi = (tl.tensor(a, requires_grad=True) for a in (xs, los, his))
    ty, ly = {
        "both": lambda: (torch.clamp(tx, tlo, thi), tl.clamp(lx, llo, lhi)),
        "min": lambda: (tx.clamp(min=tlo), lx.clamp(min=llo)),
        "max": lambda: (tx.clamp(max=thi), lx.clamp(max=lhi)),
        "clamp_min": lambda: (tx.clamp_min(tlo), lx.clamp_min(llo)),
        "clamp_max": lambda: (tx.clamp_max(thi), lx.clamp_max(lhi)),
    }[mode]()
    ty.backward(torch.tensor(g))
    ly.backward(tl.tensor(g))
    _eq(ly.data, ty.detach().numpy())
    for t, m in ((tx, lx), (tlo, llo), (thi, lhi)):
        assert (t.grad is None) == (m.grad is None)
        if t.grad is not None:
            _eq(m.grad.data, t.grad.numpy())


@pytest.mark.parametrize("fdt", ["float16", "float32"])
@pytest.mark.parametrize("idt", ["bool", "int8", "uint8"])
def test_two_input_float_ops_dtype_like_torch(fdt, idt):
    x, i = np.array([0.5, 2.0], fdt), np.array([1, 0], idt)
    for name in ("atan2", "hypot", "logaddexp", "logaddexp2", "xlogy"):
        want = getattr(torch, name)(torch.tensor(x), torch.tensor(i))
        got = getattr(tl.tensor(x), name)(tl.tensor(i))
        assert str(got.dtype) == str(want.dtype).removeprefix("torch.")
        np.testing.assert_allclose(got.data, want.numpy(), rtol=1e-3)


@pytest.mark.parametrize("base", [np.float16(0.1), np.float32(0.1), np.float16(3.5)])
def test_pow_exponent_gradient_like_torch(base):
    te = torch.tensor([0.7, -1.3], dtype=torch.float64, requires_grad=True)
    le = tl.tensor([0.7, -1.3], requires_grad=True)
    (torch.tensor(np.array([base])) ** te).sum().backward()
    (tl.tensor(np.array([base])) ** le).sum().backward()
    np.testing.assert_allclose(le.grad.data, te.grad.numpy(), rtol=1e-15)


@pytest.mark.parametrize("v", [nan, inf, -inf, 2.0])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_zero_dim_softmax_like_torch(v, name):
    for g0 in (1.0, inf):
        tx = torch.tensor(v, requires_grad=True, dtype=torch.float64)
        lx = tl.tensor(v, requires_grad=True)
        ty, ly = getattr(torch.nn.functional, name)(tx, 0), getattr(TF, name)(lx, 0)
        (tg,) = torch.autograd.grad(ty, tx, torch.tensor(g0, dtype=torch.float64))
        with np.errstate(invalid="ignore"):
            (lg,) = tl.autograd.grad(ly, [lx], tl.tensor(g0))
        _eq(ly.data, ty.detach().numpy())
        _eq(lg.data, tg.numpy())


@pytest.mark.parametrize("wdt", ["float16", "float32", "float64", "int8", "bool"])
def test_bincount_weight_dtype_like_torch(wdt):
    x, w = np.array([0, 1, 1]), np.array([1, 0, 1], wdt)
    want = torch.bincount(torch.tensor(x), weights=torch.tensor(w))
    got = tl.tensor(x).bincount(tl.tensor(w))
    assert str(got.dtype) == str(want.dtype).removeprefix("torch.")
    _eq(got.data, want.numpy())
