"""gradcheck itself: it passes correct gradients and reports wrong ones precisely."""

from __future__ import annotations

import re

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite.gradcheck import GradcheckError, gradcheck, numerical_grad


def test_numerical_grad_of_a_known_function() -> None:
    x = np.array([1.0, -2.0, 0.5])
    g = numerical_grad(lambda: float(np.sum(x**3)), x)
    np.testing.assert_allclose(g, 3 * x**2, rtol=1e-8)
    np.testing.assert_array_equal(x, [1.0, -2.0, 0.5])  # restored


def test_float32_inputs_are_checked_in_float64() -> None:
    x = Tensor(np.array([0.3, -0.7], dtype=np.float32), requires_grad=True)
    seen = []

    def f(t: Tensor) -> Tensor:
        seen.append(t.dtype)
        return t.tanh()

    assert gradcheck(f, x)
    assert set(seen) == {np.dtype(np.float64)}


def test_non_tensor_arguments_pass_through() -> None:
    x = tg.randn(3, seed=0, requires_grad=True)
    assert gradcheck(lambda t, k: t * k, x, 3.0)


def test_nothing_to_check_is_an_error() -> None:
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda t: t * 2, Tensor([1.0]))


def test_fn_must_return_a_tensor() -> None:
    with pytest.raises(TypeError, match="must return a Tensor"):
        gradcheck(lambda t: 1.0, Tensor([1.0], requires_grad=True))  # type: ignore[arg-type,return-value]


def test_a_detached_path_is_reported_with_index_and_values() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda t: (t.detach() * t.detach() + t).sum(), x)
    msg = str(info.value)  # analytic 1, numeric 2t + 1: worst at t = 2
    assert "input 0" in msg and "index (1,)" in msg
    assert re.search(r"analytic 1\.0, numeric 4\.99999|analytic 1\.0, numeric 5\.0000", msg)


def test_numerical_grad_moves_the_elements_of_a_view_of_any_layout() -> None:
    """A transposed (non-contiguous) view is perturbed through its own indices."""
    base = np.arange(6.0).reshape(2, 3)
    x = base.T
    g = numerical_grad(lambda: float(np.sum(x**2) + x[2, 0]), x)
    expected = 2 * base.T
    expected[2, 0] += 1.0
    np.testing.assert_allclose(g, expected, rtol=1e-8, atol=1e-8)
    assert np.array_equal(base, np.arange(6.0).reshape(2, 3))  # restored
