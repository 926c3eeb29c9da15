"""Optimizers with ``torch.optim``'s names, arguments and semantics, each a readable rule.

Every optimizer's math is a plain elementwise function beside its class
(``sgd_rule``, ``adam_rule``, ...), written like the paper's pseudo-code;
the class gathers hyper-parameters and state and hands the rule to an
executor from ``tinyopt.kernels``. ``param_groups`` builds the usual
parameter-group lists (no weight decay on biases and norms, layer-wise
learning-rate decay, backbone/head learning rates).
"""
from . import param_groups
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .nadam import NAdam
from .optimizer import Optimizer
from .param_groups import backbone_head_groups, layerwise_lr_decay_groups, weight_decay_groups
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax",
           "NAdam", "RAdam", "Rprop", "ASGD", "param_groups", "weight_decay_groups",
           "layerwise_lr_decay_groups", "backbone_head_groups"]
