"""ParameterList and ParameterDict: registration, state-dict names, conversions, refusals."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
import pytest

from tinygrad_lite import Tensor, nn, optim


def p(*shape: int) -> nn.Parameter:
    return nn.Parameter(np.zeros(shape))


def test_a_parameter_list_registers_its_entries_under_their_positions() -> None:
    a, b = p(2), p(3)
    params = nn.ParameterList([a, b])
    assert list(params.state_dict()) == ["0", "1"] and list(params.parameters()) == [a, b]
    assert params[0] is a and params[-1] is b and len(params) == 2 and list(params) == [a, b]
    params.append(p(1)).extend([p(4)])
    params += [p(5)]
    assert list(params.state_dict()) == ["0", "1", "2", "3", "4"]
    tail = params[3:]
    assert isinstance(tail, nn.ParameterList) and list(tail.state_dict()) == ["0", "1"]
    assert tail[0] is params[3]  # a slice shares the Parameters
    c = p(2)
    params[1] = c
    assert params[1] is c and list(params.parameters())[1] is c


def test_tensors_become_parameters_and_other_values_stay_plain_entries() -> None:
    t = Tensor(np.ones(3))
    params = nn.ParameterList([t, 5, None, np.zeros(2)])
    assert isinstance(params[0], nn.Parameter) and params[0].data is t.data
    assert params[1] == 5 and params[2] is None and isinstance(params[3], np.ndarray)
    assert list(params.state_dict()) == ["0"]
    assert repr(params) == (
        "ParameterList(\n"
        "  (0): Parameter containing: [float64 of size 3]\n"
        "  (1): Object of type: int\n"
        "  (2): Object of type: NoneType\n"
        "  (3): Object of type: ndarray\n"
        ")"
    )
    assert repr(nn.ParameterList()) == "ParameterList()"


def test_a_parameter_dict_registers_its_entries_under_their_keys() -> None:
    d = nn.ParameterDict({"b": p(2), "a": Tensor(np.ones(1)), "c": 7})
    assert list(d) == ["a", "b", "c"]  # a plain dict is added in sorted order, as PyTorch
    assert list(d.state_dict()) == ["a", "b"] and isinstance(d["a"], nn.Parameter)
    ordered = nn.ParameterDict(OrderedDict([("z", p(1)), ("y", p(1))]))
    assert list(ordered) == ["z", "y"] and list(nn.ParameterDict(ordered)) == ["z", "y"]
    assert list(nn.ParameterDict([("q", p(1)), ("p", p(1))]).state_dict()) == ["q", "p"]
    d["w"] = p(3)
    assert "w" in d and len(d) == 4 and d.keys() == ["a", "b", "c", "w"]
    assert d.get("missing", 1) == 1 and d.setdefault("n", p(1)) is d["n"]
    w = d.pop("w")
    assert w.shape == (3,) and "w" not in d and "w" not in d.state_dict()
    del d["b"]
    assert d.popitem()[0] == "n" and list(d.state_dict()) == ["a"]
    copy = d.copy()
    assert copy["a"] is d["a"] and list(copy) == ["a", "c"]
    assert [k for k, _ in d.items()] == ["a", "c"] and d.values()[1] == 7
    assert list(reversed(d)) == ["c", "a"]
    d.clear()
    assert len(d) == 0 and d.state_dict() == {}
    assert repr(nn.ParameterDict({"x": p(2, 3)})) == (
        "ParameterDict(\n  (x): Parameter containing: [float64 of size 2x3]\n)"
    )


def test_nested_containers_are_trained_and_saved_under_dotted_names() -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scales = nn.ParameterList([nn.Parameter(np.full(2, 2.0))])
            self.shifts = nn.ParameterDict({"s": nn.Parameter(np.ones(2))})

        def forward(self, x: Tensor) -> Tensor:
            return x * self.scales[0] + self.shifts["s"]

    net = Net()
    assert list(net.state_dict()) == ["scales.0", "shifts.s"]
    loss = net(Tensor(np.ones(2))).sum()
    opt = optim.SGD(net.parameters(), lr=0.5)
    loss.backward()
    opt.step()
    assert net.scales[0].data.tolist() == [1.5, 1.5] and net.shifts["s"].data.tolist() == [0.5] * 2
    restored = Net()
    restored.load_state_dict(net.state_dict())
    assert restored.scales[0].data.tolist() == [1.5, 1.5]


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: nn.ParameterList(p(2)), TypeError, r"expected an iterable of entries, got Param"),
        (lambda: nn.ParameterList([p(1)]).extend(5), TypeError, r"got int"),
        (lambda: nn.ParameterList([p(1)])[1], IndexError, r"index 1 is out of range for length"),
        (lambda: nn.ParameterList([p(1)])[-2], IndexError, r"index -2 is out of range"),
        (lambda: nn.ParameterList([p(1)])["0"], TypeError, r"indices must be ints or slices"),
        (lambda: nn.ParameterList([p(1)])(1), RuntimeError, r"ParameterList should not be called"),
        (lambda: nn.ParameterList([p(1)]).__setitem__(0, 3), TypeError, r"cannot assign int"),
        (lambda: nn.ParameterDict({1: p(1)}), TypeError, r"keys must be str, got int 1"),
        (lambda: nn.ParameterDict({"a.b": p(1)}), KeyError, r"contains a dot"),
        (lambda: nn.ParameterDict({"": p(1)}), KeyError, r"is empty"),
        (lambda: nn.ParameterDict({"keys": p(1)}), KeyError, r"'keys' is already an attribute"),
        (lambda: nn.ParameterDict({"_keys": p(1)}), KeyError, r"already an attribute"),
        (lambda: nn.ParameterDict(5), TypeError, r"expected a mapping or an iterable"),
        (lambda: nn.ParameterDict([5]), TypeError, r"element #0 must be a \(key, value\) pair"),
        (lambda: nn.ParameterDict([("a", 1, 2)]), ValueError, r"element #0 has 3 elements"),
        (lambda: nn.ParameterDict()["zz"], KeyError, r"has no key 'zz'; its keys are \[\]"),
        (lambda: nn.ParameterDict().pop("q"), KeyError, r"has no key 'q'"),
        (lambda: nn.ParameterDict().popitem(), KeyError, r"the dict is empty"),
        (lambda: nn.ParameterDict()(1), RuntimeError, r"ParameterDict should not be called"),
    ],
)
def test_refusals_name_the_problem(make: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        make()


def test_a_refused_entry_leaves_the_dict_as_it_was() -> None:
    d = nn.ParameterDict({"w": p(1)})
    with pytest.raises(TypeError, match="cannot assign int to parameter 'w'"):
        d["w"] = 3
    assert list(d) == ["w"] and isinstance(d["w"], nn.Parameter)
