"""Check anyone's hand-derived backward pass against autograd: `check_backward`.

The learner writes `forward` (NumPy calls or Tensor ops, returning the cost and optionally a
dict cache of named intermediates) and `backward` (plain NumPy, returning a dict of named
gradients "dZ2", "dW2", ...). The harness runs `forward` on Tensors, takes autograd's gradient of
the cost with respect to every named value in one backward walk, runs `backward` on plain
arrays, and compares each named gradient within the rounding error the computation can have
(`tinygrad_lite.rounding`), in backward order, so that the first wrong one is the cause. Inputs
and parameters are drawn by hypothesis (seeded, shrinking) unless given as arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .diagnosis import BackwardMismatch, Report
from .judge import Unjudgeable, check_once
from .tensor import Tensor

__all__ = ["BackwardMismatch", "Report", "backward_test", "check_backward"]

Spec = Mapping[str, Any]
CONVENTIONS = ("auto", "exact", "m")


# ------------------------------------------------------------------------------ drawing


def _is_shape(value: Any) -> bool:
    return isinstance(value, tuple) and all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0 for n in value
    )


def _is_strategy(value: Any) -> bool:
    return hasattr(value, "example") and hasattr(value, "map")


def _strategy(value: Any, label: bool, elements: Any) -> Any:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    from .strategies import labels

    if _is_strategy(value):
        return value.map(lambda v: np.array(v.data if isinstance(v, Tensor) else v))
    if _is_shape(value):
        return labels(value) if label else hnp.arrays(np.float64, value, elements=elements)
    return st.just(np.array(value.data if isinstance(value, Tensor) else value))


def _in_hypothesis_test() -> bool:
    try:
        from hypothesis.control import currently_in_test_context
    except ImportError:  # pragma: no cover - hypothesis is optional
        return False
    return bool(currently_in_test_context())


def check_backward(
    forward: Callable[..., Any],
    backward: Callable[..., Any],
    inputs: Spec,
    params: Spec,
    *,
    labels: tuple[str, ...] = (),
    convention: str = "auto",
    m: int | None = None,
    elements: Any = None,
    max_examples: int | None = None,
    seed: int = 0,
    shrink: bool = True,
) -> Report:
    """Check a hand-derived `backward` against autograd's gradients of `forward`'s cost.

    Each argument of `forward` and `backward` is matched by name: an input, a parameter,
    `params` (the dict of parameters), `inputs`, and for `backward` also `cache`. `forward` gets
    Tensors (NumPy calls on them dispatch to Tensor ops) and returns the cost, or
    `(cost, cache)` with a dict of named intermediates; `backward` gets plain arrays (the cache's
    Tensors as arrays too) and returns a dict of gradients named "d" + value ("dZ2", "dW2", ...).

    Every returned gradient is compared, in backward order, with autograd's within the rounding
    error the computation can have (`tinygrad_lite.rounding`); every parameter must have one.
    Parameters' gradients must be ∂J/∂W; an intermediate's may also be m·∂J/∂V, the course's
    convention for dZ and dA (`convention`: "auto" accepts both and says which, "exact" and "m"
    insist on one).

    Values given as shapes (tuples of ints) or hypothesis strategies are drawn by hypothesis
    (seeded, shrinking to a small counterexample); values given as arrays are used as they are,
    which is the form to call inside your own `@given` test. Examples where the forward sits
    on a kink (relu at 0, ties of a maximum) or the cost or autograd's gradient is not finite
    cannot be judged and are skipped (outside hypothesis, a ValueError says why).

    Args:
        forward: the forward pass.
        backward: the hand-derived backward pass.
        inputs: name → shape, strategy or array: the data (X, Y, ...).
        params: name → shape, strategy or array: the parameters (W1, b1, ...).
        labels: names of inputs drawn from {0, 1} (e.g. ("Y",)).
        convention: "auto", "exact" or "m" (see above).
        m: the batch size (default: the last axis of the first input).
        elements: the strategy of the drawn values (default: floats in [-4, 4]).
        max_examples: how many examples to draw (default: the active hypothesis profile's).
        seed: the seed of the draws.
        shrink: shrink a failing example to a small one (False: report the first failure).

    Returns:
        The `Report`: for each gradient the example where it came closest to its tolerance.

    Raises:
        BackwardMismatch: (an AssertionError) a gradient differs: the message names the first
            wrong one, with the table, a hint and the shrunk counterexample.
        TypeError, ValueError: `forward` or `backward` does not follow the conventions above.
    """
    if convention not in CONVENTIONS:
        raise ValueError(
            f"check_backward: convention must be one of {CONVENTIONS}, got {convention!r}"
        )
    specs = {**inputs, **params}
    unknown = [n for n in labels if n not in inputs]
    if unknown:
        raise ValueError(
            f"check_backward: labels {unknown} are not among the inputs {list(inputs)}"
        )
    if not any(_is_shape(v) or _is_strategy(v) for v in specs.values()):
        fixed = {k: np.array(v.data if isinstance(v, Tensor) else v) for k, v in specs.items()}
        try:
            report = check_once(
                forward,
                backward,
                {k: fixed[k] for k in inputs},
                {k: fixed[k] for k in params},
                labels,
                convention,
                m,
            )
        except Unjudgeable as e:
            if _in_hypothesis_test():
                from hypothesis import reject

                reject()
            raise ValueError(f"check_backward: cannot judge this example: {e}") from None
        if report.cause is not None:
            raise BackwardMismatch(report)
        return report
    return _check_drawn(
        forward,
        backward,
        inputs,
        params,
        labels,
        convention,
        m,
        elements,
        max_examples,
        seed,
        shrink,
    )


# How many failing examples the shrinker may check: enough to shrink a counterexample to small
# values, few enough to answer in seconds (the search stays deterministic).
SHRINK_BUDGET = 150


def _check_drawn(
    forward: Callable[..., Any],
    backward: Callable[..., Any],
    inputs: Spec,
    params: Spec,
    labels: tuple[str, ...],
    convention: str,
    m: int | None,
    elements: Any,
    max_examples: int | None,
    seed: int,
    shrink: bool,
) -> Report:
    from hypothesis import HealthCheck, Phase, given, reject, settings
    from hypothesis import seed as seeded
    from hypothesis import strategies as st

    from .strategies import floats

    values = floats(-4.0, 4.0) if elements is None else elements
    strategy = st.fixed_dictionaries(
        {k: _strategy(v, k in labels, values) for k, v in {**inputs, **params}.items()}
    )
    state: dict[str, Any] = {"count": 0, "first": None, "report": None}
    failing: list[dict[str, np.ndarray]] = []
    options: dict[str, Any] = {} if max_examples is None else {"max_examples": max_examples}
    # no explain phase: it traces every line run, which is slow and says nothing here
    options["phases"] = [Phase.explicit, Phase.generate] + ([Phase.shrink] if shrink else [])

    def seen(example: dict[str, np.ndarray]) -> bool:
        return any(all(np.array_equal(f[k], example[k]) for k in f) for f in failing)

    @seeded(seed)
    @settings(
        database=None,
        deadline=None,
        print_blob=False,
        report_multiple_bugs=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        **options,
    )
    @given(strategy)
    def run(example: dict[str, np.ndarray]) -> None:
        if len(failing) >= SHRINK_BUDGET and not seen(example):
            return  # shrinking has had its budget: keep the smallest failure found so far
        state["count"] += 1
        try:
            report = check_once(
                forward,
                backward,
                {k: example[k] for k in inputs},
                {k: example[k] for k in params},
                labels,
                convention,
                m,
            )
        except Unjudgeable:
            reject()
        if report.cause is not None:
            state["first"] = state["first"] or state["count"]
            report.examples = state["first"]
            if not seen(example):
                failing.append({k: np.array(v) for k, v in example.items()})
            raise BackwardMismatch(report)
        state["report"] = report if state["report"] is None else state["report"].merge(report)

    run()
    result: Report = state["report"]
    return result


def backward_test(
    forward: Callable[..., Any], **options: Any
) -> Callable[[Callable[..., Any]], Callable[[], None]]:
    """Turn a hand-derived backward into a test function (the pytest-friendly form).

    Example:
        >>> @backward_test(forward, inputs={"X": (2, 5), "Y": (1, 5)},  # doctest: +SKIP
        ...                params={"W": (1, 2), "b": (1, 1)}, labels=("Y",))
        ... def test_my_backward(X, Y, W, b, cache):
        ...     ...  # the hand derivation, returning {"dZ": ..., "dW": ..., "db": ...}

    The decorated function is replaced by a test that takes no arguments and runs
    `check_backward(forward, <the function>, **options)`; the original stays reachable as the
    test's `backward` attribute.
    """

    def decorate(backward: Callable[..., Any]) -> Callable[[], None]:
        def test() -> None:
            check_backward(forward, backward, **options)

        test.__name__ = test.__qualname__ = backward.__name__
        test.__doc__ = backward.__doc__
        test.__module__ = backward.__module__
        test.backward = backward  # type: ignore[attr-defined]
        return test

    return decorate
