"""D, the sensitivity to rounding: how far gradients move when the values they read move.

The magnitudes of `tinygrad_lite.rounding` bound the rounding of one computation's terms. Two
computations may also start from differently rounded values, and a forward pass can amplify
that (1 − A2 when A2 rounds near 1). This is measured rather than bounded: every value is moved
by a few units in the last place, all up and then in random directions, and the largest change
of each gradient per unit is its D: for autograd's backward (its saved values moved), for the
whole forward and backward (every rounded value an op reads moved, through the core's tracing
seam) and for any other function (its float arguments moved).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from . import engine, ops, tracing
from .autograd import Context
from .engine import walk
from .rounding import Backprop
from .tensor import Tensor

__all__ = [
    "EXACT",
    "PERTURBATION_ULPS",
    "perturbed_backward",
    "perturbed_forward",
    "sensitivity",
]

# How far values are moved: far enough that every normal number really changes.
PERTURBATION_ULPS = 8


def perturbed_backward(
    bp: Backprop, cost: Tensor, named: Mapping[str, Tensor], ulps: int = PERTURBATION_ULPS
) -> dict[str, Any]:
    """How far the gradients of `bp` move when every value the backward reads moves by `ulps`.

    The saved values of every node of the (retained) graph are moved, the walk is run again,
    and the saved values are put back.

    Returns:
        name → |change| / ulps, elementwise (the largest over the trials).
    """
    out: dict[str, Any] = {}
    for signs in _signs():
        saved = [(node.ctx, node.ctx.saved) for node in bp.nodes]
        try:
            for ctx, values in saved:
                ctx.saved = tuple(_perturb(v, signs, ulps) for v in values)
            moved = _gradients(cost, named)
        finally:
            for ctx, values in saved:
                ctx.saved = values
        _widen(out, bp.gradients, moved, ulps)
    return out


def _gradients(cost: Tensor, named: Mapping[str, Tensor]) -> dict[str, Any]:
    """∂cost/∂t for the named tensors, by the engine's walk (the graph is kept)."""
    nodes = {id(t._ctx): n for n, t in named.items() if t._ctx is not None}
    out: dict[str, Any] = {}

    def on_node(ctx: Context, g: Any, flowed: tuple[Any, ...]) -> None:
        if id(ctx) in nodes:
            out[nodes[id(ctx)]] = g

    with np.errstate(all="ignore"):
        leaves, _ = walk(
            [cost], [np.ones_like(cost.data)], True, False, on_node=on_node, run_hooks=False
        )
    for n, t in named.items():
        if t._ctx is None and id(t) in leaves:
            out[n] = leaves[id(t)][1]
    return out


def _perturb(value: Any, signs: Callable[[tuple[int, ...]], np.ndarray], ulps: int) -> Any:
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        eps = np.finfo(value.dtype).eps
        return value * (1.0 + ulps * eps * signs(value.shape))
    if isinstance(value, dict):
        return {k: _perturb(v, signs, ulps) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_perturb(v, signs, ulps) for v in value)
    return value


def _signs(seed: int = 0) -> list[Callable[[tuple[int, ...]], np.ndarray]]:
    """The perturbations: every value up, then three random ones (seeded).

    The random factors have random signs and sizes in [0.5, 1], so that two effects of equal
    size cannot cancel exactly in every trial.
    """
    rng = np.random.default_rng(seed)

    def random(shape: tuple[int, ...]) -> np.ndarray:
        v = 2.0 * rng.random(shape) - 1.0
        return 0.5 * (np.sign(v) + v)  # |s| in [0.5, 1]

    return [np.ones, random, random, random]


def _widen(
    into: dict[str, Any], base: Mapping[str, Any], moved: Mapping[str, Any], ulps: int
) -> None:
    """Keep in `into` the largest |moved − base| / ulps seen for each name, elementwise."""
    for name, b in base.items():
        b = np.asarray(b, dtype=np.float64)
        v = np.asarray(moved.get(name, b), dtype=np.float64)
        if v.shape != b.shape or not b.size:
            continue
        with np.errstate(invalid="ignore", over="ignore"):
            d = np.abs(v - b) / ulps
        d = np.where(np.isfinite(d), d, 0.0)
        into[name] = d if name not in into else np.maximum(into[name], d)


def sensitivity(
    fn: Callable[..., Mapping[str, Any]],
    arguments: Mapping[str, Any],
    exact: tuple[str, ...] = (),
    ulps: int = PERTURBATION_ULPS,
    seed: int = 0,
) -> dict[str, Any]:
    """How far each output of `fn(**arguments)` moves when its float inputs move by a few ulps.

    Every float array among the arguments (inside dicts, lists and tuples too), except the
    arguments named in `exact` (labels), is multiplied by 1 + ulps·ε·s, once with s = +1 and
    three times with random s (see `_signs`); the largest change of each output element,
    divided by `ulps`, is returned.

    Args:
        fn: a function returning a mapping of name → array (e.g. a hand-derived backward).
        arguments: its keyword arguments.
        exact: names of arguments that hold exact values (labels) and are left alone.
        ulps: the size of the perturbation, in units of ε.
        seed: the seed of the random signs.

    Returns:
        name → |change| / ulps, elementwise (the largest over the trials), for each output
        whose shape did not change.
    """

    def run(signs: Callable[[tuple[int, ...]], np.ndarray] | None) -> Mapping[str, Any]:
        args = {
            k: (v if signs is None or k in exact else _perturb(v, signs, ulps))
            for k, v in arguments.items()
        }
        with np.errstate(all="ignore"):
            return fn(**args)

    base = run(None)
    out: dict[str, Any] = {}
    for signs in _signs(seed):
        _widen(out, base, run(signs), ulps)
    return out


# Ops whose output is exact (no rounding): `perturbed_forward` leaves their outputs alone.
EXACT = (
    ops.Reshape,
    ops.Transpose,
    ops.Expand,
    ops.GetItem,
    ops.Cat,
    ops.Clone,
    ops.Neg,
    ops.Abs,
    ops.ReLU,
    ops.Maximum,
    ops.Minimum,
    ops.Max,
    ops.Min,
    ops.Where,
    ops.Clamp,
)


class _Perturbing:
    """A tracer for the core's seam (`tracing.Tracer`) that moves every rounded value an op reads.

    Each op's inputs that are outputs of rounding ops reach it multiplied by 1 + ulps·ε·s, as
    if they had been rounded differently; nothing is written back into the tensors.
    """

    def __init__(self, signs: Callable[[tuple[int, ...]], np.ndarray], ulps: int) -> None:
        self.thread = threading.get_ident()
        self.signs, self.ulps = signs, ulps

    def active(self) -> bool:
        return threading.get_ident() == self.thread

    def data_of(self, t: Tensor) -> Any:
        d = t.data
        if t._ctx is None or t._ctx.fn in EXACT or d.dtype.kind != "f":
            return d
        return d * (1.0 + self.ulps * np.finfo(d.dtype).eps * self.signs(d.shape))

    def record_call(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    def set_grad(self, t: Tensor, value: Tensor | None) -> None:
        pass  # the setter assigns the value itself

    def grad_read(self, t: Tensor) -> None:
        pass  # nothing is replayed

    def accumulate(self, leaf: Tensor, g: Any, shared: bool) -> None:
        engine.accumulate_leaf(leaf, g, shared)

    def adopt(self, t: Tensor) -> None:
        pass

    def errstate(self, kwargs: dict[str, str], enter: bool) -> None:
        pass  # the op's np.errstate is entered as usual

    def random_call(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    def replayed_call(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        return fn(*args)

    def inline_updates(
        self, owner: Any, updates: list[tracing.PlainUpdate | tracing.ClearGrad]
    ) -> bool:
        return False

    def read_mode(self, module: Any, mode: bool) -> None:
        pass

    def unrecorded(self, fn: Callable[[], Any]) -> Any:
        return fn()

    def group_read(self, group: Any, key: str, value: Any) -> Any:
        return value

    def group_write(self, group: Any, changes: dict[str, Any]) -> None:
        dict.update(group, group._checked(changes))  # what ParamGroup does outside a trace

    def mark_written(self, t: Tensor) -> None:
        pass

    def created(self, t: Tensor) -> None:
        pass

    def origin(self, t: Tensor) -> str:
        return "op"  # nothing is replayed: every in-place op runs as in eager


def perturbed_forward(
    run: Callable[[], tuple[Tensor, Mapping[str, Tensor]]],
    base: Mapping[str, Any],
    ulps: int = PERTURBATION_ULPS,
    seed: int = 0,
) -> dict[str, Any]:
    """How far autograd's gradients move when every rounded value of the forward pass moves.

    `run()` builds the forward pass again and returns its cost and named tensors; it runs twice
    with each op's rounded inputs moved by `ulps` units in the last place (all up, then random
    directions), and the gradients are compared with `base`. This catches rounding that the
    forward amplifies, such as 1 − A2 when A2 rounds near 1. A forward that reads tensor values
    (`item()`, `bool()`) cannot be rerun this way: the result is then empty.

    Returns:
        name → |change| / ulps, elementwise (the largest over the trials).
    """
    out: dict[str, Any] = {}
    for signs in _signs(seed):
        previous = tracing.current
        tracing.current = _Perturbing(signs, ulps)
        try:
            with np.errstate(all="ignore"):
                cost, named = run()
        except tracing.TraceError:
            return {}
        finally:
            tracing.current = previous
        _widen(out, base, _gradients(cost, named), ulps)
    return out
