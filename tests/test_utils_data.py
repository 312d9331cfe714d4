"""Tests of tinygrad_lite.utils.data: datasets, samplers, collation, PyTorch's DataLoader."""

from __future__ import annotations

import collections
import re
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
import tinygrad_lite.utils.data as tud
from tinygrad_lite import Tensor, data
from tinygrad_lite.gradcheck import gradcheck, gradgradcheck
from tinygrad_lite.utils.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    StackDataset,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    random_split,
)

Point = collections.namedtuple("Point", ["x", "y"])


class Stream(IterableDataset[int]):
    """0, 1, ..., n − 1 as a stream."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.n))

    def __len__(self) -> int:
        return self.n


class Rows(Dataset[Any]):
    """A TensorDataset seen through __getitem__ only: the general path of the loader."""

    def __init__(self, inner: TensorDataset) -> None:
        self.inner = inner

    def __getitem__(self, index: Any) -> Any:
        return self.inner[index]

    def __len__(self) -> int:
        return len(self.inner)


def _values(batch: Any) -> Any:
    """A batch as nested Python values, with each Tensor's dtype and shape."""
    if isinstance(batch, Tensor):
        return (str(batch.dtype), batch.shape, batch.tolist())
    if isinstance(batch, dict):
        return {k: _values(v) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(_values(v) for v in batch)
    return batch


def test_import_paths_and_one_class() -> None:
    assert tud.DataLoader is data.DataLoader is DataLoader
    assert tg.utils.data is tud  # the subpackage, once imported
    assert set(tud.__all__) >= {"DataLoader", "TensorDataset", "random_split", "Subset"}
    assert tud.get_worker_info() is None


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(1, 12),
    size=st.integers(1, 5),
    drop_last=st.booleans(),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_tensor_dataset_batches_equal_the_collated_samples(
    n: int, size: int, drop_last: bool, shuffle: bool, seed: int
) -> None:
    X = np.arange(2 * n, dtype=np.float32).reshape(n, 2)
    y = np.arange(n) % 3
    ds = TensorDataset(X, y)
    subset = Subset(ds, list(range(n))[::-1])
    fast, through_subset, slow = (
        DataLoader(d, size, shuffle, drop_last=drop_last, generator=seed)
        for d in (ds, subset, Rows(ds))
    )
    assert len(fast) == len(slow) == (n // size if drop_last else -(-n // size))
    batches = list(fast)
    assert _values(batches) == _values(list(slow))  # the same generator seed, the same order
    seen = [i for _, yb in list(through_subset) for i in yb.tolist()]
    assert len(seen) == (n // size * size if drop_last else n)
    ids = np.concatenate([np.zeros(0)] + [xb.data[:, 0] // 2 for xb, _ in batches]).astype(int)
    expected = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    np.testing.assert_array_equal(ids, expected[: len(ids)])
    for xb, yb in batches:
        assert isinstance(xb, Tensor) and xb.dtype == np.float32 and yb.dtype == np.int64
        rows = (xb.data[:, 0] // 2).astype(int)
        np.testing.assert_array_equal(xb.data, X[rows])
        assert yb.tolist() == y[rows].tolist()
        assert not np.shares_memory(xb.data, X)


def test_loader_order_follows_manual_seed_and_new_epochs_differ() -> None:
    ds = TensorDataset(np.arange(20))
    loader = DataLoader(ds, batch_size=20, shuffle=True)
    tg.manual_seed(5)
    first, second = (next(iter(loader))[0].tolist() for _ in range(2))
    assert sorted(first) == list(range(20)) and first != second
    tg.manual_seed(5)
    assert next(iter(loader))[0].tolist() == first
    shared = np.random.default_rng(3)
    assert next(iter(DataLoader(ds, 20, True, generator=shared)))[0].tolist() == list(
        np.random.default_rng(3).permutation(20)
    )


def test_tensor_dataset() -> None:
    X = np.arange(6.0).reshape(3, 2)
    ds = TensorDataset(X, Tensor(np.array([1, 2, 3])))
    assert len(ds) == 3 and isinstance(ds.tensors[0], Tensor)
    x1, y1 = ds[1]
    assert x1.tolist() == [2.0, 3.0] and y1.tolist() == 2
    assert np.shares_memory(ds.tensors[0].data, X)  # as_tensor: the array is shared
    assert [t.tolist() for t in ds[-1]] == [[4.0, 5.0], 3]


def test_batches_of_a_tensor_that_requires_grad_carry_its_gradient() -> None:
    w = Tensor(np.arange(8.0).reshape(4, 2), requires_grad=True)
    (xb,) = next(iter(DataLoader(TensorDataset(w), batch_size=3, sampler=[3, 0, 3])))
    (xb * xb).sum().backward()
    expected = np.zeros((4, 2))
    for i in [3, 0, 3]:
        expected[i] += 2 * w.data[i]
    np.testing.assert_allclose(w.grad.data, expected)
    a = Tensor(np.random.default_rng(0).normal(size=(3, 2)), requires_grad=True)

    def collated(t: Tensor) -> Tensor:
        batch = default_collate([t[2], t[0] * t[1]])  # stacked in the graph
        return (batch * batch).sum(dim=0)

    assert gradcheck(collated, a)
    assert gradgradcheck(collated, a)


def test_default_collate_structures_and_dtypes() -> None:
    out = default_collate([{"x": (1.0, 2), "s": "a"}, {"x": (3.0, 4), "s": "b"}])
    assert _values(out) == {
        "x": [("float64", (2,), [1.0, 3.0]), ("int64", (2,), [2, 4])],
        "s": ["a", "b"],
    }
    point = default_collate([Point(np.float32(1), True), Point(np.float32(2), False)])
    assert type(point) is Point and _values(tuple(point)) == (
        ("float32", (2,), [1.0, 2.0]),
        ("bool", (2,), [True, False]),
    )
    arrays = default_collate([np.zeros((2, 3), np.int32), np.ones((2, 3), np.int32)])
    assert arrays.shape == (2, 2, 3) and arrays.dtype == np.int32
    assert _values(default_collate([[1, 2], [3, 4]])) == [
        ("int64", (2,), [1, 3]),
        ("int64", (2,), [2, 4]),
    ]
    assert _values(default_collate([1, 2.5])) == ("float64", (2,), [1.0, 2.5])
    mixed = default_collate([Tensor(np.zeros(2, np.float32)), Tensor(np.ones(2))])
    assert mixed.dtype == np.float64  # promoted, as torch.stack
    samples = [Tensor(np.arange(2.0)), Tensor(np.arange(2.0))]
    batch = default_collate(samples)
    assert not np.shares_memory(batch.data, samples[0].data)


def test_default_convert() -> None:
    a = np.arange(3)
    out = default_convert((a, 1, "s", {"k": np.float32(2)}))
    assert isinstance(out, list) and isinstance(out[0], Tensor) and out[1:3] == [1, "s"]
    assert np.shares_memory(out[0].data, a) and out[3]["k"].dtype == np.float32
    strings = np.array(["a"])
    assert default_convert(strings) is strings
    assert list(DataLoader([np.arange(2)], batch_size=None))[0].tolist() == [0, 1]


def test_samplers() -> None:
    assert list(SequentialSampler(range(3))) == [0, 1, 2]
    twice = list(RandomSampler(range(4), num_samples=10, generator=0))
    assert sorted(twice[:4]) == sorted(twice[4:8]) == [0, 1, 2, 3] and len(twice) == 10
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=50, generator=1))
    assert len(drawn) == 50 and set(drawn) <= {0, 1, 2}
    assert sorted(SubsetRandomSampler([4, 8, 9], generator=2)) == [4, 8, 9]
    weighted = list(WeightedRandomSampler([0.0, 1.0, 3.0], 40, generator=3))
    assert set(weighted) == {1, 2}
    once = list(WeightedRandomSampler([1.0, 0.0, 2.0, 5.0], 3, replacement=False, generator=4))
    assert sorted(once) == [0, 2, 3]
    batches = BatchSampler(range(7), 3, drop_last=True)
    assert list(batches) == [[0, 1, 2], [3, 4, 5]] and len(batches) == 2
    assert len(BatchSampler(range(7), 3, drop_last=False)) == 3


def test_random_split() -> None:
    parts = random_split(range(10), [0.33, 0.33, 0.34], generator=0)
    assert [len(p) for p in parts] == [4, 3, 3]  # the leftover goes to split 0
    members = sorted(i for p in parts for i in p.indices)
    assert members == list(range(10))
    order = np.random.default_rng(0).permutation(10).tolist()
    assert parts[0].indices == order[:4] and parts[2].indices == order[7:]
    assert [len(p) for p in random_split(range(5), [3, 2])] == [3, 2]
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        assert [len(p) for p in random_split(range(2), [0.9, 0.1], generator=0)] == [2, 0]


def test_concat_chain_stack_subset() -> None:
    ds = ConcatDataset([[0, 1], [2], [3, 4, 5]])
    assert ds.cumulative_sizes == [2, 3, 6] and len(ds) == 6
    assert [ds[i] for i in range(-6, 6)] == list(range(6)) * 2
    plus = TensorDataset(np.arange(2)) + TensorDataset(np.arange(3))
    assert isinstance(plus, ConcatDataset) and len(plus) == 5 and plus[4][0].tolist() == 2
    chain = Stream(2) + Stream(3)
    assert isinstance(chain, ChainDataset) and list(chain) == [0, 1, 0, 1, 2] and len(chain) == 5
    stacked = StackDataset([1, 2], ["a", "b"])
    assert stacked[1] == (2, "b") and len(stacked) == 2
    sub = Subset(["a", "b", "c"], [2, 0])
    assert sub[0] == "c" and sub.__getitems__([1, 0]) == ["a", "c"]
    assert _values(next(iter(DataLoader(sub, batch_size=2)))) == ["c", "a"]


def test_iterable_dataset_in_a_loader() -> None:
    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(DataLoader(Stream(7), batch_size=3, drop_last=True)) == 2
    assert len(list(DataLoader(Stream(7), batch_size=3, drop_last=True))) == 2
    assert list(DataLoader(Stream(3), batch_size=None)) == [0, 1, 2]


def test_samplers_collate_fn_and_getitems_in_a_loader() -> None:
    ds = TensorDataset(np.arange(5))
    by_lists = DataLoader(ds, batch_sampler=[[4, 0], [2]])
    assert [b[0].tolist() for b in by_lists] == [[4, 0], [2]] and len(by_lists) == 2
    assert [b[0].tolist() for b in DataLoader(ds, 2, sampler=[3, 3, 1])] == [[3, 3], [1]]
    assert list(DataLoader(range(5), 2, collate_fn=sum)) == [1, 5, 4]

    class Batched(Dataset[int]):
        def __getitem__(self, index: Any) -> int:
            raise AssertionError("__getitems__ must be used")

        def __getitems__(self, indices: list[int]) -> list[int]:
            return [10 * i for i in indices]

        def __len__(self) -> int:
            return 3

    assert [b.tolist() for b in DataLoader(Batched(), batch_size=2)] == [[0, 10], [20]]


def test_the_course_form_is_unchanged() -> None:
    X, Y = np.arange(10.0).reshape(2, 5), np.arange(5)
    (xb, yb), *_ = DataLoader(X, Y, 2)
    assert isinstance(xb, np.ndarray) and xb.tolist() == [[0.0, 1.0], [5.0, 6.0]]
    assert len(DataLoader(X, Y)) == 1 and DataLoader(X, Y=Y, batch_size=2).num_samples == 5
    assert len(DataLoader(X=X.T, Y=Y, layout="rows", batch_size=3)) == 2


_X = np.zeros((4, 2))
_DS = TensorDataset(_X)
BAD: list[tuple[Callable[[], object], type[Exception], str]] = [
    (lambda: DataLoader(_X), TypeError, "got one array of shape (4, 2) and no Y"),
    (lambda: DataLoader(Tensor(_X), 2), TypeError, "wrap the arrays as TensorDataset(X, ...)"),
    (lambda: DataLoader(_DS, _X), TypeError, "got a dataset (TensorDataset) with a second"),
    (lambda: DataLoader(_X, _DS), TypeError, "got a dataset (TensorDataset) with a second"),
    (lambda: DataLoader(_DS, seed=1), TypeError, "seed= is an argument of the form"),
    (lambda: DataLoader(_DS, layout="rows"), TypeError, "layout= is an argument of the form"),
    (lambda: DataLoader(_X, _X, generator=0), TypeError, "generator= is an argument of the"),
    (lambda: DataLoader(), TypeError, "missing the dataset"),
    (lambda: DataLoader(5), TypeError, "dataset must be a map-style dataset"),
    (lambda: DataLoader(_DS, num_workers=2), NotImplementedError, "num_workers=2 is not"),
    (lambda: DataLoader(_DS, num_workers=-1), ValueError, "should be non-negative"),
    (lambda: DataLoader(_DS, timeout=-1), ValueError, "timeout option should be non-negative"),
    (lambda: DataLoader(_DS, prefetch_factor=2), ValueError, "prefetch_factor option could"),
    (lambda: DataLoader(_DS, persistent_workers=True), ValueError, "needs num_workers > 0"),
    (lambda: DataLoader(_DS, shuffle=True, sampler=[0]), ValueError, "mutually exclusive"),
    (lambda: DataLoader(_DS, 2, batch_sampler=[[0]]), ValueError, "batch_sampler option is"),
    (lambda: DataLoader(_DS, None, drop_last=True), ValueError, "disables auto-batching"),
    (lambda: DataLoader(_DS, 0), ValueError, "batch_size must be a positive int, got 0"),
    (lambda: DataLoader(_DS, 2.0), ValueError, "batch_size must be a positive int, got 2.0"),
    (lambda: DataLoader(_DS, drop_last=1), ValueError, "drop_last must be a bool, got int 1"),
    (lambda: DataLoader(_DS, shuffle=1), TypeError, "shuffle must be a bool, got int 1"),
    (lambda: DataLoader(_DS, collate_fn=3), TypeError, "collate_fn must be callable"),
    (lambda: DataLoader(Stream(2), shuffle=True), ValueError, "expected unspecified shuffle"),
    (lambda: DataLoader(Stream(2), sampler=[0]), ValueError, "expected unspecified sampler"),
    (lambda: DataLoader(TensorDataset(_X[:0]), shuffle=True), ValueError, "got 0"),
    (lambda: DataLoader(_DS, 1, True, generator="x"), TypeError, "got builtins.str"),
    (lambda: TensorDataset(_X, np.zeros(3)), AssertionError, "Size mismatch between tensors"),
    (lambda: TensorDataset(np.array(1.0)), ValueError, "argument 0 has no dimension 0"),
    (lambda: TensorDataset([1, 2]), TypeError, "must be a Tensor or a NumPy array, got list"),
    (lambda: TensorDataset(), TypeError, "needs at least one tensor"),
    (lambda: ConcatDataset([]), AssertionError, "should not be an empty iterable"),
    (lambda: ConcatDataset([Stream(1)]), AssertionError, "does not support IterableDataset"),
    (lambda: ConcatDataset([[1]])[-2], ValueError, "should not exceed dataset length"),
    (lambda: ConcatDataset([[1]])[1], IndexError, "index 1 is out of range for length 1"),
    (lambda: list(ChainDataset([[1]])), AssertionError, "only supports IterableDataset"),
    (lambda: StackDataset([1], [1, 2]), ValueError, "Size mismatch between datasets"),
    (lambda: StackDataset([1], a=[1]), ValueError, "not both"),
    (lambda: random_split(range(5), [2, 2]), ValueError, "Sum of input lengths does not equal"),
    (lambda: random_split(range(5), [-1, 6]), ValueError, "got -1 at index 0"),
    (lambda: random_split(range(5), [1.5, -0.5]), ValueError, "Fraction at index 0 is not"),
    (lambda: random_split(range(5), ["a"]), TypeError, "length 0 must be an int or a float"),
    (lambda: RandomSampler([]), ValueError, "num_samples must be a positive int, got 0"),
    (lambda: RandomSampler([1], replacement=1), TypeError, "replacement must be a bool"),
    (lambda: WeightedRandomSampler([1.0], 0), ValueError, "num_samples must be a positive"),
    (lambda: WeightedRandomSampler([[1.0]], 1), ValueError, "must be a 1-D sequence"),
    (lambda: WeightedRandomSampler([-1.0, 2.0], 1), ValueError, "finite and >= 0"),
    (lambda: WeightedRandomSampler([0.0, 0.0], 1), ValueError, "at least one must be > 0"),
    (lambda: WeightedRandomSampler([1.0, 0.0], 2, False), ValueError, "from 1 nonzero"),
    (lambda: BatchSampler([0], 0, False), ValueError, "batch_size must be a positive int"),
    (lambda: BatchSampler([0], 1, None), ValueError, "drop_last must be a bool"),
    (lambda: default_collate([]), ValueError, "the batch is empty"),
    (lambda: default_collate([None]), TypeError, "found <class 'NoneType'>"),
    (lambda: default_collate([np.array(["a"])]), TypeError, "arrays of dtype <U1"),
    (lambda: default_collate([[1, 2], [1]]), RuntimeError, "entry 0 has 2 elements and entry 1"),
    (lambda: default_collate([{"a": 1}, {"b": 1}]), KeyError, "entry 1 of the batch has no key"),
    (lambda: default_collate([1.0, "a"]), TypeError, "entry 1 is str 'a'"),
    (lambda: default_collate([2**70]), TypeError, "do not fit a tensor"),
    (
        lambda: default_collate([Tensor(np.zeros(2)), np.zeros(2)]),
        TypeError,
        "entry 1 is a ndarray",
    ),
    (
        lambda: default_collate([Tensor(np.zeros(2)), Tensor(np.zeros(3))]),
        RuntimeError,
        "got (2,) at entry 0 and (3,) at entry 1",
    ),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD)
def test_bad_input_is_refused(
    call: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_attributes_cannot_be_set_after_init() -> None:
    loader = DataLoader(_DS, batch_size=2)
    assert loader.batch_size == 2 and loader.dataset is _DS and loader.num_workers == 0
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 3
    with pytest.raises(AttributeError, match="num_samples belongs to the form"):
        _ = loader.num_samples
    course = DataLoader(_X, np.zeros(2))
    course.batch_size = 1  # the course's form keeps its plain attributes
    assert len(course) == 2
