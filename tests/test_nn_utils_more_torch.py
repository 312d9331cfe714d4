"""nn.utils' total norms, flat vectors, weight_norm and spectral_norm against PyTorch's."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tinygrad_lite import Tensor, nn  # noqa: E402
from tinygrad_lite.nn import utils  # noqa: E402

RNG = np.random.default_rng(0)


def copy_params(ours: nn.Module, theirs: Any) -> None:
    with torch.no_grad():
        for (name, p), (tname, q) in zip(
            ours.named_parameters(), theirs.named_parameters(), strict=True
        ):
            assert name == tname
            q.copy_(torch.from_numpy(p.data))


def close(a: Any, b: Any, tol: float = 1e-12) -> None:
    a = a.data if isinstance(a, Tensor) else a
    np.testing.assert_allclose(a, b.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, math.inf])
def test_total_norm_and_clip_equal_torch(p: float) -> None:
    xs = [RNG.standard_normal(s) for s in [(2, 3), (4,), ()]]
    ours = [Tensor(x.copy(), requires_grad=True) for x in xs]
    theirs = [torch.tensor(x, requires_grad=True) for x in xs]
    for a, b in zip(ours, theirs, strict=True):
        a.grad, b.grad = Tensor(a.data * 3), b.detach() * 3
    total = utils.get_total_norm([a.grad for a in ours], p)
    t_total = torch.nn.utils.get_total_norm([b.grad for b in theirs], p)
    close(total, t_total)
    utils.clip_grads_with_norm_(ours, 0.5, total)
    torch.nn.utils.clip_grads_with_norm_(theirs, 0.5, t_total)
    for a, b in zip(ours, theirs, strict=True):
        close(a.grad, b.grad)


def test_parameters_to_vector_and_back_equal_torch() -> None:
    ours, theirs = nn.Linear(3, 2, seed=0), torch.nn.Linear(3, 2).double()
    copy_params(ours, theirs)
    vec = utils.parameters_to_vector(ours.parameters())
    t_vec = torch.nn.utils.parameters_to_vector(theirs.parameters())
    close(vec, t_vec, 0)
    (vec * vec).sum().backward()
    (t_vec * t_vec).sum().backward()
    close(ours.weight.grad, theirs.weight.grad, 0)
    new = Tensor(RNG.standard_normal(9))  # one entry more than needed: not used
    utils.vector_to_parameters(new, ours.parameters())
    t_new = torch.from_numpy(new.data.copy())
    torch.nn.utils.vector_to_parameters(t_new, theirs.parameters())
    close(ours.bias, theirs.bias, 0)
    new.data[0] = t_new[0] = 7.0  # both make the parameters views of the vector
    close(ours.weight, theirs.weight, 0)
    assert ours.weight.data[0, 0] == 7.0


def wn_pair(dim: Any, conv: bool) -> tuple[nn.Module, Any]:
    if conv:
        ours, theirs = nn.Conv2d(2, 3, 2, seed=0), torch.nn.Conv2d(2, 3, 2).double()
    else:
        ours, theirs = nn.Linear(3, 4, seed=0), torch.nn.Linear(3, 4).double()
    copy_params(ours, theirs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        torch.nn.utils.weight_norm(theirs, dim=dim)
    return utils.weight_norm(ours, dim=dim), theirs


@pytest.mark.parametrize("dim, conv", [(0, False), (1, False), (None, False), (0, True), (2, True)])
def test_weight_norm_equals_torch(dim: Any, conv: bool) -> None:
    ours, theirs = wn_pair(dim, conv)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    for name in ("weight_g", "weight_v", "weight"):
        close(getattr(ours, name), getattr(theirs, name))
    x = RNG.standard_normal((2, 2, 3, 3) if conv else (5, 3))
    y, ty = ours(Tensor(x)), theirs(torch.from_numpy(x))
    close(y, ty)
    (y**2).sum().backward()
    (ty**2).sum().backward()
    close(ours.weight_g.grad, theirs.weight_g.grad)
    close(ours.weight_v.grad, theirs.weight_v.grad)
    utils.remove_weight_norm(ours)
    torch.nn.utils.remove_weight_norm(theirs)
    close(ours.weight, theirs.weight)
    assert list(ours.state_dict()) == list(theirs.state_dict())


@pytest.mark.parametrize("transpose", [False, True])
def test_spectral_norm_equals_torch_in_training_and_evaluation(transpose: bool) -> None:
    if transpose:
        ours, theirs = nn.ConvTranspose2d(2, 3, 2, seed=0), torch.nn.ConvTranspose2d(2, 3, 2)
        x = RNG.standard_normal((1, 2, 3, 3))
    else:
        ours, theirs = nn.Linear(4, 3, seed=0), torch.nn.Linear(4, 3)
        x = RNG.standard_normal((2, 4))
    theirs = theirs.double()
    copy_params(ours, theirs)
    utils.spectral_norm(ours, n_power_iterations=2)
    torch.nn.utils.spectral_norm(theirs, n_power_iterations=2)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    with torch.no_grad():  # the same start: our random unit vectors
        theirs.weight_u.copy_(torch.from_numpy(ours.weight_u.data))
        theirs.weight_v.copy_(torch.from_numpy(ours.weight_v.data))
    for training in (True, True, False):
        ours.train(training)
        theirs.train(training)
        y, ty = ours(Tensor(x)), theirs(torch.from_numpy(x))
        close(y, ty)
        close(ours.weight_u, theirs.weight_u)
        close(ours.weight_v, theirs.weight_v)
        (y**2).sum().backward()
        (ty**2).sum().backward()
        close(ours.weight_orig.grad, theirs.weight_orig.grad, 1e-11)
    utils.remove_spectral_norm(ours)
    torch.nn.utils.remove_spectral_norm(theirs)
    close(ours.weight, theirs.weight)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_stateless_functional_call_equals_torch() -> None:
    ours, theirs = nn.Linear(2, 2, seed=0), torch.nn.Linear(2, 2).double()
    copy_params(ours, theirs)
    w = RNG.standard_normal((2, 2))
    x = RNG.standard_normal((3, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        y = utils.stateless.functional_call(ours, {"weight": Tensor(w)}, (Tensor(x),))
        ty = torch.nn.utils.stateless.functional_call(
            theirs, {"weight": torch.from_numpy(w)}, (torch.from_numpy(x),)
        )
        close(y, ty)
        with pytest.raises(RuntimeError, match="Missing key"):
            utils.stateless.functional_call(ours, {"weight": Tensor(w)}, Tensor(x), strict=True)
        with pytest.raises(RuntimeError, match="Missing key"):
            torch.nn.utils.stateless.functional_call(
                theirs, {"weight": torch.from_numpy(w)}, torch.from_numpy(x), strict=True
            )
