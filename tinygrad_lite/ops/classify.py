"""The softmax family: softmax and log_softmax along a dim, as PyTorch's.

The class losses built on them (cross_entropy, nll_loss) are in `class_losses`.
"""

from __future__ import annotations

from .base import Any, Context, FloatFunction, np, register


def _softmax(x: Any, axis: int) -> Any:
    if x.size == 0:  # (no maximum to shift by) empty in, empty out, as PyTorch
        return np.zeros_like(x)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.add.reduce(e, axis=axis, keepdims=True)


def _log_softmax(x: Any, axis: int) -> Any:
    if x.size == 0:
        return np.zeros_like(x)
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
        # a single element: 1, or NaN where x is not finite (∞ − ∞, as PyTorch)
        y = _softmax(x, axis) if x.ndim else np.where(np.isfinite(x), np.ones_like(x), np.nan)
        ctx.save_for_backward(y, axis)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        y, axis = ctx.saved
        if y.ndim == 0:  # the sum over the one element is the element itself
            return (y * (grad - grad * y),)
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
        y = _log_softmax(x, axis) if x.ndim else np.where(np.isfinite(x), np.zeros_like(x), np.nan)
        ctx.save_for_backward(y, axis)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        y, axis = ctx.saved
        if y.ndim == 0:
            return (grad - np.exp(y) * grad,)
        return (grad - np.exp(y) * np.add.reduce(grad, axis=axis, keepdims=True),)

    formula = ("{g} − exp({out}) ⊙ Σ_classes {g}",)
