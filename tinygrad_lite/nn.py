"""Neural-network building blocks as in PyTorch's `nn`: Module, Parameter, containers, layers.

The names live in `module` (Parameter, Module), `containers` (Sequential, ModuleList,
ModuleDict), `layers` (Linear, Identity, Flatten, Dropout and the losses), `activations`
(ReLU, Tanh, Sigmoid, GELU, SiLU, ELU, Softmax, ...), `act_layers` (Hardswish, Mish, SELU,
PReLU, ...), `norm_layers` (LayerNorm, BatchNorm1d/2d, Embedding), `group_layers` (GroupNorm,
InstanceNorm1d/2d), `more_layers` (Unflatten, Dropout1d/2d), `conv_layers` (Conv1d/2d and the
pools), `sample_layers` (AdaptiveMaxPool1d/2d, Upsample), `recurrent` (RNNCell, LSTMCell,
GRUCell), `rnn_layers` (RNN, LSTM, GRU), `dist_layers` (CosineSimilarity, PairwiseDistance,
KLDivLoss), `l1_loss_layers` (L1Loss, HuberLoss, SmoothL1Loss), `attn_layers`
(MultiheadAttention), `transformer` (TransformerEncoderLayer, TransformerEncoder) and
`decoder_layers` (TransformerDecoderLayer, TransformerDecoder, Transformer); this module
gathers them, with `nn.init` and `nn.utils`, so that `nn.Linear`, `nn.Tanh`,
`nn.Softmax(dim=1)` and `nn.CrossEntropyLoss()` read as they do in PyTorch.
"""

from __future__ import annotations

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
from .decoder_layers import Transformer, TransformerDecoder, TransformerDecoderLayer
from .dist_layers import CosineSimilarity, KLDivLoss, PairwiseDistance
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
from .module import IncompatibleKeys, Module, Parameter
from .more_layers import Dropout1d, Dropout2d, Unflatten
from .norm_layers import BatchNorm1d, BatchNorm2d, Embedding, LayerNorm
from .recurrent import GRUCell, LSTMCell, RNNCell
from .rnn_layers import GRU, LSTM, RNN
from .sample_layers import AdaptiveMaxPool1d, AdaptiveMaxPool2d, Upsample
from .transformer import TransformerEncoder, TransformerEncoderLayer

__all__ = [
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
    "CELU",
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
    "RNN",
    "RNNCell",
    "ReLU",
    "ReLU6",
    "SELU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "SmoothL1Loss",
    "Softmax",
    "Softplus",
    "Softshrink",
    "Softsign",
    "Tanh",
    "Tanhshrink",
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "Unflatten",
    "Upsample",
    "init",
    "utils",
]
