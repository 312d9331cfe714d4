"""The adaptive softmax of Grave et al. (2017) as PyTorch's `nn.AdaptiveLogSoftmaxWithLoss`.

Frequent classes (the shortlist) are scored by a head layer, rare ones in clusters whose
log-probabilities are their head entry plus a log-softmax of a small two-layer tail. Everything
is composed of differentiable ops, so gradients of every order come from autograd; parameter
names and shapes are PyTorch's, so its state dicts load.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from .containers import ModuleList, Sequential
from .fn_tensors import cat
from .layers import Linear
from .loss_checks import check_flag, float_input
from .module import Module, Parameter
from .norm_layers import check_size, float_dtype
from .rng import generator as make_generator
from .tensor import DTypeLike, Tensor

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_NAME = "AdaptiveLogSoftmaxWithLoss"


class _ASMoutput(NamedTuple):
    """What `AdaptiveLogSoftmaxWithLoss.forward` returns (PyTorch's `_ASMoutput`).

    Attributes:
        output: the log-probability of each sample's target class, (N,) (0-d unbatched).
        loss: the mean negative log-likelihood, -mean(output).
    """

    output: Tensor
    loss: Tensor


def _linear(n_in: int, n_out: int, rng: np.random.Generator, dtype: np.dtype[Any]) -> Linear:
    """A bias-free Linear(n_in, n_out), allowing a size of 0 (an empty weight) as PyTorch."""
    layer = Linear(max(n_in, 1), max(n_out, 1), bias=False, seed=rng, dtype=dtype)
    if n_in == 0 or n_out == 0:
        layer.in_features, layer.out_features = n_in, n_out
        layer.weight = Parameter(np.zeros((n_out, n_in), dtype))
    return layer


def _check_cutoffs(cutoffs: Any, n_classes: int) -> list[int]:
    try:
        values = list(cutoffs)
    except TypeError:
        raise TypeError(
            f"{_NAME}: cutoffs must be a sequence of ints, got {type(cutoffs).__name__}"
        ) from None
    if not values:
        raise ValueError(f"{_NAME}: cutoffs must be a sequence of length larger than 0")
    if (
        any(isinstance(c, bool) or not isinstance(c, (int, np.integer, float)) for c in values)
        or any(int(c) != c for c in values)
        or values != sorted(values)
        or len(set(values)) != len(values)
        or min(values) <= 0
        or max(values) > n_classes - 1
    ):
        raise ValueError(
            f"{_NAME}: cutoffs must be unique, positive integers sorted in increasing order, "
            f"each between 1 and n_classes - 1 = {n_classes - 1}, got {values}"
        )
    return [int(c) for c in values]


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive softmax: log-probabilities over `n_classes` classes split by `cutoffs`.

    With cutoffs c₀ < c₁ < ... < c_{k-1} and c_k = n_classes, the head is a
    Linear(in_features, c₀ + k) whose log-softmax h scores the shortlist 0 ≤ y < c₀ directly,
    and cluster i (c_{i-1} ≤ y < c_i) through its entry: ln p(y) = h_{c₀+i-1} +
    `log_softmax(tail[i-1](x))` at y − c_{i-1}. Tail i-1 is Sequential(Linear(in_features,
    ⌊in_features / div_valueⁱ⌋), Linear(that, c_i - c_{i-1})), without biases (a hidden size
    of 0 gives empty weights and a uniform cluster, as PyTorch's).

    Example:
        >>> asm = AdaptiveLogSoftmaxWithLoss(8, 10, [4, 7], seed=0)
        >>> out, loss = asm(Tensor(np.ones((3, 8))), [0, 5, 9])
        >>> out.shape, asm.log_prob(Tensor(np.ones((3, 8)))).shape
        ((3,), (3, 10))

    Args:
        in_features: the size of each input sample.
        n_classes: the number of classes.
        cutoffs: increasing ints in [1, n_classes - 1] that split the classes into clusters.
        div_value: the factor by which each tail's hidden size shrinks, > 0.
        head_bias: whether the head has a bias.
        seed: an int or a `numpy.random.Generator` for the initial weights (None: the
            library's default generator).
        dtype: a floating-point dtype for the weights.

    Raises:
        ValueError: cutoffs empty, unsorted, repeated, or outside [1, n_classes - 1]; a size
            < 1; div_value <= 0.
        TypeError: sizes or cutoffs that are not ints, a head_bias that is not a bool.
    """

    def __init__(
        self,
        in_features: int,
        n_classes: int,
        cutoffs: Any,
        div_value: float = 4.0,
        head_bias: bool = False,
        *,
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        self.in_features = check_size(_NAME, "in_features", in_features)
        self.n_classes = check_size(_NAME, "n_classes", n_classes)
        self.cutoffs = [*_check_cutoffs(cutoffs, self.n_classes), self.n_classes]
        if isinstance(div_value, bool) or not isinstance(div_value, (int, float, np.number)):
            raise TypeError(f"{_NAME}: div_value must be a number, got {type(div_value).__name__}")
        if not div_value > 0 or math.isinf(div_value):
            raise ValueError(f"{_NAME}: div_value must be a finite number > 0, got {div_value}")
        self.div_value = div_value
        self.head_bias = check_flag(_NAME, "head_bias", head_bias)
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        dt = float_dtype(_NAME, dtype)
        rng = make_generator(seed)
        self.head = Linear(self.in_features, self.head_size, self.head_bias, rng, dt)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(self.in_features // (self.div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(
                Sequential(
                    _linear(self.in_features, hidden, rng, dt), _linear(hidden, size, rng, dt)
                )
            )

    def reset_parameters(self, seed: int | np.random.Generator | None = None) -> None:
        """Draw the head's and every cluster's weights again, as a new module draws them.

        In the same Parameters; a seed (an int or a Generator) gives a new module's values.
        """
        rng = make_generator(seed)
        self.head.reset_parameters(rng)
        for tail in self.tail:
            for layer in tail.children():
                assert isinstance(layer, Linear)
                if layer.weight.size:
                    layer.reset_parameters(rng)
                else:  # an empty weight stays empty; the draws a new module makes for it
                    _linear(layer.in_features, layer.out_features, rng, layer.weight.dtype)

    def _rows(self, op: str, input: Any) -> Tensor:
        """The input, which must be (N, in_features)."""
        x = float_input(f"{_NAME}.{op}", input)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"{_NAME}.{op}: input must be (N, in_features) with in_features = "
                f"{self.in_features}, got shape {x.shape}"
            )
        return x

    def forward(self, input: Any, target: Any) -> _ASMoutput:
        """Return (output, loss): each target's log-probability and -mean(output).

        Input (N, in_features) takes N targets; a single sample (in_features,) a 0-d target.

        Raises:
            ValueError: mismatched shapes, an empty batch, or targets outside
                [0, n_classes - 1].
            TypeError: a floating-point input that is not, or targets that are not integers.
        """
        y = target.data if isinstance(target, Tensor) else np.asarray(target)
        if y.dtype.kind not in "iu":
            raise TypeError(f"{_NAME}: target must hold integer class indices, got {y.dtype}")
        if y.ndim > 1:
            raise ValueError(
                f"{_NAME}: target must be 0-D or 1-D (multi-target is not supported), got "
                f"shape {y.shape}"
            )
        x = float_input(_NAME, input)
        if x.ndim != y.ndim + 1 or (y.ndim == 1 and x.shape[0] != y.shape[0]):
            raise ValueError(
                f"{_NAME}: a {y.ndim}-D target of shape {y.shape} needs a {y.ndim + 1}-D input "
                "with as many rows as targets, got input of shape "
                f"{x.shape}"
            )
        batched = y.ndim == 1
        x = self._rows("forward", x if batched else x.unsqueeze(0))
        y = y.reshape(-1).astype(np.int64)
        if y.size == 0:
            raise ValueError(f"{_NAME}: the batch is empty, so the mean loss is undefined")
        if y.min() < 0 or y.max() >= self.n_classes:
            raise ValueError(
                f"{_NAME}: target values must be in [0, {self.n_classes - 1}], but values in "
                f"[{y.min()}, {y.max()}] were found"
            )
        cluster = np.searchsorted(self.cutoffs, y, side="right")  # 0: the shortlist
        head_index = np.where(cluster == 0, y, self.shortlist_size + cluster - 1)
        rows = [np.flatnonzero(cluster == 0)]  # the shortlist's local term is 0
        parts = [Tensor(np.zeros(rows[0].size), dtype=x.dtype)]
        for i in range(1, self.n_clusters + 1):
            picked = np.flatnonzero(cluster == i)
            if picked.size == 0:
                continue
            logp = self.tail[i - 1](x.index_select(0, picked)).log_softmax(1)
            relative = (y[picked] - self.cutoffs[i - 1])[:, None]
            rows.append(picked)
            parts.append(logp.gather(1, relative).squeeze(1))
        order = np.argsort(np.concatenate(rows), kind="stable")
        local = cat(parts).index_select(0, order)
        head = self.head(x).log_softmax(1).gather(1, head_index[:, None]).squeeze(1)
        output = local + head
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def _full_log_prob(self, x: Tensor, head_output: Tensor) -> Tensor:
        """The (N, n_classes) log-probabilities of every class."""
        head = head_output.log_softmax(1)
        parts = [head[:, : self.shortlist_size]]
        for i, tail in enumerate(self.tail):
            entry = head[:, self.shortlist_size + i].unsqueeze(1)
            parts.append(tail(x).log_softmax(1) + entry)
        return cat(parts, 1)

    def log_prob(self, input: Any) -> Tensor:
        """Return ln p(c | x) for every class c, (N, n_classes), of an (N, in_features) input."""
        x = self._rows("log_prob", input)
        return self._full_log_prob(x, self.head(x))

    def predict(self, input: Any) -> Tensor:
        """Return the most probable class of each row of an (N, in_features) input, int64 (N,).

        As PyTorch's: the head's argmax where that is a shortlist class, else the argmax of
        the full log-probabilities (computed only for those samples).
        """
        x = self._rows("predict", input)
        head_output = self.head(x)
        best = head_output.data.argmax(1)
        outside = np.flatnonzero(best >= self.shortlist_size)
        if outside.size:
            full = self._full_log_prob(
                x.index_select(0, outside), head_output.index_select(0, outside)
            )
            best[outside] = full.data.argmax(1)
        return Tensor(best.astype(np.int64))
