"""Initialisation of tensors in place (nn.init): constants, normal and uniform, Xavier and He.

The orthogonal, truncated normal, identity, Dirac and sparse initialisers are written in
`init_more` and reached from here, as PyTorch's `nn.init` has them all in one place.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import numpy as np

from .init_more import (
    Generator,
    T,
    _fill,
    _float,
    _normal,
    _number,
    _rng,
    _tensor,
    dirac_,
    eye_,
    orthogonal_,
    sparse_,
    trunc_normal_,
)
from .tensor import Tensor

__all__ = [
    "calculate_gain",
    "constant",
    "constant_",
    "dirac",
    "dirac_",
    "eye",
    "eye_",
    "fan_in_and_fan_out",
    "kaiming_normal",
    "kaiming_normal_",
    "kaiming_uniform",
    "kaiming_uniform_",
    "normal",
    "normal_",
    "ones_",
    "orthogonal",
    "orthogonal_",
    "sparse",
    "sparse_",
    "trunc_normal_",
    "uniform",
    "uniform_",
    "xavier_normal",
    "xavier_normal_",
    "xavier_uniform",
    "xavier_uniform_",
    "zeros_",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")

# gain² of each nonlinearity: exact where it is rational, so He's std for ReLU is √(2/fan)
# exactly as the course computes it (the gain itself, √2, is not exact in floating point).
_LINEAR: tuple[str, ...] = ("linear", "identity", "sigmoid", "conv1d", "conv2d", "conv3d")
_LINEAR += ("conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def _gain_squared(nonlinearity: str, param: float | None) -> float:
    if not isinstance(nonlinearity, str):
        raise TypeError(f"calculate_gain: nonlinearity must be a str, got {nonlinearity!r}")
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 25.0 / 9.0
    if nonlinearity == "relu":
        return 2.0
    if nonlinearity == "selu":
        return 9.0 / 16.0
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise TypeError(f"calculate_gain: negative_slope {slope!r} is not a number")
        if not math.isfinite(slope):
            raise ValueError(f"calculate_gain: negative_slope must be finite, got {slope}")
        return 2.0 / (1 + slope**2)
    raise ValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; choose one of "
        f"{[*_LINEAR, 'tanh', 'relu', 'leaky_relu', 'selu']}"
    )


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity, as PyTorch's `nn.init.calculate_gain`.

    linear, identity (not in PyTorch), conv*, sigmoid: 1 (an int, as PyTorch's); tanh: 5/3;
    relu: √2; leaky_relu with negative slope a (`param`, default 0.01): √(2 / (1 + a²));
    selu: 3/4.

    Raises:
        ValueError: an unknown nonlinearity.
    """
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "selu":
        return 3.0 / 4
    if nonlinearity in _LINEAR:
        return 1  # an int, as PyTorch returns
    return math.sqrt(_gain_squared(nonlinearity, param))


def fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel), PyTorch's convention.

    fan_in = in·∏kernel and fan_out = out·∏kernel. A `Linear` weight is (out, in); the
    course's column-layout W_l is (n_l, n_{l−1}), the same layout, so fan_in = n_{l−1}: He's
    √(2 / fan_in) is the course's √(2 / n_{l−1}).

    Raises:
        ValueError: the tensor has fewer than 2 dimensions.
    """
    shape = _tensor("fan_in_and_fan_out", tensor).shape
    if len(shape) < 2:
        raise ValueError(
            f"fan_in_and_fan_out: fan in and fan out need a tensor of at least 2 dimensions "
            f"(out, in, ...), got shape {shape}"
        )
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _uniform(func: str, tensor: T, a: float, b: float, generator: Any, seed: Any) -> T:
    _tensor(func, tensor)
    _float(func, tensor)
    a, b = _number(func, "a", a), _number(func, "b", b)
    if a > b:
        raise ValueError(f"{func}: the bounds must satisfy a <= b, got a={a}, b={b}")
    rng = _rng(func, generator, seed)
    return _fill(func, tensor, rng.uniform(a, b, tensor.data.shape))


def constant_(tensor: T, val: float) -> T:
    """Fill the tensor with `val`, in place; returns the tensor.

    Raises:
        ValueError: `val` does not fit the tensor's dtype exactly (0.5 into an int tensor).
    """
    _tensor("constant_", tensor)
    if isinstance(val, bool) or not isinstance(val, (int, float, np.number)):
        raise TypeError(f"constant_: val must be a number, got {val!r}")
    cast = np.asarray(val).astype(tensor.data.dtype)
    if cast != val and not (np.isnan(cast) and np.isnan(val)):
        raise ValueError(f"constant_: {val!r} does not fit dtype {tensor.data.dtype} exactly")
    return _fill("constant_", tensor, cast)


def zeros_(tensor: T) -> T:
    """Fill the tensor with 0, in place; returns the tensor."""
    return constant_(tensor, 0)


def ones_(tensor: T) -> T:
    """Fill the tensor with 1, in place; returns the tensor."""
    return constant_(tensor, 1)


def normal_(
    tensor: T,
    mean: float = 0.0,
    std: float = 1.0,
    generator: Generator | None = None,
    seed: int | None = None,
) -> T:
    """Fill the tensor with draws from N(mean, std²), in place; returns the tensor.

    Each value is `standard_normal()·std + mean` (the `+ mean` left out when mean is 0),
    drawn in float64 and rounded to the tensor's dtype. With a `RandomState` these are the
    course's `np.random.randn(...)·std` values, bit for bit, in the same order.

    Args:
        tensor: a floating-point tensor (its array is written; `requires_grad` is kept).
        mean: the mean.
        std: the standard deviation, >= 0.
        generator: a `numpy.random.Generator` or legacy `RandomState` to draw from.
        seed: instead of `generator`, the seed of a fresh `numpy.random.default_rng`.
            With neither, the library's default generator (`tinygrad_lite.manual_seed`).

    Raises:
        ValueError: std < 0, a non-finite argument, both generator and seed, or a read-only
            array.
        TypeError: not a floating-point Tensor, or an argument of the wrong type.
        TraceError: called inside a step that `compile` is tracing.
    """
    return _normal("normal_", tensor, mean, std, generator, seed)


def uniform_(
    tensor: T,
    a: float = 0.0,
    b: float = 1.0,
    generator: Generator | None = None,
    seed: int | None = None,
) -> T:
    """Fill the tensor with draws from U(a, b), in place; returns the tensor.

    Args:
        tensor: a floating-point tensor.
        a: the lower bound.
        b: the upper bound, >= a.
        generator: a `numpy.random.Generator` or `RandomState`.
        seed: instead of `generator`, the seed of a fresh `numpy.random.default_rng`.

    Raises:
        ValueError: a > b, or as `normal_`.
        TypeError: as `normal_`.
    """
    return _uniform("uniform_", tensor, a, b, generator, seed)


def xavier_uniform_(
    tensor: T, gain: float = 1.0, generator: Generator | None = None, seed: int | None = None
) -> T:
    """Glorot initialisation: U(−b, b) with b = gain·√(6 / (fan_in + fan_out)).

    That is √3 times the standard deviation gain·√(2 / (fan_in + fan_out)), as PyTorch.
    Fans as in `fan_in_and_fan_out`; generator and seed as in `normal_`.

    Raises:
        ValueError: fewer than 2 dimensions, or as `normal_`.
    """
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    std = _number("xavier_uniform_", "gain", gain) * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return _uniform("xavier_uniform_", tensor, -bound, bound, generator, seed)


def xavier_normal_(
    tensor: T, gain: float = 1.0, generator: Generator | None = None, seed: int | None = None
) -> T:
    """Glorot initialisation: N(0, std²) with std = gain·√(2 / (fan_in + fan_out)).

    Fans as in `fan_in_and_fan_out`; generator and seed as in `normal_`.

    Raises:
        ValueError: fewer than 2 dimensions, or as `normal_`.
    """
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    std = _number("xavier_normal_", "gain", gain) * math.sqrt(2.0 / float(fan_in + fan_out))
    return _normal("xavier_normal_", tensor, 0.0, std, generator, seed)


def _kaiming_std(func: str, tensor: Tensor, a: float | None, mode: str, nonlinearity: str) -> float:
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    # PyTorch lower-cases the mode ("FAN_OUT" is accepted) and reads a=None as the
    # default negative slope of calculate_gain (0.01).
    if not isinstance(mode, str) or mode.lower() not in ("fan_in", "fan_out"):
        raise ValueError(f"{func}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = fan_in if mode.lower() == "fan_in" else fan_out
    slope = None if a is None else _number(func, "a", a)
    return math.sqrt(_gain_squared(nonlinearity, slope) / fan)


def _empty(func: str, tensor: Any) -> bool:
    if isinstance(tensor, Tensor) and tensor.data.size == 0:
        warnings.warn(f"{func}: initialising a zero-element tensor does nothing", stacklevel=3)
        return True
    return False


def kaiming_uniform_(
    tensor: T,
    a: float | None = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
    seed: int | None = None,
) -> T:
    """He initialisation: U(−b, b) with b = √3·std, std = gain / √fan.

    gain is `calculate_gain(nonlinearity, a)`; fan is fan_in (keeps the forward pass's
    variance) or fan_out (the backward pass's), as in `fan_in_and_fan_out`. The std is
    computed as √(gain² / fan), with gain² exact for relu (2), so that
    `nonlinearity="relu"` gives the course's √(2 / n_{l−1}) to the last bit (PyTorch's
    gain / √fan may differ from it in the last place).

    Args:
        tensor: a floating-point tensor of at least 2 dimensions.
        a: the negative slope of the leaky ReLU that follows (used with "leaky_relu");
            None means `calculate_gain`'s default, 0.01.
        mode: "fan_in" or "fan_out" (in any case, as PyTorch lower-cases it).
        nonlinearity: as `calculate_gain`; "relu" for the course's He initialisation.
        generator: a `numpy.random.Generator` or `RandomState`.
        seed: instead of `generator`, the seed of a fresh `numpy.random.default_rng`.

    Raises:
        ValueError: fewer than 2 dimensions, an unknown mode or nonlinearity, or as `normal_`.
    """
    if _empty("kaiming_uniform_", tensor):
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std("kaiming_uniform_", tensor, a, mode, nonlinearity)
    return _uniform("kaiming_uniform_", tensor, -bound, bound, generator, seed)


def kaiming_normal_(
    tensor: T,
    a: float | None = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
    seed: int | None = None,
) -> T:
    """He initialisation: N(0, std²) with std = gain / √fan (computed as √(gain² / fan)).

    With `nonlinearity="relu"` and a `RandomState(3)` drawn layer by layer, a (n_l, n_{l−1})
    weight gets the course's `np.random.randn(n_l, n_{l−1})·√(2 / n_{l−1})`, bit for bit.
    Arguments as in `kaiming_uniform_`.

    Example:
        >>> import numpy as np
        >>> from tinygrad_lite import nn
        >>> W1 = nn.Parameter(np.empty((10, 2)))
        >>> _ = nn.init.kaiming_normal_(W1, nonlinearity="relu",
        ...                             generator=np.random.RandomState(3))
        >>> bool((W1.data == np.random.RandomState(3).randn(10, 2) * np.sqrt(2 / 2)).all())
        True

    Raises:
        ValueError: as `kaiming_uniform_`.
    """
    if _empty("kaiming_normal_", tensor):
        return tensor
    std = _kaiming_std("kaiming_normal_", tensor, a, mode, nonlinearity)
    return _normal("kaiming_normal_", tensor, 0.0, std, generator, seed)


# ------------------------------------------------------------------ PyTorch's old names


def _deprecated(new: Callable[_P, _R]) -> Callable[_P, _R]:
    """The old name of `new` (without the trailing underscore): warns, then calls it."""
    old = new.__name__[:-1]

    @functools.wraps(new)
    def call(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        warnings.warn(
            f"`nn.init.{old}` is now deprecated in favor of `nn.init.{new.__name__}`.",
            FutureWarning,
            stacklevel=2,
        )
        return new(*args, **kwargs)

    call.__name__ = call.__qualname__ = old
    call.__doc__ = f"Deprecated: `{new.__name__}` under its old name (warns FutureWarning)."
    return call


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
