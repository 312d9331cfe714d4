"""The course's recurrent networks, a basic RNN and an LSTM, built step by step in plain NumPy.

The independent reference for recurrent cells: like ``models/manual_conv.py`` it imports nothing
from ``tinygrad_lite`` and is written as the course writes it, a loop over the time steps. The
layout is the course's: x is (n_x, m, T_x), the hidden states a (n_a, m, T_x) and the predictions
y (n_y, m, T_x). With Wax (n_a, n_x), Waa (n_a, n_a), Wya (n_y, n_a), ba (n_a, 1), by (n_y, 1):

    a⟨t⟩ = tanh(Waa·a⟨t−1⟩ + Wax·x⟨t⟩ + ba),  ŷ⟨t⟩ = softmax(Wya·a⟨t⟩ + by).

The LSTM cell reads concat = [a⟨t−1⟩; x⟨t⟩] through four gates, each with a W of shape
(n_a, n_a + n_x) and a b of shape (n_a, 1), and predicts through Wy (n_y, n_a) and by (n_y, 1):

    Γf = σ(Wf·concat + bf),  Γi = σ(Wi·concat + bi),  c̃ = tanh(Wc·concat + bc),
    c⟨t⟩ = Γf ⊙ c⟨t−1⟩ + Γi ⊙ c̃,  Γo = σ(Wo·concat + bo),  a⟨t⟩ = Γo ⊙ tanh(c⟨t⟩),
    ŷ⟨t⟩ = softmax(Wy·a⟨t⟩ + by),  with c⟨0⟩ = 0 in ``lstm_forward``.

The backward functions take the gradients of a scalar loss L with respect to the hidden states
(for L = Σ a ⊙ G, da = G) and return those of the inputs and parameters, summed over the batch.
As in the course they ignore the predictions: the loss reaches the cells only through da (and
dc_next for one LSTM cell), and there are no gradients for Wya, Wy or by.

The functions refuse, with a ValueError naming the values, an input of the wrong number of
dimensions or shape, parameters with missing or unknown keys, or a cache that is not a forward
pass's. The course's names, argument orders, caches and parameter keys are kept, with these
corrections:

- ``lstm_cell_backward`` uses the derivatives of the notebook's later version, derived again.
  With dc = dc_next + da_next ⊙ Γo ⊙ (1 − tanh²(c_next)), the whole gradient of c⟨t⟩:
  dit = dc ⊙ c̃ ⊙ Γi(1 − Γi), dft = dc ⊙ c_prev ⊙ Γf(1 − Γf), dcct = dc ⊙ Γi ⊙ (1 − c̃²).
  The first version printed dc̃ = dc_next ⊙ Γi + Γo(1 − tanh²(c_next)) ⊙ Γi ⊙ da_next ⊙ c̃
  ⊙ (1 − tanh²(c̃)): a stray factor c̃, tanh taken twice, and the derivative applied to the
  second term only. Its dΓi and dΓf also leave dc_next ⊙ c̃ and dc_next ⊙ c_prev out of the
  gate's derivative Γ(1 − Γ), and dΓf reads c̃_prev for c_prev. Its dΓo and dc_prev were right.
- ``lstm_cell_backward`` splits each W into the columns that multiply a_prev, W[:, :n_a], and
  those that multiply xt, W[:, n_a:]. The first version sliced rows, W[:n_a, :] and W[n_a:, :]:
  the first is all of W, the second is empty, and the shapes do not fit.
- ``lstm_backward`` hands da_prev and dc_prev of step t to step t − 1; the first version's loop
  never updated them, so nothing flowed back through time (da0 was the first step's da_prev).
- ``rnn_backward`` and ``lstm_backward`` take T_x from the forward pass and refuse a da of
  another shape. The course takes T_x from da: its LSTM example runs 7 steps forward and passes
  a da of 4, so its loop starts at t = 3 and returns dx for 4 steps (the numbers of a da of 7
  steps whose last 3 are zero, which is how the tests reproduce them).
- ``softmax`` subtracts each column's maximum, not the whole array's: with the course's
  e^(x − max x), a column far below the global maximum underflows to 0/0.
- The bias gradients keep their (n_a, 1) shape (``np.sum(..., axis=1, keepdims=True)``; the
  first version's hint names a ``keep_dims`` argument, which ``np.sum`` refuses).

The first version's ``rnn_cell_backward`` example draws b but uses the ba left over from the
``rnn_forward`` example; its printed gradients are those of that ba, the later version's those
of a fresh ba. Its ``lstm_backward`` numbers are those of its own loop, except dbi, dbc and dbo,
which neither loop gives. ``tests/test_manual_rnn.py`` checks all of them and every forward
number. σ(z) is 1 / (1 + e^(−z)) as in the course, its overflow for z < −709 silenced as it
rounds to the right limit 0 (as in ``models/manual_deep.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "lstm_backward",
    "lstm_cell_backward",
    "lstm_cell_forward",
    "lstm_forward",
    "rnn_backward",
    "rnn_cell_backward",
    "rnn_cell_forward",
    "rnn_forward",
    "sigmoid",
    "softmax",
]

Array = NDArray[np.float64]
Parameters = Mapping[str, Array]
RNNCache = tuple[Array, Array, Array, Parameters]
LSTMCache = tuple[Array, Array, Array, Array, Array, Array, Array, Array, Array, Parameters]
Gradients = dict[str, Array]

GATES = ("f", "i", "c", "o")
RNN_CACHE = "(a_next, a_prev, xt, parameters)"
LSTM_CACHE = "(a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)"


def softmax(x: Array) -> Array:
    """Softmax over axis 0 (each column is a distribution): e^(x − max) / Σ e^(x − max)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError(f"softmax: x needs at least one entry along axis 0, got shape {x.shape}")
    e_x = np.exp(x - np.max(x, axis=0, keepdims=True))
    return e_x / e_x.sum(axis=0, keepdims=True)


def sigmoid(x: Array) -> Array:
    """σ(x) = 1 / (1 + e^(−x)), elementwise (an overflow of e^(−x) rounds to the limit 0)."""
    with np.errstate(over="ignore", under="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def _array(value: object, want: int | tuple[int, ...], name: str, layout: str, func: str) -> Array:
    """``value`` as float64, after checking its number of dimensions (an int) or its shape."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim != want if isinstance(want, int) else array.shape != want:
        layout += "" if isinstance(want, int) else f" = {want}"
        raise ValueError(f"{func}: {name} must be {layout}, got shape {array.shape}")
    return array


def _parameters(parameters: object, n_x: int, lstm: bool, func: str) -> dict[str, Array]:
    """The parameters as float64 arrays, after checking their keys and shapes against n_x."""
    out_W = "Wy" if lstm else "Wya"
    keys = [f"{p}{g}" for g in GATES for p in "Wb"] if lstm else ["Wax", "Waa", "ba"]
    keys += [out_W, "by"]
    if not isinstance(parameters, Mapping) or set(parameters) != set(keys):
        got = sorted(parameters) if isinstance(parameters, Mapping) else parameters
        raise ValueError(f"{func}: parameters must have the keys {sorted(keys)}, got {got!r}")
    # As the course does, read n_y and n_a from the output weights.
    n_y, n_a = _array(parameters[out_W], 2, f"parameters[{out_W!r}]", "(n_y, n_a)", func).shape
    layouts = {"Wax": ("(n_a, n_x)", (n_a, n_x)), "Waa": ("(n_a, n_a)", (n_a, n_a))}
    layouts |= {out_W: ("(n_y, n_a)", (n_y, n_a)), "by": ("(n_y, 1)", (n_y, 1))}
    gate = {"W": ("(n_a, n_a + n_x)", (n_a, n_a + n_x)), "b": ("(n_a, 1)", (n_a, 1))}
    checked = {}
    for key in keys:
        layout, shape = layouts.get(key, gate[key[0]])
        checked[key] = _array(parameters[key], shape, f"parameters[{key!r}]", layout, func)
    return checked


def _unpack(cache: object, layout: str, func: str) -> tuple[object, ...]:
    if not isinstance(cache, tuple) or len(cache) != layout.count(",") + 1:
        raise ValueError(f"{func}: cache must be the tuple {layout} of the forward pass")
    return cache


def rnn_cell_forward(
    xt: Array, a_prev: Array, parameters: Parameters
) -> tuple[Array, Array, RNNCache]:
    """One step: a_next = tanh(Waa·a_prev + Wax·xt + ba), yt_pred = softmax(Wya·a_next + by).

    Args:
        xt: The input at this time step, shape (n_x, m).
        a_prev: The previous hidden state, shape (n_a, m).
        parameters: ``{"Wax", "Waa", "Wya", "ba", "by"}`` of the module docstring's shapes.

    Returns:
        ``(a_next, yt_pred, cache)``: (n_a, m), (n_y, m) and (a_next, a_prev, xt, parameters).
    """
    func = "rnn_cell_forward"
    xt = _array(xt, 2, "xt", "(n_x, m)", func)
    (n_x, m) = xt.shape
    parameters = _parameters(parameters, n_x, False, func)
    n_a = parameters["Waa"].shape[0]
    a_prev = _array(a_prev, (n_a, m), "a_prev", "(n_a, m)", func)
    Wax, Waa, Wya = parameters["Wax"], parameters["Waa"], parameters["Wya"]
    ba, by = parameters["ba"], parameters["by"]
    a_next = np.tanh(np.dot(Waa, a_prev) + np.dot(Wax, xt) + ba)
    yt_pred = softmax(np.dot(Wya, a_next) + by)
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)


def _sequence(x: object, func: str) -> Array:
    x = _array(x, 3, "x", "(n_x, m, T_x)", func)
    if x.shape[2] == 0:
        raise ValueError(f"{func}: x must have at least one time step, got shape {x.shape}")
    return x


def rnn_forward(
    x: Array, a0: Array, parameters: Parameters
) -> tuple[Array, Array, tuple[list[RNNCache], Array]]:
    """The basic RNN over T_x steps: ``rnn_cell_forward`` from a⟨0⟩ = a0, step after step.

    Args:
        x: The inputs, shape (n_x, m, T_x), T_x >= 1.
        a0: The initial hidden state, shape (n_a, m).
        parameters: As for ``rnn_cell_forward``.

    Returns:
        ``(a, y_pred, (caches, x))``: (n_a, m, T_x), (n_y, m, T_x) and the T_x cells' caches.
    """
    func = "rnn_forward"
    x = _sequence(x, func)
    (n_x, m, T_x) = x.shape
    parameters = _parameters(parameters, n_x, False, func)
    (n_y, n_a) = parameters["Wya"].shape
    a0 = _array(a0, (n_a, m), "a0", "(n_a, m)", func)
    caches = []
    a = np.zeros((n_a, m, T_x))
    y_pred = np.zeros((n_y, m, T_x))
    a_next = a0
    for t in range(T_x):
        a_next, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_next, parameters)
        a[:, :, t] = a_next
        y_pred[:, :, t] = yt_pred
        caches.append(cache)
    return a, y_pred, (caches, x)


def lstm_cell_forward(
    xt: Array, a_prev: Array, c_prev: Array, parameters: Parameters
) -> tuple[Array, Array, Array, LSTMCache]:
    """One LSTM step (the gates and states of the module's docstring).

    Args:
        xt: The input at this time step, shape (n_x, m).
        a_prev: The previous hidden state, shape (n_a, m).
        c_prev: The previous memory (cell) state, shape (n_a, m).
        parameters: ``{"Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo", "Wy", "by"}``.

    Returns:
        ``(a_next, c_next, yt_pred, cache)``, with the cache
        ``(a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)``.
    """
    func = "lstm_cell_forward"
    xt = _array(xt, 2, "xt", "(n_x, m)", func)
    (n_x, m) = xt.shape
    parameters = _parameters(parameters, n_x, True, func)
    (n_y, n_a) = parameters["Wy"].shape
    a_prev = _array(a_prev, (n_a, m), "a_prev", "(n_a, m)", func)
    c_prev = _array(c_prev, (n_a, m), "c_prev", "(n_a, m)", func)
    Wf, Wi, Wc, Wo = (parameters[f"W{g}"] for g in GATES)
    bf, bi, bc, bo = (parameters[f"b{g}"] for g in GATES)
    concat = np.concatenate((a_prev, xt), axis=0)
    ft = sigmoid(np.dot(Wf, concat) + bf)
    it = sigmoid(np.dot(Wi, concat) + bi)
    cct = np.tanh(np.dot(Wc, concat) + bc)
    c_next = ft * c_prev + it * cct
    ot = sigmoid(np.dot(Wo, concat) + bo)
    a_next = ot * np.tanh(c_next)
    yt_pred = softmax(np.dot(parameters["Wy"], a_next) + parameters["by"])
    cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)
    return a_next, c_next, yt_pred, cache


def lstm_forward(
    x: Array, a0: Array, parameters: Parameters
) -> tuple[Array, Array, Array, tuple[list[LSTMCache], Array]]:
    """The LSTM over T_x steps: ``lstm_cell_forward`` from a⟨0⟩ = a0 and c⟨0⟩ = 0.

    Args:
        x: The inputs, shape (n_x, m, T_x), T_x >= 1.
        a0: The initial hidden state, shape (n_a, m).
        parameters: As for ``lstm_cell_forward``.

    Returns:
        ``(a, y, c, (caches, x))``: a and c (n_a, m, T_x), y (n_y, m, T_x), the cells' caches.
    """
    func = "lstm_forward"
    x = _sequence(x, func)
    (n_x, m, T_x) = x.shape
    parameters = _parameters(parameters, n_x, True, func)
    (n_y, n_a) = parameters["Wy"].shape
    a0 = _array(a0, (n_a, m), "a0", "(n_a, m)", func)
    caches = []
    a = np.zeros((n_a, m, T_x))
    c = np.zeros((n_a, m, T_x))
    y = np.zeros((n_y, m, T_x))
    a_next = a0
    c_next = np.zeros((n_a, m))
    for t in range(T_x):
        a_next, c_next, yt, cache = lstm_cell_forward(x[:, :, t], a_next, c_next, parameters)
        a[:, :, t] = a_next
        y[:, :, t] = yt
        c[:, :, t] = c_next
        caches.append(cache)
    return a, y, c, (caches, x)


def rnn_cell_backward(da_next: Array, cache: RNNCache) -> Gradients:
    """The basic cell's backward pass, given da_next = ∂L/∂a_next.

    With dtanh = da_next ⊙ (1 − a_next²), the gradient of the pre-activation:

        dxt = Waxᵀ·dtanh,  dWax = dtanh·xtᵀ,  da_prev = Waaᵀ·dtanh,  dWaa = dtanh·a_prevᵀ,
        dba = Σ_examples dtanh  (shape (n_a, 1)).

    Args:
        da_next: The gradient with respect to a_next, shape (n_a, m).
        cache: ``(a_next, a_prev, xt, parameters)`` from ``rnn_cell_forward``.

    Returns:
        ``{"dxt", "da_prev", "dWax", "dWaa", "dba"}``, each of its variable's shape.
    """
    func = "rnn_cell_backward"
    (a_next, a_prev, xt, parameters) = _unpack(cache, RNN_CACHE, func)
    a_next, a_prev, xt = (np.asarray(v, dtype=np.float64) for v in (a_next, a_prev, xt))
    parameters = _parameters(parameters, xt.shape[0], False, func)
    da_next = _array(da_next, a_next.shape, "da_next", "(n_a, m)", func)
    Wax, Waa = parameters["Wax"], parameters["Waa"]
    dtanh = (1 - a_next**2) * da_next
    dxt = np.dot(Wax.T, dtanh)
    dWax = np.dot(dtanh, xt.T)
    da_prev = np.dot(Waa.T, dtanh)
    dWaa = np.dot(dtanh, a_prev.T)
    dba = np.sum(dtanh, axis=1, keepdims=True)
    return {"dxt": dxt, "da_prev": da_prev, "dWax": dWax, "dWaa": dWaa, "dba": dba}


def _sequence_caches(
    caches: object, da: object, layout: str, func: str
) -> tuple[list[Any], Array, Array]:
    """The cells' caches, x and da, after checking da against (n_a, m, T_x) of the forward pass."""
    (cell_caches, x) = _unpack(caches, "(caches, x)", func)
    x = _sequence(x, func)
    (n_x, m, T_x) = x.shape
    if not isinstance(cell_caches, list) or len(cell_caches) != T_x:
        raise ValueError(f"{func}: caches must hold one cache for each of the {T_x} time steps")
    n_a = np.asarray(_unpack(cell_caches[0], layout, func)[0]).shape[0]
    da = _array(da, (n_a, m, T_x), "da", "(n_a, m, T_x)", func)
    return cell_caches, x, da


def rnn_backward(da: Array, caches: tuple[list[RNNCache], Array]) -> Gradients:
    """The basic RNN's backward pass through time.

    Step t receives da⟨t⟩ plus the da_prev of step t + 1 (none for the last step); da0 is what
    flows out of the first step; the parameters' gradients add up over the steps.

    Args:
        da: The gradients with respect to the hidden states, shape (n_a, m, T_x).
        caches: ``(caches, x)`` from ``rnn_forward``.

    Returns:
        ``{"dx", "da0", "dWax", "dWaa", "dba"}``, dx of x's shape (n_x, m, T_x).
    """
    func = "rnn_backward"
    cell_caches, x, da = _sequence_caches(caches, da, RNN_CACHE, func)
    (n_x, m, T_x) = x.shape
    n_a = da.shape[0]
    dx = np.zeros((n_x, m, T_x))
    dWax = np.zeros((n_a, n_x))
    dWaa = np.zeros((n_a, n_a))
    dba = np.zeros((n_a, 1))
    da_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        gradients = rnn_cell_backward(da[:, :, t] + da_prevt, cell_caches[t])
        da_prevt = gradients["da_prev"]
        dx[:, :, t] = gradients["dxt"]
        dWax += gradients["dWax"]
        dWaa += gradients["dWaa"]
        dba += gradients["dba"]
    da0 = da_prevt
    return {"dx": dx, "da0": da0, "dWax": dWax, "dWaa": dWaa, "dba": dba}


def lstm_cell_backward(da_next: Array, dc_next: Array, cache: LSTMCache) -> Gradients:
    """One LSTM step backwards, given da_next = ∂L/∂a_next and dc_next (from step t + 1).

    With dc = dc_next + da_next ⊙ Γo ⊙ (1 − tanh²(c_next)), the whole gradient of c_next, the
    gradients of the gates' pre-activations are

        dot = da_next ⊙ tanh(c_next) ⊙ Γo(1 − Γo),  dcct = dc ⊙ Γi ⊙ (1 − c̃²),
        dit = dc ⊙ c̃ ⊙ Γi(1 − Γi),  dft = dc ⊙ c_prev ⊙ Γf(1 − Γf),

    and for each gate g, dW_g = dg·concatᵀ and db_g = Σ_examples dg. Of Σ_g W_gᵀ·dg, the
    gradient of concat = [a_prev; xt], the first n_a rows are da_prev and the others dxt (so
    da_prev sums W_g[:, :n_a]ᵀ·dg and dxt W_g[:, n_a:]ᵀ·dg); dc_prev = dc ⊙ Γf.

    Args:
        da_next: The gradient with respect to a_next, shape (n_a, m).
        dc_next: The gradient with respect to c_next from outside the cell, shape (n_a, m).
        cache: The cache of ``lstm_cell_forward``.

    Returns:
        ``{"dxt", "da_prev", "dc_prev"}`` and ``"dW"``, ``"db"`` + each gate (f, i, c, o).
    """
    func = "lstm_cell_backward"
    (*states, parameters) = _unpack(cache, LSTM_CACHE, func)
    (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt) = (
        np.asarray(v, dtype=np.float64) for v in states
    )
    (n_x, m) = xt.shape
    (n_a, m) = a_next.shape
    parameters = _parameters(parameters, n_x, True, func)
    da_next = _array(da_next, (n_a, m), "da_next", "(n_a, m)", func)
    dc_next = _array(dc_next, (n_a, m), "dc_next", "(n_a, m)", func)
    tanh_c = np.tanh(c_next)
    dc = dc_next + da_next * ot * (1 - tanh_c**2)
    dot = da_next * tanh_c * ot * (1 - ot)
    dcct = dc * it * (1 - cct**2)
    dit = dc * cct * it * (1 - it)
    dft = dc * c_prev * ft * (1 - ft)
    concat = np.concatenate((a_prev, xt), axis=0)
    gradients = {"dc_prev": dc * ft}
    da_prev, dxt = np.zeros((n_a, m)), np.zeros((n_x, m))
    for g, dg in zip(GATES, (dft, dit, dcct, dot), strict=True):
        W = parameters[f"W{g}"]
        gradients[f"dW{g}"] = np.dot(dg, concat.T)
        gradients[f"db{g}"] = np.sum(dg, axis=1, keepdims=True)
        da_prev += np.dot(W[:, :n_a].T, dg)
        dxt += np.dot(W[:, n_a:].T, dg)
    return {"dxt": dxt, "da_prev": da_prev, **gradients}


def lstm_backward(da: Array, caches: tuple[list[LSTMCache], Array]) -> Gradients:
    """The LSTM's backward pass through time.

    Step t receives da⟨t⟩ plus the da_prev of step t + 1 as da_next and the dc_prev of step
    t + 1 as dc_next (zero for the last step); da0 flows out of the first step; the parameters'
    gradients add up over the steps. (c⟨0⟩ = 0 is not a variable.)

    Args:
        da: The gradients with respect to the hidden states, shape (n_a, m, T_x).
        caches: ``(caches, x)`` from ``lstm_forward``.

    Returns:
        ``{"dx", "da0"}`` and ``"dW"``, ``"db"`` + each gate (f, i, c, o), each of its shape.
    """
    func = "lstm_backward"
    cell_caches, x, da = _sequence_caches(caches, da, LSTM_CACHE, func)
    (n_x, m, T_x) = x.shape
    n_a = da.shape[0]
    dx = np.zeros((n_x, m, T_x))
    totals = {f"dW{g}": np.zeros((n_a, n_a + n_x)) for g in GATES}
    totals |= {f"db{g}": np.zeros((n_a, 1)) for g in GATES}
    da_prevt = np.zeros((n_a, m))
    dc_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        gradients = lstm_cell_backward(da[:, :, t] + da_prevt, dc_prevt, cell_caches[t])
        da_prevt = gradients["da_prev"]
        dc_prevt = gradients["dc_prev"]
        dx[:, :, t] = gradients["dxt"]
        for key, total in totals.items():
            total += gradients[key]
    da0 = da_prevt
    return {"dx": dx, "da0": da0, **totals}
