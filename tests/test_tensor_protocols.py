"""Python's protocols on Tensor, as PyTorch defines them: iter, in, copy, deepcopy, pickle; and
the Python data a Tensor reads (tensors inside lists, ints beyond int64) and `==` with None."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite.nn import Linear, Parameter, Sequential

# ------------------------------------------------------------------ iteration and `in`


def test_iterating_a_0d_tensor_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(Tensor(3.0))
    with pytest.raises(TypeError, match="0-d"):
        a, b = Tensor(3.0)  # noqa: F841


def test_iteration_gives_rows_that_share_memory_and_carry_gradients() -> None:
    u = Tensor([[1.0, 2.0], [3.0, 4.0]])
    rows = list(u)
    assert [r.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]
    rows[0].data[0] = 9.0
    assert u.tolist() == [[9.0, 2.0], [3.0, 4.0]]  # views, as u[0]
    w = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    first, second = w
    (first * 2.0 + second * 3.0).sum().backward()
    assert w.grad is not None and w.grad.tolist() == [[2.0, 2.0], [3.0, 3.0]]
    assert [x.item() for x in Tensor([5, 6, 7])] == [5, 6, 7]
    assert list(Tensor(np.zeros((0, 3)))) == []


def test_in_is_any_element_equal() -> None:
    assert 3 in Tensor(3.0)
    assert 3 in Tensor([[1, 2], [3, 4]]) and 5 not in Tensor([[1, 2], [3, 4]])
    assert 3.0 in Tensor([[1, 2], [3, 4]]) and True in Tensor([[1, 2], [3, 4]])
    assert Tensor([3, 5]) in Tensor([[1, 2], [3, 4]])  # any equal after broadcasting
    assert Tensor([[7]]) not in Tensor([[1, 2], [3, 4]])
    assert np.float32(2.0) in Tensor([1.0, 2.0])
    assert float("nan") not in Tensor([float("nan")])
    assert 1.0 in Tensor([1.0, 2.0], requires_grad=True)
    assert 3 not in Tensor(np.zeros(0, dtype=np.int64))


@pytest.mark.parametrize("element", ["a", None, [3], (3,), np.array([3])])
def test_in_takes_a_tensor_or_a_number_only(element: Any) -> None:
    with pytest.raises(RuntimeError, match="only supports a Tensor or a number"):
        _ = element in Tensor([[1, 2], [3, 4]])


# ------------------------------------------------------------------ copy, deepcopy, pickle


def _trained() -> Tensor:
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    return x


def test_a_copy_is_a_leaf_sharing_the_data_but_not_the_gradient() -> None:
    x = _trained()
    y = copy.copy(x)
    assert y.grad is None and y.requires_grad and y.is_leaf and y.data is x.data
    (y * 3.0).sum().backward()
    assert x.grad is not None and x.grad.tolist() == [2.0, 4.0]  # not [5, 7]
    assert y.grad is not None and y.grad.tolist() == [3.0, 3.0]


def test_a_copy_of_a_result_is_a_leaf_without_its_graph() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    z = copy.copy(x * 2.0)
    assert z.is_leaf and z.grad_fn is None and z.requires_grad
    z.sum().backward()
    assert x.grad is None and z.grad is not None and z.grad.tolist() == [1.0, 1.0]
    assert copy.copy(Tensor([1, 2])).dtype == np.int64


def test_copies_and_pickles_leave_the_hooks_behind() -> None:
    h = Tensor([1.0, 2.0], requires_grad=True)
    h.register_hook(lambda g: g * 100.0)
    for twin in (copy.copy(h), copy.deepcopy(h), pickle.loads(pickle.dumps(h))):
        twin.sum().backward()
        assert twin.grad is not None and twin.grad.tolist() == [1.0, 1.0]
    assert h.grad is None


def test_a_pickle_keeps_data_and_requires_grad_but_neither_gradient_nor_graph() -> None:
    x = _trained()
    back = pickle.loads(pickle.dumps(x))
    assert back.tolist() == [1.0, 2.0] and back.requires_grad and back.grad is None
    assert not np.shares_memory(back.data, x.data)
    result = pickle.loads(pickle.dumps(x * 2.0))
    assert result.is_leaf and result.grad_fn is None and result.requires_grad
    ints = pickle.loads(pickle.dumps(Tensor(np.arange(3, dtype=np.int32))))
    assert ints.dtype == np.int32 and not ints.requires_grad


def test_a_deepcopy_copies_data_and_gradient() -> None:
    x = _trained()
    d = copy.deepcopy(x)
    assert d.requires_grad and d.is_leaf and not np.shares_memory(d.data, x.data)
    assert d.grad is not None and d.grad is not x.grad and d.grad.tolist() == [2.0, 4.0]
    assert x.grad is not None
    x.grad.data[:] = 0.0
    assert d.grad.tolist() == [2.0, 4.0]
    w = Tensor([1.0], requires_grad=True)
    w.grad = Tensor([3.0])
    twin, its_grad = copy.deepcopy([w, w.grad])
    assert twin.grad is its_grad  # one memo for the whole deepcopy


def test_a_parameters_deepcopy_leaves_its_gradient_behind() -> None:
    p = Parameter(np.ones(2))
    p.sum().backward()
    q = copy.deepcopy(p)
    assert type(q) is Parameter and q.grad is None and q.requires_grad
    assert p.grad is not None and p.grad.tolist() == [1.0, 1.0]
    layer = Linear(2, 1)
    layer(Tensor(np.ones((1, 2)))).sum().backward()
    assert copy.deepcopy(layer).weight.grad is None and layer.weight.grad is not None


def test_only_leaves_can_be_deep_copied() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"graph leaves\) support the deepcopy.*Mul"):
        copy.deepcopy(x * 2.0)
    assert copy.deepcopy(Tensor([1.0]) * 2.0).tolist() == [2.0]  # no graph: a leaf


@pytest.mark.parametrize("base_first", [True, False])
def test_a_view_deep_copied_with_its_base_shares_the_copy_of_its_memory(base_first: bool):
    base = Tensor(np.arange(6.0).reshape(2, 3))
    views = [base[1], base.T, Tensor(base.data[:, ::-1])]
    copies = copy.deepcopy([base, *views] if base_first else [*views, base])
    new_base, (row, col, flipped) = (
        (copies[0], copies[1:]) if base_first else (copies[-1], copies[:-1])
    )
    row.data[0] = 100.0
    col.data[1, 0] = -1.0
    flipped.data[0, 0] = 7.0
    assert new_base.tolist() == [[0.0, -1.0, 7.0], [100.0, 4.0, 5.0]]
    assert base.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_a_view_deep_copied_alone_is_a_copy() -> None:
    base = Tensor(np.arange(6.0).reshape(2, 3))
    alone = copy.deepcopy(base[1])
    alone.data[0] = 50.0
    assert alone.tolist() == [50.0, 4.0, 5.0] and base.tolist()[1] == [3.0, 4.0, 5.0]
    spread = Tensor(np.broadcast_to(np.arange(3.0), (2, 3)))
    twin = copy.deepcopy(spread)
    assert twin.tolist() == spread.tolist() and not twin.data.flags.writeable


def test_a_parameter_stays_a_parameter() -> None:
    p = Parameter(Tensor([1.0, 2.0]))
    (p * p).sum().backward()
    shallow, deep = copy.copy(p), copy.deepcopy(p)
    back = pickle.loads(pickle.dumps(p))
    for q in (shallow, deep, back):
        assert type(q) is Parameter and q.requires_grad and q.tolist() == [1.0, 2.0]
    assert shallow.data is p.data and shallow.grad is None and back.grad is None
    assert not np.shares_memory(deep.data, p.data)
    frozen = Parameter(Tensor([1.0]), requires_grad=False)
    assert not copy.deepcopy(frozen).requires_grad
    assert not pickle.loads(pickle.dumps(frozen)).requires_grad


def test_a_deep_copied_module_has_its_own_parameters_and_keeps_shared_ones_shared() -> None:
    layer = Linear(2, 2)
    net = Sequential(layer, layer)
    twin = copy.deepcopy(net)
    assert twin[0].weight is twin[1].weight and twin[0].weight is not layer.weight
    assert type(twin[0].weight) is Parameter
    assert not np.shares_memory(twin[0].weight.data, layer.weight.data)
    assert np.array_equal(twin[0].weight.data, layer.weight.data)
    twin[0].weight.data[:] = 0.0
    assert layer.weight.data.any()
    assert copy.copy(layer).weight is layer.weight


class _Named(Tensor):
    """A subclass with attributes of its own."""


def test_a_subclass_keeps_its_class_and_attributes() -> None:
    t = _Named([1.0, 2.0])
    t.label = ["a"]
    for twin in (copy.copy(t), copy.deepcopy(t), pickle.loads(pickle.dumps(t))):
        assert type(twin) is _Named and twin.label == ["a"] and twin.tolist() == [1.0, 2.0]
    assert copy.copy(t).label is t.label and copy.deepcopy(t).label is not t.label


# ------------------------------------------------------------------ tensors inside lists


@pytest.mark.parametrize(
    "data, shape, values",
    [
        ([Tensor([1.0]), Tensor([2.0])], (2,), [1.0, 2.0]),
        ([Tensor([1.0])], (1,), [1.0]),
        ([Tensor([[1.0]]), Tensor([[2.0]])], (2,), [1.0, 2.0]),
        ([Tensor([1.0]), 2.0], (2,), [1.0, 2.0]),
        ([2.0, Tensor([1.0])], (2,), [2.0, 1.0]),
        ([Tensor(1.0), Tensor([2.0])], (2,), [1.0, 2.0]),
        ([[Tensor([1.0])], [Tensor([2.0])]], (2, 1), [[1.0], [2.0]]),
        ([[Tensor([1.0]), Tensor([2.0])]], (1, 2), [[1.0, 2.0]]),
        ([[1.0, 2.0], Tensor([3.0, 4.0])], (2, 2), [[1.0, 2.0], [3.0, 4.0]]),  # a whole row
        ((Tensor([1.0]), Tensor([2.0])), (2,), [1.0, 2.0]),
        ([Tensor([1.0], requires_grad=True)], (1,), [1.0]),
    ],
)
def test_a_tensor_inside_a_list_is_one_number(data: Any, shape: tuple[int, ...], values: Any):
    t = tg.tensor(data)
    assert t.shape == shape and t.dtype == np.float64 and t.tolist() == values
    assert not t.requires_grad


def test_tensors_inside_a_list_keep_their_dtype() -> None:
    ints = tg.tensor([Tensor([1], dtype=np.int32), Tensor([2], dtype=np.int32)])
    assert ints.dtype == np.int32 and ints.tolist() == [1, 2]
    assert tg.tensor([Tensor([True]), Tensor([False])]).dtype == np.bool_
    assert tg.tensor([Tensor([1]), 2.5]).dtype == np.float64


@pytest.mark.parametrize(
    "data", [[Tensor([1.0, 2.0]), Tensor([3.0, 4.0])], [Tensor([]), Tensor([])]]
)
def test_a_tensor_standing_for_a_number_must_have_one_element(data: Any) -> None:
    with pytest.raises(ValueError, match=r"stands for one number.*tg.stack"):
        tg.tensor(data)


def test_numpy_still_reads_lists_of_tensors_its_own_way() -> None:
    with pytest.raises(ValueError, match="stands for one number"):
        tg.tensor([Tensor([1.0, 2.0])])
    assert np.asarray([Tensor([1.0]), Tensor([2.0])]).shape == (2, 1)  # outside tg.tensor


# ------------------------------------------------------------------ == with other objects


@pytest.mark.parametrize("other", [None, [1.0, 3.0], (1.0, 2.0), "a", object()])
def test_equality_with_what_is_not_a_tensor_or_a_number_is_a_python_bool(other: Any) -> None:
    t = Tensor([1.0, 2.0])
    assert (t == other) is False and (other == t) is False
    assert (t != other) is True and (other != t) is True
    with pytest.raises(TypeError, match="not supported"):
        _ = t < other
    assert t in [None, t] and [None, t].index(t) == 1


def test_equality_with_numbers_and_arrays_stays_elementwise() -> None:
    t = Tensor([1.0, 2.0])
    assert (t == np.array([1.0, 3.0])).tolist() == [True, False]
    assert (t == 1 + 0j).tolist() == [True, False] and (t != np.float32(2)).tolist() == [
        True,
        False,
    ]
    assert (t < Tensor([2.0, 2.0])).tolist() == [True, False]


# ------------------------------------------------------------------ Python ints beyond int64


@pytest.mark.parametrize(
    "data", [[2**63], 2**63, [2**64], [True, 2**63], [2**63, 1], [-(2**63) - 1]]
)
def test_an_int_beyond_int64_is_refused_in_integer_data(data: Any) -> None:
    with pytest.raises(ValueError, match="does not fit int64"):
        tg.tensor(data)


def test_an_int_beyond_int64_becomes_a_float_beside_a_float() -> None:
    t = tg.tensor([2**64, 1.0])
    assert t.dtype == np.float64 and t.tolist() == [2.0**64, 1.0]
    assert tg.tensor([[1.0], [2**70]]).tolist() == [[1.0], [2.0**70]]
    assert tg.tensor([2**63, 1.5]).tolist() == [2.0**63, 1.5]
    assert tg.tensor([Tensor([1.0]), 2**64]).tolist() == [1.0, 2.0**64]
    with pytest.raises(OverflowError, match="too large for float64"):
        tg.tensor([10**400, 1.0])
    assert "digits" in _message(lambda: tg.tensor([10**400]))


def test_an_int_beyond_int64_takes_the_dtype_asked_for() -> None:
    assert tg.tensor([2**63], dtype=np.uint64).tolist() == [2**63]
    assert tg.tensor([2**63 + 1, 1], dtype=np.uint64).tolist() == [2**63 + 1, 1]  # exact
    assert tg.tensor([2**64 - 1], dtype=np.uint64).tolist() == [2**64 - 1]
    assert tg.tensor([2**64], dtype=np.float64).tolist() == [2.0**64]
    with pytest.raises(ValueError, match="does not fit dtype uint64"):
        tg.tensor([2**64], dtype=np.uint64)
    with pytest.raises(ValueError, match="does not fit dtype int64"):
        tg.tensor([2**63], dtype=np.int64)
    assert tg.tensor([-(2**63), 2**63 - 1]).dtype == np.int64


def _message(call: Any) -> str:
    with pytest.raises(ValueError) as info:
        call()
    return str(info.value)
