"""Differential audit of `functional`'s layers, norms, distances and attention against PyTorch."""

# ruff: noqa: E501
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
TF = torch.nn.functional
from tests.test_functional_audit_torch import (  # noqa: E402 - the shared harness
    TORCH,
    T,
    _flat,
    _np,
    _run,
    assert_same,
    check,
)

TORCH.update(
    {
        n: getattr(torch, n)
        for n in ("where", "cat", "stack", "cumsum", "cumprod", "flip", "argsort", "sort", "topk",
                  "maximum", "minimum")
    }
)  # fmt: skip
TORCH["expand_dims"] = torch.unsqueeze

R = np.random.default_rng(1)
X = T(R.standard_normal((3, 4)), True)
X32 = T(X.a.astype(np.float32), True)
X4 = T(R.standard_normal((2, 3, 4, 5)), True)
X3 = T(R.standard_normal((2, 3, 5)), True)
W = T(R.standard_normal((2, 4)), True)
B = T(R.standard_normal(2), True)
G, BE = T(R.uniform(0.5, 2, 3), True), T(R.standard_normal(3), True)
RM, RV = T(R.standard_normal(3)), T(R.uniform(0.5, 2, 3))
IDX = T([[0, 2, 4], [4, 3, 0]])
EMB = T(R.standard_normal((5, 3)), True)
Q, K, V = (T(R.standard_normal((2, 3, 4, 6)), True) for _ in range(3))
KV = T(R.standard_normal((2, 3, 5, 6)), True)
MASK = T(R.random((4, 5)) > 0.3)
FMASK = T(R.standard_normal((4, 5)))

CASES: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("linear", (X, W), {}), ("linear", (X, W, B), {}), ("linear", (T(X.a[0], True), W, B), {}),
    ("linear", (X4, T(R.standard_normal((3, 5)), True)), {}), ("linear", (X, T(W.a[0], True)), {}),
    ("linear", (X32, T(W.a.astype(np.float32), True)), {}), ("linear", (X, T(W.a.T)), {}),
    ("bilinear", (X, T(R.standard_normal((3, 5)), True), T(R.standard_normal((2, 4, 5)), True),
                  B), {}),
    ("bilinear", (T(X.a[0], True), T(R.standard_normal(5), True),
                  T(R.standard_normal((2, 4, 5)), True)), {}),
    ("bilinear", (X, X, T(R.standard_normal((2, 3, 4)))), {}),
    ("layer_norm", (X4, (5,)), {}), ("layer_norm", (X4, [4, 5]), {"eps": 0.1}),
    ("layer_norm", (X4, (5,), T(R.standard_normal(5), True), T(R.standard_normal(5), True)), {}),
    ("layer_norm", (X32, (4,)), {}), ("layer_norm", (X4, (3,)), {}), ("layer_norm", (X4, 5), {}),
    ("rms_norm", (X4, (5,)), {}), ("rms_norm", (X4, (4, 5), T(R.standard_normal((4, 5)), True)), {}),
    ("rms_norm", (X32, (4,)), {}), ("rms_norm", (X4, (5,)), {"eps": 0.5}),
    ("group_norm", (X4, 3, G, BE), {}), ("group_norm", (X4, 1), {}), ("group_norm", (X4, 2), {}),
    ("group_norm", (X3, 3), {"eps": 0.2}), ("group_norm", (T(X4.a.astype(np.float32)), 3), {}),
    ("instance_norm", (X4,), {}), ("instance_norm", (X3, None, None, G, BE), {}),
    ("instance_norm", (X4, RM, RV), {"use_input_stats": False}),
    ("local_response_norm", (X4, 2), {}), ("local_response_norm", (X3, 3, 0.1, 0.5, 2.0), {}),
    ("local_response_norm", (T(R.standard_normal((2, 3, 2, 2, 2)), True), 2), {}),
    ("local_response_norm", (X32, 2), {}),
    ("normalize", (X,), {}), ("normalize", (X4,), {"p": 1.0, "dim": -1}),
    ("normalize", (X32,), {"dim": 0}), ("normalize", (T(np.zeros((2, 3)), True),), {}),
    ("normalize", (X,), {"p": float("inf")}), ("normalize", (X,), {"p": 3.0, "eps": 10.0}),
    ("embedding", (IDX, EMB), {}), ("embedding", (IDX, EMB), {"padding_idx": 4}),
    ("embedding", (IDX, EMB), {"padding_idx": -1}), ("embedding", (T(np.array(2)), EMB), {}),
    ("embedding", (T([5]), EMB), {}), ("embedding", (T([1.0]), EMB), {}),
    ("embedding", (IDX, EMB), {"max_norm": 1.0}),
    ("embedding_bag", (IDX, EMB), {}), ("embedding_bag", (IDX, EMB), {"mode": "sum"}),
    ("embedding_bag", (IDX, EMB), {"mode": "max"}),
    ("embedding_bag", (T([0, 2, 4, 4, 1]), EMB, T([0, 2])), {}),
    ("embedding_bag", (T([0, 2, 4, 4, 1]), EMB, T([0, 2, 5])), {"include_last_offset": True}),
    ("embedding_bag", (T([0, 2, 4, 4, 1]), EMB, T([0, 2])),
     {"mode": "sum", "per_sample_weights": T(R.random(5), True)}),
    ("embedding_bag", (IDX, EMB), {"padding_idx": 4}),
    ("one_hot", (T([0, 3, 1]),), {}), ("one_hot", (T([[0, 3], [1, 1]]), 5), {}),
    ("one_hot", (T([0, 3]), 2), {}), ("one_hot", (T(np.array(1)),), {}),
    ("one_hot", (T(np.zeros(0, np.int64)), 3), {}), ("one_hot", (T([-1]),), {}),
    ("cosine_similarity", (X, T(R.standard_normal((3, 4)), True)), {}),
    ("cosine_similarity", (X4, T(R.standard_normal((1, 3, 4, 5)), True)), {"dim": -1}),
    ("cosine_similarity", (X, T(np.zeros((3, 4)), True)), {}),
    ("cosine_similarity", (T(X.a[0], True), T(X.a[1], True)), {"dim": 0}),
    ("cosine_similarity", (X32, T(X.a.astype(np.float32))), {"eps": 0.5}),
    ("pairwise_distance", (X, T(R.standard_normal((3, 4)), True)), {}),
    ("pairwise_distance", (X, T(R.standard_normal(4), True)), {"p": 1.0, "keepdim": True}),
    ("pairwise_distance", (T(X.a[0], True), T(X.a[1], True)), {"p": 3.0}),
    ("pairwise_distance", (X, T(R.standard_normal((3, 4)), True)), {"p": float("inf")}),
    ("pairwise_distance", (X, X), {"eps": 0.0}), ("pairwise_distance", (X32, X32), {}),
    ("pdist", (X,), {}), ("pdist", (X,), {"p": 1.0}), ("pdist", (X,), {"p": float("inf")}),
    ("pdist", (T(X.a[:1], True),), {}), ("pdist", (X3,), {}),
    ("scaled_dot_product_attention", (Q, K, V), {}),
    ("scaled_dot_product_attention", (Q, KV, KV), {"attn_mask": MASK}),
    ("scaled_dot_product_attention", (Q, KV, KV), {"attn_mask": FMASK}),
    ("scaled_dot_product_attention", (Q, K, V), {"is_causal": True, "scale": 0.3}),
    ("scaled_dot_product_attention", (Q, KV, KV), {"is_causal": True}),
    ("scaled_dot_product_attention", (T(Q.a[0], True), T(K.a[0], True), T(V.a[0], True)), {}),
    ("scaled_dot_product_attention",
     (Q, T(K.a[:, :1], True), T(V.a[:, :1], True)), {"enable_gqa": True}),
    ("scaled_dot_product_attention", (Q, T(K.a[:, :2]), T(V.a[:, :2])), {}),
    ("scaled_dot_product_attention", (Q, K, V), {"attn_mask": MASK, "is_causal": True}),
    ("where", (T(X.a > 0), X, T(np.zeros(4), True)), {}), ("cat", ([X, X32],), {"dim": -1}),
    ("stack", ([X, X],), {"dim": 1}), ("expand_dims", (X, 0), {}), ("cumsum", (X, 1), {}),
    ("cumprod", (X, 0), {}), ("flip", (X, (0, 1)), {}), ("argsort", (X,), {"dim": 0}),
    ("sort", (X,), {"descending": True}), ("topk", (X, 2), {}), ("topk", (X, 2, 0, False), {}),
    ("maximum", (X, T(np.zeros(4), True)), {}), ("minimum", (X32, X32), {}),
    ("ctc_loss", (T(np.log(R.dirichlet(np.ones(4), (6, 2))), True), T([[1, 2, 2], [3, 1, 0]]),
                  T([6, 5]), T([3, 2])), {}),
    ("ctc_loss", (T(np.log(R.dirichlet(np.ones(4), (6, 2))), True), T([[1, 2, 2], [3, 1, 0]]),
                  T([6, 5]), T([3, 2])), {"reduction": "sum", "blank": 3}),
]  # fmt: skip
for _train in (True, False):
    for _kw in ({}, {"weight": G, "bias": BE}, {"momentum": 0.5, "eps": 0.1}):
        CASES += [
            ("batch_norm", (X4, T(RM.a), T(RV.a)), {"training": _train, **_kw}),
            ("batch_norm", (X3, None, None), {"training": True, **_kw}),
            ("batch_norm", (T(R.standard_normal((4, 3)), True), T(RM.a), T(RV.a)),
             {"training": _train, **_kw}),
        ]  # fmt: skip
CASES += [("batch_norm", (X4, None, None), {}), ("batch_norm", (T(X4.a[:1, :, :1, :1]), None, None),
           {"training": True}), ("batch_norm", (X4, T(RM.a[:2]), T(RV.a[:2])), {})]  # fmt: skip

# in-place aliases (no gradient: PyTorch refuses in-place changes of a leaf)
N = T(R.standard_normal((3, 4)))
for _n, _a in (
    ("relu_", ()),
    ("elu_", (0.5,)),
    ("leaky_relu_", (0.2,)),
    ("hardtanh_", (-0.5, 0.5)),
    ("selu_", ()),
    ("celu_", (2.0,)),
    ("threshold_", (0.1, 5.0)),
    ("rrelu_", ()),
):
    CASES.append((_n, (N, *_a), {}))  # fmt: skip
for _n in (
    "relu",
    "elu",
    "leaky_relu",
    "hardtanh",
    "selu",
    "celu",
    "relu6",
    "silu",
    "mish",
    "hardswish",
    "hardsigmoid",
):
    CASES.append((_n, (N,), {"inplace": True}))  # fmt: skip

# random functions: shapes and dtypes (values with training off, or p at 0 and 1)
RANDOM = [
    ("dropout", (X,), {}), ("dropout", (X32, 0.3), {}), ("dropout", (X, 0.0), {}),
    ("dropout", (X, 1.0), {}), ("dropout", (X,), {"training": False}), ("dropout", (X, 1.5), {}),
    ("dropout1d", (X3,), {}), ("dropout1d", (T(X3.a[0]),), {}), ("dropout1d", (X4,), {}),
    ("dropout2d", (X4,), {}), ("dropout2d", (X4, 1.0), {}), ("dropout2d", (X3,), {}),
    ("dropout3d", (X4,), {}), ("dropout3d", (T(R.random((1, 2, 2, 2, 2))),), {}),
    ("dropout1d", (X3,), {"training": False}), ("dropout2d", (X4, 0.0), {}),
    ("dropout", (X, 0.5, True, False), {}), ("dropout", (T(X.a), 1.0, True, True), {}),
    ("dropout2d", (X4, 0.5, True, False), {}), ("dropout1d", (T(X3.a), 1.0, True, True), {}),
    ("dropout", (T(X.a), 1.0), {"inplace": True}), ("dropout2d", (T(X4.a), 1.0), {"inplace": True}),
    ("alpha_dropout", (X,), {}), ("alpha_dropout", (X, 0.3, True), {}),
    ("alpha_dropout", (X32, 0.3, True), {}), ("feature_alpha_dropout", (X4, 0.3, True), {}),
    ("feature_alpha_dropout", (X4,), {}), ("alpha_dropout", (X, 1.0, True), {}),
    ("rrelu", (X,), {}), ("rrelu", (X, 0.1, 0.3, True), {}), ("rrelu", (X32, 0.1, 0.3, True), {}),
    ("gumbel_softmax", (X,), {}), ("gumbel_softmax", (X32,), {"hard": True, "tau": 0.5}),
    ("gumbel_softmax", (X4,), {"dim": 1, "hard": True}),
    ("fractional_max_pool2d", (X4, 2), {"output_size": 2}),
    ("fractional_max_pool2d", (X4, 2), {"output_ratio": (0.5, 0.5), "return_indices": True}),
    ("fractional_max_pool2d_with_indices", (X4, (2, 2)), {"output_size": (3, 2)}),
    ("fractional_max_pool3d", (T(R.random((1, 2, 4, 4, 4))), 2), {"output_size": 2}),
    ("fractional_max_pool3d_with_indices", (T(R.random((2, 4, 4, 4))), 2), {"output_ratio": 0.5}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "args", "kw"), CASES, ids=[c[0] for c in CASES])
def test_same_as_pytorch(name: str, args: tuple[Any, ...], kw: dict[str, Any]) -> None:
    """Values, dtypes, shapes, refusals and gradients as PyTorch's."""
    check(name, *args, _known=KNOWN.get(f"{name}{args!r} {kw}", ""), **kw)


KNOWN = {  # deliberate: an int normalized_shape, as nn.LayerNorm's; no blank among the targets
    "layer_norm(float64(2, 3, 4, 5), 5) {}": "accepts",
    "ctc_loss(float64(6, 2, 4), int64(2, 3), int64(2,), int64(2,)) {'reduction': 'sum', 'blank': 3}":
    "refuses",
}  # fmt: skip


@pytest.mark.parametrize(("name", "args", "kw"), RANDOM, ids=[c[0] for c in RANDOM])
def test_random_like_pytorch(name: str, args: tuple[Any, ...], kw: dict[str, Any]) -> None:
    """The same shapes and dtypes (and values where nothing random is left) as PyTorch's."""
    res = {}
    for lib in ("tg", "torch"):
        try:
            res[lib] = _run(lib, name, args, kw)[0]
        except Exception as e:  # noqa: BLE001 - either library's refusal
            res[lib] = e
    o, t = res["tg"], res["torch"]
    what = f"{name}{args!r} {kw}"
    if isinstance(o, Exception) or isinstance(t, Exception):
        assert isinstance(o, Exception) and isinstance(t, Exception), f"{what}: {o!r} / {t!r}"
        return
    fo, ft = _flat(o), _flat(t)
    assert len(fo) == len(ft), what
    for u, v in zip(fo, ft, strict=True):
        assert (_np(u).shape, _np(u).dtype) == (_np(v).shape, _np(v).dtype), what
    p = args[1] if len(args) > 1 else kw.get("p", 0.5)
    training = args[2] if len(args) > 2 else kw.get("training", name.startswith("dropout"))
    if name.startswith(("dropout", "alpha", "feature")) and (not training or p in (0.0, 1.0)):
        assert_same(o, t, what)
    if name == "gumbel_softmax":
        np.testing.assert_allclose(_np(o).sum(kw.get("dim", -1)), 1.0, rtol=1e-6)
    if name == "rrelu" and training:
        ratio = _np(o)[args[0].a < 0] / args[0].a[args[0].a < 0]
        assert np.all((ratio >= args[1] - 1e-7) & (ratio <= args[2] + 1e-7)), what
