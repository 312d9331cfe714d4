"""Scans and orderings: cumsum, cumprod, flip, argsort, sort and topk.

Values and dtypes against NumPy and closed forms, gradients of first and second order against
float64 finite differences, cumprod's exact gradient where the input has zeros, ties, negative
dims, the errors, and (when torch is installed) PyTorch's own answers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor, functional
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck
from tinygrad_lite.testing import shapes, tensors

RNG = np.random.default_rng(7)
# distinct values, spaced far wider than gradcheck's step: sorting is smooth around them
DISTINCT = RNG.permutation(24).reshape(2, 3, 4) / 4.0 - 3.0
SMALL = DISTINCT[0]  # (3, 4), for the second-order checks


def leaf(a: np.ndarray) -> Tensor:
    return Tensor(np.array(a, dtype=np.float64), requires_grad=True)


# ---------------------------------------------------------------------------- values


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2, -3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cumsum_and_cumprod_equal_numpys_along_every_dim(dim: int, dtype: Any) -> None:
    a = RNG.uniform(-2, 2, (2, 3, 4)).astype(dtype)
    for ours, theirs in ((Tensor(a).cumsum(dim), np.cumsum), (Tensor(a).cumprod(dim), np.cumprod)):
        expected = theirs(a, axis=dim)
        assert ours.dtype == dtype and ours.shape == a.shape
        np.testing.assert_array_equal(ours.data, expected)


def test_closed_forms() -> None:
    n = np.arange(1.0, 11.0)
    triangular, factorials = n * (n + 1) / 2, [math.factorial(k) for k in range(1, 11)]
    np.testing.assert_array_equal(Tensor(n).cumsum(0).data, triangular)
    np.testing.assert_array_equal(Tensor(n).cumprod(0).data, factorials)
    np.testing.assert_array_equal(Tensor(np.full(6, 2.0)).cumprod(-1).data, 2.0 ** np.arange(1, 7))
    np.testing.assert_array_equal(Tensor(np.ones((3, 2))).cumsum(0).data, [[1, 1], [2, 2], [3, 3]])


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8, np.int16, np.int32, np.int64])
def test_integers_and_bools_accumulate_in_int64_as_pytorch(dtype: Any) -> None:
    a = np.array([[1, 0, 1], [1, 1, 0]]).astype(dtype)
    for method, ref in (("cumsum", np.cumsum), ("cumprod", np.cumprod)):
        out = getattr(Tensor(a), method)(1)
        assert out.dtype == np.int64 and not out.requires_grad
        np.testing.assert_array_equal(out.data, ref(a.astype(np.int64), axis=1))
    # no wrap-around at int8's or uint8's bounds
    np.testing.assert_array_equal(Tensor(np.full(3, 100, np.int8)).cumsum(0).data, [100, 200, 300])
    np.testing.assert_array_equal(Tensor(np.full(3, 20, np.uint8)).cumprod(0).data, [20, 400, 8000])


def test_a_zero_dimensional_tensor_is_its_own_scan() -> None:
    x = leaf(np.array(2.5))
    for t in (x.cumsum(0), x.cumsum(-1), x.cumprod(0), x.flip(0), x.flip(()), x.sort().values):
        assert t.shape == () and t.item() == 2.5
    (g,) = tg.grad(x.cumprod(0) * 3.0 + x.cumsum(-1), [x])
    assert g.item() == 4.0
    assert x.sort().indices.item() == 0 and x.topk(1).indices.item() == 0
    assert Tensor(np.array(2, np.int8)).cumsum(0).dtype == np.int64


@pytest.mark.parametrize("dims", [0, 1, -1, (0, 1), [1, 0], (-2, -1), ()])
def test_flip_equals_numpys(dims: Any) -> None:
    a = np.arange(12).reshape(3, 4)
    x = Tensor(a)
    out = x.flip(dims)
    np.testing.assert_array_equal(out.data, np.flip(a, dims))
    assert out.dtype == a.dtype
    np.testing.assert_array_equal(tg.flip(x, dims).data, np.flip(a, dims))
    if isinstance(dims, (tuple, list)) and dims:
        np.testing.assert_array_equal(x.flip(*dims).data, np.flip(a, dims))


def test_flip_makes_a_copy_as_torch_does() -> None:
    x = Tensor(np.arange(4.0))
    y = x.flip(0)
    y.data[0] = 100.0
    np.testing.assert_array_equal(x.data, [0.0, 1.0, 2.0, 3.0])


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_and_argsort_equal_numpys(dim: int, descending: bool) -> None:
    x = leaf(DISTINCT)
    values, indices = x.sort(dim, descending=descending)
    expected = np.sort(DISTINCT, axis=dim)
    if descending:
        expected = np.flip(expected, dim)
    np.testing.assert_array_equal(values.data, expected)
    assert indices.dtype == np.int64 and not indices.requires_grad and values.requires_grad
    np.testing.assert_array_equal(np.take_along_axis(DISTINCT, indices.data, dim), expected)
    np.testing.assert_array_equal(x.argsort(dim, descending).data, indices.data)
    np.testing.assert_array_equal(tg.argsort(x, dim, descending).data, indices.data)
    ours = tg.sort(x, dim, descending)
    np.testing.assert_array_equal(ours.values.data, expected)


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2])
@pytest.mark.parametrize("largest", [True, False])
def test_topk_is_the_first_k_of_the_sort(dim: int, largest: bool) -> None:
    x = leaf(DISTINCT)
    n = DISTINCT.shape[dim]
    ordered = np.sort(DISTINCT, axis=dim)
    if largest:
        ordered = np.flip(ordered, dim)
    for k in range(n + 1):
        values, indices = x.topk(k, dim, largest=largest)
        expected = np.take(ordered, range(k), axis=dim)
        np.testing.assert_array_equal(values.data, expected)
        assert indices.dtype == np.int64 and indices.shape == expected.shape
        np.testing.assert_array_equal(np.take_along_axis(DISTINCT, indices.data, dim), expected)
        unsorted = x.topk(k, dim, largest, sorted=False)  # the same order, documented
        np.testing.assert_array_equal(unsorted.values.data, expected)
        np.testing.assert_array_equal(
            functional.topk(x, k, dim, largest).indices.data, indices.data
        )


def test_ties_keep_their_order_in_both_directions() -> None:
    x = Tensor([2.0, 1.0, 2.0, 1.0, 2.0])
    assert x.sort().indices.tolist() == [1, 3, 0, 2, 4]
    assert x.sort(descending=True).indices.tolist() == [0, 2, 4, 1, 3]
    assert x.topk(2).indices.tolist() == [0, 2]  # the earliest of the tied maxima
    assert x.topk(3, largest=False).indices.tolist() == [1, 3, 0]
    m = Tensor([[1.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
    assert m.sort(0).indices.tolist() == [[1, 0], [0, 1], [2, 2]]
    assert m.sort(0, descending=True).indices.tolist() == [[0, 0], [2, 1], [1, 2]]
    assert Tensor([0.0, -0.0, 0.0]).sort(descending=True).indices.tolist() == [0, 1, 2]


def test_nan_is_larger_than_every_number_as_in_pytorch() -> None:
    x = Tensor([1.0, np.nan, -1.0, 0.0, np.nan])
    assert x.sort().indices.tolist() == [2, 3, 0, 1, 4]
    assert x.sort(descending=True).indices.tolist() == [1, 4, 0, 3, 2]
    assert x.topk(1).indices.tolist() == [1]


def test_integer_and_bool_sorts_keep_their_dtype() -> None:
    for a in (np.array([3, 1, 2], np.uint8), np.array([True, False, True])):
        values, indices = Tensor(a).sort(descending=True)
        assert values.dtype == a.dtype and indices.dtype == np.int64
        np.testing.assert_array_equal(values.data, np.sort(a)[::-1])


@given(tensors(shape=shapes(min_dims=1), elements=st.integers(-2, 2).map(float)), st.data())
def test_sort_is_a_stable_ordering_permutation(x: Tensor, data: st.DataObject) -> None:
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    descending = data.draw(st.booleans())
    values, indices = x.sort(dim, descending)
    idx = np.moveaxis(indices.data, dim, -1)
    vals = np.moveaxis(values.data, dim, -1)
    n = x.shape[dim]
    np.testing.assert_array_equal(np.sort(idx, axis=-1), np.broadcast_to(np.arange(n), idx.shape))
    np.testing.assert_array_equal(vals, np.take_along_axis(np.moveaxis(x.data, dim, -1), idx, -1))
    steps = np.diff(vals, axis=-1)
    assert (steps <= 0).all() if descending else (steps >= 0).all()
    assert (np.diff(idx, axis=-1)[steps == 0] > 0).all()  # ties in their first order
    k = data.draw(st.integers(0, n))
    top = x.topk(k, dim, largest=descending)
    np.testing.assert_array_equal(top.indices.data, np.take(indices.data, range(k), axis=dim))


# ---------------------------------------------------------------------------- gradients

OPS: dict[str, Callable[[Tensor, int], Tensor]] = {
    "cumsum": lambda t, d: t.cumsum(d),
    "cumprod": lambda t, d: t.cumprod(d),
    "flip": lambda t, d: t.flip(d),
    "flip2": lambda t, d: t.flip((d, 0)) if d % t.ndim else t.flip((0, -1)),
    "sort": lambda t, d: t.sort(d).values,
    "sort_descending": lambda t, d: t.sort(d, descending=True).values,
    "topk": lambda t, d: t.topk(2, d).values,
    "topk_smallest": lambda t, d: t.topk(2, d, largest=False).values,
}


@pytest.mark.parametrize("dim", [0, -1, 1])
@pytest.mark.parametrize("name", sorted(OPS))
def test_gradients_of_first_and_second_order_against_finite_differences(
    name: str, dim: int
) -> None:
    op = OPS[name]
    assert gradcheck(lambda t: op(t, dim), leaf(DISTINCT))
    assert gradgradcheck(lambda t: op(t, dim) * op(t, dim), leaf(SMALL))


def test_sort_and_topk_send_each_gradient_to_where_its_value_came_from() -> None:
    x = leaf([[2.0, 1.0, 2.0, 1.0], [0.5, 3.0, -1.0, 0.5]])
    w = np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]])
    values, indices = x.sort(1)
    (g,) = tg.grad((values * Tensor(w)).sum(), [x])
    expected = np.zeros_like(w)
    np.put_along_axis(expected, indices.data, w, 1)
    np.testing.assert_array_equal(g.data, expected)
    np.testing.assert_array_equal(g.data, [[3.0, 1.0, 4.0, 2.0], [6.0, 8.0, 5.0, 7.0]])
    values, _ = x.topk(2, 1)
    (g,) = tg.grad(values.sum(), [x])
    # row 1: 3.0, then the earlier of the two tied 0.5s
    np.testing.assert_array_equal(g.data, [[1.0, 0.0, 1.0, 0.0], [1.0, 1.0, 0.0, 0.0]])


def test_the_gradient_of_cumsum_is_the_sum_of_the_later_gradients() -> None:
    x = leaf(SMALL)
    w = RNG.standard_normal(SMALL.shape)
    (g,) = tg.grad((x.cumsum(1) * Tensor(w)).sum(), [x])
    np.testing.assert_allclose(g.data, np.cumsum(w[:, ::-1], axis=1)[:, ::-1], rtol=1e-14)


# ---------------------------------------------------------------------------- cumprod at zeros


def cumprod_grad_by_hand(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """dL/dx_j = Σ_{i ≥ j} g_i Π_{k ≤ i, k ≠ j} x_k, one term at a time."""
    n = len(x)
    return np.array(
        [
            sum(g[i] * math.prod(x[k] for k in range(i + 1) if k != j) for i in range(j, n))
            for j in range(n)
        ]
    )


def cumprod_hessian_by_hand(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """∂²L/∂x_j∂x_m = Σ_{i ≥ max(j, m)} g_i Π_{k ≤ i, k ∉ {j, m}} x_k (0 on the diagonal)."""
    n = len(x)
    h = np.zeros((n, n))
    for j in range(n):
        for m in range(n):
            if j != m:
                h[j, m] = sum(
                    g[i] * math.prod(x[k] for k in range(i + 1) if k not in (j, m))
                    for i in range(max(j, m), n)
                )
    return h


ZEROS = {
    "one zero": [1.5, -0.7, 0.0, 2.0, 0.5],
    "two zeros in a row": [1.5, 0.0, 0.0, -2.0, 0.7],
    "zeros apart": [2.0, 0.0, 3.0, 0.0, 5.0],
    "zero first": [0.0, 1.2, -0.8, 1.1],
    "zero last": [1.2, -0.8, 1.1, 0.0],
    "all zeros": [0.0, 0.0, 0.0],
}


@pytest.mark.parametrize("case", sorted(ZEROS))
def test_cumprod_gradients_are_exact_where_the_input_has_zeros(case: str) -> None:
    a = np.array(ZEROS[case])
    w = RNG.uniform(0.5, 1.5, a.shape) * RNG.choice([-1.0, 1.0], a.shape)
    x = leaf(a)
    (g,) = tg.grad((x.cumprod(0) * Tensor(w)).sum(), [x], create_graph=True)
    np.testing.assert_allclose(g.data, cumprod_grad_by_hand(a, w), rtol=1e-14, atol=1e-15)
    v = RNG.standard_normal(a.shape)
    (h,) = tg.grad((g * Tensor(v)).sum(), [x])
    np.testing.assert_allclose(h.data, cumprod_hessian_by_hand(a, w) @ v, rtol=1e-13, atol=1e-14)
    assert gradcheck(lambda t: t.cumprod(0), leaf(a))
    assert gradgradcheck(lambda t: t.cumprod(0), leaf(a))


def test_cumprod_gradients_at_zeros_along_any_dim() -> None:
    a = np.array([[1.5, 0.0, 0.0, 2.0], [0.0, -1.0, 3.0, 0.5], [0.7, 1.1, 0.0, -0.4]])
    for dim in (0, 1, -1):
        assert gradcheck(lambda t, d=dim: t.cumprod(d), leaf(a))
        assert gradgradcheck(lambda t, d=dim: t.cumprod(d), leaf(a))
    w = RNG.standard_normal(a.shape)
    x = leaf(a)
    (g,) = tg.grad((x.cumprod(1) * Tensor(w)).sum(), [x])
    for r in range(3):
        np.testing.assert_allclose(g.data[r], cumprod_grad_by_hand(a[r], w[r]), rtol=1e-14)


def test_cumprod_gradient_of_a_long_scan_is_exact() -> None:
    # 37 places: the suffix scan takes 6 doubling steps, the last of them partial
    a = RNG.uniform(0.5, 1.5, 37) * RNG.choice([-1.0, 1.0], 37)
    a[[3, 4, 20]] = 0.0
    w = RNG.standard_normal(37)
    x = leaf(a)
    (g,) = tg.grad((x.cumprod(0) * Tensor(w)).sum(), [x])
    np.testing.assert_allclose(g.data, cumprod_grad_by_hand(a, w), rtol=1e-13, atol=1e-15)


def test_cumprod_gradient_is_exact_where_a_partial_product_is_subnormal() -> None:
    # The products through x_2 are subnormal: a gradient that divides Σ g·y by x (PyTorch's
    # formula when no x is 0) loses digits there; the products of the others lose none.
    a = np.array([1.0, 1.0, 2.22507386e-313, 1.0])
    w = RNG.standard_normal(4)
    x = leaf(a)
    (g,) = tg.grad((x.cumprod(0) * Tensor(w)).sum(), [x])
    np.testing.assert_allclose(g.data, cumprod_grad_by_hand(a, w), rtol=1e-15, atol=0)
    assert g.data[2] == w[2] + w[3]  # Σ_(i ≥ 2) w_i · Π_(k ≤ i, k ≠ 2) x_k, every other x 1
    # A product that underflows to 0 though no x is 0: dy_1/dx_1 = x_0 all the same.
    x = leaf(np.array([0.5, 5e-324]))
    (g,) = tg.grad((x.cumprod(0) * Tensor(w[:2])).sum(), [x])
    assert g.data[1] == w[1] * 0.5


def test_float32_stays_float32_through_the_gradients() -> None:
    x = Tensor(SMALL.astype(np.float32), requires_grad=True)
    out = (
        x.cumsum(1)
        + x.cumprod(0)
        + x.flip(1)
        + x.sort(1).values
        + x.topk(3, 1).values.sum(1, keepdim=True)
    )
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad is not None and x.grad.dtype == np.float32


# ---------------------------------------------------------------------------- errors


def test_dims_out_of_range_and_wrong_types_are_refused() -> None:
    x = Tensor(np.ones((2, 3)))
    for call in (
        lambda: x.cumsum(2),
        lambda: x.cumprod(-3),
        lambda: x.sort(2),
        lambda: x.argsort(-3),
        lambda: x.topk(1, 2),
        lambda: Tensor(1.0).cumsum(1),
    ):
        with pytest.raises(IndexError, match=r"dim -?\d is out of range for a tensor with \d"):
            call()
    with pytest.raises(ValueError, match="flip: dim 2 is out of range"):
        x.flip(2)
    with pytest.raises(ValueError, match="flip: repeated dim"):
        x.flip(0, -2)
    with pytest.raises(TypeError, match="flip: give the dims"):
        x.flip()
    with pytest.raises(TypeError, match="cumsum: dim must be an int"):
        x.cumsum((0, 1))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cumprod: dim must be an int"):
        x.cumprod(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="dim"):
        x.cumsum()  # type: ignore[call-arg]  # as in PyTorch, dim is required


def test_k_out_of_range_is_refused() -> None:
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"topk: k=4 is out of range for dim -1 of size 3"):
        x.topk(4)
    with pytest.raises(ValueError, match=r"topk: k=-1 is out of range for dim 0 of size 2"):
        x.topk(-1, 0)
    with pytest.raises(ValueError, match=r"topk: k=0 is out of range for a 0-d tensor"):
        Tensor(1.0).topk(0)
    with pytest.raises(TypeError, match="topk: k must be an int"):
        x.topk(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="topk: k must be an int"):
        x.topk(True)
    assert x.topk(0).values.shape == (2, 0) and x.topk(3).values.shape == (2, 3)


# ---------------------------------------------------------------------------- PyTorch


# ties and zeros: a row with three equal values, a zero in a column, two zeros in a row
TIES_AND_ZEROS = np.array(
    [
        [-1.25, 0.5, 1.75, 0.5, 0.5],
        [0.75, -0.25, 0.0, 1.5, -1.5],
        [1.25, -0.75, 0.0, 0.0, 2.0],
    ]
)
# ours and PyTorch's, and whether the input may hold ties (PyTorch's topk picks among tied
# values as it likes, so topk is compared on distinct values)
TORCH_PAIRS: dict[str, tuple[Callable[[Any], Any], Callable[[Any, Any], Any], bool]] = {
    "cumsum": (lambda x: x.cumsum(1), lambda t, torch: torch.cumsum(t, 1), True),
    "cumprod": (lambda x: x.cumprod(1), lambda t, torch: torch.cumprod(t, 1), True),
    "cumprod_0": (lambda x: x.cumprod(0), lambda t, torch: torch.cumprod(t, 0), True),
    "flip": (lambda x: x.flip((0, -1)), lambda t, torch: torch.flip(t, (0, -1)), True),
    "sort": (
        lambda x: x.sort(1).values,
        lambda t, torch: torch.sort(t, dim=1, stable=True).values,
        True,
    ),
    "sort_descending": (
        lambda x: x.sort(0, descending=True).values,
        lambda t, torch: torch.sort(t, dim=0, descending=True, stable=True).values,
        True,
    ),
    "topk": (lambda x: x.topk(3, 1).values, lambda t, torch: torch.topk(t, 3, 1).values, False),
    "topk_smallest": (
        lambda x: x.topk(2, 0, largest=False).values,
        lambda t, torch: torch.topk(t, 2, 0, largest=False).values,
        False,
    ),
}


@pytest.mark.parametrize("name", sorted(TORCH_PAIRS))
def test_values_and_first_and_second_derivatives_equal_pytorchs(name: str) -> None:
    torch = pytest.importorskip("torch")
    ours_fn, theirs_fn, ties = TORCH_PAIRS[name]
    a = TIES_AND_ZEROS if ties else DISTINCT[1, :, :3].T
    x = leaf(a)
    t = torch.from_numpy(a.copy()).requires_grad_()
    ours, theirs = ours_fn(x), theirs_fn(t, torch)
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
    w = RNG.standard_normal(ours.shape)
    (g,) = tg.grad((ours * Tensor(w)).sum(), [x], create_graph=True)
    (tgr,) = torch.autograd.grad((theirs * torch.from_numpy(w)).sum(), t, create_graph=True)
    np.testing.assert_allclose(g.data, tgr.detach().numpy(), rtol=1e-14, atol=1e-15)
    assert g.requires_grad == tgr.requires_grad  # a gradient that depends on x: cumprod's
    if g.requires_grad:
        v = RNG.standard_normal(a.shape)
        (h,) = tg.grad((g * Tensor(v)).sum(), [x])
        (th,) = torch.autograd.grad((tgr * torch.from_numpy(v)).sum(), t)
        np.testing.assert_allclose(h.data, th.numpy(), rtol=1e-14, atol=1e-15)


def test_stable_sort_indices_and_integer_dtypes_equal_pytorchs() -> None:
    torch = pytest.importorskip("torch")
    t = torch.from_numpy(TIES_AND_ZEROS.copy())
    for dim in (0, 1):
        for descending in (False, True):
            ours = Tensor(TIES_AND_ZEROS).sort(dim, descending).indices
            theirs = torch.sort(t, dim=dim, descending=descending, stable=True).indices
            np.testing.assert_array_equal(ours.data, theirs.numpy())
    for dtype in (np.bool_, np.uint8, np.int8, np.int32, np.int64):
        b = np.array([[1, 0, 1], [1, 1, 1]]).astype(dtype)
        for method in ("cumsum", "cumprod"):
            ours = getattr(Tensor(b), method)(1)
            theirs = getattr(torch, method)(torch.from_numpy(b.copy()), 1)
            assert str(theirs.dtype) == f"torch.{ours.dtype}"
            np.testing.assert_array_equal(ours.data, theirs.numpy())
