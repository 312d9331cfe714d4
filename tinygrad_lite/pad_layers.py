"""Padding layers as Modules: ZeroPad, ConstantPad, ReflectionPad, ReplicationPad, CircularPad.

Each comes in a 1-D form (the last dimension: `padding` is an int or (left, right)) and a 2-D
form (the last two: an int or (left, right, top, bottom)), as PyTorch's layers of those names,
and calls `convolution.pad` with PyTorch's widths; `tinygrad_lite.nn` re-exports them. A
negative width crops.

>>> import numpy as np
>>> from tinygrad_lite import nn
>>> nn.ReflectionPad1d((2, 1))(np.array([[0.0, 1.0, 2.0, 3.0]])).tolist()
[[2.0, 1.0, 0.0, 1.0, 2.0, 3.0, 2.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import convolution
from .module import Module
from .tensor import Tensor

__all__ = [
    "CircularPad1d",
    "CircularPad2d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ZeroPad1d",
    "ZeroPad2d",
]

_NAMES = {1: "(left, right)", 2: "(left, right, top, bottom)"}


def padding_widths(owner: str, padding: Any, dims: int) -> tuple[int, ...]:
    """A padding layer's widths: an int for every side, or 2·dims ints, last dimension first.

    Args:
        owner: the layer named in the errors.
        padding: an int, or a tuple or list of 2·dims ints.
        dims: the number of padded dimensions (1 or 2).

    Returns:
        The 2·dims widths as a tuple of ints (negative ones crop).

    Raises:
        TypeError: padding is neither an int nor a tuple or list of ints.
        ValueError: a tuple or list of another length.

    >>> padding_widths("ZeroPad2d", 1, 2)
    (1, 1, 1, 1)
    """
    n = 2 * dims
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
        return (int(padding),) * n
    if not isinstance(padding, (tuple, list)):
        raise TypeError(
            f"{owner}: padding must be an int or a tuple of {n} ints {_NAMES[dims]}, got "
            f"{type(padding).__name__} {padding!r}"
        )
    if len(padding) != n:
        raise ValueError(
            f"{owner}: padding must be an int or {n} ints {_NAMES[dims]}, got {len(padding)}: "
            f"{tuple(padding)!r}"
        )
    for p in padding:
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)):
            raise TypeError(f"{owner}: padding must hold ints, got {type(p).__name__} {p!r}")
    return tuple(int(p) for p in padding)


class _Pad(Module):
    """Pad the last `_dims` dimensions in `_mode`, with widths checked at construction."""

    _dims = 1
    _mode = "constant"

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__()
        self.padding = padding_widths(type(self).__name__, padding, self._dims)

    def _check_input(self, x: Tensor) -> None:
        """Raise unless x has a channel dimension (and at most a batch one) before the padded."""
        d = self._dims
        if not d + 1 <= x.ndim <= d + 2:
            what = "(C, W) or (N, C, W)" if d == 1 else "(C, H, W) or (N, C, H, W)"
            raise ValueError(
                f"{type(self).__name__}: expected a {d + 1}-D or {d + 2}-D input {what}, got "
                f"shape {x.shape}"
            )

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return x padded (see `convolution.pad`)."""
        x = x if isinstance(x, Tensor) else Tensor(x)
        self._check_input(x)
        return convolution.pad(x, self.padding, self._mode)

    def extra_repr(self) -> str:
        """Return the widths, as PyTorch shows them."""
        return f"{self.padding}"


class _ConstantPad(_Pad):
    """Pad with a constant value; any number of leading dimensions, as PyTorch's `pad`."""

    def __init__(self, padding: int | Sequence[int], value: float) -> None:
        super().__init__(padding)
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(
                f"{type(self).__name__}: value must be a real number, got "
                f"{type(value).__name__} {value!r}"
            )
        self.value = value

    def _check_input(self, x: Tensor) -> None:
        if x.ndim < self._dims:
            raise ValueError(
                f"{type(self).__name__}: pads the last {self._dims} dimension(s), got an input "
                f"of shape {x.shape}"
            )

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return x with `value` around its last dimension(s) (see `convolution.pad`)."""
        x = x if isinstance(x, Tensor) else Tensor(x)
        self._check_input(x)
        return convolution.pad(x, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        """Return the widths and the value, as PyTorch shows them."""
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPad):
    """Add `value` around the last dimension, as PyTorch's `nn.ConstantPad1d`.

    Args:
        padding: an int (both ends) or (left, right); a negative width crops.
        value: the fill value (it must fit the dtype of an integer input).

    Raises:
        TypeError, ValueError: padding is not an int or two ints, or value is not a number.

    >>> import numpy as np
    >>> from tinygrad_lite import nn
    >>> nn.ConstantPad1d((1, 2), 9.0)(np.zeros((1, 2))).tolist()
    [[9.0, 0.0, 0.0, 9.0, 9.0]]
    """


class ConstantPad2d(_ConstantPad):
    """Add `value` around the last two dimensions, as PyTorch's `nn.ConstantPad2d`.

    Args:
        padding: an int (every side) or (left, right, top, bottom); negative widths crop.
        value: the fill value (it must fit the dtype of an integer input).

    Raises:
        TypeError, ValueError: padding is not an int or four ints, or value is not a number.

    >>> import numpy as np
    >>> from tinygrad_lite import nn
    >>> nn.ConstantPad2d((0, 1, 1, 0), 5.0)(np.ones((1, 1, 1))).tolist()
    [[[5.0, 5.0], [1.0, 5.0]]]
    """

    _dims = 2


class ZeroPad1d(ConstantPad1d):
    """Add zeros around the last dimension, as PyTorch's `nn.ZeroPad1d`.

    Args:
        padding: an int (both ends) or (left, right); a negative width crops.

    Raises:
        TypeError, ValueError: padding is not an int or two ints.

    >>> import numpy as np
    >>> from tinygrad_lite import nn
    >>> nn.ZeroPad1d(1)(np.ones((1, 2))).tolist()
    [[0.0, 1.0, 1.0, 0.0]]
    """

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        """Return the widths, as PyTorch shows them."""
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Add zeros around the last two dimensions, as PyTorch's `nn.ZeroPad2d`.

    Args:
        padding: an int (every side) or (left, right, top, bottom); negative widths crop.

    Raises:
        TypeError, ValueError: padding is not an int or four ints.

    >>> import numpy as np
    >>> from tinygrad_lite import nn
    >>> nn.ZeroPad2d((1, 0, 0, 1))(np.ones((1, 1, 1))).tolist()
    [[[0.0, 1.0], [0.0, 0.0]]]
    """

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        """Return the widths, as PyTorch shows them."""
        return f"{self.padding}"


class ReflectionPad1d(_Pad):
    """Mirror the last dimension about its end elements, as PyTorch's `nn.ReflectionPad1d`.

    x₂ x₁ | x₀ x₁ x₂ …: the end element is not repeated, so each width must be smaller than
    the dimension. The gradient of each border element goes to the element it mirrors.

    Args:
        padding: an int (both ends) or (left, right); a negative width crops.

    Raises:
        TypeError, ValueError: padding is not an int or two ints.

    >>> import numpy as np
    >>> from tinygrad_lite import nn
    >>> nn.ReflectionPad1d(1)(np.array([[1.0, 2.0, 3.0]])).tolist()
    [[2.0, 1.0, 2.0, 3.0, 2.0]]
    """

    _mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    """Mirror the last two dimensions about their edges, as PyTorch's `nn.ReflectionPad2d`.

    Args:
        padding: an int (every side) or (left, right, top, bottom); negative widths crop.

    Raises:
        TypeError, ValueError: padding is not an int or four ints.

    >>> import numpy as np
    >>> from tinygrad_lite import nn
    >>> nn.ReflectionPad2d((1, 0, 0, 0))(np.array([[[1.0, 2.0]]])).tolist()
    [[[2.0, 1.0, 2.0]]]
    """

    _dims = 2


class ReplicationPad1d(_Pad):
    """Repeat the end elements of the last dimension, as PyTorch's `nn.ReplicationPad1d`.

    x₀ x₀ | x₀ x₁ …: the gradients of the border accumulate in the end elements.

    Args:
        padding: an int (both ends) or (left, right); a negative width crops.

    Raises:
        TypeError, ValueError: padding is not an int or two ints.

    >>> import numpy as np
    >>> from tinygrad_lite import nn
    >>> nn.ReplicationPad1d((2, 1))(np.array([[1.0, 2.0]])).tolist()
    [[1.0, 1.0, 1.0, 2.0, 2.0]]
    """

    _mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    """Repeat the edges of the last two dimensions, as PyTorch's `nn.ReplicationPad2d`.

    Args:
        padding: an int (every side) or (left, right, top, bottom); negative widths crop.

    Raises:
        TypeError, ValueError: padding is not an int or four ints.

    >>> import numpy as np
    >>> from tinygrad_lite import nn
    >>> nn.ReplicationPad2d((0, 0, 1, 0))(np.array([[[1.0, 2.0]]])).tolist()
    [[[1.0, 2.0], [1.0, 2.0]]]
    """

    _dims = 2


class CircularPad1d(_Pad):
    """Wrap the last dimension around, as PyTorch's `nn.CircularPad1d`.

    xₙ₋₂ xₙ₋₁ | x₀ x₁ … xₙ₋₁ | x₀: each width must be at most the dimension's size.

    Args:
        padding: an int (both ends) or (left, right); a negative width crops.

    Raises:
        TypeError, ValueError: padding is not an int or two ints.

    >>> import numpy as np
    >>> from tinygrad_lite import nn
    >>> nn.CircularPad1d((2, 1))(np.array([[1.0, 2.0, 3.0]])).tolist()
    [[2.0, 3.0, 1.0, 2.0, 3.0, 1.0]]
    """

    _mode = "circular"


class CircularPad2d(CircularPad1d):
    """Wrap the last two dimensions around, as PyTorch's `nn.CircularPad2d`.

    Args:
        padding: an int (every side) or (left, right, top, bottom); negative widths crop.

    Raises:
        TypeError, ValueError: padding is not an int or four ints.

    >>> import numpy as np
    >>> from tinygrad_lite import nn
    >>> nn.CircularPad2d((0, 0, 1, 0))(np.array([[[1.0], [2.0]]])).tolist()
    [[[2.0], [1.0], [2.0]]]
    """

    _dims = 2
