"""Neural-network building blocks with PyTorch's names: Module, Parameter, layers, losses."""
from . import functional, init, utils
from .activation import GELU, Dropout, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from .attention import CausalSelfAttention, TransformerBlock
from .container import ModuleList, Sequential
from .conv import Conv2d, Flatten
from .linear import Embedding, Identity, Linear
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, MSELoss, NLLLoss
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .parameter import Parameter
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .recurrent import LSTM, RNN

__all__ = ["functional", "init", "utils", "GELU", "Dropout", "LogSoftmax", "ReLU", "Sigmoid", "Softmax",
           "Softplus", "Tanh", "CausalSelfAttention", "TransformerBlock", "ModuleList",
           "Sequential", "Conv2d", "Flatten", "MaxPool2d", "Embedding", "Identity", "Linear",
           "BCEWithLogitsLoss", "CrossEntropyLoss", "HuberLoss", "MSELoss", "NLLLoss", "Module",
           "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Parameter", "AdaptiveAvgPool2d",
           "AvgPool2d", "LSTM", "RNN"]
