"""The value strategies shared by `testing` and `harness` (imports hypothesis; see `testing`)."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as e:  # pragma: no cover - exercised only without the test extra
    raise ImportError(
        "tinygrad_lite.strategies needs hypothesis: pip install 'tinygrad-lite[test]'"
    ) from e

__all__ = ["floats", "labels"]


def floats(
    min_value: float = -10.0, max_value: float = 10.0, dtype: Any = np.float64
) -> st.SearchStrategy[float]:
    """Finite floats in [min_value, max_value], representable in `dtype`."""
    width: Literal[32, 64] = 32 if np.dtype(dtype) == np.float32 else 64
    return st.floats(min_value, max_value, allow_nan=False, allow_infinity=False, width=width)


def labels(shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    """Float arrays of 0s and 1s (class labels) of the given shape."""
    return hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 1.0]))
