"""reset_parameters on the layers, rms_norm's result dtype, and old BatchNorm state dicts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn, optim
from tinygrad_lite.lazy_layers import LazyBatchNorm1d, LazyConv2d, LazyLinear
from tinygrad_lite.rms_norms import rms_norm

Factory = Callable[..., Any]

# Layers whose initial values are drawn: each takes seed= and dtype=.
DRAWN: dict[str, Factory] = {
    "Linear": lambda **k: nn.Linear(3, 2, **k),
    "Bilinear": lambda **k: nn.Bilinear(2, 3, 4, **k),
    "Conv1d": lambda **k: nn.Conv1d(2, 4, 3, **k),
    "Conv2d": lambda **k: nn.Conv2d(2, 4, 3, groups=2, **k),
    "Conv3d": lambda **k: nn.Conv3d(2, 3, 2, **k),
    "ConvTranspose1d": lambda **k: nn.ConvTranspose1d(2, 4, 3, **k),
    "ConvTranspose2d": lambda **k: nn.ConvTranspose2d(4, 2, 3, groups=2, **k),
    "ConvTranspose3d": lambda **k: nn.ConvTranspose3d(2, 3, 2, **k),
    "Embedding": lambda **k: nn.Embedding(5, 3, padding_idx=1, **k),
    "EmbeddingBag": lambda **k: nn.EmbeddingBag(5, 3, padding_idx=-1, **k),
    "RNN": lambda **k: nn.RNN(3, 4, num_layers=2, bidirectional=True, **k),
    "LSTM": lambda **k: nn.LSTM(3, 4, proj_size=2, **k),
    "GRU": lambda **k: nn.GRU(3, 4, bias=False, **k),
    "RNNCell": lambda **k: nn.RNNCell(3, 4, **k),
    "LSTMCell": lambda **k: nn.LSTMCell(3, 4, **k),
    "GRUCell": lambda **k: nn.GRUCell(3, 4, **k),
}

# Layers whose initial values are constants: weight 1 (PReLU: 0.25), bias 0.
CONSTANT: dict[str, Factory] = {
    "BatchNorm1d": lambda **k: nn.BatchNorm1d(3, **k),
    "BatchNorm2d": lambda **k: nn.BatchNorm2d(3, **k),
    "BatchNorm3d": lambda **k: nn.BatchNorm3d(3, **k),
    "InstanceNorm1d": lambda **k: nn.InstanceNorm1d(3, affine=True, **k),
    "InstanceNorm2d": lambda **k: nn.InstanceNorm2d(3, affine=True, track_running_stats=True, **k),
    "InstanceNorm3d": lambda **k: nn.InstanceNorm3d(3, affine=True, **k),
    "LayerNorm": lambda **k: nn.LayerNorm((2, 3), **k),
    "GroupNorm": lambda **k: nn.GroupNorm(2, 4, **k),
    "RMSNorm": lambda **k: nn.RMSNorm(3, **k),
    "PReLU": lambda **k: nn.PReLU(3, **k),
}


def values(layer: Any) -> dict[str, np.ndarray]:
    return {name: p.data.copy() for name, p in layer.named_parameters()}


def train(layer: Any, steps: int = 2) -> optim.SGD:
    """Move every Parameter with SGD on a random linear loss; return the optimizer."""
    opt = optim.SGD(list(layer.parameters()), lr=0.5)
    rng = np.random.default_rng(1)
    for _ in range(steps):
        opt.zero_grad()
        loss = sum((p * Tensor(rng.standard_normal(p.shape).astype(p.dtype))).sum()
                   for p in layer.parameters())  # fmt: skip
        loss.backward()
        opt.step()
    return opt


def assert_same(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    assert list(got) == list(want)
    for name in want:
        assert got[name].dtype == want[name].dtype, name
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)


# ------------------------------------------------------------------ which layers have it


@pytest.mark.parametrize("name", [*DRAWN, *CONSTANT])
def test_every_layer_pytorch_resets_has_reset_parameters(name: str) -> None:
    factory = {**DRAWN, **CONSTANT}[name]
    assert callable(getattr(factory(), "reset_parameters", None))


def test_lazy_layers_have_it_and_attention_has_pytorchs_private_one() -> None:
    for cls in (LazyLinear, LazyConv2d, LazyBatchNorm1d):
        assert hasattr(cls, "reset_parameters")
    mha = nn.MultiheadAttention(4, 2)
    assert hasattr(mha, "_reset_parameters") and not hasattr(mha, "reset_parameters")


# ------------------------------------------------------------------ drawn values


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(DRAWN))
def test_a_seeded_reset_gives_a_new_layers_values_in_the_same_parameters(
    name: str, dtype: Any
) -> None:
    layer = DRAWN[name](seed=7, dtype=dtype)
    fresh = values(layer)
    params = list(layer.parameters())
    opt = train(layer)
    assert all(not np.array_equal(p.data, fresh[n]) for n, p in layer.named_parameters())
    layer.reset_parameters(seed=7)
    assert_same(values(layer), fresh)
    assert all(a is b for a, b in zip(layer.parameters(), params, strict=True))
    # the optimizer built before the reset still moves the same Parameters
    opt.zero_grad()
    sum(p.sum() for p in layer.parameters()).backward()
    opt.step()
    for n, p in layer.named_parameters():
        np.testing.assert_allclose(p.data, fresh[n] - 0.5, rtol=1e-6, atol=1e-6, err_msg=n)


@pytest.mark.parametrize("name", list(DRAWN))
def test_an_unseeded_reset_draws_from_the_default_generator(name: str) -> None:
    tg.manual_seed(3)
    want = values(DRAWN[name]())
    layer = DRAWN[name](seed=11)
    train(layer, 1)
    tg.manual_seed(3)
    layer.reset_parameters()
    assert_same(values(layer), want)
    layer.reset_parameters(np.random.default_rng(5))  # a Generator is drawn from as it is
    assert_same(values(layer), values(DRAWN[name](seed=np.random.default_rng(5))))


def test_the_draws_are_pytorchs_distributions_in_the_order_of_the_parameters() -> None:
    rng, bound = np.random.default_rng(0), 1 / np.sqrt(3)
    linear = nn.Linear(3, 2, seed=0)
    np.testing.assert_array_equal(linear.weight.data, rng.uniform(-bound, bound, (2, 3)))
    np.testing.assert_array_equal(linear.bias.data, rng.uniform(-bound, bound, (2,)))
    rnn = nn.GRU(3, 4, seed=0)
    rng = np.random.default_rng(0)
    for name, p in rnn.named_parameters():
        np.testing.assert_array_equal(p.data, rng.uniform(-0.5, 0.5, p.shape), err_msg=name)
    conv = nn.ConvTranspose2d(4, 6, (2, 3), groups=2, seed=0)  # fan_in = 6/2 · 2 · 3 = 18
    bound = 1 / np.sqrt(18)
    np.testing.assert_array_equal(
        conv.weight.data, np.random.default_rng(0).uniform(-bound, bound, (4, 3, 2, 3))
    )
    emb = nn.Embedding(4, 2, padding_idx=2, seed=0, dtype=np.float32)
    table = np.random.default_rng(0).standard_normal((4, 2))
    table[2] = 0
    np.testing.assert_array_equal(emb.weight.data, table.astype(np.float32))


def test_embeddings_padding_row_is_zero_again() -> None:
    for layer in (nn.Embedding(5, 3, padding_idx=-2), nn.EmbeddingBag(5, 3, padding_idx=3)):
        train(layer)
        assert np.any(layer.weight.data[3] != 0)
        layer.reset_parameters()
        np.testing.assert_array_equal(layer.weight.data[3], 0.0)
        assert np.all(np.delete(layer.weight.data, 3, axis=0) != 0)


# ------------------------------------------------------------------ constant values


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(CONSTANT))
def test_a_reset_gives_the_constants_back(name: str, dtype: Any) -> None:
    layer = CONSTANT[name](dtype=dtype)
    fresh, params = values(layer), list(layer.parameters())
    train(layer)
    layer.reset_parameters()
    assert_same(values(layer), fresh)
    assert all(a is b for a, b in zip(layer.parameters(), params, strict=True))
    for n, v in fresh.items():
        want = 0.25 if name == "PReLU" else 1.0 if n == "weight" else 0.0
        np.testing.assert_array_equal(v, want)


@pytest.mark.parametrize("cls", [nn.BatchNorm1d, nn.InstanceNorm1d])
def test_a_norms_reset_also_resets_its_running_statistics(cls: Any) -> None:
    layer = cls(3, affine=True, track_running_stats=True)
    x = np.random.default_rng(0).standard_normal((4, 3, 5)) * 2 + 1
    for _ in range(3):
        layer(x)
    train(layer)
    assert np.all(layer.running_mean.data != 0) and np.all(layer.running_var.data != 1)
    layer.reset_parameters()
    np.testing.assert_array_equal(layer.running_mean.data, np.zeros(3))
    np.testing.assert_array_equal(layer.running_var.data, np.ones(3))
    assert layer.num_batches_tracked.data == 0 and layer.num_batches_tracked.dtype == np.int64
    np.testing.assert_array_equal(layer.weight.data, np.ones(3))
    np.testing.assert_array_equal(layer.bias.data, np.zeros(3))


# ------------------------------------------------------------------ in use


def test_the_users_loop_over_modules_reinitialises_a_network() -> None:
    def build() -> Any:
        return nn.Sequential(
            nn.Conv2d(1, 2, 3, seed=1), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(),
            nn.Linear(8, 3, seed=2), nn.LayerNorm(3), nn.PReLU(),
        )  # fmt: skip

    def reinitialise(model: Any) -> None:
        tg.manual_seed(0)
        for m in model.modules():
            if hasattr(m, "reset_parameters"):
                m.reset_parameters()

    reference = build()
    reinitialise(reference)
    want = reference.state_dict()
    model = build()
    x = np.random.default_rng(0).standard_normal((5, 1, 4, 4))
    opt = optim.SGD(list(model.parameters()), lr=0.1)
    for _ in range(2):
        opt.zero_grad()
        model(x).sum().backward()
        opt.step()
    got = model.state_dict()
    assert all(not np.array_equal(got[k], want[k]) for k in want if "num_batches" not in k)
    reinitialise(model)
    got = model.state_dict()
    for key, value in want.items():
        np.testing.assert_array_equal(got[key], value, err_msg=key)


def test_lazy_layers_reset_nothing_before_their_first_call() -> None:
    lazy = LazyLinear(3, seed=0)
    lazy.reset_parameters()  # no values yet: nothing to reset, as in PyTorch
    lazy(tg.ones(2, 4))
    assert_same(values(lazy), values(nn.Linear(4, 3, seed=0)))
    train(lazy)
    lazy.reset_parameters(0)
    assert_same(values(lazy), values(nn.Linear(4, 3, seed=0)))
    norm = LazyBatchNorm1d()
    norm.reset_parameters()
    loaded = LazyConv2d(2, 3, seed=0)
    loaded.load_state_dict(nn.Conv2d(4, 2, 3, seed=5).state_dict())  # still lazy, with values
    loaded.reset_parameters(seed=0)
    assert_same(values(loaded), values(nn.Conv2d(4, 2, 3, seed=0)))


def test_attentions_reset_draws_the_projections_and_zeroes_the_biases() -> None:
    mha = nn.MultiheadAttention(4, 2, add_bias_kv=True, kdim=3, seed=0)
    fresh = values(mha)
    train(mha)
    trained_out = mha.out_proj.weight.data.copy()
    mha._reset_parameters(seed=0)
    got = values(mha)
    for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight", "bias_k", "bias_v"):
        np.testing.assert_array_equal(got[name], fresh[name], err_msg=name)
    np.testing.assert_array_equal(got["in_proj_bias"], np.zeros(12))
    np.testing.assert_array_equal(got["out_proj.bias"], np.zeros(4))
    np.testing.assert_array_equal(got["out_proj.weight"], trained_out)  # PyTorch's too


def test_a_reset_between_forward_and_backward_is_refused_by_the_backward() -> None:
    layer = nn.Linear(3, 2, seed=0)
    loss = layer(np.ones((1, 3))).sum() * layer.weight.sum()
    layer.reset_parameters(1)
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_a_subclass_reset_without_a_seed_is_what_the_constructor_calls() -> None:
    class Ones(nn.Linear):
        def reset_parameters(self) -> None:  # PyTorch's signature
            nn.init.ones_(self.weight)

    layer = Ones(3, 2, bias=False)
    np.testing.assert_array_equal(layer.weight.data, np.ones((2, 3)))


# ------------------------------------------------------------------ rms_norm's dtype

FLOATS = [np.float16, np.float32, np.float64]


@pytest.mark.parametrize("weight_dtype", [*FLOATS, None])
@pytest.mark.parametrize("input_dtype", FLOATS)
def test_rms_norm_returns_the_inputs_dtype_whatever_the_weights(
    input_dtype: Any, weight_dtype: Any
) -> None:
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((4, 3)).astype(input_dtype), requires_grad=True)
    w = None
    if weight_dtype is not None:
        w = Tensor(rng.standard_normal(3).astype(weight_dtype), requires_grad=True)
    y = rms_norm(x, 3, w, eps=1e-6)
    assert y.dtype == input_dtype
    x64 = x.data.astype(np.float64)
    want = x64 / np.sqrt((x64 * x64).mean(-1, keepdims=True) + 1e-6)
    want = want if w is None else want * w.data
    tol = {np.float16: 2e-3, np.float32: 1e-6, np.float64: 1e-13}[input_dtype]
    np.testing.assert_allclose(y.data, want, rtol=tol, atol=tol)
    y.sum().backward()
    assert x.grad is not None and x.grad.dtype == input_dtype
    assert w is None or (w.grad is not None and w.grad.dtype == weight_dtype)
    layer = nn.RMSNorm(3, dtype=weight_dtype or np.float64)
    assert layer(x.detach()).dtype == input_dtype


def test_rms_norm_computes_float16_in_float32_as_pytorch() -> None:
    # x² = 90000 overflows float16 (max 65504): computed in float16 the result would be 0
    big = rms_norm(Tensor(np.full((2, 3), 300.0, np.float16)), 3)
    np.testing.assert_array_equal(big.data, np.ones((2, 3), np.float16))
    # the default eps is float32's (PyTorch's for float16): 1e-3 / √(1e-6/3 + 2⁻²³)
    small = rms_norm(Tensor(np.array([[1e-3, 0.0, 0.0]], np.float16)), 3)
    x = np.float32(np.float16(1e-3))
    want = x / np.sqrt(x * x / np.float32(3) + np.finfo(np.float32).eps)
    assert small.data[0, 0] == np.float16(want)
    assert abs(float(small.data[0, 0]) - 1.486) < 1e-3


# ------------------------------------------------------------------ old BatchNorm state dicts


def counted(layer: Any, batches: int) -> Any:
    x = np.random.default_rng(0).standard_normal((4, 3))
    for _ in range(batches):
        layer(x)
    return layer


def test_a_state_dict_without_the_batch_count_loads_and_keeps_the_count() -> None:
    source = counted(nn.BatchNorm1d(3), 5).state_dict()
    old = {k: v for k, v in source.items() if k != "num_batches_tracked"}
    layer = counted(nn.BatchNorm1d(3), 3)
    count = layer.num_batches_tracked
    result = layer.load_state_dict(old)  # strict: PyTorch fills the key in for old formats
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert layer.num_batches_tracked is count and int(count.data) == 3
    np.testing.assert_array_equal(layer.running_mean.data, source["running_mean"])
    net = nn.Sequential(nn.Linear(3, 3), counted(nn.BatchNorm1d(3), 2))
    state = {k: v for k, v in net.state_dict().items() if "num_batches" not in k}
    assert net.load_state_dict(state).missing_keys == []
    assert int(net[1].num_batches_tracked.data) == 2
    norm = nn.InstanceNorm1d(3, affine=True, track_running_stats=True)
    old = {k: v for k, v in norm.state_dict().items() if k != "num_batches_tracked"}
    assert norm.load_state_dict(old).missing_keys == []
    lazy = LazyBatchNorm1d()
    lazy.load_state_dict(old)
    assert lazy.running_mean.shape == (3,) and int(lazy.num_batches_tracked.data) == 0


def test_a_state_dict_of_the_current_version_must_have_the_batch_count() -> None:
    class Versioned(dict):  # a state dict carrying PyTorch's version metadata
        _metadata: dict[str, Any]

    layer = nn.BatchNorm1d(3)
    state = Versioned({k: v for k, v in layer.state_dict().items() if "num_batches" not in k})
    state._metadata = {"": {"version": 2}}
    with pytest.raises(ValueError, match="missing keys.*num_batches_tracked"):
        layer.load_state_dict(state)
    state._metadata = {"": {"version": 1}}
    assert layer.load_state_dict(state).missing_keys == []
    untracked = nn.BatchNorm1d(3, track_running_stats=False)
    assert list(untracked.state_dict()) == ["weight", "bias"]
    with pytest.raises(ValueError, match="unexpected keys"):
        untracked.load_state_dict({**untracked.state_dict(), "num_batches_tracked": 0})


@pytest.mark.parametrize(
    "settings",
    [
        dict(in_features=8, n_classes=10, cutoffs=[3, 6], div_value=2.0),
        dict(in_features=8, n_classes=12, cutoffs=[4, 7], head_bias=True),
        dict(in_features=2, n_classes=12, cutoffs=[4, 7], div_value=4.0),  # empty weights
    ],
)
def test_adaptive_softmax_resets_as_a_new_module_draws(settings: dict[str, Any]) -> None:
    fresh = nn.AdaptiveLogSoftmaxWithLoss(**settings, seed=3)
    used = nn.AdaptiveLogSoftmaxWithLoss(**settings, seed=5)
    before = list(used.parameters())
    used.reset_parameters(3)
    assert all(p is q for p, q in zip(before, used.parameters(), strict=True))
    for p, q in zip(fresh.parameters(), used.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_transformer_redraws_its_matrices_only() -> None:
    model = nn.Transformer(8, 2, 1, 1, dim_feedforward=16, seed=1)
    for p in model.parameters():
        p.data[...] = 0.5
    model._reset_parameters(7)
    for name, p in model.named_parameters():
        if p.ndim > 1:  # Glorot-uniform: within ±√(6/(fan_in + fan_out)), not all equal
            bound = np.sqrt(6.0 / (p.shape[0] + p.shape[1]))
            assert np.abs(p.data).max() <= bound and np.unique(p.data).size > 1, name
        else:  # biases and norms are left as they are, as PyTorch's _reset_parameters does
            assert np.all(p.data == 0.5), name
