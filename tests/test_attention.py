"""Attention (the function and MultiheadAttention): NumPy formulas, derivatives, refusals, names.

The encoder layers are tested in `tests/test_transformer.py`; the comparison with PyTorch
itself (optional) is in `tests/test_attention_torch.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn
from tinygrad_lite import functional as F
from tinygrad_lite.attention import scaled_dot_product_attention as sdpa
from tinygrad_lite.func import functional_call
from tinygrad_lite.gradcheck import gradcheck, gradcheck_module, gradgradcheck
from tinygrad_lite.transformer import generate_square_subsequent_mask

# ------------------------------------------------------------------ independent NumPy formulas


def np_sdpa(
    q: np.ndarray,
    k: np.ndarray,
    v: np.ndarray,
    mask: np.ndarray | None = None,
    causal: bool = False,
    scale: float | None = None,
    keep: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """softmax(QKᵀ·scale + M)·V and the weights; a row masked everywhere has weights 0."""
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = np.matmul(q, np.swapaxes(k, -1, -2)) * scale
    if causal:
        mask = np.tri(s.shape[-2], s.shape[-1], dtype=bool)
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    dead = np.all(s == -np.inf, axis=-1, keepdims=True)
    s = np.where(dead, 0.0, s)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    a = np.where(dead, 0.0, e / e.sum(axis=-1, keepdims=True))
    if keep is not None:
        a = a * keep
    return np.matmul(a, v), a


def np_mha(
    mha: Any, q: np.ndarray, k: np.ndarray, v: np.ndarray, pad: Any = None, attn: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's multi-head attention on batch-first arrays, from the module's weights.

    Masks as PyTorch's: bool True hides a key, a float is added; `pad` (N, S), `attn` (L, S)
    or (N·H, L, S). Returns the output (N, L, E) and the weights per head (N, H, L, S).
    """
    e, h = mha.embed_dim, mha.num_heads
    n, length, source = q.shape[0], q.shape[1], k.shape[1]
    p = {name: t.data for name, t in mha.named_parameters()}
    if "in_proj_weight" in p:
        wq, wk, wv = np.split(p["in_proj_weight"], 3)
    else:
        wq, wk, wv = p["q_proj_weight"], p["k_proj_weight"], p["v_proj_weight"]
    bq, bk, bv = np.split(p["in_proj_bias"], 3) if "in_proj_bias" in p else (0.0, 0.0, 0.0)
    qp, kp, vp = q @ wq.T + bq, k @ wk.T + bk, v @ wv.T + bv

    def additive(m: np.ndarray) -> np.ndarray:
        return np.where(m, -np.inf, 0.0) if m.dtype == bool else m

    bias = np.zeros((n, h, length, source))
    if attn is not None:
        bias = bias + additive(attn if attn.ndim == 2 else attn.reshape(n, h, length, source))
    if pad is not None:
        bias = bias + additive(pad).reshape(n, 1, 1, source)
    if "bias_k" in p:
        kp = np.concatenate([kp, np.broadcast_to(p["bias_k"], (n, 1, e))], axis=1)
        vp = np.concatenate([vp, np.broadcast_to(p["bias_v"], (n, 1, e))], axis=1)
        bias = np.concatenate([bias, np.zeros((n, h, length, 1))], axis=-1)

    def heads(x: np.ndarray) -> np.ndarray:
        return x.reshape(n, x.shape[1], h, e // h).transpose(0, 2, 1, 3)

    qh, kh, vh = heads(qp), heads(kp), heads(vp)
    if mha.add_zero_attn:
        kh = np.concatenate([kh, np.zeros((n, h, 1, e // h))], axis=2)
        vh = np.concatenate([vh, np.zeros((n, h, 1, e // h))], axis=2)
        bias = np.concatenate([bias, np.zeros((n, h, length, 1))], axis=-1)
    out, weights = np_sdpa(qh, kh, vh, bias)
    out = out.transpose(0, 2, 1, 3).reshape(n, length, e)
    out = out @ p["out_proj.weight"].T + p.get("out_proj.bias", 0.0)
    return out, weights


def _close(a: Any, b: np.ndarray) -> None:
    np.testing.assert_allclose(a.data if isinstance(a, Tensor) else a, b, rtol=1e-12, atol=1e-12)


def _leaf(rng: np.random.Generator, *shape: int) -> Tensor:
    return Tensor(rng.standard_normal(shape), requires_grad=True)


# ------------------------------------------------------------------ scaled_dot_product_attention


@settings(max_examples=12)
@given(st.data())
def test_sdpa_equals_the_numpy_formula(data: Any) -> None:
    draw = data.draw
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    batch = draw(st.sampled_from([(), (3,), (2, 3)]))
    key_batch = draw(st.sampled_from([batch, batch[1:], (1,) * len(batch)]))  # broadcasts
    length, source, e, ev = (draw(st.integers(1, 4)) for _ in range(4))
    q = rng.standard_normal((*batch, length, e))
    k = rng.standard_normal((*key_batch, source, e))
    v = rng.standard_normal((*key_batch, source, ev))
    kind = draw(st.sampled_from(["none", "bool", "float", "causal"]))
    scale = draw(st.sampled_from([None, 0.5, -2.0]))
    mask = None
    if kind == "bool":
        mask = rng.random((length, source)) < 0.6  # some rows may see no key at all
    elif kind == "float":
        mask = np.where(rng.random((*batch, 1, source)) < 0.3, -np.inf, rng.standard_normal())
    got = sdpa(Tensor(q), Tensor(k), Tensor(v), mask, is_causal=kind == "causal", scale=scale)
    want, _ = np_sdpa(q, k, v, mask, kind == "causal", scale)
    assert got.shape == want.shape
    _close(got, want)


def test_sdpa_causal_for_more_queries_than_keys_and_fully_masked_rows() -> None:
    rng = np.random.default_rng(0)
    q, k, v = _leaf(rng, 4, 3), _leaf(rng, 2, 3), _leaf(rng, 2, 2)
    _close(sdpa(q, k, v, is_causal=True), np_sdpa(q.data, k.data, v.data, causal=True)[0])
    mask = np.array([[True, False], [False, False], [True, True], [False, True]])
    out = sdpa(q, k, v, attn_mask=mask)
    assert np.array_equal(out.data[1], [0.0, 0.0])  # a query that sees no key: 0, not NaN
    out.sum().backward()
    assert np.array_equal(q.grad.data[1], np.zeros(3)) and np.isfinite(k.grad.data).all()
    float_mask = np.where(mask, 0.0, -np.inf)
    _close(sdpa(q, k, v, attn_mask=float_mask), out.data)


def test_sdpa_first_and_second_derivatives() -> None:
    rng = np.random.default_rng(1)
    q, k, v = _leaf(rng, 2, 3, 2), _leaf(rng, 1, 4, 2), _leaf(rng, 2, 4, 3)
    bias = _leaf(rng, 3, 4)  # a float mask is differentiable too
    hidden = np.array([[True, True, False, True], [False] * 4, [True, False, True, True]])
    assert gradcheck(lambda a, b, c, m: sdpa(a, b, c, attn_mask=m), q, k, v, bias)
    assert gradgradcheck(lambda a, b, c, m: sdpa(a, b, c, attn_mask=m, scale=0.7), q, k, v, bias)
    assert gradgradcheck(lambda a, b, c: sdpa(a, b, c, attn_mask=hidden), q, k, v)
    assert gradcheck(lambda a, b, c: sdpa(a, b, c, is_causal=True), q, k, v)


def test_sdpa_grouped_query_attention_repeats_each_key_head() -> None:
    rng = np.random.default_rng(2)
    q, k, v = (rng.standard_normal(s) for s in ((2, 4, 3, 2), (2, 2, 5, 2), (2, 1, 5, 3)))
    got = sdpa(Tensor(q), Tensor(k), Tensor(v), enable_gqa=True)
    _close(got, np_sdpa(q, np.repeat(k, 2, axis=1), np.repeat(v, 4, axis=1))[0])
    with pytest.raises(ValueError, match=r"multiple of the key's \(3\)"):
        sdpa(Tensor(q), Tensor(rng.standard_normal((2, 3, 5, 2))), Tensor(v), enable_gqa=True)


def test_sdpa_dropout_draws_as_functional_dropout_and_always_applies() -> None:
    rng = np.random.default_rng(3)
    q, k, v = (rng.standard_normal((2, 3, 4)) for _ in range(3))
    got = sdpa(Tensor(q), Tensor(k), Tensor(v), dropout_p=0.4, generator=7)
    keep = (np.random.default_rng(7).random((2, 3, 3)) >= 0.4) / 0.6
    _close(got, np_sdpa(q, k, v, keep=keep)[0])
    tg.manual_seed(5)
    first = sdpa(Tensor(q), Tensor(k), Tensor(v), dropout_p=0.4)
    tg.manual_seed(5)
    assert np.array_equal(sdpa(Tensor(q), Tensor(k), Tensor(v), dropout_p=0.4).data, first.data)
    assert not np.any(sdpa(Tensor(q), Tensor(k), Tensor(v), dropout_p=1.0).data)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (((3,), (2, 3), (2, 3)), {}, ValueError, r"at least 2 dimensions.*\(3,\)"),
        (((2, 3), (4, 2), (4, 3)), {}, ValueError, r"one feature size.*\(2, 3\) and \(4, 2\)"),
        (((2, 3), (4, 3), (5, 3)), {}, ValueError, r"one sequence length.*\(4, 3\) and \(5, 3\)"),
        (((2, 2, 3), (3, 4, 3), (3, 4, 3)), {}, ValueError, r"do not broadcast.*\(3, 4, 3\)"),
        (((2, 3), (4, 3), (4, 3)), {"attn_mask": np.ones((2, 2, 4), bool)}, ValueError,
         r"attn_mask of shape \(2, 2, 4\) does not broadcast.*\(2, 4\)"),
        (((2, 3), (4, 3), (4, 3)), {"attn_mask": np.ones((2, 4), bool), "is_causal": True},
         ValueError, "not both"),
        (((2, 3), (4, 3), (4, 3)), {"attn_mask": np.ones((2, 4), np.int64)}, TypeError,
         "bool or of the query's dtype float64, got int64"),
        (((2, 3), (4, 3), (4, 3)), {"dropout_p": 1.5}, ValueError, r"\[0, 1\], got 1.5"),
        (((2, 3), (4, 3), (4, 3)), {"scale": "1"}, TypeError, "scale must be a number"),
    ],
)  # fmt: skip
def test_sdpa_refusals_name_the_problem(args: Any, kwargs: Any, error: Any, match: str) -> None:
    tensors = [Tensor(np.ones(s)) for s in args]
    with pytest.raises(error, match=match):
        sdpa(*tensors, **kwargs)


def test_sdpa_refuses_mixed_dtypes() -> None:
    with pytest.raises(TypeError, match="float32, float64 and float64"):
        f64 = Tensor(np.ones((4, 3)))
        sdpa(Tensor(np.ones((2, 3)), dtype=np.float32), f64, f64)
    with pytest.raises(TypeError, match="of the query's dtype float32, got float64"):
        f32 = Tensor(np.ones((2, 3)), dtype=np.float32)
        sdpa(f32, f32, f32, attn_mask=Tensor(np.zeros((2, 2))))


def test_functional_exports_it() -> None:
    assert F.scaled_dot_product_attention is sdpa
    assert "scaled_dot_product_attention" in F.__all__


# ------------------------------------------------------------------ MultiheadAttention


def test_multihead_attention_has_pytorchs_names_shapes_and_initialisation() -> None:
    mha = nn.MultiheadAttention(6, 3, seed=0)
    assert list(mha.state_dict()) == [
        "in_proj_weight",
        "in_proj_bias",
        "out_proj.weight",
        "out_proj.bias",
    ]
    assert mha.in_proj_weight.shape == (18, 6) and mha.in_proj_bias.shape == (18,)
    assert isinstance(mha.out_proj, nn.Linear) and mha.head_dim == 2
    bound = np.sqrt(6 / (6 + 18))  # Glorot over the stacked (3E, E) weight
    assert 0.8 * bound < np.abs(mha.in_proj_weight.data).max() <= bound
    assert not mha.in_proj_bias.data.any() and not mha.out_proj.bias.data.any()
    assert np.abs(mha.out_proj.weight.data).max() <= 1 / np.sqrt(6)
    other = nn.MultiheadAttention(4, 2, add_bias_kv=True, kdim=3, vdim=5, seed=0)
    assert [(n, p.shape) for n, p in other.named_parameters()] == [
        ("q_proj_weight", (4, 4)),
        ("k_proj_weight", (4, 3)),
        ("v_proj_weight", (4, 5)),
        ("in_proj_bias", (12,)),
        ("bias_k", (1, 1, 4)),
        ("bias_v", (1, 1, 4)),
        ("out_proj.weight", (4, 4)),
        ("out_proj.bias", (4,)),
    ]
    assert other.in_proj_weight is None
    assert list(nn.MultiheadAttention(4, 2, bias=False).state_dict()) == [
        "in_proj_weight",
        "out_proj.weight",
    ]
    assert nn.MultiheadAttention(4, 2, dtype=np.float32).in_proj_weight.dtype == np.float32


def test_multihead_attention_equals_the_numpy_formula() -> None:
    rng = np.random.default_rng(4)
    mha = nn.MultiheadAttention(4, 2, add_bias_kv=True, add_zero_attn=True, kdim=3, vdim=2, seed=1)
    q, k, v = (rng.standard_normal(s) for s in ((3, 2, 4), (5, 2, 3), (5, 2, 2)))
    pad = rng.random((2, 5)) < 0.3
    attn = np.where(rng.random((4, 3, 5)) < 0.3, -np.inf, rng.standard_normal((4, 3, 5)))
    out, w = mha(q, k, v, key_padding_mask=pad, attn_mask=attn, average_attn_weights=False)
    want, want_w = np_mha(mha, *(x.transpose(1, 0, 2) for x in (q, k, v)), pad, attn)
    _close(out, want.transpose(1, 0, 2))
    _close(w, want_w)
    assert w.shape == (2, 2, 3, 7)  # 5 keys, bias_k and a zero key
    # batch_first, one unbatched sequence, a bool (L, S) mask, the weights averaged over heads
    mha = nn.MultiheadAttention(4, 2, batch_first=True, seed=2)
    x = rng.standard_normal((2, 3, 4))
    hide = np.triu(np.ones((3, 3), bool), 1)
    want, want_w = np_mha(mha, x, x, x, attn=hide)
    out, w = mha(x, x, x, attn_mask=hide)
    _close(out, want)
    _close(w, want_w.mean(axis=1))
    one, one_w = mha(x[1], x[1], x[1], attn_mask=hide)
    _close(one, want[1])
    _close(one_w, want_w[1].mean(axis=0))
    out, w = mha(x, x, x, attn_mask=generate_square_subsequent_mask(3), need_weights=False)
    assert w is None
    _close(out, want)
    causal, _ = mha(x, x, x, attn_mask=hide, is_causal=True, need_weights=False)
    _close(causal, want)


def test_a_query_masked_from_every_key_gives_the_output_bias() -> None:
    mha = nn.MultiheadAttention(4, 2, seed=0)
    mha.out_proj.bias.data[...] = [1.0, 2.0, 3.0, 4.0]
    x = Tensor(np.random.default_rng(9).standard_normal((3, 4)), requires_grad=True)
    hide = np.zeros((3, 3), dtype=bool)
    hide[1] = True
    for need_weights in (True, False):
        out, w = mha(x, x, x, attn_mask=hide, need_weights=need_weights)
        assert np.array_equal(out.data[1], [1.0, 2.0, 3.0, 4.0])
        assert w is None or not w.data[1].any()
    out.sum().backward()
    assert np.isfinite(x.grad.data).all()


def test_multihead_attention_first_and_second_derivatives() -> None:
    rng = np.random.default_rng(5)
    mha = nn.MultiheadAttention(2, 2, add_bias_kv=True, add_zero_attn=True, kdim=3, seed=3)
    for p in mha.parameters():  # biases away from their zero start
        p.data[...] = rng.standard_normal(p.shape)
    q, k, v = _leaf(rng, 2, 1, 2), _leaf(rng, 3, 1, 3), _leaf(rng, 3, 1, 2)
    pad = np.array([[False, True, False]])
    weights = Tensor(rng.standard_normal((2, 1, 2)))

    def loss(m: Any, a: Tensor, b: Tensor, c: Tensor) -> Tensor:
        out, w = m(a, b, c, key_padding_mask=pad)
        return (out * weights).sum() + (w * w).sum()

    assert gradcheck(lambda a, b, c: loss(mha, a, b, c), q, k, v)
    assert gradcheck_module(mha, loss, q, k, v)
    square = nn.MultiheadAttention(2, 2, seed=4)
    names = [n for n, _ in square.named_parameters()]
    params = [Tensor(p.data + 0.3, requires_grad=True) for p in square.parameters()]

    def with_params(a: Tensor, *ps: Tensor) -> Tensor:
        return functional_call(square, dict(zip(names, ps, strict=True)), (a, a, a))[0]

    assert gradgradcheck(with_params, _leaf(rng, 2, 2), *params)


def test_multihead_attention_dropout_only_while_training() -> None:
    mha = nn.MultiheadAttention(4, 2, dropout=0.5, seed=0)
    x = Tensor(np.random.default_rng(6).standard_normal((3, 2, 4)))
    mha.eval()
    first, second = mha(x, x, x)[0], mha(x, x, x)[0]
    assert np.array_equal(first.data, second.data)
    mha.train()
    tg.manual_seed(1)
    out, w = mha(x, x, x, average_attn_weights=False)
    assert not np.array_equal(out.data, first.data)
    assert (w.data == 0).any() and (w.data > 0).any()  # some weights dropped, the rest kept


def test_multihead_attention_refusals_name_the_problem() -> None:
    with pytest.raises(ValueError, match="embed_dim 5 must be divisible by num_heads 2"):
        nn.MultiheadAttention(5, 2)
    with pytest.raises(ValueError, match=r"dropout must be a probability in \[0, 1\], got 2"):
        nn.MultiheadAttention(4, 2, dropout=2)
    with pytest.raises(TypeError, match="num_heads must be an int"):
        nn.MultiheadAttention(4, 2.0)  # type: ignore[arg-type]
    mha = nn.MultiheadAttention(4, 2, seed=0)
    x = np.ones((3, 2, 4))
    bad: list[tuple[Callable[[], Any], str]] = [
        (lambda: mha(np.ones((3, 2, 3)), x, x), r"query's last dimension must be 4.*\(3, 2, 3\)"),
        (lambda: mha(x, np.ones((3, 4)), x), r"all be 3-D.*\(3, 4\)"),
        (lambda: mha(x, x, np.ones((2, 2, 4))), r"one sequence length.*and \(2, 2, 4\)"),
        (lambda: mha(x, np.ones((3, 1, 4)), np.ones((3, 1, 4))), "one batch size"),
        (lambda: mha(x, x, x, key_padding_mask=np.ones((3, 2), bool)),
         r"key_padding_mask must have shape \(2, 3\).*got \(3, 2\)"),
        (lambda: mha(x, x, x, attn_mask=np.ones((5, 3, 3))),
         r"attn_mask must have shape \(3, 3\).*\(4, 3, 3\).*got \(5, 3, 3\)"),
        (lambda: mha(x, x, x, attn_mask=np.ones((3, 3), np.int64)), "bool or of the inputs'"),
        (lambda: mha(x, x, x, is_causal=True), "is_causal=True needs attn_mask"),
    ]  # fmt: skip
    for call, match in bad:
        with pytest.raises((ValueError, TypeError), match=match):
            call()
