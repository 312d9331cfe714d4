"""Neural-network building blocks as in PyTorch's `nn`: Module, Parameter, containers, layers.

The names live in `module` (Parameter, Module), `containers` (Sequential, ModuleList,
ModuleDict), `layers` (Linear, Identity, Flatten, Dropout and the losses), `activations`
(ReLU, Tanh, Sigmoid, GELU, SiLU, ELU, Softmax, ...), `norm_layers` (LayerNorm, BatchNorm1d/2d,
Embedding), `conv_layers` (Conv1d/2d and the pools), `recurrent` (RNN, LSTM, GRU and their
cells), `dist_layers` (CosineSimilarity, PairwiseDistance, KLDivLoss) and `l1_loss_layers`
(L1Loss, HuberLoss, SmoothL1Loss); this module gathers them, with `nn.init` and `nn.utils`, so
that `nn.Linear`, `nn.Tanh`, `nn.Softmax(dim=1)` and `nn.CrossEntropyLoss()` read as they do in
PyTorch.
"""

from __future__ import annotations

from . import init as init
from . import nn_utils as utils
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
from .dist_layers import CosineSimilarity, KLDivLoss, PairwiseDistance
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
from .norm_layers import BatchNorm1d, BatchNorm2d, Embedding, LayerNorm
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "CosineSimilarity",
    "CrossEntropyLoss",
    "Dropout",
    "ELU",
    "Embedding",
    "Flatten",
    "GELU",
    "GRU",
    "GRUCell",
    "Hardtanh",
    "HuberLoss",
    "Identity",
    "IncompatibleKeys",
    "KLDivLoss",
    "L1Loss",
    "LSTM",
    "LSTMCell",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "MaxPool1d",
    "MaxPool2d",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "PairwiseDistance",
    "Parameter",
    "RNN",
    "RNNCell",
    "ReLU",
    "ReLU6",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "SmoothL1Loss",
    "Softmax",
    "Softplus",
    "Tanh",
    "init",
    "utils",
]
