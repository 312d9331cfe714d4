"""Simple layers as Modules: Softmin, Softmax2d, Threshold, Bilinear, RMSNorm, LocalResponseNorm.

Each calls its function (`act_extras`, `bilinear`, `rms_norms`) or a Tensor method, with its
settings checked when it is made; `tinygrad_lite.nn` re-exports them.

>>> import numpy as np
>>> from tinygrad_lite import nn
>>> nn.Threshold(0.5, -1.0)(np.array([0.25, 0.5, 1.0])).tolist()
[-1.0, -1.0, 1.0]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from . import act_extras, rms_norms
from .act_extras import check_dim, check_real
from .bilinear import bilinear
from .module import Module, Parameter
from .norm_layers import (
    affine_parameters,
    check_size,
    float_dtype,
    initialise,
    reset_affine,
    uniform_parameters,
)
from .normalization import check_eps, normalized_shape_arg
from .rng import generator as make_generator
from .tensor import DTypeLike, Tensor

__all__ = ["Bilinear", "LocalResponseNorm", "RMSNorm", "Softmax2d", "Softmin", "Threshold"]


class Softmin(Module):
    """softmax(−x) along `dim`, as PyTorch's `nn.Softmin` (see `act_extras.softmin`).

    Args:
        dim: the dimension along which the outputs sum to 1 (required).

    Raises:
        TypeError: dim is None or not an int.

    >>> import numpy as np
    >>> from tinygrad_lite import nn
    >>> nn.Softmin(dim=0)(np.array([0.0, np.log(3.0)])).tolist()
    [0.75, 0.25]
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = check_dim("Softmin", dim)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return softmin(x) along dim."""
        return act_extras.softmin(x, self.dim)

    def extra_repr(self) -> str:
        """Return the dim."""
        return f"dim={self.dim}"


class Softmax2d(Module):
    """Softmax over the channels at every pixel of (N, C, H, W) or (C, H, W), as PyTorch's.

    The softmax along dimension −3.

    >>> import numpy as np
    >>> from tinygrad_lite import nn
    >>> nn.Softmax2d()(np.zeros((1, 4, 2, 2)))[0, :, 0, 0].tolist()
    [0.25, 0.25, 0.25, 0.25]
    """

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return the softmax of x along its channels.

        Raises:
            ValueError: the input is neither 3-D nor 4-D.
        """
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.ndim not in (3, 4):
            raise ValueError(
                f"Softmax2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape "
                f"{x.shape}"
            )
        return x.softmax(-3)


class Threshold(Module):
    """Keep x where x > threshold, else put `value`, as PyTorch's `nn.Threshold`.

    See `act_extras.threshold`.

    Args:
        threshold: the level at or below which elements are replaced.
        value: what replaces them.
        inplace: write the result into the input tensor.

    Raises:
        TypeError: threshold or value is not a real number.

    >>> import numpy as np
    >>> from tinygrad_lite import nn
    >>> nn.Threshold(0.0, 0.0)(np.array([-2.0, 0.0, 3.0])).tolist()
    [0.0, 0.0, 3.0]
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        check_real("Threshold", "threshold", threshold)
        check_real("Threshold", "value", value)
        self.threshold, self.value, self.inplace = threshold, value, bool(inplace)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return threshold(x)."""
        return act_extras.threshold(x, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        """Return the threshold and the value (and the in-place flag when it is set)."""
        flag = ", inplace=True" if self.inplace else ""
        return f"threshold={self.threshold}, value={self.value}{flag}"


class Bilinear(Module):
    """y = x₁ᵀ A x₂ + b for each output feature, as PyTorch's `nn.Bilinear`.

    `weight` A has shape (out_features, in1_features, in2_features) and `bias` b shape
    (out_features,), both drawn from U(−1/√in1_features, 1/√in1_features) as in PyTorch; see
    `bilinear.bilinear`.

    Args:
        in1_features: size of the first input's last dimension.
        in2_features: size of the second input's last dimension.
        out_features: size of the output's last dimension.
        bias: whether to learn the bias b.
        seed: an int or a `numpy.random.Generator` for the initial weights (None: the
            library's default generator, which `tinygrad_lite.manual_seed` seeds).
        dtype: a floating-point dtype for the weights (float64 by default).

    Raises:
        TypeError, ValueError: a size that is not a positive int, or a dtype that is not
            floating point.

    >>> import numpy as np
    >>> from tinygrad_lite import nn
    >>> layer = nn.Bilinear(2, 3, 4, seed=0)
    >>> layer(np.ones((5, 2)), np.ones((5, 3))).shape, layer.weight.shape
    ((5, 4), (4, 2, 3))
    """

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        self.in1_features = check_size("Bilinear", "in1_features", in1_features)
        self.in2_features = check_size("Bilinear", "in2_features", in2_features)
        self.out_features = check_size("Bilinear", "out_features", out_features)
        dt = float_dtype("Bilinear", dtype)
        shape = (self.out_features, self.in1_features, self.in2_features)
        self.weight = Parameter(np.empty(shape, dt))
        self.bias: Parameter | None = Parameter(np.empty(self.out_features, dt)) if bias else None
        initialise(self, seed)

    def reset_parameters(self, seed: int | np.random.Generator | None = None) -> None:
        """Draw A and b from U(−1/√in1_features, 1/√in1_features) again, as PyTorch's.

        The values are written into the same Parameters, in their dtype. `seed` is an int or
        a Generator (None: the library's default generator); a seed gives the values a new
        layer built with it has.
        """
        bound = 1.0 / math.sqrt(self.in1_features)
        uniform_parameters(make_generator(seed), bound, self.weight, self.bias)

    def forward(self, x1: Tensor | np.ndarray, x2: Tensor | np.ndarray) -> Tensor:
        """Return x₁ᵀ A x₂ + b for inputs (*, in1_features) and (*, in2_features)."""
        return bilinear(x1, x2, self.weight, self.bias)

    def extra_repr(self) -> str:
        """Return the sizes and whether there is a bias, as PyTorch shows them."""
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


class RMSNorm(Module):
    """Root-mean-square normalisation over the trailing dims, as PyTorch's `nn.RMSNorm`.

    y = x / √(mean(x²) + eps) · weight, the mean over the last `len(normalized_shape)` dims
    (see `rms_norms.rms_norm`).

    Args:
        normalized_shape: the trailing shape to normalise over (an int for the last dim).
        eps: added under the square root; None (the default) means the machine epsilon of
            the dtype it is computed in (float32's for float16 input), as in PyTorch.
        elementwise_affine: learn `weight` (ones at first) of shape `normalized_shape`.
        dtype: a floating-point dtype for the weight (float64 by default).

    Raises:
        TypeError, ValueError: a size that is not a positive int, an eps that is negative or
            not a number, or a dtype that is not floating point.

    >>> import numpy as np
    >>> from tinygrad_lite import nn
    >>> norm = nn.RMSNorm(2)
    >>> norm, [name for name, _ in norm.named_parameters()]
    (RMSNorm((2,), eps=None, elementwise_affine=True), ['weight'])
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float | None = None,
        elementwise_affine: bool = True,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        self.normalized_shape = normalized_shape_arg("RMSNorm", normalized_shape)
        self.eps = None if eps is None else check_eps("RMSNorm", eps)
        self.elementwise_affine = bool(elementwise_affine)
        dt = float_dtype("RMSNorm", dtype)
        self.weight, _ = affine_parameters(
            self.normalized_shape, dt, self.elementwise_affine, False
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """The weight 1 again, written into the same Parameter (PyTorch's)."""
        reset_affine(self.weight, None)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return x divided by its root mean square over the trailing dims, scaled."""
        return rms_norms.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        """Return the shape and the settings, as PyTorch shows them."""
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class LocalResponseNorm(Module):
    """Divide each channel by its neighbours' energy, as PyTorch's `nn.LocalResponseNorm`.

    y[n, c] = x[n, c] / (k + α/size · Σ x[n, c′]²)^β over a window of `size` channels (see
    `rms_norms.local_response_norm`).

    Args:
        size: the number of channels in each window.
        alpha: the scale α.
        beta: the exponent β.
        k: the additive constant.

    Raises:
        TypeError, ValueError: size is not a positive int, or alpha, beta or k is not a real
            number.

    >>> import numpy as np
    >>> from tinygrad_lite import nn
    >>> nn.LocalResponseNorm(2)(np.zeros((1, 3, 4))).shape
    (1, 3, 4)
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size = rms_norms.check_lrn_size("LocalResponseNorm", size)
        for name, v in (("alpha", alpha), ("beta", beta), ("k", k)):
            check_real("LocalResponseNorm", name, v)
        self.alpha, self.beta, self.k = alpha, beta, k

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return x normalised across channels."""
        return rms_norms.local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        """Return the size and the constants, as PyTorch shows them."""
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
