"""Differential audit of nn.utils against PyTorch: clipping, parameter vectors, weight norms."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tinygrad_lite import Tensor, nn, nn_utils, param_vectors, weight_norms  # noqa: E402

TU, TI = torch.nn.utils, torch.nn.init
COVERED: set[str] = set()
# Sub-namespaces re-exported by nn.utils, audited with their own modules.
NOT_HERE = {"stateless", "parametrizations", "parametrize", "rnn"}


def covers(*names: str) -> Callable[[Any], Any]:
    COVERED.update(names)
    return lambda f: f


@pytest.fixture(autouse=True, scope="module")
def _float64() -> Iterator[None]:
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def test_every_public_name_has_a_case() -> None:
    names = set()
    for mod in (nn_utils, weight_norms, param_vectors):
        names |= set(mod.__all__)
    assert names - NOT_HERE - COVERED == set()


# ------------------------------------------------------------------ gradient clipping


def _pair(shapes: list[tuple[int, ...]], dt: str = "float64", none_at: int = -1) -> tuple[Any, Any]:
    rng = np.random.default_rng(len(shapes))
    ours, theirs = [], []
    for i, s in enumerate(shapes):
        g = (rng.standard_normal(s) * 3).astype(dt)
        a = Tensor(np.zeros(s, dt), requires_grad=True)
        b = torch.zeros(s, dtype=getattr(torch, dt), requires_grad=True)
        if i != none_at:
            a.grad, b.grad = Tensor(g.copy()), torch.tensor(g.copy())
        ours.append(a)
        theirs.append(b)
    return ours, theirs


def _same_grads(ours: list[Tensor], theirs: list[Any], rtol: float = 1e-12) -> None:
    for a, b in zip(ours, theirs, strict=True):
        if b.grad is None:
            assert a.grad is None
            continue
        assert a.grad.data.dtype == np.dtype(str(b.grad.dtype).replace("torch.", ""))
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=rtol, atol=0)


NORMS = [2, 2.0, 1, math.inf, 0.5, 3, "inf", "2"]


@covers("clip_grad_norm_", "get_total_norm", "clip_grads_with_norm_")
@pytest.mark.parametrize("p", NORMS)
@pytest.mark.parametrize("max_norm", [0.5, 1e6, 0.0])
def test_clip_grad_norm_values(p: Any, max_norm: float) -> None:
    ours, theirs = _pair([(2, 3), (4,), ()], none_at=1)
    r = nn_utils.clip_grad_norm_(ours, max_norm, p)
    t = TU.clip_grad_norm_(theirs, max_norm, p)
    assert r.shape == tuple(t.shape) == () and r.dtype == np.float64
    np.testing.assert_allclose(r.data, t.numpy(), rtol=1e-12)
    _same_grads(ours, theirs)
    g1, g2 = _pair([(3, 2), (5,)])
    a = nn_utils.get_total_norm([x.grad for x in g1], p)
    b = TU.get_total_norm([x.grad for x in g2], p)
    np.testing.assert_allclose(a.data, b.numpy(), rtol=1e-12)
    nn_utils.clip_grads_with_norm_(g1, max_norm, a)
    TU.clip_grads_with_norm_(g2, max_norm, b)
    _same_grads(g1, g2)


@covers("clip_grad_norm_")
@pytest.mark.parametrize("dts", [["float32"], ["float32", "float64"]])
def test_clip_grad_norm_float32(dts: list[str]) -> None:
    pairs = [_pair([(3, 2)], dt) for dt in dts]
    ours, theirs = [p[0][0] for p in pairs], [p[1][0] for p in pairs]
    r, t = nn_utils.clip_grad_norm_(ours, 1.0), TU.clip_grad_norm_(theirs, 1.0)
    assert str(r.dtype) == str(t.dtype).replace("torch.", "")
    np.testing.assert_allclose(r.data, t.numpy(), rtol=1e-6)
    _same_grads(ours, theirs, rtol=1e-6)


@covers("clip_grad_norm_", "clip_grad_value_")
def test_single_tensor_generator_and_no_grads() -> None:
    (a,), (b,) = _pair([(3,)])
    np.testing.assert_allclose(
        nn_utils.clip_grad_norm_(a, 1.0).data, TU.clip_grad_norm_(b, 1.0).numpy(), rtol=1e-12
    )
    _same_grads([a], [b])
    ours, theirs = _pair([(2,), (3,)])
    r = nn_utils.clip_grad_norm_((x for x in ours), 1.0, foreach=False)
    t = TU.clip_grad_norm_((x for x in theirs), 1.0, foreach=False)
    np.testing.assert_allclose(r.data, t.numpy(), rtol=1e-12)
    with pytest.warns(UserWarning, match="empty generator"):
        r = nn_utils.clip_grad_norm_((x for x in []), 1.0)
    assert r.data == 0.0 and r.shape == ()
    (a,), (b,) = _pair([(3,)], none_at=0)
    r, t = nn_utils.clip_grad_norm_([a], 1.0), TU.clip_grad_norm_([b], 1.0)
    assert r.dtype == np.float64 and float(r.data) == float(t) == 0.0 and a.grad is None
    (a,), (b,) = _pair([(4,)])
    nn_utils.clip_grad_value_(a, 0.5)
    TU.clip_grad_value_(b, 0.5)
    _same_grads([a], [b])


@covers("clip_grad_norm_", "clip_grad_value_")
def test_nonfinite() -> None:
    for bad in (math.nan, math.inf):
        ours, theirs = _pair([(3,), (2,)])
        ours[0].grad.data[1] = bad
        theirs[0].grad[1] = bad
        r, t = nn_utils.clip_grad_norm_(ours, 1.0), TU.clip_grad_norm_(theirs, 1.0)
        np.testing.assert_equal(r.data, t.numpy())
        np.testing.assert_equal(ours[0].grad.data, theirs[0].grad.numpy())
        with pytest.raises(RuntimeError, match="not"):
            nn_utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
        with pytest.raises(RuntimeError):
            TU.clip_grad_norm_(theirs, 1.0, error_if_nonfinite=True)
    ours, theirs = _pair([(5,)])
    ours[0].grad.data[0] = theirs[0].grad[0] = math.nan
    nn_utils.clip_grad_value_(ours, 1.0)
    TU.clip_grad_value_(theirs, 1.0)
    np.testing.assert_equal(ours[0].grad.data, theirs[0].grad.numpy())


@covers("clip_grad_value_")
@pytest.mark.parametrize("dt", ["float64", "float32"])
def test_clip_grad_value(dt: str) -> None:
    ours, theirs = _pair([(2, 3), (0,), ()], dt, none_at=0)
    nn_utils.clip_grad_value_(ours, 1.5, foreach=True)
    TU.clip_grad_value_(theirs, 1.5)
    _same_grads(ours, theirs, rtol=0)


@covers("clip_grad_norm", "get_total_norm", "clip_grads_with_norm_")
def test_refusals_and_deprecation() -> None:
    ours, _ = _pair([(3,)])
    with pytest.warns(FutureWarning):
        nn_utils.clip_grad_norm(ours, 1.0)
    # order 0: torch counts the tensors with a nonzero entry, not the entries; NaN: always NaN
    for p in (0, math.nan):
        with pytest.raises(ValueError, match="norm_type"):
            nn_utils.clip_grad_norm_(ours, 1.0, p)
    with pytest.raises(ValueError, match="norm_type 'x'"):
        nn_utils.get_total_norm([Tensor([1.0])], "x")
    with pytest.raises(ValueError, match="max_norm"):
        nn_utils.clip_grad_norm_(ours, -1.0)
    with pytest.raises(TypeError, match="foreach"):
        nn_utils.clip_grad_norm_(ours, 1.0, foreach="yes")
    with pytest.raises(TypeError, match="dtype int64"):
        nn_utils.get_total_norm([Tensor(np.arange(3))])
    with pytest.raises(RuntimeError):
        TU.get_total_norm([torch.arange(3)])
    with pytest.raises(TypeError, match="not a Tensor"):
        nn_utils.clip_grad_norm_([1.0], 1.0)
    with pytest.raises(TypeError, match="total_norm"):
        nn_utils.clip_grads_with_norm_(ours, 1.0, 2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="one element"):
        nn_utils.clip_grads_with_norm_(ours, 1.0, Tensor([1.0, 2.0]))
    t = nn_utils.get_total_norm([])
    assert t.dtype == np.float64 and t.data == TU.get_total_norm([]).item() == 0.0
    # the inf norm of an empty tensor is 0 here (torch refuses it: no identity)
    assert nn_utils.get_total_norm([Tensor(np.zeros(0))], math.inf).data == 0.0
    a = Tensor([3.0, 4.0], requires_grad=True)
    r = nn_utils.get_total_norm([a * 1.0], error_if_nonfinite=True)
    assert r.grad_fn is None and not r.requires_grad and r.data == 5.0


# ------------------------------------------------------------------ parameter vectors


@covers("parameters_to_vector", "vector_to_parameters", "tensor_list")
def test_parameter_vectors() -> None:
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s) for s in [(2, 3), (), (4,)]]
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    v, w = nn_utils.parameters_to_vector(ours), TU.parameters_to_vector(theirs)
    np.testing.assert_array_equal(v.data, w.detach().numpy())
    weights = rng.standard_normal(v.shape)
    (v * Tensor(weights)).sum().backward()
    (w * torch.tensor(weights)).sum().backward()
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a.grad.data, b.grad.numpy())
    m = Tensor(arrays[0])
    np.testing.assert_array_equal(  # non-contiguous: torch's view refuses, reshape copies
        nn_utils.parameters_to_vector([m.T]).data, arrays[0].T.ravel()
    )
    mixed = nn_utils.parameters_to_vector([Tensor(np.ones(2, np.float32)), Tensor(np.ones(1))])
    assert (
        mixed.dtype == TU.parameters_to_vector([torch.ones(2).float(), torch.ones(1)]).numpy().dtype
    )
    new = rng.standard_normal(12)
    nn_utils.vector_to_parameters(Tensor(new), ours)
    TU.vector_to_parameters(torch.tensor(new), theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == tuple(b.shape)
        np.testing.assert_array_equal(a.data, b.detach().numpy())
    with pytest.raises(ValueError, match="at least one"):
        nn_utils.parameters_to_vector([])
    with pytest.raises(TypeError, match="vec"):
        nn_utils.vector_to_parameters(new, ours)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="10 entries but the parameters hold 11"):
        nn_utils.vector_to_parameters(Tensor(new[:10]), ours)
    with pytest.raises(ValueError, match="1-dimensional"):
        nn_utils.vector_to_parameters(Tensor(new.reshape(12, 1)), ours)
    with pytest.raises(ValueError, match="dtype float32"):
        nn_utils.vector_to_parameters(Tensor(new.astype(np.float32)), ours)
    assert param_vectors.tensor_list("f", ours[0]) == [ours[0]]
    with pytest.raises(TypeError, match="f: expected"):
        param_vectors.tensor_list("f", 3)


# ------------------------------------------------------------------ weight and spectral norm


def _linears(shape: tuple[int, int] = (4, 3)) -> tuple[Any, Any]:
    t = torch.nn.Linear(shape[1], shape[0])
    o = nn.Linear(shape[1], shape[0])
    o.weight.data = t.weight.detach().numpy().copy()
    o.bias.data = t.bias.detach().numpy().copy()
    return o, t


X = np.random.default_rng(5).standard_normal((5, 3))


@covers("weight_norm", "remove_weight_norm")
@pytest.mark.parametrize("dim", [0, 1, -1, -2, None])
def test_weight_norm(dim: int | None) -> None:
    o, t = _linears()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        TU.weight_norm(t, dim=dim)
    nn_utils.weight_norm(o, dim=dim)
    assert o.weight_g.shape == tuple(t.weight_g.shape)
    assert [n for n, _ in o.named_parameters()] == [n for n, _ in t.named_parameters()]
    yo, yt = o(Tensor(X)), t(torch.tensor(X))
    np.testing.assert_allclose(yo.data, yt.detach().numpy(), rtol=1e-12, atol=1e-15)
    (yo**2).sum().backward()
    (yt**2).sum().backward()
    for n in ("weight_g", "weight_v"):
        np.testing.assert_allclose(
            getattr(o, n).grad.data, getattr(t, n).grad.numpy(), rtol=1e-10, atol=1e-14
        )
    nn_utils.remove_weight_norm(o)
    TU.remove_weight_norm(t)
    assert isinstance(o.weight, nn.Parameter)
    np.testing.assert_allclose(o.weight.data, t.weight.detach().numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="weight_norm"):
        nn_utils.remove_weight_norm(o)


@covers("spectral_norm", "remove_spectral_norm")
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_spectral_norm(dim: int | None) -> None:
    o, t = _linears()
    TU.spectral_norm(t, dim=dim, n_power_iterations=2)
    nn_utils.spectral_norm(o, dim=dim, n_power_iterations=2)
    assert sorted(dict(o.named_buffers())) == sorted(dict(t.named_buffers()))
    o.weight_u.data[...] = t.weight_u.numpy()
    o.weight_v.data[...] = t.weight_v.numpy()
    yo, yt = o(Tensor(X)), t(torch.tensor(X))
    np.testing.assert_allclose(yo.data, yt.detach().numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(o.weight_u.data, t.weight_u.numpy(), rtol=1e-10, atol=1e-14)
    (yo**2).sum().backward()
    (yt**2).sum().backward()
    np.testing.assert_allclose(o.weight_orig.grad.data, t.weight_orig.grad.numpy(), rtol=1e-9)
    o.eval()
    t.eval()
    np.testing.assert_allclose(o(Tensor(X)).data, t(torch.tensor(X)).detach().numpy(), rtol=1e-10)
    nn_utils.remove_spectral_norm(o)
    TU.remove_spectral_norm(t)
    np.testing.assert_allclose(o.weight.data, t.weight.detach().numpy(), rtol=1e-10)
    with pytest.raises(ValueError, match="n_power_iterations|must"):
        nn_utils.spectral_norm(_linears()[0], n_power_iterations=0)


@covers("l2_penalty", "is_weight")
def test_course_helpers_without_a_torch_counterpart() -> None:
    assert nn_utils.is_weight("layers.0.weight") and nn_utils.is_weight("W3")
    assert not nn_utils.is_weight("bias") and not nn_utils.is_weight("b1")
    w = Tensor(np.array([[1.0, 2.0]]), requires_grad=True)
    j = nn_utils.l2_penalty([w], lam=0.5, m=4)
    j.backward()
    assert j.data == 0.3125 and np.array_equal(w.grad.data, [[0.125, 0.25]])
