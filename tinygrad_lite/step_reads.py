"""The plain Python values a compiled step reads from its closure and its module's globals.

A trace runs the step's Python once, so a number the step reads from a variable outside it
(`scale` in `loss = (w @ x).sum() * scale`, a global `lr` written into the optimizer) becomes
a constant of the plan. `entry_values` notes each such variable that holds a plain value (a
number, a string, None, or a tuple of them) as the step starts; `guards` turns the notes into
checks at the top of the plan, so that a new value makes the step trace again, as eager
execution would read it. Objects such as tensors, modules and optimizers are followed by
other checks; lists, dicts and attributes of other objects, and the globals of the functions
the step calls, are not followed (see the compiled steps' section of the reliability page).
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

__all__ = ["entry_values", "guards"]

_PLAIN = (int, float, complex, bool, str, bytes, type(None))


def _plain(value: Any) -> bool:
    if type(value) in _PLAIN:
        return True
    return type(value) is tuple and all(_plain(v) for v in value)


def _global_names(code: types.CodeType) -> set[str]:
    """The names `code` and the code nested in it (lambdas, comprehensions) may read."""
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= _global_names(c)
    return names


def entry_values(fn: Callable[..., Any]) -> list[tuple[Any, str, Any]]:
    """(holder, name, value) for each plain value `fn` may read from its closure or globals.

    The holder is the closure cell or the globals dict; `fn` may be a function or a bound
    method (others give no entries).
    """
    f = getattr(fn, "__func__", fn)
    if not isinstance(f, types.FunctionType):
        return []
    found: list[tuple[Any, str, Any]] = []
    code = f.__code__
    for name, cell in zip(code.co_freevars, f.__closure__ or (), strict=True):
        try:
            value = cell.cell_contents
        except ValueError:  # not bound yet
            continue
        if _plain(value):
            found.append((cell, name, value))
    space = f.__globals__
    for name in sorted(_global_names(code)):
        if name in space and _plain(space[name]):
            found.append((space, name, space[name]))
    return found


def guards(
    values: list[tuple[Any, str, Any]],
    const: Callable[[Any, str], str],
    exact: Callable[[Any], Any],
) -> list[str]:
    """Lines for the top of a plan: each value unchanged, else `_Stale` (trace again).

    Unchanged is the same object, or an equal one of the same type, sign of zero and NaNs.
    """
    lines = []
    for holder, name, value in values:
        v, key = const(value, "fv"), const(exact(value), "fk")
        if isinstance(holder, dict):
            read = f"{const(holder, 'gl')}.get({name!r}, _Stale)"
        else:
            read = f"{const(holder, 'cell')}.cell_contents"
        lines.append(f"if {read} is not {v} and _exact({read}) != {key}: raise _Stale")
    return lines
