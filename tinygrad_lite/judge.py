"""Judge one example of a hand-derived backward pass against autograd (used by `harness`).

One example: the learner's forward runs on Tensors, autograd's gradients of its cost come from
one backward walk, the learner's backward runs on plain arrays, and each named gradient is
compared, in backward order, within the rounding error the computation can have.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .diagnosis import Report, Row, activation, best_factor, hint, kink, other_input
from .perturb import perturbed_backward, perturbed_forward, sensitivity
from .rounding import backprop, compare
from .tensor import Tensor

__all__ = ["Unjudgeable", "check_once"]


class Unjudgeable(Exception):
    """The example cannot be judged (a kink, or a non-finite cost or gradient)."""


# ------------------------------------------------------------------------------ calling


def _bind(fn: Callable[..., Any], available: Mapping[str, Any], role: str) -> Any:
    """Call `fn` with the values its parameters are named after."""
    sig = inspect.signature(fn)
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for p in sig.parameters.values():
        if p.kind is p.VAR_KEYWORD:
            kwargs.update({k: v for k, v in available.items() if k not in kwargs})
        elif p.kind is p.VAR_POSITIONAL:
            continue
        elif p.name in available:
            if p.kind is p.POSITIONAL_ONLY:
                args.append(available[p.name])
            else:
                kwargs[p.name] = available[p.name]
        elif p.default is p.empty:
            raise TypeError(
                f"check_backward: {role} takes an argument {p.name!r}, but the values are "
                f"{sorted(available)} (name the arguments after the inputs and parameters, or "
                "take 'params', 'inputs' and, in backward, 'cache')"
            )
    return fn(*args, **kwargs)


def _arrays(value: Any) -> Any:
    """Tensors replaced by copies of their arrays, inside dicts, lists and tuples too."""
    if isinstance(value, Tensor):
        return value.data.copy()
    if isinstance(value, dict):
        return {k: _arrays(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_arrays(v) for v in value)
    return value


# ------------------------------------------------------------------------------ one example


def _scales(convention: str, m: int | None) -> list[tuple[str, float]]:
    if convention == "exact" or not m:
        return [("1", 1.0)]
    if convention == "m":
        return [("m", float(m))]
    return [("1", 1.0), ("m", float(m))]


class _Example:
    """One example: the forward run on Tensors, autograd's gradients, the hand-derived ones."""

    def __init__(
        self,
        forward: Callable[..., Any],
        backward: Callable[..., Any],
        inputs: Mapping[str, np.ndarray],
        params: Mapping[str, np.ndarray],
    ) -> None:
        self.forward, self.backward = forward, backward
        with np.errstate(all="ignore"):
            self.params = {
                k: Tensor(np.array(v, dtype=np.float64), requires_grad=True)
                for k, v in params.items()
            }
            self.inputs = {}
            for k, v in inputs.items():
                a = np.array(v)
                self.inputs[k] = Tensor(a, requires_grad=a.dtype.kind == "f")
            self.values = {
                **self.inputs,
                **self.params,
                "params": self.params,
                "parameters": self.params,
                "inputs": self.inputs,
            }
            self.cost, self.cache = self.run_forward()
        self.named = {**self.inputs, **self.params, **_tensors(self.cache)}
        if not np.isfinite(self.cost.data).all():
            raise Unjudgeable(f"the cost is {self.cost.item()} at these values")
        with np.errstate(all="ignore"):
            self.bp = backprop(self.cost, self.named)
        self.kinks = [k for k in (kink(node) for node in self.bp.nodes) if k]
        arrays = {k: _arrays(v) for k, v in self.values.items()}
        arrays.update(cache=_arrays(self.cache))
        self.arrays = arrays
        self.grads = self.run_backward(**arrays)
        if not isinstance(self.grads, Mapping):
            raise TypeError(
                f"check_backward: backward must return a dict, got {type(self.grads).__name__}"
            )

    def run_forward(self) -> tuple[Tensor, dict[str, Any]]:
        out = _bind(self.forward, self.values, "forward")
        cost, cache = out if isinstance(out, tuple) and len(out) == 2 else (out, None)
        if not isinstance(cost, Tensor) or cost.data.size != 1 or not cost.requires_grad:
            raise TypeError(
                "check_backward: forward must return the cost (a one-element Tensor computed "
                f"from the parameters), or (cost, cache); it returned {type(cost).__name__}"
                + (f" of shape {cost.shape}" if isinstance(cost, Tensor) else "")
            )
        if cache is not None and not isinstance(cache, Mapping):
            raise TypeError(
                f"check_backward: forward's cache must be a dict, got {type(cache).__name__}"
            )
        return cost, dict(cache or {})

    def rerun(self) -> tuple[Tensor, Mapping[str, Tensor]]:
        cost, cache = self.run_forward()
        return cost, {**self.inputs, **self.params, **_tensors(cache)}

    def run_backward(self, **arrays: Any) -> Any:
        with np.errstate(all="ignore"):
            return _bind(self.backward, arrays, "backward")

    def probe(self, exact: tuple[str, ...]) -> dict[str, Any]:
        """Measure D: autograd's sensitivities go into `bp`; the hand derivation's are returned."""
        self.bp.add_sensitivities(perturbed_backward(self.bp, self.cost, self.named))
        self.bp.add_sensitivities(perturbed_forward(self.rerun, self.bp.gradients))
        return sensitivity(self.run_backward, self.arrays, exact=exact)


def _tensors(cache: Mapping[str, Any]) -> dict[str, Tensor]:
    return {k: v for k, v in cache.items() if isinstance(v, Tensor)}


def check_once(
    forward: Callable[..., Any],
    backward: Callable[..., Any],
    inputs: Mapping[str, np.ndarray],
    params: Mapping[str, np.ndarray],
    labels: tuple[str, ...] = (),
    convention: str = "auto",
    m: int | None = None,
) -> Report:
    """Check `backward` at one set of values; return the report (its `cause` set if wrong).

    The comparison is first made without D (the sensitivities, see `tinygrad_lite.rounding`):
    D only widens the tolerance, so agreement without it is agreement. Only when a gradient
    seems wrong is D measured (a few more runs of both passes) and everything compared again.

    Raises:
        Unjudgeable: the example cannot be judged (see `check_backward`).
        TypeError, ValueError: `forward` or `backward` does not follow the conventions.
    """
    if m is None and inputs:
        first = np.asarray(next(iter(inputs.values())))
        m = first.shape[-1] if first.ndim else None
    ex = _Example(forward, backward, inputs, params)
    keys = _targets(ex.grads, ex.named, ex.params)
    order = [n for n in ex.bp.order if n in keys] + [n for n in keys if n not in ex.bp.order]
    for name in order:
        if name in ex.bp.gradients and not np.all(np.isfinite(ex.bp.gradients[name])):
            raise Unjudgeable(f"autograd's gradient for {name} is not finite here")
    report = _judge(ex, order, keys, {}, convention, m)
    if report.cause is None:
        return report
    exact = tuple(labels) + tuple(k for k, v in inputs.items() if np.all((v == 0) | (v == 1)))
    report = _judge(ex, order, keys, ex.probe(exact), convention, m)
    wrong = [r for r in report.rows if r.verdict == "WRONG"]
    if ex.kinks and wrong and all(r.shape == r.expected and np.isfinite(r.abs_diff) for r in wrong):
        # autograd took one side of a kink there; the other side is as right
        raise Unjudgeable(f"the forward pass is not differentiable here: {ex.kinks[0]}")
    if report.cause is not None:
        report.counterexample = {k: np.asarray(v) for k, v in {**inputs, **params}.items()}
    return report


def _judge(
    ex: _Example,
    order: list[str],
    keys: Mapping[str, str],
    moved: Mapping[str, Any],
    convention: str,
    m: int | None,
) -> Report:
    """Compare every returned gradient with autograd's, in backward order."""
    report = Report(m=m)
    bp, named = ex.bp, ex.named
    ids = {id(t._ctx) if t._ctx is not None else id(t): n for n, t in named.items()}
    for name in order:
        key, mine = keys[name], ex.grads.get(keys[name])
        shape = None if mine is None else np.shape(mine)
        if name not in bp.gradients:  # the cost does not depend on it
            report.rows.append(Row(key, shape, named[name].shape, "", 0.0, 0.0, "skipped"))
            continue
        right = bp.gradients[name]
        value = np.full(right.shape, np.nan) if mine is None else mine
        d = moved.get(key, 0.0)
        scales = _scales(convention, m) if name not in ex.params else [("1", 1.0)]
        judged = [(lab, f, compare(value, right * f, bp.rounding(name, d, f))) for lab, f in scales]
        # where both scales fit (a value that is zero up to rounding) take the one the other
        # intermediates use; where neither does, the one in which the mistake is simplest
        uses_m = any(r.scale == "m" for r in report.rows)
        judged.sort(key=lambda j: (not j[2].ok, (j[0] == "m") != uses_m))
        if not judged[0][2].ok and not uses_m and convention == "auto":
            f = best_factor(mine, right, [j[1] for j in judged])
            judged.sort(key=lambda j: j[1] != f)
        label, factor, found = judged[0]
        verdict = "OK" if found.ok else "WRONG"
        report.rows.append(
            Row(key, shape, right.shape, label, found.abs_diff, found.tolerance, verdict)
        )
        if found.ok or report.cause is not None:
            continue
        report.cause = key
        act = activation(bp.nodes, named[name], ids, factor, named)
        swapped = None
        if name in ex.params and mine is not None:
            swapped = other_input(bp.nodes, named[name], mine, named, factor)
        report.hint = hint(key, name, mine, right * factor, m, name in ex.params, act, swapped)
        before = bp.order[: bp.order.index(name)] if name in bp.order else []
        upstream = [f"d{n}" for n in before if n in ex.cache and n not in keys]
        if name in ex.params and upstream and not any(k in ex.cache for k in keys):
            report.hint += (
                f" (return {', '.join(upstream)} too, to see which step goes wrong first)"
            )
    return report


def _targets(
    grads: Mapping[str, Any], named: Mapping[str, Tensor], params: Mapping[str, Any]
) -> dict[str, str]:
    """Value name → the key backward returned its gradient under ("Z2" → "dZ2")."""
    keys: dict[str, str] = {}
    for key in grads:
        target = key[1:] if key.startswith("d") and key[1:] in named else key
        if target not in named:
            raise ValueError(
                f"check_backward: backward returned {key!r}, but forward names no value "
                f"{key[1:]!r}; the named values are {sorted(named)}"
            )
        keys[target] = key
    for name in params:
        keys.setdefault(name, "d" + name)  # a parameter without a gradient is a mistake
    return keys
