"""Gradients kept apart under create_graph, retain_grad with inputs=, grad modes on generators,
inference_mode(False), and compiled SGD steps whose settings the step itself writes."""

import numpy as np
import pytest

import tinygrad_lite as tl
from tinygrad_lite import Tensor, optim


def test_create_graph_gives_each_leaf_a_gradient_of_its_own() -> None:
    a = tl.tensor([1.0, 2.0], requires_grad=True)
    b = tl.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward(create_graph=True)  # one gradient flows to both operands
    assert a.grad is not b.grad
    (a * 1).sum().backward()  # accumulates into a.grad only
    assert a.grad.tolist() == [2.0, 2.0] and b.grad.tolist() == [1.0, 1.0]
    g = tl.tensor([1.0, 1.0])
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    x.backward(g, create_graph=True)
    assert x.grad is not g
    x.grad.data[0] = 7.0
    assert g.tolist() == [1.0, 1.0]  # the gradient passed in is the caller's


def test_second_order_accumulation_through_shared_gradients_is_the_closed_form() -> None:
    # f = Σ sin²(a + b): a.grad = b.grad = sin 2c. Backward of Σ (a.grad² + b.grad²) = 2 Σ sin² 2c
    # adds 4 sin 4c to each gradient.
    a0, b0 = np.array([0.3, 0.7]), np.array([0.1, -0.4])
    a, b = tl.tensor(a0, requires_grad=True), tl.tensor(b0, requires_grad=True)
    (a + b).sin().pow(2).sum().backward(create_graph=True)
    (a.grad.pow(2).sum() + b.grad.pow(2).sum()).backward()
    c = a0 + b0
    expected = np.sin(2 * c) + 4 * np.sin(4 * c)
    np.testing.assert_allclose(a.grad.data, expected, rtol=1e-13)
    np.testing.assert_allclose(b.grad.data, expected, rtol=1e-13)


@pytest.mark.parametrize("create_graph", [False, True])
def test_retain_grad_and_inputs_store_the_gradient_once(create_graph: bool) -> None:
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    (y * y).sum().backward(inputs=[y], create_graph=create_graph)
    assert y.grad.tolist() == [6.0, 12.0] and x.grad is None


@pytest.mark.parametrize("block", [tl.no_grad, lambda: tl.set_grad_enabled(False)])
def test_a_grad_mode_decorator_holds_inside_a_generator(block) -> None:
    x = tl.tensor([1.0, 2.0], requires_grad=True)

    @block()
    def gen():
        r = yield x * 2
        yield x * r, tl.is_grad_enabled()
        return "done"

    it = gen()
    assert not next(it).requires_grad and tl.is_grad_enabled()  # the caller's mode outside
    second, enabled = it.send(3.0)
    assert not second.requires_grad and not enabled
    with pytest.raises(StopIteration, match="done"):
        next(it)


def test_an_exception_thrown_into_the_generator_meets_the_mode() -> None:
    @tl.no_grad()
    def gen():
        try:
            yield 1
        except ValueError:
            yield tl.is_grad_enabled()

    it = gen()
    next(it)
    assert it.throw(ValueError("in")) is False
    with tl.no_grad():
        assert next(tl.enable_grad()(gen.__wrapped__)()) == 1  # the undecorated function


def test_inference_mode_false_switches_grad_mode_on() -> None:
    with tl.no_grad(), tl.inference_mode(False):
        assert tl.is_grad_enabled()
    with tl.inference_mode():
        assert not tl.is_grad_enabled()
        with tl.inference_mode(False):
            assert tl.is_grad_enabled()


@pytest.mark.parametrize(
    ("key", "values"), [("weight_decay", (0.0, 0.5, 0.1)), ("momentum", (0.0, 0.9, 0.5))]
)
def test_a_compiled_sgd_step_follows_settings_the_step_writes(key: str, values: tuple) -> None:
    finals = []
    for compiled in (False, True):
        w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
        opt = optim.SGD([w], lr=0.1)

        def step(x: Tensor, v: float, w: Tensor = w, opt: optim.SGD = opt) -> None:
            opt.zero_grad()
            (w * x * w).sum().backward()
            opt.param_groups[0][key] = v
            opt.step()

        run = tl.compile(step) if compiled else step
        for v in values:
            run(Tensor(np.ones(2)), v)
        finals.append(w.data.copy())
    np.testing.assert_array_equal(finals[1], finals[0])  # bit for bit


def _scaled_net(seed: int) -> tl.nn.Linear:
    tl.manual_seed(seed)
    net = tl.nn.Linear(2, 1)
    net.scale = 1.0
    return net


def test_a_compiled_step_that_changes_a_module_attribute_follows_it_as_eager() -> None:
    nets = [_scaled_net(0), _scaled_net(0)]

    def make(net: tl.nn.Linear):
        def step(x: Tensor) -> Tensor:
            net.scale = net.scale * 2  # read-modify-write of the module's own state
            return (net(x) * net.scale).sum()

        return step

    eager, compiled = make(nets[0]), tl.compile(make(nets[1]))
    x = Tensor(np.ones((1, 2)))
    assert [float(compiled(x)) for _ in range(4)] == [float(eager(x)) for _ in range(4)]
    assert nets[1].scale == nets[0].scale == 16.0


def test_a_module_attribute_set_from_a_float_argument_is_replayed_without_tracing_again() -> None:
    act = tl.nn.LeakyReLU(0.1)

    def step(x: Tensor, slope: float) -> Tensor:
        act.negative_slope = slope
        return act(x).sum()

    compiled = tl.compile(step)
    x = Tensor(np.array([-1.0, 2.0]))
    assert [float(compiled(x, 0.3)) for _ in range(3)] == [1.7] * 3
    traces = compiled.traces  # the first calls change the slope; then a plan holds
    assert [float(compiled(x, 0.3)) for _ in range(3)] == [1.7] * 3
    assert compiled.traces == traces
    assert float(compiled(x, 0.2)) == 1.8


def test_a_compiled_step_that_branches_on_grad_is_none_follows_eager() -> None:
    results = []
    for compiled in (False, True):
        w = Tensor(np.arange(3.0), requires_grad=True)

        def step(x: Tensor, w: Tensor = w) -> Tensor:
            loss = (w * x).sum() if w.grad is None else (w * x * 3).sum()
            loss.backward()
            return loss

        run = tl.compile(step) if compiled else step
        out = [float(run(Tensor(np.full(3, float(i))))) for i in range(4)]
        results.append((out, w.grad.data.tolist()))
    assert results[1] == results[0]


def test_a_post_accumulate_hook_elsewhere_does_not_stop_compile() -> None:
    other = Tensor(np.ones(2), requires_grad=True)
    other.register_post_accumulate_grad_hook(lambda t: None)
    w = Tensor(np.ones(2), requires_grad=True)

    def step(x: Tensor) -> Tensor:
        w.grad = None
        (w * x).sum().backward()
        return w.grad

    compiled = tl.compile(step)
    assert compiled(Tensor(np.array([3.0, 4.0]))).tolist() == [3.0, 4.0]
    w.register_post_accumulate_grad_hook(lambda t: None)  # now the step's own leaf has one
    with pytest.raises(tl.TraceError, match="post-accumulate-grad hooks"):
        compiled(Tensor(np.array([1.0, 2.0])))
