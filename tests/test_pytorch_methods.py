"""PyTorch's Tensor methods that users type: pieces and tiles, triangles, norms, rounding, `to`.

Values are checked against hand-worked results, gradients against float64 finite differences,
refusals by their messages; the last test compares every method with PyTorch (where installed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite.gradcheck import gradcheck

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4))
V = RNG.standard_normal(4)
M = np.arange(12.0).reshape(3, 4)


def test_pieces_along_a_dimension() -> None:
    x = Tensor(M)
    assert [c.shape for c in x.chunk(3, 1)] == [(3, 2), (3, 2)]  # ⌈4/3⌉ = 2: two pieces
    assert [c.shape for c in Tensor(np.arange(5.0)).chunk(4)] == [(2,), (2,), (1,)]
    assert [c.shape for c in Tensor(np.zeros(0)).chunk(3)] == [(0,)] * 3
    assert [u.tolist() for u in x.unbind(0)] == M.tolist()
    assert x.select(1, -1).tolist() == [3.0, 7.0, 11.0]
    assert x.narrow(1, -3, 2).tolist() == [[1.0, 2.0], [5.0, 6.0], [9.0, 10.0]]
    assert x.narrow(0, 1, 0).shape == (0, 4)
    assert x.index_select(1, np.array([2, 0, 2])).tolist() == [[2, 0, 2], [6, 4, 6], [10, 8, 10]]
    assert x.index_select(0, Tensor(np.array(1))).tolist() == [[4.0, 5.0, 6.0, 7.0]]


def test_tiles_rolls_and_moved_dimensions() -> None:
    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert x.repeat(1, 2).tolist() == [[1, 2, 1, 2], [3, 4, 3, 4]]
    assert x.repeat(2, 1, 1).shape == (2, 2, 2) and x.repeat(2, 1, 1).tolist()[1] == x.tolist()
    assert x.repeat(0, 1).shape == (0, 2)
    assert x.tile((2,)).tolist() == [[1, 2, 1, 2], [3, 4, 3, 4]]  # 1s in front: (1, 2)
    assert Tensor(M).roll(1, 1).tolist()[0] == [3.0, 0.0, 1.0, 2.0]
    assert Tensor(np.arange(6).reshape(2, 3)).roll(1).tolist() == [[5, 0, 1], [2, 3, 4]]
    assert Tensor(np.arange(6).reshape(2, 3)).roll((1, 1), (0, 1)).tolist() == [
        [5, 3, 4],
        [2, 0, 1],
    ]
    y = Tensor(np.zeros((2, 3, 4)))
    assert y.movedim(0, -1).shape == (3, 4, 2) and y.moveaxis(0, -1).shape == (3, 4, 2)
    assert y.movedim((0, 1), (2, 0)).shape == (3, 4, 2)
    assert y.swapdims(0, 2).shape == (4, 3, 2)


def test_triangles_diagonals_and_selections() -> None:
    x = Tensor(M)
    assert x.tril(-1).tolist() == [[0, 0, 0, 0], [4, 0, 0, 0], [8, 9, 0, 0]]
    assert x.triu(1).tolist() == [[0, 1, 2, 3], [0, 0, 6, 7], [0, 0, 0, 11]]
    assert Tensor(np.ones((2, 2, 3))).triu(1).tolist()[1] == [[0, 1, 1], [0, 0, 1]]
    assert x.diag().tolist() == [0.0, 5.0, 10.0] and x.diag(1).tolist() == [1.0, 6.0, 11.0]
    assert x.diag(-2).tolist() == [8.0] and x.diag(5).tolist() == []
    assert Tensor(np.array([1.0, 2.0])).diag(1).tolist() == [[0, 1, 0], [0, 0, 2], [0, 0, 0]]
    assert x.trace().item() == 15.0
    assert x.masked_select(np.array([True, False, False, True])).tolist() == [0, 3, 4, 7, 8, 11]
    assert Tensor(np.array([[0, 1], [2, 0]])).nonzero().tolist() == [[0, 1], [1, 0]]
    rows, cols = Tensor(np.array([[0, 1], [2, 0]])).nonzero(as_tuple=True)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]


def test_norms_products_and_arithmetic() -> None:
    x = Tensor(np.array([[3.0, -4.0], [0.0, 12.0]]))
    assert x.norm().item() == 13.0 and x.norm("fro", dim=1).tolist() == [5.0, 12.0]
    assert x.norm(2, dim=0, keepdim=True).tolist() == [[3.0, np.hypot(4.0, 12.0)]]
    assert x.norm(1).item() == 19.0 and x.norm(np.inf).item() == 12.0
    assert x.norm(-np.inf, dim=1).tolist() == [3.0, 0.0] and x.norm(0).item() == 3.0
    v = Tensor(np.array([1.0, 2.0, 3.0]))
    assert v.dot(v).item() == 14.0 and v.outer(v[:2]).tolist() == [[1, 2], [2, 4], [3, 6]]
    assert Tensor(np.array([2, 4])).reciprocal().tolist() == [0.5, 0.25]
    with np.errstate(divide="ignore"):  # 1/0 warns as NumPy's division does
        assert Tensor(np.array([4.0, 0.0])).rsqrt().tolist() == [0.5, np.inf]
    assert Tensor(np.array([1.0, 5.0])).clamp_min(2.5).tolist() == [2.5, 5.0]
    assert Tensor(np.array([1.0, 5.0])).clamp_max(2.5).tolist() == [1.0, 2.5]
    assert Tensor(np.array([3.0])).true_divide(2).tolist() == [1.5]
    assert Tensor(np.array([-2.75, 1.5])).frac().tolist() == [-0.75, 0.5]


def test_rounding_gives_values_without_gradient() -> None:
    x = Tensor(np.array([0.5, 1.5, 2.5, -0.5, -1.7]), requires_grad=True)
    assert x.round().tolist() == [0.0, 2.0, 2.0, -0.0, -2.0]  # halves to even
    assert x.floor().tolist() == [0.0, 1.0, 2.0, -1.0, -2.0]
    assert x.ceil().tolist() == [1.0, 2.0, 3.0, -0.0, -1.0]
    assert x.trunc().tolist() == [0.0, 1.0, 2.0, -0.0, -1.0]
    assert not any(f().requires_grad for f in (x.round, x.floor, x.ceil, x.trunc))
    assert Tensor(np.array([1.2345, -0.125])).round(decimals=2).tolist() == [1.23, -0.12]
    assert Tensor(np.array([1234.5, 1250.0])).round(decimals=-2).tolist() == [1200.0, 1200.0]
    i = Tensor(np.array([1, -2]))
    assert i.floor().tolist() == [1, -2] and i.round().dtype == np.int64


def test_comparisons_and_closeness() -> None:
    x = Tensor(np.array([1.0, 2.0, 3.0]))
    assert x.eq(2).tolist() == [False, True, False] and x.ne(2).tolist() == [True, False, True]
    assert x.lt(2).tolist() == [True, False, False] and x.le(2).tolist() == [True, True, False]
    assert x.gt(2).tolist() == [False, False, True] and x.ge(2).tolist() == [False, True, True]
    assert x.logical_and(np.array([0.0, 1.0, 2.0])).tolist() == [False, True, True]
    assert x.logical_or(np.zeros(3)).tolist() == [True] * 3
    assert x.logical_xor(np.array([1, 0, 1])).tolist() == [False, True, False]
    assert x.isclose(x + 1e-9).tolist() == [True] * 3 and x.allclose(x.data + 1e-9)
    nan = Tensor(np.array([np.nan]))
    assert not nan.isclose(nan).item() and nan.isclose(nan, equal_nan=True).item()
    assert x.equal(Tensor(np.array([1, 2, 3]))) and not x.equal(x.reshape(3, 1))
    assert not nan.equal(nan)


def test_bit_operators_are_pytorchs_bitwise_ones() -> None:
    """&, |, ^, ~, <<, >>: logical on bools, bit by bit on integers; a number promotes a mask
    (`mask & 1` is int64, as in PyTorch); floats are refused; `&=` changes the tensor itself."""
    m, i = Tensor([True, False]), Tensor(np.array([5, 3], np.int32))
    assert (m & 1).dtype == np.int64 and (m & 1).tolist() == [1, 0]
    assert (m & True).tolist() == [True, False] and (~m).tolist() == [False, True]
    assert (i & 6).dtype == np.int32 and (i & 6).tolist() == [4, 2] and (6 & i).tolist() == [4, 2]
    assert (~i).tolist() == [-6, -4] and (i ^ m).tolist() == [4, 3]
    assert (i << 2).tolist() == [20, 12] and (2 << i).tolist() == [64, 16]
    assert (i >> 1).tolist() == [2, 1] and (64 >> i).tolist() == [2, 8]
    with pytest.raises(TypeError, match="bitwise_and: needs integer or bool tensors"):
        _ = Tensor([1.0]) & 1
    with pytest.raises(TypeError, match="bitwise_not: needs integer or bool"):
        _ = ~Tensor([1.0])
    alias = m
    m &= Tensor([False, True])
    assert m is alias and alias.tolist() == [False, False]


def test_size_is_numpys_count_and_pytorchs_shape() -> None:
    x = Tensor(np.zeros((3, 4)))
    assert x.size == 12 and isinstance(x.size, int) and x.size * 2 == 24  # NumPy's
    assert x.size() == (3, 4) and x.size(0) == 3 and x.size(-1) == 4  # PyTorch's
    assert Tensor(5.0).size == 1 and Tensor(5.0).size() == ()
    with pytest.raises(IndexError, match="0-d tensor has no dimension 0"):
        Tensor(5.0).size(0)
    with pytest.raises(IndexError, match="out of range"):
        x.size(2)


def test_casts_to_the_dtype_a_tensor_has_return_it_as_pytorchs() -> None:
    # A leaf stays the leaf: x = randn(3, requires_grad=True).double() keeps x.grad working.
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert x.double() is x and x.type_as(x) is x
    assert x.float() is not x and x.float().dtype == np.float32
    f = Tensor(np.array([1.5], np.float32))
    i, j, b = Tensor(np.array([3])), Tensor(np.array([3], np.int32)), Tensor(np.array([True]))
    assert f.float() is f and i.long() is i and j.int() is j and b.bool() is b
    assert i.int() is not i and i.int().dtype == np.int32 and f.long().tolist() == [1]


def test_to_device_and_new_tensors() -> None:
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert x.to("cpu") is x and x.to(np.float64) is x and x.cpu() is x and x.contiguous() is x
    assert x.device == "cpu" and x.to(x.device) is x
    y = x.to("cpu:0", np.float32)
    assert y.dtype == np.float32 and y.requires_grad
    assert x.to(Tensor(np.zeros(1, np.float32))).dtype == np.float32
    copied = x.to(copy=True)
    assert copied is not x and copied.tolist() == x.tolist() and copied.requires_grad
    assert x.new_zeros(2, 3).shape == (2, 3) and x.new_zeros((2,)).dtype == np.float64
    assert not x.new_ones(2).requires_grad and x.new_ones(2, requires_grad=True).requires_grad
    assert Tensor(np.array([1, 2])).new_full((2,), 2.7).tolist() == [2, 2]  # self's dtype
    assert Tensor(np.array([1, 2])).new_tensor([1.5, -2.5]).tolist() == [1, -2]
    assert x.new_tensor([3], dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: Tensor(A).to("cuda"), "there is no device 'cuda'"),
        (lambda: Tensor(A).to("mps:0"), "on the CPU"),
        (lambda: Tensor(A).norm(p=0.5), "p=0.5 is not supported"),
        (lambda: Tensor(np.array([3, 4])).norm(), "needs a float tensor"),
        (lambda: Tensor(A).dot(Tensor(A)), r"two 1-D tensors, got shapes \(3, 4\)"),
        (lambda: Tensor(V).dot(Tensor(V.astype(np.float32))), "one length and dtype"),
        (lambda: Tensor(V).outer(Tensor(A)), "two 1-D tensors"),
        (lambda: Tensor(V).tril(), "at least 2 dimensions"),
        (lambda: Tensor(np.zeros((2, 2, 2))).diag(), "1-D or 2-D"),
        (lambda: Tensor(np.zeros((2, 2, 2))).trace(), "needs a matrix"),
        (lambda: Tensor(A).repeat(2), "give at least one per dimension"),
        (lambda: Tensor(A).narrow(1, 3, 2), "exceeds dim 1's size 4"),
        (lambda: Tensor(A).narrow(1, -5, 1), "start -5 is out of range"),
        (lambda: Tensor(A).select(1, 4), "index 4 is out of range"),
        (lambda: Tensor(A).index_select(1, np.array([4])), r"out of range \[0, 4\)"),
        (lambda: Tensor(A).index_select(1, np.array([[0]])), "a vector of ints"),
        (lambda: Tensor(A).index_select(1, np.array([0.0])), "a vector of ints"),
        (lambda: Tensor(A).chunk(0), "positive int"),
        (lambda: Tensor(A).roll((1, 2), 0), "2 shifts for 1 dims"),
        (lambda: Tensor(A).movedim((0, 1), 1), "2 source dims and 1 destinations"),
        (lambda: Tensor(A).masked_select(np.array([1, 0, 1, 0])), "must be bool"),
        (lambda: Tensor(np.array([True])).floor(), "not defined for bool"),
        (lambda: Tensor(np.array([1])).frac(), "needs a float tensor"),
        (lambda: Tensor(np.eye(2, dtype=bool)) @ Tensor(np.eye(2, dtype=bool)), "two bool"),
    ],
)
def test_refusals_name_the_problem(call: Callable[[], Any], match: str) -> None:
    with pytest.raises((ValueError, TypeError, IndexError, RuntimeError), match=match):
        call()


MASK = A[0] > 0
DIFFERENTIABLE: dict[str, tuple[Callable[[Any], Any], np.ndarray]] = {
    "chunk": (lambda x: x.chunk(3, 1)[1], A),
    "unbind": (lambda x: x.unbind(1)[2], A),
    "select": (lambda x: x.select(1, -1), A),
    "narrow": (lambda x: x.narrow(1, -3, 2), A),
    "index_select": (lambda x: x.index_select(1, _index(x, [2, 0, 2])), A),
    "repeat": (lambda x: x.repeat(2, 1, 3), A),
    "tile": (lambda x: x.tile((2,)), A),
    "roll": (lambda x: x.roll((1, -2), (0, 1)), A),
    "roll_flat": (lambda x: x.roll(5), A),
    "movedim": (lambda x: x.reshape(3, 2, 2).movedim((0, 1), (2, 0)), A),
    "tril": (lambda x: x.tril(-1), A),
    "triu": (lambda x: x.triu(1), A),
    "diag_of_matrix": (lambda x: x.diag(1), A),
    "diag_of_vector": (lambda x: x.diag(-2), V),
    "trace": (lambda x: x.trace(), A),
    "masked_select": (lambda x: x.masked_select(_index(x, MASK)), A),
    "outer": (lambda x: x.outer(x * 2.0), V),
    "dot": (lambda x: x.dot(x * 3.0), V),
    "norm": (lambda x: x.norm(), A),
    "norm_dim": (lambda x: x.norm(dim=1, keepdim=True), A),
    "norm_1": (lambda x: x.norm(p=1, dim=0), A),
    "norm_inf": (lambda x: x.norm(p=float("inf")), A),
    "norm_-inf": (lambda x: x.norm(p=-float("inf"), dim=1), A),
    "reciprocal": (lambda x: x.reciprocal(), A),
    "rsqrt": (lambda x: (x * x + 0.1).rsqrt(), A),
    "frac": (lambda x: (x * 3.0).frac(), A),
    "clamp_min": (lambda x: x.clamp_min(0.1), A),
    "clamp_max": (lambda x: x.clamp_max(0.1), A),
}


def _index(x: Any, values: Any) -> Any:
    """The index as each library takes it: a NumPy array here, a tensor for PyTorch."""
    if isinstance(x, Tensor):
        return np.asarray(values)
    import torch

    return torch.from_numpy(np.asarray(values))


@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE))
def test_gradients_equal_finite_differences(name: str) -> None:
    fn, values = DIFFERENTIABLE[name]
    assert gradcheck(fn, Tensor(values.copy(), requires_grad=True))


@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE))
def test_values_and_gradients_equal_pytorchs(name: str) -> None:
    torch = pytest.importorskip("torch")
    fn, values = DIFFERENTIABLE[name]
    x = Tensor(values.copy(), requires_grad=True)
    out = fn(x)
    upstream = np.cos(np.arange(out.data.size)).reshape(out.shape)
    out.backward(upstream)
    tx = torch.tensor(values, requires_grad=True)
    tout = fn(tx)
    tout.backward(torch.from_numpy(upstream))
    assert out.shape == tuple(tout.shape)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-13, atol=0)
    assert x.grad is not None and tx.grad is not None
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-13, atol=1e-15)


# ------------------------------------------------------------------ top-level functions

FUNCTIONS: dict[str, tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = {
    "abs": (tg.abs, (), {}),
    "sqrt": (tg.sqrt, (), {}),
    "exp": (tg.exp, (), {}),
    "log": (tg.log, (), {}),
    "sigmoid": (tg.sigmoid, (), {}),
    "tanh": (tg.tanh, (), {}),
    "relu": (tg.relu, (), {}),
    "clamp": (tg.clamp, (0.2, 0.7), {}),
    "softmax": (tg.softmax, (1,), {}),
    "log_softmax": (tg.log_softmax, (0,), {}),
    "sum": (tg.sum, (1,), {"keepdim": True}),
    "mean": (tg.mean, (0,), {}),
    "prod": (tg.prod, (1,), {}),
    "std": (tg.std, (1,), {"correction": 0}),
    "var": (tg.var, (0,), {}),
    "logsumexp": (tg.logsumexp, (1,), {}),
    "amax": (tg.amax, (0,), {}),
    "amin": (tg.amin, (1,), {"keepdim": True}),
    "max": (tg.max, (), {}),
    "min": (tg.min, (), {}),
    "argmax": (tg.argmax, (1,), {}),
    "argmin": (tg.argmin, (), {}),
    "norm": (tg.norm, (1,), {"dim": 0}),
    "matmul": (tg.matmul, (np.ones((4, 2)),), {}),
    "mm": (tg.mm, (np.ones((4, 2)),), {}),
    "reshape": (tg.reshape, ((4, 3),), {}),
    "flatten": (tg.flatten, (), {}),
    "squeeze": (tg.squeeze, (), {}),
    "unsqueeze": (tg.unsqueeze, (1,), {}),
    "transpose": (tg.transpose, (0, 1), {}),
    "permute": (tg.permute, ((1, 0),), {}),
    "broadcast_to": (tg.broadcast_to, ((2, 3, 4),), {}),
    "split": (tg.split, (2,), {"dim": 1}),
    "chunk": (tg.chunk, (2,), {}),
    "diag": (tg.diag, (1,), {}),
    "tril": (tg.tril, (), {}),
    "triu": (tg.triu, (-1,), {}),
    "isclose": (tg.isclose, (np.full((3, 4), 0.5),), {"atol": 0.1}),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_each_top_level_function_is_the_method_of_its_name(name: str) -> None:
    fn, args, kwargs = FUNCTIONS[name]
    x = Tensor(np.abs(A) + 0.1, requires_grad=True)
    ours, method = fn(x, *args, **kwargs), getattr(x, name)(*args, **kwargs)
    for a, b in zip(
        ours if isinstance(ours, tuple) else (ours,),
        method if isinstance(method, tuple) else (method,),
        strict=True,
    ):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_array_equal(a.data, b.data)
        assert a.requires_grad == b.requires_grad


def test_top_level_tests_products_and_the_inference_mode() -> None:
    v = Tensor(np.array([1.0, 2.0]))
    assert tg.dot(v, v).item() == 5.0 and tg.outer(v, v).tolist() == [[1, 2], [2, 4]]
    assert tg.allclose(v, v.data + 1e-9) and tg.equal(v, Tensor(np.array([1, 2])))
    assert tg.is_tensor(v) and not tg.is_tensor(v.data) and tg.numel(Tensor(A)) == 12
    w = Tensor(np.ones(2), requires_grad=True)
    with tg.inference_mode():
        assert not (w * 2).requires_grad
    with pytest.raises(TypeError, match="expected a Tensor, got ndarray"):
        tg.sum(np.ones(2))


def test_new_tensors_from_ranges_draws_and_arrays() -> None:
    assert tg.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert tg.linspace(-1, 1, 3, dtype=np.float32).dtype == np.float32
    assert tg.empty(2, 3).tolist() == [[0.0] * 3] * 2
    draws = tg.randint(3, 7, (1000,), seed=0)
    assert draws.dtype == np.int64 and set(draws.tolist()) == {3, 4, 5, 6}
    assert (
        tg.randint(4, size=(2, 2), seed=1).tolist() == tg.randint(4, size=(2, 2), seed=1).tolist()
    )
    assert sorted(tg.randperm(10, seed=0).tolist()) == list(range(10))
    tg.manual_seed(5)
    first = tg.randperm(6).tolist()
    tg.manual_seed(5)
    assert tg.randperm(6).tolist() == first
    a = np.arange(3.0)
    t = tg.from_numpy(a)
    a[0] = 7.0
    assert t.tolist() == [7.0, 1.0, 2.0]  # one memory, as in PyTorch
    for bad, match in [
        (lambda: tg.linspace(0, 1, -1), "steps must be an int >= 0"),
        (lambda: tg.randint(5, 5, (2,)), "needs low < high"),
        (lambda: tg.randperm(-1), "n must be an int >= 0"),
        (lambda: tg.from_numpy([1.0]), "expected a numpy.ndarray"),
        (lambda: tg.from_numpy(np.array(["a"])), "unsupported dtype"),
    ]:
        with pytest.raises((ValueError, TypeError), match=match):
            bad()
