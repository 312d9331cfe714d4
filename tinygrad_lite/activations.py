"""Activation layers as Modules: ReLU, Tanh, Sigmoid, GELU, SiLU, ELU, Softmax, ... (in `nn`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import functional
from .module import Module
from .tensor import Tensor

__all__ = [
    "ELU",
    "GELU",
    "Hardtanh",
    "LeakyReLU",
    "LogSoftmax",
    "ReLU",
    "ReLU6",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
]


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


class Tanh(Module):
    """Elementwise tanh as a module."""

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return tanh(x)."""
        return _as_tensor(x).tanh()


class Sigmoid(Module):
    """Elementwise logistic sigmoid σ(x) = 1 / (1 + e^(-x)) as a module."""

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return σ(x)."""
        return _as_tensor(x).sigmoid()


class ReLU(Module):
    """Elementwise max(x, 0) as a module.

    Args:
        inplace: write the result into the input tensor (PyTorch's `inplace=True`; see
            `tensor_inplace` for what that means while gradients are recorded).
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = bool(inplace)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return max(x, 0)."""
        return functional.relu(_as_tensor(x), self.inplace)

    def extra_repr(self) -> str:
        """Return the in-place flag when it is set."""
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """Elementwise x for x > 0, else negative_slope·x.

    Args:
        negative_slope: the slope left of 0 (PyTorch's default 0.01).
        inplace: write the result into the input tensor.
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)
        self.inplace = bool(inplace)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return leaky_relu(x)."""
        return functional.leaky_relu(_as_tensor(x), self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        """Return the slope (and the in-place flag when it is set)."""
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """GELU, x·Φ(x): exact with the error function (the default, as PyTorch's) or "tanh".

    The tanh form, ½x(1 + tanh(√(2/π)(x + 0.044715x³))), is within 1e-3 of the exact one and
    faster on large arrays (the error function is evaluated element by element).

    Args:
        approximate: "none" (exact) or "tanh".

    Raises:
        ValueError: another value of approximate.
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return gelu(x)."""
        return _as_tensor(x).gelu(self.approximate)

    def extra_repr(self) -> str:
        """Return the approximation."""
        return f"approximate={self.approximate!r}"


def _dim(owner: str, dim: int | None) -> int:
    if dim is None:
        raise TypeError(
            f"{owner}: give dim, the dimension to normalise (e.g. {owner}(dim=1) for rows of "
            "classes); PyTorch's implicit choice is deprecated"
        )
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{owner}: dim must be an int, got {dim!r}")
    return int(dim)


class Softmax(Module):
    """e^x / Σ e^x along `dim`, stable for any finite x.

    Args:
        dim: the dimension along which the outputs sum to 1.
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = _dim("Softmax", dim)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return softmax(x) along dim."""
        return _as_tensor(x).softmax(self.dim)

    def extra_repr(self) -> str:
        """Return the dim."""
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """x - ln Σ e^x along `dim`, stable for any finite x.

    Args:
        dim: the dimension along which exp of the outputs sums to 1.
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = _dim("LogSoftmax", dim)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return log_softmax(x) along dim."""
        return _as_tensor(x).log_softmax(self.dim)

    def extra_repr(self) -> str:
        """Return the dim."""
        return f"dim={self.dim}"


class SiLU(Module):
    """SiLU (swish), x·σ(x), as a module.

    Args:
        inplace: write the result into the input tensor.
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = bool(inplace)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return x·σ(x)."""
        return functional.silu(_as_tensor(x), self.inplace)

    def extra_repr(self) -> str:
        """Return the in-place flag when it is set."""
        return "inplace=True" if self.inplace else ""


class ELU(Module):
    """ELU: x where x > 0, else α(eˣ − 1), as a module.

    Args:
        alpha: the value the output approaches for x → −∞ is −alpha.
        inplace: write the result into the input tensor.
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = float(alpha), bool(inplace)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return elu(x)."""
        return functional.elu(_as_tensor(x), self.alpha, self.inplace)

    def extra_repr(self) -> str:
        """Return alpha (and the in-place flag when it is set)."""
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Softplus(Module):
    """ln(1 + e^(βx))/β, linear where βx > threshold, as a module.

    Args:
        beta: the sharpness β.
        threshold: above β·x > threshold the output is x itself.
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = float(beta), float(threshold)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return softplus(x)."""
        return _as_tensor(x).softplus(self.beta, self.threshold)

    def extra_repr(self) -> str:
        """Return beta and threshold."""
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """x limited to [min_val, max_val] (gradient 1 strictly inside, else 0), as a module.

    Args:
        min_val: the lower bound.
        max_val: the upper bound.
        inplace: write the result into the input tensor.
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val {min_val} is greater than max_val {max_val}")
        self.min_val, self.max_val, self.inplace = float(min_val), float(max_val), bool(inplace)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return hardtanh(x)."""
        return functional.hardtanh(_as_tensor(x), self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        """Return the bounds (and the in-place flag when it is set)."""
        flag = ", inplace=True" if self.inplace else ""
        return f"min_val={self.min_val}, max_val={self.max_val}{flag}"


class ReLU6(Hardtanh):
    """min(max(x, 0), 6) as a module: `Hardtanh(0, 6)`."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        """Return the in-place flag when it is set."""
        return "inplace=True" if self.inplace else ""
