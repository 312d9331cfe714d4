"""The core Tensor's PyTorch semantics against NumPy and finite differences (no torch needed)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck

R = np.random.default_rng(3)


def leaf(*shape: int) -> tg.Tensor:
    return tg.tensor(R.standard_normal(shape), requires_grad=True)


# ------------------------------------------------------------------------------ construction


@pytest.mark.parametrize(
    "data,dtype",
    [([300], "uint8"), ([-1], "uint8"), ([-2.2], "uint8"), ([np.nan], "int64"),
     ([1e30], "int64"), ([2**40], "int32"), ([2.0**63], "int64"), (np.array([200.0]), "int8")],
)  # fmt: skip
def test_values_that_do_not_fit_an_integer_dtype_are_refused(data: object, dtype: str) -> None:
    with pytest.raises(ValueError, match=f"dtype {dtype}"):
        tg.tensor(data, dtype=dtype)


def test_values_that_fit_are_truncated_as_in_pytorch() -> None:
    assert tg.tensor([1.7, -2.2, 127.9], dtype="int8").tolist() == [1, -2, 127]
    assert tg.tensor([2**63 - 1], dtype="int64").tolist() == [2**63 - 1]
    assert tg.tensor([0.5, 0.0], dtype=bool).tolist() == [True, False]


def test_bool_to_a_bool_power_and_unary_plus_of_bools_are_refused() -> None:
    b = tg.tensor([True, False])
    with pytest.raises(TypeError, match="both operands are bool"):
        b**b
    with pytest.raises(TypeError, match="bool"):
        _ = +b
    x = tg.tensor([1.0])
    assert +x is x  # PyTorch's +x is x itself


# -------------------------------------------------------------------------------- indexing

M = np.array([True, False, True, False, True])
CASES = [  # (shape, key, PyTorch's result shape): the integers are applied first
    ((3, 4, 5), (0, slice(None), [1, 4]), (4, 2)),
    ((3, 4, 5), (None, [0, 1], None, 3), (1, 2, 1, 5)),
    ((2, 3, 4, 5), (Ellipsis, 0, [1, 2]), (2, 3, 2)),
    ((3, 4, 5), ([0, 2], slice(None), 1), (2, 4)),
    ((3, 4, 5), (1, slice(1, 3), M), (2, 3)),
    ((2, 3, 4, 5), (0, [[1], [2]], slice(None), [0, 1]), (2, 2, 4)),
    ((3, 4, 5), (tg.tensor(0), slice(None), tg.tensor([1, 4])), (4, 2)),
    ((3, 4, 5), (slice(None), 0, [1, 2]), (3, 2)),
]


def _by_hand(a: np.ndarray, key: tuple[object, ...]) -> np.ndarray:
    """PyTorch's reading: select with each integer, then index the rest with the arrays."""
    first: list[object] = []
    second: list[object] = []
    for k in key:
        if isinstance(k, int) or getattr(k, "ndim", 1) == 0:
            first.append(int(k))  # type: ignore[call-overload]
        elif k is None or k is Ellipsis or isinstance(k, slice):
            first.append(k)
            second.append(k if k is Ellipsis else slice(None))
        else:
            first.append(slice(None))
            second.append(np.asarray(getattr(k, "data", k)))
    return a[tuple(first)][tuple(second)]


@pytest.mark.parametrize("shape,key,want", CASES, ids=repr)
def test_integers_are_read_before_index_arrays(shape: tuple[int, ...], key: tuple[object, ...],
                                               want: tuple[int, ...]) -> None:  # fmt: skip
    a = R.standard_normal(shape)
    x = tg.tensor(a.copy(), requires_grad=True)
    assert x[key].shape == want
    np.testing.assert_array_equal(x[key].data, _by_hand(a, key))
    gradcheck(lambda t: t[key], x)
    y = tg.tensor(a.copy())
    y[key] = -7.0  # the same places are written
    b = a.copy()
    np.put(b, _by_hand(np.arange(a.size).reshape(shape), key).ravel(), -7.0)
    np.testing.assert_array_equal(y.data, b)


# ------------------------------------------------------------------------------ reductions


def test_std_and_var_take_unbiased_second_as_in_pytorch() -> None:
    a = R.standard_normal((3, 4))
    x = tg.tensor(a)
    np.testing.assert_allclose(x.var(1, False).data, a.var(1), rtol=1e-13)
    np.testing.assert_allclose(x.std(1, True, True).data, a.std(1, ddof=1, keepdims=True), 1e-13)
    np.testing.assert_allclose(x.var(False).data, a.var(), rtol=1e-13)
    assert x.var(0, keepdim=True).shape == (1, 4)
    with pytest.raises(TypeError, match="not both"):
        x.var(0, True, correction=0)


def test_any_and_all_along_dims() -> None:
    a = R.integers(0, 2, (3, 4, 2))
    x = tg.tensor(a)
    for dim in (0, -1, (0, 2)):
        for keep in (False, True):
            np.testing.assert_array_equal(x.any(dim, keep).data, a.any(dim, keepdims=keep))
            np.testing.assert_array_equal(x.all(dim, keepdim=keep).data, a.all(dim, keepdims=keep))
    assert x.any().shape == () and x.all().dtype == np.bool_


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "cumsum", "cumprod"])
def test_a_dtype_argument_converts_first(name: str) -> None:
    a = np.array([[1, 2, 3], [4, 5, 250]], np.uint8)
    x = tg.tensor(a)
    args = (1,) if name.startswith("cum") else ()
    for dt in (np.float32, np.int32, np.float64):
        if name == "mean" and dt is np.int32:
            continue
        out = getattr(x, name)(*args, dtype=dt)
        ref = getattr(np, name)(a.astype(dt), *args)
        assert out.dtype == np.dtype(dt)
        np.testing.assert_allclose(out.data, ref, rtol=1e-6)
    f = leaf(2, 3)
    gradcheck(lambda t: getattr(t, name)(*args, dtype=np.float64), f)


# --------------------------------------------------------------------- composites and grads


def test_clamp_with_tensor_bounds() -> None:
    a = np.array([[-2.0, -0.5, 0.3, 1.7], [0.9, -1.1, 2.5, 0.0]])
    lo, hi = np.array([-1.0, 0.0, 0.5, 0.2]), np.array([[1.0], [-0.5]])  # hi < lo in row 2
    ref = np.minimum(np.maximum(a, lo), hi)
    x, tlo, thi = (tg.tensor(v, requires_grad=True) for v in (a, lo, hi))
    np.testing.assert_array_equal(x.clamp(tlo, thi).data, ref)
    np.testing.assert_array_equal(x.clamp(max=thi).data, np.minimum(a, hi))
    np.testing.assert_array_equal(x.clip(tlo, 0.5).data, np.clip(a, lo, 0.5))
    gradcheck(lambda t, u, v: t.clamp(u, v), x, tlo, thi)
    with pytest.raises(ValueError, match="at least one"):
        x.clamp(None, None)


@pytest.mark.parametrize("p", [3, 1.5, 4.0])
def test_norm_of_any_p_above_one(p: float) -> None:
    a = R.standard_normal((3, 4))
    x = tg.tensor(a, requires_grad=True)
    np.testing.assert_allclose(x.norm(p).data, (np.abs(a) ** p).sum() ** (1 / p), rtol=1e-13)
    np.testing.assert_allclose(x.norm(p, 1, True).data, np.linalg.norm(a, p, 1, True), 1e-13)
    gradcheck(lambda t: t.norm(p, 0), x)
    gradgradcheck(lambda t: t.norm(p, 0), x)
    z = tg.tensor(np.zeros(3), requires_grad=True)
    z.norm(p).backward()
    assert z.grad is not None and z.grad.tolist() == [0.0, 0.0, 0.0]  # as PyTorch's
    with pytest.raises(ValueError, match="p=0.5"):
        x.norm(0.5)


@pytest.mark.parametrize(
    "v,want",
    [([np.inf, 1.0, 2.0], [np.nan, 0.0, 0.0]), ([1.0, np.inf, 2.0], [1.0, np.nan, 0.0]),
     ([1.0, 2.0, np.inf], [1 + 2 / (1 + np.e), 2 * np.e / (1 + np.e), np.nan])],
)  # fmt: skip
def test_logcumsumexp_gradient_beside_an_infinite_total(v: list[float], want: list[float]) -> None:
    x = tg.tensor(v, requires_grad=True)  # e^(x − ∞) = 0 for a finite x, NaN for x = ∞
    (x.logcumsumexp(0) * tg.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad is not None
    np.testing.assert_allclose(x.grad.data, want, rtol=1e-15)
    gradcheck(lambda t: t.logcumsumexp(1), leaf(2, 4))
    gradgradcheck(lambda t: t.logcumsumexp(1), leaf(2, 4))


def test_masked_fill_with_a_value_that_requires_grad() -> None:
    x, v = leaf(2, 3), tg.tensor(0.5, requires_grad=True)
    mask = tg.tensor([[True, False, True], [False, False, True]])
    out = x.masked_fill(mask, v)
    np.testing.assert_array_equal(out.data, np.where(mask.data, 0.5, x.data))
    gradcheck(lambda t, u: t.masked_fill(mask, u), x, v)
    with pytest.raises(ValueError, match="0-d"):
        x.masked_fill(mask, tg.tensor([0.5], requires_grad=True))


def test_add_and_sub_with_alpha() -> None:
    x, y = leaf(2, 3), leaf(3)
    np.testing.assert_allclose(x.add(y, alpha=2.5).data, x.data + 2.5 * y.data, rtol=1e-15)
    np.testing.assert_allclose(x.sub(y, alpha=-2).data, x.data + 2 * y.data, rtol=1e-15)
    gradcheck(lambda t, u: t.sub(u, alpha=0.5), x, y)
    i = tg.tensor([1, 2])
    assert i.add(i, alpha=3).tolist() == [4, 8]
    with pytest.raises(TypeError, match="alpha"):
        i.add(i, alpha=0.5)
    with tg.no_grad():
        z = tg.tensor([1.0, 2.0])
        assert z.add_(tg.tensor([1.0, 1.0]), alpha=2) is z and z.tolist() == [3.0, 4.0]


def test_index_select_of_a_0d_tensor_and_a_stable_sort() -> None:
    z = tg.tensor(2.5)
    out = z.index_select(0, tg.tensor([0]))
    assert out.shape == () and out.item() == 2.5 and out.data is not z.data
    with pytest.raises(IndexError, match="index"):
        z.index_select(0, tg.tensor([1]))
    t = tg.tensor([[2, 1, 2, 1]])
    assert t.sort(stable=True).indices.tolist() == [[1, 3, 0, 2]]
    assert t.argsort(descending=True, stable=True).tolist() == [[0, 2, 1, 3]]


def test_copies_where_pytorch_has_views_refuse_in_place_writes() -> None:
    """diagonal() and unfold() are copies here; writing into them would silently not reach the
    tensor they came from (PyTorch's views would), so it is refused."""
    x = tg.zeros(3, 3)
    for view in (x.diagonal(), x.diagonal(1), x.unfold(0, 2, 1)):
        with pytest.raises(ValueError, match="read-only array.*diagonal, unfold"):
            view.fill_(1.0)
        with pytest.raises(ValueError, match="read-only array"):
            view += 1
    assert float(x.sum().item()) == 0.0
    assert (x.diagonal() + 1).tolist() == [1.0, 1.0, 1.0]  # reading them is as before
