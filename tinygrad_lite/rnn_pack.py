"""Packed and padded batches of sequences, as PyTorch's `nn.utils.rnn`: PackedSequence, pack, pad.

A batch of B sequences of lengths l_0 ≥ l_1 ≥ ... (sorted by decreasing length) is packed time
step by time step: step t holds the batch_sizes[t] = #{b : l_b > t} sequences still running,
so `data` has Σ l_b rows and `batch_sizes` max(l) entries. An unsorted batch is first
permuted by `sorted_indices` (a stable sort by decreasing length); `unsorted_indices`, its
inverse, puts results back in the caller's order. Packing, padding and unpadding are single
gathers (integer-array indexing), so gradients of every order flow through them; the RNNs
(`nn.RNN`, `nn.LSTM`, `nn.GRU`) accept and return a `PackedSequence`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np

from .fn_tensors import cat, stack, tensor_like
from .tensor import Tensor

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]


def _indices(func: str, what: str, x: Any) -> np.ndarray:
    """`x` (a Tensor, array or sequence) as a 1-D int64 array, or an error naming `what`."""
    a = np.asarray(x.data if isinstance(x, Tensor) else x)
    if a.ndim != 1:
        raise ValueError(f"{func}: {what} must be 1-D, got shape {a.shape}")
    if a.dtype.kind == "f" and np.all(np.isfinite(a)) and np.all(a == np.trunc(a)):
        a = a.astype(np.int64)
    if a.size and a.dtype.kind not in "iu":
        raise TypeError(f"{func}: {what} must hold integers, got {a.tolist()} ({a.dtype})")
    return a.astype(np.int64)


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse permutation q of p: q[p[i]] = i (None stays None), as PyTorch's.

    Args:
        permutation: a 1-D integer Tensor holding each of 0, ..., n−1 once, or None.

    Returns:
        A new Tensor of p's dtype, or None.

    Raises:
        ValueError: p is not a permutation of 0, ..., n−1.
    """
    if permutation is None:
        return None
    p = _indices("invert_permutation", "permutation", permutation)
    if not np.array_equal(np.sort(p), np.arange(p.size)):
        raise ValueError(
            f"invert_permutation: expected a permutation of 0..{p.size - 1}, got {p.tolist()}"
        )
    out = np.empty_like(p)
    out[p] = np.arange(p.size)
    dtype = permutation.dtype if isinstance(permutation, Tensor) else np.dtype(np.int64)
    return Tensor(out.astype(dtype))


class _PackedFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedFields):
    """A packed batch of sequences, as `nn.utils.rnn.PackedSequence` (a named tuple).

    Fields: `data` (Σ l_b, *) holds step 0 of every sequence, then step 1 of those longer than
    1, and so on, each step's rows in sorted order; `batch_sizes` (max l,) int64 holds how many
    sequences each step has; `sorted_indices` (B,) the permutation that sorted the batch by
    decreasing length (None if it came sorted) and `unsorted_indices` its inverse, computed
    from `sorted_indices` when not given. `PackedSequence((data, batch_sizes))` is accepted too.
    """

    def __new__(
        cls,
        data: Any,
        batch_sizes: Tensor | None = None,
        sorted_indices: Tensor | None = None,
        unsorted_indices: Tensor | None = None,
    ) -> PackedSequence:
        """Build the tuple; unsorted_indices defaults to the inverse of sorted_indices."""
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise TypeError(
                    "PackedSequence: without batch_sizes, data must be the pair (data, "
                    f"batch_sizes), got {type(data).__name__}"
                )
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    @property
    def is_cuda(self) -> bool:
        """Always False: the data live in NumPy arrays."""
        return False

    def is_pinned(self) -> bool:
        """Always False: there is no pinned memory."""
        return False

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """The sequence with `data.to(*args, **kwargs)`: self when the data stay as they are."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self) -> PackedSequence:
        """Self: the data already live on the CPU."""
        return self.to("cpu")

    def double(self) -> PackedSequence:
        """The data as float64."""
        return self.to(dtype=np.float64)

    def float(self) -> PackedSequence:
        """The data as float32."""
        return self.to(dtype=np.float32)

    def half(self) -> PackedSequence:
        """The data as float16."""
        return self.to(dtype=np.float16)

    def long(self) -> PackedSequence:
        """The data as int64."""
        return self.to(dtype=np.int64)

    def int(self) -> PackedSequence:
        """The data as int32."""
        return self.to(dtype=np.int32)

    def short(self) -> PackedSequence:
        """The data as int16."""
        return self.to(dtype=np.int16)

    def char(self) -> PackedSequence:
        """The data as int8."""
        return self.to(dtype=np.int8)

    def byte(self) -> PackedSequence:
        """The data as uint8."""
        return self.to(dtype=np.uint8)


def _batch_sizes(func: str, sequence: Any) -> list[int]:
    """The checked batch sizes of a PackedSequence: positive, non-increasing, summing to rows."""
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"{func}: expected a PackedSequence, got {type(sequence).__name__}")
    if not isinstance(sequence.data, Tensor) or sequence.data.ndim < 1:
        raise TypeError(f"{func}: the PackedSequence's data must be a Tensor of 1 or more dims")
    sizes = _indices(func, "batch_sizes", sequence.batch_sizes).tolist()
    rows = sequence.data.shape[0]
    if not sizes or sizes[-1] < 1 or any(a < b for a, b in zip(sizes, sizes[1:], strict=False)):
        raise ValueError(f"{func}: batch_sizes must be positive and non-increasing, got {sizes}")
    if sum(sizes) != rows:
        raise ValueError(f"{func}: batch_sizes sum to {sum(sizes)}, but data has {rows} rows")
    for what in ("sorted_indices", "unsorted_indices"):
        order = getattr(sequence, what)
        if order is not None and len(_indices(func, what, order)) != sizes[0]:
            raise ValueError(f"{func}: {what} must have {sizes[0]} entries (the batch size)")
    return [int(s) for s in sizes]


def pack_padded_sequence(
    input: Tensor, lengths: Any, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Pack a padded batch: data holds x[t, b] for t < l_b, step by step, as PyTorch's.

    Args:
        input: (T, B, *) padded sequences, or (B, T, *) with `batch_first`.
        lengths: the B lengths l_b (a Tensor or a sequence of ints), 1 ≤ l_b ≤ T.
        batch_first: whether the batch dimension comes first.
        enforce_sorted: require l_0 ≥ l_1 ≥ ... (sorted_indices is then None); if False, the
            batch is sorted (stably) by decreasing length and sorted_indices records how.

    Returns:
        A PackedSequence; gradients flow back to `input` (zero at the padding).

    Raises:
        ValueError: an input with fewer than 2 dims or no elements, lengths of the wrong
            count, a length < 1 or > T, or unsorted lengths with enforce_sorted.
    """
    func = "pack_padded_sequence"
    x = tensor_like(input)
    if x.ndim < 2:
        raise ValueError(f"{func}: input must be (T, B, *) or (B, T, *), got shape {x.shape}")
    if x.size == 0:
        raise ValueError(f"{func}: Cannot pack empty tensors (input has shape {x.shape})")
    n = _indices(func, "lengths", lengths)
    steps, batch = (x.shape[1], x.shape[0]) if batch_first else x.shape[:2]
    if n.size != batch:
        raise ValueError(
            f"{func}: Expected `len(lengths)` to be equal to batch_size, but got {n.size} "
            f"(batch_size={batch})"
        )
    order = None if enforce_sorted else np.argsort(-n, kind="stable")
    if order is not None:
        n = n[order]
    if n.min() < 1:
        raise ValueError(
            f"{func}: Length of all samples has to be greater than 0, but got {n.tolist()}"
        )
    if np.any(n[1:] > n[:-1]):
        raise ValueError(
            f"{func}: `lengths` array must be sorted in decreasing order when `enforce_sorted` "
            f"is True, got {n.tolist()}; pass enforce_sorted=False to sort the batch"
        )
    if n[0] > steps:
        raise ValueError(
            f"{func}: lengths must be at most the input's sequence length {steps}, got {int(n[0])}"
        )
    sizes = (n[None, :] > np.arange(n[0])[:, None]).sum(axis=1)
    times = np.repeat(np.arange(n[0]), sizes)
    slots = np.concatenate([np.arange(s) for s in sizes])
    batches = slots if order is None else order[slots]
    data = x[(batches, times)] if batch_first else x[(times, batches)]
    sorted_indices = None if order is None else Tensor(order)
    return PackedSequence(data, Tensor(sizes.astype(np.int64)), sorted_indices, None)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Undo `pack_padded_sequence`: (padded, lengths), in the batch's original order.

    Args:
        sequence: a PackedSequence.
        batch_first: return (B, T, *) instead of (T, B, *).
        padding_value: the value after each sequence's end (cast to the data's dtype).
        total_length: T, at least the longest length (default: the longest length).

    Returns:
        The padded batch, a new Tensor in the graph of `sequence.data`, and the lengths as an
        int64 Tensor.

    Raises:
        ValueError: total_length shorter than the longest sequence, or inconsistent fields.
    """
    func = "pad_packed_sequence"
    sizes = _batch_sizes(func, sequence)
    steps = len(sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                f"{func}: Expected total_length to be at least the length of the longest "
                f"sequence in input, but got total_length={total_length} and max sequence "
                f"length being {steps}"
            )
        steps = int(total_length)
    data, batch = sequence.data, sizes[0]
    rows = data.shape[0]
    index = np.full((steps, batch), rows, dtype=np.int64)  # row `rows` is the padding
    lengths = np.zeros(batch, dtype=np.int64)
    start = 0
    for t, size in enumerate(sizes):
        index[t, :size] = np.arange(start, start + size)
        lengths[:size] += 1
        start += size
    if sequence.unsorted_indices is not None:
        unsorted = _indices(func, "unsorted_indices", sequence.unsorted_indices)
        index, lengths = index[:, unsorted], lengths[unsorted]
    pad = Tensor(np.full((1, *data.shape[1:]), padding_value).astype(data.dtype))
    padded = cat([data, pad])[index.T if batch_first else index]
    return padded, Tensor(lengths)


def pad_sequence(
    sequences: Any,
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack sequences of lengths l_b into one padded (T, B, *) Tensor, T = max l_b.

    Args:
        sequences: Tensors (l_b, *) with one trailing shape (an iterable, or a Tensor whose
            first dimension runs over the batch); later ones are cast to the first's dtype.
        batch_first: return (B, T, *) instead of (T, B, *).
        padding_value: the value of the padding (cast to the dtype).
        padding_side: "right" (pad after each sequence) or "left" (before it).

    Returns:
        A new Tensor; gradients flow back to each sequence.

    Raises:
        ValueError: no sequences, a 0-d one, differing trailing shapes, or a bad padding_side.
        TypeError: `sequences` is not iterable.
    """
    func = "pad_sequence"
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    if not isinstance(sequences, Iterable):
        raise TypeError(
            f"{func}: Expected iterable for input sequences, but got arg of type: "
            f"{type(sequences).__name__}"
        )
    seqs = [tensor_like(s) for s in sequences]
    if not seqs:
        raise ValueError(f"{func}: received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise ValueError(
            f"{func}: Expected padding_side to be one of left or right, but got {padding_side!r}"
        )
    dtype = seqs[0].dtype
    for i, s in enumerate(seqs):
        if s.ndim < 1 or s.shape[1:] != seqs[0].shape[1:]:
            raise ValueError(
                f"{func}: every sequence must be (length, *{seqs[0].shape[1:]}), as the first; "
                f"sequence {i} has shape {s.shape}"
            )
    steps = max(s.shape[0] for s in seqs)
    padded = []
    for s in seqs:
        s = s.to(dtype)
        pad = Tensor(np.full((steps - s.shape[0], *s.shape[1:]), padding_value).astype(dtype))
        padded.append(cat([s, pad] if padding_side == "right" else [pad, s]))
    return stack(padded, dim=0 if batch_first else 1)


def unpad_sequence(
    padded_sequences: Tensor, lengths: Any, batch_first: bool = False
) -> list[Tensor]:
    """Split a padded batch into its B sequences: [x[:l_0, 0], x[:l_1, 1], ...] as new Tensors.

    Args:
        padded_sequences: (T, B, *), or (B, T, *) with `batch_first`.
        lengths: the B lengths, each at most T.
        batch_first: whether the batch dimension comes first.

    Returns:
        A list of B new Tensors (l_b, *), in the graph of the padded batch.

    Raises:
        ValueError: fewer than 2 dims, lengths of the wrong count, or a length outside [0, T].
    """
    func = "unpad_sequence"
    x = tensor_like(padded_sequences)
    if x.ndim < 2:
        raise ValueError(f"{func}: padded_sequences must be (T, B, *) or (B, T, *), got {x.shape}")
    n = _indices(func, "lengths", lengths)
    steps, batch = (x.shape[1], x.shape[0]) if batch_first else x.shape[:2]
    if n.size != batch:
        raise ValueError(f"{func}: expected {batch} lengths (the batch size), got {n.size}")
    if n.size and (n.min() < 0 or n.max() > steps):
        raise ValueError(f"{func}: lengths must lie in [0, {steps}], got {n.tolist()}")
    # integer-array indices copy, as PyTorch's masked selection does
    if batch_first:
        return [x[(b, np.arange(length))] for b, length in enumerate(n.tolist())]
    return [x[(np.arange(length), b)] for b, length in enumerate(n.tolist())]


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (l_b, *): `pack_padded_sequence(pad_sequence(seqs), lengths)`.

    Args:
        sequences: Tensors (l_b, *), l_b ≥ 1, with one trailing shape.
        enforce_sorted: require decreasing lengths (see `pack_padded_sequence`).

    Returns:
        A PackedSequence; gradients flow back to each sequence.
    """
    seqs = [tensor_like(s) for s in sequences]
    lengths = [s.shape[0] if s.ndim else 0 for s in seqs]
    return pack_padded_sequence(pad_sequence(seqs), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences (l_b, *) of a PackedSequence, in the batch's original order.

    Args:
        packed_sequences: a PackedSequence.

    Returns:
        A list of new Tensors, in the graph of the packed data.
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
