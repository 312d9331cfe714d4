"""In-place arithmetic, fills, copies and item assignment, with PyTorch's rules.

`p -= lr * p.grad` under `no_grad()`, `x[mask] = 0`, `g.zero_()`: each changes the tensor
itself, so every other name for it (a module's parameter, an optimizer's list, a view of its
array) sees the new values, as in PyTorch. The rules:

- **Not recorded** (grad mode off, or no operand requires grad): the result is what the
  out-of-place op computes, written into the tensor's array and cast to its dtype. The write
  is stamped (`written.mark`), so a backward whose graph saved the old values refuses.
- **A leaf that requires grad** cannot be changed while gradients are recorded (PyTorch
  refuses too): update parameters inside `with no_grad():`.
- **Recorded** (grad mode on and an operand requires grad, `+=` and the like only): the tensor
  takes the out-of-place result, its values and its place in the graph, as `y = y + x` would,
  and stays the same object. Its old array is not written, so arrays that shared it (a view
  taken before, a NumPy array it wraps) keep the old values, where PyTorch writes into the
  shared memory; fills, copies and item assignment are not recorded and refuse.
- The result keeps the tensor's shape (`x += y` never broadcasts `x`), and `+=` and friends
  cast it by PyTorch's rule: no floating-point result into an integer tensor, nothing but
  bool into a bool tensor. `fill_`, `copy_` and item assignment cast as NumPy's assignment
  does (a float written into an integer tensor is truncated), as PyTorch's `copy_` does; a
  number written by a fill or an item assignment must fit the dtype (`dtypes.checked_fill`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from . import anomaly, autograd, dtypes, rng, tracing, written
from .shapes import split_index
from .tensor_shape import index_arg

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["TensorInPlaceMethods", "check_inplace", "maybe_in_place"]


def _can_cast(src: np.dtype[Any], dst: np.dtype[Any]) -> bool:
    """PyTorch's rule for writing a result of dtype `src` into a tensor of dtype `dst`."""
    if src.kind == "c" and dst.kind != "c":
        return False
    if src.kind in "fc" and dst.kind in "iub":
        return False
    return not (src.kind != "b" and dst.kind == "b")


def _is_tensor(x: Any) -> bool:
    return hasattr(x, "_ctx")


def _records(t: Tensor, other: Any) -> bool:
    """Whether an in-place op on `t` with `other` would be recorded for backward."""
    return autograd.is_grad_enabled() and (
        t._requires_grad or (_is_tensor(other) and other._requires_grad)
    )


def _check_shape(t: Tensor, shape: tuple[int, ...], what: str) -> None:
    if shape != t.data.shape:
        raise ValueError(
            f"{what}: the result has shape {shape}, the tensor {t.data.shape}; an in-place op "
            "keeps the tensor's shape (write `x = x + y` for a broadcast result)"
        )


def _check_cast(src: np.dtype[Any], t: Tensor, what: str) -> None:
    if not _can_cast(src, t.data.dtype):
        raise TypeError(
            f"{what}: the result's dtype {src} cannot be written into a tensor of dtype "
            f"{t.data.dtype} in place (PyTorch's rule: no floating-point result into an "
            "integer tensor, nothing but bool into a bool tensor); write `x = x ...` for a new "
            "tensor, or cast"
        )


def _traced_origin(t: Tensor, what: str, recorded: bool) -> None:
    """Refuse, while a step is compiled, what a replay could not repeat as eager does it.

    A recorded op may only change a tensor an op of the step made (its replay recomputes it);
    no in-place op may change a tensor the step's own code made (`Tensor(...)`), whose array
    is a constant of the plan and would carry each replay's change into the next.
    """
    tracer = tracing.current
    if tracer is None or not tracer.active():
        return
    origin = tracer.origin(t)
    if origin == "step" or (recorded and origin != "op"):
        made = "the step made with Tensor(...)" if origin == "step" else "the step was given"
        raise tracing.TraceError(
            f"compile: {what} on a tensor (shape {t.data.shape}) that {made} cannot be "
            "replayed as eager runs it; write the new value as a new tensor (x = x + y)"
        )


def _writable(t: Tensor, what: str) -> np.ndarray:
    data = t.data
    if isinstance(data, np.ndarray) and not data.flags.writeable:
        raise ValueError(
            f"{what}: the tensor (shape {data.shape}) has a read-only array: a broadcast view "
            "(expand) or a copy where PyTorch's result is a view (diagonal, unfold), which "
            "would not change the tensor it came from; write into that tensor instead"
        )
    return data


def _direct(t: Tensor, other: Any, ufunc: Any, what: str) -> bool:
    """`ufunc(t, other, out=t)` where that is exactly the op's result written into t.

    It is where nothing is recorded or traced, t holds floats and `other` is a tensor of the
    same dtype or a Python number (weak: it takes t's dtype): the op would make the same call
    on the same operands, and NumPy computes an output that overlaps an input as it would
    without the overlap. Anything else (another dtype, a shape that would grow t) returns
    False, for the general path and its errors.
    """
    data = t.data
    if (
        data.__class__ is not np.ndarray
        or data.dtype.kind != "f"
        or tracing.current is not None
        or anomaly.state.enabled
        or _records(t, other)
        or not data.flags.writeable
    ):
        return False
    if _is_tensor(other):
        operand = other.data
        if operand.__class__ is not np.ndarray or operand.dtype != data.dtype:
            return False
    elif type(other) in (float, int):
        s = None
        if data.dtype is dtypes.HALF and ufunc in (np.multiply, np.divide):
            # in float32 with the number unrounded, rounded once (PyTorch's float16 kernels)
            s = dtypes.opmath_operand(other, what)
        operand = dtypes.scalar_operand(other, data.dtype, what) if s is None else s
    else:
        return False
    if operand.shape != data.shape and np.broadcast_shapes(operand.shape, data.shape) != data.shape:
        return False
    ufunc(data, operand, out=data)
    written.mark(t)
    return True


class TensorInPlaceMethods:
    """In-place methods of `Tensor` (see the module's docstring for the rules)."""

    __slots__ = ()

    if TYPE_CHECKING:
        data: np.ndarray
        _ctx: Any
        _requires_grad: bool
        _version: int

    def _in_place(
        self, what: str, op: Callable[[Any, Any], Tensor], other: Any, ufunc: Any = None
    ) -> Tensor:
        """`self <op>= other`: the out-of-place `op(self, other)`, written into self.

        `ufunc` is the op's own NumPy call when the op is that one call (add, sub, mul, div):
        outside the graph, on float arrays of one dtype, it then writes straight into self.
        """
        t: Tensor = self  # type: ignore[assignment]
        if ufunc is not None and _direct(t, other, ufunc, what):
            return t
        if _records(t, other):
            written.refuse_grad_leaf(t, what)
            _traced_origin(t, what, recorded=True)
            result = op(t, other)
            _check_shape(t, result.data.shape, what)
            if result.data.dtype != t.data.dtype:
                _check_cast(result.data.dtype, t, what)
                result = result.astype(t.data.dtype)
            t.data, t._ctx, t._requires_grad = result.data, result._ctx, result._requires_grad
            t._version = autograd.next_version()
            if tracing.current is not None and tracing.current.active():
                tracing.current.adopt(t)  # it holds an op's result now
            return t
        _traced_origin(t, what, recorded=False)
        with autograd.no_grad():
            result = op(t, other)
        _check_shape(t, result.data.shape, what)
        _check_cast(result.data.dtype, t, what)
        np.copyto(_writable(t, what), result.data, casting="unsafe")
        written.mark(t)
        return t

    def __iadd__(self, other: Any) -> Tensor:
        return self._in_place("+=", lambda a, b: a.add(b), other, np.add)

    def __isub__(self, other: Any) -> Tensor:
        return self._in_place("-=", lambda a, b: a.sub(b), other, np.subtract)

    def __imul__(self, other: Any) -> Tensor:
        return self._in_place("*=", lambda a, b: a.mul(b), other, np.multiply)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._in_place("/=", lambda a, b: a.div(b), other, np.divide)

    def __ipow__(self, exponent: Any) -> Tensor:
        return self._in_place("**=", lambda a, b: a.pow(b), exponent)

    def __iand__(self, other: Any) -> Tensor:
        return self._in_place("&=", lambda a, b: a & b, other)

    def __ior__(self, other: Any) -> Tensor:
        return self._in_place("|=", lambda a, b: a | b, other)

    def __ixor__(self, other: Any) -> Tensor:
        return self._in_place("^=", lambda a, b: a ^ b, other)

    def __ilshift__(self, other: Any) -> Tensor:
        return self._in_place("<<=", lambda a, b: a << b, other)

    def __irshift__(self, other: Any) -> Tensor:
        return self._in_place(">>=", lambda a, b: a >> b, other)

    def add_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """Self += alpha·other, in place (PyTorch's `add_`; see the module docstring)."""
        if not (alpha.__class__ is int and alpha == 1):
            return self._in_place("add_", lambda a, b: a.add(b, alpha=alpha), other)
        return self._in_place("add_", lambda a, b: a.add(b), other, np.add)

    def sub_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """Self -= alpha·other, in place."""
        if not (alpha.__class__ is int and alpha == 1):
            return self._in_place("sub_", lambda a, b: a.sub(b, alpha=alpha), other)
        return self._in_place("sub_", lambda a, b: a.sub(b), other, np.subtract)

    def mul_(self, other: Any) -> Tensor:
        """Self *= other, in place."""
        return self._in_place("mul_", lambda a, b: a.mul(b), other, np.multiply)

    def div_(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """Self /= other (true division, or rounded as `div`'s `rounding_mode`), in place."""
        if rounding_mode is not None:
            return self._in_place("div_", lambda a, b: a.div(b, rounding_mode=rounding_mode), other)
        return self._in_place("div_", lambda a, b: a.div(b), other, np.divide)

    def _unrecorded(self, what: str, source: Any) -> np.ndarray:
        """The array to write into for a fill, copy or item assignment (refused with grad)."""
        t: Tensor = self  # type: ignore[assignment]
        if _records(t, source):
            written.refuse_grad_leaf(t, what)
            raise RuntimeError(
                f"{what}: an operand requires grad and gradients are recorded, and {what} is "
                "not recorded for backward; build the new value out of place (`where`, "
                "arithmetic), or write inside `with tinygrad_lite.no_grad():`"
            )
        _traced_origin(t, what, recorded=False)
        return _writable(t, what)

    def fill_(self, value: Any) -> Tensor:
        """Set every element to `value` (a number or a one-element tensor), in place."""
        data = self._unrecorded("fill_", value)
        # a tensor's value is cast unchecked, as PyTorch's fill_ casts one
        v = value.data if _is_tensor(value) else dtypes.checked_fill(value, data.dtype, "fill_")
        if v.size != 1:
            raise ValueError(f"fill_: the value must be one number, got shape {v.shape}")
        data[...] = v.reshape(())
        written.mark(self)
        return self  # type: ignore[return-value]

    def zero_(self) -> Tensor:
        """Set every element to 0, in place (`p.grad.zero_()`)."""
        return self.fill_(0)

    def _fill_random(self, what: str, draw: Callable[..., Any], generator: Any) -> Tensor:
        data = self._unrecorded(what, None)
        if data.dtype.kind != "f":
            raise TypeError(f"{what}: needs a float tensor, got dtype {data.dtype}")
        values = tracing.random_call(draw, rng.generator(generator), data.shape)
        np.copyto(data, values, casting="same_kind")
        written.mark(self)
        return self  # type: ignore[return-value]

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with samples uniform in [a, b), in place (from `generator` or the default one)."""
        return self._fill_random("uniform_", lambda g, shape: g.uniform(a, b, shape), generator)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with samples of N(mean, std²), in place (from `generator` or the default one)."""
        if std < 0:
            raise ValueError(f"normal_: std must be >= 0, got {std}")
        return self._fill_random("normal_", lambda g, shape: g.normal(mean, std, shape), generator)

    # ------------------------------------------------------------------ unary ops, in place

    def relu_(self) -> Tensor:
        """`relu` in place (the rules above: recorded on a graph result, refused on a leaf)."""
        return self._in_place("relu_", lambda a, _: a.relu(), None)

    def sigmoid_(self) -> Tensor:
        """`sigmoid` in place."""
        return self._in_place("sigmoid_", lambda a, _: a.sigmoid(), None)

    def tanh_(self) -> Tensor:
        """`tanh` in place."""
        return self._in_place("tanh_", lambda a, _: a.tanh(), None)

    def exp_(self) -> Tensor:
        """`exp` in place."""
        return self._in_place("exp_", lambda a, _: a.exp(), None)

    def log_(self) -> Tensor:
        """`log` in place."""
        return self._in_place("log_", lambda a, _: a.log(), None)

    def sqrt_(self) -> Tensor:
        """`sqrt` in place."""
        return self._in_place("sqrt_", lambda a, _: a.sqrt(), None)

    def abs_(self) -> Tensor:
        """`abs` in place."""
        return self._in_place("abs_", lambda a, _: a.abs(), None)

    def neg_(self) -> Tensor:
        """`neg` in place."""
        return self._in_place("neg_", lambda a, _: -a, None)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        """`clamp` in place."""
        return self._in_place("clamp_", lambda a, _: a.clamp(min, max), None)

    def copy_(self, src: Any) -> Tensor:
        """Copy `src`'s values (broadcast to this shape, cast to this dtype) into self."""
        data = self._unrecorded("copy_", src)
        s = src.data if _is_tensor(src) else np.asarray(src)
        try:
            s = np.broadcast_to(s, data.shape)
        except ValueError:
            raise ValueError(
                f"copy_: a source of shape {s.shape} does not broadcast to the tensor's shape "
                f"{data.shape}"
            ) from None
        np.copyto(data, s, casting="unsafe")
        written.mark(self)
        return self  # type: ignore[return-value]

    def __setitem__(self, index: Any, value: Any) -> None:
        """`x[index] = value`: NumPy's (and PyTorch's) assignment, in place, not recorded."""
        data = self._unrecorded("item assignment", value)
        v = value.data if _is_tensor(value) else value
        # checked as the fills check it, but for float16, which PyTorch's item assignment
        # writes ±∞ into as NumPy's does (and a compiled step's float, left unread)
        traced = getattr(type(value), "is_traced_scalar", False)
        if dtypes.is_scalar(value) and data.dtype != np.float16 and not traced:
            v = dtypes.checked_fill(value, data.dtype, "item assignment")
        key = index_arg(index)
        parts = split_index(key)
        if parts is not None:  # PyTorch's reading: integers first (a view), then index arrays
            data[parts[0]][parts[1]] = v
        else:
            data[key] = v
        written.mark(self)


def maybe_in_place(x: Tensor, inplace: bool, name: str, fn: Callable[[Tensor], Tensor]) -> Tensor:
    """fn(x), or with `inplace` written into x (PyTorch's `inplace=True`; see `tensor_inplace`)."""
    if inplace:
        return x._in_place(name, lambda a, _: fn(a), None)
    return fn(x)


def check_inplace(owner: str, inplace: Any) -> bool:
    """`inplace` as a bool, refusing anything else (a seed passed in its place, say)."""
    if not isinstance(inplace, (bool, np.bool_)):
        raise TypeError(
            f"{owner}: inplace must be a bool, got {type(inplace).__name__} {inplace!r}"
        )
    return bool(inplace)
