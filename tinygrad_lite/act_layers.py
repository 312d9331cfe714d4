"""More activation layers as Modules: Hardswish, Mish, SELU, CELU, GLU, PReLU, ... (in `nn`).

Each calls its function in `act_functions` (or a Tensor method); `PReLU` learns its slopes.

>>> import numpy as np
>>> from tinygrad_lite import nn
>>> nn.Softshrink(0.5)(np.array([-2.0, 0.25, 1.0])).tolist()
[-1.5, 0.0, 0.5]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import act_functions
from .module import Module, Parameter
from .norm_layers import check_size
from .tensor import DTypeLike, Tensor

__all__ = [
    "CELU",
    "GLU",
    "Hardshrink",
    "Hardsigmoid",
    "Hardswish",
    "LogSigmoid",
    "Mish",
    "PReLU",
    "SELU",
    "Softshrink",
    "Softsign",
    "Tanhshrink",
]


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


class _InPlace(Module):
    """An elementwise activation with PyTorch's `inplace` flag."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = bool(inplace)

    def extra_repr(self) -> str:
        """Return the in-place flag when it is set."""
        return "inplace=True" if self.inplace else ""


class Hardswish(_InPlace):
    """Hardswish, x·min(max(x + 3, 0), 6)/6, as a module (see `act_functions.hardswish`).

    Args:
        inplace: write the result into the input tensor.
    """

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return hardswish(x)."""
        return act_functions.hardswish(x, self.inplace)


class Hardsigmoid(_InPlace):
    """Hardsigmoid, min(max(x + 3, 0), 6)/6, as a module (see `act_functions.hardsigmoid`).

    Args:
        inplace: write the result into the input tensor.
    """

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return hardsigmoid(x)."""
        return act_functions.hardsigmoid(x, self.inplace)


class Mish(_InPlace):
    """Mish, x·tanh(softplus(x)), as a module (see `act_functions.mish`).

    Args:
        inplace: write the result into the input tensor.
    """

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return mish(x)."""
        return act_functions.mish(x, self.inplace)


class SELU(_InPlace):
    """SELU, λx for x > 0 and λα(eˣ − 1) otherwise, as a module (see `act_functions.selu`).

    Args:
        inplace: write the result into the input tensor.
    """

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return selu(x)."""
        return act_functions.selu(x, self.inplace)


class CELU(Module):
    """CELU, max(0, x) + min(0, α(e^(x/α) − 1)), as a module (see `act_functions.celu`).

    Args:
        alpha: α ≠ 0.
        inplace: write the result into the input tensor.

    Raises:
        ValueError: alpha is 0 or NaN.
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = act_functions.check_alpha("CELU", alpha)
        self.inplace = bool(inplace)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return celu(x)."""
        return act_functions.celu(x, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        """Return alpha (and the in-place flag when it is set)."""
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Softsign(Module):
    """Softsign, x / (1 + |x|), as a module."""

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return softsign(x)."""
        return act_functions.softsign(x)


class Tanhshrink(Module):
    """Tanhshrink, x − tanh(x), as a module."""

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return tanhshrink(x)."""
        return act_functions.tanhshrink(x)


class LogSigmoid(Module):
    """The log-sigmoid ln σ(x) = −ln(1 + e^(−x)), stable for large |x|, as a module."""

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return ln σ(x)."""
        return _as_tensor(x).log_sigmoid()


class Hardshrink(Module):
    """Hardshrink: 0 on [−lambd, lambd], else x, as a module (see `act_functions.hardshrink`).

    Args:
        lambd: the half-width of the interval set to 0.

    Raises:
        TypeError, ValueError: lambd is not a real number, or NaN.
    """

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = act_functions.check_lambd("Hardshrink", lambd, allow_negative=True)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return hardshrink(x)."""
        return act_functions.hardshrink(x, self.lambd)

    def extra_repr(self) -> str:
        """Return lambd, as PyTorch shows it."""
        return f"{self.lambd}"


class Softshrink(Module):
    """Softshrink: x ∓ lambd outside [−lambd, lambd], else 0, as a module.

    See `act_functions.softshrink`.

    Args:
        lambd: the shrinkage, >= 0.

    Raises:
        TypeError, ValueError: lambd is not a real number, negative, or NaN.
    """

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = act_functions.check_lambd("Softshrink", lambd, allow_negative=False)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return softshrink(x)."""
        return act_functions.softshrink(x, self.lambd)

    def extra_repr(self) -> str:
        """Return lambd, as PyTorch shows it."""
        return f"{self.lambd}"


class GLU(Module):
    """Gated linear unit, a ⊗ σ(b) for the halves a, b of x along `dim` (`act_functions.glu`).

    Args:
        dim: the dimension to halve; its size must be even.

    Raises:
        TypeError: dim is not an int.
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"GLU: dim must be an int, got {dim!r}")
        self.dim = int(dim)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return glu(x) along dim."""
        return act_functions.glu(x, self.dim)

    def extra_repr(self) -> str:
        """Return the dim."""
        return f"dim={self.dim}"


class PReLU(Module):
    """Parametric ReLU, x for x > 0 else a·x, with learned slopes a, as PyTorch's `nn.PReLU`.

    `weight` holds `num_parameters` slopes, all `init` at first: one shared by every channel
    (the default), or one per channel (dim 1 of the input); see `act_functions.prelu`. As in
    PyTorch, weight decay is usually left off these slopes.

    Args:
        num_parameters: 1, or C, the number of channels.
        init: the initial slope.
        dtype: a floating-point dtype for the slopes (float64 by default).

    Raises:
        TypeError, ValueError: num_parameters is not a positive int, init is not a real
            number, or a dtype that is not floating point.
    """

    def __init__(
        self, num_parameters: int = 1, init: float = 0.25, dtype: DTypeLike = np.float64
    ) -> None:
        super().__init__()
        self.num_parameters = check_size("PReLU", "num_parameters", num_parameters)
        if isinstance(init, bool) or not isinstance(init, (int, float, np.integer, np.floating)):
            raise TypeError(f"PReLU: init must be a real number, got {init!r}")
        dt = np.dtype(dtype)
        if dt.kind != "f":
            raise ValueError(f"PReLU: dtype must be a floating-point dtype, got {dt}")
        self.init = float(init)
        self.weight = Parameter(np.empty(self.num_parameters, dt))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every slope `init` again, written into the same Parameter (PyTorch's)."""
        self.weight.detach().fill_(self.init)  # unrecorded, as PyTorch's under no_grad

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return prelu(x) with the learned slopes."""
        return act_functions.prelu(x, self.weight)

    def extra_repr(self) -> str:
        """Return the number of slopes, as PyTorch shows it."""
        return f"num_parameters={self.num_parameters}"
