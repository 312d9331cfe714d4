"""Resampling layers as Modules: AdaptiveMaxPool1d/2d and Upsample (in `nn`).

Each holds its settings and calls its function: `pooling.adaptive_max_pool1d/2d` and
`upsample.interpolate`, so that `nn.AdaptiveMaxPool2d(1)` and
`nn.Upsample(scale_factor=2, mode="bilinear")` read and compute as they do in PyTorch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import pooling, upsample
from .module import Module
from .tensor import Tensor

__all__ = ["AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "Upsample"]


class AdaptiveMaxPool2d(Module):
    """Maxima over windows that cover H and W in `output_size` steps, as `nn.AdaptiveMaxPool2d`.

    See `pooling.adaptive_max_pool2d` for the windows and the element picked among ties.

    Args:
        output_size: an int or (OH, OW), None keeping that size of the input.
        return_indices: also return each maximum's flat position in its H·W plane (a
            `pooling.MaxPoolResult`).

    >>> import tinygrad_lite as tg
    >>> AdaptiveMaxPool2d(1)(tg.tensor([[[[1.0, 3.0], [2.0, 0.0]]]])).tolist()
    [[[[3.0]]]]
    """

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.return_indices = bool(return_indices)

    def forward(self, x: Tensor | np.ndarray) -> Any:
        """Return the pooled x (and the indices, with `return_indices`)."""
        return pooling.adaptive_max_pool2d(x, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        """Return the output size."""
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(AdaptiveMaxPool2d):
    """Maxima over windows that cover L in `output_size` steps, as `nn.AdaptiveMaxPool1d`.

    Args: as `AdaptiveMaxPool2d`'s, with one output size, on (N, C, L) or (C, L) inputs.
    """

    def forward(self, x: Tensor | np.ndarray) -> Any:
        """Return the pooled x (and the indices, with `return_indices`)."""
        return pooling.adaptive_max_pool1d(x, self.output_size, self.return_indices)


class Upsample(Module):
    """Resize the spatial dimensions, as `nn.Upsample` (see `upsample.interpolate`).

    Args:
        size: the output's spatial size: an int or one per dimension.
        scale_factor: or a multiplier (or one per dimension): out = ⌊in·scale_factor⌋,
            and the source positions use 1/scale_factor unless `recompute_scale_factor`.
        mode: "nearest", "nearest-exact" or "area" (on (N, C, L), (N, C, H, W) or
            (N, C, D, H, W) inputs), "linear" (N, C, L), "bilinear" or "bicubic"
            (N, C, H, W), or "trilinear" (N, C, D, H, W).
        align_corners: for the linear modes and bicubic: map the corner elements onto each
            other.
        recompute_scale_factor: take the scale from the rounded sizes instead.

    >>> import tinygrad_lite as tg
    >>> Upsample(scale_factor=2)(tg.tensor([[[1.0, 2.0]]])).tolist()
    [[[1.0, 1.0, 2.0, 2.0]]]
    """

    def __init__(
        self,
        size: int | Sequence[int] | None = None,
        scale_factor: float | Sequence[float] | None = None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ) -> None:
        super().__init__()
        self.size = size
        if isinstance(scale_factor, Sequence):
            self.scale_factor: Any = tuple(float(s) for s in scale_factor)
        else:
            self.scale_factor = None if scale_factor is None else float(scale_factor)
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return x resized."""
        return upsample.interpolate(
            x,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            self.recompute_scale_factor,
        )

    def extra_repr(self) -> str:
        """Return the size or scale factor, and the mode."""
        if self.scale_factor is not None:
            return f"scale_factor={self.scale_factor}, mode={self.mode!r}"
        return f"size={self.size}, mode={self.mode!r}"
