"""Differential audit of `functional`'s activations and losses against PyTorch, case by case."""

# ruff: noqa: E501
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tg
from tinygrad_lite import Tensor
from tinygrad_lite import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
TORCH: dict[str, Any] = {"log_sigmoid": TF.logsigmoid}


@pytest.fixture(autouse=True, scope="module")
def _float64_default() -> Any:
    """PyTorch's default float set to this library's (float64) while the module runs."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


class T:
    """An array that becomes a tensor of either library; `grad` marks a gradient to compare."""

    def __init__(self, a: Any, grad: bool = False, view: str = "") -> None:
        self.a, self.grad, self.view = np.asarray(a), grad, view

    def __repr__(self) -> str:
        return f"{self.a.dtype}{self.a.shape}{self.view}"


def _make(v: Any, lib: str, leaves: list[Any]) -> Any:
    if lib == "tg" and isinstance(v, torch.dtype):
        return np.dtype(str(v).removeprefix("torch."))
    if isinstance(v, T):
        a = v.a.copy()
        t = tg.tensor(a, requires_grad=v.grad) if lib == "tg" else torch.tensor(a)
        if lib == "torch" and v.grad:
            t.requires_grad_(True)
        if v.grad:
            leaves.append(t)
        if v.view == "T":  # a non-contiguous view: the transpose of the transpose
            t = t.transpose(0, 1).transpose(0, 1) if lib == "torch" else t.T.T
        return t
    if isinstance(v, (tuple, list)):
        return type(v)(_make(e, lib, leaves) for e in v)
    return v


def _np(v: Any) -> np.ndarray:
    return v.detach().numpy() if isinstance(v, torch.Tensor) else v.data


def _flat(r: Any) -> list[Any]:
    if isinstance(r, (tuple, list)):
        return [e for part in r for e in _flat(part)]
    return [r]


def assert_same(ours: Any, theirs: Any, what: str, loose: bool = False) -> None:
    """Same values, shapes and dtypes: exact for integers and bools, 1e-12 for float64."""
    fo, ft = _flat(ours), _flat(theirs)
    assert len(fo) == len(ft), f"{what}: {len(fo)} results, PyTorch {len(ft)}"
    for u, v in zip(fo, ft, strict=True):
        assert isinstance(u, Tensor), f"{what}: got {type(u).__name__}, PyTorch a tensor"
        un, vn = _np(u), _np(v)
        assert un.dtype == vn.dtype, f"{what}: dtype {un.dtype}, PyTorch {vn.dtype}"
        assert un.shape == vn.shape, f"{what}: shape {un.shape}, PyTorch {vn.shape}"
        if un.dtype.kind == "f":
            tol = 1e-6 if loose else {8: 1e-12, 4: 1e-6}[un.dtype.itemsize]
            np.testing.assert_allclose(un, vn, rtol=tol, atol=tol, equal_nan=True, err_msg=what)
        else:
            np.testing.assert_array_equal(un, vn, err_msg=what)


def _run(lib: str, name: str, args: tuple[Any, ...], kw: dict[str, Any]) -> Any:
    leaves: list[Any] = []
    a = [_make(e, lib, leaves) for e in args]
    k = {n: _make(e, lib, leaves) for n, e in kw.items()}
    fn = getattr(F, name) if lib == "tg" else TORCH.get(name) or getattr(TF, name)
    with np.errstate(all="ignore"):
        out = fn(*a, **k)
    return out, leaves, a


def _backward(lib: str, out: Any, leaves: list[Any]) -> list[Any]:
    if not leaves:
        return []
    rng = np.random.default_rng(7)
    loss = None
    for o in _flat(out):
        if _np(o).dtype.kind != "f" or not o.requires_grad:
            continue
        c = rng.standard_normal(o.shape).astype(_np(o).dtype)
        term = (o * (tg.tensor(c) if lib == "tg" else torch.tensor(c))).sum()
        loss = term if loss is None else loss + term
    if loss is None:
        return []
    loss.backward()
    return [leaf.grad if lib == "torch" else leaf.grad for leaf in leaves]


def check(name: str, *args: Any, _known: str = "", **kw: Any) -> None:
    """Run F.name in both libraries: both refuse, or the same values, dtypes and gradients.

    `_known` names a deliberate difference: "accepts" (PyTorch refuses), "refuses" (PyTorch
    accepts) or "loose" (gradients within 1e-6: float32 steps, constants PyTorch rounds to float32).
    """
    what = f"{name}{args!r} {kw}"
    res = {}
    for lib in ("tg", "torch"):
        try:
            res[lib] = _run(lib, name, args, kw)
        except Exception as e:  # noqa: BLE001 - either library's refusal
            res[lib] = e
    o, t = res["tg"], res["torch"]
    if _known == "accepts" and isinstance(t, Exception) and not isinstance(o, Exception):
        return
    if _known == "refuses" and isinstance(o, Exception) and not isinstance(t, Exception):
        assert isinstance(o, (TypeError, ValueError, IndexError)), f"{what}: {o!r}"
        return
    if isinstance(o, Exception) or isinstance(t, Exception):
        assert isinstance(o, Exception), f"{what}: PyTorch refuses ({t!r}), we do not"
        assert isinstance(t, Exception), f"{what}: we refuse ({o!r}), PyTorch does not"
        return
    assert_same(o[0], t[0], what)
    with np.errstate(all="ignore"):
        go, gt = _backward("tg", o[0], o[1]), _backward("torch", t[0], t[1])
    for i, (u, v) in enumerate(zip(go, gt, strict=True)):
        if v is None:
            assert u is None or not np.any(_np(u)), f"{what}: gradient {i}, PyTorch None"
            continue
        assert u is not None, f"{what}: no gradient {i}"
        assert_same(u, v, f"{what} gradient {i}", _known == "loose")


# ---------------------------------------------------------------------------------- the inputs

R = np.random.default_rng(0)
X = np.array([[0.3, -0.7, 0.0, 2.5], [1.5, 0.9, -0.2, -3.0], [-25.0, 30.0, 0.5, -0.5]])
S = T([[-2.5, -0.0, 1.5], [np.nan, np.inf, -np.inf]])  # special values, no gradient
XG, X32 = T(X, grad=True), T(X.astype(np.float32), grad=True)
XT = T(X, grad=True, view="T")
X0, XE, X3 = T(np.array(0.7), grad=True), T(np.zeros((0, 4))), T(R.standard_normal((2, 3, 4)), True)
XI = T(np.array([[3, -1, 0], [2, 5, -4]]))

ACTS = [
    "relu", "relu6", "silu", "mish", "hardswish", "hardsigmoid", "selu", "celu", "elu",
    "leaky_relu", "hardtanh", "logsigmoid", "log_sigmoid", "softsign", "tanhshrink", "hardshrink",
    "softshrink", "sigmoid", "tanh", "gelu", "softplus",
]  # fmt: skip
CASES: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
for _i, _n in enumerate(ACTS):
    CASES += [(_n, (x,), {}) for x in (XG, X32, S, XI, (XT, X0, XE)[_i % 3])]
CASES += [
    ("gelu", (XG,), {"approximate": "tanh"}), ("gelu", (X32,), {"approximate": "tanh"}),
    ("gelu", (XG,), {"approximate": "bad"}),
    ("softplus", (XG, 2.0, 5.0), {}), ("softplus", (X32,), {"beta": 0.5, "threshold": 1.0}),
    ("softplus", (XG,), {"beta": -1.0}),
    ("hardtanh", (XG, -0.5, 2.0), {}), ("hardtanh", (XG, 2.0, -0.5), {}),
    ("elu", (XG, 0.5), {}), ("celu", (XG, 2.0), {}), ("celu", (XG, 0.0), {}),
    ("leaky_relu", (XG, 0.2), {}), ("leaky_relu", (XG, -1.5), {}),
    ("hardshrink", (XG, 1.0), {}), ("softshrink", (XG, 1.0), {}), ("softshrink", (XG, -1.0), {}),
    ("threshold", (XG, 0.4, -2.0), {}), ("threshold", (X32, 0.0, 9.0), {}),
    ("threshold", (XI, 0, 7), {}),
    ("glu", (XG,), {}), ("glu", (XG, 0), {}), ("glu", (X3, 1), {}), ("glu", (X3, -3), {}),
    ("glu", (T(np.ones((2, 3)), True),), {}), ("glu", (X32,), {}), ("glu", (X0,), {}),
    ("prelu", (XG, T([0.25], True)), {}), ("prelu", (X3, T([0.1, -0.2, 0.3], True)), {}),
    ("prelu", (X32, T(np.array([0.25], np.float32), True)), {}),
    ("prelu", (X0, T([0.25], True)), {}), ("prelu", (XG, T([0.1, 0.2], True)), {}),
]  # fmt: skip
for _n in ("softmax", "log_softmax", "softmin"):
    CASES += [(_n, (x,), {"dim": d}) for x, d in ((XG, 0), (X32, 1), (XT, -1), (X3, 1), (X3, -3))]
    CASES += [(_n, (X3,), {}), (_n, (XG,), {}), (_n, (T(R.random((2, 3, 2, 2)), True),), {})]
    CASES += [(_n, (X0,), {"dim": 0}), (_n, (XE,), {"dim": 1}), (_n, (S,), {"dim": 1})]
    CASES += [(_n, (XG,), {"dim": 1, "dtype": torch.float32}), (_n, (XI,), {"dim": 1})]
    CASES += [(_n, (XI,), {"dim": 0, "dtype": torch.float32}), (_n, (XG,), {"dtype": torch.int64})]
    CASES += [(_n, (X32,), {"dim": 1, "dtype": torch.float64}), (_n, (XG,), {"dim": 2})]

# losses: (input, target) pairs and every reduction
P, Y = T(R.uniform(0.05, 0.95, (3, 4)), True), T(R.integers(0, 2, (3, 4)).astype(float))
P32, Y32 = T(P.a.astype(np.float32), True), T(Y.a.astype(np.float32))
Z, W = T(R.standard_normal((3, 4)), True), T(R.uniform(0.5, 2.0, (3, 4)))
PW = T(R.uniform(0.5, 3.0, 4))
for _r in ("mean", "sum", "none"):
    CASES += [
        ("binary_cross_entropy", (P, Y), {"reduction": _r}),
        ("binary_cross_entropy", (P32, Y32), {"reduction": _r}),
        ("binary_cross_entropy", (P, Y), {"reduction": _r, "weight": W}),
        ("binary_cross_entropy_with_logits", (Z, Y), {"reduction": _r}),
        ("binary_cross_entropy_with_logits", (Z, Y), {"reduction": _r, "pos_weight": PW}),
        ("binary_cross_entropy_with_logits", (Z, Y), {"reduction": _r, "weight": W}),
        ("mse_loss", (Z, P), {"reduction": _r}), ("l1_loss", (Z, P), {"reduction": _r}),
        ("huber_loss", (Z, P), {"reduction": _r, "delta": 0.3}),
        ("smooth_l1_loss", (Z, P), {"reduction": _r, "beta": 0.3}),
        ("smooth_l1_loss", (Z, P), {"reduction": _r, "beta": 0.0}),
        ("soft_margin_loss", (Z, T(2 * Y.a - 1)), {"reduction": _r}),
        ("kl_div", (T(np.log(P.a), True), P), {"reduction": _r}),
        ("kl_div", (Z, T(np.log(P.a), True)), {"reduction": _r, "log_target": True}),
        ("poisson_nll_loss", (Z, T(Y.a * 3)), {"reduction": _r}),
        ("poisson_nll_loss", (P, T(Y.a * 3)), {"reduction": _r, "log_input": False, "full": True}),
        ("gaussian_nll_loss", (Z, P, W), {"reduction": _r}),
        ("gaussian_nll_loss", (Z, P, T(W.a[:, :1])), {"reduction": _r, "full": True}),
        ("hinge_embedding_loss", (Z, T(2 * Y.a - 1)), {"reduction": _r, "margin": 0.5}),
        ("margin_ranking_loss", (Z, P, T(2 * Y.a - 1)), {"reduction": _r, "margin": 0.1}),
        ("multilabel_soft_margin_loss", (Z, Y), {"reduction": _r, "weight": PW}),
        ("cosine_embedding_loss", (Z, P, T([1.0, -1, 1])), {"reduction": _r, "margin": 0.2}),
        ("triplet_margin_loss", (Z, P, W), {"reduction": _r}),
        ("triplet_margin_loss", (Z, P, W), {"reduction": _r, "p": 1.0, "swap": True}),
        ("triplet_margin_with_distance_loss", (Z, P, W), {"reduction": _r}),
        ("triplet_margin_with_distance_loss", (Z, P, W), {"reduction": _r, "swap": True}),
        ("multi_margin_loss", (Z, T([0, 3, 1])), {"reduction": _r}),
        ("multi_margin_loss", (Z, T([0, 3, 1])), {"reduction": _r, "p": 2, "weight": PW}),
        ("multilabel_margin_loss", (Z, T([[3, 0, -1, 1], [1, 2, 3, -1], [-1, 0, 0, 0]])),
         {"reduction": _r}),
        ("mse_loss", (T(np.zeros(0), True), T(np.zeros(0))), {"reduction": _r}),
    ]  # fmt: skip
CASES += [
    ("kl_div", (T(np.log(P.a), True), P), {"reduction": "batchmean"}),
    ("kl_div", (T(np.log(P32.a), True), Y32), {"reduction": "batchmean", "log_target": False}),
    ("binary_cross_entropy", (P, Y, W), {}), ("binary_cross_entropy_with_logits", (Z, Y, W), {}),
    ("binary_cross_entropy", (T([0.0, 1.0], True), T([1.0, 0.0])), {}),
    ("binary_cross_entropy", (P, T(Y.a[:1])), {}),
    ("binary_cross_entropy_with_logits", (T([-800.0, 800.0, 0.0], True), T([1.0, 0.0, 0.5])), {}),
    ("mse_loss", (Z, T(P.a[:1])), {}), ("l1_loss", (Z, T(P.a[:1])), {}),
    ("mse_loss", (X0, T(np.array(0.2))), {}), ("l1_loss", (X32, T(X.astype(np.float32))), {}),
    ("huber_loss", (Z, P), {"delta": -1.0}), ("smooth_l1_loss", (Z, P), {"beta": -1.0}),
    ("mse_loss", (Z, P), {"reduction": "bad"}), ("l1_loss", (Z, P), {"reduction": "bad"}),
    ("gaussian_nll_loss", (Z, P, T(-W.a)), {}), ("gaussian_nll_loss", (Z, P, 0.5), {}),
    ("poisson_nll_loss", (Z, P), {"eps": 1e-3}),
    ("triplet_margin_loss", (T(Z.a[0], True), T(P.a[0]), T(W.a[0])), {}),
    ("multi_margin_loss", (T(Z.a[0], True), T(np.array(2))), {}),
    ("multi_margin_loss", (Z, T([0, 4, 1])), {}), ("multi_margin_loss", (Z, T([0, 3, 1])), {"p": 3}),
    ("multilabel_margin_loss", (T(Z.a[0], True), T([3, 0, -1, 1])), {}),
    ("cosine_embedding_loss", (T(Z.a[0], True), T(P.a[0]), T(np.array(-1.0))), {}),
]  # fmt: skip

# class losses: class indices and probabilities, weights, ignore_index, smoothing, layouts
LG = T(R.standard_normal((4, 3)), True)
LG32 = T(LG.a.astype(np.float32), True)
LG4 = T(R.standard_normal((2, 3, 2, 2)), True)
CI, CI4 = T([0, 2, 1, 2]), T(R.integers(0, 3, (2, 2, 2)))
CIG = T([0, -100, 1, 2])
CP = T(R.dirichlet(np.ones(3), 4))
CW = T([0.2, 1.0, 3.0])
for _r in ("mean", "sum", "none"):
    for _kw in ({"ignore_index": 1}, {"weight": CW, "ignore_index": 2}):
        CASES += [
            ("cross_entropy", (LG, CI), {"reduction": _r, **_kw}),
            ("cross_entropy", (LG4, CI4), {"reduction": _r, **_kw}),
            ("nll_loss", (LG, CI), {"reduction": _r, **_kw}),
            ("nll_loss", (LG4, CI4), {"reduction": _r, **_kw}),
            ("cross_entropy", (LG, CI), {"reduction": _r, "label_smoothing": 0.2, **_kw}),
        ]
    CASES += [
        ("cross_entropy", (LG, CP), {"reduction": _r}),
        ("cross_entropy", (LG, CP), {"reduction": _r, "weight": CW, "label_smoothing": 0.3}),
        ("cross_entropy", (LG4, T(R.dirichlet(np.ones(3), (2, 2, 2)).transpose(0, 3, 1, 2))),
         {"reduction": _r, "label_smoothing": 0.1}),
        ("cross_entropy", (LG, CIG), {"reduction": _r, "weight": CW}),
        ("nll_loss", (LG, CIG), {"reduction": _r}),
    ]  # fmt: skip
CASES += [
    ("cross_entropy", (LG32, CI), {}), ("cross_entropy", (LG32, T(CP.a.astype(np.float32))), {}),
    ("nll_loss", (LG32, CI), {}), ("cross_entropy", (LG, CI, CW), {}),
    ("cross_entropy", (T(LG.a[0], True), T(np.array(2))), {}),
    ("cross_entropy", (T(LG.a[0], True), T(CP.a[0])), {"label_smoothing": 0.2}),
    ("nll_loss", (T(LG.a[0], True), T(np.array(1))), {"weight": CW}),
    ("cross_entropy", (LG, T([-100, -100, -100, -100])), {}),
    ("cross_entropy", (LG, T([0, 3, 1, 2])), {}), ("nll_loss", (LG, T([0, -1, 1, 2])), {}),
    ("cross_entropy", (LG, CI), {"label_smoothing": 1.5}),
    ("cross_entropy", (LG, T(CI.a[:3])), {}), ("cross_entropy", (LG, CI), {"weight": T([1.0])}),
    ("cross_entropy", (LG, T(CI.a.astype(float))), {}),
    ("cross_entropy", (T(np.zeros((0, 3)), True), T(np.zeros(0, np.int64))), {}),
    ("cross_entropy", (T(np.zeros((0, 3)), True), T(np.zeros(0, np.int64))), {"reduction": "sum"}),
]  # fmt: skip


def known(name: str, args: tuple[Any, ...], kw: dict[str, Any]) -> str:
    """The deliberate difference a case shows, if any (see `check`)."""
    x = args[0]
    if name in FLOAT_ONLY and isinstance(x, T) and x.a.dtype.kind == "i":
        return "accepts"  # integers are promoted to the default float, as by `sigmoid`
    if name in ("softmax", "log_softmax", "softmin") and "dim" not in kw and x.a.ndim > 2:
        return "refuses"  # PyTorch's deprecated implicit dim, where it is not the last one
    if name in ("hardsigmoid", "celu") or kw.get("dtype") is torch.float32:
        return "loose"
    if name in ("mse_loss", "l1_loss") and (x.a.size == 0 or x.a.shape != args[1].a.shape):
        return "refuses"  # no broadcasting of a target; no mean of 0 elements
    return ""


FLOAT_ONLY = set(ACTS) - {"relu", "relu6", "hardtanh", "sigmoid", "tanh", "softsign", "tanhshrink"}


@pytest.mark.parametrize(("name", "args", "kw"), CASES, ids=[c[0] for c in CASES])
def test_same_as_pytorch(name: str, args: tuple[Any, ...], kw: dict[str, Any]) -> None:
    """Values, dtypes, shapes, refusals and gradients as PyTorch's."""
    check(name, *args, _known=known(name, args, kw), **kw)
