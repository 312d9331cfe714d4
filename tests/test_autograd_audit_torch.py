"""Differential audit of backward, grad, hooks and grad modes against PyTorch."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinygrad_lite as tg  # noqa: E402
from tinygrad_lite import Tensor, autograd, engine, hooks  # noqa: E402

X = np.array([0.3, -1.2, 2.0])
M = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


@pytest.fixture(autouse=True, scope="module")
def _torch_float64() -> Any:
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def mk(m: Any, a: Any = X, rg: bool = True, f32: bool = False) -> Any:
    """A tensor of `a` in library `m` (tg or torch), float64 (or float32)."""
    arr = np.array(a, dtype=np.float32 if f32 else np.float64)
    if m is tg:
        return Tensor(arr, requires_grad=rg)
    return torch.tensor(arr, requires_grad=rg)


def gr(m: Any) -> Any:
    return tg.grad if m is tg else torch.autograd.grad


def same(ours: Any, theirs: Any, where: str = "") -> None:
    """Equal structure, shapes, dtypes and values (exact for ints/bools, 1e-12 for floats)."""
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs), (where, ours, theirs)
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            same(a, b, f"{where}[{i}]")
        return
    if theirs is None or isinstance(theirs, (bool, str, int)) and not isinstance(ours, Tensor):
        assert ours == theirs, (where, ours, theirs)
        return
    a = ours.detach().data if isinstance(ours, Tensor) else np.asarray(ours)
    b = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert a.shape == b.shape, (where, a.shape, b.shape)
    assert a.dtype == b.dtype, (where, a.dtype, b.dtype)
    if a.dtype.kind in "biu":
        np.testing.assert_array_equal(a, b, err_msg=where)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300, err_msg=where)


def run_case(case: Callable[[Any], Any], kind: str, where: str) -> None:
    """ "same": equal results; "raise": both refuse; "ours refuses": PyTorch answers, we refuse."""
    if kind == "same":
        same(case(tg), case(torch), where)
        return
    if kind == "ours refuses":
        case(torch)
    else:
        with pytest.raises(Exception):  # noqa: B017 - PyTorch's exception types differ
            case(torch)
    with pytest.raises((ValueError, TypeError, RuntimeError, NotImplementedError, AssertionError)):
        case(tg)
    assert tg.is_grad_enabled()


def bw(root: Any, *leaves: Any, **kw: Any) -> list[Any]:
    """Backward (ours through engine.backward, for inputs=), then the leaves' .grad."""
    if isinstance(root, Tensor):
        engine.backward(root, kw.pop("gradient", None), **kw)
    else:
        root.backward(**kw)
    return [leaf.grad for leaf in leaves]


def _twice(m: Any) -> Any:
    x = mk(m)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    first = x.grad
    y.backward()
    return [x.grad, first is x.grad]


def _released(m: Any) -> Any:
    y = mk(m).exp().sum()
    y.backward()
    y.backward()


def _inputs(m: Any) -> Any:
    x, z = mk(m), mk(m, [3.0, 1.0, 2.0])
    return bw((x * z).sum() * x.sum(), x, z, inputs=[x])


def _inputs_intermediate(m: Any) -> Any:
    x = mk(m)
    y = x * 2.0
    return bw((y * y).sum(), y, x, inputs=[y])


def _prune(m: Any) -> Any:
    """grad wrt an intermediate runs only what it needs: the rest of the graph stays usable."""
    x = mk(m)
    y = x.exp()
    return [gr(m)((y * 3.0).sum(), [y]), gr(m)(y.sum(), [x])]


def _third(m: Any) -> Any:
    x = mk(m)
    (g1,) = gr(m)((x.sin() * x * x).sum(), [x], create_graph=True)
    (g2,) = gr(m)(g1.sum(), [x], create_graph=True)
    return [g1, g2, gr(m)(g2.sum(), [x])]


def _create_graph_backward(m: Any) -> Any:
    x = mk(m)
    (x.tanh() * x).sum().backward(create_graph=True)
    return [x.grad, gr(m)(x.grad.sum(), [x])]


def _accumulate(m: Any) -> Any:
    x = mk(m)
    (x * x).sum().backward()
    kept = x.grad
    (x * 3.0).sum().backward()
    return [x.grad, kept is x.grad]


def _hooks_order(m: Any) -> Any:
    x = mk(m)
    log: list[Any] = []
    x.register_hook(lambda g: log.append(("a", g * 1.0)) or g * 2.0)
    handle = x.register_hook(lambda g: log.append(("b", g * 1.0)))
    x.register_hook(lambda g: log.append(("c", g * 1.0)))
    handle.remove()
    handle.remove()  # a second removal does nothing
    (x * x).sum().backward()
    return [x.grad, [n for n, _ in log], [g for _, g in log]]


def _retain_and_hook(m: Any) -> Any:
    x = mk(m)
    y = x * 2.0
    y.retain_grad()
    y.register_hook(lambda g: g * 10.0)
    z = (y * y).sum()
    z.backward(retain_graph=True)
    z.backward()
    flags = [t.retains_grad for t in (x, y, y * 1.0)]
    return [y.grad, x.grad, x.is_leaf, y.is_leaf, flags]


def _grad_runs_leaf_hooks(m: Any) -> Any:
    x, w = mk(m), mk(m, M[0])
    calls: list[str] = []
    x.register_hook(lambda g: calls.append("x") or g * 3.0)
    w.register_hook(lambda g: calls.append("w"))
    return [gr(m)((x * w).sum(), [x]), calls]


def _post_accumulate(m: Any) -> Any:
    x, w = mk(m), mk(m, M[0])
    log: list[Any] = []
    for leaf, name in ((x, "x"), (w, "w")):
        hook = lambda t, n=name: log.append((n, t.grad * 1.0))  # noqa: E731
        handle = leaf.register_post_accumulate_grad_hook(hook)
    handle.remove()
    (x * w).sum().backward()
    (x * x).sum().backward()
    return log


def _post_on_result(m: Any) -> Any:
    y = mk(m) * 2.0
    y.register_post_accumulate_grad_hook(lambda t: None)


def _handle_context(m: Any) -> Any:
    x = mk(m)
    with x.register_hook(lambda g: g * 5.0):
        pass
    (x * x).sum().backward()
    return x.grad


def _hook_dtype(m: Any) -> Any:
    x = mk(m)
    x.register_hook(lambda g: g.astype(np.float32) if m is tg else g.float())
    (x * x).sum().backward()


def _modes(m: Any) -> Any:
    x = mk(m)
    out = []
    with m.no_grad():
        out.append((x * 2.0).requires_grad)
        with m.enable_grad():
            out.append((x * 2.0).requires_grad)
        out.append(m.is_grad_enabled())
    out.append(m.no_grad()(lambda: (x * 2.0).requires_grad)())
    out.append(m.no_grad(lambda: (x * 2.0).requires_grad)())  # a bare decorator
    out.append(m.enable_grad(lambda: (x * 2.0).requires_grad)())
    with m.set_grad_enabled(False):
        out.append((x * 2.0).requires_grad)
    out.append(m.set_grad_enabled(False)(lambda: (x * 2.0).requires_grad)())
    out.append(m.is_grad_enabled())
    m.set_grad_enabled(False)
    out.append(m.is_grad_enabled())
    m.set_grad_enabled(True)
    inference = m.inference_mode if m is torch else autograd.inference_mode
    with inference():
        out.append((x * 2.0).requires_grad)
    with inference(False):
        out.append((x * 2.0).requires_grad)
    return out + [inference(lambda: (x * 2.0).requires_grad)(), m.is_grad_enabled()]


def _threads(m: Any) -> Any:
    seen: list[bool] = []
    with m.no_grad():
        worker = threading.Thread(target=lambda: seen.append(m.is_grad_enabled()))
        worker.start()
        worker.join()
    return seen


def _stale(m: Any) -> Any:
    w = mk(m)
    y = w * w
    with m.no_grad():
        w.mul_(2.0)
    y.sum().backward()


def _leaf_flags(m: Any) -> Any:
    x = mk(m)
    y = x * 2.0
    d = y.detach()
    d2 = (x * 3.0).detach_()
    return [d.requires_grad, d.is_leaf, d2.requires_grad, d2.is_leaf, y.is_leaf, y.grad]


def _anomaly(m: Any) -> Any:
    enabled = autograd.is_anomaly_enabled if m is tg else torch.is_anomaly_enabled
    out = [enabled()]
    with (autograd if m is tg else torch.autograd).detect_anomaly():
        out.append(enabled())
    return out + [enabled()]


def _assign_grad(m: Any, shape: bool) -> Any:
    x = mk(m)
    x.grad = mk(m, [1.0], rg=False) if shape else mk(m, rg=False, f32=True)


def _unused(m: Any, **kw: Any) -> Any:
    x, z = mk(m), mk(m, [1.0])
    return gr(m)((x * x).sum(), [x, z], **kw)


def _outputs(m: Any, one: bool) -> Any:
    x = mk(m)
    if one:  # a single Tensor stands for a sequence of one: two outputs need two
        return gr(m)((x * x, x * 3.0), [x], grad_outputs=x.detach() * 0.0)
    return gr(m)([x * x, x.sin()], [x], grad_outputs=[x.detach() + 1.5, x.detach() - 2.0])


def _batched(m: Any) -> Any:
    x = mk(m)
    v = mk(m, np.eye(3), rg=False)
    return gr(m)(x * x, [x], grad_outputs=v, is_grads_batched=True)


# (covered names, case, kind); see `run_case`
CASES: list[tuple[str, Callable[[Any], Any], str]] = [
    ("backward implicit nonscalar", lambda m: mk(m).sin().backward(), "raise"),
    (
        "backward gradient",
        lambda m: (lambda x: bw(x.sin() * x, x, gradient=x * 0 + 2))(mk(m)),
        "same",
    ),
    ("backward retain_graph accumulates", _twice, "same"),
    ("backward released twice", _released, "raise"),
    ("backward create_graph", _create_graph_backward, "same"),
    ("backward inputs=", _inputs, "same"),
    ("backward inputs= intermediate", _inputs_intermediate, "same"),
    ("backward inputs=[]", lambda m: bw(mk(m).sum(), inputs=[]), "raise"),
    ("gradcheck", lambda m: m.autograd.gradcheck(lambda x: (x * x.sin()).sum(), (mk(m),)), "same"),
    ("gradgradcheck", lambda m: m.autograd.gradgradcheck(lambda x: x.exp() * x, (mk(m),)), "same"),
    (
        "functional jacobian",
        lambda m: m.autograd.functional.jacobian(lambda x: x.tanh(), mk(m)),
        "same",
    ),
    (
        "functional hessian",
        lambda m: m.autograd.functional.hessian(lambda x: (x**3).sum(), mk(m)),
        "same",
    ),
    ("backward no graph", lambda m: mk(m, rg=False).sum().backward(), "raise"),
    ("backward 0-d float32", lambda m: (lambda x: bw(x * x, x))(mk(m, 2.0, f32=True)), "same"),
    ("backward empty", lambda m: (lambda x: bw((x * x).sum(), x))(mk(m, np.zeros((0, 2)))), "same"),
    (
        "backward transposed",
        lambda m: (lambda x: bw((x.T[1:] * x.T[:-1]).sum(), x))(mk(m, M)),
        "same",
    ),
    ("accumulate into existing .grad", _accumulate, "same"),
    (".grad of another shape", lambda m: _assign_grad(m, True), "raise"),
    (".grad of another dtype", lambda m: _assign_grad(m, False), "raise"),
    (
        "backward float32 gradient of float64",
        lambda m: (lambda x: bw(x * x, x, gradient=mk(m, rg=False, f32=True)))(mk(m)),
        "ours refuses",
    ),
    ("grad", lambda m: (lambda x: gr(m)((x * x).sum(), x))(mk(m)), "same"),
    ("grad unused", _unused, "raise"),
    ("grad allow_unused", lambda m: _unused(m, allow_unused=True), "same"),
    ("grad materialize_grads", lambda m: _unused(m, materialize_grads=True), "same"),
    (
        "grad allow_unused=False materialize",
        lambda m: _unused(m, materialize_grads=True, allow_unused=False),
        "raise",
    ),
    ("grad grad_outputs", lambda m: _outputs(m, False), "same"),
    ("grad one grad_output for two outputs", lambda m: _outputs(m, True), "raise"),
    ("grad implicit nonscalar", lambda m: (lambda x: gr(m)(x * x, [x]))(mk(m)), "raise"),
    ("grad input without grad", lambda m: gr(m)((mk(m) * 2).sum(), [mk(m, rg=False)]), "raise"),
    ("grad empty inputs", lambda m: gr(m)(mk(m).sum(), []), "raise"),
    ("grad wrt intermediate prunes", _prune, "same"),
    ("grad third order", _third, "same"),
    ("grad float32", lambda m: (lambda x: gr(m)((x * x).sum(), [x]))(mk(m, f32=True)), "same"),
    ("grad is_grads_batched", _batched, "same"),
    ("grad runs the input leaf's hooks only", _grad_runs_leaf_hooks, "same"),
    ("register_hook order removal", _hooks_order, "same"),
    ("retain_grad retains_grad with a hook", _retain_and_hook, "same"),
    ("RemovableHandle context manager", _handle_context, "same"),
    ("register_post_accumulate_grad_hook", _post_accumulate, "same"),
    ("register_post_accumulate_grad_hook on a result", _post_on_result, "raise"),
    ("hook changing dtype", _hook_dtype, "raise"),
    ("hook on no-grad tensor", lambda m: mk(m, rg=False).register_hook(lambda g: g), "raise"),
    ("no_grad enable_grad set_grad_enabled is_grad_enabled inference_mode", _modes, "same"),
    ("grad mode per thread", _threads, "same"),
    ("modified in place after use", _stale, "raise"),
    (
        "requires_grad on int",
        lambda m: (
            mk(m).long().requires_grad_() if m is torch else Tensor([1, 2], requires_grad=True)
        ),
        "raise",
    ),
    ("requires_grad_(False) on a result", lambda m: (mk(m) * 2).requires_grad_(False), "raise"),
    ("detach detach_ is_leaf", _leaf_flags, "same"),
    ("detect_anomaly is_anomaly_enabled", _anomaly, "same"),
    (
        "unbroadcast",
        lambda m: (
            autograd.unbroadcast(np.ones((2, 3, 4)), (3, 1))
            if m is tg
            else torch.ones(2, 3, 4).sum_to_size(3, 1)
        ),
        "same",
    ),
]


@pytest.mark.parametrize("name, case, kind", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name: str, case: Callable[[Any], Any], kind: str) -> None:
    run_case(case, kind, name)


# Public names with no PyTorch counterpart to run against, and where they are tested.
NO_COUNTERPART = {
    "AnomalyError": "test_anomaly.py",
    "Context": "the graph node behind grad_fn; test_engine.py",
    "Function": "every op's base class; test_ops.py",
    "TraceError": "compile's refusal; test_compile.py",
    "traced_call": "compile's seam; test_compile.py",
    "NodeHook": "a type alias of walk's callback",
    "walk": "the engine's walk behind backward and grad (every case above)",
    "needed_nodes": "the pruning behind grad and backward(inputs=) (cases above)",
    "run": "the runner behind register_hook (cases above)",
    "run_post_accumulate": "the runner behind register_post_accumulate_grad_hook (cases above)",
    "count": "a counter of live hooks",
    "has_post_hooks": "the check behind post-accumulate hooks (cases above)",
}


def test_every_public_name_has_a_case() -> None:
    words = {w for name, _, _ in CASES for w in name.replace(".", " ").split()}
    names = {n for module in (autograd, engine, hooks) for n in module.__all__}
    missing = sorted(n for n in names if n not in words and n not in NO_COUNTERPART)
    assert not missing, f"public names without a case against PyTorch: {missing}"
