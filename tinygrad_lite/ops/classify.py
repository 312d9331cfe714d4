"""The softmax family and the class losses: softmax, log_softmax, cross_entropy, nll_loss.

`cross_entropy` is one op fused with the softmax, so that its gradient is the hand derivation's
closed form softmax(z) - onehot (divided by the number of samples for the mean).
"""

from __future__ import annotations

from .. import tracing
from .base import Any, Context, FloatFunction, Function, call, np, per_term, register, value
from .losses import _reduce, _reduce_reference, _scale, _target, check_reduction


def _pick(x: Any, target: Any, axis: int) -> Any:
    """X at each sample's target class (the class axis removed)."""
    return np.squeeze(np.take_along_axis(x, np.expand_dims(target, axis), axis), axis=axis)


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
class Softmax(FloatFunction):
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
class LogSoftmax(FloatFunction):
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


def cross_entropy(logits: Any, target: Any, reduction: str = "mean", dim: int = 1) -> Any:
    """Softmax cross-entropy fused with the softmax, as PyTorch's `cross_entropy`.

    Args:
        logits: raw scores with the classes along `dim` (shape (N, C) by default).
        target: class indices (an integer tensor shaped like `logits` without `dim`) or
            probabilities of `logits`' shape.
        reduction: "mean" (over samples), "sum" or "none".
        dim: the class dim: 1 as in PyTorch, 0 for the course's column layout (C, m). A 1-D
            `logits` is one unbatched sample, as in PyTorch: its classes are dim 0 and its
            target a 0-d class index (or C probabilities).

    Returns:
        The loss; its gradient is (softmax(logits) - onehot(target)) / N for the mean.
    """
    dim = _unbatched(logits, dim)
    return CrossEntropy.apply(
        logits, _target(target, logits, keep_int=True), reduction=reduction, dim=dim
    )


def nll_loss(log_probs: Any, target: Any, reduction: str = "mean", dim: int = 1) -> Any:
    """Negative log-likelihood of class indices given log-probabilities (e.g. `log_softmax`).

    A 1-D `log_probs` is one unbatched sample, as for `cross_entropy`.
    """
    dim = _unbatched(log_probs, dim)
    return NLLLoss.apply(
        log_probs, _target(target, log_probs, keep_int=True), reduction=reduction, dim=dim
    )


def _unbatched(scores: Any, dim: int) -> int:
    """The class dim: 0 for PyTorch's unbatched input, a 1-D tensor of C scores (dim 1)."""
    v = value(scores)
    return 0 if dim == 1 and (v.ndim if hasattr(v, "ndim") else np.ndim(v)) == 1 else dim
