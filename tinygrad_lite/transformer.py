"""Transformer encoder layers as Modules, as PyTorch's: TransformerEncoderLayer, TransformerEncoder.

PyTorch's submodule names (`self_attn`, `linear1`, `norm1`, `layers.0`, ...) make a state dict
with PyTorch's keys, so weights load by name in either direction.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from . import functional as F
from .attn_layers import MultiheadAttention
from .channel_drop import check_probability
from .containers import ModuleList
from .layers import Dropout, Linear
from .module import Module
from .norm_layers import LayerNorm, check_size
from .rng import generator as make_generator
from .tensor import DTypeLike, Tensor

__all__ = ["TransformerEncoder", "TransformerEncoderLayer", "generate_square_subsequent_mask"]

ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {"relu": F.relu, "gelu": F.gelu}


def generate_square_subsequent_mask(size: int, dtype: DTypeLike = np.float64) -> Tensor:
    """The float causal mask of `size` steps: 0 on and below the diagonal, -∞ above it.

    What `is_causal=True` expects as `mask` or `src_mask` (PyTorch's
    `nn.Transformer.generate_square_subsequent_mask`).

    Args:
        size: the number of steps, >= 1.
        dtype: the mask's floating-point dtype.

    Returns:
        A (size, size) Tensor.

    Raises:
        TypeError, ValueError: a size that is not an int >= 1.

    Example:
        >>> generate_square_subsequent_mask(3).numpy()
        array([[  0., -inf, -inf],
               [  0.,   0., -inf],
               [  0.,   0.,   0.]])
    """
    n = check_size("generate_square_subsequent_mask", "size", size)
    return Tensor(np.where(np.tri(n, dtype=bool), 0.0, -np.inf).astype(dtype))


def check_activation(owner: str, activation: Any) -> Callable[[Tensor], Tensor]:
    """`activation` as a function: "relu", "gelu" or a callable, or an error naming `owner`.

    Raises:
        ValueError: an unknown name.
        TypeError: neither a name nor callable.
    """
    if isinstance(activation, str):
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"{owner}: activation must be 'relu', 'gelu' or a callable, got {activation!r}"
            )
        return ACTIVATIONS[activation]
    if not callable(activation):
        raise TypeError(
            f"{owner}: activation must be 'relu', 'gelu' or a callable, got "
            f"{type(activation).__name__} {activation!r}"
        )
    return activation


def attention_block(
    attn: Module, dropout: Module, x: Tensor, memory: Tensor, mask: Any, padding: Any, causal: bool
) -> Tensor:
    """dropout(attn(x, memory, memory)), without the weights: a transformer layer's attention.

    `memory` is `x` itself for self-attention; mask, padding and causal are the attention's
    `attn_mask`, `key_padding_mask` and `is_causal`.
    """
    out, _ = attn(
        x,
        memory,
        memory,
        attn_mask=mask,
        key_padding_mask=padding,
        need_weights=False,
        is_causal=causal,
    )
    return dropout(out)


def feed_forward_block(layer: Any, x: Tensor, dropout: Module) -> Tensor:
    """dropout(linear2(dropout(activation(linear1(x))))), of `layer`'s submodules of those names."""
    hidden = layer.dropout(layer.activation(layer.linear1(x)))
    return dropout(layer.linear2(hidden))


def clone_layers(
    owner: str, name: str, layer: Any, num_layers: Any, norm: Any
) -> tuple[int, ModuleList]:
    """(num_layers, a ModuleList of num_layers deep copies of `layer`), for a stack of layers.

    Raises:
        TypeError: a layer or norm that is not a Module (norm may be None), or a num_layers
            that is not an int.
        ValueError: num_layers < 1.
    """
    if not isinstance(layer, Module):
        raise TypeError(f"{owner}: {name} must be a Module, got {type(layer).__name__}")
    if norm is not None and not isinstance(norm, Module):
        raise TypeError(f"{owner}: norm must be a Module or None, got {type(norm).__name__}")
    count = check_size(owner, "num_layers", num_layers)
    return count, ModuleList([copy.deepcopy(layer) for _ in range(count)])


class TransformerEncoderLayer(Module):
    """Self-attention and a feed-forward block, each with a residual and a layer norm.

    As PyTorch's `nn.TransformerEncoderLayer`: with SA(x) = dropout1(self_attn(x, x, x)) and
    FF(x) = dropout2(linear2(dropout(activation(linear1(x))))),

        post-norm (default): x = norm1(x + SA(x));  x = norm2(x + FF(x))
        pre-norm (norm_first): x = x + SA(norm1(x));  x = x + FF(norm2(x))

    The submodules carry PyTorch's names and initialisation (see `MultiheadAttention`,
    `Linear`, `LayerNorm`).

    Args:
        d_model: E, the features of each position.
        nhead: the attention's heads; d_model must be divisible by it.
        dim_feedforward: the feed-forward block's hidden features.
        dropout: the probability of every dropout (the attention's weights included).
        activation: "relu", "gelu" (exact) or a callable (a Module is registered as the
            submodule `activation`, as in PyTorch).
        layer_norm_eps: the layer norms' eps.
        batch_first: inputs and output are (N, L, E) instead of (L, N, E).
        norm_first: normalise before each block instead of after its residual.
        bias: whether the linear layers, the attention and the layer norms have biases.
        seed: an int or a `numpy.random.Generator` for the initial weights (None: the
            library's default generator).
        dtype: a floating-point dtype for the weights (float64 by default).

    Raises:
        ValueError: as `MultiheadAttention`, or an unknown activation name.
        TypeError: an activation that is neither a name nor callable.

    Example:
        >>> import numpy as np
        >>> layer = TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0, seed=0)
        >>> layer(Tensor(np.ones((5, 3, 4)))).shape
        (5, 3, 4)
        >>> list(layer.state_dict())[:4]
        ['self_attn.in_proj_weight', 'self_attn.in_proj_bias', 'self_attn.out_proj.weight',
         'self_attn.out_proj.bias']
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
        owner = "TransformerEncoderLayer"
        p = check_probability(owner, "dropout", dropout)
        size = check_size(owner, "dim_feedforward", dim_feedforward)
        act = check_activation(owner, activation)
        rng = make_generator(seed)
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=p, bias=bias, batch_first=batch_first, seed=rng, dtype=dtype
        )
        self.linear1 = Linear(d_model, size, bias=bias, seed=rng, dtype=dtype)
        self.dropout = Dropout(p)
        self.linear2 = Linear(size, d_model, bias=bias, seed=rng, dtype=dtype)
        self.norm_first = bool(norm_first)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(p)
        self.dropout2 = Dropout(p)
        self.batch_first = bool(batch_first)
        self.activation = act

    def _sa_block(self, x: Tensor, mask: Any, padding: Any, is_causal: bool) -> Tensor:
        return attention_block(self.self_attn, self.dropout1, x, x, mask, padding, is_causal)

    def _ff_block(self, x: Tensor) -> Tensor:
        return feed_forward_block(self, x, self.dropout2)

    def forward(
        self,
        src: Any,
        src_mask: Any = None,
        src_key_padding_mask: Any = None,
        is_causal: bool = False,
    ) -> Tensor:
        """Encode `src`: (L, N, E), (N, L, E) with `batch_first`, or (L, E) unbatched.

        Args:
            src: the sequences, a float Tensor (or array).
            src_mask: the attention's `attn_mask`, (L, L) or (N·nhead, L, L): bool (True:
                masked out) or float (added to the scores).
            src_key_padding_mask: the attention's `key_padding_mask`, (N, L) or (L,): bool
                (True: a padded position) or float.
            is_causal: a hint that `src_mask` is the causal mask, as PyTorch's (see
                `MultiheadAttention.forward`).

        Returns:
            The encoded positions, of the shape of `src`.
        """
        x = src if isinstance(src, Tensor) else Tensor(src)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x))


class TransformerEncoder(Module):
    """A stack of `num_layers` copies of an encoder layer, then an optional norm.

    As PyTorch's `nn.TransformerEncoder`: the layers are deep copies of `encoder_layer` (each
    with its own weights, equal at first), kept in the `ModuleList` `layers`, so that the
    state dict's keys are `layers.0.self_attn.in_proj_weight`, ..., `norm.weight`.

    Unlike PyTorch's inference fast path (nested tensors, in evaluation without gradients),
    padded positions hold the values computed for them, as PyTorch's training path does.

    Args:
        encoder_layer: the layer to copy (a `TransformerEncoderLayer` or any Module called
            as `layer(x, src_mask=..., src_key_padding_mask=..., is_causal=...)`).
        num_layers: how many copies, >= 1.
        norm: a Module applied to the last layer's output (a `LayerNorm`), or None.
        enable_nested_tensor: accepted for PyTorch's signature; PyTorch's nested-tensor fast
            path only changes speed (and is not taken here), so it has no effect.
        mask_check: accepted for PyTorch's signature (the masks are always checked here).

    Raises:
        TypeError: an encoder_layer or norm that is not a Module, or a num_layers that is not
            an int.
        ValueError: num_layers < 1.

    Example:
        >>> import numpy as np
        >>> layer = TransformerEncoderLayer(4, 2, dim_feedforward=8, seed=0)
        >>> encoder = TransformerEncoder(layer, num_layers=2, norm=LayerNorm(4))
        >>> encoder(Tensor(np.ones((5, 3, 4)))).shape
        (5, 3, 4)
        >>> [k for k in encoder.state_dict() if k.startswith("layers.1.norm")]
        ['layers.1.norm1.weight', 'layers.1.norm1.bias', 'layers.1.norm2.weight',
         'layers.1.norm2.bias']
    """

    def __init__(
        self,
        encoder_layer: Module,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ) -> None:
        super().__init__()
        self.enable_nested_tensor, self.mask_check = bool(enable_nested_tensor), bool(mask_check)
        owner, name = "TransformerEncoder", "encoder_layer"
        self.num_layers, self.layers = clone_layers(owner, name, encoder_layer, num_layers, norm)
        self.norm = norm

    def forward(
        self,
        src: Any,
        mask: Any = None,
        src_key_padding_mask: Any = None,
        is_causal: bool | None = None,
    ) -> Tensor:
        """Run `src` through every layer, with the same masks, then the norm.

        Args:
            src: the sequences, as `TransformerEncoderLayer.forward` takes them.
            mask: each layer's `src_mask`.
            src_key_padding_mask: each layer's `src_key_padding_mask`.
            is_causal: True says that `mask` is the causal mask (see
                `TransformerEncoderLayer.forward`); None (PyTorch's default, which then
                compares the mask with the causal one) is taken as False here: the mask itself
                is applied, which computes the same.

        Returns:
            The encoded positions, of the shape of `src`.
        """
        out = src if isinstance(src, Tensor) else Tensor(src)
        for layer in self.layers:
            out = layer(
                out,
                src_mask=mask,
                src_key_padding_mask=src_key_padding_mask,
                is_causal=bool(is_causal),
            )
        return out if self.norm is None else self.norm(out)
