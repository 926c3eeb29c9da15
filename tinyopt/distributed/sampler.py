r"""``DistributedSampler``: each rank reads its own equal share of the dataset (PyTorch's).

With n samples and N ranks, each epoch's order (shuffled with a generator
seeded by ``seed + epoch``, so every rank draws the same permutation) is
made a multiple of N long, then dealt out like cards::

    drop_last=False:  pad by repeating the order's first samples,
                      each rank gets ⌈n/N⌉ indices
    drop_last=True:   drop the tail, each rank gets ⌊n/N⌋ indices
    rank r reads      order[r], order[r + N], order[r + 2N], ...

so the ranks together see every sample once per epoch (plus a few repeats
when padding), and all take the same number of steps. Call
``sampler.set_epoch(epoch)`` before each epoch, or every epoch repeats the
same order.

The permutation comes from NumPy's generator (``default_rng(seed +
epoch)``), not PyTorch's: the semantics match, the orders do not.

Example::

    >>> sampler = DistributedSampler(dataset, seed=0)
    >>> loader = DataLoader(dataset, batch_size=32, sampler=sampler)
    >>> for epoch in range(10):
    ...     sampler.set_epoch(epoch)
    ...     for x, y in loader: ...
"""
import math

import numpy

from . import collectives


class DistributedSampler:
    """Indices of rank ``rank``'s share of ``dataset`` for the current epoch.

    Args:
        dataset: anything with ``__len__``.
        num_replicas: the number of ranks (default ``world_size()``).
        rank: this rank, in [0, num_replicas) (default ``rank()``).
        shuffle: a new permutation every epoch (default True).
        seed: the shuffle's seed, the same on every rank (default 0).
        drop_last: drop the tail instead of padding (default False).
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if not hasattr(dataset, "__len__"):
            raise TypeError(f"dataset must define __len__, got {type(dataset).__name__}")
        collectives.init()
        num_replicas = collectives.world_size() if num_replicas is None else num_replicas
        rank = collectives.rank() if rank is None else rank
        if isinstance(num_replicas, bool) or not isinstance(num_replicas, int) \
                or num_replicas < 1:
            raise ValueError(f"num_replicas must be a positive integer, got {num_replicas!r}")
        if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank!r}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(flag, bool):
                raise ValueError(f"{name} must be True or False, got {flag!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        self.epoch = 0
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def set_epoch(self, epoch):
        """Use epoch ``epoch``'s permutation from now on (call it before each epoch)."""
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise ValueError(f"epoch must be a non-negative integer, got {epoch!r}")
        self.epoch = epoch

    def __len__(self):
        return self.num_samples

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            order = numpy.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = numpy.arange(n)
        if self.drop_last:
            order = order[:self.total_size]
        elif self.total_size > n:
            repeats = math.ceil((self.total_size - n) / n)
            order = numpy.concatenate([order] + [order] * repeats)[:self.total_size]
        return iter(order[self.rank:self.total_size:self.num_replicas].tolist())
