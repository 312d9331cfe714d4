"""The fused backend is optional: without numba it says how to install it; nothing else breaks."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor


def _step(x):
    return (x * 2).sum()


def test_without_numba_the_fused_backend_says_how_to_install_it(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "numba", None)  # `import numba` now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "tinygrad-lite\[fast\]"'):
        tg.compile(_step, backend="fused")
    from tinygrad_lite import fused

    assert not fused.available()
    assert tg.compile(_step)(Tensor(np.ones(3))).item() == 6.0  # the NumPy backend is unaffected


def test_without_numba_the_benchmark_lists_the_fused_step_as_unavailable(monkeypatch) -> None:
    from benchmarks.implementations import IMPLEMENTATIONS

    monkeypatch.setitem(sys.modules, "numba", None)
    reason = IMPLEMENTATIONS["tinygrad_lite fused"].unavailable()
    assert reason is not None and "numba" in reason


def test_an_unknown_backend_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"backend must be one of \['numpy', 'fused'\], got 'jax'"):
        tg.compile(_step, backend="jax")
