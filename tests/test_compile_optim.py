"""compile() and the optimizer: a plain SGD update is written into the step, bit for bit.

SGD without momentum is p ← p − lr·(g + weight_decay·p) for every parameter; a compiled step
writes those lines into its code instead of calling `SGD.step` again. Each group's lr is read on
every call (a scheduler changes it), anything else that changes the update traces again, and a
step whose parameters do not all get their gradient from the step itself calls `SGD.step`.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tg
from models.training import make_train_step as step_of
from models.two_layer import TwoLayerNet
from tinygrad_lite import Tensor, nn, optim
from tinygrad_lite.optim.lr_scheduler import StepLR


def twin(seed: int = 0, **sgd: object) -> tuple[TwoLayerNet, optim.SGD]:
    net = TwoLayerNet(2, 4, seed=seed)
    return net, optim.SGD(net.parameters(), **{"lr": 0.5, **sgd})  # type: ignore[arg-type]


def batch(k: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(k)
    return rng.standard_normal((2, 9)), (rng.random((1, 9)) > 0.5).astype(np.float64)


def assert_same(a: nn.Module, b: nn.Module) -> None:
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert p.data.tobytes() == q.data.tobytes(), f"{name} differs"
        assert p.grad is not None and q.grad is not None
        assert p.grad.data.tobytes() == q.grad.data.tobytes(), f"{name}.grad differs"


def run_both(change, steps: int = 6, **sgd: object):  # type: ignore[no-untyped-def]
    """Eager and compiled twins; `change(opt, k)` runs on both before step k."""
    (n1, o1), (n2, o2) = twin(**sgd), twin(**sgd)
    eager, fast = step_of(n1, o1), tg.compile(step_of(n2, o2))
    for k in range(steps):
        change(o1, k)
        change(o2, k)
        x, y = batch(k)
        assert eager(x, y).data.tobytes() == fast(x, y).data.tobytes()
        assert_same(n1, n2)
    return fast


def test_the_plain_update_is_code_and_momentum_is_a_call() -> None:
    fast = run_both(lambda opt, k: None, steps=2)
    assert "SGD.step" not in fast.source
    assert fast.source.count("np.subtract(e") == 4  # one per parameter, in place
    slow = run_both(lambda opt, k: None, steps=2, momentum=0.9)
    assert "SGD.step" in slow.source


def test_lr_changes_are_followed_without_tracing_again() -> None:
    def change(opt: optim.SGD, k: int) -> None:
        if k == 2:
            opt.lr = 0.125
        if k == 3:
            opt.param_groups[0]["lr"] = 2.0

    fast = run_both(change)
    assert fast.traces == 1

    (n1, o1), (n2, o2) = twin(), twin()
    s1, s2 = StepLR(o1, step_size=1, gamma=0.5), StepLR(o2, step_size=1, gamma=0.5)
    eager, fast = step_of(n1, o1), tg.compile(step_of(n2, o2))
    for k in range(5):
        x, y = batch(k)
        assert eager(x, y).data.tobytes() == fast(x, y).data.tobytes()
        s1.step()
        s2.step()
        assert_same(n1, n2)
    assert fast.traces == 1 and o2.lr == 0.5 * 0.5**5


@pytest.mark.parametrize(
    "change",
    [
        lambda opt: setattr(opt, "momentum", 0.9),
        lambda opt: opt.param_groups[0].update(weight_decay=0.25),
        lambda opt: opt.load_state_dict({**opt.state_dict(), "weight_decay": 0.5}),
    ],
    ids=["momentum", "weight_decay", "load_state_dict"],
)
def test_any_other_change_traces_again(change) -> None:  # type: ignore[no-untyped-def]
    fast = run_both(lambda opt, k: change(opt) if k == 3 else None)
    assert fast.traces == 2


def test_groups_with_their_own_lr_and_weight_decay() -> None:
    def make() -> tuple[TwoLayerNet, optim.SGD]:
        net = TwoLayerNet(2, 4, seed=3)
        groups = [
            {"params": [net.W1, net.b1], "lr": 0.25, "weight_decay": 0.125},
            {"params": [net.W2, net.b2]},
        ]
        return net, optim.SGD(groups, lr=0.75)

    (n1, o1), (n2, o2) = make(), make()
    eager, fast = step_of(n1, o1), tg.compile(step_of(n2, o2))
    for k in range(5):
        if k == 3:
            for opt in (o1, o2):
                opt.param_groups[1]["lr"] = 0.0625
        x, y = batch(k)
        assert eager(x, y).data.tobytes() == fast(x, y).data.tobytes()
        assert_same(n1, n2)
    assert fast.traces == 1 and fast.source.count("'lr')") == 2  # each group's lr read


def test_a_group_added_later_traces_again_and_is_updated() -> None:
    extra1, extra2 = (Tensor(np.ones(3), requires_grad=True) for _ in range(2))

    def step_with(net, opt, extra):  # type: ignore[no-untyped-def]
        def step(x, y):  # type: ignore[no-untyped-def]
            opt.zero_grad()
            c = net.cost(x, y) + (extra * extra).sum()
            c.backward()
            opt.step()
            return c

        return step

    (n1, o1), (n2, o2) = twin(), twin()
    eager, fast = step_with(n1, o1, extra1), tg.compile(step_with(n2, o2, extra2))
    for k in range(4):
        if k == 2:
            o1.add_param_group({"params": [extra1], "lr": 0.25})
            o2.add_param_group({"params": [extra2], "lr": 0.25})
        x, y = batch(k)
        assert eager(x, y).data.tobytes() == fast(x, y).data.tobytes()
        assert_same(n1, n2)
        assert extra1.data.tobytes() == extra2.data.tobytes()
    assert fast.traces == 2 and not np.array_equal(extra2.data, np.ones(3))


def test_a_parameter_the_step_gives_no_gradient_keeps_the_call() -> None:
    """A gradient set outside the step must still be applied, as eager's SGD.step does."""

    def make() -> tuple[TwoLayerNet, Tensor, optim.SGD]:
        net = TwoLayerNet(2, 4, seed=1)
        spare = Tensor(np.zeros(2), requires_grad=True)
        return net, spare, optim.SGD([*net.parameters(), spare], lr=0.5)

    def step_of_net(net, opt):  # type: ignore[no-untyped-def]
        def step(x, y):  # type: ignore[no-untyped-def]
            for p in net.parameters():
                p.grad = None
            c = net.cost(x, y)
            c.backward()
            opt.step()
            return c

        return step

    (n1, s1, o1), (n2, s2, o2) = make(), make()
    eager, fast = step_of_net(n1, o1), tg.compile(step_of_net(n2, o2))
    for k in range(4):
        if k == 2:
            s1.grad, s2.grad = Tensor(np.ones(2)), Tensor(np.ones(2))
        x, y = batch(k)
        assert eager(x, y).data.tobytes() == fast(x, y).data.tobytes()
        assert_same(n1, n2)
        assert s1.data.tobytes() == s2.data.tobytes()
    assert "SGD.step" in fast.source and s2.data.tolist() == [-1.0, -1.0]


def test_the_update_stamps_a_new_version_so_an_old_graph_is_refused() -> None:
    net, opt = twin()
    fast = tg.compile(step_of(net, opt))
    x, y = batch(0)
    fast(x, y)
    stale = net.cost(Tensor(x), Tensor(y))  # a graph over today's weights
    fast(x, y)  # replayed: updates the weights in place
    with pytest.raises(RuntimeError, match="modified in place|version"):
        stale.backward()


def test_zero_grad_is_written_into_the_step_and_later_backwards_still_add() -> None:
    """model.zero_grad() becomes `._grad = None` lines; the first gradient is then assigned
    and a second backward in the same step adds to it, as eager does."""

    def make() -> tuple[TwoLayerNet, optim.SGD]:
        net = TwoLayerNet(2, 4, seed=5)
        return net, optim.SGD(net.parameters(), lr=0.25)

    def step_of_two(net, opt):  # type: ignore[no-untyped-def]
        def step(x, y):  # type: ignore[no-untyped-def]
            net.zero_grad()
            c = net.cost(x, y)
            c.backward()
            (net.W1 * net.W1).sum().backward()  # W1's gradient is added to
            opt.step()
            return c

        return step

    (n1, o1), (n2, o2) = make(), make()
    eager, fast = step_of_two(n1, o1), tg.compile(step_of_two(n2, o2))
    for k in range(4):
        x, y = batch(k)
        assert eager(x, y).data.tobytes() == fast(x, y).data.tobytes()
        assert_same(n1, n2)
    src = fast.source
    assert "zero_grad" not in src and src.count("._grad = None") == 4
    assert src.count("._grad = _T(") == 4 and src.count("_acc") == 1  # W1's second gradient


def test_zero_grad_keeping_the_arrays_stays_a_call() -> None:
    (n1, o1), (n2, o2) = twin(), twin()

    def step_of_fill(net, opt):  # type: ignore[no-untyped-def]
        def step(x, y):  # type: ignore[no-untyped-def]
            opt.zero_grad(False)  # fills existing gradients with zeros
            c = net.cost(x, y)
            c.backward()
            opt.step()
            return c

        return step

    eager, fast = step_of_fill(n1, o1), tg.compile(step_of_fill(n2, o2))
    for k in range(4):
        x, y = batch(k)
        assert eager(x, y).data.tobytes() == fast(x, y).data.tobytes()
        assert_same(n1, n2)
    assert "Optimizer.zero_grad" in fast.source


@pytest.mark.parametrize("kind", ["momentum", "adam", "plain"])
def test_a_scheduler_cycling_the_momentum_is_followed_without_tracing_again(kind: str) -> None:
    """OneCycleLR/CyclicLR write the momentum (or Adam's betas) at every step: the replayed
    optimizer call reads them each time, so the step is traced once (CyclicLR's first write,
    in its constructor, turns the plain SGD into momentum SGD, as in PyTorch)."""
    from tinygrad_lite.optim.lr_scheduler import CyclicLR, OneCycleLR

    def make() -> tuple[TwoLayerNet, optim.Optimizer, object]:
        net = TwoLayerNet(2, 4, seed=0)
        if kind == "adam":
            opt: optim.Optimizer = optim.Adam(net.parameters(), lr=0.01)
            return net, opt, OneCycleLR(opt, max_lr=0.05, total_steps=20)
        opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9 if kind == "momentum" else 0.0)
        return net, opt, CyclicLR(opt, 0.01, 0.1, step_size_up=2, base_momentum=0.5)

    (n1, o1, s1), (n2, o2, s2) = make(), make()
    eager, fast = step_of(n1, o1), tg.compile(step_of(n2, o2))
    for k in range(7):
        x, y = batch(k)
        assert eager(x, y).data.tobytes() == fast(x, y).data.tobytes()
        s1.step()  # type: ignore[attr-defined]
        s2.step()  # type: ignore[attr-defined]
        assert_same(n1, n2)
    assert fast.traces == 1
    assert kind == "adam" or o2.param_groups[0]["momentum"] > 0
