"""Remainders and rounded quotients against PyTorch (optional: skipped without torch)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_lite import Tensor

torch = pytest.importorskip("torch")

SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-40, 1e30, 0.1, -0.1, 3.0, -3.0]


def _floats(dtype: Any) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(SPECIAL), st.floats(-50, 50, width=32)).map(dtype)


def _same(got: np.ndarray, expected: Any, what: str, skip: Any = False) -> None:
    want = expected.detach().numpy()
    assert got.dtype == want.dtype, what
    got, want = np.where(skip, 0, got), np.where(skip, 0, want)
    np.testing.assert_array_equal(got, want, err_msg=what)
    signs = np.signbit(got) == np.signbit(want)
    assert signs[~np.isnan(want)].all(), f"{what}: the signs of zeros differ"


def _quotient_overflows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Where x/y is beyond the float range although x and y are finite, y nonzero.

    There PyTorch's vectorised remainder and fmod give NaN while its one-element path (and
    C's fmod, and this library) give the exact remainder: those elements are not compared.
    """
    return np.isfinite(x) & np.isfinite(y) & (y != 0) & np.isinf(x / y)


@given(
    dtype=st.sampled_from([np.float64, np.float32]),
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_side=4),
    data=st.data(),
)
def test_float_values_and_gradients_equal_pytorchs(dtype: Any, shapes: Any, data: Any) -> None:
    sx, sy = shapes.input_shapes
    x = data.draw(hnp.arrays(dtype, sx, elements=_floats(dtype)))
    y = data.draw(hnp.arrays(dtype, sy, elements=_floats(dtype)))
    with np.errstate(all="ignore"):
        for name in ("remainder", "fmod"):
            a, b = Tensor(x, requires_grad=True), Tensor(y, requires_grad=True)
            ta = torch.tensor(x, requires_grad=True)
            tb = torch.tensor(y, requires_grad=True)
            out, t_out = getattr(a, name)(b), getattr(torch, name)(ta, tb)
            _same(out.data, t_out, name, skip=_quotient_overflows(x, y))
            out.sum().backward()
            t_out.sum().backward()
            np.testing.assert_array_equal(a.grad.data, ta.grad.numpy(), err_msg=name)
            np.testing.assert_array_equal(b.grad.data, tb.grad.numpy(), err_msg=name)
        for mode in ("floor", "trunc"):
            got = Tensor(x).div(Tensor(y), rounding_mode=mode)
            _same(got.data, torch.div(torch.tensor(x), torch.tensor(y), rounding_mode=mode), mode)
        _same((Tensor(x) // Tensor(y)).data, torch.tensor(x) // torch.tensor(y), "//")


@given(
    dtype=st.sampled_from([np.int64, np.int32, np.int8, np.uint8]),
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_side=4),
    data=st.data(),
)
def test_integer_values_equal_pytorchs(dtype: Any, shapes: Any, data: Any) -> None:
    sx, sy = shapes.input_shapes
    lo = 0 if dtype is np.uint8 else -100
    x = data.draw(hnp.arrays(dtype, sx, elements=st.integers(lo, 100)))
    y = data.draw(hnp.arrays(dtype, sy, elements=st.integers(max(lo, 1), 9)))
    y = np.where(data.draw(hnp.arrays(np.bool_, sy)), y, -y) if dtype is not np.uint8 else y
    tx, ty = torch.tensor(x), torch.tensor(y)
    _same((Tensor(x) % Tensor(y)).data, tx % ty, "%")
    _same(Tensor(x).fmod(Tensor(y)).data, torch.fmod(tx, ty), "fmod")
    _same((Tensor(x) // Tensor(y)).data, tx // ty, "//")
    _same(
        Tensor(x).div(Tensor(y), rounding_mode="trunc").data,
        tx.div(ty, rounding_mode="trunc"),
        "trunc",
    )


def test_python_numbers_promote_as_in_pytorch() -> None:
    for value in (2, 2.5, -3):
        for dtype in (np.int32, np.int64, np.float32, np.float64):
            x = np.array([7, -7], dtype=dtype)
            for fn in (
                lambda a, v=value: a % v,
                lambda a, v=value: a // v,
                lambda a, v=value: v % a,
            ):
                got, want = fn(Tensor(x)), fn(torch.tensor(x))
                kind = np.dtype(str(want.dtype).removeprefix("torch.")).kind
                assert got.dtype.kind == kind  # (PyTorch's default float is float32)
                np.testing.assert_array_equal(got.data, want.numpy().astype(got.dtype))
