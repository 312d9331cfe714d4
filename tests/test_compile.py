"""compile(): a traced and replayed step must equal eager execution bit for bit."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_lite as tg
from models.two_layer import TwoLayerNet
from tinygrad_lite import Tensor, nn, optim
from tinygrad_lite import functional as F
from tinygrad_lite.autograd import TraceError

OPTIMIZERS = {
    "sgd": lambda p: optim.SGD(p, lr=0.5),
    "sgd_decay": lambda p: optim.SGD(p, lr=0.3, weight_decay=0.01),
    "momentum": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-3),
    "nesterov": lambda p: optim.SGD(p, lr=0.1, momentum=0.8, nesterov=True),
    "adam": lambda p: optim.Adam(p, lr=0.01),
}


def make_step(model, opt, loss):
    def step(x, y):
        opt.zero_grad()
        c = loss(model, x, y)
        c.backward()
        opt.step()
        return c

    return step


def two_layer_loss(model, x, y):
    return model.cost(x, y)


def assert_same_state(a: nn.Module, b: nn.Module) -> None:
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert np.array_equal(p.data, q.data), f"{name} differs"
        assert (p.grad is None) == (q.grad is None)
        if p.grad is not None:
            assert np.array_equal(p.grad.data, q.grad.data), f"{name}.grad differs"


@given(
    n_x=st.integers(1, 4),
    n_h=st.integers(1, 6),
    m=st.integers(1, 30),
    steps=st.integers(1, 6),
    opt_name=st.sampled_from(sorted(OPTIMIZERS)),
    seed=st.integers(0, 2**16),
    batches=st.integers(1, 3),
)
def test_two_layer_training_equals_eager_bit_for_bit(n_x, n_h, m, steps, opt_name, seed, batches):
    rng = np.random.default_rng(seed)
    data = [
        (rng.standard_normal((n_x, m)), (rng.random((1, m)) > 0.5).astype(np.float64))
        for _ in range(batches)
    ]
    eager_net, comp_net = TwoLayerNet(n_x, n_h, seed=seed), TwoLayerNet(n_x, n_h, seed=seed)
    eager = make_step(eager_net, OPTIMIZERS[opt_name](eager_net.parameters()), two_layer_loss)
    fast = tg.compile(
        make_step(comp_net, OPTIMIZERS[opt_name](comp_net.parameters()), two_layer_loss)
    )
    for k in range(steps):
        x, y = data[k % batches]  # new data of the same shape each call: replayed, not retraced
        c1, c2 = eager(x, y), fast(x, y)
        assert c1.data.tobytes() == c2.data.tobytes()
        assert_same_state(eager_net, comp_net)
    assert fast.traces == 1


@given(
    widths=st.lists(st.integers(1, 5), min_size=2, max_size=4),
    batch=st.integers(1, 8),
    act=st.sampled_from([nn.Tanh, nn.ReLU, nn.Sigmoid]),
    seed=st.integers(0, 1000),
    dtype=st.sampled_from([np.float64, np.float32]),
)
def test_sequential_mse_equals_eager_bit_for_bit(widths, batch, act, seed, dtype):
    def build() -> nn.Sequential:
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(widths, widths[1:], strict=False)):
            layers.append(nn.Linear(a, b, seed=seed + i, dtype=dtype))
            layers.append(act())
        return nn.Sequential(*layers)

    def mse(model, x, y):
        return F.mse_loss(model(x), y)

    m1, m2 = build(), build()
    eager = make_step(m1, optim.SGD(m1.parameters(), lr=0.1, momentum=0.5), mse)
    fast = tg.compile(make_step(m2, optim.SGD(m2.parameters(), lr=0.1, momentum=0.5), mse))
    rng = np.random.default_rng(seed)
    for _ in range(3):
        x = rng.standard_normal((batch, widths[0])).astype(dtype)
        y = rng.standard_normal((batch, widths[-1])).astype(dtype)
        c1, c2 = eager(x, y), fast(x, y)
        assert c2.dtype == dtype
        assert c1.data.tobytes() == c2.data.tobytes()
        assert_same_state(m1, m2)


def test_new_shape_or_dtype_retraces_and_int_constants_are_part_of_the_key() -> None:
    w = Tensor(np.ones((1, 3)), requires_grad=True)

    def step(x, scale):
        w.grad = None
        loss = ((w @ x) * scale).sum()
        loss.backward()
        return loss

    fast = tg.compile(step)
    fast(np.ones((3, 2)), 2)
    fast(np.ones((3, 2)), 2)
    assert fast.traces == 1
    fast(np.ones((3, 5)), 2)
    assert fast.traces == 2
    out = fast(np.ones((3, 5)), 3)
    assert fast.traces == 3 and out.item() == 45.0
    fast(np.ones((3, 5), dtype=np.float32), 3)
    assert fast.traces == 4


def test_gradients_accumulate_like_eager_without_zero_grad() -> None:
    def run(compiled: bool) -> np.ndarray:
        w = Tensor(np.array([[0.5, -1.0]]), requires_grad=True)

        def step(x):
            loss = (w @ x).tanh().sum()
            loss.backward()
            return loss

        f = tg.compile(step) if compiled else step
        for i in range(4):
            f(np.full((2, 3), 0.1 * (i + 1)))
        assert w.grad is not None
        return w.grad.data

    assert np.array_equal(run(True), run(False))


def test_zero_grad_in_place_is_replayed() -> None:
    net = TwoLayerNet(2, 3)
    opt = optim.SGD(net.parameters(), lr=0.1)

    def step(x, y):
        opt.zero_grad(set_to_none=False)
        c = net.cost(x, y)
        c.backward()
        return c

    fast = tg.compile(step)
    x, y = np.ones((2, 4)), np.ones((1, 4))
    fast(x, y)
    first = net.W1.grad.data.copy()
    fast(x, y)  # zeroed then recomputed: the same, not doubled
    assert np.array_equal(net.W1.grad.data, first)


def test_detach_and_tuple_results_and_explicit_grad() -> None:
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)

    def step(x):
        w.grad = None
        h = w * x
        frozen = h.detach()
        out = h * frozen  # gradient flows through h only: d/dw = x * frozen
        out.backward(np.array([1.0, 1.0]))
        return out, frozen

    fast = tg.compile(step)
    fast(np.array([1.0, 1.0]))
    out, frozen = fast(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(frozen.data, [3.0, 8.0])
    np.testing.assert_array_equal(out.data, [9.0, 64.0])
    np.testing.assert_array_equal(w.grad.data, [9.0, 32.0])


@pytest.mark.parametrize(
    "body, what",
    [
        (lambda loss: loss.item(), "item()"),
        (lambda loss: bool(loss > 0), "bool()"),
        (lambda loss: bool(loss), "bool()"),
        (lambda loss: np.asarray(loss.detach()), "np.asarray()"),
    ],
)
def test_data_dependent_python_is_refused_while_tracing(body, what) -> None:
    w = Tensor(np.ones(2), requires_grad=True)

    def step(x):
        loss = (w * x).sum()
        body(loss)
        return loss

    with pytest.raises(TraceError, match=rf"{what.replace('(', '[(]').replace(')', '[)]')} reads"):
        tg.compile(step)(np.ones(2))
    assert (w * 2).sum().item() == 4.0  # tracing has ended: eager reads work again


def test_other_threads_are_not_recorded() -> None:
    w = Tensor(np.ones(2), requires_grad=True)
    started, release = threading.Event(), threading.Event()
    other_results = []

    def other() -> None:
        started.wait(5)
        other_results.append((Tensor([5.0]) * 2).item())
        release.set()

    def step(x):
        w.grad = None
        started.set()
        release.wait(5)
        loss = (w * x).sum()
        loss.backward()
        return loss

    t = threading.Thread(target=other)
    t.start()
    fast = tg.compile(step)
    fast(np.ones(2))
    t.join()
    assert other_results == [10.0]
    # w * x and its backward; the other thread's multiply is not in the code
    assert fast.source.count("np.multiply(") == 2


def test_source_is_readable_python() -> None:
    net = TwoLayerNet(2, 4)
    opt = optim.SGD(net.parameters(), lr=1.2)
    fast = tg.compile(make_step(net, opt, two_layer_loss))
    fast(np.ones((2, 5)), np.ones((1, 5)))
    src = fast.source
    assert src.startswith("def step(x0, x1):")
    # the forward, the backward, zero_grad and the SGD update as plain lines, no calls
    for piece in ("np.dot(", "np.tanh(", "np.subtract(e", "._grad = None", "._grad = _T("):
        assert piece in src
    assert "SGD.step" not in src and "zero_grad" not in src and "_acc" not in src
    assert ".forward(" not in src and ".backward(" not in src


def test_unhashable_constant_argument_is_an_error() -> None:
    with pytest.raises(TraceError, match="neither an array nor hashable"):
        tg.compile(lambda x, d: x)(np.ones(2), {"a": 1})


def test_a_leaf_used_twice_accumulates_like_eager_across_calls() -> None:
    def run(compiled: bool) -> bytes:
        w = Tensor(np.array([0.3, -0.7, 1.1]), requires_grad=True)

        def step(x):
            loss = ((w * x).tanh() * w).sum() + (w * w * x).sum()
            loss.backward()  # no zero_grad: .grad accumulates over calls
            return loss

        f = tg.compile(step) if compiled else step
        for i in range(5):
            f(np.array([0.1, 0.2, 0.3]) * (i + 1))
        assert w.grad is not None
        return w.grad.data.tobytes()

    assert run(True) == run(False)


def test_large_outputs_get_reused_buffers_and_stay_bit_exact() -> None:
    n_h, m = 64, 1000  # (64, 1000) float64 arrays: large enough for their own buffers
    rng = np.random.default_rng(7)
    eager_net, comp_net = TwoLayerNet(2, n_h, seed=3), TwoLayerNet(2, n_h, seed=3)
    eager = make_step(eager_net, optim.SGD(eager_net.parameters(), lr=0.5), two_layer_loss)
    fast = tg.compile(make_step(comp_net, optim.SGD(comp_net.parameters(), lr=0.5), two_layer_loss))
    for _ in range(4):
        x = rng.standard_normal((2, m))
        y = (rng.random((1, m)) > 0.5).astype(np.float64)
        assert eager(x, y).data.tobytes() == fast(x, y).data.tobytes()
        assert_same_state(eager_net, comp_net)
    assert "out=b" in fast.source


def test_a_returned_large_value_is_not_overwritten_by_the_next_call() -> None:
    w = Tensor(np.full((64, 2), 0.1), requires_grad=True)

    def step(x):
        w.grad = None
        hidden = (w @ x).tanh()
        hidden.sum().backward()
        return hidden

    fast = tg.compile(step)
    fast(np.ones((2, 500)))
    first = fast(np.ones((2, 500)))
    kept = first.data.copy()
    fast(np.full((2, 500), -3.0))
    np.testing.assert_array_equal(first.data, kept)
    assert "out=b" in fast.source  # the matmul's output is buffered; tanh's is returned


def test_a_trace_leaves_no_arrays_for_the_cycle_collector() -> None:
    """Once the plan is built, the arrays computed while tracing are freed at once.

    A training loop may allocate too few objects for Python's cycle collector to run for a
    long time; arrays kept alive by reference cycles would then hold memory indefinitely.
    """
    import gc
    import tracemalloc

    w = Tensor(np.full((64, 32), 0.01), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def step(x):
        opt.zero_grad()
        loss = (w @ x).tanh().sum()  # (64, 4096) float64 intermediates: 2 MiB each
        loss.backward()
        opt.step()
        return loss

    fast = tg.compile(step)
    x = np.ones((32, 4096))
    gc.disable()
    try:
        tracemalloc.start()
        fast(x)
        fast(x)
        held = tracemalloc.get_traced_memory()[0]
        gc.collect()
        collected = held - tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
        gc.enable()
    assert collected < 2**20, f"{collected / 2**20:.1f} MiB freed only by the cycle collector"


def test_gradient_hooks_run_in_a_compiled_step_as_in_eager() -> None:
    """A leaf's hook and an intermediate's hook change the gradients on every replay."""

    def make():  # type: ignore[no-untyped-def]
        w = Tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
        w.register_hook(lambda g: g * 10.0)

        def step(x):  # type: ignore[no-untyped-def]
            w.grad = None
            h = w * x
            h.register_hook(lambda g: g + 1.0)
            loss = (h * h).sum()
            loss.backward()
            return loss

        return w, step

    (w1, eager), (w2, step) = make(), make()
    fast = tg.compile(step)
    for k in range(3):
        x = np.arange(3.0) + k
        assert eager(x).item() == fast(x).item()
        assert w1.grad is not None and w2.grad is not None
        assert w1.grad.data.tobytes() == w2.grad.data.tobytes()
    assert fast.traces == 1
    np.testing.assert_allclose(w2.grad.data, 10.0 * (2.0 * w2.data * x + 1.0) * x, rtol=1e-15)


def test_a_gradient_penalty_replays_bit_for_bit() -> None:
    """grad(..., create_graph=True) inside a compiled step: its graph is traced like any op."""

    def make():  # type: ignore[no-untyped-def]
        w = Tensor(np.array([[1.0, -2.0, 0.5]]), requires_grad=True)
        opt = optim.SGD([w], lr=0.1)

        def step(x):  # type: ignore[no-untyped-def]
            opt.zero_grad()
            loss = (w @ x).tanh().sum()
            (g,) = tg.grad(loss, [w], create_graph=True)
            total = loss + 0.5 * (g * g).sum()
            total.backward()
            opt.step()
            return total

        return w, step

    (w1, eager), (w2, step) = make(), make()
    fast = tg.compile(step)
    for k in range(4):
        x = np.random.default_rng(k).standard_normal((3, 5))
        assert eager(x).data.tobytes() == fast(x).data.tobytes()
        assert w1.data.tobytes() == w2.data.tobytes()
        assert w1.grad is not None and w2.grad is not None
        assert w1.grad.data.tobytes() == w2.grad.data.tobytes()
    assert fast.traces == 1


def test_backward_with_create_graph_is_refused_while_tracing() -> None:
    w = Tensor(np.ones(2), requires_grad=True)

    def step(x):  # type: ignore[no-untyped-def]
        loss = (w * x).sum()
        loss.backward(create_graph=True)
        return loss

    with pytest.raises(TraceError, match=r"create_graph=True.*tinygrad_lite.grad"):
        tg.compile(step)(np.ones(2))


def test_a_new_data_array_given_inside_the_step_is_given_on_every_replay() -> None:
    """`w.data = w.data - lr * w.grad.data` (the micrograd habit) updates w on every call."""

    def make():  # type: ignore[no-untyped-def]
        w = Tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)

        def step(x):  # type: ignore[no-untyped-def]
            w.grad = None
            loss = ((w * x) ** 2).sum()
            loss.backward()
            w.data = w.data - 0.01 * w.grad.data
            x.data = x.data * 2.0  # an argument's new array stays the caller's, as in eager
            return loss

        return w, step

    (w1, eager), (w2, step) = make(), make()
    fast = tg.compile(step)
    for k in range(4):
        x1, x2 = Tensor(np.arange(3.0) + k), Tensor(np.arange(3.0) + k)
        assert eager(x1).item() == fast(x2).item()
        assert w1.data.tobytes() == w2.data.tobytes()
        assert x1.data.tobytes() == x2.data.tobytes()
    assert fast.traces == 1


def test_a_new_data_array_from_outside_the_trace_is_refused() -> None:
    w = Tensor(np.ones(3), requires_grad=True)

    def step(x):  # type: ignore[no-untyped-def]
        loss = (w * x).sum()
        w.data = np.zeros(3)  # made by NumPy on nothing traced: could not be made again
        return loss

    with pytest.raises(TraceError, match="new array to the .data"):
        tg.compile(step)(np.ones(3))
