"""Optimizers that update Parameters in place from their gradients, and LR schedulers."""

from . import lr_scheduler
from .adam import Adam, AdamW
from .adaptive import Adagrad, RMSprop
from .optimizer import Optimizer
from .param_group import ParamGroup
from .sgd import SGD

__all__ = ["Adagrad", "Adam", "AdamW", "Optimizer", "ParamGroup", "RMSprop", "SGD", "lr_scheduler"]
