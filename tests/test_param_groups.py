"""Parameter groups as in PyTorch: per-group hyper-parameters, add_param_group, state dicts."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_lite import Tensor, load, optim, save
from tinygrad_lite.optim import ParamGroup


def leaf(*shape: int, value: float = 1.0) -> Tensor:
    return Tensor(np.full(shape or (1,), value), requires_grad=True)


def set_grads(params: list[Tensor], grads: list[np.ndarray]) -> None:
    for p, g in zip(params, grads, strict=True):
        p.grad = Tensor(g.copy())


# ---------------------------------------------------------------------- what groups hold


def test_groups_hold_every_hyper_parameter_with_the_defaults_filled_in() -> None:
    a, b, c = leaf(2), leaf(3), leaf(1)
    opt = optim.SGD([{"params": [a, b], "lr": 0.1}, {"params": c}], lr=0.01, momentum=0.9)
    assert [list(g["params"]) for g in opt.param_groups] == [[a, b], [c]]
    assert isinstance(opt.param_groups[0], dict)
    first, second = (dict(g) for g in opt.param_groups)
    del first["params"], second["params"]
    assert first == {
        "lr": 0.1,
        "momentum": 0.9,
        "dampening": 0.0,
        "weight_decay": 0.0,
        "nesterov": False,
        "zero_init_buffer": False,
        "maximize": False,
    }
    assert second == dict(first, lr=0.01)
    assert opt.params == [a, b, c]
    assert opt.defaults["lr"] == 0.01
    adam = optim.Adam([{"params": [a], "betas": (0.5, 0.6)}, {"params": [b]}])
    assert adam.param_groups[0]["betas"] == (0.5, 0.6)
    assert adam.param_groups[1]["betas"] == (0.9, 0.999)


@given(
    st.lists(st.floats(1e-3, 1.0), min_size=1, max_size=4),
    st.lists(st.sampled_from([0.0, 0.01, 0.5]), min_size=4, max_size=4),
    st.integers(0, 2**16),
)
def test_each_group_steps_like_its_own_optimizer(
    lrs: list[float], wds: list[float], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    n = len(lrs)
    values = [rng.standard_normal((2, 3)) for _ in range(n)]
    grads = [[rng.standard_normal((2, 3)) for _ in range(n)] for _ in range(3)]
    grouped = [Tensor(v.copy(), requires_grad=True) for v in values]
    groups = [
        {"params": [p], "lr": lr, "weight_decay": wd}
        for p, lr, wd in zip(grouped, lrs, wds, strict=False)
    ]
    for opt_cls, extra in ((optim.SGD, {"momentum": 0.9, "dampening": 0.5}), (optim.Adam, {})):
        grouped = [Tensor(v.copy(), requires_grad=True) for v in values]
        for g, p in zip(groups, grouped, strict=True):
            g["params"] = [p]
        opt = opt_cls(groups, **extra)
        alone = [Tensor(v.copy(), requires_grad=True) for v in values]
        singles = [
            opt_cls([p], lr=lr, weight_decay=wd, **extra)
            for p, lr, wd in zip(alone, lrs, wds, strict=False)
        ]
        for gs in grads:
            set_grads(grouped, gs)
            set_grads(alone, gs)
            opt.step()
            for s in singles:
                s.step()
        for p, q in zip(grouped, alone, strict=True):
            np.testing.assert_array_equal(p.data, q.data)
        assert sorted(opt.state) == list(range(n))


def test_lr_may_be_left_to_the_groups_but_then_every_group_needs_one() -> None:
    a, b = leaf(), leaf()
    opt = optim.SGD([{"params": [a], "lr": 0.5}, {"params": [b], "lr": 0.25}])
    a.grad, b.grad = Tensor([1.0]), Tensor([1.0])
    opt.step()
    assert (a.data[0], b.data[0]) == (0.5, 0.75)
    with pytest.raises(ValueError, match=r"param group 1: no value for \['lr'\]"):
        optim.SGD([{"params": [leaf()], "lr": 0.5}, {"params": [leaf()]}])
    with pytest.raises(ValueError, match=r"no value for \['lr'\]"):
        optim.SGD([leaf()])


def test_shared_attributes_read_and_write_every_group() -> None:
    a, b = leaf(), leaf()
    opt = optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    assert opt.lr == 0.1
    opt.lr = 0.2
    assert [g["lr"] for g in opt.param_groups] == [0.2, 0.2]
    opt.param_groups[1]["lr"] = 0.3
    with pytest.raises(ValueError, match=r"different values \[0.2, 0.3\]"):
        _ = opt.lr
    with pytest.raises(ValueError, match="lr must be > 0"):
        opt.lr = -1.0
    assert [g["lr"] for g in opt.param_groups] == [0.2, 0.3]
    adam = optim.Adam([a], betas=(0.8, 0.9))
    adam.beta1 = 0.5
    assert adam.param_groups[0]["betas"] == (0.5, 0.9) and adam.beta2 == 0.9


# ---------------------------------------------------------------------- checked writes


@pytest.mark.parametrize(
    ("key", "value", "error", "match"),
    [
        ("lr", -0.1, ValueError, "lr must be > 0, got -0.1"),
        ("lr", "0.1", TypeError, "lr must be a number"),
        ("momentum", float("inf"), ValueError, "momentum must be finite"),
        ("dampening", 1.5, ValueError, r"dampening must lie in \[0, 1\], got 1.5"),
        ("nesterov", True, ValueError, "nesterov=True needs dampening 0, got dampening=0.5"),
        ("learning_rate", 0.1, KeyError, "'learning_rate' is not a hyper-parameter of SGD"),
        ("params", [], TypeError, "params cannot be replaced; use add_param_group"),
    ],
)
def test_a_bad_write_to_a_group_raises_and_changes_nothing(
    key: str, value: Any, error: type[Exception], match: str
) -> None:
    opt = optim.SGD([leaf()], lr=0.1, momentum=0.9, dampening=0.5)
    before = dict(opt.param_groups[0])
    with pytest.raises(error, match=match):
        opt.param_groups[0][key] = value
    with pytest.raises(error, match=match):
        opt.param_groups[0].update({"momentum": 0.5, key: value})
    assert dict(opt.param_groups[0]) == before


def test_group_writes_are_converted_and_entries_cannot_be_removed() -> None:
    opt = optim.SGD([leaf()], lr=0.1)
    group = opt.param_groups[0]
    group["lr"] = np.float32(0.5)
    assert type(group["lr"]) is float and group["lr"] == 0.5
    group |= {"momentum": 1}
    assert group["momentum"] == 1.0
    assert group.setdefault("lr", 3.0) == 0.5
    for remove in (lambda: group.pop("lr"), lambda: group.clear(), lambda: group.popitem()):
        with pytest.raises(TypeError, match="cannot be removed"):
            remove()
    with pytest.raises(TypeError, match="cannot be removed"):
        del group["lr"]
    assert isinstance(group, ParamGroup)
    assert copy.deepcopy(group) == dict(group)  # a plain dict copy, detached from the optimizer


# ---------------------------------------------------------------------- add_param_group


def test_add_param_group_takes_the_defaults_and_new_parameters_only() -> None:
    a, b, c = leaf(), leaf(), leaf()
    opt = optim.SGD([a], lr=0.1, momentum=0.5)
    opt.add_param_group({"params": [b], "lr": 0.01})
    assert opt.param_groups[1]["momentum"] == 0.5 and opt.param_groups[1]["lr"] == 0.01
    assert opt.params == [a, b]
    before = [dict(g) for g in opt.param_groups]
    bad_groups: list[tuple[Any, type[Exception], str]] = [
        ({"params": [c, a]}, ValueError, r"params\[1\] is already optimized .*opt.params\[0\]"),
        ({"params": [c], "lr": 0.0}, ValueError, "param group 2: SGD: lr must be > 0"),
        ({"params": [c], "wd": 0.1}, TypeError, r"unknown keys \['wd'\]"),
        ({"params": {c}}, TypeError, "must be ordered"),
        ({"lr": 0.1}, TypeError, "a dict with 'params'"),
        ({"params": [c, c]}, ValueError, r"params\[1\] is the same tensor as params\[0\]"),
        ({"params": [c * 2]}, ValueError, "not a leaf"),
        ({"params": 3}, TypeError, "must be a list of tensors, got int"),
    ]
    for group, error, match in bad_groups:
        with pytest.raises(error, match=match):
            opt.add_param_group(group)
    assert [dict(g) for g in opt.param_groups] == before and opt.params == [a, b]


def test_constructor_refuses_mixed_or_unordered_params() -> None:
    a, b = leaf(), leaf()
    with pytest.raises(TypeError, match="mixes tensors and group dicts"):
        optim.SGD([a, {"params": [b]}], lr=0.1)
    with pytest.raises(TypeError, match="ordered iterable"):
        optim.SGD({a, b}, lr=0.1)
    with pytest.raises(ValueError, match=r"param group 1: params\[0\] is already optimized"):
        optim.SGD([{"params": [a]}, {"params": [a]}], lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([{"params": []}], lr=0.1)


# ---------------------------------------------------------------------- state dicts


def grouped_sgd() -> tuple[list[Tensor], optim.SGD]:
    rng = np.random.default_rng(0)
    ps = [Tensor(rng.standard_normal(s), requires_grad=True) for s in ((2, 3), (3,), (1, 1))]
    opt = optim.SGD(
        [{"params": ps[:2], "weight_decay": 0.1}, {"params": ps[2:], "lr": 0.01}],
        lr=0.2,
        momentum=0.9,
    )
    return ps, opt


@pytest.mark.parametrize("through_disk", [False, True])
def test_grouped_state_dict_round_trip_continues_identically(
    through_disk: bool, tmp_path: Any
) -> None:
    rng = np.random.default_rng(1)
    a, opt_a = grouped_sgd()
    grads = [[rng.standard_normal(p.shape) for p in a] for _ in range(6)]
    for gs in grads[:3]:
        set_grads(a, gs)
        opt_a.step()
    sd = opt_a.state_dict()
    assert sd["param_groups.1.lr"] == 0.01 and sd["param_groups.0.weight_decay"] == 0.1
    np.testing.assert_array_equal(sd["param_groups.0.params"], [0, 1])
    np.testing.assert_array_equal(sd["param_groups.1.params"], [2])
    assert "lr" not in sd
    if through_disk:
        save(sd, tmp_path / "opt.npz")
        sd = load(tmp_path / "opt.npz")  # type: ignore[assignment]
    b = [Tensor(p.data.copy(), requires_grad=True) for p in a]
    opt_b = optim.SGD([{"params": b[:2]}, {"params": b[2:]}], lr=1.0)
    opt_b.load_state_dict(sd)
    assert [dict(g, params=None) for g in opt_b.param_groups] == [
        dict(g, params=None) for g in opt_a.param_groups
    ]
    for gs in grads[3:]:
        set_grads(a, gs)
        set_grads(b, gs)
        opt_a.step()
        opt_b.step()
    for p, q in zip(a, b, strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_a_state_dict_with_other_groups_is_refused_and_changes_nothing() -> None:
    ps, opt = grouped_sgd()
    set_grads(ps, [np.ones(p.shape) for p in ps])
    opt.step()
    sd = opt.state_dict()
    before = ([dict(g) for g in opt.param_groups], copy.deepcopy(opt.state))

    def unchanged() -> None:
        assert [dict(g) for g in opt.param_groups] == before[0]
        for i, saved in before[1].items():
            np.testing.assert_array_equal(opt.state[i]["momentum_buffer"], saved["momentum_buffer"])

    cases: list[tuple[dict[str, Any], str]] = [
        (
            dict(sd, **{"param_groups.0.params": np.array([0]), "param_groups.1.params": [1, 2]}),
            r"param group 0: params \[0\] in the state dict, but the optimizer's group holds "
            r"parameters \[0, 1\]",
        ),
        (
            {k: v for k, v in sd.items() if not k.startswith("param_groups.1.")},
            r"the state dict has 1 parameter group\(s\), the optimizer 2",
        ),
        (dict(sd, **{"param_groups.1.lr": -2.0}), "param group 1: SGD: lr must be > 0"),
        (
            {k: v for k, v in sd.items() if k != "param_groups.1.momentum"},
            r"missing keys \['param_groups.1.momentum'\]",
        ),
        (dict(sd, lr=0.1), r"unexpected keys \['lr'\]"),
    ]
    for bad, match in cases:
        with pytest.raises(ValueError, match=match):
            opt.load_state_dict(bad)
        unchanged()
    single = optim.SGD([leaf()], lr=0.1).state_dict()
    with pytest.raises(ValueError, match=r"1 parameter group\(s\), the optimizer 2"):
        opt.load_state_dict(single)
    unchanged()


def test_a_state_dict_saved_before_dampening_existed_still_loads() -> None:
    w = leaf(2)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    old = {"lr": 0.3, "momentum": 0.5, "weight_decay": 0.0, "nesterov": False}
    opt.load_state_dict(old)
    assert (opt.lr, opt.momentum, opt.dampening, opt.zero_init_buffer) == (0.3, 0.5, 0.0, False)


def test_a_zero_lr_left_by_a_scheduler_round_trips() -> None:
    opt = optim.SGD([leaf()], lr=0.1)
    optim.lr_scheduler.LambdaLR(opt, lambda epoch: 0.0)
    assert opt.lr == 0.0
    other = optim.SGD([leaf()], lr=0.1)
    other.load_state_dict(opt.state_dict())
    assert other.lr == 0.0


def test_repr_of_several_groups() -> None:
    opt = optim.Adam([{"params": [leaf()]}, {"params": [leaf(), leaf()], "lr": 0.1}], lr=0.01)
    assert repr(opt) == (
        "Adam(3 parameters in 2 groups: {lr=0.01, betas=(0.9, 0.999), eps=1e-08, "
        "weight_decay=0.0}, {lr=0.1, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0})"
    )
