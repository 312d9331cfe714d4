"""The parametrizations of one tensor (ParametrizationList) and the Parametrized<Class> subclass.

The machinery behind `parametrize.register_parametrization`, in a file of its own: the list
that owns the original tensor(s) and applies the parametrizations, and the subclass a module
takes while one of its tensors is parametrized.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import tracing
from .autograd import no_grad
from .containers import ModuleDict, ModuleList
from .module import Module, Parameter
from .tensor import Tensor
from .written import mark

__all__ = [
    "ParametrizationList",
    "parametrizations_of",
    "parametrized_class",
    "register_tensor",
    "set_data",
]


def set_data(dest: Tensor, src: Tensor) -> None:
    """PyTorch's `dest.set_(src)` under no_grad: dest (the same object) takes src's values.

    The values are copied into dest's array when the shapes agree (the array stays the one an
    optimizer or compiled step holds); a new shape gets a new array.
    """
    if dest is src:
        return
    if dest.dtype != src.dtype:
        raise RuntimeError(
            f"parametrize: cannot write a {src.dtype} tensor into the {dest.dtype} original"
        )
    if dest.data.shape == src.data.shape and dest.data.flags.writeable:
        np.copyto(dest.data, src.data)
        mark(dest)
        return
    dest.grad = None
    dest.data = np.array(src.data, copy=True)
    tracing.state_changed()


def register_tensor(module: Module, name: str, x: Tensor) -> None:
    """Register `x` on `module` as a Parameter if it is one, else as a buffer."""
    if isinstance(x, Parameter):
        module.register_parameter(name, x)
    else:
        module.register_buffer(name, x)


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order, and the original tensor(s).

    Made by `register_parametrization` (not by hand) and kept at
    `module.parametrizations[name]`. Its members are the parametrizations P₁, P₂, ...; it owns
    `original` (or `original0`, `original1`, ... when the last `right_inverse` returns a
    sequence), and calling it computes Pₙ(...P₂(P₁(original))) (P₁ receives the sequence
    unpacked).

    On creation, original ← right_inverse(original) runs the `right_inverse` of each member
    that has one, last to first (a NotImplementedError skips that member); a single result is
    written into the original tensor itself, so an optimizer holding it keeps working; several
    become new Parameters (or buffers, if the original was one). Unless `unsafe`, the value of
    the list must then have the original's shape and dtype.

    Args:
        modules: the parametrizations, at least one.
        original: the Parameter or buffer being parametrized.
        unsafe: skip the shape and dtype checks.

    Raises:
        ValueError: no modules; `right_inverse` returns something other than a Tensor or a
            sequence of Tensors, or changes the dtype; or (unless unsafe) the value's shape or
            dtype differs from the original's.
    """

    original: Tensor
    unsafe: bool
    is_tensor: bool
    ntensors: int

    def __init__(self, modules: Sequence[Module], original: Tensor, unsafe: bool = False) -> None:
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        original_shape, original_dtype = original.shape, original.dtype
        new: Any = original
        with no_grad():
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    try:
                        new = module.right_inverse(new)
                    except NotImplementedError:
                        pass
        if not isinstance(new, (Tensor, Sequence)):
            raise ValueError(
                "'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
                f"Got {type(new).__name__}"
            )
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if isinstance(new, Tensor):
            if original.dtype != new.dtype:
                raise ValueError(
                    "When `right_inverse` outputs one tensor, it may not change the dtype.\n"
                    f"original.dtype: {original.dtype}\n"
                    f"right_inverse(original).dtype: {new.dtype}"
                )
            set_data(original, new)
            register_tensor(self, "original", original)
        else:
            for i, item in enumerate(new):
                if not isinstance(item, Tensor):
                    raise ValueError(
                        "'right_inverse' must return a Tensor or a Sequence of tensors "
                        f"(list, tuple...). Got element {i} of the sequence with type "
                        f"{type(item).__name__}."
                    )
                if isinstance(original, Parameter):
                    item = Parameter(item, original.requires_grad)
                else:
                    item = item.detach().requires_grad_(original.requires_grad)
                register_tensor(self, f"original{i}", item)
        if not self.unsafe:
            Z = self()
            if not isinstance(Z, Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got {type(Z).__name__}.")
            if Z.dtype != original_dtype:
                raise ValueError(
                    "Registering a parametrization may not change the dtype of the tensor, "
                    "unless `unsafe` flag is enabled.\n"
                    f"unparametrized dtype: {original_dtype}\nparametrized dtype: {Z.dtype}"
                )
            if Z.shape != original_shape:
                raise ValueError(
                    "Registering a parametrization may not change the shape of the tensor, "
                    "unless `unsafe` flag is enabled.\n"
                    f"unparametrized shape: {original_shape}\nparametrized shape: {Z.shape}"
                )

    def right_inverse(self, value: Tensor) -> None:
        """Write `value` into the original(s): Pᵢ.right_inverse for i = n, ..., 1, no gradient.

        This is what `module.<name> = value` does.

        Raises:
            RuntimeError: a member has no `right_inverse`.
            ValueError: the result is not of the kind (a Tensor, or that many Tensors) and
                dtype of the original(s).
        """
        with no_grad():
            out: Any = value
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(
                        f"parametrization {type(module).__name__} does not implement right_inverse."
                    )
                out = module.right_inverse(out)
            if self.is_tensor:
                if not isinstance(out, Tensor):
                    raise ValueError(
                        f"`right_inverse` should return a tensor. Got {type(out).__name__}"
                    )
                if out.dtype != self.original.dtype:
                    raise ValueError(
                        f"The tensor returned by `right_inverse` has dtype {out.dtype} "
                        f"while `original` has dtype {self.original.dtype}"
                    )
                set_data(self.original, out)
                return
            if not isinstance(out, Sequence):
                raise ValueError(
                    f"'right_inverse' must return a sequence of tensors. Got {type(out).__name__}."
                )
            if len(out) != self.ntensors:
                raise ValueError(
                    "'right_inverse' must return a sequence of tensors of length "
                    f"{self.ntensors}. Got a sequence of length {len(out)}."
                )
            for i, t in enumerate(out):
                original_i: Tensor = getattr(self, f"original{i}")
                if not isinstance(t, Tensor):
                    raise ValueError(
                        "`right_inverse` must return a sequence of tensors. "
                        f"Got element {i} of type {type(t).__name__}"
                    )
                if original_i.dtype != t.dtype:
                    raise ValueError(
                        f"Tensor {i} returned by `right_inverse` has dtype {t.dtype} "
                        f"while `original{i}` has dtype {original_i.dtype}"
                    )
                set_data(original_i, t)

    def forward(self) -> Tensor:
        """Pₙ(...P₂(P₁(original))), P₁ taking `original0, original1, ...` when there are several."""
        members = list(self._modules.values())
        if self.is_tensor:
            x = members[0](self.original)
        else:
            x = members[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for member in members[1:]:
            x = member(x)
        result: Tensor = x
        return result


def parametrizations_of(module: Any) -> Any:
    """`module.parametrizations` if it is a ModuleDict, else None (read from the registry)."""
    found = module.__dict__.get("_modules", {}).get("parametrizations")
    return found if isinstance(found, ModuleDict) else None


def parametrized_class(cls: type[Module]) -> type[Module]:
    """A subclass `Parametrized<cls>` whose properties will compute the parametrized tensors."""

    def __setattr__(self: Module, name: str, value: Any) -> None:
        plists = parametrizations_of(self)
        if isinstance(value, (Parameter, Module)) and plists is not None and name in plists:
            raise KeyError(
                f"cannot assign a {type(value).__name__} to {name!r} of {type(self).__name__}: "
                f"it is parametrized (assign a Tensor to set it through right_inverse, or call "
                f"remove_parametrizations(module, {name!r}) first)"
            )
        cls.__setattr__(self, name, value)

    def __getstate__(self: Module) -> Any:
        raise RuntimeError(
            "Serialization of parametrized modules is only supported through state_dict()."
        )

    def __deepcopy__(self: Module, memo: dict[int, Any]) -> Module:
        found = memo.get(id(self))
        if found is not None:
            return found
        # The copy gets a class of its own: removing a parametrization from one of the two
        # deletes a property of its class, which must not change the other.
        own = parametrized_class(cls)
        for key, value in type(self).__dict__.items():
            if isinstance(value, property):
                setattr(own, key, value)
        replica = object.__new__(own)
        memo[id(self)] = replica
        object.__setattr__(replica, "__dict__", copy.deepcopy(self.__dict__, memo))
        return replica

    body: dict[str, Any] = {"__setattr__": __setattr__, "__getstate__": __getstate__}
    if not hasattr(cls, "__deepcopy__"):
        body["__deepcopy__"] = __deepcopy__
    return type(f"Parametrized{cls.__name__}", (cls,), body)
