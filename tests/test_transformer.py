"""Transformer encoder layers: PyTorch's names, the blocks written out, derivatives, compile.

The comparison with PyTorch itself (optional) is in `tests/test_attention_torch.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn, optim
from tinygrad_lite import functional as F
from tinygrad_lite.func import functional_call
from tinygrad_lite.gradcheck import gradcheck_module, gradgradcheck
from tinygrad_lite.transformer import generate_square_subsequent_mask


def _close(a: Any, b: np.ndarray) -> None:
    np.testing.assert_allclose(a.data if isinstance(a, Tensor) else a, b, rtol=1e-12, atol=1e-12)


LAYER_KEYS = [
    "self_attn.in_proj_weight",
    "self_attn.in_proj_bias",
    "self_attn.out_proj.weight",
    "self_attn.out_proj.bias",
    "linear1.weight",
    "linear1.bias",
    "linear2.weight",
    "linear2.bias",
    "norm1.weight",
    "norm1.bias",
    "norm2.weight",
    "norm2.bias",
]


def test_encoder_layers_have_pytorchs_keys_and_copies() -> None:
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, seed=0)
    assert list(layer.state_dict()) == LAYER_KEYS
    assert layer.linear1.weight.shape == (8, 4) and layer.dropout.p == 0.1
    assert [n for n, _ in layer.named_modules()] == [
        "", "self_attn", "self_attn.out_proj", "linear1", "dropout", "linear2", "norm1",
        "norm2", "dropout1", "dropout2",
    ]  # fmt: skip
    assert [k for k in nn.TransformerEncoderLayer(4, 2, bias=False).state_dict()] == [
        "self_attn.in_proj_weight",
        "self_attn.out_proj.weight",
        "linear1.weight",
        "linear2.weight",
        "norm1.weight",
        "norm2.weight",
    ]
    encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(4))
    stacked = [f"layers.{i}.{k}" for i in (0, 1) for k in LAYER_KEYS]
    assert list(encoder.state_dict()) == [*stacked, "norm.weight", "norm.bias"]
    first, second = encoder.layers[0], encoder.layers[1]
    assert first is not layer and first.linear1.weight is not second.linear1.weight
    assert np.array_equal(first.linear1.weight.data, layer.linear1.weight.data)


def test_encoder_layer_equals_its_blocks_written_out() -> None:
    rng = np.random.default_rng(7)
    x = Tensor(rng.standard_normal((2, 3, 4)))
    pad = Tensor(np.array([[False, False, True], [False, False, False]]))
    for norm_first, act in ((False, "relu"), (True, "gelu")):
        layer = nn.TransformerEncoderLayer(
            4, 2, 5, dropout=0.0, activation=act, batch_first=True, norm_first=norm_first, seed=1
        )
        f = F.relu if act == "relu" else F.gelu

        def sa(t: Tensor, layer: Any = layer) -> Tensor:
            return layer.self_attn(t, t, t, key_padding_mask=pad)[0]

        def ff(t: Tensor, layer: Any = layer, f: Any = f) -> Tensor:
            return layer.linear2(f(layer.linear1(t)))

        if norm_first:
            h = x + sa(layer.norm1(x))
            want = h + ff(layer.norm2(h))
        else:
            h = layer.norm1(x + sa(x))
            want = layer.norm2(h + ff(h))
        _close(layer(x, src_key_padding_mask=pad), want.data)
    custom = nn.TransformerEncoderLayer(4, 2, 5, dropout=0.0, activation=nn.Tanh(), seed=1)
    assert "activation" in dict(custom.named_modules())
    encoder = nn.TransformerEncoder(custom, 2)
    y = Tensor(rng.standard_normal((3, 4)))  # one unbatched sequence
    mask = generate_square_subsequent_mask(3)
    _close(encoder(y, mask=mask), encoder.layers[1](encoder.layers[0](y, mask), mask).data)
    _close(encoder(y, mask=mask, is_causal=True), encoder(y, mask=mask).data)


def test_encoder_layer_first_and_second_derivatives() -> None:
    rng = np.random.default_rng(8)
    layer = nn.TransformerEncoderLayer(2, 2, 3, dropout=0.0, activation="gelu", seed=2)
    for p in layer.parameters():
        p.data[...] += 0.3 * rng.standard_normal(p.shape)
    x = Tensor(rng.standard_normal((2, 1, 2)), requires_grad=True)
    weights = Tensor(rng.standard_normal((2, 1, 2)))
    assert gradcheck_module(layer, lambda m, a: (m(a) * weights).sum(), x)
    names = [n for n, _ in layer.named_parameters()]
    params = [Tensor(p.data, requires_grad=True) for p in layer.parameters()]

    def with_params(a: Tensor, *ps: Tensor) -> Tensor:
        return functional_call(layer, dict(zip(names, ps, strict=True)), a)

    assert gradgradcheck(with_params, x, *params)


def test_encoder_refusals_name_the_problem() -> None:
    with pytest.raises(ValueError, match="'relu', 'gelu' or a callable, got 'tanh'"):
        nn.TransformerEncoderLayer(4, 2, activation="tanh")
    with pytest.raises(TypeError, match="activation must be.*int 3"):
        nn.TransformerEncoderLayer(4, 2, activation=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="embed_dim 4 must be divisible by num_heads 3"):
        nn.TransformerEncoderLayer(4, 3)
    with pytest.raises(ValueError, match="num_layers must be >= 1, got 0"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2), 0)
    with pytest.raises(TypeError, match="encoder_layer must be a Module"):
        nn.TransformerEncoder("layer", 2)  # type: ignore[arg-type]
    layer = nn.TransformerEncoderLayer(4, 2, 8)
    with pytest.raises(ValueError, match="is_causal=True needs attn_mask"):
        layer(np.ones((3, 1, 4)), is_causal=True)


@pytest.mark.parametrize("dropout", [0.0, 0.2])
def test_a_compiled_encoder_training_step_replays_eager_bit_for_bit(dropout: float) -> None:
    def make() -> tuple[Callable[..., Tensor], list[Tensor]]:
        tg.manual_seed(0)
        layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=dropout, batch_first=True)
        encoder = nn.TransformerEncoder(layer, 2)
        head = nn.Linear(4, 2)
        params = list(encoder.parameters()) + list(head.parameters())
        opt = optim.Adam(params, lr=0.01)

        def step(x: Any, y: Any, mask: Any, pad: Any) -> Tensor:
            opt.zero_grad()
            out = encoder(x, mask=mask, src_key_padding_mask=pad)
            loss = F.cross_entropy(head(out[:, 0]), y)
            loss.backward()
            opt.step()
            return loss

        return step, params

    (eager, eager_params), (traced, compiled_params) = make(), make()
    compiled = tg.compile(traced)
    rng = np.random.default_rng(0)
    mask = generate_square_subsequent_mask(4)
    for i in range(3):
        x, y = Tensor(rng.standard_normal((3, 4, 4))), Tensor(rng.integers(0, 2, 3))
        pad = Tensor(rng.random((3, 4)) < 0.3)  # new masks each call: the replay follows them
        tg.manual_seed(10 + i)  # the same dropout masks for both
        loss = eager(x, y, mask, pad).item()
        tg.manual_seed(10 + i)
        assert compiled(x, y, mask, pad).item() == loss
    for p, q in zip(eager_params, compiled_params, strict=True):
        assert np.array_equal(p.data, q.data)


def test_nn_exports_the_layers() -> None:
    from tinygrad_lite import attn_layers, transformer

    for module in (attn_layers, transformer):
        for name in module.__all__:
            if name[0].isupper():
                assert getattr(nn, name) is getattr(module, name) and name in nn.__all__
