"""F.interpolate against PyTorch in every mode: bicubic, trilinear, 3-D nearest and area too.

Optional: skipped when torch is not installed (it is no dependency of the project). Sizes,
scale factors, modes and align_corners are drawn at random, and the same values go through
both libraries. The positions and weights each output element reads are PyTorch's bit for bit,
in float64 and in float32 (a one-hot input reads them out), and so are the nearest modes'
values. The weighted sums agree to 1e-12: PyTorch's compiled kernels fuse each multiply-add
of the sum into one rounding, NumPy rounds the product and the sum. Gradients agree to 1e-12,
except where PyTorch's backward reads other positions than its forward (see the test).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_lite import Tensor, nn
from tinygrad_lite import functional as F
from tinygrad_lite.upsample import nearest_sources

torch = pytest.importorskip("torch")
TF = torch.nn.functional
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::UserWarning")]

MODES = {
    1: ["nearest", "nearest-exact", "area", "linear"],
    2: ["nearest", "nearest-exact", "area", "bilinear", "bicubic"],
    3: ["nearest", "nearest-exact", "area", "trilinear"],
}
FACTORS = [0.5, 1 / 3, 0.7, 0.9, 1.0, 1.1, 1.5, 2.0, 2.5, 3.0, 10 / 3, 3.7, 2 / 82, 41.0]


def _close(a: Any, b: Any) -> None:
    np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-12)


def _torch_backward_reads_other_positions(
    mode: str, size: tuple[int, ...], out: tuple[int, ...], scales: Any, kw: dict[str, Any]
) -> bool:
    """Where PyTorch's gradient is not the derivative of its own forward.

    Its 1-D and 3-D nearest backward reads the positions of its 2-D kernel (single precision,
    and a copy where a size is kept), not those of its forward; its bicubic backward copies the
    gradient when every size is kept, though its forward reads src = (dst + ½)/scale_factor − ½.
    """
    if mode.startswith("nearest") and len(size) != 2:
        exact = mode == "nearest-exact"
        return any(
            not np.array_equal(
                nearest_sources(n, o, s, exact, 2, np.float64),
                nearest_sources(n, o, s, exact, len(size), np.float64),
            )
            for n, o, s in zip(size, out, scales, strict=True)
        )
    scaled = any(s is not None for s in scales)
    return mode == "bicubic" and out == size and scaled and not kw.get("align_corners")


@given(st.data())
def test_values_and_gradients_equal_pytorchs(data: Any) -> None:
    draw = data.draw
    dims = draw(st.sampled_from([1, 2, 3]))
    mode = draw(st.sampled_from(MODES[dims]))
    size = tuple(draw(st.integers(1, 6)) for _ in range(dims))
    kw: dict[str, Any] = {}
    if draw(st.booleans()):
        out = tuple(draw(st.integers(1, 11)) for _ in range(dims))
        kw["size"] = out if dims > 1 or draw(st.booleans()) else out[0]
        scales: Any = (None,) * dims
    else:
        factors = FACTORS if dims == 1 else FACTORS[:-1]  # 41 times in 1-D only
        scales = tuple(draw(st.sampled_from(factors)) for _ in range(dims))
        kw["scale_factor"] = scales if dims > 1 or draw(st.booleans()) else scales[0]
        kw["recompute_scale_factor"] = draw(st.sampled_from([None, False, True]))
        out = tuple(math.floor(n * f) for n, f in zip(size, scales, strict=True))
        if kw["recompute_scale_factor"]:
            scales = (None,) * dims
    if mode in ("linear", "bilinear", "bicubic", "trilinear"):
        kw["align_corners"] = draw(st.sampled_from([None, False, True]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((2, 2, *size))
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    if min(out) < 1:
        with pytest.raises(ValueError, match="must be >= 1"):
            F.interpolate(ours, mode=mode, **kw)
        if mode == "area":  # PyTorch's adaptive pools return an empty tensor
            assert TF.interpolate(theirs, mode=mode, **kw).numel() == 0
        else:
            with pytest.raises(RuntimeError):
                TF.interpolate(theirs, mode=mode, **kw)
        return
    y, ty = F.interpolate(ours, mode=mode, **kw), TF.interpolate(theirs, mode=mode, **kw)
    if mode.startswith("nearest"):
        assert np.array_equal(y.data, ty.detach().numpy())
    _close(y, ty)
    upsample = nn.Upsample(mode=mode, **kw)
    assert np.array_equal(upsample(ours).data, y.data)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    ty.backward(torch.tensor(g))
    if not _torch_backward_reads_other_positions(mode, size, out, scales, kw):
        _close(ours.grad, theirs.grad)


@given(st.data())
def test_positions_and_weights_equal_pytorchs_bit_for_bit(data: Any) -> None:
    """Resizing a one-hot input along one dimension returns the weight each output gives it."""
    draw = data.draw
    mode = draw(st.sampled_from(["linear", "bilinear", "bicubic", "trilinear"]))
    dims = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}[mode]
    dim = draw(st.integers(0, dims - 1))
    n = draw(st.integers(1, 12))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    corners = draw(st.booleans())
    if draw(st.booleans()):
        out = draw(st.integers(1, 25))
        kw: dict[str, Any] = {"size": tuple(out if k == dim else 1 for k in range(dims))}
    else:
        factor = draw(st.sampled_from([f for f in FACTORS if n * f >= 1]))
        kw = {"scale_factor": tuple(factor if k == dim else 1.0 for k in range(dims))}
    shape = [n, 1] + [n if k == dim else 1 for k in range(dims)]
    x = np.eye(n, dtype=dtype).reshape(shape)  # batch element i is 1 at position i
    y = F.interpolate(Tensor(x), mode=mode, align_corners=corners, **kw)
    ty = TF.interpolate(torch.tensor(x), mode=mode, align_corners=corners, **kw)
    assert y.dtype == dtype and np.array_equal(y.data, ty.numpy())


@pytest.mark.parametrize(
    ("shape", "kw"),
    [
        ((1, 1, 2, 3), {"size": 4, "mode": "bilinear", "antialias": True}),  # only PyTorch
        ((1, 1, 2, 3), {"size": 4, "mode": "nearest", "antialias": True}),
        ((1, 1, 2, 2, 2), {"size": 4, "mode": "bicubic"}),
        ((1, 1, 2, 3), {"size": 4, "mode": "trilinear"}),
        ((1, 1, 2, 3), {"size": 1, "mode": "area", "align_corners": False}),
        ((1, 1, 2, 3), {"size": 1, "mode": "area", "recompute_scale_factor": True}),
    ],
)
def test_refusals(shape: tuple[int, ...], kw: dict[str, Any]) -> None:
    x = np.zeros(shape)
    with pytest.raises(ValueError):
        F.interpolate(Tensor(x), **kw)
    if kw.get("mode") != "bilinear":
        with pytest.raises((ValueError, NotImplementedError)):
            TF.interpolate(torch.tensor(x), **kw)
