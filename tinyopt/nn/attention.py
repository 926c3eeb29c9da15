"""Causal self-attention and a pre-norm transformer block, small enough for a
character-level language model.

For input x of shape (B, T, C) and h heads of size d = C / h:

    q, k, v = split(x W_qkv^T + b_qkv)                  each (B, h, T, d)
    A = softmax(q k^T / sqrt(d) + M)                     M[i, j] = -inf for j > i
    y = concat_heads(A v) W_out^T + b_out

The mask M stops position i from attending to later positions, so the model
predicts each next character from the past only.
"""
import functools
import math

from .. import backend
from ..autograd import where
from . import functional as F
from .activation import GELU
from .container import Sequential
from .linear import Linear
from .module import Module
from .normalization import LayerNorm


@functools.lru_cache(maxsize=32)
def future_mask(steps):
    """The (steps, steps) boolean mask, True above the diagonal; built once per length
    (shared by every call, and only ever read)."""
    return backend.xp.triu(backend.xp.ones((steps, steps), dtype=bool), k=1)


class CausalSelfAttention(Module):
    """Multi-head self-attention where each position sees only itself and the past."""

    def __init__(self, embed_dim, num_heads, bias=True):
        super().__init__()
        if not isinstance(embed_dim, int) or embed_dim <= 0:
            raise ValueError(f"embed_dim must be a positive int, got {embed_dim!r}")
        if not isinstance(num_heads, int) or num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(f"num_heads must be a positive divisor of embed_dim={embed_dim}, "
                             f"got {num_heads!r}")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.qkv = Linear(embed_dim, 3 * embed_dim, bias=bias)
        self.out = Linear(embed_dim, embed_dim, bias=bias)

    def forward(self, x):
        if x.ndim != 3 or x.shape[-1] != self.embed_dim:
            raise ValueError(f"CausalSelfAttention expects (B, T, {self.embed_dim}), "
                             f"got {x.shape}")
        batch, steps, channels = x.shape
        heads, size = self.num_heads, channels // self.num_heads

        def split_heads(t):
            return t.reshape(batch, steps, heads, size).transpose(1, 2)

        qkv = self.qkv(x)
        q = split_heads(qkv[..., :channels])
        k = split_heads(qkv[..., channels:2 * channels])
        v = split_heads(qkv[..., 2 * channels:])
        scores = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(size))
        attention = F.softmax(where(future_mask(steps), float("-inf"), scores), dim=-1)
        y = (attention @ v).transpose(1, 2).reshape(batch, steps, channels)
        return self.out(y)

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"


class TransformerBlock(Module):
    """x + attention(LN(x)), then + MLP(LN(x)) with a 4x wide GELU hidden layer."""

    def __init__(self, embed_dim, num_heads):
        super().__init__()
        self.ln1 = LayerNorm(embed_dim)
        self.attention = CausalSelfAttention(embed_dim, num_heads)
        self.ln2 = LayerNorm(embed_dim)
        self.mlp = Sequential(Linear(embed_dim, 4 * embed_dim), GELU(),
                              Linear(4 * embed_dim, embed_dim))

    def forward(self, x):
        x = x + self.attention(self.ln1(x))
        return x + self.mlp(self.ln2(x))
