"""Lazy modules' machinery: UninitializedParameter, UninitializedBuffer and LazyModuleMixin.

The lazy layers themselves are in `lazy_layers`. As in PyTorch, a lazy layer is made without
its input size (`in_features`, `in_channels` or `num_features`, shown as 0); its weights are
`UninitializedParameter`s and its running statistics `UninitializedBuffer`s, which have no
values and no shape. The first call reads the size from the input, materialises the weights
with the eager layer's initialisation (the same draws: a seeded `LazyLinear(3, seed=0)` run on
(N, 4) inputs holds the weights of `Linear(4, 3, seed=0)`), and the module becomes the eager
class (`type(m) is Linear`), the same object with the same Parameter objects.
`load_state_dict` materialises it from the checkpoint's shapes instead (drawing the initial
values first, as building the eager layer would, then loading), and it becomes the eager class
at its first call.

Before that, the uninitialized weights are listed by `parameters()` and `state_dict()` (as
themselves, as in PyTorch); using one in math, reading its values or shape, or building an
optimizer over it raises a RuntimeError that says to run the module once first.

>>> import tinygrad_lite as tg
>>> from tinygrad_lite.lazy_layers import LazyLinear
>>> m = LazyLinear(3)
>>> m
LazyLinear(in_features=0, out_features=3, bias=True)
>>> m(tg.ones(2, 4)).shape, m
((2, 3), Linear(in_features=4, out_features=3, bias=True))
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from . import autograd, state_hooks, tracing
from .module import Module, Parameter
from .rng import generator as make_generator
from .tensor import DTypeLike, Tensor

__all__ = [
    "LazyModuleMixin",
    "UninitializedBuffer",
    "UninitializedParameter",
    "UninitializedTensorMixin",
    "is_lazy",
]

_DATA: Any = Tensor.__dict__["data"]  # the slot itself, past the property below
_MODULE_KEYS = frozenset(Module().__dict__) | {
    "_forward_hooks",
    state_hooks.SAVE_PRE,
    state_hooks.SAVE_POST,
    state_hooks.LOAD_PRE,
    state_hooks.LOAD_POST,
}


class UninitializedTensorMixin:
    """What UninitializedParameter and UninitializedBuffer share: no values until materialised."""

    __slots__ = ()
    cls_to_become: ClassVar[type[Tensor]]
    # What `state_dict()` looks for: such a tensor is listed as itself (PyTorch's way), not as a
    # copy of its values, which it has none of.
    uninitialized: ClassVar[bool] = True

    def _no_values(self) -> RuntimeError:
        kind = type(self).__name__
        return RuntimeError(
            f"{kind}: this tensor of a lazy module has no values and no shape until the module "
            "is materialised; run the module once on an example input (or load a state dict "
            "into it) before using its parameters in math, in an optimizer or in a summary"
        )

    @property
    def data(self) -> np.ndarray:
        """Refused (RuntimeError): there are no values yet."""
        raise self._no_values()

    @data.setter
    def data(self, value: Any) -> None:
        raise self._no_values()

    @property
    def dtype(self) -> np.dtype[Any]:
        """The dtype it will have once materialised."""
        placeholder: np.ndarray = _DATA.__get__(self)
        return placeholder.dtype

    def requires_grad_(self, requires_grad: bool = True) -> Any:
        """Set whether it will require grad (it is a float leaf); returns self."""
        t: Any = self
        t._requires_grad = bool(requires_grad)
        return self

    def materialize(self, shape: int | tuple[int, ...], dtype: DTypeLike = None) -> None:
        """Give it zeros of `shape` (and `dtype`, its own by default) and its final class.

        It becomes a `Parameter` (or a plain `Tensor` for a buffer), the same object, as
        PyTorch's `materialize` does (PyTorch leaves the values uninitialized).
        """
        dims = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        if any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 0 for d in dims):
            raise ValueError(f"materialize: shape must be non-negative ints, got {shape!r}")
        dt = self.dtype if dtype is None else np.dtype(dtype)
        if dt.kind != "f":
            raise TypeError(f"materialize: dtype must be a floating-point dtype, got {dt}")
        self._set_values(np.zeros(tuple(int(d) for d in dims), dt))

    def _set_values(self, values: np.ndarray) -> None:
        _DATA.__set__(self, values)
        t: Any = self
        t.__class__ = self.cls_to_become
        tracing.state_changed()

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


def _uninitialized_init(t: Tensor, requires_grad: bool, dtype: DTypeLike) -> None:
    dt = np.dtype(np.float64 if dtype is None else dtype)
    if dt.kind != "f":
        raise TypeError(f"{type(t).__name__}: dtype must be a floating-point dtype, got {dt}")
    _DATA.__set__(t, np.empty(0, dt))
    t._grad = None
    t._requires_grad = bool(requires_grad)
    t._ctx = None
    t._version = 0


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter with no values yet: a lazy module's weight until its first call.

    `materialize(shape)` gives it values and makes it a `Parameter`, the same object.

    Args:
        requires_grad: whether it will require grad.
        dtype: a floating-point dtype (float64 by default).
    """

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, dtype: DTypeLike = None) -> None:
        _uninitialized_init(self, requires_grad, dtype)


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer with no values yet (a lazy norm's running statistics); it becomes a Tensor.

    Args:
        requires_grad: whether it will require grad (False, as for buffers).
        dtype: a floating-point dtype (float64 by default).
    """

    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, dtype: DTypeLike = None) -> None:
        _uninitialized_init(self, requires_grad, dtype)


def is_lazy(t: Any) -> bool:
    """Whether `t` is an UninitializedParameter or UninitializedBuffer (PyTorch's `is_lazy`)."""
    return isinstance(t, UninitializedTensorMixin)


def _shape_of(x: Any) -> tuple[int, ...]:
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


class LazyModuleMixin(Module):
    """A layer whose input size is read from its first input (see the module's docstring).

    A subclass names the eager class (`cls_to_become`), its size argument (`_size_name`) and
    which buffers are lazy, and says how an input and a checkpoint's entries give the size.
    """

    cls_to_become: ClassVar[Any]
    _size_name: ClassVar[str]
    _lazy_buffers: ClassVar[tuple[str, ...]] = ()

    def _lazy_init(self, args: dict[str, Any], probe_size: int = 1) -> None:
        """Set up the module from an eager one built for a small size with a spare generator."""
        Module.__init__(self)
        owner = type(self).__name__
        spare = dict(args)
        if "seed" in args:
            make_generator(args["seed"])  # refuse a bad seed now, drawing nothing
            spare["seed"] = np.random.default_rng(0)
        try:
            probe = self.cls_to_become(probe_size, **spare)
        except (TypeError, ValueError) as e:
            raise type(e)(f"{owner}: {e}") from None
        d = self.__dict__
        d["_lazy_args"] = args
        for name, p in probe._parameters.items():
            setattr(self, name, UninitializedParameter(p.requires_grad, p.dtype))
        for name, b in probe._buffers.items():
            lazy = b is not None and name in self._lazy_buffers
            value = UninitializedBuffer(dtype=b.dtype) if lazy and b is not None else b
            self.register_buffer(name, value, name not in probe._non_persistent)
        self._adopt_settings(probe)
        d[self._size_name] = 0
        d["_lazy_handles"] = [
            self.register_forward_pre_hook(LazyModuleMixin._infer_parameters),
            self.register_load_state_dict_pre_hook(LazyModuleMixin._lazy_load_hook),
        ]

    def _adopt_settings(self, eager: Module) -> None:
        d, registered = self.__dict__, {*self._parameters, *self._buffers}
        for key, value in eager.__dict__.items():
            if key not in _MODULE_KEYS and key not in registered:
                d[key] = value

    def _lazy_entries(self) -> dict[str, Tensor]:
        found = {**self._parameters, **self.__dict__["_buffers"]}
        return {name: t for name, t in found.items() if is_lazy(t)}

    def has_uninitialized_params(self) -> bool:
        """Whether some Parameter or buffer of the module is still uninitialized."""
        return bool(self._lazy_entries())

    def _build(self, size: int) -> Module:
        try:
            return self.cls_to_become(size, **self.__dict__["_lazy_args"])
        except (TypeError, ValueError) as e:
            raise type(e)(f"{type(self).__name__}: {e}") from None

    def _materialize_from(self, eager: Module) -> None:
        """Give each uninitialized tensor the eager module's values, and take its settings."""
        found = {**eager._parameters, **eager.__dict__["_buffers"]}
        for name, t in self._lazy_entries().items():
            values = found[name]
            assert values is not None  # built with the same arguments
            t._set_values(values.data)  # type: ignore[attr-defined]
        self._adopt_settings(eager)

    def _input_size(self, shape: tuple[int, ...]) -> int:
        """The size an input of `shape` gives (with the subclass's checks)."""
        raise NotImplementedError

    def _size_from(self, name: str, shape: tuple[int, ...]) -> int | None:
        """The size a checkpoint's entry `name` of `shape` gives (None: it does not say)."""
        raise NotImplementedError

    def initialize_parameters(self, input: Any) -> None:
        """Read the size from `input` and materialise the weights with the eager init."""
        if self.__dict__[self._size_name] == 0:
            with autograd.no_grad():
                self._materialize_from(self._build(self._input_size(_shape_of(input))))

    @staticmethod
    def _infer_parameters(module: Any, args: tuple[Any, ...]) -> None:
        if not args:
            raise TypeError(
                f"{type(module).__name__}: the first call must pass the input positionally, "
                "to infer its size"
            )
        module.initialize_parameters(args[0])
        for handle in module.__dict__.pop("_lazy_handles"):
            handle.remove()
        del module.__dict__["_lazy_args"]
        module.__class__ = module.cls_to_become

    @staticmethod
    def _lazy_load_hook(
        module: Any,
        state: dict[str, Any],
        prefix: str,
        metadata: Any,
        strict: bool,
        missing: list[str],
        unexpected: list[str],
        errors: list[str],
    ) -> None:
        """Materialise the module from the shapes of its entries in a state dict being loaded."""
        lazy = module._lazy_entries()
        given = {name: state[prefix + name] for name in lazy if prefix + name in state}
        if not given:
            return
        owner, problems = type(module).__name__, []
        shapes: dict[str, tuple[int, ...]] = {}
        for name, value in given.items():
            if is_lazy(value):
                problems.append(f"{prefix}{name}: the state dict holds an uninitialized tensor")
            elif not hasattr(value, "shape"):
                problems.append(f"{prefix}{name}: expected an array, got {type(value).__name__}")
            else:
                shapes[name] = tuple(value.shape)
        sizes = {module._size_from(n, s) for n, s in shapes.items()} - {None}
        eager = None
        if not problems and len(sizes) != 1:
            problems.append(
                f"cannot read {module._size_name} from the entries {sorted(given)}"
                + (f" (they give {sorted(sizes)})" if sizes else "")
            )
        elif not problems:
            try:
                eager = module._build(sizes.pop())
            except (TypeError, ValueError) as e:
                problems.append(str(e))
        if eager is not None:
            want = {**eager._parameters, **eager.__dict__["_buffers"]}
            for name, shape in shapes.items():
                expected = want[name]
                if expected is not None and expected.shape != shape:
                    problems.append(
                        f"{prefix}{name}: shape {shape} in the state dict, but the module's "
                        f"settings make it {expected.shape}"
                    )
        if problems:
            errors.append(f"{owner} (lazy): " + "; ".join(problems))
            for name in given:  # not read: the load fails with the message above
                state.pop(prefix + name)
            return
        assert eager is not None
        module._materialize_from(eager)
