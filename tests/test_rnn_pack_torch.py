"""Packed sequences and RNNs on packed batches against PyTorch's `nn.utils.rnn`, in float64.

Optional: skipped when torch is not installed. Packing, padding and their gradients agree
exactly; RNN, LSTM (also projected) and GRU with PyTorch's weights, copied by name, agree on
the packed output, h_n (and c_n) and every gradient to 1e-12, for two layers, both
directions and unsorted lengths.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lite import Tensor, nn
from tinygrad_lite import rnn_pack as P

torch = pytest.importorskip("torch")
R = torch.nn.utils.rnn


def _same(ours: Tensor | None, theirs: Any) -> None:
    if theirs is None:
        assert ours is None
        return
    assert ours is not None and ours.dtype == np.dtype(str(theirs.dtype).split(".")[-1])
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())


@settings(max_examples=10)
@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=4),
    st.booleans(),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_packing_and_padding_equal_pytorchs(
    lengths: list[int], batch_first: bool, enforce_sorted: bool, seed: int
) -> None:
    if enforce_sorted:
        lengths = sorted(lengths, reverse=True)
    rng = np.random.default_rng(seed)
    steps = max(lengths) + 1
    x = rng.standard_normal((len(lengths), steps, 2) if batch_first else (steps, len(lengths), 2))
    ours_x, theirs_x = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours = P.pack_padded_sequence(ours_x, lengths, batch_first, enforce_sorted)
    theirs = R.pack_padded_sequence(theirs_x, torch.tensor(lengths), batch_first, enforce_sorted)
    for a, b in zip(ours, theirs, strict=True):
        _same(a, b)
    (pa, la), (pb, lb) = (
        unpack(seq, batch_first, -1.5, steps + 1)
        for unpack, seq in ((P.pad_packed_sequence, ours), (R.pad_packed_sequence, theirs))
    )
    _same(pa, pb)
    _same(la, lb)
    weights = rng.standard_normal(pa.shape)
    (pa.tanh() * Tensor(weights)).sum().backward()
    (pb.tanh() * torch.tensor(weights)).sum().backward()
    assert ours_x.grad is not None
    np.testing.assert_allclose(ours_x.grad.data, theirs_x.grad.numpy(), rtol=1e-15, atol=1e-15)
    unpadded = R.unpad_sequence(pb, lb, batch_first)
    for a, b in zip(P.unpad_sequence(pa, la, batch_first), unpadded, strict=True):
        _same(a, b)
    seqs = [rng.standard_normal((n, 1)) for n in lengths]
    for side in ("left", "right"):
        _same(
            P.pad_sequence([Tensor(s) for s in seqs], batch_first, 2.0, side),
            R.pad_sequence([torch.tensor(s) for s in seqs], batch_first, 2.0, side),
        )
    packed = P.pack_sequence([Tensor(s) for s in seqs], enforce_sorted)
    theirs = R.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted)
    for a, b in zip(packed, theirs, strict=True):
        _same(a, b)
    for a, s in zip(P.unpack_sequence(packed), seqs, strict=True):
        np.testing.assert_array_equal(a.data, s)
    perm = rng.permutation(len(lengths))
    _same(P.invert_permutation(Tensor(perm)), R.invert_permutation(torch.tensor(perm)))


def _copy_weights(ours: Any, theirs: Any) -> None:
    named = dict(ours.named_parameters())
    assert list(named) == [n for n, _ in theirs.named_parameters()]
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            p.copy_(torch.from_numpy(named[name].data))


@settings(max_examples=8)
@given(
    st.sampled_from(["RNN", "LSTM", "GRU", "LSTM-proj"]),
    st.integers(1, 2),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_rnns_on_packed_batches_equal_pytorchs(
    kind: str, layers: int, bidirectional: bool, enforce_sorted: bool, given_h0: bool, seed: int
) -> None:
    kw: dict[str, Any] = {"num_layers": layers, "bidirectional": bidirectional}
    if kind == "LSTM-proj":
        kind, kw["proj_size"] = "LSTM", 1
    ours = getattr(nn, kind)(2, 2, seed=seed % 100, **kw)
    theirs = getattr(torch.nn, kind)(2, 2, **kw).double()
    _copy_weights(ours, theirs)
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 4, size=3).tolist()
    if enforce_sorted:
        lengths.sort(reverse=True)
    x = rng.standard_normal((3, max(lengths), 2))  # batch first: (N, L, features)
    states = layers * (2 if bidirectional else 1)
    h0 = rng.standard_normal((states, 3, kw.get("proj_size", 2)))
    c0 = rng.standard_normal((states, 3, 2))
    leaves = [Tensor(a, requires_grad=True) for a in (x, h0, c0)]
    tleaves = [torch.tensor(a, requires_grad=True) for a in (x, h0, c0)]

    def run(lib: Any, layer: Any, x: Any, h0: Any, c0: Any) -> Any:
        hx = ((h0, c0) if kind == "LSTM" else h0) if given_h0 else None
        seq = lib.pack_padded_sequence(x, lengths, True, enforce_sorted)
        out, last = layer(seq, hx)
        assert isinstance(out, lib.PackedSequence)
        return out, list(last) if kind == "LSTM" else [last]

    (out, last), (tout, tlast) = run(P, ours, *leaves), run(R, theirs, *tleaves)
    for a, b in zip(out[1:], tout[1:], strict=True):
        _same(a, b)
    np.testing.assert_allclose(out.data.data, tout.data.detach().numpy(), rtol=0, atol=1e-12)
    for a, b in zip(last, tlast, strict=True):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=0, atol=1e-12)
    w = rng.standard_normal(out.data.shape)
    total = (out.data * Tensor(w)).sum() + sum((h * h).sum() for h in last)
    assert isinstance(total, Tensor)
    total.backward()
    (sum((h * h).sum() for h in tlast) + (tout.data * torch.tensor(w)).sum()).backward()
    for a, b in zip(leaves, tleaves, strict=True):
        if b.grad is not None:
            np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=0, atol=1e-12)
    named = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(named[name].grad.data, p.grad.numpy(), rtol=0, atol=1e-12)
