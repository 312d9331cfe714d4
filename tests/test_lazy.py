"""Lazy modules: inference of the input size, materialisation, state dicts and refusals."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import nn
from tinygrad_lite.gradcheck import gradcheck
from tinygrad_lite.lazy import UninitializedBuffer, UninitializedParameter, is_lazy
from tinygrad_lite.lazy_layers import (
    LazyBatchNorm1d,
    LazyBatchNorm2d,
    LazyBatchNorm3d,
    LazyConv1d,
    LazyConv2d,
    LazyConv3d,
    LazyConvTranspose1d,
    LazyConvTranspose2d,
    LazyInstanceNorm1d,
    LazyInstanceNorm2d,
    LazyInstanceNorm3d,
    LazyLinear,
)

# (lazy layer, the eager layer it must equal, an input)
CASES = [
    (lambda: LazyLinear(3, seed=0), lambda: nn.Linear(4, 3, seed=0), (2, 4)),
    (
        lambda: LazyConv1d(4, 3, groups=2, seed=1),
        lambda: nn.Conv1d(2, 4, 3, groups=2, seed=1),
        (1, 2, 5),
    ),
    (
        lambda: LazyConv2d(2, 2, padding=1, seed=2),
        lambda: nn.Conv2d(3, 2, 2, padding=1, seed=2),
        (3, 4, 4),
    ),
    (lambda: LazyConv3d(2, 1, seed=3), lambda: nn.Conv3d(2, 2, 1, seed=3), (1, 2, 2, 2, 2)),
    (
        lambda: LazyConvTranspose1d(2, 2, stride=2, seed=4),
        lambda: nn.ConvTranspose1d(3, 2, 2, stride=2, seed=4),
        (1, 3, 3),
    ),
    (
        lambda: LazyConvTranspose2d(2, 2, seed=5),
        lambda: nn.ConvTranspose2d(1, 2, 2, seed=5),
        (1, 1, 3, 3),
    ),
    (
        lambda: nn.LazyConvTranspose3d(2, 2, stride=2, seed=6),
        lambda: nn.ConvTranspose3d(2, 2, 2, stride=2, seed=6),
        (1, 2, 2, 2, 3),
    ),
    (lambda: LazyBatchNorm1d(), lambda: nn.BatchNorm1d(3), (4, 3)),
    (
        lambda: LazyBatchNorm2d(momentum=None),
        lambda: nn.BatchNorm2d(2, momentum=None),
        (2, 2, 2, 2),
    ),
    (lambda: LazyBatchNorm3d(), lambda: nn.BatchNorm3d(2), (2, 2, 1, 2, 2)),
    (
        lambda: LazyInstanceNorm1d(),
        lambda: nn.InstanceNorm1d(2, affine=True, track_running_stats=True),
        (2, 2, 3),
    ),
    (
        lambda: LazyInstanceNorm2d(affine=False),
        lambda: nn.InstanceNorm2d(2, track_running_stats=True),
        (1, 2, 2, 2),
    ),
    (
        lambda: LazyInstanceNorm3d(track_running_stats=False),
        lambda: nn.InstanceNorm3d(2, affine=True),
        (1, 2, 2, 2, 2),
    ),
]


@pytest.mark.parametrize("lazy, eager, shape", CASES)
def test_first_call_equals_the_eager_layer(lazy, eager, shape) -> None:
    m, e = lazy(), eager()
    assert all(is_lazy(p) for p in m.parameters())
    x = tg.tensor(np.random.default_rng(0).normal(size=shape))
    y = m(x)
    assert type(m) is type(e) and repr(m) == repr(e)
    np.testing.assert_array_equal(y.data, e(x).data)
    assert list(m.state_dict()) == list(e.state_dict())
    for (name, a), b in zip(m.state_dict().items(), e.state_dict().values(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert not any(is_lazy(t) for t in (*m.parameters(), *m.buffers()))


def test_unseeded_draws_are_the_eager_draws() -> None:
    tg.manual_seed(7)
    m = LazyLinear(2)
    m(tg.ones(1, 3))
    tg.manual_seed(7)
    e = nn.Linear(3, 2)
    np.testing.assert_array_equal(m.weight.data, e.weight.data)


def test_same_parameter_objects_and_gradients() -> None:
    m = LazyLinear(2, seed=0)
    before = list(m.parameters())
    x = tg.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
    m(x)
    assert [id(p) for p in m.parameters()] == [id(p) for p in before]
    assert type(before[0]) is nn.Parameter and before[0].requires_grad
    assert gradcheck(lambda a: m(a), x)
    opt = tg.optim.SGD(m.parameters(), lr=0.1)
    m(x).sum().backward()
    opt.step()


def test_before_the_first_call() -> None:
    m = LazyLinear(3, bias=False, dtype=np.float32)
    assert repr(m) == "LazyLinear(in_features=0, out_features=3, bias=False)"
    (w,) = m.parameters()
    assert isinstance(w, UninitializedParameter) and repr(w) == "<UninitializedParameter>"
    assert w.dtype == np.float32 and w.requires_grad and w.grad is None
    for use in (lambda: w * 2, lambda: w.shape, lambda: tg.optim.SGD([w], lr=0.1)):
        with pytest.raises(RuntimeError, match="UninitializedParameter: .* no values"):
            use()
    assert m.state_dict() == {"weight": w}
    bn = LazyBatchNorm1d()
    assert isinstance(bn.running_mean, UninitializedBuffer)
    assert list(bn.state_dict()) == [
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked",
    ]  # fmt: skip


def test_load_state_dict_materialises() -> None:
    e = nn.Sequential(nn.Linear(4, 3, seed=1), nn.Tanh(), nn.Conv1d(1, 2, 2, seed=2))
    m = nn.Sequential(LazyLinear(3), nn.Tanh(), LazyConv1d(2, 2))
    m.load_state_dict(e.state_dict())
    assert m[0].in_features == 4 and m[2].in_channels == 1
    for a, b in zip(m.state_dict().values(), e.state_dict().values(), strict=True):
        np.testing.assert_array_equal(a, b)
    x = tg.ones(1, 4)
    np.testing.assert_array_equal(m[0](x).data, e[0](x).data)
    assert type(m[0]) is nn.Linear


def test_load_refusals_leave_the_module_lazy() -> None:
    m = LazyLinear(3)
    with pytest.raises(ValueError, match=r"weight: shape \(5, 4\) in the state dict"):
        m.load_state_dict({"weight": np.zeros((5, 4)), "bias": np.zeros(5)})
    with pytest.raises(ValueError, match="cannot read in_features"):
        m.load_state_dict({"bias": np.zeros(3)}, strict=False)
    with pytest.raises(ValueError, match="holds an uninitialized tensor"):
        m.load_state_dict(LazyLinear(3).state_dict())
    assert m.has_uninitialized_params()
    r = m.load_state_dict({}, strict=False)
    assert r.missing_keys == ["weight", "bias"] and m.has_uninitialized_params()
    with pytest.raises(RuntimeError, match="no values"):
        nn.Linear(2, 3).load_state_dict(LazyLinear(3).state_dict())


def test_partial_load_keeps_the_initial_values() -> None:
    m = LazyBatchNorm1d()
    r = m.load_state_dict({"running_mean": np.full(2, 0.5)}, strict=False)
    assert "weight" in r.missing_keys
    np.testing.assert_array_equal(m.running_mean.data, [0.5, 0.5])
    np.testing.assert_array_equal(m.weight.data, [1.0, 1.0])


def test_input_checks() -> None:
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        LazyBatchNorm1d()(tg.ones(3))
    with pytest.raises(ValueError, match=r"expected 3D \(unbatched\) or 4D"):
        LazyConv2d(2, 1)(tg.ones(2, 2))
    with pytest.raises(ValueError, match="divisible by groups 2"):
        LazyConv1d(2, 1, groups=2)(tg.ones(1, 3, 4))
    with pytest.raises(ValueError, match="unbatched input"):
        LazyInstanceNorm1d()(tg.ones(2, 3))
    m = LazyInstanceNorm1d(affine=False, track_running_stats=False)
    assert m(tg.ones(2, 3)).shape == (2, 3) and m.num_features == 2
    with pytest.raises(ValueError, match="LazyConv2d: .*kernel_size"):
        LazyConv2d(2, 0)
    with pytest.raises(TypeError, match="seed"):
        LazyLinear(2, seed="x")
    with pytest.raises(TypeError, match="positionally"):
        LazyLinear(2)(x=tg.ones(1, 2))


def test_materialize() -> None:
    p = UninitializedParameter()
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and p.shape == (2, 3) and not p.data.any()
    b = UninitializedBuffer(dtype=np.float32)
    b.materialize(4)
    assert type(b) is tg.Tensor and b.dtype == np.float32 and not b.requires_grad
    with pytest.raises(ValueError, match="non-negative ints"):
        UninitializedParameter().materialize((-1,))
    with pytest.raises(TypeError, match="floating-point"):
        UninitializedParameter(dtype=np.int64)
