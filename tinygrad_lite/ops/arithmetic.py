"""Arithmetic with broadcasting: + − × ÷ and powers, matmul, maximum, minimum, where, copies."""

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


_TINY_NORMAL = np.finfo(np.float64).tiny


def power_gradient(grad: Any, p: Any, x: Any) -> Any:
    """grad·p·x^(p-1) (x^p's derivative times the incoming gradient), without spurious overflow.

    Where x^(p-1) alone is out of range (or subnormal) but the product is not, it is recomputed
    from mantissas and exponents, with one rounding at the end. A compiled step checks for that
    on every replay (one call), and computes the slow form only when a value needs it.
    """
    with tracing.errstate(divide="ignore"):  # x^(p-1) at x = 0, p < 1: ±inf, as PyTorch
        fast = grad * (2.0 * x) if p == 2 else grad * (p * np.power(x, p - 1))
    if is_tensor(x):
        return fast
    return tracing.replayed(_exact_where_risky, fast, grad, p, x)


def _exact_where_risky(fast: Any, grad: Any, p: Any, x: Any) -> Any:
    """`fast`, recomputed exactly where x^(p-1) is out of range (see `power_gradient`)."""
    if p == 2 and fast.__class__ is np.ndarray and np.isfinite(np.add.reduce(fast, axis=None)):
        # 2x is exact, so grad·2x is rounded once: only an overflow (or a sum that overflows,
        # checked the long way below) needs the slow path.
        return fast
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        xq = np.abs(x) if p == 2 else np.abs(np.power(x, p - 1))
        risky = ~np.isfinite(fast) | ((xq < _TINY_NORMAL) & (x != 0))
        if isinstance(risky, np.ndarray) and not risky.any():
            return fast
        q = p - 1
        mg, eg = np.frexp(grad)
        mx, ex = np.frexp(x)
        e = ex * q
        k = np.floor(e)
        mant = mg * p * np.power(mx, q) * np.exp2(e - k)
        exact = np.ldexp(mant, np.clip(eg + k, -(2**30), 2**30).astype(np.int64))
        return np.where(risky, exact, fast)


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
    "pow",
    arity=1,
    domain="positive",
    kind="pow",
    reference=lambda x, exponent: np.power(x, exponent),
)
class Pow(Function):
    """z = x ** p for a constant exponent p; dz/dx = p·x^(p-1), and 0 where p = 0."""

    @staticmethod
    def forward(ctx: Context, x: Any, exponent: Any = 2.0) -> Any:
        ctx.save_for_backward(x, exponent)
        if exponent == 2 and x.dtype.kind == "f" and type(exponent) in (int, float):
            return np.multiply(x, x)  # x·x is faster; same dtype as np.power here
        return np.power(x, exponent)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any]:
        x, p = ctx.saved
        if p == 0:  # x ** 0 = 1 everywhere, 0 ** 0 included: the derivative is 0 (even for an
            return (np.zeros_like(grad),)  # infinite or NaN grad, as PyTorch; grad·0 is NaN)
        if p == 1:
            return (grad,)
        return (power_gradient(grad, p, x),)

    @staticmethod
    def formula(ctx: Context) -> tuple[str]:
        """dz/dx in explain's notation."""
        p = ctx.saved[1]
        if p == 0 or p == 1:
            return ("0",) if p == 0 else ("{g}",)
        return ("{g} ⊙ 2{0}",) if p == 2 else (f"{{g}} ⊙ {p:g}{{0}}^{p - 1:g}",)


@register(
    "pow_tensor",
    arity=2,
    domain=("positive", "real"),
    kind="broadcast",
    reference=np.power,
)
class PowTensor(Function):
    """z = x ** y; dz/dx = y·x^(y-1), dz/dy = z·ln x, with PyTorch's choices where they are 0·∞.

    Where y = 0, dz/dx is 0 whatever the incoming gradient, as in PyTorch; it is selected only
    where the product would be 0·∞ (x = 0, x or the gradient not finite), since a mask wherever
    y = 0 would lose d²z/dxdy = 1/x. dz/dy is 0 at x = 0, y ≥ 0 (z·ln x = 0·(−∞)) before the
    product with the incoming gradient.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, y: Any) -> Any:
        if np.result_type(x) == np.bool_ and np.result_type(y) == np.bool_:
            raise TypeError(
                "pow: both operands are bool, for which pow is not defined (NumPy would give "
                "int8); convert one of them to an integer or float dtype first"
            )
        try:
            z = np.power(x, y)
        except ValueError as e:
            try:
                np.broadcast_shapes(np.shape(x), np.shape(y))
            except ValueError:
                raise no_broadcast("pow", x, y) from None
            else:
                raise ValueError(
                    f"pow: {e} (an integer tensor to a negative integer power, which NumPy "
                    "refuses; convert to a float dtype first)"
                ) from None
        ctx.save_for_backward(x, y, z)
        return z

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        x, y, z = ctx.saved
        nx, ny = ctx.needs_input_grad
        gx = gy = None
        with tracing.errstate(divide="ignore", invalid="ignore"):
            if nx:  # 0 where y = 0 and the product would be 0·∞ (x = 0, x or g not finite)
                xv, gv = value(x), value(grad)
                zero = (value(y) == 0) & ((xv == 0) | ~np.isfinite(xv) | ~np.isfinite(gv))
                gx = np.where(zero, 0.0, grad * (y * np.power(x, y - 1)))
            if ny:
                gy = grad * np.where((x == 0) & (y >= 0), 0.0, z * np.log(x))
        return gx, gy

    formula = ("{g} ⊙ {1} ⊙ {0}^({1} − 1)", "{g} ⊙ {out} ⊙ log({0})")


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
