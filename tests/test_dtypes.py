"""The one promotion rule: every binary op, every dtype pair, every operand form, against NumPy 2.

NumPy 2's NEP 50 rule is the reference: a tensor's dtype and a NumPy array's promote by
`numpy.result_type`; a Python number is weak (it takes the tensor's dtype when it fits its
family and never truncates). Each case computes the op with tinygrad_lite and with NumPy on the
same values and asks for the same dtype and the same values, or an error where NumPy has one.

The library differs from NumPy in three places on purpose, each tested below:
- a bool exponent (`t ** True`) is refused: it is almost always a mask used by mistake;
- `where(mask, int8_tensor, 300)` is refused (OverflowError): NumPy wraps 300 to 44 silently;
- a matrix product of two bool tensors is refused: NumPy's is an or of ands, not the count a
  reader expects (PyTorch refuses it too).
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite import functional as F

DTYPES = [
    np.dtype(d)
    for d in (
        np.bool_,
        np.int8,
        np.int16,
        np.int32,
        np.int64,
        np.uint8,
        np.float16,
        np.float32,
        np.float64,
    )
]
PAIRS = list(itertools.product(DTYPES, DTYPES))
MASK = np.array([[True, False], [False, True]])

# Python numbers of every kind (weak), some that do not fit small integer dtypes, and NumPy
# scalars (strong, like 0-d arrays).
SCALARS: list[Any] = [True, False, 0, 1, 2, 3, -2, 300, 0.0, 0.5, 2.0, -1.5, 1e300]
NUMPY_SCALARS: list[Any] = [np.float32(0.5), np.float64(2.0), np.int8(2), np.uint8(3), np.bool_(1)]

Binary = Callable[[Any, Any], Any]

# op name -> (the spellings a user types, NumPy's function)
OPS: dict[str, tuple[list[Binary], Binary]] = {
    "add": ([operator.add, np.add], np.add),
    "sub": ([operator.sub, np.subtract], np.subtract),
    "mul": ([operator.mul, np.multiply], np.multiply),
    "div": ([operator.truediv, np.divide], np.true_divide),
    "pow": ([operator.pow, np.power], np.power),
    "remainder": ([operator.mod, np.remainder], np.remainder),
    "fmod": (
        [lambda a, b: a.fmod(b) if isinstance(a, Tensor) else np.fmod(a, b), np.fmod],
        np.fmod,
    ),
    "floor_divide": ([operator.floordiv, np.floor_divide], np.floor_divide),
    "matmul": ([operator.matmul, np.matmul], np.matmul),
    "maximum": ([F.maximum, np.maximum], np.maximum),
    "minimum": ([F.minimum, np.minimum], np.minimum),
    "where": (
        [lambda a, b: F.where(Tensor(MASK), a, b), lambda a, b: np.where(Tensor(MASK), a, b)],
        lambda a, b: np.where(MASK, a, b),
    ),
    "gt": ([operator.gt, np.greater], np.greater),
    "lt": ([operator.lt, np.less], np.less),
    "ge": ([operator.ge, np.greater_equal], np.greater_equal),
    "le": ([operator.le, np.less_equal], np.less_equal),
    "eq": ([operator.eq, np.equal], np.equal),
    "ne": ([operator.ne, np.not_equal], np.not_equal),
}

# the Tensor methods of the same ops (the tensor on the left only)
METHODS: dict[str, Binary] = {
    "add": lambda a, b: a.add(b),
    "sub": lambda a, b: a.sub(b),
    "mul": lambda a, b: a.mul(b),
    "div": lambda a, b: a.div(b),
    "pow": lambda a, b: a.pow(b),
    "remainder": lambda a, b: a.remainder(b),
    "fmod": lambda a, b: a.fmod(b),
    "floor_divide": lambda a, b: a.floor_divide(b),
    "matmul": lambda a, b: a.matmul(b),
    "maximum": lambda a, b: a.maximum(b),
    "minimum": lambda a, b: a.minimum(b),
    "where": lambda a, b: a.where(Tensor(MASK), b),
}


def values(dtype: np.dtype[Any], seed: int) -> np.ndarray:
    """A 2×2 array of `dtype`: both truth values, small positive integers, exact floats."""
    rng = np.random.default_rng(seed)
    if dtype.kind == "b":
        return np.array([[True, False], [True, True]])[:, rng.permutation(2)]
    if dtype.kind in "iu":
        return rng.integers(1, 4, (2, 2)).astype(dtype)
    return (rng.integers(1, 9, (2, 2)) / 4).astype(dtype)


def _run(fn: Binary, a: Any, b: Any) -> tuple[Any, BaseException | None]:
    try:
        with np.errstate(all="ignore"):
            return fn(a, b), None
    except (TypeError, ValueError, OverflowError, FloatingPointError, ZeroDivisionError) as e:
        return None, e


def deliberate_refusal(op: str, a: Any, b: Any) -> bool:
    """The cases where the library refuses and NumPy does not (see the module docstring)."""
    if op == "pow" and isinstance(b, (bool, np.bool_)):
        return True
    if op == "pow" and all(np.asarray(x.data if isinstance(x, Tensor) else x).dtype.kind == "b"
                           for x in (a, b)):  # fmt: skip
        return True  # NumPy's bool ** bool is int8; PyTorch refuses
    if op == "matmul" and all(np.asarray(x).dtype.kind == "b" for x in (a, b)):
        return True  # NumPy's bool product is an or of ands, not a count; PyTorch refuses
    if op in ("remainder", "fmod", "floor_divide"):
        kind = np.result_type(*[x.data if isinstance(x, Tensor) else x for x in (a, b)]).kind
        if kind == "b":
            return True  # NumPy divides two bools as int8; PyTorch refuses
        if kind in "iu" and not np.all(b.data if isinstance(b, Tensor) else b):
            return True  # NumPy gives 0 for an integer division by zero; PyTorch raises
    if op == "where":
        for t, s in ((a, b), (b, a)):
            if isinstance(t, Tensor) and type(s) is int and t.dtype.kind in "iu":
                info = np.iinfo(t.dtype)
                return not info.min <= s <= info.max
    return False


def check(op: str, fn: Binary, a: Any, b: Any) -> str | None:
    """Compare fn(a, b) with NumPy's op on the same values; a description of any difference."""
    reference = OPS[op][1]
    raw = [x.data if isinstance(x, Tensor) else x for x in (a, b)]
    expected, numpy_error = _run(reference, *raw)
    got, error = _run(fn, a, b)
    what = f"{op}({_describe(a)}, {_describe(b)})"
    if numpy_error is not None or error is not None:
        if deliberate_refusal(op, a, b) and error is not None:
            return None
        if (numpy_error is None) != (error is None):
            return f"{what}: NumPy raised {numpy_error!r}, tinygrad_lite raised {error!r}"
        return None
    expected = np.asarray(expected)
    if not isinstance(got, Tensor):
        return f"{what}: returned {type(got).__name__}, not a Tensor"
    if got.dtype != expected.dtype:
        return f"{what}: dtype {got.dtype}, NumPy gives {expected.dtype}"
    if not np.array_equal(got.data, expected, equal_nan=True):
        return f"{what}: values {got.data.tolist()}, NumPy gives {expected.tolist()}"
    return None


def _describe(x: Any) -> str:
    if isinstance(x, Tensor):
        return f"Tensor[{x.dtype}]"
    if isinstance(x, np.ndarray):
        return f"array[{x.dtype}]"
    return f"{type(x).__name__} {x!r}"


def operand_cases(op: str) -> list[tuple[Binary, Any, Any]]:
    """Every (spelling, left, right) for `op`: tensor⊕tensor, tensor⊕array, array⊕tensor,
    tensor⊕number and number⊕tensor, over every dtype pair and number."""
    spellings = OPS[op][0]
    method = METHODS.get(op)
    cases: list[tuple[Binary, Any, Any]] = []
    for i, (d1, d2) in enumerate(PAIRS):
        x, y = values(d1, i), values(d2, i + 1000)
        for fn in spellings:
            cases += [(fn, Tensor(x), Tensor(y)), (fn, Tensor(x), y), (fn, x, Tensor(y))]
        if method is not None:
            cases += [(method, Tensor(x), Tensor(y)), (method, Tensor(x), y)]
    for i, d in enumerate(DTYPES):
        x = values(d, i)
        for s in SCALARS + NUMPY_SCALARS:
            for fn in spellings:
                cases += [(fn, Tensor(x), s), (fn, s, Tensor(x))]
            if method is not None:
                cases.append((method, Tensor(x), s))
    return cases


CASES = {op: operand_cases(op) for op in OPS}


def test_the_promotion_tables_cover_every_op_and_dtype_pair() -> None:
    # 18 ops × 81 dtype pairs × (3 forms × 2 spellings, + 2 method forms for 12 ops), and
    # 18 ops × 9 dtypes × 18 numbers × (2 sides × 2 spellings, + 1 method form for 12 ops)
    expected = 18 * 81 * 6 + 12 * 81 * 2 + 18 * 9 * 18 * 4 + 12 * 9 * 18
    assert sum(len(c) for c in CASES.values()) == expected == 24_300


@pytest.mark.parametrize("op", sorted(OPS))
def test_result_dtype_and_values_equal_numpys(op: str) -> None:
    failures = [f for fn, a, b in CASES[op] if (f := check(op, fn, a, b)) is not None]
    assert not failures, f"{len(failures)} differences, e.g.:\n" + "\n".join(failures[:20])


@pytest.mark.parametrize("op", ["add", "sub", "mul", "maximum", "minimum", "where", "matmul"])
def test_the_rule_is_numpys_result_type_with_weak_python_numbers(op: str) -> None:
    """For ops that do not change the kind, the dtype is `np.result_type` of the operands."""
    fn = OPS[op][0][0]
    for i, (d1, d2) in enumerate(PAIRS):
        x, y = values(d1, i), values(d2, i)
        if op in ("sub", "matmul") and d1.kind == d2.kind == "b":
            continue  # NumPy has no bool subtraction, and bool products are refused (above)
        assert fn(Tensor(x), Tensor(y)).dtype == np.result_type(x, y)
    for d in DTYPES:
        for s in (True, 2, 0.5):
            if op in ("sub",) and d.kind == "b" and isinstance(s, bool):
                continue
            if op == "matmul":
                continue  # a matrix product needs two arrays
            r = fn(Tensor(values(d, 0)), s)
            assert r.dtype == np.result_type(values(d, 0), s), (d, s)


# ---------------------------------------------------------------------------- drawn values


@given(
    op=st.sampled_from(["add", "sub", "mul", "div", "maximum", "minimum", "where", "gt", "eq"]),
    d1=st.sampled_from(DTYPES),
    d2=st.sampled_from(DTYPES),
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
    data=st.data(),
)
def test_drawn_values_and_broadcast_shapes_agree_with_numpy(
    op: str, d1: np.dtype[Any], d2: np.dtype[Any], shapes: Any, data: st.DataObject
) -> None:
    sx, sy = shapes.input_shapes
    x = data.draw(hnp.arrays(d1, sx, elements=_elements(d1)))
    y = data.draw(hnp.arrays(d2, sy, elements=_elements(d2)))
    fn = OPS[op][0][0]
    if op == "where":  # a drawn mask of the broadcast shape
        mask = data.draw(hnp.arrays(np.bool_, shapes.result_shape))
        expected, numpy_error = _run(lambda a, b: np.where(mask, a, b), x, y)
        got, error = _run(lambda a, b: F.where(Tensor(mask), a, b), Tensor(x), y)
        assert (numpy_error is None) == (error is None)
        if error is None:
            assert got.dtype == np.asarray(expected).dtype
            np.testing.assert_array_equal(got.data, expected)
        return
    assert check(op, fn, Tensor(x), y) is None
    assert check(op, fn, x, Tensor(y)) is None
    s = data.draw(st.one_of(st.booleans(), st.integers(-5, 5), st.floats(-4, 4, width=16)))
    assert check(op, fn, Tensor(x), s) is None
    assert check(op, fn, s, Tensor(x)) is None


def _elements(dtype: np.dtype[Any]) -> st.SearchStrategy[Any]:
    if dtype.kind == "b":
        return st.booleans()
    if dtype.kind == "u":
        return st.integers(0, 9)
    if dtype.kind == "i":
        return st.integers(-9, 9)
    return st.floats(-9, 9, width=16)


# ---------------------------------------------------------------------------- gradients


@pytest.mark.parametrize(("d1", "d2"), [(a, b) for a, b in PAIRS if a.kind == "f"])
def test_gradients_keep_each_inputs_dtype_whatever_the_result_dtype(
    d1: np.dtype[Any], d2: np.dtype[Any]
) -> None:
    x = Tensor(values(d1, 0), requires_grad=True)
    y = Tensor(values(d2, 1), requires_grad=d2.kind == "f")
    for out in (x * y, x / (y + 1), x - y, F.maximum(x, y + 0.125), x @ y, x * 0.5, 3 * x):
        out.sum().backward()
    assert x.grad is not None and x.grad.dtype == d1
    if y.requires_grad:
        assert y.grad is not None and y.grad.dtype == d2


def test_a_float_scalar_beside_float32_keeps_float32_for_values_and_gradients() -> None:
    x = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    y = (x * 0.1 - 2) ** 2 / 3.0 + 1e300 * 0.0
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad is not None and x.grad.dtype == np.float32


# ---------------------------------------------------------------------------- the cases


def test_a_bool_mask_times_a_float_is_float() -> None:
    r = (Tensor([0.5, 1.5]) > 1) * 0.5
    assert r.dtype == np.float64
    np.testing.assert_array_equal(r.data, [0.0, 0.5])


def test_the_gradient_through_a_float_mask_is_the_mask() -> None:
    data = np.array([0.5, 1.5, 2.0, -3.0, 1.0])
    x = Tensor(data, requires_grad=True)
    (x * ((x > 1) * 2.0)).sum().backward()
    assert x.grad is not None
    # d/dx [x · m] with the mask m = 2·[x > 1] held constant is m
    np.testing.assert_array_equal(x.grad.data, np.where(data > 1, 2.0, 0.0))


def test_an_int_tensor_times_a_float_is_float64() -> None:
    r = Tensor(np.array([1, 2, 3])) * 0.5
    assert r.dtype == np.float64
    np.testing.assert_array_equal(r.data, [0.5, 1.0, 1.5])
    r = Tensor(np.array([1, 2, 3], np.int32)) / 2
    assert r.dtype == np.float64
    np.testing.assert_array_equal(r.data, [0.5, 1.0, 1.5])


def test_an_int_tensor_divided_by_a_number_outside_its_range_is_not_refused() -> None:
    r = Tensor(np.array([3, 6], np.int8)) / 300
    assert r.dtype == np.float64
    np.testing.assert_array_equal(r.data, np.array([3, 6], np.int8) / 300)
    r = 600 / Tensor(np.array([3, 6], np.uint8))
    np.testing.assert_array_equal(r.data, [200.0, 100.0])


def test_a_float_to_the_power_of_an_int_tensor() -> None:
    r = 0.7 ** Tensor([1, 2, 3])
    assert r.dtype == np.float64
    np.testing.assert_allclose(r.data, [0.7, 0.49, 0.343], rtol=1e-15)
    t = Tensor([1.0, 2.0], requires_grad=True)
    (0.7**t).sum().backward()
    assert t.grad is not None
    np.testing.assert_allclose(t.grad.data, 0.7 ** np.array([1.0, 2.0]) * np.log(0.7))


def test_int_valued_lists_give_int_tensors_that_index() -> None:
    idx = Tensor([0, 2, 2])
    assert idx.dtype == np.int64 and tg.tensor([1, 0]).dtype == np.int64
    x = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    picked = x[idx]
    np.testing.assert_array_equal(picked.data, [10.0, 30.0, 30.0])
    picked.sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, [1.0, 0.0, 2.0])
    assert [10, 20, 30][Tensor(1)] == 20  # a one-element int tensor is a Python index


def test_weak_numbers_never_truncate_and_never_widen() -> None:
    i8 = Tensor(np.array([1, 2], np.int8))
    assert (i8 + 1).dtype == np.int8  # weak: stays int8
    assert (i8 + 1.5).dtype == np.float64  # int × float → the default float
    np.testing.assert_array_equal((i8 + 1.5).data, [2.5, 3.5])
    f16 = Tensor(np.array([1.0], np.float16))
    assert (f16 * 3).dtype == (f16 * 0.1).dtype == np.float16
    assert (Tensor([True, False]) + 1).dtype == np.int64
    with pytest.raises(OverflowError, match="300 does not fit the tensor's dtype int8"):
        i8 + 300
    with pytest.raises(OverflowError, match="-1 does not fit the tensor's dtype uint8"):
        Tensor(np.array([1], np.uint8)) * -1


def test_the_deliberate_refusals() -> None:
    with pytest.raises(TypeError, match="got a bool"):
        Tensor([1.0, 2.0]) ** True
    mask = Tensor([True, False])
    with pytest.raises(OverflowError, match="300 does not fit the tensor's dtype int8"):
        F.where(mask, Tensor(np.array([1, 2], np.int8)), 300)
    # NumPy would have wrapped it:
    assert np.where([True, False], np.array([1, 2], np.int8), 300)[1] == 44


def test_comparisons_give_bool_tensors_for_every_operand_form() -> None:
    t = Tensor(np.array([1, 5], np.uint8))
    for r in (t > 2, 2 < t, t > -1, np.greater(t, 2), t == np.array([1, 0]), t != Tensor([1, 5])):
        assert isinstance(r, Tensor) and r.dtype == np.bool_ and not r.requires_grad
    np.testing.assert_array_equal((t > -1).data, [True, True])  # no wrap of -1 into uint8
