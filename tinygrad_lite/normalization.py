"""Normalisation and lookup on Tensors: layer_norm, batch_norm, embedding (as PyTorch's `F`).

Each is a composition of differentiable ops (means, variances, square roots, indexing,
arithmetic), so its gradients of every order come from theirs. `batch_norm` also updates the
running statistics it is given, without recording a graph, by giving each running tensor a new
array: a graph that saved the old one is not disturbed, and a compiled step replays the update.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import tracing
from .autograd import no_grad
from .tensor import Tensor

__all__ = [
    "batch_norm",
    "check_eps",
    "embedding",
    "layer_norm",
    "lookup_rows",
    "normalized_shape_arg",
    "renorm_rows",
]


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def check_eps(owner: str, eps: Any) -> float:
    """Eps as a float: a finite real number >= 0 (added to the variance under the root)."""
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)):
        raise TypeError(f"{owner}: eps must be a real number, got {type(eps).__name__} {eps!r}")
    if not (math.isfinite(eps) and eps >= 0):
        raise ValueError(f"{owner}: eps must be finite and >= 0, got {eps}")
    return float(eps)


def normalized_shape_arg(owner: str, normalized_shape: int | Sequence[int]) -> tuple[int, ...]:
    """The trailing shape a layer norm normalises over, as a tuple of positive ints.

    Raises:
        TypeError: a size that is not an int.
        ValueError: no sizes, or a size < 1.
    """
    shape = (
        (normalized_shape,)
        if isinstance(normalized_shape, (int, np.integer))
        else tuple(normalized_shape)
    )
    for s in shape:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"{owner}: normalized_shape must hold ints, got {s!r} in {shape}")
    if not shape or any(s < 1 for s in shape):
        raise ValueError(
            f"{owner}: normalized_shape must be one or more sizes >= 1, got {tuple(shape)}"
        )
    return tuple(int(s) for s in shape)


def _check_affine(owner: str, what: str, t: Tensor | None, shape: tuple[int, ...]) -> None:
    if t is not None and t.shape != shape:
        raise ValueError(f"{owner}: {what} must have shape {shape}, got {t.shape}")


def layer_norm(
    input: Tensor | np.ndarray,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the trailing dims: y = (x - E[x]) / √(Var[x] + eps) · weight + bias.

    The mean and the biased variance (correction 0) are taken over the last
    `len(normalized_shape)` dims, separately for every leading index, as PyTorch's
    `F.layer_norm`; `weight` and `bias` (optional) have shape `normalized_shape`.

    Raises:
        ValueError: the input's trailing dims are not `normalized_shape`, or weight or bias
            has another shape.
    """
    x = _as_tensor(input)
    shape = normalized_shape_arg("layer_norm", normalized_shape)
    k = len(shape)
    if x.shape[x.ndim - k :] != shape or x.ndim < k:
        raise ValueError(
            f"layer_norm: normalized_shape={shape} needs input of shape (*, "
            f"{', '.join(map(str, shape))}), got input of shape {x.shape}"
        )
    _check_affine("layer_norm", "weight", weight, shape)
    _check_affine("layer_norm", "bias", bias, shape)
    dims = tuple(range(x.ndim - k, x.ndim))
    mean = x.mean(dims, keepdim=True)
    var = x.var(dims, keepdim=True, correction=0)
    y = (x - mean) / (var + check_eps("layer_norm", eps)).sqrt()
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def _update(running: Tensor, stat: Tensor, momentum: float | Tensor) -> None:
    """Give `running` the new array momentum·stat + (1 - momentum)·running, in its dtype."""
    new = momentum * stat + (1 - momentum) * running
    if new.dtype != running.dtype:
        new = new.astype(running.dtype)
    running.data = new.data


def batch_norm(
    input: Tensor | np.ndarray,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float | Tensor = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (dim 1) of (N, C, ...) input, as PyTorch's `F.batch_norm`.

    With `training`, y = (x - mean) / √(var + eps) with the batch's mean and biased variance
    over every dim but the channels'; the running statistics, when given, become
    momentum·stat + (1 - momentum)·running, where the variance is the unbiased one,
    var·n/(n - 1) for n values per channel. They are updated without recording a graph, by
    giving each a new array. Without `training` the running statistics normalise instead.
    `weight` and `bias` (optional) scale and shift each channel.

    Args:
        input: (N, C), (N, C, L), (N, C, H, W), ...
        running_mean: (C,) or None; needed without `training`.
        running_var: (C,) or None; needed without `training`.
        weight: (C,) or None.
        bias: (C,) or None.
        training: normalise with the batch's statistics (and update the running ones).
        momentum: the weight of the batch's statistics in the update (a float, or a 0-d
            Tensor such as 1/num_batches_tracked for a cumulative average).
        eps: added to the variance under the square root.

    Raises:
        ValueError: the input has fewer than 2 dimensions, a statistic or weight does not have C
            elements, the running statistics are missing without `training`, or one value
            per channel in `training` ("Expected more than 1 value per channel when
            training", as PyTorch).
    """
    x = _as_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected an input (N, C, ...) (got {x.ndim}D input)")
    c = x.shape[1]
    for what, t in (("running_mean", running_mean), ("running_var", running_var)):
        _check_affine("batch_norm", what, t, (c,))
    _check_affine("batch_norm", "weight", weight, (c,))
    _check_affine("batch_norm", "bias", bias, (c,))
    eps = check_eps("batch_norm", eps)
    axes = (0, *range(2, x.ndim))
    shape = (1, c) + (1,) * (x.ndim - 2)
    if x.size == 0:  # nothing to normalise (PyTorch returns the empty batch; no statistics move)
        mean = var = Tensor(np.zeros(shape, x.dtype))
    elif training:
        n = x.size // c if c else 0
        if n == 1:
            raise ValueError(
                "batch_norm: Expected more than 1 value per channel when training, got input "
                f"of shape {x.shape}"
            )
        mean = x.mean(axes, keepdim=True)
        var = x.var(axes, keepdim=True, correction=0)
        with no_grad():
            if running_mean is not None:
                _update(running_mean, mean.detach().reshape(c), momentum)
            if running_var is not None:
                _update(running_var, var.detach().reshape(c) * (n / (n - 1)), momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError(
                "batch_norm: running_mean and running_var are needed when not training"
            )
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    y = (x - mean) / (var + eps).sqrt()
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def _row_norms(rows: np.ndarray, p: float) -> np.ndarray:
    """The p-norm of each row, as `Tensor.norm` (max, min, count of nonzeros for ∞, −∞, 0)."""
    a = np.abs(rows.astype(np.float64))
    if p == np.inf:
        return a.max(axis=1, initial=0.0)
    if p == -np.inf:
        return a.min(axis=1, initial=np.inf)
    if p == 0:
        return np.count_nonzero(a, axis=1).astype(np.float64)
    return np.sum(a**p, axis=1) ** (1.0 / p)


def renorm_rows(op: str, w: Tensor, indices: np.ndarray, max_norm: Any, norm_type: Any) -> None:
    """Scale the looked-up rows whose norm exceeds max_norm by max_norm/(norm + 1e-7), in place."""
    for name, value in (("max_norm", max_norm), ("norm_type", norm_type)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{op}: {name} must be a real number, got {value!r}")
    if tracing.current is not None and tracing.current.active():
        raise tracing.TraceError(
            f"compile: {op} with max_norm changes the weight in place from its values, which "
            "a compiled step cannot replay; renormalise outside the step"
        )
    rows = np.unique(indices)
    norms = _row_norms(w.data[rows], float(norm_type))
    over = norms > max_norm
    if over.any():
        scale = max_norm / (norms[over] + 1e-7)
        data = w.data[rows[over]]
        work = np.promote_types(data.dtype, np.float32)  # PyTorch scales halves in float
        with no_grad():
            w[rows[over]] = (data.astype(work) * scale[:, None].astype(work)).astype(data.dtype)


def lookup_rows(weight: Tensor, indices: np.ndarray, counted: np.ndarray | None = None) -> Tensor:
    """Return weight[indices]; given `counted`, each row's gradient is divided by its count there.

    With c_k the number of times index k occurs in `counted`, the gradient that reaches row k
    through this lookup is Σ_{i: indices_i = k} g_i / c_k, PyTorch's `scale_grad_by_freq`; the
    value is weight[indices] exactly. That gradient is not the derivative of the value, so it
    has no derivative of its own to take: where an index repeats, a backward that records its
    graph (`create_graph=True`, with a gradient that carries one) is refused. PyTorch's
    double backward there ignores the scale, which is neither the derivative of the scaled
    gradient nor what the recorded division would give. Without repeats nothing is scaled.
    """
    rows = weight[indices]
    if counted is not None and rows.requires_grad:
        freq = np.bincount(counted.reshape(-1), minlength=weight.shape[0])[indices]
        if freq.size and np.maximum.reduce(freq, axis=None) > 1:
            scale = np.expand_dims((1.0 / freq).astype(weight.dtype), -1)

            def divide(g: Tensor) -> Tensor:
                if g.requires_grad:
                    raise RuntimeError(
                        "embedding: scale_grad_by_freq with repeated indices gives a gradient "
                        "that is not a derivative, so it cannot be differentiated again "
                        "(create_graph=True); use scale_grad_by_freq=False for higher-order "
                        "gradients"
                    )
                return g * scale

            rows.register_hook(divide)
    return rows


def _check_indices(indices: np.ndarray, n: int) -> None:
    """Raise unless every index lies in [0, n) (PyTorch refuses negative indices too)."""
    if indices.size and not (
        np.minimum.reduce(indices, axis=None) >= 0 and np.maximum.reduce(indices, axis=None) < n
    ):
        bad = indices[(indices < 0) | (indices >= n)]
        raise IndexError(
            f"embedding: index {int(bad.flat[0])} is out of range for {n} embeddings "
            f"(indices must lie in [0, {n - 1}]); {bad.size} of {indices.size} are outside"
        )


def embedding(
    input: Tensor | np.ndarray | int | Sequence[Any],
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of `weight` looked up by integer indices: out[..., :] = weight[input[...], :].

    `input` holds integers of any shape; the result has shape `input.shape + (D,)` for a
    (V, D) weight. The gradient of a row sums over every place its index appears, and the row
    `padding_idx` (if given) gets none, as PyTorch's `F.embedding`; its values are still
    looked up. Indices that are an argument of a compiled step are refused (TraceError):
    the replay could not follow them. With `max_norm`, each row looked up whose
    `norm_type`-norm exceeds it is first scaled by max_norm/(norm + 1e-7) in the weight itself,
    unrecorded, as PyTorch does. With `scale_grad_by_freq`, the gradient of row k is divided
    by c_k, the number of times k occurs in `input` (this call's), as PyTorch does:
    ∂/∂W[k] = Σ_{i: input_i = k} g_i / c_k; the value is unchanged, so this is not the
    derivative of the value, and with repeated indices it is not differentiated again
    (`create_graph=True` is refused there, see `lookup_rows`).

    Raises:
        TypeError: the indices are not integers, or scale_grad_by_freq is not a bool.
        NotImplementedError: sparse gradients asked for.
        IndexError: an index outside [0, V).
        ValueError: the weight is not 2-D, or padding_idx is outside [-V, V).
    """
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (V, D), got shape {weight.shape}")
    v = weight.shape[0]
    data = input.data if isinstance(input, Tensor) else np.asarray(input)
    if data.dtype.kind not in "iu":
        raise TypeError(
            f"embedding: indices must be integers (an int64 tensor, say), got dtype {data.dtype}"
        )
    if tracing.is_traced(data):
        raise tracing.TraceError(
            "compile: embedding's indices are an input of the compiled step, which it cannot "
            "replay (the rows picked would be frozen); look up fixed indices in the step, or "
            "call the embedding outside it"
        )
    _check_indices(data, v)
    if not isinstance(scale_grad_by_freq, (bool, np.bool_)):
        raise TypeError(f"embedding: scale_grad_by_freq must be a bool, got {scale_grad_by_freq!r}")
    if sparse:
        raise NotImplementedError(
            f"embedding: sparse gradients are not supported (got sparse={sparse!r}); "
            "sparse=False gives the same gradient, dense"
        )
    if max_norm is not None:
        renorm_rows("embedding", weight, data.reshape(-1), max_norm, norm_type)
    if scale_grad_by_freq:  # the scaled lookup stays inside: hooks on the result see g as is
        flat = data.reshape(-1)
        out = lookup_rows(weight, flat, flat).reshape(*data.shape, weight.shape[1])
    else:
        out = weight[data]
    if padding_idx is not None:
        if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)):
            raise TypeError(f"embedding: padding_idx must be an int or None, got {padding_idx!r}")
        if not -v <= padding_idx < v:
            raise ValueError(f"embedding: padding_idx must lie in [-{v}, {v}), got {padding_idx}")
        # The padding row's values, with no path back to the weight.
        keep = Tensor._make(np.expand_dims(data != padding_idx % v, -1), False, None)
        out = out.where(keep, out.detach())
    return out
