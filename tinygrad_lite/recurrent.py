"""Recurrent layers as Modules, as PyTorch's: RNNCell, LSTMCell, GRUCell, RNN, LSTM, GRU (in `nn`).

Each step is written with the ops (matrix products, `tanh`, `sigmoid`, slices), so gradients
through time, of every order, come from theirs. The weights and their names are PyTorch's: a
cell holds `weight_ih` (G·H, I), `weight_hh` (G·H, H), `bias_ih` and `bias_hh` (G·H,), with
G = 1, 4 (the gates i, f, g, o) or 3 (r, z, n), all drawn from U(−1/√H, 1/√H); a stacked layer
names them `weight_ih_l0`, ..., `weight_hh_l1_reverse`. So are the equations:

    RNN:  h' = tanh(W_ih x + b_ih + W_hh h + b_hh)           (or ReLU)
    LSTM: i, f, g, o = σ, σ, tanh, σ of the four blocks of W_ih x + b_ih + W_hh h + b_hh
          c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c')
    GRU:  r, z = σ of the first two blocks of W_ih x + b_ih + W_hh h + b_hh
          n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import functional as F
from .module import Module, Parameter
from .norm_layers import check_size
from .rng import generator as make_generator
from .tensor import DTypeLike, Tensor

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNCell"]

GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}
Weights = tuple[Tensor, Tensor, Tensor | None, Tensor | None]  # w_ih, w_hh, b_ih, b_hh
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
    ) -> tuple[np.random.Generator, np.dtype[Any]]:
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
        return make_generator(seed), dt

    def _weights(self, suffix: str, inputs: int, rng: np.random.Generator, dt: Any) -> None:
        """weight_ih, weight_hh, bias_ih, bias_hh (+ suffix), drawn in that order as PyTorch."""
        rows, bound = GATES[self._kind] * self.hidden_size, 1.0 / math.sqrt(self.hidden_size)
        shapes: list[tuple[str, tuple[int, ...]]] = [
            ("weight_ih", (rows, inputs)),
            ("weight_hh", (rows, self.hidden_size)),
        ]
        if self.bias:
            shapes += [("bias_ih", (rows,)), ("bias_hh", (rows,))]
        for name, shape in shapes:
            values = rng.uniform(-bound, bound, shape).astype(dt, copy=False)
            setattr(self, name + suffix, Parameter(values))

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
        rng, dt = self._setup(input_size, hidden_size, bias, nonlinearity, seed, dtype)
        self._weights("", self.input_size, rng, dt)

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
            text += f", nonlinearity={self.nonlinearity!r}"
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


class _Stacked(_Recurrent):
    """Layers of cells over a sequence, in one or both directions (RNN, LSTM, GRU)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        nonlinearity: str = "tanh",
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        rng, dt = self._setup(input_size, hidden_size, bias, nonlinearity, seed, dtype)
        self.num_layers = check_size(owner, "num_layers", num_layers)
        if isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(f"{owner}: dropout must be a probability in [0, 1], got {dropout!r}")
        self.dropout = float(dropout)
        self.batch_first, self.bidirectional = bool(batch_first), bool(bidirectional)
        directions = ("", "_reverse") if self.bidirectional else ("",)
        for layer in range(self.num_layers):
            inputs = self.input_size if layer == 0 else len(directions) * self.hidden_size
            for d in directions:
                self._weights(f"_l{layer}{d}", inputs, rng, dt)

    def _initial(self, owner: str, hx: Any, batch: int, single: bool) -> list[State]:
        """The initial state of each (layer, direction), from hx or zeros."""
        count = self.num_layers * (2 if self.bidirectional else 1)
        shape = (count, batch, self.hidden_size)
        wanted = shape[:1] + shape[2:] if single else shape

        def split(what: str, h: Any) -> list[Tensor]:
            t = self._zeros(wanted) if h is None else self._check_state(owner, what, h, wanted)
            return list(t.reshape(shape).unbind(0))

        if self._kind != "LSTM":
            return list(split("hx", hx))
        h, c = (None, None) if hx is None else hx
        return list(zip(split("h_0", h), split("c_0", c), strict=True))

    def forward(self, input: Any, hx: Any = None) -> Any:
        """Run the sequence: (output, h_n), or (output, (h_n, c_n)) for an LSTM.

        input is (L, N, input_size), (N, L, input_size) with `batch_first`, or (L, input_size)
        for one sequence; output holds the last layer's h at every step, both directions
        side by side; h_n (and c_n) the last state of every layer and direction.
        """
        owner = type(self).__name__
        x = _float_tensor(owner, "input", input, self._dtype)
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{owner}: input must be (L, N, {self.input_size}), (N, L, {self.input_size}) "
                f"with batch_first, or (L, {self.input_size}); got {x.shape}"
            )
        single = x.ndim == 2
        x = x.unsqueeze(1) if single else x.transpose(0, 1) if self.batch_first else x
        length, batch = x.shape[:2]
        states = self._initial(owner, hx, batch, single)
        directions = ("", "_reverse") if self.bidirectional else ("",)
        finals: list[State] = []
        for layer in range(self.num_layers):
            outs = []
            for d, suffix in enumerate(directions):
                w = self._get(f"_l{layer}{suffix}")
                xw = x @ w[0].T  # every step's input product at once: (L, N, G·H)
                if w[2] is not None:
                    xw = xw + w[2]
                state, steps = states[layer * len(directions) + d], []
                order = range(length - 1, -1, -1) if suffix else range(length)
                for t in order:
                    h, state = self._run_step(xw[t], state, w, self.hidden_size)
                    steps.append(h)
                finals.append(state)
                outs.append(F.stack(steps[::-1] if suffix else steps, dim=0))
            x = outs[0] if len(outs) == 1 else F.cat(outs, dim=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout)
        output = x.squeeze(1) if single else x.transpose(0, 1) if self.batch_first else x

        def gathered(states: Sequence[Tensor]) -> Tensor:
            last = F.stack(list(states), dim=0)
            return last.squeeze(1) if single else last

        if self._kind == "LSTM":
            return output, (gathered([s[0] for s in finals]), gathered([s[1] for s in finals]))
        return output, gathered(finals)

    def extra_repr(self) -> str:
        """Return the settings that differ from the defaults."""
        text = f"{self.input_size}, {self.hidden_size}"
        extras: dict[str, tuple[Any, Any]] = {
            "num_layers": (self.num_layers, 1),
            "bias": (self.bias, True),
            "batch_first": (self.batch_first, False),
            "dropout": (self.dropout, 0.0),
            "bidirectional": (self.bidirectional, False),
        }
        if self._kind == "RNN":
            extras["nonlinearity"] = (self.nonlinearity, "tanh")
        for name, (value, default) in extras.items():
            if value != default:
                text += f", {name}={value!r}"
        return text


class RNN(_Stacked):
    """A multi-layer Elman RNN over a sequence, as `nn.RNN` (see `_Stacked.forward`).

    Args:
        input_size: features of each step's input.
        hidden_size: features of h.
        num_layers: stacked layers, each reading the one below's outputs.
        nonlinearity: "tanh" or "relu".
        bias: whether to add the biases.
        batch_first: inputs and outputs are (N, L, features) instead of (L, N, features).
        dropout: dropout on the outputs of every layer but the last, while training.
        bidirectional: also run each layer backwards in time; outputs side by side.
        seed: an int or a `numpy.random.Generator` for the initial weights.
        dtype: a floating-point dtype for the weights (float64 by default).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            nonlinearity,
            seed,
            dtype,
        )


class _GatedStack(_Stacked):
    """LSTM and GRU layers: `RNN`'s arguments without the nonlinearity."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
            "tanh", seed, dtype,
        )  # fmt: skip


class LSTM(_GatedStack):
    """A multi-layer LSTM over a sequence, as `nn.LSTM`: `lstm(x, (h_0, c_0))`.

    Args: as `RNN`'s, without the nonlinearity; `proj_size` must be 0 (not supported).
    """

    _kind = "LSTM"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        if proj_size:
            raise ValueError(f"LSTM: proj_size={proj_size} is not supported (only 0)")
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
            seed, dtype,
        )  # fmt: skip


class GRU(_GatedStack):
    """A multi-layer GRU over a sequence, as `nn.GRU`.

    Args: as `RNN`'s, without the nonlinearity.
    """

    _kind = "GRU"
