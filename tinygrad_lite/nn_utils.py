"""Training utilities (nn.utils): gradient-norm clipping and the course's L2 penalty.

Weight and spectral normalisation (`weight_norm`, `spectral_norm`) are written in
`weight_norms`, the flat parameter vectors in `param_vectors` and `stateless.functional_call`
in `stateless`; they are reached from here, as in PyTorch's `nn.utils`.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable
from types import GeneratorType
from typing import Any

import numpy as np

from . import param_maps as parametrizations
from . import parametrize, stateless
from . import rnn_pack as rnn
from .autograd import no_grad
from .loss_checks import check_values
from .param_vectors import parameters_to_vector, tensor_list, vector_to_parameters
from .tensor import Tensor
from .tracing import traced_call
from .weight_norms import remove_spectral_norm, remove_weight_norm, spectral_norm, weight_norm
from .written import mark

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
    "is_weight",
    "l2_penalty",
    "parameters_to_vector",
    "remove_spectral_norm",
    "remove_weight_norm",
    "spectral_norm",
    "stateless",
    "parametrizations",
    "parametrize",
    "rnn",
    "vector_to_parameters",
    "weight_norm",
]

_COURSE_WEIGHT = re.compile(r"W\d*")


def _foreach(func: str, foreach: Any) -> None:
    if foreach is not None and not isinstance(foreach, bool):
        raise TypeError(f"{func}: foreach must be None, True or False, got {foreach!r}")


def _number(func: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{func}: {name} must be a number, got {value!r}")
    return float(value)


def _norm_type(func: str, value: Any) -> float:
    """norm_type as a float; PyTorch calls float() on it, so "inf" and "2" are accepted.

    Refused: NaN (PyTorch's total is then NaN whatever the tensors, and its clip makes every
    gradient NaN) and 0, for which PyTorch's norm of the tensors' norms counts the tensors
    with a nonzero entry: unlike every other order, not the norm of all their entries.
    """
    if isinstance(value, str):
        try:
            p = float(value)
        except ValueError:
            raise ValueError(f"{func}: norm_type {value!r} is not a number") from None
    else:
        p = _number(func, "norm_type", value)
    if not p > 0 and not p < 0:
        why = (
            "is NaN whatever the tensors"
            if math.isnan(p)
            else "counts the tensors with a nonzero entry"
        )
        raise ValueError(
            f"{func}: norm_type must be > 0 or < 0 (or ±math.inf), got {p}: PyTorch's total of "
            f"that order {why}, which is no norm of them"
        )
    return p


def _total(func: str, ts: list[Tensor], p: float) -> Tensor:
    """‖(‖t_1‖_p, ‖t_2‖_p, ...)‖_p without a graph (0 ** p = inf for p < 0, silently)."""
    if p < 0 and any(not t.data.size for t in ts):  # the min, or Σ|x|^p, of nothing
        raise RuntimeError(f"{func}: an empty tensor has no norm of order {p} (as in PyTorch)")
    with no_grad(), np.errstate(divide="ignore"):
        return _combine([_norm(t, p) for t in ts], p)


def _combine(norms: list[Tensor], p: float) -> Tensor:
    """‖(n_1, n_2, ...)‖_p of the gradients' norms: the p-norm of all their entries."""
    if len(norms) == 1:
        return norms[0]
    total = norms[0]
    if p in (math.inf, -math.inf):
        for n in norms[1:]:
            total = total.maximum(n) if p > 0 else total.minimum(n)
        return total
    if p == 1.0:
        for n in norms[1:]:
            total = total + n
        return total
    total = total.square() if p == 2.0 else total**p
    for n in norms[1:]:
        total = total + (n.square() if p == 2.0 else n**p)
    return total.sqrt() if p == 2.0 else total ** (1.0 / p)


def _norm(x: Tensor, p: float) -> Tensor:
    """‖x‖_p of all entries, with tensor ops (so a compiled step records it)."""
    if p == 2.0:
        return x.square().sum().sqrt()
    if p == 1.0:
        return x.abs().sum()
    if p == math.inf:
        return x.abs().max() if x.data.size else x.sum() * 0.0
    if p == -math.inf:
        return x.abs().min()
    return (x.abs() ** p).sum() ** (1.0 / p)


@traced_call
def _scale(params: list[Tensor], total: Any, max_norm: float, error_if_nonfinite: bool) -> None:
    """Multiply every gradient by min(max_norm / (total + 1e-6), 1): replayed when compiled."""
    total = np.asarray(total).reshape(())
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of the gradients is {float(total)}, so it cannot "
            "be clipped; fix the non-finite gradients or pass error_if_nonfinite=False"
        )
    coef = np.minimum(max_norm / (total + 1e-6), 1.0)  # NaN stays NaN, as in PyTorch
    if coef == 1.0:
        return  # x·1 = x exactly
    with np.errstate(invalid="ignore"):  # an infinite entry times 0 is NaN, as in PyTorch
        for p in params:
            g = p.grad
            if g is not None:
                np.multiply(g.data, coef, out=g.data)
                mark(g)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale the gradients in place so that their total norm is at most `max_norm`.

    As PyTorch's `torch.nn.utils.clip_grad_norm_`: the total norm is the p-norm of the
    vector of every gradient's p-norm (the norm of all gradients' entries together), and
    every gradient is multiplied by min(max_norm / (total + 1e-6), 1). Tensors without a
    gradient are skipped. A non-finite total norm makes the gradients NaN (or zero, for an
    infinite one), unless `error_if_nonfinite` asks for an error instead.

    Args:
        parameters: a tensor or an iterable of tensors whose `.grad` is clipped.
        max_norm: the largest total norm allowed, >= 0 (inf: measure only).
        norm_type: p > 0 or p < 0 (0 where an entry is 0); `math.inf` for the largest
            absolute entry, `-math.inf` for the smallest. A string such as "inf" is read with
            float(), as PyTorch does.
        error_if_nonfinite: raise if the total norm is NaN or infinite.
        foreach: PyTorch's choice of kernels: accepted (None, True or False), with no effect.

    Returns:
        The total norm of the gradients before clipping, a 0-d Tensor (0.0 with no gradient).

    Raises:
        RuntimeError: the total norm is not finite and `error_if_nonfinite` is True, or a
            gradient is empty and norm_type < 0.
        ValueError: max_norm < 0 or NaN, or norm_type 0 or NaN.

    Example:
        >>> from tinygrad_lite import Tensor, nn
        >>> w = Tensor([3.0, 4.0], requires_grad=True)
        >>> w.grad = Tensor([3.0, 4.0])
        >>> nn.utils.clip_grad_norm_([w], max_norm=1.0)
        Tensor(5.)
        >>> w.grad
        Tensor([0.59999988, 0.79999984])
    """
    func = "clip_grad_norm_"
    _foreach(func, foreach)
    if isinstance(parameters, GeneratorType):
        parameters = list(parameters)
        if not parameters:
            warnings.warn(
                "clip_grad_norm_: `parameters` is an empty generator, no gradient clipping "
                "will occur",
                stacklevel=2,
            )
    params = tensor_list(func, parameters)
    max_norm, p = _number(func, "max_norm", max_norm), _norm_type(func, norm_type)
    if not max_norm >= 0:
        raise ValueError(f"{func}: max_norm must be >= 0, got {max_norm}")
    grads = [t.grad for t in params if t.grad is not None]
    if not grads:
        return Tensor(0.0)
    total = _total(func, grads, p)
    _scale(params, total.data, max_norm, bool(error_if_nonfinite))
    return total


@traced_call
def _clamp(params: list[Tensor], value: float) -> None:
    """Clamp every gradient to [−value, value] in place: replayed when compiled."""
    for p in params:
        g = p.grad
        if g is not None:
            np.clip(g.data, -value, value, out=g.data)  # NaN stays NaN, as in PyTorch
            mark(g)


def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient in place to [−clip_value, clip_value], as PyTorch's.

    Tensors without a gradient are skipped; a NaN entry stays NaN.

    Args:
        parameters: a tensor or an iterable of tensors whose `.grad` is clamped.
        clip_value: the largest absolute value allowed, >= 0.
        foreach: PyTorch's choice of kernels: accepted (None, True or False), with no effect.

    Raises:
        ValueError: clip_value < 0 or NaN.

    Example:
        >>> from tinygrad_lite import Tensor, nn
        >>> w = Tensor([3.0, -4.0, 0.5], requires_grad=True)
        >>> w.grad = Tensor([3.0, -4.0, 0.5])
        >>> nn.utils.clip_grad_value_([w], clip_value=1.0)
        >>> w.grad
        Tensor([ 1. , -1. ,  0.5])
    """
    func = "clip_grad_value_"
    _foreach(func, foreach)
    params = tensor_list(func, parameters)
    v = clip_value
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{func}: clip_value must be a number, got {v!r}")
    if not float(v) >= 0:
        raise ValueError(f"{func}: clip_value must be >= 0, got {float(v)}")
    _clamp(params, float(v))


def is_weight(name: str) -> bool:
    """Whether a parameter's name marks a weight: "weight" (Linear) or the course's W1, W2, ...

    The name's last dotted part is checked (`layers.0.weight`, `W3`); biases ("bias", b1, ...)
    and anything else are not weights.
    """
    last = name.rsplit(".", 1)[-1]
    return last == "weight" or _COURSE_WEIGHT.fullmatch(last) is not None


def l2_penalty(weights: Any, lam: float, m: int) -> Tensor:
    r"""The course's L2 regularisation term, λ/(2m)·Σ_l ‖W_l‖²_F, as a Tensor to add to the cost.

    Its gradient is (λ/m)·W_l for each weight, the term the course adds to dW_l by hand;
    biases are not penalised. Computed as the course writes it, (1/m)·(λ/2)·Σ_l Σ W_l², the
    layers summed in order.

    `cost + l2_penalty(net, lam, m)` is one way. The other is parameter groups, the weights
    with `weight_decay=lam / m` and the biases without: PyTorch's weight decay (SGD's and
    Adam's alike, not AdamW's) adds (λ/m)·W to the gradient before the update, which is the
    same update as adding this term to the cost (up to rounding), with or without momentum;
    but the cost it reports then leaves the penalty out.

    Args:
        weights: a `Module` or (name, tensor) pairs, whose weights (by `is_weight`) are
            penalised; or an iterable of tensors, all penalised.
        lam: λ >= 0.
        m: the number of examples, >= 1.

    Returns:
        A 0-d Tensor that requires grad if a weight does.

    Raises:
        ValueError: no weight to penalise, λ < 0 or not finite, or m < 1.
        TypeError: an argument of the wrong type.

    Example:
        >>> import numpy as np
        >>> from tinygrad_lite import Tensor, nn
        >>> W = Tensor(np.array([[1.0, 2.0]]), requires_grad=True)
        >>> J = nn.utils.l2_penalty([W], lam=0.5, m=4)  # (1/4)·(0.5/2)·(1 + 4)
        >>> J
        Tensor(0.3125, grad_fn=<Mul>)
        >>> J.backward()
        >>> W.grad  # (λ/m)·W
        Tensor([[0.125, 0.25 ]])
    """
    func = "l2_penalty"
    if isinstance(lam, bool) or not isinstance(lam, (int, float, np.integer, np.floating)):
        raise TypeError(f"{func}: lam must be a number, got {lam!r}")
    if not (math.isfinite(lam) and lam >= 0):
        raise ValueError(f"{func}: lam must be finite and >= 0, got {lam}")
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
        raise ValueError(f"{func}: m must be an int >= 1, got {m!r}")
    named = getattr(weights, "named_parameters", None)
    items = list(named() if callable(named) else weights)
    if items and all(isinstance(x, tuple) and len(x) == 2 for x in items):
        chosen = [t for name, t in items if is_weight(str(name))]
    else:
        chosen = tensor_list(func, items)
    if not chosen:
        raise ValueError(f"{func}: no weight to penalise (weights are named 'weight' or W1, ...)")
    total = chosen[0].square().sum()
    for W in chosen[1:]:
        total = total + W.square().sum()
    return (1 / m) * (lam / 2) * total


# ------------------------------------------------------------------ total norms


def get_total_norm(
    tensors: Tensor | Iterable[Tensor],
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """The p-norm of all the tensors' entries together, as PyTorch's `nn.utils.get_total_norm`.

    ‖(‖t_1‖_p, ‖t_2‖_p, ...)‖_p, which is the p-norm of every entry of every tensor (for
    p = inf, the largest absolute entry). Computed without a graph. Pass it, with the
    gradients' total norm, to `clip_grads_with_norm_`: the two make `clip_grad_norm_`.

    Args:
        tensors: a tensor or an iterable of floating-point tensors (e.g. the gradients).
        norm_type: p > 0 or p < 0, or ±`math.inf`, as in `clip_grad_norm_` (a string such as
            "inf" is read with float()).
        error_if_nonfinite: raise if the total norm is NaN or infinite.
        foreach: PyTorch's choice of kernels: accepted (None, True or False), with no effect.

    Returns:
        A 0-d Tensor: the total norm (0.0 for no tensors).

    Raises:
        RuntimeError: a non-finite total with `error_if_nonfinite`, or an empty tensor with
            norm_type < 0.
        ValueError: norm_type 0 or NaN.
        TypeError: a tensor that is not floating-point, or an argument of the wrong type.

    Example:
        >>> from tinygrad_lite import Tensor, nn
        >>> nn.utils.get_total_norm([Tensor([3.0]), Tensor([[4.0]])])
        Tensor(5.)
    """
    func = "get_total_norm"
    _foreach(func, foreach)
    ts = tensor_list(func, tensors)
    p = _norm_type(func, norm_type)
    for i, t in enumerate(ts):
        if t.data.dtype.kind != "f":
            raise TypeError(
                f"{func}: tensors[{i}] has dtype {t.dtype}; a norm needs floating-point tensors"
            )
    if not ts:
        return Tensor(0.0)
    total = _total(func, ts, p)

    def finite(value: Any) -> None:
        if not np.isfinite(value).all():
            raise RuntimeError(
                f"{func}: the total norm of order {p} is {float(value)}, not finite; pass "
                "error_if_nonfinite=False to get it anyway"
            )

    if error_if_nonfinite:
        check_values(finite, total)
    return total


def clip_grads_with_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    total_norm: Tensor,
    foreach: bool | None = None,
) -> None:
    """Scale every gradient in place by min(max_norm / (total_norm + 1e-6), 1), as PyTorch's.

    `clip_grad_norm_` with the total norm given (from `get_total_norm`, say, of gradients
    gathered from several places). Tensors without a gradient are skipped; a NaN total makes
    the gradients NaN, as in PyTorch.

    Args:
        parameters: a tensor or an iterable of tensors whose `.grad` is scaled.
        max_norm: the largest total norm allowed, >= 0.
        total_norm: a one-element Tensor, the gradients' total norm.
        foreach: PyTorch's choice of kernels: accepted (None, True or False), with no effect.

    Raises:
        ValueError: max_norm < 0 or NaN, or a total_norm of more than one element.
        TypeError: total_norm is not a Tensor, or an argument of the wrong type.

    Example:
        >>> from tinygrad_lite import Tensor, nn
        >>> w = Tensor([3.0, 4.0], requires_grad=True)
        >>> w.grad = Tensor([3.0, 4.0])
        >>> total = nn.utils.get_total_norm([w.grad])
        >>> nn.utils.clip_grads_with_norm_([w], 1.0, total)
        >>> w.grad
        Tensor([0.59999988, 0.79999984])
    """
    func = "clip_grads_with_norm_"
    _foreach(func, foreach)
    params = tensor_list(func, parameters)
    limit = _number(func, "max_norm", max_norm)
    if not limit >= 0:
        raise ValueError(f"{func}: max_norm must be >= 0, got {limit}")
    if not isinstance(total_norm, Tensor):
        raise TypeError(
            f"{func}: total_norm must be a Tensor (as get_total_norm returns), got "
            f"{type(total_norm).__name__}"
        )
    if total_norm.data.size != 1:
        raise ValueError(f"{func}: total_norm must have one element, got shape {total_norm.shape}")
    if any(p.grad is not None for p in params):
        _scale(params, total_norm.data, limit, False)


def clip_grad_norm(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Deprecated: `clip_grad_norm_` under its old name (warns FutureWarning), as PyTorch."""
    warnings.warn(
        "`nn.utils.clip_grad_norm` is now deprecated in favor of `nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)
