"""Remainders: `remainder` (Python's and PyTorch's `%`) and `fmod` (C's), with broadcasting."""

from __future__ import annotations

from .. import tracing
from .base import Any, Context, Function, no_broadcast, np, register, value


def check_operands(op: str, x: Any, y: Any) -> np.dtype[Any]:
    """The result's dtype; refuse two bools, and an integer divisor that holds a zero.

    PyTorch refuses both (`ZeroDivisionError` for an integer zero, where NumPy would give 0
    with a warning). The zero check reads the divisor's values: a compiled step makes it again
    on every call.
    """
    dtype = np.result_type(x, y)
    if dtype.kind == "b":
        raise TypeError(f"{op}: not defined for two bool tensors (as in PyTorch)")
    if dtype.kind in "iu":
        tracing.value_check(_no_integer_zero(op), y)
    return dtype


def _no_integer_zero(op: str) -> Any:
    def check(y: Any) -> None:
        if not np.all(y):
            raise ZeroDivisionError(f"{op}: integer division by zero (the divisor holds a 0)")

    return check


def _remainder_forward(op: str, x: Any, y: Any, floored: bool) -> Any:
    dtype = check_operands(op, x, y)
    try:
        if dtype.kind != "f":  # integers: NumPy's remainder and fmod are Python's and C's
            return np.remainder(x, y) if floored else np.fmod(x, y)
        r = np.fmod(x, y)  # exact: the remainder of a float division needs no rounding
        if floored:
            # PyTorch's remainder: fmod moved by one divisor where its sign is not the
            # divisor's; a zero keeps fmod's sign, the dividend's (NumPy's takes the divisor's).
            r = np.where((r != 0) & ((r < 0) != (y < 0)), r + y, r)
        return r
    except ValueError:
        raise no_broadcast(op, x, y) from None


def remainder_reference(x: Any, y: Any) -> Any:
    """The remainder x − ⌊x/y⌋·y, exact for the registry's dyadic inputs."""
    return x - np.floor(x / y) * y


def fmod_reference(x: Any, y: Any) -> Any:
    """The remainder x − trunc(x/y)·y, exact for the registry's dyadic inputs."""
    return x - np.trunc(x / y) * y


@register(
    "remainder",
    arity=2,
    domain=("dividend", "divisor"),
    kind="broadcast",
    reference=remainder_reference,
)
class Remainder(Function):
    """z = x − ⌊x/y⌋·y, with the divisor's sign (Python's `%`); dz/dx = 1, dz/dy = −⌊x/y⌋.

    ⌊x/y⌋ is piecewise constant, so it is a constant of the derivative: computed from the
    values (as PyTorch's `div(x, y, rounding_mode="floor")`), it never carries a gradient.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, y: Any) -> Any:
        z = _remainder_forward("remainder", x, y, floored=True)
        ctx.save_for_backward(x, y)
        return z

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        x, y = ctx.saved
        nx, ny = ctx.needs_input_grad
        gy = -grad * np.floor_divide(value(x), value(y)) if ny else None
        return (grad if nx else None), gy

    formula = ("{g}", "−{g} ⊙ ⌊{0}/{1}⌋")


@register(
    "fmod",
    arity=2,
    domain=("dividend", "divisor"),
    kind="broadcast",
    reference=fmod_reference,
)
class Fmod(Function):
    """z = x − trunc(x/y)·y, with the dividend's sign (C's fmod); dz/dx = 1, dz/dy = −trunc(x/y).

    trunc(x/y) is piecewise constant: a constant of the derivative, as in `Remainder`.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, y: Any) -> Any:
        z = _remainder_forward("fmod", x, y, floored=False)
        ctx.save_for_backward(x, y)
        return z

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        x, y = ctx.saved
        nx, ny = ctx.needs_input_grad
        gy = -grad * np.trunc(np.divide(value(x), value(y))) if ny else None
        return (grad if nx else None), gy

    formula = ("{g}", "−{g} ⊙ trunc({0}/{1})")
