"""Neural-network building blocks with PyTorch's names: Module, Parameter, layers, losses."""
from . import functional, init
from .module import Module
from .parameter import Parameter
