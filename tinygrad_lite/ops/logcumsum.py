"""The cumulative log-sum-exp along a dim (`LogCumSumExp`), without overflow or underflow.

>>> from tinygrad_lite import ops, tensor
>>> ops.LogCumSumExp.apply(tensor([0.0, 0.0, -1000.0]), dim=0).tolist()
[0.0, 0.6931471805599453, 0.6931471805599453]
"""

from __future__ import annotations

from .. import tracing
from .base import Any, Context, FloatFunction, np, register, value
from .scan import along_last, one_dim, shift, suffix_scan

__all__ = ["LogCumSumExp"]


def _logcumsumexp_reference(x: Any, dim: int) -> Any:
    """Ln of the cumulative sums of e^x, as a product with an upper-triangular matrix of ones."""

    def sums(m: Any) -> Any:
        n = m.shape[-1]
        return np.log(np.exp(m) @ np.triu(np.ones((n, n))))

    return along_last(x, dim, sums)


@register("logcumsumexp", arity=1, kind="scan", reference=_logcumsumexp_reference)
class LogCumSumExp(FloatFunction):
    """y_i = ln Σ_{j ≤ i} e^(x_j) along `dim`, one log-add-exp at a time (never e^x itself).

    dL/dx_j = Σ_{i ≥ j} g_i e^(x_j − y_i) = e^(x_j − y_j) · s_j, with the suffix scan
    s_j = g_j + e^(y_j − y_{j+1}) · s_{j+1}. y never decreases along `dim`, so every exponent
    is ≤ 0: no overflow, for any x. As in PyTorch, the gradient at an x of −∞ is NaN.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, dim: int = 0) -> Any:
        axis = one_dim("logcumsumexp", dim, x.ndim)
        with tracing.errstate(invalid="ignore"):
            y = x.copy() if axis is None else np.logaddexp.accumulate(x, axis=axis)
        ctx.save_for_backward(x, y, axis)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        x, y, axis = ctx.saved
        if axis is None:
            return (grad,)
        with tracing.errstate(invalid="ignore"):  # −∞ − (−∞): NaN, as PyTorch's
            # e^(y_j − y_{j+1}), 0 past the end and before an infinite total (e^(x − ∞) = 0 for
            # a finite x: only an infinite x itself gets NaN, as in PyTorch)
            r = np.exp(shift(y, axis, 1, fill=-np.inf) - y)
            ratio = shift(np.where(value(y) == np.inf, 0.0, r), axis, -1)
            return (np.exp(x - y) * suffix_scan(grad, ratio, axis),)

    formula = ("Σ_(i ≥ j) {g}ᵢ exp({0}ⱼ − {out}ᵢ)",)
