"""Hypothesis strategies and assertions for testing gradients (imports hypothesis lazily).

With `tinygrad_lite.strategies`, whose value strategies it re-exports, this is the only module
of the package that needs hypothesis (the `test` extra); the rest of the library works without
it. `check_backward` (from `tinygrad_lite.harness`) checks a whole hand-derived backward pass;
`assert_grads_close` compares gradients you computed yourself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .diagnosis import BackwardMismatch
from .harness import backward_test, check_backward
from .perturb import perturbed_backward
from .rounding import Rounding, backprop, compare
from .strategies import floats, labels
from .tensor import Tensor

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as e:  # pragma: no cover - exercised only without the test extra
    raise ImportError(
        "tinygrad_lite.testing needs hypothesis: pip install 'tinygrad-lite[test]'"
    ) from e

__all__ = [
    "shapes",
    "floats",
    "tensors",
    "broadcastable_tensors",
    "labels",
    "assert_grads_close",
    "rounding_of",
    "check_backward",
    "backward_test",
    "BackwardMismatch",
]


def shapes(
    min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4
) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes (including 0-d scalars and size-1 axes by default)."""
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def tensors(
    shape: tuple[int, ...] | st.SearchStrategy[tuple[int, ...]] | None = None,
    dtype: Any = np.float64,
    elements: st.SearchStrategy[float] | None = None,
    requires_grad: bool = False,
) -> st.SearchStrategy[Tensor]:
    """Tensors of the given shape (or drawn shapes), dtype and elements.

    Example:
        >>> from hypothesis import given
        >>> from tinygrad_lite.testing import tensors
        >>> @given(tensors(shape=(2, 3), requires_grad=True))
        ... def test_sum_grad_is_ones(x):
        ...     x.sum().backward()
        ...     assert (x.grad.numpy() == 1).all()
        >>> test_sum_grad_is_ones()
    """
    shape_st = shapes() if shape is None else shape
    elems = floats(dtype=dtype) if elements is None else elements
    arrays = hnp.arrays(dtype=np.dtype(dtype), shape=shape_st, elements=elems)
    return arrays.map(lambda a: Tensor(a, requires_grad=requires_grad))


def broadcastable_tensors(
    n: int = 2,
    dtype: Any = np.float64,
    elements: st.SearchStrategy[float] | None = None,
    requires_grad: bool = True,
    min_dims: int = 0,
    max_dims: int = 3,
    max_side: int = 4,
) -> st.SearchStrategy[tuple[Tensor, ...]]:
    """`n` tensors whose shapes broadcast together (different ranks and size-1 axes)."""
    elems = floats(dtype=dtype) if elements is None else elements

    @st.composite
    def build(draw: Any) -> tuple[Tensor, ...]:
        shp = draw(
            hnp.mutually_broadcastable_shapes(
                num_shapes=n, min_dims=min_dims, max_dims=max_dims, max_side=max_side
            )
        )
        return tuple(
            Tensor(draw(hnp.arrays(np.dtype(dtype), s, elements=elems)), requires_grad)
            for s in shp.input_shapes
        )

    return build()


def _array(x: Any) -> np.ndarray:
    if isinstance(x, Tensor):
        return x.data
    return np.asarray(x)


def rounding_of(cost: Tensor, tensors: Mapping[str, Tensor]) -> dict[str, Rounding]:
    """The rounding error autograd's gradients of `cost` can have, for `assert_grads_close`.

    One backward walk gives each gradient's term magnitudes M and the step count K, and a few
    more, with the forward's saved values moved by some ulps, its sensitivity D (see
    `tinygrad_lite.rounding`). The graph is kept and no `.grad` is written.

    Args:
        cost: a one-element Tensor with a recorded graph.
        tensors: name → tensor (leaves or intermediate results) whose gradients you compare.
    """
    bp = backprop(cost, tensors)
    bp.add_sensitivities(perturbed_backward(bp, cost, tensors))
    return {name: bp.rounding(name) for name in tensors if name in bp.gradients}


def assert_grads_close(
    actual: Mapping[str, Any],
    expected: Mapping[str, Any],
    rtol: float = 1e-7,
    atol: float = 0.0,
    *,
    rounding: Mapping[str, Rounding] | None = None,
) -> None:
    """Assert that two name → gradient mappings agree.

    With `rounding` (name → `Rounding`, e.g. `rounding_of(cost, tensors)` for autograd's
    side), each gradient is judged by the project's rule, `tinygrad_lite.rounding.compare`:
    within the rounding error the computation can have, whatever the size of the result. A
    plain elementwise |a - e| <= atol + rtol·|e| is used without it.

    Raises:
        AssertionError: naming each gradient that is missing, has another shape, or differs,
            with its largest difference and where it is.
    """
    problems = []
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    if missing:
        problems.append(f"missing gradients: {missing}")
    if extra:
        problems.append(f"unexpected gradients: {extra}")
    for name in expected:
        if name not in actual:
            continue
        a, e = _array(actual[name]), _array(expected[name])
        if a.shape != e.shape:
            problems.append(f"{name}: shape {a.shape} != expected {e.shape}")
            continue
        if rounding is not None:
            if name not in rounding:
                problems.append(f"{name}: no rounding given for it")
                continue
            c = compare(a, e, rounding[name])
            if not c.ok:
                at = c.index or ()
                problems.append(
                    f"{name}: abs diff {c.abs_diff:.3g} > tolerance {c.tolerance:.3g} at {at}: "
                    f"{a[at]!r} vs expected {e[at]!r}"
                )
            continue
        diff = np.abs(a - e)
        if np.all(diff <= atol + rtol * np.abs(e)):
            continue
        rel = diff / np.maximum(np.abs(e), np.finfo(np.float64).tiny)
        k = np.unravel_index(int(np.nanargmax(np.nan_to_num(diff, nan=np.inf))), diff.shape)
        problems.append(
            f"{name}: max abs diff {np.nanmax(diff):.3g}, max rel diff {np.nanmax(rel):.3g} "
            f"(worst at {tuple(int(i) for i in k)}: {a[k]!r} vs expected {e[k]!r})"
        )
    if problems:
        how = "beyond rounding" if rounding is not None else f"rtol={rtol}, atol={atol}"
        raise AssertionError(f"gradients differ ({how}):\n  " + "\n  ".join(problems))
