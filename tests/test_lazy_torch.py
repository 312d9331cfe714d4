"""Lazy modules against PyTorch's: reprs, state-dict names, inferred sizes and outputs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinygrad_lite as tg  # noqa: E402
from tinygrad_lite import lazy_layers as lazy  # noqa: E402

warnings.filterwarnings("ignore", message="Lazy modules", category=UserWarning)

CASES = [
    ("LazyLinear", (3,), (2, 4)),
    ("LazyConv1d", (4, 3), (2, 2, 5)),
    ("LazyConv2d", (2, 2), (3, 4, 4)),
    ("LazyConv3d", (2, 1), (1, 2, 2, 2, 2)),
    ("LazyConvTranspose1d", (2, 2), (1, 3, 3)),
    ("LazyConvTranspose2d", (2, 2), (1, 1, 3, 3)),
    ("LazyConvTranspose3d", (2, 2), (1, 2, 2, 2, 3)),
    ("LazyBatchNorm1d", (), (4, 3)),
    ("LazyBatchNorm2d", (), (2, 2, 2, 2)),
    ("LazyBatchNorm3d", (), (2, 2, 1, 2, 2)),
    ("LazyInstanceNorm1d", (), (2, 2, 3)),
    ("LazyInstanceNorm2d", (), (1, 2, 3, 3)),
    ("LazyInstanceNorm3d", (), (1, 2, 2, 2, 2)),
]


def _repr(module) -> str:
    return repr(module)


@pytest.mark.parametrize("name, args, shape", CASES)
def test_matches_torch(name: str, args: tuple, shape: tuple) -> None:
    ours, theirs = getattr(lazy, name)(*args), getattr(torch.nn, name)(*args).double()
    assert repr(ours) == _repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = np.random.default_rng(1).normal(size=shape)
    out = theirs(torch.tensor(x))
    assert type(ours).__name__ == "Lazy" + type(theirs).__name__
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    ours.train(), theirs.train()
    y = ours(tg.tensor(x))
    assert repr(ours) == _repr(theirs) and type(ours).__name__ == type(theirs).__name__
    np.testing.assert_allclose(y.data, theirs(torch.tensor(x)).detach().numpy(), atol=1e-12)
    assert out.shape == y.shape
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), err_msg=key)


def test_uninitialized_listed_as_torch() -> None:
    ours, theirs = lazy.LazyBatchNorm1d(), torch.nn.LazyBatchNorm1d()
    for (k, a), (k2, b) in zip(ours.state_dict().items(), theirs.state_dict().items(), strict=True):
        assert k == k2 and repr(a) == repr(b) or k == "num_batches_tracked"
    assert [repr(p) for p in ours.parameters()] == [repr(p) for p in theirs.parameters()]
    with pytest.raises(RuntimeError):
        _ = theirs.weight.shape
    with pytest.raises(RuntimeError):
        _ = ours.weight.shape
