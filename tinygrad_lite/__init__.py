"""tinygrad_lite: a small, fast, rigorously tested reverse-mode autograd framework on NumPy."""

from . import functional, ops
from .autograd import (
    AnomalyError,
    Function,
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck
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
    "Function",
    "GradcheckError",
    "Tensor",
    "arange",
    "detect_anomaly",
    "enable_grad",
    "functional",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "ones",
    "ones_like",
    "ops",
    "rand",
    "randn",
    "set_grad_enabled",
    "tensor",
    "zeros",
    "zeros_like",
]
