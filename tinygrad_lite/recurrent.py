"""Recurrent cells as Modules, as PyTorch's: RNNCell, LSTMCell, GRUCell (in `nn`), and their step.

Each step is written with the ops (matrix products, `tanh`, `sigmoid`, slices), so gradients
through time, of every order, come from theirs; the stacked layers of `rnn_layers` (RNN, LSTM,
GRU) run the same step. The weights and their names are PyTorch's: a cell holds `weight_ih`
(G·H, I), `weight_hh` (G·H, H), `bias_ih` and `bias_hh` (G·H,), with G = 1, 4 (the gates i, f,
g, o) or 3 (r, z, n), all drawn from U(−1/√H, 1/√H). So are the equations:

    RNN:  h' = tanh(W_ih x + b_ih + W_hh h + b_hh)           (or ReLU)
    LSTM: i, f, g, o = σ, σ, tanh, σ of the four blocks of W_ih x + b_ih + W_hh h + b_hh
          c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c')   (projected: h' = W_hr (o ⊙ tanh(c')))
    GRU:  r, z = σ of the first two blocks of W_ih x + b_ih + W_hh h + b_hh
          n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .module import Module, Parameter
from .norm_layers import check_size, initialise, uniform_parameters
from .rng import generator as make_generator
from .tensor import DTypeLike, Tensor

__all__ = ["GRUCell", "LSTMCell", "RNNCell"]

GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}
# w_ih, w_hh, b_ih, b_hh, and an LSTM's projection w_hr (None: h is o ⊙ tanh(c) itself)
Weights = tuple[Tensor, Tensor, Tensor | None, Tensor | None, Tensor | None]
State = Any  # h, or (h, c) for an LSTM


def _step(
    kind: str, nonlinearity: str
) -> Callable[[Tensor, State, Weights, int], tuple[Tensor, State]]:
    """One time step of a `kind` cell: (x·W_ihᵀ + b_ih, state, weights, H) → (h', state')."""

    def hidden(h: Tensor, w: Weights) -> Tensor:
        out = h @ w[1].T
        return out if w[3] is None else out + w[3]

    def rnn(xw: Tensor, h: Tensor, w: Weights, size: int) -> tuple[Tensor, State]:
        z = xw + hidden(h, w)
        h = z.tanh() if nonlinearity == "tanh" else z.relu()
        return h, h

    def lstm(xw: Tensor, state: State, w: Weights, size: int) -> tuple[Tensor, State]:
        h, c = state
        i, f, g, o = (xw + hidden(h, w)).chunk(4, dim=-1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
        if w[4] is not None:
            h = h @ w[4].T
        return h, (h, c)

    def gru(xw: Tensor, h: Tensor, w: Weights, size: int) -> tuple[Tensor, State]:
        x_r, x_z, x_n = xw.chunk(3, dim=-1)
        h_r, h_z, h_n = hidden(h, w).chunk(3, dim=-1)
        r, z = (x_r + h_r).sigmoid(), (x_z + h_z).sigmoid()
        n = (x_n + r * h_n).tanh()
        h = (1.0 - z) * n + z * h
        return h, h

    return {"RNN": rnn, "LSTM": lstm, "GRU": gru}[kind]


def _float_tensor(owner: str, what: str, x: Any, dtype: np.dtype[Any]) -> Tensor:
    t = x if isinstance(x, Tensor) else Tensor(x)
    if t.dtype != dtype:
        raise TypeError(f"{owner}: {what} has dtype {t.dtype}, the weights {dtype}")
    return t


class _Recurrent(Module):
    """What the cells and the stacked layers share: sizes, the weights' creation, checks."""

    _kind = "RNN"

    def _setup(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        nonlinearity: str,
        seed: int | np.random.Generator | None,
        dtype: DTypeLike,
    ) -> np.dtype[Any]:
        owner = type(self).__name__
        self.input_size = check_size(owner, "input_size", input_size)
        self.hidden_size = check_size(owner, "hidden_size", hidden_size)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"{owner}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}"
            )
        self.nonlinearity = nonlinearity
        self.bias = bool(bias)
        dt = np.dtype(dtype)
        if dt.kind != "f":
            raise ValueError(f"{owner}: dtype must be a floating-point dtype, got {dt}")
        self._run_step = _step(self._kind, nonlinearity)
        make_generator(seed)  # a bad seed is refused before anything else is made
        return dt

    def _weights(self, suffix: str, inputs: int, dt: Any, proj: int = 0) -> None:
        """weight_ih, weight_hh, bias_ih, bias_hh, weight_hr (+ suffix), in PyTorch's order.

        weight_hr (proj, H) exists only for a projected LSTM (proj > 0), whose h has proj
        features, so that weight_hh is (G·H, proj). Their values come from `reset_parameters`.
        """
        hidden = self.hidden_size
        rows = GATES[self._kind] * hidden
        shapes: list[tuple[str, tuple[int, ...]]] = [
            ("weight_ih", (rows, inputs)),
            ("weight_hh", (rows, proj or hidden)),
        ]
        if self.bias:
            shapes += [("bias_ih", (rows,)), ("bias_hh", (rows,))]
        if proj:
            shapes.append(("weight_hr", (proj, hidden)))
        for name, shape in shapes:
            setattr(self, name + suffix, Parameter(np.empty(shape, dt)))

    def reset_parameters(self, seed: int | np.random.Generator | None = None) -> None:
        """Draw every weight and bias from U(−1/√H, 1/√H) again, in order, as PyTorch's.

        The values are written into the same Parameters, in their dtype. `seed` is an int or
        a Generator (None: the library's default generator); a seed gives the values a new
        layer built with it has.
        """
        bound = 1.0 / math.sqrt(self.hidden_size)
        uniform_parameters(make_generator(seed), bound, *self.parameters())

    @property
    def _dtype(self) -> np.dtype[Any]:
        """The weights' dtype (it follows `to`, `float` and `double`)."""
        return next(iter(self._parameters.values())).dtype

    def _get(self, suffix: str) -> Weights:
        get = self._parameters.get
        return (
            get("weight_ih" + suffix),
            get("weight_hh" + suffix),
            get("bias_ih" + suffix),
            get("bias_hh" + suffix),
            get("weight_hr" + suffix),
        )  # type: ignore[return-value]

    def _zeros(self, shape: tuple[int, ...]) -> Tensor:
        return Tensor(np.zeros(shape, dtype=self._dtype))

    def _check_state(self, owner: str, what: str, h: Any, shape: tuple[int, ...]) -> Tensor:
        t = _float_tensor(owner, what, h, self._dtype)
        if t.shape != shape:
            raise ValueError(f"{owner}: {what} must have shape {shape}, got {t.shape}")
        return t


class _Cell(_Recurrent):
    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        dt = self._setup(input_size, hidden_size, bias, nonlinearity, seed, dtype)
        self._weights("", self.input_size, dt)
        initialise(self, seed)

    def forward(self, input: Any, hx: Any = None) -> Any:
        """One step: the new hidden state (an LSTM cell: the pair (h', c'))."""
        owner = type(self).__name__
        x = _float_tensor(owner, "input", input, self._dtype)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{owner}: input must be (N, {self.input_size}) or ({self.input_size},), "
                f"got {x.shape}"
            )
        single = x.ndim == 1
        if single:
            x = x.unsqueeze(0)
        shape = (x.shape[0], self.hidden_size)
        wanted = shape[1:] if single else shape
        if self._kind == "LSTM":
            h, c = (self._zeros(wanted),) * 2 if hx is None else hx
            state: State = tuple(
                self._check_state(owner, what, s, wanted).reshape(shape)
                for what, s in (("h", h), ("c", c))
            )
        else:
            state = self._zeros(wanted) if hx is None else hx
            state = self._check_state(owner, "hx", state, wanted).reshape(shape)
        w = self._get("")
        xw = x @ w[0].T
        _, out = self._run_step(xw if w[2] is None else xw + w[2], state, w, self.hidden_size)
        if single:
            return tuple(s.squeeze(0) for s in out) if self._kind == "LSTM" else out.squeeze(0)
        return out

    def extra_repr(self) -> str:
        """Return the sizes."""
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if self._kind == "RNN" and self.nonlinearity != "tanh":
            text += f", nonlinearity={self.nonlinearity}"  # unquoted, as PyTorch shows it
        return text


class RNNCell(_Cell):
    """An Elman cell: h' = tanh(W_ih x + b_ih + W_hh h + b_hh), or ReLU, as `nn.RNNCell`.

    Args:
        input_size: features of x.
        hidden_size: features of h.
        bias: whether to add b_ih and b_hh.
        nonlinearity: "tanh" or "relu".
        seed: an int or a `numpy.random.Generator` for the initial weights (None: the
            library's default generator).
        dtype: a floating-point dtype for the weights (float64 by default).
    """


class _GatedCell(_Cell):
    """A cell without a choice of nonlinearity (LSTM, GRU): PyTorch's arguments."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, "tanh", seed, dtype)


class LSTMCell(_GatedCell):
    """A long short-term memory cell, as `nn.LSTMCell`: `cell(x, (h, c))` returns (h', c').

    Args: as `RNNCell`'s, without the nonlinearity.
    """

    _kind = "LSTM"


class GRUCell(_GatedCell):
    """A gated recurrent unit, as `nn.GRUCell`: `cell(x, h)` returns h'.

    Args: as `RNNCell`'s, without the nonlinearity.
    """

    _kind = "GRU"
