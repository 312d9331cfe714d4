"""Optimizers that update Parameters in place from their gradients, and LR schedulers."""

from . import lr_scheduler
from .adam import Adam, AdamW
from .adam_variants import Adamax, NAdam, RAdam
from .adaptive import Adagrad, RMSprop
from .classic import ASGD, Adadelta, Rprop
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .param_group import ParamGroup
from .sgd import SGD

__all__ = [
    "ASGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "LBFGS",
    "NAdam",
    "Optimizer",
    "ParamGroup",
    "RAdam",
    "RMSprop",
    "Rprop",
    "SGD",
    "lr_scheduler",
]
