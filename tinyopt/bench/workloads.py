"""The course's four training workloads, written once for tinyopt and for PyTorch.

Each model below is code over ``T``, the library (``tinyopt`` or ``torch``):
the same lines build the same network in both, which is also a check that
tinyopt speaks PyTorch's API. The data is synthetic and fixed by a seed, so
both libraries train on identical batches.

    mlp        64-256-256-10 ReLU MLP on the 8x8 digits, SGD momentum, batch 32
    cnn        Conv(1->16,3,p1)-ReLU-MaxPool2-Conv(16->32,3,p1)-ReLU-MaxPool2-Linear(1568->64)
               -ReLU-Linear(64->10), 1,024 images 28x28, AdamW, batch 64
    lstm       LSTM(16->64, batch_first) + Linear on the last step, 1,024 sequences of 20,
               AdamW, batch 64
    attention  embedding + 2 pre-norm transformer blocks (dim 64, 4 heads, GELU MLP) + head,
               512 sequences of 32 tokens, vocabulary 64, AdamW, batch 64
"""
import math
from dataclasses import dataclass
from typing import Callable

import numpy


@dataclass
class Workload:
    """A model builder over ``T``, its data, and the optimizer and batch it trains with."""

    build: Callable
    """``build(T, hidden)`` -> a module mapping a batch of inputs to logits."""
    make_data: Callable
    """``make_data(samples)`` -> (inputs, integer targets) host arrays."""
    optimizer: str
    batch_size: int
    samples: int
    describe: str


def mlp(T, hidden=256):
    nn = T.nn
    return nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, 10))


def cnn(T, hidden=64):
    nn = T.nn
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * 7 * 7, hidden), nn.ReLU(),
                         nn.Linear(hidden, 10))


def lstm(T, hidden=64):
    class LastStep(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = T.nn.LSTM(16, hidden, batch_first=True)
            self.head = T.nn.Linear(hidden, 4)

        def forward(self, x):
            output, _ = self.lstm(x)
            return self.head(output[:, -1])
    return LastStep()


def attention(T, hidden=64, heads=4, blocks=2, vocabulary=64, length=32):
    nn = T.nn
    mask = numpy.triu(numpy.full((length, length), -1e9, dtype=numpy.float32), k=1)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm1, self.norm2 = nn.LayerNorm(hidden), nn.LayerNorm(hidden)
            self.qkv, self.proj = nn.Linear(hidden, 3 * hidden), nn.Linear(hidden, hidden)
            self.mlp = nn.Sequential(nn.Linear(hidden, 4 * hidden), nn.GELU(),
                                     nn.Linear(4 * hidden, hidden))

        def forward(self, x):
            n, t, d = x.shape
            q, k, v = self.qkv(self.norm1(x)).reshape(n, t, 3, heads, d // heads).permute(
                2, 0, 3, 1, 4)
            scores = q @ k.transpose(-2, -1) / math.sqrt(d // heads) + T.from_numpy(mask[:t, :t])
            mixed = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(n, t, d)
            x = x + self.proj(mixed)
            return x + self.mlp(self.norm2(x))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocabulary, hidden)
            self.blocks = nn.Sequential(*[Block() for _ in range(blocks)])
            self.norm, self.head = nn.LayerNorm(hidden), nn.Linear(hidden, vocabulary)

        def forward(self, tokens):
            return self.head(self.norm(self.blocks(self.embed(tokens)))).reshape(-1, vocabulary)
    return Model()


def _digits(samples):
    try:
        from ..data import load_digits
        X, y, _, _ = load_digits(test_fraction=0.2, seed=0)
        X, y = X.numpy().astype(numpy.float32), y.numpy().astype(numpy.int64)
    except ImportError:  # without scikit-learn: blobs of the same size
        from ..data import make_blobs
        X, y = make_blobs(n_samples=1437, centers=10, n_features=64, seed=0)
        X, y = X.numpy().astype(numpy.float32), y.numpy().astype(numpy.int64)
    return X[:samples], y[:samples]


def _images(samples):
    rng = numpy.random.default_rng(0)
    return (rng.standard_normal((samples, 1, 28, 28)).astype(numpy.float32),
            rng.integers(0, 10, samples))


def _sequences(samples):
    rng = numpy.random.default_rng(0)
    return rng.standard_normal((samples, 20, 16)).astype(numpy.float32), rng.integers(0, 4, samples)


def _tokens(samples):
    rng = numpy.random.default_rng(0)
    tokens = rng.integers(0, 64, (samples, 33))
    return tokens[:, :-1], tokens[:, 1:]  # next-token targets, flattened by the loss


WORKLOADS = {
    "mlp": Workload(mlp, _digits, "sgd", 32, 1437, "MLP 64-256-256-10 on the digits"),
    "cnn": Workload(cnn, _images, "adamw", 64, 1024, "CNN on 1,024 images 28x28"),
    "lstm": Workload(lstm, _sequences, "adamw", 64, 1024, "LSTM(16->64) on 1,024 sequences of 20"),
    "attention": Workload(attention, _tokens, "adamw", 64, 512,
                          "2 transformer blocks (dim 64, 4 heads) on 512 sequences of 32 tokens"),
}


def make_optimizer(T, name, params):
    """The workload's optimizer in library ``T`` (the same settings in both)."""
    if name == "sgd":
        return T.optim.SGD(params, lr=0.05, momentum=0.9)
    return T.optim.AdamW(params, lr=1e-3)
