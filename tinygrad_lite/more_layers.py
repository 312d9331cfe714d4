"""Shape and channel-dropout layers as Modules: Unflatten, Dropout1d, Dropout2d (in `nn`).

>>> import numpy as np
>>> from tinygrad_lite import nn
>>> nn.Unflatten(1, (2, -1))(np.zeros((4, 6))).shape
(4, 2, 3)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import channel_drop
from .channel_drop import check_probability
from .module import Module
from .rng import generator_arg
from .tensor import Tensor
from .tensor_inplace import check_inplace, maybe_in_place
from .tensor_shape import dim_arg

__all__ = ["Dropout1d", "Dropout2d", "Unflatten"]


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _sizes(owner: str, unflattened_size: Any) -> tuple[int, ...]:
    """The sizes to unflatten into: ints >= 0, at most one -1 (inferred), at least one."""
    if not isinstance(unflattened_size, (tuple, list)):
        raise TypeError(
            f"{owner}: unflattened_size must be a tuple or list of ints, got "
            f"{type(unflattened_size).__name__} {unflattened_size!r}"
        )
    for i, s in enumerate(unflattened_size):
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(
                f"{owner}: unflattened_size must hold ints, got {type(s).__name__} {s!r} at "
                f"position {i}"
            )
    sizes = tuple(int(s) for s in unflattened_size)
    if not sizes:
        raise ValueError(f"{owner}: unflattened_size must hold at least one size, got ()")
    if sizes.count(-1) > 1:
        raise ValueError(f"{owner}: only one size can be inferred (-1), got {sizes}")
    if any(s < -1 for s in sizes):
        raise ValueError(f"{owner}: sizes must be >= 0, or -1 for one inferred size, got {sizes}")
    return sizes


class Unflatten(Module):
    """Split one dimension into several, as PyTorch's `nn.Unflatten`: `Flatten`'s inverse.

    Dimension `dim` of size n becomes the dimensions `unflattened_size`, whose product must
    be n; one of them may be -1, inferred as n divided by the product of the others. The
    values are not copied: the output is a reshape of the input, and so is the gradient.

    Args:
        dim: the dimension to split (negative counts from the end).
        unflattened_size: the new sizes, a tuple or list of ints (one may be -1).

    Raises:
        TypeError: dim is not an int (named dimensions are not supported), or the sizes are
            not a tuple or list of ints.
        ValueError: no sizes, more than one -1, or a size below -1.
    """

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(
                f"Unflatten: dim must be an int (named dimensions are not supported), got {dim!r}"
            )
        self.dim = int(dim)
        self.unflattened_size = _sizes("Unflatten", unflattened_size)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return x with dimension `dim` split into `unflattened_size`.

        Raises:
            ValueError: a 0-d input, or sizes whose product is not the dimension's size (or,
                with -1, does not divide it, or is 0 so that -1 could be anything).
            IndexError: dim out of range for the input.
        """
        x = _as_tensor(x)
        if x.ndim == 0:
            raise ValueError("Unflatten: a 0-d input has no dimension to unflatten")
        d = dim_arg(self.dim, x.ndim, "Unflatten")
        n = x.shape[d]
        sizes = self.unflattened_size
        known = math.prod(s for s in sizes if s != -1)
        if -1 in sizes:
            if known == 0 or n % known:
                raise ValueError(
                    f"Unflatten: sizes {sizes} cannot unflatten dim {self.dim} of size {n} "
                    f"(input of shape {x.shape}): the other sizes' product {known} must be a "
                    f"nonzero divisor of {n}"
                )
            sizes = tuple(n // known if s == -1 else s for s in sizes)
        elif known != n:
            raise ValueError(
                f"Unflatten: sizes {sizes} don't multiply up to the size of dim {self.dim} "
                f"({n}) of the input of shape {x.shape}"
            )
        return x.reshape(x.shape[:d] + sizes + x.shape[d + 1 :])

    def extra_repr(self) -> str:
        """Return the dim and the sizes."""
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class _ChannelDropout(Module):
    """Channel dropout: active in `train()`, the identity in `eval()`."""

    def __init__(self, p: float = 0.5, inplace: bool = False, *, generator: Any = None) -> None:
        super().__init__()
        self.p = check_probability(type(self).__name__, "p", p)
        self.inplace = check_inplace(type(self).__name__, inplace)
        # An int seed becomes one Generator: one stream, fresh masks every call.
        self.generator = generator_arg(type(self).__name__, generator)

    def _drop(self, x: Tensor | np.ndarray, fn: Any) -> Tensor:
        """fn(x, p, training, generator), written into x with `inplace` in training."""
        t = x if isinstance(x, Tensor) else Tensor(x)
        inplace = self.inplace and self.training and self.p > 0
        return maybe_in_place(
            t, inplace, "dropout", lambda a: fn(a, self.p, self.training, self.generator)
        )

    def extra_repr(self) -> str:
        """The drop probability and `inplace`, as PyTorch shows them."""
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(_ChannelDropout):
    """Zero whole channels of (N, C, L) or (C, L) input in training, as PyTorch's `Dropout1d`.

    Each channel is zeroed with probability p and the others scaled by 1/(1 - p) (see
    `channel_drop.dropout1d`); in `eval()` the layer is the identity.

    Args:
        p: the probability of zeroing each channel, in [0, 1].
        inplace: write the result into the input tensor in training (PyTorch's `inplace`).
        generator: a `numpy.random.Generator` or an int seed for the masks; None draws from the
            library's default generator (`tinygrad_lite.manual_seed`).

    Raises:
        ValueError: p outside [0, 1].
        TypeError: a generator that is not a Generator, an int or None.
    """

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return x with channels zeroed at random (training) or unchanged (eval)."""
        return self._drop(x, channel_drop.dropout1d)


class Dropout2d(_ChannelDropout):
    """Zero whole channels of (N, C, H, W) input in training, as PyTorch's `Dropout2d`.

    Each channel (an H×W map) is zeroed with probability p and the others scaled by 1/(1 - p)
    (see `channel_drop.dropout2d`, also for 3D inputs); in `eval()` the layer is the identity.

    Args:
        p: the probability of zeroing each channel, in [0, 1].
        inplace: write the result into the input tensor in training (PyTorch's `inplace`).
        generator: a `numpy.random.Generator` or an int seed for the masks; None draws from the
            library's default generator (`tinygrad_lite.manual_seed`).

    Raises:
        ValueError: p outside [0, 1].
        TypeError: a generator that is not a Generator, an int or None.
    """

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return x with channels zeroed at random (training) or unchanged (eval)."""
        return self._drop(x, channel_drop.dropout2d)
