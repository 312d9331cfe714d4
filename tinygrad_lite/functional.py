"""Functions on Tensors: activations, the fused losses, and compositions of the ops."""

from __future__ import annotations

from typing import Any

import numpy as np

from .act_extras import check_dim, float_cast, softmin, threshold
from .act_functions import (
    celu,
    elu,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    mish,
    prelu,
    relu,
    relu6,
    selu,
    silu,
    softshrink,
    softsign,
    tanhshrink,
)
from .attention import scaled_dot_product_attention
from .bilinear import bilinear
from .channel_drop import (
    check_probability,
    dropout1d,
    dropout2d,
    inplace_or_generator,
    scaled_mask_product,
)
from .conv3d import adaptive_avg_pool3d, adaptive_max_pool3d, avg_pool3d, conv3d, max_pool3d
from .conv_transpose import conv_transpose1d, conv_transpose2d
from .convolution import conv1d, conv2d, fold, pad, unfold
from .convt3d import conv_transpose3d
from .ctc import ctc_loss
from .distances import cosine_similarity, kl_div, pairwise_distance
from .embed_bag import embedding_bag
from .fn_aliases import (
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d_with_indices,
    celu_,
    elu_,
    hardtanh_,
    leaky_relu_,
    relu_,
    rrelu_,
    selu_,
    threshold_,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)
from .fn_losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
    nll_loss,
)
from .fn_tensors import (
    argsort,
    cat,
    cumprod,
    cumsum,
    expand_dims,
    flip,
    maximum,
    minimum,
    sort,
    stack,
    topk,
    where,
)
from .frac_pool import (
    fractional_max_pool2d,
    fractional_max_pool2d_with_indices,
    fractional_max_pool3d,
    fractional_max_pool3d_with_indices,
)
from .grid_sample import affine_grid, grid_sample
from .group_norms import group_norm, instance_norm
from .l1_losses import huber_loss, l1_loss, smooth_l1_loss
from .layers3d import dropout3d
from .margin_losses import (
    cosine_embedding_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_soft_margin_loss,
    soft_margin_loss,
    triplet_margin_loss,
)
from .more_losses import multilabel_margin_loss, triplet_margin_with_distance_loss
from .nll_losses import gaussian_nll_loss, poisson_nll_loss
from .normalization import batch_norm, embedding, layer_norm
from .pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
from .rand_acts import alpha_dropout, feature_alpha_dropout, gumbel_softmax, rrelu
from .rms_norms import local_response_norm, rms_norm
from .shuffles import channel_shuffle, pixel_shuffle, pixel_unshuffle
from .tensor import DTypeLike, Tensor
from .tensor_inplace import maybe_in_place
from .tensor_shape import dim_arg
from .unpool import (
    lp_pool1d,
    lp_pool2d,
    max_pool1d_with_indices,
    max_pool2d_with_indices,
    max_unpool1d,
    max_unpool2d,
    pdist,
)
from .unpool3d import lp_pool3d, max_unpool3d
from .upsample import interpolate

__all__ = [
    "conv_transpose3d",
    "ctc_loss",
    "fractional_max_pool2d",
    "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices",
    "lp_pool3d",
    "max_unpool3d",
    "softmin",
    "threshold",
    "bilinear",
    "rms_norm",
    "local_response_norm",
    "pixel_shuffle",
    "pixel_unshuffle",
    "channel_shuffle",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "l1_loss",
    "huber_loss",
    "smooth_l1_loss",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "soft_margin_loss",
    "multilabel_soft_margin_loss",
    "cosine_embedding_loss",
    "triplet_margin_loss",
    "multi_margin_loss",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "layer_norm",
    "batch_norm",
    "embedding",
    "softmax",
    "log_softmax",
    "log_sigmoid",
    "tanh",
    "sigmoid",
    "relu",
    "leaky_relu",
    "silu",
    "elu",
    "hardtanh",
    "relu6",
    "logsigmoid",
    "one_hot",
    "linear",
    "normalize",
    "gelu",
    "softplus",
    "where",
    "cat",
    "stack",
    "expand_dims",
    "cumsum",
    "cumprod",
    "flip",
    "argsort",
    "sort",
    "topk",
    "maximum",
    "minimum",
    "dropout",
    "cosine_similarity",
    "pairwise_distance",
    "kl_div",
    "scaled_dot_product_attention",
    "conv1d",
    "conv2d",
    "conv_transpose1d",
    "conv_transpose2d",
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "interpolate",
    "pad",
    "unfold",
    "fold",
    "group_norm",
    "instance_norm",
    "hardswish",
    "hardsigmoid",
    "mish",
    "softsign",
    "tanhshrink",
    "hardshrink",
    "softshrink",
    "celu",
    "selu",
    "glu",
    "prelu",
    "dropout1d",
    "dropout2d",
    "embedding_bag",
    "grid_sample",
    "affine_grid",
    "gumbel_softmax",
    "rrelu",
    "alpha_dropout",
    "feature_alpha_dropout",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "max_unpool1d",
    "max_unpool2d",
    "lp_pool1d",
    "lp_pool2d",
    "pdist",
    "conv3d",
    "max_pool3d",
    "avg_pool3d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool3d",
    "dropout3d",
    "multilabel_margin_loss",
    "triplet_margin_with_distance_loss",
    "upsample",
    "upsample_nearest",
    "upsample_bilinear",
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
    "relu_",
    "elu_",
    "leaky_relu_",
    "hardtanh_",
    "selu_",
    "celu_",
    "threshold_",
    "rrelu_",
]


def softmax(x: Tensor, dim: int | None = None, dtype: DTypeLike = None) -> Tensor:
    """e^x / Σ e^x along `dim` (stable), the input cast to `dtype` first if given.

    dim=None is PyTorch's implicit choice where it is the last dimension (at most 2-d) and
    refused otherwise.
    """
    x = float_cast("softmax", x, dtype)
    return x.softmax(dim_arg(check_dim("softmax", dim, x.ndim), x.ndim, "softmax"))


def log_softmax(x: Tensor, dim: int | None = None, dtype: DTypeLike = None) -> Tensor:
    """X - ln Σ e^x along `dim` (stable), the input cast to `dtype` first if given.

    dim=None as for `softmax`.
    """
    x = float_cast("log_softmax", x, dtype)
    return x.log_softmax(dim_arg(check_dim("log_softmax", dim, x.ndim), x.ndim, "log_softmax"))


def log_sigmoid(x: Tensor) -> Tensor:
    """Return ln σ(x), stable for large |x|."""
    return x.log_sigmoid()


def tanh(x: Tensor) -> Tensor:
    """Elementwise tanh."""
    return x.tanh()


def sigmoid(x: Tensor) -> Tensor:
    """Elementwise logistic sigmoid."""
    return x.sigmoid()


def logsigmoid(x: Tensor) -> Tensor:
    """The log-sigmoid ln σ(x): PyTorch's name for `log_sigmoid`."""
    return x.log_sigmoid()


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Class indices as rows of 0s and a 1: shape (..., num_classes), int64, no gradient.

    With num_classes = -1 it is one more than the largest index, as in PyTorch.
    """
    idx = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot: needs integer class indices, got dtype {idx.dtype}")
    if idx.size and idx.min() < 0:
        raise ValueError(f"one_hot: class indices must be >= 0, got {int(idx.min())}")
    if num_classes == -1:
        if not idx.size:
            raise ValueError("one_hot: cannot infer the number of classes of an empty tensor")
        num_classes = int(idx.max()) + 1
    if idx.size and idx.max() >= num_classes:
        raise ValueError(
            f"one_hot: class index {int(idx.max())} is out of range for {num_classes} classes"
        )
    return Tensor(np.eye(num_classes, dtype=np.int64)[idx])


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """The affine map x·Wᵀ + b, for a weight of shape (out, in), as `nn.Linear` computes.

    A 1-D weight of shape (in,) gives x·w + b without the out dimension, as in PyTorch.
    """
    if weight.ndim not in (1, 2):
        raise ValueError(f"linear: the weight must be (out, in) or (in,), got shape {weight.shape}")
    out = x.matmul(weight.transpose(0, 1) if weight.ndim == 2 else weight)
    return out if bias is None else out + bias


def normalize(x: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """The input divided by max(‖x‖_p, eps) along `dim`, as PyTorch's normalize.

    p is one of the norms `Tensor.norm` takes: 1, 2, ±inf, 0 or any number above 1.
    """
    return x / x.norm(p, dim, keepdim=True).clamp_min(eps)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """GELU, x·Φ(x): exact with the error function ("none", PyTorch's default) or "tanh".

    The tanh form, ½x(1 + tanh(√(2/π)(x + 0.044715x³))), is within 1e-3 of the exact one and
    faster on large arrays (the error function is evaluated element by element).
    """
    return x.gelu(approximate)


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """ln(1 + e^(βx))/β, linear where βx > threshold."""
    return x.softplus(beta, threshold)


def dropout(
    x: Tensor, p: float = 0.5, training: bool = True, generator: Any = None, inplace: bool = False
) -> Tensor:
    """Inverted dropout: each element is zeroed with probability p, the rest scaled by 1/(1-p).

    The mask is drawn from `generator` (a `numpy.random.Generator`, an int seed, or None for the
    library's default generator). In a compiled step every call draws a fresh mask from the
    same generator, exactly as eager calls would. With `training=False` (or p = 0) it is the
    identity. `inplace=True` writes the result into x and returns x; a bool in the place of
    `generator` is PyTorch's fourth argument, `inplace`.

    Raises:
        ValueError: p outside [0, 1].
    """
    p = check_probability("dropout", "p", p)
    generator, inplace = inplace_or_generator("dropout", generator, inplace)
    if not training or p == 0:
        return x
    return maybe_in_place(
        x, inplace, "dropout", lambda a: scaled_mask_product(a, p, a.shape, generator)
    )
