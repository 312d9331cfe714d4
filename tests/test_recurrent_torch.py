"""RNN, LSTM, GRU and their cells against PyTorch in float64.

Optional: skipped when torch is not installed (it is no dependency of the project). The same
weights go into both libraries, copied by name (so the names and shapes must be PyTorch's), for
drawn settings: layers, directions, batch_first, bias, the nonlinearity, given or zero initial
states, batched or single sequences. Outputs, final states and every gradient agree to 1e-12.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lite import Tensor, nn

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.slow  # only where torch is installed


def _same_weights(ours: Any, theirs: Any) -> None:
    named = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(named)
    for name, p in ours.named_parameters():
        assert tuple(named[name].shape) == p.shape
        with torch.no_grad():
            named[name].copy_(torch.from_numpy(p.data))


def _close(a: Any, b: Any) -> None:
    np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-12, atol=1e-12)


@settings(max_examples=30)
@given(st.data())
def test_stacked_layers_equal_pytorchs(data: Any) -> None:
    draw = data.draw
    kind = draw(st.sampled_from(["RNN", "LSTM", "GRU"]))
    size, hidden = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kw: dict[str, Any] = {
        "num_layers": draw(st.integers(1, 2)),
        "bidirectional": draw(st.booleans()),
        "batch_first": draw(st.booleans()),
        "bias": draw(st.booleans()),
    }
    if kind == "RNN":
        kw["nonlinearity"] = draw(st.sampled_from(["tanh", "relu"]))
    ours = getattr(nn, kind)(size, hidden, seed=draw(st.integers(0, 99)), **kw)
    theirs = getattr(torch.nn, kind)(size, hidden, **kw).double()
    _same_weights(ours, theirs)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    length, batch, single = draw(st.integers(1, 4)), draw(st.integers(1, 2)), draw(st.booleans())
    shape = (length, size) if single else (batch, length, size)
    if not single and not kw["batch_first"]:
        shape = (length, batch, size)
    x = rng.standard_normal(shape)
    states = (2 if kw["bidirectional"] else 1) * kw["num_layers"]
    state_shape = (states, hidden) if single else (states, batch, hidden)
    given_states = [rng.standard_normal(state_shape) for _ in range(2)]
    ours_x, theirs_x = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours_h = [Tensor(h, requires_grad=True) for h in given_states]
    theirs_h = [torch.tensor(h, requires_grad=True) for h in given_states]
    if draw(st.booleans()):
        ours_out, ours_last = ours(ours_x)
        theirs_out, theirs_last = theirs(theirs_x)
        ours_h = theirs_h = []
    elif kind == "LSTM":
        ours_out, ours_last = ours(ours_x, tuple(ours_h))
        theirs_out, theirs_last = theirs(theirs_x, tuple(theirs_h))
    else:
        ours_h, theirs_h = ours_h[:1], theirs_h[:1]
        ours_out, ours_last = ours(ours_x, ours_h[0])
        theirs_out, theirs_last = theirs(theirs_x, theirs_h[0])
    ours_last = ours_last if kind == "LSTM" else (ours_last,)
    theirs_last = theirs_last if kind == "LSTM" else (theirs_last,)
    _close(ours_out.data, theirs_out)
    g = rng.standard_normal(ours_out.shape)
    ours_loss = (ours_out * Tensor(g)).sum()
    theirs_loss = (theirs_out * torch.from_numpy(g)).sum()
    for k, (a, b) in enumerate(zip(ours_last, theirs_last, strict=True)):
        _close(a.data, b)
        ours_loss = ours_loss + (k + 0.5) * a.sum()
        theirs_loss = theirs_loss + (k + 0.5) * b.sum()
    ours_loss.backward()
    theirs_loss.backward()
    _close(ours_x.grad.data, theirs_x.grad)
    for a, b in zip(ours_h, theirs_h, strict=True):
        _close(a.grad.data, b.grad)
    named = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        _close(p.grad.data, named[name].grad)


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_equal_pytorchs(kind: str) -> None:
    rng = np.random.default_rng(1)
    ours, theirs = getattr(nn, kind)(3, 4, seed=0), getattr(torch.nn, kind)(3, 4).double()
    _same_weights(ours, theirs)
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    for batch in (slice(None), 0):  # a batch, and one example without the batch dimension
        if kind == "LSTMCell":
            a = ours(Tensor(x[batch]), (Tensor(h[batch]), Tensor(c[batch])))
            b = theirs(torch.tensor(x[batch]), (torch.tensor(h[batch]), torch.tensor(c[batch])))
        else:
            a = (ours(Tensor(x[batch]), Tensor(h[batch])),)
            b = (theirs(torch.tensor(x[batch]), torch.tensor(h[batch])),)
        for u, v in zip(a, b, strict=True):
            _close(u.data, v)
