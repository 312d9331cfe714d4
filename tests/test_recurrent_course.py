"""nn.RNN and nn.LSTM against the course's hand-derived recurrent networks (models/manual_rnn.py).

The course keeps features first, x (n_x, m, T_x), and an LSTM gate's weights W (n_a, n_a + n_x)
act on [a_prev; x]. PyTorch's layers keep time first, x (T_x, m, n_x), and stack the gates' input
and hidden weights in the order i, f, g, o. With the weights copied across, autograd's
gradients through time equal the hand-derived ones, and the course's published numbers come out
of the library.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from models.manual_rnn import lstm_backward, lstm_forward, rnn_backward, rnn_forward
from tinygrad_lite import Tensor, nn

TORCH_ORDER = ("i", "f", "c", "o")  # PyTorch's gate blocks; the course calls g "c"

_LSTM_DRAWS = ("Wf", "bf", "Wi", "bi", "Wo", "bo", "Wc", "bc")  # the course's order of draws


def _blocks(ours: dict[str, Any]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The hidden and input parts of each gate's weight gradient, in PyTorch's gate order."""
    return np.split(ours["w_hh"], 4), np.split(ours["w_ih"], 4)


def _time_first(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a.transpose(2, 1, 0))


def _rnn(p: dict[str, np.ndarray], n_x: int, n_a: int) -> nn.RNN:
    layer = nn.RNN(n_x, n_a, seed=0)
    layer.weight_ih_l0.data[...] = p["Wax"]
    layer.weight_hh_l0.data[...] = p["Waa"]
    layer.bias_ih_l0.data[...] = p["ba"].ravel()
    layer.bias_hh_l0.data[...] = 0.0
    return layer


def _lstm(p: dict[str, np.ndarray], n_x: int, n_a: int) -> nn.LSTM:
    layer = nn.LSTM(n_x, n_a, seed=0)
    layer.weight_hh_l0.data[...] = np.vstack([p[f"W{g}"][:, :n_a] for g in TORCH_ORDER])
    layer.weight_ih_l0.data[...] = np.vstack([p[f"W{g}"][:, n_a:] for g in TORCH_ORDER])
    layer.bias_ih_l0.data[...] = np.concatenate([p[f"b{g}"].ravel() for g in TORCH_ORDER])
    layer.bias_hh_l0.data[...] = 0.0
    return layer


def _run(layer: nn.Module, x: np.ndarray, a0: np.ndarray, da: np.ndarray) -> dict[str, Any]:
    """Autograd through the layer for L = Σ a ⊙ da, in the course's layouts and names."""
    xs = Tensor(_time_first(x), requires_grad=True)
    h0 = Tensor(a0.T[None].copy(), requires_grad=True)
    state = (h0, Tensor(np.zeros_like(h0.data))) if isinstance(layer, nn.LSTM) else h0
    out, _ = layer(xs, state)
    (out * Tensor(_time_first(da))).sum().backward()
    return {
        "a": out.data.transpose(2, 1, 0),
        "dx": xs.grad.data.transpose(2, 1, 0),
        "da0": h0.grad.data[0].T,
        "w_ih": layer.weight_ih_l0.grad.data,
        "w_hh": layer.weight_hh_l0.grad.data,
        "b": layer.bias_ih_l0.grad.data,
    }


def _close(a: Any, b: Any) -> None:
    np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12)


@st.composite
def _sizes(draw: Any) -> dict[str, Any]:
    n_x, n_a, m, t = (draw(st.integers(1, 4)) for _ in range(4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return {"n_x": n_x, "n_a": n_a, "m": m, "T": t, "rng": rng}


@settings(max_examples=15)
@given(_sizes())
def test_rnn_autograd_equals_the_hand_derived_backward_through_time(s: dict[str, Any]) -> None:
    rng, n_x, n_a = s["rng"], s["n_x"], s["n_a"]
    p = {"Wax": rng.normal(size=(n_a, n_x)), "Waa": rng.normal(size=(n_a, n_a))}
    p |= {"ba": rng.normal(size=(n_a, 1)), "Wya": np.zeros((1, n_a)), "by": np.zeros((1, 1))}
    x, a0 = rng.normal(size=(n_x, s["m"], s["T"])), rng.normal(size=(n_a, s["m"]))
    da = rng.normal(size=(n_a, s["m"], s["T"]))
    a, _, caches = rnn_forward(x, a0, p)
    hand = rnn_backward(da, caches)
    ours = _run(_rnn(p, n_x, n_a), x, a0, da)
    _close(ours["a"], a)
    _close(ours["dx"], hand["dx"])
    _close(ours["da0"], hand["da0"])
    _close(ours["w_ih"], hand["dWax"])
    _close(ours["w_hh"], hand["dWaa"])
    _close(ours["b"], hand["dba"].ravel())


@settings(max_examples=15)
@given(_sizes())
def test_lstm_autograd_equals_the_hand_derived_backward_through_time(s: dict[str, Any]) -> None:
    rng, n_x, n_a = s["rng"], s["n_x"], s["n_a"]
    p = {f"W{g}": rng.normal(size=(n_a, n_a + n_x)) for g in TORCH_ORDER}
    p |= {f"b{g}": rng.normal(size=(n_a, 1)) for g in TORCH_ORDER}
    p |= {"Wy": np.zeros((1, n_a)), "by": np.zeros((1, 1))}
    x, a0 = rng.normal(size=(n_x, s["m"], s["T"])), rng.normal(size=(n_a, s["m"]))
    da = rng.normal(size=(n_a, s["m"], s["T"]))
    a, _, _, caches = lstm_forward(x, a0, p)
    hand = lstm_backward(da, caches)
    ours = _run(_lstm(p, n_x, n_a), x, a0, da)
    _close(ours["a"], a)
    _close(ours["dx"], hand["dx"])
    _close(ours["da0"], hand["da0"])
    blocks = np.split(ours["w_ih"], 4), np.split(ours["w_hh"], 4), np.split(ours["b"], 4)
    for k, g in enumerate(TORCH_ORDER):
        _close(np.hstack([blocks[1][k], blocks[0][k]]), hand[f"dW{g}"])
        _close(blocks[2][k], hand[f"db{g}"].ravel())


def _printed(array: np.ndarray) -> str:
    return np.array2string(array, precision=8, max_line_width=200)


def test_the_courses_published_rnn_backward_comes_out_of_autograd() -> None:
    """rnn_backward's example (np.random.seed(1)), through nn.RNN and backward."""
    rs = np.random.RandomState(1)
    x, a0 = rs.randn(3, 10, 4), rs.randn(5, 10)
    p = {k: rs.randn(*shape) for k, shape in [("Wax", (5, 3)), ("Waa", (5, 5))]}
    rs.randn(2, 5)  # Wya: the outputs play no part in the backward pass
    p["ba"] = rs.randn(5, 1)
    rs.randn(2, 1)  # by
    ours = _run(_rnn(p, 3, 5), x, a0, rs.randn(5, 10, 4))
    assert _printed(ours["dx"][1][2]) == "[-2.07101689 -0.59255627  0.02466855  0.01483317]"
    assert f"{ours['da0'][2][3]:.12g}" == "-0.314942375127"
    assert f"{ours['w_ih'][3][1]:.12g}" == "11.2641044965"
    assert f"{ours['w_hh'][1][2]:.12g}" == "2.30333312658"
    assert _printed(ours["b"][4:5]) == "[-0.74747722]"


def test_the_courses_published_lstm_backward_comes_out_of_autograd() -> None:
    """lstm_backward's example: 7 steps forward, a gradient on the first 4 of them."""
    rs = np.random.RandomState(1)
    x, a0 = rs.randn(3, 10, 7), rs.randn(5, 10)
    p = {k: rs.randn(*((5, 8) if k[0] == "W" else (5, 1))) for k in _LSTM_DRAWS}
    da = np.concatenate((rs.randn(5, 10, 4), np.zeros((5, 10, 3))), axis=2)
    ours = _run(_lstm(p, 3, 5), x, a0, da)
    assert _printed(ours["dx"][1][2][:4]) == "[ 0.00218254  0.28205375 -0.48292508 -0.43281115]"
    assert f"{ours['da0'][2][3]:.12g}" == "0.312770310257"
    w = {g: np.hstack([h, i]) for g, h, i in zip(TORCH_ORDER, *_blocks(ours), strict=True)}
    printed = [f"{w[g][i][j]:.12g}" for g, (i, j) in [("f", (3, 1)), ("i", (1, 2))]]
    printed += [f"{w[g][i][j]:.12g}" for g, (i, j) in [("c", (3, 1)), ("o", (1, 2))]]
    assert printed == ["-0.0809802310938", "0.40512433093", "-0.0793746735512", "0.038948775763"]
    b = dict(zip(TORCH_ORDER, np.split(ours["b"], 4), strict=True))
    assert [_printed(b[g][4:5]) for g in ("f", "i", "c", "o")] == [
        "[-0.15745657]",
        "[-0.50848333]",
        "[-0.42510818]",
        "[-0.17958196]",
    ]
