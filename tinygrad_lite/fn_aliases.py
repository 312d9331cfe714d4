"""PyTorch's other names in `F` and `nn`: upsample aliases, pools with indices, in-place acts.

Each is the function it names, called as PyTorch's alias calls it: `upsample*` are the
deprecated spellings of `interpolate` (and warn as PyTorch's do), `UpsamplingNearest2d` and
`UpsamplingBilinear2d` are `nn.Upsample` with a fixed mode, the `*_with_indices` pools always
return (values, indices), and `relu_`, `elu_`, ... are the activations with `inplace=True`:
the result is written into the input Tensor (see `tensor_inplace` for the rules on leaves that
require grad and on graph versions), and that Tensor is returned.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .act_extras import threshold as _threshold  # threshold_'s argument takes the name
from .act_functions import celu, elu, hardtanh, leaky_relu, relu, selu
from .pooling import MaxPoolResult, adaptive_max_pool1d, adaptive_max_pool2d
from .rand_acts import rrelu
from .sample_layers import Upsample
from .tensor import Tensor
from .upsample import interpolate

__all__ = [
    "UpsamplingBilinear2d",
    "UpsamplingNearest2d",
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
    "celu_",
    "elu_",
    "hardtanh_",
    "leaky_relu_",
    "relu_",
    "rrelu_",
    "selu_",
    "threshold_",
    "upsample",
    "upsample_bilinear",
    "upsample_nearest",
]

Size = int | Sequence[int] | None
Scale = float | Sequence[float] | None


def _deprecated(name: str) -> None:
    warnings.warn(
        f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` instead.",
        UserWarning,
        stacklevel=3,
    )


def upsample(
    input: Tensor | np.ndarray,
    size: Size = None,
    scale_factor: Scale = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """`interpolate(input, size, scale_factor, mode, align_corners)`, PyTorch's old name for it.

    Warns (a `UserWarning`, as PyTorch) that the name is deprecated.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     upsample(Tensor([[[1.0, 2.0]]]), scale_factor=2).tolist()
        [[[1.0, 1.0, 2.0, 2.0]]]

    Raises:
        ValueError, TypeError: as `interpolate`.
    """
    _deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(
    input: Tensor | np.ndarray, size: Size = None, scale_factor: Scale = None
) -> Tensor:
    """`interpolate(input, size, scale_factor, mode="nearest")`: output element i reads ⌊i·s⌋.

    PyTorch's deprecated name; warns (a `UserWarning`) as PyTorch's does.

    Raises:
        ValueError, TypeError: as `interpolate`.
    """
    _deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(
    input: Tensor | np.ndarray, size: Size = None, scale_factor: Scale = None
) -> Tensor:
    """`interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)`.

    Bilinear on (N, C, H, W) with the corner elements aligned: src = dst·(in − 1)/(out − 1)
    along H and W. PyTorch's deprecated name; warns (a `UserWarning`) as PyTorch's does.

    Raises:
        ValueError, TypeError: as `interpolate` (an input that is not 4-D, say).
    """
    _deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


class UpsamplingNearest2d(Upsample):
    """`nn.Upsample(size, scale_factor, mode="nearest")`, as PyTorch's `nn.UpsamplingNearest2d`.

    Example:
        >>> UpsamplingNearest2d(scale_factor=2)(Tensor([[[[1.0, 2.0]]]])).tolist()
        [[[[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]]]

    Args:
        size: the output's spatial size: an int or (H_out, W_out).
        scale_factor: or a multiplier (or one per dimension).
    """

    def __init__(self, size: Size = None, scale_factor: Scale = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """`nn.Upsample(size, scale_factor, "bilinear", align_corners=True)`, as PyTorch's.

    PyTorch's `nn.UpsamplingBilinear2d`: the corner elements are aligned.

    Example:
        >>> UpsamplingBilinear2d(size=(1, 3))(Tensor([[[[0.0, 1.0]]]])).tolist()
        [[[[0.0, 0.5, 1.0]]]]

    Args:
        size: the output's spatial size: an int or (H_out, W_out).
        scale_factor: or a multiplier (or one per dimension).
    """

    def __init__(self, size: Size = None, scale_factor: Scale = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


def adaptive_max_pool1d_with_indices(
    input: Tensor | np.ndarray, output_size: Any, return_indices: bool = False
) -> MaxPoolResult:
    """`adaptive_max_pool1d` with the indices: (values, positions along L), as PyTorch's.

    `return_indices` is accepted and ignored, as in PyTorch: the indices always come back.
    """
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(
    input: Tensor | np.ndarray, output_size: Any, return_indices: bool = False
) -> MaxPoolResult:
    """`adaptive_max_pool2d` with the indices: (values, flat positions in H·W), as PyTorch's.

    `return_indices` is accepted and ignored, as in PyTorch: the indices always come back.

    Example:
        >>> v, i = adaptive_max_pool2d_with_indices(Tensor([[[[1.0, 5.0], [4.0, 0.0]]]]), 1)
        >>> v.tolist(), i.tolist()
        ([[[[5.0]]]], [[[[1]]]])
    """
    return adaptive_max_pool2d(input, output_size, True)


def _tensor(op: str, input: Any) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{op}: input must be a Tensor (it is written in place), got {type(input).__name__}"
        )
    return input


def relu_(input: Tensor) -> Tensor:
    """ReLU, max(x, 0), written into x: `relu(input, inplace=True)`.

    Example:
        >>> x = Tensor([-1.0, 2.0])
        >>> relu_(x) is x, x.tolist()
        (True, [0.0, 2.0])
    """
    return relu(_tensor("relu_", input), inplace=True)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """ELU, x where x > 0 else α(eˣ − 1), written into x: `elu(input, alpha, inplace=True)`."""
    return elu(_tensor("elu_", input), alpha, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """Leaky ReLU, x where x > 0 else slope·x, written into x: `leaky_relu(..., inplace=True)`."""
    return leaky_relu(_tensor("leaky_relu_", input), negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """Hardtanh, x limited to [min_val, max_val], written into x: `hardtanh(..., inplace=True)`."""
    return hardtanh(_tensor("hardtanh_", input), min_val, max_val, inplace=True)


def selu_(input: Tensor) -> Tensor:
    """SELU, λ·x for x > 0 else λα(eˣ − 1), written into x: `selu(input, inplace=True)`."""
    return selu(_tensor("selu_", input), inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """CELU, max(0, x) + min(0, α(e^(x/α) − 1)), written into x: `celu(..., inplace=True)`."""
    return celu(_tensor("celu_", input), alpha, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """Threshold, x where x > threshold else `value`, written into x (`inplace=True`)."""
    return _threshold(_tensor("threshold_", input), threshold, value, inplace=True)


def rrelu_(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    *,
    generator: Any = None,
) -> Tensor:
    """Randomized leaky ReLU, x for x > 0 else a·x, written into x: `rrelu(..., inplace=True)`.

    a ~ U(lower, upper) per element in training, (lower + upper)/2 otherwise.
    """
    return rrelu(_tensor("rrelu_", input), lower, upper, training, True, generator=generator)
