"""PyTorch's datasets: Dataset, TensorDataset, Subset, ConcatDataset, random_split and kin.

A map-style dataset answers ``dataset[i]`` for i in 0..len(dataset) − 1; an iterable-style one
(`IterableDataset`) yields its samples. They compute what `torch.utils.data`'s classes do;
`random_split` draws its permutation from a NumPy Generator (see `tinygrad_lite.samplers`), so
the split has PyTorch's sizes but not its members for the same seed.
"""

from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import numpy as np

from .creation import as_tensor
from .samplers import GeneratorLike, as_generator
from .tensor import Tensor

__all__ = [
    "Dataset",
    "IterableDataset",
    "TensorDataset",
    "StackDataset",
    "ConcatDataset",
    "ChainDataset",
    "Subset",
    "random_split",
]

T_co = TypeVar("T_co", covariant=True)
T = TypeVar("T")


class Dataset(Generic[T_co]):
    """Base class of map-style datasets: ``dataset[i]`` is the i-th sample.

    A subclass defines ``__getitem__`` and, for the default samplers of a DataLoader,
    ``__len__``; it may define ``__getitems__(indices)`` to fetch a batch's samples at once.
    ``a + b`` is ``ConcatDataset([a, b])``.
    """

    def __getitem__(self, index: Any) -> T_co:
        """The sample at ``index``."""
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset[T_co]) -> ConcatDataset[T_co]:
        """``ConcatDataset([self, other])``."""
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co], Iterable[T_co]):
    """Base class of iterable-style datasets: a subclass defines ``__iter__`` (a stream of samples).

    A DataLoader reads it in order, in batches of consecutive samples; it takes no sampler
    and no shuffle. ``a + b`` is ``ChainDataset([a, b])``.
    """

    def __iter__(self) -> Iterator[T_co]:
        """The samples."""
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other: Dataset[T_co]) -> ChainDataset:  # type: ignore[override]
        """``ChainDataset([self, other])``."""
        return ChainDataset([self, other])


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """Samples that are rows of tensors: ``dataset[i] = (t₀[i], t₁[i], ...)``.

    Args:
        *tensors: Tensors or NumPy arrays (made Tensors with ``as_tensor``, sharing their
            memory) of at least one dimension, all of the same size along dimension 0.

    Raises:
        AssertionError: "Size mismatch between tensors", PyTorch's error, if the first
            dimensions differ.
        TypeError: If an argument is not a Tensor or NumPy array, or none is given.
        ValueError: If a tensor has no dimension.

    Example:
        >>> ds = TensorDataset(np.arange(6.0).reshape(3, 2), np.array([0, 1, 0]))
        >>> len(ds), ds[1]
        (3, (Tensor([2., 3.]), Tensor(1)))
    """

    def __init__(self, *tensors: Tensor | np.ndarray) -> None:
        func = "TensorDataset"
        if not tensors:
            raise TypeError(f"{func}: needs at least one tensor")
        converted: list[Tensor] = []
        for i, t in enumerate(tensors):
            if not isinstance(t, (Tensor, np.ndarray)):
                raise TypeError(
                    f"{func}: argument {i} must be a Tensor or a NumPy array, got "
                    f"{type(t).__name__}"
                )
            if t.ndim == 0:
                raise ValueError(f"{func}: argument {i} has no dimension 0 (it is 0-d)")
            converted.append(t if isinstance(t, Tensor) else as_tensor(t))
        sizes = [t.shape[0] for t in converted]
        if any(size != sizes[0] for size in sizes):
            raise AssertionError(
                f"Size mismatch between tensors: {func} needs one size of dimension 0, "
                f"got {tuple(sizes)}"
            )
        self.tensors: tuple[Tensor, ...] = tuple(converted)

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        """``(t₀[index], t₁[index], ...)``."""
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        """The size of dimension 0."""
        return int(self.tensors[0].shape[0])


class StackDataset(Dataset[Any]):
    """Datasets side by side: ``dataset[i]`` is ``(d₀[i], d₁[i], ...)``, or a dict by name.

    Args:
        *args: Datasets of one length, for tuple samples.
        **kwargs: Datasets of one length, for dict samples (not together with ``args``).

    Raises:
        ValueError: If both or neither of args and kwargs are given, or the lengths differ.

    Example:
        >>> StackDataset(x=[1, 2], y=["a", "b"])[1]
        {'x': 2, 'y': 'b'}
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args and kwargs:
            raise ValueError(
                "StackDataset: give datasets either by position (tuple samples) or by name "
                "(dict samples), not both"
            )
        if not args and not kwargs:
            raise ValueError("StackDataset: at least one dataset should be passed")
        parts = list(args) if args else list(kwargs.values())
        lengths = [len(d) for d in parts]
        if any(n != lengths[0] for n in lengths):
            raise ValueError(f"StackDataset: Size mismatch between datasets: lengths {lengths}")
        self._length = lengths[0]
        self.datasets: tuple[Any, ...] | dict[str, Any] = args if args else kwargs

    def __getitem__(self, index: Any) -> Any:
        """The samples at ``index`` of every dataset, as a tuple or a dict."""
        if isinstance(self.datasets, dict):
            return {key: d[index] for key, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self) -> int:
        """The common length."""
        return self._length


class ConcatDataset(Dataset[T_co]):
    """Datasets one after another: indices 0..len(d₀) − 1 reach d₀, the next ones d₁, ...

    ``cumulative_sizes`` holds the running totals of the lengths; negative indices count
    from the end.

    Args:
        datasets: A non-empty iterable of map-style datasets.

    Raises:
        AssertionError: PyTorch's errors, if there is no dataset or one is an IterableDataset.

    Example:
        >>> ds = ConcatDataset([[1, 2], [3, 4, 5]])
        >>> ds.cumulative_sizes, ds[2], ds[-1]
        ([2, 5], 3, 5)
    """

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets: list[Any] = list(datasets)
        if not self.datasets:
            raise AssertionError("ConcatDataset: datasets should not be an empty iterable")
        for i, d in enumerate(self.datasets):
            if isinstance(d, IterableDataset):
                raise AssertionError(
                    f"ConcatDataset does not support IterableDataset (dataset {i} is a "
                    f"{type(d).__name__}); use ChainDataset"
                )
        self.cumulative_sizes: list[int] = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        """The sum of the lengths."""
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> T_co:
        """The sample at ``idx`` of the concatenation (negative: from the end)."""
        if isinstance(idx, bool) or not isinstance(idx, (int, np.integer)):
            raise TypeError(f"ConcatDataset: index must be an int, got {type(idx).__name__}")
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise ValueError(
                    f"ConcatDataset: absolute value of index should not exceed dataset length "
                    f"({idx} for length {n})"
                )
            idx = n + idx
        if idx >= n:
            raise IndexError(f"ConcatDataset: index {idx} is out of range for length {n}")
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][int(idx) - start]


class ChainDataset(IterableDataset[Any]):
    """Iterable datasets one after another, read lazily.

    Args:
        datasets: Iterable datasets.

    Example:
        >>> class Count(IterableDataset):
        ...     def __init__(self, n):
        ...         self.n = n
        ...
        ...     def __iter__(self):
        ...         return iter(range(self.n))
        >>> list(Count(2) + Count(3))
        [0, 1, 0, 1, 2]
    """

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = datasets

    def _check(self, d: Any) -> Any:
        if not isinstance(d, IterableDataset):
            raise AssertionError(
                f"ChainDataset only supports IterableDataset, got {type(d).__name__}"
            )
        return d

    def __iter__(self) -> Iterator[Any]:
        """The samples of each dataset in turn."""
        for d in self.datasets:
            yield from self._check(d)

    def __len__(self) -> int:
        """The sum of the datasets' lengths (each must define ``__len__``)."""
        return sum(len(self._check(d)) for d in self.datasets)


class Subset(Dataset[T_co]):
    """The samples of a dataset at chosen indices: ``subset[i] = dataset[indices[i]]``.

    Args:
        dataset: A map-style dataset.
        indices: The indices of ``dataset`` to keep, in order.

    Example:
        >>> s = Subset(["a", "b", "c", "d"], [3, 0])
        >>> len(s), s[0], s[1]
        (2, 'd', 'a')
    """

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx: Any) -> T_co:
        """``dataset[indices[idx]]``; a list ``idx`` picks a list of indices."""
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list[int]) -> list[T_co]:
        """The samples at several positions (the dataset's ``__getitems__`` when it has one)."""
        mapped = [self.indices[i] for i in indices]
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems(mapped)
        return [self.dataset[i] for i in mapped]

    def __len__(self) -> int:
        """The number of indices."""
        return len(self.indices)


_NUMBER = (int, float, np.integer, np.floating)


def _split_lengths(n: int, lengths: Sequence[int | float]) -> list[int]:
    func = "random_split"
    for i, length in enumerate(lengths):
        if isinstance(length, bool) or not isinstance(
            length, (int, float, np.integer, np.floating)
        ):
            raise TypeError(f"{func}: length {i} must be an int or a float, got {length!r}")
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:  # fractions, PyTorch's rule
        counts = []
        for i, fraction in enumerate(lengths):
            if fraction < 0 or fraction > 1:
                raise ValueError(f"{func}: Fraction at index {i} is not between 0 and 1")
            counts.append(math.floor(n * fraction))
        for i in range(n - sum(counts)):  # the remainder, one each, round-robin
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(
                    f"Length of split at index {i} is 0. This might result in an empty dataset.",
                    stacklevel=3,
                )
        return counts
    for i, length in enumerate(lengths):
        if not isinstance(length, (int, np.integer)) or length < 0:
            raise ValueError(
                f"{func}: lengths must be ints >= 0 or fractions summing to 1, got {length!r} "
                f"at index {i}"
            )
    if total != n:
        raise ValueError(
            f"{func}: Sum of input lengths does not equal the length of the input dataset! "
            f"({total} != {n})"
        )
    return [int(length) for length in lengths]


def random_split(
    dataset: Any, lengths: Sequence[int | float], generator: GeneratorLike = None
) -> list[Subset[Any]]:
    """Split a dataset at random into non-overlapping Subsets of the given lengths.

    The lengths are ints summing to ``len(dataset)``, or fractions summing to 1: then split
    k gets ⌊n · fₖ⌋ samples and the n − Σₖ⌊n · fₖ⌋ left over go one each to splits 0, 1, ...
    in turn (PyTorch's rule; a split of length 0 warns). One random permutation of 0..n − 1
    is cut in order into the splits. It is drawn from ``generator``, not from PyTorch's
    stream: the lengths are PyTorch's, the members are not.

    Args:
        dataset: A sized dataset.
        lengths: Lengths or fractions of the splits.
        generator: A ``numpy.random.Generator``, an int seed, or None for the library's
            default generator (`tinygrad_lite.manual_seed`).

    Returns:
        The splits, as Subsets of ``dataset``.

    Raises:
        TypeError: If a length is not a number, or the generator of another type.
        ValueError: If a fraction is outside [0, 1], an int length is negative, or the
            lengths do not sum to ``len(dataset)``.

    Example:
        >>> [len(s) for s in random_split(range(10), [0.34, 0.33, 0.33], generator=0)]
        [4, 3, 3]
    """
    n = len(dataset)
    counts = _split_lengths(n, lengths)
    order = as_generator(generator, "random_split").permutation(n).tolist()
    ends = list(itertools.accumulate(counts))
    return [
        Subset(dataset, order[end - count : end]) for end, count in zip(ends, counts, strict=True)
    ]
