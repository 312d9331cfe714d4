"""Neural-network building blocks as in PyTorch's `nn`: Module, Parameter, containers, layers.

The names live in `module` (Parameter, Module, Sequential, ModuleList) and `layers` (Linear,
the activations, Dropout and the losses); this module gathers them, with `nn.init` and
`nn.utils`, so that `nn.Linear`, `nn.Tanh`, `nn.Softmax(dim=1)` and `nn.CrossEntropyLoss()`
read as they do in PyTorch.
"""

from __future__ import annotations

from . import init as init
from . import nn_utils as utils
from .containers import ModuleList, Sequential
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

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "GELU",
    "Identity",
    "IncompatibleKeys",
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
    "Softmax",
    "Tanh",
    "init",
    "utils",
]
