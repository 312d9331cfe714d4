"""Group and instance normalisation layers as Modules: GroupNorm, InstanceNorm1d/2d (in `nn`).

>>> import numpy as np
>>> from tinygrad_lite import nn
>>> norm = nn.InstanceNorm1d(2)
>>> y = norm(np.array([[[1.0, 3.0], [10.0, 30.0]]]))
>>> np.round(y.data, 4).tolist()
[[[-1.0, 1.0], [-1.0, 1.0]]]
"""

from __future__ import annotations

import warnings

import numpy as np

from . import group_norms
from .module import Module
from .norm_layers import RunningNorm, affine_parameters, check_size, float_dtype, reset_affine
from .normalization import check_eps
from .tensor import DTypeLike, Tensor

__all__ = ["GroupNorm", "InstanceNorm1d", "InstanceNorm2d"]


class GroupNorm(Module):
    """Group normalisation of (N, C, ...) input, as PyTorch's `nn.GroupNorm`.

    The channels are split into `num_groups` groups; each sample's groups are normalised with
    their own mean and biased variance, y = (x - mean) / √(var + eps) · weight + bias (see
    `group_norms.group_norm`). The statistics are the sample's own, so training and
    evaluation compute the same, and there are no running statistics.

    Args:
        num_groups: G, the number of groups; it must divide num_channels.
        num_channels: C, the number of channels of the input (its dim 1).
        eps: added to the variance under the square root.
        affine: learn a per-channel `weight` (ones at first) and `bias` (zeros).
        bias: with affine, whether to learn the bias too.
        dtype: a floating-point dtype for the weights (float64 by default).

    Raises:
        TypeError, ValueError: a size that is not a positive int, num_channels not divisible
            by num_groups, a negative eps, or a dtype that is not floating point.
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        *,
        bias: bool = True,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        self.num_groups = check_size("GroupNorm", "num_groups", num_groups)
        self.num_channels = check_size("GroupNorm", "num_channels", num_channels)
        if self.num_channels % self.num_groups:
            raise ValueError(
                f"GroupNorm: num_channels ({self.num_channels}) must be divisible by "
                f"num_groups ({self.num_groups})"
            )
        self.eps = check_eps("GroupNorm", eps)
        self.affine = bool(affine)
        dt = float_dtype("GroupNorm", dtype)
        self.weight, self.bias = affine_parameters((self.num_channels,), dt, self.affine, bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight 1 and bias 0 again, written into the same Parameters (PyTorch's)."""
        reset_affine(self.weight, self.bias)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return x normalised per sample and group, scaled and shifted per channel.

        Raises:
            ValueError: with affine, the input's dim 1 is not num_channels; and what
                `group_norms.group_norm` refuses.
        """
        x = x if isinstance(x, Tensor) else Tensor(x)
        if self.weight is not None and (x.ndim < 2 or x.shape[1] != self.num_channels):
            raise ValueError(
                f"GroupNorm({self.num_groups}, {self.num_channels}): expected an input "
                f"(N, {self.num_channels}, ...), got input of shape {x.shape}"
            )
        return group_norms.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        """Return the sizes and the settings, as PyTorch shows them."""
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class InstanceNorm1d(RunningNorm):
    """Instance normalisation of (N, C, L) or unbatched (C, L) input, as PyTorch's.

    Each channel of each sample is normalised with its own mean and biased variance over L:
    y = (x - mean) / √(var + eps) · weight + bias (see `group_norms.instance_norm`).

    With `track_running_stats`, training also updates running statistics, running ←
    (1 - momentum)·running + momentum·s, where s is the batch's average of the instances'
    means and unbiased variances (var·L/(L - 1)); in evaluation mode (`eval()`) those
    running statistics normalise instead. As in PyTorch, `num_batches_tracked` is kept (for
    state dicts) but not counted, and momentum=None leaves the running statistics as they
    are. Without `track_running_stats` every mode uses the instances' own statistics.

    The running statistics are buffers (see `Module.register_buffer`), in `state_dict()` as
    `running_mean`, `running_var` and `num_batches_tracked`, PyTorch's names.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance under the square root.
        momentum: the weight of each batch's statistics in the running ones (0.1 by
            default), or None (no update, as PyTorch).
        affine: learn a per-channel `weight` (ones at first) and `bias` (zeros).
        track_running_stats: keep running statistics (for evaluation mode).
        bias: with affine, whether to learn the bias too.
        dtype: a floating-point dtype for the weights and statistics (float64 by default).

    Raises:
        TypeError, ValueError: a size that is not a positive int, a negative eps, a momentum
            outside [0, 1], or a dtype that is not floating point.
    """

    _dims: tuple[int, ...] = (2, 3)  # the input's accepted numbers of dimensions
    _unbatched = 2  # the number of dimensions of an input without its batch dimension

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        *,
        bias: bool = True,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, bias=bias, dtype=dtype
        )

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return x normalised per sample and channel (or by the running statistics in eval).

        Raises:
            ValueError: an input of another number of dimensions, a channel count other than
                num_features with affine (without affine PyTorch only warns, and so does
                this), or what `group_norms.instance_norm` refuses.
        """
        x = x if isinstance(x, Tensor) else Tensor(x)
        owner = type(self).__name__
        if x.ndim not in self._dims:
            expected = " or ".join(f"{d}D" for d in self._dims)
            raise ValueError(f"{owner}: expected {expected} input (got {x.ndim}D input)")
        channel_dim = x.ndim - self._unbatched
        if x.shape[channel_dim] != self.num_features:
            message = (
                f"{owner}({self.num_features}): the input's dim {channel_dim} must have "
                f"{self.num_features} channels, got input of shape {x.shape}"
            )
            if self.affine:
                raise ValueError(message)
            warnings.warn(message + " (num_features is not used without affine)", stacklevel=2)
        unbatched = x.ndim == self._unbatched
        if unbatched:
            x = x.unsqueeze(0)
        y = group_norms.instance_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            0.0 if self.momentum is None else self.momentum,
            self.eps,
        )
        return y.squeeze(0) if unbatched else y

    def extra_repr(self) -> str:
        """Return the size and the settings, as PyTorch shows them."""
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class InstanceNorm2d(InstanceNorm1d):
    """Instance normalisation of (N, C, H, W) or unbatched (C, H, W) input, as PyTorch's.

    The same as `InstanceNorm1d` (arguments, buffers, modes), with the statistics of each
    channel of each sample taken over H and W.
    """

    _dims = (3, 4)
    _unbatched = 3
