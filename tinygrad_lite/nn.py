"""Neural-network building blocks as in PyTorch's `nn`: Module, Parameter, containers, layers.

The names live in `module` (Parameter, Module, Sequential, ModuleList), `layers` (Linear,
the activations, Dropout and the losses), `norm_layers` (LayerNorm, BatchNorm1d, Embedding)
and `l1_loss_layers` (L1Loss, HuberLoss, SmoothL1Loss); this module gathers them, with
`nn.init` and `nn.utils`, so that `nn.Linear`, `nn.Tanh`, `nn.Softmax(dim=1)` and
`nn.CrossEntropyLoss()` read as they do in PyTorch.
"""

from __future__ import annotations

from . import init as init
from . import nn_utils as utils
from .containers import ModuleList, Sequential
from .l1_loss_layers import HuberLoss, L1Loss, SmoothL1Loss
from .layers import (
    GELU,
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Dropout,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MSELoss,
    NLLLoss,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from .module import IncompatibleKeys, Module, Parameter
from .norm_layers import BatchNorm1d, Embedding, LayerNorm

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "CrossEntropyLoss",
    "Dropout",
    "Embedding",
    "Flatten",
    "GELU",
    "HuberLoss",
    "Identity",
    "IncompatibleKeys",
    "L1Loss",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "Module",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "SmoothL1Loss",
    "Softmax",
    "Tanh",
    "init",
    "utils",
]
