"""PyTorch's default_collate and default_convert: samples gathered into batches of Tensors."""

from __future__ import annotations

import collections.abc
import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .creation import as_tensor, tensor
from .fn_tensors import stack
from .tensor import Tensor

__all__ = ["default_collate", "default_convert"]

_NOT_NUMERIC = "SaUO"  # NumPy dtypes of strings and objects (PyTorch's pattern on dtype.str)
_FOUND = "{func}: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {what}"
_REAL = (bool, int, float, np.bool_, np.integer, np.floating)


def _is_text(value: object) -> bool:
    return isinstance(value, (str, bytes))


def _text_dtype(array: np.ndarray) -> bool:
    return any(kind in array.dtype.str for kind in _NOT_NUMERIC)


def _stack_tensors(batch: Sequence[Any], func: str) -> Tensor:
    """``torch.stack(batch, 0)``: a new Tensor with the batch as its first dimension."""
    first: Tensor = batch[0]
    for i, t in enumerate(batch):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{func}: entry 0 of the batch is a Tensor, so every entry must be one; "
                f"entry {i} is a {type(t).__name__}"
            )
        if t.shape != first.shape:
            raise RuntimeError(
                f"{func}: the tensors of a batch must have one shape to be stacked, got "
                f"{first.shape} at entry 0 and {t.shape} at entry {i}"
            )
    if any(t.requires_grad for t in batch) or any(t.dtype != first.dtype for t in batch):
        return stack(batch)  # in the graph, and with the library's dtype promotion
    return Tensor(np.stack([t.data for t in batch]))


def _numbers(batch: Sequence[Any], func: str, dtype: type | None) -> Tensor:
    """A 1-D Tensor of Python (or NumPy) numbers: float64 for floats, as PyTorch's collate."""
    for i, value in enumerate(batch):
        if not isinstance(value, _REAL):
            raise TypeError(
                f"{func}: entry 0 of the batch is a {type(batch[0]).__name__}, so every entry "
                f"must be a real number; entry {i} is {type(value).__name__} {value!r}"
            )
    try:
        return tensor(list(batch), dtype=dtype)
    except (TypeError, ValueError, OverflowError) as error:
        raise TypeError(f"{func}: the numbers of the batch do not fit a tensor: {error}") from None


def _numpy_scalars(batch: Sequence[Any], func: str) -> Tensor:
    array = np.array(list(batch))
    if _text_dtype(array) or array.dtype.kind == "c":
        raise TypeError(_FOUND.format(func=func, what=f"NumPy scalars of dtype {array.dtype}"))
    return Tensor(array)


def _collate(batch: Sequence[Any], func: str) -> Any:
    if len(batch) == 0:
        raise ValueError(f"{func}: the batch is empty")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack_tensors(batch, func)
    if isinstance(elem, np.ndarray):
        if _text_dtype(elem):
            raise TypeError(_FOUND.format(func=func, what=f"arrays of dtype {elem.dtype}"))
        return _stack_tensors([as_tensor(b) for b in batch], func)
    if isinstance(elem, (np.bool_, np.number, np.object_)):
        return _numpy_scalars(batch, func)
    if isinstance(elem, float):
        return _numbers(batch, func, np.float64)
    if isinstance(elem, int):  # bools too: all bools give a bool tensor, as in PyTorch
        return _numbers(batch, func, None)
    if _is_text(elem):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        for i, d in enumerate(batch):
            missing = [key for key in elem if key not in d]
            if missing:
                raise KeyError(f"{func}: entry {i} of the batch has no key {missing[0]!r}")
        return _rebuild_mapping(
            elem, {key: _collate([d[key] for d in batch], func) for key in elem}
        )
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
        return type(elem)(*(_collate(samples, func) for samples in zip(*batch, strict=False)))
    if isinstance(elem, collections.abc.Sequence):
        for i, sample in enumerate(batch):
            if len(sample) != len(elem):
                raise RuntimeError(
                    f"{func}: each element in list of batch should be of equal size; entry 0 "
                    f"has {len(elem)} elements and entry {i} has {len(sample)}"
                )
        collated = [_collate(samples, func) for samples in zip(*batch, strict=True)]
        return collated if isinstance(elem, tuple) else _rebuild_sequence(elem, collated)
    raise TypeError(_FOUND.format(func=func, what=type(elem)))


def _rebuild_mapping(elem: collections.abc.Mapping[Any, Any], values: dict[Any, Any]) -> Any:
    """A mapping of ``elem``'s type holding ``values``, or a dict where the type cannot."""
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(values)
            return clone
        return type(elem)(values)  # type: ignore[call-arg]
    except TypeError:
        return values


def _rebuild_sequence(elem: Sequence[Any], values: list[Any]) -> Any:
    """A sequence of ``elem``'s type holding ``values``, or a list where the type cannot."""
    try:
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, value in enumerate(values):
                clone[i] = value
            return clone
        return type(elem)(values)  # type: ignore[call-arg]
    except TypeError:
        return values


def default_collate(batch: Sequence[Any]) -> Any:
    """A list of samples as one batch, PyTorch's ``default_collate``, structure by structure.

    What the first sample is decides (the others must match it):

    - a Tensor: the samples stacked into a new Tensor of shape (B, *sample shape), in the
      graph when one requires grad; mixed dtypes are promoted by the library's rule;
    - a NumPy array: each made a Tensor (``as_tensor``), then stacked; arrays of strings or
      objects are refused;
    - a NumPy scalar: a 1-D Tensor of the batch (``np.array(batch)``'s dtype);
    - a Python float: a float64 Tensor, as PyTorch (float64 for Python floats here);
    - a Python int: an int64 Tensor; all bools: a bool Tensor (an int first with floats after
      gives the library's default float, float64, where PyTorch gives its default float32);
    - a str or bytes: the batch itself, a list of strings;
    - a mapping: the same type, each key's values collated; a namedtuple: the same type,
      field by field; a tuple: a list, position by position; a list or other sequence: the
      same type, position by position. The samples' lengths must agree.

    Args:
        batch: The samples, a non-empty sequence.

    Returns:
        The collated batch.

    Raises:
        RuntimeError: If tensors or sequences of the batch differ in size.
        TypeError: If an entry is of another kind than the first, or of a kind that cannot be
            collated (None, an array of strings, ...).
        KeyError: If a mapping lacks a key of the first one.
        ValueError: If the batch is empty.

    Example:
        >>> default_collate([(1.0, 2), (3.0, 4)])
        [Tensor([1., 3.]), Tensor([2, 4])]
        >>> default_collate([{"x": "a"}, {"x": "b"}])
        {'x': ['a', 'b']}
    """
    return _collate(batch, "default_collate")


def _convert(data: Any) -> Any:
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)) and not isinstance(data, (str, bytes)):
        if isinstance(data, np.ndarray) and _text_dtype(data):
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: _convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a namedtuple
        return type(data)(*(_convert(d) for d in data))
    if isinstance(data, tuple):
        return [_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not _is_text(data):
        return _rebuild_sequence(data, [_convert(d) for d in data])
    return data


def default_convert(data: Any) -> Any:
    """One sample with its NumPy arrays made Tensors, PyTorch's ``default_convert``.

    The collate function of a DataLoader with ``batch_size=None``: NumPy arrays and scalars
    become Tensors (``as_tensor``, sharing the array's memory), Tensors, numbers and strings
    stay as they are, and mappings, namedtuples, tuples (which become lists) and lists are
    converted element by element. Arrays of strings or objects are left as they are.

    Args:
        data: One sample.

    Returns:
        The converted sample.

    Example:
        >>> default_convert((np.arange(2), 3, "a"))
        [Tensor([0, 1]), 3, 'a']
    """
    return _convert(data)


CollateFn = Callable[[Any], Any]
