"""An LSTM with a projection (`proj_size`) against PyTorch's in float64.

Optional: skipped when torch is not installed (it is no dependency of the project). PyTorch's
state dict is loaded into ours by name (so the names, order and shapes must be PyTorch's), for
drawn sizes and settings: layers, directions, batch_first, bias, given or zero initial states,
batched or single sequences. Outputs, h_n, c_n and every gradient agree to 1e-12.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lite import Tensor, nn

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.slow  # only where torch is installed


def _close(a: Any, b: Any) -> None:
    np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-12, atol=1e-12)


@settings(max_examples=25)
@given(st.data())
def test_a_projected_lstm_equals_pytorchs(data: Any) -> None:
    draw = data.draw
    size, hidden = draw(st.integers(1, 3)), draw(st.integers(2, 4))
    kw: dict[str, Any] = {
        "num_layers": draw(st.integers(1, 2)),
        "bidirectional": draw(st.booleans()),
        "batch_first": draw(st.booleans()),
        "bias": draw(st.booleans()),
        "proj_size": draw(st.integers(1, hidden - 1)),
    }
    torch.manual_seed(draw(st.integers(0, 99)))
    theirs = torch.nn.LSTM(size, hidden, **kw).double()
    ours = nn.LSTM(size, hidden, seed=0, **kw)
    state = theirs.state_dict()
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict({k: v.numpy() for k, v in state.items()})

    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    length, batch, single = draw(st.integers(1, 4)), draw(st.integers(1, 2)), draw(st.booleans())
    shape = (length, size) if single else (batch, length, size)
    if not single and not kw["batch_first"]:
        shape = (length, batch, size)
    x = rng.standard_normal(shape)
    count = (2 if kw["bidirectional"] else 1) * kw["num_layers"]
    given_states = [
        rng.standard_normal((count, n) if single else (count, batch, n))
        for n in (kw["proj_size"], hidden)
    ]
    ours_x, theirs_x = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours_h = [Tensor(h, requires_grad=True) for h in given_states]
    theirs_h = [torch.tensor(h, requires_grad=True) for h in given_states]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's note that its fast CPU path has no projection
        if draw(st.booleans()):
            ours_out, ours_last = ours(ours_x)
            theirs_out, theirs_last = theirs(theirs_x)
            ours_h = theirs_h = []
        else:
            ours_out, ours_last = ours(ours_x, tuple(ours_h))
            theirs_out, theirs_last = theirs(theirs_x, tuple(theirs_h))
    assert ours_out.shape == tuple(theirs_out.shape)
    _close(ours_out.data, theirs_out)
    g = rng.standard_normal(ours_out.shape)
    ours_loss = (ours_out * Tensor(g)).sum()
    theirs_loss = (theirs_out * torch.from_numpy(g)).sum()
    for k, (a, b) in enumerate(zip(ours_last, theirs_last, strict=True)):
        assert a.shape == tuple(b.shape)
        _close(a.data, b)
        ours_loss = ours_loss + (k + 0.5) * (a * a).sum()
        theirs_loss = theirs_loss + (k + 0.5) * (b * b).sum()
    ours_loss.backward()
    theirs_loss.backward()
    _close(ours_x.grad.data, theirs_x.grad)
    for a, b in zip(ours_h, theirs_h, strict=True):
        _close(a.grad.data, b.grad)
    named = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        _close(p.grad.data, named[name].grad)


def test_refusals_are_pytorchs() -> None:
    """PyTorch refuses the same values of proj_size that we do."""
    for bad in (-1, 3, 4):
        with pytest.raises(ValueError, match="proj_size"):
            torch.nn.LSTM(2, 3, proj_size=bad)
        with pytest.raises(ValueError, match="proj_size"):
            nn.LSTM(2, 3, proj_size=bad)
    for fine in (0, 1, 2):
        theirs, ours = torch.nn.LSTM(2, 3, proj_size=fine), nn.LSTM(2, 3, proj_size=fine)
        assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
        assert repr(ours) == repr(theirs)
