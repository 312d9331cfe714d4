"""Fused, numerically stable binary cross-entropies, and what every loss op shares.

Each loss is one op so that its gradient is the hand derivation's closed form (dZ = A - Y for
the sigmoid cross-entropy) instead of the product of its pieces' derivatives. `reduction` is
"mean" (over every element, or every sample for the class losses), "sum" or "none", as in
PyTorch. The softmax family is in `classify`, the class losses in `class_losses`; what the
class losses share (their checked options, the reduction of their parts) is here.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

from .. import autograd, tracing
from .base import Any, Context, Function, call, is_tensor, np, per_term, register, value
from .elementwise import Sigmoid

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(op: str, reduction: str) -> None:
    """Raise unless `reduction` is one of "mean", "sum", "none"."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(op: str, terms: Any, reduction: str, count: int | None = None) -> Any:
    if reduction == "none":
        return terms
    total = np.add.reduce(terms, axis=None)
    if reduction == "sum":
        return total
    return total / (terms.size if count is None else count)


def _scale(grad: Any, reduction: str, n: int, axis: int | None = None) -> Any:
    """The output gradient as seen by each term: grad/n for "mean".

    With `axis`, the per-sample gradient of reduction "none" gets the class axis back.
    """
    if reduction == "mean":
        return grad / n
    if reduction == "none" and axis is not None:
        return np.expand_dims(grad, axis)
    return grad


def check_unit_interval(op: str, what: str, a: Any, hint: str = "") -> None:
    """Raise unless every element of `a` lies in [0, 1] (NaN included: it is outside)."""
    if a.size and not (_lowest(a, axis=None) >= 0 and _highest(a, axis=None) <= 1):
        bad = a[~((a >= 0) & (a <= 1))]
        raise ValueError(
            f"{op}: {what} must lie in [0, 1], found {bad.size} outside, "
            f"e.g. {float(bad.flat[0])}{hint}"
        )


_lowest, _highest = np.minimum.reduce, np.maximum.reduce

_CHECK_TARGETS = {
    op: functools.partial(check_unit_interval, op, "targets")
    for op in ("binary_cross_entropy", "binary_cross_entropy_with_logits")
}


_check_probs = functools.partial(
    check_unit_interval,
    "binary_cross_entropy",
    "probabilities",
    hint=" (use binary_cross_entropy_with_logits for raw scores)",
)


def _reduce_reference(terms: Any, reduction: str, n: int | None = None) -> Any:
    if reduction == "none":
        return terms
    return np.sum(terms) / (1 if reduction == "sum" else terms.size if n is None else n)


def _bce_reference(p: Any, y: Any, reduction: str) -> Any:
    return _reduce_reference(-(y * np.log(p) + (1 - y) * np.log(1 - p)), reduction)


# Like PyTorch's BCELoss, log-probabilities are clamped at -100 so that a probability of
# exactly 0 or 1 gives a large but finite loss instead of inf or NaN.
LOG_CLAMP = -100.0


def _clamped_logs(p: Any) -> tuple[Any, Any]:
    with tracing.errstate(divide="ignore"):  # log 0 = -inf is expected here: it is clamped
        return np.maximum(np.log(p), LOG_CLAMP), np.maximum(np.log1p(-p), LOG_CLAMP)


# PyTorch's floor on p(1-p) in BCELoss's gradient: 1e-12 as a float32, read as a double.
_BCE_EPS = float(np.float32(1e-12))


@register(
    "binary_cross_entropy",
    arity=2,
    domain=("unit", "unit"),
    kind="loss",
    reference=_bce_reference,
)
class BinaryCrossEntropy(Function):
    """J = -[y·ln p + (1-y)·ln(1-p)], logs clamped at -100, reduced; dJ/dp = (p-y)/(p(1-p)).

    As PyTorch's `BCELoss`, the denominator p(1-p) is kept at least 1e-12 (PyTorch's single-
    precision constant, 9.99999996e-13); the gradient with respect to a target that requires
    grad is PyTorch's too, −logit(p) = ln((1−p)/p), with the logs not clamped (±inf at p = 0
    or 1).
    """

    @staticmethod
    def forward(ctx: Context, p: Any, y: Any, reduction: str = "mean") -> Any:
        check_reduction("binary_cross_entropy", reduction)
        tracing.value_check(_CHECK_TARGETS["binary_cross_entropy"], y)
        tracing.value_check(_check_probs, p)
        logp, log1mp = _clamped_logs(p)
        ctx.save_for_backward(p, y, reduction)
        return _reduce("binary_cross_entropy", -(y * logp + (1.0 - y) * log1mp), reduction)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        p, y, reduction = ctx.saved
        scale = _scale(grad, reduction, p.size)
        np_, ny = ctx.needs_input_grad
        gp = gy = None
        if np_:
            gp = scale * (p - y) / np.maximum(p * (1.0 - p), _BCE_EPS)
        if ny:
            with tracing.errstate(divide="ignore"):
                gy = scale * -np.log(p / (1.0 - p))
        return gp, gy

    @staticmethod
    def formula(ctx: Context) -> tuple[str, str]:
        """dJ/dp and dJ/dy in explain's notation."""
        n = per_term(ctx.saved[2], ctx.saved[0].size)
        return "{g} ⊙ ({0} − {1})/({0} ⊙ (1 − {0}))" + n, "{g} ⊙ (log(1 − {0}) − log({0}))" + n


@register(
    "binary_cross_entropy_with_logits",
    arity=2,
    domain=("real", "unit"),
    kind="loss",
    reference=lambda z, y, reduction: _bce_reference(1 / (1 + np.exp(-z)), y, reduction),
)
class BinaryCrossEntropyWithLogits(Function):
    """J = max(z,0) - z·y + ln(1 + e^(-|z|)) = BCE(σ(z), y), reduced; dJ/dz = σ(z) - y.

    The sigmoid and the cross-entropy fused: no exp overflows and no log of 0 is taken, and the
    gradient is the tutorial's dZ2 = A2 - Y (divided by n for the mean).
    """

    @staticmethod
    def forward(ctx: Context, z: Any, y: Any, reduction: str = "mean") -> Any:
        check_reduction("binary_cross_entropy_with_logits", reduction)
        tracing.value_check(_CHECK_TARGETS["binary_cross_entropy_with_logits"], y)
        e = np.exp(-np.abs(z))  # e^(-|z|) <= 1: nothing overflows
        # σ(z) = 1/(1+e^-z) = e^z/(1+e^z), from e, for the backward's A2 - Y. The numerator is
        # 1 where z >= 0 and e where z < 0: max(sign z, e), as e lies in (0, 1] (NaN stays NaN).
        ctx.keep("sigmoid", np.maximum(np.sign(z), e) / (1.0 + e))
        terms = np.maximum(z, 0.0) - z * y
        terms += np.log1p(e)
        ctx.save_for_backward(z, y, reduction)
        return _reduce("binary_cross_entropy_with_logits", terms, reduction)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        z, y, reduction = ctx.saved
        scale = _scale(grad, reduction, z.size)
        nz, ny = ctx.needs_input_grad
        gz = gy = None
        if nz:
            sig = ctx.kept("sigmoid", lambda: call(Sigmoid, z))
            gz = (sig - y) * scale  # the tutorial's A2 - Y
        if ny:
            gy = z * -scale
        return gz, gy

    @staticmethod
    def formula(ctx: Context) -> tuple[str, str]:
        """dJ/dz and dJ/dy in explain's notation."""
        n = per_term(ctx.saved[2], ctx.saved[0].size)
        return "{g} ⊙ (σ({0}) − {1})" + n, "−{g} ⊙ {0}" + n


# ---------------------------------------------------------------------------- class losses


class ClassOptions(NamedTuple):
    """The class losses' options, checked: PyTorch's `weight`, `ignore_index`, `label_smoothing`.

    Attributes:
        weight: None, or one weight per class (a constant: no gradient flows to it).
        ignore_index: the target value whose samples count for nothing.
        smoothing: ε, the label smoothing in [0, 1] (0 for `nll_loss`).
    """

    weight: Any
    ignore_index: int
    smoothing: float


def check_class_options(
    op: str, weight: Any = None, ignore_index: Any = -100, label_smoothing: Any = 0.0
) -> ClassOptions:
    """The options of `cross_entropy` and `nll_loss` checked, the weight as an array.

    Class weights are constants, as in PyTorch's `nll_loss`: a weight that requires grad is
    refused rather than cut from the graph silently. Negative weights are used as given, as
    PyTorch does (the loss is then not bounded below, and the mean's divisor may vanish).

    Raises:
        TypeError: a weight that requires grad or does not hold real numbers, an ignore_index
            that is not an integer, a label_smoothing that is not a number.
        ValueError: a weight that is not 1-D, a label_smoothing outside [0, 1].
    """
    if weight is not None:
        if is_tensor(weight) and weight.requires_grad:
            raise TypeError(
                f"{op}: weight requires grad, but class weights are constants here "
                "(pass weight.detach())"
            )
        weight = np.asarray(value(weight))
        if weight.dtype.kind not in "iuf":
            raise TypeError(f"{op}: weight must hold real numbers, got dtype {weight.dtype}")
        if weight.ndim != 1:
            raise ValueError(f"{op}: weight must be 1-D, one per class, got shape {weight.shape}")
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer)):
        raise TypeError(f"{op}: ignore_index must be an integer, got {ignore_index!r}")
    eps = label_smoothing
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: label_smoothing must be a number, got {eps!r}")
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"{op}: label_smoothing must lie in [0, 1], got {eps}")
    return ClassOptions(weight, int(ignore_index), float(eps))


def reduce_parts(parts: list[tuple[float, Any]], reduction: str, divisor: Any) -> Any:
    """Σ_k c_k·reduce(terms_k), the mean dividing each part's sum by `divisor`, as PyTorch does.

    The division is IEEE's, with no warning: 0/0 is NaN (the mean of a batch of ignored
    targets), x/0 is ±inf.
    """
    out: Any = None
    for coef, terms in parts:
        part = terms if reduction == "none" else np.add.reduce(terms, axis=None)
        if reduction == "mean":
            with tracing.errstate(divide="ignore", invalid="ignore"):
                part = part / divisor
        part = part if coef == 1.0 else coef * part
        out = part if out is None else out + part
    return out


def class_options(
    op: str, x: Any, axis: int, weight: Any, ignore_index: Any, eps: Any
) -> ClassOptions:
    """`check_class_options` for the input x: one weight per class, in x's dtype."""
    opts = check_class_options(op, weight, ignore_index, eps)
    w = opts.weight
    if w is None:
        return opts
    if w.shape[0] != x.shape[axis]:
        raise ValueError(
            f"{op}: weight has {w.shape[0]} entries for {x.shape[axis]} classes (one per class)"
        )
    return opts._replace(weight=w.astype(x.dtype, copy=False))


def along_classes(w: Any, axis: int, ndim: int) -> Any:
    """Class weights shaped to broadcast along the class axis."""
    return np.reshape(w, (-1,) + (1,) * (ndim - axis - 1))


def smoothed(t: Any, opts: ClassOptions, axis: int) -> Any:
    """The target probabilities t smoothed, then weighted by class: a = w ⊙ ((1 − ε)·t + ε/C)."""
    eps, w = opts.smoothing, opts.weight
    a = t * (1.0 - eps) + eps / t.shape[axis] if eps else t
    return a if w is None else a * along_classes(w, axis, t.ndim)


# ---------------------------------------------------------------------------- wrappers


def _target(t: Any, like: Any, keep_int: bool = False) -> Any:
    """A loss target as a Tensor: arrays and lists are wrapped (floats in the input's dtype)."""
    if hasattr(t, "_ctx"):
        return t
    arr = np.asarray(t)
    if not (keep_int and arr.dtype.kind in "iu"):
        arr = arr.astype(like.dtype)
    return autograd._make_tensor(arr, False, None)


def _same_shape(name: str, inputs: Any, targets: Any) -> None:
    if inputs.shape != targets.shape:
        raise ValueError(
            f"{name}: input shape {inputs.shape} and target shape {targets.shape} differ; "
            "targets must have exactly the input's shape"
        )
    if inputs.size == 0:
        raise ValueError(f"{name}: empty input (shape {inputs.shape})")


def binary_cross_entropy(probs: Any, targets: Any, reduction: str = "mean") -> Any:
    """The tutorial's cost: J = -[y·ln p + (1-y)·ln(1-p)], the mean over all elements by default.

    As in PyTorch's `BCELoss`, each log is clamped at -100, so a probability of exactly 0 or 1
    gives a large but finite loss (at most 100 per element) rather than inf or NaN. When p
    saturates (σ(z) rounds to exactly 0 or 1) the gradient through a sigmoid is exactly 0:
    use `binary_cross_entropy_with_logits` on the logits, whose gradient is σ(z) - y.

    Args:
        probs: probabilities in [0, 1], e.g. the sigmoid output A2.
        targets: labels in [0, 1] of the same shape.
        reduction: "mean", "sum" or "none".

    Raises:
        ValueError: shapes differ, targets or probs lie outside [0, 1], or a bad reduction.
    """
    y = _target(targets, probs)
    _same_shape("binary_cross_entropy", probs, y)
    return BinaryCrossEntropy.apply(probs, y, reduction=reduction)


def binary_cross_entropy_with_logits(logits: Any, targets: Any, reduction: str = "mean") -> Any:
    """BCE of σ(z) fused with the sigmoid: J = max(z,0) - z·y + ln(1 + e^(-|z|)).

    Finite loss and gradient for any finite logits (even ±1000); the gradient is σ(z) - y,
    the tutorial's dZ2 = A2 - Y (divided by n for the mean).

    Raises:
        ValueError: shapes differ, targets lie outside [0, 1], or a bad reduction.
    """
    y = _target(targets, logits)
    _same_shape("binary_cross_entropy_with_logits", logits, y)
    return BinaryCrossEntropyWithLogits.apply(logits, y, reduction=reduction)
