"""Every nn Module against PyTorch's: signature, repr, state dict, init, forward and gradients."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np
import pytest

from tinygrad_lite import Tensor, nn

torch = pytest.importorskip("torch")

IGNORED_ARGS = {"self", "device", "dtype", "seed", "generator", "factory_kwargs"}
# Hardtanh's deprecated aliases of min_val/max_val, and this library's keyword-only extras
DEPRECATED = {("Hardtanh", "min_value"), ("Hardtanh", "max_value")}
EXTENSIONS = {("CrossEntropyLoss", "dim"), ("NLLLoss", "dim")}


class Case(NamedTuple):
    """Constructor arguments, input specs, forward keyword arguments, whether train is random."""

    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = {}
    inputs: tuple[Any, ...] = ((2, 3),)
    fwd: dict[str, Any] = {}
    random: bool = False
    f32: bool = True
    rtol: float = 1e-10


def C(*args: Any, inputs: tuple[Any, ...] = ((2, 3),), fwd: Any = None, **kw: Any) -> Case:
    """A case; `random=`/`f32=` in kw are taken out of the constructor's arguments."""
    random, f32, rtol = kw.pop("random", False), kw.pop("f32", True), kw.pop("rtol", 1e-10)
    return Case(args, kw, inputs, fwd or {}, random, f32, rtol)


def make_input(spec: Any, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """(array, differentiable) from a spec: a shape, (kind, shape[, high]) or an array."""
    if isinstance(spec, np.ndarray):
        return spec, False
    if callable(spec):
        return spec(rng), False
    if isinstance(spec, tuple) and spec and isinstance(spec[0], str):
        kind, shape = spec[0], spec[1]
        if kind == "int":
            return rng.integers(0, spec[2], shape), False
        if kind == "pm1":
            return rng.choice([-1.0, 1.0], shape), False
        if kind == "prob":
            return rng.uniform(0.05, 0.95, shape), True
        if kind == "probc":
            return rng.uniform(0.05, 0.95, shape), False
        if kind == "pos":
            return rng.uniform(0.5, 2.0, shape), True
        if kind == "pair":  # a tuple argument (h, c)
            return tuple(make_input(s, rng)[0] for s in spec[1:]), True
        if kind == "const":
            return rng.standard_normal(shape), False
        raise AssertionError(kind)
    return rng.standard_normal(spec) * 1.5, True


def flat(out: Any) -> list[Any]:
    """The tensors of a (nested) output, in order; None entries dropped."""
    if out is None:
        return []
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in flat(o)]
    return [out]


def as_np(x: Any) -> np.ndarray:
    """A NumPy copy of ours or torch's tensor."""
    if isinstance(x, Tensor):
        return np.asarray(x.data)
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    return np.asarray(x)


def assert_same(ours: Any, theirs: Any, where: str, rtol: float = 1e-12) -> None:
    """Same shape, dtype and values (exact for integers and booleans)."""
    a, b = as_np(ours), as_np(theirs)
    assert a.shape == b.shape, f"{where}: shape {a.shape} vs torch {b.shape}"
    assert a.dtype == b.dtype, f"{where}: dtype {a.dtype} vs torch {b.dtype}"
    if a.dtype.kind in "biu":
        np.testing.assert_array_equal(a, b, err_msg=where)
    else:
        atol = rtol if rtol > 1e-9 else 1e-12
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=where)


@pytest.fixture(autouse=True, scope="module")
def _torch_float64() -> Iterator[None]:
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


@contextmanager
def recorded_uniform() -> Iterator[dict[int, tuple[str, float, float]]]:
    """Record the bounds of torch's uniform_/normal_ draws, by tensor id."""
    calls: dict[int, tuple[str, float, float]] = {}
    uniform, normal = torch.Tensor.uniform_, torch.Tensor.normal_

    def u(self: Any, a: float = 0.0, b: float = 1.0, **kw: Any) -> Any:
        calls[id(self)] = ("u", a, b)
        return uniform(self, a, b, **kw)

    def n(self: Any, mean: float = 0.0, std: float = 1.0, **kw: Any) -> Any:
        calls[id(self)] = ("n", mean, std)
        return normal(self, mean, std, **kw)

    torch.Tensor.uniform_, torch.Tensor.normal_ = u, n  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        torch.Tensor.uniform_, torch.Tensor.normal_ = uniform, normal  # type: ignore[method-assign]


class Sub(NamedTuple):
    """A constructor argument that is itself a module, built in each library."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = {}

    def build(self, lib: Any) -> Any:
        """The module made by `lib` (`nn` or `torch.nn`)."""
        conv = to_torch if lib is torch.nn else (lambda v: v)
        return getattr(lib, self.name)(*map(conv, self.args), **self.kwargs)


def to_torch(v: Any) -> Any:
    """NumPy arrays as torch tensors (for torch's constructors and forward arguments)."""
    return torch.tensor(v) if isinstance(v, np.ndarray) else v


def twins(name: str, case: Case) -> tuple[Any, Any, dict[int, tuple[str, float, float]]]:
    """Ours and torch's module built alike (lazy ones run once), and torch's init draws."""

    def arg(v: Any, lib: Any) -> Any:
        if isinstance(v, Sub):
            return v.build(lib)
        return to_torch(v) if lib is torch.nn else v

    with recorded_uniform() as calls:
        built = []
        for lib in (torch.nn, nn):
            args = [arg(a, lib) for a in case.args]
            built.append(
                getattr(lib, name)(*args, **{k: arg(v, lib) for k, v in case.kwargs.items()})
            )
        theirs, ours = built
        if name.startswith("Lazy"):
            rng = np.random.default_rng(0)
            arrays = [make_input(spec, rng)[0] for spec in case.inputs]
            with torch.no_grad():
                theirs(*map(torch.tensor, arrays))
            ours(*map(Tensor, arrays))
    return ours, theirs, calls


def check_structure(name: str, case: Case) -> None:
    """repr, parameter/buffer/state-dict names, shapes and dtypes, and the init distribution."""
    ours, theirs, calls = twins(name, case)
    # the losses show their settings (PyTorch's show none): kept, and pinned by other tests
    assert name.endswith("Loss") or repr(ours) == repr(theirs), (
        f"{name}{case.args}{case.kwargs}: {ours!r} vs {theirs!r}"
    )
    for what in ("named_parameters", "named_buffers"):
        o = [(k, tuple(v.shape)) for k, v in getattr(ours, what)()]
        t = [(k, tuple(v.shape)) for k, v in getattr(theirs, what)()]
        assert o == t, f"{name}.{what}: {o} vs torch {t}"
    so, st = ours.state_dict(), theirs.state_dict()
    assert list(so) == list(st), f"{name}.state_dict keys: {list(so)} vs {list(st)}"
    for key, value in st.items():
        assert np.asarray(so[key]).shape == tuple(value.shape), key
        assert np.asarray(so[key]).dtype == value.numpy().dtype, key
    tparams = dict(theirs.named_parameters())
    for key, p in ours.named_parameters():
        tp, a = tparams[key], as_np(p)
        b = tp.detach().numpy()
        if b.size and (b == b.flat[0]).all() and id(tp) not in calls:
            np.testing.assert_array_equal(a, b, err_msg=f"{name}.{key} init")
        elif id(tp) in calls:
            kind, lo, hi = calls[id(tp)]
            if kind == "u":
                assert a.min() >= lo and a.max() <= hi, f"{name}.{key}: not in U({lo}, {hi})"
                if a.size >= 20:
                    assert a.max() - a.min() > 0.5 * (hi - lo), f"{name}.{key}: too narrow"
            elif a.size >= 20:
                assert abs(a.std() / hi - 1) < 0.5, f"{name}.{key}: std {a.std()} vs {hi}"


def load_theirs(ours: Any, theirs: Any) -> None:
    """Load torch's state dict (as NumPy arrays) into ours."""
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def run_both(
    ours: Any, theirs: Any, case: Case, seed: int, dtype: Any = np.float64
) -> tuple[list[Any], list[Any], list[tuple[Any, Any]]]:
    """Forward both on the same inputs; backward a random weighting; (outs, outs, grads)."""
    rng = np.random.default_rng(seed)
    ins_o, ins_t, pairs = [], [], []
    for spec in case.inputs:
        arr, diff = make_input(spec, rng)
        parts_o, parts_t = [], []
        for a in arr if isinstance(arr, tuple) else (arr,):
            a = a.astype(dtype) if a.dtype.kind == "f" else a
            parts_o.append(Tensor(a.copy(), requires_grad=diff))
            parts_t.append(torch.tensor(a.copy(), requires_grad=diff))
            if diff:
                pairs.append((parts_o[-1], parts_t[-1]))
        ins_o.append(tuple(parts_o) if isinstance(arr, tuple) else parts_o[0])
        ins_t.append(tuple(parts_t) if isinstance(arr, tuple) else parts_t[0])
    fwd_o = {k: (Tensor(v) if isinstance(v, np.ndarray) else v) for k, v in case.fwd.items()}
    fwd_t = {k: to_torch(v) for k, v in case.fwd.items()}
    out_o, out_t = flat(ours(*ins_o, **fwd_o)), flat(theirs(*ins_t, **fwd_t))
    assert len(out_o) == len(out_t), f"{len(out_o)} outputs vs torch {len(out_t)}"
    grads = []
    loss_o, loss_t = None, None
    for o, t in zip(out_o, out_t, strict=False):
        if isinstance(t, torch.Tensor) and t.requires_grad and t.dtype.is_floating_point:
            g = rng.standard_normal(tuple(t.shape)).astype(t.detach().numpy().dtype)
            lo, lt = (o * Tensor(g)).sum(), (t * torch.tensor(g)).sum()
            loss_o = lo if loss_o is None else loss_o + lo
            loss_t = lt if loss_t is None else loss_t + lt
    if loss_t is not None:
        loss_o.backward()
        loss_t.backward()
        grads = [(xo.grad, xt.grad) for xo, xt in pairs]
        tparams = dict(theirs.named_parameters())
        grads += [(p.grad, tparams[k].grad) for k, p in ours.named_parameters()]
    return out_o, out_t, grads


def compare_forward(name: str, case: Case) -> None:
    """Values and gradients after loading torch's state dict, in train and eval mode.

    Modules without a mode-dependent part (dropout, a norm, RReLU) run in train mode only.
    """
    ours, theirs, _ = twins(name, case)
    load_theirs(ours, theirs)
    modal = any(k in type(m).__name__ for m in theirs.modules() for k in ("Drop", "Norm", "RReLU"))
    for mode in ("train", "eval") if modal or case.random else ("train",):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        out_o, out_t, grads = run_both(ours, theirs, case, seed=5)
        where = f"{name}{case.args}{case.kwargs} {mode}"
        if case.random and mode == "train":
            for o, t in zip(out_o, out_t, strict=False):
                assert as_np(o).shape == as_np(t).shape and as_np(o).dtype == as_np(t).dtype
            ours.zero_grad()
            theirs.zero_grad()
            continue
        for i, (o, t) in enumerate(zip(out_o, out_t, strict=False)):
            assert_same(o, t, f"{where} output {i}")
        for i, (go, gt) in enumerate(grads):
            if gt is None:
                assert go is None or not np.any(as_np(go)), f"{where} grad {i}: torch has none"
            else:
                assert go is not None, f"{where} grad {i}: missing"
                assert_same(go, gt, f"{where} grad {i}", rtol=case.rtol)
        so = ours.state_dict()
        for key, value in theirs.state_dict().items():
            assert_same(so[key], value, f"{where} state {key}")
        ours.zero_grad()
        theirs.zero_grad()


def compare_float32(name: str, case: Case) -> None:
    """float32 modules and inputs give torch's dtypes and (loosely) its values."""
    ours, theirs, _ = twins(name, case)
    load_theirs(ours, theirs)
    ours.float().eval()
    theirs.float().eval()
    out_o, out_t, _ = run_both(ours, theirs, case, seed=6, dtype=np.float32)
    for i, (o, t) in enumerate(zip(out_o, out_t, strict=False)):
        assert_same(o, t, f"{name}{case.args}{case.kwargs} float32 output {i}", rtol=1e-4)


def check_signature(name: str) -> None:
    """Constructor argument names, order and defaults as torch's (factory kwargs aside)."""

    def params(cls: Any) -> list[tuple[str, Any]]:
        sig = inspect.signature(cls.__init__).parameters.values()
        return [  # torch's activation default is F.relu where ours is "relu"
            (p.name, p.default.__name__ if callable(p.default) else p.default)
            for p in sig
            if p.name not in IGNORED_ARGS
            and (name, p.name) not in DEPRECATED | EXTENSIONS
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    ours, theirs = params(getattr(nn, name)), params(getattr(torch.nn, name))
    # torch's RNN/LSTM/GRU take (*args, **kwargs): their signature is in the docs only
    assert ours == theirs or not theirs, f"{name}: {ours} vs torch {theirs}"


def run_all(name: str, cases: list[Case]) -> None:
    """Every check, for every case of one class."""
    check_signature(name)
    for i, case in enumerate(cases):
        check_structure(name, case)
        compare_forward(name, case)
        if case.f32 and (i == 0 or not cases[0].f32):  # one float32 case per class
            compare_float32(name, case)


IMG = (2, 3, 5, 4)
CASES_A: dict[str, list[Case]] = {
    "Identity": [C(), C(3, k=1, inputs=((4,),))],
    "Linear": [C(3, 2), C(3, 4, bias=False, inputs=((3,),)), C(3, 1, inputs=((2, 2, 3),))],
    "Bilinear": [C(3, 2, 4, inputs=((5, 3), (5, 2))), C(2, 2, 1, bias=False, inputs=((2,), (2,)))],
    "Flatten": [
        C(inputs=(IMG,)),
        C(0, -2, inputs=(IMG,)),
        C(start_dim=2, inputs=(IMG,)),
        C(inputs=((0, 3, 4),)),  # empty: the size cannot be inferred from a -1
        C(0, inputs=((),)),
    ],
    "Unflatten": [C(1, (3, 1), inputs=((2, 3, 4),)), C(-1, (2, -1), inputs=((2, 6),))],
    "Dropout": [C(random=True), C(0.0), C(p=1.0)],
    "Dropout1d": [C(random=True, inputs=((2, 3, 4),)), C(0.0, inputs=((3, 4),))],
    "Dropout2d": [C(random=True, inputs=(IMG,)), C(0.0, inputs=((3, 4, 5),))],
    "Dropout3d": [C(random=True, inputs=((2, 3, 2, 2, 2),)), C(1.0, inputs=((3, 2, 2, 2),))],
    "AlphaDropout": [C(random=True), C(0.0)],
    "FeatureAlphaDropout": [C(random=True, inputs=(IMG,)), C(0.0, inputs=(IMG,))],
    "ReLU": [C(), C(inputs=((),))],
    "ReLU6": [C(inputs=((5, 4),))],
    "Tanh": [C()],
    "Sigmoid": [C()],
    "SiLU": [C()],
    "Mish": [C()],
    "GELU": [C(), C(approximate="tanh")],
    "ELU": [C(), C(alpha=0.5)],
    "CELU": [C(), C(2.0)],
    "SELU": [C()],
    "LeakyReLU": [C(), C(0.2)],
    "Hardtanh": [C(), C(-0.5, 2.0)],
    "Hardswish": [C(inputs=((4, 5),))],
    "Hardsigmoid": [C(inputs=((4, 5),), rtol=1e-7)],  # torch rounds 1/6 to float32
    "Hardshrink": [C(), C(1.0)],
    "Softshrink": [C(), C(1.0)],
    "Tanhshrink": [C()],
    "Softsign": [C()],
    "LogSigmoid": [C()],
    "Softplus": [C(), C(2.0, 1.0)],
    "Threshold": [C(0.1, 20.0), C(0.0, -1.0)],
    "PReLU": [C(inputs=((2, 3, 4),)), C(3, 0.1, inputs=((2, 3, 4),)), C(inputs=((),))],
    "RReLU": [C(random=True), C(0.1, 0.2, random=True)],
    "GLU": [C(inputs=((2, 4),)), C(0, inputs=((4, 3),))],
    "Softmax": [C(1), C(-1, inputs=((2, 3, 4),)), C(0, inputs=((3,),))],
    "LogSoftmax": [C(1), C(dim=0, inputs=((3, 2),))],
    "Softmin": [C(1), C(dim=-1, inputs=((2, 3, 4),))],
    "Softmax2d": [C(inputs=(IMG,)), C(inputs=((3, 4, 5),))],
    "LayerNorm": [
        C(3),
        C((5, 4), elementwise_affine=False, inputs=(IMG,)),
        C(4, bias=False, inputs=((4,),)),
    ],
    "RMSNorm": [C(3), C([5, 4], eps=1e-3, inputs=(IMG,)), C(3, elementwise_affine=False)],
    "GroupNorm": [C(3, 3, inputs=(IMG,)), C(1, 3, affine=False, inputs=((2, 3, 4),))],
    "LocalResponseNorm": [C(2, inputs=(IMG,)), C(3, 1e-3, 0.5, 2.0, inputs=((2, 3, 4),))],
    "BatchNorm1d": [
        C(3),
        C(3, momentum=None, inputs=((4, 3, 2),)),
        C(3, affine=False, track_running_stats=False),
    ],
    "BatchNorm2d": [C(3, inputs=(IMG,)), C(3, 1e-3, 0.3, inputs=(IMG,))],
    "BatchNorm3d": [C(3, inputs=((2, 3, 2, 2, 2),))],
    "InstanceNorm1d": [
        C(3, inputs=((2, 3, 4),)),
        C(3, affine=True, track_running_stats=True, inputs=((2, 3, 4),)),
    ],
    "InstanceNorm2d": [C(3, inputs=(IMG,)), C(3, affine=True, inputs=((3, 5, 4),))],
    "InstanceNorm3d": [
        C(3, inputs=((2, 3, 2, 2, 2),)),
        C(3, track_running_stats=True, inputs=((2, 3, 2, 3, 2),)),
    ],
    "Embedding": [
        C(5, 3, inputs=(("int", (2, 4), 5),)),
        C(5, 2, padding_idx=-2, max_norm=None, inputs=(("int", (3,), 5),)),
        C(5, 3, max_norm=1.0, norm_type=1.5, inputs=(("int", (2, 4), 5),)),  # renormalised
    ],
    "Upsample": [
        C(scale_factor=2, inputs=(IMG,)),
        C(size=(3, 7), mode="bilinear", inputs=(IMG,)),
        C(scale_factor=1.5, mode="linear", align_corners=True, inputs=((2, 3, 4),)),
    ],
    "UpsamplingNearest2d": [C(scale_factor=2, inputs=(IMG,))],
    "UpsamplingBilinear2d": [C((4, 6), inputs=(IMG,))],
    "PixelShuffle": [C(2, inputs=((1, 8, 2, 3),))],
    "PixelUnshuffle": [C(2, inputs=((1, 2, 4, 6),))],
    "ChannelShuffle": [C(2, inputs=((1, 4, 2, 3),))],
    "Fold": [
        C((4, 5), 2, inputs=((2, 12, 12),)),
        C(3, (2, 2), stride=1, padding=1, inputs=((8, 16),)),
    ],
    "Unfold": [C(2, inputs=(IMG,)), C((2, 3), dilation=1, padding=1, stride=2, inputs=(IMG,))],
    "CosineSimilarity": [C(inputs=((2, 3), (2, 3))), C(0, 1e-3, inputs=((3, 2), (1, 2)))],
    "PairwiseDistance": [C(inputs=((2, 3), (2, 3))), C(1.0, 1e-3, True, inputs=((3,), (3,)))],
}


@pytest.mark.parametrize("name", sorted(CASES_A))
def test_module_matches_torch(name: str) -> None:
    run_all(name, CASES_A[name])
