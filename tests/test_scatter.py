"""scatter, scatter_add, index_add, take, take_along_dim, diagonal, unflatten: NumPy
references, derivatives, repeated positions and the refusals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck

RNG = np.random.default_rng(1)


def leaf(*shape: int) -> Tensor:
    return Tensor(RNG.uniform(-1.5, 1.5, shape), requires_grad=True)


def written_one_at_a_time(x: Any, dim: int, index: Any, src: Any, add: bool = False) -> Any:
    """The writes (or additions) in C order over the index, one element at a time."""
    out = np.array(x, dtype=float)
    for pos in np.ndindex(*index.shape):
        target = list(pos)
        target[dim] = index[pos]
        value = src[pos] if np.ndim(src) else src
        out[tuple(target)] = out[tuple(target)] + value if add else value
    return out


# index along dim 1 with repeated positions in both rows
INDEX = np.array([[0, 2, 0, 3], [1, 1, 1, 0]])


def test_scatter_writes_src_and_the_last_of_repeated_writes_stays() -> None:
    x, src = leaf(2, 5), leaf(2, 4)
    y = x.scatter(1, INDEX, src)
    np.testing.assert_array_equal(y.data, written_one_at_a_time(x.data, 1, INDEX, src.data))
    assert y.data[0, 0] == src.data[0, 2] and y.data[1, 1] == src.data[1, 2]
    w = RNG.standard_normal((2, 5))
    (y * Tensor(w)).sum().backward()
    assert x.grad is not None and src.grad is not None
    written = np.zeros((2, 5), bool)
    written[0, [0, 2, 3]] = written[1, [0, 1]] = True
    np.testing.assert_array_equal(x.grad.data, np.where(written, 0.0, w))
    # only the writes that stayed get a gradient: the derivative of what is computed
    expected = np.array([[0.0, w[0, 2], w[0, 0], w[0, 3]], [0.0, 0.0, w[1, 1], w[1, 0]]])
    np.testing.assert_array_equal(src.grad.data, expected)
    assert gradgradcheck(lambda u, s: u.scatter(1, INDEX, s), x, src)


def test_scatter_from_a_larger_src_a_number_and_value() -> None:
    x, src = leaf(3, 2), leaf(4, 3)
    index = np.array([[2, 0], [1, 1]])
    y = tg.scatter(x, 0, index, src)
    np.testing.assert_array_equal(y.data, written_one_at_a_time(x.data, 0, index, src.data))
    assert gradcheck(lambda u, s: u.scatter(0, index, s), x, src)
    ints = tg.zeros(3, dtype=np.int64).scatter(0, tg.tensor([1]), 2.7)
    assert ints.tolist() == [0, 2, 0] and ints.dtype == np.int64  # cast to the dtype
    assert tg.zeros(2).scatter(0, tg.tensor([1]), value=-1.0).tolist() == [0.0, -1.0]
    assert tg.tensor(1.0).scatter(0, tg.tensor(0), tg.tensor(5.0)).tolist() == 5.0


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda x: x.scatter(1, [[3], [0]], 1.0), IndexError, "index 3 is out of range for "),
        (lambda x: x.scatter(1, [[-1], [0]], 1.0), IndexError, "index -1 is out of range for"),
        (lambda x: x.scatter(1, [[0], [0]], 1.0, reduce="sum"), ValueError, "'add' or 'multiply'"),
        (lambda x: x.scatter(1, [[0], [0]]), TypeError, "give src"),
        (lambda x: x.scatter(1, [[0.5], [0]], 1.0), TypeError, "index must hold integers"),
        (lambda x: x.scatter(1, [0, 1], tg.ones(2)), ValueError, "as many dimensions as self"),
        (lambda x: x.scatter(1, [[0, 1]] * 3, tg.ones(3, 2)), ValueError, "no larger than self"),
        (lambda x: x.scatter(1, [[0, 1]] * 2, tg.ones(2, 1)), ValueError, "no larger than src"),
        (lambda x: x.scatter(0, [[0]], tg.ones(1, 1, dtype=np.float32)), TypeError, "same dtype"),
        (lambda x: x.scatter_add(1, [[3], [0]], tg.ones(2, 1)), IndexError, "dimension 1 of siz"),
        (lambda x: x.scatter_add(1, [[-1], [0]], tg.ones(2, 1)), IndexError, "index -1 is out"),
    ],
)
def test_scatter_refusals(call: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call(tg.zeros(2, 3))


def test_scatter_add_adds_up_repeated_positions() -> None:
    x, src = leaf(2, 5), leaf(3, 4)
    y = tg.scatter_add(x, 1, INDEX, src)
    expected = written_one_at_a_time(x.data, 1, INDEX, src.data, add=True)
    np.testing.assert_allclose(y.data, expected, rtol=1e-15, atol=1e-15)
    assert gradgradcheck(lambda u, s: u.scatter_add(1, INDEX, s), x, src)
    g = np.arange(10.0).reshape(2, 5)
    tg.zeros(2, 5).scatter_add(1, INDEX, src).backward(Tensor(g))
    assert src.grad is not None  # each element gets the gradient where it was added (a gather)
    np.testing.assert_array_equal(src.grad.data[:2], np.take_along_axis(g, INDEX, 1))
    np.testing.assert_array_equal(src.grad.data[2], 0.0)  # outside the index


def test_index_add_adds_alpha_times_the_slices() -> None:
    x, source = leaf(4, 3), leaf(5, 3)
    index = np.array([3, 0, 3, 3, 1])
    y = tg.index_add(x, 0, index, source, alpha=-0.5)
    expected = x.data.copy()
    for i, k in enumerate(index):
        expected[k] += -0.5 * source.data[i]
    np.testing.assert_allclose(y.data, expected, rtol=1e-15, atol=1e-15)
    assert gradgradcheck(lambda u, s: u.index_add(0, index, s, alpha=2.0), x, source)
    t = tg.zeros(2, 3, dtype=np.int64).index_add(
        1, tg.tensor([2, 2]), tg.ones(2, 2, dtype=np.int64)
    )
    assert t.tolist() == [[0, 0, 2], [0, 0, 2]]
    with pytest.raises(IndexError, match="index -1 is out of range for dimension 0 of size 4"):
        x.index_add(0, [-1], leaf(1, 3))
    with pytest.raises(ValueError, match=r"source of shape \(2, 2\) must have shape \(2, 3\)"):
        x.index_add(0, [0, 1], leaf(2, 2))
    with pytest.raises(ValueError, match="index must be a vector"):
        x.index_add(0, [[0]], leaf(1, 3))
    with pytest.raises(TypeError, match="alpha must be a number"):
        t.index_add(0, [0], tg.ones(1, 3, dtype=np.int64), alpha=0.5)


def test_take_reads_the_flat_tensor_and_counts_negative_positions_from_the_end() -> None:
    x = leaf(2, 3)
    index = np.array([[-1, 0], [5, 0]])
    np.testing.assert_array_equal(x.take(index).data, x.data.reshape(-1)[index])
    assert tg.take(x, tg.tensor(4)).shape == ()
    x.take(index).sum().backward()
    assert x.grad is not None and x.grad.data.reshape(-1).tolist() == [2, 0, 0, 0, 0, 2]
    with pytest.raises(IndexError, match="index 6 is out of range for the flattened tensor of "):
        x.take([6])
    with pytest.raises(IndexError, match="index -7 is out of range"):
        x.take([-7])


def test_take_along_dim_broadcasts_and_wraps_negative_positions() -> None:
    x = leaf(2, 3)
    idx = np.array([[2, -3, 1]])  # broadcast over the rows
    expected = np.take_along_axis(x.data, np.broadcast_to(idx, (2, 3)) % 3, 1)
    np.testing.assert_array_equal(tg.take_along_dim(x, idx, 1).data, expected)
    row = leaf(1, 3)  # broadcast over the index's rows
    np.testing.assert_array_equal(
        row.take_along_dim([[2, 0], [1, 1]], 1).data, row.data[0][[[2, 0], [1, 1]]]
    )
    np.testing.assert_array_equal(x.take_along_dim(tg.tensor([5, 0])).data, x.data.flat[[5, 0]])
    assert gradgradcheck(lambda u: u.take_along_dim(idx, 1), x)
    with pytest.raises(IndexError, match="index 3 is out of range for dimension 1 of size 3"):
        x.take_along_dim([[3], [0]], 1)
    with pytest.raises(IndexError, match="index -1 is out of range for the flattened tensor"):
        x.take_along_dim([-1])
    with pytest.raises(ValueError, match="the same number of dimensions"):
        x.take_along_dim([1], 1)
    with pytest.raises(ValueError, match="do not broadcast outside dimension 1"):
        x.take_along_dim(np.zeros((3, 1), int), 1)


@pytest.mark.parametrize(("offset", "dim1", "dim2"), [(0, 0, 1), (1, 0, 2), (-1, 2, 0), (5, 1, 2)])
def test_diagonal_is_numpys(offset: int, dim1: int, dim2: int) -> None:
    x = leaf(3, 2, 4)
    y = tg.diagonal(x, offset, dim1, dim2)
    np.testing.assert_array_equal(y.data, np.diagonal(x.data, offset, dim1, dim2))
    assert gradcheck(lambda u: u.diagonal(offset, dim1, dim2), x)


def test_diagonal_and_unflatten_refusals() -> None:
    with pytest.raises(ValueError, match="two different dimensions, got 1 and -1"):
        tg.ones(2, 2).diagonal(0, 1, -1)
    with pytest.raises(IndexError, match="dim 1 is out of range"):
        tg.ones(3).diagonal()
    assert tg.unflatten(tg.ones(2, 6), 1, (3, -1)).shape == (2, 3, 2)
    assert tg.ones(2, 6).unflatten(-1, [1, 6, 1]).shape == (2, 1, 6, 1)
    with pytest.raises(ValueError, match=r"sizes \[4, -1\] do not multiply up to .* \(6\)"):
        tg.ones(2, 6).unflatten(1, (4, -1))
    with pytest.raises(ValueError, match="at most one of them -1"):
        tg.ones(2, 6).unflatten(1, (-1, -1))
    with pytest.raises(ValueError, match="0-d tensor"):
        tg.tensor(1.0).unflatten(0, (1,))


def test_in_place_forms_write_into_self_and_keep_the_sources_gradient() -> None:
    index = Tensor(np.array([[0, 1, 2, 0]]))
    src = Tensor(np.arange(1.0, 5.0).reshape(1, 4), requires_grad=True)
    x = Tensor(np.zeros((3, 4)))
    alias = x
    assert x.scatter_(0, index, src) is alias
    np.testing.assert_array_equal(x.data, Tensor(np.zeros((3, 4))).scatter(0, index, src).data)
    assert x.requires_grad  # a source that requires grad puts self in the graph, as PyTorch
    (x * Tensor(np.arange(12.0).reshape(3, 4))).sum().backward()
    assert src.grad is not None and src.grad.tolist() == [[0.0, 5.0, 10.0, 3.0]]
    a = Tensor(np.ones((3, 2)))
    a.index_add_(0, Tensor(np.array([0, 0, 2])), Tensor(np.ones((3, 2))), alpha=2)
    assert a.tolist() == [[5.0, 5.0], [1.0, 1.0], [3.0, 3.0]]
    b = Tensor(np.zeros(4))
    b.scatter_add_(0, Tensor(np.array([1, 1, 3])), Tensor(np.array([1.0, 2.0, 3.0])))
    assert b.tolist() == [0.0, 3.0, 0.0, 3.0]
    leaf = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="scatter_: the tensor .* is a leaf that requires grad"):
        leaf.scatter_(0, Tensor(np.array([0])), Tensor(np.array([5.0])))
