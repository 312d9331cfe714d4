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
    Sub,
    Where,
    scaled_quotient,
)
from .base import FloatFunction, call
from .bessel import I0, I1, I0e, I1e
from .class_losses import CrossEntropy, NLLLoss
from .classify import LogSoftmax, Softmax
from .copies import Cast, Clone
from .decomp import QR, SVD, Cholesky, Eigh
from .division import Fmod, Remainder, check_operands
from .einsum import Einsum, plan_einsum
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
from .entropy import Entr, XLog1pY
from .erfs import Erfc, Erfcx, Erfinv, Ndtri
from .gammas import Digamma, Lgamma, Polygamma
from .lerp import Lerp, fused_multiply_add
from .linalg import Det, Inv, Slogdet, SlogdetSign, Solve, check_matrix, check_square, leibniz_det
from .logcumsum import LogCumSumExp
from .logexp import Exp2, Log2, Log10, LogAddExp, LogAddExp2, Logit, XLogY
from .losses import (
    LOG_CLAMP,
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    check_reduction,
    check_unit_interval,
)
from .powers import Pow, PowTensor, power_gradient
from .reduce import ArgMax, ArgMin, LogSumExp, Max, Mean, Min, Norm, Prod, Std, Sum, Var
from .scan import ArgSort, CumProd, CumSum, Flip
from .scatter import Scatter, check_positions, scatter_positions
from .scatter_red import ScatterAmax, ScatterAmin, ScatterProd
from .shape import Cat, Expand, GetItem, IndexAdd, Reshape, Transpose
from .solves import Pinv, SolveTriangular
from .special import Erf, GELUErf
from .trig import Acos, Acosh, Asin, Asinh, Atan, Atan2, Atanh, Cosh, Hypot, Sinc, Sinh, Tan
from .window import Fold, Pad, Unfold

__all__ = [
    "I0",
    "I0e",
    "I1",
    "I1e",
    "Entr",
    "XLog1pY",
    "Erfc",
    "Erfcx",
    "Erfinv",
    "Ndtri",
    "Digamma",
    "Lgamma",
    "Polygamma",
    "Abs",
    "Acos",
    "Acosh",
    "Add",
    "ArgMax",
    "ArgMin",
    "ArgSort",
    "Asin",
    "Asinh",
    "Atan",
    "Atan2",
    "Atanh",
    "Axis",
    "BinaryCrossEntropy",
    "BinaryCrossEntropyWithLogits",
    "Cast",
    "Cat",
    "Cholesky",
    "Clamp",
    "Clone",
    "Cos",
    "Cosh",
    "CrossEntropy",
    "CumProd",
    "CumSum",
    "Det",
    "Div",
    "Eigh",
    "Einsum",
    "Erf",
    "Exp",
    "Exp2",
    "Expand",
    "Expm1",
    "Flip",
    "Fmod",
    "Fold",
    "FloatFunction",
    "GELU",
    "GELUErf",
    "GetItem",
    "Hypot",
    "IndexAdd",
    "Inv",
    "LOG_CLAMP",
    "LeakyReLU",
    "Lerp",
    "Log",
    "Log10",
    "Log1p",
    "Log2",
    "LogAddExp",
    "LogAddExp2",
    "LogCumSumExp",
    "LogSigmoid",
    "LogSoftmax",
    "LogSumExp",
    "Logit",
    "MatMul",
    "Max",
    "Maximum",
    "Mean",
    "Min",
    "Minimum",
    "Mul",
    "NLLLoss",
    "Pad",
    "Pinv",
    "Neg",
    "Norm",
    "Pow",
    "PowTensor",
    "Prod",
    "QR",
    "ReLU",
    "Remainder",
    "Reshape",
    "Scatter",
    "ScatterAmax",
    "ScatterAmin",
    "ScatterProd",
    "SVD",
    "Sigmoid",
    "Sign",
    "Sin",
    "Sinc",
    "Sinh",
    "Slogdet",
    "SlogdetSign",
    "Softmax",
    "Softplus",
    "Solve",
    "SolveTriangular",
    "Sqrt",
    "Std",
    "Sub",
    "Sum",
    "Tan",
    "Tanh",
    "Unfold",
    "Transpose",
    "Var",
    "Where",
    "XLogY",
    "call",
    "check_matrix",
    "check_operands",
    "check_positions",
    "check_reduction",
    "check_square",
    "check_unit_interval",
    "fused_multiply_add",
    "leibniz_det",
    "normalize_axis",
    "plan_einsum",
    "power_gradient",
    "scaled_quotient",
    "scatter_positions",
    "stable_sigmoid",
    "unbroadcast",
]
