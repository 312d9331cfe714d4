"""An LSTM with a projection (`proj_size`): PyTorch's names and shapes, values, gradients, compile.

The reference for the values is a NumPy loop written out here; the comparison with PyTorch
itself is in `tests/test_lstm_proj_torch.py`.
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


def _names(layers: int, directions: tuple[str, ...], bias: bool = True) -> list[str]:
    kinds = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if bias else []) + ["weight_hr"]
    return [f"{k}_l{n}{d}" for n in range(layers) for d in directions for k in kinds]


def test_parameters_come_in_pytorchs_order_shapes_and_initial_range() -> None:
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2, seed=0)
    expected = _names(2, ("", "_reverse"))
    assert [n for n, _ in lstm.named_parameters()] == expected
    assert list(lstm.state_dict()) == expected
    shapes = {n: p.shape for n, p in lstm.named_parameters()}
    assert shapes["weight_ih_l0"] == (20, 3) and shapes["weight_ih_l1_reverse"] == (20, 4)
    assert shapes["weight_hh_l0"] == (20, 2) and shapes["weight_hh_l1_reverse"] == (20, 2)
    assert shapes["weight_hr_l0"] == (2, 5) and shapes["weight_hr_l1_reverse"] == (2, 5)
    assert shapes["bias_hh_l1"] == (20,)
    bound = 1 / np.sqrt(5)  # U(−1/√H, 1/√H), the projection too
    for name, p in lstm.named_parameters():
        assert np.abs(p.data).max() <= bound, name
    hr = np.concatenate([lstm.get_parameter(f"weight_hr_l{k}").data.ravel() for k in (0, 1)])
    assert np.abs(hr).max() > 0.6 * bound and hr.min() < 0 < hr.max()
    assert [n for n, _ in nn.LSTM(2, 3, proj_size=1, bias=False).named_parameters()] == _names(
        1, ("",), bias=False
    )
    assert "weight_hr_l0" not in dict(nn.LSTM(2, 3).named_parameters())
    assert repr(lstm) == "LSTM(3, 5, proj_size=2, num_layers=2, bidirectional=True)"


@pytest.mark.parametrize("batch_first", [False, True])
def test_shapes_of_output_and_states(batch_first: bool) -> None:
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2, batch_first=batch_first)
    x = tg.zeros((2, 4, 3))  # (N, L, 3) or (L, N, 3)
    out, (h, c) = lstm(x)
    assert out.shape == (2, 4, 4)
    batch = 2 if batch_first else 4
    assert h.shape == (4, batch, 2) and c.shape == (4, batch, 5)
    out, (h, c) = lstm(x, (h, c))  # the final states fit as the initial ones
    assert out.shape == (2, 4, 4)
    out, (h, c) = lstm(tg.zeros((6, 3)))  # one sequence, no batch dimension
    assert out.shape == (6, 4) and h.shape == (4, 2) and c.shape == (4, 5)


def _reference(lstm: Any, x: np.ndarray, h: np.ndarray, c: np.ndarray) -> list[np.ndarray]:
    """One layer, one direction, written out in NumPy: x (L, N, I), h (N, P), c (N, H)."""
    w = {n: p.data for n, p in lstm.named_parameters()}
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    outs = []
    for x_t in x:
        z = x_t @ w["weight_ih_l0"].T + w["bias_ih_l0"] + h @ w["weight_hh_l0"].T + w["bias_hh_l0"]
        i, f, g, o = np.split(z, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = (sigmoid(o) * np.tanh(c)) @ w["weight_hr_l0"].T
        outs.append(h)
    return [np.stack(outs), h, c]


def test_values_equal_a_numpy_loop() -> None:
    rng = np.random.default_rng(0)
    lstm = nn.LSTM(3, 4, proj_size=2, seed=1)
    x, h, c = (
        rng.standard_normal((5, 2, 3)),
        rng.standard_normal((2, 2)),
        rng.standard_normal((2, 4)),
    )
    out, (h_n, c_n) = lstm(Tensor(x), (Tensor(h[None]), Tensor(c[None])))
    expected = _reference(lstm, x, h, c)
    for ours, theirs in zip([out, h_n[0], c_n[0]], expected, strict=True):
        np.testing.assert_allclose(ours.data, theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("batch_first", [False, True])
def test_gradients_against_finite_differences(batch_first: bool) -> None:
    """Two layers, both directions: input, h_0, c_0, and (once) every weight, projections too.

    Without biases and with one input feature, to keep the finite differences few (the biases'
    gradients are those of an unprojected LSTM, checked in `tests/test_recurrent.py`).
    """
    rng = np.random.default_rng(3)
    lstm = nn.LSTM(
        1, 2, 2, bias=False, batch_first=batch_first, bidirectional=True, proj_size=1, seed=1
    )
    x = Tensor(rng.standard_normal((1, 2, 1) if batch_first else (2, 1, 1)), requires_grad=True)
    h0 = Tensor(rng.standard_normal((4, 1, 1)), requires_grad=True)
    c0 = Tensor(rng.standard_normal((4, 1, 2)), requires_grad=True)
    weights = Tensor(rng.standard_normal((*x.shape[:2], 2)))

    def loss(m: nn.Module, x: Tensor, h0: Tensor, c0: Tensor) -> Tensor:
        out, (h, c) = m(x, (h0, c0))
        return (out * weights).sum() + (h * h).sum() + (c * c).sum() * 0.5

    assert gradcheck(lambda *a: loss(lstm, *a), x, h0, c0)
    if batch_first:  # the weights' gradients do not depend on the layout; they cost the most
        assert gradcheck_module(lstm, loss, x, h0, c0)


def test_second_order_gradients_against_finite_differences() -> None:
    rng = np.random.default_rng(4)
    lstm = nn.LSTM(1, 2, proj_size=1, seed=2)
    x = Tensor(rng.standard_normal((2, 1, 1)), requires_grad=True)
    h0 = Tensor(rng.standard_normal((1, 1, 1)), requires_grad=True)
    c0 = Tensor(rng.standard_normal((1, 1, 2)))
    assert gradgradcheck(lambda x, h: lstm(x, (h, c0))[0], x, h0)


def test_a_checker_sees_a_projection_left_out() -> None:
    """The NumPy loop tells a projected h from an unprojected one, so the value test can fail."""
    rng = np.random.default_rng(5)
    lstm = nn.LSTM(2, 3, proj_size=2, seed=0)
    x, h, c = rng.standard_normal((2, 1, 2)), np.zeros((1, 2)), np.zeros((1, 3))
    expected = _reference(lstm, x, h, c)[0]
    lstm.get_parameter("weight_hr_l0").data[:] = np.eye(2, 3)  # keeps only o ⊙ tanh(c)[:2]
    assert not np.allclose(lstm(Tensor(x))[0].data, expected)


def test_a_state_dict_loads_into_the_same_layout_only() -> None:
    source = nn.LSTM(2, 4, num_layers=2, proj_size=3, bidirectional=True, seed=0)
    target = nn.LSTM(2, 4, num_layers=2, proj_size=3, bidirectional=True, seed=1)
    target.load_state_dict(source.state_dict())
    x = tg.randn(3, 1, 2)
    assert np.array_equal(source(x)[0].data, target(x)[0].data)
    with pytest.raises(ValueError, match="unexpected.*weight_hr_l0"):
        nn.LSTM(2, 4, num_layers=2, bidirectional=True).load_state_dict(source.state_dict())
    with pytest.raises(ValueError, match=re.escape("weight_hh_l0")):
        nn.LSTM(2, 4, num_layers=2, proj_size=2, bidirectional=True).load_state_dict(
            source.state_dict()
        )


def test_a_compiled_step_with_dropout_replays_eager_bit_for_bit() -> None:
    def make() -> tuple[Callable[..., Tensor], list[Tensor]]:
        tg.manual_seed(0)
        lstm = nn.LSTM(
            2, 3, num_layers=2, batch_first=True, dropout=0.3, bidirectional=True, proj_size=2
        )
        head = nn.Linear(4, 2)
        params = list(lstm.parameters()) + list(head.parameters())
        opt = optim.Adam(params, lr=0.01)

        def step(x: Any, y: Any) -> Tensor:
            opt.zero_grad()
            out, (h, c) = lstm(x)
            loss = F.cross_entropy(head(out[:, -1]), y) + (c * c).mean()
            loss.backward()
            opt.step()
            return loss

        return step, params

    (eager, eager_params), (traced, compiled_params) = make(), make()
    compiled = tg.compile(traced)
    rng = np.random.default_rng(0)
    for i in range(3):
        x, y = rng.standard_normal((2, 3, 2)), rng.integers(0, 2, 2)
        tg.manual_seed(100 + i)  # the same dropout masks for both
        a = eager(x, y).item()
        tg.manual_seed(100 + i)
        assert compiled(x, y).item() == a
    for p, q in zip(eager_params, compiled_params, strict=True):
        assert np.array_equal(p.data, q.data)


_X = tg.zeros(4, 2, 3)
BAD: list[tuple[Callable[[], Any], type[Exception], str]] = [
    (lambda: nn.LSTM(3, 4, proj_size=-1), ValueError, "proj_size must be >= 0 (0: no projection)"),
    (
        lambda: nn.LSTM(3, 4, proj_size=4),
        ValueError,
        "LSTM: proj_size must be smaller than hidden_size (4), got 4",
    ),
    (lambda: nn.LSTM(3, 4, proj_size=7), ValueError, "smaller than hidden_size (4), got 7"),
    (lambda: nn.LSTM(3, 4, proj_size=1.5), TypeError, "proj_size must be an int, got float 1.5"),
    (lambda: nn.LSTM(3, 4, proj_size=True), TypeError, "proj_size must be an int, got bool"),
    (lambda: nn.GRU(3, 4, proj_size=2), TypeError, "proj_size"),
    (
        lambda: nn.LSTM(3, 4, proj_size=2)(_X, (tg.zeros(1, 2, 4), tg.zeros(1, 2, 4))),
        ValueError,
        "h_0 must have shape (1, 2, 2), got (1, 2, 4)",
    ),
    (
        lambda: nn.LSTM(3, 4, proj_size=2)(_X, (tg.zeros(1, 2, 2), tg.zeros(1, 2, 2))),
        ValueError,
        "c_0 must have shape (1, 2, 4), got (1, 2, 2)",
    ),
    (
        lambda: nn.LSTM(3, 4, proj_size=2)(tg.zeros(4, 3), (tg.zeros(1, 2, 2), tg.zeros(1, 4))),
        ValueError,
        "h_0 must have shape (1, 2), got (1, 2, 2)",
    ),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD)
def test_bad_settings_and_states_are_refused_with_their_reason(
    call: Callable[[], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        call()
