"""Random activations and dropouts: gumbel_softmax, rrelu, alpha_dropout (as PyTorch's `F`, `nn`).

Each draws its noise from a generator (a `numpy.random.Generator`, an int seed, or None for the
library's default one, which `tinygrad_lite.manual_seed` reseeds) through `tracing.random_call`,
as dropout does, so that a compiled step draws afresh on every call, as eager calls would.
Given the noise, the result is PyTorch's formula, composed of differentiable ops:

- gumbel_softmax: y = softmax((logits + g)/τ) with Gumbel noise g = −ln E, E ~ Exp(1); with
  hard=True the one-hot of argmax y, as y_hard − y.detach() + y (straight through: the value is
  the one-hot, every derivative is y's);
- rrelu: x for x > 0, else a·x with a ~ U(lower, upper) drawn per element (training), or
  a = (lower + upper)/2 (eval, a leaky ReLU);
- alpha_dropout: SELU's dropout, which keeps the mean and variance of unit normal inputs:
  with a mask m, 1 with probability 1 − p, y = x·(A·m) + (A·α·(m − 1) + A·α·p), that is
  A·(x + α·p) where kept and −A·α·(1 − p) where dropped, with α = λα of SELU (whose outputs
  saturate at −λα) and A = ((α²p + 1)(1 − p))^(−1/2), in PyTorch's order of operations;
- feature_alpha_dropout: the same with one draw per (sample, channel) pair.

The gradients are the noise's slopes (a, or A·m), as PyTorch's.

>>> import numpy as np
>>> import tinygrad_lite as tg
>>> y = gumbel_softmax(tg.tensor([[1.0, 2.0, 3.0]]), hard=True, generator=0)
>>> y.tolist(), float(y.sum())
([[0.0, 0.0, 1.0]], 1.0)
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from . import tracing
from .channel_drop import check_probability
from .module import Module
from .ops import Where
from .rng import generator as make_generator
from .rng import generator_arg
from .tensor import Tensor
from .tensor_inplace import maybe_in_place
from .tensor_shape import dim_arg

__all__ = [
    "SELU_LAMBDA_ALPHA",
    "AlphaDropout",
    "FeatureAlphaDropout",
    "RReLU",
    "alpha_dropout",
    "feature_alpha_dropout",
    "gumbel_softmax",
    "rrelu",
]

# λα of SELU, whose outputs saturate at −λα: the α of PyTorch's alpha dropout.
SELU_LAMBDA_ALPHA = 1.7580993408473766


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _const(a: Any) -> Tensor:
    return Tensor._make(a, False, None)


def _real(owner: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(
            f"{owner}: {name} must be a real number, got {type(value).__name__} {value!r}"
        )
    return float(value)


def _floating(owner: str, x: Tensor) -> Tensor:
    if x.dtype.kind != "f":
        raise TypeError(f"{owner}: needs a floating-point input, got dtype {x.dtype}")
    return x


def gumbel_softmax(
    logits: Tensor | np.ndarray,
    tau: float = 1.0,
    hard: bool = False,
    eps: float = 1e-10,
    dim: int = -1,
    *,
    generator: Any = None,
) -> Tensor:
    """A sample of the Gumbel-softmax (Concrete) distribution, as PyTorch's `F.gumbel_softmax`.

    y = softmax((logits + g)/τ) along `dim`, with g = −ln E and E ~ Exp(1) drawn per element
    (Gumbel(0, 1) noise): a differentiable relaxation of a draw of the categorical distribution
    softmax(logits). With hard=True the value is the one-hot of argmax y (the first maximum)
    and the gradients are y's: y_hard − y.detach() + y, the straight-through estimator.

    Args:
        logits: unnormalised log-probabilities, floating point, any shape.
        tau: the temperature τ (> 0): small τ makes y close to one-hot.
        hard: return one-hot vectors (with y's gradients).
        eps: unused; a value other than 1e-10 warns, as in PyTorch.
        dim: the dimension the categories run along.
        generator: a `numpy.random.Generator`, an int seed, or None for the library's default
            generator.

    Returns:
        A tensor of the logits' shape and dtype that sums to 1 along `dim`.

    Raises:
        TypeError: non-floating logits, or tau not a real number.
        IndexError: dim out of range.
    """
    x = _floating("gumbel_softmax", _as_tensor(logits))
    tau = _real("gumbel_softmax", "tau", tau)
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", UserWarning, stacklevel=2)
    d = dim_arg(dim, x.ndim, "gumbel_softmax")
    e = tracing.random_call(make_generator(generator).exponential, 1.0, x.shape)
    tiny = np.finfo(x.dtype).tiny  # PyTorch's draws of Exp(1) are > 0
    g = -np.log(np.maximum(e.astype(x.dtype), tiny))
    y_soft = ((x + _const(g)) / tau).softmax(d)
    if not hard:
        return y_soft
    if x.ndim == 0:  # one category
        y_hard = np.ones((), x.dtype)
    else:  # the one-hot of the first maximum along d
        best = np.expand_dims(np.argmax(y_soft.data, axis=d), d)
        categories = np.arange(x.shape[d]).reshape((-1,) + (1,) * (x.ndim - 1 - d))
        y_hard = (categories == best).astype(x.dtype)
    return _const(y_hard) - y_soft.detach() + y_soft


def _check_bounds(owner: str, lower: Any, upper: Any) -> tuple[float, float]:
    lo, hi = _real(owner, "lower", lower), _real(owner, "upper", upper)
    if not lo <= hi:
        raise ValueError(f"{owner}: lower must be <= upper, got lower={lo} and upper={hi}")
    return lo, hi


def rrelu(
    input: Tensor | np.ndarray,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
    *,
    generator: Any = None,
) -> Tensor:
    """The randomized leaky ReLU, as PyTorch's `F.rrelu`: x for x > 0, else a·x.

    In training each element x <= 0 gets its own slope a ~ U(lower, upper); otherwise
    (PyTorch's default, training=False) every slope is (lower + upper)/2. The gradient is 1
    where x > 0 and a elsewhere (x = 0 included).

    Args:
        input: a floating-point tensor of any shape.
        lower: the least slope.
        upper: the greatest slope (>= lower).
        training: draw the slopes (True) or use their mean (False).
        inplace: write the result into the input tensor.
        generator: a `numpy.random.Generator`, an int seed, or None for the library's default
            generator.

    Returns:
        A tensor of the input's shape and dtype.

    Raises:
        ValueError: lower > upper.
        TypeError: a non-floating input, or bounds that are not real numbers.
    """
    lo, hi = _check_bounds("rrelu", lower, upper)
    x = _floating("rrelu", _as_tensor(input))

    def of(t: Tensor) -> Tensor:
        if not training:
            return Where.apply(_const(t.data > 0), t, t * ((lo + hi) / 2))
        a = tracing.random_call(make_generator(generator).uniform, lo, hi, t.shape)
        slope = np.where(t.data <= 0, a, 1.0).astype(t.dtype)
        return t * _const(slope)

    return maybe_in_place(x, inplace, "rrelu", of)


def _alpha(
    owner: str, x: Tensor, p: Any, training: bool, inplace: bool, generator: Any, feature: bool
) -> Tensor:
    """Alpha dropout of x, one draw per element or (feature) per (sample, channel) pair."""
    p = check_probability(owner, "p", p)
    if p == 0 or not training or math.prod(x.shape) == 0:
        return x
    if p == 1:  # PyTorch multiplies by a zero of the input's dtype (NaN stays NaN)
        return maybe_in_place(x, inplace, owner, lambda t: t * _const(np.zeros((), t.dtype)))
    if feature and x.ndim < 2:
        raise ValueError(
            f"{owner}: feature dropout needs an input of at least 2 dimensions (N, C, ...), got "
            f"shape {x.shape}"
        )
    _floating(owner, x)
    shape = x.shape[:2] + (1,) * (x.ndim - 2) if feature else x.shape
    u = tracing.random_call(make_generator(generator).random, shape)
    dt, alpha = x.dtype.type, SELU_LAMBDA_ALPHA
    a = 1.0 / math.sqrt((alpha * alpha * p + 1) * (1 - p))
    kept = (u >= p).astype(x.dtype)  # 1 with probability 1 − p
    shift = (kept - 1) * dt(alpha * a) + dt(alpha * a * p)  # PyTorch's b, in x's dtype
    scale = kept * dt(a)
    return maybe_in_place(x, inplace, owner, lambda t: t * _const(scale) + _const(shift))


def alpha_dropout(
    input: Tensor | np.ndarray,
    p: float = 0.5,
    training: bool = False,
    inplace: bool = False,
    *,
    generator: Any = None,
) -> Tensor:
    """SELU's dropout, as PyTorch's `F.alpha_dropout`: mean and variance are kept.

    Each element is kept with probability 1 − p (mask m = 1) or set to the value SELU
    saturates at, and the result is corrected by an affine map so that unit normal inputs
    keep mean 0 and variance 1: y = x·A·m + A·α·(m − 1) + A·α·p, α = 1.7580993408473766 (λα
    of SELU), A = ((α²p + 1)(1 − p))^(−1/2). The gradient is A·m. With training=False (PyTorch's
    default), p = 0 or an empty input it returns the input itself; p = 1 gives x·0.

    Args:
        input: a floating-point tensor of any shape.
        p: the probability of dropping an element, in [0, 1].
        training: drop (True) or return the input (False).
        inplace: write the result into the input tensor.
        generator: a `numpy.random.Generator`, an int seed, or None for the library's default
            generator.

    Returns:
        A tensor of the input's shape and dtype.

    Raises:
        ValueError: p outside [0, 1].
        TypeError: a non-floating input (when it drops).
    """
    x = _as_tensor(input)
    return _alpha("alpha_dropout", x, p, training, inplace, generator, feature=False)


def feature_alpha_dropout(
    input: Tensor | np.ndarray,
    p: float = 0.5,
    training: bool = False,
    inplace: bool = False,
    *,
    generator: Any = None,
) -> Tensor:
    """Alpha dropout of whole channels, as PyTorch's `F.feature_alpha_dropout`.

    As `alpha_dropout`, with one mask value per (sample, channel) pair of an (N, C, ...) input,
    shared by all the channel's positions.

    Args:
        input: (N, C, ...), at least 2-D, floating point.
        p: the probability of dropping a channel, in [0, 1].
        training: drop (True) or return the input (False, PyTorch's default).
        inplace: write the result into the input tensor.
        generator: a `numpy.random.Generator`, an int seed, or None for the library's default
            generator.

    Returns:
        A tensor of the input's shape and dtype.

    Raises:
        ValueError: p outside [0, 1], or an input of fewer than 2 dimensions (when it drops).
        TypeError: a non-floating input (when it drops).
    """
    x = _as_tensor(input)
    return _alpha("feature_alpha_dropout", x, p, training, inplace, generator, feature=True)


class RReLU(Module):
    """The randomized leaky ReLU as a module (see `rrelu`): random slopes in `train()`.

    In training each element x <= 0 is multiplied by its own slope a ~ U(lower, upper); in
    `eval()` by (lower + upper)/2.

    Args:
        lower: the least slope.
        upper: the greatest slope (>= lower).
        inplace: write the result into the input tensor.
        generator: a `numpy.random.Generator` or an int seed for the slopes; None draws from
            the library's default generator (`tinygrad_lite.manual_seed`).

    Raises:
        ValueError: lower > upper.
        TypeError: bounds that are not real numbers, or a generator of another type.
    """

    def __init__(
        self,
        lower: float = 1.0 / 8,
        upper: float = 1.0 / 3,
        inplace: bool = False,
        generator: Any = None,
    ) -> None:
        super().__init__()
        _check_bounds("RReLU", lower, upper)
        self.lower, self.upper = lower, upper  # as given, as PyTorch keeps (and prints) them
        self.inplace = bool(inplace)
        self.generator = generator_arg("RReLU", generator)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """X for x > 0, else the slope times x."""
        return rrelu(
            x, self.lower, self.upper, self.training, self.inplace, generator=self.generator
        )

    def extra_repr(self) -> str:
        """The bounds, and the in-place flag when it is set."""
        flag = ", inplace=True" if self.inplace else ""
        return f"lower={self.lower}, upper={self.upper}{flag}"


class _AlphaDrop(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False, generator: Any = None) -> None:
        super().__init__()
        check_probability(type(self).__name__, "p", p)
        self.p = p
        self.inplace = bool(inplace)
        self.generator = generator_arg(type(self).__name__, generator)

    def extra_repr(self) -> str:
        """The drop probability and the in-place flag."""
        return f"p={self.p}, inplace={self.inplace}"


class AlphaDropout(_AlphaDrop):
    """SELU's dropout as a module (see `alpha_dropout`): active in `train()`, else the identity.

    Args:
        p: the probability of dropping each element, in [0, 1].
        inplace: write the result into the input tensor.
        generator: a `numpy.random.Generator` or an int seed for the masks; None draws from
            the library's default generator (`tinygrad_lite.manual_seed`).

    Raises:
        ValueError: p outside [0, 1].
        TypeError: a generator of another type.
    """

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """X with elements dropped and the affine correction (training), or x (eval)."""
        return alpha_dropout(x, self.p, self.training, self.inplace, generator=self.generator)


class FeatureAlphaDropout(_AlphaDrop):
    """Alpha dropout of whole channels as a module (see `feature_alpha_dropout`).

    Args:
        p: the probability of dropping each channel, in [0, 1].
        inplace: write the result into the input tensor.
        generator: a `numpy.random.Generator` or an int seed for the masks; None draws from
            the library's default generator (`tinygrad_lite.manual_seed`).

    Raises:
        ValueError: p outside [0, 1].
        TypeError: a generator of another type.
    """

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """X with channels dropped and the affine correction (training), or x (eval)."""
        return feature_alpha_dropout(
            x, self.p, self.training, self.inplace, generator=self.generator
        )
