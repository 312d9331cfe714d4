"""Mini-batches: a DataLoader over two arrays or over a dataset, and random_mini_batches."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import rng
from .dataset import Dataset
from .dataset_args import check_bool, check_int
from .loading import FROZEN, DatasetLoading
from .tensor import Tensor

__all__ = ["DataLoader", "random_mini_batches"]

# One legacy RandomState per thread, reseeded on each call: the same stream as a new
# RandomState(seed), whose construction costs 20 times the reseeding (130 µs against 7 µs).
_legacy = threading.local()

Batch = tuple[NDArray[Any], NDArray[Any]]
LAYOUTS = ("columns", "rows")


def _as_array(name: str, value: ArrayLike, func: str) -> NDArray[Any]:
    try:
        array = np.asarray(value)
    except ValueError as error:  # ragged nested sequences
        raise ValueError(f"{func}: {name} must be a rectangular array: {error}") from None
    if array.ndim == 0:
        raise ValueError(f"{func}: {name} must have at least one axis, got a scalar {array!r}")
    if array.dtype.kind not in "biufc":  # what a tensor can hold: no strings, dates or objects
        raise TypeError(f"{func}: {name} must be a numeric array, got dtype {array.dtype}")
    return array


def _sample_counts(
    X: NDArray[Any], Y: NDArray[Any], layout: str, func: str
) -> tuple[int, int, int]:
    """The sample axes of X and Y for the layout, and the number of samples they share."""
    x_axis, y_axis = (X.ndim - 1, Y.ndim - 1) if layout == "columns" else (0, 0)
    m, m_y = X.shape[x_axis], Y.shape[y_axis]
    if m != m_y:
        where = "the last axis" if layout == "columns" else "axis 0"
        raise ValueError(
            f"{func}: X has {m} samples but Y has {m_y} (samples along {where} for layout "
            f"{layout!r}; X has shape {X.shape}, Y has shape {Y.shape})"
        )
    return x_axis, y_axis, m


class DataLoader(DatasetLoading):
    """Mini-batches, in the course's form over two arrays or in PyTorch's form over a dataset.

    **The course's form**, ``DataLoader(X, Y, batch_size=64, shuffle=False, seed=None,
    drop_last=False, layout="columns")``: mini-batches ``(X_batch, Y_batch)`` of two arrays,
    as new NumPy arrays. With ``layout="columns"`` (the course's) the samples are the last
    axis: X is (n_x, m) and Y is (n_y, m) or (m,). With ``layout="rows"`` (PyTorch's) they are
    the first axis: X is (m, n_x) and Y is (m, n_y) or (m,). Every iteration over the loader
    is one epoch: the samples are taken in order, or, with ``shuffle``, in a fresh random order
    drawn from a ``np.random.Generator`` (``rng.permutation(m)`` per epoch), and cut into
    consecutive batches of ``batch_size``; the last, smaller batch is kept unless
    ``drop_last``. The same seed gives the same sequence of epochs; ``seed`` is an int >= 0
    seeding ``np.random.default_rng``, a ``np.random.Generator`` to draw from, or None for the
    library's default generator (`tinygrad_lite.manual_seed`).

    **PyTorch's form**, ``DataLoader(dataset, batch_size=1, shuffle=None, sampler=None,
    batch_sampler=None, num_workers=0, collate_fn=None, pin_memory=False, drop_last=False,
    timeout=0, worker_init_fn=None, multiprocessing_context=None, generator=None, *,
    prefetch_factor=None, persistent_workers=False, pin_memory_device="", in_order=True)``:
    ``torch.utils.data.DataLoader``'s batches, made by ``collate_fn`` (`default_collate`:
    Tensors) from the samples of a map-style dataset (``dataset[i]``, `TensorDataset` and the
    like, or a list) in the order of the sampler, or from the stream of an `IterableDataset`.
    ``batch_size=None`` turns batching off (each sample goes through `default_convert`);
    ``batch_sampler`` gives whole lists of indices. PyTorch's argument checks apply: sampler
    excludes shuffle; batch_sampler excludes batch_size, shuffle, sampler and drop_last;
    batch_size=None excludes drop_last; an iterable dataset takes no shuffle and no sampler.
    ``shuffle=True`` draws each epoch's permutation from ``generator`` (a
    ``numpy.random.Generator``, an int seed, or None for the library's default generator
    after `tinygrad_lite.manual_seed`), not from PyTorch's stream: the same seed gives
    another order than in PyTorch. Loading runs in the calling process: ``num_workers`` must
    be 0; ``pin_memory``, ``timeout`` and ``worker_init_fn`` are accepted and have nothing to
    do. The attributes are PyTorch's (``dataset``, ``batch_size``, ``sampler``,
    ``batch_sampler``, ``collate_fn``, ...), and setting batch_size, batch_sampler, sampler,
    drop_last, dataset or persistent_workers afterwards is refused, as there.

    **How the forms are told apart.** A second array makes the course's form: ``Y=``, or a
    second positional argument that is neither a number nor None. Otherwise (no second
    argument, or a number or None: PyTorch's ``batch_size``) it is PyTorch's form. The calls
    that could be read either way are refused, never guessed: a lone array or Tensor
    (``DataLoader(X, batch_size=8)``: the course's arrays hold samples along the last axis,
    PyTorch's datasets along the first; wrap it as ``TensorDataset(X)``), a dataset with a
    second array, ``seed=`` or ``layout=`` without Y, and PyTorch's keywords with two arrays.

    Args:
        *args: The course's ``X, Y, batch_size, shuffle, seed, drop_last, layout``, or
            PyTorch's ``dataset, batch_size, shuffle, sampler, batch_sampler, num_workers,
            collate_fn, pin_memory, drop_last, timeout, worker_init_fn,
            multiprocessing_context, generator`` (see above).
        **kwargs: The same by name, and PyTorch's keyword-only ``prefetch_factor``,
            ``persistent_workers``, ``pin_memory_device`` and ``in_order``.

    Raises:
        TypeError: If the call mixes the forms or is ambiguous; in the course's form, if a
            count is not an int, a flag not a bool, the seed of another type, or an array not
            numeric; in PyTorch's, if the dataset has no ``__getitem__`` (and is not an
            IterableDataset), a flag is not a bool, or the generator is a ``torch.Generator``.
        ValueError: In the course's form, if batch_size < 1, the layout is unknown, an array
            is a scalar or ragged, or X and Y hold different numbers of samples; in PyTorch's,
            on the arguments PyTorch refuses (exclusive options, batch_size not a positive int
            or None, drop_last not a bool, a negative timeout or num_workers, a shuffled empty
            dataset).
        NotImplementedError: If num_workers > 0.

    Example:
        >>> X, Y = np.arange(10.0).reshape(2, 5), np.array([[0, 1, 0, 1, 1]])
        >>> loader = DataLoader(X, Y, batch_size=2)
        >>> len(loader), [xb.shape for xb, _ in loader]
        (3, [(2, 2), (2, 2), (2, 1)])
        >>> from tinygrad_lite.dataset import TensorDataset
        >>> loader = DataLoader(TensorDataset(X.T, Y[0]), batch_size=2)
        >>> [(xb.shape, yb.tolist()) for xb, yb in loader]
        [((2, 2), [0, 1]), ((2, 2), [0, 1]), ((1, 2), [1])]
    """

    X: NDArray[Any]
    Y: NDArray[Any]
    shuffle: bool
    layout: str
    _form: str = "course"

    @overload
    def __init__(
        self,
        X: ArrayLike,
        Y: ArrayLike,
        batch_size: int = 64,
        shuffle: bool = False,
        seed: int | np.random.Generator | None = None,
        drop_last: bool = False,
        layout: str = "columns",
    ) -> None: ...

    @overload
    def __init__(
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
        generator: np.random.Generator | int | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None: ...

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if _course_form(args, kwargs):
            self._setup_course_form(*args, **kwargs)
        else:
            self._form = "dataset"
            self._setup_dataset_form(*args, **kwargs)
            self._form = "frozen dataset"

    def __setattr__(self, name: str, value: Any) -> None:
        if self._form == "frozen dataset" and name in FROZEN:
            raise ValueError(f"{name} attribute should not be set after DataLoader is initialized")
        super().__setattr__(name, value)

    def _setup_course_form(
        self,
        X: ArrayLike,
        Y: ArrayLike,
        batch_size: int = 64,
        shuffle: bool = False,
        seed: int | np.random.Generator | None = None,
        drop_last: bool = False,
        layout: str = "columns",
    ) -> None:
        func = "DataLoader"
        if not isinstance(layout, str) or layout not in LAYOUTS:
            raise ValueError(f"{func}: layout must be 'columns' or 'rows', got {layout!r}")
        self.X = _as_array("X", X, func)
        self.Y = _as_array("Y", Y, func)
        self._x_axis, self._y_axis, self._m = _sample_counts(self.X, self.Y, layout, func)
        self.batch_size = check_int("batch_size", batch_size, minimum=1, func=func)
        self.shuffle = check_bool("shuffle", shuffle, func=func)
        self.drop_last = check_bool("drop_last", drop_last, func=func)
        self.layout = layout
        if isinstance(seed, np.random.Generator):
            self._rng = seed
        elif seed is None:
            self._rng = rng.default_generator  # reproducible after manual_seed, as in PyTorch
        else:
            self._rng = np.random.default_rng(check_int("seed", seed, minimum=0, func=func))

    @property
    def num_samples(self) -> int:
        """The number of samples m (the course's form)."""
        if self._form != "course":
            raise AttributeError("DataLoader: num_samples belongs to the form DataLoader(X, Y)")
        return self._m

    def __len__(self) -> int:
        """The number of batches an epoch: ⌈m / batch_size⌉, or ⌊m / batch_size⌋ with drop_last."""
        if self._form != "course":
            return self._dataset_len()
        size = self.batch_size
        assert size is not None
        return self._m // size if self.drop_last else -(-self._m // size)

    def __iter__(self) -> Iterator[Any]:
        """One epoch of batches, in order or in a fresh random order."""
        if self._form != "course":
            return self._dataset_batches()
        return self._course_batches()

    def _course_batches(self) -> Iterator[Batch]:
        order = self._rng.permutation(self._m) if self.shuffle else np.arange(self._m)
        size = self.batch_size
        assert size is not None
        for start in range(0, len(self) * size, size):
            index = order[start : start + size]
            yield (
                np.take(self.X, index, axis=self._x_axis),
                np.take(self.Y, index, axis=self._y_axis),
            )


_MISSING: Any = object()
_COURSE_ONLY = ("seed", "layout")
_DATASET_ONLY = (
    "dataset sampler batch_sampler num_workers collate_fn pin_memory timeout worker_init_fn "
    "multiprocessing_context generator prefetch_factor persistent_workers pin_memory_device "
    "in_order"
).split()


def _course_form(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether a DataLoader call is the course's form (two arrays); refuse mixed calls."""
    second = args[1] if len(args) > 1 else kwargs.get("Y", _MISSING)
    course = second is not _MISSING and not (
        second is None or isinstance(second, (int, float, np.number, np.bool_))
    )
    first = args[0] if args else kwargs.get("X", kwargs.get("dataset", _MISSING))
    if course:
        for value in (first, second):
            if isinstance(value, Dataset):
                raise TypeError(
                    f"DataLoader: got a dataset ({type(value).__name__}) with a second "
                    f"argument of type {type(second).__name__}; PyTorch's form takes the "
                    "batch_size (an int or None) second, DataLoader(dataset, batch_size, ...), "
                    "and the course's form two arrays, DataLoader(X, Y, ...)"
                )
        wrong = [key for key in kwargs if key in _DATASET_ONLY]
        if wrong:
            raise TypeError(
                f"DataLoader: {wrong[0]}= is an argument of the form DataLoader(dataset, ...); "
                "DataLoader(X, Y, ...) takes batch_size, shuffle, seed, drop_last and layout"
            )
        return True
    wrong = [key for key in kwargs if key in _COURSE_ONLY or key in ("X", "Y")]
    if wrong:
        raise TypeError(
            f"DataLoader: {wrong[0]}= is an argument of the form DataLoader(X, Y, ...), which "
            "needs the second array Y; DataLoader(dataset, ...) takes generator= for its "
            "random order"
        )
    if first is _MISSING:
        raise TypeError("DataLoader: missing the dataset (or the arrays X and Y)")
    if isinstance(first, (np.ndarray, Tensor)):
        raise TypeError(
            f"DataLoader: got one array of shape {tuple(first.shape)} and no Y. "
            "DataLoader(X, Y, ...) batches two arrays (samples along the last axis with "
            "layout='columns'); PyTorch's form needs a dataset: wrap the arrays as "
            "TensorDataset(X, ...) (samples along dimension 0)"
        )
    return False


def random_mini_batches(
    X: ArrayLike, Y: ArrayLike, mini_batch_size: int = 64, seed: int = 0
) -> list[Batch]:
    """The course's mini-batches in the course's order, so that its published runs reproduce.

    The columns are shuffled by ``np.random.RandomState(seed).permutation(m)`` — the stream of
    the course's ``np.random.seed(seed); np.random.permutation(m)``, without touching NumPy's
    global state — and cut in order into ⌊m / size⌋ batches of ``mini_batch_size`` columns,
    then one batch of the m mod size remaining columns if there are any. The course reshuffles
    every epoch with a new seed (10 + epoch in its optimisation notebook).

    Args:
        X: Inputs of shape (n_x, m), examples as columns.
        Y: Labels of shape (n_y, m).
        mini_batch_size: Columns per batch, >= 1.
        seed: Seed of the legacy ``RandomState``, in [0, 2**32 − 1].

    Returns:
        A list of ``(mini_batch_X, mini_batch_Y)``, of shapes (n_x, size) and (n_y, size).

    Raises:
        TypeError: If mini_batch_size or seed is not an int.
        ValueError: If X or Y is not 2-D, their column counts differ, mini_batch_size < 1, or
            the seed is out of range.
    """
    func = "random_mini_batches"
    X_array, Y_array = _as_array("X", X, func), _as_array("Y", Y, func)
    if X_array.ndim != 2 or Y_array.ndim != 2:
        raise ValueError(
            f"{func}: X and Y must be 2-D, (n_x, m) and (n_y, m); got shapes {X_array.shape} "
            f"and {Y_array.shape}"
        )
    _, _, m = _sample_counts(X_array, Y_array, "columns", func)
    size = check_int("mini_batch_size", mini_batch_size, minimum=1, func=func)
    seed = check_int("seed", seed, minimum=0, func=func)
    if seed >= 2**32:
        raise ValueError(f"{func}: seed must be < 2**32, got {seed}")
    rs = getattr(_legacy, "state", None)
    if rs is None:
        rs = _legacy.state = np.random.RandomState()
    rs.seed(seed)
    order = rs.permutation(m)
    shuffled_X, shuffled_Y = X_array[:, order], Y_array[:, order]
    return [(shuffled_X[:, k : k + size], shuffled_Y[:, k : k + size]) for k in range(0, m, size)]
