"""nn's recurrent, attention and transformer layers, containers and nn.init against PyTorch's."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from tinygrad_lite import Tensor, nn

torch = pytest.importorskip("torch")

from tests.test_modules_audit2_torch import CASES_B  # noqa: E402
from tests.test_modules_audit_torch import CASES_A, C, Case, Sub, make_input, run_all  # noqa: E402

KPM = np.array([[False, False, True, False, True], [False] * 5])
MASK = np.triu(np.full((3, 5), -np.inf), 3) + np.linspace(0, 1, 15).reshape(3, 5)
ENC = Sub("TransformerEncoderLayer", (4, 2, 8, 0.0))
DEC = Sub("TransformerDecoderLayer", (4, 2, 8, 0.0))
CASES_C: dict[str, list[Case]] = {
    "RNNCell": [C(3, 4), C(3, 2, False, "relu", inputs=((3,), (2,)))],
    "LSTMCell": [C(3, 4), C(3, 2, inputs=((2, 3), ("pair", (2, 2), (2, 2))))],
    "GRUCell": [C(3, 4, inputs=((2, 3), (2, 4))), C(3, 2, bias=False, inputs=((3,),))],
    "RNN": [
        C(3, 4, inputs=((5, 2, 3),)),
        C(3, 2, 2, "relu", True, True, 0.0, True, inputs=((2, 5, 3), (4, 2, 2))),
        C(3, 2, inputs=((5, 3),)),
    ],
    "LSTM": [
        C(3, 4, inputs=((5, 2, 3),)),
        C(3, 4, 2, batch_first=True, bidirectional=True, proj_size=2, inputs=((2, 5, 3),)),
    ],
    "GRU": [C(3, 4, inputs=((5, 2, 3),)), C(3, 2, 2, bias=False, inputs=((5, 3), (2, 2)))],
    "MultiheadAttention": [
        C(
            4,
            2,
            inputs=((2, 3, 4), (2, 5, 4), (2, 5, 4)),
            batch_first=True,
            fwd={"key_padding_mask": KPM, "attn_mask": MASK},
            f32=False,  # a float64 mask with float32 inputs is refused here
        ),
        C(
            4,
            2,
            inputs=((3, 4), (5, 4), (5, 4)),
            fwd={"need_weights": False, "attn_mask": MASK < 0},
        ),
        C(4, 2, inputs=((3, 2, 4), (5, 2, 4), (5, 2, 4))),
        C(4, 2, bias=False, add_bias_kv=True, add_zero_attn=True, inputs=((3, 4), (5, 4), (5, 4))),
        C(
            4,
            1,
            kdim=3,
            vdim=2,
            batch_first=True,
            inputs=((2, 3, 4), (2, 5, 3), (2, 5, 2)),
            fwd={"average_attn_weights": False},
        ),
    ],
    "TransformerEncoderLayer": [
        C(4, 2, 8, 0.0, batch_first=True, inputs=((2, 5, 4),), fwd={"src_key_padding_mask": KPM}),
        C(4, 2, inputs=((3, 2, 4),), random=True),
        C(4, 2, 8, 0.0, "gelu", 1e-3, True, True, inputs=((2, 3, 4),)),
    ],
    "TransformerEncoder": [C(ENC, 2, enable_nested_tensor=False, inputs=((3, 2, 4),))],
    "TransformerDecoderLayer": [
        C(4, 2, inputs=((3, 2, 4), (5, 2, 4)), random=True),
        C(4, 2, 6, 0.0, norm_first=True, bias=False, inputs=((3, 4), (5, 4))),
    ],
    "TransformerDecoder": [C(DEC, 2, inputs=((3, 2, 4), (5, 2, 4)))],
    "Transformer": [
        C(4, 2, 1, 1, 8, 0.0, inputs=((5, 2, 4), (3, 2, 4))),
        C(4, 2, 2, 1, 6, 0.1, batch_first=True, inputs=((2, 5, 4), (2, 3, 4)), random=True),
    ],
    "EmbeddingBag": [
        C(5, 3, inputs=(("int", (2, 4), 5),)),
        C(5, 3, mode="sum", inputs=(np.array([1, 2, 4, 4, 0]), np.array([0, 2]))),
        C(5, 2, mode="max", padding_idx=0, inputs=(("int", (3, 2), 5),)),
    ],
    "AdaptiveLogSoftmaxWithLoss": [
        C(4, 6, [2, 4], inputs=((3, 4), np.array([0, 3, 5]))),
        C(4, 6, [3], 2.0, True, inputs=((3, 4), np.array([2, 4, 1]))),
    ],
}
# names of nn that are not Module classes, or are checked by the tests below
NOT_MODULES = {"IncompatibleKeys", "Parameter", "UninitializedBuffer", "UninitializedParameter",
               "init", "utils", "functional", "LazyModuleMixin"}  # fmt: skip
CHECKED_BELOW = {"Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
                 "ParameterDict"}  # fmt: skip


@pytest.fixture(autouse=True, scope="module")
def _torch_float64() -> Iterator[None]:
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def test_every_public_module_has_a_case() -> None:
    cases = set(CASES_A) | set(CASES_B) | set(CASES_C) | CHECKED_BELOW | NOT_MODULES
    missing = sorted(set(nn.__all__) - cases)
    assert not missing, f"no audit case for {missing}"
    assert not (set(CASES_A) | set(CASES_B) | set(CASES_C)) - set(nn.__all__)


@pytest.mark.parametrize("name", sorted(CASES_C))
def test_module_matches_torch(name: str) -> None:
    run_all(name, CASES_C[name])


BAD: list[tuple[str, tuple[Any, ...], dict[str, Any], tuple[Any, ...]]] = [
    ("Linear", (3, 2), {}, ((2, 4),)),
    ("Bilinear", (3, 2, 4), {}, ((5, 3), (5, 3))),
    ("Conv2d", (3, 2, 3), {}, ((2, 4, 5, 5),)),
    ("Conv2d", (3, 2, 3), {}, ((5, 5),)),
    ("Conv1d", (3, 2, 3), {}, ((2, 3, 2),)),
    ("ConvTranspose1d", (3, 2, 3), {}, ((2, 2, 5),)),
    ("BatchNorm1d", (3,), {}, ((2, 4),)),
    ("BatchNorm1d", (3,), {}, ((2, 3, 4, 5),)),
    ("BatchNorm1d", (3,), {}, ((1, 3),)),
    ("BatchNorm2d", (3,), {}, ((2, 3, 4),)),
    ("LayerNorm", (3,), {}, ((2, 4),)),
    ("GroupNorm", (2, 4), {}, ((2, 3, 4),)),
    ("InstanceNorm1d", (3,), {}, ((3,),)),
    ("Embedding", (5, 3), {}, (np.array([0, 5]),)),
    ("Embedding", (5, 3), {}, ((2,),)),
    ("MaxPool2d", (2,), {}, ((3,),)),
    ("AdaptiveAvgPool2d", (2,), {}, ((4,),)),
    ("Softmax", (2,), {}, ((2, 3),)),
    ("GLU", (), {}, ((2, 3),)),
    ("Flatten", (3,), {}, ((2, 3),)),
    ("Unflatten", (1, (2, 2)), {}, ((2, 3),)),
    ("PixelShuffle", (2,), {}, ((1, 3, 2, 2),)),
    ("Fold", ((4, 5), 2), {}, ((2, 12, 11),)),
    ("ZeroPad2d", (1,), {}, ((3,),)),
    ("RNN", (3, 4), {}, ((5, 2, 2),)),
    ("LSTM", (3, 4), {}, ((5, 2, 3), ("pair", (1, 2, 3), (1, 2, 4)))),
    ("GRUCell", (3, 4), {}, ((2, 3), (3, 4))),
    ("MultiheadAttention", (4, 2), {}, ((3, 2, 5), (3, 2, 5), (3, 2, 5))),
    ("TransformerEncoderLayer", (4, 2, 8), {}, ((3, 2, 5),)),
    ("MSELoss", (), {}, ((2, 3), (3, 2))),
    ("CrossEntropyLoss", (), {}, ((2, 3), np.array([0, 3]))),
    ("NLLLoss", (), {}, ((2, 3), np.array([0, 1, 2]))),
    ("EmbeddingBag", (5, 2), {}, (np.array([[0, 1]]), np.array([0]))),
]


@pytest.mark.parametrize(("name", "args", "kwargs", "inputs"), BAD, ids=[b[0] for b in BAD])
def test_bad_inputs_are_refused_as_by_torch(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any], inputs: tuple[Any, ...]
) -> None:
    rng = np.random.default_rng(0)
    made = [make_input(spec, rng)[0] for spec in inputs]
    with pytest.raises(Exception):  # noqa: B017, PT011 - torch's errors are of many kinds
        getattr(torch.nn, name)(*args, **kwargs)(*map(as_torch, made))
    with pytest.raises((ValueError, TypeError, IndexError)) as info:
        getattr(nn, name)(*args, **kwargs)(*map(as_ours, made))
    assert len(str(info.value)) > 20, str(info.value)


def as_torch(v: Any) -> Any:
    """A made input (an array or a pair of them) as torch tensors."""
    return tuple(map(torch.tensor, v)) if isinstance(v, tuple) else torch.tensor(v)


def as_ours(v: Any) -> Any:
    """A made input as Tensors."""
    return tuple(map(Tensor, v)) if isinstance(v, tuple) else Tensor(v)


def both(build: Any) -> tuple[Any, Any]:
    """`build(lib)` for our nn and torch's."""
    return build(nn), build(torch.nn)


def names(it: Any) -> list[Any]:
    """The names (or types) an iterator of modules or (name, module) pairs yields."""
    return [x[0] if isinstance(x, tuple) else type(x).__name__ for x in it]


def test_sequential_methods_as_torch() -> None:
    def build(lib: Any) -> Any:
        return lib.Sequential(lib.Linear(2, 3), lib.ReLU(), lib.Linear(3, 1), lib.Tanh())

    ours, theirs = both(build)
    assert repr(ours) == repr(theirs) and len(ours) == len(theirs) == 4
    assert repr(ours[1:3]) == repr(theirs[1:3]) and repr(ours[::-2]) == repr(theirs[::-2])
    assert type(ours[-1]).__name__ == type(theirs[-1]).__name__
    for s, lib in ((ours, nn), (theirs, torch.nn)):
        s.append(lib.Sigmoid())
        s.insert(1, lib.Identity())
        s.extend([lib.ReLU6()])
        del s[2]
        del s[-2:]
    assert repr(ours) == repr(theirs)
    assert [k for k, _ in ours.named_parameters()] == [k for k, _ in theirs.named_parameters()]
    with pytest.raises(IndexError):
        ours[10]
    assert names(ours.named_modules()) == names(theirs.named_modules())
    assert names(ours.children()) == names(theirs.children())


def test_module_list_dict_and_parameter_containers_as_torch() -> None:
    def build(lib: Any) -> Any:
        m = lib.Module()
        m.layers = lib.ModuleList([lib.Linear(2, 2) for _ in range(3)])
        m.heads = lib.ModuleDict({"b": lib.Linear(2, 1), "a": lib.ReLU()})
        m.plist = lib.ParameterList(
            [lib.Parameter(torch.zeros(2) if lib is torch.nn else np.zeros(2))]
        )
        m.pdict = lib.ParameterDict(
            {"w": lib.Parameter(torch.ones(3) if lib is torch.nn else np.ones(3))}
        )
        m.shared = m.layers[0]  # modules() and named_parameters() list it once
        m.layers.append(lib.Tanh())
        m.layers.insert(0, lib.Identity())
        m.heads["c"] = lib.Sigmoid()
        del m.heads["a"]
        return m

    ours, theirs = both(build)
    # ParameterList/Dict print dtypes as NumPy names them (PyTorch: torch.float64)
    assert repr(ours.layers) == repr(theirs.layers) and repr(ours.heads) == repr(theirs.heads)
    assert ours.layers[-1].__class__.__name__ == "Tanh" and len(ours.layers) == len(theirs.layers)
    assert list(ours.heads) == list(theirs.heads) and list(ours.pdict) == list(theirs.pdict)
    for what in ("named_parameters", "named_modules", "named_buffers", "named_children"):
        assert names(getattr(ours, what)()) == names(getattr(theirs, what)()), what
    assert len(list(ours.modules())) == len(list(theirs.modules()))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert type(ours.get_submodule("layers.1")).__name__ == "Linear"
    with pytest.raises(AttributeError):
        ours.get_submodule("layers.9")
    ours.add_module("extra", nn.ReLU())
    ours.register_module("extra2", nn.ReLU())
    assert names(ours.named_children())[-2:] == ["extra", "extra2"]
    assert ours.eval() is ours and not any(m.training for m in ours.modules())
    ours.train()
    assert all(m.training for m in ours.modules())
    seen: list[list[str]] = [[], []]
    for i, m in enumerate((ours, theirs)):
        assert m.apply(lambda x, i=i: seen[i].append(type(x).__name__)) is m
    assert seen[0][:-3] == seen[1][:-1] and seen[0][-1] == "Module"  # ours has 2 more children
    assert ours.requires_grad_(False) is ours
    assert not any(p.requires_grad for p in ours.parameters())
    ours.requires_grad_()
    for p in ours.parameters():
        p.grad = Tensor(np.ones(p.shape))
    ours.zero_grad()
    assert all(p.grad is None for p in ours.parameters())


def test_batch_norm_running_statistics_over_steps_as_torch() -> None:
    rng = np.random.default_rng(3)
    for kwargs in ({"momentum": None}, {"momentum": 0.3}, {"track_running_stats": False}):
        ours, theirs = nn.BatchNorm1d(3, **kwargs), torch.nn.BatchNorm1d(3, **kwargs)
        for step in range(4):
            x = rng.standard_normal((5, 3)) * (step + 1)
            ours.train(step < 3)
            theirs.train(step < 3)
            np.testing.assert_allclose(
                ours(Tensor(x)).data, theirs(torch.tensor(x)).detach(), rtol=1e-12, atol=1e-12
            )
            for key, value in theirs.state_dict().items():
                np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-13)


INIT_CASES = [
    ("uniform_", {"a": -0.5, "b": 2.0}),
    ("normal_", {"mean": 1.0, "std": 0.5}),
    ("trunc_normal_", {"std": 2.0, "a": -1.0, "b": 3.0}),
    ("constant_", {"val": 0.3}),
    ("ones_", {}),
    ("zeros_", {}),
    ("eye_", {}),
    ("dirac_", {}),
    ("xavier_uniform_", {"gain": 2.0}),
    ("xavier_normal_", {}),
    ("kaiming_uniform_", {"a": 0.2, "mode": "fan_out"}),
    ("kaiming_normal_", {"nonlinearity": "leaky_relu"}),
    ("orthogonal_", {"gain": 1.5}),
    ("sparse_", {"sparsity": 0.5, "std": 0.1}),
]


@pytest.mark.parametrize(("name", "kwargs"), INIT_CASES, ids=[c[0] for c in INIT_CASES])
def test_init_distributions_as_torch(name: str, kwargs: dict[str, Any]) -> None:
    shape = (40, 30) if name not in ("dirac_",) else (4, 3, 3, 3)
    if name == "sparse_":
        shape = (40, 30)
    ours = nn.init.__dict__[name](Tensor(np.zeros(shape)), **kwargs)
    theirs = getattr(torch.nn.init, name)(torch.zeros(shape), **kwargs).numpy()
    o = np.asarray(ours.data)
    assert o.shape == theirs.shape and o.dtype == theirs.dtype
    if name in ("constant_", "ones_", "zeros_", "eye_", "dirac_"):
        np.testing.assert_array_equal(o, theirs)
    elif name == "orthogonal_":
        np.testing.assert_allclose(o.T @ o, theirs.T @ theirs, atol=1e-12)
    else:
        assert abs(o.std() / theirs.std() - 1) < 0.15, (o.std(), theirs.std())
        assert abs(o.mean() - theirs.mean()) < 0.2 * theirs.std() + 0.05
        if "uniform" in name:  # 1200 draws reach close to the bounds
            span = theirs.max() - theirs.min()
            assert theirs.min() - 0.02 * span <= o.min() and o.max() <= theirs.max() + 0.02 * span
        assert (o == 0).sum() == (theirs == 0).sum()


def test_init_functions_all_have_torch_counterparts() -> None:
    for name in nn.init.__all__:
        if name != "fan_in_and_fan_out":
            assert hasattr(torch.nn.init, name), name
    assert {n for n, _ in INIT_CASES} >= {n for n in nn.init.__all__ if n.endswith("_")}
    for name in nn.init.__all__:
        if name.endswith("_") or name == "calculate_gain":
            ours = inspect.signature(getattr(nn.init, name)).parameters.values()
            theirs = inspect.signature(getattr(torch.nn.init, name)).parameters.values()
            skip = {"generator", "seed"}
            o = [(p.name, p.default) for p in ours if p.name not in skip]
            t = [(p.name, p.default) for p in theirs if p.name not in skip]
            assert o == t, f"init.{name}: {o} vs torch {t}"
    for nl, param in (("tanh", None), ("relu", None), ("leaky_relu", 0.2), ("selu", None)):
        assert nn.init.calculate_gain(nl, param) == torch.nn.init.calculate_gain(nl, param)


def test_dropout_inplace_writes_into_the_input_as_torch() -> None:
    for name, shape in (("Dropout", (3, 4)), ("Dropout1d", (2, 3, 4)), ("Dropout2d", (2, 3, 2, 2))):
        x, xt = Tensor(np.ones(shape)) * 1.0, torch.ones(shape) * 1.0
        y, yt = getattr(nn, name)(1.0, True)(x), getattr(torch.nn, name)(1.0, True)(xt)
        assert y is x and yt is xt and not x.data.any() and not xt.any()
        x = Tensor(np.ones(shape))
        assert getattr(nn, name)(0.5, True).eval()(x) is x  # eval: the input itself, as torch
    with pytest.raises(TypeError, match="inplace must be a bool"):
        nn.Dropout(0.5, "seed")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.L1Loss(True),
        lambda: nn.MSELoss(reduce=False),
        lambda: nn.CrossEntropyLoss(None, True),
        lambda: nn.NLLLoss(None, None, -100, False),
        lambda: nn.BCELoss(None, True),
        lambda: nn.BCEWithLogitsLoss(reduce=True),
        lambda: nn.KLDivLoss(False),
        lambda: nn.SmoothL1Loss(None, True),
        lambda: nn.Embedding(3, 2, sparse=True),
        lambda: nn.Embedding(3, 2, _weight=np.zeros((2, 3))),
    ],
)
def test_unsupported_legacy_arguments_are_refused(make: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        make()


def test_embedding_from_pretrained_as_torch() -> None:
    table = np.arange(6.0).reshape(3, 2)
    ours = nn.Embedding.from_pretrained(table, padding_idx=1)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(table), padding_idx=1)
    assert repr(ours) == repr(theirs) and not ours.weight.requires_grad
    np.testing.assert_array_equal(ours(np.array([2, 1])).data, theirs(torch.tensor([2, 1])))
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad


def test_sequence_insert_pop_and_add_as_torch() -> None:
    ours = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    theirs = torch.nn.ModuleList([torch.nn.ReLU(), torch.nn.Tanh()])
    ours.insert(-1, nn.Sigmoid())
    theirs.insert(1, torch.nn.Sigmoid())  # torch's insert reads negative indices wrongly
    assert type(ours.pop(0)).__name__ == type(theirs.pop(0)).__name__ == "ReLU"
    ours += nn.ModuleList([nn.ELU()])
    theirs += torch.nn.ModuleList([torch.nn.ELU()])
    assert repr(ours) == repr(theirs) and repr(ours + ours) == repr(theirs + theirs)
    seq = nn.Sequential(nn.ReLU(), nn.Tanh())
    with pytest.raises(IndexError):
        seq.insert(3, nn.ReLU())
    assert repr(seq.insert(0, nn.ELU())) == repr(
        torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Tanh()).insert(0, torch.nn.ELU())
    )
