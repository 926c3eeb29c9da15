"""Data-parallel ``fit``: every rank trains on its share of the one-process run's batches.

One process with batch B = N·b and N ranks with batch b take the same steps
when rank r reads rows ``r·b .. (r+1)·b`` of every batch of the one-process
loader (``BatchShard``) and ``DistributedDataParallel`` averages the ranks'
gradients: the mean of N equal-sized batch means is the mean over the whole
batch. ``GlobalLoss`` makes the history the one process would write: each
step's loss and each epoch's training loss averaged over the ranks.

``tinyopt train --workers N`` uses these under ``mpiexec -n N`` (``mpiexec``:
the ``mpich`` wheel puts it next to the Python executable; ``find_mpiexec``).
"""
import os
import shutil
import subprocess
import sys

from .. import backend
from ..autograd import Tensor
from ..callbacks import Callback
from . import collectives


def find_mpiexec():
    """The ``mpiexec`` next to ``sys.executable`` (a venv's wheel), else on PATH; or None."""
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return beside
    return shutil.which("mpiexec")


WORKER_VARIABLE = "TINYOPT_TRAIN_WORKERS"
"""Set by ``launch`` in the ranks' environment: the ranks are the workers, not a launcher."""


def launch(workers, argv):
    """Run ``python -m tinyopt ARGV`` on ``workers`` ranks under ``mpiexec``; its exit status.

    Raises ``RuntimeError`` when ``mpiexec`` or mpi4py is missing, naming how to install
    them.
    """
    mpiexec = find_mpiexec()
    if mpiexec is None:
        raise RuntimeError(f"--workers {workers} needs mpiexec, found neither next to "
                           f"{sys.executable} nor on PATH: pip install 'tinyopt[dist]' "
                           "(mpi4py and mpich)")
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        raise RuntimeError(f"--workers {workers} needs mpi4py: pip install 'tinyopt[dist]' "
                           "(mpi4py and mpich)") from None
    env = dict(os.environ, **{WORKER_VARIABLE: str(workers)})
    command = [mpiexec, "-n", str(workers), "-host", "localhost", sys.executable, "-m",
               "tinyopt", *argv]
    return subprocess.run(command, env=env, check=False).returncode


def is_worker():
    """Whether this process is one of ``launch``'s ranks."""
    return WORKER_VARIABLE in os.environ and collectives.launched_under_mpi()


def check_even_shares(samples, batch_size, workers):
    """Raise ``ValueError`` unless every batch of ``batch_size`` (the last one too) of
    ``samples`` rows splits into ``workers`` equal shares (else their means would not
    average to the batch mean)."""
    last = samples % batch_size
    uneven = [size for size in (batch_size, last) if size % workers]
    if uneven:
        raise ValueError(f"{workers} workers cannot share a batch of {uneven[0]} rows equally "
                         f"({samples} samples in batches of {batch_size}): choose a batch size "
                         f"that leaves a last batch divisible by {workers}")


class BatchShard:
    """Rank ``rank``'s contiguous share of every batch of ``loader`` (a ``DataLoader``).

    The epoch counter is the loader's, so ``set_epoch`` (resuming) and the
    order (the seed and the epoch) are those of the one-process run.
    """

    def __init__(self, loader, rank=None, world_size=None):
        self.loader = loader
        self.rank = collectives.rank() if rank is None else rank
        self.world_size = collectives.world_size() if world_size is None else world_size
        if not 0 <= self.rank < self.world_size:
            raise ValueError(f"rank must be in [0, {self.world_size}), got {self.rank!r}")

    def __len__(self):
        return len(self.loader)

    @property
    def epoch(self):
        """The epoch the next pass reads (the wrapped loader's)."""
        return self.loader.epoch

    def set_epoch(self, epoch):
        """Make the next pass read epoch ``epoch`` (as ``DataLoader.set_epoch``)."""
        self.loader.set_epoch(epoch)

    def __iter__(self):
        for batch in self.loader:
            size = len(batch[0])
            if size % self.world_size:
                raise ValueError(f"a batch of {size} rows does not split into "
                                 f"{self.world_size} equal shares")
            share = size // self.world_size
            rows = slice(self.rank * share, (self.rank + 1) * share)
            yield tuple(Tensor(part.array[rows]) for part in batch)


class GlobalLoss(Callback):
    """Replace the logged step loss and epoch training loss by their mean over the ranks."""

    def on_step_end(self, step, loss, model, optimizer, history):
        """The step's loss, averaged over the ranks (equal shares: the whole batch's mean)."""
        history.steps["loss"][-1] = _mean_over_ranks(history.steps["loss"][-1])

    def on_epoch_end(self, epoch, record, model, optimizer, history):
        """The epoch's training loss, averaged over the ranks."""
        history.epochs["train_loss"][-1] = record["train_loss"] = \
            _mean_over_ranks(record["train_loss"])


def _mean_over_ranks(value):
    return float(collectives.all_reduce(backend.xp.array([value], dtype="float64"),
                                        op="mean")[0])


__all__ = ["BatchShard", "GlobalLoss", "check_even_shares", "find_mpiexec", "is_worker",
           "launch"]
