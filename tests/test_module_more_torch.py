"""Module's state-dict hooks and extra state against PyTorch's: the same calls, keys and lists."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tinygrad_lite import Tensor, nn  # noqa: E402
from tinygrad_lite.nn import IncompatibleKeys  # noqa: E402
from tinygrad_lite.state_hooks import load_module_state, module_state_dict  # noqa: E402


def counter(lib: Any) -> Any:
    """A module class of `lib` (nn or torch.nn) with a Parameter, a buffer and extra state."""

    class Counter(lib.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = lib.Parameter(np.ones(2) if lib is nn else torch.ones(2))
            self.register_buffer("seen", Tensor(np.zeros(1)) if lib is nn else torch.zeros(1))
            self.count = 0

        def get_extra_state(self) -> Any:
            return {"count": self.count}

        def set_extra_state(self, state: Any) -> None:
            self.count = state["count"]

    return Counter


def trees() -> tuple[Any, Any]:
    ours = nn.Sequential(
        nn.Linear(2, 2, seed=0), nn.Sequential(nn.Linear(2, 1, seed=0), counter(nn)())
    )
    theirs = torch.nn.Sequential(
        torch.nn.Linear(2, 2), torch.nn.Sequential(torch.nn.Linear(2, 1), counter(torch.nn)())
    )
    return ours, theirs.double()


def record(net: Any, calls: list[Any]) -> None:
    for name, m in net.named_modules():
        m.register_state_dict_pre_hook(
            lambda mod, p, keep, n=name: calls.append(("pre", n, p, keep))
        )
        m.register_state_dict_post_hook(
            lambda mod, sd, p, meta, n=name: calls.append(("post", n, p, list(sd)))
        )
        m.register_load_state_dict_pre_hook(
            lambda mod, sd, p, meta, strict, miss, unexp, errs, n=name: calls.append(
                ("load", n, p, sorted(sd), strict, list(miss), list(unexp))
            )
        )
        m.register_load_state_dict_post_hook(
            lambda mod, keys, n=name: calls.append(("loaded", n, list(keys[0]), list(keys[1])))
        )


def test_state_dict_keys_hooks_and_extra_state_as_torch() -> None:
    ours, theirs = trees()
    ours[1][1].count = theirs[1][1].count = 3
    ours_calls: list[Any] = []
    theirs_calls: list[Any] = []
    record(ours, ours_calls)
    record(theirs, theirs_calls)
    sd, tsd = module_state_dict(ours), theirs.state_dict()
    assert list(sd) == list(tsd)
    assert sd["1.1._extra_state"] == tsd["1.1._extra_state"] == {"count": 3}
    assert ours_calls == theirs_calls


def test_load_hooks_and_incompatible_keys_as_torch() -> None:
    ours, theirs = trees()
    sd = module_state_dict(ours)
    tsd = theirs.state_dict()
    for d in (sd, tsd):
        del d["0.bias"], d["1.1._extra_state"]
        d["junk"] = d["1.0.junk"] = d["1.0.weight"]
    ours_calls: list[Any] = []
    theirs_calls: list[Any] = []
    record(ours, ours_calls)
    record(theirs, theirs_calls)
    keys = load_module_state(ours, sd, False, IncompatibleKeys)
    t_keys = theirs.load_state_dict(tsd, strict=False)
    assert keys.missing_keys == t_keys.missing_keys == ["0.bias", "1.1._extra_state"]
    assert keys.unexpected_keys == t_keys.unexpected_keys
    # The pre-hooks see what PyTorch's see; the post-hooks run in PyTorch's order, but after
    # the whole load (which stays all or nothing), so each sees the complete lists.
    pre, t_pre = ([c for c in calls if c[0] == "load"] for calls in (ours_calls, theirs_calls))
    assert pre == t_pre
    post, t_post = ([c for c in calls if c[0] == "loaded"] for calls in (ours_calls, theirs_calls))
    assert [c[1] for c in post] == [c[1] for c in t_post] == ["0", "1.0", "1.1", "1", ""]
    assert post[-1] == t_post[-1]


def test_get_buffer_and_set_submodule_as_torch() -> None:
    ours, theirs = trees()
    assert ours.get_buffer("1.1.seen").shape == tuple(theirs.get_buffer("1.1.seen").shape)
    for net, lib in ((ours, nn), (theirs, torch.nn)):
        with pytest.raises(AttributeError):
            net.get_buffer("1.1.scale")
        with pytest.raises(AttributeError):
            net.set_submodule("1.extra", lib.Tanh(), strict=True)
        with pytest.raises(AttributeError):
            net.set_submodule("0.weight", lib.Tanh())
        with pytest.raises(ValueError):
            net.set_submodule("", lib.Tanh())
        net.set_submodule("1.extra", lib.Tanh())
        assert [n for n, _ in net.named_children()] == ["0", "1"]
        assert [n for n, _ in net[1].named_children()] == ["0", "1", "extra"]
