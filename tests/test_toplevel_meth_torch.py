"""PyTorch's functions that are Tensor methods here, against torch."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tg

torch = pytest.importorskip("torch")


def test_every_torch_function_that_is_a_tensor_method_here_is_a_function_too() -> None:
    names = [
        n
        for n in dir(torch)
        if n.islower()
        and not n.startswith("_")
        and callable(getattr(torch, n))
        and not isinstance(getattr(torch, n), type)
    ]
    missing = [n for n in names if hasattr(tg.Tensor, n) and not hasattr(tg, n)]
    assert missing == []


def _both(fn: str, *args: object, **kwargs: object) -> None:
    ours = getattr(tg, fn)(
        *[tg.tensor(a) if isinstance(a, np.ndarray) else a for a in args], **kwargs
    )
    theirs = getattr(torch, fn)(
        *[torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args], **kwargs
    )
    if isinstance(theirs, (tuple, list)):
        for o, t in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(o.numpy(), t.numpy())
            assert o.dtype == t.numpy().dtype
        return
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.dtype == theirs.numpy().dtype


def test_values_and_dtypes_equal_torch() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4)) * 3
    ints = rng.integers(-5, 5, size=(3, 4))
    _both("round", x)
    _both("round", x, decimals=1)
    _both("sign", x)
    _both("maximum", x, rng.normal(size=(1, 4)))
    _both("gather", x, 1, np.array([[0, 3], [1, 1], [2, 0]]))
    _both("index_select", x, 0, np.array([2, 0]))
    _both("masked_fill", x, x > 0, -1.0)
    _both("nonzero", ints)
    _both("nonzero", ints, as_tuple=True)
    _both("tile", ints, (2, 1))
    _both("bitwise_and", ints, np.array([1, 2, 3, 4]))
    _both("pow", 2, np.array([1, 2, 3]))
    _both("pow", 2.5, np.array([1.0, -2.0]))
    _both("float_power", 2, np.array([1, 2, 3]))
    _both("repeat_interleave", np.array([2, 0, 1]))
    _both("repeat_interleave", x, 2, 1)
    _both("tensor_split", x, 3, 1)
    _both("kthvalue", x, 2, 1)
    _both("clip", x, -1.0, 1.0)


def test_gradients_equal_torch() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4))
    ours = tg.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    (tg.pow(2.0, ours) * tg.square(tg.sin(ours))).sum().backward()
    (torch.pow(2.0, theirs) * torch.square(torch.sin(theirs))).sum().backward()
    assert ours.grad is not None and theirs.grad is not None
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)
