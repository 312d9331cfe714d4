"""Mini-batches of NumPy arrays: a DataLoader, and the course's random_mini_batches."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import rng

__all__ = ["DataLoader", "random_mini_batches"]

# One legacy RandomState per thread, reseeded on each call: the same stream as a new
# RandomState(seed), whose construction costs 20 times the reseeding (130 µs against 7 µs).
_legacy = threading.local()

Batch = tuple[NDArray[Any], NDArray[Any]]
LAYOUTS = ("columns", "rows")


def _check_int(name: str, value: object, minimum: int, func: str) -> int:
    """Return ``value`` as an int, or raise if it is not an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{func}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{func}: {name} must be >= {minimum}, got {value}")
    return int(value)


def _check_bool(name: str, value: object, func: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{func}: {name} must be a bool, got {type(value).__name__} {value!r}")
    return bool(value)


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


class DataLoader:
    """Mini-batches ``(X_batch, Y_batch)`` of two arrays, one pass over the samples an epoch.

    With ``layout="columns"`` (the course's) the samples are the last axis: X is (n_x, m) and Y
    is (n_y, m) or (m,). With ``layout="rows"`` (PyTorch's) they are the first axis: X is
    (m, n_x) and Y is (m, n_y) or (m,). Every iteration over the loader is one epoch: the
    samples are taken in order, or, with ``shuffle``, in a fresh random order drawn from a
    ``np.random.Generator`` (``rng.permutation(m)`` per epoch), and cut into consecutive batches
    of ``batch_size``; the last, smaller batch is kept unless ``drop_last``. The same seed gives
    the same sequence of epochs. The batches are new NumPy arrays (the data is not changed);
    convert them to Tensors where the model needs them.

    Args:
        X: Inputs, samples along the last axis ("columns") or the first ("rows").
        Y: Targets with the same number of samples along the same kind of axis.
        batch_size: Samples per batch, >= 1.
        shuffle: Whether each epoch visits the samples in a new random order.
        seed: An int >= 0 seeding ``np.random.default_rng``, a ``np.random.Generator`` to draw
            from, or None for the library's default generator (`tinygrad_lite.manual_seed`).
        drop_last: Whether to leave out the last batch when it is smaller than ``batch_size``.
        layout: "columns" or "rows".

    Raises:
        TypeError: If a count is not an int, a flag not a bool, the seed of another type, or
            an array not numeric (bool, integer, float or complex).
        ValueError: If batch_size < 1, the layout is unknown, an array is a scalar or ragged,
            or X and Y hold different numbers of samples.

    Example:
        >>> X, Y = np.arange(10.0).reshape(2, 5), np.array([[0, 1, 0, 1, 1]])
        >>> loader = DataLoader(X, Y, batch_size=2)
        >>> len(loader), [xb.shape for xb, _ in loader]
        (3, [(2, 2), (2, 2), (2, 1)])
    """

    def __init__(
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
        self.batch_size = _check_int("batch_size", batch_size, 1, func)
        self.shuffle = _check_bool("shuffle", shuffle, func)
        self.drop_last = _check_bool("drop_last", drop_last, func)
        self.layout = layout
        if isinstance(seed, np.random.Generator):
            self._rng = seed
        elif seed is None:
            self._rng = rng.default_generator  # reproducible after manual_seed, as in PyTorch
        else:
            self._rng = np.random.default_rng(_check_int("seed", seed, 0, func))

    @property
    def num_samples(self) -> int:
        """The number of samples m."""
        return self._m

    def __len__(self) -> int:
        """The number of batches an epoch: ⌈m / batch_size⌉, or ⌊m / batch_size⌋ with drop_last."""
        if self.drop_last:
            return self._m // self.batch_size
        return -(-self._m // self.batch_size)

    def __iter__(self) -> Iterator[Batch]:
        """One epoch of batches, in order or in a fresh random order."""
        order = self._rng.permutation(self._m) if self.shuffle else np.arange(self._m)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            index = order[start : start + self.batch_size]
            yield (
                np.take(self.X, index, axis=self._x_axis),
                np.take(self.Y, index, axis=self._y_axis),
            )


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
    size = _check_int("mini_batch_size", mini_batch_size, 1, func)
    seed = _check_int("seed", seed, 0, func)
    if seed >= 2**32:
        raise ValueError(f"{func}: seed must be < 2**32, got {seed}")
    rs = getattr(_legacy, "state", None)
    if rs is None:
        rs = _legacy.state = np.random.RandomState()
    rs.seed(seed)
    order = rs.permutation(m)
    shuffled_X, shuffled_Y = X_array[:, order], Y_array[:, order]
    return [(shuffled_X[:, k : k + size], shuffled_Y[:, k : k + size]) for k in range(0, m, size)]
