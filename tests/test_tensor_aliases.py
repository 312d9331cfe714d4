"""PyTorch's spellings: dim, numel, t, mm, long/int/bool, *_as, masked_fill, isnan, ..."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_lite import Tensor, no_grad
from tinygrad_lite.gradcheck import gradcheck


def test_counts_casts_and_shapes() -> None:
    x = Tensor(np.array([[1.7, -2.5, 0.0], [3.2, -0.4, 9.9]]))
    assert x.dim() == 2 and x.numel() == 6
    assert x.long().dtype == np.int64 and x.long().tolist() == [[1, -2, 0], [3, 0, 9]]
    assert x.int().dtype == np.int32
    assert x.bool().tolist() == [[True, True, False], [True, True, True]]
    assert x.type_as(Tensor(np.zeros(1, np.float32))).dtype == np.float32
    assert x.t().shape == (3, 2) and x.t().tolist() == x.data.T.tolist()
    v = Tensor(np.arange(3.0))
    assert v.t().tolist() == [0.0, 1.0, 2.0] and Tensor(2.0).t().item() == 2.0
    with pytest.raises(ValueError, match="at most 2 dimensions"):
        Tensor(np.zeros((2, 2, 2))).t()
    assert x.view_as(np.zeros((3, 2))).shape == (3, 2)
    assert x.reshape_as(Tensor(np.zeros(6))).shape == (6,)
    assert v.expand_as(x).shape == (2, 3)


def test_mm_takes_matrices_only() -> None:
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones((3, 4)))
    assert a.mm(b).tolist() == [[3.0] * 4] * 2
    with pytest.raises(ValueError, match=r"matrices, got shapes \(2, 3\) and \(3,\)"):
        a.mm(Tensor(np.ones(3)))


def test_masked_fill_values_dtype_and_gradient() -> None:
    x = Tensor(np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]]), requires_grad=True)
    mask = x.detach() < 0
    y = x.masked_fill(mask, -7.5)
    assert y.tolist() == [[1.0, -7.5, 3.0], [0.5, 4.0, -7.5]]
    (y * y).sum().backward()
    assert x.grad.tolist() == [[2.0, 0.0, 6.0], [1.0, 8.0, 0.0]]
    assert gradcheck(lambda t: t.masked_fill(mask, 2.0).tanh(), x)
    row = Tensor(np.array([True, False, False]))  # broadcasts over the rows
    assert x.masked_fill(row, 0.0).tolist() == [[0.0, -2.0, 3.0], [0.0, 4.0, -1.0]]
    ints = Tensor(np.arange(4))
    filled = ints.masked_fill(ints > 1, 2.7)
    assert filled.dtype == np.int64 and filled.tolist() == [0, 1, 2, 2]
    with pytest.raises(TypeError, match="must be bool"):
        x.masked_fill(Tensor(np.ones(3)), 0.0)
    with pytest.raises(ValueError, match="does not broadcast to the tensor's shape"):
        Tensor(np.zeros(3)).masked_fill(np.ones((2, 3), dtype=bool), 1.0)


def test_masked_fill_in_place() -> None:
    a = np.array([1.0, -2.0, 3.0])
    t = Tensor(a)
    assert t.masked_fill_(t < 0, 0.0) is t
    assert a.tolist() == [1.0, 0.0, 3.0]
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf that requires grad"):
        w.masked_fill_(w.detach() < 0, 0.0)
    with no_grad():
        w.masked_fill_(w.detach() < 0, 0.0)
    assert w.tolist() == [1.0, 0.0]


def test_flags() -> None:
    x = Tensor(np.array([1.0, np.nan, np.inf, -np.inf, 0.0]))
    assert x.isnan().tolist() == [False, True, False, False, False]
    assert x.isinf().tolist() == [False, False, True, True, False]
    assert x.isfinite().tolist() == [True, False, False, False, True]
    assert x.logical_not().tolist() == [False, False, False, False, True]
    assert x.isnan().dtype == np.bool_ and not x.isnan().requires_grad


def test_the_same_as_pytorch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    data = rng.standard_normal((3, 4)) * 3
    x, tx = Tensor(data.copy()), torch.from_numpy(data.copy())
    mask = data > 0.5
    tm = torch.from_numpy(mask)
    for ours, theirs in [
        (x.long(), tx.long()),
        (x.int(), tx.int()),
        (x.bool(), tx.bool()),
        (x.t(), tx.t()),
        (x.masked_fill(mask, 1.25), tx.masked_fill(tm, 1.25)),
        (x.long().masked_fill(mask, 2.7), tx.long().masked_fill(tm, 2.7)),
        (x.isfinite(), tx.isfinite()),
        (x.logical_not(), tx.logical_not()),
    ]:
        got = theirs.numpy()
        assert ours.dtype == got.dtype and ours.data.tobytes() == got.tobytes()
    assert (x.dim(), x.numel()) == (tx.dim(), tx.numel())
    # a product: two BLAS libraries may sum in another order (the last bit)
    np.testing.assert_allclose(x.mm(x.t()).data, tx.mm(tx.t()).numpy(), rtol=1e-14, atol=0)
