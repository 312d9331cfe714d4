"""Transformer decoders and the Transformer: PyTorch's names, the blocks, derivatives, compile.

The comparison with PyTorch itself (optional) is in `tests/test_transformer_dec_torch.py`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn, optim
from tinygrad_lite import functional as F
from tinygrad_lite.gradcheck import gradcheck, gradcheck_module
from tinygrad_lite.transformer import generate_square_subsequent_mask


def _close(a: Any, b: np.ndarray) -> None:
    np.testing.assert_allclose(a.data if isinstance(a, Tensor) else a, b, rtol=1e-12, atol=1e-12)


def _perturbed(module: Any, seed: int) -> Any:
    rng = np.random.default_rng(seed)
    for p in module.parameters():  # away from the initial zeros and ones
        p.data[...] += 0.3 * rng.standard_normal(p.shape)
    return module


ATTENTION_KEYS = ("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias")
LAYER_KEYS = [
    *(f"{a}.{k}" for a in ("self_attn", "multihead_attn") for k in ATTENTION_KEYS),
    *(f"{m}.{k}" for m in ("linear1", "linear2") for k in ("weight", "bias")),
    *(f"norm{i}.{k}" for i in (1, 2, 3) for k in ("weight", "bias")),
]


def test_decoder_layers_have_pytorchs_keys_and_copies() -> None:
    layer = nn.TransformerDecoderLayer(4, 2, dim_feedforward=8, seed=0)
    assert list(layer.state_dict()) == LAYER_KEYS
    assert layer.linear1.weight.shape == (8, 4) and layer.dropout3.p == 0.1
    assert [n for n, _ in layer.named_modules()] == [
        "", "self_attn", "self_attn.out_proj", "multihead_attn", "multihead_attn.out_proj",
        "linear1", "dropout", "linear2", "norm1", "norm2", "norm3", "dropout1", "dropout2",
        "dropout3",
    ]  # fmt: skip
    unbiased = nn.TransformerDecoderLayer(4, 2, bias=False).state_dict()
    assert list(unbiased) == [k for k in LAYER_KEYS if not k.endswith("bias")]
    decoder = nn.TransformerDecoder(layer, 2, norm=nn.LayerNorm(4))
    stacked = [f"layers.{i}.{k}" for i in (0, 1) for k in LAYER_KEYS]
    assert list(decoder.state_dict()) == [*stacked, "norm.weight", "norm.bias"]
    first, second = decoder.layers[0], decoder.layers[1]
    assert first is not layer and first.linear1.weight is not second.linear1.weight
    assert np.array_equal(first.linear1.weight.data, layer.linear1.weight.data)
    model = nn.Transformer(4, 2, 2, 1, 8, seed=0)
    encoder_keys = list(nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8), 2).state_dict())
    assert list(model.state_dict()) == [
        *(f"encoder.{k}" for k in [*encoder_keys, "norm.weight", "norm.bias"]),
        *(f"decoder.layers.0.{k}" for k in LAYER_KEYS),
        "decoder.norm.weight",
        "decoder.norm.bias",
    ]
    assert (model.d_model, model.nhead, model.batch_first) == (4, 2, False)


def test_the_transformer_redraws_every_matrix_glorot_uniform() -> None:
    # dim_feedforward 64: Linear's own range, ±1/√fan_in, is then ±0.5 for linear1 and ±0.125
    # for linear2, and Glorot's ±0.297 for both, so that the bounds below tell them apart
    custom = nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 64, seed=0), 1)
    before = {k: v.copy() for k, v in custom.state_dict().items()}
    model = nn.Transformer(4, 2, 1, 1, 64, custom_decoder=custom, seed=1)
    assert model.decoder is custom
    for name, p in model.named_parameters():
        if p.ndim == 1:  # vectors keep their own initialisation: zeros, ones, Linear's
            continue
        fan_out, fan_in = p.shape
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        assert np.abs(p.data).max() <= bound, name
        assert np.abs(p.data).max() > 0.5 * bound, name  # drawn, not left at zero
        if name.startswith("decoder."):  # the custom decoder's matrices are drawn again too
            assert not np.array_equal(p.data, before[name.removeprefix("decoder.")]), name
    again = nn.Transformer(4, 2, 1, 1, 64, custom_decoder=custom, seed=1)
    for (name, p), q in zip(model.named_parameters(), again.parameters(), strict=True):
        if not name.startswith("decoder."):  # a seed fixes the weights
            assert np.array_equal(p.data, q.data), name


def test_decoder_layer_equals_its_blocks_written_out() -> None:
    rng = np.random.default_rng(7)
    x, mem = Tensor(rng.standard_normal((2, 3, 4))), Tensor(rng.standard_normal((2, 5, 4)))
    tgt_pad = Tensor(np.array([[False, False, True], [False, False, False]]))
    mem_mask = Tensor(rng.standard_normal((3, 5)))
    mask = generate_square_subsequent_mask(3)
    for norm_first, act in ((False, "relu"), (True, "gelu")):
        layer = nn.TransformerDecoderLayer(
            4, 2, 5, dropout=0.0, activation=act, batch_first=True, norm_first=norm_first, seed=1
        )
        _perturbed(layer, 2)  # each norm its own weights
        f = F.relu if act == "relu" else F.gelu

        def sa(t: Tensor, layer: Any = layer) -> Tensor:
            return layer.self_attn(t, t, t, attn_mask=mask, key_padding_mask=tgt_pad)[0]

        def ma(t: Tensor, layer: Any = layer) -> Tensor:
            return layer.multihead_attn(t, mem, mem, attn_mask=mem_mask)[0]

        def ff(t: Tensor, layer: Any = layer, f: Any = f) -> Tensor:
            return layer.linear2(f(layer.linear1(t)))

        if norm_first:
            h = x + sa(layer.norm1(x))
            h = h + ma(layer.norm2(h))
            want = h + ff(layer.norm3(h))
        else:
            h = layer.norm1(x + sa(x))
            h = layer.norm2(h + ma(h))
            want = layer.norm3(h + ff(h))
        got = layer(x, mem, tgt_mask=mask, memory_mask=mem_mask, tgt_key_padding_mask=tgt_pad)
        _close(got, want.data)
    custom = nn.TransformerDecoderLayer(4, 2, 5, dropout=0.0, activation=nn.Tanh(), seed=1)
    assert "activation" in dict(custom.named_modules())
    decoder = nn.TransformerDecoder(custom, 2)
    y, m = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))  # unbatched, as arrays
    layers = decoder.layers
    _close(decoder(y, m, tgt_mask=mask), layers[1](layers[0](y, m, mask), m, mask).data)
    other = rng.standard_normal((3, 3))  # the hint stands for the causal mask, as PyTorch's
    _close(decoder(y, m, tgt_mask=other, tgt_is_causal=True), decoder(y, m, tgt_mask=mask).data)


def test_transformer_is_its_encoder_then_its_decoder() -> None:
    rng = np.random.default_rng(3)
    model = nn.Transformer(4, 2, 1, 2, 6, dropout=0.0, batch_first=True, seed=2)
    src, tgt = Tensor(rng.standard_normal((2, 5, 4))), Tensor(rng.standard_normal((2, 3, 4)))
    src_pad = Tensor(np.array([[False] * 4 + [True], [False] * 5]))
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    memory = model.encoder(src, src_key_padding_mask=src_pad)
    want = model.decoder(tgt, memory, tgt_mask=mask, memory_key_padding_mask=src_pad)
    got = model(
        src, tgt, tgt_mask=mask, src_key_padding_mask=src_pad, memory_key_padding_mask=src_pad
    )
    _close(got, want.data)
    assert np.array_equal(mask.data, generate_square_subsequent_mask(3).data)


# Sizes: d_model 3 (a layer norm over 2 features is flat: ±1 whatever its input), few
# positions; the parameters' own derivatives come from MultiheadAttention, Linear and LayerNorm
# (tested with them), so the checks here are of how the layers wire them together.


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_input_gradients_with_every_mask(norm_first: bool) -> None:
    rng = np.random.default_rng(8 + norm_first)
    layer = nn.TransformerDecoderLayer(3, 3, 2, 0.0, "gelu", norm_first=norm_first, seed=2)
    _perturbed(layer, 1)
    tgt = Tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)
    memory = Tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)
    masks = {
        "tgt_mask": generate_square_subsequent_mask(2),
        "memory_mask": Tensor(rng.standard_normal((6, 2, 2))),  # (N·nhead, T, S), float
        "tgt_key_padding_mask": Tensor(np.array([[False, True], [False, False]])),
        "memory_key_padding_mask": Tensor(np.array([[False, False], [False, True]])),
    }
    assert gradcheck(lambda a, b: layer(a, b, **masks), tgt, memory)


def test_decoder_layer_parameter_gradients() -> None:
    rng = np.random.default_rng(5)
    layer = nn.TransformerDecoderLayer(2, 2, 2, 0.0, "gelu", norm_first=True, seed=3)
    _perturbed(layer, 4)
    for attention in (layer.self_attn, layer.multihead_attn):
        attention.in_proj_weight.requires_grad = False  # the largest: MultiheadAttention's
    tgt, memory = rng.standard_normal((2, 1, 2)), rng.standard_normal((3, 1, 2))
    kw = {
        "tgt_mask": np.triu(np.ones((2, 2), dtype=bool), 1),
        "memory_mask": rng.standard_normal((2, 3)),
    }
    w = Tensor(rng.standard_normal((2, 1, 2)))
    assert gradcheck_module(layer, lambda m, a, b: (m(a, b, **kw) * w).sum(), tgt, memory)


def test_decoder_and_transformer_input_gradients() -> None:
    rng = np.random.default_rng(9)
    layer = nn.TransformerDecoderLayer(3, 1, 2, 0.0, "gelu", batch_first=True, seed=3)
    decoder = _perturbed(nn.TransformerDecoder(layer, 2, norm=nn.LayerNorm(3)), 2)
    tgt = Tensor(rng.standard_normal((1, 2, 3)), requires_grad=True)
    memory = Tensor(rng.standard_normal((1, 2, 3)), requires_grad=True)
    pad = {"memory_key_padding_mask": Tensor(np.array([[False, True]]))}
    assert gradcheck(lambda a, b: decoder(a, b, **pad), tgt, memory)
    model = nn.Transformer(3, 1, 1, 1, 2, 0.0, "gelu", norm_first=True, seed=4)
    _perturbed(model, 3)
    src, tgt = Tensor(rng.standard_normal((3, 3)), requires_grad=True), rng.standard_normal((2, 3))
    kw = {"src_mask": Tensor(rng.standard_normal((3, 3))), "tgt_is_causal": True}
    kw["tgt_mask"] = generate_square_subsequent_mask(2)
    assert gradcheck(lambda a: model(a, tgt, **kw), src)


def test_refusals_name_the_problem() -> None:
    with pytest.raises(ValueError, match="TransformerDecoderLayer: activation must be 'relu', "):
        nn.TransformerDecoderLayer(4, 2, activation="tanh")
    with pytest.raises(TypeError, match="Transformer: activation must be.*int 3"):
        nn.Transformer(4, 2, activation=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="TransformerDecoderLayer: dropout"):
        nn.TransformerDecoderLayer(4, 2, dropout=1.5)
    with pytest.raises(ValueError, match="embed_dim 4 must be divisible by num_heads 3"):
        nn.TransformerDecoderLayer(4, 3)
    with pytest.raises(ValueError, match="TransformerDecoder: num_layers must be >= 1, got 0"):
        nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2), 0)
    with pytest.raises(TypeError, match="TransformerDecoder: decoder_layer must be a Module"):
        nn.TransformerDecoder("layer", 2)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Transformer: custom_decoder must be a Module"):
        nn.Transformer(4, 2, custom_decoder=3)
    with pytest.raises(TypeError, match="Transformer: d_model must be an int, got float"):
        nn.Transformer(4.0, 2)  # type: ignore[arg-type]
    layer = nn.TransformerDecoderLayer(4, 2, 8, seed=0)
    with pytest.raises(ValueError, match="is_causal=True needs attn_mask"):
        layer(np.ones((3, 1, 4)), np.ones((2, 1, 4)), memory_is_causal=True)
    with pytest.raises(ValueError, match="query and key must have one batch size"):
        layer(np.ones((3, 1, 4)), np.ones((2, 2, 4)))
    with pytest.raises(ValueError, match=r"key_padding_mask must have shape \(1, 2\)"):
        layer(np.ones((3, 1, 4)), np.ones((2, 1, 4)), memory_key_padding_mask=np.zeros((1, 3)))
    model = nn.Transformer(4, 2, 1, 1, 8, batch_first=True, seed=0)
    with pytest.raises(ValueError, match=r"one batch size \(dimension 0\), got shapes \(2, 5, 4\)"):
        model(np.ones((2, 5, 4)), np.ones((3, 5, 4)))
    with pytest.raises(ValueError, match="both be batched .* or both unbatched"):
        model(np.ones((2, 5, 4)), np.ones((5, 4)))
    with pytest.raises(ValueError, match=r"must be d_model 4, got shapes \(5, 4\) and \(5, 3\)"):
        model(np.ones((5, 4)), np.ones((5, 3)))


def test_a_compiled_decoder_training_step_with_dropout_replays_eager_bit_for_bit() -> None:
    def make() -> tuple[Callable[..., Tensor], list[Tensor]]:
        tg.manual_seed(0)
        layer = nn.TransformerDecoderLayer(4, 2, 6, dropout=0.2, batch_first=True)
        decoder = nn.TransformerDecoder(layer, 2)
        head = nn.Linear(4, 2)
        params = list(decoder.parameters()) + list(head.parameters())
        opt = optim.Adam(params, lr=0.01)

        def step(x: Any, memory: Any, y: Any, mask: Any, pad: Any) -> Tensor:
            opt.zero_grad()
            out = decoder(x, memory, tgt_mask=mask, memory_key_padding_mask=pad)
            loss = F.cross_entropy(head(out[:, -1]), y)
            loss.backward()
            opt.step()
            return loss

        return step, params

    (eager, eager_params), (traced, compiled_params) = make(), make()
    compiled = tg.compile(traced)
    rng = np.random.default_rng(0)
    mask = generate_square_subsequent_mask(3)
    for i in range(3):
        x, memory = Tensor(rng.standard_normal((2, 3, 4))), Tensor(rng.standard_normal((2, 4, 4)))
        y = Tensor(rng.integers(0, 2, 2))
        pad = Tensor(rng.random((2, 4)) < 0.3)  # new masks each call: the replay follows them
        pad.data[:, 0] = False
        tg.manual_seed(10 + i)  # the same dropout masks for both
        loss = eager(x, memory, y, mask, pad).item()
        tg.manual_seed(10 + i)
        assert compiled(x, memory, y, mask, pad).item() == loss
    for p, q in zip(eager_params, compiled_params, strict=True):
        assert np.array_equal(p.data, q.data)


def test_nn_exports_the_layers() -> None:
    from tinygrad_lite import decoder_layers

    for name in decoder_layers.__all__:
        assert getattr(nn, name) is getattr(decoder_layers, name) and name in nn.__all__
