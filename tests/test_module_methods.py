"""PyTorch's Module helpers: apply, to/float/double/cpu, requires_grad_, and registry lookups."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn, optim


def net() -> nn.Sequential:
    return nn.Sequential(nn.Linear(3, 4, seed=0), nn.Tanh(), nn.Linear(4, 1, seed=1))


def test_apply_visits_children_first_then_self() -> None:
    model = net()
    seen: list[str] = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ["Linear", "Tanh", "Linear", "Sequential"]

    def init(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)

    model.apply(init)
    assert all((m.weight.data == 0.5).all() for m in model.modules() if isinstance(m, nn.Linear))


def test_to_float_and_double_convert_parameters_gradients_and_float_buffers() -> None:
    model = net()
    model.register_buffer("scale", Tensor(np.array([2.0])))
    model.register_buffer("count", Tensor(np.array([3])))
    params = list(model.parameters())
    x = Tensor(np.ones((2, 3)))
    model(x).sum().backward()
    assert model.float() is model
    assert list(model.parameters()) == params  # the same Parameter objects
    assert all(p.dtype == np.float32 and p.grad is not None for p in params)
    assert all(p.grad.dtype == np.float32 for p in params)  # type: ignore[union-attr]
    assert model.scale.dtype == np.float32 and model.count.dtype == np.int64
    out = model(x.float())
    assert out.dtype == np.float32
    model.double()
    assert all(p.dtype == np.float64 for p in params) and model.scale.dtype == np.float64
    assert model.to("cpu") is model and model.cpu() is model
    model.to("cpu", np.float32)
    assert model[0].weight.dtype == np.float32
    model.to(Tensor(np.zeros(1)))  # a tensor's dtype
    assert model[0].weight.dtype == np.float64


def test_converted_values_are_the_rounded_originals() -> None:
    model = net()
    before = model[0].weight.data.copy()
    model.float()
    np.testing.assert_array_equal(model[0].weight.data, before.astype(np.float32))


def test_an_optimizer_made_before_a_conversion_keeps_updating_the_parameters() -> None:
    model = net()
    opt = optim.SGD(model.parameters(), lr=0.1)
    model.float()
    x, y = Tensor(np.ones((2, 3), np.float32)), Tensor(np.zeros((2, 1), np.float32))
    before = model[0].weight.data.copy()
    opt.zero_grad()
    ((model(x) - y) ** 2).mean().backward()
    opt.step()
    assert model[0].weight.dtype == np.float32
    assert not np.array_equal(model[0].weight.data, before)


def test_a_compiled_step_traces_again_after_a_conversion() -> None:
    model = net()

    def step(x: Tensor) -> Tensor:
        return model(x).sum()

    compiled = tg.compile(step)
    x = Tensor(np.ones((2, 3)))
    compiled(x)
    model.float()
    out = compiled(x.float())
    assert out.dtype == np.float32 and compiled.traces == 2
    assert out.item() == pytest.approx(step(x.float()).item())


def test_requires_grad_freezes_and_unfreezes() -> None:
    model = net()
    assert model.requires_grad_(False) is model
    assert not any(p.requires_grad for p in model.parameters())
    model[2].requires_grad_()
    assert [p.requires_grad for p in model.parameters()] == [False, False, True, True]


def test_lookups_and_registration_by_name() -> None:
    model = net()
    assert model.get_submodule("") is model and model.get_submodule("2") is model[2]
    assert model.get_parameter("0.bias") is model[0].bias
    block = nn.Module()
    block.add_module("inner", model)
    block.register_module("other", nn.Tanh())
    block.register_parameter("w", nn.Parameter(np.ones(2)))
    assert block.get_parameter("w").tolist() == [1.0, 1.0]
    assert block.get_parameter("inner.2.weight") is model[2].weight
    assert [n for n, _ in block.named_children()] == ["inner", "other"]
    block.register_parameter("w", None)
    assert "w" not in dict(block.named_parameters()) and block.w is None


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda m: m.to("cuda:0"), RuntimeError, "no device 'cuda:0'"),
        (lambda m: m.to(np.int64), TypeError, "float dtype only, got int64"),
        (lambda m: m.get_submodule("0.missing"), AttributeError, "no submodule 'missing'"),
        (lambda m: m.get_submodule("5"), AttributeError, r"submodules are \['0', '1', '2'\]"),
        (lambda m: m.get_parameter("0.gain"), AttributeError, r"parameters are \['weight'"),
        (lambda m: m.register_parameter("w", Tensor(np.ones(2))), TypeError, "nn.Parameter"),
        (lambda m: m.add_module("x", np.ones(2)), TypeError, "must be a Module or None"),
        (lambda m: m.add_module("a.b", nn.Tanh()), KeyError, "contains a dot"),
    ],
)
def test_refusals(call: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call(net())  # type: ignore[operator]


def test_forward_hooks_see_and_may_replace_inputs_and_outputs() -> None:
    model = net()
    seen: list[tuple[str, tuple[int, ...]]] = []
    handles = [
        m.register_forward_hook(lambda mod, args, out: seen.append((type(mod).__name__, out.shape)))
        for m in model
    ]
    x = Tensor(np.ones((5, 3)))
    out = model(x)
    assert seen == [("Linear", (5, 4)), ("Tanh", (5, 4)), ("Linear", (5, 1))]
    for h in handles:
        h.remove()
    h.remove()  # a second remove does nothing
    seen.clear()
    np.testing.assert_array_equal(model(x).data, out.data)
    assert seen == []
    double = model[2].register_forward_hook(lambda mod, args, out: out * 2.0)
    np.testing.assert_array_equal(model(x).data, 2.0 * out.data)
    double.remove()
    pre = model[0].register_forward_pre_hook(lambda mod, args: args[0] * 0.0)
    zeros = model(x)
    pre.remove()
    np.testing.assert_array_equal(zeros.data, model(Tensor(np.zeros((5, 3)))).data)


def test_a_forward_hook_output_stays_in_the_graph() -> None:
    model = net()
    model[1].register_forward_hook(lambda mod, args, out: out * 3.0)
    x = Tensor(np.ones((2, 3)))
    model(x).sum().backward()
    hooked = model[0].weight.grad.data.copy()  # type: ignore[union-attr]
    model.zero_grad()
    plain = net()
    (plain[2](plain[1](plain[0](x)) * 3.0)).sum().backward()
    np.testing.assert_allclose(hooked, plain[0].weight.grad.data, rtol=1e-15)  # type: ignore[union-attr]


def test_a_compiled_step_refuses_a_module_with_forward_hooks() -> None:
    model = net()
    step = tg.compile(lambda x: model(x).sum())
    x = Tensor(np.ones((2, 3)))
    step(x)
    handle = model[1].register_forward_hook(lambda mod, args, out: None)
    with pytest.raises(tg.TraceError, match="Tanh has forward hooks"):
        step(x)
    handle.remove()
    assert step(x).item() == pytest.approx(model(x).sum().item())
    with pytest.raises(TypeError, match="must be callable"):
        model.register_forward_hook(3)  # type: ignore[arg-type]


def test_sequential_from_named_modules_keeps_the_names() -> None:
    from collections import OrderedDict

    model = nn.Sequential(
        OrderedDict([("fc", nn.Linear(2, 3, seed=0)), ("act", nn.ReLU()), ("out", nn.Linear(3, 1))])
    )
    assert [n for n, _ in model.named_parameters()] == [
        "fc.weight",
        "fc.bias",
        "out.weight",
        "out.bias",
    ]
    assert model[0] is model.fc and model[-1] is model.out and len(model) == 3
    assert [n for n, _ in model[1:].named_children()] == ["act", "out"]  # a slice keeps them
    assert [n for n, _ in nn.Sequential(nn.Tanh(), nn.ReLU())[1:].named_children()] == ["1"]
    assert [n for n, _ in nn.ModuleList([nn.Tanh(), nn.ReLU()])[1:].named_children()] == ["0"]
    model[1] = nn.Tanh()
    assert isinstance(model.act, nn.Tanh)
    x = np.ones((4, 2))
    np.testing.assert_array_equal(model(x).data, model.out(model.act(model.fc(x))).data)
    with pytest.raises(TypeError, match="names must be str"):
        nn.Sequential(OrderedDict([(1, nn.Tanh())]))


def test_pytorchs_dtype_names_and_the_unbiased_flag() -> None:
    assert tg.tensor([1, 2], dtype=tg.float32).dtype == np.float32
    assert tg.zeros(2, dtype=tg.long).dtype == np.int64 and tg.double == np.float64
    assert (tg.float, tg.int, tg.bool, tg.half) == (np.float32, np.int32, np.bool_, np.float16)
    for builtin in ("float", "int", "bool", "abs", "max", "min", "sum"):
        assert builtin not in tg.__all__ and hasattr(tg, builtin)  # a star import keeps builtins
    x = Tensor(np.array([1.0, 2.0, 4.0]))
    assert x.std(unbiased=False).item() == pytest.approx(np.std([1.0, 2.0, 4.0]), rel=1e-15)
    assert x.var(unbiased=True).item() == pytest.approx(np.var([1.0, 2.0, 4.0], ddof=1), rel=1e-15)
    with pytest.raises(TypeError, match="not both"):
        x.var(correction=0, unbiased=True)
    with pytest.raises(TypeError, match="unbiased must be a bool"):
        x.std(unbiased=1)  # type: ignore[arg-type]
