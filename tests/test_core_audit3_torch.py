"""Differential audit of the core Tensor against PyTorch: indexing, in place, every name."""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg

torch = pytest.importorskip("torch")

from tests.test_core_audit2_torch import CASES, POS, V4, X32, XB, XI, XN, X, Z  # noqa: E402
from tests.test_core_audit_torch import T, both, check, some  # noqa: E402
from tests.test_core_audit_torch import _float64_default as _float64_default  # noqa: E402

# -------------------------------------------------------------------------------- indexing

G = T(np.arange(60.0).reshape(3, 4, 5) / 7)
GI = T(np.arange(60).reshape(3, 4, 5))
KEYS = [
    0, -1, 2, slice(None), slice(1, None), slice(None, None, 2), slice(-3, -1), slice(5, 1),
    (0, 1), (-1, slice(None), 2), (Ellipsis, 1), (None, 0), (slice(None), None, 1),
    (1, Ellipsis, None), [0, 2], [2, 0, 2], ([0, 2], [1, 3]), ([0, 2], slice(None), [1, 3]),
    (slice(None), [0, 3], [1, 2]),
    (0, slice(None), [1, 4]), ([[0], [2]], [1, 3]), (slice(None), [1, 2], slice(None)),
    ([0, 1], slice(None), 2), (Ellipsis, [0, 4]), (np.array([True, False, True]),),
    (slice(None), np.array([True, False, True, True])), (slice(1, 3), [True, False, True, False]),
    (np.array([0, 2]), np.array([1, 1])), (None, [0, 1], None, 3), (slice(0, 0), 1), ([],),
    ((3,)), (0, 4), (-4,), (slice(None), slice(None), slice(None), 0), (1.0,),
]  # fmt: skip
TKEYS = [T(np.array([0, 2])), T(np.array([True, False, True])), T(np.int64(1)),
         (T(np.array([0, 2])), slice(None), T(np.array([1, 3])))]  # fmt: skip


def _get(lib: str, x: Any, key: Any) -> Any:
    return x[key]


@pytest.mark.parametrize("key", KEYS + TKEYS, ids=repr)
def test_getitem(key: Any) -> None:
    check(_get, G, key)
    check(_get, GI, key)
    check(_get, T(G.a[0], nc=True), key[1:] if isinstance(key, tuple) and len(key) > 2 else key)


def _set(lib: str, x: Any, key: Any, value: Any) -> Any:
    x = x * 1 if x.requires_grad else x.clone()
    x[key] = value
    return x


SETS = [
    (1, 9.5), ((0, 1), T([1.0, 2, 3, 4, 5])), (slice(None, None, 2), T(np.ones(5))),
    (([0, 2], [1, 3]), T([-1.0, -2.0])), ((slice(None), [0, 3], [1, 2]), 4),
    ((np.array([True, False, True]),), T(np.arange(20.0).reshape(4, 5))),
    ((Ellipsis, 0), T(np.arange(4.0))), (G.a > 4, -1.5), (([1, 1], 0), T([1.0, 2.0])),
    ((None, 1), T(3.0)), ((0, 0, 0), True), ((slice(None), 5), 0.0),
    ((0, 0), T(np.ones(4))), ((T(np.array([0, 2])), 1), T(np.ones(5))),
]  # fmt: skip


@pytest.mark.parametrize("key,value", SETS, ids=repr)
def test_setitem(key: Any, value: Any) -> None:
    if isinstance(key, np.ndarray):
        key = (key,)
    if (
        isinstance(key, tuple) and key and isinstance(key[0], list) and key[0] == [1, 1]
    ):  # repeated positions: which write wins is unspecified in PyTorch
        return
    for x in (G, GI, T(G.a.astype(np.float32))):
        check(_set, x, key, value)
    check(_set, T(G.a[0], nc=True), key[1:] if isinstance(key, tuple) and len(key) > 2 else key,
          value)  # fmt: skip


def test_setitem_on_a_view_writes_through() -> None:
    def fn(lib: Any) -> Any:
        base = lib.zeros(3, 4)
        v = base[1:, ::2]
        v[0, 1] = 5.0
        base.T[3, 0] = 2.0
        return base

    both(fn, "views")


def test_setitem_records_the_value_gradient() -> None:
    check(_set, G, (0, 1), T(np.arange(5.0)))
    check(_set, G, ([0, 2], slice(None), [1, 3]), T(np.arange(8.0).reshape(2, 4)))


# in place: the result and self afterwards are compared (the harness gives them a non-leaf)
INPL = [(X, V4), (X, 2), (XI, T(np.array([2, -3, 1, 4]))), (XI, 2), (XI, 0.5), (X32, V4), (X, X),
        (XB, XB), (Z, X), (XN, T(np.ones(3)))]  # fmt: skip
CASES.update(
    {
        "add_": INPL + [(X, V4, {"alpha": 2})],
        "sub_": INPL + [(X, V4, {"alpha": 2})],
        "mul_": list(INPL),
        "div_": INPL + [(X, V4, {"rounding_mode": "floor"}), (XI, 2, {"rounding_mode": "trunc"})],
        "fmod_": INPL[:5] + [(XN, T(np.ones(3) * 0.3))],
        "remainder_": INPL[:5] + [(XN, T(np.ones(3) * 0.3))],
        "clamp_": [(X, -0.5, 0.5), (XI, -1, 1), (X, V4), (XI, 0.5), (X, None, 0.1)],
        "fill_": [(X, 2.5), (XI, 3), (XI, 2.7), (X, T(3.0)), (XB, 2), (X, V4)],
        "zero_": [(X,), (XI,), (XN,)],
        "copy_": [(X, V4), (XI, X), (X, XI), (X32, X), (X, T(np.ones((2, 4))))],
        "masked_fill_": [
            (X, T(X.a > 0), 1.5),
            (XI, T(X.a > 0), 2),
            (X, T(V4.a > 0), T(2.0)),
            (XI, T(X.a > 0), 2.5),
        ],  # fmt: skip
        "scatter_": [c for c in CASES["scatter"]],
        "scatter_add_": list(CASES["scatter_add"]),
        "scatter_reduce_": list(CASES["scatter_reduce"]),
        "index_add_": list(CASES["index_add"]),
    }
)
for n in ("abs_", "exp_", "log_", "neg_", "relu_", "sigmoid_", "sqrt_", "tanh_"):
    CASES[n] = [(POS,), (X,), (X32,), (XI,), (XN,), (Z,)]

ELSEWHERE = {  # names checked in test_core_audit_torch.py or below, or without a PyTorch twin
    "__getitem__", "__setitem__", "__len__", "__bool__", "__float__", "__int__", "__index__",
    "__hash__", "__array__", "__array_function__", "__array_ufunc__", "__init__", "__repr__",
    "__weakref__", "_repr_html_", "_repr_markdown_", "_make", "_wrap", "_ctx", "_grad",
    "_hooks", "_requires_grad", "_version", "astype", "backward", "data", "dtype", "grad",
    "grad_fn", "is_leaf", "item", "ndim", "numpy", "register_hook", "requires_grad",
    "requires_grad_", "retain_grad", "shape", "size", "tolist", "normal_", "uniform_", "device",
    "__pos__", "retains_grad", "register_post_accumulate_grad_hook",  # (the autograd audit)
}  # fmt: skip
OPERATORS = {"__add__", "__sub__", "__mul__", "__truediv__", "__floordiv__", "__mod__",
             "__pow__", "__matmul__", "__and__", "__or__", "__xor__", "__lshift__", "__rshift__",
             "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"}  # fmt: skip
AREA = {"tensor_methods": "TensorMethods", "tensor_shape": "TensorShapeMethods",
        "tensor_scan": "TensorScanMethods", "tensor_stats": "TensorStatsMethods",
        "tensor_math": "TensorMathMethods", "tensor_divide": "TensorDivideMethods",
        "tensor_aliases": "TensorAliasMethods", "tensor_linalg": "TensorLinalgMethods",
        "tensor_scatter": "TensorScatterMethods", "tensor_segment": "TensorSegmentMethods",
        "tensor_inplace": "TensorInPlaceMethods", "tensor_compare": "TensorCompareMethods",
        "tensor": "Tensor"}  # fmt: skip


def _area_names() -> set[str]:
    names = set()
    for mod, cls_name in AREA.items():
        m = importlib.import_module(f"tinygrad_lite.{mod}")
        assert cls_name in m.__all__
        names |= {n for n in vars(getattr(m, cls_name)) if not n.startswith("_") or n[:2] == "__"}
    return names - {"__module__", "__doc__", "__slots__", "__qualname__", "__annotations__",
                    "__firstlineno__", "__static_attributes__", "__dict__"}  # fmt: skip


def test_every_name_has_a_case() -> None:
    from tests.test_core_audit_torch import BIN, IBIN

    covered = {n.lstrip(".") for n, v in CASES.items() if v} | ELSEWHERE | set(BIN) | set(IBIN)
    reflected = {n.replace("__r", "__", 1) for n in _area_names() if n.startswith("__r")}
    missing = _area_names() - covered - {"__r" + n[2:] for n in reflected}
    assert missing == set(), f"no case for {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(k for k, v in CASES.items() if v))
def test_cases(name: str) -> None:
    for case in some(CASES[name], len(name)):
        kw = case[-1] if isinstance(case[-1], dict) else {}
        check(name, *(case[:-1] if kw or isinstance(case[-1], dict) else case), **kw)


def test_clone_detach_and_requires_grad_semantics() -> None:
    def fn(lib: Any) -> Any:
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        c, d = x.clone(), x.detach()
        y = x * 2
        flags = (c.requires_grad, c.is_leaf, d.requires_grad, d.is_leaf, y.is_leaf)
        with lib.no_grad():
            d[0] = 5.0  # detach shares the data: x sees the write
            z = x * 2
        return x.detach().clone(), c.detach(), flags, z.requires_grad, y.grad_fn is not None

    both(fn, "clone/detach")


def test_a_value_changed_after_it_was_saved_is_refused_in_backward() -> None:
    def fn(lib: Any) -> Any:
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        z = y * y  # saves y
        with lib.no_grad():
            y.add_(1.0)  # written into the saved array
        z.sum().backward()
        return x.grad

    both(fn, "version check")  # both refuse
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y * y
    y.add_(1.0)  # recorded: y takes a new array, z's saved one is intact (PyTorch refuses)
    z.sum().backward()
    assert x.grad is not None and x.grad.tolist() == [2.0, 4.0] and y.tolist() == [2.0, 3.0]


def test_requires_grad_on_a_result_and_on_integers_is_refused() -> None:
    both(lambda lib: (lib.tensor([1.0], requires_grad=True) * 2).requires_grad_(False), "result")
    both(lambda lib: lib.tensor([1, 2]).requires_grad_(), "int")
    both(lambda lib: lib.tensor([1.0]).requires_grad_().requires_grad_(False).requires_grad, "leaf")


VIEWS = ["x.float()", "x.double()", "x.contiguous()", "x.T.contiguous()", "x.clone()",
         "x.T.clone()", "x.detach()", "x.view(4)", "x.reshape(4)", "x.T.reshape(4)", "x.mT",
         "x.t()", "x[...]", "x[1]", "x[:, 0]", "x[[0]]", "x[x > 1]", "x.flatten()",
         "x.T.flatten()", "x.squeeze()", "x.unsqueeze(0)", "x.permute(1, 0)", "x.narrow(0, 1, 1)",
         "x.select(1, 1)", "x.unbind()[1]", "x.split(1)[1]", "x.chunk(2)[1]", "x.expand_as(x)",
         "x.movedim(0, 1)", "x.unflatten(1, (2, 1))", "x.abs()", "x.clamp(0)", "x.flip(0)",
         "x.roll(1)", "x.tril()", "x.to(x.dtype)", "x.type_as(x)", "x.index_select(0, i)",
         "x.gather(0, i[None])", "x.take(i)", "x.masked_fill(x > 1, 0)", "x.sum(0)"]  # fmt: skip


@pytest.mark.parametrize("expr", VIEWS)
def test_views_and_copies_as_in_pytorch(expr: str) -> None:
    """A result shares x's memory exactly where PyTorch's does (and is x where PyTorch's is)."""
    got = {}
    for lib in (tg, torch):
        x, i = lib.tensor([[1.0, 2.0], [3.0, 4.0]]), lib.tensor([1, 0])
        y = eval(expr, {}, {"x": x, "i": i})
        if lib is tg:
            got["tg"] = (y is x, bool(np.shares_memory(y.data, x.data)))
        else:
            same = y.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
            got["torch"] = (y is x, same)
    assert got["tg"] == got["torch"], f"{expr}: (is x, shares memory) {got}"
