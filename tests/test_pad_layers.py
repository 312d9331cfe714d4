"""The padding layers: values against np.pad, gradients, widths, reprs and refusals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tinygrad_lite import Tensor, nn
from tinygrad_lite.gradcheck import gradcheck
from tinygrad_lite.pad_layers import padding_widths

X3 = np.arange(2 * 3 * 4, dtype=np.float64).reshape(2, 3, 4) ** 1.5 / 7
X4 = np.linspace(-2, 3, 2 * 2 * 3 * 4).reshape(2, 2, 3, 4) ** 2

NUMPY_MODE = {"Zero": "constant", "Constant": "constant"}
NUMPY_MODE |= {"Reflection": "reflect", "Replication": "edge", "Circular": "wrap"}


def crop(x: np.ndarray, per_axis: list[tuple[int, int]]) -> np.ndarray:
    """x without the elements that negative widths remove."""
    return x[
        tuple(
            slice(max(-lo, 0), n - max(-hi, 0))
            for (lo, hi), n in zip(per_axis, x.shape, strict=True)
        )
    ]


def reference(x: np.ndarray, widths: tuple[int, ...], mode: str, value: float) -> np.ndarray:
    """np.pad with PyTorch's width order (last dim first); negative widths crop."""
    per_axis = [(0, 0)] * x.ndim
    for k in range(len(widths) // 2):
        per_axis[x.ndim - 1 - k] = (widths[2 * k], widths[2 * k + 1])
    grow = [(max(lo, 0), max(hi, 0)) for lo, hi in per_axis]
    kw = {"constant_values": value} if mode == "constant" else {}
    if mode == "wrap":  # PyTorch crops before it wraps
        return np.pad(crop(x, per_axis), grow, mode=mode)
    return crop(np.pad(x, grow, mode=mode, **kw), per_axis)  # type: ignore[call-overload]


CASES = [
    ("ZeroPad1d", (), X3, 2),
    ("ZeroPad1d", (), X3, (0, -2)),
    ("ConstantPad1d", (-1.5,), X3, (3, 1)),
    ("ReflectionPad1d", (), X3, (3, 1)),
    ("ReflectionPad1d", (), X3[0], (-1, 2)),
    ("ReplicationPad1d", (), X3, (5, 0)),
    ("CircularPad1d", (), X3, (4, 2)),
    ("CircularPad1d", (), X3, (-1, 3)),
    ("ZeroPad2d", (), X4, (1, 0, 2, 1)),
    ("ConstantPad2d", (7.0,), X4[0], 1),
    ("ReflectionPad2d", (), X4, (3, 1, 2, 0)),
    ("ReplicationPad2d", (), X4, (0, 4, 3, 1)),
    ("CircularPad2d", (), X4, (2, 4, 3, 1)),
    ("CircularPad2d", (), X4[0], (-1, 1, 1, -2)),
]


@pytest.mark.parametrize(("name", "extra", "x", "padding"), CASES)
def test_padding_layers_compute_what_np_pad_computes(
    name: str, extra: tuple[Any, ...], x: np.ndarray, padding: Any
) -> None:
    layer = getattr(nn, name)(padding, *extra)
    dims = 1 if name.endswith("1d") else 2
    widths = (padding,) * 2 * dims if isinstance(padding, int) else padding
    mode = NUMPY_MODE[name.split("Pad")[0]]
    expected = reference(x, widths, mode, extra[0] if extra else 0.0)
    np.testing.assert_array_equal(layer(x).data, expected)


@pytest.mark.parametrize(
    "name", ["ReflectionPad1d", "ReplicationPad2d", "CircularPad2d", "ZeroPad2d"]
)
def test_padding_gradients_accumulate_where_the_border_was_read(name: str) -> None:
    layer = getattr(nn, name)(1)
    x = Tensor(np.random.default_rng(0).standard_normal((1, 2, 3)), requires_grad=True)
    assert gradcheck(layer, x)
    layer(x).sum().backward()
    read = x.size if name.startswith("Zero") else layer(x).size  # a zero reads no element
    assert x.grad is not None and x.grad.data.sum() == read


def test_widths_reprs_and_attributes_are_pytorchs() -> None:
    assert nn.ZeroPad2d(1).padding == (1, 1, 1, 1) and nn.ZeroPad2d(1).value == 0.0
    assert nn.ReflectionPad1d([2, 3]).padding == (2, 3)
    assert repr(nn.ZeroPad1d(np.int64(2))) == "ZeroPad1d((2, 2))"
    assert repr(nn.ConstantPad2d((1, 2, 0, 1), 0.5)) == (
        "ConstantPad2d(padding=(1, 2, 0, 1), value=0.5)"
    )
    assert repr(nn.CircularPad1d(1)) == "CircularPad1d((1, 1))"
    assert nn.ReplicationPad2d(1).state_dict() == {}
    assert padding_widths("ZeroPad1d", (3, -1), 1) == (3, -1)


def test_every_new_layer_is_exported_from_nn() -> None:
    from tinygrad_lite import extra_layers, pad_layers, param_lists, shuffle_layers

    for module in (pad_layers, shuffle_layers, extra_layers, param_lists):
        for name in module.__all__:
            if name[0].isupper():
                assert getattr(nn, name) is getattr(module, name) and name in nn.__all__


def test_integer_inputs_keep_their_dtype() -> None:
    y = nn.ConstantPad1d(1, 7)(np.arange(3).reshape(1, 3))
    assert y.dtype == np.int64 and y.data.tolist() == [[7, 0, 1, 2, 7]]
    assert nn.ReplicationPad1d(1)(np.arange(2).reshape(1, 2)).data.tolist() == [[0, 0, 1, 1]]


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: nn.ZeroPad1d((1, 2, 3)), ValueError, r"ZeroPad1d: padding must be an int or 2"),
        (lambda: nn.ZeroPad2d((1, 2)), ValueError, r"ZeroPad2d: padding must be an int or 4"),
        (lambda: nn.ReflectionPad1d(1.5), TypeError, r"padding must be an int or a tuple"),
        (lambda: nn.ReplicationPad1d((1, 2.0)), TypeError, r"padding must hold ints"),
        (lambda: nn.CircularPad2d(True), TypeError, r"CircularPad2d: padding must be an int"),
        (lambda: nn.ConstantPad1d(1, "a"), TypeError, r"value must be a real number"),
        (lambda: nn.ReflectionPad1d(4)(X3), ValueError, r"must be smaller than dimension 2"),
        (lambda: nn.CircularPad1d(5)(X3), ValueError, r"at most the 4 elements"),
        (
            lambda: nn.ReflectionPad1d(1)(np.zeros(4)),
            ValueError,
            r"ReflectionPad1d: expected a 2-D",
        ),
        (lambda: nn.ReplicationPad2d(1)(X4[None]), ValueError, r"expected a 3-D or 4-D input"),
        (lambda: nn.ZeroPad2d(1)(np.zeros(3)), ValueError, r"pads the last 2 dimension"),
        (lambda: nn.ConstantPad1d(1, 2.5)(np.arange(3)), ValueError, r"does not fit"),
    ],
)
def test_refusals_name_the_problem(make: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        make()
