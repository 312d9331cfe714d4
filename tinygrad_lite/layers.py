"""Layers as Modules: Linear, Identity, Flatten, Dropout, losses, as in PyTorch's `nn`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import functional
from .l1_loss_layers import Loss
from .loss_checks import refuse_legacy
from .module import Module, Parameter
from .norm_layers import check_size, initialise, uniform_parameters
from .ops.losses import check_class_options
from .rng import generator as make_generator
from .tensor import DTypeLike, Tensor
from .tensor_inplace import check_inplace, maybe_in_place

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
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dt))
        self.bias: Parameter | None = Parameter(np.empty(self.out_features, dt)) if bias else None
        initialise(self, seed)

    def reset_parameters(self, seed: int | np.random.Generator | None = None) -> None:
        """Draw W and b from U(−1/√in_features, 1/√in_features) again, as PyTorch's.

        The values are written into the same Parameters (an optimizer holding them keeps
        working), in their dtype. `seed` is an int or a Generator (None: the library's
        default generator, as PyTorch draws from its global one); a seed gives the values a
        new layer built with it has.
        """
        bound = 1.0 / math.sqrt(self.in_features)
        uniform_parameters(make_generator(seed), bound, self.weight, self.bias)

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
        t = _as_tensor(x)
        n = max(t.ndim, 1)  # a 0-d tensor flattens as one of shape (1,), as in PyTorch
        for name, d in (("start_dim", self.start_dim), ("end_dim", self.end_dim)):
            if not -n <= d < n:
                raise IndexError(
                    f"Flatten: {name}={d} is out of range for a {t.ndim}-d input of shape "
                    f"{t.shape} (expected a dim in [{-n}, {n - 1}])"
                )
        if t.size == 0 and t.ndim > 0:  # the size is explicit: a -1 cannot be inferred from 0
            first, last = self.start_dim % t.ndim, self.end_dim % t.ndim
            if first <= last:
                middle = (math.prod(t.shape[first : last + 1]),)
                return t.reshape(t.shape[:first] + middle + t.shape[last + 1 :])
        return t.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        """Return the dims."""
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Inverted dropout (see `functional.dropout`): active in `train()`, the identity in `eval()`.

    Args:
        p: the probability of zeroing each element, in [0, 1].
        inplace: write the result into the input tensor in training (PyTorch's `inplace`).
        generator: a `numpy.random.Generator` or an int seed for the masks; None draws from the
            library's default generator (`tinygrad_lite.manual_seed`).
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, *, generator: Any = None) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise ValueError(f"Dropout: p must be a probability in [0, 1], got {p!r}")
        self.p = float(p)
        self.inplace = check_inplace("Dropout", inplace)
        self.generator = (
            np.random.default_rng(generator)
            if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool)
            else generator
        )

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """X with elements zeroed at random (training) or unchanged (eval)."""
        return maybe_in_place(
            _as_tensor(x),
            self.inplace and self.training and self.p > 0,
            "dropout",
            lambda t: functional.dropout(t, self.p, self.training, self.generator),
        )

    def extra_repr(self) -> str:
        """The drop probability and `inplace`, as PyTorch shows them."""
        return f"p={self.p}, inplace={self.inplace}"


# ---------------------------------------------------------------------------- losses


class BCELoss(Loss):
    """Binary cross-entropy of probabilities: -[y·ln p + (1-y)·ln(1-p)], logs clamped at -100.

    `loss(p, y)` with p the probabilities (e.g. a sigmoid's output) and y targets in [0, 1] of
    the same shape; see `functional.binary_cross_entropy`. The arguments are PyTorch's, in its
    order; a `weight` is a buffer (in `state_dict()`, as PyTorch's).

    Args:
        weight: rescales each element's term (broadcast to the shape), as PyTorch's.
        size_average: PyTorch's deprecated argument, refused unless None.
        reduce: PyTorch's deprecated argument, refused unless None.
        reduction: "mean" (over every element), "sum" or "none".
    """

    def __init__(
        self,
        weight: Any = None,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
    ) -> None:
        refuse_legacy(type(self).__name__, size_average, reduce)
        super().__init__(reduction)
        self.weight: Tensor | None
        self.register_buffer("weight", _buffer(weight))

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """Return the loss of the probabilities `input` against `target`."""
        x = _as_tensor(input)
        return functional.binary_cross_entropy(
            x, target, weight=self.weight, reduction=self.reduction
        )


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy of σ(z), fused with the sigmoid: finite for any finite logits.

    `loss(z, y)`; the gradient is σ(z) - y (divided by n for the mean), the tutorial's
    dZ2 = A2 - Y; see `functional.binary_cross_entropy_with_logits`. The arguments are
    PyTorch's, in its order; `weight` and `pos_weight` are buffers, as PyTorch's.

    Args:
        weight: rescales each element's term (broadcast to the shape).
        size_average: PyTorch's deprecated argument, refused unless None.
        reduce: PyTorch's deprecated argument, refused unless None.
        reduction: "mean" (over every element), "sum" or "none".
        pos_weight: the weight of the positive part, one per class (last dimension), as
            PyTorch's: negatives/positives balances unbalanced labels.
    """

    def __init__(
        self,
        weight: Any = None,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
        pos_weight: Any = None,
    ) -> None:
        refuse_legacy(type(self).__name__, size_average, reduce)
        super().__init__(reduction)
        self.weight: Tensor | None
        self.pos_weight: Tensor | None
        self.register_buffer("weight", _buffer(weight))
        self.register_buffer("pos_weight", _buffer(pos_weight))

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """Return the loss of the logits `input` against `target`."""
        return functional.binary_cross_entropy_with_logits(
            _as_tensor(input),
            target,
            weight=self.weight,
            reduction=self.reduction,
            pos_weight=self.pos_weight,
        )


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy of logits, fused with the softmax, as PyTorch's.

    `loss(x, t)` with x the logits, classes along `dim`, and t class indices (an integer
    tensor shaped like x without `dim`) or probabilities of x's shape. The gradient is
    (softmax(x) - onehot(t)) / N for the mean without options; see `functional.cross_entropy`.
    The arguments are PyTorch's, in its order, and `dim` (keyword only) is this library's.

    Args:
        weight: C class weights (a constant, kept as a buffer), or None.
        size_average: PyTorch's deprecated argument, refused unless None.
        reduce: PyTorch's deprecated argument, refused unless None.
        ignore_index: targets equal to it count for nothing (loss and gradient 0).
        reduction: "mean", "sum" or "none". With class indices the mean divides by the sum of
            the counted targets' weights (their number without `weight`), as PyTorch does.
        label_smoothing: ε in [0, 1]: the targets become (1 - ε)·t + ε/C.
        dim: the class dim: 1 as in PyTorch (N, C), 0 for the course's columns (C, m).
    """

    def __init__(
        self,
        weight: Any = None,
        size_average: Any = None,
        ignore_index: int = -100,
        reduce: Any = None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
        *,
        dim: int = 1,
    ) -> None:
        refuse_legacy(type(self).__name__, size_average, reduce)
        super().__init__(reduction)
        self.dim = int(dim)
        opts = check_class_options(type(self).__name__, weight, ignore_index, label_smoothing)
        self.weight: Tensor | None
        self.register_buffer("weight", _buffer(opts.weight))
        self.ignore_index, self.label_smoothing = opts.ignore_index, opts.smoothing

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """Return the loss of the logits `input` against `target`."""
        return functional.cross_entropy(
            _as_tensor(input),
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
            dim=self.dim,
        )

    def extra_repr(self) -> str:
        """Return the reduction, the class dim and the options that are not the defaults."""
        return f"reduction={self.reduction!r}, dim={self.dim}" + _class_options_repr(self)


class NLLLoss(Loss):
    """Negative log-likelihood of class indices given log-probabilities, as PyTorch's.

    `loss(logp, t)` with logp log-probabilities (e.g. `nn.LogSoftmax(dim=1)`'s output) and t
    class indices; per sample -weight[t]·logp[t]; see `functional.nll_loss`. The arguments are
    PyTorch's, in its order, and `dim` (keyword only) is this library's.

    Args:
        weight: C class weights (a constant, kept as a buffer), or None.
        size_average: PyTorch's deprecated argument, refused unless None.
        reduce: PyTorch's deprecated argument, refused unless None.
        ignore_index: targets equal to it count for nothing (loss and gradient 0).
        reduction: "mean", "sum" or "none"; the mean divides by the sum of the counted
            targets' weights (their number without `weight`), as PyTorch does.
        dim: the class dim: 1 as in PyTorch (N, C), 0 for the course's columns (C, m).
    """

    def __init__(
        self,
        weight: Any = None,
        size_average: Any = None,
        ignore_index: int = -100,
        reduce: Any = None,
        reduction: str = "mean",
        *,
        dim: int = 1,
    ) -> None:
        refuse_legacy(type(self).__name__, size_average, reduce)
        super().__init__(reduction)
        self.dim = int(dim)
        opts = check_class_options(type(self).__name__, weight, ignore_index)
        self.weight: Tensor | None
        self.register_buffer("weight", _buffer(opts.weight))
        self.ignore_index = opts.ignore_index

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """Return the loss of the log-probabilities `input` against `target`."""
        return functional.nll_loss(
            _as_tensor(input),
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            dim=self.dim,
        )

    def extra_repr(self) -> str:
        """Return the reduction, the class dim and the options that are not the defaults."""
        return f"reduction={self.reduction!r}, dim={self.dim}" + _class_options_repr(self)


def _buffer(weight: Any) -> Tensor | None:
    """A loss's constant weight as a Tensor buffer (arrays and lists as float64), or None."""
    if weight is None:
        return None
    if isinstance(weight, Tensor):
        return weight.detach()
    arr = np.asarray(weight)
    return Tensor(arr if arr.dtype.kind == "f" else arr.astype(np.float64))


def _class_options_repr(loss: Any) -> str:
    text = ""
    if loss.weight is not None:
        text += f", weight={np.array2string(np.asarray(loss.weight.data), separator=', ')}"
    if loss.ignore_index != -100:
        text += f", ignore_index={loss.ignore_index}"
    if getattr(loss, "label_smoothing", 0.0):
        text += f", label_smoothing={loss.label_smoothing}"
    return text


class MSELoss(Loss):
    """Mean squared error (x - y)², reduced; see `functional.mse_loss`.

    Args:
        size_average: PyTorch's deprecated argument, refused unless None.
        reduce: PyTorch's deprecated argument, refused unless None.
        reduction: "mean" (over every element), "sum" or "none".
    """

    def __init__(
        self, size_average: Any = None, reduce: Any = None, reduction: str = "mean"
    ) -> None:
        refuse_legacy(type(self).__name__, size_average, reduce)
        super().__init__(reduction)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """Return the squared error of `input` against `target`."""
        return functional.mse_loss(_as_tensor(input), target, self.reduction)
