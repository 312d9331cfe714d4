"""Answers that were once wrong: powers at base 0, repeated indices, weak Python numbers.

Reductions over dim 0/-1 of a 0-d tensor and `*_like` dtypes are in test_pytorch_names.py; the
full promotion table is in test_dtypes.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite.engine import grad

# ---------------------------------------------------------------------------- pow at base 0


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (0.0, [0.0, 0.0]),  # x^0 = 1 everywhere, 0^0 included: flat
        (0, [0.0, 0.0]),
        (1, [1.0, 1.0]),
        (2, [0.0, 4.0]),
        (3, [0.0, 12.0]),
        (1.7, [0.0, 1.7 * 2.0**0.7]),
        (0.5, [np.inf, 0.5 / np.sqrt(2.0)]),  # the derivative is infinite at 0, as PyTorch's
    ],
)
def test_the_derivative_of_x_to_a_constant_power_at_0(p: float, expected: list[float]) -> None:
    x = Tensor([0.0, 2.0], requires_grad=True)
    (x**p).sum().backward()
    assert x.grad is not None
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-15)


def test_x_to_the_power_0_has_a_zero_second_derivative_at_0() -> None:
    x = Tensor([0.0, 3.0], requires_grad=True)
    (g,) = grad((x**0.0).sum(), [x], create_graph=True)
    np.testing.assert_array_equal(g.data, [0.0, 0.0])
    (h,) = grad(g.sum(), [x], allow_unused=True) if g.requires_grad else (None,)
    assert h is None or np.array_equal(h.data, [0.0, 0.0])


@pytest.mark.parametrize("base", [0, 0.0])
def test_0_to_a_tensor_power_has_derivative_0_where_the_exponent_is_not_negative(
    base: float,
) -> None:
    t = Tensor([0.0, 0.5, 1.0, 2.0], requires_grad=True)
    y = base**t
    np.testing.assert_array_equal(y.data, [1.0, 0.0, 0.0, 0.0])
    y.sum().backward()
    assert t.grad is not None
    # d/dt 0^t = 0^t · ln 0: the 1·(-inf) at t = 0 and 0·(-inf) beyond are 0, as PyTorch masks
    np.testing.assert_array_equal(t.grad.data, [0.0, 0.0, 0.0, 0.0])


def test_a_tensor_base_of_0_with_a_tensor_exponent() -> None:
    b = Tensor([0.0, 0.0, 0.0, 2.0], requires_grad=True)
    e = Tensor([0.0, 1.0, 2.0, 0.0], requires_grad=True)
    (b**e).sum().backward()
    assert b.grad is not None and e.grad is not None
    np.testing.assert_array_equal(b.grad.data, [0.0, 1.0, 0.0, 0.0])  # e·b^(e-1), 0·0^-1 → 0
    np.testing.assert_allclose(e.grad.data, [0.0, 0.0, 0.0, np.log(2.0)], rtol=1e-15)


# ---------------------------------------------------------------------------- repeated indices


def _index_forms_1d() -> list[tuple[str, Any]]:
    return [
        ("tuple inside a tuple", ((0, 0, 2),)),
        ("list", [0, 0, 2]),
        ("array", np.array([0, 0, 2])),
        ("int32 array", np.array([0, 0, 2], np.int32)),
        ("Tensor", Tensor([0, 0, 2])),
        ("negative", [0, -4, 2]),
    ]


@pytest.mark.parametrize(("form", "index"), _index_forms_1d(), ids=lambda v: str(v)[:20])
def test_repeated_indices_accumulate(form: str, index: Any) -> None:
    x = Tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = x[index]
    np.testing.assert_array_equal(y.data, [1.0, 1.0, 3.0])
    (y * Tensor([1.0, 10.0, 100.0])).sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, [11.0, 0.0, 100.0, 0.0])


@pytest.mark.parametrize(
    "index",
    [
        (np.array([0, 0, 1]), np.array([2, 2, 0])),  # one array per dim
        ([0, 0, 1], [2, 2, 0]),
        ((0, 0, 1), (2, 2, 0)),
        (Tensor([0, 0, 1]), Tensor([2, 2, 0])),
        (np.array([[0], [0], [1]]), np.array([[2], [2], [0]])),  # broadcast index arrays
    ],
    ids=["arrays", "lists", "tuples", "tensors", "column arrays"],
)
def test_repeated_pairs_of_indices_accumulate(index: Any) -> None:
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x[index]
    assert y.size == 3
    y.sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, [[0.0, 0.0, 2.0], [1.0, 0.0, 0.0]])


def test_repeated_indices_beside_slices_and_masks() -> None:
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    x[:, [2, 2, 0]].sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, [[1.0, 0.0, 2.0], [1.0, 0.0, 2.0]])
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    x[..., Tensor([1, 1])].sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, [[0.0, 2.0, 0.0], [0.0, 2.0, 0.0]])
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    mask = Tensor([[True, False, True], [False, False, True]])
    (x[mask] * Tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, [[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]])
    x = Tensor(np.ones((3,)), requires_grad=True)
    x[np.array([True, False, True])][[1, 1]].sum().backward()  # a mask, then repeats
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 2.0])


def test_repeated_indices_accumulate_in_float32_and_to_second_order() -> None:
    x = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    x[[1, 1, 1]].sum().backward()
    assert x.grad is not None and x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.data, [0.0, 3.0])
    x64 = Tensor([1.0, 2.0], requires_grad=True)
    (g,) = grad((x64[[1, 1, 0]] ** 3).sum(), [x64], create_graph=True)
    np.testing.assert_allclose(g.data, [3.0, 2 * 3 * 4.0])
    (h,) = grad(g.sum(), [x64])
    np.testing.assert_allclose(h.data, [6.0, 2 * 6 * 2.0])


# ---------------------------------------------------------------------------- weak numbers


def test_weak_python_numbers() -> None:
    assert ((Tensor([0.5, 1.5]) > 1) * 0.5).data.tolist() == [0.0, 0.5]
    assert (Tensor([1, 2, 3]) * 0.5).data.tolist() == [0.5, 1.0, 1.5]
    f32 = tg.ones(2, dtype=np.float32)
    for r in (f32 * 0.1, 0.1 * f32, f32 - 1, f32 / 3, 2.0**f32, f32**2.5, f32 + True):
        assert r.dtype == np.float32
    assert (Tensor(np.array([1, 2], np.int32)) + 1).dtype == np.int32
    assert (Tensor(np.array([1, 2], np.int32)) + 1.0).dtype == np.float64
