"""Multi-head attention as a Module, as PyTorch's `nn.MultiheadAttention` (in `nn`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import functional as F
from . import init
from .attention import attend, causal_mask
from .channel_drop import check_probability
from .layers import Linear
from .module import Module, Parameter
from .norm_layers import check_size
from .rng import generator as make_generator
from .tensor import DTypeLike, Tensor

__all__ = ["MultiheadAttention"]

OWNER = "MultiheadAttention"


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _projected(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    y = x @ w.T
    return y if b is None else y + b


def _mask(name: str, m: Any, dtype: np.dtype[Any]) -> Tensor:
    """A mask as a Tensor: bool, or float of the inputs' dtype (an array or list is cast)."""
    t = m if isinstance(m, Tensor) else Tensor(np.asarray(m))
    if not isinstance(m, Tensor) and t.dtype.kind == "f":
        t = Tensor(t.data.astype(dtype))
    if t.dtype != np.bool_ and t.dtype != dtype:
        raise TypeError(
            f"{OWNER}: {name} must be bool or of the inputs' dtype {dtype}, got {t.dtype}"
        )
    return t


def _padded(t: Tensor | None, fill: Any) -> Tensor | None:
    """`t` with one more column (last dimension) of `fill`, for an added key."""
    if t is None:
        return None
    column = Tensor(np.full((*t.shape[:-1], 1), fill, dtype=t.dtype))
    return F.cat([t, column], dim=-1)


class NonDynamicallyQuantizableLinear(Linear):
    """`Linear` under the name PyTorch gives `MultiheadAttention.out_proj` (shown in reprs)."""


class MultiheadAttention(Module):
    r"""Multi-head attention, as PyTorch's `nn.MultiheadAttention`: `mha(query, key, value)`.

    Each of the H heads attends with its own slice of the projections: with
    Qᵢ = query·W_qᵢᵀ + b_qᵢ, Kᵢ = key·W_kᵢᵀ + b_kᵢ, Vᵢ = value·W_vᵢᵀ + b_vᵢ (E/H features each),
    headᵢ = softmax(QᵢKᵢᵀ/√(E/H) + M)·Vᵢ, and the output is concat(head₁, ..., head_H)·W_oᵀ + b_o
    (`out_proj`). See `attention.attend`.

    The parameters are PyTorch's: `in_proj_weight` (3E, E) holds W_q, W_k, W_v stacked, or,
    when kdim or vdim differ from E, `q_proj_weight` (E, E), `k_proj_weight` (E, kdim) and
    `v_proj_weight` (E, vdim); `in_proj_bias` (3E,); `out_proj` a `Linear(E, E)`;
    with `add_bias_kv`, `bias_k` and `bias_v` (1, 1, E). They are initialised as PyTorch's:
    Glorot-uniform projections, zero biases, `out_proj.weight` as a Linear's and `bias_k`,
    `bias_v` Glorot-normal. So a PyTorch state dict loads by name.

    Args:
        embed_dim: E, the queries' features and the output's.
        num_heads: H; E must be divisible by it.
        dropout: the probability of dropping each attention weight while training.
        bias: whether the projections have biases.
        add_bias_kv: learn one more key and value (`bias_k`, `bias_v`), appended to the
            keys and values of every sequence.
        add_zero_attn: append a key and a value of zeros (after the projections).
        kdim: the keys' features (None: E).
        vdim: the values' features (None: E).
        batch_first: inputs and output are (N, L, E) instead of (L, N, E).
        seed: an int or a `numpy.random.Generator` for the initial weights (None: the
            library's default generator).
        dtype: a floating-point dtype for the weights (float64 by default).

    Raises:
        ValueError: a size < 1, E not divisible by H, dropout outside [0, 1], or a dtype that
            is not floating point.
        TypeError: a size that is not an int.

    Example:
        >>> import numpy as np
        >>> mha = MultiheadAttention(4, 2, batch_first=True, seed=0)
        >>> x = Tensor(np.ones((3, 5, 4)))
        >>> out, weights = mha(x, x, x)
        >>> out.shape, weights.shape
        ((3, 5, 4), (3, 5, 5))
        >>> [name for name, _ in mha.named_parameters()]
        ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        *,
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        e = self.embed_dim = check_size(OWNER, "embed_dim", embed_dim)
        self.num_heads = check_size(OWNER, "num_heads", num_heads)
        if e % self.num_heads:
            raise ValueError(
                f"{OWNER}: embed_dim {e} must be divisible by num_heads {self.num_heads} "
                "(each head takes embed_dim / num_heads features)"
            )
        self.head_dim = e // self.num_heads
        self.kdim = e if kdim is None else check_size(OWNER, "kdim", kdim)
        self.vdim = e if vdim is None else check_size(OWNER, "vdim", vdim)
        self._qkv_same_embed_dim = self.kdim == e and self.vdim == e
        self.dropout = check_probability(OWNER, "dropout", dropout)
        self.batch_first = bool(batch_first)
        self.add_zero_attn = bool(add_zero_attn)
        dt = np.dtype(dtype)
        if dt.kind != "f":
            raise ValueError(f"{OWNER}: dtype must be a floating-point dtype, got {dt}")
        rng = make_generator(seed)

        def empty(shape: tuple[int, ...]) -> Parameter:
            return Parameter(np.empty(shape, dt))

        self.in_proj_weight: Parameter | None = None
        self.q_proj_weight: Parameter | None = None
        self.k_proj_weight: Parameter | None = None
        self.v_proj_weight: Parameter | None = None
        if self._qkv_same_embed_dim:
            self.in_proj_weight = empty((3 * e, e))
        else:
            self.q_proj_weight = empty((e, e))
            self.k_proj_weight = empty((e, self.kdim))
            self.v_proj_weight = empty((e, self.vdim))
        self.in_proj_bias: Parameter | None = empty((3 * e,)) if bias else None
        self.bias_k: Parameter | None = None
        self.bias_v: Parameter | None = None
        if add_bias_kv:
            self.bias_k, self.bias_v = empty((1, 1, e)), empty((1, 1, e))
        # The projections are drawn before out_proj is made, which draws its weight next.
        self._reset_projections(rng)
        self.out_proj = NonDynamicallyQuantizableLinear(e, e, bias=bias, seed=rng, dtype=dt)
        if self.out_proj.bias is not None:
            init.zeros_(self.out_proj.bias)

    def _reset_parameters(self, seed: int | np.random.Generator | None = None) -> None:
        """Draw the projections again and zero the biases, as PyTorch's `_reset_parameters`.

        Glorot-uniform `in_proj_weight` (or q, k, v), Glorot-normal `bias_k` and `bias_v`,
        `in_proj_bias` and `out_proj.bias` 0, written into the same Parameters. As in
        PyTorch, `out_proj.weight` is left as it is (`out_proj`, a Linear, has its own
        `reset_parameters`). `seed` is an int or a Generator (None: the library's default
        generator).
        """
        self._reset_projections(make_generator(seed))
        if self.out_proj.bias is not None:
            init.zeros_(self.out_proj.bias)

    def _reset_projections(self, rng: np.random.Generator) -> None:
        for w in (self.in_proj_weight, self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
            if w is not None:
                init.xavier_uniform_(w, generator=rng)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
        for b in (self.bias_k, self.bias_v):
            if b is not None:
                init.xavier_normal_(b, generator=rng)

    # ------------------------------------------------------------------ checks

    def _check(self, q: Tensor, k: Tensor, v: Tensor, kpm: Any, attn_mask: Any) -> bool:
        """Check the inputs' shapes (PyTorch's rules); return whether they are batched."""
        if q.ndim not in (2, 3) or k.ndim != q.ndim or v.ndim != q.ndim:
            raise ValueError(
                f"{OWNER}: query, key and value must all be 3-D ((L, N, E), or (N, L, E) with "
                f"batch_first) or all 2-D (unbatched (L, E)); got shapes {q.shape}, {k.shape} "
                f"and {v.shape}"
            )
        for name, t, size in (("query", q, self.embed_dim), ("key", k, self.kdim)):
            if t.shape[-1] != size:
                raise ValueError(
                    f"{OWNER}: the {name}'s last dimension must be {size}, got shape {t.shape}"
                )
        if v.shape[-1] != self.vdim:
            raise ValueError(
                f"{OWNER}: the value's last dimension must be {self.vdim}, got shape {v.shape}"
            )
        batched = q.ndim == 3
        seq = 1 if batched and self.batch_first else 0  # the sequences' dimension
        if k.shape[:-1] != v.shape[:-1]:
            raise ValueError(
                f"{OWNER}: key and value must have one sequence length and batch size, got "
                f"shapes {k.shape} and {v.shape}"
            )
        n = q.shape[1 - seq] if batched else 1
        if batched and k.shape[1 - seq] != n:
            raise ValueError(
                f"{OWNER}: query and key must have one batch size, got shapes {q.shape} and "
                f"{k.shape}"
            )
        length, source = q.shape[seq], k.shape[seq]
        if kpm is not None:
            want, names = ((n, source), "(N, S)") if batched else ((source,), "(S,)")
            shape = kpm.shape if isinstance(kpm, Tensor) else np.shape(kpm)
            if shape != want:
                raise ValueError(
                    f"{OWNER}: key_padding_mask must have shape {want} {names}, got {shape}"
                )
        if attn_mask is not None:
            shape = attn_mask.shape if isinstance(attn_mask, Tensor) else np.shape(attn_mask)
            heads = self.num_heads * n
            if shape not in ((length, source), (heads, length, source)):
                per = "N·num_heads" if batched else "num_heads"
                raise ValueError(
                    f"{OWNER}: attn_mask must have shape {(length, source)} (L, S) or "
                    f"{(heads, length, source)} ({per}, L, S), got {shape}"
                )
        return batched

    # ------------------------------------------------------------------ forward

    def _weights(self) -> Sequence[Tensor]:
        """W_q, W_k, W_v: the blocks of in_proj_weight, or the three separate weights."""
        if self.in_proj_weight is not None:
            return self.in_proj_weight.chunk(3, 0)
        separate = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        return [w for w in separate if w is not None]

    def _masks(
        self, kpm: Any, attn_mask: Any, batch: int, dtype: np.dtype[Any]
    ) -> tuple[Tensor | None, Tensor | None]:
        """(allowed, bias) for the scores (N, H, L, S) from PyTorch's masks (True: masked out)."""
        allowed: Tensor | None = None
        bias: Tensor | None = None
        for name, m in (("attn_mask", attn_mask), ("key_padding_mask", kpm)):
            if m is None:
                continue
            t = _mask(name, m, dtype)
            if name == "key_padding_mask":
                t = t.reshape(batch, 1, 1, t.shape[-1])
            elif t.ndim == 3:
                t = t.reshape(-1, self.num_heads, *t.shape[1:])
            if t.dtype == np.bool_:
                allowed = ~t if allowed is None else allowed & ~t
            else:
                bias = t if bias is None else bias + t
        return allowed, bias

    def forward(
        self,
        query: Any,
        key: Any,
        value: Any,
        key_padding_mask: Any = None,
        need_weights: bool = True,
        attn_mask: Any = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        """Attend from `query` to `key`/`value`: (output, weights averaged over heads or None).

        Shapes, with L queries, S keys and N sequences: query (L, N, E), key (S, N, kdim),
        value (S, N, vdim) and output (L, N, E); (N, L, E) ... with `batch_first`; (L, E) ...
        for one unbatched sequence. The weights are (N, L, S), (N, H, L, S) without
        averaging, or without N unbatched; S counts the keys added by `add_bias_kv` and
        `add_zero_attn`. While training they are the weights after dropout, as PyTorch's.

        Masks, as in PyTorch, are bool (True: masked out) or float (added to the scores):
        `key_padding_mask` (N, S) (or (S,)) hides keys of each sequence; `attn_mask` (L, S)
        or (N·H, L, S) (or (H, L, S)) hides keys of each query. A query masked from every key
        gets weights 0 and an output of `out_proj.bias` (PyTorch's `need_weights=False`
        path; its `need_weights=True` path gives NaN there).

        `is_causal` is a hint, as in PyTorch: `attn_mask` must be given (the causal mask), and
        without key_padding_mask and need_weights the causal mask is used in its place.

        Args:
            query: the queries, a float Tensor (or array).
            key: the keys.
            value: the values.
            key_padding_mask: None, or a bool or float mask of the keys of each sequence.
            need_weights: return the attention weights too.
            attn_mask: None, or a bool or float mask of the keys of each query.
            average_attn_weights: average the weights over the heads.
            is_causal: a hint that `attn_mask` is the causal mask.

        Returns:
            (output, weights), weights None without need_weights.

        Raises:
            ValueError: shapes that do not fit (the message names them), or is_causal
                without attn_mask.
            TypeError: a mask neither bool nor of the inputs' dtype.
        """
        q, k, v = _as_tensor(query), _as_tensor(key), _as_tensor(value)
        batched = self._check(q, k, v, key_padding_mask, attn_mask)
        if is_causal and attn_mask is None:
            raise ValueError(
                f"{OWNER}: is_causal=True needs attn_mask, the causal mask itself (is_causal "
                "only says that it is causal), as in PyTorch"
            )
        use_causal = bool(is_causal) and key_padding_mask is None and not need_weights
        e, h, d = self.embed_dim, self.num_heads, self.head_dim
        if query is key and key is value and self.in_proj_weight is not None:
            qp, kp, vp = _projected(q, self.in_proj_weight, self.in_proj_bias).chunk(3, -1)
        else:  # self-attention above takes one product; here each its own
            w = self._weights()
            b = (None,) * 3 if self.in_proj_bias is None else self.in_proj_bias.chunk(3, 0)
            qp, kp, vp = (_projected(x, w[i], b[i]) for i, x in enumerate((q, k, v)))
        if not batched:
            qp, kp, vp = qp.unsqueeze(0), kp.unsqueeze(0), vp.unsqueeze(0)
        elif not self.batch_first:
            qp, kp, vp = qp.transpose(0, 1), kp.transpose(0, 1), vp.transpose(0, 1)
        n, length = qp.shape[:2]  # from here on (N, L, E) and (N, S, E)
        allowed, bias = (None, None)
        if not use_causal:
            allowed, bias = self._masks(key_padding_mask, attn_mask, n, qp.dtype)
        if self.bias_k is not None and self.bias_v is not None:
            kp = F.cat([kp, self.bias_k.expand(n, 1, e)], dim=1)
            vp = F.cat([vp, self.bias_v.expand(n, 1, e)], dim=1)
            allowed, bias = _padded(allowed, True), _padded(bias, 0.0)

        def heads(t: Tensor) -> Tensor:  # (N, S, E) -> (N, H, S, E/H)
            return t.reshape(n, t.shape[1], h, d).transpose(1, 2)

        qh, kh, vh = heads(qp), heads(kp), heads(vp)
        if self.add_zero_attn:
            zeros = Tensor(np.zeros((n, h, 1, d), dtype=kh.dtype))
            kh, vh = F.cat([kh, zeros], dim=2), F.cat([vh, zeros], dim=2)
            allowed, bias = _padded(allowed, True), _padded(bias, 0.0)
        if use_causal:
            allowed = causal_mask(length, kh.shape[2])
        p = self.dropout if self.training else 0.0
        out, weights = attend(qh, kh, vh, allowed, bias, p, 1.0 / math.sqrt(d))
        out = self.out_proj(out.transpose(1, 2).reshape(n, length, e))
        if not batched:
            out = out.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(1)
        return out, weights if batched else weights.squeeze(0)
