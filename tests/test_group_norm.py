"""GroupNorm, InstanceNorm1d/2d: closed forms, finite differences, running statistics, refusals."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn
from tinygrad_lite import functional as F
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck

EPS = 1e-5


def per_channel(v: np.ndarray, ndim: int) -> np.ndarray:
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def group_normalized(x: np.ndarray, groups: int, eps: float = EPS) -> np.ndarray:
    """Each sample's groups of channels to mean 0 and biased variance 1, written out in NumPy."""
    n = x.shape[0]
    flat = x.reshape(n, groups, -1)
    mean = flat.sum(axis=2, keepdims=True) / flat.shape[2]
    var = ((flat - mean) ** 2).sum(axis=2, keepdims=True) / flat.shape[2]
    return ((flat - mean) / np.sqrt(var + eps)).reshape(x.shape)


def instance_normalized(x: np.ndarray, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    return (x - mean) / np.sqrt(var + EPS)


# ------------------------------------------------------------------------------ group_norm


@pytest.mark.parametrize(
    ("shape", "groups"),
    [((3, 4), 2), ((2, 6, 5), 1), ((2, 6, 5), 3), ((2, 6, 5), 6), ((2, 4, 3, 2), 2)],
)
def test_group_norm_matches_the_closed_form(shape: tuple[int, ...], groups: int) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape) * 3 + 1
    c = shape[1]
    w, b = rng.standard_normal(c), rng.standard_normal(c)
    expected = group_normalized(x, groups) * per_channel(w, x.ndim) + per_channel(b, x.ndim)
    got = F.group_norm(Tensor(x), groups, Tensor(w), Tensor(b))
    np.testing.assert_allclose(got.data, expected, rtol=1e-12, atol=1e-12)
    layer = nn.GroupNorm(groups, c)
    np.testing.assert_allclose(layer(x).data, group_normalized(x, groups), rtol=1e-12, atol=1e-12)


def test_one_group_is_a_layer_norm_and_one_channel_per_group_an_instance_norm() -> None:
    x = Tensor(np.random.default_rng(1).standard_normal((2, 4, 3)))
    np.testing.assert_allclose(
        F.group_norm(x, 1).data, F.layer_norm(x, (4, 3)).data, rtol=1e-13, atol=1e-14
    )
    np.testing.assert_allclose(
        F.group_norm(x, 4).data, F.instance_norm(x).data, rtol=1e-13, atol=1e-14
    )


def test_group_norm_gradients_of_first_and_second_order_match_finite_differences() -> None:
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((2, 4, 2)), requires_grad=True)
    w = Tensor(rng.standard_normal(4), requires_grad=True)
    b = Tensor(rng.standard_normal(4), requires_grad=True)

    def fn(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        return F.group_norm(x, 2, w, b, eps=1e-3)

    assert gradcheck(fn, x, w, b)
    assert gradgradcheck(fn, x, w, b)


def test_group_norm_module_parameters_and_repr() -> None:
    layer = nn.GroupNorm(2, 4, eps=1e-3)
    assert list(layer.state_dict()) == ["weight", "bias"]
    np.testing.assert_array_equal(layer.weight.data, np.ones(4))
    np.testing.assert_array_equal(layer.bias.data, np.zeros(4))
    assert repr(layer) == "GroupNorm(2, 4, eps=0.001, affine=True, bias=True)"
    assert repr(nn.GroupNorm(1, 3, affine=False)) == (
        "GroupNorm(1, 3, eps=1e-05, affine=False, bias=False)"
    )
    assert list(nn.GroupNorm(1, 3, bias=False).state_dict()) == ["weight"]
    assert list(nn.GroupNorm(1, 3, affine=False).parameters()) == []
    layer32 = nn.GroupNorm(1, 3, dtype=np.float32)
    assert layer32.weight.dtype == np.float32
    assert layer32(np.ones((2, 3), np.float32)).dtype == np.float32


def test_group_norm_refusals_name_the_problem() -> None:
    x = Tensor(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"5 channels \(shape \(2, 5\)\) do not divide into "):
        F.group_norm(x, 2)
    with pytest.raises(ValueError, match=r"num_groups=2 groups \(5 % 2 = 1\)"):
        F.group_norm(x, 2)
    with pytest.raises(ValueError, match=r"at least 2 dimensions, got shape \(5,\)"):
        F.group_norm(Tensor(np.zeros(5)), 1)
    with pytest.raises(ValueError, match="num_groups must be >= 1, got 0"):
        F.group_norm(x, 0)
    with pytest.raises(TypeError, match="num_groups must be an int, got True"):
        F.group_norm(x, True)
    with pytest.raises(ValueError, match=r"weight must have shape \(5,\), got \(3,\)"):
        F.group_norm(x, 5, Tensor(np.ones(3)))
    with pytest.raises(ValueError, match="eps must be finite and >= 0, got -1"):
        F.group_norm(x, 5, eps=-1.0)
    # PyTorch refuses a single sample whose groups hold one value each
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        F.group_norm(Tensor(np.zeros((1, 2))), 2)
    assert F.group_norm(Tensor(np.ones((2, 2))), 2).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    with pytest.raises(
        ValueError, match=r"num_channels \(5\) must be divisible by num_groups \(2\)"
    ):
        nn.GroupNorm(2, 5)
    with pytest.raises(ValueError, match="num_groups must be >= 1, got 0"):
        nn.GroupNorm(0, 5)
    with pytest.raises(ValueError, match=r"expected an input \(N, 4, ...\), got .* \(2, 6\)"):
        nn.GroupNorm(2, 4)(np.zeros((2, 6)))


# ------------------------------------------------------------------------------ instance_norm


@pytest.mark.parametrize("shape", [(2, 3, 4), (2, 3, 2, 3)])
def test_instance_norm_matches_the_closed_form(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape) * 2 - 1
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    axes = tuple(range(2, len(shape)))
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    expected = instance_normalized(x, mean, var) * per_channel(w, x.ndim)
    expected = expected + per_channel(b, x.ndim)
    got = F.instance_norm(Tensor(x), weight=Tensor(w), bias=Tensor(b))
    np.testing.assert_allclose(got.data, expected, rtol=1e-12, atol=1e-12)


def test_instance_norm_gradients_of_first_and_second_order_match_finite_differences() -> None:
    rng = np.random.default_rng(4)
    x = Tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)
    w = Tensor(rng.standard_normal(2), requires_grad=True)
    b = Tensor(rng.standard_normal(2), requires_grad=True)

    def fn(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        return F.instance_norm(x, weight=w, bias=b, eps=1e-3)

    assert gradcheck(fn, x, w, b)
    assert gradgradcheck(fn, x, w, b)


@pytest.mark.parametrize("momentum", [0.1, 0.5])
def test_tracked_statistics_average_the_instances_and_normalise_in_eval(momentum: float) -> None:
    """running ← (1 − m)·running + m·mean over the batch of each instance's statistic, where the
    variance is the unbiased one (L/(L − 1) times the biased); eval normalises with them."""
    rng = np.random.default_rng(5)
    layer = nn.InstanceNorm1d(3, momentum=momentum, affine=True, track_running_stats=True)
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    layer.weight.data[:], layer.bias.data[:] = w, b
    mean, var = np.zeros(3), np.ones(3)
    for step in range(3):
        x = rng.standard_normal((4, 3, 5)) * (step + 2) + step
        m, v = x.mean(axis=2, keepdims=True), x.var(axis=2, keepdims=True)
        y = layer(x)
        expected = instance_normalized(x, m, v) * per_channel(w, 3) + per_channel(b, 3)
        np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)
        mean = (1 - momentum) * mean + momentum * m[..., 0].mean(axis=0)
        var = (1 - momentum) * var + momentum * (v[..., 0] * 5 / 4).mean(axis=0)
        np.testing.assert_allclose(layer.running_mean.data, mean, rtol=1e-12)
        np.testing.assert_allclose(layer.running_var.data, var, rtol=1e-12)
    assert layer.num_batches_tracked.data == 0  # kept for state dicts, never counted (PyTorch)
    layer.eval()
    x = rng.standard_normal((2, 3, 5))
    expected = (x - per_channel(mean, 3)) / np.sqrt(per_channel(var, 3) + EPS)
    expected = expected * per_channel(w, 3) + per_channel(b, 3)
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.running_mean.data, mean, rtol=1e-12)  # eval: no update
    layer.reset_running_stats()
    assert layer.running_mean.tolist() == [0.0] * 3 and layer.running_var.tolist() == [1.0] * 3


def test_without_tracking_both_modes_use_the_instances_and_momentum_none_never_updates() -> None:
    x = np.random.default_rng(6).standard_normal((2, 3, 2, 3))
    plain = nn.InstanceNorm2d(3)
    assert list(plain.state_dict()) == [] and plain.running_mean is None
    np.testing.assert_array_equal(plain(x).data, plain.eval()(x).data)
    frozen = nn.InstanceNorm2d(3, momentum=None, track_running_stats=True)
    frozen(x)
    assert frozen.running_mean.tolist() == [0.0] * 3 and frozen.running_var.tolist() == [1.0] * 3
    assert list(frozen.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]


@pytest.mark.parametrize(
    ("make", "shape"), [(nn.InstanceNorm1d, (3, 4)), (nn.InstanceNorm2d, (3, 2, 2))]
)
def test_unbatched_input_is_one_sample(make: type[nn.Module], shape: tuple[int, ...]) -> None:
    x = np.random.default_rng(7).standard_normal(shape)
    layer = make(3, affine=True, track_running_stats=True)
    twin = make(3, affine=True, track_running_stats=True)
    y = layer(x)
    assert y.shape == shape
    np.testing.assert_array_equal(y.data, twin(x[None]).data[0])
    np.testing.assert_array_equal(layer.running_var.data, twin.running_var.data)


def test_instance_norm_layers_repr_and_parameters() -> None:
    assert repr(nn.InstanceNorm1d(3)) == (
        "InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, "
        "track_running_stats=False)"
    )
    layer = nn.InstanceNorm2d(2, affine=True, bias=False, dtype=np.float32)
    assert list(layer.state_dict()) == ["weight"] and layer.weight.dtype == np.float32


def test_instance_norm_refusals_name_the_problem() -> None:
    x = Tensor(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="give both running_mean and running_var, or neither"):
        F.instance_norm(x, Tensor(np.zeros(3)))
    with pytest.raises(ValueError, match="needed when use_input_stats is False"):
        F.instance_norm(x, use_input_stats=False)
    with pytest.raises(ValueError, match=r"more than 1 spatial element .* shape \(2, 3, 1\)"):
        F.instance_norm(Tensor(np.zeros((2, 3, 1))))
    with pytest.raises(ValueError, match=r"more than 1 spatial element .* shape \(2, 3\)"):
        F.instance_norm(Tensor(np.zeros((2, 3))))
    with pytest.raises(ValueError, match=r"at least 2 dimensions, got shape \(4,\)"):
        F.instance_norm(Tensor(np.zeros(4)))
    with pytest.raises(ValueError, match=r"running_mean must have shape \(3,\), got \(2,\)"):
        F.instance_norm(x, Tensor(np.zeros(2)), Tensor(np.ones(2)))
    with pytest.raises(ValueError, match=r"InstanceNorm1d: expected 2D or 3D input \(got 4D"):
        nn.InstanceNorm1d(3)(np.zeros((1, 3, 2, 2)))
    with pytest.raises(ValueError, match=r"InstanceNorm2d: expected 3D or 4D input \(got 2D"):
        nn.InstanceNorm2d(3)(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"dim 1 must have 3 channels, got .* \(2, 4, 5\)"):
        nn.InstanceNorm1d(3, affine=True)(np.zeros((2, 4, 5)))
    with pytest.warns(UserWarning, match="num_features is not used without affine"):
        y = nn.InstanceNorm1d(3)(np.ones((2, 4, 5)))
    assert y.shape == (2, 4, 5)
    with pytest.raises(ValueError, match="momentum must be in"):
        nn.InstanceNorm1d(3, momentum=2.0)
    with pytest.raises(ValueError, match="num_features must be >= 1, got 0"):
        nn.InstanceNorm1d(0)
    assert math.isfinite(F.instance_norm(x, eps=0.5).data.sum())


def test_a_compiled_step_replays_the_running_statistics_exactly_as_eager() -> None:
    def make() -> Any:
        norm = nn.InstanceNorm1d(3, affine=True, track_running_stats=True)
        group = nn.GroupNorm(3, 3)
        params = list(norm.parameters()) + list(group.parameters())

        def step(x: Tensor) -> Any:
            for p in params:
                p.grad = None
            loss = (group(norm(x)) ** 3).sum()
            loss.backward()
            return loss, norm.running_var * 1.0, norm.weight.grad, group.bias.grad

        return step

    eager, fast = make(), tg.compile(make())
    rng = np.random.default_rng(8)
    for i in range(3):
        x = Tensor(rng.standard_normal((2, 3, 4)) * (i + 1))
        for a, b in zip(eager(x), fast(x), strict=True):
            assert a.data.tobytes() == b.data.tobytes()
    assert fast.traces == 1
