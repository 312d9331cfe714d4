"""Differential audit of tinygrad_lite.data against torch.utils.data (DataLoader, samplers)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch.utils.data import DataLoader as TorchLoader  # noqa: E402
from torch.utils.data import TensorDataset  # noqa: E402

import tinygrad_lite.data as data  # noqa: E402
from tinygrad_lite import Tensor  # noqa: E402
from tinygrad_lite.data import DataLoader, random_mini_batches  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def _torch_float64() -> Iterator[None]:
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


TORCH_DTYPES = {
    np.dtype(np.float64): torch.float64,
    np.dtype(np.float32): torch.float32,
    np.dtype(np.int64): torch.int64,
    np.dtype(np.int32): torch.int32,
    np.dtype(np.uint8): torch.uint8,
    np.dtype(np.bool_): torch.bool,
    np.dtype(np.complex128): torch.complex128,
}


def _make(m: int, features: tuple[int, ...], dtype: str, kind: str = "plain") -> np.ndarray:
    """X of m samples along axis 0, sample i made of values that encode i."""
    size = int(np.prod(features, dtype=np.int64))
    base = np.arange(m * size).reshape((m, *features)) % 251
    if dtype == "bool":
        X = (base % 2).astype(bool)
    else:
        X = base.astype(dtype)
    if kind == "nonfinite" and X.size and X.dtype.kind == "f":
        X.flat[:3] = [np.nan, np.inf, -np.inf][: min(3, X.size)]
    if kind == "noncontig":  # a strided, transposed view with the same values
        big = np.zeros((*reversed(X.shape), 2), dtype=X.dtype)
        big[..., 0] = X.T
        X = big[..., 0].T
        assert not X.flags.c_contiguous or X.ndim == 1 or X.size == 0
    return X


def _pairs(ours: DataLoader, theirs: Any) -> list[tuple[Any, Any]]:
    ours_batches, torch_batches = list(ours), list(theirs)
    assert len(ours_batches) == len(torch_batches) == len(ours) == len(theirs)
    return list(zip(ours_batches, torch_batches, strict=True))


def _same(ours: np.ndarray, theirs: Any) -> None:
    assert isinstance(ours, np.ndarray)
    assert ours.shape == tuple(theirs.shape)
    assert TORCH_DTYPES[ours.dtype] == theirs.dtype
    np.testing.assert_array_equal(ours, theirs.numpy())  # exact, NaN equal to NaN


# m, features of X, dtype of X, Y features, batch_size, drop_last, kind
LOADER_CASES = [
    (10, (3,), "float64", (), 4, False, "plain"),
    (10, (3,), "float64", (), 4, True, "plain"),
    (8, (2,), "float32", (1,), 4, False, "plain"),  # float32 stays float32
    (8, (2,), "float32", (1,), 4, True, "plain"),  # divides evenly: drop_last drops nothing
    (7, (2, 3), "int64", (2,), 3, False, "plain"),
    (7, (2,), "int32", (), 10, False, "plain"),  # one partial batch
    (7, (2,), "int32", (), 10, True, "plain"),  # no batch at all
    (5, (), "bool", (), 2, False, "plain"),  # 1-D X, bool
    (5, (4,), "uint8", (), 1, False, "plain"),
    (6, (3,), "float64", (), 4, False, "nonfinite"),
    (6, (3, 2), "float64", (), 4, False, "noncontig"),
    (6, (2,), "complex128", (), 4, False, "plain"),
    (0, (3,), "float64", (), 4, False, "plain"),  # empty dataset
    (4, (0,), "float64", (), 3, False, "plain"),  # samples with no features
]


@pytest.mark.parametrize("m, feat, dtype, yfeat, size, drop_last, kind", LOADER_CASES)
def test_loader_in_order_matches_torch(
    m: int,
    feat: tuple[int, ...],
    dtype: str,
    yfeat: tuple[int, ...],
    size: int,
    drop_last: bool,
    kind: str,
) -> None:
    X, Y = _make(m, feat, dtype, kind), _make(m, yfeat, "int64")
    theirs = TorchLoader(
        TensorDataset(torch.from_numpy(np.array(X)), torch.from_numpy(Y)),
        batch_size=size,
        drop_last=drop_last,
    )
    ours = DataLoader(X, Y, size, drop_last=drop_last, layout="rows")
    for _ in range(2):  # two epochs, the same batches
        for (xb, yb), (tx, ty) in _pairs(ours, theirs):
            _same(xb, tx)
            _same(yb, ty)
    # The course's layout: samples along the last axis, the same batches transposed.
    columns = DataLoader(np.moveaxis(X, 0, -1), np.moveaxis(Y, 0, -1), size, drop_last=drop_last)
    for (xb, yb), (tx, ty) in _pairs(columns, theirs):
        _same(np.moveaxis(xb, -1, 0), tx)
        _same(np.moveaxis(yb, -1, 0), ty)


@pytest.mark.parametrize("m, size, drop_last", [(10, 3, False), (10, 3, True), (9, 9, False)])
def test_shuffled_epochs_match_torch_as_sets(m: int, size: int, drop_last: bool) -> None:
    X, Y = _make(m, (2,), "float32"), np.arange(m)
    gen = torch.Generator().manual_seed(0)
    theirs = TorchLoader(
        TensorDataset(torch.from_numpy(X), torch.from_numpy(Y)),
        batch_size=size,
        shuffle=True,
        drop_last=drop_last,
        generator=gen,
    )
    ours = DataLoader(X, Y, size, shuffle=True, seed=0, drop_last=drop_last, layout="rows")
    orders = []
    for _ in range(3):
        ids_ours, ids_torch = [], []
        for (xb, yb), (tx, ty) in _pairs(ours, theirs):
            assert xb.shape == tuple(tx.shape) and yb.shape == tuple(ty.shape)
            assert TORCH_DTYPES[xb.dtype] == tx.dtype and TORCH_DTYPES[yb.dtype] == ty.dtype
            np.testing.assert_array_equal(xb, X[yb])  # X and Y stay paired
            ids_ours += yb.tolist()
            ids_torch += ty.tolist()
        assert len(ids_ours) == len(set(ids_ours)) == len(ids_torch) == len(set(ids_torch))
        if not drop_last:
            assert set(ids_ours) == set(ids_torch) == set(range(m))
        orders.append(ids_ours)
    assert orders[0] != orders[1] or m < 3  # each epoch draws a new order, as torch's does


def test_shuffle_follows_manual_seed_like_torch() -> None:
    import tinygrad_lite as tl

    X, Y = np.arange(12.0).reshape(6, 2), np.arange(6)
    loader = DataLoader(X, Y, 6, shuffle=True, layout="rows")  # the library's generator
    tl.manual_seed(3)
    first = next(iter(loader))[1].tolist()
    tl.manual_seed(3)
    assert next(iter(loader))[1].tolist() == first


def test_batches_are_new_arrays_and_tensor_inputs() -> None:
    X = np.arange(6.0).reshape(3, 2)
    for batch in DataLoader(X, np.arange(3), 3, layout="rows"):
        assert not np.shares_memory(batch[0], X)  # torch's default_collate stacks new tensors
    t = Tensor(X)
    (xb, _), *_ = DataLoader(t, np.arange(3), 3, layout="rows")
    np.testing.assert_array_equal(xb, X)
    with pytest.raises(RuntimeError, match="requires grad"):
        DataLoader(Tensor(X, requires_grad=True), np.arange(3), 3, layout="rows")


def test_random_mini_batches_is_a_loader_over_the_course_permutation() -> None:
    X, Y = np.arange(14.0).reshape(2, 7), (np.arange(7) % 2).reshape(1, 7)
    order = np.random.RandomState(5).permutation(7)
    theirs = TorchLoader(
        TensorDataset(torch.from_numpy(X.T), torch.from_numpy(Y.T)),
        batch_size=3,
        sampler=order.tolist(),
    )
    batches = random_mini_batches(X, Y, 3, seed=5)
    assert len(batches) == len(theirs) == 3
    for (xb, yb), (tx, ty) in zip(batches, theirs, strict=True):
        _same(xb.T, tx)
        _same(yb.T, ty)
        assert not np.shares_memory(xb, X) and not np.shares_memory(yb, Y)
    assert random_mini_batches(np.zeros((2, 0)), np.zeros((1, 0)), 3) == []


def _refused(call: Callable[[], object]) -> Exception | None:
    try:
        call()
    except Exception as error:  # noqa: BLE001 - any refusal counts
        return error
    return None


def _torch_loader(X: Any, Y: Any, **kwargs: Any) -> list[Any]:
    return list(TorchLoader(TensorDataset(torch.as_tensor(X), torch.as_tensor(Y)), **kwargs))


# Inputs both libraries refuse: (ours, torch, our error type, our message).
BOTH_REFUSE: list[tuple[Callable[[], object], Callable[[], object], type[Exception], str]] = [
    (
        lambda: DataLoader(np.zeros((3, 2)), np.zeros(3), 0, layout="rows"),
        lambda: _torch_loader(np.zeros((3, 2)), np.zeros(3), batch_size=0),
        ValueError,
        "DataLoader: batch_size must be >= 1, got 0",
    ),
    (
        lambda: DataLoader(np.zeros((3, 2)), np.zeros(3), 2.0, layout="rows"),
        lambda: _torch_loader(np.zeros((3, 2)), np.zeros(3), batch_size=2.0),
        TypeError,
        "DataLoader: batch_size must be an int, got float 2.0",
    ),
    (
        lambda: DataLoader(np.zeros((3, 2)), np.zeros(4), 2, layout="rows"),
        lambda: _torch_loader(np.zeros((3, 2)), np.zeros(4), batch_size=2),
        ValueError,
        "DataLoader: X has 3 samples but Y has 4",
    ),
    (
        lambda: DataLoader(np.float64(1.0), np.zeros(1), 2, layout="rows"),
        lambda: _torch_loader(np.float64(1.0), np.zeros(1), batch_size=2),
        ValueError,
        "DataLoader: X must have at least one axis, got a scalar",
    ),
    (
        lambda: DataLoader(np.array(["a", "b"]), np.zeros(2), 2, layout="rows"),
        lambda: _torch_loader(np.array(["a", "b"]), np.zeros(2), batch_size=2),
        TypeError,
        "DataLoader: X must be a numeric array, got dtype <U1",
    ),
    (
        lambda: DataLoader([[1.0, 2.0], [3.0]], np.zeros(2), 2, layout="rows"),
        lambda: _torch_loader([[1.0, 2.0], [3.0]], np.zeros(2), batch_size=2),
        ValueError,
        "DataLoader: X must be a rectangular array",
    ),
    (
        lambda: DataLoader(np.zeros((3, 2)), np.zeros(3), 2, shuffle=1, layout="rows"),
        lambda: _torch_loader(np.zeros((3, 2)), np.zeros(3), batch_size=2, drop_last="no"),
        TypeError,
        "DataLoader: shuffle must be a bool, got int 1",
    ),
]


@pytest.mark.parametrize("ours, theirs, error, message", BOTH_REFUSE)
def test_refused_by_both(
    ours: Callable[[], object], theirs: Callable[[], object], error: type[Exception], message: str
) -> None:
    assert _refused(theirs) is not None
    with pytest.raises(error, match=re.escape(message)):
        ours()


# Deliberate differences: inputs torch accepts and this library refuses, with the reason.
WE_REFUSE: list[tuple[Callable[[], object], Callable[[], object], type[Exception], str]] = [
    (  # torch's batch_size=None yields single samples; the batches here are always arrays
        lambda: DataLoader(np.zeros((3, 2)), np.zeros(3), None, layout="rows"),
        lambda: _torch_loader(np.zeros((3, 2)), np.zeros(3), batch_size=None),
        TypeError,
        "DataLoader: batch_size must be an int, got NoneType None",
    ),
    (
        lambda: DataLoader(np.zeros((3, 2)), np.zeros(3), 2, layout="sideways"),
        lambda: _torch_loader(np.zeros((3, 2)), np.zeros(3), batch_size=2),
        ValueError,
        "DataLoader: layout must be 'columns' or 'rows', got 'sideways'",
    ),
]


@pytest.mark.parametrize("ours, theirs, error, message", WE_REFUSE)
def test_refused_here_only(
    ours: Callable[[], object], theirs: Callable[[], object], error: type[Exception], message: str
) -> None:
    assert _refused(theirs) is None
    with pytest.raises(error, match=re.escape(message)):
        ours()


def test_empty_shuffled_loader_is_empty_where_torch_refuses() -> None:
    X, Y = np.zeros((0, 3)), np.zeros(0)
    assert _refused(lambda: _torch_loader(X, Y, batch_size=2, shuffle=True)) is not None
    loader = DataLoader(X, Y, 2, shuffle=True, layout="rows")
    assert len(loader) == 0 and list(loader) == []


COVERED = {
    "DataLoader": [test_loader_in_order_matches_torch, test_shuffled_epochs_match_torch_as_sets],
    "random_mini_batches": [test_random_mini_batches_is_a_loader_over_the_course_permutation],
}


def test_every_public_name_has_a_case() -> None:
    assert set(data.__all__) == set(COVERED), set(data.__all__) ^ set(COVERED)
