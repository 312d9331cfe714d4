"""Differential audit of the Module API (registration, state dicts, hooks) against PyTorch."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinygrad_lite as tg  # noqa: E402
from tinygrad_lite import Tensor, module, module_methods, module_state, state_hooks  # noqa: E402
from tinygrad_lite import nn as tnn  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def _torch_float64() -> Any:
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def nn(m: Any) -> Any:
    return tnn if m is tg else torch.nn


def ten(m: Any, a: Any) -> Any:
    arr = np.array(a.tolist() if isinstance(a, torch.Tensor) else a, dtype=np.float64)
    return Tensor(arr) if m is tg else torch.tensor(arr)


def f32(m: Any) -> Any:
    return np.float32 if m is tg else torch.float32


def plain(value: Any) -> Any:
    """Names, flags and values made comparable across the two libraries."""
    if isinstance(value, (Tensor, torch.Tensor)):
        return plain(value.detach().numpy())
    if isinstance(value, np.ndarray):  # floats to 12 significant digits (1e-12 relative)
        rounded = [float(f"{v:.12g}") for v in value.ravel().tolist()]
        return (
            str(value.dtype),
            value.shape,
            rounded if value.dtype.kind == "f" else value.tolist(),
        )
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


class Net:
    """The same two-layer network in both libraries (weights set from fixed arrays)."""

    @staticmethod
    def make(m: Any) -> Any:
        class Two(nn(m).Module):  # type: ignore[misc, name-defined]
            def __init__(self) -> None:
                super().__init__()
                self.a = nn(m).Linear(2, 3)
                self.b = nn(m).Linear(3, 1)
                self.register_buffer("count", ten(m, [0.0]))
                self.register_buffer("scratch", ten(m, [1.0]), persistent=False)

            def forward(self, x: Any, scale: float = 1.0) -> Any:
                return self.b(self.a(x).tanh()) * scale

        net = Two()
        state = {k: np.array(v.tolist()) for k, v in net.state_dict().items()}
        net.load_state_dict(
            {k: ten(m, np.arange(v.size).reshape(v.shape) / 7.0 - 0.3) for k, v in state.items()}
        )
        return net


def _names(m: Any) -> Any:
    net = Net.make(m)
    shared = nn(m).Linear(2, 2)
    seq = nn(m).Sequential(shared, nn(m).Tanh(), shared)
    return [
        [n for n, _ in net.named_parameters()],
        [n for n, _ in net.named_parameters(prefix="p")],
        [n for n, _ in net.named_parameters(recurse=False)],
        [n for n, _ in net.named_buffers(prefix="q")],
        [n for n, _ in net.named_buffers(recurse=False)],
        len(list(net.parameters())),
        len(list(net.parameters(recurse=False))),
        len(list(net.buffers())),
        len(list(net.buffers(recurse=False))),
        [n for n, _ in net.named_modules(prefix="r")],
        [n for n, _ in net.named_modules(set(), "r")],
        len(list(net.modules())),
        [n for n, _ in net.named_children()],
        len(list(net.children())),
        [n for n, _ in seq.named_parameters()],
        [n for n, _ in seq.named_parameters(remove_duplicate=False)],
        [n for n, _ in seq.named_modules(remove_duplicate=False)],
        len(list(seq.parameters())),
    ]


def _state(m: Any) -> Any:
    net = Net.make(m)
    sd = net.state_dict()
    dest: dict[str, Any] = {}
    kept = net.state_dict(keep_vars=True)
    return [
        plain(sd),
        list(net.state_dict(prefix="x.")),
        net.state_dict(destination=dest) is dest,
        type(kept["a.weight"]).__name__,
        kept["a.weight"] is net.a.weight,
    ]


def _load(m: Any, **kw: Any) -> Any:
    net = Net.make(m)
    result = net.load_state_dict({"a.bias": ten(m, [1.0, 2.0, 3.0]), "zz": ten(m, [1.0])}, **kw)
    return [list(result.missing_keys), list(result.unexpected_keys), plain(net.a.bias)]


def _load_bad(m: Any, what: str) -> Any:
    net = Net.make(m)
    sd = {k: ten(m, v) for k, v in Net.make(m).state_dict().items()}
    if what == "shape":
        sd["a.bias"] = ten(m, [1.0])
    if what == "missing":
        sd.pop("a.weight")
    if what == "unexpected":
        sd["zz"] = ten(m, [0.0])
    net.load_state_dict(sd, assign=(what == "assign"))


def _attrs(m: Any) -> Any:
    mod, out = nn(m).Module(), []
    mod.p = nn(m).Parameter(ten(m, [1.0]))
    for attempt in (
        lambda: setattr(mod, "p", ten(m, [2.0])),
        lambda: setattr(mod, "p", nn(m).Linear(1, 1)),
        lambda: mod.register_parameter("forward", nn(m).Parameter(ten(m, [1.0]))),
        lambda: mod.register_buffer("p", ten(m, [1.0])),
        lambda: mod.register_buffer("a.b", ten(m, [1.0])),
        lambda: mod.add_module("", nn(m).Tanh()),
        lambda: mod.register_module("y", 3),
        lambda: mod.train("yes"),
    ):
        try:
            attempt()
            out.append("accepted")
        except (TypeError, KeyError, ValueError) as e:
            out.append(type(e).__name__)
    mod.register_buffer("b", ten(m, [1.0]))
    mod.b = None
    mod.p = None
    mod.c = nn(m).Tanh()
    mod.x = ten(m, [3.0])  # a plain tensor is an ordinary attribute
    out += [list(dict(mod.named_buffers())), list(dict(mod.named_parameters())), mod.p]
    del mod.c
    out += [list(dict(mod.named_children())), hasattr(mod, "c"), list(mod.state_dict())]
    mod.register_parameter("q", nn(m).Parameter(ten(m, [4.0])))
    mod.register_buffer("r", ten(m, [5.0]))
    mod.r = nn(m).Parameter(ten(m, [6.0]))  # a Parameter replaces a buffer
    return out + [list(dict(mod.named_parameters())), list(dict(mod.named_buffers()))]


def _none_slot(m: Any) -> Any:
    """A Parameter set to None keeps its place, and only a Parameter (or None) may fill it."""
    mod = nn(m).Module()
    mod.w1 = nn(m).Parameter(ten(m, [1.0]))
    mod.w2 = nn(m).Parameter(ten(m, [2.0]))
    mod.w1 = None
    with pytest.raises(TypeError):
        mod.w1 = ten(m, [0.0])
    mod.w3 = nn(m).Parameter(ten(m, [3.0]))
    mod.w1 = nn(m).Parameter(ten(m, [0.0]))
    mod.register_parameter("w0", None)
    mod.w4 = nn(m).Parameter(ten(m, [4.0]))
    mod.register_parameter("w0", nn(m).Parameter(ten(m, [5.0])))
    return [list(mod.state_dict()), [n for n, _ in mod.named_parameters()]]


def _lookup(m: Any, target: str, kind: str) -> Any:
    net = Net.make(m)
    return plain(getattr(net, f"get_{kind}")(target))


def _modes(m: Any) -> Any:
    net = Net.make(m)
    out = [net.training, net.eval() is net, net.a.training, net.train() is net, net.b.training]
    net.train(False)
    out += [net.training, net.requires_grad_(False) is net]
    out += [p.requires_grad for p in net.parameters()]
    log: list[str] = []
    return out + [net.apply(lambda mod: log.append(type(mod).__name__)) is net, log[:2]]


def _dtypes(m: Any) -> Any:
    out = []
    for convert in ("float", "double", "half"):
        net = Net.make(m)
        out.append(str(getattr(net, convert)().a.weight.dtype).replace("torch.", ""))
    net = Net.make(m).to(f32(m))
    return out + [str(net.count.dtype).replace("torch.", ""), net.cpu() is net]


def _grads(m: Any) -> Any:
    net = Net.make(m)
    x = ten(m, [[0.5, -1.0], [2.0, 0.25]])
    net(x, scale=2.0).sum().backward()
    g = net.a.weight.grad * 1.0
    net.zero_grad(set_to_none=False)
    zeroed = net.a.weight.grad
    net.zero_grad()
    return [plain(g), plain(zeroed), net.a.weight.grad, plain(net(x, scale=0.5))]


def _hooks(m: Any) -> Any:
    class K(nn(m).Module):  # type: ignore[misc, name-defined]
        def forward(self, x: Any, scale: float = 1.0) -> Any:
            if scale < 0:
                raise ValueError("negative")
            return x * scale

    mod, log = K(), []
    mod.register_forward_pre_hook(lambda s, a: log.append("pre1"))
    mod.register_forward_pre_hook(lambda s, a: log.append("pre0"), prepend=True)
    h = mod.register_forward_pre_hook(
        lambda s, a, k: (log.append(dict(k)), (a, {"scale": 3.0}))[1], with_kwargs=True
    )
    mod.register_forward_hook(lambda s, a, o: log.append("post") or o * 2.0)
    mod.register_forward_hook(lambda s, a, k, o: log.append(("kw", dict(k))), with_kwargs=True)
    mod.register_forward_hook(lambda s, a, o: log.append(("always", plain(o))), always_call=True)
    out = plain(mod(ten(m, [1.0]), scale=2.0))
    h.remove()
    with pytest.raises(ValueError):
        mod(ten(m, [1.0]), scale=-1.0)
    return [out, log]


def _copies(m: Any) -> Any:
    net = Net.make(m)
    twin = copy.deepcopy(net)
    return [
        twin.a.weight is not net.a.weight,
        type(twin.a.weight).__name__,
        plain(twin.state_dict()) == plain(net.state_dict()),
        repr(twin) == repr(net),
        "count" in dir(net) and "a" in dir(net),
    ]


def _pickle(m: Any) -> Any:
    seq = nn(m).Sequential(nn(m).Linear(2, 2), nn(m).Tanh())
    back = pickle.loads(pickle.dumps(seq))
    nested = nn(m).Sequential(Net.make(m), nn(m).Sequential(nn(m).Tanh()))
    return [plain(back.state_dict()) == plain(seq.state_dict()), repr(back), repr(nested)]


def _parameter(m: Any) -> Any:
    p = nn(m).Parameter(ten(m, [1.0, 2.0]), requires_grad=False)
    q = nn(m).Parameter(p)
    return [p.requires_grad, p.is_leaf, type(q).__name__, type(q * 2.0).__name__, repr(p)[:21]]


CASES: list[tuple[str, Callable[[Any], Any], str]] = [
    (
        "named_parameters named_buffers named_modules named_children parameters buffers modules "
        "children",
        _names,
        "same",
    ),
    ("state_dict prefix keep_vars destination", _state, "same"),
    ("load_state_dict strict=False IncompatibleKeys", lambda m: _load(m, strict=False), "same"),
    ("load_state_dict strict", lambda m: _load(m), "raise"),
    ("load_state_dict shape", lambda m: _load_bad(m, "shape"), "raise"),
    ("load_state_dict missing", lambda m: _load_bad(m, "missing"), "raise"),
    ("load_state_dict unexpected", lambda m: _load_bad(m, "unexpected"), "raise"),
    ("load_state_dict assign=True", lambda m: _load_bad(m, "assign"), "same"),
    (
        "load_state_dict float32 into float64",
        lambda m: Net.make(m).load_state_dict(
            {
                k: ten(m, v).to(torch.float32) if m is torch else Tensor(np.float32(v))
                for k, v in Net.make(m).state_dict().items()
            }
        ),
        "ours refuses",
    ),
    (
        "Module Parameter register_parameter register_buffer add_module register_module "
        "__setattr__ __delattr__",
        _attrs,
        "same",
    ),
    ("parameter set to None keeps its place", _none_slot, "same"),
    ("get_submodule", lambda m: type(Net.make(m).get_submodule("a")).__name__, "same"),
    ("get_submodule missing", lambda m: Net.make(m).get_submodule("a.zz"), "raise"),
    ("get_parameter", lambda m: _lookup(m, "a.bias", "parameter"), "same"),
    ("get_parameter missing", lambda m: _lookup(m, "a.zz", "parameter"), "raise"),
    ("get_buffer", lambda m: _lookup(m, "count", "buffer"), "same"),
    ("get_buffer not a buffer", lambda m: _lookup(m, "a.weight", "buffer"), "raise"),
    (
        "set_submodule",
        lambda m: (
            lambda n: (
                n.set_submodule("a", nn(m).Linear(2, 3, bias=False)),
                [k for k, _ in n.named_parameters()],
            )[1]
        )(Net.make(m)),
        "same",
    ),
    ("train eval training requires_grad_ apply", _modes, "same"),
    ("to float double half cpu", _dtypes, "same"),
    ("to int", lambda m: Net.make(m).to(np.int64 if m is tg else torch.int64), "raise"),
    ("forward __call__ zero_grad", _grads, "same"),
    ("register_forward_pre_hook register_forward_hook", _hooks, "same"),
    ("deepcopy __dir__", _copies, "same"),
    ("pickle __repr__ extra_repr", _pickle, "same"),
    ("Parameter", _parameter, "same"),
]


@pytest.mark.parametrize("name, case, kind", CASES, ids=[c[0][:40] for c in CASES])
def test_matches_torch(name: str, case: Callable[[Any], Any], kind: str) -> None:
    if kind == "same":
        assert case(tg) == case(torch), name
        return
    if kind == "ours refuses":
        case(torch)
    else:
        with pytest.raises(Exception):  # noqa: B017 - PyTorch's exception types differ
            case(torch)
    with pytest.raises((ValueError, TypeError, KeyError, AttributeError, NotImplementedError)):
        case(tg)


NO_COUNTERPART = {
    "stage_assign": "the checks of load_state_dict(assign=True); test_module_bwd_hooks.py",
    "commit_assign": "the assignments of load_state_dict(assign=True); test_module_bwd_hooks.py",
    "register_full_backward_hook": "test_module_bwd_hooks_torch.py",
    "register_full_backward_pre_hook": "test_module_bwd_hooks_torch.py",
    "register_backward_hook": "refused: PyTorch's deprecated hook; test_module_bwd_hooks.py",
    "ModuleMethods": "the base class holding the methods (cases above)",
    "StateDictMethods": "the base class of the state-dict hooks; test_module_more.py",
    "StateHookHandle": "the state-dict hooks' handle; test_module_more.py",
    "load_module_state": "the work of load_state_dict (cases above)",
    "module_state_dict": "the work of state_dict (cases above)",
    "check_mapping": "load_state_dict's type check",
    "check_name": "the dotted-name refusal (cases above)",
    "collect_state": "the walk behind named_parameters (cases above)",
    "commit_state": "the copy step of load_state_dict (cases above)",
    "gather_state": "the copies of state_dict (cases above)",
    "load_state": "load_state_dict without hooks (cases above)",
    "stage_state": "the checks of load_state_dict (cases above)",
    "tied_names": "tied weights; test_module_aliases.py",
    "register_state_dict_pre_hook": "test_module_more_torch.py",
    "register_state_dict_post_hook": "test_module_more_torch.py",
    "register_load_state_dict_pre_hook": "test_module_more_torch.py",
    "register_load_state_dict_post_hook": "test_module_more_torch.py",
    "get_extra_state": "test_module_more_torch.py",
    "set_extra_state": "test_module_more_torch.py",
    "bfloat16": "refused: NumPy has no bfloat16",
    "summary": "no PyTorch counterpart; test_display.py",
}


def test_every_public_name_has_a_case() -> None:
    words = {w for name, _, _ in CASES for w in name.split()}
    names = {n for mod in (module, module_methods, module_state, state_hooks) for n in mod.__all__}
    names |= {n for n in dir(tnn.Module) if not n.startswith("_")}
    missing = sorted(n for n in names if n not in words and n not in NO_COUNTERPART)
    assert not missing, f"public names without a case against PyTorch: {missing}"
