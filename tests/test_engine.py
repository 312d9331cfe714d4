"""The backward engine: accumulation, deep graphs, graph release, grad modes, errors."""

from __future__ import annotations

import gc
import threading
import tracemalloc
import weakref

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor, no_grad
from tinygrad_lite.autograd import unbroadcast
from tinygrad_lite.testing import broadcastable_tensors, tensors


def test_shared_subexpression_accumulates() -> None:
    a = Tensor([1.5, -2.0], requires_grad=True)
    b = a + a
    c = b * b  # c = 4a², dc/da = 8a
    c.sum().backward()
    np.testing.assert_array_equal(a.grad.data, 8 * a.data)


@given(tensors(shape=(3,), requires_grad=True), st.integers(2, 6))
def test_node_used_k_times_accumulates(x: Tensor, k: int) -> None:
    y = x * 1.0
    total = y
    for _ in range(k - 1):
        total = total + y
    total.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.full(3, float(k)))


def test_leaf_grads_accumulate_across_backward_calls() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, 3 + 2 * x.data)


def test_chain_100k_deep_backpropagates_without_recursion() -> None:
    x = Tensor(np.array(1.0), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_intermediates_are_freed_after_backward() -> None:
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    h = (x * 2.0).tanh()
    value = weakref.ref(h.data)
    tensor = weakref.ref(h)
    loss = (h * h).sum()
    del h
    gc.collect()
    assert tensor() is None  # the graph holds nodes, not tensors
    assert value() is not None  # but the product's backward needs h's value
    loss.backward()
    gc.collect()
    assert value() is None, "an intermediate value survived backward"
    assert loss._ctx is not None and loss._ctx.saved is None


def test_an_intermediate_no_backward_reads_is_freed_in_the_forward() -> None:
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    z = x * 2.0  # its value is read by tanh's forward only: tanh's backward uses its output
    value = weakref.ref(z.data)
    h = z.tanh()
    del z
    gc.collect()
    assert value() is None
    h.sum().backward()
    np.testing.assert_allclose(x.grad.data, 2.0 * (1.0 - np.tanh(2.0) ** 2))


def test_an_eager_training_step_peaks_at_two_hidden_layer_arrays() -> None:
    """The graph holds nodes, so a step of the tutorial's network holds at most A1 and dA1.

    The forward's W1·X and W1·X + b1 are freed as soon as tanh has read them; the backward
    writes dZ1 = dA1 ⊙ (1 − A1²) into A1's buffer. Holding the intermediates (as a graph of
    tensors does) would peak at about six (n_h, m) arrays.
    """
    from models.two_layer import TwoLayerNet

    n_x, n_h, m = 8, 64, 4096
    rs = np.random.RandomState(0)
    X, Y = Tensor(rs.randn(n_x, m)), Tensor((rs.rand(1, m) > 0.5).astype(np.float64))
    model = TwoLayerNet(n_x, n_h=n_h)
    opt = tg.optim.SGD(model.parameters(), lr=0.1)

    def step() -> None:
        opt.zero_grad()
        model.cost(X, Y).backward()
        opt.step()

    step()  # the gradients exist from here on
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        step()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    hidden = n_h * m * 8  # one (n_h, m) float64 array
    assert peak <= 2.25 * hidden, f"peak {peak / hidden:.2f} (n_h, m) arrays"


def test_a_refused_backward_releases_nothing() -> None:
    x = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    shared = x.tanh()
    (shared * 1.0).sum().backward()  # releases the tanh node
    own = x * 3.0  # newer than `shared`: a backward through both visits it first
    loss = (own * 2.0 + shared).sum()
    with pytest.raises(RuntimeError, match="already been released"):
        loss.backward()
    x.grad = None
    (own * own).sum().backward()  # own's node was not released by the refused backward
    np.testing.assert_allclose(x.grad.data, 18.0 * x.data)


def test_intermediates_kept_with_retain_graph() -> None:
    x = Tensor(np.ones(3), requires_grad=True)
    h = x * 2.0
    value = weakref.ref(h.data)
    loss = (h * h).sum()
    del h
    loss.backward(retain_graph=True)
    gc.collect()
    assert value() is not None
    loss.backward()
    np.testing.assert_array_equal(x.grad.data, np.full(3, 2 * 8.0))  # d Σ(2x)²/dx = 8x, twice


@given(tensors(shape=(2, 3), requires_grad=True))
def test_retain_graph_allows_second_backward_and_doubles_grads(x: Tensor) -> None:
    y = (x.tanh() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.data.copy()
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2 * first, rtol=1e-15)


def test_backward_twice_without_retain_graph_raises() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="already been released.*retain_graph=True"):
        y.backward()


def test_backward_through_a_released_shared_subgraph_raises() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()
    a, b = (h * 2).sum(), (h * 3).sum()
    a.backward()
    with pytest.raises(RuntimeError, match="already been released"):
        b.backward()


@given(tensors(requires_grad=True))
def test_no_grad_builds_no_graph(x: Tensor) -> None:
    with no_grad():
        y = (x * 2 + 1).tanh().sum()
    assert not y.requires_grad and y._ctx is None and y.grad_fn is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_no_grad_as_decorator_and_nesting() -> None:
    x = Tensor([1.0], requires_grad=True)

    @no_grad()
    def f(t: Tensor) -> Tensor:
        with tg.enable_grad():
            inner = t * 2
        assert inner.requires_grad
        return t * 3

    assert not f(x).requires_grad
    assert tg.is_grad_enabled()
    assert (x * 2).requires_grad


def test_no_grad_is_thread_local() -> None:
    x = Tensor([1.0], requires_grad=True)
    inside, other_done = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def other() -> None:
        inside.wait(5)
        seen["other"] = (x * 2).requires_grad
        other_done.set()

    t = threading.Thread(target=other)
    t.start()
    with no_grad():
        inside.set()
        other_done.wait(5)
        seen["main"] = (x * 2).requires_grad
    t.join()
    assert seen == {"other": True, "main": False}


def test_non_scalar_backward_needs_grad() -> None:
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"one element.*shape \(2, 3\)"):
        (x * 2).backward()


def test_backward_grad_of_wrong_shape_names_both_shapes() -> None:
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(
        ValueError, match=r"grad has shape \(3, 2\) but the tensor has shape \(2, 3\)"
    ):
        (x * 2).backward(np.ones((3, 2)))


def test_backward_grad_of_wrong_dtype() -> None:
    x = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match="grad has dtype float32 but the tensor has dtype float64"):
        (x * 2).backward(np.ones(2, dtype=np.float32))


@given(tensors(shape=(3, 2), requires_grad=True), tensors(shape=(3, 2)))
def test_backward_with_explicit_grad_is_a_vjp(x: Tensor, v: Tensor) -> None:
    (x * 3.0).backward(v.data)
    np.testing.assert_allclose(x.grad.data, 3.0 * v.data)


def test_backward_on_a_leaf() -> None:
    x = Tensor(2.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_grads_only_on_leaves() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.sum().backward()
    assert h.grad is None and x.grad is not None
    assert x.is_leaf and not h.is_leaf


def test_constant_inputs_get_no_grad() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None and not c.requires_grad


def test_leaf_grads_do_not_alias_each_other() -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    (a + b).backward(np.array([1.0, 1.0]))
    a.grad.data[0] = 100.0
    assert b.grad.data[0] == 1.0


def test_leaf_grad_does_not_alias_the_given_grad() -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    g = np.array([5.0, 6.0])
    (a + 0.0).backward(g)
    a.grad.data[0] = -1.0
    assert g[0] == 5.0


@given(broadcastable_tensors(2))
def test_grad_shape_equals_data_shape_under_broadcasting(xy: tuple[Tensor, Tensor]) -> None:
    x, y = xy
    (x * y + x).sum().backward()
    assert x.grad.shape == x.shape and y.grad.shape == y.shape


def test_unbroadcast_worked_example() -> None:
    g = np.arange(60.0).reshape(3, 4, 5)
    out = unbroadcast(g, (4, 1))
    np.testing.assert_array_equal(out, g.sum(axis=(0, 2)).reshape(4, 1))
    assert unbroadcast(g, (3, 4, 5)) is g
    np.testing.assert_array_equal(unbroadcast(g, ()), g.sum())


def test_unbroadcast_rejects_shapes_that_do_not_reduce() -> None:
    with pytest.raises(ValueError, match="does not reduce"):
        unbroadcast(np.ones((3, 4)), (2, 4))


def test_float32_stays_float32_through_a_network() -> None:
    rng = np.random.default_rng(0)
    W = Tensor(rng.standard_normal((4, 2)).astype(np.float32), requires_grad=True)
    X = Tensor(rng.standard_normal((2, 5)).astype(np.float32))
    loss = ((W @ X).tanh().sigmoid() * 2.0 - 1).mean()
    assert loss.dtype == np.float32
    loss.backward()
    assert W.grad.dtype == np.float32


def test_mixed_dtype_grad_is_cast_to_the_leaf_dtype() -> None:
    a = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    b = Tensor(np.ones(2), requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_a_path_without_gradient_is_skipped() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Tensor([3.0, 4.0], requires_grad=True)
    z = (x - y.detach()).sum()
    z.backward()
    assert y.grad is None
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])


def _reuse_decisions(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    from tinygrad_lite.autograd import Context

    decisions: list[bool] = []
    original = Context.reuse

    def spy(self: Context, array: np.ndarray, holders: int = 2) -> object:
        result = original(self, array, holders + 1)  # + 1: this spy's own reference
        decisions.append(result is not array)
        return result

    monkeypatch.setattr(Context, "reuse", spy)
    return decisions


# Only arrays of at least 64 KiB are worth reusing: (64, 128) float64 is exactly that.
BIG = (64, 128)


def test_a_dead_saved_array_is_reused_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    decisions = _reuse_decisions(monkeypatch)
    x = Tensor(np.linspace(-1, 1, 64 * 128).reshape(BIG), requires_grad=True)
    y = x.tanh()
    expected = 2 * (1 - y.data**2)
    loss = (y * 2.0).sum()
    del y  # nothing but the graph refers to tanh's output now
    loss.backward()
    assert decisions == [True]
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-15)


def test_a_small_saved_array_is_not_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    decisions = _reuse_decisions(monkeypatch)
    x = Tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
    loss = (x.tanh() * 2.0).sum()
    loss.backward()
    assert decisions == [False]


@pytest.mark.parametrize("holder", ["tensor", "array", "retain_graph"])
def test_a_saved_array_someone_holds_is_never_overwritten(
    monkeypatch: pytest.MonkeyPatch, holder: str
) -> None:
    decisions = _reuse_decisions(monkeypatch)
    x = Tensor(np.linspace(-1, 1, 64 * 128).reshape(BIG), requires_grad=True)
    y = x.tanh()
    before = y.data.copy()
    kept = {"tensor": y, "array": y.data, "retain_graph": None}[holder]
    loss = (y * 2.0).sum()
    del y
    loss.backward(retain_graph=holder == "retain_graph")
    assert decisions == [False]
    if kept is not None:
        np.testing.assert_array_equal(kept.data if isinstance(kept, Tensor) else kept, before)
    else:  # the retained graph still holds tanh's output intact: a second pass doubles
        first = x.grad.data.copy()
        loss.backward()
        np.testing.assert_allclose(x.grad.data, 2 * first, rtol=1e-15)
