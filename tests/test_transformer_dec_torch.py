"""Transformer decoders and the whole Transformer against PyTorch in float64.

Optional: skipped when torch is not installed (it is no dependency of the project). PyTorch's
state dict is loaded from ours, so the keys and shapes must be PyTorch's; then, for drawn
settings (post-norm or pre-norm, activation, biases, eps, batch_first, unbatched inputs, masks
of both kinds and shapes, the causal hints, key padding, training without dropout and
evaluation), the outputs, the inputs' gradients and every parameter's gradient agree to 1e-12.
The one documented difference, PyTorch's inference fast path, is pinned down too.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_lite import Tensor, nn

torch = pytest.importorskip("torch")
pytestmark = [
    pytest.mark.slow,  # only where torch is installed
    pytest.mark.filterwarnings("ignore::UserWarning"),  # PyTorch's notes on masks, nested tensors
]


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread() -> Any:
    """Tiny tensors: PyTorch's thread pool only adds waits (tens of ms a call on busy cores)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _load_ours_into(ours: Any, theirs: Any) -> None:
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    state = {k: torch.from_numpy(v.copy()) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(state, strict=True)


def _close(what: str, a: np.ndarray, b: Any) -> None:
    np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-12, atol=1e-12, err_msg=what)


def _pair(x: np.ndarray, grad: bool = False) -> tuple[Tensor, Any]:
    return Tensor(x.copy(), requires_grad=grad), torch.tensor(x.copy(), requires_grad=grad)


def _mask(rng: np.random.Generator, shape: tuple[int, ...], kind: str) -> np.ndarray:
    """A bool or float mask whose first key is always kept (no query loses every key)."""
    hidden = rng.random(shape) < 0.4
    hidden[..., 0] = False
    if kind == "bool":
        return hidden
    return np.where(hidden, -np.inf, rng.standard_normal(shape))


def _layer_kw(draw: Any) -> dict[str, Any]:
    return {
        "dim_feedforward": draw(st.integers(1, 5)),
        "dropout": 0.0,
        "activation": draw(st.sampled_from(["relu", "gelu"])),
        "layer_norm_eps": draw(st.sampled_from([1e-5, 0.1])),
        "batch_first": draw(st.booleans()),
        "norm_first": draw(st.booleans()),
        "bias": draw(st.booleans()),
    }


class _Calls:
    """The keyword arguments of one call, built for both libraries at once."""

    def __init__(self) -> None:
        self.ours: dict[str, Any] = {}
        self.theirs: dict[str, Any] = {}

    def add(self, name: str, value: Any) -> None:
        if isinstance(value, np.ndarray):
            self.ours[name], self.theirs[name] = _pair(value)
        else:
            self.ours[name] = self.theirs[name] = value


def _attn_mask(
    draw: Any, rng: np.random.Generator, calls: _Calls, name: str, hint: str, size: tuple[int, int]
) -> None:
    """Draw `name` (none, bool, float, or the causal mask with or without its hint)."""
    kind = draw(st.sampled_from(["none", "bool", "float", "causal"]))
    if kind == "causal":
        length, source = size
        causal = np.where(np.tri(length, source, dtype=bool), 0.0, -np.inf)
        calls.add(name, causal if draw(st.booleans()) else np.isinf(causal))
        calls.add(hint, draw(st.sampled_from([True, False, None])))
    elif kind != "none":
        calls.add(name, _mask(rng, size, kind))


def _padding(
    draw: Any, rng: np.random.Generator, calls: _Calls, name: str, shape: tuple[int, ...]
) -> None:
    kind = draw(st.sampled_from(["none", "bool", "float"]))
    if kind != "none":
        calls.add(name, _mask(rng, shape, kind))


def _compare(
    ours: Any, theirs: Any, ours_out: Tensor, theirs_out: Any, inputs: list[tuple[Tensor, Any]]
) -> None:
    _close("output", ours_out.data, theirs_out)
    g = np.random.default_rng(0).standard_normal(ours_out.shape)
    (ours_out * Tensor(g)).sum().backward()
    (theirs_out * torch.from_numpy(g)).sum().backward()
    for i, (a, b) in enumerate(inputs):
        _close(f"input {i} gradient", a.grad.data, b.grad)
    named = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        _close(f"{name} gradient", p.grad.data, named[name].grad)


def _shape(seq: int, n: int, e: int, batched: bool, batch_first: bool) -> tuple[int, ...]:
    if not batched:
        return (seq, e)
    return (n, seq, e) if batch_first else (seq, n, e)


@given(st.data())
def test_decoder_layer_and_decoder_equal_pytorchs(data: Any) -> None:
    draw = data.draw
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    heads = draw(st.integers(1, 2))
    kw = _layer_kw(draw)
    ours: Any = nn.TransformerDecoderLayer(4, heads, seed=draw(st.integers(0, 99)), **kw)
    theirs: Any = torch.nn.TransformerDecoderLayer(4, heads, **kw).double()
    stacked = draw(st.booleans())
    if stacked:
        norm = draw(st.booleans())
        ours = nn.TransformerDecoder(ours, 2, norm=nn.LayerNorm(4) if norm else None)
        theirs = torch.nn.TransformerDecoder(
            theirs, 2, norm=torch.nn.LayerNorm(4).double() if norm else None
        )
        for p in ours.parameters():  # the copies start equal: make them differ
            p.data[...] += 0.1 * rng.standard_normal(p.shape)
    _load_ours_into(ours, theirs)
    if draw(st.booleans()):
        ours.eval()
        theirs.eval()
    n, length, source = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batched = draw(st.booleans())
    tgt = _pair(rng.standard_normal(_shape(length, n, 4, batched, kw["batch_first"])), True)
    memory = _pair(rng.standard_normal(_shape(source, n, 4, batched, kw["batch_first"])), True)
    calls = _Calls()
    _attn_mask(draw, rng, calls, "tgt_mask", "tgt_is_causal", (length, length))
    if draw(st.booleans()):
        heads_dim = (n * heads,) if batched else (heads,)
        calls.add("memory_mask", _mask(rng, (*heads_dim, length, source), "float"))
    else:
        _attn_mask(draw, rng, calls, "memory_mask", "memory_is_causal", (length, source))
    if calls.ours.get("memory_is_causal") is None:
        calls.ours.pop("memory_is_causal", None)  # the hint is a bool, as PyTorch's
        calls.theirs.pop("memory_is_causal", None)
    if not stacked and calls.ours.get("tgt_is_causal") is None:
        calls.ours.pop("tgt_is_causal", None)  # the layer's hint is a bool too
        calls.theirs.pop("tgt_is_causal", None)
    pad = (n, length) if batched else (length,)
    _padding(draw, rng, calls, "tgt_key_padding_mask", pad)
    _padding(draw, rng, calls, "memory_key_padding_mask", (n, source) if batched else (source,))
    ours_out = ours(tgt[0], memory[0], **calls.ours)
    theirs_out = theirs(tgt[1], memory[1], **calls.theirs)
    _compare(ours, theirs, ours_out, theirs_out, [tgt, memory])


@given(st.data())
def test_transformer_equals_pytorchs(data: Any) -> None:
    draw = data.draw
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    heads = draw(st.integers(1, 2))
    kw = _layer_kw(draw)
    layers = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ours = nn.Transformer(4, heads, *layers, seed=draw(st.integers(0, 99)), **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's note on nested tensors
        theirs = torch.nn.Transformer(4, heads, *layers, **kw).double()
    for p in ours.parameters():  # biases and norms away from zeros and ones
        p.data[...] += 0.1 * rng.standard_normal(p.shape)
    _load_ours_into(ours, theirs)
    if draw(st.booleans()):
        ours.eval()
        theirs.eval()
    n, source, length = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batched = draw(st.booleans())
    src = _pair(rng.standard_normal(_shape(source, n, 4, batched, kw["batch_first"])), True)
    tgt = _pair(rng.standard_normal(_shape(length, n, 4, batched, kw["batch_first"])), True)
    calls = _Calls()
    _attn_mask(draw, rng, calls, "src_mask", "src_is_causal", (source, source))
    _attn_mask(draw, rng, calls, "tgt_mask", "tgt_is_causal", (length, length))
    if draw(st.booleans()):
        calls.add("memory_mask", _mask(rng, (length, source), "bool"))
    for name, size in (("src", source), ("tgt", length), ("memory", source)):
        _padding(draw, rng, calls, f"{name}_key_padding_mask", (n, size) if batched else (size,))
    ours_out = ours(src[0], tgt[0], **calls.ours)
    theirs_out = theirs(src[1], tgt[1], **calls.theirs)
    _compare(ours, theirs, ours_out, theirs_out, [src, tgt])


def test_a_custom_encoder_and_its_redrawn_weights_load_as_pytorchs() -> None:
    ours_encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 6, 0.0, seed=0), 1)
    ours = nn.Transformer(4, 2, 0, 1, 6, 0.0, custom_encoder=ours_encoder, seed=1)
    their_encoder = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(4, 2, 6, 0.0), 1)
    theirs = torch.nn.Transformer(4, 2, 0, 1, 6, 0.0, custom_encoder=their_encoder).double()
    _load_ours_into(ours, theirs)
    rng = np.random.default_rng(2)
    src, tgt = _pair(rng.standard_normal((3, 2, 4)), True), _pair(rng.standard_normal((2, 2, 4)))
    mask = nn.Transformer.generate_square_subsequent_mask(2).numpy()
    their_mask = torch.nn.Transformer.generate_square_subsequent_mask(2, dtype=torch.float64)
    np.testing.assert_array_equal(mask, their_mask.numpy())
    ours_out = ours(src[0], tgt[0], tgt_mask=Tensor(mask))
    theirs_out = theirs(src[1], tgt[1], tgt_mask=their_mask)
    _compare(ours, theirs, ours_out, theirs_out, [src])


def test_pytorchs_inference_fast_path_differs_only_as_documented() -> None:
    """In evaluation without gradients PyTorch's encoder zeroes the memory's padded positions."""
    ours = nn.Transformer(4, 2, 1, 1, 6, batch_first=True, seed=3).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.Transformer(4, 2, 1, 1, 6, batch_first=True).double().eval()
    _load_ours_into(ours, theirs)
    rng = np.random.default_rng(4)
    src, tgt = rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 3, 4))
    padding = np.zeros((2, 5), dtype=bool)
    padding[0, 3:] = True
    for hidden in (True, False):  # the decoder told to skip the padded positions, or not
        kw = {"src_key_padding_mask": padding}
        if hidden:
            kw["memory_key_padding_mask"] = padding
        with torch.no_grad():
            theirs_out = theirs(*map(torch.from_numpy, (src, tgt)),
                                **{k: torch.from_numpy(v) for k, v in kw.items()})  # fmt: skip
        ours_out = ours(Tensor(src), Tensor(tgt), **{k: Tensor(v) for k, v in kw.items()})
        if hidden:
            _close("fast path", ours_out.data, theirs_out)
        else:
            assert not np.allclose(ours_out.data[0], theirs_out.numpy()[0])
            _close("fast path, unpadded sequence", ours_out.data[1], theirs_out[1])
