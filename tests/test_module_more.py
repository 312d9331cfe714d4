"""Module: get_buffer, set_submodule, extra state and the state-dict hooks (call order, effects).

`module_state_dict` and `load_module_state` are the work of `Module.state_dict` and
`Module.load_state_dict`; they are called directly here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tinygrad_lite import Tensor, nn
from tinygrad_lite.nn import IncompatibleKeys
from tinygrad_lite.state_hooks import load_module_state, module_state_dict


def load(m: nn.Module, sd: Any, strict: bool = True) -> IncompatibleKeys:
    return load_module_state(m, sd, strict, IncompatibleKeys)


class Counter(nn.Module):
    """A module with extra state: a count that is no tensor."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(np.ones(2))
        self.register_buffer("seen", Tensor(np.zeros(1)))
        self.count = 0

    def forward(self, x: Tensor) -> Tensor:
        return x * self.scale

    def get_extra_state(self) -> Any:
        return {"count": self.count}

    def set_extra_state(self, state: Any) -> None:
        self.count = state["count"]


def tree() -> nn.Sequential:
    return nn.Sequential(nn.Linear(2, 2, seed=0), nn.Sequential(nn.BatchNorm1d(2), Counter()))


# ---------------------------------------------------------------------- lookups


def test_get_buffer() -> None:
    net = tree()
    assert net.get_buffer("1.0.running_mean") is net[1][0].running_mean
    with pytest.raises(AttributeError, match=r"'weight', which is not a buffer; its buffers are"):
        net.get_buffer("0.weight")
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        net.get_buffer("1.nope")
    with pytest.raises(AttributeError, match="has no submodule '7'"):
        net.get_buffer("7.running_mean")


def test_set_submodule_replaces_or_adds() -> None:
    net = tree()
    new = nn.Linear(2, 2, seed=1)
    net.set_submodule("0", new, strict=True)
    assert net[0] is new and net.get_parameter("0.weight") is new.weight
    extra = nn.Tanh()
    net.set_submodule("1.act", extra)
    assert net.get_submodule("1.act") is extra
    with pytest.raises(AttributeError, match=r"1 \(Sequential\) has no submodule 'other'"):
        net.set_submodule("1.other", nn.Tanh(), strict=True)
    with pytest.raises(AttributeError, match="'weight' of 0 .* is not a submodule"):
        net.set_submodule("0.weight", nn.Tanh())
    with pytest.raises(ValueError, match="module must be a Module, got Tensor"):
        net.set_submodule("0", Tensor([1.0]))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="without a target name"):
        net.set_submodule("", nn.Tanh())


# ---------------------------------------------------------------------- extra state


def test_extra_state_is_saved_after_the_modules_own_and_loaded_back() -> None:
    net = tree()
    net[1][1].count = 5
    sd = module_state_dict(net)
    assert list(sd)[list(sd).index("1.1.seen") + 1] == "1.1._extra_state"
    assert sd["1.1._extra_state"] == {"count": 5}
    other = tree()
    assert load(other, sd) == IncompatibleKeys([], [])
    assert other[1][1].count == 5
    del sd["1.1._extra_state"]
    with pytest.raises(ValueError, match=r"missing keys \['1.1._extra_state'\]"):
        load(other, sd)
    assert load(other, sd, strict=False).missing_keys == ["1.1._extra_state"]


def test_the_default_extra_state_methods_are_never_called() -> None:
    net = tree()
    assert "_extra_state" not in "".join(module_state_dict(nn.Linear(2, 2, seed=0)))
    with pytest.raises(RuntimeError, match="Linear does not define get_extra_state"):
        net[0].get_extra_state()
    with pytest.raises(RuntimeError, match="does not define set_extra_state"):
        net[0].set_extra_state(1)


# ---------------------------------------------------------------------- state_dict hooks


def test_state_dict_hooks_order_arguments_and_removal() -> None:
    net = tree()
    calls: list[Any] = []
    for name, m in net.named_modules():
        m.register_state_dict_pre_hook(lambda mod, prefix, keep, n=name: calls.append(("pre", n)))
        m.register_state_dict_post_hook(
            lambda mod, sd, prefix, meta, n=name: calls.append(("post", n, prefix, len(sd)))
        )
    sd = module_state_dict(net)
    assert calls == [
        ("pre", ""),
        ("pre", "0"),
        ("post", "0", "0.", 2),
        ("pre", "1"),
        ("pre", "1.0"),
        ("post", "1.0", "1.0.", 7),
        ("pre", "1.1"),
        ("post", "1.1", "1.1.", 10),
        ("post", "1", "1.", 10),
        ("post", "", "", 10),
    ]
    bn = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert list(sd) == ["0.weight", "0.bias", *(f"1.0.{n}" for n in bn)] + [
        "1.1.scale",
        "1.1.seen",
        "1.1._extra_state",
    ]

    def drop_bias(mod: Any, sd: dict[str, Any], prefix: str, meta: dict[str, Any]) -> None:
        del sd[prefix + "bias"]

    handle = net[0].register_state_dict_post_hook(drop_bias)
    assert "0.bias" not in module_state_dict(net)
    handle.remove()
    with net[0].register_state_dict_post_hook(drop_bias):
        assert "0.bias" not in module_state_dict(net)
    assert "0.bias" in module_state_dict(net)
    net[0].register_state_dict_post_hook(lambda *args: {})
    with pytest.raises(RuntimeError, match="post-hook must return None"):
        module_state_dict(net)
    with pytest.raises(TypeError, match="hook must be callable, got int"):
        net.register_state_dict_pre_hook(3)  # type: ignore[arg-type]


def test_a_hooked_state_dict_keeps_every_name_of_a_tied_parameter() -> None:
    layer = nn.Linear(2, 2, seed=0)
    net = nn.Sequential(layer, nn.Tanh(), layer)
    net.register_state_dict_pre_hook(lambda *args: None)
    sd = module_state_dict(net)
    assert list(sd) == list(net.state_dict())
    assert sd["0.weight"] is sd["2.weight"] and not np.shares_memory(
        sd["0.weight"], layer.weight.data
    )


# ---------------------------------------------------------------------- load hooks


def test_load_pre_hook_renames_old_entries_and_sees_its_prefix_only() -> None:
    net = tree()
    sd = module_state_dict(net)
    old = {("0.kernel" if k == "0.weight" else k): v for k, v in sd.items()}
    seen: list[Any] = []

    def rename(
        mod: Any, local: dict[str, Any], prefix: str, meta: Any, strict: bool, *_: Any
    ) -> None:
        seen.append((prefix, sorted(local), strict))
        if prefix + "kernel" in local:
            local[prefix + "weight"] = local.pop(prefix + "kernel")

    fresh = tree()
    fresh[0].register_load_state_dict_pre_hook(rename)
    fresh[0].weight.data[...] = 0.0
    assert load(fresh, old) == IncompatibleKeys([], [])
    np.testing.assert_array_equal(fresh[0].weight.data, sd["0.weight"])
    assert seen == [("0.", ["0.bias", "0.kernel"], True)]


def test_load_pre_hook_errors_fail_the_load_with_nothing_loaded() -> None:
    net = tree()
    before = net[0].weight.data.copy()
    sd = {k: v + 1 if isinstance(v, np.ndarray) else v for k, v in module_state_dict(net).items()}
    net[1].register_load_state_dict_pre_hook(
        lambda m, sd, p, meta, s, miss, unexp, errs: errs.append("old format")
    )
    with pytest.raises(ValueError, match="cannot load into Sequential: old format"):
        load(net, sd)
    np.testing.assert_array_equal(net[0].weight.data, before)
    bad = dict(sd, **{"0.bias": np.zeros(3)})
    with pytest.raises(ValueError, match=r"0.bias: shape \(3,\) in the state dict"):
        load(tree(), bad)


def test_load_post_hooks_run_children_first_and_may_clear_the_keys() -> None:
    net = tree()
    sd = module_state_dict(net)
    del sd["0.bias"]
    sd["junk"] = np.zeros(1)
    order: list[str] = []
    for name, m in net.named_modules():
        m.register_load_state_dict_post_hook(lambda mod, keys, n=name: order.append(n))

    def forgive(mod: Any, keys: IncompatibleKeys) -> None:
        assert keys == IncompatibleKeys(["0.bias"], ["junk"])
        keys.missing_keys.clear()
        keys.unexpected_keys.clear()

    net.register_load_state_dict_post_hook(forgive)
    assert load(net, sd) == IncompatibleKeys([], [])
    assert order == ["0", "1.0", "1.1", "1", ""]
    other = tree()
    other.register_load_state_dict_post_hook(lambda mod, keys: None)
    other[0].weight.data[...] = 0.0
    with pytest.raises(ValueError, match=r"missing keys \['0.bias'\].*the values were loaded"):
        load(other, sd)
    np.testing.assert_array_equal(other[0].weight.data, sd["0.weight"])
    other.register_load_state_dict_post_hook(lambda mod, keys: keys)
    with pytest.raises(AssertionError, match="post-hook must return None"):
        load(other, sd, strict=False)


def test_without_hooks_the_plain_path_is_taken() -> None:
    net = nn.Sequential(nn.Linear(2, 2, seed=0), nn.BatchNorm1d(2))
    sd = module_state_dict(net)
    assert list(sd) == list(net.state_dict())
    sd["x"] = np.zeros(1)
    assert load(net, sd, strict=False) == net.load_state_dict(sd, strict=False)
    with pytest.raises(TypeError, match="expected a mapping"):
        load(net, [1, 2])  # type: ignore[arg-type]
