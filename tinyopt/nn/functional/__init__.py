"""``tinyopt.nn.functional``: the stateless functions behind the layers (PyTorch's names)."""
from ...autograd.ops.elementwise import clip as clamp
from ...autograd.ops.shape import pad
from .activation import (dropout, gelu, log_softmax, logsumexp, relu, sigmoid, softmax,
                         softplus, tanh)
from .layers import batch_norm, conv2d, embedding, layer_norm, linear
from .loss import (binary_cross_entropy_with_logits, cross_entropy, huber_loss, mse_loss,
                   nll_loss)
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d

__all__ = ["clamp", "pad", "dropout", "gelu", "log_softmax", "logsumexp", "relu", "sigmoid",
           "softmax", "softplus", "tanh", "batch_norm", "conv2d", "embedding", "layer_norm",
           "linear", "max_pool2d", "binary_cross_entropy_with_logits", "cross_entropy",
           "huber_loss", "mse_loss", "nll_loss", "adaptive_avg_pool2d", "avg_pool2d"]
