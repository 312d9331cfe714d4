"""The elementary functions against PyTorch over grids of special values (optional: needs torch).

Each op runs once on a grid of inputs (NaN, ±∞, ±0, subnormal, tiny, huge, ±1 and its
neighbours) crossed with incoming gradients (1, ±∞, NaN, 1e308, 0), here and in PyTorch, in
float64. Values and gradients must be PyTorch's (NaN for NaN, zeros of the same sign, 1e-12
relative where finite) except for the differences listed in EXCEPTIONS, each of which must
still occur. lerp must equal PyTorch's to the bit, in float64 and float32.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tinygrad_lite import Tensor

torch = pytest.importorskip("torch")

NAN, INF = math.nan, math.inf
SPECIAL = [NAN, INF, -INF, 0.0, -0.0, 5e-324, -5e-324, 1e-200, 0.5, -0.5, 1.0, -1.0, 2.0]
SPECIAL += [-2.0, 30.0, -800.0, 1e200, 1e308, -1e308, 1 - 2**-30, 1 + 2**-30, -1 + 2**-30]
GRADS = [1.0, INF, -INF, NAN, 1e308, 0.0]
PAIRS = [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -2.0, 1e308, 5e-324, 1e-200, 1e200]
WEIGHTS = [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 0.5, 0.25, 0.75, 2.0, 1e308, 5e-324]

UNARY: dict[str, tuple[Callable[[Tensor], Tensor], Callable[[Any], Any]]] = {
    name: (getattr(Tensor, name), getattr(torch, name))
    for name in ["tan", "atan", "asin", "acos", "sinh", "cosh", "asinh", "acosh", "atanh"]
    + ["log2", "log10", "exp2", "sinc", "logit"]
}
UNARY["logit eps=0.1"] = (lambda t: t.logit(0.1), lambda x: torch.logit(x, 0.1))
UNARY["logit eps=0"] = (lambda t: t.logit(0.0), lambda x: torch.logit(x, 0.0))
BINARY = ["atan2", "hypot", "logaddexp", "logaddexp2", "xlogy"]


def _near_one(x: Any, g: Any) -> Any:
    return (np.abs(np.abs(x) - 1) > 0) & (np.abs(np.abs(x) - 1) < 1e-6)


def _minus_zero(x: Any, g: Any) -> Any:
    return (x == 0) & np.signbit(x)


# The documented differences (docs/api/tensor_math.md): (op, what) -> (where, why), where
# being a predicate on the inputs' and incoming gradients' arrays.
EXCEPTIONS: dict[tuple[str, str], tuple[Callable[..., Any], str]] = {
    ("asin", "grad"): (_near_one, "1/√((1 − x)(1 + x)): PyTorch's 1 − x² loses digits"),
    ("acos", "grad"): (_near_one, "as asin"),
    ("atanh", "grad"): (_near_one, "1/((1 − x)(1 + x)): PyTorch's 1 − x² loses digits"),
    ("acosh", "grad"): (
        lambda x, g: _near_one(x, g) | (np.abs(x) > 1e154),
        "√(|x| − 1)·√(|x| + 1): PyTorch's x² − 1 loses digits, and overflows (0 or NaN)",
    ),
    ("asinh", "grad"): (
        lambda x, g: np.abs(x) > 1e154,
        "1/hypot(x, 1) ≈ 1/|x|: PyTorch's x² + 1 overflows (0, or ∞·0 = NaN)",
    ),
    ("sinc", "grad"): (
        lambda x, g: np.abs(x) > 1e154,
        "(cos πx − y)/x: PyTorch divides by πx², which overflows",
    ),
    # PyTorch's logit gradient differs between its one-element kernel and its vectorised one
    # (float64 tensors of 8 elements or more): here always the one-element kernel's answers,
    # +∞ at −0 (vectorised: −∞) and, with eps, NaN at NaN (vectorised: 0)
    ("logit", "grad"): (_minus_zero, "+∞ at −0"),
    ("logit eps=0", "grad"): (lambda x, g: _minus_zero(x, g) | np.isnan(x), "+∞ at −0, NaN"),
    ("logit eps=0.1", "grad"): (lambda x, g: np.isnan(x), "NaN at NaN"),
    ("logaddexp2", "value"): (
        lambda x, y, g: (x == y) & np.isfinite(x),
        "log₂(2·2ˣ) = x + 1 exactly (NumPy's); PyTorch's rounds",
    ),
}


def _differs(a: Any, b: Any) -> np.ndarray:
    """Where a and b differ: NaN against a number, zeros of other signs, 1e-12 relative."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    equal = (np.isnan(a) & np.isnan(b)) | ((a == b) & (np.signbit(a) == np.signbit(b)))
    with np.errstate(all="ignore"):
        close = np.isfinite(a) & np.isfinite(b) & np.isclose(a, b, rtol=1e-12, atol=0)
    return ~(equal | close)


def _run(ours: Callable[..., Tensor], theirs: Callable[..., Any], *columns: Any) -> list[Any]:
    """The values and the inputs' gradients, here and in PyTorch; the last column is g."""
    *inputs, g = columns
    ts = [Tensor(c.copy(), requires_grad=True) for c in inputs]
    with np.errstate(all="ignore"):
        out = ours(*ts)
        out.backward(g)
    tts = [torch.tensor(c, requires_grad=True) for c in inputs]
    tout = theirs(*tts)
    tout.backward(torch.from_numpy(g))
    return [(out.data, tout.detach().numpy())] + [
        (t.grad.data, tt.grad.numpy()) for t, tt in zip(ts, tts, strict=True)
    ]


def _check(name: str, results: list[Any], columns: Any, found: set[Any]) -> list[str]:
    whats = ["value", "grad"] if len(results) == 2 else ["value", "grad x", "grad y"]
    unexplained = []
    for what, (mine, other) in zip(whats, results, strict=False):
        bad = _differs(mine, other)
        if not bad.any():
            continue
        rule = EXCEPTIONS.get((name, what))
        if rule is not None:
            found.add((name, what))
            bad &= ~rule[0](*columns)
        for i in np.flatnonzero(bad)[:5]:
            at = ", ".join(repr(c[i]) for c in columns)
            unexplained.append(f"{name} {what} at {at}: {mine[i]!r} vs PyTorch {other[i]!r}")
    return unexplained


def test_special_values_against_pytorch() -> None:
    found: set[tuple[str, str]] = set()
    unexplained: list[str] = []
    x, g = (np.array(c) for c in zip(*itertools.product(SPECIAL, GRADS), strict=True))
    for name, (ours, theirs) in UNARY.items():
        unexplained += _check(name, _run(ours, theirs, x, g), (x, g), found)
    x, y, g = (np.array(c) for c in zip(*itertools.product(PAIRS, PAIRS, GRADS), strict=True))
    for name in BINARY:
        results = _run(getattr(Tensor, name), getattr(torch, name), x, y, g)
        unexplained += _check(name, results, (x, y, g), found)
    assert not unexplained, "\n".join(unexplained[:30])
    assert found == set(EXCEPTIONS), f"no longer occur: {set(EXCEPTIONS) - found}"


def _bits(a: np.ndarray) -> np.ndarray:
    """The bit patterns, with every NaN as one."""
    return np.where(np.isnan(a), np.nan, a).view(f"u{a.dtype.itemsize}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lerp_equals_pytorchs_to_the_bit(dtype: Any) -> None:
    grid = itertools.product(PAIRS, PAIRS, WEIGHTS)
    with np.errstate(over="ignore"):  # 1e308 is ∞ in float32
        s, e, w = (np.array(c, dtype=dtype) for c in zip(*grid, strict=True))
    rng = np.random.default_rng(0)
    s, e, w = (np.concatenate([v, rng.standard_normal(5000).astype(dtype)]) for v in (s, e, w))
    with np.errstate(all="ignore"):
        ours = Tensor(s).lerp(Tensor(e), Tensor(w)).data
        ours_scalar = Tensor(s).lerp(Tensor(e), 0.7).data
    theirs = torch.lerp(*(torch.from_numpy(v) for v in (s, e, w))).numpy()
    np.testing.assert_array_equal(_bits(ours), _bits(theirs))
    theirs_scalar = torch.lerp(torch.from_numpy(s), torch.from_numpy(e), 0.7).numpy()
    np.testing.assert_array_equal(_bits(ours_scalar), _bits(theirs_scalar))


def test_lerp_gradients_equal_pytorchs() -> None:
    grid = itertools.product(PAIRS, PAIRS, WEIGHTS, [1.0, INF, NAN])
    s, e, w, g = (np.array(c) for c in zip(*grid, strict=True))
    results = _run(lambda a, b, c: a.lerp(b, c), torch.lerp, s, e, w, g)
    for mine, other in results:
        assert not _differs(mine, other).any()
