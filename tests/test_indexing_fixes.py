"""Indexing results that are views, 0-d reductions that are copies, empty masks, 0-d gather."""

import numpy as np
import pytest

import tinygrad_lite as tl


def test_element_index_is_a_view_of_its_tensor():
    m = tl.zeros(2, 3, dtype=tl.float64)
    m[1, 2].fill_(5)
    m[0].select(0, 1).add_(2)
    m.unbind(0)[0][0].sub_(1)
    m[tl.tensor(1), 0].add_(3)  # a 0-d integer tensor indexes as an integer
    m[np.int64(1), -2].add_(4)
    assert m.tolist() == [[-1.0, 2.0, 0.0], [3.0, 4.0, 5.0]]


def test_element_taken_before_a_write_sees_it():
    m = tl.zeros(2, 3, dtype=tl.float64)
    e, s, u = m[1, 2], m[0].select(0, 1), m.unbind(1)[2][1]
    m.add_(4)
    assert (e.item(), s.item(), u.item()) == (4.0, 4.0, 4.0)


def test_zero_dim_index_results_are_views():
    x = tl.tensor(0.5, dtype=tl.float64)
    x[()].fill_(3)
    assert x.item() == 3.0
    v = tl.zeros(3)
    for e in v:
        e.add_(1)
    assert v.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("dtype", [tl.float32, tl.float64, tl.int32, tl.bool])
def test_element_is_a_zero_dim_array_of_the_dtype(dtype):
    e = tl.zeros(2, 3, dtype=dtype)[1, 2]
    assert type(e.data) is np.ndarray and e.shape == () and e.dtype == dtype


def test_element_copies_where_pytorch_copies():
    m = tl.zeros(2, 3, dtype=tl.float64)
    r = m[1, 2, True]  # a bool scalar is advanced indexing: a copy
    r.fill_(7)
    assert r.shape == (1,) and m.tolist() == [[0.0] * 3] * 2


def test_element_gradients_first_and_second_order():
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    m = tl.tensor(a, requires_grad=True)
    y = m[1, 2] * m[0].select(0, 1) * m.unbind(1)[0][1] ** 2
    assert y.item() == 6.0 * 2.0 * 16.0
    (g,) = tl.autograd.grad(y, m, create_graph=True)
    assert g.tolist() == [[0.0, 96.0, 0.0], [2 * 4 * 12.0, 0.0, 32.0]]
    (h,) = tl.autograd.grad(g[1, 0], m)  # d/dm of 2 m10 m01 m12
    assert h.tolist() == [[0.0, 48.0, 0.0], [24.0, 0.0, 16.0]]


REDUCTIONS_0D = {
    "median": lambda x: x.median(0),
    "nanmedian": lambda x: x.nanmedian(-1),
    "cummax": lambda x: x.cummax(0),
    "cummin": lambda x: x.cummin(-1),
    "sort": lambda x: x.sort(0),
    "topk": lambda x: x.topk(1),
    "kthvalue": lambda x: x.kthvalue(1),
    "mode": lambda x: x.mode(),
    "max": lambda x: x.max(0),
    "min": lambda x: x.min(-1),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS_0D))
def test_zero_dim_reduction_values_are_new_tensors(name):
    x = tl.tensor(0.7, dtype=tl.float64, requires_grad=True)
    values, indices = REDUCTIONS_0D[name](x)
    assert values.shape == () and indices.tolist() == 0 and indices.dtype == tl.int64
    assert not np.shares_memory(values.data, x.data)
    (values * 3).backward()
    assert x.grad.item() == 3.0
    with tl.no_grad():
        values.mul_(10)
    assert x.item() == 0.7


def test_diff_of_order_zero_is_a_copy():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = x.diff(0)
    assert not np.shares_memory(y.data, x.data)
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("shape", [(2, 0), (0,), (1, 2, 0, 2, 0), (0, 3)])
def test_empty_mask_over_every_dim(shape):
    x = tl.zeros(*shape)
    assert x[x > 0].shape == (0,)
    assert x[np.zeros(shape, bool)].shape == (0,)


def test_empty_mask_over_leading_dims():
    x = tl.zeros(2, 0, 3, requires_grad=True)
    mask = np.zeros((2, 0), bool)
    assert x[mask].shape == (0, 3)
    assert x[0, mask[0]].shape == (0, 3)
    assert x[tl.tensor(mask)].shape == (0, 3)
    x[mask].sum().backward()
    assert x.grad.shape == (2, 0, 3)
    assert tl.zeros(2)[[]].shape == (0,)  # an empty list is still an (empty) list of positions


@pytest.mark.parametrize("dim", [0, -1])
def test_gather_zero_dim(dim):
    x = tl.tensor(0.5, dtype=tl.float64, requires_grad=True)
    y = tl.gather(x, dim, tl.tensor(0))
    assert y.shape == () and y.item() == 0.5 and y.dtype == tl.float64
    assert type(y.data) is np.ndarray and not np.shares_memory(y.data, x.data)
    y.backward()
    assert x.grad.item() == 1.0


def test_gather_zero_dim_and_vector_mixed():
    x = tl.tensor(0.5, dtype=tl.float64, requires_grad=True)
    y = x.gather(0, tl.tensor([0, 0]))
    assert y.tolist() == [0.5, 0.5]
    y.sum().backward()
    assert x.grad.item() == 2.0
    v = tl.tensor([0.5, 1.5], requires_grad=True)
    w = v.gather(0, tl.tensor(1))
    assert w.shape == () and w.item() == 1.5
    w.backward()
    assert v.grad.tolist() == [0.0, 1.0]
    assert x.gather(0, tl.tensor([], dtype=tl.int64)).shape == (0,)


def test_gather_refuses_bad_indices_and_dims():
    x = tl.tensor(0.5)
    for bad in (1, -1):
        with pytest.raises(IndexError, match=f"index {bad} is out of range"):
            x.gather(0, tl.tensor(bad))
    with pytest.raises(IndexError, match="index -1 is out of range for dim 0 of size 2"):
        tl.tensor([0.5, 1.5]).gather(0, tl.tensor([-1]))
    with pytest.raises(IndexError, match="dim 1 is out of range"):
        x.gather(1, tl.tensor(0))
    with pytest.raises(ValueError, match="index must be an integer tensor"):
        x.gather(0, tl.tensor([[0]]))
    with pytest.raises(ValueError, match="index must be an integer tensor"):
        tl.tensor([[0.5, 1.5]]).gather(0, tl.tensor(0))


def test_roll_of_zero_dim_with_dims_is_refused():
    x = tl.tensor(0.5)
    assert x.roll(1).item() == 0.5
    for dims in (0, -1, (0,)):
        with pytest.raises(IndexError, match="0-d tensor has no dimensions"):
            x.roll(1 if isinstance(dims, int) else (1,), dims)
