"""tinygrad_lite: a small, fast, rigorously tested reverse-mode autograd framework on NumPy."""

from . import functional, interop, nn, ops, optim
from .anomaly import (
    AnomalyError,
    SaturationWarning,
    detect_anomaly,
    detect_saturation,
    is_anomaly_enabled,
)
from .autograd import (
    Function,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .compile import CompiledStep, compile
from .creation import (
    arange,
    eye,
    full,
    full_like,
    manual_seed,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from .derivation import explain
from .engine import grad
from .functional import argsort, cat, cumprod, cumsum, flip, sort, stack, topk, where
from .gradcheck import GradcheckError, gradcheck
from .harness import check_backward
from .serialize import load, save
from .tensor import Tensor
from .tracing import TraceError

__version__ = "0.1.0"

__all__ = [
    "AnomalyError",
    "CompiledStep",
    "TraceError",
    "compile",
    "Function",
    "GradcheckError",
    "SaturationWarning",
    "Tensor",
    "arange",
    "argsort",
    "cat",
    "check_backward",
    "cumprod",
    "cumsum",
    "detect_anomaly",
    "detect_saturation",
    "enable_grad",
    "explain",
    "eye",
    "flip",
    "full",
    "full_like",
    "functional",
    "grad",
    "gradcheck",
    "interop",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "load",
    "manual_seed",
    "nn",
    "no_grad",
    "ones",
    "ones_like",
    "ops",
    "optim",
    "rand",
    "randn",
    "save",
    "set_grad_enabled",
    "sort",
    "stack",
    "tensor",
    "topk",
    "where",
    "zeros",
    "zeros_like",
]
