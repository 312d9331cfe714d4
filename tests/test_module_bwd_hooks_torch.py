"""Module backward hooks and load_state_dict(assign=True) against PyTorch's."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinygrad_lite as tg  # noqa: E402
from tinygrad_lite import Tensor, nn  # noqa: E402


def arr(g: Any) -> Any:
    if g is None:
        return None
    return g.detach().numpy().copy() if isinstance(g, torch.Tensor) else g.data.copy()


class Log:
    """Records each hook call as (name, grads...), with arrays, for either library."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def full(self, name: str, returns: Any = None) -> Any:
        def hook(module: Any, gi: Any, go: Any) -> Any:
            self.calls.append((name, [arr(g) for g in gi], [arr(g) for g in go]))
            return returns(gi) if returns else None

        return hook

    def pre(self, name: str, returns: Any = None) -> Any:
        def hook(module: Any, go: Any) -> Any:
            self.calls.append((name, [arr(g) for g in go]))
            return returns(go) if returns else None

        return hook


def same(a: Any, b: Any) -> None:
    """Nested lists and tuples of arrays and None, equal in structure and value."""
    if a is None or b is None:
        assert a is None and b is None
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            same(x, y)
    elif isinstance(a, str):
        assert a == b
    else:
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def linears(*sizes: int) -> tuple[Any, Any]:
    """Our Sequential of Linear and Tanh layers, and PyTorch's with the same weights."""
    ours, theirs = [], []
    for k, (i, o) in enumerate(zip(sizes, sizes[1:], strict=False)):
        lin = nn.Linear(i, o, seed=k)
        t = torch.nn.Linear(i, o).double()
        with torch.no_grad():
            t.weight.copy_(torch.from_numpy(lin.weight.data))
            t.bias.copy_(torch.from_numpy(lin.bias.data))
        ours += [lin, nn.Tanh()]
        theirs += [t, torch.nn.Tanh()]
    return nn.Sequential(*ours[:-1]), torch.nn.Sequential(*theirs[:-1])


def pair(x: np.ndarray, grad: bool = True) -> tuple[Any, Any]:
    return Tensor(x.copy(), requires_grad=grad), torch.tensor(x, requires_grad=grad)


@pytest.mark.parametrize("replace", ["none", "input", "output", "drop"])
def test_linear_hooks_and_their_replacements(replace: str) -> None:
    (ours,), (theirs,) = [list(m) for m in linears(3, 2)]
    x = np.random.default_rng(0).standard_normal((4, 3))
    c = np.random.default_rng(1).standard_normal((4, 2))
    logs, grads = [], []
    for m, (xt, ct) in ((ours, (Tensor, Tensor)), (theirs, (torch.tensor, torch.tensor))):
        log = Log()
        rin = {"input": lambda gi: (gi[0] * 2.0,), "drop": lambda gi: (None,)}.get(replace)
        rout = (lambda go: (go[0] * 3.0,)) if replace == "output" else None
        m.register_full_backward_pre_hook(log.pre("pre", rout))
        m.register_full_backward_hook(log.full("full", rin))
        xs = xt(x.copy())
        xs.requires_grad_(True)
        (m(xs) * ct(c)).sum().backward()
        logs.append(log.calls)
        grads.append([arr(xs.grad), arr(m.weight.grad), arr(m.bias.grad)])
    same(logs[0], logs[1])
    same(grads[0], grads[1])


def two(lib: Any) -> Any:
    class Two(lib.Module):
        def forward(self, a: Any, b: Any, note: float, k: Any = None, scale: float = 1.0) -> Any:
            out = a * b + a * 2.0
            if k is not None:
                out = out + k
            return out * scale, b * 3.0, 7

    return Two()


@pytest.mark.parametrize("b_grad", [True, False])
@pytest.mark.parametrize("use", ["first", "second", "both"])
def test_a_two_input_module_with_a_tuple_output(b_grad: bool, use: str) -> None:
    if use == "second" and not b_grad:
        pytest.skip("the loss would not require grad")
    rng = np.random.default_rng(2)
    a, b, k = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(3)
    results = []
    for lib, make in ((nn, Tensor), (torch.nn, torch.tensor)):
        m, log = two(lib), Log()
        m.register_full_backward_pre_hook(log.pre("pre"))
        m.register_full_backward_hook(log.full("full"))
        at = make(a.copy())
        at.requires_grad_(True)
        bt = make(b.copy())
        bt.requires_grad_(b_grad)
        kt = make(k.copy())
        kt.requires_grad_(True)
        first, second, seven = m(at, bt, 5.0, k=kt, scale=2.0)
        assert seven == 7
        loss = {"first": first.sum(), "second": (second * second).sum()}.get(use)
        if loss is None:
            loss = first.sum() + (second * second).sum()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss.backward()
        results.append((log.calls, [arr(at.grad), arr(bt.grad), arr(kt.grad)]))
    same(results[0], results[1])


def test_a_sequential_with_hooks_at_every_level_and_no_input_grad() -> None:
    ours, theirs = linears(2, 3, 1)
    results = []
    for net, make in ((ours, Tensor), (theirs, torch.tensor)):
        log = Log()
        for i, m in enumerate([net, *net]):
            m.register_full_backward_hook(log.full(f"full{i}"))
            m.register_full_backward_pre_hook(log.pre(f"pre{i}"))
        x = make(np.ones((2, 2)))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            net(x).sum().backward()
        results.append((log.calls, len(caught)))
    same(results[0][0], results[1][0])
    assert results[0][1] == results[1][1] > 0


def test_a_module_called_twice_and_second_order_gradients() -> None:
    ours, theirs = linears(2, 2, 2)
    x = np.random.default_rng(3).standard_normal((1, 2))
    results = []
    for net, grad in ((ours, tg.grad), (theirs, torch.autograd.grad)):
        log = Log()
        net.register_full_backward_hook(log.full("full", lambda gi: (gi[0] * 1.5,)))
        net.register_full_backward_pre_hook(log.pre("pre"))
        xs = x.copy()
        z = Tensor(xs, requires_grad=True) if net is ours else torch.tensor(xs, requires_grad=True)
        y = net(net(z) * 0.5)
        (gz,) = grad((y * y).sum(), z, create_graph=True)
        (gz * gz).sum().backward()
        results.append((log.calls, arr(gz), arr(z.grad)))
    same(results[0], results[1])


def _assign_case(lib: Any, make: Any, param: Any) -> list[Any]:
    a, b = lib.Linear(2, 2), lib.Linear(2, 2)
    b.weight = a.weight
    a.bias.requires_grad_(False)
    net = lib.Sequential(a, b, lib.BatchNorm1d(2))
    keys = list(net.state_dict())
    values = {k: np.full(v.shape, float(i)) for i, (k, v) in enumerate(net.state_dict().items())}
    sd: dict[str, Any] = {k: make(v) for k, v in values.items() if "num_batches" not in k}
    sd["2.num_batches_tracked"] = make(np.array(3, dtype=np.int64))
    sd["0.bias"] = param(np.ones(2))
    sd["1.bias"] = make(np.ones(2, dtype=np.float32))
    out = [keys]
    out.append(list(net.load_state_dict(sd, strict=True, assign=True)))
    out.append([n for n, _ in net.named_parameters()])
    out.append([type(p).__name__ for p in net.parameters()])
    out.append([p.requires_grad for p in net.parameters()])
    out.append([str(p.dtype).replace("torch.", "") for p in net.parameters()])
    out.append([net[0].weight is net[1].weight, net[0].bias is sd["0.bias"]])
    mean = net[2].running_mean  # ours wraps a given array, sharing it
    given = sd["2.running_mean"]
    out.append([mean is given or mean.data is given, net[2].num_batches_tracked.item()])
    lin = lib.Linear(2, 2, bias=True)
    w = lin.weight
    result = lin.load_state_dict(
        {"weight": make(np.ones((2, 2))), "x": make(np.ones(1))}, False, True
    )
    out.append([list(result.missing_keys), list(result.unexpected_keys), lin.weight is w])
    return out


def test_load_state_dict_assign_matches_pytorch() -> None:
    ours = _assign_case(nn, lambda v: v, nn.Parameter)
    theirs = _assign_case(
        torch.nn, torch.from_numpy, lambda v: torch.nn.Parameter(torch.from_numpy(v))
    )
    assert ours == theirs


@pytest.mark.parametrize("what", ["shape", "missing"])
def test_load_state_dict_assign_refuses_what_pytorch_refuses(what: str) -> None:
    for lib, make in ((nn, np.ones), (torch.nn, torch.ones)):
        lin = lib.Linear(2, 2)
        sd = {"weight": make((3, 2) if what == "shape" else (2, 2))}
        if what == "shape":
            sd["bias"] = make(2)
        with pytest.raises((ValueError, RuntimeError), match="size mismatch|shape|Missing|missing"):
            lin.load_state_dict(sd, assign=True)
