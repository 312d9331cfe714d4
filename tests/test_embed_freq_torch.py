"""embedding(scale_grad_by_freq=True) and nn.Embedding against PyTorch: values and gradients.

PyTorch's double backward of the embedding ignores the scale (it differentiates the gradient
as if unscaled), so second-order results are compared where every index occurs once; the
torch-free tests pin the second order to finite differences of the scaled gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinygrad_lite as tg  # noqa: E402
from tinygrad_lite import Tensor, nn  # noqa: E402
from tinygrad_lite.embed_bag import embedding_bag  # noqa: E402
from tinygrad_lite.normalization import embedding  # noqa: E402

F = torch.nn.functional
RNG = np.random.default_rng(3)
W0 = RNG.normal(size=(6, 3))
IDX = np.array([[0, 2, 0, 5], [3, 0, 2, 2]])


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"padding_idx": 0},
        {"padding_idx": -4},
        {"max_norm": 1.0},
        {"max_norm": 0.5, "norm_type": 1.0, "padding_idx": 2},
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_values_and_gradients_as_torch(kw: dict[str, Any], dtype: type) -> None:
    tol = 1e-6 if dtype is np.float32 else 1e-13
    w, wt = Tensor(W0.astype(dtype), requires_grad=True), torch.tensor(W0.astype(dtype))
    wt.requires_grad_()
    g = RNG.normal(size=(*IDX.shape, 3)).astype(dtype)
    out = embedding(IDX, w, scale_grad_by_freq=True, **kw)
    out_t = F.embedding(torch.tensor(IDX), wt, scale_grad_by_freq=True, **kw)
    out.backward(Tensor(g))
    out_t.backward(torch.tensor(g))
    assert out.dtype == out_t.detach().numpy().dtype and w.grad is not None
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=tol)
    np.testing.assert_allclose(w.data, wt.detach().numpy(), rtol=tol)  # max_norm's renorm
    np.testing.assert_allclose(w.grad.data, wt.grad.numpy(), rtol=tol, atol=tol)


def test_module_as_torch() -> None:
    ours = nn.Embedding(6, 3, padding_idx=1, max_norm=1.5, scale_grad_by_freq=True,
                        _weight=W0)  # fmt: skip
    theirs = torch.nn.Embedding(6, 3, padding_idx=1, max_norm=1.5, scale_grad_by_freq=True,
                                _weight=torch.tensor(W0))  # fmt: skip
    assert repr(ours) == repr(theirs)
    for idx in (IDX, np.array([1, 4, 4])):  # counts per call; gradients accumulate
        (ours(idx) ** 2).sum().backward()
        (theirs(torch.tensor(idx)) ** 2).sum().backward()
    assert ours.weight.grad is not None and theirs.weight.grad is not None
    np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=1e-13)


def test_second_order_as_torch_where_indices_are_distinct() -> None:
    idx = np.array([[4, 0], [2, 5]])

    def hvp(m: Any) -> Any:
        w = Tensor(W0, requires_grad=True) if m is tg else torch.tensor(W0, requires_grad=True)
        out = (embedding if m is tg else F.embedding)(
            idx if m is tg else torch.tensor(idx), w, scale_grad_by_freq=True
        )
        grad = tg.grad if m is tg else torch.autograd.grad
        (gw,) = grad((out.sum(0) ** 3).sum(), w, create_graph=True)
        return grad((gw * gw).sum(), w)[0]

    np.testing.assert_allclose(hvp(tg).data, hvp(torch).numpy(), rtol=1e-13)


def test_embedding_bag_shares_the_rule() -> None:
    # counts all equal: PyTorch's CPU bag kernel reads another index's count when they differ
    idx, offsets = np.array([0, 2, 0, 5, 2, 5]), np.array([0, 2])
    w, wt = Tensor(W0, requires_grad=True), torch.tensor(W0, requires_grad=True)
    out = embedding_bag(idx, w, offsets, mode="sum", scale_grad_by_freq=True)
    out_t = F.embedding_bag(torch.tensor(idx), wt, torch.tensor(offsets), mode="sum",
                            scale_grad_by_freq=True)  # fmt: skip
    (out * out).sum().backward()
    (out_t * out_t).sum().backward()
    assert w.grad is not None
    np.testing.assert_allclose(w.grad.data, wt.grad.numpy(), rtol=1e-13)
