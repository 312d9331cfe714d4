"""Full backward hooks where no gradient reaches the inputs, and gradient norms of any order.

The expected values are PyTorch's (2.13): its inputs' node runs whenever the graph leads there
from the outputs' node, so its hooks see zeros and the inputs get zeros; its total norm of order
p < 0 is the p-norm of all entries (0 where one is 0), and of order -inf the smallest |entry|.
"""

from __future__ import annotations

import gc
import math
import warnings
import weakref
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn


def t(*values: float, dtype: Any = np.float64, grad: bool = False) -> Tensor:
    return Tensor(np.array(values, dtype=dtype), requires_grad=grad)


def arr(g: Any) -> Any:
    return None if g is None else g.data.copy()


class Log:
    """Records every hook call: ("full", grad_input, grad_output) or ("pre", grad_output)."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def full(self, name: str = "full", returns: Any = None) -> Any:
        def hook(module: Any, gi: Any, go: Any) -> Any:
            self.calls.append((name, [arr(g) for g in gi], [arr(g) for g in go]))
            return returns(gi) if returns else None

        return hook

    def pre(self, returns: Any = None) -> Any:
        def hook(module: Any, go: Any) -> Any:
            self.calls.append(("pre", [arr(g) for g in go]))
            return returns(go) if returns else None

        return hook


def same(a: Any, b: Any) -> None:
    """Nested lists of arrays and None, equal in structure and value."""
    if a is None or b is None or isinstance(a, str):
        assert a == b if isinstance(a, str) else (a is None and b is None), (a, b)
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), (a, b)
        for x, y in zip(a, b, strict=True):
            same(x, y)
    else:
        b = np.asarray(b, dtype=a.dtype)
        assert a.shape == b.shape, (a, b)
        np.testing.assert_array_equal(a, b)


Z2 = np.zeros(2)


class M(nn.Module):
    """(x·w, 3y): only y's path leads to the second output."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(np.ones(2))

    def forward(self, x: Tensor, y: Tensor) -> Any:
        return x * self.w, y * 3.0


def hooked(module: Any, log: Log, pre: bool = False, returns: Any = None) -> Any:
    if pre:
        module.register_full_backward_pre_hook(log.pre())
    module.register_full_backward_hook(log.full(returns=returns))
    return module


def test_an_input_no_gradient_reaches_gets_zeros_and_the_hook_is_called() -> None:
    log = Log()
    m = hooked(M(), log)
    y = t(3.0, 4.0, grad=True)
    a, _ = m(t(1.0, 2.0), y)
    a.sum().backward()
    same(log.calls, [("full", [Z2, Z2], [np.ones(2), None])])
    same(arr(y.grad), Z2)  # zeros, not None
    same(arr(m.w.grad), [1.0, 2.0])


def test_pre_hooks_run_first_and_alone_they_still_give_the_input_zeros() -> None:
    log = Log()
    m = hooked(M(), log, pre=True)
    y = t(3.0, 4.0, grad=True)
    m(t(1.0, 2.0), y)[0].sum().backward()
    same(log.calls, [("pre", [np.ones(2), None]), ("full", [Z2, Z2], [np.ones(2), None])])
    only_pre, log2 = M(), Log()
    only_pre.register_full_backward_pre_hook(log2.pre())
    y2 = t(3.0, 4.0, grad=True)
    only_pre(t(1.0, 2.0), y2)[0].sum().backward()
    same(log2.calls, [("pre", [np.ones(2), None])])
    same(arr(y2.grad), Z2)


@pytest.mark.parametrize("used", [0, 1])
def test_two_inputs_that_require_grad_and_one_output_used(used: int) -> None:
    log = Log()
    m = hooked(M(), log)
    x, y = t(1.0, 2.0, grad=True), t(3.0, 4.0, grad=True)
    m(x, y)[used].sum().backward()
    gx, gy = (np.ones(2), Z2) if used == 0 else (Z2, np.full(2, 3.0))
    go = [np.ones(2), None] if used == 0 else [None, np.ones(2)]
    same(log.calls, [("full", [gx, gy], go)])
    same([arr(x.grad), arr(y.grad)], [gx, gy])
    assert (m.w.grad is None) == (used == 1)  # b = 3y: no gradient for w, as without hooks


def test_a_returned_grad_input_replaces_the_zeros_and_none_stops_them() -> None:
    log = Log()
    m = hooked(M(), log, returns=lambda gi: (None, t(7.0, 7.0)))
    y = t(3.0, 4.0, grad=True)
    m(t(1.0, 2.0), y)[0].sum().backward()
    same(log.calls, [("full", [Z2, Z2], [np.ones(2), None])])
    same(arr(y.grad), [7.0, 7.0])
    m2 = hooked(M(), Log(), returns=lambda gi: (None, None))
    y2 = t(3.0, 4.0, grad=True)
    m2(t(1.0, 2.0), y2)[0].sum().backward()
    assert y2.grad is None


def test_a_pre_hook_s_grad_output_is_what_the_full_hook_sees() -> None:
    log = Log()
    m = M()
    m.register_full_backward_pre_hook(log.pre(lambda go: (go[0] * 2.0, None)))
    m.register_full_backward_hook(log.full())
    y = t(3.0, 4.0, grad=True)
    m(t(1.0, 2.0), y)[0].sum().backward()
    same(log.calls[1], ("full", [Z2, Z2], [np.full(2, 2.0), None]))
    same([arr(y.grad), arr(m.w.grad)], [Z2, [2.0, 4.0]])


def test_autograd_grad_and_backward_inputs() -> None:
    log = Log()
    m = hooked(M(), log)
    y = t(3.0, 4.0, grad=True)
    a, _ = m(t(1.0, 2.0), y)
    (gy,) = tg.grad(a.sum(), [y], retain_graph=True)  # reached: zeros, not "unused"
    same([arr(gy), log.calls], [Z2, [("full", [Z2, Z2], [np.ones(2), None])]])
    log.calls.clear()
    (gw,) = tg.grad(a.sum(), [m.w], retain_graph=True)  # the inputs' node is not needed
    same([arr(gw), log.calls], [[1.0, 2.0], []])
    a.sum().backward(inputs=[y])
    same([arr(y.grad), m.w.grad], [Z2, None])
    assert len(log.calls) == 1


def test_the_zeros_go_on_into_the_graph_before_the_module() -> None:
    m = hooked(M(), Log())
    z, p = t(3.0, 4.0, grad=True), nn.Parameter(np.array([2.0, 2.0]))
    m(t(1.0, 2.0), (z * p).exp())[0].sum().backward()
    same([arr(z.grad), arr(p.grad)], [Z2, Z2])


class Four(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(np.ones(2))

    def forward(self, x: Tensor, n: float, y: Tensor, z: Tensor) -> Any:
        return x * self.w, y * 3.0, n, z * 2.0


def test_non_tensors_inputs_without_grad_and_unused_outputs() -> None:
    log = Log()
    m = hooked(Four(), log, pre=True)
    y, z = t(3.0, 4.0, grad=True), t(5.0, 6.0, grad=True)
    m(t(1.0, 2.0), 4.0, y, z)[0].sum().backward()
    go = [np.ones(2), None, None, None]
    same(log.calls, [("pre", go), ("full", [Z2, None, Z2, Z2], go)])
    same([arr(y.grad), arr(z.grad)], [Z2, Z2])


def test_a_float32_input_gets_float32_zeros() -> None:
    log = Log()
    m = hooked(M(), log)
    y = t(3.0, 4.0, dtype=np.float32, grad=True)
    m(t(1.0, 2.0), y)[0].sum().backward()
    gi = log.calls[0][1]
    assert gi[0].dtype == np.float64 and gi[1].dtype == np.float32
    assert y.grad is not None and y.grad.dtype == np.float32 and not y.grad.data.any()


def test_nested_hooked_modules() -> None:
    log = Log()

    class Outer(nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *args: Tensor) -> Any:
            return self.inner(*args)

    o = Outer(hooked(M(), log))
    o.register_full_backward_hook(log.full("outer"))
    y = t(3.0, 4.0, grad=True)
    o(t(1.0, 2.0), y)[0].sum().backward()
    grads = [Z2, Z2], [np.ones(2), None]
    same(log.calls, [("full", *grads), ("outer", *grads)])
    same(arr(y.grad), Z2)

    class Double(nn.Module):
        def forward(self, x: Tensor) -> Tensor:
            return x * 2.0

    log.calls.clear()  # the inner hook stops the gradient: the outer one still runs, with zeros
    inner = Double()
    inner.register_full_backward_hook(log.full("inner", returns=lambda gi: (None,)))
    o = Outer(inner)
    o.register_full_backward_hook(log.full("outer"))
    x = t(3.0, 4.0, grad=True)
    o(x).sum().backward()
    same(log.calls, [("inner", [np.full(2, 2.0)], [np.ones(2)]), ("outer", [Z2], [np.ones(2)])])
    same(arr(x.grad), Z2)

    class Const(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(np.ones(2))

        def forward(self, x: Tensor) -> Tensor:
            return self.w * 2.0

    log.calls.clear()  # an inner module that ignores its input: the outer's is not reached
    o = Outer(hooked(Const(), log))
    o.register_full_backward_hook(log.full("outer"))
    x = t(3.0, 4.0, grad=True)
    o(x).sum().backward()
    assert log.calls == [] and x.grad is None


def test_an_input_that_only_reaches_an_unused_output() -> None:
    class Split(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(np.ones(2))

        def forward(self, x: Tensor) -> Any:
            return self.w * 2.0, x * 2.0

    log = Log()
    m = hooked(Split(), log)
    x = t(1.0, 2.0, grad=True)
    m(x)[0].sum().backward()
    same(log.calls, [("full", [Z2], [np.ones(2), None])])
    same(arr(x.grad), Z2)


def test_a_gradient_that_reaches_the_inputs_is_unchanged() -> None:
    class Twice(nn.Module):
        def forward(self, a: Tensor) -> Any:
            return a * 1.0, a * 2.0

    log = Log()
    m = hooked(Twice(), log)
    a = t(1.0, 2.0, grad=True)
    u, _ = m(a)
    (u * t(-0.0, 1.0)).sum().backward()
    assert a.grad is not None
    np.testing.assert_array_equal(np.signbit(a.grad.data), [True, False])  # -0.0 stays -0.0
    same(log.calls, [("full", [[-0.0, 1.0]], [[-0.0, 1.0], None])])
    log.calls.clear()
    m2 = hooked(M(), log)
    x, y = t(1.0, 2.0, grad=True), t(3.0, 4.0, grad=True)
    a2, b2 = m2(x, y)
    a2.sum().backward(retain_graph=True)
    b2.sum().backward(retain_graph=True)
    (a2.sum() + b2.sum()).backward()
    same([arr(x.grad), arr(y.grad)], [np.full(2, 2.0), np.full(2, 6.0)])
    same([c[1] for c in log.calls], [[np.ones(2), Z2], [Z2, np.full(2, 3.0)], [np.ones(2), [3, 3]]])


def test_create_graph_and_second_order() -> None:
    m = hooked(M(), Log())
    y = t(3.0, 4.0, grad=True)
    m(t(1.0, 2.0), y)[0].sum().backward(create_graph=True)
    same(arr(y.grad), Z2)

    class Square(nn.Module):
        def forward(self, x: Tensor, y: Tensor) -> Any:
            return x * x, y * 2.0

    log = Log()
    sq = hooked(Square(), log)
    x, y = t(1.0, 2.0, grad=True), t(3.0, 4.0, grad=True)
    (g,) = tg.grad(sq(x, y)[0].sum(), [x], create_graph=True)
    same(log.calls, [("full", [[2.0, 4.0], Z2], [np.ones(2), None])])
    g.sum().backward()
    same([arr(x.grad), arr(y.grad)], [np.full(2, 2.0), Z2])


def test_a_forward_that_raises_leaves_no_graph_behind() -> None:
    class Bad(nn.Module):
        def forward(self, x: Tensor) -> Tensor:
            raise ValueError("bad forward")

    m = Bad()
    m.register_full_backward_hook(lambda mod, gi, go: None)
    h = t(1.0, 2.0, grad=True) * 2.0
    node = weakref.ref(h._ctx)
    gc.disable()
    try:
        with pytest.raises(ValueError, match="bad forward"):
            m(h)
        del h
        assert node() is None  # freed at once, not kept by the hooks' bookkeeping
    finally:
        gc.enable()


# ------------------------------------------------------------------ norms of any order


def total(p: Any, *tensors: Tensor) -> Tensor:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 0 ** p for p < 0 is inf, without a warning
        return nn.utils.get_total_norm(list(tensors), p)


def params(*grads: Tensor) -> list[Any]:
    out = []
    for g in grads:
        q = nn.Parameter(np.zeros(g.shape, dtype=g.dtype))
        q.grad = g
        out.append(q)
    return out


def test_negative_orders_and_minus_inf() -> None:
    assert total(-math.inf, t(3.0, -4.0), t(2.0, 1.0)).item() == 1.0  # the smallest |x|
    assert total("-inf", t(3.0, -4.0), t(0.0)).item() == 0.0
    np.testing.assert_allclose(total(-1, t(3.0, -4.0), t(2.0, 1.0)).item(), 0.48, rtol=1e-15)
    expected = (1 / 9 + 1 / 16 + 1 / 4 + 1) ** -0.5
    np.testing.assert_allclose(total(-2.0, t(3.0, -4.0), t(2.0, 1.0)).item(), expected, 1e-15)
    for p in (-1, -0.5, -3.0, -math.inf):
        assert total(p, t(3.0, 0.0, -4.0), t(1.0)).item() == 0.0  # a zero entry: 0
    np.testing.assert_allclose(total(-1, t(math.inf, 1.0), t(2.0)).item(), 2 / 3, rtol=1e-15)
    assert math.isnan(total(-2, t(math.nan, 1.0)).item())
    r = total(-1, t(3.0, 1.0, dtype=np.float32), t(0.5, dtype=np.float32))
    assert r.dtype == np.float32


def test_norm_orders_that_have_no_value_are_refused() -> None:
    for p in (-1.0, -math.inf):  # the smallest of nothing, or a sum of no negative powers
        with pytest.raises(RuntimeError, match="empty"):
            nn.utils.get_total_norm([t(), t(2.0)], p)
    for p in (math.nan, "nan"):  # PyTorch's total is NaN whatever the tensors
        with pytest.raises(ValueError, match="NaN whatever"):
            nn.utils.get_total_norm([t(2.0)], p)
        with pytest.raises(ValueError, match="NaN whatever"):
            nn.utils.clip_grad_norm_([nn.Parameter(np.ones(1))], 1.0, p)
    # PyTorch's total of order 0 is the 0-norm of the tensors' 0-norms: how many tensors have
    # a nonzero entry (2 here, and 1 for any single nonzero tensor), not how many entries
    for p in (0, 0.0, "0", -0.0):
        with pytest.raises(ValueError, match="counts the tensors with a nonzero entry"):
            nn.utils.get_total_norm([t(3.0, 0.0, -4.0), t(1.0)], p)
        with pytest.raises(ValueError, match="counts the tensors"):
            nn.utils.clip_grad_norm_(params(t(3.0, 0.0, -4.0)), 1.0, p)


def test_clip_grad_norm_with_negative_orders() -> None:
    ps = params(t(3.0, 1.0, -4.0), t(0.5))
    n = nn.utils.clip_grad_norm_(ps, 0.1, norm_type=-1.0).item()
    np.testing.assert_allclose(n, 1 / (1 / 3 + 1 + 1 / 4 + 2), rtol=1e-15)
    np.testing.assert_allclose(ps[1].grad.data, [0.5 * 0.1 / (n + 1e-6)], rtol=1e-15)
    ps = params(t(3.0, 0.0), t(0.5))  # total 0: the coefficient is clamped to 1
    assert nn.utils.clip_grad_norm_(ps, 0.1, norm_type="-inf").item() == 0.0
    np.testing.assert_array_equal(ps[0].grad.data, [3.0, 0.0])
    ps = params(t(math.nan, 1.0), t(0.5))
    with pytest.raises(RuntimeError, match="nan"):
        nn.utils.clip_grad_norm_(ps, 0.1, norm_type=-2, error_if_nonfinite=True)
    ps = params(t(math.inf, 1.0), t(0.5))  # |inf|^-2 = 0: a finite total, no error
    n = nn.utils.clip_grad_norm_(ps, 0.1, norm_type=-2, error_if_nonfinite=True).item()
    np.testing.assert_allclose(n, (1 + 4) ** -0.5, rtol=1e-15)
