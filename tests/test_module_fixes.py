"""Module machinery as in PyTorch: hook handles, train()'s recursion, None members, containers."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from tinygrad_lite import Tensor, nn

# ---------------------------------------------------------------------- hook handles


def _logger(log: list[str], tag: str) -> Any:
    def hook(*args: Any) -> None:
        log.append(tag)

    return hook


REGISTER = {
    "forward": lambda m, h, **kw: m.register_forward_hook(h, **kw),
    "forward_pre": lambda m, h, **kw: m.register_forward_pre_hook(h, **kw),
    "backward": lambda m, h, **kw: m.register_full_backward_hook(h, **kw),
    "backward_pre": lambda m, h, **kw: m.register_full_backward_pre_hook(h, **kw),
}


def _run(m: nn.Module) -> None:
    x = Tensor(np.ones(2), requires_grad=True)
    m(x).sum().backward()


@pytest.mark.parametrize("kind", list(REGISTER))
def test_remove_removes_its_own_registration_of_a_hook_registered_twice(kind: str) -> None:
    log: list[str] = []
    h, g = _logger(log, "h"), _logger(log, "g")
    m = nn.Identity()
    reg = REGISTER[kind]
    a, _, c = reg(m, h), reg(m, g), reg(m, h)
    c.remove()  # the last h, not the first: h then g still run
    _run(m)
    assert log == ["h", "g"]
    log.clear()
    a.remove()
    _run(m)
    assert log == ["g"]


@pytest.mark.parametrize("kind", list(REGISTER))
def test_a_second_remove_does_nothing_and_keeps_the_other_registration(kind: str) -> None:
    log: list[str] = []
    h = _logger(log, "h")
    m = nn.Identity()
    REGISTER[kind](m, h)
    b = REGISTER[kind](m, h)
    b.remove()
    b.remove()
    _run(m)
    assert log == ["h"]


def test_equal_bound_methods_are_told_apart() -> None:
    class Counter:
        def __init__(self) -> None:
            self.log: list[str] = []

        def hook(self, *args: Any) -> None:
            self.log.append("c")

    c, m = Counter(), nn.Identity()
    first = m.register_forward_hook(c.hook)
    m.register_forward_hook(_logger(c.log, "x"))
    last = m.register_forward_hook(c.hook)  # c.hook == c.hook, but another registration
    last.remove()
    m(Tensor(np.ones(1)))
    assert c.log == ["c", "x"]
    assert first.id != last.id


def test_removal_keeps_the_order_of_prepended_and_keyword_hooks() -> None:
    log: list[str] = []
    m = nn.Identity()
    p = _logger(log, "p")
    m.register_forward_pre_hook(p)
    m.register_forward_pre_hook(_logger(log, "q"), prepend=True)
    first = m.register_forward_pre_hook(p, prepend=True)
    m.register_forward_hook(_logger(log, "k"), with_kwargs=True)
    kw = m.register_forward_hook(_logger(log, "k2"), with_kwargs=True)
    m(Tensor(np.ones(1)))
    assert log == ["p", "q", "p", "k", "k2"]
    log.clear()
    first.remove()
    kw.remove()
    m(Tensor(np.ones(1)))
    assert log == ["q", "p", "k"]


def test_a_handle_is_a_context_manager_and_the_plain_call_comes_back() -> None:
    log: list[str] = []
    m = nn.Identity()
    with m.register_forward_hook(_logger(log, "h")) as handle:
        m(Tensor(np.ones(1)))
    m(Tensor(np.ones(1)))
    assert log == ["h"]
    assert m.__dict__["_forward_hooks"] is None  # no hook left: the plain call path
    handle.remove()  # after the block: nothing to do


def test_a_handle_of_a_cleared_registry_does_not_remove_a_later_hook() -> None:
    log: list[str] = []
    h = _logger(log, "h")
    m = nn.Identity()
    old = m.register_forward_hook(h)
    old.remove()
    m.register_forward_hook(h)
    old.remove()
    m(Tensor(np.ones(1)))
    assert log == ["h"]


# ---------------------------------------------------------------------- train() and eval()


class Frozen(nn.Module):
    """Keeps its BatchNorm in eval mode whatever mode it is put in (a PyTorch idiom)."""

    def __init__(self) -> None:
        super().__init__()
        self.bn = nn.BatchNorm1d(2)

    def train(self, mode: bool = True) -> Frozen:
        super().train(mode)
        self.bn.eval()
        return self


def test_train_calls_each_childs_own_train() -> None:
    net = nn.Sequential(Frozen(), nn.Dropout())
    assert net.train() is net
    assert net.training and net[0].training and net[1].training
    assert not net[0].bn.training
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train(True)
    assert not net[0].bn.training


def test_train_calls_a_shared_child_once_and_follows_no_cycle() -> None:
    calls: list[bool] = []

    class Counted(nn.Module):
        def train(self, mode: bool = True) -> Counted:
            calls.append(mode)
            super().train(mode)
            return self

    child = Counted()
    parent = nn.Module()
    parent.x = child
    parent.y = child
    parent.eval()
    assert calls == [False] and not child.training
    a, b = nn.Module(), nn.Module()
    a.b = b
    b.a = a  # a cycle of submodules
    a.eval()
    assert not a.training and not b.training
    b.train()
    assert a.training and b.training


def test_train_refuses_a_mode_that_is_not_a_bool() -> None:
    m = nn.Sequential(nn.ReLU())
    for bad in (1, None, "eval", np.bool_(True)):
        with pytest.raises(ValueError, match="training mode is expected to be boolean"):
            m.train(bad)  # type: ignore[arg-type]
    assert m.training


def test_train_in_two_threads_switches_each_module() -> None:
    nets = [nn.Sequential(*[nn.Sequential(nn.ReLU(), nn.Dropout()) for _ in range(50)])]
    nets.append(nets[0])
    threads = [threading.Thread(target=n.eval) for n in nets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not any(m.training for m in nets[0].modules())


# ---------------------------------------------------------------------- None members


def test_module_dict_keeps_a_key_that_holds_none() -> None:
    md = nn.ModuleDict({"a": nn.ReLU()})
    md["q"] = None
    assert (len(md), list(md.keys()), "q" in md, md["q"], md.q) == (2, ["a", "q"], True, None, None)
    assert md.items() == [("a", md["a"]), ("q", None)]
    assert [n for n, _ in md.named_modules()] == ["", "a"]  # no walk sees None
    assert list(md.named_children()) == [("a", md["a"])]
    assert md.eval() is md and md.apply(lambda m: None) is md
    md["q"] = nn.Tanh()  # takes the key's place
    assert list(md.keys()) == ["a", "q"] and isinstance(md["q"], nn.Tanh)
    md["a"] = None
    assert list(md.keys()) == ["a", "q"] and [n for n, _ in md.named_children()] == ["q"]
    assert md.pop("a") is None and list(md) == ["q"]
    with pytest.raises(TypeError, match="submodule 'q' of ModuleDict: expected a Module or None"):
        md.q = 3


def test_a_submodule_set_to_none_keeps_its_place_and_its_kind() -> None:
    m = nn.Module()
    m.a = nn.ReLU()
    m.b = nn.Tanh()
    m.a = None
    assert m.a is None and [n for n, _ in m.named_children()] == ["b"]
    m.a = nn.Sigmoid()
    assert [n for n, _ in m.named_children()] == ["a", "b"]
    m.a = None
    with pytest.raises(TypeError, match="submodule 'a'"):
        m.a = 5
    m.add_module("c", None)
    assert m.c is None and list(m._modules) == ["a", "b", "c"]
    del m.a
    assert list(m._modules) == ["b", "c"] and not hasattr(m, "a")


def test_containers_with_none_members_save_and_load_without_them() -> None:
    seq = nn.Sequential(nn.Linear(1, 2, seed=0), None, nn.Linear(2, 1, seed=1))
    assert len(seq) == 3 and seq[1] is None
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(list(seq.parameters())) == 4
    keys = seq.load_state_dict(seq.state_dict())
    assert keys.missing_keys == keys.unexpected_keys == []
    with pytest.raises(TypeError, match="'NoneType' object is not callable"):  # as PyTorch
        seq(Tensor(np.ones((1, 1))))


def test_module_list_takes_none_as_pytorch_does() -> None:
    ml = nn.ModuleList([nn.ReLU()])
    ml.append(None)
    assert len(ml) == 2 and list(ml) == [ml[0], None]
    assert repr(ml) == "ModuleList(\n  (0): ReLU()\n  (1): None\n)"
    ml[0] = None
    ml.insert(1, nn.Tanh())
    ml.extend([None])
    assert [type(m).__name__ for m in ml] == ["NoneType", "Tanh", "NoneType", "NoneType"]
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2"] and ml[1] is None
    assert [type(m).__name__ for m in ml[1:]] == ["NoneType", "NoneType"]
    with pytest.raises(TypeError, match="ModuleList: expected a Module, got str"):
        ml.append("layer")  # type: ignore[arg-type]


# ---------------------------------------------------------------------- containers


def test_container_indices_take_true_as_one_as_a_list_does() -> None:
    a, b = nn.ReLU(), nn.Tanh()
    for container in (nn.ModuleList([a, b]), nn.Sequential(a, b)):
        assert container[True] is b and container[False] is a
        assert container[np.int64(1)] is b
        with pytest.raises(TypeError, match="indices must be ints or slices, got '0'"):
            container["0"]  # type: ignore[call-overload]
        with pytest.raises(TypeError, match="indices must be ints or slices, got 1.0"):
            container[1.0]  # type: ignore[call-overload]
    ml = nn.ModuleList([a, b])
    ml[True] = nn.Sigmoid()
    del ml[True]
    assert list(ml) == [a]


def test_insert_returns_none_on_a_module_list_and_self_on_a_sequential() -> None:
    ml = nn.ModuleList([nn.ReLU()])
    assert ml.insert(0, nn.Tanh()) is None
    assert [type(m).__name__ for m in ml] == ["Tanh", "ReLU"]
    seq = nn.Sequential(nn.ReLU())
    assert seq.insert(0, nn.Tanh()) is seq
    assert [type(m).__name__ for m in seq] == ["Tanh", "ReLU"]
    with pytest.raises(TypeError, match="Sequential.insert: expected a Module, got NoneType"):
        seq.insert(0, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="insert: index must be an int, got 0.5"):
        ml.insert(0.5, nn.ReLU())  # type: ignore[arg-type]


def test_adding_to_a_sequential_takes_a_sequential_only() -> None:
    seq = nn.Sequential(nn.ReLU())
    for bad in ([nn.Tanh()], nn.ModuleList([nn.Tanh()])):
        with pytest.raises(ValueError, match="supports only objects of Sequential class"):
            seq += bad
        with pytest.raises(ValueError, match="supports only objects of Sequential class"):
            seq + bad  # noqa: B018
    assert len(seq) == 1
    seq += nn.Sequential(nn.Tanh())
    assert [type(m).__name__ for m in seq + nn.Sequential(nn.Sigmoid())] == [
        "ReLU",
        "Tanh",
        "Sigmoid",
    ]


def test_adding_an_iterable_to_a_module_list() -> None:
    ml = nn.ModuleList([nn.ReLU()])
    both = ml + [nn.Tanh()]
    assert isinstance(both, nn.ModuleList) and len(both) == 2 and len(ml) == 1
    ml += (nn.Tanh(),)
    assert len(ml) == 2


def test_parameter_dict_union_and_fromkeys_as_pytorch() -> None:
    def make() -> nn.ParameterDict:
        return nn.ParameterDict({"b": nn.Parameter(np.ones(2)), "a": nn.Parameter(np.zeros(2))})

    other = {"c": nn.Parameter(np.full(2, 3.0)), "a": nn.Parameter(np.full(2, 5.0))}
    pd = make()
    merged = pd | other  # a plain dict is added in sorted key order
    assert isinstance(merged, nn.ParameterDict) and list(merged) == ["a", "b", "c"]
    assert merged["a"] is other["a"] and list(pd) == ["a", "b"]
    left = dict(other) | pd  # a dict on the left stays a dict, updated with pd's entries
    assert type(left) is dict and list(left) == ["c", "a", "b"] and left["a"] is pd["a"]
    same = pd
    pd |= other
    assert pd is same and list(pd) == ["a", "b", "c"]
    w = nn.Parameter(np.ones(1))
    keyed = pd.fromkeys(["x", "y"], w)
    assert isinstance(keyed, nn.ParameterDict) and keyed["x"] is w and keyed["y"] is w
    assert pd.fromkeys(["x"])["x"] is None and list(pd) == ["a", "b", "c"]
