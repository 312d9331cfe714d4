"""PyTorch's `nn.utils.stateless.functional_call`: a Module called with other parameters.

The work is `tinygrad_lite.func.functional_call`'s (the same arguments); this is PyTorch's older,
deprecated spelling of it, which warns.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from .func import functional_call as _call

__all__ = ["functional_call"]


def functional_call(
    module: Any,
    parameters_and_buffers: Mapping[str, Any],
    args: Any = None,
    kwargs: Mapping[str, Any] | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """`module(*args, **kwargs)` with some Parameters replaced, as PyTorch's deprecated form.

    Deprecated in PyTorch since 2.0, and warned about here as there (FutureWarning):
    `tinygrad_lite.func.functional_call`, with the same arguments, does the work. `args` is a
    tuple of positional arguments, or one value that is the only one (None: none); `kwargs` a
    dict of keyword arguments (None: none). A tensor given under one name of a tied Parameter
    replaces it under all its names (`tie_weights=True`, the default). With `strict`, every
    name of every Parameter must be given (a tied Parameter's names count as given when one of
    them is) and nothing else.

    Args:
        module: the Module to call.
        parameters_and_buffers: {dotted name: Tensor} replacing those Parameters for the call.
        args: the positional arguments: a tuple, a single value, or None.
        kwargs: the keyword arguments, or None.
        tie_weights: must be True (tied Parameters are replaced together).
        strict: refuse missing and unexpected names.

    Returns:
        What the module returns.

    Raises:
        RuntimeError: with `strict`, names missing or unexpected (all of them listed).
        NotImplementedError: `tie_weights=False`.
        KeyError: a name that is not a Parameter of the module (buffers cannot be replaced).
        ValueError: as `tinygrad_lite.func.functional_call`.

    Example:
        >>> import warnings
        >>> import numpy as np
        >>> from tinygrad_lite import Tensor, nn
        >>> layer = nn.Linear(2, 1, seed=0)
        >>> params = {"weight": Tensor([[1.0, 2.0]]), "bias": Tensor([0.5])}
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore", FutureWarning)
        ...     nn.utils.stateless.functional_call(layer, params, (Tensor([[1.0, 1.0]]),))
        Tensor([[3.5]])
    """
    warnings.warn(
        "`nn.utils.stateless.functional_call` is deprecated, as in PyTorch; use "
        "`tinygrad_lite.func.functional_call`",
        FutureWarning,
        stacklevel=2,
    )
    if not isinstance(parameters_and_buffers, Mapping):
        raise TypeError(
            "functional_call: parameters_and_buffers must be a mapping of names to tensors, got "
            f"{type(parameters_and_buffers).__name__}"
        )
    return _call(
        module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict
    )
