"""Op semantics where NumPy's and PyTorch's readings differ: which one a Tensor follows, and why.

Each test states the rule in closed form or against NumPy in float64; the tests at the end
check the same cases against PyTorch where it is installed.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck

SMALL_INTS = [np.int8, np.uint8, np.int16, np.bool_]


# ------------------------------------------------------------------ casts to int and bool


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
def test_a_cast_to_a_non_float_dtype_carries_no_gradient(dtype: Any) -> None:
    x = Tensor([0.7, 1.6], requires_grad=True)
    y = x.to(dtype)
    assert not y.requires_grad and y.grad_fn is None
    assert not x.astype(dtype).requires_grad
    (x * 3.0 + y * 5.0).sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])  # d(3x)/dx only


def test_a_cast_between_floats_stays_differentiable() -> None:
    x = Tensor([0.7, 1.6], requires_grad=True)
    y = x.to(np.float32)
    assert y.requires_grad
    (y * 2.0).sum().backward()
    assert x.grad is not None and x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


# ------------------------------------------------------------------ float ops on ints and bools

FLOAT_OPS = {
    "exp": (lambda t: t.exp(), np.exp),
    "expm1": (lambda t: t.expm1(), np.expm1),
    "log": (lambda t: t.log(), np.log),
    "log1p": (lambda t: t.log1p(), np.log1p),
    "tanh": (lambda t: t.tanh(), np.tanh),
    "sin": (lambda t: t.sin(), np.sin),
    "cos": (lambda t: t.cos(), np.cos),
    "sqrt": (lambda t: t.sqrt(), np.sqrt),
    "pow_half": (lambda t: t**0.5, np.sqrt),
    "sigmoid": (lambda t: t.sigmoid(), lambda a: 1.0 / (1.0 + np.exp(-a))),
    "log_sigmoid": (lambda t: t.log_sigmoid(), lambda a: -np.log1p(np.exp(-a))),
    "softplus": (lambda t: t.softplus(), lambda a: np.log1p(np.exp(a))),
    "softmax": (lambda t: t.softmax(0), lambda a: np.exp(a) / np.exp(a).sum()),
    "log_softmax": (lambda t: t.log_softmax(0), lambda a: a - np.log(np.exp(a).sum())),
    "logsumexp": (lambda t: t.logsumexp(), lambda a: np.log(np.exp(a).sum())),
    "mean": (lambda t: t.mean(), np.mean),
    "std": (lambda t: t.std(), lambda a: np.std(a, ddof=1)),
}


@pytest.mark.parametrize("dtype", SMALL_INTS)
@pytest.mark.parametrize("name", sorted(FLOAT_OPS))
def test_float_ops_compute_small_ints_and_bools_in_the_default_float(name: str, dtype: Any) -> None:
    values = [True, True] if dtype is np.bool_ else [3, 1, 100]  # log(0) would warn
    data = np.array(values, dtype)
    op, reference = FLOAT_OPS[name]
    out = op(Tensor(data))
    assert out.dtype == np.float64  # NumPy: float16 (int8, uint8, bool), float32 (int16)
    np.testing.assert_allclose(out.data, reference(data.astype(np.float64)), rtol=1e-14)


def test_sigmoid_of_unsigned_ints_does_not_wrap_around() -> None:
    t = Tensor(np.array([3, 200], np.uint8))
    np.testing.assert_allclose(t.sigmoid().data, 1.0 / (1.0 + np.exp(-np.array([3.0, 200.0]))))
    np.testing.assert_allclose(t.log_sigmoid().data, -np.log1p(np.exp(-np.array([3.0, 200.0]))))


def test_sigmoid_of_bools() -> None:
    t = Tensor([True, False])
    np.testing.assert_allclose(t.sigmoid().data, [1.0 / (1.0 + np.exp(-1.0)), 0.5])


def test_float_ops_keep_float32() -> None:
    t = Tensor(np.array([0.5, 2.0], np.float32))
    assert t.exp().dtype == t.sigmoid().dtype == t.std().dtype == np.float32


def test_integer_ops_stay_integer() -> None:
    t = Tensor(np.array([3, -2], np.int8))
    assert t.abs().dtype == t.relu().dtype == (-t).dtype == np.int8
    assert (t * 2).dtype == np.int8


# ------------------------------------------------------------------ var and std: correction ≥ n


def _quiet(fn: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch gives these silently: so must we
        return fn()


def test_var_divides_by_zero_when_the_correction_reaches_n() -> None:
    # dof = max(0, n - correction): Σ(x - x̄)²/0 is +inf with spread, NaN (0/0) without
    assert _quiet(lambda: Tensor([1.0, 3.0]).var(correction=3)).item() == np.inf
    assert _quiet(lambda: Tensor([1.0, 3.0]).var(correction=2)).item() == np.inf
    assert np.isnan(_quiet(lambda: Tensor([2.0]).var(correction=2)).item())
    assert np.isnan(_quiet(lambda: Tensor([2.0]).var()).item())
    assert _quiet(lambda: Tensor([1.0, 3.0]).std(correction=3)).item() == np.inf


def test_var_with_dim_divides_by_zero_when_the_correction_reaches_n() -> None:
    out = _quiet(lambda: Tensor([[1.0, 3.0], [2.0, 2.0]]).var(1, correction=5))
    assert out.data[0] == np.inf and np.isnan(out.data[1])


def test_var_and_std_gradients_at_zero_dof_are_inf_or_nan_without_an_error() -> None:
    x = Tensor([1.0, 3.0, 2.0], requires_grad=True)
    _quiet(lambda: x.var(correction=3).backward())
    assert x.grad is not None
    # 2(x - x̄)/0: ±inf with the sign of x - x̄, NaN where x = x̄
    assert list(x.grad.data[:2]) == [-np.inf, np.inf] and np.isnan(x.grad.data[2])
    y = Tensor([2.0], requires_grad=True)
    _quiet(lambda: y.var(correction=2).backward())
    assert y.grad is not None and np.isnan(y.grad.data).all()
    z = Tensor([1.0, 3.0], requires_grad=True)
    _quiet(lambda: z.std(correction=3).backward())  # √inf's derivative 0, times 1/0
    assert z.grad is not None and np.isnan(z.grad.data).all()


def test_var_is_unchanged_where_the_correction_is_below_n() -> None:
    a = np.random.default_rng(0).standard_normal((4, 5))
    for c in (0, 1, 2.5):
        np.testing.assert_allclose(Tensor(a).var(1, correction=c).data, np.var(a, 1, ddof=c))
        np.testing.assert_allclose(Tensor(a).std(0, correction=c).data, np.std(a, 0, ddof=c))


# ------------------------------------------------------------------ std and norm at zero


def test_std_gradient_at_zero_spread_is_zero() -> None:
    x = Tensor([1.0, 1.0, 1.0], requires_grad=True)
    _quiet(lambda: x.std().backward())
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.0])


def test_std_gradient_is_zero_only_in_the_groups_without_spread() -> None:
    a = np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]])
    x = Tensor(a, requires_grad=True)
    _quiet(lambda: x.std(1).sum().backward())
    assert x.grad is not None
    row = a[1]
    expected = (row - row.mean()) / ((row.size - 1) * np.std(row, ddof=1))  # (x - x̄)/(dof·σ)
    np.testing.assert_array_equal(x.grad.data[0], 0.0)
    np.testing.assert_allclose(x.grad.data[1], expected, rtol=1e-14)


def test_norm_gradient_at_zero_is_zero() -> None:
    x = Tensor([0.0, 0.0], requires_grad=True)
    _quiet(lambda: np.linalg.norm(x).backward())
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])
    m = Tensor([[0.0, 0.0], [3.0, 4.0]], requires_grad=True)
    _quiet(lambda: np.linalg.norm(m, axis=1).sum().backward())
    assert m.grad is not None
    np.testing.assert_allclose(m.grad.data, [[0.0, 0.0], [0.6, 0.8]], rtol=1e-15)  # x/‖x‖


def test_std_and_norm_values_and_gradients_elsewhere_are_the_closed_forms() -> None:
    a = np.random.default_rng(1).standard_normal((3, 4))
    x = Tensor(a, requires_grad=True)
    x.std(0, keepdim=True).sum().backward()
    assert x.grad is not None
    sd = np.std(a, 0, ddof=1, keepdims=True)
    np.testing.assert_allclose(x.grad.data, (a - a.mean(0)) / (2 * sd), rtol=1e-13)  # dof 2
    y = Tensor(a, requires_grad=True)
    out = np.linalg.norm(y)
    np.testing.assert_allclose(out.data, np.linalg.norm(a), rtol=1e-15)
    out.backward()
    assert y.grad is not None
    np.testing.assert_allclose(y.grad.data, a / np.linalg.norm(a), rtol=1e-14)


def test_std_and_norm_have_second_derivatives() -> None:
    a = np.random.default_rng(2).standard_normal((3, 4))
    x = Tensor(a, requires_grad=True)
    for fn in (
        lambda t: t.std(1),
        lambda t: t.std(correction=0),
        lambda t: np.linalg.norm(t, axis=0),
        lambda t: np.linalg.norm(t),
    ):
        assert gradcheck(fn, x)
        assert gradgradcheck(fn, x)


def test_second_derivative_of_std_at_zero_spread_is_finite() -> None:
    x = Tensor([2.0, 2.0], requires_grad=True)
    (g,) = tg.grad(x.std(), [x], create_graph=True)
    assert g is not None
    np.testing.assert_array_equal(g.data, [0.0, 0.0])
    (gg,) = tg.grad(g.sum(), [x], allow_unused=True)
    assert gg is None or np.isfinite(gg.data).all()


# ------------------------------------------------------------------ an empty dim

EMPTY_DIM_METHODS = ["sum", "mean", "prod", "amax", "amin", "var", "std", "logsumexp", "max"]


@pytest.mark.parametrize("empty", [(), []])
@pytest.mark.parametrize("method", EMPTY_DIM_METHODS)
def test_an_empty_dim_is_refused_with_both_readings(method: str, empty: Any) -> None:
    t = Tensor([[1.0, 2.0], [3.0, 4.0]])
    for kw in ({"dim": empty}, {"axis": empty}):
        with pytest.raises(ValueError, match=r"PyTorch reduces over all dims.*pass dim=None"):
            getattr(t, method)(**kw)


@pytest.mark.parametrize("method", ["argmax", "argmin"])
def test_an_empty_axis_is_refused_by_arg_extremes(method: str) -> None:
    with pytest.raises(ValueError, match="ambiguous"):
        getattr(Tensor([1.0, 2.0]), method)(axis=())


NUMPY_REDUCTIONS = [np.sum, np.mean, np.prod, np.max, np.min, np.amax, np.amin, np.var, np.std]


@pytest.mark.parametrize("fn", NUMPY_REDUCTIONS, ids=lambda f: f.__name__)
def test_numpy_functions_keep_numpys_empty_axis(fn: Any) -> None:
    a = np.array([[1.0, 2.0], [3.0, 5.0]])
    x = Tensor(a, requires_grad=True)
    out = fn(x, axis=())
    assert isinstance(out, Tensor)
    np.testing.assert_array_equal(out.data, fn(a, axis=()))
    out.sum().backward()
    assert x.grad is not None and x.grad.shape == a.shape


def test_ufunc_reduce_keeps_numpys_empty_axis() -> None:
    a = np.array([[1.0, 2.0], [3.0, 5.0]])
    out = np.add.reduce(Tensor(a), axis=())
    np.testing.assert_array_equal(out.data, np.add.reduce(a, axis=()))


def test_second_derivatives_of_reductions_of_a_0d_tensor() -> None:
    # their recorded backward reduces over no axis, through NumPy's functions
    x = Tensor(1.5, requires_grad=True)
    for fn in (lambda t: t.var(correction=0) + t * t, lambda t: t.std(correction=0) + t**3):
        assert gradgradcheck(fn, x)


# ------------------------------------------------------------------ sums of unsigned ints


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32, np.bool_, np.int8])
def test_sums_and_products_of_small_unsigned_ints_and_bools_are_int64(dtype: Any) -> None:
    values = {np.bool_: [1, 0, 1], np.int8: [100, 100, -3]}.get(dtype, [200, 100, 3])
    data = np.array(values, dtype)
    t = Tensor(data)
    assert t.sum().dtype == t.prod().dtype == np.int64
    assert t.sum().item() == int(data.astype(np.int64).sum())
    assert t.prod().item() == int(data.astype(np.int64).prod())
    assert t.sum(0, keepdim=True).dtype == np.int64


def test_sums_of_uint64_stay_uint64() -> None:
    t = Tensor(np.array([2**63, 1], np.uint64))  # int64 would overflow
    assert t.sum().dtype == np.uint64 and t.sum().item() == 2**63 + 1


# ------------------------------------------------------------------ against PyTorch


def test_the_cases_above_equal_pytorchs() -> None:
    torch = pytest.importorskip("torch")

    def tt(values: Any, **kw: Any) -> Any:
        return torch.tensor(values, dtype=torch.float64, **kw)

    # 1. casts
    x, xt = Tensor([0.7, 1.6], requires_grad=True), tt([0.7, 1.6], requires_grad=True)
    (x * 3.0 + x.to(np.int64) * 5.0).sum().backward()
    (xt * 3.0 + xt.to(torch.int64) * 5.0).sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, xt.grad.numpy())
    # 2. float ops on small ints and bools (torch's default float set to float64, as here)
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        for data in (np.array([3, 200], np.uint8), np.array([5, 3], np.int8), np.array([True])):
            for name in ("exp", "sigmoid", "tanh", "sqrt", "sin"):
                ours = FLOAT_OPS[name][0](Tensor(data))
                theirs = getattr(torch, name)(torch.from_numpy(data))
                assert ours.dtype == np.float64 and theirs.dtype == torch.float64
                np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-14, equal_nan=True)
    finally:
        torch.set_default_dtype(default)
    # 3. var and std with correction ≥ n, and their gradients (NaN and inf positions)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about dof ≤ 0
        for values, c in (([1.0, 3.0], 3), ([2.0], 2), ([1.0, 1.0], 2), ([1.0, 3.0], 2)):
            for method in ("var", "std"):
                a, at = Tensor(values, requires_grad=True), tt(values, requires_grad=True)
                out, theirs = getattr(a, method)(correction=c), getattr(at, method)(correction=c)
                np.testing.assert_array_equal(out.data, theirs.detach().numpy())
                out.backward()
                theirs.backward()
                assert a.grad is not None
                ours_g, their_g = a.grad.data, at.grad.numpy()
                np.testing.assert_array_equal(np.isnan(ours_g), np.isnan(their_g))
                np.testing.assert_array_equal(np.isinf(ours_g), np.isinf(their_g))
    # 4. std and norm at zero
    s, st = Tensor([1.0, 1.0, 1.0], requires_grad=True), tt([1.0, 1.0, 1.0], requires_grad=True)
    s.std().backward()
    st.std().backward()
    assert s.grad is not None
    np.testing.assert_array_equal(s.grad.data, st.grad.numpy())
    n, nt = Tensor([0.0, 0.0], requires_grad=True), tt([0.0, 0.0], requires_grad=True)
    np.linalg.norm(n).backward()
    torch.linalg.vector_norm(nt).backward()
    assert n.grad is not None
    np.testing.assert_array_equal(n.grad.data, nt.grad.numpy())
    # 5. an empty dim: PyTorch reduces over all dims; here refused (dim=None does that)
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert torch.from_numpy(a).sum(dim=()).item() == Tensor(a).sum(dim=None).item()
    # 6. sums of unsigned ints
    u = np.array([200, 100], np.uint8)
    assert str(torch.from_numpy(u).sum().dtype) == "torch." + str(Tensor(u).sum().dtype)
    assert str(torch.from_numpy(u).prod().dtype) == "torch." + str(Tensor(u).prod().dtype)


def test_max_and_min_with_a_tensor_are_elementwise_as_in_pytorch() -> None:
    a = Tensor([1.0, 5.0, 3.0], requires_grad=True)
    b = Tensor([2.0, 2.0, 3.0], requires_grad=True)
    hi, lo = a.max(b), a.min(np.array([2.0, 2.0, 3.0]))
    assert hi.data.tolist() == [2.0, 5.0, 3.0] and lo.data.tolist() == [1.0, 2.0, 3.0]
    hi.sum().backward()
    assert a.grad.data.tolist() == [0.0, 1.0, 0.5] and b.grad.data.tolist() == [1.0, 0.0, 0.5]
    with pytest.raises(TypeError, match="no other argument"):
        a.max(b, keepdim=True)
