"""PyTorch's `torch.func.functional_call`: a Module run with some of its parameters replaced.

The Module's own Parameters are swapped for the given tensors during one call (under every
name of a tied Parameter) and put back afterwards, whatever happens, so that the Module can be
differentiated, gradchecked or vmapped by hand as a function of its parameters. It is reached as
`tinygrad_lite.func.functional_call`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from .module_state import tied_names
from .tensor import Tensor

__all__ = ["functional_call"]


@contextmanager
def _swapped(module: Any, params: Mapping[str, Any]) -> Iterator[None]:
    named = list(module.named_parameters(remove_duplicate=False))
    names = [name for name, _ in named]
    unknown = sorted(set(params) - set(names))
    if unknown:
        raise KeyError(
            f"functional_call: {type(module).__name__} has no parameter {unknown[0]!r}; its "
            f"parameters are {names}"
        )
    # A replacement given under one name of a Parameter (tied weights, a module reached by
    # two paths) replaces it under every name, as torch.func.functional_call does.
    swaps: list[tuple[list[str], Tensor]] = []
    for old, tied in tied_names(named):
        given = [name for name in tied if name in params]
        if not given:
            continue
        values = {id(params[name]): params[name] for name in given}
        if len(values) > 1:
            raise ValueError(
                f"functional_call: {given} name one Parameter of {type(module).__name__} (tied "
                "weights) but were given different tensors; give one tensor, under any one of "
                "its names, or the same tensor under each"
            )
        (value,) = values.values()
        t = value if isinstance(value, Tensor) else Tensor(np.asarray(value))
        if t.shape != old.shape or t.dtype != old.dtype:
            raise ValueError(
                f"functional_call: {given[0]!r} has shape {old.shape} and dtype {old.dtype}, got "
                f"shape {t.shape} and dtype {t.dtype}"
            )
        swaps.append((tied, t))
    owners = dict(module.named_modules(remove_duplicate=False))
    saved: dict[tuple[int, str], tuple[Any, Any]] = {}  # (owner, attribute) -> original value
    try:
        for tied, t in swaps:
            for full in tied:
                owner_name, _, attr = full.rpartition(".")
                owner = owners[owner_name]
                saved.setdefault((id(owner), attr), (owner, owner.__dict__[attr]))
                object.__setattr__(owner, attr, t)
        yield
    finally:
        for (_, attr), (owner, old_value) in saved.items():
            object.__setattr__(owner, attr, old_value)


def functional_call(
    module: Any,
    parameter_and_buffer_dicts: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    args: Any = None,
    kwargs: Mapping[str, Any] | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """Call `module(*args, **kwargs)` with the named parameters replaced, as `torch.func`'s.

    `args` is a tuple of positional arguments, or one value that is the only one (None: none);
    `kwargs` a dict of keyword arguments. The module's own Parameters are put back afterwards
    (even on error); the call sees the given tensors, so gradients flow to them. A tensor given
    under one name of a Parameter that has several (weights tied with `b.weight = a.weight`, a
    module used twice) replaces it under all of them (`tie_weights=True`, PyTorch's default).
    With `strict`, every name of every Parameter must be given (a tied Parameter's names count
    as given when one of them is) and nothing else. Not for use from several threads at once
    on one module.

    Args:
        module: the Module to call.
        parameter_and_buffer_dicts: {dotted name: Tensor}, or a sequence of such dicts (their
            names must differ).
        args: the positional arguments: a tuple, a single value, or None.
        kwargs: the keyword arguments, or None.
        tie_weights: must be True (tied Parameters are replaced together).
        strict: refuse missing and unexpected names.

    Example:
        >>> import numpy as np
        >>> from tinygrad_lite import Tensor, nn
        >>> from tinygrad_lite.func import functional_call, grad
        >>> layer = nn.Linear(2, 1)
        >>> x = Tensor(np.ones((1, 2)))
        >>> w = Tensor(np.full((1, 2), 0.5))
        >>> dw = grad(lambda w: functional_call(layer, {"weight": w}, (x,)).sum())(w)
        >>> dw
        Tensor([[1., 1.]])

    Raises:
        KeyError: a name that is not one of the module's parameters (buffers cannot be
            replaced).
        ValueError: a replacement of another shape or dtype, different tensors given under two
            names of one Parameter, or one name in two of the dicts.
        RuntimeError: with `strict`, names missing or unexpected (all of them listed).
        NotImplementedError: `tie_weights=False`.
    """
    func = "functional_call"
    params = _merged(parameter_and_buffer_dicts)
    if not tie_weights:
        raise NotImplementedError(
            f"{func}: tie_weights=False (replacing one name of a tied Parameter only) is not "
            "supported; a tensor given for a tied Parameter replaces it under all its names"
        )
    if kwargs is not None and not isinstance(kwargs, Mapping):
        raise TypeError(f"{func}: kwargs must be a dict or None, got {type(kwargs).__name__}")
    if strict:
        _check_strict(module, params)
    positional = () if args is None else args if isinstance(args, tuple) else (args,)
    with _swapped(module, params):
        return module(*positional, **dict(kwargs or {}))


def _merged(dicts: Any) -> Mapping[str, Any]:
    """One mapping from a mapping or a sequence of mappings whose names differ."""
    if isinstance(dicts, Mapping):
        return dicts
    if isinstance(dicts, (tuple, list)) and all(isinstance(d, Mapping) for d in dicts):
        merged: dict[str, Any] = {}
        for d in dicts:
            twice = sorted(set(merged) & set(d))
            if twice:
                raise ValueError(f"functional_call: {twice} given in more than one dict")
            merged.update(d)
        return merged
    raise TypeError(
        "functional_call: parameter_and_buffer_dicts must be a mapping of names to tensors or "
        f"a sequence of them, got {type(dicts).__name__}"
    )


def _check_strict(module: Any, params: Mapping[str, Any]) -> None:
    named = list(module.named_parameters(remove_duplicate=False))
    names = [name for name, _ in named]
    given = set(params)
    covered = {n for _, tied in tied_names(named) if given & set(tied) for n in tied}
    unexpected = [k for k in params if k not in names]
    missing = [n for n in names if n not in covered]
    problems = []
    if unexpected:
        problems.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
    if missing:
        problems.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
    if problems:
        raise RuntimeError(
            f"functional_call: error(s) in reparametrizing for {type(module).__name__}:\n\t"
            + "\n\t".join(problems)
        )
