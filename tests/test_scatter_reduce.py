"""scatter_reduce, scatter_reduce_ and scatter(reduce=): a NumPy reference of values and
gradients one position at a time, finite differences, ties, NaN, include_self, integers and
bools, the refusals and the in-place rules."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck

NAN = np.nan
REDUCTIONS = ["sum", "prod", "mean", "amax", "amin"]


def reference(
    x: np.ndarray, dim: int, index: np.ndarray, src: np.ndarray, reduce: str, include_self: bool
) -> tuple[np.ndarray, Any]:
    """The result, and the gradients of Σ w·y, one position at a time.

    Each position lists what it combines (self's element unless left out, then the src
    elements sent to it in C order); the gradient of each is w times the product of the
    others (prod), 1 or 1/n (sum, mean), or 1/#ties for the elements equal to the result,
    NaN equal to NaN (amax, amin).
    """
    members: dict[tuple[int, ...], list[tuple[str, tuple[int, ...]]]] = {
        t: [("x", t)] if include_self else [] for t in np.ndindex(*x.shape)
    }
    for p in np.ndindex(*index.shape):
        t = list(p)
        t[dim] = int(index[p])
        members[tuple(t)].append(("s", p))
    y = x.copy()
    shares: dict[tuple[int, ...], list[float]] = {}
    for t, ms in members.items():
        vals = [x[p] if k == "x" else src[p] for k, p in ms]
        if not vals:
            continue
        if reduce in ("sum", "mean"):
            total = vals[0]
            for v in vals[1:]:
                total = total + v
            y[t] = total / len(vals) if reduce == "mean" else total
            shares[t] = [1 / len(vals) if reduce == "mean" else 1.0] * len(vals)
        elif reduce == "prod":
            y[t] = np.prod(vals)
            shares[t] = [np.prod(vals[:i] + vals[i + 1 :]) for i in range(len(vals))]
        else:
            nan = [bool(np.isnan(v)) for v in vals]
            y[t] = NAN if any(nan) else (max(vals) if reduce == "amax" else min(vals))
            won = nan if any(nan) else [v == y[t] for v in vals]
            shares[t] = [w / sum(won) for w in won]

    def grads(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        gx, gs = np.where(include_self, w, 0.0), np.zeros(src.shape)
        for t, ms in members.items():
            if not ms:
                gx[t] = w[t]  # nothing sent, self left out: y = x there
            for (k, p), share in zip(ms, shares.get(t, []), strict=False):
                if k == "x":
                    gx[p] = w[t] * share
                else:
                    gs[p] += w[t] * share
        return gx, gs

    return y, grads


@st.composite
def problems(draw: Any) -> tuple[Any, ...]:
    """Self, a dim, an index with repeats (longer than self along dim, or empty), a src no
    smaller than it, values with ties, zeros and NaN, a reduction and include_self."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    a = draw(st.integers(0, len(shape) - 1))
    index_shape = tuple(
        draw(st.integers(0, 4)) if d == a else draw(st.integers(1, n)) for d, n in enumerate(shape)
    )
    src_shape = tuple(k + draw(st.integers(0, 1)) for k in index_shape)
    index = draw(hnp.arrays(np.int64, index_shape, elements=st.integers(0, shape[a] - 1)))
    values = st.sampled_from([-1.0, 0.0, 0.5, 2.0, NAN])
    x = draw(hnp.arrays(np.float64, shape, elements=values))
    src = draw(hnp.arrays(np.float64, src_shape, elements=values))
    dim = a - len(shape) * draw(st.integers(0, 1))
    return x, dim, index, src, draw(st.sampled_from(REDUCTIONS)), draw(st.booleans())


@given(problems())
def test_values_and_gradients_are_the_references(problem: Any) -> None:
    x, dim, index, src, reduce, include_self = problem
    ours_x, ours_src = Tensor(x, requires_grad=True), Tensor(src, requires_grad=True)
    y = ours_x.scatter_reduce(dim, index, ours_src, reduce, include_self=include_self)
    expected, grads = reference(x, dim % x.ndim, index, src, reduce, include_self)
    np.testing.assert_allclose(y.data, expected, rtol=1e-14, atol=1e-15, equal_nan=True)
    w = np.arange(1.0, y.size + 1).reshape(y.shape)
    (y * Tensor(w)).sum().backward()
    gx, gs = grads(w)
    assert ours_x.grad is not None and ours_src.grad is not None
    np.testing.assert_allclose(ours_x.grad.data, gx, rtol=1e-14, atol=1e-15, equal_nan=True)
    np.testing.assert_allclose(ours_src.grad.data, gs, rtol=1e-14, atol=1e-15, equal_nan=True)


# index along dim 1 with repeated positions in both rows; position 4 of each row gets nothing
INDEX = np.array([[0, 2, 0, 0], [1, 1, 1, 0]])
X = np.array([[0.3, 1.5, -2.0, 0.5, 1.1], [2.0, -0.4, 1.0, -1.0, 0.7]])
SRC = np.array([[-0.9, 3.0, 0.6, 1.2], [0.5, -1.3, 0.8, 2.5], [9.0, 9.0, 9.0, 9.0]])


@pytest.mark.parametrize("reduce", REDUCTIONS)
@pytest.mark.parametrize("include_self", [True, False])
def test_derivatives_against_finite_differences(reduce: str, include_self: bool) -> None:
    x, src = Tensor(X.copy(), requires_grad=True), Tensor(SRC.copy(), requires_grad=True)

    def f(u: Tensor, v: Tensor) -> Tensor:
        return u.scatter_reduce(1, INDEX, v, reduce, include_self=include_self)

    assert gradcheck(f, x, src)
    assert gradgradcheck(f, x, src)


def test_the_product_is_differentiated_exactly_through_zeros_to_the_third_order() -> None:
    # row 0: position 0 multiplies self's 0 with three zeros of src; row 1: two zeros
    x = Tensor(np.array([[0.0, 1.5, 2.0], [1.5, 0.7, -1.0]]), requires_grad=True)
    src = Tensor(np.array([[0.0, 0.0, 3.0, 0.0], [0.0, 0.0, -2.0, 0.5]]), requires_grad=True)
    index = np.array([[0, 0, 1, 0], [1, 1, 1, 2]])

    def f(u: Tensor, v: Tensor) -> Tensor:
        return u.scatter_reduce(1, index, v, "prod")

    def gradient(u: Tensor, v: Tensor) -> Tensor:
        (g,) = tg.grad(f(u, v).sum(), v, create_graph=True)
        assert g is not None
        return g

    assert gradcheck(f, x, src) and gradgradcheck(f, x, src)
    assert gradgradcheck(gradient, x, src)  # third derivatives
    # ∂y[1, 1]/∂src[1, 0] = x[1, 1]·src[1, 1]·src[1, 2] = 0: another zero remains
    (g,) = tg.grad(f(x, src).sum(), src)
    assert g is not None and g.tolist() == [[0.0, 0.0, 1.5, 0.0], [0.0, 0.0, 0.0, -1.0]]


def test_tied_extremes_share_the_gradient_and_self_counts_only_when_included() -> None:
    x = Tensor([5.0, 2.0, 3.0], requires_grad=True)
    src = Tensor([5.0, 5.0, 1.0], requires_grad=True)
    index = np.array([0, 0, 1])
    y = x.scatter_reduce(0, index, src, "amax")
    assert y.tolist() == [5.0, 2.0, 3.0]
    y.sum().backward()
    assert x.grad is not None and src.grad is not None
    np.testing.assert_allclose(x.grad.data, [1 / 3, 1.0, 1.0], rtol=1e-15)
    np.testing.assert_allclose(src.grad.data, [1 / 3, 1 / 3, 0.0], rtol=1e-15)
    x.grad = src.grad = None
    # self left out: the two src elements share (PyTorch counts self too and gives 1/3 each)
    x.scatter_reduce(0, index, src, "amax", include_self=False).sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.0, 1.0], rtol=1e-15)
    np.testing.assert_allclose(src.grad.data, [0.5, 0.5, 1.0], rtol=1e-15)


def test_nan_is_the_extreme_and_takes_the_gradient() -> None:
    x = Tensor([1.0, NAN, 4.0], requires_grad=True)
    src = Tensor([NAN, 5.0, NAN, 0.5], requires_grad=True)
    index = np.array([0, 0, 2, 2])
    for reduce in ("amax", "amin"):
        y = x.scatter_reduce(0, index, src, reduce)
        np.testing.assert_array_equal(y.data, [NAN, NAN, NAN])
        y.sum().backward()
        assert x.grad is not None and src.grad is not None
        # the untouched NaN of self keeps its gradient (PyTorch gives NaN there)
        assert x.grad.tolist() == [0.0, 1.0, 0.0] and src.grad.tolist() == [1.0, 0.0, 1.0, 0.0]
        x.grad = src.grad = None
    y = x.scatter_reduce(0, index, src, "prod")  # each factor's gradient: the others' product
    y.sum().backward()
    assert x.grad is not None and src.grad is not None
    np.testing.assert_array_equal(x.grad.data, [NAN, 1.0, NAN])
    np.testing.assert_array_equal(src.grad.data, [5.0, NAN, 2.0, NAN])


def test_mean_counts_self_only_when_included_and_positions_receiving_nothing_keep_self() -> None:
    x = Tensor([1.0, 2.0, 3.0])
    src = Tensor([4.0, 6.0])
    index = np.array([0, 0])
    assert x.scatter_reduce(0, index, src, "mean").tolist() == [11 / 3, 2.0, 3.0]
    for reduce, first in [("mean", 5.0), ("sum", 10.0), ("prod", 24.0), ("amin", 4.0)]:
        y = x.scatter_reduce(0, index, src, reduce, include_self=False)
        assert y.tolist() == [first, 2.0, 3.0]
    assert x.scatter_reduce(0, np.zeros(0, np.int64), src, "mean", include_self=False).tolist() == [
        1.0,
        2.0,
        3.0,
    ]


def test_integers_and_bools_follow_pytorch() -> None:
    x, src, index = tg.tensor([-2, 2, 3]), tg.tensor([0, 1, 7]), np.array([0, 0, 2])
    assert x.scatter_reduce(0, index, src, "mean").tolist() == [-1, 2, 5]  # ⌊-1/3⌋, ⌊10/2⌋
    assert x.scatter_reduce(0, index, src, "prod").tolist() == [0, 2, 21]
    assert x.scatter_reduce(0, index, src, "amax", include_self=False).tolist() == [1, 2, 7]
    assert x.scatter_reduce(0, index, src, "amin", include_self=False).dtype == np.int64
    u = tg.tensor(np.array([3, 4], np.uint8))
    s = tg.tensor(np.array([200, 200], np.uint8))
    assert u.scatter_reduce(0, [0, 0], s, "sum").tolist() == [147, 4]  # wraps, as in PyTorch
    assert u.scatter_reduce(0, [0, 0], s, "mean").tolist() == [49, 4]
    b, sb = tg.tensor([True, False, False]), tg.tensor([False, True, True])
    index = np.array([0, 1, 1])
    assert b.scatter_reduce(0, index, sb, "sum").tolist() == [True, True, False]  # or
    assert b.scatter_reduce(0, index, sb, "prod").tolist() == [False, False, False]  # and
    assert b.scatter_reduce(0, index, sb, "amin", include_self=False).tolist() == [
        False,
        True,
        False,
    ]
    with pytest.raises(TypeError, match="reduce='mean' needs numbers, got bool"):
        b.scatter_reduce(0, index, sb, "mean")


def test_zero_dim_operands_are_vectors_of_one_and_aliases_are_taken() -> None:
    x = Tensor(3.0, requires_grad=True)
    y = tg.scatter_reduce(x, 0, tg.tensor(0), Tensor(5.0), "prod")
    assert y.shape == () and y.item() == 15.0
    y.backward()
    assert x.grad is not None and x.grad.item() == 5.0
    src = tg.tensor([4.0, 0.5])
    assert tg.ones(2).scatter_reduce(0, [1, 1], src, "max").tolist() == [1.0, 4.0]  # "amax"
    assert tg.ones(2).scatter_reduce(0, [1, 1], src, "min").tolist() == [1.0, 0.5]  # "amin"


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda x, s: x.scatter_reduce(2, [[0]], s, "sum"), IndexError, "dim 2 is out of range"),
        (lambda x, s: x.scatter_reduce(1, [[3]], s, "sum"), IndexError, "index 3 is out of ran"),
        (lambda x, s: x.scatter_reduce(1, [[-1]], s, "amax"), IndexError, "index -1 is out of"),
        (lambda x, s: x.scatter_reduce(1, [0], s, "prod"), ValueError, "as many dimensions as"),
        (lambda x, s: x.scatter_reduce(1, [[0]] * 3, s, "sum"), ValueError, "no larger than src"),
        (lambda x, s: x.scatter_reduce(0, [[0]], s, "max2"), ValueError, "one of 'sum', 'prod'"),
        (lambda x, s: x.scatter_reduce(0, [[0]], s, None), ValueError, "got None"),
        (lambda x, s: x.scatter_reduce(0, [[0.5]], s, "sum"), TypeError, "must hold integers"),
        (lambda x, s: x.scatter_reduce(0, [[0]], 1.0, "sum"), TypeError, "src must be a tensor"),
        (lambda x, s: x.scatter_reduce(0, [[0]], s.float(), "sum"), TypeError, "same dtype"),
        (lambda x, s: x.scatter_reduce(0, [[0]], s, "sum", include_self=1), TypeError, "a bool"),
        (lambda x, s: x.scatter(0, [[0]], s, reduce="sum"), ValueError, "'add' or 'multiply'"),
        (lambda x, s: tg.scatter_reduce(x.data, 0, [[0]], s, "sum"), TypeError, "a Tensor"),
    ],
)
def test_refusals(call: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call(tg.zeros(2, 3), tg.ones(2, 1))


def test_scatter_with_reduce_is_scatter_reduce_with_self() -> None:
    x = Tensor(X.copy(), requires_grad=True)
    src = Tensor(SRC.copy(), requires_grad=True)
    for old, new in [("add", "sum"), ("multiply", "prod")]:
        y = tg.scatter(x, 1, INDEX, src, reduce=old)
        np.testing.assert_array_equal(y.data, x.scatter_reduce(1, INDEX, src, new).data)
        z = x.scatter(1, INDEX, 2.0, reduce=old)  # a number, written at every index position
        np.testing.assert_array_equal(
            z.data, x.scatter_reduce(1, INDEX, tg.full(INDEX.shape, 2.0), new).data
        )
    assert gradcheck(lambda u, s: u.scatter(1, INDEX, s, reduce="multiply"), x, src)


def test_in_place_forms_follow_the_in_place_rules() -> None:
    index, src = np.array([1, 1, 3]), Tensor([4.0, 5.0, 0.5])
    arr = np.ones(4)
    x = Tensor(arr)
    assert x.scatter_reduce_(0, index, src, "amax", include_self=False) is x
    assert x.tolist() == [1.0, 5.0, 1.0, 0.5] and arr.tolist() == x.tolist()  # written into
    x.scatter_(0, index, 2.0, reduce="multiply")
    assert x.tolist() == [1.0, 20.0, 1.0, 1.0]
    leaf = Tensor(np.ones(4), requires_grad=True)
    with pytest.raises(RuntimeError, match="scatter_reduce_: the tensor .* is a leaf that requi"):
        leaf.scatter_reduce_(0, index, src, "sum")
    with tg.no_grad():
        leaf.scatter_reduce_(0, index, src, "sum")
    assert leaf.tolist() == [1.0, 10.0, 1.0, 1.5] and leaf.grad is None
    # a source that requires grad puts self in the graph, as PyTorch
    s = Tensor([4.0, 5.0, 0.5], requires_grad=True)
    y = Tensor(np.ones(4))
    y.scatter_reduce_(0, index, s, "prod")
    assert y.requires_grad
    y.sum().backward()
    assert s.grad is not None and s.grad.tolist() == [5.0, 4.0, 1.0]
    ints = tg.tensor([1, 2, 3])
    with pytest.raises(TypeError, match="same dtype"):
        ints.scatter_reduce_(0, [0], tg.tensor([0.5]), "sum")
