"""LayerNorm, BatchNorm1d, Embedding, the regression losses and buffers against PyTorch's."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tinygrad_lite import Tensor, nn
from tinygrad_lite import functional as F

torch = pytest.importorskip("torch")

TOL = {"rtol": 1e-12, "atol": 1e-13}


def t(a: np.ndarray, grad: bool = False) -> Any:
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def close(ours: Any, theirs: Any) -> None:
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    np.testing.assert_allclose(ours.data if isinstance(ours, Tensor) else ours, theirs, **TOL)


@pytest.mark.parametrize("shape", [4, (3, 4)])
def test_layer_norm_outputs_and_gradients(shape: Any) -> None:
    rng = np.random.default_rng(0)
    ours, theirs = nn.LayerNorm(shape, eps=1e-3), torch.nn.LayerNorm(shape, eps=1e-3).double()
    w, b = rng.standard_normal(ours.weight.shape), rng.standard_normal(ours.weight.shape)
    ours.weight.data[...], ours.bias.data[...] = w, b
    with torch.no_grad():
        theirs.weight.copy_(t(w))
        theirs.bias.copy_(t(b))
    x, g = rng.standard_normal((2, 3, 4)) * 4, rng.standard_normal((2, 3, 4))
    xo, xt = Tensor(x, requires_grad=True), t(x, True)
    yo, yt = ours(xo), theirs(xt)
    (yo * Tensor(g)).sum().backward()
    (yt * t(g)).sum().backward()
    close(yo, yt)
    close(xo.grad, xt.grad)
    close(ours.weight.grad, theirs.weight.grad)
    close(ours.bias.grad, theirs.bias.grad)


def _twins(momentum: float | None, affine: bool, seed: int) -> tuple[Any, Any]:
    ours = nn.BatchNorm1d(3, eps=1e-4, momentum=momentum, affine=affine)
    theirs = torch.nn.BatchNorm1d(3, eps=1e-4, momentum=momentum, affine=affine).double()
    if affine:
        rng = np.random.default_rng(seed)
        w, b = rng.standard_normal(3), rng.standard_normal(3)
        ours.weight.data[:], ours.bias.data[:] = w, b
        with torch.no_grad():
            theirs.weight.copy_(t(w))
            theirs.bias.copy_(t(b))
    return ours, theirs


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2)])
@pytest.mark.parametrize(("momentum", "affine"), [(0.1, True), (None, True), (0.5, False)])
def test_batch_norm_steps_match_in_outputs_gradients_and_running_statistics(
    shape: tuple[int, ...], momentum: float | None, affine: bool
) -> None:
    ours, theirs = _twins(momentum, affine, seed=1)
    rng = np.random.default_rng(2)
    for _ in range(3):
        x, g = rng.standard_normal(shape) * 3 + 2, rng.standard_normal(shape)
        xo, xt = Tensor(x, requires_grad=True), t(x, True)
        yo, yt = ours(xo), theirs(xt)
        (yo * Tensor(g)).sum().backward()
        (yt * t(g)).sum().backward()
        close(yo, yt)
        close(xo.grad, xt.grad)
        if affine:
            close(ours.weight.grad, theirs.weight.grad)
            close(ours.bias.grad, theirs.bias.grad)
            ours.zero_grad()
            theirs.zero_grad()
        for name, value in theirs.state_dict().items():
            np.testing.assert_allclose(ours.state_dict()[name], value.numpy(), **TOL)
    assert ours.num_batches_tracked.data == theirs.num_batches_tracked.item() == 3
    x = rng.standard_normal(shape)
    close(ours.eval()(x), theirs.eval()(t(x)))


def test_a_pytorch_batch_norm_state_dict_loads_with_the_same_keys() -> None:
    ours, theirs = _twins(0.1, True, seed=3)
    rng = np.random.default_rng(4)
    for _ in range(2):
        theirs(t(rng.standard_normal((6, 3))))
    state = {k: v.numpy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict(state)
    x = rng.standard_normal((2, 3))
    close(ours.eval()(x), theirs.eval()(t(x)))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        theirs.train()(t(np.zeros((1, 3))))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        ours.train()(np.zeros((1, 3)))


def test_embedding_lookups_and_gradients_with_a_padding_row() -> None:
    rng = np.random.default_rng(5)
    ours = nn.Embedding(6, 3, padding_idx=2, seed=0)
    theirs = torch.nn.Embedding(6, 3, padding_idx=2).double()
    with torch.no_grad():
        theirs.weight.copy_(t(ours.weight.data))
    idx = np.array([[2, 5, 5], [0, 2, 5]])
    g = rng.standard_normal((2, 3, 3))
    yo, yt = ours(idx), theirs(torch.tensor(idx))
    (yo * Tensor(g)).sum().backward()
    (yt * t(g)).sum().backward()
    close(yo, yt)
    close(ours.weight.grad, theirs.weight.grad)
    assert np.all(ours.weight.grad.data[2] == 0)


LOSSES = [
    ("l1_loss", {}),
    ("huber_loss", {"delta": 1.0}),
    ("huber_loss", {"delta": 0.5}),
    ("smooth_l1_loss", {"beta": 1.0}),
    ("smooth_l1_loss", {"beta": 0.5}),
    ("smooth_l1_loss", {"beta": 0.0}),
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(("name", "kwargs"), LOSSES)
def test_the_l1_family_of_losses_matches_at_the_kinks(
    name: str, kwargs: dict[str, float], reduction: str
) -> None:
    d = np.array([-2.0, -1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0, 2.0])
    y = np.linspace(-1.125, 1.125, d.size)  # multiples of 1/8: the differences are exact
    x = y + d
    xo, yo, xt, yt = Tensor(x, True), Tensor(y, True), t(x, True), t(y, True)
    lo = getattr(F, name)(xo, yo, reduction, **kwargs)
    lt = getattr(torch.nn.functional, name)(xt, yt, reduction=reduction, **kwargs)
    g = np.linspace(0.5, 1.5, lo.size).reshape(lo.shape)
    (lo * Tensor(g)).sum().backward()
    (lt * t(g)).sum().backward()
    close(lo, lt)
    close(xo.grad, xt.grad)
    close(yo.grad, yt.grad)


def test_buffer_key_order_is_pytorchs() -> None:
    class Ours(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm = nn.BatchNorm1d(2)
            self.register_buffer("steps", Tensor(np.array(0)))
            self.register_buffer("scratch", Tensor(np.zeros(2)), persistent=False)
            self.w = nn.Parameter(np.zeros(2))

    class Theirs(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm = torch.nn.BatchNorm1d(2)
            self.register_buffer("steps", torch.tensor(0))
            self.register_buffer("scratch", torch.zeros(2), persistent=False)
            self.w = torch.nn.Parameter(torch.zeros(2))

    assert list(Ours().state_dict()) == list(Theirs().state_dict())
    assert [n for n, _ in Ours().named_buffers()] == [n for n, _ in Theirs().named_buffers()]
