"""PyTorch's form of the DataLoader: its argument checks, its samplers and its batches.

`tinygrad_lite.data.DataLoader(dataset, batch_size=1, shuffle=False, ...)` runs on this
module; the loading itself happens in the calling process, one batch at a time.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from .collate import default_collate, default_convert
from .dataset import IterableDataset, Subset, TensorDataset
from .samplers import BatchSampler, RandomSampler, Sampler, SequentialSampler, as_generator
from .tensor import Tensor

__all__ = ["get_worker_info"]

FUNC = "DataLoader"
# Attributes PyTorch's DataLoader refuses to have set once it is made.
FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


def get_worker_info() -> None:
    """Information on the worker process loading the data: None, as in PyTorch's main process.

    Samples are always loaded in the calling process here (``num_workers=0``), where PyTorch's
    ``get_worker_info`` returns None too.
    """
    return None


class _InfiniteConstantSampler(Sampler[None]):
    """None forever: the batch positions of an iterable dataset, as PyTorch's."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


def _tensor_rows(dataset: Any, indices: list[Any]) -> list[Tensor] | None:
    """The collated batch of a TensorDataset (under plain Subsets) by one index per tensor.

    ``[t[indices] for t in tensors]`` equals ``default_collate([dataset[i] for i in
    indices])`` (values, dtypes, shapes, gradients) without a Tensor per sample. None where
    this shortcut does not apply; the general path then runs (and raises what it raises).
    """
    while type(dataset) is Subset:
        if not all(isinstance(i, (int, np.integer)) for i in indices):
            return None
        try:
            indices = [dataset.indices[i] for i in indices]
        except (IndexError, TypeError):
            return None
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset:
        return None
    if not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in indices):
        return None
    index = np.asarray(indices, dtype=np.int64)
    n = len(dataset)
    if index.size == 0 or index.min() < -n or index.max() >= n:
        return None
    return [t[index] for t in dataset.tensors]


class DatasetLoading:
    """The machinery of the DataLoader's PyTorch form (the attributes are PyTorch's)."""

    dataset: Any
    batch_size: int | None
    drop_last: bool
    sampler: Any
    batch_sampler: Any
    num_workers: int
    collate_fn: Callable[[Any], Any]
    pin_memory: bool
    timeout: float
    worker_init_fn: Callable[[int], None] | None
    multiprocessing_context: Any
    generator: Any
    prefetch_factor: int | None
    persistent_workers: bool
    pin_memory_device: str
    in_order: bool
    _iterable: bool

    def _setup_dataset_form(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Iterable[Any] | None = None,
        batch_sampler: Iterable[Any] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[Any], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: Any = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        _check_workers(num_workers, timeout, prefetch_factor, persistent_workers)
        if multiprocessing_context is not None:
            raise ValueError(
                f"{FUNC}: multiprocessing_context can only be used with multi-process loading "
                f"(num_workers > 0), but got num_workers={num_workers}"
            )
        for name, flag in (("pin_memory", pin_memory), ("in_order", in_order)):
            _bool(name, flag, TypeError)
        drop_last = _bool("drop_last", drop_last, ValueError)
        if generator is not None:
            as_generator(generator, FUNC)  # refuses a torch.Generator at once
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            given = (shuffle is not None and shuffle is not False, sampler is not None)
            for name, value, bad in zip(
                ("shuffle", "sampler", "batch_sampler"),
                (shuffle, sampler, batch_sampler),
                (*given, batch_sampler is not None),
                strict=True,
            ):
                if bad:
                    raise ValueError(
                        f"{FUNC} with IterableDataset: expected unspecified {name} option, "
                        f"but got {name}={value!r}"
                    )
        else:
            _check_map_style(dataset)
            if shuffle is not None:
                shuffle = _bool("shuffle", shuffle, TypeError)
        if sampler is not None and shuffle:
            raise ValueError(f"{FUNC}: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    f"{FUNC}: batch_sampler option is mutually exclusive with batch_size, "
                    f"shuffle, sampler, and drop_last (got batch_size={batch_size!r}, "
                    f"shuffle={shuffle!r}, sampler={sampler!r}, drop_last={drop_last!r})"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                f"{FUNC}: batch_size=None option disables auto-batching and is mutually "
                "exclusive with drop_last"
            )
        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            try:
                batch_sampler = BatchSampler(sampler, batch_size, drop_last)
            except ValueError as error:
                raise ValueError(str(error).replace("BatchSampler", FUNC)) from None
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        elif not callable(collate_fn):
            raise TypeError(f"{FUNC}: collate_fn must be callable, got {type(collate_fn).__name__}")
        if worker_init_fn is not None and not callable(worker_init_fn):
            raise TypeError(
                f"{FUNC}: worker_init_fn must be callable or None, got "
                f"{type(worker_init_fn).__name__}"
            )
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        self.num_workers, self.collate_fn, self.pin_memory = num_workers, collate_fn, pin_memory
        self.timeout, self.worker_init_fn = timeout, worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor, self.persistent_workers = prefetch_factor, persistent_workers
        self.pin_memory_device, self.in_order = pin_memory_device, in_order

    def _dataset_len(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def _dataset_batches(self) -> Iterator[Any]:
        if self._iterable:
            yield from self._stream_batches()
            return
        dataset, collate = self.dataset, self.collate_fn
        if self.batch_sampler is None:  # no batching: one converted sample at a time
            for index in self.sampler:
                yield collate(dataset[index])
            return
        getitems = getattr(dataset, "__getitems__", None)
        for indices in self.batch_sampler:
            rows = _tensor_rows(dataset, indices) if collate is default_collate else None
            if rows is not None:
                yield rows
            elif getitems:
                yield collate(getitems(indices))
            else:
                yield collate([dataset[i] for i in indices])

    def _stream_batches(self) -> Iterator[Any]:
        samples, collate, size = iter(self.dataset), self.collate_fn, self.batch_size
        if size is None:
            for sample in samples:
                yield collate(sample)
            return
        while True:
            batch = list(itertools.islice(samples, size))
            if not batch or (self.drop_last and len(batch) < size):
                return
            yield collate(batch)
            if len(batch) < size:  # the stream has ended
                return


def _bool(name: str, value: object, error: type[Exception]) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise error(f"{FUNC}: {name} must be a bool, got {type(value).__name__} {value!r}")
    return bool(value)


def _check_workers(
    num_workers: object, timeout: object, prefetch_factor: object, persistent_workers: object
) -> None:
    if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)):
        raise TypeError(f"{FUNC}: num_workers must be an int, got {type(num_workers).__name__}")
    if num_workers < 0:
        raise ValueError(
            f"{FUNC}: num_workers option should be non-negative; use num_workers=0 to disable "
            f"multiprocessing (got {num_workers})"
        )
    if num_workers > 0:
        raise NotImplementedError(
            f"{FUNC}: num_workers={num_workers} is not supported: samples are loaded in the "
            "calling process; pass num_workers=0"
        )
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float, np.integer, np.floating)):
        raise TypeError(f"{FUNC}: timeout must be a number, got {type(timeout).__name__}")
    if timeout < 0:
        raise ValueError(f"{FUNC}: timeout option should be non-negative, got {timeout}")
    if prefetch_factor is not None:
        raise ValueError(
            f"{FUNC}: prefetch_factor option could only be specified in multiprocessing "
            f"(num_workers > 0); got prefetch_factor={prefetch_factor!r} with num_workers=0"
        )
    if persistent_workers:
        raise ValueError(f"{FUNC}: persistent_workers option needs num_workers > 0")


def _check_map_style(dataset: Any) -> None:
    if isinstance(dataset, (np.ndarray, Tensor)):
        raise TypeError(
            f"{FUNC}: got one array of shape {tuple(dataset.shape)} and no Y. DataLoader(X, Y, "
            "...) batches two arrays (samples along the last axis with layout='columns'); "
            "for PyTorch's form wrap the arrays in a dataset, TensorDataset(X, ...) (samples "
            "along dimension 0)"
        )
    if not hasattr(dataset, "__getitem__"):
        raise TypeError(
            f"{FUNC}: dataset must be a map-style dataset (with __getitem__ and __len__) or an "
            f"IterableDataset, got {type(dataset).__name__}"
        )
