"""Arithmetic with broadcasting: + − × ÷ and powers, matmul, maximum, minimum, where, copies.

The powers are defined in `ops.powers` and re-exported here.
"""

from __future__ import annotations

from .. import tracing
from .base import (
    Any,
    Context,
    Function,
    is_tensor,
    kept,
    no_broadcast,
    np,
    register,
    value,
    zeroed,
)
from .powers import Pow as Pow
from .powers import PowTensor as PowTensor
from .powers import power_gradient as power_gradient


@register(
    "add",
    arity=2,
    kind="broadcast",
    reference=np.add,
)
class Add(Function):
    """z = x + y."""

    @staticmethod
    def forward(ctx: Context, x: Any, y: Any) -> Any:
        try:
            return np.add(x, y)
        except ValueError:
            raise no_broadcast("add", x, y) from None

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        return grad, grad

    formula = ("{g}", "{g}")  # in explain's notation ({g}: the output's gradient)


@register(
    "sub",
    arity=2,
    kind="broadcast",
    reference=np.subtract,
)
class Sub(Function):
    """z = x - y."""

    @staticmethod
    def forward(ctx: Context, x: Any, y: Any) -> Any:
        try:
            return np.subtract(x, y)
        except ValueError:
            raise no_broadcast("sub", x, y) from None

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        return grad, (-grad if ctx.needs_input_grad[1] else None)

    formula = ("{g}", "−{g}")


@register(
    "mul",
    arity=2,
    kind="broadcast",
    reference=np.multiply,
)
class Mul(Function):
    """z = x * y (elementwise)."""

    @staticmethod
    def forward(ctx: Context, x: Any, y: Any) -> Any:
        ctx.save_for_backward(x, y)
        try:
            return np.multiply(x, y)
        except ValueError:
            raise no_broadcast("mul", x, y) from None

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        x, y = ctx.saved
        nx, ny = ctx.needs_input_grad
        return (grad * y if nx else None), (grad * x if ny else None)

    formula = ("{g} ⊙ {1}", "{g} ⊙ {0}")


def scaled_quotient(numerators: tuple[Any, ...], denominators: tuple[Any, ...]) -> Any:
    """Π numerators / Π denominators, without overflow or underflow in between.

    The mantissas (in [0.5, 1)) are combined first and the binary exponents added apart, so
    the only rounding to the float range is the last one (`np.ldexp`): where the exact value is
    representable, so is the result — 0 when a numerator is 0 and another huge, not NaN.
    """
    if any(is_tensor(a) for a in numerators + denominators):
        num = numerators[0]
        for a in numerators[1:]:
            num = num * a
        den = denominators[0]
        for c in denominators[1:]:
            den = den * c
        return num / den
    mant, exp = 1.0, 0
    for c in denominators:
        m, e = np.frexp(c)
        mant, exp = mant * m, exp - e
    num, num_exp = 1.0, 0
    for a in numerators:
        m, e = np.frexp(a)
        num, num_exp = num * m, num_exp + e
    with tracing.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        return np.ldexp(num / mant, num_exp + exp)


@register(
    "div",
    arity=2,
    domain="nonzero",
    kind="broadcast",
    reference=np.divide,
)
class Div(Function):
    """z = x / y; dz/dx = 1/y, dz/dy = -x/y², each computed with one rounding at the end."""

    @staticmethod
    def forward(ctx: Context, x: Any, y: Any) -> Any:
        try:
            z = np.divide(x, y)
        except ValueError:
            raise no_broadcast("div", x, y) from None
        ctx.save_for_backward(x, y)
        return z

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        x, y = ctx.saved
        nx, ny = ctx.needs_input_grad
        gy = -scaled_quotient((grad, x), (y, y)) if ny else None
        return (grad / y if nx else None), gy

    formula = ("{g}/{1}", "−{g} ⊙ {out}/{1}")


@register(
    "neg",
    arity=1,
    reference=np.negative,
)
class Neg(Function):
    """z = -x."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        return np.negative(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        return (-grad,)

    formula = ("−{g}",)


@register(
    "matmul",
    arity=2,
    kind="matmul",
    reference=np.matmul,
)
class MatMul(Function):
    """z = x @ y, with NumPy's rules for 1-D operands and broadcast batch dimensions."""

    @staticmethod
    def forward(ctx: Context, x: Any, y: Any) -> Any:
        if x.ndim == 0 or y.ndim == 0:
            raise ValueError(
                f"matmul: operands must have at least 1 dimension, got shapes {x.shape} "
                f"and {y.shape}"
            )
        kx = x.shape[-1]
        ky = y.shape[-2] if y.ndim > 1 else y.shape[0]
        if kx != ky:
            raise ValueError(f"matmul: shapes {x.shape} and {y.shape} do not align ({kx} != {ky})")
        if x.dtype.kind == "b" and y.dtype.kind == "b":  # NumPy's answer is an or of ands
            raise TypeError(
                "matmul: two bool operands (NumPy would return bools, not counts; PyTorch "
                "refuses); convert one first, e.g. a.long() @ b or a.float() @ b"
            )
        ctx.save_for_backward(x, y)
        try:
            if x.ndim == 2 and y.ndim == 2:
                if kx == 1:
                    return np.multiply(x, y)  # an outer product: BLAS is slower at k = 1
                return np.dot(x, y)  # two matrices: the same product, less overhead per call
            return np.matmul(x, y)
        except ValueError as e:  # batch dimensions that do not broadcast
            raise ValueError(
                f"matmul: batch dimensions of shapes {x.shape} and {y.shape} do not broadcast"
            ) from e

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        x, y = ctx.saved
        nx, ny = ctx.needs_input_grad
        gx = gy = None
        if x.ndim == 2 and y.ndim == 2:  # the common case (np.dot: as the forward)
            if nx:
                gx = np.dot(grad, y.T) if y.shape[1] != 1 else grad * y.T
            if ny:
                gy = np.dot(x.T, grad) if x.shape[0] != 1 else x.T * grad  # the tutorial's W2ᵀ·dZ2
        elif x.ndim == 1 and y.ndim == 1:  # dot product: grad is a scalar
            gx = grad * y if nx else None
            gy = grad * x if ny else None
        elif x.ndim == 1:  # (k,) @ (..., k, p) -> (..., p)
            if nx:
                gx = (grad[..., None, :] @ np.swapaxes(y, -1, -2))[..., 0, :]
            if ny:
                gy = x[:, None] * grad[..., None, :]
        elif y.ndim == 1:  # (..., n, k) @ (k,) -> (..., n)
            if nx:
                gx = grad[..., :, None] * y
            if ny:
                gy = (np.swapaxes(x, -1, -2) @ grad[..., :, None])[..., 0]
        else:
            if nx:
                gx = grad @ np.swapaxes(y, -1, -2)
            if ny:
                gy = np.swapaxes(x, -1, -2) @ grad
        return gx, gy

    formula = ("{g} · {1}ᵀ", "{0}ᵀ · {g}")


@register(
    "maximum",
    arity=2,
    domain=("distinct", "distinct_offset"),
    kind="broadcast",
    reference=np.maximum,
)
class Maximum(Function):
    """z = max(x, y) elementwise; where x = y the gradient is split evenly, as in PyTorch."""

    @staticmethod
    def forward(ctx: Context, x: Any, y: Any) -> Any:
        ctx.save_for_backward(x, y)
        try:
            return np.maximum(x, y)
        except ValueError:
            raise no_broadcast("maximum", x, y) from None

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        x, y = ctx.saved
        nx, ny = ctx.needs_input_grad
        share = np.where(x == y, grad / 2, grad)
        return (np.where(x < y, 0.0, share) if nx else None), (
            np.where(x > y, 0.0, share) if ny else None
        )

    formula = ("{g} ⊙ ([{0} > {1}] + ½[{0} = {1}])", "{g} ⊙ ([{1} > {0}] + ½[{0} = {1}])")


@register(
    "minimum",
    arity=2,
    domain=("distinct", "distinct_offset"),
    kind="broadcast",
    reference=np.minimum,
)
class Minimum(Function):
    """z = min(x, y) elementwise; where x = y the gradient is split evenly, as in PyTorch."""

    @staticmethod
    def forward(ctx: Context, x: Any, y: Any) -> Any:
        ctx.save_for_backward(x, y)
        try:
            return np.minimum(x, y)
        except ValueError:
            raise no_broadcast("minimum", x, y) from None

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        x, y = ctx.saved
        nx, ny = ctx.needs_input_grad
        share = np.where(x == y, grad / 2, grad)
        return (np.where(x > y, 0.0, share) if nx else None), (
            np.where(x < y, 0.0, share) if ny else None
        )

    formula = ("{g} ⊙ ([{0} < {1}] + ½[{0} = {1}])", "{g} ⊙ ([{1} < {0}] + ½[{0} = {1}])")


@register(
    "where",
    arity=3,
    domain=("condition", "real", "real"),
    kind="broadcast",
    reference=np.where,
)
class Where(Function):
    """z = x where cond else y; the gradient goes to the branch that was taken."""

    @staticmethod
    def forward(ctx: Context, cond: Any, x: Any, y: Any) -> Any:
        if cond.dtype.kind != "b":
            raise TypeError(f"where: the condition must be a bool tensor, got dtype {cond.dtype}")
        ctx.save_for_backward(cond)
        try:
            return np.where(cond, x, y)
        except ValueError:
            raise ValueError(
                f"where: shapes {cond.shape}, {x.shape} and {y.shape} do not broadcast together"
            ) from None

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[None, Any, Any]:
        (cond,) = ctx.saved
        _, nx, ny = ctx.needs_input_grad
        return (
            None,
            kept(grad, value(cond)) if nx else None,
            zeroed(grad, value(cond)) if ny else None,
        )

    formula = (None, "{g} ⊙ [{0}]", "{g} ⊙ [¬{0}]")
