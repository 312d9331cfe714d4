"""Bags of embeddings reduced to one vector each: PyTorch's `F.embedding_bag` and `nn.EmbeddingBag`.

A bag is a run of indices into a (V, D) weight; each bag becomes the sum, the mean or the
elementwise maximum of its rows, without the (B, N, D) tensor of looked-up rows that
`embedding` followed by a reduction would build for fixed-length bags. A 1-D input is cut into
bags at `offsets`; a 2-D input (B, N) is B bags of N indices. The rows are looked up with
indexing, summed into their bags with `index_add`, and the maxima picked with `gather`, so
gradients of every order come from those ops.

>>> import tinygrad_lite as tg
>>> w = tg.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
>>> embedding_bag(tg.tensor([0, 2, 1]), w, tg.tensor([0, 2]), mode="sum").tolist()
[[6.0, 8.0], [3.0, 4.0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import tracing
from .module import Module, Parameter
from .norm_layers import check_size, float_dtype, initialise, normal_rows
from .normalization import lookup_rows, renorm_rows
from .rng import generator as make_generator
from .tensor import DTypeLike, Tensor
from .tensor_shape import constant_result

__all__ = ["MODES", "EmbeddingBag", "embedding_bag"]

#: The reductions of a bag.
MODES = ("sum", "mean", "max")


def _integers(op: str, name: str, x: Any) -> np.ndarray:
    """The integer array of `input` or `offsets` (refused when a compiled step is given it)."""
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    if tracing.is_traced(data):
        raise tracing.TraceError(
            f"compile: {op}'s {name} are an input of the compiled step, which it cannot replay "
            "(the bags would be frozen); use fixed indices in the step, or call it outside"
        )
    if data.dtype.kind not in "iu":
        raise TypeError(f"{op}: {name} must hold integers (int64, say), got dtype {data.dtype}")
    return data


def _padding_idx(op: str, padding_idx: Any, v: int) -> int | None:
    """`padding_idx` as a row in [0, V), or None; PyTorch's range [-V, V) is checked."""
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)):
        raise TypeError(f"{op}: padding_idx must be an int or None, got {padding_idx!r}")
    if not -v <= padding_idx < v:
        raise ValueError(
            f"{op}: padding_idx must lie in [-{v}, {v}) (the number of embeddings), got "
            f"{padding_idx}"
        )
    return int(padding_idx) % v


def _bag_of(op: str, offsets: np.ndarray, n: int, include_last: bool) -> tuple[np.ndarray, int]:
    """The bag of each of the n positions, and the number of bags, from checked offsets."""
    if offsets.ndim != 1:
        raise ValueError(f"{op}: offsets must be 1-D, got shape {offsets.shape}")
    if include_last and offsets.size == 0:
        raise ValueError(
            f"{op}: with include_last_offset, offsets must end with the input's length {n}, "
            "got no offsets"
        )
    if offsets.size == 0 and n:
        raise ValueError(f"{op}: offsets is empty, so the input's {n} indices are in no bag")
    if offsets.size:
        if offsets[0] != 0:
            raise ValueError(f"{op}: offsets[0] must be 0 (where the first bag starts), got "
                             f"{offsets[0]}")  # fmt: skip
        if np.any(offsets[1:] < offsets[:-1]):
            raise ValueError(f"{op}: offsets must not decrease, got {offsets.tolist()}")
        if offsets[-1] > n:
            raise ValueError(
                f"{op}: offsets must not pass the input's length {n}, got {offsets[-1]}"
            )
        if include_last and offsets[-1] != n:
            raise ValueError(
                f"{op}: with include_last_offset, the last offset must be the input's length "
                f"{n}, got {offsets[-1]}"
            )
    starts = offsets[:-1] if include_last else offsets
    return np.searchsorted(starts, np.arange(n), side="right") - 1, len(starts)


def embedding_bag(
    input: Any,
    weight: Tensor,
    offsets: Any = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """The sum, mean or maximum of each bag of rows of `weight`, as PyTorch's `embedding_bag`.

    For bag b, the positions i in it whose index xᵢ is not `padding_idx`:
    "sum" gives Σᵢ wᵢ·W[xᵢ] (wᵢ the per-sample weight, 1 without), "mean" the sum over their
    count, "max" the elementwise maximum (the first one of equal maxima, and a NaN only where
    it comes first, as PyTorch's CPU kernel). A bag with no such position gives zeros.
    The gradient of a row adds up over the positions it was looked up at (for "max", over the
    elements it gave); `scale_grad_by_freq` divides a row's gradient by the number of times
    its index appears in the input, as PyTorch does (the value is unchanged, so that
    gradient is not the derivative of the value).

    Args:
        input: integer indices in [0, V): 1-D, cut into bags by `offsets`, or 2-D (B, N), B
            bags of N >= 1 indices (offsets must be None).
        weight: the (V, D) floating-point table.
        offsets: for 1-D input, where each bag starts: 0 first, never decreasing, at most the
            input's length (equal offsets make empty bags).
        max_norm: if given, each row looked up whose `norm_type`-norm exceeds it is first
            multiplied by max_norm/(norm + 1e-7), in the weight itself and unrecorded, as
            PyTorch does.
        norm_type: the p of that norm.
        scale_grad_by_freq: divide each row's gradient by its index's count in the input
            (not with "max").
        mode: "sum", "mean" (PyTorch's default) or "max".
        sparse: must be False: sparse gradients are not supported.
        per_sample_weights: weights of the input's shape and the weight's dtype, with "sum"
            only; they get gradients too.
        include_last_offset: offsets has one more entry, the input's length, which ends the
            last bag.
        padding_idx: a row in [-V, V) whose positions are left out of their bags (and of the
            mean's count).

    Returns:
        (B, D) in the weight's dtype, B the number of bags.

    Raises:
        ValueError: shapes, offsets, mode or padding_idx out of line; max with
            scale_grad_by_freq; sparse=True; a last offset other than the input's length with
            include_last_offset (PyTorch then lets the last bag run to the end).
        TypeError: indices that are not integers, a weight that is not floating point,
            per_sample_weights of another dtype.
        IndexError: an index outside [0, V).
        NotImplementedError: per_sample_weights with "mean" or "max" (as PyTorch).
    """
    op = "embedding_bag"
    w = weight if isinstance(weight, Tensor) else Tensor(weight)
    if w.ndim != 2:
        raise ValueError(f"{op}: weight must be 2-D (num_embeddings, dim), got shape {w.shape}")
    if w.dtype.kind != "f":
        raise TypeError(f"{op}: weight must be floating point, got dtype {w.dtype}")
    v, d = w.shape
    idx = _integers(op, "input", input)
    if idx.ndim not in (1, 2):
        raise ValueError(f"{op}: input must be 1-D (with offsets) or 2-D (B, N), got {idx.shape}")
    psw = per_sample_weights
    if psw is not None:
        psw = psw if isinstance(psw, Tensor) else Tensor(np.asarray(psw), dtype=w.dtype)
        if psw.shape != idx.shape:
            raise ValueError(
                f"{op}: per_sample_weights must have the input's shape {idx.shape}, got {psw.shape}"
            )
        if psw.dtype != w.dtype:
            raise TypeError(
                f"{op}: per_sample_weights (dtype {psw.dtype}) must have the weight's dtype "
                f"{w.dtype}"
            )
    if mode not in MODES:
        raise ValueError(f"{op}: mode must be 'sum', 'mean' or 'max', got {mode!r}")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError(f"{op}: mode 'max' does not support scale_grad_by_freq")
    if sparse:
        raise ValueError(
            f"{op}: sparse=True (a sparse gradient) is not supported; sparse=False gives the "
            "same gradient, dense"
        )
    if psw is not None and mode != "sum":
        raise NotImplementedError(
            f"{op}: per_sample_weights is only supported with mode='sum', got mode={mode!r}"
        )
    pad = _padding_idx(op, padding_idx, v)
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{op}: offsets must be None for a 2-D input (B bags of N indices)")
        if idx.shape[1] == 0:
            raise ValueError(f"{op}: a 2-D input (B, N) needs N >= 1, got shape {idx.shape}")
        bag, count = np.repeat(np.arange(idx.shape[0]), idx.shape[1]), idx.shape[0]
        idx = idx.reshape(-1)
        psw = None if psw is None else psw.reshape(-1)
    else:
        if offsets is None:
            raise ValueError(f"{op}: a 1-D input needs offsets, where each bag starts")
        starts = _integers(op, "offsets", offsets)
        bag, count = _bag_of(op, starts, idx.size, bool(include_last_offset))
    if idx.size and (idx.min() < 0 or idx.max() >= v):
        bad = idx[(idx < 0) | (idx >= v)]
        raise IndexError(
            f"{op}: index {bad[0]} is out of range for {v} embeddings (indices must lie in "
            f"[0, {v - 1}])"
        )
    if max_norm is not None:
        renorm_rows(op, w, idx, max_norm, norm_type)
    kept = np.flatnonzero(idx != pad) if pad is not None else np.arange(idx.size)
    rows = lookup_rows(w, idx[kept], idx if scale_grad_by_freq else None)
    bags = bag[kept]
    sizes = np.bincount(bags, minlength=count)
    if mode == "max" and kept.size:
        return _bag_max(rows, bags, sizes)
    if psw is not None:
        rows = rows * psw[kept].unsqueeze(1)
    out = Tensor(np.zeros((count, d), w.dtype)).index_add(0, bags, rows)
    if mode == "mean":
        out = out / np.maximum(sizes, 1).astype(w.dtype)[:, None]
    return out


def _bag_max(rows: Tensor, bags: np.ndarray, sizes: np.ndarray) -> Tensor:
    """The elementwise maximum of each bag's rows (bags in order), zeros for empty bags.

    In each column the first row of the bag is taken, then any later one strictly greater:
    PyTorch's scan, so a NaN wins only where it comes first.
    """
    first = np.cumsum(sizes) - sizes  # each bag's first row
    slots = np.arange(sizes.max())
    filled = slots < sizes[:, None]  # (B, K): which slots of each bag hold a row
    where = np.where(filled, first[:, None] + slots, 0)
    values = np.where(filled[:, :, None], rows.data[where], -np.inf)  # (B, K, D)
    nan = np.isnan(values)
    best = np.argmax(np.where(nan, -np.inf, values), axis=1)
    pick = np.where(nan[:, 0, :], 0, best)  # (B, D): the slot picked in each column
    out = rows.gather(0, constant_result(np.take_along_axis(where, pick, axis=1)))
    return out.where(constant_result(sizes[:, None] > 0), 0.0)


class EmbeddingBag(Module):
    """A table of vectors reduced over bags of indices, as PyTorch's `nn.EmbeddingBag`.

    `weight` has shape (num_embeddings, embedding_dim), drawn from N(0, 1) as in PyTorch, with
    the row `padding_idx` (if given) set to zeros; the forward pass is `embedding_bag` with
    the layer's settings.

    Args:
        num_embeddings: V, the size of the table.
        embedding_dim: D, the size of each vector.
        max_norm: renormalise the rows looked up whose norm exceeds it (see `embedding_bag`).
        norm_type: the p of that norm.
        scale_grad_by_freq: divide each row's gradient by its index's count in the input.
        mode: "sum", "mean" or "max".
        sparse: must be False (sparse gradients are not supported).
        _weight: a (V, D) table to use as the weight (shared, not copied), as PyTorch's.
        include_last_offset: the offsets end with the input's length.
        padding_idx: a row in [-V, V) left out of every bag.
        seed: an int or a `numpy.random.Generator` for the initial weights (None: the
            library's default generator).
        dtype: a floating-point dtype for the weights (float64 by default).

    >>> bag = EmbeddingBag(10, 3, mode="sum", seed=0)
    >>> bag(Tensor([[1, 2], [3, 3]])).shape
    (2, 3)
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        _weight: Any = None,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        owner = "EmbeddingBag"
        v = self.num_embeddings = check_size(owner, "num_embeddings", num_embeddings)
        self.embedding_dim = check_size(owner, "embedding_dim", embedding_dim)
        if mode not in MODES:
            raise ValueError(f"{owner}: mode must be 'sum', 'mean' or 'max', got {mode!r}")
        if sparse:
            raise ValueError(f"{owner}: sparse=True (a sparse gradient) is not supported")
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.mode = scale_grad_by_freq, mode
        self.sparse, self.include_last_offset = False, include_last_offset
        self.padding_idx = _padding_idx(owner, padding_idx, v)
        if _weight is None:
            dt = float_dtype(owner, dtype)
            self.weight = Parameter(np.empty((v, self.embedding_dim), dt))
            initialise(self, seed)
            return
        given = Parameter(_weight)
        if given.shape != (v, self.embedding_dim):
            raise ValueError(
                f"{owner}: _weight of shape {given.shape} does not match num_embeddings and "
                f"embedding_dim ({v}, {self.embedding_dim})"
            )
        float_dtype(owner, given.dtype)
        self.weight = given

    def reset_parameters(self, seed: int | np.random.Generator | None = None) -> None:
        """Draw the weight from N(0, 1) again, the padding row 0, as PyTorch's.

        The values are written into the same Parameter. `seed` is an int or a Generator
        (None: the library's default generator); a seed gives the weight a new layer built
        with it has.
        """
        normal_rows(make_generator(seed), self.weight, self.padding_idx)

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Any,
        freeze: bool = True,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
    ) -> EmbeddingBag:
        """A layer whose weight is `embeddings` (V, D), shared; frozen (no gradient) by default.

        The padding row keeps its values, as in PyTorch.
        """
        table = embeddings if isinstance(embeddings, Tensor) else Tensor(embeddings)
        if table.ndim != 2:
            raise ValueError(
                f"EmbeddingBag.from_pretrained: embeddings must be 2-D, got shape {table.shape}"
            )
        layer = cls(
            table.shape[0], table.shape[1], max_norm, norm_type, scale_grad_by_freq, mode,
            sparse, table, include_last_offset, padding_idx,
        )  # fmt: skip
        layer.weight.requires_grad_(not freeze)
        return layer

    def forward(
        self, input: Any, offsets: Any = None, per_sample_weights: Tensor | None = None
    ) -> Tensor:
        """Return the reduced bags (see `embedding_bag`), (B, embedding_dim)."""
        return embedding_bag(
            input, self.weight, offsets, self.max_norm, self.norm_type, self.scale_grad_by_freq,
            self.mode, self.sparse, per_sample_weights, self.include_last_offset,
            self.padding_idx,
        )  # fmt: skip

    def extra_repr(self) -> str:
        """Return the sizes and the settings, as PyTorch shows them."""
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm!r}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type!r}"
        if self.scale_grad_by_freq is not False:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq!r}"
        text += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx!r}"
        return text
