"""Every registered op in a compiled step computes what eager execution computes, bit for bit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite.opcases import op_case
from tinygrad_lite.registry import REGISTRY


def _step(case: Any, upstream: np.ndarray | None) -> Any:
    def step(*inputs: Tensor) -> Tensor:
        for t in inputs:
            t.grad = None
        out = case.call(*inputs)
        if upstream is not None:
            out.backward(upstream)
        return out

    return step


def _fresh(case: Any) -> list[Tensor]:
    return [Tensor(t.data.copy(), requires_grad=t.requires_grad) for t in case.inputs]


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("name", sorted(REGISTRY))
@settings(max_examples=3)
@given(data=st.data())
def test_every_registered_op_replays_as_eager(name: str, data: st.DataObject) -> None:
    case = data.draw(op_case(REGISTRY[name]))
    eager_out = case.call(*_fresh(case))
    upstream = None
    if eager_out.requires_grad:
        seed = data.draw(st.integers(0, 2**32 - 1))
        upstream = np.random.default_rng(seed).standard_normal(eager_out.shape)
        upstream = upstream.astype(eager_out.dtype)
    compiled = tg.compile(_step(case, upstream))
    for _ in range(2):  # the first call traces, the second replays the generated code
        ins = _fresh(case)
        got = compiled(*ins)
        expected_ins = _fresh(case)
        expected = _step(case, upstream)(*expected_ins)
        assert _same(got.data, expected.data), f"{name}: values differ"
        for t, e in zip(ins, expected_ins, strict=True):
            if e.grad is not None:
                assert t.grad is not None and _same(t.grad.data, e.grad.data), f"{name}: gradient"
    assert compiled.traces == 1


def test_a_product_takes_its_zero_branch_anew_on_every_replay() -> None:
    x = Tensor(np.array([[2.0, 3.0], [5.0, 7.0]]), requires_grad=True)

    def step(a: Tensor) -> Tensor:
        x.grad = None
        loss = (x * a).prod(dim=1).sum()
        loss.backward()
        return loss

    compiled = tg.compile(step)
    for a in ([[1.0, 1.0], [1.0, 1.0]], [[0.0, 1.0], [1.0, 1.0]], [[1e-200, 1e-200], [1.0, 0.5]]):
        got = compiled(Tensor(np.array(a)))
        got_grad = x.grad.data.copy()
        expected = step(Tensor(np.array(a)))
        assert got.item() == expected.item()
        np.testing.assert_array_equal(got_grad, x.grad.data)
    assert compiled.traces == 1


@pytest.mark.parametrize(
    ("p", "risky"),
    [(2, ([1e-310, 4.0], 1e300)), (3, ([1e200, 3.0], 1e-250)), (-1, ([1e-200, 3.0], 1e-300))],
)
def test_a_power_takes_its_exact_branch_anew_on_every_replay(p: float, risky: Any) -> None:
    # Where x^(p-1) alone overflows or is subnormal but g·p·x^(p-1) is in range, the
    # gradient is recomputed exactly; the replay decides that from the values it gets.
    def step(x: Tensor, scale: Tensor) -> Tensor:
        ((x**p).sum() * scale).backward()
        assert x.grad is not None
        return x.grad

    compiled = tg.compile(step)
    with np.errstate(over="ignore"):  # the forward of the risky case overflows (p = 3)
        for values, scale in [([1.0, 2.0], 1.0), risky, ([1.5, 2.5], 2.0)]:
            got = compiled(Tensor(np.array(values), requires_grad=True), Tensor(scale)).data
            expected = step(Tensor(np.array(values), requires_grad=True), Tensor(scale)).data
            assert np.isfinite(expected).all()
            np.testing.assert_array_equal(got, expected)
    assert compiled.traces == 1
