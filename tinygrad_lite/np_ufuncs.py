"""NumPy's ufuncs on Tensors: the table of those that run an op, and of those read as values.

`interop.array_ufunc` looks a ufunc up here. A ufunc in `UFUNCS` runs the op of the same
meaning (np.tanh → tanh, np.add → add, np.remainder → remainder, ...), so its result keeps the
graph; one in `VALUE_UFUNCS` (comparisons, np.isnan, np.floor, bit operations, ...) is
computed on the values, its result carrying no gradient by nature.

>>> import numpy as np
>>> from tinygrad_lite import Tensor
>>> np.hypot(Tensor([3.0], requires_grad=True), 4.0)
Tensor([5.], grad_fn=<Hypot>)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import dtypes
from . import ops as F
from .autograd import Function
from .tensor import Tensor

__all__ = ["UFUNCS", "VALUE_UFUNCS", "binary", "operands"]


def operands(*xs: Any, op: str = "numpy") -> list[Tensor]:
    """Operands as Tensors: Python numbers are weak beside the first tensor (see `dtypes`)."""
    like = next(x for x in xs if isinstance(x, Tensor))
    return [like._wrap(x, op) if not isinstance(x, Tensor) else x for x in xs]


def binary(fn: type[Function]) -> Callable[..., Tensor]:
    """NumPy's two-operand call of the op `fn`: numbers and arrays beside a tensor as operands."""

    def call(x: Any, y: Any) -> Tensor:
        a, b = operands(x, y, op=fn.name)
        return fn.apply(a, b)

    return call


def _unary(method: str) -> Callable[..., Tensor]:
    def call(x: Any) -> Tensor:
        return getattr(x, method)()

    return call


def _power(x: Any, p: Any) -> Tensor:
    if isinstance(x, Tensor) and dtypes.is_scalar(p):
        return x.pow(p)
    a, b = operands(x, p)
    return F.PowTensor.apply(a, b)


def _square(x: Tensor) -> Tensor:
    return x.square()


def _reciprocal(x: Tensor) -> Tensor:
    return 1.0 / x


def _floor_divide(x: Any, y: Any) -> Tensor:
    a, b = operands(x, y, op="floor_divide")
    return a.floor_divide(b)


UFUNCS: dict[Any, Callable[..., Any]] = {
    np.add: binary(F.Add),
    np.subtract: binary(F.Sub),
    np.multiply: binary(F.Mul),
    np.divide: binary(F.Div),
    np.true_divide: binary(F.Div),
    np.power: _power,
    np.matmul: binary(F.MatMul),
    np.maximum: binary(F.Maximum),
    np.minimum: binary(F.Minimum),
    np.negative: _unary("neg"),
    np.positive: lambda x: x,
    np.tanh: _unary("tanh"),
    np.exp: _unary("exp"),
    np.expm1: _unary("expm1"),
    np.log: _unary("log"),
    np.log1p: _unary("log1p"),
    np.sqrt: _unary("sqrt"),
    np.square: _square,
    np.reciprocal: _reciprocal,
    np.abs: _unary("abs"),
    np.absolute: _unary("abs"),
    np.sin: _unary("sin"),
    np.cos: _unary("cos"),
    np.sign: _unary("sign"),
    # PyTorch's remainder: a zero result keeps the dividend's sign (NumPy's, the divisor's)
    np.remainder: binary(F.Remainder),
    np.fmod: binary(F.Fmod),
    np.floor_divide: _floor_divide,
    # the elementary functions, by NumPy's names, which the Tensor has as aliases (arcsin, ...)
    **{
        u: _unary(u.__name__)
        for u in (np.tan, np.arctan, np.arcsin, np.arccos, np.sinh, np.cosh, np.arcsinh)
        + (np.arccosh, np.arctanh, np.log2, np.log10, np.exp2)
    },
    np.arctan2: binary(F.Atan2),
    np.hypot: binary(F.Hypot),
    np.logaddexp: binary(F.LogAddExp),
    np.logaddexp2: binary(F.LogAddExp2),
}

# ufuncs whose result has no gradient by nature: computed on the values.
VALUE_UFUNCS = {
    np.greater,
    np.greater_equal,
    np.less,
    np.less_equal,
    np.equal,
    np.not_equal,
    np.isnan,
    np.isinf,
    np.isfinite,
    np.logical_and,
    np.logical_or,
    np.logical_xor,
    np.logical_not,
    np.signbit,
    np.floor,
    np.ceil,
    np.trunc,
    np.rint,
    # bits: `np.int64(6) & t` is a Tensor, as `np.int64(6) + t` is; NumPy's values on integers
    # are PyTorch's (a shift by a negative amount or by the width or more included)
    np.bitwise_and,
    np.bitwise_or,
    np.bitwise_xor,
    np.left_shift,
    np.right_shift,
    np.invert,
}
