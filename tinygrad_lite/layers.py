"""Layers as Modules: Linear, Identity, Flatten, Dropout, losses, as in PyTorch's `nn`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import functional
from .l1_loss_layers import Loss
from .module import Module, Parameter
from .norm_layers import check_size
from .ops.losses import check_class_options
from .rng import generator as make_generator
from .tensor import DTypeLike, Tensor

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "Identity",
    "Linear",
    "MSELoss",
    "NLLLoss",
]


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


# ---------------------------------------------------------------------------- linear


class Linear(Module):
    """A fully connected layer on batch-first inputs: y = x @ Wᵀ + b.

    W has shape (out_features, in_features) and b shape (out_features,), both drawn from
    U(-1/√in_features, 1/√in_features) as in PyTorch. x has shape (..., in_features) and y
    (..., out_features).

    Args:
        in_features: size of each input's last dimension.
        out_features: size of each output's last dimension.
        bias: whether to add the learnable bias b.
        seed: an int or a `numpy.random.Generator` for the initial weights (None: the
            library's default generator, so that `tinygrad_lite.manual_seed` makes them
            reproducible, as `torch.manual_seed` does for PyTorch's layers).
        dtype: a floating-point dtype for the weights (float64 by default).

    Raises:
        ValueError: a size is < 1, or the dtype is not floating point.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        self.in_features = check_size("Linear", "in_features", in_features)
        self.out_features = check_size("Linear", "out_features", out_features)
        dt = np.dtype(dtype)
        if dt.kind != "f":
            raise ValueError(f"Linear: dtype must be a floating-point dtype, got {dt}")
        rng = make_generator(seed)
        bound = 1.0 / math.sqrt(self.in_features)
        w = rng.uniform(-bound, bound, (self.out_features, self.in_features))
        self.weight = Parameter(w.astype(dt, copy=False))
        self.bias: Parameter | None = None
        if bias:
            b = rng.uniform(-bound, bound, (self.out_features,))
            self.bias = Parameter(b.astype(dt, copy=False))

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return x @ Wᵀ + b for x of shape (..., in_features)."""
        x = _as_tensor(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear(in_features={self.in_features}, out_features={self.out_features}): "
                f"the input's last dimension must be {self.in_features}, got input of shape "
                f"{x.shape}"
            )
        y = x @ self.weight.T
        if self.bias is not None:
            y = y + self.bias
        return y

    def extra_repr(self) -> str:
        """Return the layer's sizes."""
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


# ---------------------------------------------------------------------------- activations


class Identity(Module):
    """Return the input unchanged (a placeholder layer); arguments are accepted and ignored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        """Return x itself."""
        return x


class Flatten(Module):
    """Merge dims start_dim..end_dim into one (by default every dim but the batch's).

    Args:
        start_dim: the first dim to merge (1: keep the batch dim, as PyTorch).
        end_dim: the last dim to merge.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return x flattened from start_dim to end_dim."""
        return _as_tensor(x).flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        """Return the dims."""
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Inverted dropout (see `functional.dropout`): active in `train()`, the identity in `eval()`.

    Args:
        p: the probability of zeroing each element, in [0, 1].
        generator: a `numpy.random.Generator` or an int seed for the masks; None draws from the
            library's default generator (`tinygrad_lite.manual_seed`).
    """

    def __init__(self, p: float = 0.5, generator: Any = None) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise ValueError(f"Dropout: p must be a probability in [0, 1], got {p!r}")
        self.p = float(p)
        self.generator = (
            np.random.default_rng(generator)
            if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool)
            else generator
        )

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """X with elements zeroed at random (training) or unchanged (eval)."""
        return functional.dropout(_as_tensor(x), self.p, self.training, self.generator)

    def extra_repr(self) -> str:
        """The drop probability."""
        return f"p={self.p}"


# ---------------------------------------------------------------------------- losses


class BCELoss(Loss):
    """Binary cross-entropy of probabilities: -[y·ln p + (1-y)·ln(1-p)], logs clamped at -100.

    `loss(p, y)` with p the probabilities (e.g. a sigmoid's output) and y targets in [0, 1] of
    the same shape; see `functional.binary_cross_entropy`.

    Args:
        reduction: "mean" (over every element), "sum" or "none".
        weight: rescales each element's term (broadcast to the shape), as PyTorch's.
    """

    def __init__(self, reduction: str = "mean", *, weight: Any = None) -> None:
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """Return the loss of the probabilities `input` against `target`."""
        x = _as_tensor(input)
        return functional.binary_cross_entropy(x, target, self.reduction, weight=self.weight)


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy of σ(z), fused with the sigmoid: finite for any finite logits.

    `loss(z, y)`; the gradient is σ(z) - y (divided by n for the mean), the tutorial's
    dZ2 = A2 - Y; see `functional.binary_cross_entropy_with_logits`.

    Args:
        reduction: "mean" (over every element), "sum" or "none".
        weight: rescales each element's term (broadcast to the shape).
        pos_weight: the weight of the positive part, one per class (last dimension), as
            PyTorch's: negatives/positives balances unbalanced labels.
    """

    def __init__(
        self, reduction: str = "mean", *, weight: Any = None, pos_weight: Any = None
    ) -> None:
        super().__init__(reduction)
        self.weight, self.pos_weight = weight, pos_weight

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """Return the loss of the logits `input` against `target`."""
        return functional.binary_cross_entropy_with_logits(
            _as_tensor(input),
            target,
            self.reduction,
            weight=self.weight,
            pos_weight=self.pos_weight,
        )


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy of logits, fused with the softmax, as PyTorch's.

    `loss(x, t)` with x the logits, classes along `dim`, and t class indices (an integer
    tensor shaped like x without `dim`) or probabilities of x's shape. The gradient is
    (softmax(x) - onehot(t)) / N for the mean without options; see `functional.cross_entropy`.

    Args:
        reduction: "mean", "sum" or "none". With class indices the mean divides by the sum of
            the counted targets' weights (their number without `weight`), as PyTorch does.
        dim: the class dim: 1 as in PyTorch (N, C), 0 for the course's columns (C, m).
        weight: C class weights (a constant), or None.
        ignore_index: targets equal to it count for nothing (loss and gradient 0).
        label_smoothing: ε in [0, 1]: the targets become (1 - ε)·t + ε/C.
    """

    def __init__(
        self,
        reduction: str = "mean",
        dim: int = 1,
        *,
        weight: Any = None,
        ignore_index: int = -100,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(reduction)
        self.dim = int(dim)
        opts = check_class_options(type(self).__name__, weight, ignore_index, label_smoothing)
        self.weight, self.ignore_index, self.label_smoothing = opts

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """Return the loss of the logits `input` against `target`."""
        return functional.cross_entropy(
            _as_tensor(input),
            target,
            self.reduction,
            self.dim,
            weight=self.weight,
            ignore_index=self.ignore_index,
            label_smoothing=self.label_smoothing,
        )

    def extra_repr(self) -> str:
        """Return the reduction, the class dim and the options that are not the defaults."""
        return f"reduction={self.reduction!r}, dim={self.dim}" + _class_options_repr(self)


class NLLLoss(Loss):
    """Negative log-likelihood of class indices given log-probabilities, as PyTorch's.

    `loss(logp, t)` with logp log-probabilities (e.g. `nn.LogSoftmax(dim=1)`'s output) and t
    class indices; per sample -weight[t]·logp[t]; see `functional.nll_loss`.

    Args:
        reduction: "mean", "sum" or "none"; the mean divides by the sum of the counted
            targets' weights (their number without `weight`), as PyTorch does.
        dim: the class dim: 1 as in PyTorch (N, C), 0 for the course's columns (C, m).
        weight: C class weights (a constant), or None.
        ignore_index: targets equal to it count for nothing (loss and gradient 0).
    """

    def __init__(
        self, reduction: str = "mean", dim: int = 1, *, weight: Any = None, ignore_index: int = -100
    ) -> None:
        super().__init__(reduction)
        self.dim = int(dim)
        self.weight, self.ignore_index, _ = check_class_options(
            type(self).__name__, weight, ignore_index
        )

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """Return the loss of the log-probabilities `input` against `target`."""
        return functional.nll_loss(
            _as_tensor(input),
            target,
            self.reduction,
            self.dim,
            weight=self.weight,
            ignore_index=self.ignore_index,
        )

    def extra_repr(self) -> str:
        """Return the reduction, the class dim and the options that are not the defaults."""
        return f"reduction={self.reduction!r}, dim={self.dim}" + _class_options_repr(self)


def _class_options_repr(loss: Any) -> str:
    text = ""
    if loss.weight is not None:
        text += f", weight={np.array2string(loss.weight, separator=', ')}"
    if loss.ignore_index != -100:
        text += f", ignore_index={loss.ignore_index}"
    if getattr(loss, "label_smoothing", 0.0):
        text += f", label_smoothing={loss.label_smoothing}"
    return text


class MSELoss(Loss):
    """Mean squared error (x - y)², reduced; see `functional.mse_loss`.

    Args:
        reduction: "mean" (over every element), "sum" or "none".
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """Return the squared error of `input` against `target`."""
        return functional.mse_loss(_as_tensor(input), target, self.reduction)
