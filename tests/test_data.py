"""Tests of tinygrad_lite.data: the DataLoader and the course's random_mini_batches."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import manual_optim
from tinygrad_lite.data import DataLoader, random_mini_batches

loaders = st.tuples(
    st.integers(0, 70),  # m
    st.integers(1, 30),  # batch_size
    st.booleans(),  # shuffle
    st.booleans(),  # drop_last
    st.sampled_from(["columns", "rows"]),
    st.integers(0, 2**63 - 1),  # seed
)


def _data(m: int, layout: str) -> tuple[np.ndarray, np.ndarray]:
    """X whose samples are numbered 0..m−1 in every feature; Y = 10·(sample number), 1-D."""
    X = np.arange(m, dtype=np.float64)[np.newaxis, :] + np.zeros((3, 1))
    Y = 10 * np.arange(m)
    return (X, Y) if layout == "columns" else (np.ascontiguousarray(X.T), Y)


def _epoch(loader: DataLoader) -> list[np.ndarray]:
    """The sample numbers of each batch of one epoch, checking that X and Y stay paired."""
    numbers = []
    for X_batch, Y_batch in loader:
        samples = X_batch[0] if loader.layout == "columns" else X_batch[:, 0]
        features = X_batch if loader.layout == "columns" else X_batch.T
        assert features.shape[0] == 3 and np.all(features == samples)
        np.testing.assert_array_equal(Y_batch, 10 * samples)
        numbers.append(samples.astype(int))
    return numbers


@settings(deadline=None, max_examples=60)
@given(loaders)
def test_every_sample_once_per_epoch(config: tuple[int, int, bool, bool, str, int]) -> None:
    m, size, shuffle, drop_last, layout, seed = config
    X, Y = _data(m, layout)
    loader = DataLoader(X, Y, size, shuffle=shuffle, seed=seed, drop_last=drop_last, layout=layout)
    assert loader.num_samples == m
    expected_len = m // size if drop_last else math.ceil(m / size)
    assert len(loader) == expected_len
    epochs = [_epoch(loader) for _ in range(3)]
    for batches in epochs:
        assert len(batches) == expected_len
        assert all(len(b) == size for b in batches[: m // size])
        seen = np.concatenate(batches) if batches else np.array([], dtype=int)
        if drop_last:
            assert len(seen) == (m // size) * size and len(set(seen.tolist())) == len(seen)
        else:
            assert sorted(seen.tolist()) == list(range(m))
        if not shuffle:
            np.testing.assert_array_equal(seen, np.arange(len(seen)))
    # The same seed replays the same epochs; each epoch of a shuffled loader draws a new order.
    again = DataLoader(X, Y, size, shuffle=shuffle, seed=seed, drop_last=drop_last, layout=layout)
    for batches, replayed in zip(epochs, [_epoch(again) for _ in range(3)], strict=True):
        assert [b.tolist() for b in batches] == [b.tolist() for b in replayed]


def test_shuffled_epochs_differ_and_follow_the_generator() -> None:
    X, Y = _data(50, "columns")
    loader = DataLoader(X, Y, batch_size=50, shuffle=True, seed=7)
    first, second = (_epoch(loader)[0] for _ in range(2))
    assert sorted(first.tolist()) == sorted(second.tolist()) == list(range(50))
    assert first.tolist() != second.tolist()
    rng = np.random.default_rng(7)
    np.testing.assert_array_equal(first, rng.permutation(50))
    np.testing.assert_array_equal(second, rng.permutation(50))
    shared = np.random.default_rng(7)
    np.testing.assert_array_equal(_epoch(DataLoader(X, Y, 50, True, shared))[0], first)


def test_layouts_and_shapes() -> None:
    X = np.arange(24.0).reshape(2, 12)
    Y = np.arange(12.0).reshape(1, 12)
    batches = list(DataLoader(X, Y, batch_size=5))
    assert [(xb.shape, yb.shape) for xb, yb in batches] == [
        ((2, 5), (1, 5)),
        ((2, 5), (1, 5)),
        ((2, 2), (1, 2)),
    ]
    np.testing.assert_array_equal(batches[1][0], X[:, 5:10])
    rows = list(DataLoader(X.T, Y.T, batch_size=5, layout="rows", drop_last=True))
    assert [(xb.shape, yb.shape) for xb, yb in rows] == [((5, 2), (5, 1)), ((5, 2), (5, 1))]
    np.testing.assert_array_equal(rows[1][0], X.T[5:10])
    assert rows[0][0].dtype == X.dtype
    # Batches are new arrays: writing to one leaves the data alone.
    batches[0][0][...] = -1
    assert X.min() == 0.0
    images = np.zeros((4, 4, 3, 10))  # (height, width, channels, m) in the column layout
    assert [xb.shape for xb, _ in DataLoader(images, np.zeros(10), 4)][-1] == (4, 4, 3, 2)


def test_random_mini_batches_equals_the_hand_written_version() -> None:
    rng = np.random.default_rng(0)
    for m, size, seed in [
        (300, 64, 11),
        (300, 64, 10_011),
        (64, 64, 0),
        (7, 3, 2**32 - 1),
        (1, 5, 4),
    ]:
        X = rng.normal(size=(2, m))
        Y = rng.integers(0, 2, (1, m)).astype(np.float64)
        ours = random_mini_batches(X, Y, size, seed)
        reference = manual_optim.random_mini_batches(X, Y, size, seed)
        assert len(ours) == len(reference) == math.ceil(m / size)
        for (xb, yb), (rx, ry) in zip(ours, reference, strict=True):
            assert xb.tobytes() == rx.tobytes() and yb.tobytes() == ry.tobytes()
            assert xb.shape == rx.shape and yb.shape == ry.shape
    # The course's call: 64 columns a batch, seed 0, the global state left alone.
    state = np.random.get_state()  # noqa: NPY002
    X = np.arange(148.0).reshape(1, 148)
    batches = random_mini_batches(X, X, 64)
    assert [xb.shape[1] for xb, _ in batches] == [64, 64, 20]
    shuffled = X[:, np.random.RandomState(0).permutation(148)]
    np.testing.assert_array_equal(np.concatenate([xb for xb, _ in batches], axis=1), shuffled)
    after = np.random.get_state()  # noqa: NPY002
    assert all(np.array_equal(a, b) for a, b in zip(state, after, strict=True))


_X, _Y, _V = np.zeros((2, 5)), np.zeros((1, 5)), np.zeros(3)
BAD_ARGUMENTS: list[tuple[Callable[[], object], type[Exception], str]] = [
    (
        lambda: DataLoader(_X, _Y, batch_size=0),
        ValueError,
        "DataLoader: batch_size must be >= 1, got 0",
    ),
    (
        lambda: DataLoader(_X, _Y, batch_size=2.0),
        TypeError,
        "batch_size must be an int, got float 2.0",
    ),
    (lambda: DataLoader(_X, _Y, batch_size=True), TypeError, "batch_size must be an int, got bool"),
    (
        lambda: DataLoader(_X, np.zeros((1, 4))),
        ValueError,
        "X has 5 samples but Y has 4 (samples along the last axis for layout 'columns'; "
        "X has shape (2, 5), Y has shape (1, 4))",
    ),
    (
        lambda: DataLoader(_X.T, np.zeros((4, 1)), layout="rows"),
        ValueError,
        "X has 5 samples but Y has 4 (samples along axis 0 for layout 'rows'",
    ),
    (
        lambda: DataLoader(_X, np.zeros(5), layout="batch_first"),
        ValueError,
        "layout must be 'columns' or 'rows', got 'batch_first'",
    ),
    (lambda: DataLoader(np.float64(1.0), np.zeros(1)), ValueError, "X must have at least one axis"),
    (
        lambda: DataLoader(_V, np.array([None] * 3)),
        TypeError,
        "Y must be a numeric array, got dtype object",
    ),
    (lambda: DataLoader(_V, _V, shuffle=1), TypeError, "shuffle must be a bool, got int 1"),
    (lambda: DataLoader(_V, _V, drop_last=None), TypeError, "drop_last must be a bool"),
    (lambda: DataLoader(_V, _V, seed=-2), ValueError, "seed must be >= 0, got -2"),
    (
        lambda: DataLoader(_V, _V, seed=np.random.RandomState(0)),
        TypeError,
        "seed must be an int, got RandomState",
    ),
    (
        lambda: random_mini_batches(np.zeros(5), _Y),
        ValueError,
        "X and Y must be 2-D, (n_x, m) and (n_y, m); got shapes (5,) and (1, 5)",
    ),
    (
        lambda: random_mini_batches(_X, np.zeros((1, 6))),
        ValueError,
        "random_mini_batches: X has 5 samples but Y has 6",
    ),
    (lambda: random_mini_batches(_X, _Y, 0), ValueError, "mini_batch_size must be >= 1, got 0"),
    (
        lambda: random_mini_batches(_X, _Y, seed=2**32),
        ValueError,
        "seed must be < 2**32, got 4294967296",
    ),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD_ARGUMENTS)
def test_bad_arguments(call: Callable[[], object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        call()
