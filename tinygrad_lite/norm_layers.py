"""Normalisation and lookup layers as Modules: LayerNorm, BatchNorm1d/2d, Embedding (in `nn`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import normalization, written
from .module import Module, Parameter
from .normalization import check_eps, normalized_shape_arg
from .rng import generator as make_generator
from .tensor import DTypeLike, Tensor

__all__ = ["BatchNorm1d", "BatchNorm2d", "Embedding", "LayerNorm", "RunningNorm"]


def check_size(owner: str, name: str, value: Any) -> int:
    """`value` as an int >= 1 (a layer's size argument), or a TypeError/ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{owner}: {name} must be >= 1, got {value}")
    return int(value)


def float_dtype(owner: str, dtype: DTypeLike) -> np.dtype[Any]:
    """`dtype` as a NumPy dtype, refused unless it is a floating-point one."""
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise ValueError(f"{owner}: dtype must be a floating-point dtype, got {dt}")
    return dt


def uniform_parameters(rng: np.random.Generator, bound: float, *params: Tensor | None) -> None:
    """Fill each Parameter (None: skipped) with U(−bound, bound) draws, in order, in place.

    A reset's write: into the Parameters' own arrays (so that an optimizer holding them goes
    on), in their dtypes, through detached aliases (unrecorded, as PyTorch's under no_grad).
    """
    for p in params:
        if p is not None:
            p.detach().uniform_(-bound, bound, generator=rng)


def normal_rows(rng: np.random.Generator, weight: Tensor, padding_idx: int | None) -> None:
    """Fill an embedding table with N(0, 1) draws, in place, the row padding_idx with zeros."""
    weight.detach().normal_(generator=rng)
    if padding_idx is not None:
        weight.detach()[padding_idx] = 0.0


def initialise(layer: Any, seed: int | np.random.Generator | None) -> None:
    """A new layer's first values from its `reset_parameters`, as PyTorch's constructors do."""
    args = () if seed is None else (seed,)  # a subclass's own may take none, as PyTorch's
    layer.reset_parameters(*args)


def affine_parameters(
    shape: tuple[int, ...], dt: np.dtype[Any], affine: bool, bias: bool
) -> tuple[Parameter | None, Parameter | None]:
    """A norm's `weight` and `bias` of `shape` (values set by `reset_parameters`), or None."""
    weight = Parameter(np.empty(shape, dt)) if affine else None
    return weight, Parameter(np.empty(shape, dt)) if affine and bias else None


def reset_affine(weight: Tensor | None, bias: Tensor | None) -> None:
    """A normalisation's weight back to 1 and its bias to 0, in place."""
    for p, value in ((weight, 1.0), (bias, 0.0)):
        if p is not None:
            p.detach().fill_(value)


class LayerNorm(Module):
    """Layer normalisation over the trailing dims, as PyTorch's `nn.LayerNorm`.

    y = (x - E[x]) / √(Var[x] + eps) · weight + bias, with the mean and the biased variance
    over the last `len(normalized_shape)` dims of x (see `normalization.layer_norm`). The
    statistics are the sample's own, so training and evaluation compute the same.

    Args:
        normalized_shape: the trailing shape to normalise over (an int for the last dim).
        eps: added to the variance under the square root.
        elementwise_affine: learn `weight` (ones at first) and `bias` (zeros) of shape
            `normalized_shape`.
        bias: with elementwise_affine, whether to learn the bias too.
        dtype: a floating-point dtype for the weights (float64 by default).

    Raises:
        TypeError, ValueError: a size that is not a positive int, a negative eps, or a dtype
            that is not floating point.
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        self.normalized_shape = normalized_shape_arg("LayerNorm", normalized_shape)
        self.eps = check_eps("LayerNorm", eps)
        self.elementwise_affine = bool(elementwise_affine)
        dt = float_dtype("LayerNorm", dtype)
        shape = self.normalized_shape
        self.weight, self.bias = affine_parameters(shape, dt, self.elementwise_affine, bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight 1 and bias 0 again, written into the same Parameters (PyTorch's)."""
        reset_affine(self.weight, self.bias)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return x normalised over its trailing `normalized_shape` dims, scaled and shifted."""
        return normalization.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        """Return the shape and the settings."""
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
            f", bias={self.bias is not None}"
        )


class RunningNorm(Module):
    """What the per-channel normalisations with running statistics share (BatchNorm, InstanceNorm).

    The checked settings, the affine `weight` (ones) and `bias` (zeros) of C values, and the
    running statistics as buffers under PyTorch's names (`running_mean`, `running_var`,
    `num_batches_tracked`), or None without `track_running_stats`. The subclasses give
    PyTorch's defaults and the forward pass.
    """

    def __init__(
        self,
        num_features: int,
        eps: float,
        momentum: float | None,
        affine: bool,
        track_running_stats: bool,
        bias: bool = True,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        self.num_features = check_size(owner, "num_features", num_features)
        self.eps = check_eps(owner, eps)
        if momentum is not None and (
            isinstance(momentum, bool)
            or not isinstance(momentum, (int, float, np.integer, np.floating))
            or not 0 <= momentum <= 1
        ):
            raise ValueError(f"{owner}: momentum must be in [0, 1] or None, got {momentum!r}")
        self.momentum = None if momentum is None else float(momentum)
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        self.dtype = float_dtype(owner, dtype)
        c = self.num_features
        self.weight, self.bias = affine_parameters((c,), self.dtype, self.affine, bias)
        self.running_mean: Tensor | None
        self.running_var: Tensor | None
        self.num_batches_tracked: Tensor | None
        track = self.track_running_stats
        self.register_buffer("running_mean", Tensor(np.zeros(c, self.dtype)) if track else None)
        self.register_buffer("running_var", Tensor(np.ones(c, self.dtype)) if track else None)
        count = Tensor(np.array(0, np.int64)) if track else None
        self.register_buffer("num_batches_tracked", count)
        if track:
            self.register_load_state_dict_pre_hook(count_if_absent)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Running statistics reset, weight 1 and bias 0 (the same Parameters), as PyTorch's."""
        self.reset_running_stats()
        reset_affine(self.weight, self.bias)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batch counted (new arrays, as an update)."""
        if self.running_mean is not None and self.running_var is not None:
            self.running_mean.data = np.zeros_like(self.running_mean.data)
            self.running_var.data = np.ones_like(self.running_var.data)
        if self.num_batches_tracked is not None:
            self.num_batches_tracked.data = np.zeros_like(self.num_batches_tracked.data)


def count_if_absent(module: Any, state: dict[str, Any], prefix: str, meta: Any, *_: Any) -> None:
    """Load pre-hook (PyTorch's rule): an old state dict, of version 1 or none, keeps the count."""
    key, count = prefix + "num_batches_tracked", module.num_batches_tracked
    if key not in state and count is not None and (meta.get("version") or 1) < 2:
        state[key] = count


class BatchNorm1d(RunningNorm):
    """Batch normalisation of each channel of (N, C) or (N, C, L) input, as PyTorch's.

    In training mode, y = (x - mean) / √(var + eps) · weight + bias with the batch's mean and
    biased variance per channel (over N, and L), and the running statistics are updated:
    running ← (1 - momentum)·running + momentum·stat, with the unbiased variance var·n/(n - 1)
    for n = N·L values per channel, and `num_batches_tracked` counts the batches. With
    momentum=None the update is the cumulative average, momentum = 1/num_batches_tracked. In
    evaluation mode (`eval()`) the running statistics normalise instead. Without
    `track_running_stats` the batch's statistics are used in both modes and there are no
    running ones.

    The running statistics are buffers (see `Module.register_buffer`): in `state_dict()` as
    `running_mean`, `running_var` and `num_batches_tracked`, PyTorch's names. They are updated
    without recording a graph, and a compiled step (`tinygrad_lite.compile`) replays the
    updates exactly as eager execution makes them.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance under the square root.
        momentum: the weight of each batch's statistics in the running ones (PyTorch's
            convention, 0.1 by default), or None for the cumulative average.
        affine: learn a per-channel `weight` (ones at first) and `bias` (zeros).
        track_running_stats: keep running statistics (for evaluation mode).
        bias: with affine, whether to learn the bias too.
        dtype: a floating-point dtype for the weights and statistics (float64 by default).

    Raises:
        TypeError, ValueError: a size that is not a positive int, a negative eps, a momentum
            outside [0, 1], or a dtype that is not floating point.
    """

    _dims: tuple[int, ...] = (2, 3)  # the input's accepted numbers of dimensions

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        bias: bool = True,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, bias, dtype)

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        """Return x normalised per channel (batch statistics in training, else running ones).

        Raises:
            ValueError: the input is not (N, C) or (N, C, L) with C = num_features, or it
                has one value per channel in training.
        """
        x = x if isinstance(x, Tensor) else Tensor(x)
        owner = type(self).__name__
        if x.ndim not in self._dims:
            expected = " or ".join(f"{d}D" for d in self._dims)
            raise ValueError(f"{owner}: expected {expected} input (got {x.ndim}D input)")
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{owner}({self.num_features}): the input's dim 1 must have "
                f"{self.num_features} channels, got input of shape {x.shape}"
            )
        training = self.training
        momentum: float | Tensor = 0.0 if self.momentum is None else self.momentum
        if training and self.num_batches_tracked is not None:
            n = x.size // x.shape[1]
            if n == 1:  # refused before the count moves, as the statistics could not
                raise ValueError(
                    f"{owner}: Expected more than 1 value per channel when training, got "
                    f"input of shape {x.shape}"
                )
            counted = self.num_batches_tracked + 1
            self.num_batches_tracked.data = counted.data
            if self.momentum is None:  # the cumulative average: a tensor, so a replay follows
                momentum = 1.0 / counted
        return normalization.batch_norm(
            x,
            self.running_mean if not training or self.track_running_stats else None,
            self.running_var if not training or self.track_running_stats else None,
            self.weight,
            self.bias,
            training or self.running_mean is None,
            momentum,
            self.eps,
        )

    def extra_repr(self) -> str:
        """Return the size and the settings, as PyTorch shows them."""
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm2d(BatchNorm1d):
    """Batch normalisation of each channel of (N, C, H, W) input, as PyTorch's `BatchNorm2d`.

    The same as `BatchNorm1d` (arguments, buffers, modes), with the statistics of each channel
    taken over N, H and W: the layer that usually follows a `Conv2d`.
    """

    _dims = (4,)


class Embedding(Module):
    """A table of learned vectors looked up by integer indices, as PyTorch's `nn.Embedding`.

    `weight` has shape (num_embeddings, embedding_dim) and is drawn from N(0, 1), as in
    PyTorch; an input of integer indices of any shape gives an output of shape
    `input.shape + (embedding_dim,)` (see `normalization.embedding`). A row looked up several
    times gets the sum of the gradients. The row `padding_idx`, if given, starts at zeros and
    gets no gradient, so it stays as it is in training.

    Args:
        num_embeddings: V, the size of the table.
        embedding_dim: D, the size of each vector.
        padding_idx: a row in [-V, V) that gets no gradient (negative counts from the end).
        max_norm: if given, looked-up rows with a larger `norm_type`-norm are renormalised
            in place to this norm (as PyTorch's).
        norm_type: p of the p-norm for `max_norm`.
        scale_grad_by_freq: divide each row's gradient by the number of times its index
            occurs in the input of the call (see `normalization.embedding`).
        sparse: only False (sparse gradients are refused).
        _weight: an initial (V, D) table, copied (PyTorch's private argument).
        _freeze: whether the weight is frozen (requires_grad False).
        seed: an int or a `numpy.random.Generator` for the initial weights (None: the
            library's default generator, so that `tinygrad_lite.manual_seed` makes them
            reproducible).
        dtype: a floating-point dtype for the weights (float64 by default).

    Raises:
        TypeError, ValueError: a size that is not a positive int, padding_idx outside
            [-V, V), or a dtype that is not floating point.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Any = None,
        _freeze: bool = False,
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        v = self.num_embeddings = check_size("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = check_size("Embedding", "embedding_dim", embedding_dim)
        if padding_idx is not None:
            if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)):
                raise TypeError(
                    f"Embedding: padding_idx must be an int or None, got {padding_idx!r}"
                )
            if not -v <= padding_idx < v:
                raise ValueError(
                    f"Embedding: padding_idx must lie in [-{v}, {v}) (num_embeddings={v}), got "
                    f"{padding_idx}"
                )
            padding_idx = int(padding_idx) % v
        self.padding_idx = padding_idx
        self.max_norm = None if max_norm is None else float(max_norm)
        self.norm_type = float(norm_type)
        if sparse is not False:
            raise ValueError(f"Embedding: sparse={sparse!r} is not supported (only False)")
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, False
        dt = float_dtype("Embedding", dtype)
        if _weight is None:
            self.weight = Parameter(np.empty((v, self.embedding_dim), dt), not _freeze)
            initialise(self, seed)
            return
        w = np.array(_weight.data if isinstance(_weight, Tensor) else _weight)
        if w.shape != (v, self.embedding_dim):
            raise ValueError(
                f"Embedding: _weight must have shape {(v, self.embedding_dim)}, got {w.shape}"
            )
        self.weight = Parameter(w, requires_grad=not _freeze)

    def reset_parameters(self, seed: int | np.random.Generator | None = None) -> None:
        """Draw the weight from N(0, 1) again (the padding row 0) into the same Parameter.

        `seed`: an int or Generator (a seed gives a new layer's weight), None: the default one.
        """
        normal_rows(make_generator(seed), self.weight, self.padding_idx)

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Any,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An Embedding whose weight is a copy of the 2-D `embeddings` (frozen by default)."""
        table = np.asarray(embeddings.data if isinstance(embeddings, Tensor) else embeddings)
        if table.ndim != 2:
            raise ValueError(
                f"Embedding.from_pretrained: embeddings must be 2-D, got shape {table.shape}"
            )
        rows, dim = table.shape
        return cls(
            rows,
            dim,
            padding_idx,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            sparse,
            _weight=table,
            _freeze=freeze,
        )

    def forward(self, indices: Tensor | np.ndarray | int | Sequence[Any]) -> Tensor:
        """Return the rows of the weight at `indices` (integers in [0, num_embeddings)).

        With `max_norm`, each looked-up row whose `norm_type`-norm exceeds it is first scaled
        in place to norm max_norm/(norm + 1e-7)·norm, as PyTorch's `embedding_renorm_`.
        """
        if self.max_norm is not None:
            idx = np.unique(np.asarray(indices.data if isinstance(indices, Tensor) else indices))
            if (
                idx.dtype.kind in "iu"
                and idx.size
                and idx.min() >= 0
                and idx.max() < len(self.weight.data)
            ):
                rows = self.weight.data[idx]
                norms = np.linalg.norm(rows, ord=self.norm_type, axis=1)
                over = norms > self.max_norm
                scale = self.max_norm / (norms[over] + 1e-7)
                self.weight.data[idx[over]] = rows[over] * scale[:, None].astype(rows.dtype)
                written.mark(self.weight)  # a graph that saved the old rows refuses its backward
        return normalization.embedding(
            indices, self.weight, self.padding_idx, scale_grad_by_freq=self.scale_grad_by_freq
        )

    def extra_repr(self) -> str:
        """Return the sizes (and the padding row)."""
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        return text
