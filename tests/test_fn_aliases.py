"""PyTorch's alias names: upsample*, Upsampling*2d, pools with indices, in-place activations."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tinygrad_lite import Tensor
from tinygrad_lite import functional as F
from tinygrad_lite.act_extras import threshold
from tinygrad_lite.act_functions import celu, selu
from tinygrad_lite.fn_aliases import (
    UpsamplingBilinear2d,
    UpsamplingNearest2d,
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d_with_indices,
    celu_,
    elu_,
    hardtanh_,
    leaky_relu_,
    relu_,
    rrelu_,
    selu_,
    threshold_,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)
from tinygrad_lite.gradcheck import gradcheck
from tinygrad_lite.pooling import adaptive_max_pool1d, adaptive_max_pool2d
from tinygrad_lite.rand_acts import rrelu
from tinygrad_lite.upsample import interpolate

RNG = np.random.default_rng(5)
IMAGE = RNG.standard_normal((1, 2, 3, 4))


def test_upsample_warns_and_is_interpolate() -> None:
    x = Tensor(IMAGE)
    with pytest.warns(UserWarning, match="`nn.functional.upsample` is deprecated"):
        got = upsample(x, scale_factor=2, mode="bilinear")
    np.testing.assert_array_equal(got.data, interpolate(x, None, 2, "bilinear").data)
    with pytest.warns(UserWarning, match="upsample_nearest` is deprecated"):
        got = upsample_nearest(x, size=(5, 7))
    np.testing.assert_array_equal(got.data, interpolate(x, (5, 7)).data)
    with pytest.warns(UserWarning, match="upsample_bilinear` is deprecated"):
        got = upsample_bilinear(x, scale_factor=2)
    want = interpolate(x, None, 2, "bilinear", align_corners=True)
    np.testing.assert_array_equal(got.data, want.data)


def test_upsample_bilinear_aligns_corners() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = upsample_bilinear(Tensor([[[[0.0, 1.0]]]]), size=(1, 5))
        assert got.tolist() == [[[[0.0, 0.25, 0.5, 0.75, 1.0]]]]
        with pytest.raises(ValueError, match="needs a 4-D input"):
            upsample_bilinear(Tensor(IMAGE[0]), scale_factor=2)


def test_upsampling_layers() -> None:
    x = Tensor(IMAGE, requires_grad=True)
    near = UpsamplingNearest2d(scale_factor=2)
    np.testing.assert_array_equal(near(x).data, interpolate(x, None, 2).data)
    bilinear = UpsamplingBilinear2d(size=(4, 6))
    want = interpolate(x, (4, 6), mode="bilinear", align_corners=True)
    np.testing.assert_array_equal(bilinear(x).data, want.data)
    assert repr(near) == "UpsamplingNearest2d(scale_factor=2.0, mode='nearest')"
    assert repr(bilinear) == "UpsamplingBilinear2d(size=(4, 6), mode='bilinear')"
    gradcheck(lambda t: bilinear(t), x)


def test_adaptive_pools_with_indices() -> None:
    x = Tensor(IMAGE)
    v, i = adaptive_max_pool2d_with_indices(x, (2, 3))
    w, j = adaptive_max_pool2d(x, (2, 3), return_indices=True)
    np.testing.assert_array_equal(v.data, w.data)
    np.testing.assert_array_equal(i.data, j.data)
    line = Tensor(IMAGE[0])
    v, i = adaptive_max_pool1d_with_indices(line, 2, return_indices=False)
    w, j = adaptive_max_pool1d(line, 2, return_indices=True)
    np.testing.assert_array_equal(v.data, w.data)
    np.testing.assert_array_equal(i.data, j.data)


def _of(fn: Callable[..., Tensor], *args: Any) -> Callable[[Tensor], Tensor]:
    return lambda t: fn(t, *args)


def _relu(t: Tensor) -> Tensor:
    return F.relu(t)


CASES: list[tuple[Callable[..., Tensor], Callable[[Tensor], Tensor], tuple[Any, ...]]] = [
    (relu_, _relu, ()),
    (elu_, _of(F.elu, 0.7), (0.7,)),
    (leaky_relu_, _of(F.leaky_relu, 0.2), (0.2,)),
    (hardtanh_, _of(F.hardtanh, -0.5, 0.5), (-0.5, 0.5)),
    (selu_, selu, ()),
    (celu_, _of(celu, 1.5), (1.5,)),
    (threshold_, _of(threshold, 0.1, -2.0), (0.1, -2.0)),
    (rrelu_, rrelu, ()),
]
IDS = [case[0].__name__ for case in CASES]


@pytest.mark.parametrize(("in_place", "out_of_place", "args"), CASES, ids=IDS)
def test_in_place_activation_writes_its_input(
    in_place: Callable[..., Tensor], out_of_place: Callable[[Tensor], Tensor], args: Any
) -> None:
    data = np.array([-2.0, -0.3, 0.0, 0.4, 1.5])
    x = Tensor(data.copy())
    assert in_place(x, *args) is x
    np.testing.assert_array_equal(x.data, out_of_place(Tensor(data)).data)


@pytest.mark.parametrize(("in_place", "out_of_place", "args"), CASES, ids=IDS)
def test_in_place_activation_gradient(
    in_place: Callable[..., Tensor], out_of_place: Callable[[Tensor], Tensor], args: Any
) -> None:
    data = np.array([-2.0, -0.3, 0.4, 1.5])
    leaf = Tensor(data, requires_grad=True)
    y = leaf * 1.0
    in_place(y, *args)
    (y * Tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    other = Tensor(data, requires_grad=True)
    (out_of_place(other) * Tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert leaf.grad is not None and other.grad is not None
    np.testing.assert_allclose(leaf.grad.data, other.grad.data, 1e-15)
    with pytest.raises(RuntimeError, match="leaf"):
        in_place(Tensor(data, requires_grad=True), *args)


def test_in_place_refuses_arrays_and_checks_arguments() -> None:
    with pytest.raises(TypeError, match="relu_: input must be a Tensor"):
        relu_(np.zeros(3))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="min_val"):
        hardtanh_(Tensor([0.0]), 1.0, -1.0)
    with pytest.raises(ValueError, match="alpha must not be 0"):
        celu_(Tensor([0.0]), 0.0)


def test_rrelu_in_training_draws_from_its_generator() -> None:
    data = np.array([-1.0, -2.0, 3.0])
    x = Tensor(data.copy())
    rrelu_(x, 0.1, 0.3, True, generator=4)
    np.testing.assert_array_equal(x.data, rrelu(Tensor(data), 0.1, 0.3, True, generator=4).data)
