"""Tests of the hand-derived RNN and LSTM reference in models/manual_rnn.py."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.manual_rnn import (
    lstm_backward,
    lstm_cell_backward,
    lstm_cell_forward,
    lstm_forward,
    rnn_backward,
    rnn_cell_backward,
    rnn_cell_forward,
    rnn_forward,
    sigmoid,
    softmax,
)
from tinygrad_lite.gradcheck import numerical_grad

GATES = ("f", "i", "c", "o")
# The course's LSTM examples draw the gates in this order, each W then its b.
LSTM_ORDER = ("Wf", "bf", "Wi", "bi", "Wo", "bo", "Wc", "bc")


def _printed(array: np.ndarray) -> str:
    """An array as the course's notebooks print it (NumPy's 8 digits), on one line."""
    return np.array2string(array, precision=8, max_line_width=200)


def _printed_scalar(value: float) -> str:
    """A number as the course's first version printed it (12 significant digits)."""
    return f"{value:.12g}"


RNN_SHAPES = {"Wax": (5, 3), "Waa": (5, 5), "Wya": (2, 5), "ba": (5, 1), "by": (2, 1)}


def _rnn_draws(rs: np.random.RandomState, *order: str) -> dict[str, np.ndarray]:
    """The course's RNN parameters (n_x = 3, n_a = 5, n_y = 2), drawn in the given order."""
    return {key: rs.randn(*RNN_SHAPES[key]) for key in order}


def _lstm_draws(rs: np.random.RandomState, n_x: int = 3, n_a: int = 5) -> dict[str, np.ndarray]:
    """The four gates' parameters drawn in the course's order."""
    shapes = {"W": (n_a, n_a + n_x), "b": (n_a, 1)}
    return {key: rs.randn(*shapes[key[0]]) for key in LSTM_ORDER}


# ------------------------------------------------------------------ the course's formulas


def _course_v1_gate_derivatives(
    da_next: np.ndarray, dc_next: np.ndarray, cache: tuple
) -> dict[str, np.ndarray]:
    """Equations (7) to (10) as the first version printed them (c̃_prev read as c_prev)."""
    (_, c_next, _, c_prev, ft, it, cct, ot, _, _) = cache
    dtanh_c = ot * (1 - np.tanh(c_next) ** 2)
    return {
        "dot": da_next * np.tanh(c_next) * ot * (1 - ot),
        "dcct": dc_next * it + dtanh_c * it * da_next * cct * (1 - np.tanh(cct) ** 2),
        "dit": dc_next * cct + dtanh_c * cct * da_next * it * (1 - it),
        "dft": dc_next * c_prev + dtanh_c * c_prev * da_next * ft * (1 - ft),
    }


def _course_v1_lstm_backward(da: np.ndarray, caches: tuple) -> dict[str, np.ndarray]:
    """The first version's lstm_backward: T_x from da, and da_prevt, dc_prevt never updated."""
    (cell_caches, x) = caches
    n_a, m, T_x = da.shape
    n_x = x.shape[0]
    dx = np.zeros((n_x, m, T_x))
    totals = {f"d{p}{g}": 0.0 for p in "Wb" for g in GATES}
    da_prevt, dc_prevt = np.zeros((n_a, m)), np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        gradients = lstm_cell_backward(da[:, :, t] + da_prevt, dc_prevt, cell_caches[t])
        dx[:, :, t] = gradients["dxt"]
        for key in totals:
            totals[key] = totals[key] + gradients[key]
    return {"dx": dx, "da0": gradients["da_prev"], **totals}


# ------------------------------------------------------------------ the course's published checks


def test_rnn_cell_forward_matches_the_course() -> None:
    rs = np.random.RandomState(1)
    xt, a_prev = rs.randn(3, 10), rs.randn(5, 10)
    parameters = _rnn_draws(rs, "Waa", "Wax", "Wya", "ba", "by")
    a_next, yt_pred, cache = rnn_cell_forward(xt, a_prev, parameters)
    assert _printed(a_next[4]) == (
        "[ 0.59584544  0.18141802  0.61311866  0.99808218  0.85016201  0.99980978 -0.18887155"
        "  0.99815551  0.6531151   0.82872037]"
    )
    assert a_next.shape == (5, 10) and yt_pred.shape == (2, 10)
    assert _printed(yt_pred[1]) == (
        "[0.9888161  0.01682021 0.21140899 0.36817467 0.98988387 0.88945212 0.36920224 0.9966312"
        "  0.9982559  0.17746526]"
    )
    assert cache[0] is a_next and len(cache) == 4
    np.testing.assert_array_equal(cache[2], xt)


def _course_rnn_problem() -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """rnn_backward's example: x, a0, the parameters (Wax before Waa) and da."""
    rs = np.random.RandomState(1)
    x, a0 = rs.randn(3, 10, 4), rs.randn(5, 10)
    parameters = _rnn_draws(rs, "Wax", "Waa", "Wya", "ba", "by")
    return x, a0, parameters, rs.randn(5, 10, 4)


def test_rnn_forward_matches_the_course() -> None:
    rs = np.random.RandomState(1)
    x, a0 = rs.randn(3, 10, 4), rs.randn(5, 10)
    parameters = _rnn_draws(rs, "Waa", "Wax", "Wya", "ba", "by")
    a, y_pred, caches = rnn_forward(x, a0, parameters)
    assert a.shape == (5, 10, 4) and y_pred.shape == (2, 10, 4)
    assert _printed(a[4][1]) == "[-0.99999375  0.77911235 -0.99861469 -0.99833267]"
    assert _printed(y_pred[1][3]) == "[0.79560373 0.86224861 0.11118257 0.81515947]"
    assert _printed(caches[1][1][3]) == "[-1.1425182  -0.34934272 -0.20889423  0.58662319]"
    assert len(caches) == 2 and len(caches[0]) == 4


def test_lstm_cell_forward_matches_the_course() -> None:
    rs = np.random.RandomState(1)
    xt, a_prev, c_prev = rs.randn(3, 10), rs.randn(5, 10), rs.randn(5, 10)
    parameters = _lstm_draws(rs)
    parameters |= {"Wy": rs.randn(2, 5), "by": rs.randn(2, 1)}
    a_next, c_next, yt, cache = lstm_cell_forward(xt, a_prev, c_prev, parameters)
    assert _printed(a_next[4]) == (
        "[-0.66408471  0.0036921   0.02088357  0.22834167 -0.85575339  0.00138482  0.76566531"
        "  0.34631421 -0.00215674  0.43827275]"
    )
    assert _printed(c_next[2]) == (
        "[ 0.63267805  1.00570849  0.35504474  0.20690913 -1.64566718  0.11832942  0.76449811"
        " -0.0981561  -0.74348425 -0.26810932]"
    )
    assert _printed(yt[1]) == (
        "[0.79913913 0.15986619 0.22412122 0.15606108 0.97057211 0.31146381 0.00943007 0.12666353"
        " 0.39380172 0.07828381]"
    )
    assert _printed(cache[1][3]) == (
        "[-0.16263996  1.03729328  0.72938082 -0.54101719  0.02752074 -0.30821874  0.07651101"
        " -1.03752894  1.41219977 -0.37647422]"
    )
    assert a_next.shape == c_next.shape == (5, 10) and yt.shape == (2, 10) and len(cache) == 10


def test_lstm_forward_matches_the_course() -> None:
    rs = np.random.RandomState(1)
    x, a0 = rs.randn(3, 10, 7), rs.randn(5, 10)
    parameters = _lstm_draws(rs)
    parameters |= {"Wy": rs.randn(2, 5), "by": rs.randn(2, 1)}
    a, y, c, caches = lstm_forward(x, a0, parameters)
    assert a.shape == c.shape == (5, 10, 7) and y.shape == (2, 10, 7)
    assert _printed_scalar(a[4][3][6]) == "0.172117767533"
    assert _printed_scalar(y[1][4][3]) == "0.95087346185"
    assert _printed_scalar(c[1][2][1]) == "-0.855544916718"
    assert _printed(caches[1][1][1]) == (
        "[ 0.82797464  0.23009474  0.76201118 -0.22232814 -0.20075807  0.18656139  0.41005165]"
    )
    assert len(caches) == 2


def test_rnn_cell_backward_matches_both_versions_of_the_course() -> None:
    rs = np.random.RandomState(1)
    xt, a_prev = rs.randn(3, 10), rs.randn(5, 10)
    parameters = _rnn_draws(rs, "Wax", "Waa", "Wya", "ba", "by")
    da_next = rs.randn(5, 10)
    # The later version: the ba just drawn.
    gradients = rnn_cell_backward(da_next, rnn_cell_forward(xt, a_prev, parameters)[2])
    printed = [
        _printed_scalar(gradients["dxt"][1][2]),
        _printed_scalar(gradients["da_prev"][2][3]),
        _printed_scalar(gradients["dWax"][3][1]),
        _printed_scalar(gradients["dWaa"][1][2]),
        _printed(gradients["dba"][4]),
    ]
    assert printed == [
        "-1.3872130506",
        "-0.152399493774",
        "0.410772824935",
        "1.15034506685",
        "[0.20023491]",
    ]
    shapes = {key: value.shape for key, value in gradients.items()}
    assert shapes == {
        "dxt": (3, 10),
        "da_prev": (5, 10),
        "dWax": (5, 3),
        "dWaa": (5, 5),
        "dba": (5, 1),
    }
    # The first version: the ba left over from the rnn_forward example.
    rs = np.random.RandomState(1)
    for shape in ((3, 10, 4), (5, 10), (5, 5), (5, 3), (2, 5)):
        rs.randn(*shape)
    parameters["ba"] = rs.randn(5, 1)
    gradients = rnn_cell_backward(da_next, rnn_cell_forward(xt, a_prev, parameters)[2])
    assert _printed_scalar(gradients["dxt"][1][2]) == "-0.460564103059"
    assert _printed_scalar(gradients["da_prev"][2][3]) == "0.0842968653807"
    assert _printed_scalar(gradients["dWax"][3][1]) == "0.393081873922"
    assert _printed_scalar(gradients["dWaa"][1][2]) == "-0.28483955787"
    assert _printed(gradients["dba"][4]) == "[0.80517166]"


def test_rnn_backward_matches_the_course() -> None:
    x, a0, parameters, da = _course_rnn_problem()
    gradients = rnn_backward(da, rnn_forward(x, a0, parameters)[2])
    assert _printed(gradients["dx"][1][2]) == "[-2.07101689 -0.59255627  0.02466855  0.01483317]"
    assert _printed_scalar(gradients["da0"][2][3]) == "-0.314942375127"
    assert _printed_scalar(gradients["dWax"][3][1]) == "11.2641044965"
    assert _printed_scalar(gradients["dWaa"][1][2]) == "2.30333312658"
    assert _printed(gradients["dba"][4]) == "[-0.74747722]"
    assert gradients["dx"].shape == (3, 10, 4) and gradients["da0"].shape == (5, 10)


LSTM_PRINTED = (("dWf", (3, 1)), ("dWi", (1, 2)), ("dWc", (3, 1)), ("dWo", (1, 2)))


def test_lstm_cell_backward_matches_the_course() -> None:
    # Both versions of the notebook print these numbers.
    rs = np.random.RandomState(1)
    xt, a_prev, c_prev = rs.randn(3, 10), rs.randn(5, 10), rs.randn(5, 10)
    parameters = _lstm_draws(rs)
    parameters |= {"Wy": rs.randn(2, 5), "by": rs.randn(2, 1)}
    cache = lstm_cell_forward(xt, a_prev, c_prev, parameters)[3]
    da_next, dc_next = rs.randn(5, 10), rs.randn(5, 10)
    gradients = lstm_cell_backward(da_next, dc_next, cache)
    printed = [_printed_scalar(gradients[key][i][j]) for key, (i, j) in LSTM_PRINTED]
    printed += [_printed(gradients[f"db{g}"][4]) for g in GATES]
    assert _printed_scalar(gradients["dxt"][1][2]) == "3.23055911511"
    assert _printed_scalar(gradients["da_prev"][2][3]) == "-0.0639621419711"
    assert _printed_scalar(gradients["dc_prev"][2][3]) == "0.797522038797"
    assert printed == [
        "-0.147954838164",
        "1.05749805523",
        "2.30456216369",
        "0.331311595289",
        "[0.18864637]",
        "[-0.40142491]",
        "[0.25587763]",
        "[0.13893342]",
    ]
    assert gradients["dxt"].shape == (3, 10) and gradients["dc_prev"].shape == (5, 10)
    assert all(gradients[f"dW{g}"].shape == (5, 8) for g in GATES)
    assert all(gradients[f"db{g}"].shape == (5, 1) for g in GATES)


def _course_lstm_problem() -> tuple[tuple, np.ndarray]:
    """lstm_backward's example: 7 steps forward, and a da of 4 steps (no Wy or by drawn)."""
    rs = np.random.RandomState(1)
    x, a0 = rs.randn(3, 10, 7), rs.randn(5, 10)
    parameters = _lstm_draws(rs) | {"Wy": np.zeros((2, 5)), "by": np.zeros((2, 1))}
    caches = lstm_forward(x, a0, parameters)[3]
    return caches, rs.randn(5, 10, 4)


def test_lstm_backward_matches_the_later_version_of_the_course() -> None:
    caches, da = _course_lstm_problem()
    # The course's loop covers the 4 steps of da; the last 3 steps, given no gradient, add none.
    gradients = lstm_backward(np.concatenate((da, np.zeros((5, 10, 3))), axis=2), caches)
    assert not gradients["dx"][:, :, 4:].any()
    assert (
        _printed(gradients["dx"][1][2][:4]) == "[ 0.00218254  0.28205375 -0.48292508 -0.43281115]"
    )
    assert _printed_scalar(gradients["da0"][2][3]) == "0.312770310257"
    printed = [_printed_scalar(gradients[key][i][j]) for key, (i, j) in LSTM_PRINTED]
    printed += [_printed(gradients[f"db{g}"][4]) for g in GATES]
    assert printed == [
        "-0.0809802310938",
        "0.40512433093",
        "-0.0793746735512",
        "0.038948775763",
        "[-0.15745657]",
        "[-0.50848333]",
        "[-0.42510818]",
        "[-0.17958196]",
    ]


def test_the_first_version_lstm_backward_does_not_go_back_through_time() -> None:
    caches, da = _course_lstm_problem()
    course = _course_v1_lstm_backward(da, caches)
    # The first version's numbers, but for its dbi, dbc and dbo ([-0.06997391], [-0.27441821]
    # and [0.16532821]), which neither this loop nor the right one gives.
    assert _printed(course["dx"][1][2]) == "[-0.00173313  0.08287442 -0.30545663 -0.43281115]"
    assert _printed_scalar(course["da0"][2][3]) == "-0.095911501954"
    printed = [_printed_scalar(course[key][i][j]) for key, (i, j) in LSTM_PRINTED]
    assert printed == ["-0.0698198561274", "0.102371820249", "-0.0624983794927", "0.0484389131444"]
    assert _printed(course["dbf"][4]) == "[-0.0565788]"
    ours = lstm_backward(np.concatenate((da, np.zeros((5, 10, 3))), axis=2), caches)
    # Only the last step of da, which nothing comes back to, is the same.
    np.testing.assert_array_equal(course["dx"][:, :, 3], ours["dx"][:, :, 3])
    assert np.max(np.abs(course["da0"] - ours["da0"])) > 0.1
    # Against finite differences, on a small problem of 3 steps.
    rng = np.random.default_rng(3)
    x, a0, G = rng.normal(size=(2, 2, 3)), rng.normal(size=(3, 2)), rng.normal(size=(3, 2, 3))
    parameters = _lstm_parameters(rng, 2, 3, 2)
    caches = lstm_forward(x, a0, parameters)[3]

    def loss() -> float:
        return float(np.sum(lstm_forward(x, a0, parameters)[0] * G))

    for key, value in (("da0", a0), ("dx", x), ("dWf", parameters["Wf"])):
        numerical = numerical_grad(loss, value)
        np.testing.assert_allclose(lstm_backward(G, caches)[key], numerical, rtol=1e-6, atol=1e-7)
        assert np.max(np.abs(_course_v1_lstm_backward(G, caches)[key] - numerical)) > 0.01, key


# ------------------------------------------------------------------ gradients by finite differences


def _check(loss: Callable[[], float], pairs: list[tuple[str, np.ndarray, np.ndarray]]) -> None:
    for name, grad, value in pairs:
        assert grad.shape == value.shape, name
        numerical = numerical_grad(loss, value)
        np.testing.assert_allclose(grad, numerical, rtol=1e-6, atol=1e-7, err_msg=name)


@st.composite
def sizes(draw: st.DrawFn) -> dict[str, int]:
    """n_x, n_a ≤ 4, n_y ≤ 3, m ≤ 3, T_x ≤ 4 and a seed."""
    names_ranges = (("n_x", 4), ("n_a", 4), ("n_y", 3), ("m", 3), ("T_x", 4))
    drawn = {name: draw(st.integers(1, top)) for name, top in names_ranges}
    return drawn | {"seed": draw(st.integers(0, 2**32 - 1))}


def _rnn_parameters(rng: np.random.Generator, n_x: int, n_a: int, n_y: int) -> dict:
    shapes = {"Wax": (n_a, n_x), "Waa": (n_a, n_a), "Wya": (n_y, n_a), "ba": (n_a, 1)}
    return {key: rng.normal(size=shape) for key, shape in (shapes | {"by": (n_y, 1)}).items()}


def _lstm_parameters(rng: np.random.Generator, n_x: int, n_a: int, n_y: int) -> dict:
    parameters = {f"W{g}": rng.normal(size=(n_a, n_a + n_x)) for g in GATES}
    parameters |= {f"b{g}": rng.normal(size=(n_a, 1)) for g in GATES}
    return parameters | {"Wy": rng.normal(size=(n_y, n_a)), "by": rng.normal(size=(n_y, 1))}


@settings(max_examples=15)
@given(sizes())
def test_rnn_cell_backward_matches_finite_differences(s: dict[str, int]) -> None:
    rng = np.random.default_rng(s["seed"])
    xt, a_prev = rng.normal(size=(s["n_x"], s["m"])), rng.normal(size=(s["n_a"], s["m"]))
    parameters = _rnn_parameters(rng, s["n_x"], s["n_a"], s["n_y"])
    G = rng.normal(size=(s["n_a"], s["m"]))
    gradients = rnn_cell_backward(G, rnn_cell_forward(xt, a_prev, parameters)[2])

    def loss() -> float:
        return float(np.sum(rnn_cell_forward(xt, a_prev, parameters)[0] * G))

    pairs = [("dxt", gradients["dxt"], xt), ("da_prev", gradients["da_prev"], a_prev)]
    pairs += [(f"d{k}", gradients[f"d{k}"], parameters[k]) for k in ("Wax", "Waa", "ba")]
    _check(loss, pairs)


@settings(max_examples=15)
@given(sizes())
def test_rnn_backward_matches_finite_differences(s: dict[str, int]) -> None:
    rng = np.random.default_rng(s["seed"])
    x, a0 = rng.normal(size=(s["n_x"], s["m"], s["T_x"])), rng.normal(size=(s["n_a"], s["m"]))
    parameters = _rnn_parameters(rng, s["n_x"], s["n_a"], s["n_y"])
    G = rng.normal(size=(s["n_a"], s["m"], s["T_x"]))
    gradients = rnn_backward(G, rnn_forward(x, a0, parameters)[2])

    def loss() -> float:
        return float(np.sum(rnn_forward(x, a0, parameters)[0] * G))

    pairs = [("dx", gradients["dx"], x), ("da0", gradients["da0"], a0)]
    pairs += [(f"d{k}", gradients[f"d{k}"], parameters[k]) for k in ("Wax", "Waa", "ba")]
    _check(loss, pairs)


@settings(max_examples=12)
@given(sizes())
def test_lstm_cell_backward_matches_finite_differences(s: dict[str, int]) -> None:
    rng = np.random.default_rng(s["seed"])
    xt = rng.normal(size=(s["n_x"], s["m"]))
    a_prev, c_prev = rng.normal(size=(2, s["n_a"], s["m"]))
    parameters = _lstm_parameters(rng, s["n_x"], s["n_a"], s["n_y"])
    G_a, G_c = rng.normal(size=(2, s["n_a"], s["m"]))
    cache = lstm_cell_forward(xt, a_prev, c_prev, parameters)[3]
    gradients = lstm_cell_backward(G_a, G_c, cache)

    def loss() -> float:
        a_next, c_next, _, _ = lstm_cell_forward(xt, a_prev, c_prev, parameters)
        return float(np.sum(a_next * G_a) + np.sum(c_next * G_c))

    pairs = [(key, gradients[key], value) for key, value in (("dxt", xt), ("da_prev", a_prev))]
    pairs += [("dc_prev", gradients["dc_prev"], c_prev)]
    pairs += [(f"d{k}", gradients[f"d{k}"], parameters[k]) for k in LSTM_ORDER]
    _check(loss, pairs)


@settings(max_examples=10)
@given(sizes())
def test_lstm_backward_matches_finite_differences(s: dict[str, int]) -> None:
    rng = np.random.default_rng(s["seed"])
    x, a0 = rng.normal(size=(s["n_x"], s["m"], s["T_x"])), rng.normal(size=(s["n_a"], s["m"]))
    parameters = _lstm_parameters(rng, s["n_x"], s["n_a"], s["n_y"])
    G = rng.normal(size=(s["n_a"], s["m"], s["T_x"]))
    gradients = lstm_backward(G, lstm_forward(x, a0, parameters)[3])

    def loss() -> float:
        return float(np.sum(lstm_forward(x, a0, parameters)[0] * G))

    pairs = [("dx", gradients["dx"], x), ("da0", gradients["da0"], a0)]
    pairs += [(f"d{k}", gradients[f"d{k}"], parameters[k]) for k in LSTM_ORDER]
    _check(loss, pairs)


# ------------------------------------------------------------------ the corrections


def _small_lstm_cell(seed: int) -> tuple[dict, tuple, np.ndarray, np.ndarray]:
    """Parameters, (xt, a_prev, c_prev) and the loss's G_a, G_c: n_x = 2, n_a = 3, m = 3."""
    rng = np.random.default_rng(seed)
    xt, a_prev, c_prev = rng.normal(size=(2, 3)), rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    parameters = _lstm_parameters(rng, 2, 3, 2)
    return parameters, (xt, a_prev, c_prev), rng.normal(size=(3, 3)), rng.normal(size=(3, 3))


def test_the_first_version_gate_derivatives_are_wrong() -> None:
    parameters, (xt, a_prev, c_prev), G_a, G_c = _small_lstm_cell(7)
    cache = lstm_cell_forward(xt, a_prev, c_prev, parameters)[3]

    def loss() -> float:
        a_next, c_next, _, _ = lstm_cell_forward(xt, a_prev, c_prev, parameters)
        return float(np.sum(a_next * G_a) + np.sum(c_next * G_c))

    course = _course_v1_gate_derivatives(G_a, G_c, cache)
    concat = np.concatenate((a_prev, xt), axis=0)
    for gate, name in zip(GATES, ("dft", "dit", "dcct", "dot"), strict=True):
        numerical = numerical_grad(loss, parameters[f"W{gate}"])
        np.testing.assert_allclose(
            lstm_cell_backward(G_a, G_c, cache)[f"dW{gate}"], numerical, rtol=1e-6, atol=1e-7
        )
        error = np.max(np.abs(np.dot(course[name], concat.T) - numerical))
        if gate == "o":  # equation (7) was right
            assert error < 1e-6
        else:
            assert error > 0.05, name
    # Without a gradient from the next cell (dc_next = 0) the printed dit and dft are right:
    # only the missing parentheses were wrong. The printed dcct stays wrong.
    course = _course_v1_gate_derivatives(G_a, np.zeros_like(G_c), cache)
    _, c_next, _, _, ft, it, cct, ot, _, _ = cache
    dc = G_a * ot * (1 - np.tanh(c_next) ** 2)
    np.testing.assert_allclose(course["dit"], dc * cct * it * (1 - it), rtol=1e-12)
    np.testing.assert_allclose(course["dft"], dc * c_prev * ft * (1 - ft), rtol=1e-12)
    assert np.max(np.abs(course["dcct"] - dc * it * (1 - cct**2))) > 0.01


def test_the_weights_are_split_by_columns_not_rows() -> None:
    parameters, (xt, a_prev, c_prev), G_a, G_c = _small_lstm_cell(8)
    cache = lstm_cell_forward(xt, a_prev, c_prev, parameters)[3]
    gradients = lstm_cell_backward(G_a, G_c, cache)
    n_a, dg = 3, np.ones((3, 3))
    # The first version's W[:n_a, :] is all of W (it has n_a rows): a "da_prev" of n_a + n_x rows,
    assert sum(np.dot(parameters[f"W{g}"][:n_a, :].T, dg) for g in GATES).shape == (5, 3)
    # and its W[n_a:, :] has no row at all.
    with pytest.raises(ValueError, match="not aligned"):
        np.dot(parameters["Wf"][n_a:, :].T, dg)
    assert gradients["da_prev"].shape == (3, 3) and gradients["dxt"].shape == (2, 3)


def test_softmax_normalises_each_column_by_its_own_maximum() -> None:
    x = np.array([[0.0, -1000.0], [1.0, -1000.0]])
    np.testing.assert_allclose(softmax(x), [[1 / (1 + np.e), 0.5], [np.e / (1 + np.e), 0.5]])
    with np.errstate(invalid="ignore"):
        e_x = np.exp(x - np.max(x))  # the course's softmax
        course = e_x / e_x.sum(axis=0)
    assert np.isnan(course[:, 1]).all()
    assert softmax(np.array([3.0])).tolist() == [1.0]


def test_sigmoid_is_the_course_formula_without_overflow_warnings() -> None:
    x = np.array([-1000.0, -5.0, 0.0, 5.0, 1000.0])
    np.testing.assert_array_equal(sigmoid(x)[1:4], 1 / (1 + np.exp(-x[1:4])))
    assert sigmoid(x)[[0, 2, 4]].tolist() == [0.0, 0.5, 1.0]


def test_bias_gradients_keep_their_column_shape() -> None:
    parameters, (xt, a_prev, c_prev), G_a, G_c = _small_lstm_cell(9)
    gradients = lstm_cell_backward(G_a, G_c, lstm_cell_forward(xt, a_prev, c_prev, parameters)[3])
    assert all(gradients[f"db{g}"].shape == (3, 1) for g in GATES)
    with pytest.raises(TypeError):
        np.sum(np.ones((2, 2)), axis=1, keep_dims=True)  # the first version's hint


# ------------------------------------------------------------------ refusals


def _rnn() -> dict[str, np.ndarray]:
    """n_x = 2, n_a = 3, n_y = 2 (and m = 4 in the inputs below)."""
    return _rnn_parameters(np.random.default_rng(0), 2, 3, 2)


def _lstm() -> dict[str, np.ndarray]:
    return _lstm_parameters(np.random.default_rng(0), 2, 3, 2)


def _without(parameters: dict, key: str) -> dict:
    return {k: v for k, v in parameters.items() if k != key}


_X, _A = np.ones((2, 4)), np.ones((3, 4))
_RNN_CACHE = rnn_cell_forward(_X, _A, _rnn())[2]
_RNN_CACHES = rnn_forward(np.ones((2, 4, 7)), _A, _rnn())[2]
_LSTM_CACHE = lstm_cell_forward(_X, _A, _A, _lstm())[3]
_LSTM_CACHES = lstm_forward(np.ones((2, 4, 7)), _A, _lstm())[3]
BAD_INPUT: list[tuple[Callable[[], object], str]] = [
    (
        lambda: softmax(np.zeros((0, 3))),
        "softmax: x needs at least one entry along axis 0, got shape (0, 3)",
    ),
    (
        lambda: softmax(np.float64(1.0)),
        "softmax: x needs at least one entry along axis 0, got shape ()",
    ),
    (
        lambda: rnn_cell_forward(np.ones(2), _A, _rnn()),
        "rnn_cell_forward: xt must be (n_x, m), got shape (2,)",
    ),
    (
        lambda: rnn_cell_forward(_X, _A, _without(_rnn(), "by")),
        "rnn_cell_forward: parameters must have the keys ['Waa', 'Wax', 'Wya', 'ba', 'by'], "
        "got ['Waa', 'Wax', 'Wya', 'ba']",
    ),
    (
        lambda: rnn_cell_forward(_X, _A, _rnn() | {"Wax": np.ones((2, 3))}),
        "rnn_cell_forward: parameters['Wax'] must be (n_a, n_x) = (3, 2), got shape (2, 3)",
    ),
    (
        lambda: rnn_cell_forward(_X, _A, _rnn() | {"Wya": np.ones(3)}),
        "rnn_cell_forward: parameters['Wya'] must be (n_y, n_a), got shape (3,)",
    ),
    (
        lambda: rnn_cell_forward(_X, _A, _rnn() | {"ba": np.ones(3)}),
        "rnn_cell_forward: parameters['ba'] must be (n_a, 1) = (3, 1), got shape (3,)",
    ),
    (
        lambda: rnn_cell_forward(_X, np.ones((3, 5)), _rnn()),
        "rnn_cell_forward: a_prev must be (n_a, m) = (3, 4), got shape (3, 5)",
    ),
    (
        lambda: rnn_forward(_X, _A, _rnn()),
        "rnn_forward: x must be (n_x, m, T_x), got shape (2, 4)",
    ),
    (
        lambda: rnn_forward(np.ones((2, 4, 0)), _A, _rnn()),
        "rnn_forward: x must have at least one time step, got shape (2, 4, 0)",
    ),
    (
        lambda: rnn_forward(np.ones((2, 4, 3)), np.ones((4, 3)), _rnn()),
        "rnn_forward: a0 must be (n_a, m) = (3, 4), got shape (4, 3)",
    ),
    (
        lambda: lstm_cell_forward(_X, _A, _A, _without(_lstm(), "Wi") | {"Wu": _lstm()["Wi"]}),
        "lstm_cell_forward: parameters must have the keys ['Wc', 'Wf', 'Wi', 'Wo', 'Wy', 'bc', "
        "'bf', 'bi', 'bo', 'by'], got ['Wc', 'Wf', 'Wo', 'Wu', 'Wy', 'bc', 'bf', 'bi', 'bo', 'by']",
    ),
    (
        lambda: lstm_cell_forward(_X, _A, _A, _lstm() | {"Wc": np.ones((3, 2))}),
        "lstm_cell_forward: parameters['Wc'] must be (n_a, n_a + n_x) = (3, 5), got shape (3, 2)",
    ),
    (
        lambda: lstm_cell_forward(_X, _A, np.ones((3, 1)), _lstm()),
        "lstm_cell_forward: c_prev must be (n_a, m) = (3, 4), got shape (3, 1)",
    ),
    (
        lambda: lstm_cell_forward(_X, _A, _A, [1, 2]),
        "lstm_cell_forward: parameters must have the keys ['Wc', 'Wf', 'Wi', 'Wo', 'Wy', 'bc', "
        "'bf', 'bi', 'bo', 'by'], got [1, 2]",
    ),
    (
        lambda: lstm_forward(np.ones((2, 4, 3)), np.ones((3, 4, 1)), _lstm()),
        "lstm_forward: a0 must be (n_a, m) = (3, 4), got shape (3, 4, 1)",
    ),
    (
        lambda: rnn_cell_backward(np.ones((4, 3)), _RNN_CACHE),
        "rnn_cell_backward: da_next must be (n_a, m) = (3, 4), got shape (4, 3)",
    ),
    (
        lambda: rnn_cell_backward(_A, _RNN_CACHE[:3]),
        "rnn_cell_backward: cache must be the tuple (a_next, a_prev, xt, parameters) of the "
        "forward pass",
    ),
    (
        # The course takes T_x from da: a da of 4 steps for 7 would give dx for 4 steps.
        lambda: rnn_backward(np.ones((3, 4, 4)), _RNN_CACHES),
        "rnn_backward: da must be (n_a, m, T_x) = (3, 4, 7), got shape (3, 4, 4)",
    ),
    (
        lambda: rnn_backward(np.ones((3, 4, 7)), (_RNN_CACHES[0][:6], _RNN_CACHES[1])),
        "rnn_backward: caches must hold one cache for each of the 7 time steps",
    ),
    (
        lambda: rnn_backward(np.ones((3, 4, 7)), _RNN_CACHES[0]),
        "rnn_backward: cache must be the tuple (caches, x) of the forward pass",
    ),
    (
        lambda: lstm_cell_backward(_A, np.ones((3, 5)), _LSTM_CACHE),
        "lstm_cell_backward: dc_next must be (n_a, m) = (3, 4), got shape (3, 5)",
    ),
    (
        lambda: lstm_cell_backward(np.ones(3), _A, _LSTM_CACHE),
        "lstm_cell_backward: da_next must be (n_a, m) = (3, 4), got shape (3,)",
    ),
    (
        lambda: lstm_cell_backward(_A, _A, _RNN_CACHE),
        "lstm_cell_backward: cache must be the tuple (a_next, c_next, a_prev, c_prev, ft, it, "
        "cct, ot, xt, parameters) of the forward pass",
    ),
    (
        lambda: lstm_backward(np.ones((3, 4, 4)), _LSTM_CACHES),
        "lstm_backward: da must be (n_a, m, T_x) = (3, 4, 7), got shape (3, 4, 4)",
    ),
    (
        lambda: lstm_backward(np.ones((3, 4, 7)), _RNN_CACHES),
        "lstm_backward: cache must be the tuple (a_next, c_next, a_prev, c_prev, ft, it, cct, "
        "ot, xt, parameters) of the forward pass",
    ),
]


@pytest.mark.parametrize(("call", "message"), BAD_INPUT)
def test_bad_input_is_refused(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        call()
