"""Remainders and rounded quotients: `%`, fmod, `//` and div's rounding modes, as PyTorch's."""

from __future__ import annotations

import math
import operator

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor

# Dividends and divisors whose float results Python computes exactly as C's fmod and floor
# division do: Python's own `%` and `//` are the reference (PyTorch's are the same functions).
DIVIDENDS = [-7.5, -7.0, -6.0, -1.0, -0.0, 0.0, 0.3, 1.0, 5.0, 7.0, 1e300, -5e-324]
DIVISORS = [-3.0, -2.0, -0.7, 0.1, 0.7, 2.0, 3.0, math.inf, -math.inf]


def pairs() -> tuple[np.ndarray, np.ndarray]:
    x, y = np.meshgrid(DIVIDENDS, DIVISORS, indexing="ij")
    return x.ravel(), y.ravel()


def test_float_remainder_and_floor_division_are_pythons() -> None:
    x, y = pairs()
    rem = (Tensor(x) % Tensor(y)).data
    quo = (Tensor(x) // Tensor(y)).data
    for a, b, r, q in zip(x, y, rem, quo, strict=True):
        expected_q = a // b
        assert q == expected_q or (math.isnan(q) and math.isnan(expected_q)), (a, b)
        if a % b != 0:  # Python gives every zero the divisor's sign (below: PyTorch's rule)
            assert r == a % b, (a, b, r, a % b)
    assert (Tensor(np.array([1.0])) // 0.1).item() == 9.0  # ⌊1/0.1⌋ rounded would be 10


def test_a_zero_remainder_keeps_the_dividends_sign_as_pytorchs() -> None:
    r = Tensor([-6.0, 6.0, -6.0, 6.0, -0.0]) % Tensor([3.0, 3.0, -3.0, -3.0, 5.0])
    assert np.signbit(r.data).tolist() == [True, False, True, False, True]
    f = Tensor([-6.0, 6.0]).fmod(Tensor([-3.0, 3.0]))
    assert np.signbit(f.data).tolist() == [True, False]


def test_fmod_and_trunc_take_the_dividends_sign() -> None:
    x, y = pairs()
    got = Tensor(x).fmod(Tensor(y)).data
    np.testing.assert_array_equal(got, np.fmod(x, y))
    t = Tensor(x).div(Tensor(y), rounding_mode="trunc").data
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(t, np.trunc(x / y))


@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.uint8])
def test_integers_stay_integers_and_round_as_python(dtype: type) -> None:
    lo = 0 if dtype is np.uint8 else -9
    a = np.arange(lo, 10).astype(dtype)
    b = np.array([d for d in range(-4, 5) if d != 0 and (d > 0 or dtype is not np.uint8)], dtype)
    x, y = (v.ravel() for v in np.meshgrid(a, b, indexing="ij"))
    for name, fn, ref in [
        ("%", operator.mod, lambda p, q: p % q),
        ("//", operator.floordiv, lambda p, q: p // q),
        ("fmod", lambda s, t: s.fmod(t), lambda p, q: int(math.fmod(p, q))),
        ("trunc", lambda s, t: s.div(t, rounding_mode="trunc"), lambda p, q: int(p / q)),
        ("floor", lambda s, t: s.div(t, rounding_mode="floor"), lambda p, q: p // q),
    ]:
        got = fn(Tensor(x), Tensor(y))
        assert got.dtype == np.dtype(dtype), name
        expected = [ref(int(p), int(q)) for p, q in zip(x, y, strict=True)]
        assert got.data.tolist() == expected, name


def test_gradients_are_one_and_minus_the_rounded_quotient() -> None:
    x = Tensor([7.0, -7.0, 7.5, 3.0], requires_grad=True)
    y = Tensor([2.0, 2.0, -2.0, -3.0], requires_grad=True)
    (x % y).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0, 1.0]
    assert y.grad.tolist() == [-3.0, 4.0, 4.0, 1.0]  # −⌊x/y⌋
    x.grad = y.grad = None
    x.fmod(y).sum().backward()
    assert y.grad.tolist() == [-3.0, 3.0, 3.0, 1.0]  # −trunc(x/y)
    # broadcasting: the divisor's gradient sums over the rows it was stretched along
    w = Tensor([[3.5], [-3.5]], requires_grad=True)
    d = Tensor([2.0, 3.0], requires_grad=True)
    (w % d).sum().backward()
    assert w.grad.tolist() == [[2.0], [2.0]] and d.grad.tolist() == [-(1 - 2), -(1 - 2)]


def test_rounded_quotients_have_no_gradient() -> None:
    x = Tensor([7.0, -7.0], requires_grad=True)
    for q in (x // 2, 7.0 // x, x.div(2, rounding_mode="floor"), tg.floor_divide(x, 2)):
        assert not q.requires_grad
    assert x.div(2).requires_grad  # true division keeps its gradient


def test_python_numbers_are_weak_and_reflected_operands_work() -> None:
    i = Tensor(np.array([7, -7], dtype=np.int32))
    assert (i % 2).dtype == np.int32 and (i // 2).dtype == np.int32
    assert (i % 2.5).dtype == np.float64 and (i % 2.5).tolist() == [2.0, 0.5]
    assert (Tensor(np.array([7.0], np.float32)) % 2).dtype == np.float32
    assert (9 % Tensor([4, -4])).tolist() == [1, -3] and (9 // Tensor([4, -4])).tolist() == [2, -3]
    assert tg.remainder(Tensor([5.0]), 3).tolist() == [2.0]
    assert tg.fmod(Tensor([-5.0]), 3).tolist() == [-2.0]
    assert tg.div(Tensor([-5]), 2, rounding_mode="trunc").tolist() == [-2]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: Tensor([1, 2]) % Tensor([1, 0]), ZeroDivisionError, "remainder: integer division"),
        (lambda: Tensor([1]) // 0, ZeroDivisionError, r"//: integer division by zero"),
        (lambda: Tensor([1]).fmod(0), ZeroDivisionError, "fmod: integer division by zero"),
        (
            lambda: Tensor([3]).div(Tensor([0]), rounding_mode="trunc"),
            ZeroDivisionError,
            "div: integer division by zero",
        ),
        (lambda: Tensor([True]) % Tensor([True]), TypeError, "remainder: not defined for two bool"),
        (lambda: Tensor([True]) // True, TypeError, r"//: not defined for two bool"),
        (
            lambda: Tensor([1.0]).div(2, rounding_mode="round"),
            ValueError,
            r"div: rounding_mode must be one of \[None, 'trunc', 'floor'\], got 'round'",
        ),
        (lambda: Tensor(np.ones(2)) % Tensor(np.ones(3)), ValueError, r"shapes \(2,\) and \(3,\)"),
    ],
)
def test_refusals_name_the_problem(call: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()  # type: ignore[operator]


def test_a_float_divisor_of_zero_gives_nan_or_inf() -> None:
    with np.errstate(invalid="ignore", divide="ignore"):
        assert np.isnan((Tensor([1.0, -1.0]) % 0.0).data).all()
        assert (Tensor([1.0, -1.0]) // 0.0).tolist() == [math.inf, -math.inf]


def test_in_place_forms_write_into_the_tensor() -> None:
    x = Tensor([5.0, -5.0])
    alias = x
    x %= 3
    assert x is alias and x.tolist() == [2.0, 1.0]
    x //= 2
    assert x is alias and x.tolist() == [1.0, 0.0]
    assert Tensor([-5.0]).remainder_(3).tolist() == [1.0]
    assert Tensor([-5.0]).fmod_(3).tolist() == [-2.0]
    assert Tensor([-5]).div_(2, rounding_mode="trunc").tolist() == [-2]
    leaf = Tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf %= 2


def test_numpy_calls_on_tensors_dispatch_to_the_same_ops() -> None:
    x = Tensor([-7.0, 7.0], requires_grad=True)
    r = np.remainder(x, 3)
    assert r.requires_grad and r.tolist() == [2.0, 1.0]
    assert np.fmod(x, 3).tolist() == [-1.0, 1.0]
    q = np.floor_divide(x, 2)
    assert isinstance(q, Tensor) and not q.requires_grad and q.tolist() == [-4.0, 3.0]


def test_a_compiled_step_replays_remainders_bit_for_bit_and_checks_the_divisor() -> None:
    w = Tensor(np.array([0.3, -1.7, 2.9]), requires_grad=True)

    def step(x: Tensor, k: Tensor) -> Tensor:
        w.grad = None
        loss = ((x * w) % 0.7 + (x * w).fmod(1.3) * (k // 2)).sum()
        loss.backward()
        return loss

    fast = tg.compile(step)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x, k = Tensor(rng.normal(size=3)), Tensor(rng.integers(1, 9, size=3))
        got = fast(x, k)
        got_grad = w.grad.data.copy()
        expected = step(x, k)
        assert got.item() == expected.item()
        np.testing.assert_array_equal(got_grad, w.grad.data)
    assert fast.traces == 1

    def ints(a: Tensor, b: Tensor) -> Tensor:
        return a % b

    replay = tg.compile(ints)
    replay(Tensor([5, 6]), Tensor([2, 4]))
    assert replay(Tensor([5, 6]), Tensor([3, 4])).tolist() == [2, 2]
    with pytest.raises(ZeroDivisionError, match="remainder: integer division by zero"):
        replay(Tensor([5, 6]), Tensor([3, 0]))  # the zero check runs on every replay
