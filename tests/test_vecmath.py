"""vecmath: the fused backend's exp, expm1, log, log1p, tanh, sigmoid and sign, against NumPy.

Each function runs inside one numba loop compiled as the fused kernels are (NumPy's error
model, FMA contraction allowed) over a grid of ±0, subnormals, powers of ten up to 1e308, the
overflow and underflow boundaries of exp, the region where tanh rounds to ±1, dense ranges and
random points. The error is counted in ulps: the number of float64 values between the result
and NumPy's.
"""

from __future__ import annotations

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from tinygrad_lite.fused import vecmath  # noqa: E402

MAX_ULP = 4
NAMES = ("exp", "expm1", "log", "log1p", "tanh", "sigmoid")


@numba.njit(error_model="numpy", fastmath={"contract"})
def _all(x, out):  # pragma: no cover - compiled
    for i in range(x.shape[0]):
        v = x[i]
        out[0, i] = vecmath.exp(v)
        out[1, i] = vecmath.expm1(v)
        out[2, i] = vecmath.log(v)
        out[3, i] = vecmath.log1p(v)
        out[4, i] = vecmath.tanh(v)
        out[5, i] = vecmath.sigmoid(v)


def _sigmoid_reference(x: np.ndarray) -> np.ndarray:
    """σ(x) in extended precision (where the platform has it), rounded once to float64."""
    xl = x.astype(np.longdouble)
    e = np.exp(-np.abs(xl))
    return (np.where(xl >= 0, 1, e) / (1 + e)).astype(np.float64)


REFERENCES = {
    "exp": np.exp,
    "expm1": np.expm1,
    "log": np.log,
    "log1p": np.log1p,
    "tanh": np.tanh,
    "sigmoid": _sigmoid_reference,
}


def grid() -> np.ndarray:
    rng = np.random.default_rng(0)
    tiny = np.array([0.0, 5e-324, 1e-320, 2.2250738585072009e-308, 2.2250738585072014e-308])
    powers = 10.0 ** np.arange(-308, 309)
    boundaries = np.array(
        [
            709.78,
            709.782712893384,
            709.79,
            710.0,
            -708.39,
            -708.4,
            -744.44,
            -745.13,
            -745.14,
            -746.0,
            0.34657359027997264,
            0.5493061443340549,
            1.0397,
            18.0,
            19.06,
            20.0,
            22.0,
            36.7,
            37.5,
            40.0,
            1e-8,
            3.7e-9,
            2.0**-28,
            0.5,
            1.0,
            2.0,
            -0.5,
        ]
    )
    parts = [tiny, powers, boundaries, np.linspace(0, 800, 100_001)[1:]]
    parts += [np.abs(rng.standard_normal(50_000)) * s for s in (1e-10, 1e-3, 0.1, 1, 10, 300)]
    parts += [np.exp(rng.uniform(-745, 709, 100_000))]  # every binade, log-uniform
    positive = np.concatenate(parts)
    return np.concatenate([positive, -positive, [np.inf, -np.inf, np.nan, -0.0]])


def ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """The distance in float64 steps (NaN to NaN and equal values: 0; ±0 are one value)."""

    def key(v: np.ndarray) -> np.ndarray:
        b = v.view(np.int64)
        return np.where(b < 0, -(b & np.int64(0x7FFFFFFFFFFFFFFF)), b)

    same = (got == want) | (np.isnan(got) & np.isnan(want))
    with np.errstate(over="ignore"):
        d = np.abs(key(got) - key(want)).astype(np.float64)
    d[np.isnan(got) != np.isnan(want)] = np.inf
    return np.where(same, 0.0, d)


@pytest.fixture(scope="module")
def results() -> tuple[np.ndarray, np.ndarray]:
    x = grid()
    out = np.empty((len(NAMES), x.size))
    _all(x, out)
    return x, out


@pytest.mark.parametrize("name", NAMES)
def test_within_4_ulp_of_numpy(results, name: str) -> None:
    x, out = results
    got = out[NAMES.index(name)]
    with np.errstate(all="ignore"):
        want = REFERENCES[name](x)
    d = ulps(got, want)
    worst = int(np.argmax(d))
    print(f"{name}: max {d[worst]:.0f} ulp at x = {x[worst]!r} over {x.size} points")
    assert d[worst] <= MAX_ULP, f"{name}({x[worst]!r}) = {got[worst]!r}, NumPy: {want[worst]!r}"


@pytest.mark.parametrize("name", NAMES)
def test_special_values_are_numpys_exactly(results, name: str) -> None:
    x, out = results
    got = out[NAMES.index(name)]
    with np.errstate(all="ignore"):
        want = REFERENCES[name](x)
    special = ~np.isfinite(want) | (want == 0) | ~np.isfinite(x) | (x == 0)
    np.testing.assert_array_equal(got[special], want[special])
    zero = special & (want == 0)
    np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(want[zero]))


def test_a_checker_that_can_fail(results) -> None:
    x, out = results
    wrong = out[NAMES.index("tanh")] * (1 + 5 * np.finfo(np.float64).eps)
    assert ulps(wrong, np.tanh(x)).max() > MAX_ULP


def test_the_loop_around_them_is_vectorised() -> None:
    """No call to a scalar libm function: LLVM turns the loop into vector instructions."""
    ir = "".join(_all.inspect_llvm().values())
    assert "x double>" in ir  # e.g. <4 x double> (AVX2), <8 x double> (AVX-512), <2 x ...>
    for libm in ("@tanh(", "@exp(", "@log(", "@log1p(", "@expm1("):
        assert libm not in ir


@numba.njit(error_model="numpy", fastmath={"contract"})
def _signs(x, out):  # pragma: no cover - compiled
    for i in range(x.shape[0]):
        out[i] = vecmath.sign(x[i])


def test_sign_is_numpys_exactly() -> None:
    """sign is exact: the same value as np.sign everywhere, ±0 and NaN included."""
    x = grid()
    got = np.empty_like(x)
    _signs(x, got)
    want = np.sign(x)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
