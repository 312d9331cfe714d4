"""Differential audit of the core Tensor's methods against PyTorch: one table, every name."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tests.test_core_audit_torch import D, T  # noqa: E402
from tests.test_core_audit_torch import _float64_default as _float64_default  # noqa: E402

R = np.random.default_rng(0)
X = T(R.standard_normal((3, 4)))
X3 = T(R.standard_normal((2, 3, 4)))
XN = T(X.a, nc=True)  # the transpose of a contiguous leaf: non-contiguous, (4, 3)
X32 = T(X.a.astype(np.float32))
XI = T(R.integers(-5, 6, (3, 4)))
XB = T(R.integers(0, 2, (3, 4)).astype(bool))
Z = T(1.25)
ZI = T(np.int64(3))
E = T(np.zeros((0, 4)))
POS = T(np.abs(X.a) + 0.5)
UNIT = T(np.tanh(X.a) * 0.9)  # in (-1, 1)
SPEC = T([np.nan, np.inf, -np.inf, -0.0, 1e308, 5e-324], grad=False)
TIES = T(np.array([[3.0, 1.0, 3.0, 2.0], [2.0, 2.0, 0.0, 2.0], [1.0, 1.0, 1.0, 1.0]]))
TIESI = T(TIES.a.astype(np.int64))
NANS = T(
    np.array([[1.0, np.nan, 3.0, 2.0], [np.nan, 1.5, np.nan, np.nan], [4.0, 1.0, np.nan, 0]]),
    grad=False,
)  # the gradients at NaN are documented differences
NAN_ROW = T([[np.nan, np.nan, np.nan]], grad=False)
V4 = T(R.standard_normal(4))
ELEM = [X, XN, X32, XI, XB, Z, ZI, E, SPEC]
IDX = T(np.array([[0, 2, 1, 0], [2, 2, 0, 1]]))


def _dims(*xs: T) -> list[tuple[Any, ...]]:
    """Reduction cases: no dim, each dim (negative too), keepdim, a tuple of dims."""
    out: list[tuple[Any, ...]] = []
    for x in xs:
        out += [(x,), (x, 0), (x, -1), (x, 1, True), (x, (0, 1)), (x, -1, False)]
    return out


RED = [X, X3, XN, X32, XI, XB, Z, E]
UNARY_ELEM = ("abs cos erf exp expm1 log log1p relu sigmoid sign sin sqrt square tanh gelu "
              "log_sigmoid softplus acos acosh arccos arccosh arcsin arcsinh arctan arctanh asin "
              "asinh atan atanh cosh exp2 log10 log2 sinc sinh tan logit ceil floor frac round "
              "rsqrt reciprocal trunc isfinite isinf isnan logical_not __invert__ float double "
              "int long bool contiguous cpu clone detach __neg__ __abs__").split()  # fmt: skip
BINARY_ELEM = ("maximum minimum arctan2 atan2 hypot logaddexp logaddexp2 xlogy div "
               "floor_divide fmod remainder true_divide eq ne lt le gt ge logical_and "
               "logical_or logical_xor add sub mul pow").split()  # fmt: skip
OTHERS = [(X, V4), (X, T(np.array([[0.5], [2.0], [-1.0]]))), (XI, T(np.array([2, -3, 1, 4]))),
          (X, T(np.array([2, -3, 1, 4]))), (X32, V4), (X32, T(V4.a.astype(np.float32))),
          (XB, XB), (X, 2), (XI, 3), (X32, 0.5), (XI, -2.5), (Z, X),
          (XN, T(np.ones(3) * 2))]  # fmt: skip

# each name gets the main inputs and, in turn, two of the others (every input is probed often)
MAIN, EXTRA = [X, X32, XI, SPEC], [XN, XB, Z, ZI, E]
CASES: dict[str, list[tuple[Any, ...]]] = {
    n: [(x,) for x in MAIN + [EXTRA[i % 5], EXTRA[(i + 2) % 5]]] for i, n in enumerate(UNARY_ELEM)
}
CASES.update({n: OTHERS[:7] + OTHERS[7 + i % 6 :: 3] for i, n in enumerate(BINARY_ELEM)})
for n in ("acosh", "arccosh"):
    CASES[n] += [(T(POS.a + 1),)]
for n in ("atanh", "arctanh", "asin", "acos", "arcsin", "arccos", "logit"):
    CASES[n] += [(UNIT,)]
for n in ("log", "sqrt", "log2", "log10", "rsqrt", "log1p"):
    CASES[n] += [(POS,)]
CASES["logit"] += [(UNIT, 0.1), (T(np.array([0.0, 1.0, 0.5])), 1e-6)]
CASES["round"] += [(T(np.array([0.5, 1.5, 2.5, -0.5, 1.2345, 123.5])), {"decimals": d})
                   for d in (0, 2, -1)]  # fmt: skip
CASES["sign"].remove((SPEC,))  # sign(NaN) is NaN here (0 in PyTorch)
CASES["neg"] = list(CASES["__neg__"])
CASES["gelu"] += [(x, {"approximate": a}) for x in (X, X32) for a in ("tanh", "none", "bad")]
CASES["softplus"] += [(X, 2.0), (X, 1.0, 0.5), (T(X.a * 30), 0.5, 10.0)]
CASES["xlogy"] += [(T(np.array([0.0, 0, 1, 2])), T(np.array([0.0, np.nan, 0, 3])))]
for n in ("div", "true_divide"):
    CASES[n] += [(XI, T(np.array([2, -3, 1, 4]))), (T(np.array([1.0, -1.0, 0.0])), 0.0)]
CASES["div"] += [(x, y, {"rounding_mode": m}) for x, y in OTHERS[:5] + [(XI, 3), (XI, -2)]
                 for m in ("trunc", "floor", None)]  # fmt: skip
CASES["div"] += [(X, 2, {"rounding_mode": "bad"})]
for n in ("fmod", "remainder", "floor_divide"):
    CASES[n] += [(XI, T(np.array([2, -3, 1, 4]))), (T(np.array([5.5, -5.5, 3.0, -3.0])), -2.0)]
for n in ("pow",):
    CASES[n] = [c for c in CASES[n] if c[0] is not XI] + [(POS, V4), (X, 3), (XI, 2), (X, 0.5)]
for n in ("add", "sub"):
    CASES[n] += [(X, V4, {"alpha": 2}), (XI, T(np.array([2, -3, 1, 4])), {"alpha": 3})]

CASES.update(
    {
        "sum": _dims(*RED),
        "mean": _dims(X, X3, XN, X32, Z, E) + [(XI,)],
        "prod": _dims(X, X3, XN, X32, XI, XB, Z, E),
        "amax": _dims(X, X3, XN, X32, XI, XB, Z) + [(NANS, 1), (E, 1)],
        "amin": _dims(X, X3, XN, X32, XI, XB, Z) + [(NANS, 1), (E,)],
        "max": [
            (x, *a) for x in (X, XN, X32, XI, TIES, NANS, Z) for a in ((), (1,), (0, True), (-1,))
        ]
        + [(X, V4), (E,), (E, 1)],
        "min": [
            (x, *a) for x in (X, XN, X32, XI, TIES, NANS, Z) for a in ((), (1,), (0, True), (-1,))
        ]
        + [(X, V4), (E,), (E, 1)],
        "argmax": [
            (x, *a) for x in (X, XN, XI, TIES, NANS, Z) for a in ((), (1,), (0, True), (-1,))
        ],
        "argmin": [
            (x, *a) for x in (X, XN, XI, TIES, NANS, Z) for a in ((), (1,), (0, True), (-1,))
        ],
        "all": [(x,) for x in (X, XI, XB, E, Z)] + [(XB, 1), (XB, 0, True), (XI, -1)],
        "any": [(x,) for x in (X, XI, XB, E, Z)] + [(XB, 1), (XB, 0, True), (XI, -1)],
        "std": _dims(X, X3, XN, X32, Z)
        + [(X, 1, True, {"correction": c}) for c in (0, 2, 0.5)]
        + [(X, {"unbiased": False}), (T([2.0]),), (E, 0)],
        "var": _dims(X, X3, XN, X32, Z)
        + [(X, 1, True, {"correction": c}) for c in (0, 2, 0.5)]
        + [(X, {"unbiased": False}), (T([2.0]),), (E, 0)],
        "logsumexp": [
            (x, *a)
            for x in (X, X3, XN, X32, T([[-np.inf, -np.inf], [np.inf, 1.0]]))
            for a in ((1,), (0, True), ((0, 1),), (-1,))
        ]
        + [(XI, 1)],  # fmt: skip
        "nansum": _dims(NANS, X, X32) + [(XI,)],
        "nanmean": _dims(NANS, X, X32),
        "median": [
            (x, *a)
            for x in (X, XN, XI, TIES, NANS, Z, T(np.arange(4.0)))
            for a in ((), (1,), (0, True), (-1,))
        ],  # fmt: skip
        "nanmedian": [
            (x, *a) for x in (X, XI, TIES, NANS, Z) for a in ((), (1,), (0, True), (-1,))
        ],
        "norm": [
            (X,),
            (X, 1),
            (X, 2, 1),
            (X, np.inf),
            (X, 3, 0, True),
            (X, "fro", (0, 1)),
            (X32,),
            (X, 0),
            (X, -np.inf, 1),
            (X3, 2, (1, 2)),
        ],  # fmt: skip
        "softmax": [
            (x, d) for x in (X, X3, XN, X32, T([[-np.inf, 0.0], [np.inf, 1.0]])) for d in (0, -1)
        ],  # fmt: skip
        "log_softmax": [(x, d) for x in (X, X3, XN, X32) for d in (0, -1)],
        "leaky_relu": [(X,), (X, 0.2), (X32, 0.1), (XN, -1.0)],
        "clamp": [
            (X, -0.5, 0.5),
            (X, None, 0.2),
            (X, 0.3),
            (XI, -2, 3),
            (XI, 0.5),
            (X32, -0.5, 0.5),
            (X, V4, T(V4.a + 1)),
            (X, T(np.zeros((3, 1)))),
            (X, 1.0, -1.0),
            (X,),
            (T([np.nan, 1.0, -2.0], grad=False), 0.0, 0.5),
        ],  # fmt: skip
        "where": [
            (X, T(X.a > 0), V4),
            (XI, T(XI.a > 0), 0.5),
            (X32, T(X.a > 0), 2),
            (XI, T(X.a > 0), XI),
            (X, T(X.a > 0), T(np.float32(1.0))),
            (Z, T(True), X),
        ],  # fmt: skip
        "masked_fill": [
            (X, T(X.a > 0), 0.5),
            (XI, T(X.a > 0), 7),
            (X32, T(V4.a > 0), -1.0),
            (X, T(X.a > 0), T(2.0)),
            (XI, T(X.a > 0), 0.5),
            (X, T(X.a), 1.0),
            (X, T(True), T(np.nan, grad=False)),
        ],  # fmt: skip
        "cumsum": [(x, d) for x in (X, X3, XN, X32, XI, XB, Z) for d in (0, -1)],
        "cumprod": [
            (x, d) for x in (X, X3, XN, X32, XI, XB, Z, T([2.0, 0.0, 3.0, 0.0])) for d in (0, -1)
        ],
        "logcumsumexp": [
            (x, d)
            for x in (X, X3, X32, T([[-np.inf, 0.0], [np.inf, 1.0]]), T([[1.0, np.inf, 2.0]]))
            for d in (0, -1)
        ],
        "cummax": [(x, d) for x in (X, XN, XI, TIES, NANS, Z) for d in (0, -1)],
        "cummin": [(x, d) for x in (X, XN, XI, TIES, NANS, Z) for d in (0, -1)],
        "diff": [
            (X,),
            (X, 2, 0),
            (XI, 1, 0),
            (XB,),
            (X, 0),
            (X, 1, 0, T(np.ones((1, 4)))),
            (X, 1, 1, T(np.ones((3, 2))), T(np.zeros((3, 1)))),
            (X, 1, -1, None, V4),
        ],  # fmt: skip
        "sort": [
            (x, *a) for x in (X, XN, XI, TIES, TIESI, NANS, XB) for a in ((), (0,), (-1, True))
        ]
        + [(TIES, {"stable": True}), (TIES, {"descending": True, "stable": True}), (Z,)],
        "argsort": [(x, *a) for x in (X, XI, TIESI, NANS) for a in ((), (0,), (-1, True))]
        + [(TIESI, {"stable": True}), (Z,)],
        "topk": [
            (x, k, *a)
            for x in (X, XN, XI, T(-X.a))
            for k, *a in ((2,), (1, 0), (2, -1, False), (3, 1, True, True))
        ]
        + [(X, 5), (X, 0), (T([1.0, np.nan, 3.0]), 2)],  # fmt: skip
        "flip": [(X, 0), (X, (0, 1)), (X3, -1), (XI, [1]), (Z, ())],
    }
)
S = T(R.standard_normal((3, 3)))
CASES.update(
    {
        "reshape": [(X, 4, 3), (X, (-1,)), (XN, 2, -1), (Z, 1), (E, -1, 2), (X, 5, -1)],
        "view": [(X, 4, 3), (X, (-1,)), (Z, ()), (X, 2, 2, 3)],
        "expand": [(V4, 3, 4), (T(np.ones((3, 1))), -1, 4), (Z, 2, 2), (X, 2, -1, -1), (X, 3, 5)],
        "broadcast_to": [(V4, (3, 4)), (Z, (2,)), (X, (2, 3, 4)), (X, (4, 4))],
        "permute": [(X3, 2, 0, 1), (X3, (-1, 0, 1)), (X, 1, 0), (X, 0, 0)],
        "transpose": [(X3, 0, 2), (X, -1, -2), (Z, 0, -1)],
        "swapaxes": [(X3, 0, 2), (X, -1, 0)],
        "swapdims": [(X3, 0, 2), (X, -1, 0)],
        "moveaxis": [(X3, 0, 2), (X3, (0, 1), (2, 0))],
        "movedim": [(X3, 0, 2), (X3, (0, 1), (2, 0)), (X3, -1, 0)],
        "flatten": [(X3,), (X3, 1), (X3, 0, 1), (Z,), (X3, -2, -1), (E,)],
        "unflatten": [(X, 1, (2, 2)), (X, -1, (2, -1)), (X3, 0, (1, 2))],
        "squeeze": [
            (T(np.ones((1, 3, 1))),),
            (T(np.ones((1, 3, 1))), 0),
            (T(np.ones((1, 3, 1))), -1),
            (X, 0),
            (T(np.ones((1, 3, 1))), (0, 2)),
            (Z,),
        ],  # fmt: skip
        "unsqueeze": [(X, 0), (X, -1), (X, 2), (Z, 0), (X, 3)],
        "chunk": [(X, 2), (X, 3, 1), (X, 5, -1), (E, 2, 1)],
        "split": [(X, 2), (X, [1, 3], 1), (X, 3, -1), (X, [1, 1], 0)],
        "unbind": [(X,), (X, 1), (X, -1)],
        "narrow": [(X, 0, 1, 2), (X, -1, 1, 3), (X, 1, -2, 2), (X, 0, 2, 5)],
        "select": [(X, 0, 1), (X, -1, -1), (X, 1, 4)],
        "index_select": [
            (X, 0, T(np.array([2, 0, 2]))),
            (X, -1, T(np.array([3]))),
            (XI, 1, T(np.array([1, 1]))),
            (Z, 0, T(np.array([0]))),
        ],  # fmt: skip
        "masked_select": [(X, T(X.a > 0)), (X, T(V4.a > 0)), (XI, T(XB.a))],
        "nonzero": [(XI,), (XB,), (Z,), (XI, {"as_tuple": True}), (E,)],
        "gather": [
            (X, 1, T(IDX.a[:, :2])),
            (X, 0, IDX),
            (XI, -1, T(IDX.a[:, :3])),
            (X, 1, T(np.array([[4]]))),
        ],  # fmt: skip
        "roll": [(X, 1), (X, -2, 1), (X, (1, 2), (0, 1)), (Z, 1)],
        "repeat": [(X, 2, 1), (X, (1, 2, 2)), (V4, 2), (Z, 3)],
        "tile": [(X, 2), (X, (2, 1, 2)), (Z, (2,))],
        "tril": [(X,), (X, 1), (X, -1), (X3,), (XI, 0)],
        "triu": [(X,), (X, 1), (X, -1), (X3,), (XB, 0)],
        "diag": [(X,), (X, 1), (V4,), (V4, -1), (X3,)],
        "diagonal": [(X,), (X, 1), (X3, 0, 1, 2), (X3, -1, -1, 0)],
        "trace": [(X,), (XI,), (X3,), (S,)],
        ".T": [(X,), (V4,), (Z,)],
        ".mT": [(X3,), (X,), (V4,)],
        "take": [(X, T(np.array([0, 11, -1]))), (X, T(np.array([[1, 2]]))), (X, T(np.array([12])))],
        "take_along_dim": [
            (X, T(IDX.a[:, :2]), 1),
            (X, T(np.array([[0, 3]]))),
            (X, T(IDX.a[:1]), 0),
        ],
        "index_add": [
            (X, 0, T(np.array([0, 2, 0])), T(np.ones((3, 4)))),
            (X, 1, T(np.array([1])), T(np.ones((3, 1))), {"alpha": 2.5}),
            (XI, 0, T(np.array([1])), T(np.ones((1, 4), np.int64))),
        ],  # fmt: skip
        "scatter": [
            (X, 1, T(np.array([[0, 1], [2, 3], [1, 0]])), T(np.ones((3, 2)) * 7)),
            (X, 0, T(np.array([[0, 1, 2, 0]])), 2.5),
            (X, 1, T(np.array([[0], [3], [1]])), T(np.ones((3, 1))), {"reduce": "add"}),
            (X, 1, T(np.array([[0], [3], [1]])), T(np.ones((3, 1)) * 3), {"reduce": "multiply"}),
            (XI, 1, T(np.array([[0], [3], [1]])), {"value": 9}),
        ],  # fmt: skip
        "scatter_add": [
            (X, 1, T(np.array([[0, 0], [2, 3], [1, 1]])), T(R.standard_normal((3, 2)))),
            (XI, 0, T(np.array([[0, 1, 2, 0]])), T(np.ones((1, 4), np.int64))),
        ],  # fmt: skip
        "scatter_reduce": [
            (
                X,
                1,
                T(np.array([[0, 0], [2, 3], [1, 1]])),
                T(R.standard_normal((3, 2))),
                r,
                {"include_self": s},
            )
            for r in ("sum", "prod", "mean", "amax", "amin")
            for s in (True, False)
        ],  # fmt: skip
        "addmm": [
            (T(np.ones((3, 2))), X, T(R.standard_normal((4, 2)))),
            (T(np.ones(2)), X, T(np.ones((4, 2))), {"beta": 0.5, "alpha": 2}),
        ],
        "baddbmm": [
            (T(np.ones((2, 3, 5))), X3, T(R.standard_normal((2, 4, 5))), {"beta": 0, "alpha": 2})
        ],
        "bmm": [(X3, T(R.standard_normal((2, 4, 5)))), (X, X)],
        "kron": [(X, T(np.eye(2))), (V4, V4), (XI, XI)],
        "dot": [(V4, V4), (T(XI.a[0]), T(XI.a[1])), (V4, T(XI.a[0]))],
        "mm": [(X, T(np.ones((4, 2)))), (X, V4)],
        "outer": [(V4, T(np.arange(3.0))), (T(XI.a[0]), T(XI.a[1]))],
        "matmul": [(X, V4), (X3, T(np.ones((4, 2)))), (V4, V4)],
        "lerp": [
            (X, V4, 0.3),
            (X, V4, T(np.full(4, 0.75))),
            (X32, T(V4.a.astype(np.float32)), 0.5),
        ],
        "isclose": [(X, T(X.a + 1e-9)), (SPEC, SPEC), (SPEC, SPEC, 1e-5, 1e-8, True), (XI, XI)],
        "allclose": [(X, T(X.a + 1e-9)), (SPEC, SPEC), (SPEC, SPEC, 1e-5, 1e-8, True), (X, V4)],
        "equal": [(X, X), (X, T(X.a + 1)), (X, V4), (XI, XI)],
        "clamp_min": [(X, 0.1), (XI, 1), (X, V4)],
        "clamp_max": [(X, 0.1), (XI, 1), (X, V4)],
        "clip": [(X, -0.5, 0.5), (XI, 0)],
        "type_as": [(X, XI), (XI, X32), (X32, X), (XB, XI)],
        "to": [(X, D(d)) for d in ("float32", "int64", "bool", "float64")]
        + [(XI, D("float32")), (X, {"dtype": D("float32")}), (X32, X), (XI, XB)],
        "expand_as": [(V4, X), (T(np.ones((3, 1))), X)],
        "reshape_as": [(X, T(np.ones((4, 3)))), (X, T(np.ones((2, 6))))],
        "view_as": [(X, T(np.ones((4, 3))))],
        "t": [(X,), (V4,), (Z,), (X3,)],
        "dim": [(X,), (Z,)],
        "numel": [(X,), (E,), (Z,)],
        "new_zeros": [(X, 2, 3), (XI, (2,)), (X32, 0)],
        "new_ones": [(X, 2, 3), (XI, (2,)), (X32, [1, 2])],
        "new_full": [(X, (2,), 3), (XI, (2,), 2.5), (X32, (1,), 2)],
        "new_tensor": [(X, [1, 2]), (X32, [1.5]), (XI, [1.5]), (X, 3)],
        "device": [],
    }
)
for n, dt in (("sum", "float32"), ("sum", "int32"), ("mean", "float32"), ("prod", "float64"),
              ("cumsum", "float32"), ("cumprod", "float64"), ("cumsum", "int32")):  # fmt: skip
    for x in (X, XI, XB):
        CASES[n].append((x, *((0,) if n.startswith("cum") else ()), {"dtype": D(dt)}))
for n in ("new_zeros", "new_ones"):
    CASES[n].append((X, (2,), {"dtype": D("int32")}))
CASES["new_full"].append((XI, (2,), 1, {"dtype": D("float32")}))
CASES["new_tensor"].append((X, [1, 2], {"dtype": D("float32")}))
