"""Copies of a tensor: `clone` (same dtype, its own memory) and `cast` (another dtype)."""

from __future__ import annotations

from ..autograd import no_grad
from .base import Any, Context, Function, np, register


@register(
    "clone",
    arity=1,
    reference=np.copy,
)
class Clone(Function):
    """z = a copy of x (same values, its own memory); dz/dx = 1.

    `order` is NumPy's: "K" keeps x's layout (PyTorch's `clone`), "C" lays the copy out in C
    order (PyTorch's `contiguous` of a strided view).
    """

    @staticmethod
    def forward(ctx: Context, x: Any, order: str = "K") -> Any:
        return np.copy(x, order=order)  # type: ignore[call-overload]

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        return (grad,)

    formula = ("{g}",)


@register(
    "cast",
    arity=1,
    kind="cast",
    reference=lambda x, dtype: x.astype(dtype),
)
class Cast(Function):
    """z = x converted to `dtype`; the gradient is converted back to x's dtype.

    A cast to an integer or bool dtype carries no gradient (its result does not require grad,
    as in PyTorch): rounding is piecewise constant, so its derivative is 0 wherever it exists.
    """

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Any:
        """`Function.apply`, recording no node for a cast to a non-float dtype."""
        if np.dtype(params.get("dtype", np.float64)).kind == "f":
            return super().apply(*inputs, **params)
        with no_grad():
            return super().apply(*inputs, **params)

    @staticmethod
    def forward(ctx: Context, x: Any, dtype: Any = np.float64) -> Any:
        ctx.save_for_backward(x.dtype)
        return x.astype(dtype)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        (dtype,) = ctx.saved
        return (grad.astype(dtype),)

    formula = ("{g}",)
