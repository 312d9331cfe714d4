"""Recurrent layers: PyTorch's names and shapes, finite differences, compile, training, bad input.

The comparison with the course's hand-derived recurrent networks is in
`tests/test_recurrent_course.py`; with PyTorch, in `tests/test_recurrent_torch.py`. An LSTM's
projection (`proj_size`) is tested in `tests/test_lstm_proj.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, gradcheck, nn, optim
from tinygrad_lite import functional as F
from tinygrad_lite.gradcheck import gradcheck_module, gradgradcheck


def test_parameters_have_pytorchs_names_shapes_and_initial_range() -> None:
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True, seed=0)
    expected = []
    for layer in (0, 1):
        for d in ("", "_reverse"):
            expected += [
                f"{p}_l{layer}{d}" for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
            ]
    assert [n for n, _ in lstm.named_parameters()] == expected
    shapes = dict((n, p.shape) for n, p in lstm.named_parameters())
    assert shapes["weight_ih_l0"] == (16, 3) and shapes["weight_ih_l1_reverse"] == (16, 8)
    assert shapes["weight_hh_l1"] == (16, 4) and shapes["bias_hh_l0_reverse"] == (16,)
    values = np.concatenate([p.data.ravel() for p in lstm.parameters()])
    assert np.abs(values).max() <= 0.5 and np.abs(values).max() > 0.45  # U(-1/√4, 1/√4)
    assert [n for n, _ in nn.GRUCell(2, 3, bias=False).named_parameters()] == [
        "weight_ih",
        "weight_hh",
    ]
    assert nn.GRUCell(2, 3).weight_ih.shape == (9, 2)
    assert repr(nn.RNN(2, 3, nonlinearity="relu", batch_first=True)) == (
        "RNN(2, 3, batch_first=True)"
    )


def _small(kind: str, **kw: Any) -> nn.Module:
    return getattr(nn, kind)(2, 3, seed=1, **kw)


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_against_finite_differences(kind: str) -> None:
    rng = np.random.default_rng(2)
    cell = _small(kind)
    x = Tensor(rng.standard_normal((2, 2)), requires_grad=True)
    h = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    c = Tensor(rng.standard_normal((2, 3)), requires_grad=True)

    def run(x: Tensor, h: Tensor, c: Tensor) -> Tensor:
        if kind == "LSTMCell":
            h2, c2 = cell(x, (h, c))
            return h2 * 1.5 + c2
        return cell(x, h)

    assert (
        gradcheck(run, x, h, c)
        if kind == "LSTMCell"
        else gradcheck(lambda a, b: run(a, b, c), x, h)
    )
    assert gradgradcheck(run, x, h, c)
    weights = rng.standard_normal((2, 3))
    assert gradcheck_module(cell, lambda m, a, b: (run(a, b, c) * Tensor(weights)).sum(), x, h)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_stacked_layers_against_finite_differences(kind: str) -> None:
    """Through time, both directions and two layers: input, initial state and every weight."""
    rng = np.random.default_rng(3)
    layer = getattr(nn, kind)(2, 2, num_layers=2, bidirectional=True, seed=1)
    x = Tensor(rng.standard_normal((2, 1, 2)), requires_grad=True)  # (L, N, features)
    h0 = Tensor(rng.standard_normal((4, 1, 2)), requires_grad=True)
    weights = Tensor(rng.standard_normal((2, 1, 4)))

    def loss(m: nn.Module, x: Tensor, h0: Tensor) -> Tensor:
        out, last = m(x, (h0, h0 * 0.5) if kind == "LSTM" else h0)
        last = last[1] if kind == "LSTM" else last
        return (out * weights).sum() + (last * last).sum()

    assert gradcheck(lambda a, b: loss(layer, a, b), x, h0)
    assert gradcheck_module(layer, loss, x, h0)


def test_a_compiled_lstm_step_with_dropout_replays_eager_bit_for_bit() -> None:
    def make() -> tuple[Callable[..., Tensor], list[Tensor]]:
        tg.manual_seed(0)
        lstm = nn.LSTM(3, 5, num_layers=2, dropout=0.3, bidirectional=True, batch_first=True)
        head = nn.Linear(10, 2)
        params = list(lstm.parameters()) + list(head.parameters())
        opt = optim.Adam(params, lr=0.01)

        def step(x: Any, y: Any) -> Tensor:
            opt.zero_grad()
            out, _ = lstm(x)
            loss = F.cross_entropy(head(out[:, -1]), y)
            loss.backward()
            opt.step()
            return loss

        return step, params

    (eager, eager_params), (traced, compiled_params) = make(), make()
    compiled = tg.compile(traced)
    rng = np.random.default_rng(0)
    for i in range(4):
        x, y = rng.standard_normal((4, 6, 3)), rng.integers(0, 2, 4)
        tg.manual_seed(100 + i)  # the same dropout masks for both
        a = eager(x, y).item()
        tg.manual_seed(100 + i)
        assert compiled(x, y).item() == a
    for p, q in zip(eager_params, compiled_params, strict=True):
        assert np.array_equal(p.data, q.data)


def test_dropout_between_layers_only_while_training_and_dtype_follows_the_weights() -> None:
    gru = nn.GRU(2, 3, num_layers=2, dropout=0.5, seed=4)
    x = tg.randn(5, 2)  # one sequence, no batch dimension
    gru.eval()
    first, second = gru(x)[0], gru(x)[0]
    assert np.array_equal(first.data, second.data) and first.shape == (5, 3)
    gru.train()
    assert not np.array_equal(gru(x)[0].data, first.data)
    gru.float()
    out, h = gru.eval()(x.float())
    assert out.dtype == np.float32 and h.shape == (2, 3)


def test_a_gru_learns_to_remember_the_first_step() -> None:
    """The sign of the first of 6 noisy steps, read from the last output."""
    rng = np.random.default_rng(5)
    x = rng.normal(0, 0.3, (64, 6, 1))
    y = rng.integers(0, 2, 64)
    x[:, 0, 0] += np.where(y == 1, 1.0, -1.0)
    tg.manual_seed(5)
    gru, head = nn.GRU(1, 8, batch_first=True), nn.Linear(8, 2)
    opt = optim.Adam(list(gru.parameters()) + list(head.parameters()), lr=0.05)
    losses = []
    for _ in range(40):
        opt.zero_grad()
        out, _ = gru(x)
        loss = F.cross_entropy(head(out[:, -1]), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]


_X = tg.zeros(4, 2, 3)
BAD: list[tuple[Callable[[], Any], type[Exception], str]] = [
    (lambda: nn.LSTM(3, 4)(tg.zeros(4, 2, 5)), ValueError, "input must be (L, N, 3)"),
    (lambda: nn.LSTM(3, 4)(tg.zeros(3)), ValueError, "got (3,)"),
    (lambda: nn.GRU(3, 4)(_X, tg.zeros(2, 2, 4)), ValueError, "hx must have shape (1, 2, 4)"),
    (
        lambda: nn.LSTM(3, 4, num_layers=2)(_X, (tg.zeros(2, 2, 4), tg.zeros(1, 2, 4))),
        ValueError,
        "c_0 must have shape (2, 2, 4), got (1, 2, 4)",
    ),
    (lambda: nn.RNN(3, 4)(_X.float()), TypeError, "input has dtype float32, the weights float64"),
    (lambda: nn.RNNCell(3, 4)(tg.zeros(2, 4)), ValueError, "input must be (N, 3) or (3,)"),
    (
        lambda: nn.LSTMCell(3, 4)(tg.zeros(2, 3), (tg.zeros(2, 4), tg.zeros(3, 4))),
        ValueError,
        "c must",
    ),
    (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), ValueError, "'tanh' or 'relu', got 'sigmoid'"),
    (lambda: nn.GRU(3, 4, dropout=1.5), ValueError, "dropout must be a probability"),
    (lambda: nn.GRU(3, 0), ValueError, "hidden_size must be >= 1"),
    (lambda: nn.RNN(3, 4, num_layers=0), ValueError, "num_layers must be >= 1"),
    (lambda: nn.LSTMCell(3, 4, dtype=np.int64), ValueError, "floating-point dtype"),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD)
def test_bad_input_is_refused_with_its_reason(
    call: Callable[[], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        call()
