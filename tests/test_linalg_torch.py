"""linalg.inv, det, slogdet, solve and logdet against PyTorch in float64 (optional: needs torch)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_lite as tg
from tinygrad_lite import Tensor

torch = pytest.importorskip("torch")

SHIFTS = st.sampled_from([-2.0, -1.5, 1.5, 2.0])


@st.composite
def well_conditioned(draw: Any, batch: tuple[int, ...] | None = None) -> np.ndarray:
    """c·I + E with c = ±1.5 or ±2 per matrix and |E_ij| ≤ 0.4, n ≤ 3: |eigenvalues| ≥ 0.3."""
    if batch is None:
        batch = draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=2))
    n = draw(st.integers(1, 3))
    e = draw(hnp.arrays(np.float64, (*batch, n, n), elements=st.floats(-0.4, 0.4)))
    c = draw(hnp.arrays(np.float64, batch, elements=SHIFTS))
    return e + c[..., None, None] * np.eye(n)


def _compare(ours: Tensor, theirs: Any, inputs: list[Tensor], torch_inputs: list[Any]) -> None:
    expected = theirs.detach().numpy()
    assert ours.shape == expected.shape and ours.dtype == expected.dtype
    np.testing.assert_allclose(ours.data, expected, rtol=1e-10, atol=1e-12)
    upstream = np.random.default_rng(0).standard_normal(ours.shape)
    ours.backward(upstream)
    theirs.backward(torch.from_numpy(upstream))
    for t, u in zip(inputs, torch_inputs, strict=True):
        assert t.grad is not None and u.grad is not None
        np.testing.assert_allclose(t.grad.data, u.grad.numpy(), rtol=1e-10, atol=1e-12)


def _pair(a: np.ndarray) -> tuple[Tensor, Any]:
    return Tensor(a.copy(), requires_grad=True), torch.from_numpy(a.copy()).requires_grad_()


FUNCTIONS = {
    "inv": (tg.linalg.inv, torch.linalg.inv),
    "inverse": (tg.inverse, torch.inverse),
    "det": (tg.linalg.det, torch.linalg.det),
    "logabsdet": (lambda a: tg.linalg.slogdet(a).logabsdet, lambda a: torch.slogdet(a).logabsdet),
    "logdet": (tg.logdet, torch.logdet),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@settings(max_examples=10, deadline=None)
@given(a=well_conditioned())
def test_values_and_gradients_equal_pytorchs(name: str, a: np.ndarray) -> None:
    ours_fn, theirs_fn = FUNCTIONS[name]
    x, tx = _pair(a)
    _compare(ours_fn(x), theirs_fn(tx), [x], [tx])
    assert np.array_equal(tg.slogdet(x).sign.data, torch.linalg.slogdet(tx).sign.detach().numpy())


@settings(max_examples=20, deadline=None)
@given(data=st.data(), left=st.booleans())
def test_solve_equals_pytorchs_for_every_form_of_b(data: st.DataObject, left: bool) -> None:
    a = data.draw(well_conditioned())
    n, batch = a.shape[-1], a.shape[:-2]
    form = data.draw(st.sampled_from(["vector", "vectors", "matrix", "broadcast"]))
    k = data.draw(st.integers(1, 3))
    shape = {
        "vector": (n,),
        "vectors": (*batch, n),
        "matrix": (*batch, n, k) if left else (*batch, k, n),
        "broadcast": (2, *batch, n, k) if left else (2, *batch, k, n),
    }[form]
    b = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-3, 3)))
    (x, tx), (y, ty) = _pair(a), _pair(b)
    if not left and form in ("vector", "vectors"):  # X·A = B takes no vectors
        with pytest.raises(RuntimeError):
            torch.linalg.solve(tx, ty, left=False)
        with pytest.raises(ValueError, match="must be a batch of matrices"):
            tg.linalg.solve(x, y, left=False)
        return
    ours = tg.linalg.solve(x, y, left=left)
    theirs = torch.linalg.solve(tx, ty, left=left)
    _compare(ours, theirs, [x, y], [tx, ty])


@settings(max_examples=10, deadline=None)
@given(a=well_conditioned(batch=(2,)))
def test_second_derivatives_equal_pytorchs(a: np.ndarray) -> None:
    w = np.random.default_rng(1).standard_normal(a.shape)

    def second(fns: Any, x: Any, grad: Any, tensor: Any) -> Any:
        loss = fns[0](x).sum() + fns[1](x).sum() + fns[2](x).sum()
        (g,) = grad(loss, [x], create_graph=True)
        (h,) = grad((g * tensor(w)).sum(), [x])
        return h

    x, tx = _pair(a)
    ours = second((tg.linalg.inv, tg.det, tg.logdet), x, tg.grad, Tensor)
    theirs = second(
        (torch.linalg.inv, torch.linalg.det, torch.logdet),
        tx,
        torch.autograd.grad,
        torch.from_numpy,
    )
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-10, atol=1e-11)


def test_a_singular_determinants_gradient_is_pytorchs_where_its_lu_finds_no_zero_pivot() -> None:
    a = np.array([[[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]], np.eye(3) * 2.0])
    x, tx = _pair(a)
    tg.det(x).sum().backward()
    d = torch.linalg.det(tx)
    d.sum().backward()
    assert x.grad is not None and tx.grad is not None
    np.testing.assert_allclose(x.grad.data[1], tx.grad.numpy()[1], rtol=1e-12)
    cofactors = [[4.0, 4.0, -4.0], [-2.0, -2.0, 2.0], [0.0, 0.0, 0.0]]
    np.testing.assert_allclose(x.grad.data[0], cofactors, atol=1e-13)
    # PyTorch's LU rounds this matrix to det ≈ −7e-16 on some BLAS builds (then its gradient is
    # the cofactors too) and to exactly 0 on others (then its gradient is 0)
    if d[0].item() != 0.0:
        np.testing.assert_allclose(x.grad.data[0], tx.grad.numpy()[0], atol=1e-13)
