"""Index forms that PyTorch and NumPy read differently are refused; the forms they agree on work.

The rule: compute what PyTorch computes, or refuse with an error that names both readings and the
spelling that says which one is meant.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from tinygrad_lite import Tensor

X = np.arange(8.0).reshape(4, 2)


# ---------------------------------------------------------------------------- uint8 index arrays


@pytest.mark.parametrize(
    "index",
    [
        np.array([1, 0, 1, 1], np.uint8),
        Tensor(np.array([1, 0, 1, 1], np.uint8)),
        (np.array([1, 0, 1, 1], np.uint8), 0),  # inside a tuple
        (slice(None), np.array([1, 0], np.uint8)),
        np.array(1, np.uint8),  # 0-d: a mask in PyTorch too
        np.array([], np.uint8),
        [np.uint8(1), np.uint8(0), np.uint8(1), np.uint8(1)],  # a list that becomes a uint8 array
    ],
    ids=["array", "Tensor", "tuple", "second dim", "0-d", "empty", "list of uint8 scalars"],
)
def test_a_uint8_index_is_refused(index: Any) -> None:
    x = Tensor(X, requires_grad=True)
    with pytest.raises(
        IndexError, match=r"uint8 index .* is ambiguous: PyTorch reads it as a mask"
    ):
        x[index]


def test_the_uint8_refusal_names_both_fixes_and_they_work() -> None:
    idx = np.array([1, 0, 1, 1], np.uint8)
    with pytest.raises(IndexError) as e:
        Tensor(X)[idx]
    assert "idx.astype(bool)" in str(e.value) and "idx.astype(np.int64)" in str(e.value)
    np.testing.assert_array_equal(Tensor(X)[idx.astype(bool)].data, X[[0, 2, 3]])
    np.testing.assert_array_equal(Tensor(X)[idx.astype(np.int64)].data, X[[1, 0, 1, 1]])


def test_a_uint8_scalar_is_one_position_as_in_pytorch() -> None:
    np.testing.assert_array_equal(Tensor(X)[np.uint8(1)].data, X[1])


@pytest.mark.parametrize("dtype", [np.uint16, np.uint32, np.uint64, np.int8, np.int16, np.int32])
def test_other_integer_index_arrays_are_positions(dtype: type) -> None:
    """PyTorch reads NumPy arrays of these dtypes as positions too (its own tensors of them,
    except int32, it refuses): one reading, so they are accepted."""
    x = Tensor(X, requires_grad=True)
    y = x[np.array([1, 0, 1], dtype)]
    np.testing.assert_array_equal(y.data, X[[1, 0, 1]])
    y.sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, [[1.0, 1.0], [2.0, 2.0], [0.0, 0.0], [0.0, 0.0]])


def test_gather_still_takes_a_uint8_index_as_positions() -> None:
    """gather has one reading (positions), so its index goes through as int64."""
    x = Tensor(X, requires_grad=True)
    y = x.gather(1, np.array([[0], [1], [0], [1]], np.uint8))
    np.testing.assert_array_equal(y.data, [[0.0], [3.0], [4.0], [7.0]])
    y.sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])


# ---------------------------------------------------------------------------- list indices


@pytest.mark.parametrize(
    ("index", "kind"),
    [
        ([[0, 1], [1, 1]], "a list"),
        ([(0, 1), (1, 1)], "a tuple"),
        ([[0, 1]], "a list"),  # one inner list: PyTorch gives X[[0, 1]], NumPy a (1, 2, 2)
        ([np.array([0, 1]), np.array([1, 1])], "an array"),
        ([np.array(0), np.array(1)], "an array"),
        ([Tensor(0), Tensor(1)], "a Tensor"),
        ([Tensor(2)], "a Tensor"),
        ([Tensor([0, 1]), Tensor([1, 1])], "a Tensor"),
        ([0, None], "None"),
        ([0, slice(None)], "a slice"),
        ([0, Ellipsis], "Ellipsis"),
    ],
    ids=[
        "lists",
        "tuples",
        "one list",
        "arrays",
        "0-d arrays",
        "0-d Tensors",
        "one 0-d Tensor",
        "Tensors",
        "None",
        "slice",
        "Ellipsis",
    ],
)
def test_a_list_index_holding_sequences_or_tensors_is_refused(index: Any, kind: str) -> None:
    x = Tensor(X, requires_grad=True)
    with pytest.raises(IndexError, match=f"list index holding {kind} .* is ambiguous") as e:
        x[index]
    assert "x[tuple(index)]" in str(e.value) and "x[np.array(index)]" in str(e.value)


def test_the_list_refusal_fixes_give_each_reading() -> None:
    index = [[0, 1], [1, 1]]
    np.testing.assert_array_equal(Tensor(X)[tuple(index)].data, [1.0, 3.0])  # PyTorch's reading
    np.testing.assert_array_equal(Tensor(X)[np.array(index)].data, X[np.array(index)])  # NumPy's
    t = [Tensor(0), Tensor(1)]
    assert Tensor(X)[tuple(t)].item() == 1.0


@pytest.mark.parametrize(
    ("index", "rows"),
    [
        ([0, 2], [0, 2]),
        ([0, 0, -1], [0, 0, 3]),
        ([True, False, True, True], [0, 2, 3]),
        ([np.int64(0), np.int32(2)], [0, 2]),
        ([True, 1], [1, 1]),  # NumPy and PyTorch both make it the int array [1, 1]
    ],
    ids=["ints", "repeats", "bools", "numpy ints", "bool and int"],
)
def test_a_flat_list_of_ints_or_bools_still_works_with_its_gradient(
    index: list[Any], rows: list[int]
) -> None:
    x = Tensor(X, requires_grad=True)
    y = x[index]
    np.testing.assert_array_equal(y.data, X[rows])
    y.sum().backward()
    expected = np.zeros_like(X)
    np.add.at(expected, rows, 1.0)
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, expected)


def test_an_empty_list_still_selects_nothing() -> None:
    assert Tensor(X)[[]].shape == (0, 2)


def test_lists_inside_a_tuple_are_arrays_as_in_pytorch() -> None:
    """Only a list that is the whole index is read as a tuple by PyTorch; inside a tuple, a list
    (nested, or of 0-d Tensors) is one index array in both libraries."""
    x = Tensor(X, requires_grad=True)
    y = x[[[0, 1], [1, 1]], 0]
    np.testing.assert_array_equal(y.data, [[0.0, 2.0], [2.0, 2.0]])
    y.sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, [[1.0, 0.0], [3.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    np.testing.assert_array_equal(Tensor(X)[[Tensor(0), Tensor(1)], 0].data, [0.0, 2.0])
    np.testing.assert_array_equal(Tensor(X)[[0, 1], [1, 1]].data, [1.0, 3.0])


# ---------------------------------------------------------------------------- against PyTorch


def _torch_index(index: Any) -> Any:
    import torch

    if isinstance(index, tuple):
        return tuple(_torch_index(i) for i in index)
    if isinstance(index, np.ndarray):
        return torch.from_numpy(index.copy())
    return index


@pytest.mark.parametrize(
    "index",
    [
        [0, 2],
        [True, False, True, True],
        np.array([True, False, True, True]),
        np.array([1, 0, 1, 1], np.int64),
        np.array([1, 0], np.int32),
        ([[0, 1], [1, 1]], 0),
        ([0, 1], [1, 1]),
        (np.array([1, 0, 1, 1], np.uint8).astype(bool), 0),
    ],
    ids=["ints", "bools", "mask", "int64", "int32", "nested in tuple", "pair", "mask, int"],
)
def test_the_accepted_forms_match_pytorch_with_gradients(index: Any) -> None:
    torch = pytest.importorskip("torch")
    x = Tensor(X, requires_grad=True)
    y = x[index]
    w = np.arange(1.0, y.size + 1).reshape(y.shape)
    (y * Tensor(w)).sum().backward()
    tx = torch.tensor(X, requires_grad=True)
    ty = tx[_torch_index(index)]
    (ty * torch.from_numpy(w)).sum().backward()
    np.testing.assert_array_equal(y.data, ty.detach().numpy())
    assert x.grad is not None and tx.grad is not None
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())


def test_pytorch_reads_the_refused_forms_otherwise_than_numpy() -> None:
    """Why each form is refused: PyTorch's answer is not NumPy's."""
    torch = pytest.importorskip("torch")
    t = torch.from_numpy(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's deprecation warnings for these very forms
        mask = t[torch.tensor([1, 0, 1, 1], dtype=torch.uint8)]
        nested = t[[[0, 1], [1, 1]]]
        tensors = t[[torch.tensor(0), torch.tensor(1)]]
    np.testing.assert_array_equal(mask.numpy(), X[[0, 2, 3]])
    assert X[np.array([1, 0, 1, 1], np.uint8)].shape == (4, 2)
    np.testing.assert_array_equal(nested.numpy(), [1.0, 3.0])
    assert X[np.array([[0, 1], [1, 1]])].shape == (2, 2, 2)
    assert tensors.shape == () and tensors.item() == 1.0
