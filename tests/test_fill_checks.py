"""Fill values an integer or narrow float dtype cannot hold, integer aranges, random *_like.

The expected values are PyTorch's (2.13), written out: NaN, ±∞ and numbers beyond the range
are refused by every fill, where NumPy's cast would wrap them into garbage integers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg

MASK = np.array([True, False])


def _set_item(dt: Any, v: Any) -> tg.Tensor:
    x = tg.zeros(2, dtype=dt)
    x[0] = v
    return x


def _set_masked(dt: Any, v: Any) -> tg.Tensor:
    x = tg.zeros(2, dtype=dt)
    x[MASK] = v
    return x


FILLS: dict[str, Callable[[Any, Any], tg.Tensor]] = {
    "full": lambda dt, v: tg.full((2,), v, dtype=dt),
    "full_like": lambda dt, v: tg.full_like(tg.zeros(2, dtype=dt), v),
    "fill_": lambda dt, v: tg.zeros(2, dtype=dt).fill_(v),
    "new_full": lambda dt, v: tg.zeros(2, dtype=dt).new_full((2,), v),
    "masked_fill": lambda dt, v: tg.zeros(2, dtype=dt).masked_fill(MASK, v),
    "masked_fill_": lambda dt, v: tg.zeros(2, dtype=dt).masked_fill_(MASK, v),
    "fill_diagonal_": lambda dt, v: tg.zeros(2, 2, dtype=dt).fill_diagonal_(v),
    "item assignment": _set_item,
    "masked item assignment": _set_masked,
}
# the name an error starts with: masked_fill_ and fill_diagonal_ fill through masked_fill
NAMED = {"masked_fill_": "masked_fill", "masked item assignment": "item assignment"}
NOT_HELD = [
    (np.int64, math.nan),
    (np.int64, math.inf),
    (np.int64, -math.inf),
    (np.int64, 1e20),
    (np.int64, 2.0**63),  # one past int64's largest
    (np.int32, 3e9),
    (np.int8, 127.5),  # truncated it would fit: PyTorch compares before truncating
    (np.int8, -128.5),
    (np.uint8, -0.5),
    (np.uint8, -2.7),
    (np.int16, np.float64(1e10)),
    (np.int8, np.int64(300)),
]


@pytest.mark.parametrize("op", list(FILLS))
@pytest.mark.parametrize(("dt", "value"), NOT_HELD)
def test_a_float_an_integer_dtype_cannot_hold_is_refused(op: str, dt: Any, value: Any) -> None:
    with pytest.raises(ValueError, match=f"^{NAMED.get(op, op)}: .*dtype"):
        FILLS[op](dt, value)


@pytest.mark.parametrize("op", list(FILLS))
@pytest.mark.parametrize(("dt", "value"), [(np.int8, 300), (np.int8, -129), (np.int32, 2**31)])
def test_a_python_int_an_integer_dtype_cannot_hold_is_refused(op: str, dt: Any, value: int) -> None:
    with pytest.raises(OverflowError, match=f"^{NAMED.get(op, op)}: Python integer {value} out"):
        FILLS[op](dt, value)


@pytest.mark.parametrize("op", list(FILLS))
def test_negative_numbers_into_uint8_are_refused(op: str) -> None:
    """PyTorch wraps -1 to 255 here; refused, as `Tensor([-1], dtype=uint8)` and `full` are."""
    with pytest.raises(OverflowError, match="Python integer -1 out of bounds for uint8"):
        FILLS[op](np.uint8, -1)


@pytest.mark.parametrize("op", list(FILLS))
@pytest.mark.parametrize(
    ("dt", "value", "held"),
    [
        (np.int64, 2.7, 2),
        (np.int64, -2.7, -2),
        (np.int8, -128.0, -128),
        (np.int8, 127.0, 127),
        (np.int8, 126.9, 126),
        (np.int8, -0.99, 0),
        (np.uint8, 255.5 - 0.5, 255),
        (np.int64, 9.2e18, 9200000000000000000),
        (np.int64, -(2.0**63), -(2**63)),
        (np.int32, True, 1),
        (np.bool_, math.nan, True),  # any number's truth, as PyTorch's
        (np.bool_, 1e300, True),
        (np.bool_, 0.0, False),
        (np.float16, 65504.0, 65504.0),
        (np.float16, -math.inf, -math.inf),
        (np.float32, math.nan, None),
        (np.float32, 3.4e38, float(np.float32(3.4e38))),
    ],
)
def test_what_the_dtype_holds_is_filled_truncated_toward_zero(
    op: str, dt: Any, value: Any, held: Any
) -> None:
    first = FILLS[op](dt, value).data.reshape(-1)[0]
    assert first.dtype == np.dtype(dt)
    if held is None:
        assert np.isnan(first)
    else:
        assert first.item() == held


BEYOND_FLOATS = [
    (np.float16, 70000),
    (np.float16, 65505.0),
    (np.float32, 1e40),
    (np.float32, -4e38),
]


@pytest.mark.parametrize(
    ("op", "dt", "value"),
    # PyTorch's item assignment writes ±inf into float16, as NumPy's
    [
        (op, dt, v)
        for op in FILLS
        for dt, v in BEYOND_FLOATS
        if "item" not in op or dt is not np.float16
    ],
)
def test_a_finite_number_beyond_a_float_dtype_is_refused(op: str, dt: Any, value: Any) -> None:
    """Compared before rounding, as PyTorch: 65505 would round to float16's largest, 65504."""
    with pytest.raises(ValueError, match=f"^{NAMED.get(op, op)}: .* overflows dtype"):
        FILLS[op](dt, value)


def test_item_assignment_writes_inf_into_float16_as_pytorch() -> None:
    with np.errstate(over="ignore"):
        assert _set_item(np.float16, 70000).tolist() == [math.inf, 0.0]


def test_a_tensor_value_is_checked_by_masked_fill_and_cast_by_fill_() -> None:
    """PyTorch checks masked_fill's 0-d tensor value; its fill_ casts one as `.to` does."""
    with pytest.raises(ValueError, match="^masked_fill: NaN"):
        tg.zeros(2, dtype=np.int64).masked_fill(MASK, tg.tensor(math.nan))
    with pytest.raises(ValueError, match="^masked_fill: values from 300 to 300"):
        tg.zeros(2, dtype=np.int8).masked_fill(MASK, tg.tensor(300))
    with np.errstate(invalid="ignore"):
        filled = tg.zeros(2, dtype=np.int8).fill_(tg.tensor(300))
    assert filled.tolist() == [44, 44]


def test_a_refused_fill_leaves_the_tensor_as_it_was() -> None:
    x = tg.tensor([1, 2])
    with pytest.raises(ValueError):
        x.fill_(math.nan)
    with pytest.raises(ValueError):
        x.masked_fill_(MASK, math.inf)
    with pytest.raises(ValueError):
        x[0] = 1e20
    assert x.tolist() == [1, 2]


# ------------------------------------------------------------------ arange with integer dtypes


@pytest.mark.parametrize(
    ("args", "dt", "expected"),
    [
        ((0, 5, 1.5), np.int32, [0, 1, 2, 3]),
        ((0, 5, 1.5), np.int8, [0, 1, 2, 3]),
        ((0, 5, 1.5), np.int64, [0, 1, 2, 3, 4]),
        ((0, 1, 0.3), np.int32, [0, 0, 0, 0]),
        ((0, 5, 0.5), np.uint8, [0] * 10),
        ((0, 5, 2.5), np.int16, [0, 2]),
        ((0, 5, 2.5), np.int64, [0, 2, 4]),
        ((0, 5.5, 1), np.int8, [0, 1, 2, 3, 4, 5]),
        ((0, 5.5, 1), np.int64, [0, 1, 2, 3, 4]),
        ((0, 4.9, 1.1), np.int16, [0, 1, 2, 3, 4]),
        ((1.7, -4.2, -1.5), np.int32, [1, 0, -1, -2]),
        ((1.7, -4.2, -1.5), np.int64, [1, 0, -1, -2, -3]),
        ((-3.2, 0.3, 0.999), np.int8, [-3, -3, -3, -3]),
        ((250, 300, 20), np.uint8, [250, 14, 34]),  # wrapped around, as PyTorch's
    ],
)
def test_arange_integer_dtypes_count_and_step_as_pytorch(
    args: tuple[float, ...], dt: Any, expected: list[int]
) -> None:
    got = tg.arange(*args, dtype=dt)
    assert got.dtype == np.dtype(dt) and got.tolist() == expected


def _pytorch_arange(start: float, stop: float, step: float, dt: Any) -> list[int]:
    """PyTorch's integer arange: the length of the range as given (int64: truncated first)."""
    first, by = int(start), int(step)
    if dt is np.int64:
        size = max(math.ceil((int(stop) - first) / by), 0)
    else:
        size = max(math.ceil((stop - start) / step), 0)
    return [int(np.array(first + i * by).astype(dt)) for i in range(size)]


@pytest.mark.parametrize("dt", [np.int8, np.int16, np.int32, np.int64, np.uint8])
def test_arange_integer_dtypes_over_a_grid(dt: Any) -> None:
    for start in (0, 0.5, -0.5, 1.7, -1.7, 2, -3.2):
        for stop in (5, 5.5, 4.9, -5, -4.2, 1, 0.3, 3.99, 7.01):
            for step in (1, 1.5, 0.3, 0.5, -1.5, -0.7, 2.5, -1, 0.9, 1.1, -0.3, 1.999):
                if (stop - start) * step < 0 or (dt is np.int64 and int(step) == 0):
                    with pytest.raises(ValueError):
                        tg.arange(start, stop, step, dtype=dt)
                    continue
                expected = _pytorch_arange(start, stop, step, dt)
                assert tg.arange(start, stop, step, dtype=dt).tolist() == expected, (
                    start,
                    stop,
                    step,
                )


def test_arange_refuses_what_pytorch_refuses_for_integer_dtypes() -> None:
    with pytest.raises(ValueError, match="step must be nonzero"):
        tg.arange(0, 5, 0.3, dtype=np.int64)  # the truncated step is 0
    with pytest.raises(ValueError, match="inconsistent"):
        tg.arange(0, 0.3, -1.5, dtype=np.int64)  # the signs of the range as given
    with pytest.raises(ValueError, match="finite"):
        tg.arange(0, math.inf, 1, dtype=np.int32)


# ------------------------------------------------------------------ random *_like


@pytest.mark.parametrize("name", ["rand_like", "randn_like", "randint_like"])
def test_random_likes_are_exported(name: str) -> None:
    assert name in tg.__all__ and callable(getattr(tg, name))


@pytest.mark.parametrize(("like", "plain"), [("rand_like", "rand"), ("randn_like", "randn")])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_rand_and_randn_like_keep_shape_and_dtype_and_draw_as_rand(
    like: str, plain: str, dt: Any
) -> None:
    t = tg.zeros(2, 3, dtype=dt)
    got = getattr(tg, like)(t, seed=4)
    assert got.shape == (2, 3) and got.dtype == np.dtype(dt) and not got.requires_grad
    np.testing.assert_array_equal(got.data, getattr(tg, plain)(2, 3, seed=4, dtype=dt).data)
    assert getattr(tg, like)(np.zeros(4)).shape == (4,)  # a NumPy array too
    assert getattr(tg, like)(t, requires_grad=True).requires_grad


@pytest.mark.parametrize("like", ["rand_like", "randn_like"])
def test_rand_and_randn_like_need_a_float_dtype(like: str) -> None:
    fn = getattr(tg, like)
    for t in (tg.tensor([1, 2]), tg.tensor([True])):
        with pytest.raises(TypeError, match=f"^{like}: draws floats"):
            fn(t)
    assert fn(tg.tensor([1, 2]), dtype=np.float32).dtype == np.float32
    with pytest.raises(TypeError, match=f"^{like}: draws floats, got dtype int64"):
        fn(tg.zeros(2), dtype=np.int64)


def test_rand_like_draws_in_the_unit_interval() -> None:
    x = tg.rand_like(tg.zeros(1000), seed=0).data
    assert x.min() >= 0.0 and x.max() < 1.0


def test_randint_like_keeps_dtype_and_draws_in_range() -> None:
    ints = tg.randint_like(tg.tensor([1, 2, 3]), 10, seed=0)
    assert ints.dtype == np.int64 and set(ints.tolist()) <= set(range(10))
    floats = tg.randint_like(tg.zeros(50, dtype=np.float32), 3, 6, seed=1)
    assert floats.dtype == np.float32 and set(floats.tolist()) <= {3.0, 4.0, 5.0}
    assert tg.randint_like(tg.zeros(3), high=5).dtype == np.float64
    assert tg.randint_like(tg.tensor([True, False]), 2).dtype == np.bool_
    assert tg.randint_like(tg.tensor([1]), 5, dtype=np.float64).dtype == np.float64
    assert tg.randint_like(tg.zeros(2), 5, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="only floating-point tensors can require grad"):
        tg.randint_like(tg.tensor([1]), 5, requires_grad=True)
    a = tg.randint_like(np.zeros((2, 2), np.int32), 0, 100, seed=7)
    assert a.shape == (2, 2) and a.dtype == np.int32
    assert a.tolist() == tg.randint_like(np.zeros((2, 2), np.int32), 0, 100, seed=7).tolist()


@pytest.mark.parametrize(("low", "high"), [(10, 10), (5, 3), (0, 129), (-129, 0)])
def test_randint_like_refuses_an_empty_range_or_one_beyond_the_dtype(low: int, high: int) -> None:
    with pytest.raises(ValueError, match="^randint_like: needs low < high"):
        tg.randint_like(tg.zeros(2, dtype=np.int8), low, high)
