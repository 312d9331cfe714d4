"""Attention and transformer encoder layers against PyTorch in float64.

Optional: skipped when torch is not installed (it is no dependency of the project). The same
weights go into both libraries, copied by name (so the names and shapes must be PyTorch's), for
drawn settings: masks of both kinds and shapes, batch_first, unbatched inputs, kdim and vdim,
biases, added keys, need_weights, the encoder's norm_first and activation, training (without
dropout) and evaluation. Outputs, attention weights and every gradient agree to 1e-12.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lite import Tensor, nn
from tinygrad_lite import functional as F

torch = pytest.importorskip("torch")
pytestmark = [
    pytest.mark.slow,  # only where torch is installed
    pytest.mark.filterwarnings("ignore::UserWarning"),  # PyTorch's notes on mixed mask kinds
]

WORST: dict[str, float] = {}  # the largest differences seen, by what was compared


def _same_weights(ours: Any, theirs: Any) -> None:
    named = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(named)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for name, p in ours.named_parameters():
        assert tuple(named[name].shape) == p.shape
        with torch.no_grad():
            named[name].copy_(torch.from_numpy(p.data))


def _close(what: str, a: Any, b: Any) -> None:
    b = b.detach().numpy()
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=what)
    if a.size:
        WORST[what] = max(WORST.get(what, 0.0), float(np.max(np.abs(a - b))))


def _pair(x: np.ndarray, grad: bool = True) -> tuple[Tensor, Any]:
    return Tensor(x.copy(), requires_grad=grad), torch.tensor(x.copy(), requires_grad=grad)


def _mask(rng: np.random.Generator, shape: tuple[int, ...], kind: str) -> np.ndarray:
    """A bool or float mask whose first key is always kept (no query loses every key)."""
    hidden = rng.random(shape) < 0.4
    hidden[..., 0] = False
    if kind == "bool":
        return hidden
    return np.where(hidden, -np.inf, rng.standard_normal(shape))


def _backward(ours: Tensor, theirs: Any, rng: np.random.Generator) -> None:
    g = rng.standard_normal(ours.shape)
    (ours * Tensor(g)).sum().backward()
    (theirs * torch.from_numpy(g)).sum().backward()


# ------------------------------------------------------------------ scaled_dot_product_attention


@settings(max_examples=30)
@given(st.data())
def test_sdpa_equals_pytorchs(data: Any) -> None:
    draw = data.draw
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    batch = draw(st.sampled_from([(), (2,), (2, 3)]))
    length, source = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    e, ev = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    gqa = bool(batch) and batch[-1] == 3 and draw(st.booleans())
    kv_batch = (*batch[:-1], 1) if gqa else batch
    q = rng.standard_normal((*batch, length, e))
    k = rng.standard_normal((*kv_batch, source, e))
    v = rng.standard_normal((*kv_batch, source, ev))
    if batch and draw(st.booleans()):  # the key's batch dims broadcast against the query's
        k, v = k[:1], v[:1]
    kind = draw(st.sampled_from(["none", "bool", "float", "causal"]))
    scale = draw(st.sampled_from([None, 0.7]))
    mask_shape = draw(st.sampled_from([(length, source), (*batch, length, source)]))
    ours_in, theirs_in = zip(*(_pair(a) for a in (q, k, v)), strict=True)
    kw: dict[str, Any] = {"scale": scale, "enable_gqa": gqa, "is_causal": kind == "causal"}
    ours_kw, theirs_kw = dict(kw), dict(kw)
    mask_pair: tuple[Tensor, Any] | None = None
    if kind in ("bool", "float"):
        mask = _mask(rng, mask_shape, kind)
        if kind == "bool" and draw(st.booleans()):
            mask[..., :] = False  # every query masked from every key: zeros, not NaN
        mask_pair = _pair(mask, grad=kind == "float")
        ours_kw["attn_mask"], theirs_kw["attn_mask"] = mask_pair
    ours = F.scaled_dot_product_attention(*ours_in, **ours_kw)
    theirs = torch.nn.functional.scaled_dot_product_attention(*theirs_in, **theirs_kw)
    _close("sdpa output", ours.data, theirs)
    _backward(ours, theirs, rng)
    for a, b in zip(ours_in, theirs_in, strict=True):
        _close("sdpa input gradients", a.grad.data, b.grad)
    if kind == "float" and mask_pair is not None:
        _close("sdpa mask gradient", mask_pair[0].grad.data, mask_pair[1].grad)


# ------------------------------------------------------------------ MultiheadAttention


def _mha_pair(draw: Any, e: int, **kw: Any) -> tuple[Any, Any]:
    ours = nn.MultiheadAttention(e, seed=draw(st.integers(0, 99)), **kw)
    theirs = torch.nn.MultiheadAttention(e, **kw).double()
    _same_weights(ours, theirs)
    return ours, theirs


@settings(max_examples=40)
@given(st.data())
def test_multihead_attention_equals_pytorchs(data: Any) -> None:
    draw = data.draw
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    heads, head_dim = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    e = heads * head_dim
    kw: dict[str, Any] = {
        "num_heads": heads,
        "bias": draw(st.booleans()),
        "add_bias_kv": draw(st.booleans()),
        "add_zero_attn": draw(st.booleans()),
        "batch_first": draw(st.booleans()),
        "kdim": draw(st.sampled_from([None, 3])),
        "vdim": draw(st.sampled_from([None, 1])),
    }
    ours_mha, theirs_mha = _mha_pair(draw, e, **kw)
    kdim, vdim = kw["kdim"] or e, kw["vdim"] or e
    n, length, source = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batched = draw(st.booleans())
    self_attention = kdim == vdim == e and draw(st.booleans())
    if self_attention:
        source = length

    def shaped(seq: int, size: int) -> tuple[int, ...]:
        if not batched:
            return (seq, size)
        return (n, seq, size) if kw["batch_first"] else (seq, n, size)

    q = rng.standard_normal(shaped(length, e))
    ours_q, theirs_q = _pair(q)
    if self_attention:
        ours_in, theirs_in = [ours_q] * 3, [theirs_q] * 3
    else:
        ours_k, theirs_k = _pair(rng.standard_normal(shaped(source, kdim)))
        ours_v, theirs_v = _pair(rng.standard_normal(shaped(source, vdim)))
        ours_in, theirs_in = [ours_q, ours_k, ours_v], [theirs_q, theirs_k, theirs_v]
    need_weights = draw(st.booleans())
    call: dict[str, Any] = {
        "need_weights": need_weights,
        "average_attn_weights": draw(st.booleans()),
    }
    ours_call, theirs_call = dict(call), dict(call)
    padding = draw(st.sampled_from(["none", "bool", "float"]))
    if padding != "none":
        m = _mask(rng, (n, source) if batched else (source,), padding)
        ours_call["key_padding_mask"] = Tensor(m)
        theirs_call["key_padding_mask"] = torch.from_numpy(m)
    attn = draw(st.sampled_from(["none", "bool", "float", "causal"]))
    if attn != "none":
        three_d = draw(st.booleans())
        shape = ((n * heads if batched else heads),) if three_d else ()
        if attn == "causal":
            m = np.broadcast_to(~np.tri(length, source, dtype=bool), (*shape, length, source))
            m = np.ascontiguousarray(m)
            ours_call["is_causal"] = theirs_call["is_causal"] = True
        else:
            m = _mask(rng, (*shape, length, source), attn)
        ours_call["attn_mask"] = Tensor(m)
        theirs_call["attn_mask"] = torch.from_numpy(m)
    ours_out, ours_w = ours_mha(*ours_in, **ours_call)
    theirs_out, theirs_w = theirs_mha(*theirs_in, **theirs_call)
    _close("mha output", ours_out.data, theirs_out)
    assert (ours_w is None) == (theirs_w is None) == (not need_weights)
    if ours_w is not None:
        _close("mha weights", ours_w.data, theirs_w)
    _backward(ours_out, theirs_out, rng)
    for a, b in zip(ours_in[: 1 if self_attention else 3], theirs_in, strict=False):
        _close("mha input gradients", a.grad.data, b.grad)
    named = dict(theirs_mha.named_parameters())
    for name, p in ours_mha.named_parameters():
        _close("mha parameter gradients", p.grad.data, named[name].grad)


def test_multihead_attention_fully_masked_query_is_zero_as_pytorchs_sdpa_path() -> None:
    """PyTorch's need_weights=False path gives zero attention; ours does so on both paths."""
    ours, theirs = nn.MultiheadAttention(4, 2, seed=0), torch.nn.MultiheadAttention(4, 2)
    theirs = theirs.double()
    _same_weights(ours, theirs)
    x = np.random.default_rng(0).standard_normal((3, 2, 4))
    mask = np.zeros((3, 3), dtype=bool)
    mask[1] = True  # query 1 sees no key
    theirs_out, _ = theirs(*(torch.from_numpy(x),) * 3, attn_mask=torch.from_numpy(mask),
                           need_weights=False)  # fmt: skip
    for need in (False, True):
        out, w = ours(*(Tensor(x),) * 3, attn_mask=Tensor(mask), need_weights=need)
        _close("mha fully masked", out.data, theirs_out)
        assert w is None or (np.all(w.data[:, 1] == 0) and np.isfinite(w.data).all())
    with torch.no_grad():
        _, theirs_w = theirs(*(torch.from_numpy(x),) * 3, attn_mask=torch.from_numpy(mask))
    assert torch.isnan(theirs_w[:, 1]).all()  # the documented difference


# ------------------------------------------------------------------ encoder layers


def _encoder_pair(draw: Any, **kw: Any) -> tuple[Any, Any]:
    ours = nn.TransformerEncoderLayer(4, 2, seed=draw(st.integers(0, 99)), **kw)
    theirs = torch.nn.TransformerEncoderLayer(4, 2, **kw).double()
    _same_weights(ours, theirs)
    return ours, theirs


@settings(max_examples=30)
@given(st.data())
def test_encoder_layer_and_encoder_equal_pytorchs(data: Any) -> None:
    draw = data.draw
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kw: dict[str, Any] = {
        "dim_feedforward": draw(st.integers(1, 5)),
        "dropout": 0.0,
        "activation": draw(st.sampled_from(["relu", "gelu"])),
        "batch_first": draw(st.booleans()),
        "norm_first": draw(st.booleans()),
        "bias": draw(st.booleans()),
        "layer_norm_eps": draw(st.sampled_from([1e-5, 0.1])),
    }
    stacked = draw(st.booleans())
    ours, theirs = _encoder_pair(draw, **kw)
    if stacked:
        norm = draw(st.booleans())
        ours = nn.TransformerEncoder(ours, 2, norm=nn.LayerNorm(4) if norm else None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch's note on nested tensors
            theirs = torch.nn.TransformerEncoder(
                theirs, 2, norm=torch.nn.LayerNorm(4).double() if norm else None
            )
        for p in ours.parameters():  # the copies start equal: make them differ
            p.data[...] += 0.1 * rng.standard_normal(p.shape)
        _same_weights(ours, theirs)
    if draw(st.booleans()):
        ours.eval()
        theirs.eval()
    n, length = draw(st.integers(1, 2)), draw(st.integers(1, 4))
    batched = draw(st.booleans())
    shape = (n, length, 4) if kw["batch_first"] else (length, n, 4)
    x = rng.standard_normal(shape if batched else (length, 4))
    ours_x, theirs_x = _pair(x)
    ours_call: dict[str, Any] = {}
    theirs_call: dict[str, Any] = {}
    mask_name = "mask" if stacked else "src_mask"
    masks = draw(st.sampled_from(["none", "bool", "float", "causal", "padding"]))
    if masks in ("bool", "float"):
        m = _mask(rng, (length, length), masks)
        ours_call[mask_name], theirs_call[mask_name] = Tensor(m), torch.from_numpy(m)
    elif masks == "causal":
        m = np.where(np.tri(length, dtype=bool), 0.0, -np.inf)
        ours_call[mask_name], theirs_call[mask_name] = Tensor(m), torch.from_numpy(m)
        ours_call["is_causal"] = theirs_call["is_causal"] = True
    elif masks == "padding" and batched:
        m = _mask(rng, (n, length), "bool")
        ours_call["src_key_padding_mask"] = Tensor(m)
        theirs_call["src_key_padding_mask"] = torch.from_numpy(m)
    ours_out = ours(ours_x, **ours_call)
    theirs_out = theirs(theirs_x, **theirs_call)
    _close("encoder output", ours_out.data, theirs_out)
    _backward(ours_out, theirs_out, rng)
    _close("encoder input gradient", ours_x.grad.data, theirs_x.grad)
    named = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        _close("encoder parameter gradients", p.grad.data, named[name].grad)


def test_encoder_layer_in_pytorchs_inference_fast_path() -> None:
    """In evaluation without gradients PyTorch takes its fused path: the same values."""
    ours = nn.TransformerEncoderLayer(4, 2, 6, batch_first=True, seed=3).eval()
    theirs = torch.nn.TransformerEncoderLayer(4, 2, 6, batch_first=True).double().eval()
    _same_weights(ours, theirs)
    x = np.random.default_rng(1).standard_normal((2, 5, 4))
    padding = np.zeros((2, 5), dtype=bool)
    padding[1, 3:] = True
    with torch.no_grad():
        theirs_out = theirs(torch.from_numpy(x), src_key_padding_mask=torch.from_numpy(padding))
    ours_out = ours(Tensor(x), src_key_padding_mask=Tensor(padding))
    _close("encoder fast path", ours_out.data, theirs_out)


def test_report_the_largest_differences() -> None:
    """Run last in this file: print the largest differences seen (pytest -s shows them)."""
    for what, worst in sorted(WORST.items()):
        print(f"{what}: {worst:.2e}")
