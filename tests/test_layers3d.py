"""The 3-D layers without torch: finite differences, shapes, state dicts and bad input."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tinygrad_lite import Tensor, gradcheck
from tinygrad_lite import layers3d as L


def test_conv3d_layer_gradients_and_state() -> None:
    layer = L.Conv3d(2, 2, (1, 2, 2), padding=1, padding_mode="reflect", seed=0)
    assert sorted(layer.state_dict()) == ["bias", "weight"]
    x = Tensor(np.random.default_rng(0).standard_normal((1, 2, 2, 3, 3)), requires_grad=True)
    assert gradcheck(lambda t: layer(t), x)
    assert layer(x).shape == (1, 2, 4, 4, 4)


def test_norms_pads_and_dropout_shapes() -> None:
    x = np.arange(2 * 2 * 2 * 2 * 3, dtype=float).reshape(2, 2, 2, 2, 3)
    y = L.BatchNorm3d(2)(x).data
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3, 4)), 0.0, atol=1e-12)
    z = L.InstanceNorm3d(2)(x[0]).data
    np.testing.assert_allclose(z.mean(axis=(1, 2, 3)), 0.0, atol=1e-12)
    assert L.ReflectionPad3d(1)(x).shape == (2, 2, 4, 4, 5)
    assert L.ConstantPad3d((1, 0, 0, 0, 0, 2), 7.0)(x).data[0, 0, -1, 0, 0] == 7.0
    drop = L.Dropout3d(1.0)
    assert L.dropout3d(x, 1.0).data.sum() == 0.0 and drop(x).data.sum() == 0.0


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: L.Conv3d(2, 2, 3, stride=(1, 2, 1), padding="same"), ValueError, "strided"),
        (lambda: L.Conv3d(2, 2, 3, padding_mode="wrap"), ValueError, "padding_mode"),
        (lambda: L.ZeroPad3d((1, 2)), ValueError, "6 ints"),
        (lambda: L.ReflectionPad3d("1"), TypeError, "6 ints"),
        (lambda: L.ReplicationPad3d(1)(np.ones((2, 2, 2))), ValueError, "4-D or 5-D"),
        (lambda: L.ReflectionPad3d(2)(np.ones((1, 2, 2, 2))), ValueError, "reflect widths"),
        (lambda: L.BatchNorm3d(2)(np.ones((2, 2, 2, 2))), ValueError, "5D"),
        (lambda: L.InstanceNorm3d(2)(np.ones((2, 2, 2))), ValueError, "4D or 5D"),
        (lambda: L.dropout3d(np.ones((2, 2, 2)), 0.5), ValueError, "4D (C, D, H, W)"),
        (lambda: L.dropout3d(np.ones((2, 2, 2, 2)), 1.5), ValueError, "probability"),
    ],
)
def test_bad_input_is_refused_clearly(call, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=re.escape(message)):
        call()
