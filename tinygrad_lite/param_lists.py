"""Containers of Parameters: ParameterList and ParameterDict, as PyTorch's (in `nn`).

Their entries are registered on the container itself, under the names "0", "1", ... (a list)
or the keys (a dict), so that `parameters()`, `state_dict()` and optimizers see them as PyTorch
does. A Tensor that is not a Parameter is made one (sharing its array); any other value (a
number, None, a NumPy array) is kept as a plain entry, which is no weight, as in PyTorch.

>>> import numpy as np
>>> from tinygrad_lite import nn
>>> weights = nn.ParameterList([nn.Parameter(np.ones(2)), nn.Parameter(np.zeros(3))])
>>> list(weights.state_dict())
['0', '1']
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, overload

import numpy as np

from .module import Module, Parameter
from .module_state import check_name
from .tensor import Tensor

__all__ = ["ParameterDict", "ParameterList"]


def _as_entry(value: Any) -> Any:
    """A Tensor as a Parameter (the same array); a Parameter or any other value as it is."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


def _describe(value: Any) -> str:
    """One entry as the containers' repr shows it."""
    if isinstance(value, Tensor):
        kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
        size = "x".join(str(s) for s in value.shape) or "()"
        return f"{kind} containing: [{value.dtype} of size {size}]"
    return f"Object of type: {type(value).__name__}"


class _Entries(Module):
    """What the two containers share: they are never called, and list their entries."""

    def _labels(self) -> list[str]:
        raise NotImplementedError

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Refuse: a container of parameters is indexed, not called."""
        raise RuntimeError(
            f"{type(self).__name__} should not be called; index it to use its parameters"
        )

    def extra_repr(self) -> str:
        """One line per entry: its name and its kind, dtype and size."""
        return "\n".join(f"({k}): {_describe(getattr(self, k))}" for k in self._labels())

    def __repr__(self) -> str:
        lines = self.extra_repr()
        head = type(self).__name__
        return f"{head}(\n  " + lines.replace("\n", "\n  ") + "\n)" if lines else f"{head}()"


class ParameterList(_Entries):
    """A list of Parameters registered under the names "0", "1", ..., as PyTorch's.

    Indexing, `len`, iteration, `append`, `extend` and `+=` work as on a list; a negative index
    counts from the end and a slice gives a new ParameterList of the same Parameters. Tensors
    are made Parameters; other values are kept as plain entries (no weight).

    Args:
        values: an iterable of Parameters (or Tensors, or other values).

    Raises:
        TypeError: values is not an iterable (or is a single Tensor).

    >>> import numpy as np
    >>> from tinygrad_lite import nn, Tensor
    >>> params = nn.ParameterList([Tensor(np.ones(2))])
    >>> params.append(nn.Parameter(np.zeros((2, 3))))
    ParameterList(
      (0): Parameter containing: [float64 of size 2]
      (1): Parameter containing: [float64 of size 2x3]
    )
    """

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        self.__dict__["_size"] = 0
        if values is not None:
            self.extend(values)

    def _labels(self) -> list[str]:
        return [str(i) for i in range(len(self))]

    def _position(self, idx: Any) -> str:
        """The name of the entry at `idx` (an int, negative from the end)."""
        if isinstance(idx, bool) or not isinstance(idx, (int, np.integer)):
            raise TypeError(
                f"ParameterList indices must be ints or slices, got {type(idx).__name__} {idx!r}"
            )
        n = len(self)
        if not -n <= idx < n:
            raise IndexError(f"ParameterList index {idx} is out of range for length {n}")
        return str(int(idx) % n)

    @overload
    def __getitem__(self, idx: int) -> Any: ...

    @overload
    def __getitem__(self, idx: slice) -> ParameterList: ...

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return type(self)(list(self)[idx])
        return getattr(self, self._position(idx))

    def __setitem__(self, idx: int, value: Any) -> None:
        setattr(self, self._position(idx), _as_entry(value))

    def __len__(self) -> int:
        size: int = self.__dict__["_size"]
        return size

    def __iter__(self) -> Iterator[Any]:
        return iter([getattr(self, k) for k in self._labels()])

    def __iadd__(self, values: Iterable[Any]) -> ParameterList:
        return self.extend(values)

    def append(self, value: Any) -> ParameterList:
        """Add an entry at the end (a Tensor becomes a Parameter); return self."""
        name = str(len(self))
        setattr(self, name, _as_entry(value))  # registered before the length grows
        self.__dict__["_size"] += 1
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Append each entry of an iterable; return self.

        Raises:
            TypeError: values is not an iterable, or is a single Tensor.
        """
        if isinstance(values, Tensor) or not isinstance(values, Iterable):
            raise TypeError(
                f"ParameterList.extend: expected an iterable of entries, got "
                f"{type(values).__name__}"
            )
        for v in values:
            self.append(v)
        return self


class ParameterDict(_Entries):
    """Parameters under string keys, in insertion order, as PyTorch's `nn.ParameterDict`.

    Each key is the entry's name in `named_parameters()` and `state_dict()`. The dict methods
    work (`[]`, `in`, `len`, iteration over the keys, keys, values, items, get, pop, popitem,
    setdefault, update, clear, copy, fromkeys, `|` and `|=`). As in PyTorch, a plain dict
    given to the constructor or to `update` is added in sorted key order (an OrderedDict, a
    ParameterDict or a sequence of pairs keeps its order). Tensors are made Parameters; other
    values are kept as plain entries (no weight).

    Args:
        parameters: a mapping of keys to Parameters, or an iterable of (key, value) pairs.

    Raises:
        TypeError: a key that is not a str, or an argument that is neither a mapping nor
            pairs.
        KeyError: a key that is empty, holds a dot, or names an attribute of the class (a
            method).
        ValueError: a pair that does not have two elements.

    >>> import numpy as np
    >>> from tinygrad_lite import nn
    >>> heads = nn.ParameterDict({"scale": nn.Parameter(np.ones(2)), "bias": np.zeros(2)})
    >>> list(heads), list(heads.state_dict())
    (['bias', 'scale'], ['scale'])
    """

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        self.__dict__["_keys"] = {}
        if parameters is not None:
            self.update(parameters)

    def _labels(self) -> list[str]:
        return list(self.__dict__["_keys"])

    def _check_key(self, key: Any) -> str:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict: keys must be str, got {type(key).__name__} {key!r}")
        check_name("ParameterDict", "Parameter", key)
        if key not in self.__dict__["_keys"] and (hasattr(type(self), key) or key in self.__dict__):
            raise KeyError(
                f"ParameterDict: key {key!r} is already an attribute of ParameterDict (a "
                "method or an internal name); choose another key"
            )
        return key

    def __getitem__(self, key: str) -> Any:
        if key not in self:
            raise KeyError(f"ParameterDict has no key {key!r}; its keys are {self._labels()}")
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        key = self._check_key(key)
        setattr(self, key, _as_entry(value))  # refused before the key is added, if it is
        self.__dict__["_keys"][key] = None

    def __delitem__(self, key: str) -> None:
        self[key]  # noqa: B018 - raises a KeyError that names the keys
        del self.__dict__["_keys"][key]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self.__dict__["_keys"])

    def __iter__(self) -> Iterator[str]:
        return iter(self._labels())

    def __reversed__(self) -> Iterator[str]:
        return reversed(self._labels())

    def __contains__(self, key: object) -> bool:
        return key in self.__dict__["_keys"]

    def keys(self) -> list[str]:
        """The keys, in insertion order."""
        return self._labels()

    def values(self) -> list[Any]:
        """The entries, in insertion order."""
        return [getattr(self, k) for k in self._labels()]

    def items(self) -> list[tuple[str, Any]]:
        """(key, entry) pairs, in insertion order."""
        return [(k, getattr(self, k)) for k in self._labels()]

    def get(self, key: str, default: Any = None) -> Any:
        """The entry under `key`, or `default` if there is none."""
        return self[key] if key in self else default

    def pop(self, key: str) -> Any:
        """Remove the entry under `key` and return it (a KeyError if there is none)."""
        value = self[key]
        del self[key]
        return value

    def popitem(self) -> tuple[str, Any]:
        """Remove the last entry added and return it as (key, entry)."""
        if not len(self):
            raise KeyError("ParameterDict.popitem: the dict is empty")
        key = self._labels()[-1]
        return key, self.pop(key)

    def setdefault(self, key: str, default: Any = None) -> Any:
        """The entry under `key`, after setting it to `default` if there was none."""
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        """Remove every entry."""
        for key in self._labels():
            del self[key]

    def copy(self) -> ParameterDict:
        """A new ParameterDict holding the same entries (the Parameters are shared)."""
        return ParameterDict(OrderedDict(self.items()))

    def fromkeys(self, keys: Iterable[str], default: Any = None) -> ParameterDict:
        """A new ParameterDict with each of `keys` holding `default` (the same object)."""
        return ParameterDict((k, default) for k in keys)

    def __or__(self, other: Any) -> ParameterDict:
        """A copy of this dict updated with `other`'s entries (`update`'s rules)."""
        out = self.copy()
        out.update(other)
        return out

    def __ror__(self, other: Any) -> Any:
        """A copy of `other` (a dict stays a dict) updated with this dict's entries."""
        out = other.copy()
        out.update(self)
        return out

    def __ior__(self, other: Any) -> ParameterDict:
        self.update(other)
        return self

    def update(self, parameters: Any) -> None:
        """Add or replace the entries of a mapping or of (key, value) pairs.

        A plain dict is added in sorted key order, as PyTorch adds it.

        Raises:
            TypeError: not a mapping or an iterable of pairs, or a key that is not a str.
            ValueError: a pair that does not have two elements.
        """
        pairs: list[tuple[Any, Any]]
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            pairs = list(parameters.items())
        elif isinstance(parameters, Mapping):
            for key in parameters:
                if not isinstance(key, str):
                    raise TypeError(
                        f"ParameterDict: keys must be str, got {type(key).__name__} {key!r}"
                    )
            pairs = sorted(parameters.items(), key=lambda kv: kv[0])
        elif isinstance(parameters, Iterable) and not isinstance(parameters, (str, Tensor)):
            pairs = []
            for i, pair in enumerate(parameters):
                if not isinstance(pair, Iterable) or isinstance(pair, str):
                    raise TypeError(
                        f"ParameterDict.update: element #{i} must be a (key, value) pair, got "
                        f"{type(pair).__name__}"
                    )
                pair = tuple(pair)
                if len(pair) != 2:
                    raise ValueError(
                        f"ParameterDict.update: element #{i} has {len(pair)} elements; a (key, "
                        "value) pair is required"
                    )
                pairs.append(pair)
        else:
            raise TypeError(
                "ParameterDict.update: expected a mapping or an iterable of (key, value) pairs, "
                f"got {type(parameters).__name__}"
            )
        for key, value in pairs:
            self[key] = value
