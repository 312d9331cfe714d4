"""tinygrad_lite: a small, fast, rigorously tested reverse-mode autograd framework on NumPy."""

from . import functional, nn, ops, optim
from .autograd import (
    AnomalyError,
    Function,
    TraceError,
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .compile import CompiledStep, compile
from .gradcheck import GradcheckError, gradcheck
from .serialize import load, save
from .tensor import (
    Tensor,
    arange,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)

__version__ = "0.1.0"

__all__ = [
    "AnomalyError",
    "CompiledStep",
    "TraceError",
    "compile",
    "Function",
    "GradcheckError",
    "Tensor",
    "arange",
    "detect_anomaly",
    "enable_grad",
    "functional",
    "gradcheck",
    "is_grad_enabled",
    "load",
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
    "tensor",
    "zeros",
    "zeros_like",
]
