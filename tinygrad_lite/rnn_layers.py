"""Stacked recurrent layers as Modules, as PyTorch's: RNN, LSTM (with projections), GRU (in `nn`).

Each layer runs the step of `recurrent`'s cells over the sequence, in one or both directions;
the layer above reads the outputs of both side by side. The parameters are named as PyTorch's,
`weight_ih_l0`, ..., `bias_hh_l1_reverse`, and come in its order, layer by layer and direction
by direction, so a PyTorch state dict loads by name. An LSTM with `proj_size` P > 0 also holds
`weight_hr_l{k}` (P, H) per layer and direction: h = W_hr (o ⊙ tanh(c)) has P features, and so
do the outputs, h_0 and h_n, while c keeps H. A layer also runs a packed batch
(`rnn_pack.PackedSequence`): step t advances only the batch_sizes[t] sequences still running,
so each sequence's h_n (and c_n) is its state after its own last step (the reverse
direction's after its first), as in PyTorch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import functional as F
from .norm_layers import check_size, initialise
from .recurrent import State, Weights, _float_tensor, _Recurrent
from .rnn_pack import PackedSequence, _batch_sizes, _indices
from .tensor import DTypeLike, Tensor

__all__ = ["GRU", "LSTM", "RNN"]


def _check_proj(proj_size: Any, hidden_size: int) -> int:
    """`proj_size` as an int in [0, hidden_size), or a TypeError/ValueError naming it."""
    if isinstance(proj_size, bool) or not isinstance(proj_size, (int, np.integer)):
        raise TypeError(
            f"LSTM: proj_size must be an int, got {type(proj_size).__name__} {proj_size!r}"
        )
    if proj_size < 0:
        raise ValueError(f"LSTM: proj_size must be >= 0 (0: no projection), got {proj_size}")
    if proj_size >= hidden_size:
        raise ValueError(
            f"LSTM: proj_size must be smaller than hidden_size ({hidden_size}), got {proj_size}"
        )
    return int(proj_size)


def _rows(state: State, start: int, stop: int) -> State:
    """Rows start:stop of a state (both parts of an LSTM's); the state itself if all of it."""
    if isinstance(state, tuple):
        return tuple(_rows(s, start, stop) for s in state)
    return state if start == 0 and stop == state.shape[0] else state[start:stop]


def _join(parts: list[State]) -> State:
    """States joined along the batch (part by part for an LSTM's (h, c))."""
    if len(parts) == 1:
        return parts[0]
    if isinstance(parts[0], tuple):
        return tuple(F.cat([p[k] for p in parts], dim=0) for k in range(len(parts[0])))
    return F.cat(parts, dim=0)


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
        proj_size: int = 0,
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        dt = self._setup(input_size, hidden_size, bias, nonlinearity, seed, dtype)
        self.num_layers = check_size(owner, "num_layers", num_layers)
        if isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(f"{owner}: dropout must be a probability in [0, 1], got {dropout!r}")
        self.dropout = float(dropout)
        self.batch_first, self.bidirectional = bool(batch_first), bool(bidirectional)
        self.proj_size = _check_proj(proj_size, self.hidden_size)
        directions = ("", "_reverse") if self.bidirectional else ("",)
        for layer in range(self.num_layers):
            inputs = self.input_size if layer == 0 else len(directions) * self._out_size
            for d in directions:
                self._weights(f"_l{layer}{d}", inputs, dt, self.proj_size)
        initialise(self, seed)

    @property
    def _out_size(self) -> int:
        """Features of h (and of each direction's output): proj_size if set, else hidden_size."""
        return self.proj_size or self.hidden_size

    def _initial(
        self, owner: str, hx: Any, batch: int, single: bool, order: np.ndarray | None = None
    ) -> list[State]:
        """The initial state of each (layer, direction), from hx or zeros.

        `order` (a packed batch's sorted_indices) permutes hx's batch.
        """
        count = self.num_layers * (2 if self.bidirectional else 1)

        def split(what: str, h: Any, size: int) -> list[Tensor]:
            shape = (count, batch, size)
            wanted = (count, size) if single else shape
            t = self._zeros(wanted) if h is None else self._check_state(owner, what, h, wanted)
            if h is not None and order is not None:
                t = t[:, order]
            return list(t.reshape(shape).unbind(0))

        if self._kind != "LSTM":
            return list(split("hx", hx, self.hidden_size))
        h, c = (None, None) if hx is None else hx
        hs, cs = split("h_0", h, self._out_size), split("c_0", c, self.hidden_size)
        return list(zip(hs, cs, strict=True))

    def forward(self, input: Any, hx: Any = None) -> Any:
        """Run the sequence: (output, h_n), or (output, (h_n, c_n)) for an LSTM.

        input is (L, N, input_size), (N, L, input_size) with `batch_first`, (L, input_size)
        for one sequence, or a `PackedSequence` (then output is one too, with the same
        batch_sizes and indices, and `batch_first` does not apply); output holds the last
        layer's h at every step, both directions side by side; h_n (and c_n) the last state of
        every layer and direction: for a packed batch, each sequence's state after its own
        last step (the reverse direction's after its first), in the batch's original order,
        as is hx's.
        """
        owner = type(self).__name__
        if isinstance(input, PackedSequence):
            return self._forward_packed(owner, input, hx)
        x = _float_tensor(owner, "input", input, self._dtype)
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{owner}: input must be (L, N, {self.input_size}), (N, L, {self.input_size}) "
                f"with batch_first, or (L, {self.input_size}); got {x.shape}"
            )
        single, input_shape = x.ndim == 2, x.shape
        x = x.unsqueeze(1) if single else x.transpose(0, 1) if self.batch_first else x
        length, batch = x.shape[:2]
        if length == 0:
            raise ValueError(f"{owner}: input has no time steps (L = 0), got {input_shape}")
        states = self._initial(owner, hx, batch, single)
        rows, finals = self._layers(x.reshape(length * batch, x.shape[2]), [batch] * length, states)
        x = rows.reshape(length, batch, rows.shape[-1])
        output = x.squeeze(1) if single else x.transpose(0, 1) if self.batch_first else x
        return output, self._gathered(finals, single, None)

    def _forward_packed(self, owner: str, input: PackedSequence, hx: Any) -> Any:
        """Run a PackedSequence: sorted_indices orders hx, unsorted_indices h_n."""
        sizes = _batch_sizes(owner, input)
        data = _float_tensor(owner, "input", input.data, self._dtype)
        if data.shape != (sum(sizes), self.input_size):
            raise ValueError(
                f"{owner}: a packed input's data must be (sum of lengths, {self.input_size}) = "
                f"{(sum(sizes), self.input_size)}, got {data.shape}"
            )
        order, unorder = (
            None if i is None else _indices(owner, "indices", i)
            for i in (input.sorted_indices, input.unsorted_indices)
        )
        states = self._initial(owner, hx, sizes[0], False, order)
        rows, finals = self._layers(data, sizes, states)
        packed = PackedSequence(
            rows, input.batch_sizes, input.sorted_indices, input.unsorted_indices
        )
        return packed, self._gathered(finals, False, unorder)

    def _layers(
        self, x: Tensor, sizes: list[int], states: list[State]
    ) -> tuple[Tensor, list[State]]:
        """Every layer and direction over packed rows x: (the last layer's rows, final states).

        Step t reads the sizes[t] rows after the first sum(sizes[:t]): the sequences still
        running, longest first (a padded batch has sizes [N] * L).
        """
        directions = ("", "_reverse") if self.bidirectional else ("",)
        finals: list[State] = []
        for layer in range(self.num_layers):
            outs = []
            for d, suffix in enumerate(directions):
                w = self._get(f"_l{layer}{suffix}")
                xw = x @ w[0].T  # every step's input product at once: (rows, G·H)
                if w[2] is not None:
                    xw = xw + w[2]
                initial = states[layer * len(directions) + d]
                out, final = self._direction(xw, sizes, initial, w, bool(suffix))
                finals.append(final)
                outs.append(out)
            x = outs[0] if len(outs) == 1 else F.cat(outs, dim=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout)
        return x, finals

    def _direction(
        self, xw: Tensor, sizes: list[int], initial: State, w: Weights, reverse: bool
    ) -> tuple[Tensor, State]:
        """One direction of one layer: the rows of h at every step, and the final states.

        Forwards, the batch shrinks: a sequence's final state is set aside at its last step.
        Backwards, it grows: a sequence starts from its initial state at its last step.
        """
        starts = np.cumsum([0, *sizes]).tolist()
        outs, done, state, active = [], [], initial, sizes[0]
        if reverse:
            active = 0
        for t in range(len(sizes) - 1, -1, -1) if reverse else range(len(sizes)):
            n = sizes[t]
            if n < active:
                done.append(_rows(state, n, active))
                state = _rows(state, 0, n)
            elif n > active:
                new = _rows(initial, active, n)
                state = new if active == 0 else _join([state, new])
            active = n
            h, state = self._run_step(xw[starts[t] : starts[t] + n], state, w, self.hidden_size)
            outs.append(h)
        rows = F.cat(outs[::-1] if reverse else outs, dim=0)
        return rows, _join([state, *done[::-1]])

    def _gathered(self, finals: list[State], single: bool, order: np.ndarray | None) -> Any:
        """h_n (and c_n): the final states stacked, their batch permuted by `order`."""

        def gathered(states: Sequence[Tensor]) -> Tensor:
            last = F.stack(list(states), dim=0)
            if order is not None:
                last = last[:, order]
            return last.squeeze(1) if single else last

        if self._kind == "LSTM":
            return gathered([s[0] for s in finals]), gathered([s[1] for s in finals])
        return gathered(finals)

    def extra_repr(self) -> str:
        """Return the settings that differ from the defaults (PyTorch's omits nonlinearity)."""
        text = f"{self.input_size}, {self.hidden_size}"
        extras: dict[str, tuple[Any, Any]] = {
            "proj_size": (self.proj_size, 0),
            "num_layers": (self.num_layers, 1),
            "bias": (self.bias, True),
            "batch_first": (self.batch_first, False),
            "dropout": (self.dropout, 0.0),
            "bidirectional": (self.bidirectional, False),
        }
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


class LSTM(_Stacked):
    """A multi-layer LSTM over a sequence, as `nn.LSTM`: `lstm(x, (h_0, c_0))`.

    Returns (output, (h_n, c_n)). With `proj_size` P > 0, h is projected to P features:
    output's last dimension is P per direction, h_0 and h_n are (layers·directions, N, P),
    c_0 and c_n stay (layers·directions, N, hidden_size).

    Args:
        input_size: features of each step's input.
        hidden_size: features of the cell state c (and of h unless projected).
        num_layers: stacked layers, each reading the one below's outputs.
        bias: whether to add the biases.
        batch_first: inputs and outputs are (N, L, features) instead of (L, N, features).
        dropout: dropout on the outputs of every layer but the last, while training.
        bidirectional: also run each layer backwards in time; outputs side by side.
        proj_size: 0 (the default) for none, or P with 0 < P < hidden_size: every layer and
            direction gets `weight_hr_l{k}` (`_reverse`) of shape (P, hidden_size), drawn
            like the other weights, and h = W_hr (o ⊙ tanh(c)); `weight_hh_l{k}` becomes
            (4·hidden_size, P), and the layers above the first read P·directions features.
        seed: an int or a `numpy.random.Generator` for the initial weights.
        dtype: a floating-point dtype for the weights (float64 by default).
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
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
            "tanh", seed, dtype, proj_size,
        )  # fmt: skip


class GRU(_Stacked):
    """A multi-layer GRU over a sequence, as `nn.GRU`.

    Args: as `RNN`'s, without the nonlinearity.
    """

    _kind = "GRU"

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
