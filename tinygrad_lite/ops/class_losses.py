"""The class losses: cross_entropy and nll_loss, with PyTorch's options.

`cross_entropy` is one op fused with the softmax, so that its gradient is the hand derivation's
closed form softmax(z) - onehot (divided by the number of samples for the mean). Both class
losses take PyTorch's options: class weights, an ignored target value and, for
`cross_entropy`, label smoothing.
"""

from __future__ import annotations

from .. import tracing
from .base import Any, Context, Function, call, np, per_term, register, value
from .classify import LogSoftmax, Softmax, _axis, _log_softmax
from .losses import (
    ClassOptions,
    _reduce_reference,
    _scale,
    _target,
    along_classes,
    check_class_options,
    check_reduction,
    class_options,
    reduce_parts,
    smoothed,
)


def _pick(x: Any, target: Any, axis: int) -> Any:
    """X at each sample's target class (the class axis removed)."""
    return np.squeeze(np.take_along_axis(x, np.expand_dims(target, axis), axis), axis=axis)


def _reference_weights(x: Any, t: Any, dim: int, weight: Any, ignore_index: int) -> Any:
    """One-hot targets, class weights along `dim`, the kept samples and each one's weight."""
    c = x.shape[dim]
    w = np.ones(c) if weight is None else np.asarray(weight, dtype=np.float64)
    keep = t != ignore_index
    safe = np.where(keep, t, 0)
    onehot = np.moveaxis(np.eye(c)[safe], -1, dim)
    return onehot, w.reshape((c,) + (1,) * (x.ndim - dim - 1)), keep, w[safe] * keep


def _cross_entropy_reference(
    x: Any,
    t: Any,
    reduction: str,
    dim: int,
    weight: Any = None,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
) -> Any:
    c, eps = x.shape[dim], label_smoothing
    logp = x - np.log(np.sum(np.exp(x), axis=dim, keepdims=True))
    if t.dtype.kind in "iu":
        onehot, w, keep, wt = _reference_weights(x, t, dim, weight, ignore_index)
        nll = -np.sum(onehot * w * logp, axis=dim) * keep
        smooth = -np.sum(w * logp, axis=dim) * keep
        return (1 - eps) * _reduce_reference(nll, reduction, np.sum(wt)) + (
            eps / c
        ) * _reduce_reference(smooth, reduction, np.sum(wt))
    w = 1.0 if weight is None else np.reshape(weight, (c,) + (1,) * (x.ndim - dim - 1))
    terms = -np.sum(w * ((1 - eps) * t + eps / c) * logp, axis=dim)
    return _reduce_reference(terms, reduction, terms.size)


def _nll_reference(
    x: Any, t: Any, reduction: str, dim: int, weight: Any = None, ignore_index: int = -100
) -> Any:
    onehot, _, _, wt = _reference_weights(x, t, dim, weight, ignore_index)
    terms = -np.sum(onehot * x, axis=dim) * wt
    return _reduce_reference(terms, reduction, np.sum(wt))


def _check_classes(op: str, target: Any, n_classes: int, ignore_index: int) -> None:
    if not target.size or (np.min(target) >= 0 and np.max(target) < n_classes):
        return
    bad = target[((target < 0) | (target >= n_classes)) & (target != ignore_index)]
    if bad.size:
        raise IndexError(
            f"{op}: target class {int(bad.flat[0])} is out of range for {n_classes} classes "
            f"(class indices lie in [0, {n_classes}), or equal ignore_index={ignore_index})"
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


def _counted(target: Any, opts: ClassOptions, dtype: Any) -> tuple[Any, Any, Any]:
    """For class indices: which samples count, the weight of each and their sum.

    A sample weighs w[t] (1 without class weights), 0 when its target is ignore_index; the
    mean divides by the sum of the weights, as PyTorch does.
    """
    counted = target != opts.ignore_index
    if opts.weight is None:
        weights = counted.astype(dtype)
    else:
        # w[t], with the targets as the indexing argument (np.take would not follow a trace)
        safe = np.where(counted, target, 0)
        picked = np.take_along_axis(opts.weight, np.reshape(safe, -1), axis=0)
        weights = np.where(counted, np.reshape(picked, np.shape(safe)), 0)
    return counted, weights, np.add.reduce(weights, axis=None)


def _target_terms(
    logp: Any, target: Any, opts: ClassOptions, axis: int, dtype: Any
) -> tuple[Any, Any, Any]:
    """-w[t]·logp[t] per sample (0 where the target is ignored), the counted mask, the divisor."""
    counted, weights, divisor = _counted(target, opts, dtype)
    safe = np.where(counted, target, 0)
    return weights * -_pick(logp, safe, axis), counted, divisor


def _check_targets(op: str, target: Any, opts: ClassOptions, n_classes: int) -> None:
    ignore = opts.ignore_index
    tracing.value_check(lambda t: _check_classes(op, t, n_classes, ignore), target)


def _with_class_axis(a: Any, axis: int) -> Any:
    """A per-sample array with the class axis put back, of size 1."""
    return a.reshape(a.shape[:axis] + (1,) + a.shape[axis:])


def sample_shares(
    grad: Any, target: Any, opts: ClassOptions, reduction: str, axis: int, dtype: Any
) -> Any:
    """The output gradient as each sample's terms see it, the class axis kept (of size 1).

    grad/D for the mean, grad for "sum" and "none"; 0 for an ignored sample. Without class
    weights D counts the samples, 0 only when none counts; with them 1/D is IEEE's (±inf at
    D = 0, which PyTorch's gradient has too).
    """
    counted, weights, divisor = _counted(_with_class_axis(value(target), axis), opts, dtype)
    if reduction == "mean" and opts.weight is None:
        share = weights / np.maximum(divisor, 1)
    elif reduction == "mean":
        with tracing.errstate(divide="ignore"):
            share = np.where(counted, 1 / divisor, 0)
    else:
        share = counted
    return (_with_class_axis(grad, axis) if reduction == "none" else grad) * share


def _notation(
    opts: ClassOptions, t: str, c: int, reduction: str, target: Any, dtype: Any
) -> tuple[str, str]:
    """The smoothed, weighted target, and the ignored mask and mean's divisor, for explain."""
    if opts.smoothing:
        t = f"({1 - opts.smoothing:.6g} ⊙ {t} + {opts.smoothing / c:.6g})"
    if opts.weight is not None:
        t = f"weight ⊙ {t}"
    if target.dtype.kind not in "iu":  # probabilities: the mean is over the samples
        n = target.size // c if c else 0
        return t, per_term(reduction, n)
    counted, _, divisor = _counted(target, opts, dtype)
    after = "" if np.all(counted) else f" ⊙ [{{1}} ≠ {opts.ignore_index}]"
    if reduction == "mean" and opts.weight is None:
        after += per_term(reduction, int(divisor))
    elif reduction == "mean":
        after += f"/{float(divisor):.6g}"
    return t, after


# ---------------------------------------------------------------------------- the ops


@register(
    "cross_entropy",
    arity=2,
    domain=("real", "classes"),
    kind="classify",
    reference=_cross_entropy_reference,
)
class CrossEntropy(Function):
    """J = -Σ_c a_c·ln softmax(x)_c per sample, reduced; dJ/dx = softmax(x)·Σ_c a - a.

    a = w ⊙ ((1 - ε)·t + ε/C): the target distribution t (one-hot for class indices: the hand
    derivation's dZ = A - Y) smoothed by ε, weighted by the class weights w (1 by default).
    For class indices a target equal to `ignore_index` counts for nothing and "mean" divides
    by the sum of the counted targets' weights; for probabilities by the number of samples.
    """

    @staticmethod
    def forward(
        ctx: Context,
        x: Any,
        target: Any,
        reduction: str = "mean",
        dim: int = 1,
        weight: Any = None,
        ignore_index: int = -100,
        label_smoothing: float = 0.0,
    ) -> Any:
        op = "cross_entropy"
        check_reduction(op, reduction)
        axis, indices = _class_layout(op, x, target, dim)
        opts = class_options(op, x, axis, weight, ignore_index, label_smoothing)
        logp = _log_softmax(x, axis)
        if not indices:
            if opts.ignore_index >= 0:  # as PyTorch: it could be mistaken for a class
                raise ValueError(
                    f"{op}: ignore_index {opts.ignore_index} applies to class indices; "
                    "probability targets accept only a negative one"
                )
            ctx.save_for_backward(x, target, reduction, axis, opts)
            terms = -np.add.reduce(smoothed(target, opts, axis) * logp, axis=axis)
            return reduce_parts([(1.0, terms)], reduction, _samples(x, axis))
        _check_targets(op, target, opts, x.shape[axis])
        ctx.save_for_backward(x, target, reduction, axis, opts)
        nll, counted, divisor = _target_terms(logp, target, opts, axis, x.dtype)
        eps = opts.smoothing
        if not eps:
            return reduce_parts([(1.0, nll)], reduction, divisor)
        # PyTorch's (1 - ε)·nll + ε/C·Σ_c w_c·(-ln p_c), the two parts reduced apart
        wlogp = logp if opts.weight is None else logp * along_classes(opts.weight, axis, x.ndim)
        smooth = np.where(counted, -np.add.reduce(wlogp, axis=axis), 0)
        return reduce_parts([(1.0 - eps, nll), (eps / x.shape[axis], smooth)], reduction, divisor)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        x, target, reduction, axis, opts = ctx.saved
        eps, w = opts.smoothing, opts.weight
        if value(target).dtype.kind not in "iu":  # probabilities: every sample counts
            scale = _scale(grad, reduction, _samples(x, axis), axis)
            nx, nt = ctx.needs_input_grad
            gx = gt = None
            if nx:
                a = smoothed(target, opts, axis)
                total = np.add.reduce(a, axis=axis, keepdims=True)
                gx = (call(Softmax, x, dim=axis) * total - a) * scale
            if nt:
                coef = 1.0 - eps if w is None else along_classes(w, axis, x.ndim) * (1.0 - eps)
                gt = -call(LogSoftmax, x, dim=axis) * coef * scale
            return gx, gt
        scale = sample_shares(grad, target, opts, reduction, axis, value(x).dtype)
        if w is None and not eps:
            onehot = one_hot(value(target), x.shape[axis], axis, value(x).dtype)
            return (call(Softmax, x, dim=axis) - onehot) * scale, None
        # d = dJ/d ln p = -a·scale, then through log_softmax: dx = d - softmax(x)·Σ_c d. The
        # one-hot part is exactly 0 off the target, as in PyTorch, so that a mean's divisor of
        # 0 gives PyTorch's NaN and inf (0·∞ from a weight of 0: NaN, with no warning).
        at_target = one_hot(value(target), x.shape[axis], axis, bool)
        w = 1.0 if w is None else along_classes(w, axis, x.ndim)
        with tracing.errstate(invalid="ignore"):
            d = np.where(at_target, w * -(1.0 - eps) * scale, 0)
            if eps:
                d = d - w * (eps / x.shape[axis]) * scale
            return d - call(Softmax, x, dim=axis) * np.add.reduce(d, axis=axis, keepdims=True), None

    @staticmethod
    def formula(ctx: Context) -> tuple[str, str | None]:
        """dJ/dx (and dJ/dt for probability targets) in explain's notation."""
        x, target, reduction, axis, opts = ctx.saved
        indices = target.dtype.kind in "iu"
        t = "onehot({1})" if indices else "{1}"
        a, after = _notation(opts, t, x.shape[axis], reduction, target, x.dtype)
        if a == "onehot({1})":
            return "{g} ⊙ (softmax({0}) − onehot({1}))" + after, None
        summed = a if a == "{1}" else f"({a})"
        gx = f"{{g}} ⊙ (softmax({{0}}) ⊙ Σ_classes {summed} − {a})" + after
        if indices:
            return gx, None
        coef = f"{1 - opts.smoothing:.6g} ⊙ " if opts.smoothing else ""
        coef += "weight ⊙ " if opts.weight is not None else ""
        return gx, f"−{{g}} ⊙ {coef}log_softmax({{0}})" + after


@register(
    "nll_loss",
    arity=2,
    domain=("log_probs", "classes"),
    kind="classify",
    reference=_nll_reference,
)
class NLLLoss(Function):
    """J = -w[t]·x[t] per sample (input: log-probabilities), reduced; dJ/dx = -w[t]·onehot.

    w are the class weights (1 by default); a target equal to `ignore_index` counts for
    nothing, and "mean" divides by the sum of the counted targets' weights, as PyTorch does.
    """

    @staticmethod
    def forward(
        ctx: Context,
        x: Any,
        target: Any,
        reduction: str = "mean",
        dim: int = 1,
        weight: Any = None,
        ignore_index: int = -100,
    ) -> Any:
        check_reduction("nll_loss", reduction)
        axis, indices = _class_layout("nll_loss", x, target, dim)
        if not indices:
            raise TypeError(f"nll_loss: targets must be class indices, got dtype {target.dtype}")
        opts = class_options("nll_loss", x, axis, weight, ignore_index, 0.0)
        _check_targets("nll_loss", target, opts, x.shape[axis])
        ctx.save_for_backward(target, x.shape, x.dtype, reduction, axis, opts)
        nll, _, divisor = _target_terms(x, target, opts, axis, x.dtype)
        return reduce_parts([(1.0, nll)], reduction, divisor)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, None]:
        target, shape, dtype, reduction, axis, opts = ctx.saved
        scale = sample_shares(grad, target, opts, reduction, axis, dtype)
        if opts.weight is not None:
            with tracing.errstate(invalid="ignore"):  # 0·∞ (a weight of 0, D = 0): NaN
                scale = scale * along_classes(opts.weight, axis, len(shape))
        # -w[t]·g/D at the target class, exactly 0 elsewhere (as in PyTorch, also if D = 0)
        return np.where(one_hot(value(target), shape[axis], axis, bool), -scale, 0), None

    @staticmethod
    def formula(ctx: Context) -> tuple[str, None]:
        """dJ/dx in explain's notation."""
        target, shape, dtype, reduction, axis, opts = ctx.saved
        a, after = _notation(opts, "onehot({1})", shape[axis], reduction, target, dtype)
        return f"−{{g}} ⊙ {a}" + after, None


# ---------------------------------------------------------------------------- wrappers


def cross_entropy(
    logits: Any,
    target: Any,
    reduction: str = "mean",
    dim: int = 1,
    *,
    weight: Any = None,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
) -> Any:
    """Softmax cross-entropy fused with the softmax, as PyTorch's `cross_entropy`.

    Per sample J = -Σ_c a_c·ln softmax(logits)_c, a = w ⊙ ((1 - ε)·t + ε/C), with t the
    one-hot of the class index (or the given probabilities), w the class weights and ε the
    label smoothing: for a class index, (1 - ε)·w[t]·(-ln p_t) + ε/C·Σ_c w_c·(-ln p_c).

    Args:
        logits: raw scores with the classes along `dim` (shape (N, C) by default).
        target: class indices (an integer tensor shaped like `logits` without `dim`) or
            probabilities of `logits`' shape.
        reduction: "mean", "sum" or "none". For class indices the mean divides by the sum of
            w[t] over the targets not ignored (their number without `weight`), as PyTorch
            does: all of them ignored gives 0/0 = NaN. For probabilities it divides by the
            number of samples.
        dim: the class dim: 1 as in PyTorch, 0 for the course's column layout (C, m). A 1-D
            `logits` is one unbatched sample, as in PyTorch: its classes are dim 0 and its
            target a 0-d class index (or C probabilities).
        weight: C class weights, real numbers, cast to `logits`' dtype (PyTorch wants that
            dtype); negative ones are used as given, as in PyTorch. A constant: a Tensor
            that requires grad is refused.
        ignore_index: a sample whose target equals it adds 0 to the loss and gets a zero
            gradient; every other class index must lie in [0, C). Probability targets
            accept only a negative one (which has no effect), as in PyTorch.
        label_smoothing: ε in [0, 1]: the target distribution becomes (1 - ε)·t + ε/C.

    Returns:
        The loss. Without options its gradient is (softmax(logits) - onehot(target)) / N for
        the mean; in general (softmax(logits)·Σ_c a - a) / D, D the mean's divisor.

    Raises:
        IndexError: a class index outside [0, C) that is not `ignore_index`.
        TypeError, ValueError: a bad option or target (the message names it).
    """
    dim = _unbatched(logits, dim)
    opts = check_class_options("cross_entropy", weight, ignore_index, label_smoothing)
    return CrossEntropy.apply(
        logits,
        _target(target, logits, keep_int=True),
        reduction=reduction,
        dim=dim,
        weight=opts.weight,
        ignore_index=opts.ignore_index,
        label_smoothing=opts.smoothing,
    )


def nll_loss(
    log_probs: Any,
    target: Any,
    reduction: str = "mean",
    dim: int = 1,
    *,
    weight: Any = None,
    ignore_index: int = -100,
) -> Any:
    """Negative log-likelihood of class indices given log-probabilities (e.g. `log_softmax`).

    Per sample J = -w[t]·log_probs[t], with `weight` and `ignore_index` as for
    `cross_entropy`: "mean" divides by the sum of the counted targets' weights, and all
    targets ignored gives NaN. A 1-D `log_probs` is one unbatched sample.
    """
    dim = _unbatched(log_probs, dim)
    opts = check_class_options("nll_loss", weight, ignore_index)
    return NLLLoss.apply(
        log_probs,
        _target(target, log_probs, keep_int=True),
        reduction=reduction,
        dim=dim,
        weight=opts.weight,
        ignore_index=opts.ignore_index,
    )


def _unbatched(scores: Any, dim: int) -> int:
    """The class dim: 0 for PyTorch's unbatched input, a 1-D tensor of C scores (dim 1)."""
    v = value(scores)
    return 0 if dim == 1 and (v.ndim if hasattr(v, "ndim") else np.ndim(v)) == 1 else dim
