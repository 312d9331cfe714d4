"""Scaled dot-product attention, as PyTorch's `F.scaled_dot_product_attention`, composed of ops.

softmax(Q·Kᵀ·scale + mask)·V is written with matrix products, a softmax and `where`, so its
gradients of every order (in the queries, keys, values and an additive float mask) come from
those ops. `attend` is the core that `nn.MultiheadAttention` shares; it also returns the weights.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .channel_drop import check_probability, scaled_mask_product
from .shapes import broadcasts_to
from .tensor import Tensor

__all__ = ["attend", "causal_mask", "scaled_dot_product_attention"]


def causal_mask(target_length: int, source_length: int) -> Tensor:
    """The bool (L, S) mask of a causal attention: query i sees keys 0..i (the lower triangle).

    For L != S the triangle starts at the top left corner, as PyTorch's `is_causal`: row i
    allows columns j <= i, so with L > S the last rows see every key.

    Args:
        target_length: L, the number of queries.
        source_length: S, the number of keys.

    Returns:
        A bool Tensor of shape (L, S), True where attention is allowed.

    Example:
        >>> causal_mask(2, 3).numpy()
        array([[ True, False, False],
               [ True,  True, False]])
    """
    return Tensor(np.tri(target_length, source_length, dtype=bool))


def attend(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    allowed: Tensor | None = None,
    bias: Tensor | None = None,
    dropout_p: float = 0.0,
    scale: float = 1.0,
    generator: Any = None,
) -> tuple[Tensor, Tensor]:
    """The attention output and its weights, for inputs already checked.

    With scores s = (Q·scale)·Kᵀ + bias, set to -∞ where `allowed` is False, the weights are
    softmax(s) along the keys and the output is weights·V. A row whose scores are all -∞ (a
    query that may attend to no key) gets weights 0, so output 0, and no gradient, as
    PyTorch's `scaled_dot_product_attention`. Dropout (p > 0) zeroes weights at random and
    scales the rest by 1/(1-p); the returned weights are those used, after dropout.

    Args:
        query: (..., L, E).
        key: (..., S, E).
        value: (..., S, Ev).
        allowed: a bool mask that broadcasts to (..., L, S): True where a query may attend.
        bias: a float mask added to the scores, of the same kind.
        dropout_p: the probability of dropping each weight.
        scale: the factor of the dot products.
        generator: the dropout's generator (None: the library's default one).

    Returns:
        (output of shape (..., L, Ev), weights of shape (..., L, S)).
    """
    scores = (query * scale) @ key.transpose(-2, -1)
    if bias is not None:
        scores = scores + bias
    if allowed is not None:
        scores = scores.where(allowed, -math.inf)
    if bias is None and allowed is None:
        weights = scores.softmax(-1)
    else:
        # A row of -inf only (PyTorch's rule: `all(s == -inf)`, so a NaN keeps its row live)
        # is softmaxed as zeros, so that no -inf - -inf is taken, and its weights set to 0.
        live = scores.detach().amax(-1, keepdim=True) != -math.inf
        weights = scores.where(live, 0.0).softmax(-1).where(live, 0.0)
    if dropout_p > 0:
        weights = scaled_mask_product(weights, dropout_p, weights.shape, generator)
    return weights @ value, weights


def _as_tensor(x: Any, like: Tensor | None = None) -> Tensor:
    """A Tensor as it is; an array or list as a Tensor (floats in `like`'s dtype)."""
    if isinstance(x, Tensor):
        return x
    a = np.asarray(x)
    if like is not None and a.dtype.kind == "f":
        a = a.astype(like.dtype)
    return Tensor(a)


def _batch_shape(op: str, *ts: Tensor) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(*(t.shape[:-2] for t in ts))
    except ValueError:
        shapes = ", ".join(str(t.shape) for t in ts)
        raise ValueError(
            f"{op}: the batch dimensions (all but the last two) of query, key and value "
            f"do not broadcast: shapes {shapes}"
        ) from None


def _repeat_heads(op: str, t: Tensor, name: str, heads: int) -> Tensor:
    """Each of t's heads (dim -3) repeated heads/h times in a row (grouped-query attention)."""
    have = t.shape[-3]
    if heads % have:
        raise ValueError(
            f"{op}: enable_gqa needs the query's heads ({heads}) to be a multiple of the "
            f"{name}'s ({have}); shapes query (..., {heads}, L, E), {name} {t.shape}"
        )
    if have == heads:
        return t
    lead, rest = t.shape[:-3], t.shape[-2:]
    grouped = t.unsqueeze(-3).expand(*lead, have, heads // have, *rest)
    return grouped.reshape(*lead, heads, *rest)


def scaled_dot_product_attention(
    query: Any,
    key: Any,
    value: Any,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
    *,
    generator: Any = None,
) -> Tensor:
    r"""Attention softmax(Q·Kᵀ·scale + M)·V, as PyTorch's `F.scaled_dot_product_attention`.

    For queries Q (..., L, E), keys K (..., S, E) and values V (..., S, Ev), the weights
    A = softmax(Q·Kᵀ·scale + M) are taken along the S keys, and the result is A·V, of shape
    (..., L, Ev). The leading (batch) dimensions of Q, K and V broadcast together; 2-D inputs
    have none. The mask M is:

    - a bool `attn_mask`: True where a query may attend a key (0), False where not (-∞);
    - a float `attn_mask`: added to the scores (its gradient is computed too);
    - `is_causal`: query i attends keys 0..i, the lower triangle of an L x S matrix
      starting at the top left corner (PyTorch's rule for L != S).

    The mask broadcasts to (..., L, S) and may not enlarge it. A row whose scores are all
    -∞ (a query masked from every key) gives weights 0, an output of 0 and no gradient, as
    recent PyTorch releases do (earlier ones gave NaN). With dropout_p > 0 each weight is
    zeroed with probability p and the rest scaled by 1/(1-p), always (as PyTorch's: pass 0 in
    evaluation); the masks come from `generator`, as `functional.dropout`'s, so they cannot
    match PyTorch's random stream. With `enable_gqa` the keys' and values' heads (dim -3) are
    each repeated to the query's number of heads (grouped-query attention).

    Args:
        query: Q, a float Tensor (or array) of shape (..., L, E), at least 2-D.
        key: K, of shape (..., S, E), of the query's dtype.
        value: V, of shape (..., S, Ev), of the query's dtype.
        attn_mask: None, a bool mask or a float mask (of the query's dtype; an array or list
            is taken in it) that broadcasts to (..., L, S).
        dropout_p: the probability of dropping each weight, in [0, 1].
        is_causal: apply the causal mask (not together with `attn_mask`).
        scale: the factor of the dot products; None: 1/√E.
        enable_gqa: repeat the keys' and values' heads to match the query's.
        generator: the dropout's `numpy.random.Generator` or int seed (None: the library's
            default generator, see `tinygrad_lite.manual_seed`).

    Returns:
        The attention output, of shape (broadcast batch dims..., L, Ev).

    Raises:
        ValueError: inputs of fewer than 2 dimensions, feature or sequence sizes that do not
            agree, batch dimensions that do not broadcast, a mask whose shape does not
            broadcast to the scores', `attn_mask` together with `is_causal` (PyTorch's
            documentation forbids it; its CPU kernel applies both), or dropout_p outside
            [0, 1].
        TypeError: inputs that are not floating point or not of one dtype, or a mask that is
            neither bool nor of the query's dtype.

    Example:
        >>> import numpy as np
        >>> q = Tensor(np.eye(2))
        >>> kv = Tensor([[10.0, 0.0], [0.0, 10.0]])
        >>> scaled_dot_product_attention(q, kv, kv, scale=1.0).numpy().round(3)
        array([[10.,  0.],
               [ 0., 10.]])
        >>> mask = np.array([[True, False], [True, True]])
        >>> scaled_dot_product_attention(q, kv, kv, attn_mask=mask).numpy().round(2)
        array([[10.  ,  0.  ],
               [ 0.01,  9.99]])
    """
    op = "scaled_dot_product_attention"
    q = _as_tensor(query)
    k, v = _as_tensor(key, q), _as_tensor(value, q)
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise ValueError(
            f"{op}: query, key and value must have at least 2 dimensions (..., L, E), got "
            f"shapes {q.shape}, {k.shape} and {v.shape}"
        )
    if q.dtype.kind != "f" or not q.dtype == k.dtype == v.dtype:
        raise TypeError(
            f"{op}: query, key and value must have one floating-point dtype, got {q.dtype}, "
            f"{k.dtype} and {v.dtype}"
        )
    if k.shape[-1] != q.shape[-1]:
        raise ValueError(
            f"{op}: query and key must have one feature size E (last dimension), got shapes "
            f"{q.shape} and {k.shape}"
        )
    if v.shape[-2] != k.shape[-2]:
        raise ValueError(
            f"{op}: key and value must have one sequence length S (dimension -2), got shapes "
            f"{k.shape} and {v.shape}"
        )
    p = check_probability(op, "dropout_p", dropout_p)
    if scale is None:
        factor = 1.0 / math.sqrt(q.shape[-1]) if q.shape[-1] else math.inf
    elif isinstance(scale, bool) or not isinstance(scale, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: scale must be a number or None, got {scale!r}")
    else:
        factor = float(scale)
    if enable_gqa:
        if q.ndim < 3 or k.ndim < 3 or v.ndim < 3:
            raise ValueError(
                f"{op}: enable_gqa needs a heads dimension (..., H, L, E), got shapes "
                f"{q.shape}, {k.shape} and {v.shape}"
            )
        k = _repeat_heads(op, k, "key", q.shape[-3])
        v = _repeat_heads(op, v, "value", q.shape[-3])
    scores_shape = (*_batch_shape(op, q, k, v), q.shape[-2], k.shape[-2])
    allowed = bias = None
    if attn_mask is not None:
        if is_causal:
            raise ValueError(
                f"{op}: give attn_mask or is_causal=True, not both (fold the causal mask into "
                "attn_mask)"
            )
        mask = _as_tensor(attn_mask, q)
        if mask.dtype != np.bool_ and mask.dtype != q.dtype:
            raise TypeError(
                f"{op}: attn_mask must be bool or of the query's dtype {q.dtype}, got {mask.dtype}"
            )
        if not broadcasts_to(mask.shape, scores_shape):
            raise ValueError(
                f"{op}: attn_mask of shape {mask.shape} does not broadcast to the scores' "
                f"shape {scores_shape} (batch..., L, S)"
            )
        if mask.dtype == np.bool_:
            allowed = mask
        else:
            bias = mask
    elif is_causal:
        allowed = causal_mask(q.shape[-2], k.shape[-2])
    return attend(q, k, v, allowed, bias, p, factor, generator)[0]
