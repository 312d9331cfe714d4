"""Every differentiable primitive: one Function class each, forward and backward side by side.

Backward methods read like the hand-derived math and are written once: they run on NumPy
arrays, and on Tensors when the backward pass is itself recorded for higher-order gradients.
They may return a gradient in the broadcast (output) shape: the engine's `unbroadcast` reduces
it to the input's shape.
"""

from ..shapes import Axis, normalize_axis, unbroadcast
from .arithmetic import (
    Add,
    Div,
    MatMul,
    Maximum,
    Minimum,
    Mul,
    Neg,
    Pow,
    PowTensor,
    Sub,
    Where,
    power_gradient,
    scaled_quotient,
)
from .base import FloatFunction, call
from .class_losses import CrossEntropy, NLLLoss
from .classify import LogSoftmax, Softmax
from .copies import Cast, Clone
from .division import Fmod, Remainder, check_operands
from .elementwise import (
    GELU,
    Abs,
    Clamp,
    Cos,
    Exp,
    Expm1,
    LeakyReLU,
    Log,
    Log1p,
    LogSigmoid,
    ReLU,
    Sigmoid,
    Sign,
    Sin,
    Softplus,
    Sqrt,
    Tanh,
    stable_sigmoid,
)
from .losses import (
    LOG_CLAMP,
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    check_reduction,
    check_unit_interval,
)
from .reduce import ArgMax, ArgMin, LogSumExp, Max, Mean, Min, Norm, Prod, Std, Sum, Var
from .scan import ArgSort, CumProd, CumSum, Flip
from .shape import Cat, Expand, GetItem, IndexAdd, Reshape, Transpose
from .special import Erf, GELUErf
from .window import Fold, Pad, Unfold

__all__ = [
    "Abs",
    "Add",
    "ArgMax",
    "ArgMin",
    "ArgSort",
    "Axis",
    "BinaryCrossEntropy",
    "BinaryCrossEntropyWithLogits",
    "Cast",
    "Cat",
    "Clamp",
    "Clone",
    "Cos",
    "CrossEntropy",
    "CumProd",
    "CumSum",
    "Div",
    "Erf",
    "Exp",
    "Expand",
    "Expm1",
    "Flip",
    "Fmod",
    "Fold",
    "FloatFunction",
    "GELU",
    "GELUErf",
    "GetItem",
    "IndexAdd",
    "LOG_CLAMP",
    "LeakyReLU",
    "Log",
    "Log1p",
    "LogSigmoid",
    "LogSoftmax",
    "LogSumExp",
    "MatMul",
    "Max",
    "Maximum",
    "Mean",
    "Min",
    "Minimum",
    "Mul",
    "NLLLoss",
    "Pad",
    "Neg",
    "Norm",
    "Pow",
    "PowTensor",
    "Prod",
    "ReLU",
    "Remainder",
    "Reshape",
    "Sigmoid",
    "Sign",
    "Sin",
    "Softmax",
    "Softplus",
    "Sqrt",
    "Std",
    "Sub",
    "Sum",
    "Tanh",
    "Unfold",
    "Transpose",
    "Var",
    "Where",
    "call",
    "check_operands",
    "check_reduction",
    "check_unit_interval",
    "normalize_axis",
    "power_gradient",
    "scaled_quotient",
    "stable_sigmoid",
    "unbroadcast",
]
