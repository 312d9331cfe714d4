"""conv3d and the 3-D pools against PyTorch: values, indices and gradients."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402

from tinygrad_lite import Tensor  # noqa: E402
from tinygrad_lite import conv3d as C  # noqa: E402

RNG = np.random.default_rng(0)


def _both(f: Any, tf: Any, arrays: list[np.ndarray], **kw: Any) -> None:
    """Compare values (and indices) and the gradients of Σ g·y of every array."""
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, ty = f(*ours, **kw), tf(*theirs, **kw)
    if isinstance(ty, tuple):
        np.testing.assert_array_equal(y[1].data, ty[1].numpy())
        y, ty = y[0], ty[0]
    np.testing.assert_allclose(y.data, ty.detach().numpy(), atol=1e-12)
    g = RNG.standard_normal(y.shape)
    (y * Tensor(g)).sum().backward()
    ty.backward(torch.tensor(g))
    for a, ta in zip(ours, theirs, strict=True):
        assert a.grad is not None
        np.testing.assert_allclose(a.grad.data, ta.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"stride": 2, "padding": 1},
        {"padding": "same", "dilation": (1, 2, 1)},
        {"stride": (1, 2, 3), "padding": (1, 0, 2), "dilation": (2, 1, 1)},
        {"groups": 2, "padding": "valid"},
    ],
)
def test_conv3d(kw: dict[str, Any]) -> None:
    x = RNG.standard_normal((2, 2, 4, 5, 5))
    w = RNG.standard_normal((4, 2 // kw.get("groups", 1), 3, 2, 3))
    _both(C.conv3d, TF.conv3d, [x, w, RNG.standard_normal(4)], **kw)
    _both(C.conv3d, TF.conv3d, [x[0], w], **kw)  # unbatched


@pytest.mark.parametrize(
    "kw",
    [
        {"kernel_size": 2},
        {"kernel_size": 3, "stride": 2, "padding": 1},
        {"kernel_size": (2, 3, 2), "stride": (1, 2, 2), "ceil_mode": True},
        {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    ],
)
def test_pools(kw: dict[str, Any]) -> None:
    x = RNG.integers(0, 3, (2, 2, 4, 5, 5)).astype(float)  # many ties
    _both(C.max_pool3d, TF.max_pool3d, [x], return_indices=True, **kw)
    _both(C.max_pool3d, TF.max_pool3d, [x[0]], dilation=(1, 1, 2), **kw)
    for count_include_pad in (True, False):
        for divisor_override in (None, 5):
            _both(C.avg_pool3d, TF.avg_pool3d, [x], count_include_pad=count_include_pad,
                  divisor_override=divisor_override, **kw)  # fmt: skip


@pytest.mark.parametrize("size", [1, (2, 3, 2), (3, None, 4), (4, 5, 5)])
def test_adaptive_pools(size: Any) -> None:
    x = RNG.integers(0, 3, (2, 2, 4, 5, 5)).astype(float)
    _both(C.adaptive_avg_pool3d, TF.adaptive_avg_pool3d, [x], output_size=size)
    _both(C.adaptive_max_pool3d, TF.adaptive_max_pool3d, [x[0]], output_size=size,
          return_indices=True)  # fmt: skip


def test_float32() -> None:
    x = RNG.standard_normal((1, 2, 3, 4, 4)).astype(np.float32)
    w = RNG.standard_normal((2, 2, 2, 2, 2)).astype(np.float32)
    y = C.conv3d(x, Tensor(w), padding=1)
    assert y.dtype == np.float32
    ty = TF.conv3d(torch.tensor(x), torch.tensor(w), padding=1)
    np.testing.assert_allclose(y.data, ty.numpy(), rtol=1e-5, atol=1e-5)
