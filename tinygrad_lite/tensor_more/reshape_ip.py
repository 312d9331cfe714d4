"""In-place shape changes of a Tensor: squeeze_, unsqueeze_, t_, transpose_, swapdims_, resize_.

Each method changes the tensor's own shape and returns the tensor itself, as PyTorch's do:

- **Recorded** (grad mode on and the tensor requires grad): a leaf that requires grad is
  refused, as PyTorch refuses it; a result of ops takes the out-of-place result's values and
  its place in the graph (`y.t_()` is `y = y.t()` that keeps the object), so gradients of
  every order flow through it.
- **Not recorded** (grad mode off, or nothing requires grad): the tensor's array becomes a
  view of itself with the new shape, so its memory stays shared with what shared it. A result
  of ops that requires grad is refused here (its graph expects its old shape: PyTorch lets it
  change and a later backward fails), and so is a leaf whose `.grad` would keep the old
  shape.
- Either way the change counts as a write (the tensor's version moves on): a graph that saved
  the tensor's values before refuses to backpropagate, as PyTorch's version counter makes it.

`resize_(*sizes)` gives the tensor `sizes`, keeping its first elements in row-major order, as
PyTorch's does on a contiguous tensor. It refuses a tensor that requires grad (in any grad
mode, as PyTorch). Shrinking keeps the memory, so growing back within it brings the old
values back (PyTorch's storage); elements beyond it are zeros, where PyTorch leaves them
uninitialized. A tensor whose array is not C-contiguous is refused: PyTorch would reread its
storage in memory order, which the arrays here need not share.

>>> from tinygrad_lite import arange
>>> x = arange(6.0)
>>> x.resize_(2, 2) is x, x.tolist()
(True, [[0.0, 1.0], [2.0, 3.0]])
>>> x.resize_(6).tolist(), x.unsqueeze_(0).shape
([0.0, 1.0, 2.0, 3.0, 4.0, 5.0], (1, 6))
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import autograd, tracing, written

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["TensorReshapeInPlaceMethods"]

# id(tensor) -> (the flat memory resize_ gave it, the array it set): what a later resize_ may
# grow back into, while the tensor still holds that array. The entry goes with the tensor.
_storages: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _refuse_traced(t: Tensor, what: str) -> None:
    tracer = tracing.current
    if tracer is not None and tracer.active():
        raise tracing.TraceError(
            f"compile: {what} changes the shape of a tensor (shape {t.data.shape}) in place, "
            "which a replay cannot repeat; use the out-of-place method (x = x.t())"
        )


def _sizes(args: tuple[Any, ...], what: str) -> tuple[int, ...]:
    """PyTorch's size arguments: ints, or one sequence of ints."""
    if not args:
        raise TypeError(f"{what}: missing the sizes (give ints, or () for a 0-d tensor)")
    if len(args) == 1 and isinstance(args[0], (Sequence, np.ndarray)):
        args = tuple(args[0])
    out = []
    for v in args:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{what}: sizes must be ints, got {v!r} in {args!r}")
        out.append(int(v))
    if any(v < 0 for v in out):
        raise ValueError(f"{what}: sizes must be >= 0, got {tuple(out)}")
    return tuple(out)


def _check_format(memory_format: Any, what: str) -> None:
    if memory_format is not None and str(memory_format) != "torch.contiguous_format":
        raise ValueError(
            f"{what}: memory_format {memory_format!r} is not supported; arrays here have one "
            "layout, C order (torch.contiguous_format)"
        )


class TensorReshapeInPlaceMethods:
    """In-place shape methods of `Tensor` (see the module's docstring for the rules)."""

    __slots__ = ()

    if TYPE_CHECKING:
        data: np.ndarray
        _ctx: Any
        _grad: Any
        _requires_grad: bool

        def squeeze(self, dim: Any = None) -> Tensor: ...  # noqa: D102
        def unsqueeze(self, dim: int) -> Tensor: ...  # noqa: D102
        def transpose(self, dim0: int, dim1: int) -> Tensor: ...  # noqa: D102
        def t(self) -> Tensor: ...  # noqa: D102

    def _reshape_(self, what: str, op: Callable[[Tensor], Tensor]) -> Tensor:
        """Give self the shape (and values) of `op(self)`, with the rules of the module."""
        t: Tensor = self  # type: ignore[assignment]
        _refuse_traced(t, what)
        if autograd.is_grad_enabled() and t._requires_grad:
            written.refuse_grad_leaf(t, what)
            result = op(t)
            written.mark(t)  # the values a graph saved before now have another shape
            t.data, t._ctx = result.data, result._ctx
            written.mark(t)
            return t
        if t._ctx is not None:
            raise RuntimeError(
                f"{what}: the tensor (shape {t.data.shape}) is the result of ops that require "
                "grad, and with gradients off its graph would keep its old shape (a later "
                f"backward would fail); call {what} with gradients on, or on a .detach()ed tensor"
            )
        with autograd.no_grad():
            new = op(t).data
        if t._grad is not None and new.shape != t.data.shape:
            raise RuntimeError(
                f"{what}: the tensor's .grad has its old shape {t._grad.shape}, which would "
                f"not fit the new shape {new.shape}; set .grad = None first"
            )
        written.mark(t)
        t.data = new
        written.mark(t)
        return t

    def squeeze_(self, dim: Any = None) -> Tensor:
        """`squeeze(dim)` in place: drop the size-1 dims (all of them, or those of `dim`)."""
        return self._reshape_("squeeze_", lambda a: a.squeeze(dim))

    def unsqueeze_(self, dim: int) -> Tensor:
        """`unsqueeze(dim)` in place: insert a size-1 dim at `dim`."""
        return self._reshape_("unsqueeze_", lambda a: a.unsqueeze(dim))

    def t_(self) -> Tensor:
        """`t()` in place: transpose a matrix (a 0-D or 1-D tensor stays as it is)."""
        return self._reshape_("t_", lambda a: a.t())

    def transpose_(self, dim0: int, dim1: int) -> Tensor:
        """`transpose(dim0, dim1)` in place: swap two dimensions."""
        return self._reshape_("transpose_", lambda a: a.transpose(dim0, dim1))

    def swapdims_(self, dim0: int, dim1: int) -> Tensor:
        """Same as `transpose_(dim0, dim1)`."""
        return self._reshape_("swapdims_", lambda a: a.transpose(dim0, dim1))

    def swapaxes_(self, axis0: int, axis1: int) -> Tensor:
        """Same as `transpose_(axis0, axis1)` (NumPy's name)."""
        return self._reshape_("swapaxes_", lambda a: a.transpose(axis0, axis1))

    def resize_(self, *sizes: Any, memory_format: Any = None) -> Tensor:
        """Give the tensor the shape `sizes`, keeping its first n = ∏ sizes elements.

        The elements are read in row-major order; shrinking keeps the memory (growing back
        within it restores the old values), and elements beyond it are 0. Not recorded for
        backward.

        Raises:
            RuntimeError: the tensor requires grad (as PyTorch), or its array is not
                C-contiguous (PyTorch would read its storage in memory order).
            TypeError, ValueError: sizes that are not non-negative ints.
        """
        _check_format(memory_format, "resize_")
        shape = _sizes(sizes, "resize_")
        t: Tensor = self  # type: ignore[assignment]
        if t._requires_grad:
            raise RuntimeError(
                f"resize_: cannot resize a tensor that requires grad (shape {t.data.shape}), "
                "as PyTorch; resize a .detach()ed tensor, or build a new one"
            )
        _refuse_traced(t, "resize_")
        data = t.data
        entry = _storages.get(id(t))
        if entry is not None and entry[1] is data:
            storage = entry[0]
        elif data.flags.c_contiguous:
            storage = data.reshape(-1)
        else:
            raise RuntimeError(
                f"resize_: the tensor's array (shape {data.shape}) is not C-contiguous, and "
                "PyTorch would reread its memory in storage order; resize a copy "
                "(x = x.clone()) instead"
            )
        n = math.prod(shape)
        if n > storage.size:
            grown = np.zeros(n, data.dtype)
            grown[: storage.size] = storage
            storage = grown
        new = storage[:n].reshape(shape)
        written.mark(t)
        t.data = new
        written.mark(t)
        if entry is None:
            weakref.finalize(t, _storages.pop, id(t), None)
        _storages[id(t)] = (storage, new)
        return t

    def resize_as_(self, other: Any, memory_format: Any = None) -> Tensor:
        """`resize_(other.shape)`: give the tensor `other`'s shape (its dtype stays)."""
        if not hasattr(other, "_ctx"):
            raise TypeError(f"resize_as_: other must be a Tensor, got {type(other).__name__}")
        _check_format(memory_format, "resize_as_")
        return self.resize_(tuple(other.shape))
