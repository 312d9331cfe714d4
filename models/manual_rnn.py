"""The course's recurrent networks, a basic RNN and an LSTM, built step by step in plain NumPy.

The independent reference for recurrent cells: like ``models/manual_conv.py``, it imports nothing
from ``tinygrad_lite``, and it is written as the course writes it, one cell at a time in a loop
over the time steps. The layout is the course's, examples as columns and time last: x is
(n_x, m, T_x), the hidden states a are (n_a, m, T_x) and the predictions y are (n_y, m, T_x).
The basic cell, with parameters Wax (n_a, n_x), Waa (n_a, n_a), Wya (n_y, n_a), ba (n_a, 1) and
by (n_y, 1), is

    a⟨t⟩ = tanh(Waa·a⟨t−1⟩ + Wax·x⟨t⟩ + ba),  ŷ⟨t⟩ = softmax(Wya·a⟨t⟩ + by).

The LSTM cell reads concat = [a⟨t−1⟩; x⟨t⟩] through four gates, each with a W of shape
(n_a, n_a + n_x) and a b of shape (n_a, 1), and predicts through Wy (n_y, n_a) and by (n_y, 1):

    Γf = σ(Wf·concat + bf),  Γi = σ(Wi·concat + bi),  c̃ = tanh(Wc·concat + bc),
    c⟨t⟩ = Γf ⊙ c⟨t−1⟩ + Γi ⊙ c̃,  Γo = σ(Wo·concat + bo),  a⟨t⟩ = Γo ⊙ tanh(c⟨t⟩),
    ŷ⟨t⟩ = softmax(Wy·a⟨t⟩ + by),  with c⟨0⟩ = 0 in ``lstm_forward``.

The backward functions return the gradients of a scalar loss L given its gradients with respect
to the hidden states (for L = Σ a ⊙ G, da = G). As in the course they ignore the predictions:
the loss reaches the cells only through da (and dc_next for one LSTM cell), and no gradients
for Wya, Wy or by are computed. They are the gradients of the loss summed over the batch.

The course's functions keep their names, argument orders, caches and parameter names, with these
corrections:

- ``lstm_cell_backward`` uses the derivatives of the notebook's later version, derived again
  here. With dc = dc_next + da_next ⊙ Γo ⊙ (1 − tanh²(c_next)), the whole gradient reaching
  c⟨t⟩, the pre-activation gradients are dit = dc ⊙ c̃ ⊙ Γi(1 − Γi),
  dft = dc ⊙ c_prev ⊙ Γf(1 − Γf), dcct = dc ⊙ Γi ⊙ (1 − c̃²) and
  dot = da_next ⊙ tanh(c_next) ⊙ Γo(1 − Γo). The first version printed
  d c̃ = dc_next ⊙ Γi + Γo(1 − tanh²(c_next)) ⊙ Γi ⊙ da_next ⊙ c̃ ⊙ (1 − tanh²(c̃)), with a
  stray factor c̃, tanh taken twice and the derivative (1 − c̃²) applied to the second term
  only; dΓi and dΓf likewise multiply only the second term by the gate's derivative, and dΓf
  reads c̃_prev for c_prev. (Its dot and dc_prev were right.)
- ``lstm_cell_backward`` splits each W into the columns that multiply a_prev, W[:, :n_a], and
  those that multiply xt, W[:, n_a:]. The first version sliced rows, W[:n_a, :] and W[n_a:, :]:
  the first is all of W, the second is empty, and the shapes do not fit.
- ``lstm_backward`` passes da_prev and dc_prev of step t on to step t − 1; the first version's
  loop never updated them, so no gradient flowed back through time (da0 was the first step's
  da_prev alone).
- ``rnn_backward`` and ``lstm_backward`` take T_x from the forward pass and refuse a da of
  another shape. The course takes T_x from da: the notebook's LSTM example runs 7 steps forward
  and passes a da of 4, so the course's loop starts at step 4 and returns dx for 4 steps (the
  same numbers as a da of 7 steps whose last 3 are zero, which is how the tests reproduce them).
- ``softmax`` subtracts each column's maximum, not the whole array's: the course's
  e^(x − max x) underflows to 0 in every row of a column far below the global maximum, and that
  column becomes 0/0.
- The bias gradients are sums over the examples that keep their (n_a, 1) shape
  (``np.sum(..., axis=1, keepdims=True)``; the first version's hint names a ``keep_dims``
  argument that ``np.sum`` does not have).

The first version's ``rnn_cell_backward`` example draws b but builds its parameters from the ba
left over from the ``rnn_forward`` example; its printed gradients are those of that ba (the later
version draws ba and prints other numbers). ``tests/test_manual_rnn.py`` reproduces both, and
every published forward number. σ(z) is 1 / (1 + e^(−z)) as in the course, its overflow for
z < −709 silenced as it rounds to the right limit 0 (as ``models/manual_deep.py`` does).
"""

from __future__ import annotations

from collections.abc import Mapping

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


def softmax(x: Array) -> Array:
    """Softmax over axis 0 (each column is a distribution): e^(x − max) / Σ e^(x − max).

    Raises:
        ValueError: If x has no entry along axis 0.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError(f"softmax: x needs at least one entry along axis 0, got shape {x.shape}")
    e_x = np.exp(x - np.max(x, axis=0, keepdims=True))
    return e_x / e_x.sum(axis=0, keepdims=True)


def sigmoid(x: Array) -> Array:
    """σ(x) = 1 / (1 + e^(−x)), elementwise (an overflow of e^(−x) rounds to the limit 0)."""
    with np.errstate(over="ignore", under="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def _array(value: object, ndim: int, name: str, layout: str, func: str) -> Array:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim != ndim:
        raise ValueError(f"{func}: {name} must be {layout}, got shape {array.shape}")
    return array


def _shaped(value: object, shape: tuple[int, ...], name: str, layout: str, func: str) -> Array:
    array = np.asarray(value, dtype=np.float64)
    if array.shape != shape:
        raise ValueError(f"{func}: {name} must be {layout} = {shape}, got shape {array.shape}")
    return array


def _parameters(parameters: object, n_x: int, lstm: bool, func: str) -> dict[str, Array]:
    """The parameters as float64 arrays, after checking their keys and shapes against n_x."""
    out_W = "Wy" if lstm else "Wya"
    if lstm:
        keys = [f"{p}{g}" for g in GATES for p in "Wb"] + ["Wy", "by"]
    else:
        keys = ["Wax", "Waa", "Wya", "ba", "by"]
    if not isinstance(parameters, Mapping) or set(parameters) != set(keys):
        got = sorted(parameters) if isinstance(parameters, Mapping) else parameters
        raise ValueError(f"{func}: parameters must have the keys {sorted(keys)}, got {got!r}")
    # The course reads n_y and n_a from the output weights.
    n_y, n_a = _array(parameters[out_W], 2, f"parameters[{out_W!r}]", "(n_y, n_a)", func).shape
    layouts: dict[str, tuple[str, tuple[int, int]]] = {
        out_W: ("(n_y, n_a)", (n_y, n_a)),
        "by": ("(n_y, 1)", (n_y, 1)),
    }
    if lstm:
        for g in GATES:
            layouts[f"W{g}"] = ("(n_a, n_a + n_x)", (n_a, n_a + n_x))
            layouts[f"b{g}"] = ("(n_a, 1)", (n_a, 1))
    else:
        layouts |= {
            "Wax": ("(n_a, n_x)", (n_a, n_x)),
            "Waa": ("(n_a, n_a)", (n_a, n_a)),
            "ba": ("(n_a, 1)", (n_a, 1)),
        }
    return {
        key: _shaped(parameters[key], shape, f"parameters[{key!r}]", layout, func)
        for key, (layout, shape) in layouts.items()
    }


def _unpack(cache: object, size: int, layout: str, func: str) -> tuple[object, ...]:
    if not isinstance(cache, tuple) or len(cache) != size:
        raise ValueError(f"{func}: cache must be the tuple {layout} of the forward pass")
    return cache


def rnn_cell_forward(
    xt: Array, a_prev: Array, parameters: Parameters
) -> tuple[Array, Array, RNNCache]:
    """One step of the basic RNN: a_next = tanh(Waa·a_prev + Wax·xt + ba), ŷ = softmax(Wya·a_next + by).

    Args:
        xt: The input at this time step, shape (n_x, m).
        a_prev: The previous hidden state, shape (n_a, m).
        parameters: ``{"Wax", "Waa", "Wya", "ba", "by"}`` with the module docstring's shapes.

    Returns:
        ``(a_next, yt_pred, (a_next, a_prev, xt, parameters))``, a_next (n_a, m) and yt_pred
        (n_y, m).

    Raises:
        ValueError: If a key is missing or unknown, or a shape does not fit.
    """
    func = "rnn_cell_forward"
    xt = _array(xt, 2, "xt", "(n_x, m)", func)
    (n_x, m) = xt.shape
    parameters = _parameters(parameters, n_x, False, func)
    n_a = parameters["Waa"].shape[0]
    a_prev = _shaped(a_prev, (n_a, m), "a_prev", "(n_a, m)", func)
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
        ``(a, y_pred, (caches, x))``: a (n_a, m, T_x), y_pred (n_y, m, T_x) and the list of the
        T_x cells' caches.

    Raises:
        ValueError: If x is not 3-dimensional or has no time step, or as ``rnn_cell_forward``.
    """
    func = "rnn_forward"
    x = _sequence(x, func)
    (n_x, m, T_x) = x.shape
    parameters = _parameters(parameters, n_x, False, func)
    (n_y, n_a) = parameters["Wya"].shape
    a0 = _shaped(a0, (n_a, m), "a0", "(n_a, m)", func)
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
        ``(a_next, c_next, yt_pred, cache)`` with
        cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters).

    Raises:
        ValueError: If a key is missing or unknown, or a shape does not fit.
    """
    func = "lstm_cell_forward"
    xt = _array(xt, 2, "xt", "(n_x, m)", func)
    (n_x, m) = xt.shape
    parameters = _parameters(parameters, n_x, True, func)
    (n_y, n_a) = parameters["Wy"].shape
    a_prev = _shaped(a_prev, (n_a, m), "a_prev", "(n_a, m)", func)
    c_prev = _shaped(c_prev, (n_a, m), "c_prev", "(n_a, m)", func)
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
        ``(a, y, c, (caches, x))``: a and c (n_a, m, T_x), y (n_y, m, T_x) and the list of the
        T_x cells' caches.

    Raises:
        ValueError: If x is not 3-dimensional or has no time step, or as ``lstm_cell_forward``.
    """
    func = "lstm_forward"
    x = _sequence(x, func)
    (n_x, m, T_x) = x.shape
    parameters = _parameters(parameters, n_x, True, func)
    (n_y, n_a) = parameters["Wy"].shape
    a0 = _shaped(a0, (n_a, m), "a0", "(n_a, m)", func)
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

    Raises:
        ValueError: If the cache is not a forward pass's or da_next not of a_next's shape.
    """
    func = "rnn_cell_backward"
    (a_next, a_prev, xt, parameters) = _unpack(cache, 4, "(a_next, a_prev, xt, parameters)", func)
    a_next, a_prev, xt = (np.asarray(v, dtype=np.float64) for v in (a_next, a_prev, xt))
    parameters = _parameters(parameters, xt.shape[0], False, func)
    da_next = _shaped(da_next, a_next.shape, "da_next", "(n_a, m)", func)
    Wax, Waa = parameters["Wax"], parameters["Waa"]
    dtanh = (1 - a_next**2) * da_next
    dxt = np.dot(Wax.T, dtanh)
    dWax = np.dot(dtanh, xt.T)
    da_prev = np.dot(Waa.T, dtanh)
    dWaa = np.dot(dtanh, a_prev.T)
    dba = np.sum(dtanh, axis=1, keepdims=True)
    return {"dxt": dxt, "da_prev": da_prev, "dWax": dWax, "dWaa": dWaa, "dba": dba}


def _sequence_caches(
    caches: object, da: object, size: int, func: str
) -> tuple[list[tuple[object, ...]], Array, Array]:
    """The cells' caches, x and da, after checking da against (n_a, m, T_x) of the forward pass."""
    (cell_caches, x) = _unpack(caches, 2, "(caches, x)", func)
    x = _sequence(x, func)
    (n_x, m, T_x) = x.shape
    if not isinstance(cell_caches, list) or len(cell_caches) != T_x:
        raise ValueError(f"{func}: caches must hold one cache for each of the {T_x} time steps")
    n_a = np.shape(_unpack(cell_caches[0], size, "of a cell", func)[0])[0]
    da = _shaped(da, (n_a, m, T_x), "da", "(n_a, m, T_x)", func)
    return cell_caches, x, da


def rnn_backward(da: Array, caches: tuple[list[RNNCache], Array]) -> Gradients:
    """The basic RNN's backward pass through time.

    Step t receives da⟨t⟩, the loss's own gradient with respect to a⟨t⟩, plus the gradient
    flowing back from a⟨t+1⟩ (da_prev of step t + 1, zero for the last step); da0 is what flows
    out of the first step, and the parameters' gradients add up over the steps.

    Args:
        da: The gradients with respect to the hidden states, shape (n_a, m, T_x).
        caches: ``(caches, x)`` from ``rnn_forward``.

    Returns:
        ``{"dx", "da0", "dWax", "dWaa", "dba"}``, dx of x's shape (n_x, m, T_x).

    Raises:
        ValueError: If da is not (n_a, m, T_x) of the forward pass, or the caches are not.
    """
    func = "rnn_backward"
    cell_caches, x, da = _sequence_caches(caches, da, 4, func)
    (n_x, m, T_x) = x.shape
    n_a = da.shape[0]
    dx = np.zeros((n_x, m, T_x))
    dWax = np.zeros((n_a, n_x))
    dWaa = np.zeros((n_a, n_a))
    dba = np.zeros((n_a, 1))
    da_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        gradients = rnn_cell_backward(da[:, :, t] + da_prevt, cell_caches[t])  # type: ignore[arg-type]
        da_prevt = gradients["da_prev"]
        dx[:, :, t] = gradients["dxt"]
        dWax += gradients["dWax"]
        dWaa += gradients["dWaa"]
        dba += gradients["dba"]
    da0 = da_prevt
    return {"dx": dx, "da0": da0, "dWax": dWax, "dWaa": dWaa, "dba": dba}


def lstm_cell_backward(da_next: Array, dc_next: Array, cache: LSTMCache) -> Gradients:
    """One LSTM step backwards, given da_next = ∂L/∂a_next and dc_next, the gradient reaching
    c_next from outside the cell (from step t + 1).

    With dc = dc_next + da_next ⊙ Γo ⊙ (1 − tanh²(c_next)), the whole gradient of c_next, the
    gradients of the gates' pre-activations are

        dot = da_next ⊙ tanh(c_next) ⊙ Γo(1 − Γo),  dcct = dc ⊙ Γi ⊙ (1 − c̃²),
        dit = dc ⊙ c̃ ⊙ Γi(1 − Γi),  dft = dc ⊙ c_prev ⊙ Γf(1 − Γf),

    and for each gate g, dW_g = dg·concatᵀ and db_g = Σ_examples dg. Of
    Σ_g W_gᵀ·dg, the gradient of concat = [a_prev; xt], the first n_a rows are da_prev and the
    rest dxt (W_g[:, :n_a] multiplies a_prev, W_g[:, n_a:] multiplies xt); dc_prev = dc ⊙ Γf.

    Args:
        da_next: The gradient with respect to a_next, shape (n_a, m).
        dc_next: The gradient with respect to c_next from outside the cell, shape (n_a, m).
        cache: The cache of ``lstm_cell_forward``.

    Returns:
        ``{"dxt", "da_prev", "dc_prev", "dWf", "dWi", "dWc", "dWo", "dbf", "dbi", "dbc",
        "dbo"}``, each of its variable's shape.

    Raises:
        ValueError: If the cache is not a forward pass's or a gradient not of a_next's shape.
    """
    func = "lstm_cell_backward"
    layout = "(a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)"
    (*states, parameters) = _unpack(cache, 10, layout, func)
    (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt) = (
        np.asarray(v, dtype=np.float64) for v in states
    )
    (n_x, m) = xt.shape
    (n_a, m) = a_next.shape
    parameters = _parameters(parameters, n_x, True, func)
    da_next = _shaped(da_next, (n_a, m), "da_next", "(n_a, m)", func)
    dc_next = _shaped(dc_next, (n_a, m), "dc_next", "(n_a, m)", func)
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

    Step t receives da⟨t⟩ plus the da_prev of step t + 1 as da_next, and the dc_prev of step
    t + 1 as dc_next (both zero for the last step); da0 is what flows out of the first step,
    and the parameters' gradients add up over the steps. (c⟨0⟩ = 0 is not a variable.)

    Args:
        da: The gradients with respect to the hidden states, shape (n_a, m, T_x).
        caches: ``(caches, x)`` from ``lstm_forward``.

    Returns:
        ``{"dx", "da0", "dWf", "dWi", "dWc", "dWo", "dbf", "dbi", "dbc", "dbo"}``, dx of x's
        shape (n_x, m, T_x).

    Raises:
        ValueError: If da is not (n_a, m, T_x) of the forward pass, or the caches are not.
    """
    func = "lstm_backward"
    cell_caches, x, da = _sequence_caches(caches, da, 10, func)
    (n_x, m, T_x) = x.shape
    n_a = da.shape[0]
    dx = np.zeros((n_x, m, T_x))
    totals = {f"dW{g}": np.zeros((n_a, n_a + n_x)) for g in GATES}
    totals |= {f"db{g}": np.zeros((n_a, 1)) for g in GATES}
    da_prevt = np.zeros((n_a, m))
    dc_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        gradients = lstm_cell_backward(da[:, :, t] + da_prevt, dc_prevt, cell_caches[t])  # type: ignore[arg-type]
        da_prevt = gradients["da_prev"]
        dc_prevt = gradients["dc_prev"]
        dx[:, :, t] = gradients["dxt"]
        for key, total in totals.items():
            total += gradients[key]
    da0 = da_prevt
    return {"dx": dx, "da0": da0, **totals}
