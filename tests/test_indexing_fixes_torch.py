"""Indexing views, empty masks and 0-d gather, against PyTorch."""

import numpy as np
import pytest

import tinygrad_lite as tl

torch = pytest.importorskip("torch")

INDEXES = [
    lambda T: (1, 2),
    lambda T: 1,
    lambda T: (-1, -1),
    lambda T: (Ellipsis, 1),
    lambda T: (1, Ellipsis, 2),
    lambda T: (None, 1, 2),
    lambda T: (1, 2, None),
    lambda T: T(1),
    lambda T: (T(1), 2),
    lambda T: (1, T(2)),
    lambda T: (1, 2, True),
    lambda T: (T([1]), 2),
    lambda T: (1, T([2])),
    lambda T: (1, slice(0, 2)),
    lambda T: (),
]


@pytest.mark.parametrize("k", range(len(INDEXES)))
def test_writes_through_an_index_reach_the_tensor_as_in_pytorch(k):
    out = []
    for lib in (torch, tl):
        m = lib.zeros(2, 3, dtype=lib.float64)
        r = m[INDEXES[k](lib.tensor)]
        r.fill_(7)
        out.append((tuple(r.shape), m.tolist()))
    assert out[0] == out[1]


@pytest.mark.parametrize("shape", [(2, 0), (1, 2, 0, 2, 0), (2, 0, 3)])
def test_empty_masks_as_pytorch(shape):
    for lead in range(1, len(shape) + 1):
        mask = np.zeros(shape[:lead], bool)
        want = torch.zeros(shape)[torch.from_numpy(mask)].shape
        assert tl.zeros(*shape)[tl.tensor(mask)].shape == tuple(want)


@pytest.mark.parametrize(
    ("x", "dim", "index"),
    [(0.5, 0, 0), (0.5, -1, 0), (0.5, 0, [0, 0]), ([0.5, 1.5], 0, 1), (0.5, 0, [])],
)
def test_gather_zero_dim_as_pytorch(x, dim, index):
    a = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    b = tl.tensor(x, dtype=tl.float64, requires_grad=True)
    ya = torch.gather(a, dim, torch.tensor(index, dtype=torch.int64))
    yb = tl.gather(b, dim, tl.tensor(index, dtype=tl.int64))
    assert yb.shape == tuple(ya.shape) and yb.tolist() == ya.tolist()
    ya.sum().backward()
    yb.sum().backward()
    assert b.grad.tolist() == a.grad.tolist()
