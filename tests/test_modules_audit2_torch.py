"""nn's convolutions, pools, pads and losses against PyTorch's, case by case."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tests.test_modules_audit_torch import C, Case, compare_forward, run_all  # noqa: E402

IMG, VOL = (2, 3, 5, 4), (2, 2, 4, 3, 4)
SEQ = (2, 3, 7)
IDX = np.array([[1, 0, 3], [2, 2, 0]])  # class targets for (2, 4, ...) or (2, C)
CE = (("int", (4,), 3),)
CASES_B: dict[str, list[Case]] = {
    "Conv1d": [
        C(3, 4, 3, inputs=(SEQ,)),
        C(3, 6, 2, stride=2, padding=1, dilation=2, groups=3, bias=False, inputs=(SEQ,)),
        C(3, 2, 3, padding="same", padding_mode="reflect", inputs=((3, 7),)),
        C(3, 2, 2, padding=2, padding_mode="circular", inputs=(SEQ,)),
    ],
    "Conv2d": [
        C(3, 2, 3, inputs=(IMG,)),
        C(3, 3, (2, 3), stride=(2, 1), padding=(1, 0), groups=3, inputs=(IMG,)),
        C(3, 2, 3, padding="same", padding_mode="replicate", inputs=((3, 5, 4),)),
    ],
    "Conv3d": [C(2, 3, 2, inputs=(VOL,)), C(2, 2, 3, padding=1, bias=False, inputs=(VOL[1:],))],
    "ConvTranspose1d": [
        C(3, 2, 3, inputs=(SEQ,)),
        C(3, 6, 2, stride=2, padding=1, output_padding=1, groups=3, dilation=1, inputs=(SEQ,)),
    ],
    "ConvTranspose2d": [
        C(3, 2, 3, inputs=(IMG,)),
        C(3, 2, (2, 3), stride=2, padding=(0, 1), bias=False, inputs=((3, 5, 4),)),
    ],
    "ConvTranspose3d": [C(2, 3, 2, inputs=(VOL,)), C(2, 2, 2, stride=2, inputs=(VOL[1:],))],
    "LazyLinear": [C(2, inputs=((3, 4),))],
    "LazyConv1d": [C(2, 3, inputs=(SEQ,))],
    "LazyConv2d": [C(2, 3, inputs=(IMG,))],
    "LazyConv3d": [C(2, 2, inputs=(VOL,))],
    "LazyConvTranspose1d": [C(2, 3, inputs=(SEQ,))],
    "LazyConvTranspose2d": [C(2, 3, inputs=(IMG,))],
    "LazyConvTranspose3d": [C(2, 2, inputs=(VOL,))],
    "LazyBatchNorm1d": [C(inputs=((4, 3),))],
    "LazyBatchNorm2d": [C(inputs=(IMG,))],
    "LazyBatchNorm3d": [C(inputs=(VOL,))],
    "LazyInstanceNorm1d": [C(inputs=(SEQ,))],
    "LazyInstanceNorm2d": [C(affine=True, inputs=(IMG,))],
    "LazyInstanceNorm3d": [C(inputs=(VOL,))],
    "MaxPool1d": [C(2, inputs=(SEQ,)), C(3, 2, 1, 2, True, True, inputs=(SEQ,))],
    "MaxPool2d": [C(2, inputs=(IMG,)), C((2, 3), stride=1, padding=1, inputs=((3, 5, 4),))],
    "MaxPool3d": [C(2, inputs=(VOL,)), C(2, 1, return_indices=True, ceil_mode=True, inputs=(VOL,))],
    "AvgPool1d": [C(2, inputs=(SEQ,)), C(3, 2, 1, True, False, inputs=(SEQ,))],
    "AvgPool2d": [C(2, inputs=(IMG,)), C(3, 2, 1, True, True, 2, inputs=(IMG,))],
    "AvgPool3d": [C(2, inputs=(VOL,)), C(2, 1, 1, count_include_pad=False, inputs=(VOL[1:],))],
    "LPPool1d": [C(2, 2, inputs=(("pos", SEQ),)), C(1.5, 3, 2, True, inputs=(("pos", SEQ),))],
    "LPPool2d": [C(2, 2, inputs=(("pos", IMG),))],
    "LPPool3d": [C(2, 2, inputs=(("pos", VOL),))],
    "AdaptiveAvgPool1d": [C(3, inputs=(SEQ,)), C(7, inputs=((3, 7),))],
    "AdaptiveAvgPool2d": [C((2, 3), inputs=(IMG,)), C((None, 2), inputs=(IMG,))],
    "AdaptiveAvgPool3d": [C(2, inputs=(VOL,))],
    "AdaptiveMaxPool1d": [C(3, inputs=(SEQ,)), C(2, True, inputs=(SEQ,))],
    "AdaptiveMaxPool2d": [C((2, 3), inputs=(IMG,)), C(2, return_indices=True, inputs=(IMG,))],
    "AdaptiveMaxPool3d": [C(2, inputs=(VOL,)), C((1, 2, 2), True, inputs=(VOL,))],
    "FractionalMaxPool2d": [
        C(2, output_size=3, _random_samples=np.array([[[0.3, 0.8]] * 3] * 2), inputs=(IMG,)),
        C(2, output_ratio=0.5, return_indices=True, random=True, inputs=(IMG,), f32=False),
    ],
    "FractionalMaxPool3d": [
        C(2, output_size=(2, 1, 2), _random_samples=np.full((2, 2, 3), 0.4), inputs=(VOL,)),
    ],
    "MaxUnpool1d": [C(2, inputs=(SEQ[:2] + (3,), np.array([[[0, 3, 5]] * 3] * 2)))],
    "MaxUnpool2d": [C(2, inputs=((1, 1, 2, 2), np.array([[[[0, 3], [9, 14]]]])))],
    "MaxUnpool3d": [C(2, inputs=((1, 1, 1, 1, 1), np.array([[[[[5]]]]])))],
    "ZeroPad1d": [C(2, inputs=(SEQ,)), C((1, 0), inputs=((3, 4),))],
    "ZeroPad2d": [C(1, inputs=(IMG,)), C((1, 0, 2, -1), inputs=(IMG,))],
    "ZeroPad3d": [C(1, inputs=(VOL,))],
    "ConstantPad1d": [C(2, 3.5, inputs=(SEQ,))],
    "ConstantPad2d": [C((1, 0, 0, 2), -1.0, inputs=(IMG,))],
    "ConstantPad3d": [C(1, 0.5, inputs=(VOL,))],
    "ReflectionPad1d": [C(2, inputs=(SEQ,)), C((0, 3), inputs=((3, 7),))],
    "ReflectionPad2d": [C(1, inputs=(IMG,)), C((2, 1, 0, 3), inputs=((3, 5, 4),))],
    "ReflectionPad3d": [C(1, inputs=(VOL,))],
    "ReplicationPad1d": [C(2, inputs=(SEQ,))],
    "ReplicationPad2d": [C((1, 2, 3, 0), inputs=(IMG,))],
    "ReplicationPad3d": [C(1, inputs=(VOL,))],
    "CircularPad1d": [C(2, inputs=(SEQ,))],
    "CircularPad2d": [C((1, 2, 0, 3), inputs=(IMG,))],
    "CircularPad3d": [C(1, inputs=(VOL,))],
    "L1Loss": [C(inputs=((2, 3), (2, 3))), C(reduction="none", inputs=((3,), (3,)))],
    "MSELoss": [C(inputs=((2, 3), (2, 3))), C(reduction="sum", inputs=((2, 3), ("const", (2, 3))))],
    "HuberLoss": [C(inputs=((4, 3), (4, 3))), C("sum", 0.5, inputs=((4, 3), (4, 3)))],
    "SmoothL1Loss": [
        C(inputs=((4, 3), (4, 3))),
        C(reduction="none", beta=0.5, inputs=((4,), (4,))),
    ],
    "BCELoss": [
        C(inputs=(("prob", (2, 3)), ("probc", (2, 3)))),
        # (torch's BCELoss with a weight first imports torch._refs: 0.7 s; weights are checked
        # on BCEWithLogitsLoss, which shares the buffer code)
        C(reduction="sum", inputs=(("prob", (2, 3)), ("probc", (2, 3)))),
    ],
    "BCEWithLogitsLoss": [
        C(inputs=((2, 3), ("probc", (2, 3)))),
        C(
            np.array([[1.0, 2.0, 0.5]]),
            reduction="none",
            pos_weight=np.array([1.0, 2.0, 3.0]),
            inputs=((2, 3), ("probc", (2, 3))),
        ),
    ],
    "CrossEntropyLoss": [
        C(inputs=((4, 3), ("int", (4,), 3))),
        C(
            np.array([1.0, 2.0, 0.5]),
            ignore_index=1,
            reduction="sum",
            inputs=((4, 3), ("int", (4,), 3)),
        ),
        C(label_smoothing=0.2, inputs=((4, 3, 2), ("int", (4, 2), 3))),
        C(inputs=((3,), np.array(2))),
        C(reduction="none", inputs=((4, 3), ("prob", (4, 3)))),
    ],
    "NLLLoss": [
        C(inputs=((4, 3), ("int", (4,), 3))),
        C(np.array([1.0, 2.0, 0.5]), reduction="none", inputs=((4, 3, 2), ("int", (4, 2), 3))),
    ],
    "KLDivLoss": [
        C(inputs=((2, 3), ("probc", (2, 3)))),
        C(reduction="batchmean", log_target=True, inputs=((2, 3), (2, 3))),
    ],
    "MarginRankingLoss": [
        C(inputs=((4,), (4,), ("pm1", (4,)))),
        C(0.5, reduction="sum", inputs=((4,), (4,), ("pm1", (4,)))),
    ],
    "HingeEmbeddingLoss": [
        C(inputs=((4, 2), ("pm1", (4, 2)))),
        C(2.0, reduction="none", inputs=((4,), ("pm1", (4,)))),
    ],
    "SoftMarginLoss": [C(inputs=((4, 2), ("pm1", (4, 2))))],
    "MultiLabelSoftMarginLoss": [
        C(inputs=((4, 3), ("int", (4, 3), 2)), f32=False),  # float64 from an int64 target
        C(inputs=((4, 3), lambda r: r.integers(0, 2, (4, 3)).astype(np.float32))),
        C(
            np.array([1.0, 2.0, 3.0]),
            reduction="none",
            inputs=((4, 3), ("int", (4, 3), 2)),
            f32=False,
        ),
    ],
    "CosineEmbeddingLoss": [
        C(inputs=((4, 3), (4, 3), ("pm1", (4,)))),
        C(0.2, reduction="sum", inputs=((3,), (3,), np.array(-1.0))),
    ],
    "TripletMarginLoss": [
        C(inputs=((4, 3), (4, 3), (4, 3))),
        C(0.5, 1.0, 1e-3, True, reduction="none", inputs=((4, 3), (4, 3), (4, 3))),
    ],
    "TripletMarginWithDistanceLoss": [
        C(inputs=((4, 3), (4, 3), (4, 3))),
        C(margin=0.3, swap=True, reduction="sum", inputs=((4, 3), (4, 3), (4, 3))),
    ],
    "MultiMarginLoss": [
        C(inputs=((4, 3), ("int", (4,), 3))),
        C(2, 0.5, np.array([1.0, 2.0, 0.5]), reduction="sum", inputs=((4, 3), ("int", (4,), 3))),
    ],
    "MultiLabelMarginLoss": [C(inputs=((2, 4), np.array([[1, 0, -1, 3], [2, 2, 0, -1]])))],
    "PoissonNLLLoss": [
        C(inputs=((4, 3), ("probc", (4, 3)))),
        C(False, True, reduction="sum", inputs=(("pos", (4, 3)), ("probc", (4, 3)))),
    ],
    "GaussianNLLLoss": [
        C(inputs=((4, 3), (4, 3), ("pos", (4, 3)))),
        C(full=True, eps=1e-3, reduction="none", inputs=((4, 3), (4, 3), ("pos", (4, 1)))),
    ],
    "CTCLoss": [
        C(
            inputs=(
                lambda r: np.log(r.dirichlet(np.ones(4), (5, 2))),
                np.array([[1, 2], [3, 3]]),
                np.array([5, 4]),
                np.array([2, 1]),
            )
        ),
        C(
            blank=3,
            reduction="sum",
            zero_infinity=True,
            inputs=(
                lambda r: np.log(r.dirichlet(np.ones(4), (5, 2))),
                np.array([[1, 2], [0, 0]]),
                np.array([5, 5]),
                np.array([2, 2]),
            ),
        ),
    ],
}


@pytest.fixture(autouse=True, scope="module")
def _torch_float64() -> object:
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


@pytest.mark.parametrize("name", sorted(CASES_B))
def test_module_matches_torch(name: str) -> None:
    run_all(name, CASES_B[name])


LOSSES = sorted(n for n in CASES_B if n.endswith("Loss"))


@pytest.mark.parametrize("name", LOSSES)
def test_every_reduction_matches_torch(name: str) -> None:
    first = CASES_B[name][0]
    for reduction in ("mean", "sum", "none"):
        compare_forward(name, first._replace(kwargs={**first.kwargs, "reduction": reduction}))
