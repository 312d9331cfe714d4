"""In-place shape methods against PyTorch's: values, shapes, gradients and refusals."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinygrad_lite as tg  # noqa: E402

CASES = [
    ("squeeze_", ()),
    ("squeeze_", (-1,)),
    ("squeeze_", ((1, 3),)),
    ("unsqueeze_", (2,)),
    ("transpose_", (0, -1)),
    ("swapdims_", (1, 2)),
    ("swapaxes_", (3, 0)),
]


@pytest.mark.parametrize("name, args", CASES)
def test_values_and_gradients_equal_torch(name: str, args: tuple) -> None:
    a = np.linspace(-1.0, 1.0, 12).reshape(2, 1, 6, 1)
    w = np.arange(12.0)
    x, xt = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, yt = x * 3.0, xt * 3.0
    getattr(y, name)(*args)
    getattr(yt, name)(*args)
    assert y.shape == tuple(yt.shape)
    np.testing.assert_allclose(y.data, yt.detach().numpy())
    (y * tg.tensor(w.reshape(y.shape))).sum().backward()
    (yt * torch.tensor(w.reshape(yt.shape))).sum().backward()
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy())


def test_t_and_leaf_rules_as_torch() -> None:
    for make in (lambda m: m.zeros(2, 3, requires_grad=True),):
        x, xt = make(tg), make(torch)
        with pytest.raises(RuntimeError):
            xt.t_()
        with pytest.raises(RuntimeError, match="leaf"):
            x.t_()
        with torch.no_grad():
            xt.t_()
        with tg.no_grad():
            x.t_()
        assert x.shape == tuple(xt.shape) and x.is_leaf == xt.is_leaf
    with pytest.raises(RuntimeError):
        torch.zeros(2, 3, 4).t_()
    with pytest.raises(ValueError):
        tg.zeros(2, 3, 4).t_()


def test_resize_equals_torch() -> None:
    x, xt = tg.arange(6.0), torch.arange(6.0, dtype=torch.float64)
    for sizes in [(2, 2), (6,), (3, 2), (1,), (2, 3)]:
        np.testing.assert_array_equal(x.resize_(*sizes).data, xt.resize_(*sizes).numpy())
    assert x.resize_as_(tg.zeros(3, 1)).shape == tuple(xt.resize_as_(torch.zeros(3, 1)).shape)
    with pytest.raises(RuntimeError, match="require grad"):
        torch.zeros(2, requires_grad=True).resize_(3)
    with pytest.raises(RuntimeError, match="requires grad"):
        tg.zeros(2, requires_grad=True).resize_(3)


def test_stale_saved_value_refused_as_torch() -> None:
    xt = torch.tensor([1.0, 2.0], requires_grad=True)
    yt = xt.exp()
    yt.unsqueeze_(0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        yt.sum().backward()
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.unsqueeze_(0)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.sum().backward()
