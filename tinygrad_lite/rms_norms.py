"""RMS and local response normalisation on Tensors, as PyTorch's `F`: rms_norm, local_response_norm.

Both are compositions of differentiable ops (squares, means, sums of shifted slices, powers),
so their gradients of every order come from the ops'.

>>> import numpy as np
>>> from tinygrad_lite.rms_norms import rms_norm
>>> rms_norm(np.array([[4.0, 0.0, 0.0, 0.0]]), (4,), eps=0.0).tolist()
[[2.0, 0.0, 0.0, 0.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import convolution
from .act_extras import check_real
from .normalization import check_eps, normalized_shape_arg
from .tensor import Tensor

__all__ = ["check_lrn_size", "local_response_norm", "rms_norm"]


def rms_norm(
    input: Tensor | np.ndarray,
    normalized_shape: int | Sequence[int],
    weight: Tensor | np.ndarray | None = None,
    eps: float | None = None,
) -> Tensor:
    """Divide by the root mean square over the trailing dims, as PyTorch's `F.rms_norm`.

    y = x / √(mean(x²) + eps) · weight.

    The mean of the squares is taken over the last `len(normalized_shape)` dims, separately
    for every leading index; unlike `layer_norm`, nothing is subtracted. Where x is 0 the
    output is 0 and its derivative 1/√eps. As in PyTorch, the output has the input's dtype
    whatever the weight's: a float16 input is computed in float32 (so x² does not overflow)
    and the product with the weight is taken in the wider of the two dtypes, then rounded.

    Args:
        input: a floating-point tensor of shape (*, *normalized_shape).
        normalized_shape: the trailing shape to normalise over (an int for the last dim).
        weight: a tensor of shape `normalized_shape` to multiply by, or None.
        eps: added under the square root; None means the machine epsilon of the dtype the
            norm is computed in (float32's for a float16 input), PyTorch's default.

    Returns:
        A tensor of the input's shape and dtype.

    Raises:
        TypeError: an integer input, or an eps that is not a real number.
        ValueError: the input's trailing dims are not `normalized_shape`, the weight has
            another shape, or eps is negative or not finite.

    >>> import numpy as np
    >>> rms_norm(np.ones((2, 3)), 3, eps=0.0).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    x = input if isinstance(input, Tensor) else Tensor(input)
    shape = normalized_shape_arg("rms_norm", normalized_shape)
    if x.dtype.kind != "f":
        raise TypeError(f"rms_norm: needs a floating-point input, got dtype {x.dtype}")
    k = len(shape)
    if x.ndim < k or x.shape[x.ndim - k :] != shape:
        raise ValueError(
            f"rms_norm: normalized_shape={shape} needs input of shape (*, "
            f"{', '.join(map(str, shape))}), got input of shape {x.shape}"
        )
    w = None if weight is None else weight if isinstance(weight, Tensor) else Tensor(weight)
    if w is not None and w.shape != shape:
        raise ValueError(f"rms_norm: weight must have shape {shape}, got {w.shape}")
    u = x.to(np.float32) if x.dtype == np.float16 else x  # PyTorch's computation dtype
    e = float(np.finfo(u.dtype).eps) if eps is None else check_eps("rms_norm", eps)
    dims = tuple(range(x.ndim - k, x.ndim))
    y = u * ((u * u).mean(dims, keepdim=True) + e).rsqrt()
    if w is not None:
        y = y * w
    return y if y.dtype == x.dtype else y.to(x.dtype)


def check_lrn_size(owner: str, size: Any) -> int:
    """A local response norm's window, checked: an int >= 1."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise TypeError(f"{owner}: size must be an int, got {type(size).__name__} {size!r}")
    if size < 1:
        raise ValueError(f"{owner}: size must be >= 1 (channels in the window), got {size}")
    return int(size)


def local_response_norm(
    input: Tensor | np.ndarray,
    size: int,
    alpha: float = 1e-4,
    beta: float = 0.75,
    k: float = 1.0,
) -> Tensor:
    """Divide each channel by its neighbours' energy, as PyTorch's `F.local_response_norm`.

    y[n, c] = x[n, c] / (k + α/size · Σ x[n, c′]²)^β, the sum over the `size` channels
    c′ = c − ⌊size/2⌋ … c + ⌊(size − 1)/2⌋ (channels outside [0, C) count as 0), at every
    position (Krizhevsky et al., 2012).

    Args:
        input: (N, C, *) with at least 3 dimensions.
        size: the number of channels in each window.
        alpha: the scale α of the windows' mean square.
        beta: the exponent β.
        k: the additive constant.

    Returns:
        A tensor of the input's shape (the input itself when it is empty, as PyTorch).

    Raises:
        TypeError, ValueError: size is not a positive int, alpha, beta or k is not a real
            number, or the input has fewer than 3 dimensions.

    >>> import numpy as np
    >>> local_response_norm(np.full((1, 2, 1), 2.0), 2, alpha=1.0, beta=1.0, k=0.0).tolist()
    [[[1.0], [0.5]]]
    """
    n = check_lrn_size("local_response_norm", size)
    a = check_real("local_response_norm", "alpha", alpha)
    b = check_real("local_response_norm", "beta", beta)
    kk = check_real("local_response_norm", "k", k)
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim < 3:
        raise ValueError(
            f"local_response_norm: expected an input of shape (N, C, *) with 3 or more "
            f"dimensions, got shape {x.shape}"
        )
    if x.size == 0:
        return x
    channels = x.shape[1]
    widths = (0, 0) * (x.ndim - 2) + (n // 2, (n - 1) // 2)  # the channels, dim 1
    sq = convolution.pad(x * x, widths)
    total = sq.narrow(1, 0, channels)
    for i in range(1, n):
        total = total + sq.narrow(1, i, channels)
    return x / ((total / n) * a + kk) ** b
