"""parametrize and parametrizations against torch.nn.utils: values, gradients, keys, repr."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tinygrad_lite import nn
from tinygrad_lite import param_maps as PZ
from tinygrad_lite import parametrize as P
from tinygrad_lite.tensor import Tensor

torch = pytest.importorskip("torch")
TP = torch.nn.utils.parametrize
TPZ = torch.nn.utils.parametrizations


def pair(n_in: int, n_out: int, seed: int, dtype: Any = np.float64) -> tuple[Any, Any]:
    """Our Linear and torch's, with the same weights."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((n_out, n_in)).astype(dtype)
    b = rng.standard_normal(n_out).astype(dtype)
    ours = nn.Linear(n_in, n_out, seed=0).to(dtype)
    ours.weight.data[...], ours.bias.data[...] = W, b
    theirs = torch.nn.Linear(n_in, n_out).to(torch.from_numpy(W).dtype)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(W))
        theirs.bias.copy_(torch.from_numpy(b))
    return ours, theirs


def same_state(ours: Any, theirs: Any) -> None:
    """Same state dict keys, in order, and the same values."""
    mine, their = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(their)
    for k in mine:
        np.testing.assert_allclose(mine[k], their[k].numpy(), rtol=1e-12, atol=1e-12)


def same_weight_and_grads(ours: Any, theirs: Any, tol: float = 1e-12) -> None:
    """Equal weights; then equal gradients of every Parameter for one random projection."""
    w, tw = ours.weight, theirs.weight
    assert w.dtype == tw.detach().numpy().dtype
    np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=tol, atol=tol)
    up = np.random.default_rng(9).standard_normal(w.shape).astype(w.dtype)
    (w * Tensor(up)).sum().backward()
    (tw * torch.from_numpy(up)).sum().backward()
    theirs_grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        tp = theirs_grads[name]
        if tp.grad is None:
            assert p.grad is None or not p.grad.data.any()
        else:
            np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=tol, atol=tol)


class Symmetric(nn.Module):
    def forward(self, X: Tensor) -> Tensor:
        return X.triu() + X.triu(1).mT


class TSymmetric(torch.nn.Module):
    def forward(self, X: Any) -> Any:
        return X.triu() + X.triu(1).mT


def test_register_keys_repr_and_removal_as_torch() -> None:
    ours, theirs = pair(3, 3, 0)
    P.register_parametrization(ours, "weight", Symmetric())
    TP.register_parametrization(theirs, "weight", TSymmetric())
    assert repr(ours) == repr(theirs).replace("TSymmetric", "Symmetric")
    same_state(ours, theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    same_weight_and_grads(ours, theirs)
    P.remove_parametrizations(ours, "weight")
    TP.remove_parametrizations(theirs, "weight")
    same_state(ours, theirs)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4)])
@pytest.mark.parametrize("trivial", [True, False])
def test_orthogonal_as_torch(orthogonal_map: str, shape: tuple[int, int], trivial: bool) -> None:
    ours, theirs = pair(shape[1], shape[0], 1)
    PZ.orthogonal(ours, orthogonal_map=orthogonal_map, use_trivialization=trivial)
    TPZ.orthogonal(theirs, orthogonal_map=orthogonal_map, use_trivialization=trivial)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    original = ours.parametrizations.weight.original
    t_original = theirs.parametrizations.weight.original
    np.testing.assert_allclose(original.data, t_original.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), atol=1e-12)
    # the same original (diagonal kept at ±1.5 so that householder's signs are not 0) and base
    X = np.random.default_rng(2).standard_normal(shape) * 0.3
    k = min(shape)
    X[np.arange(k), np.arange(k)] = np.where(np.arange(k) % 2 == 0, 1.5, -1.5)
    original.data[...] = X
    with torch.no_grad():
        t_original.copy_(torch.from_numpy(X))
    if trivial:
        ours.parametrizations.weight[0].base = Tensor(
            theirs.parametrizations.weight[0].base.numpy()
        )
    same_weight_and_grads(ours, theirs, 1e-11)


def test_orthogonal_assignment_as_torch() -> None:
    ours, theirs = pair(2, 4, 3)
    PZ.orthogonal(ours, use_trivialization=False)  # householder: QR's reflectors
    TPZ.orthogonal(theirs, use_trivialization=False)
    Q = np.linalg.qr(np.random.default_rng(4).standard_normal((4, 2)))[0]
    ours.weight = Tensor(Q)
    theirs.weight = torch.from_numpy(Q.copy())
    same_state(ours, theirs)
    np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("shape", [(4, 3), (2, 5)])
def test_spectral_norm_as_torch_given_the_same_u_v(shape: tuple[int, int]) -> None:
    ours, theirs = pair(shape[1], shape[0], 4)
    PZ.spectral_norm(ours)
    TPZ.spectral_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    mine, their = ours.parametrizations.weight[0], theirs.parametrizations.weight[0]
    mine._u.data[...], mine._v.data[...] = their._u.numpy(), their._v.numpy()
    for _ in range(2):  # each access in training mode runs a power step
        np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(mine._u.data, their._u.numpy(), atol=1e-12)
    same_weight_and_grads(ours.eval(), theirs.eval())
    same_state(ours, theirs)


@pytest.mark.parametrize("dim", [0, 1, -1, None, -2])
def test_weight_norm_as_torch(dim: int | None) -> None:
    ours, theirs = pair(3, 4, 5)
    PZ.weight_norm(ours, dim=dim)
    TPZ.weight_norm(theirs, dim=dim)
    same_state(ours, theirs)
    same_weight_and_grads(ours, theirs)
    assert repr(ours) == repr(theirs)


def test_float32_and_assignment_as_torch() -> None:
    ours, theirs = pair(3, 4, 6, np.float32)
    PZ.weight_norm(ours)
    TPZ.weight_norm(theirs)
    same_weight_and_grads(ours, theirs, 1e-6)
    Y = np.random.default_rng(7).standard_normal((4, 3)).astype(np.float32)
    ours.weight = Tensor(Y)
    theirs.weight = torch.from_numpy(Y.copy())
    for k, v in ours.state_dict().items():
        np.testing.assert_allclose(v, theirs.state_dict()[k].numpy(), rtol=1e-6)
