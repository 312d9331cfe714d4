"""The 3-D layers against PyTorch: values, gradients, reprs, state dicts, initialisation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tinygrad_lite import Tensor  # noqa: E402
from tinygrad_lite import layers3d as L  # noqa: E402

RNG = np.random.default_rng(0)


def _check(ours: Any, theirs: Any, x: np.ndarray) -> None:
    """Values and gradients (reprs follow the 2-D layers' own, see the report of differences)."""
    t, tt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = ours(t), theirs(tt)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), atol=1e-10)
    g = RNG.standard_normal(y.shape)
    (y * Tensor(g)).sum().backward()
    ty.backward(torch.tensor(g))
    assert t.grad is not None
    np.testing.assert_allclose(t.grad.data, tt.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"stride": 2, "padding": 1, "bias": False},
        {"padding": "same", "padding_mode": "reflect", "dilation": (1, 2, 1)},
        {"padding": (1, 0, 2), "padding_mode": "circular", "groups": 2},
        {"padding": 1, "padding_mode": "replicate"},
    ],
)
def test_conv3d_layer(kw: dict[str, Any]) -> None:
    ours = L.Conv3d(2, 4, 3, seed=0, **kw)
    theirs = torch.nn.Conv3d(2, 4, 3, dtype=torch.float64, **kw)
    theirs.load_state_dict({k: torch.tensor(np.array(v)) for k, v in ours.state_dict().items()})
    assert ours.weight.shape == tuple(theirs.weight.shape)
    bound = 1 / np.sqrt(2 // kw.get("groups", 1) * 27)
    assert np.abs(ours.weight.data).max() <= bound
    _check(ours, theirs, RNG.standard_normal((2, 2, 4, 5, 5)))
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (L.MaxPool3d(2, 1, 1, ceil_mode=True), torch.nn.MaxPool3d(2, 1, 1, ceil_mode=True)),
        (L.AvgPool3d(3, 2, 1, count_include_pad=False), torch.nn.AvgPool3d(3, 2, 1, False, False)),
        (L.AdaptiveAvgPool3d((2, None, 3)), torch.nn.AdaptiveAvgPool3d((2, None, 3))),
        (L.AdaptiveMaxPool3d(2), torch.nn.AdaptiveMaxPool3d(2)),
        (L.ConstantPad3d((1, 0, 2, 1, 0, 1), 2.5), torch.nn.ConstantPad3d((1, 0, 2, 1, 0, 1), 2.5)),
        (L.ZeroPad3d(1), torch.nn.ZeroPad3d(1)),
        (L.ReflectionPad3d((1, 2, 0, 1, 1, 0)), torch.nn.ReflectionPad3d((1, 2, 0, 1, 1, 0))),
        (L.ReplicationPad3d(2), torch.nn.ReplicationPad3d(2)),
        (L.CircularPad3d((1, 2, 0, 1, 2, 0)), torch.nn.CircularPad3d((1, 2, 0, 1, 2, 0))),
        (L.InstanceNorm3d(2, affine=True), torch.nn.InstanceNorm3d(2, affine=True)),
    ],
)
def test_layers(ours: Any, theirs: Any) -> None:
    x = RNG.integers(0, 4, (2, 2, 3, 4, 5)).astype(float)
    _check(ours, theirs.double(), x)
    _check(ours, theirs.double(), x[0])  # unbatched


def test_batch_norm3d_training_and_eval() -> None:
    ours, theirs = L.BatchNorm3d(2), torch.nn.BatchNorm3d(2, dtype=torch.float64)
    x = RNG.standard_normal((2, 2, 3, 3, 3))
    _check(ours, theirs, x)
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(np.array(ours.state_dict()[name]), value.numpy(), atol=1e-12)
    ours.eval()
    theirs.eval()
    _check(ours, theirs, x)


def test_dropout3d_matches_pytorchs_masks_in_shape_and_scale() -> None:
    x = np.ones((3, 4, 2, 2, 2))
    y = L.dropout3d(Tensor(x), 0.5, generator=0).data
    per_channel = y.reshape(3, 4, -1)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert (per_channel.min(-1) == per_channel.max(-1)).all()  # whole channels
    assert L.Dropout3d(0.3).eval()(Tensor(x)).data.tolist() == x.tolist()
