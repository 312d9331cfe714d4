"""PyTorch's samplers: the orders in which a DataLoader visits a dataset's indices.

`SequentialSampler`, `RandomSampler`, `SubsetRandomSampler`, `WeightedRandomSampler` and
`BatchSampler` compute what `torch.utils.data`'s do. The random ones draw from a NumPy
Generator: the one given, a fresh `numpy.random.default_rng(seed)` for an int seed, or the
library's default generator (`tinygrad_lite.manual_seed`) for None. The draws have PyTorch's
distributions, but not its stream: the same seed gives another permutation than in PyTorch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any, Generic, TypeVar

import numpy as np

from . import rng
from .dataset_args import check_bool
from .tensor import Tensor

__all__ = [
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
]

T_co = TypeVar("T_co", covariant=True)
GeneratorLike = np.random.Generator | int | None


def as_generator(generator: object, func: str) -> np.random.Generator:
    """The Generator to draw from: ``generator``, a new one for an int seed, or the default one.

    See `rng.generator_arg` for what is accepted and refused (``func`` names the caller).
    """
    return rng.generator(rng.generator_arg(func, generator))


def _positive(name: str, value: object, func: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{func}: {name} must be a positive int, got {value!r}")
    return int(value)


class Sampler(Generic[T_co]):
    """Base class of samplers: an iterable over indices (or lists of indices) of a dataset.

    A subclass defines ``__iter__``, and ``__len__`` where the number of indices is known
    (a DataLoader's ``len`` asks its sampler's).
    """

    def __iter__(self) -> Iterator[T_co]:
        """The indices, in the sampler's order."""
        raise NotImplementedError("Subclasses of Sampler should implement __iter__.")


class SequentialSampler(Sampler[int]):
    """The indices 0, 1, ..., n − 1 in order, n = ``len(data_source)`` at each iteration.

    Args:
        data_source: A sized dataset.

    Example:
        >>> list(SequentialSampler(range(4)))
        [0, 1, 2, 3]
    """

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        """0, 1, ..., n − 1."""
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        """n, the dataset's length."""
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """Indices in a random order: a permutation of 0..n − 1, or draws with replacement.

    Without replacement, each iteration yields ⌊num_samples / n⌋ fresh permutations of
    0..n − 1 and then the first num_samples mod n indices of one more, as PyTorch does; with
    replacement, num_samples independent uniform draws from 0..n − 1.

    Args:
        data_source: A sized dataset (n = ``len(data_source)``).
        replacement: Whether to draw with replacement.
        num_samples: The number of indices an iteration yields; None for n.
        generator: A ``numpy.random.Generator``, an int seed, or None for the library's
            default generator (PyTorch's torch.Generator is not accepted).

    Raises:
        TypeError: If replacement is not a bool, or the generator of another type.
        ValueError: If num_samples is not a positive int (an empty dataset gives 0).
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: GeneratorLike = None,
    ) -> None:
        func = "RandomSampler"
        self.data_source = data_source
        self.replacement = check_bool("replacement", replacement, func=func)
        self._num_samples = num_samples
        self.generator = generator
        self._rng = as_generator(generator, func)
        _positive("num_samples", self.num_samples, func)

    @property
    def num_samples(self) -> int:
        """The number of indices an iteration yields."""
        if self._num_samples is None:
            return len(self.data_source)
        return self._num_samples

    def __iter__(self) -> Iterator[int]:
        """One pass: permutations (or uniform draws) from the generator."""
        n, count = len(self.data_source), self.num_samples
        if self.replacement:
            if n == 0:
                raise ValueError("RandomSampler: cannot draw with replacement from 0 samples")
            yield from self._rng.integers(0, n, size=count).tolist()
            return
        for _ in range(count // n):
            yield from self._rng.permutation(n).tolist()
        if count % n:
            yield from self._rng.permutation(n)[: count % n].tolist()

    def __len__(self) -> int:
        """num_samples."""
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given indices in a fresh random order at each iteration (without replacement).

    Args:
        indices: The indices to visit.
        generator: A ``numpy.random.Generator``, an int seed, or None for the default generator.

    Example:
        >>> sorted(SubsetRandomSampler([5, 7, 9], generator=0))
        [5, 7, 9]
    """

    def __init__(self, indices: Sequence[int], generator: GeneratorLike = None) -> None:
        self.indices = indices
        self.generator = generator
        self._rng = as_generator(generator, "SubsetRandomSampler")

    def __iter__(self) -> Iterator[int]:
        """indices[π(0)], indices[π(1)], ... for a random permutation π."""
        for i in self._rng.permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        """The number of indices."""
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """Indices 0..len(weights) − 1 drawn with probabilities wᵢ / Σⱼ wⱼ.

    With replacement the draws are independent; without, each drawn index leaves the pool and
    the next is drawn in proportion to the weights that remain (``torch.multinomial``'s rule).

    Args:
        weights: A 1-D sequence of finite weights >= 0, not all 0 (they need not sum to 1).
        num_samples: The number of indices an iteration yields.
        replacement: Whether to draw with replacement.
        generator: A ``numpy.random.Generator``, an int seed, or None for the default generator.

    Raises:
        ValueError: If num_samples is not a positive int, replacement not a bool, the weights
            not 1-D, negative, infinite or NaN, or all 0, or if, without replacement,
            num_samples exceeds the number of nonzero weights. PyTorch checks the weights
            only when the sampler is iterated; here they are checked at once.
    """

    def __init__(
        self,
        weights: Sequence[float] | Any,
        num_samples: int,
        replacement: bool = True,
        generator: GeneratorLike = None,
    ) -> None:
        func = "WeightedRandomSampler"
        self.num_samples = _positive("num_samples", num_samples, func)
        self.replacement = check_bool("replacement", replacement, func=func, error=ValueError)
        w = np.array(weights.data if isinstance(weights, Tensor) else weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"{func}: weights must be a 1-D sequence, got shape {w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError(f"{func}: weights must be finite and >= 0, got {w.tolist()}")
        if w.sum() <= 0:
            raise ValueError(f"{func}: the weights sum to {w.sum()}; at least one must be > 0")
        nonzero = int(np.count_nonzero(w))
        if not self.replacement and self.num_samples > nonzero:
            raise ValueError(
                f"{func}: cannot draw {self.num_samples} samples without replacement from "
                f"{nonzero} nonzero weights"
            )
        self.weights = w
        self.generator = generator
        self._rng = as_generator(generator, func)

    def __iter__(self) -> Iterator[int]:
        """num_samples indices drawn in proportion to the weights."""
        p = self.weights / self.weights.sum()
        draws = self._rng.choice(len(p), size=self.num_samples, replace=self.replacement, p=p)
        yield from draws.tolist()

    def __len__(self) -> int:
        """num_samples."""
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """Lists of ``batch_size`` consecutive indices of another sampler.

    The last list is shorter when the sampler's length is not a multiple of batch_size, and
    left out with ``drop_last``.

    Args:
        sampler: A sampler, or any iterable of indices.
        batch_size: Indices per list, >= 1.
        drop_last: Whether to leave out a last list shorter than batch_size.

    Raises:
        ValueError: If batch_size is not a positive int or drop_last not a bool (PyTorch's
            exception types).

    Example:
        >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
        [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler: Iterable[Any], batch_size: int, drop_last: bool) -> None:
        func = "BatchSampler"
        self.batch_size = _positive("batch_size", batch_size, func)
        self.drop_last = check_bool("drop_last", drop_last, func=func, error=ValueError)
        self.sampler = sampler

    def __iter__(self) -> Iterator[list[Any]]:
        """The lists of indices, in the sampler's order."""
        batch: list[Any] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        """⌈len(sampler) / batch_size⌉, or ⌊len(sampler) / batch_size⌋ with drop_last."""
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
