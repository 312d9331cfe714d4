"""PyTorch's alias names against PyTorch: upsample*, Upsampling*2d, pools, in-place activations."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from tinygrad_lite import Tensor
from tinygrad_lite import fn_aliases as A

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RNG = np.random.default_rng(9)
IMAGE = RNG.standard_normal((1, 2, 3, 4))


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("upsample", {"scale_factor": 2, "mode": "bilinear"}),
        ("upsample", {"size": (5, 3), "mode": "bicubic", "align_corners": True}),
        ("upsample_nearest", {"size": (5, 7)}),
        ("upsample_nearest", {"scale_factor": 3}),
        ("upsample_bilinear", {"scale_factor": 2}),
        ("upsample_bilinear", {"size": (2, 7)}),
    ],
)
def test_upsample_aliases(name: str, kwargs: dict[str, Any]) -> None:
    ours, theirs = Tensor(IMAGE, requires_grad=True), torch.tensor(IMAGE, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = getattr(A, name)(ours, **kwargs)
        want = getattr(TF, name)(theirs, **kwargs)
    messages = [str(w.message) for w in caught if w.category is UserWarning]
    assert len(messages) == 2 and messages[0] == messages[1]
    np.testing.assert_allclose(got.data, want.detach().numpy(), 1e-12, 1e-13)
    w = RNG.standard_normal(got.shape)
    (got * Tensor(w)).sum().backward()
    (want * torch.tensor(w)).sum().backward()
    assert ours.grad is not None
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), 1e-12, 1e-13)


@pytest.mark.parametrize("kwargs", [{"scale_factor": 2}, {"size": (4, 6)}, {"size": 5}])
def test_upsampling_layers(kwargs: dict[str, Any]) -> None:
    for ours_cls, theirs_cls in [
        (A.UpsamplingNearest2d, torch.nn.UpsamplingNearest2d),
        (A.UpsamplingBilinear2d, torch.nn.UpsamplingBilinear2d),
    ]:
        ours, theirs = ours_cls(**kwargs), theirs_cls(**kwargs)
        got, want = ours(Tensor(IMAGE)), theirs(torch.tensor(IMAGE))
        np.testing.assert_allclose(got.data, want.numpy(), 1e-12, 1e-13)
        assert repr(ours) == repr(theirs)


def test_adaptive_pools_with_indices() -> None:
    v, i = A.adaptive_max_pool2d_with_indices(Tensor(IMAGE), (2, 3))
    tv, ti = TF.adaptive_max_pool2d_with_indices(torch.tensor(IMAGE), (2, 3))
    np.testing.assert_array_equal(v.data, tv.numpy())
    np.testing.assert_array_equal(i.data, ti.numpy())
    line = IMAGE[0]
    v, i = A.adaptive_max_pool1d_with_indices(Tensor(line), 3)
    tv, ti = TF.adaptive_max_pool1d_with_indices(torch.tensor(line), 3)
    np.testing.assert_array_equal(v.data, tv.numpy())
    np.testing.assert_array_equal(i.data, ti.numpy())


IN_PLACE = [
    ("relu_", ()),
    ("elu_", (0.7,)),
    ("leaky_relu_", (0.2,)),
    ("hardtanh_", (-0.5, 0.5)),
    ("selu_", ()),
    ("celu_", (1.5,)),
    ("threshold_", (0.1, -2.0)),
    ("rrelu_", (0.1, 0.3)),
]


@pytest.mark.parametrize(("name", "args"), IN_PLACE)
def test_in_place_activations(name: str, args: tuple[Any, ...]) -> None:
    data = np.array([-2.0, -0.5, -0.3, 0.0, 0.1, 0.4, 0.5, 1.5])
    leaf, tleaf = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, ty = leaf * 1.0, tleaf * 1.0
    assert getattr(A, name)(y, *args) is y
    assert getattr(TF, name)(ty, *args) is ty
    np.testing.assert_allclose(y.data, ty.detach().numpy(), 1e-15)
    w = np.linspace(1.0, 2.0, data.size)
    (y * Tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    assert leaf.grad is not None
    np.testing.assert_allclose(leaf.grad.data, tleaf.grad.numpy(), 1e-7)
