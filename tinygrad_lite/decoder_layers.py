"""Transformer decoder layers and the encoder-decoder Transformer as Modules, as PyTorch's.

PyTorch's submodule names (`self_attn`, `multihead_attn`, `norm3`, `encoder.layers.0`,
`decoder.norm`, ...) make a state dict with PyTorch's keys, so weights load by name in either
direction. The encoder half is `transformer`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import init
from .attn_layers import MultiheadAttention
from .channel_drop import check_probability
from .layers import Dropout, Linear
from .module import Module
from .norm_layers import LayerNorm, check_size
from .rng import generator as make_generator
from .tensor import DTypeLike, Tensor
from .transformer import (
    TransformerEncoder,
    TransformerEncoderLayer,
    attention_block,
    check_activation,
    clone_layers,
    feed_forward_block,
    generate_square_subsequent_mask,
)

__all__ = ["Transformer", "TransformerDecoder", "TransformerDecoderLayer"]


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


class TransformerDecoderLayer(Module):
    """Self-attention, attention to the memory and a feed-forward block, each with a residual.

    As PyTorch's `nn.TransformerDecoderLayer`: with SA(x) = dropout1(self_attn(x, x, x)),
    MA(x) = dropout2(multihead_attn(x, memory, memory)) and
    FF(x) = dropout3(linear2(dropout(activation(linear1(x))))),

        post-norm (default): x = norm1(x + SA(x));  x = norm2(x + MA(x));  x = norm3(x + FF(x))
        pre-norm (norm_first): x = x + SA(norm1(x));  x = x + MA(norm2(x));  x = x + FF(norm3(x))

    The submodules carry PyTorch's names and initialisation (see `MultiheadAttention`,
    `Linear`, `LayerNorm`), so that a PyTorch state dict loads by name.

    Args:
        d_model: E, the features of each position (of the target and of the memory).
        nhead: the attentions' heads; d_model must be divisible by it.
        dim_feedforward: the feed-forward block's hidden features.
        dropout: the probability of every dropout (the attentions' weights included).
        activation: "relu", "gelu" (exact) or a callable (a Module is registered as the
            submodule `activation`, as in PyTorch).
        layer_norm_eps: the layer norms' eps.
        batch_first: inputs and output are (N, T, E) instead of (T, N, E).
        norm_first: normalise before each block instead of after its residual.
        bias: whether the linear layers, the attentions and the layer norms have biases.
        seed: an int or a `numpy.random.Generator` for the initial weights (None: the
            library's default generator).
        dtype: a floating-point dtype for the weights (float64 by default).

    Raises:
        ValueError: as `MultiheadAttention`, or an unknown activation name.
        TypeError: an activation that is neither a name nor callable.

    Example:
        >>> import numpy as np
        >>> layer = TransformerDecoderLayer(4, 2, dim_feedforward=8, dropout=0.0, seed=0)
        >>> tgt, memory = Tensor(np.ones((5, 3, 4))), Tensor(np.ones((6, 3, 4)))
        >>> layer(tgt, memory).shape
        (5, 3, 4)
        >>> [k for k in layer.state_dict() if not k.startswith(("self_attn", "linear"))]
        ['multihead_attn.in_proj_weight', 'multihead_attn.in_proj_bias',
         'multihead_attn.out_proj.weight', 'multihead_attn.out_proj.bias', 'norm1.weight',
         'norm1.bias', 'norm2.weight', 'norm2.bias', 'norm3.weight', 'norm3.bias']
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        *,
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        owner = "TransformerDecoderLayer"
        p = check_probability(owner, "dropout", dropout)
        size = check_size(owner, "dim_feedforward", dim_feedforward)
        act = check_activation(owner, activation)
        rng = make_generator(seed)

        def attention() -> MultiheadAttention:
            return MultiheadAttention(
                d_model, nhead, dropout=p, bias=bias, batch_first=batch_first, seed=rng, dtype=dtype
            )

        def norm() -> LayerNorm:
            return LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)

        # assigned in PyTorch's order, which is the state dict's
        self.self_attn = attention()
        self.multihead_attn = attention()
        self.linear1 = Linear(d_model, size, bias=bias, seed=rng, dtype=dtype)
        self.dropout = Dropout(p)
        self.linear2 = Linear(size, d_model, bias=bias, seed=rng, dtype=dtype)
        self.norm_first = bool(norm_first)
        self.norm1, self.norm2, self.norm3 = norm(), norm(), norm()
        self.dropout1, self.dropout2, self.dropout3 = Dropout(p), Dropout(p), Dropout(p)
        self.batch_first = bool(batch_first)
        self.activation = act

    def _sa_block(self, x: Tensor, mask: Any, padding: Any, is_causal: bool) -> Tensor:
        return attention_block(self.self_attn, self.dropout1, x, x, mask, padding, is_causal)

    def _mha_block(self, x: Tensor, mem: Tensor, mask: Any, padding: Any, causal: bool) -> Tensor:
        return attention_block(self.multihead_attn, self.dropout2, x, mem, mask, padding, causal)

    def _ff_block(self, x: Tensor) -> Tensor:
        return feed_forward_block(self, x, self.dropout3)

    def forward(
        self,
        tgt: Any,
        memory: Any,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """Decode `tgt` (T positions) with attention to `memory` (S positions).

        Shapes, with N sequences: tgt (T, N, E) and memory (S, N, E); (N, T, E) and (N, S, E)
        with `batch_first`; (T, E) and (S, E) unbatched. Masks, as `MultiheadAttention`'s,
        are bool (True: masked out) or float (added to the scores).

        Args:
            tgt: the target sequences, a float Tensor (or array).
            memory: the sequences attended to (the encoder's output).
            tgt_mask: the self-attention's `attn_mask`, (T, T) or (N·nhead, T, T).
            memory_mask: the memory attention's `attn_mask`, (T, S) or (N·nhead, T, S).
            tgt_key_padding_mask: the self-attention's `key_padding_mask`, (N, T) or (T,).
            memory_key_padding_mask: the memory attention's `key_padding_mask`, (N, S) or
                (S,).
            tgt_is_causal: a hint that `tgt_mask` is the causal mask, as PyTorch's (see
                `MultiheadAttention.forward`: without tgt_key_padding_mask the causal mask is
                applied in its place).
            memory_is_causal: the same hint for `memory_mask`.

        Returns:
            The decoded positions, of the shape of `tgt`.

        Raises:
            ValueError: shapes that do not fit, or a hint without its mask (`MultiheadAttention`).
        """
        x, mem = _as_tensor(tgt), _as_tensor(memory)
        self_args = (tgt_mask, tgt_key_padding_mask, bool(tgt_is_causal))
        memory_args = (memory_mask, memory_key_padding_mask, bool(memory_is_causal))
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), *self_args)
            x = x + self._mha_block(self.norm2(x), mem, *memory_args)
            return x + self._ff_block(self.norm3(x))
        x = self.norm1(x + self._sa_block(x, *self_args))
        x = self.norm2(x + self._mha_block(x, mem, *memory_args))
        return self.norm3(x + self._ff_block(x))


class TransformerDecoder(Module):
    """A stack of `num_layers` copies of a decoder layer, then an optional norm.

    As PyTorch's `nn.TransformerDecoder`: the layers are deep copies of `decoder_layer` (each
    with its own weights, equal at first), kept in the `ModuleList` `layers`, so that the
    state dict's keys are `layers.0.self_attn.in_proj_weight`, ..., `norm.weight`. Every layer
    attends to the same memory, with the same masks.

    Args:
        decoder_layer: the layer to copy (a `TransformerDecoderLayer` or any Module called as
            `TransformerDecoderLayer.forward` is, all but tgt and memory by keyword).
        num_layers: how many copies, >= 1.
        norm: a Module applied to the last layer's output (a `LayerNorm`), or None.

    Raises:
        TypeError: a decoder_layer or norm that is not a Module, or a num_layers that is not
            an int.
        ValueError: num_layers < 1.

    Example:
        >>> import numpy as np
        >>> layer = TransformerDecoderLayer(4, 2, dim_feedforward=8, seed=0)
        >>> decoder = TransformerDecoder(layer, num_layers=2, norm=LayerNorm(4))
        >>> decoder(Tensor(np.ones((5, 3, 4))), Tensor(np.ones((6, 3, 4)))).shape
        (5, 3, 4)
        >>> [k for k in decoder.state_dict() if k.startswith("layers.1.norm")][-2:]
        ['layers.1.norm3.weight', 'layers.1.norm3.bias']
    """

    def __init__(self, decoder_layer: Module, num_layers: int, norm: Module | None = None) -> None:
        super().__init__()
        owner, name = "TransformerDecoder", "decoder_layer"
        self.num_layers, self.layers = clone_layers(owner, name, decoder_layer, num_layers, norm)
        self.norm = norm

    def forward(
        self,
        tgt: Any,
        memory: Any,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """Run `tgt` through every layer, each attending to `memory`, then the norm.

        Args:
            tgt: the target sequences, as `TransformerDecoderLayer.forward` takes them.
            memory: the sequences attended to.
            tgt_mask: each layer's `tgt_mask`.
            memory_mask: each layer's `memory_mask`.
            tgt_key_padding_mask: each layer's `tgt_key_padding_mask`.
            memory_key_padding_mask: each layer's `memory_key_padding_mask`.
            tgt_is_causal: True says that `tgt_mask` is the causal mask; None (PyTorch's
                default, which then compares the mask with the causal one) is taken as False:
                the mask itself is applied, which computes the same.
            memory_is_causal: each layer's `memory_is_causal`.

        Returns:
            The decoded positions, of the shape of `tgt`.
        """
        out, mem = _as_tensor(tgt), _as_tensor(memory)
        for layer in self.layers:
            out = layer(
                out,
                mem,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=bool(tgt_is_causal),
                memory_is_causal=bool(memory_is_causal),
            )
        return out if self.norm is None else self.norm(out)


class Transformer(Module):
    """An encoder-decoder transformer, as PyTorch's `nn.Transformer`: `model(src, tgt)`.

    The encoder (a `TransformerEncoder` of `num_encoder_layers` `TransformerEncoderLayer`s
    and a final `LayerNorm`) reads `src` into a memory; the decoder (a `TransformerDecoder` of
    `num_decoder_layers` `TransformerDecoderLayer`s and a final `LayerNorm`) decodes `tgt`
    attending to it. The submodules are `encoder` and `decoder`, so that the state dict's keys
    are PyTorch's (`encoder.layers.0.self_attn.in_proj_weight`, ..., `decoder.norm.bias`).

    As in PyTorch, every parameter of more than one dimension (those of a custom encoder or
    decoder included) is then drawn again, Glorot-uniform (`init.xavier_uniform_`).

    Unlike PyTorch's inference fast path (in evaluation without gradients, with batch_first
    and src_key_padding_mask), the memory's padded positions hold the values the encoder
    computes for them, as in PyTorch's training path, not zeros: they differ when the decoder
    sees them (without a memory_key_padding_mask that hides them).

    Args:
        d_model: E, the features of each position of src and tgt.
        nhead: the attentions' heads; d_model must be divisible by it.
        num_encoder_layers: the encoder's layers, >= 1 (unused with custom_encoder).
        num_decoder_layers: the decoder's layers, >= 1 (unused with custom_decoder).
        dim_feedforward: the feed-forward blocks' hidden features.
        dropout: the probability of every dropout.
        activation: "relu", "gelu" (exact) or a callable, of every layer.
        custom_encoder: a Module (or callable) to use as the encoder, called as
            `encoder(src, mask=..., src_key_padding_mask=..., is_causal=...)`, or None.
        custom_decoder: a Module (or callable) to use as the decoder, called as
            `TransformerDecoder.forward` is, or None.
        layer_norm_eps: the layer norms' eps.
        batch_first: inputs and output are (N, L, E) instead of (L, N, E).
        norm_first: normalise before each block instead of after its residual.
        bias: whether the linear layers, the attentions and the layer norms have biases.
        seed: an int or a `numpy.random.Generator` for the initial weights (None: the
            library's default generator).
        dtype: a floating-point dtype for the weights (float64 by default).

    Raises:
        ValueError: as the layers, or an unknown activation name.
        TypeError: a size that is not an int, an activation that is neither a name nor
            callable, or a custom encoder or decoder that is not callable.

    Example:
        >>> import numpy as np
        >>> model = Transformer(4, 2, 1, 1, dim_feedforward=8, batch_first=True, seed=0)
        >>> src, tgt = Tensor(np.ones((3, 6, 4))), Tensor(np.ones((3, 5, 4)))
        >>> mask = Transformer.generate_square_subsequent_mask(5)
        >>> model(src, tgt, tgt_mask=mask, tgt_is_causal=True).shape
        (3, 5, 4)
        >>> [k for k in model.state_dict() if k.endswith("norm.weight")]
        ['encoder.norm.weight', 'decoder.norm.weight']
    """

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = "relu",
        custom_encoder: Any = None,
        custom_decoder: Any = None,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        *,
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        owner = "Transformer"
        d = check_size(owner, "d_model", d_model)
        check_activation(owner, activation)
        customs = {"custom_encoder": custom_encoder, "custom_decoder": custom_decoder}
        for name, custom in customs.items():
            if custom is not None and not callable(custom):
                raise TypeError(
                    f"{owner}: {name} must be a Module (or callable) or None, got "
                    f"{type(custom).__name__}"
                )
        rng = make_generator(seed)
        layer_kw: dict[str, Any] = {
            "dim_feedforward": dim_feedforward,
            "dropout": dropout,
            "activation": activation,
            "layer_norm_eps": layer_norm_eps,
            "batch_first": batch_first,
            "norm_first": norm_first,
            "bias": bias,
            "seed": rng,
            "dtype": dtype,
        }

        def norm() -> LayerNorm:
            return LayerNorm(d, eps=layer_norm_eps, bias=bias, dtype=dtype)

        if custom_encoder is None:
            encoder_layer = TransformerEncoderLayer(d, nhead, **layer_kw)
            custom_encoder = TransformerEncoder(encoder_layer, num_encoder_layers, norm())
        self.encoder = custom_encoder
        if custom_decoder is None:
            decoder_layer = TransformerDecoderLayer(d, nhead, **layer_kw)
            custom_decoder = TransformerDecoder(decoder_layer, num_decoder_layers, norm())
        self.decoder = custom_decoder
        self._reset_parameters(rng)
        self.d_model = d
        self.nhead = nhead
        self.batch_first = bool(batch_first)

    def _reset_parameters(self, seed: int | np.random.Generator | None = None) -> None:
        """Draw every parameter of more than one dimension again, Glorot-uniform (PyTorch's)."""
        rng = make_generator(seed)
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p, generator=rng)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, dtype: DTypeLike = np.float64) -> Tensor:
        """The (sz, sz) float causal mask: 0 on and below the diagonal, -∞ above it.

        As `transformer.generate_square_subsequent_mask(sz, dtype)`, which it calls.
        """
        return generate_square_subsequent_mask(sz, dtype)

    def _check(self, src: Tensor, tgt: Tensor) -> None:
        owner = "Transformer"
        if (src.ndim == 3) != (tgt.ndim == 3):
            raise ValueError(
                f"{owner}: src and tgt must both be batched (3-D) or both unbatched, got shapes "
                f"{src.shape} and {tgt.shape}"
            )
        batch = 0 if self.batch_first else 1
        if src.ndim == 3 and src.shape[batch] != tgt.shape[batch]:
            raise ValueError(
                f"{owner}: src and tgt must have one batch size (dimension {batch}), got shapes "
                f"{src.shape} and {tgt.shape}"
            )
        if src.shape[-1:] != (self.d_model,) or tgt.shape[-1:] != (self.d_model,):
            raise ValueError(
                f"{owner}: the last dimension of src and tgt must be d_model {self.d_model}, "
                f"got shapes {src.shape} and {tgt.shape}"
            )

    def forward(
        self,
        src: Any,
        tgt: Any,
        src_mask: Any = None,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        src_key_padding_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        src_is_causal: bool | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """Encode `src` (S positions) into a memory, and decode `tgt` (T positions) with it.

        Shapes, with N sequences: src (S, N, E) and tgt (T, N, E); (N, S, E) and (N, T, E)
        with `batch_first`; (S, E) and (T, E) unbatched. Masks as `MultiheadAttention`'s.

        Args:
            src: the source sequences, a float Tensor (or array).
            tgt: the target sequences.
            src_mask: the encoder's `mask`, (S, S) or (N·nhead, S, S).
            tgt_mask: the decoder's `tgt_mask`, (T, T) or (N·nhead, T, T).
            memory_mask: the decoder's `memory_mask`, (T, S) or (N·nhead, T, S).
            src_key_padding_mask: the encoder's `src_key_padding_mask`, (N, S) or (S,).
            tgt_key_padding_mask: the decoder's `tgt_key_padding_mask`, (N, T) or (T,).
            memory_key_padding_mask: the decoder's `memory_key_padding_mask`, (N, S) or (S,).
            src_is_causal: the encoder's `is_causal` hint (None: as False, see
                `TransformerEncoder.forward`).
            tgt_is_causal: the decoder's `tgt_is_causal` hint (None: as False).
            memory_is_causal: the decoder's `memory_is_causal` hint.

        Returns:
            The decoded positions, of the shape of `tgt`.

        Raises:
            ValueError: src and tgt not both batched or both unbatched, of different batch
                sizes, or whose last dimension is not d_model; or as the layers.
        """
        s, t = _as_tensor(src), _as_tensor(tgt)
        self._check(s, t)
        memory = self.encoder(
            s, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal
        )
        return self.decoder(
            t,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )
