"""tinygrad_lite.utils.data against torch.utils.data: batches, collation, splits and refusals."""

from __future__ import annotations

import collections
import re
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.utils.data as tud_torch  # noqa: E402

import tinygrad_lite.utils.data as tud  # noqa: E402
from tinygrad_lite import Tensor  # noqa: E402

Point = collections.namedtuple("Point", ["x", "y"])


@pytest.fixture(autouse=True, scope="module")
def _torch_float64() -> Iterator[None]:
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # the library's default float
    yield
    torch.set_default_dtype(previous)


def _same(ours: Any, theirs: Any) -> None:
    """The same structure, and Tensors of the same shape, dtype and values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, Tensor), type(ours)
        assert ours.shape == tuple(theirs.shape)
        assert str(theirs.dtype) == f"torch.{ours.dtype}", (ours.dtype, theirs.dtype)
        np.testing.assert_array_equal(ours.data, theirs.numpy())
        return
    assert type(ours) is type(theirs), (type(ours), type(theirs))
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs)
        for key in theirs:
            _same(ours[key], theirs[key])
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            _same(a, b)
    else:
        assert ours == theirs


def _stream(base: type) -> Any:
    class Stream(base):  # type: ignore[misc, valid-type]
        def __iter__(self) -> Iterator[tuple[int, float]]:
            return iter([(i, i / 2) for i in range(7)])

        def __len__(self) -> int:
            return 7

    return Stream()


def _arrays(seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(7, 2)).astype(np.float32),
        rng.integers(0, 5, 7),
        rng.integers(0, 2, 7).astype(bool),
        rng.integers(0, 255, (7, 3)).astype(np.uint8),
        rng.integers(-9, 9, 7).astype(np.int32),
    )


def _tensor_datasets(lib: Any) -> Any:
    arrays = _arrays(0)
    if lib is tud:
        return lib.TensorDataset(*arrays)
    return lib.TensorDataset(*(torch.from_numpy(a) for a in arrays))


_SAMPLES = [
    (np.arange(3.0) + i, i, i / 4, f"s{i}", {"k": (np.int32(i), [i, -i])}) for i in range(5)
]
_POINTS = [Point(np.array([i, i + 1]), float(i)) for i in range(5)]

# A dataset built for each library, and the loader's arguments.
LOADERS: list[tuple[str, Callable[[Any], Any], dict[str, Any]]] = [
    ("tensors", _tensor_datasets, {"batch_size": 3}),
    ("tensors, drop_last", _tensor_datasets, {"batch_size": 3, "drop_last": True}),
    ("tensors, no batching", _tensor_datasets, {"batch_size": None}),
    ("tensors, batch_sampler", _tensor_datasets, {"batch_sampler": [[4, 0], [6], [1, 1, 2]]}),
    ("tensors, sampler", _tensor_datasets, {"batch_size": 2, "sampler": [5, 3, 3, 0, 6]}),
    ("subset", lambda lib: lib.Subset(_tensor_datasets(lib), [6, 0, 2]), {"batch_size": 2}),
    ("nested samples", lambda lib: _SAMPLES, {"batch_size": 2}),
    ("nested, no batching", lambda lib: _SAMPLES, {"batch_size": None}),
    ("namedtuples", lambda lib: _POINTS, {"batch_size": 4}),
    ("range", lambda lib: range(5), {"batch_size": 2}),
    ("concat", lambda lib: lib.ConcatDataset([[1.5, 2.5], [3.5]]), {"batch_size": 2}),
    ("stack", lambda lib: lib.StackDataset(a=range(3), b=["x", "y", "z"]), {"batch_size": 2}),
    ("stream", lambda lib: _stream(lib.IterableDataset), {"batch_size": 3}),
    (
        "stream, drop_last",
        lambda lib: _stream(lib.IterableDataset),
        {"batch_size": 3, "drop_last": True},
    ),
    ("stream, no batching", lambda lib: _stream(lib.IterableDataset), {"batch_size": None}),
]


@pytest.mark.parametrize(("name", "make", "kwargs"), LOADERS, ids=[c[0] for c in LOADERS])
def test_deterministic_loaders_match_torch(
    name: str, make: Callable[[Any], Any], kwargs: dict[str, Any]
) -> None:
    ours = tud.DataLoader(make(tud), **kwargs)
    theirs = tud_torch.DataLoader(make(tud_torch), **kwargs)
    assert len(ours) == len(theirs)
    ours_batches, torch_batches = list(ours), list(theirs)
    assert len(ours_batches) == len(torch_batches)
    for a, b in zip(ours_batches, torch_batches, strict=True):
        _same(a, b)


@pytest.mark.parametrize("drop_last", [False, True])
def test_shuffled_loaders_match_torch_as_sets(drop_last: bool) -> None:
    ours = tud.DataLoader(_tensor_datasets(tud), 3, shuffle=True, drop_last=drop_last)
    theirs = tud_torch.DataLoader(_tensor_datasets(tud_torch), 3, shuffle=True, drop_last=drop_last)
    pairs = list(zip(ours, theirs, strict=True))
    assert len(pairs) == len(ours) == len(theirs)
    for a, b in pairs:
        assert [(t.shape, str(t.dtype)) for t in a] == [
            (tuple(t.shape), str(t.dtype).removeprefix("torch.")) for t in b
        ]
    labels = [row for a, _ in pairs for row in a[0].data.tolist()]
    assert len(labels) == (6 if drop_last else 7)
    if not drop_last:
        assert sorted(labels) == sorted(_arrays(0)[0].tolist())


BATCHES: list[list[Any]] = [
    [1, 2, 3],
    [1.5, 2],
    [True, False],
    [True, 2],
    [np.float32(1), np.float32(2)],
    [np.int32(1), np.int64(2)],
    [np.array([1, 2], np.int16), np.array([3, 4], np.int16)],
    ["a", "b"],
    [b"a", b"b"],
    [(1, "x", 2.0), (3, "y", 4.0)],
    [[np.zeros((2, 2)), 1], [np.ones((2, 2)), 2]],
    [{"a": {"b": [1, 2]}, "c": np.float64(1)}, {"a": {"b": [3, 4]}, "c": np.float64(2)}],
    _POINTS,
    _SAMPLES,
]


@pytest.mark.parametrize("batch", BATCHES, ids=range(len(BATCHES)))
def test_default_collate_matches_torch(batch: list[Any]) -> None:
    _same(tud.default_collate(batch), tud_torch.default_collate(batch))


@pytest.mark.parametrize("sample", [np.arange(3), (np.float32(2), 1, "s"), {"a": [np.zeros(2)]}])
def test_default_convert_matches_torch(sample: Any) -> None:
    _same(tud.default_convert(sample), tud_torch.default_convert(sample))


SPLITS: list[tuple[int, list[Any]]] = [
    (10, [3, 7]),
    (10, [0.33, 0.33, 0.34]),
    (5, [0.5, 0.5]),
    (7, [0.1] * 10),
    (1, [1, 0]),
    (10, [1, 0]),
    (2, [0.9, 0.1]),
    (0, [0.5, 0.5]),
    (6, [0.25, 0.25, 0.5]),
]


@pytest.mark.parametrize(("n", "lengths"), SPLITS)
def test_random_split_lengths_match_torch(n: int, lengths: list[Any]) -> None:
    with warnings.catch_warnings(record=True) as ours_warned:
        warnings.simplefilter("always")
        ours = tud.random_split(range(n), lengths, generator=0)
    with warnings.catch_warnings(record=True) as torch_warned:
        warnings.simplefilter("always")
        theirs = tud_torch.random_split(range(n), lengths)
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert sorted(i for s in ours for i in s) == list(range(n))
    assert len(ours_warned) == len(torch_warned)


def test_deterministic_samplers_match_torch() -> None:
    for sampler in ("SequentialSampler",):
        assert list(getattr(tud, sampler)(range(4))) == list(getattr(tud_torch, sampler)(range(4)))
    for size, drop in [(2, False), (2, True), (5, False)]:
        ours = tud.BatchSampler(range(7), size, drop)
        theirs = tud_torch.BatchSampler(range(7), size, drop)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
    for lib in (tud, tud_torch):
        assert sorted(lib.SubsetRandomSampler([3, 9])) == [3, 9]
        assert len(lib.RandomSampler(range(3), num_samples=8)) == 8


def _raises(call: Callable[[], object]) -> BaseException | None:
    try:
        call()
    except Exception as error:  # noqa: BLE001 - any refusal counts
        return error
    return None


def _loader(lib: Any, **kwargs: Any) -> Any:
    return lib.DataLoader(_tensor_datasets(lib), **kwargs)


def _collate(lib: Any, batch: list[Any]) -> Any:
    if lib is tud_torch:
        batch = [torch.from_numpy(b.data) if isinstance(b, Tensor) else b for b in batch]
    return lib.default_collate(batch)


def _set_batch_size(lib: Any) -> None:
    _loader(lib, batch_size=2).batch_size = 3


# Calls both libraries refuse with the same exception type: (call, exception type, our message).
BOTH: list[tuple[Callable[[Any], object], type[Exception], str]] = [
    (lambda lib: _loader(lib, shuffle=True, sampler=[0]), ValueError, "mutually exclusive"),
    (lambda lib: _loader(lib, batch_size=2, batch_sampler=[[0]]), ValueError, "batch_sampler"),
    (lambda lib: _loader(lib, batch_size=None, drop_last=True), ValueError, "auto-batching"),
    (lambda lib: _loader(lib, batch_size=0), ValueError, "positive int, got 0"),
    (lambda lib: _loader(lib, batch_size=2.0), ValueError, "positive int, got 2.0"),
    (lambda lib: _loader(lib, drop_last=1), ValueError, "drop_last must be a bool"),
    (lambda lib: _loader(lib, num_workers=-1), ValueError, "should be non-negative"),
    (lambda lib: _loader(lib, timeout=-1), ValueError, "timeout option"),
    (lambda lib: _loader(lib, prefetch_factor=2), ValueError, "prefetch_factor"),
    (lambda lib: _loader(lib, persistent_workers=True), ValueError, "num_workers > 0"),
    (lambda lib: _loader(lib, multiprocessing_context="spawn"), ValueError, "multi-process"),
    (lambda lib: lib.DataLoader(_stream(lib.IterableDataset), shuffle=True), ValueError, "shuffle"),
    (lambda lib: lib.DataLoader(_stream(lib.IterableDataset), sampler=[0]), ValueError, "sampler"),
    (
        lambda lib: lib.DataLoader(_stream(lib.IterableDataset), batch_sampler=[[0]]),
        ValueError,
        "batch_sampler",
    ),
    (lambda lib: lib.DataLoader([], shuffle=True), ValueError, "num_samples"),
    (_set_batch_size, ValueError, "batch_size attribute should not be set"),
    (
        lambda lib: lib.TensorDataset(
            *[torch.zeros(2), torch.zeros(3)] if lib is tud_torch else [np.zeros(2), np.zeros(3)]
        ),
        AssertionError,
        "Size mismatch between tensors",
    ),
    (lambda lib: lib.ConcatDataset([]), AssertionError, "empty iterable"),
    (lambda lib: lib.ConcatDataset([_stream(lib.IterableDataset)]), AssertionError, "Iterable"),
    (lambda lib: lib.ConcatDataset([[1]])[-2], ValueError, "should not exceed"),
    (lambda lib: list(lib.ChainDataset([[1]])), AssertionError, "only supports"),
    (lambda lib: lib.StackDataset([1], [1, 2]), ValueError, "Size mismatch between datasets"),
    (lambda lib: lib.StackDataset(), ValueError, "at least one dataset"),
    (lambda lib: lib.StackDataset([1], a=[1]), ValueError, "not both"),
    (lambda lib: lib.random_split(range(5), [2, 2]), ValueError, "Sum of input lengths"),
    (lambda lib: lib.random_split(range(5), [1.5, -0.5]), ValueError, "Fraction at index 0"),
    (lambda lib: lib.RandomSampler([]), ValueError, "num_samples"),
    (lambda lib: lib.RandomSampler([1], replacement=1), TypeError, "replacement must be a bool"),
    (lambda lib: lib.WeightedRandomSampler([1.0], 0), ValueError, "num_samples"),
    (lambda lib: lib.WeightedRandomSampler([[1.0]], 1), ValueError, "1-D"),
    (lambda lib: lib.WeightedRandomSampler([1.0], 1, 1), ValueError, "replacement must be"),
    (lambda lib: lib.BatchSampler([0], 0, False), ValueError, "batch_size must be"),
    (lambda lib: lib.BatchSampler([0], 1, None), ValueError, "drop_last must be a bool"),
    (lambda lib: lib.default_collate([[1, 2], [1]]), RuntimeError, "equal size"),
    (lambda lib: lib.default_collate([None]), TypeError, "found <class 'NoneType'>"),
    (lambda lib: lib.default_collate([np.array(["a"])]), TypeError, "<U1"),
    (lambda lib: lib.default_collate([{"a": 1}, {"b": 1}]), KeyError, "no key 'a'"),
    (
        lambda lib: _collate(lib, [Tensor(np.zeros(2)), Tensor(np.zeros(3))]),
        RuntimeError,
        "(2,) at entry 0 and (3,) at entry 1",
    ),
    (
        lambda lib: (
            lib.default_collate([Tensor(np.zeros(2)), np.zeros(2)])
            if lib is tud
            else lib.default_collate([torch.zeros(2), np.zeros(2)])
        ),
        TypeError,
        "entry 1 is a ndarray",
    ),
]


@pytest.mark.parametrize(("call", "error", "message"), BOTH)
def test_refused_by_both(
    call: Callable[[Any], object], error: type[Exception], message: str
) -> None:
    theirs = _raises(lambda: call(tud_torch))
    assert isinstance(theirs, error), repr(theirs)
    with pytest.raises(error, match=re.escape(message)):
        call(tud)


# Deliberate differences: calls torch accepts and this library refuses.
WE_REFUSE: list[tuple[Callable[[Any], object], type[Exception], str]] = [
    (  # a lone array or tensor: its sample axis is ambiguous here (the course's arrays)
        lambda lib: lib.DataLoader(np.zeros((4, 2)) if lib is tud else torch.zeros(4, 2), 2),
        TypeError,
        "got one array of shape (4, 2) and no Y",
    ),
    (lambda lib: _loader(lib, num_workers=2), NotImplementedError, "num_workers=2 is not"),
    (lambda lib: _loader(lib, shuffle=1), TypeError, "shuffle must be a bool, got int 1"),
    (lambda lib: lib.random_split(range(5), [-1, 6]), ValueError, "got -1 at index 0"),
    (
        lambda lib: _loader(lib, shuffle=True, generator=torch.Generator()),
        TypeError,
        "got torch._C.Generator",
    ),
]


@pytest.mark.parametrize(("call", "error", "message"), WE_REFUSE)
def test_refused_here_only(
    call: Callable[[Any], object], error: type[Exception], message: str
) -> None:
    assert _raises(lambda: call(tud_torch)) is None
    with pytest.raises(error, match=re.escape(message)):
        call(tud)


def test_bad_weights_refused_at_once_where_torch_refuses_when_drawing() -> None:
    theirs = tud_torch.WeightedRandomSampler([-1.0, 2.0], 1)
    assert _raises(lambda: list(theirs)) is not None
    with pytest.raises(ValueError, match="finite and >= 0"):
        tud.WeightedRandomSampler([-1.0, 2.0], 1)
    # Without replacement PyTorch documents num_samples <= the nonzero weights, but its CPU
    # kernel then fills in zero-weight indices; here that is refused.
    theirs = tud_torch.WeightedRandomSampler([1.0, 0.0], 2, replacement=False)
    assert sorted(theirs) == [0, 1]
    with pytest.raises(ValueError, match="cannot draw 2 samples without replacement"):
        tud.WeightedRandomSampler([1.0, 0.0], 2, replacement=False)
    theirs = tud_torch.WeightedRandomSampler([1.0, 0.0], 3, replacement=False)
    assert _raises(lambda: list(theirs)) is not None
    with pytest.raises(ValueError, match="cannot draw 3 samples without replacement"):
        tud.WeightedRandomSampler([1.0, 0.0], 3, replacement=False)
