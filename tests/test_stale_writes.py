"""In-place writes between a forward and its backward that were not stamped: now refused.

A backward whose graph saved an array that was written in place since must refuse, as
PyTorch's version counter does, rather than differentiate the new values.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import nn, optim
from tinygrad_lite.fused import available as fused_available

BACKENDS = ["numpy", "fused"] if fused_available() else ["numpy"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("view", ["slice", "T", "reshape"])
@pytest.mark.parametrize("returned", ["sum", "product", "none"])
def test_a_write_through_a_view_made_in_a_compiled_step_is_stamped(
    backend: str, view: str, returned: str
) -> None:
    w = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)

    def update() -> tg.Tensor | None:
        with tg.no_grad():
            v = w[1:] if view == "slice" else w.T if view == "T" else w.reshape(4)
            v.sub_(10.0)
        return w.sum() if returned == "sum" else w * 2.0 if returned == "product" else None

    step = tg.compile(update, backend=backend)
    expected = np.array([[1.0, 2.0], [3.0, 4.0]])
    for _ in range(3):  # the trace, then replays
        x = tg.tensor([[1.0, 1.0]], requires_grad=True)
        z = ((x @ w) ** 2).sum()  # saves w
        out = step()
        expected = expected - (10.0 if view != "slice" else np.array([[0.0], [10.0]]))
        np.testing.assert_array_equal(w.data, expected)
        if returned == "sum":
            assert out is not None and out.item() == expected.sum()
        with pytest.raises(RuntimeError, match="modified in place"):
            z.backward()


@pytest.mark.parametrize("owner", ["optimizer", "module"])
def test_zero_grad_without_none_stamps_the_gradients(owner: str) -> None:
    layer = nn.Linear(2, 1)
    layer(tg.tensor([[1.0, 2.0]])).sum().backward()
    g = layer.weight.grad
    assert g is not None
    z = tg.tensor([[1.0, 1.0]], requires_grad=True)
    y = (z * g).sum()  # saves the gradient's values
    if owner == "optimizer":
        optim.SGD(layer.parameters(), lr=0.1).zero_grad(set_to_none=False)
    else:
        layer.zero_grad(set_to_none=False)
    assert layer.weight.grad is g and not g.data.any()
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_an_embeddings_max_norm_renormalisation_stamps_the_weight() -> None:
    e = nn.Embedding(2, 2, max_norm=1.0)
    with tg.no_grad():
        e.weight.copy_(tg.tensor([[3.0, 4.0], [0.1, 0.1]]))
    x = tg.tensor([[1.0, 1.0], [1.0, 1.0]], requires_grad=True)
    y = (e.weight * x).sum()  # saves the weight
    e(tg.tensor([0]))  # row 0 becomes [0.6, 0.8] in place
    np.testing.assert_allclose(e.weight.data[0], [0.6, 0.8], rtol=1e-6)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()
    # PyTorch's renormalisation counts as a write even where no row is over the norm
    y = (e.weight * x).sum()
    e(tg.tensor([1]))
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


@pytest.mark.parametrize("switch", ["requires_grad_", "detach_"])
def test_a_leaf_switched_off_after_the_forward_gets_no_gradient(switch: str) -> None:
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    v = tg.tensor([3.0, 4.0], requires_grad=True)
    seen: list[str] = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append("w"))
    y = (w * v).sum()
    w.requires_grad_(False) if switch == "requires_grad_" else w.detach_()
    y.backward()  # as PyTorch: the leaf that no longer requires grad is left alone
    assert w.grad is None and seen == []
    assert v.grad is not None and v.grad.tolist() == [1.0, 2.0]
