"""Neural-network building blocks as in PyTorch's `nn`: Module, Parameter, containers, layers.

The names live in `module` (Parameter, Module), `containers` (Sequential, ModuleList,
ModuleDict), `layers` (Linear, Identity, Flatten, Dropout and the losses), `activations` (ReLU,
Tanh, Sigmoid, GELU, SiLU, ELU, Softmax, ...), `act_layers` (Hardswish, Mish, SELU, PReLU, ...),
`norm_layers` (LayerNorm, BatchNorm1d/2d, Embedding), `group_layers` (GroupNorm,
InstanceNorm1d/2d), `more_layers` (Unflatten, Dropout1d/2d), `conv_layers` (Conv1d/2d),
`pool_layers` (MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d), `sample_layers`
(AdaptiveMaxPool1d/2d, Upsample), `recurrent` (RNNCell, LSTMCell, GRUCell), `rnn_layers` (RNN,
LSTM, GRU), `dist_layers` (CosineSimilarity, PairwiseDistance, KLDivLoss), `l1_loss_layers`
(L1Loss, HuberLoss, SmoothL1Loss), `attn_layers` (MultiheadAttention), `transformer`
(TransformerEncoderLayer, TransformerEncoder), `decoder_layers` (TransformerDecoderLayer,
TransformerDecoder, Transformer), `pad_layers` (ZeroPad1d/2d, ConstantPad1d/2d,
ReflectionPad1d/2d, ReplicationPad1d/2d, CircularPad1d/2d), `shuffle_layers` (PixelShuffle,
PixelUnshuffle, ChannelShuffle, Fold, Unfold), `extra_layers` (Softmin, Softmax2d, Threshold,
Bilinear, RMSNorm, LocalResponseNorm), `margin_layers` (MarginRankingLoss, TripletMarginLoss,
PoissonNLLLoss, GaussianNLLLoss, ...), `param_lists` (ParameterList, ParameterDict), `embed_bag`
(EmbeddingBag), `unpool` (MaxUnpool1d/2d, LPPool1d/2d), `rand_acts` (RReLU, AlphaDropout,
FeatureAlphaDropout), `layers3d` (Conv3d, the 3-D pools, norms, dropout and pads), `more_losses`
(MultiLabelMarginLoss, TripletMarginWithDistanceLoss), `fn_aliases`
(UpsamplingNearest2d/Bilinear2d), `convt3d` (ConvTranspose3d), `unpool3d` (MaxUnpool3d,
LPPool3d), `frac_pool` (FractionalMaxPool2d/3d), `ctc` (CTCLoss), `adaptive_sm`
(AdaptiveLogSoftmaxWithLoss) and `lazy`/`lazy_layers` (LazyLinear, LazyConv1d/2d/3d, ...,
UninitializedParameter); this module gathers them, with `nn.init`, `nn.utils` and
`nn.functional` (the package's `functional`), so that `nn.Linear`, `nn.Tanh`,
`nn.Softmax(dim=1)`, `nn.CrossEntropyLoss()` and `import tinygrad_lite.nn.functional as F` read
as they do in PyTorch.
"""

from __future__ import annotations

import sys

from . import functional as functional
from . import init as init
from . import nn_utils as utils
from .act_layers import (
    CELU,
    GLU,
    SELU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    LogSigmoid,
    Mish,
    PReLU,
    Softshrink,
    Softsign,
    Tanhshrink,
)
from .activations import (
    ELU,
    GELU,
    Hardtanh,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .adaptive_sm import AdaptiveLogSoftmaxWithLoss
from .attn_layers import MultiheadAttention
from .containers import ModuleDict, ModuleList, Sequential
from .conv_layers import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    Conv1d,
    Conv2d,
    ConvTranspose1d,
    ConvTranspose2d,
    MaxPool1d,
    MaxPool2d,
)
from .convt3d import ConvTranspose3d
from .ctc import CTCLoss
from .decoder_layers import Transformer, TransformerDecoder, TransformerDecoderLayer
from .dist_layers import CosineSimilarity, KLDivLoss, PairwiseDistance
from .embed_bag import EmbeddingBag
from .extra_layers import (
    Bilinear,
    LocalResponseNorm,
    RMSNorm,
    Softmax2d,
    Softmin,
    Threshold,
)
from .fn_aliases import UpsamplingBilinear2d, UpsamplingNearest2d
from .frac_pool import FractionalMaxPool2d, FractionalMaxPool3d
from .group_layers import GroupNorm, InstanceNorm1d, InstanceNorm2d
from .l1_loss_layers import HuberLoss, L1Loss, SmoothL1Loss
from .layers import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Dropout,
    Flatten,
    Identity,
    Linear,
    MSELoss,
    NLLLoss,
)
from .layers3d import (
    AdaptiveAvgPool3d,
    AdaptiveMaxPool3d,
    AvgPool3d,
    BatchNorm3d,
    CircularPad3d,
    ConstantPad3d,
    Conv3d,
    Dropout3d,
    InstanceNorm3d,
    MaxPool3d,
    ReflectionPad3d,
    ReplicationPad3d,
    ZeroPad3d,
)
from .lazy import LazyModuleMixin, UninitializedBuffer, UninitializedParameter
from .lazy_layers import (
    LazyBatchNorm1d,
    LazyBatchNorm2d,
    LazyBatchNorm3d,
    LazyConv1d,
    LazyConv2d,
    LazyConv3d,
    LazyConvTranspose1d,
    LazyConvTranspose2d,
    LazyConvTranspose3d,
    LazyInstanceNorm1d,
    LazyInstanceNorm2d,
    LazyInstanceNorm3d,
    LazyLinear,
)
from .margin_layers import (
    CosineEmbeddingLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    MarginRankingLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    PoissonNLLLoss,
    SoftMarginLoss,
    TripletMarginLoss,
)
from .module import IncompatibleKeys, Module, Parameter
from .more_layers import Dropout1d, Dropout2d, Unflatten
from .more_losses import MultiLabelMarginLoss, TripletMarginWithDistanceLoss
from .norm_layers import BatchNorm1d, BatchNorm2d, Embedding, LayerNorm
from .pad_layers import (
    CircularPad1d,
    CircularPad2d,
    ConstantPad1d,
    ConstantPad2d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReplicationPad1d,
    ReplicationPad2d,
    ZeroPad1d,
    ZeroPad2d,
)
from .param_lists import ParameterDict, ParameterList
from .rand_acts import AlphaDropout, FeatureAlphaDropout, RReLU
from .recurrent import GRUCell, LSTMCell, RNNCell
from .rnn_layers import GRU, LSTM, RNN
from .sample_layers import AdaptiveMaxPool1d, AdaptiveMaxPool2d, Upsample
from .shuffle_layers import ChannelShuffle, Fold, PixelShuffle, PixelUnshuffle, Unfold
from .transformer import TransformerEncoder, TransformerEncoderLayer
from .unpool import LPPool1d, LPPool2d, MaxUnpool1d, MaxUnpool2d
from .unpool3d import LPPool3d, MaxUnpool3d

# `from tinygrad_lite.nn.utils.rnn import pad_sequence`, `import tinygrad_lite.nn.functional as
# F`, ...: nn is a module, not a package, so its `functional`, `init`, `utils` and what `utils`
# holds are registered as its submodules.
sys.modules[f"{__name__}.functional"] = functional
sys.modules[f"{__name__}.init"] = init
sys.modules[f"{__name__}.utils"] = utils
for _name in ("parametrizations", "parametrize", "rnn", "stateless"):
    sys.modules[f"{__name__}.utils.{_name}"] = getattr(utils, _name)

__all__ = [
    "AdaptiveLogSoftmaxWithLoss",
    "CTCLoss",
    "ConvTranspose3d",
    "FractionalMaxPool2d",
    "FractionalMaxPool3d",
    "LPPool3d",
    "MaxUnpool3d",
    "LazyModuleMixin",
    "UninitializedBuffer",
    "UninitializedParameter",
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConv3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyConvTranspose3d",
    "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
    "LazyLinear",
    "MultiLabelMarginLoss",
    "TripletMarginWithDistanceLoss",
    "UpsamplingBilinear2d",
    "UpsamplingNearest2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool3d",
    "AvgPool3d",
    "BatchNorm3d",
    "CircularPad3d",
    "ConstantPad3d",
    "Conv3d",
    "Dropout3d",
    "InstanceNorm3d",
    "MaxPool3d",
    "ReflectionPad3d",
    "ReplicationPad3d",
    "ZeroPad3d",
    "AlphaDropout",
    "EmbeddingBag",
    "FeatureAlphaDropout",
    "LPPool1d",
    "LPPool2d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "RReLU",
    "MarginRankingLoss",
    "HingeEmbeddingLoss",
    "SoftMarginLoss",
    "MultiLabelSoftMarginLoss",
    "CosineEmbeddingLoss",
    "TripletMarginLoss",
    "MultiMarginLoss",
    "PoissonNLLLoss",
    "GaussianNLLLoss",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Bilinear",
    "CELU",
    "ChannelShuffle",
    "CircularPad1d",
    "CircularPad2d",
    "ConstantPad1d",
    "ConstantPad2d",
    "Conv1d",
    "Conv2d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "CosineSimilarity",
    "CrossEntropyLoss",
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "ELU",
    "Embedding",
    "Flatten",
    "Fold",
    "GELU",
    "GLU",
    "GRU",
    "GRUCell",
    "GroupNorm",
    "Hardshrink",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "HuberLoss",
    "Identity",
    "IncompatibleKeys",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "KLDivLoss",
    "L1Loss",
    "LSTM",
    "LSTMCell",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LocalResponseNorm",
    "LogSigmoid",
    "LogSoftmax",
    "MSELoss",
    "MaxPool1d",
    "MaxPool2d",
    "Mish",
    "Module",
    "ModuleDict",
    "ModuleList",
    "MultiheadAttention",
    "NLLLoss",
    "PReLU",
    "PairwiseDistance",
    "Parameter",
    "ParameterDict",
    "ParameterList",
    "PixelShuffle",
    "PixelUnshuffle",
    "RMSNorm",
    "RNN",
    "RNNCell",
    "ReLU",
    "ReLU6",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "SELU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "SmoothL1Loss",
    "Softmax",
    "Softmax2d",
    "Softmin",
    "Softplus",
    "Softshrink",
    "Softsign",
    "Tanh",
    "Tanhshrink",
    "Threshold",
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "Unflatten",
    "Unfold",
    "Upsample",
    "ZeroPad1d",
    "ZeroPad2d",
    "functional",
    "init",
    "utils",
]
