"""Channel dropout on Tensors: dropout1d, dropout2d (as PyTorch's `F`), whole channels at once.

Where `functional.dropout` zeroes single elements, these zero whole channels: one draw per
(sample, channel) pair decides for all of its positions, as PyTorch's `F.dropout1d` and
`F.dropout2d`. The mask is drawn the way `functional.dropout` draws its own: uniform numbers
from the given generator (or the library's default one, which `tinygrad_lite.manual_seed`
reseeds), a channel kept where its number is >= p, the kept ones scaled by 1/(1 - p); in a
compiled step every call draws afresh, as eager calls would.

>>> import numpy as np
>>> from tinygrad_lite import Tensor
>>> x = Tensor(np.ones((1, 4, 3)))
>>> y = dropout1d(x, p=0.5, generator=0)
>>> y.data[0].tolist()
[[2.0, 2.0, 2.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import tracing
from .rng import generator as make_generator
from .tensor import Tensor
from .tensor_inplace import check_inplace, maybe_in_place

__all__ = ["check_probability", "dropout1d", "dropout2d"]


def check_probability(owner: str, name: str, p: Any) -> float:
    """`p` as a float in [0, 1] (a dropout probability), or a ValueError naming `owner` and `name`.

    Args:
        owner: the function or layer named in the error.
        name: the argument's name, for the error.
        p: the probability to check (a real number, not a bool).

    Returns:
        p as a float.

    Raises:
        ValueError: p is not a real number in [0, 1] (a bool, NaN or anything else).
    """
    if (
        isinstance(p, bool)
        or not isinstance(p, (int, float, np.integer, np.floating))
        or not 0 <= p <= 1
    ):
        raise ValueError(f"{owner}: {name} must be a probability in [0, 1], got {p!r}")
    return float(p)


def scaled_mask_product(x: Tensor, p: float, shape: tuple[int, ...], generator: Any) -> Tensor:
    """X times a random mask of `shape` (broadcast against x): 0 with probability p, else 1/(1 - p).

    The mask's uniforms are drawn from `generator` (see `rng.generator`) through
    `tracing.random_call`, so a compiled step draws fresh ones on every call, as eager would.
    Every dropout of the library (elementwise, by channel, of attention weights) is this.
    """
    if p == 1:
        return x * 0.0
    u = tracing.random_call(make_generator(generator).random, shape)
    keep = (u >= p).astype(x.dtype) * (1.0 / (1.0 - p))  # 0 or 1/(1-p), in x's dtype
    return x * Tensor._make(keep, False, None)


def channel_dropout(
    op: str, x: Tensor, p: float, training: bool, generator: Any, inplace: Any, batched: int
) -> Tensor:
    """What dropout1d/2d/3d share once their input is checked: a mask per (sample, channel).

    x times a mask that is 0 or 1/(1 - p) per (sample, channel), of shape (N, C, 1, ...), or
    (C, 1, ...) for an input of fewer than `batched` dims (one sample); written into x with
    `inplace`.

    Not training, or p = 0: x itself, untouched (so also a leaf that requires grad), as PyTorch.
    """
    generator, inplace = inplace_or_generator(op, generator, inplace)
    if not training or p == 0:
        return x
    lead = 2 if x.ndim >= batched else 1
    shape = x.shape[:lead] + (1,) * (x.ndim - lead)
    return maybe_in_place(x, inplace, op, lambda a: scaled_mask_product(a, p, shape, generator))


def inplace_or_generator(op: str, generator: Any, inplace: Any) -> tuple[Any, bool]:
    """The generator and PyTorch's `inplace` flag, which PyTorch passes where `generator` is.

    Raises:
        TypeError: `inplace` is not a bool.
    """
    if isinstance(generator, (bool, np.bool_)):
        generator, inplace = None, bool(generator) or inplace
    return generator, check_inplace(op, inplace)


def dropout1d(
    input: Tensor | np.ndarray,
    p: float = 0.5,
    training: bool = True,
    generator: Any = None,
    inplace: bool = False,
) -> Tensor:
    """Zero whole channels of (N, C, L) or unbatched (C, L) input, as PyTorch's `F.dropout1d`.

    Each channel (a row of L values) is zeroed with probability p, independently for every
    sample; the others are scaled by 1/(1 - p), so the expectation is the input.

    Args:
        input: (N, C, L), or (C, L) for one sample.
        p: the probability of zeroing a channel, in [0, 1].
        training: drop (True) or return the input as it is (False).
        generator: a `numpy.random.Generator`, an int seed, or None for the library's default
            generator; a bool here is PyTorch's fourth argument, `inplace`.
        inplace: write the result into the input and return it, as PyTorch's.

    Returns:
        A tensor of the input's shape (the input itself when not training or p = 0).

    Raises:
        ValueError: p outside [0, 1], or an input that is neither 2-D nor 3-D.
    """
    x = input if isinstance(input, Tensor) else Tensor(input)
    p = check_probability("dropout1d", "p", p)
    if x.ndim not in (2, 3):
        raise ValueError(
            f"dropout1d: expected a 2D (C, L) or 3D (N, C, L) input, got a {x.ndim}D input of "
            f"shape {x.shape}"
        )
    return channel_dropout("dropout1d", x, p, training, generator, inplace, batched=3)


def dropout2d(
    input: Tensor | np.ndarray,
    p: float = 0.5,
    training: bool = True,
    generator: Any = None,
    inplace: bool = False,
) -> Tensor:
    """Zero whole channels of (N, C, H, W) input, as PyTorch's `F.dropout2d`.

    Each channel (an H×W map) is zeroed with probability p, independently for every sample;
    the others are scaled by 1/(1 - p). A 3D input is read as PyTorch reads it today, as
    (N, C, L) with rows of L values dropped (channel dropout in 1D), with a warning: PyTorch
    announces it will read it as an unbatched (C, H, W) instead. Use `dropout1d` for (N, C, L),
    or give one sample as (1, C, H, W).

    Args:
        input: (N, C, H, W); (N, C, L) with a warning.
        p: the probability of zeroing a channel, in [0, 1].
        training: drop (True) or return the input as it is (False).
        generator: a `numpy.random.Generator`, an int seed, or None for the library's default
            generator; a bool here is PyTorch's fourth argument, `inplace`.
        inplace: write the result into the input and return it, as PyTorch's.

    Returns:
        A tensor of the input's shape (the input itself when not training or p = 0).

    Raises:
        ValueError: p outside [0, 1], or an input that is neither 3-D nor 4-D (PyTorch still
            runs those with a warning that they will become an error).
    """
    x = input if isinstance(input, Tensor) else Tensor(input)
    p = check_probability("dropout2d", "p", p)
    if x.ndim not in (3, 4):
        raise ValueError(
            f"dropout2d: expected a 4D (N, C, H, W) input, got a {x.ndim}D input of shape "
            f"{x.shape} (use dropout for element-wise dropout, dropout1d for (N, C, L))"
        )
    if x.ndim == 3:
        warnings.warn(
            f"dropout2d: the 3D input of shape {x.shape} is read as (N, C, L), as PyTorch reads "
            "it today, and whole rows of L values are dropped; PyTorch will read it as an "
            "unbatched (C, H, W) in a future release. Use dropout1d for (N, C, L), or give one "
            "sample as (1, C, H, W).",
            stacklevel=2,
        )
    return channel_dropout("dropout2d", x, p, training, generator, inplace, batched=3)
