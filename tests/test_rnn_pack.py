"""Packed sequences (`rnn_pack`): NumPy references, round trips, RNNs on packed batches, errors.

The comparison with PyTorch is in `tests/test_rnn_pack_torch.py`; here every expectation is
written from the definitions: a packed batch holds x[t, b] for t < l_b, step by step, the
batch sorted stably by decreasing length; an RNN over a packed batch computes, for each
sequence, what it computes over that sequence alone.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_lite import Tensor, nn
from tinygrad_lite.gradcheck import gradcheck, gradcheck_module, gradgradcheck
from tinygrad_lite.rnn_pack import (
    PackedSequence,
    invert_permutation,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
    unpad_sequence,
)

lengths_lists = st.lists(st.integers(1, 4), min_size=1, max_size=4)


def _reference_pack(x: np.ndarray, lengths: list[int]) -> tuple[np.ndarray, list[int], list[int]]:
    """(data, batch_sizes, order) of a time-major padded batch, by the definition."""
    order = sorted(range(len(lengths)), key=lambda b: -lengths[b])  # sorted() is stable
    rows, sizes = [], []
    for t in range(max(lengths)):
        running = [b for b in order if lengths[b] > t]
        sizes.append(len(running))
        rows += [x[t, b] for b in running]
    return np.array(rows), sizes, order


@given(lengths_lists, st.booleans(), st.integers(0, 2), st.integers(0, 2**32 - 1))
def test_packing_and_padding_follow_the_definition(
    lengths: list[int], batch_first: bool, extra: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    steps = max(lengths) + extra
    x = rng.standard_normal((steps, len(lengths), 2))
    data, sizes, order = _reference_pack(x, lengths)
    given_x = x.transpose(1, 0, 2) if batch_first else x
    packed = pack_padded_sequence(Tensor(given_x), lengths, batch_first, enforce_sorted=False)
    assert np.array_equal(packed.data.data, data)
    assert packed.batch_sizes.tolist() == sizes and packed.batch_sizes.dtype == np.int64
    assert packed.sorted_indices is not None and packed.sorted_indices.tolist() == order
    assert packed.unsorted_indices is not None
    assert packed.unsorted_indices.tolist() == list(np.argsort(order))
    padded, back = pad_packed_sequence(packed, batch_first, padding_value=-7.0, total_length=steps)
    mask = np.arange(steps)[:, None] < np.array(lengths)[None, :]
    expected = np.where(mask[..., None], x, -7.0)
    assert np.array_equal(padded.data, expected.transpose(1, 0, 2) if batch_first else expected)
    assert back.tolist() == lengths and back.dtype == np.int64
    pieces = unpad_sequence(padded, back, batch_first)
    assert [p.shape for p in pieces] == [(n, 2) for n in lengths]
    for b, p in enumerate(pieces):
        assert np.array_equal(p.data, x[: lengths[b], b])
        assert not np.shares_memory(p.data, padded.data)  # new tensors, as PyTorch's


@given(lengths_lists, st.booleans(), st.sampled_from(["left", "right"]))
def test_pad_sequence_and_the_list_round_trip(
    lengths: list[int], batch_first: bool, side: str
) -> None:
    seqs = [np.full((n, 1), float(b + 1)) for b, n in enumerate(lengths)]
    out = pad_sequence([Tensor(s) for s in seqs], batch_first, 9.0, side).data
    steps = max(lengths)
    expected = np.full((steps, len(seqs), 1), 9.0)
    for b, s in enumerate(seqs):
        if side == "left":
            expected[steps - len(s) :, b] = s
        else:
            expected[: len(s), b] = s
    assert np.array_equal(out, expected.transpose(1, 0, 2) if batch_first else expected)
    back = unpack_sequence(pack_sequence([Tensor(s) for s in seqs], enforce_sorted=False))
    assert all(np.array_equal(a.data, s) for a, s in zip(back, seqs, strict=True))


def test_pad_sequence_details() -> None:
    ints = pad_sequence([Tensor(np.array([1, 2])), Tensor(np.array([3]))], padding_value=0.7)
    assert ints.dtype == np.int64 and ints.tolist() == [[1, 3], [2, 0]]  # cast, as PyTorch
    mixed = pad_sequence([Tensor(np.ones(2, np.float32)), Tensor(np.ones(1))])
    assert mixed.dtype == np.float32  # the first sequence's dtype
    rows = pad_sequence(Tensor(np.arange(6.0).reshape(2, 3)))  # a Tensor: its rows
    assert rows.shape == (3, 2) and rows.tolist() == [[0, 3], [1, 4], [2, 5]]
    assert pad_sequence([Tensor(np.ones((0, 2)))]).shape == (0, 1, 2)


def test_packed_sequence_is_a_named_tuple_with_pytorchs_methods() -> None:
    packed = pack_sequence([Tensor([1.0, 2.0]), Tensor([3.0])])
    data, sizes, sorted_indices, unsorted_indices = packed
    assert data.tolist() == [1.0, 3.0, 2.0] and sizes.tolist() == [2, 1]
    assert sorted_indices is None and unsorted_indices is None
    assert packed.double() is packed and packed.cpu() is packed and not packed.is_cuda
    assert not packed.is_pinned()
    single = packed.float()
    assert isinstance(single, PackedSequence) and single.data.dtype == np.float32
    assert single.batch_sizes is packed.batch_sizes
    assert packed.long().data.dtype == np.int64
    pair = PackedSequence((data, sizes), sorted_indices=Tensor([1, 0]))
    assert pair.data is data and pair.unsorted_indices is not None
    assert pair.unsorted_indices.tolist() == [1, 0]
    assert invert_permutation(Tensor([2, 0, 1])).tolist() == [1, 2, 0]  # type: ignore[union-attr]
    assert invert_permutation(None) is None


def test_gradients_flow_through_packing_and_padding() -> None:
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((3, 3, 2)), requires_grad=True)
    lengths = [2, 3, 1]

    def round_trip(x: Tensor) -> Tensor:
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        return pad_packed_sequence(packed, padding_value=1.0)[0].tanh()

    assert gradcheck(round_trip, x) and gradgradcheck(round_trip, x)
    round_trip(x).sum().backward()
    assert x.grad is not None
    mask = np.arange(3)[None, :] < np.array(lengths)[:, None]
    assert np.all(x.grad.data[~mask] == 0) and np.all(x.grad.data[mask] != 0)
    seqs = [Tensor(rng.standard_normal((n, 2)), requires_grad=True) for n in (1, 3)]
    assert gradcheck(lambda a, b: pad_sequence([a, b], padding_side="left") ** 2, *seqs)
    assert gradcheck(lambda a, b: pack_sequence([a, b], enforce_sorted=False).data ** 2, *seqs)


def _sequences(seed: int, lengths: list[int], size: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n, size)) for n in lengths]


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_a_packed_batch_computes_what_each_sequence_alone_does(kind: str) -> None:
    """Outputs and final states per sequence, both directions and two layers, given hx."""
    lengths = [2, 4, 1, 3]
    layer = getattr(nn, kind)(2, 3, num_layers=2, bidirectional=True, seed=1)
    seqs = _sequences(0, lengths, 2)
    h0 = np.random.default_rng(1).standard_normal((4, len(seqs), 3))
    hx: Any = (Tensor(h0), Tensor(h0 * 0.5)) if kind == "LSTM" else Tensor(h0)
    out, last = layer(pack_sequence([Tensor(s) for s in seqs], enforce_sorted=False), hx)
    assert isinstance(out, PackedSequence) and out.data.shape == (sum(lengths), 6)
    padded, _ = pad_packed_sequence(out, batch_first=True)
    for b, s in enumerate(seqs):
        alone: Any = (Tensor(h0[:, b]), Tensor(h0[:, b] * 0.5)) if kind == "LSTM" else h0[:, b]
        want, want_last = layer(Tensor(s), alone)
        np.testing.assert_allclose(padded.data[b, : len(s)], want.data, atol=1e-14)
        pairs = zip(last, want_last, strict=True) if kind == "LSTM" else [(last, want_last)]
        for got, expected in pairs:
            np.testing.assert_allclose(got.data[:, b], expected.data, atol=1e-14)


def test_packed_rnns_against_finite_differences() -> None:
    rng = np.random.default_rng(2)
    gru = nn.GRU(2, 1, bidirectional=True, seed=3)
    x = Tensor(rng.standard_normal((3, 3, 2)), requires_grad=True)
    h0 = Tensor(rng.standard_normal((2, 3, 1)), requires_grad=True)
    weights = Tensor(rng.standard_normal((6, 2)))

    def loss(m: nn.Module, x: Tensor, h0: Tensor) -> Tensor:
        out, last = m(pack_padded_sequence(x, Tensor([1, 3, 2]), enforce_sorted=False), h0)
        return (out.data * weights).sum() + (last * last).sum()

    assert gradcheck(lambda a, b: loss(gru, a, b), x, h0)
    assert gradcheck_module(gru, loss, x, h0)
    lstm = nn.LSTM(1, 2, proj_size=1, seed=0)
    seqs = [Tensor(rng.standard_normal((n, 1)), requires_grad=True) for n in (2, 1)]

    def hidden(a: Tensor, b: Tensor) -> Tensor:
        return lstm(pack_sequence([a, b]))[1][1]

    assert gradgradcheck(hidden, *seqs)


def _error(match: str) -> Any:
    return pytest.raises((ValueError, TypeError), match=re.escape(match))


def test_bad_input_is_refused_with_clear_errors() -> None:
    x = Tensor(np.zeros((3, 2, 1)))
    with _error("must be sorted in decreasing order when `enforce_sorted` is True, got [1, 2]"):
        pack_padded_sequence(x, [1, 2])
    with _error("Length of all samples has to be greater than 0, but got [2, 0]"):
        pack_padded_sequence(x, [0, 2], enforce_sorted=False)
    with _error("lengths must be at most the input's sequence length 3, got 4"):
        pack_padded_sequence(x, [4, 2])
    with _error("Expected `len(lengths)` to be equal to batch_size, but got 3 (batch_size=2)"):
        pack_padded_sequence(x, [2, 2, 1])
    with _error("lengths must be 1-D, got shape (1, 2)"):
        pack_padded_sequence(x, [[2, 2]])
    with _error("lengths must hold integers, got [2.5, 1.0]"):
        pack_padded_sequence(x, [2.5, 1.0])
    with _error("Cannot pack empty tensors (input has shape (0, 2, 1))"):
        pack_padded_sequence(Tensor(np.zeros((0, 2, 1))), [1, 1])
    with _error("input must be (T, B, *) or (B, T, *), got shape (3,)"):
        pack_padded_sequence(Tensor(np.zeros(3)), [3])
    packed = pack_padded_sequence(x, [3, 1])
    with _error("total_length=2 and max sequence length being 3"):
        pad_packed_sequence(packed, total_length=2)
    with _error("expected a PackedSequence, got Tensor"):
        pad_packed_sequence(x)  # type: ignore[arg-type]
    with _error("batch_sizes sum to 4, but data has 3 rows"):
        pad_packed_sequence(PackedSequence(Tensor(np.zeros((3, 1))), Tensor([3, 1])))
    with _error("batch_sizes must be positive and non-increasing, got [1, 2]"):
        pad_packed_sequence(PackedSequence(Tensor(np.zeros((3, 1))), Tensor([1, 2])))
    with _error("received an empty list of sequences"):
        pad_sequence([])
    with _error("sequence 1 has shape (1, 3)"):
        pad_sequence([Tensor(np.ones((2, 1))), Tensor(np.ones((1, 3)))])
    with _error("Expected padding_side to be one of left or right, but got 'up'"):
        pad_sequence([Tensor([1.0])], padding_side="up")
    with _error("Expected iterable for input sequences, but got arg of type: int"):
        pad_sequence(3)
    with _error("lengths must lie in [0, 3], got [4, 1]"):
        unpad_sequence(x, [4, 1])
    with _error("expected 2 lengths (the batch size), got 1"):
        unpad_sequence(x, [1])
    with _error("expected a permutation of 0..2, got [0, 0, 1]"):
        invert_permutation(Tensor([0, 0, 1]))
    with _error("without batch_sizes, data must be the pair (data, batch_sizes), got Tensor"):
        PackedSequence(x)


def test_rnns_refuse_bad_packed_input() -> None:
    lstm = nn.LSTM(2, 3)
    packed = pack_sequence([Tensor(np.ones((2, 2))), Tensor(np.ones((1, 2)))])
    with _error("LSTM: h_0 must have shape (1, 2, 3), got (1, 3)"):
        lstm(packed, (Tensor(np.zeros((1, 3))), Tensor(np.zeros((1, 3)))))
    with _error("a packed input's data must be (sum of lengths, 3) = (3, 3), got (3, 2)"):
        nn.GRU(3, 2)(packed)
    with _error("RNN: input has dtype float32, the weights float64"):
        nn.RNN(2, 3)(packed.float())
