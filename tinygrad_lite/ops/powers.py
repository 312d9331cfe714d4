"""Powers: x ** p for a constant p and x ** y, their gradients free of spurious overflow."""

from __future__ import annotations

from .. import dtypes, tracing
from .base import Any, Context, Function, is_tensor, no_broadcast, np, register, value

_TINY_NORMAL = np.finfo(np.float64).tiny
_FLOAT32 = np.dtype(np.float32)
_FLOAT32_ZERO = 2.0**-150  # the largest exponent that float32 rounds to 0 (a tie, to even)


def _times(p: Any, a: Any) -> Any:
    """p·a for a number p; a float16 array in float32 with p unrounded, as PyTorch's opmath."""
    if a.dtype is dtypes.HALF and not is_tensor(a):  # (a Tensor's own `*` does that)
        return np.multiply(a, p, dtype=dtypes.OPMATH).astype(a.dtype)
    return p * a


def power_gradient(grad: Any, p: Any, x: Any) -> Any:
    """grad·p·x^(p-1) (x^p's derivative times the incoming gradient), without spurious overflow.

    Where x^(p-1) alone is out of range (or subnormal) but the product is not, it is recomputed
    from mantissas and exponents, with one rounding at the end. A compiled step checks for that
    on every replay (one call), and computes the slow form only when a value needs it.
    """
    with tracing.errstate(divide="ignore"):  # x^(p-1) at x = 0, p < 1: ±inf, as PyTorch
        fast = grad * (2.0 * x) if p == 2 else grad * _times(p, np.power(x, p - 1))
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
        if x.dtype is dtypes.HALF:  # float16 would round the products (p too): float64, once
            grad, x = grad.astype(np.float64), x.astype(np.float64)
        mg, eg = np.frexp(grad)
        mx, ex = np.frexp(x)
        e = ex * q
        k = np.floor(e)
        mant = mg * p * np.power(mx, q) * np.exp2(e - k)
        exact = np.ldexp(mant, np.clip(eg + k, -(2**30), 2**30).astype(np.int64))
        return np.where(risky, exact.astype(fast.dtype, copy=False), fast)


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
        if -_FLOAT32_ZERO <= exponent <= _FLOAT32_ZERO and exponent != 0 and x.dtype == _FLOAT32:
            # NumPy would round the exponent to float32's 0 (0 ** 1e-50 = 1); PyTorch keeps
            # a float32 tensor's exponent in double precision (0 ** 1e-50 = 0)
            return np.power(x, exponent, dtype=np.float64).astype(x.dtype)
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
            if ny:  # ln x at the result's precision (a float16 base, a float64 exponent)
                lx = np.log(x if x.dtype == z.dtype else x.astype(z.dtype))
                gy = grad * np.where((x == 0) & (y >= 0), 0.0, z * lx)
        return gx, gy

    formula = ("{g} ⊙ {1} ⊙ {0}^({1} − 1)", "{g} ⊙ {out} ⊙ log({0})")
