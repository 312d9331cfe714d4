"""Optimizers that update Parameters in place from their gradients, and LR schedulers."""

from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .param_group import ParamGroup
from .sgd import SGD

__all__ = ["Adam", "AdamW", "Optimizer", "ParamGroup", "SGD", "lr_scheduler"]
