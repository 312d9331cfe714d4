"""Lazy layers: LazyLinear, LazyConv1d/2d/3d, LazyConvTranspose1d/2d/3d, the lazy norms.

Each is the eager layer of the same name without its input size, which the first call reads
from the input (see `tinygrad_lite.lazy` for the rules they share, as PyTorch's lazy modules).

>>> import tinygrad_lite as tg
>>> from tinygrad_lite.lazy_layers import LazyConv2d
>>> conv = LazyConv2d(4, 3, padding=1, seed=0)
>>> conv(tg.ones(1, 2, 5, 5)).shape, conv.weight.shape
((1, 4, 5, 5), (4, 2, 3, 3))
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .conv_layers import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .convt3d import ConvTranspose3d
from .group_layers import InstanceNorm1d, InstanceNorm2d
from .layers import Linear
from .layers3d import BatchNorm3d, Conv3d, InstanceNorm3d
from .lazy import LazyModuleMixin
from .norm_layers import BatchNorm1d, BatchNorm2d, count_if_absent
from .tensor import DTypeLike

__all__ = [
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConv3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyConvTranspose3d",
    "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
    "LazyLinear",
]


def _positive(owner: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}")
    return int(value)


class LazyLinear(LazyModuleMixin, Linear):
    """`Linear` with `in_features` read from the first input's last dimension.

    Args:
        out_features: size of each output's last dimension.
        bias: whether to add a learnable bias.
        seed: an int or a `numpy.random.Generator` for the initial weights, drawn at the
            first call (None: the library's default generator, at that time).
        dtype: a floating-point dtype for the weights (float64 by default).
    """

    cls_to_become = Linear
    _size_name = "in_features"

    def __init__(
        self,
        out_features: int,
        bias: bool = True,
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        args = {"out_features": out_features, "bias": bias, "seed": seed, "dtype": dtype}
        self._lazy_init(args)

    def _input_size(self, shape: tuple[int, ...]) -> int:
        if not shape:
            raise ValueError("LazyLinear: the input must have at least one dimension, got 0-d")
        return _positive("LazyLinear", "the input's last dimension", shape[-1])

    def _size_from(self, name: str, shape: tuple[int, ...]) -> int | None:
        return shape[1] if name == "weight" and len(shape) == 2 else None

    def reset_parameters(self, seed: int | np.random.Generator | None = None) -> None:
        """`Linear.reset_parameters` once the weights have values; before, nothing (PyTorch's).

        The first call (or a load) draws them, as the eager layer's constructor does.
        """
        if not self.has_uninitialized_params():
            Linear.reset_parameters(self, seed)


class _LazyConv(LazyModuleMixin):
    """What the lazy convolutions share: in_channels from the input's channel dimension."""

    _size_name = "in_channels"
    _spatial: ClassVar[int]
    _transposed_weight: ClassVar[bool] = False

    def _input_size(self, shape: tuple[int, ...]) -> int:
        n = self._spatial
        if len(shape) not in (n + 1, n + 2):
            raise ValueError(
                f"{type(self).__name__}: expected {n + 1}D (unbatched) or {n + 2}D (batched) "
                f"input, got input of shape {shape}"
            )
        channels = shape[1] if len(shape) == n + 2 else shape[0]
        groups: int = self.__dict__["groups"]
        if channels % groups:
            raise ValueError(
                f"{type(self).__name__}: in_channels {channels} must be divisible by groups "
                f"{groups}"
            )
        return _positive(type(self).__name__, "in_channels", channels)

    def _size_from(self, name: str, shape: tuple[int, ...]) -> int | None:
        if name != "weight" or len(shape) != self._spatial + 2:
            return None
        return shape[0] if self._transposed_weight else shape[1] * self.__dict__["groups"]

    def reset_parameters(self, seed: int | np.random.Generator | None = None) -> None:
        """The eager layer's `reset_parameters` once the weights have values; before, nothing."""
        if not self.has_uninitialized_params():
            self.cls_to_become.reset_parameters(self, seed)


def _conv_args(out_channels: int, kernel_size: Any, **rest: Any) -> dict[str, Any]:
    return {"out_channels": out_channels, "kernel_size": kernel_size, **rest}


class LazyConv1d(_LazyConv, Conv1d):
    """`Conv1d` with `in_channels` read from the first input, (N, C, L) or (C, L).

    The arguments are `Conv1d`'s without in_channels (seed: the weights are drawn at the
    first call).
    """

    cls_to_become = Conv1d
    _spatial = 1

    def __init__(
        self,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        self._lazy_init(
            _conv_args(
                out_channels, kernel_size, stride=stride, padding=padding, dilation=dilation,
                groups=groups, bias=bias, padding_mode=padding_mode, seed=seed, dtype=dtype,
            ),
            groups if isinstance(groups, int) and groups > 0 else 1,
        )  # fmt: skip


class LazyConv2d(_LazyConv, Conv2d):
    """`Conv2d` with `in_channels` read from the first input, (N, C, H, W) or (C, H, W)."""

    cls_to_become = Conv2d
    _spatial = 2
    __init__ = LazyConv1d.__init__


class LazyConv3d(_LazyConv, Conv3d):
    """`Conv3d` with `in_channels` read from the first input, (N, C, D, H, W) or unbatched."""

    cls_to_become = Conv3d
    _spatial = 3
    __init__ = LazyConv1d.__init__


class LazyConvTranspose1d(_LazyConv, ConvTranspose1d):
    """`ConvTranspose1d` with `in_channels` read from the first input, (N, C, L) or (C, L).

    The arguments are `ConvTranspose1d`'s without in_channels.
    """

    cls_to_become = ConvTranspose1d
    _spatial = 1
    _transposed_weight = True

    def __init__(
        self,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        self._lazy_init(
            _conv_args(
                out_channels, kernel_size, stride=stride, padding=padding,
                output_padding=output_padding, groups=groups, bias=bias, dilation=dilation,
                padding_mode=padding_mode, seed=seed, dtype=dtype,
            ),
            groups if isinstance(groups, int) and groups > 0 else 1,
        )  # fmt: skip


class LazyConvTranspose2d(_LazyConv, ConvTranspose2d):
    """`ConvTranspose2d` with `in_channels` read from the first input, (N, C, H, W) or (C, H, W)."""

    cls_to_become = ConvTranspose2d
    _spatial = 2
    _transposed_weight = True
    __init__ = LazyConvTranspose1d.__init__


class LazyConvTranspose3d(_LazyConv, ConvTranspose3d):
    """`ConvTranspose3d` with `in_channels` read from the first input (N, C, D, H, W)."""

    cls_to_become = ConvTranspose3d
    _spatial = 3
    _transposed_weight = True
    __init__ = LazyConvTranspose1d.__init__


class _LazyNorm(LazyModuleMixin):
    """What the lazy norms share: num_features from the input's dim 1, lazy running stats."""

    _size_name = "num_features"
    _lazy_buffers = ("running_mean", "running_var")
    _lazy_unbatched: ClassVar[int | None] = None  # the eager class's input dims without a batch

    def _input_size(self, shape: tuple[int, ...]) -> int:
        owner = type(self).__name__
        dims: tuple[int, ...] = self.cls_to_become._dims
        if len(shape) not in dims:
            expected = " or ".join(f"{d}D" for d in dims)
            raise ValueError(f"{owner}: expected {expected} input (got {len(shape)}D input)")
        if len(shape) == self._lazy_unbatched:
            if self.has_uninitialized_params():
                raise ValueError(
                    f"{owner}: cannot infer num_features from an unbatched input of shape "
                    f"{shape} (PyTorch reads dim 1, which is not the channels here); run it "
                    "on a batched input first"
                )
            return _positive(owner, "num_features", shape[0])
        return _positive(owner, "num_features", shape[1])

    def _size_from(self, name: str, shape: tuple[int, ...]) -> int | None:
        return shape[0] if len(shape) == 1 else None

    def reset_parameters(self) -> None:
        """The eager layer's `reset_parameters` once the statistics have values; before, nothing."""
        if not self.has_uninitialized_params():
            self.cls_to_become.reset_parameters(self)

    def _count_if_absent(self, track_running_stats: bool) -> None:
        if track_running_stats:  # the eager layer's load rule for num_batches_tracked
            self.register_load_state_dict_pre_hook(count_if_absent)


def _norm_args(eps: float, momentum: float | None, affine: bool, track: bool) -> dict[str, Any]:
    return {"eps": eps, "momentum": momentum, "affine": affine, "track_running_stats": track}


class LazyBatchNorm1d(_LazyNorm, BatchNorm1d):
    """`BatchNorm1d` with `num_features` read from the first input's dim 1.

    The arguments are `BatchNorm1d`'s without num_features; `bias` must stay True (the
    eager layers here always learn a bias with affine).
    """

    cls_to_become = BatchNorm1d

    def __init__(
        self,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: DTypeLike = np.float64,
        *,
        bias: bool = True,
    ) -> None:
        if not bias:
            raise ValueError(f"{type(self).__name__}: bias=False is not supported")
        args = _norm_args(eps, momentum, affine, track_running_stats)
        self._lazy_init({**args, "dtype": dtype})
        self._count_if_absent(track_running_stats)


class LazyBatchNorm2d(_LazyNorm, BatchNorm2d):
    """`BatchNorm2d` with `num_features` read from the first input's dim 1."""

    cls_to_become = BatchNorm2d
    __init__ = LazyBatchNorm1d.__init__


class LazyBatchNorm3d(_LazyNorm, BatchNorm3d):
    """`BatchNorm3d` with `num_features` read from the first input's dim 1."""

    cls_to_become = BatchNorm3d
    __init__ = LazyBatchNorm1d.__init__


class LazyInstanceNorm1d(_LazyNorm, InstanceNorm1d):
    """`InstanceNorm1d` with `num_features` read from the first input's dim 1.

    As PyTorch's lazy instance norms, affine and track_running_stats are True by default
    (the eager class's are False). An unbatched first input is refused while there are
    weights or running statistics to size (PyTorch misreads it); without them its channel
    count is used (PyTorch keeps num_features 0 and warns at every call).
    """

    cls_to_become = InstanceNorm1d
    _lazy_unbatched = 2

    def __init__(
        self,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: DTypeLike = np.float64,
        *,
        bias: bool = True,
    ) -> None:
        args = _norm_args(eps, momentum, affine, track_running_stats)
        self._lazy_init({**args, "bias": bias, "dtype": dtype})
        self._count_if_absent(track_running_stats)


class LazyInstanceNorm2d(_LazyNorm, InstanceNorm2d):
    """`InstanceNorm2d` with `num_features` read from the first input (see LazyInstanceNorm1d)."""

    cls_to_become = InstanceNorm2d
    _lazy_unbatched = 3
    __init__ = LazyInstanceNorm1d.__init__


class LazyInstanceNorm3d(_LazyNorm, InstanceNorm3d):
    """`InstanceNorm3d` with `num_features` read from the first input (see LazyInstanceNorm1d)."""

    cls_to_become = InstanceNorm3d
    _lazy_unbatched = 4
    __init__ = LazyInstanceNorm1d.__init__
