"""Max unpooling and power-average pooling of volumes, as PyTorch's `F` and `nn` have them.

`max_unpool3d` (`nn.MaxUnpool3d`) puts each value back at its flat position in a D·H·W volume
of zeros, and `lp_pool3d` (`nn.LPPool3d`) is PyTorch's power-average pool, computed by its
formula from `avg_pool3d` of xᵖ. Both are the 1-D and 2-D ones of `unpool` with one more
spatial dimension, composed of ops, with PyTorch's values and gradients.
"""

from __future__ import annotations

from typing import Any

from . import conv3d
from .conv3d import _batched, _triple
from .convolution import float_input, unbatched
from .tensor import Tensor
from .unpool import (
    LPPool2d,
    MaxUnpool2d,
    _index_array,
    _lp,
    _norm_type,
    _output_size,
    _unpool,
)

__all__ = ["LPPool3d", "MaxUnpool3d", "lp_pool3d", "max_unpool3d"]


def max_unpool3d(
    input: Any,
    indices: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """A partial inverse of `max_pool3d`: each value at its index, zeros elsewhere (PyTorch's).

    out[n, c].flat[indices[n, c, z, i, j]] = input[n, c, z, i, j]; where several indices name
    one position the last (in row-major order) stays. The output is (D − 1)·s₀ + k₀ − 2p₀ deep
    (and likewise high and wide) or `output_size`. The gradient of each input element is the
    output's gradient at its index, also for an element another one overwrote, as in PyTorch.

    Args:
        input: (N, C, D, H, W) or (C, D, H, W) floats.
        indices: integers of the input's shape, flat positions in each output volume, as
            `max_pool3d(..., return_indices=True)` gives them.
        kernel_size: the pool's kernel: an int or (kd, kh, kw).
        stride: the pool's stride (None: the kernel size).
        padding: the pool's padding.
        output_size: (OD, OH, OW), or (N, C, OD, OH, OW), each strictly within a stride of
            the default; None for the default.

    Raises:
        IndexError: an index outside the output volume.
        ValueError: shapes or sizes out of line.
        TypeError: non-float input or non-integer indices.
    """
    op = "max_unpool3d"
    x, single = _batched(op, float_input(op, input))
    k = _triple(op, "kernel_size", kernel_size, 1)
    s = k if stride is None else _triple(op, "stride", stride, 1)
    p = _triple(op, "padding", padding, 0)
    out = _output_size(op, x.shape[2:], k, s, p, output_size)
    idx = _index_array(op, indices, x.shape[1:] if single else x.shape)
    return unbatched(_unpool(op, x, idx[None] if single else idx, out), single)


def lp_pool3d(
    input: Any, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
) -> Tensor:
    """Power-average pooling, (Σ_window xᵖ)^(1/p), computed as PyTorch's `lp_pool3d`.

    PyTorch's formula: a = avg_pool3d(xᵖ) (no padding), then (sign(a)·relu(|a|)·kd·kh·kw)^(1/p).
    Values and gradients are PyTorch's, at zero too (see `unpool.lp_pool2d`); p = ∞ is the
    max pool of |x| (−∞: the min).

    Args:
        input: (N, C, D, H, W) or (C, D, H, W) floats.
        norm_type: p, a nonzero number or ±inf.
        kernel_size: an int or (kd, kh, kw).
        stride: the step between windows (None: the kernel size).
        ceil_mode: count the windows with ⌈·⌉ (see `conv3d.avg_pool3d`).

    Returns:
        (N, C, OD, OH, OW), sized as `avg_pool3d`'s output without padding.
    """
    op = "lp_pool3d"
    x, p = float_input(op, input), _norm_type(op, norm_type)
    k = _triple(op, "kernel_size", kernel_size, 1)

    def pooled(t: Tensor, avg: bool = False) -> Tensor:
        if avg:
            return conv3d.avg_pool3d(t, kernel_size, stride, 0, ceil_mode)
        result: Tensor = conv3d.max_pool3d(t, kernel_size, stride, 0, 1, ceil_mode)
        return result

    return _lp(x, p, pooled, k[0] * k[1] * k[2])


class MaxUnpool3d(MaxUnpool2d):
    """The partial inverse of `MaxPool3d` (see `max_unpool3d`), as PyTorch's `nn.MaxUnpool3d`.

    Args:
        kernel_size: the pool's kernel: an int or (kd, kh, kw).
        stride: the pool's stride (None: the kernel size).
        padding: the pool's padding.
    """

    _dims = 3

    def forward(self, input: Any, indices: Any, output_size: Any = None) -> Tensor:
        """Return the unpooled input (`output_size` as in `max_unpool3d`)."""
        return max_unpool3d(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )


class LPPool3d(LPPool2d):
    """Power-average pooling of volumes (see `lp_pool3d`), as PyTorch's `nn.LPPool3d`.

    Args:
        norm_type: p, a nonzero number or ±inf.
        kernel_size: an int or (kd, kh, kw).
        stride: the step between windows (None: the kernel size).
        ceil_mode: count the windows with ⌈·⌉.
    """

    _dims = 3

    def forward(self, input: Any) -> Tensor:
        """Return the pooled input."""
        return lp_pool3d(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)
