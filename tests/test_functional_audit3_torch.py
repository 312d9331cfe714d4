"""Differential audit of `functional`'s convolutions, pools and resampling against PyTorch."""

# ruff: noqa: E501
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinygrad_lite import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
from tests.test_functional_audit_torch import (  # noqa: E402 - the shared harness
    T,
    check,
)

R = np.random.default_rng(2)
X1 = T(R.standard_normal((2, 4, 7)), True)
X2 = T(R.standard_normal((2, 4, 6, 5)), True)
X3 = T(R.standard_normal((1, 2, 4, 5, 4)), True)
X2F = T(X2.a.astype(np.float32), True)
W1, W2 = T(R.standard_normal((6, 2, 3)), True), T(R.standard_normal((6, 2, 3, 2)), True)
W3, B6 = T(R.standard_normal((4, 2, 2, 3, 2)), True), T(R.standard_normal(6), True)
WT1, WT2 = T(R.standard_normal((4, 3, 3)), True), T(R.standard_normal((4, 3, 2, 3)), True)
WT3 = T(R.standard_normal((2, 3, 2, 2, 3)), True)
GRID = T(R.uniform(-1.2, 1.2, (2, 3, 4, 2)), True)

CASES: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("conv1d", (X1, W1, B6), {"groups": 2}), ("conv1d", (X1, W1), {"groups": 2, "padding": "same"}),
    ("conv1d", (X1, W1), {"groups": 2, "stride": 2, "padding": 2, "dilation": 2}),
    ("conv1d", (T(X1.a[0], True), W1), {"groups": 2, "padding": "valid"}),
    ("conv1d", (X1, W1), {"groups": 2, "padding": "same", "dilation": 2}),
    ("conv1d", (X1, W1), {"groups": 2, "padding": "same", "stride": 2}),
    ("conv2d", (X2, W2, B6), {"groups": 2}), ("conv2d", (X2, W2), {"groups": 2, "padding": "same"}),
    ("conv2d", (X2, W2), {"groups": 2, "stride": (2, 1), "padding": (1, 2), "dilation": (1, 2)}),
    ("conv2d", (T(X2.a[0], True), W2), {"groups": 2}), ("conv2d", (X2, W2), {"groups": 3}),
    ("conv2d", (X2F, T(W2.a.astype(np.float32), True)), {"groups": 2}),
    ("conv3d", (X3, W3), {}), ("conv3d", (X3, W3, T(R.standard_normal(4), True)),
                               {"padding": "same", "dilation": (1, 2, 1)}),
    ("conv3d", (T(X3.a[0], True), W3), {"stride": 2, "padding": 1}),
    ("conv_transpose1d", (X1, WT1), {}), ("conv_transpose1d", (X1, T(R.standard_normal((4, 2, 3)),
     True), B6), {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2, "dilation": 2}),
    ("conv_transpose1d", (T(X1.a[0], True), WT1), {"stride": 3, "output_padding": 2}),
    ("conv_transpose2d", (X2, WT2), {}), ("conv_transpose2d", (X2, WT2),
     {"stride": (2, 3), "padding": (1, 0), "output_padding": (1, 2), "dilation": 1}),
    ("conv_transpose2d", (X2, WT2), {"stride": 2, "output_padding": 2}),
    ("conv_transpose3d", (T(X3.a[:, :, :2, :3, :2], True), WT3), {"stride": 2, "padding": 1}),
    ("conv_transpose3d", (T(X3.a[0, :, :2, :3, :2], True), WT3), {}),
    ("max_pool1d", (X1, 3), {}), ("max_pool1d", (X1, 3, 2, 1, 2, True), {}),
    ("max_pool1d", (X1, 2), {"return_indices": True, "ceil_mode": True}),
    ("max_pool2d", (X2, 2), {}), ("max_pool2d", (X2, (3, 2), (2, 1), 1), {"ceil_mode": True}),
    ("max_pool2d", (X2, 2), {"dilation": 2, "return_indices": True}), ("max_pool2d", (X2F, 2), {}),
    ("max_pool2d", (T(X2.a[0], True), 3), {"padding": 2}),
    ("max_pool3d", (X3, 2), {}), ("max_pool3d", (X3, 2, 1, 1), {"return_indices": True}),
    ("max_pool3d", (X3, 3, 2), {"ceil_mode": True}),
    ("avg_pool1d", (X1, 3), {}), ("avg_pool1d", (X1, 3, 2, 1), {"count_include_pad": False}),
    ("avg_pool1d", (X1, 2), {"ceil_mode": True}),
    ("avg_pool2d", (X2, 2), {}), ("avg_pool2d", (X2, 3, 2, 1), {"ceil_mode": True}),
    ("avg_pool2d", (X2, 3, 2, 1), {"count_include_pad": False, "ceil_mode": True}),
    ("avg_pool2d", (X2, 2), {"divisor_override": 3}), ("avg_pool2d", (X2F, 2), {}),
    ("avg_pool3d", (X3, 2), {}), ("avg_pool3d", (X3, 3, 2, 1), {"count_include_pad": False}),
    ("avg_pool3d", (X3, 2), {"divisor_override": 5, "ceil_mode": True}),
    ("lp_pool1d", (X1, 2.0, 3), {}), ("lp_pool1d", (X1, 1.5, 2, 1), {"ceil_mode": True}),
    ("lp_pool2d", (X2, 2.0, 2), {}), ("lp_pool2d", (X2, 3, (2, 3), 1), {}),
    ("lp_pool3d", (X3, 2.0, 2), {}), ("lp_pool3d", (X3, 1, 2), {}),
    ("adaptive_avg_pool1d", (X1, 3), {}), ("adaptive_avg_pool1d", (X1, 7), {}),
    ("adaptive_avg_pool2d", (X2, (4, 3)), {}), ("adaptive_avg_pool2d", (X2, (None, 2)), {}),
    ("adaptive_avg_pool3d", (X3, 2), {}), ("adaptive_avg_pool3d", (X3, (3, None, 1)), {}),
    ("adaptive_max_pool1d", (X1, 3), {}), ("adaptive_max_pool1d", (X1, 4, True), {}),
    ("adaptive_max_pool2d", (X2, (4, 3)), {"return_indices": True}),
    ("adaptive_max_pool3d", (X3, 2), {}), ("adaptive_max_pool3d", (X3, 3, True), {}),
    ("adaptive_max_pool1d_with_indices", (X1, 3), {}),
    ("adaptive_max_pool2d_with_indices", (X2, (2, 4)), {}),
    ("max_pool1d_with_indices", (X1, 2), {}), ("max_pool2d_with_indices", (X2, 2, 1), {}),
    ("pad", (X2, (1, 2)), {}), ("pad", (X2, (1, 2, 0, 3)), {"value": 2.5}),
    ("pad", (X2, (-1, 2, 1, -2)), {}), ("pad", (X2, (1, 2, 2, 1, 1, 0, 0, 1)), {}),
    ("pad", (X1, (2, 3)), {"mode": "reflect"}), ("pad", (X2, (2, 3, 1, 0)), {"mode": "reflect"}),
    ("pad", (X1, (2, 3)), {"mode": "replicate"}), ("pad", (X2, (2, 3, 1, 4)), {"mode": "circular"}),
    ("pad", (X3, (1, 1, 2, 0, 1, 2)), {"mode": "replicate"}),
    ("pad", (X3, (1, 1, 2, 0, 1, 2)), {"mode": "reflect"}),
    ("pad", (X2, (-1, 2, 1, -2)), {"mode": "circular"}), ("pad", (X1, (7, 0)), {"mode": "reflect"}),
    ("pad", (T(X1.a[0], True), (2, 1)), {"mode": "replicate"}),
    ("pad", (T(np.arange(6).reshape(2, 3)), (1, 1)), {"value": 7}),
    ("pad", (X2F, (1, 1)), {"mode": "reflect"}),
    ("unfold", (X2, 2), {}), ("unfold", (X2, (2, 3)), {"dilation": (2, 1), "padding": 1, "stride": 2}),
    ("unfold", (T(X2.a[0], True), 2), {}),
    ("fold", (T(R.standard_normal((2, 8, 12)), True), (4, 5), 2), {}),
    ("fold", (T(R.standard_normal((2, 12, 6)), True), (5, 6), (2, 3)), {"stride": 2, "padding": 1}),
    ("fold", (T(R.standard_normal((8, 12)), True), (4, 5), 2), {}),
    ("pixel_shuffle", (X2, 2), {}), ("pixel_unshuffle", (T(R.standard_normal((2, 2, 4, 6)), True),
                                                        2), {}),
    ("pixel_shuffle", (T(X2.a[0], True), 2), {}), ("pixel_shuffle", (X2, 3), {}),
    ("channel_shuffle", (X2, 2), {}), ("channel_shuffle", (X1, 4), {}),
    ("max_unpool1d", (T(R.standard_normal((1, 2, 3)), True), T([[[0, 3, 4], [1, 2, 5]]]), 2), {}),
    ("max_unpool2d", (T(R.standard_normal((1, 1, 2, 2)), True), T([[[[0, 3], [9, 15]]]]), 2), {}),
    ("max_unpool2d", (T(R.standard_normal((1, 1, 2, 2)), True), T([[[[0, 3], [9, 15]]]]), 2),
     {"output_size": (5, 5)}),
    ("max_unpool3d", (T(R.standard_normal((1, 1, 1, 1, 2)), True), T([[[[[0, 7]]]]]), 2), {}),
    ("grid_sample", (X2, GRID), {"align_corners": False}),
    ("grid_sample", (X2, GRID), {"mode": "nearest", "padding_mode": "border", "align_corners": True}),
    ("grid_sample", (X2, GRID), {"mode": "bicubic", "padding_mode": "reflection",
                                 "align_corners": False}),
    ("grid_sample", (X3, T(R.uniform(-1, 1, (1, 2, 3, 2, 3)), True)), {"align_corners": True}),
    ("grid_sample", (X2, T(R.uniform(-1, 1, (2, 3)))), {}),
    ("affine_grid", (T(R.standard_normal((2, 2, 3)), True), (2, 3, 4, 5)), {"align_corners": False}),
    ("affine_grid", (T(R.standard_normal((1, 3, 4)), True), (1, 1, 2, 3, 2)), {"align_corners": True}),
    ("interpolate", (X1,), {"scale_factor": 2.0}), ("interpolate", (X1,), {"size": 4}),
    ("interpolate", (X1,), {"size": 9, "mode": "linear", "align_corners": True}),
    ("interpolate", (X1,), {"scale_factor": 1.7, "mode": "linear"}),
    ("interpolate", (X2,), {"size": (3, 8), "mode": "bilinear"}),
    ("interpolate", (X2,), {"scale_factor": (1.5, 0.6), "mode": "bicubic", "align_corners": True}),
    ("interpolate", (X2,), {"scale_factor": 1.3, "mode": "bilinear",
                            "recompute_scale_factor": True}),
    ("interpolate", (X2,), {"scale_factor": 2.5, "mode": "nearest-exact"}),
    ("interpolate", (X2,), {"size": (4, 3), "mode": "area"}),
    ("interpolate", (X3,), {"size": (3, 6, 2), "mode": "trilinear"}),
    ("interpolate", (X3,), {"scale_factor": 0.7, "mode": "nearest"}),
    ("interpolate", (X2F,), {"scale_factor": 2, "mode": "bilinear"}),
    ("interpolate", (X2,), {"size": 3, "mode": "linear"}),
    ("interpolate", (X2,), {"size": 3, "scale_factor": 2.0}),
    ("upsample", (X2, None, 2), {"mode": "bilinear", "align_corners": False}),
    ("upsample_nearest", (X2,), {"size": (7, 3)}), ("upsample_bilinear", (X2,), {"scale_factor": 2}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "args", "kw"), CASES, ids=[c[0] for c in CASES])
def test_same_as_pytorch(name: str, args: tuple[Any, ...], kw: dict[str, Any]) -> None:
    """Values, dtypes, shapes, refusals and gradients as PyTorch's."""
    check(name, *args, _known="loose" if name in LOOSE else "", **kw)


LOOSE = {"grid_sample", "interpolate", "upsample", "upsample_bilinear"}  # one rounding apart


def _cases_of(stem: str) -> set[str]:
    spec = importlib.util.spec_from_file_location(f"_{stem}", Path(__file__).with_name(stem))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {c[0] for c in module.CASES + getattr(module, "RANDOM", [])}


def test_every_public_name_has_a_case() -> None:
    """Every name of `functional.__all__` is audited by one of the three files."""
    seen = {c[0] for c in CASES}
    seen |= _cases_of("test_functional_audit_torch.py") | _cases_of(
        "test_functional_audit2_torch.py"
    )
    missing = sorted(set(F.__all__) - seen)
    assert not missing, f"no audit case for {missing}"
