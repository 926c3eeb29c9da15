"""Data-parallel training over MPI: collectives, ``DistributedDataParallel``, ZeRO-1.

Launch N processes with ``mpiexec -n N python train.py`` (mpi4py and MPICH:
``pip install 'tinyopt[dist]'``); without a launcher everything runs as one
process (``world_size() == 1``).
"""
from .collectives import (all_gather, all_reduce, barrier, broadcast, init, is_initialized,
                          rank, reduce_scatter, world_size)
from .ddp import DistributedDataParallel
from .sampler import DistributedSampler
from .zero import ZeroRedundancyOptimizer

__all__ = ["init", "is_initialized", "rank", "world_size", "barrier", "all_reduce",
           "reduce_scatter", "all_gather", "broadcast", "DistributedDataParallel",
           "DistributedSampler", "ZeroRedundancyOptimizer"]
