"""Fused, numerically stable losses and the softmax family.

Each loss is one op so that its gradient is the hand derivation's closed form (dZ = A - Y for
the sigmoid and softmax cross-entropies) instead of the product of its pieces' derivatives.
`reduction` is "mean" (over every element, or every sample for the class losses), "sum" or
"none", as in PyTorch.
"""

from __future__ import annotations

import functools

from .. import autograd, tracing
from .base import Any, Context, Function, call, np, per_term, register, value
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


def _pick(x: Any, target: Any, axis: int) -> Any:
    """X at each sample's target class (the class axis removed)."""
    return np.squeeze(np.take_along_axis(x, np.expand_dims(target, axis), axis), axis=axis)


def check_unit_interval(op: str, what: str, a: Any, hint: str = "") -> None:
    """Raise unless every element of `a` lies in [0, 1] (NaN included: it is outside)."""
    if a.size and not (
        np.minimum.reduce(a, axis=None) >= 0 and np.maximum.reduce(a, axis=None) <= 1
    ):
        bad = a[~((a >= 0) & (a <= 1))]
        raise ValueError(
            f"{op}: {what} must lie in [0, 1], found {bad.size} outside, "
            f"e.g. {float(bad.flat[0])}{hint}"
        )


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


def _cross_entropy_reference(x: Any, t: Any, reduction: str, dim: int) -> Any:
    logp = x - np.log(np.sum(np.exp(x), axis=dim, keepdims=True))
    if t.dtype.kind in "iu":
        t = np.moveaxis(np.eye(x.shape[dim])[t], -1, dim)
    terms = -np.sum(t * logp, axis=dim)
    return _reduce_reference(terms, reduction, terms.size)


def _nll_reference(x: Any, t: Any, reduction: str, dim: int) -> Any:
    onehot = np.moveaxis(np.eye(x.shape[dim])[t], -1, dim)
    terms = -np.sum(onehot * x, axis=dim)
    return _reduce_reference(terms, reduction, terms.size)


# Like PyTorch's BCELoss, log-probabilities are clamped at -100 so that a probability of
# exactly 0 or 1 gives a large but finite loss instead of inf or NaN.
LOG_CLAMP = -100.0


def _clamped_logs(p: Any) -> tuple[Any, Any]:
    with tracing.errstate(divide="ignore"):  # log 0 = -inf is expected here: it is clamped
        return np.maximum(np.log(p), LOG_CLAMP), np.maximum(np.log1p(-p), LOG_CLAMP)


@register(
    "binary_cross_entropy",
    arity=2,
    domain=("unit", "unit"),
    kind="loss",
    reference=_bce_reference,
)
class BinaryCrossEntropy(Function):
    """J = -[y·ln p + (1-y)·ln(1-p)], logs clamped at -100, reduced; dJ/dp = (p-y)/(p(1-p)).

    As PyTorch's `BCELoss`, the denominator p(1-p) is kept at least 1e-12.
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
            gp = scale * (p - y) / np.maximum(p * (1.0 - p), 1e-12)
        if ny:
            logp, log1mp = _clamped_logs(p)
            gy = scale * (log1mp - logp)
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
        # σ(z) = 1/(1+e^-z) = e^z/(1+e^z), from e, for the backward's A2 - Y
        ctx.keep("sigmoid", np.where(z >= 0, 1.0, e) / (1.0 + e))
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


def _softmax(x: Any, axis: int) -> Any:
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.add.reduce(e, axis=axis, keepdims=True)


def _log_softmax(x: Any, axis: int) -> Any:
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.add.reduce(np.exp(shifted), axis=axis, keepdims=True))


def _axis(op: str, dim: int, ndim: int) -> int:
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise ValueError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dimension(s)")
    return dim % ndim if ndim else 0


@register(
    "softmax",
    arity=1,
    kind="softmax",
    reference=lambda x, dim: np.exp(x) / np.sum(np.exp(x), axis=dim, keepdims=True),
)
class Softmax(Function):
    """y = e^x / Σ e^x along `dim` (shifted by the max: no overflow); dy = y ⊙ (g - Σ g·y)."""

    @staticmethod
    def forward(ctx: Context, x: Any, dim: int = -1) -> Any:
        axis = _axis("softmax", dim, x.ndim)
        y = _softmax(x, axis) if x.ndim else np.ones_like(x)
        ctx.save_for_backward(y, axis)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        y, axis = ctx.saved
        if y.ndim == 0:
            return (grad * 0.0,)
        return (y * (grad - np.add.reduce(grad * y, axis=axis, keepdims=True)),)

    formula = ("{out} ⊙ ({g} − Σ_classes {g} ⊙ {out})",)


@register(
    "log_softmax",
    arity=1,
    kind="softmax",
    reference=lambda x, dim: x - np.log(np.sum(np.exp(x), axis=dim, keepdims=True)),
)
class LogSoftmax(Function):
    """y = x - ln Σ e^x along `dim`, stable for any finite x; dy = g - e^y·Σ g."""

    @staticmethod
    def forward(ctx: Context, x: Any, dim: int = -1) -> Any:
        axis = _axis("log_softmax", dim, x.ndim)
        y = _log_softmax(x, axis) if x.ndim else np.zeros_like(x)
        ctx.save_for_backward(y, axis)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        y, axis = ctx.saved
        if y.ndim == 0:
            return (grad * 0.0,)
        return (grad - np.exp(y) * np.add.reduce(grad, axis=axis, keepdims=True),)

    formula = ("{g} − exp({out}) ⊙ Σ_classes {g}",)


def _check_classes(op: str, target: Any, n_classes: int) -> None:
    if target.size and (np.min(target) < 0 or np.max(target) >= n_classes):
        bad = target[(target < 0) | (target >= n_classes)]
        raise IndexError(
            f"{op}: target class {int(bad.flat[0])} is out of range for {n_classes} classes"
        )


def one_hot(target: Any, n_classes: int, axis: int, dtype: Any) -> Any:
    """The one-hot encoding of class indices, with the classes along `axis`."""
    classes = np.arange(n_classes).reshape((n_classes,) + (1,) * (target.ndim - axis))
    return (np.expand_dims(target, axis) == classes).astype(dtype)


def _class_layout(op: str, x: Any, target: Any, dim: int) -> tuple[int, bool]:
    """The class axis of `x`, and whether `target` holds class indices (else probabilities)."""
    if x.ndim == 0:
        raise ValueError(f"{op}: input must have a class dimension, got a 0-d tensor")
    axis = _axis(op, dim, x.ndim)
    if target.dtype.kind in "iu":
        expected = x.shape[:axis] + x.shape[axis + 1 :]
        if target.shape != expected:
            raise ValueError(
                f"{op}: class-index targets of shape {target.shape} do not match input of "
                f"shape {x.shape} (expected {expected}, the input without its class dim {dim})"
            )
        return axis, True
    if target.dtype.kind != "f" or target.shape != x.shape:
        raise ValueError(
            f"{op}: targets must be class indices (an integer tensor of shape "
            f"{x.shape[:axis] + x.shape[axis + 1 :]}) or probabilities of the input's shape "
            f"{x.shape}, got dtype {target.dtype} and shape {target.shape}"
        )
    return axis, False


def _samples(x: Any, axis: int) -> int:
    return x.size // x.shape[axis] if x.shape[axis] else 0


@register(
    "cross_entropy",
    arity=2,
    domain=("real", "classes"),
    kind="classify",
    reference=_cross_entropy_reference,
)
class CrossEntropy(Function):
    """J = -Σ_c t_c·ln softmax(x)_c per sample, reduced; dJ/dx = softmax(x)·Σ t - t.

    Targets are class indices (t one-hot: dJ/dx = softmax(x) - onehot, the hand derivation's
    dZ = A - Y) or probabilities along the class dim `dim` (1 by default, as PyTorch; use 0
    for the course's column layout). "mean" divides by the number of samples.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, target: Any, reduction: str = "mean", dim: int = 1) -> Any:
        check_reduction("cross_entropy", reduction)
        axis, indices = _class_layout("cross_entropy", x, target, dim)
        logp = _log_softmax(x, axis)
        if indices:
            tracing.value_check(lambda t: _check_classes("cross_entropy", t, x.shape[axis]), target)
            terms = -_pick(logp, target, axis)
        else:
            terms = -np.add.reduce(target * logp, axis=axis)
        ctx.save_for_backward(x, target, reduction, axis, indices)
        return _reduce("cross_entropy", terms, reduction, _samples(x, axis))

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        x, target, reduction, axis, indices = ctx.saved
        scale = _scale(grad, reduction, _samples(x, axis), axis)
        if indices:
            onehot = one_hot(value(target), x.shape[axis], axis, value(x).dtype)
            return (call(Softmax, x, dim=axis) - onehot) * scale, None
        nx, nt = ctx.needs_input_grad
        gx = gt = None
        if nx:
            total = np.add.reduce(target, axis=axis, keepdims=True)
            gx = (call(Softmax, x, dim=axis) * total - target) * scale
        if nt:
            gt = -call(LogSoftmax, x, dim=axis) * scale
        return gx, gt

    @staticmethod
    def formula(ctx: Context) -> tuple[str, str | None]:
        """dJ/dx (and dJ/dt for probability targets) in explain's notation."""
        x, _, reduction, axis, indices = ctx.saved
        n = per_term(reduction, _samples(x, axis))
        if indices:
            return "{g} ⊙ (softmax({0}) − onehot({1}))" + n, None
        return "{g} ⊙ (softmax({0}) ⊙ Σ_classes {1} − {1})" + n, "−{g} ⊙ log_softmax({0})" + n


@register(
    "nll_loss",
    arity=2,
    domain=("log_probs", "classes"),
    kind="classify",
    reference=_nll_reference,
)
class NLLLoss(Function):
    """J = -ln p[target] per sample (input: log-probabilities), reduced; dJ/dx = -onehot."""

    @staticmethod
    def forward(ctx: Context, x: Any, target: Any, reduction: str = "mean", dim: int = 1) -> Any:
        check_reduction("nll_loss", reduction)
        axis, indices = _class_layout("nll_loss", x, target, dim)
        if not indices:
            raise TypeError(f"nll_loss: targets must be class indices, got dtype {target.dtype}")
        tracing.value_check(lambda t: _check_classes("nll_loss", t, x.shape[axis]), target)
        ctx.save_for_backward(target, x.shape, x.dtype, reduction, axis)
        return _reduce("nll_loss", -_pick(x, target, axis), reduction, _samples(x, axis))

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, None]:
        target, shape, dtype, reduction, axis = ctx.saved
        n = (int(np.prod(shape)) // shape[axis]) if shape[axis] else 0
        scale = _scale(grad, reduction, n, axis)
        onehot = one_hot(value(target), shape[axis], axis, dtype)
        return -onehot * scale, None

    @staticmethod
    def formula(ctx: Context) -> tuple[str, None]:
        """dJ/dx in explain's notation."""
        _, shape, _, reduction, axis = ctx.saved
        n = int(np.prod(shape)) // shape[axis] if shape[axis] else 0
        return "−{g} ⊙ onehot({1})" + per_term(reduction, n), None


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


def cross_entropy(logits: Any, target: Any, reduction: str = "mean", dim: int = 1) -> Any:
    """Softmax cross-entropy fused with the softmax, as PyTorch's `cross_entropy`.

    Args:
        logits: raw scores with the classes along `dim` (shape (N, C) by default).
        target: class indices (an integer tensor shaped like `logits` without `dim`) or
            probabilities of `logits`' shape.
        reduction: "mean" (over samples), "sum" or "none".
        dim: the class dim: 1 as in PyTorch, 0 for the course's column layout (C, m).

    Returns:
        The loss; its gradient is (softmax(logits) - onehot(target)) / N for the mean.
    """
    return CrossEntropy.apply(
        logits, _target(target, logits, keep_int=True), reduction=reduction, dim=dim
    )


def nll_loss(log_probs: Any, target: Any, reduction: str = "mean", dim: int = 1) -> Any:
    """Negative log-likelihood of class indices given log-probabilities (e.g. `log_softmax`)."""
    return NLLLoss.apply(
        log_probs, _target(target, log_probs, keep_int=True), reduction=reduction, dim=dim
    )
