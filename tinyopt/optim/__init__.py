"""Optimizers with ``torch.optim``'s names, arguments and semantics, each a readable rule.

Every optimizer's math is a plain elementwise function beside its class
(``sgd_rule``, ``adam_rule``, ...), written like the paper's pseudo-code;
the class gathers hyper-parameters and state and hands the rule to an
executor from ``tinyopt.kernels``. ``param_groups`` builds the usual
parameter-group lists (no weight decay on biases and norms, layer-wise
learning-rate decay, backbone/head learning rates).

Where PyTorch keeps the rest, so does tinyopt: gradient clipping in
``tinyopt.nn.utils``, ``GradScaler`` and ``autocast`` in ``tinyopt.amp``,
SWA/EMA in ``tinyopt.optim.swa_utils``. An optimizer of your own: subclass
``Optimizer`` either the PyTorch way (``__init__(params, defaults)`` and a
``step()`` over ``self.param_groups``) or tinyopt's way (``_init_state`` and
``_prepare_update`` returning a rule the executors compile).
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
from . import lr_scheduler, swa_utils
from .lr_finder import LRFinder
from .swa_utils import EMA, AveragedModel, update_bn

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax",
           "NAdam", "RAdam", "Rprop", "ASGD", "param_groups", "weight_decay_groups",
           "layerwise_lr_decay_groups", "backbone_head_groups"]
__all__ += ["lr_scheduler", "swa_utils", "LRFinder", "EMA", "AveragedModel", "update_bn"]
from .adafactor import Adafactor
from .eight_bit import Adam8bit, AdamW8bit, Lion8bit
from .lamb import LAMB
from .lars import LARS
from .lion import Lion
from .state_memory import state_bytes

__all__ += ["LAMB", "LARS", "Adafactor", "Lion", "Adam8bit", "AdamW8bit", "Lion8bit",
            "state_bytes"]
from .sam import SAM, frozen_running_stats

__all__ += ["SAM", "frozen_running_stats"]
from .lookahead import Lookahead

__all__ += ["Lookahead"]
from .schedule_free import AdamWScheduleFree, SGDScheduleFree

__all__ += ["SGDScheduleFree", "AdamWScheduleFree"]
from .muon import Muon, muon_param_groups

__all__ += ["Muon", "muon_param_groups"]
from .adopt import ADOPT

__all__ += ["ADOPT"]
from .prodigy import Prodigy

__all__ += ["Prodigy"]
from .sophia import SophiaG, SophiaH, sample_labels

__all__ += ["SophiaG", "SophiaH", "sample_labels"]
from .adahessian import AdaHessian

__all__ += ["AdaHessian"]
from .soap import SOAP

__all__ += ["SOAP"]
