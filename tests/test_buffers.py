"""The compiled step's buffer plan: an outer product formed in blocks changes no bit."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_lite as tg
from models.training import make_train_step
from models.two_layer import TwoLayerNet
from tinygrad_lite import Tensor, buffers, optim

# Any float64, the awkward ones included: the blocked product must match bit for bit.
FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 5e-324, -5e-324, 1e308, -1e308, 1.0, -1.0]),
)


def whole(a, b, c, first):
    product = np.multiply(a, b)
    return np.multiply(product, c) if first else np.multiply(c, product)


@given(
    n=st.integers(2, 9),
    m=st.integers(2, 9),
    col_first=st.booleans(),
    first=st.booleans(),
    rows=st.integers(1, 10),
    into=st.sampled_from(["new", "c", "buffer"]),
    data=st.data(),
)
def test_blocked_outer_product_equals_the_whole_one_bit_for_bit(
    n, m, col_first, first, rows, into, data
):
    col = data.draw(hnp.arrays(np.float64, (n, 1), elements=FLOATS))
    row = data.draw(hnp.arrays(np.float64, (1, m), elements=FLOATS))
    c = data.draw(hnp.arrays(np.float64, (n, m), elements=FLOATS))
    a, b = (col, row) if col_first else (row, col)
    with np.errstate(all="ignore"):
        expected = whole(a, b, c, first)
        out = {"new": None, "c": c, "buffer": np.empty_like(c)}[into]
        saved, buffers.BLOCK_BYTES = buffers.BLOCK_BYTES, rows * m * 8  # blocks of `rows` rows
        try:
            got = buffers.outer_multiply(a, b, c, first, out=out)
        finally:
            buffers.BLOCK_BYTES = saved
    assert got.tobytes() == expected.tobytes()
    if out is not None:
        assert got is out


def test_a_result_that_overlaps_a_factor_is_computed_whole() -> None:
    grid = np.arange(12.0).reshape(3, 4)
    a, b = grid[:, :1], grid[:1, :]  # both factors are views into the result's memory
    expected = whole(a.copy(), b.copy(), grid.copy(), True)
    got = buffers.outer_multiply(a, b, grid.copy(), True, out=grid)
    assert got.tobytes() == expected.tobytes()


def n_buffers(source: str) -> int:
    """How many reused buffers the generated step binds."""
    m = re.search(r"^\s+((?:b\d+, )*b\d+),? = _buffers\(\)$", source, re.M)
    return 0 if m is None else len(m.group(1).split(", "))


def test_one_output_unit_needs_one_hidden_sized_buffer_and_stays_bit_exact() -> None:
    n_h, m = 64, 4096  # W2ᵀ·dZ2 is a (64, 4096) outer product: 2 MiB, formed in blocks
    rng = np.random.default_rng(11)
    nets = TwoLayerNet(2, n_h, seed=5), TwoLayerNet(2, n_h, seed=5)
    opts = [optim.SGD(net.parameters(), lr=0.3) for net in nets]
    eager = make_train_step(nets[0], opts[0])
    fast = tg.compile(make_train_step(nets[1], opts[1]))
    for _ in range(3):
        x = rng.standard_normal((2, m))
        y = (rng.random((1, m)) > 0.5).astype(np.float64)
        assert eager(x, y).data.tobytes() == fast(x, y).data.tobytes()
        for p, q in zip(nets[0].parameters(), nets[1].parameters(), strict=True):
            assert p.data.tobytes() == q.data.tobytes()
            assert p.grad.data.tobytes() == q.grad.data.tobytes()
    assert "_outer_mul(" in fast.source
    assert n_buffers(fast.source) == 1  # (n_h, m): Z1, A1, 1 - A1², dZ1


def tuple_of(x):
    return x if isinstance(x, tuple) else (x,)


def test_an_outer_product_read_twice_or_returned_is_made_whole() -> None:
    col = Tensor(np.linspace(-1, 1, 64).reshape(64, 1), requires_grad=True)

    def read_twice(row):
        outer = col * row
        return (outer * outer.tanh()).sum() + outer.sum()

    def returned(row):
        outer = col * row
        return outer, (outer * row).sum()

    row = np.linspace(0, 2, 4096).reshape(1, 4096)
    for fn in (read_twice, returned):
        fast = tg.compile(fn)
        fast(row)
        again = fast(row * 1.5)
        expected = fn(Tensor(row * 1.5))
        pairs = zip(tuple_of(again), tuple_of(expected), strict=True)
        assert all(g.data.tobytes() == e.data.tobytes() for g, e in pairs)
        assert "_outer_mul(" not in fast.source, fn.__name__
