"""The ``DataLoader``: mini-batches from a dataset, optionally shuffled each epoch.

Each pass (``for batch in loader``) is one epoch. Shuffling draws a fresh
order every epoch; with ``seed`` given, epoch ``k`` uses an order fixed by
``(seed, k)`` alone, so two runs see exactly the same batches.

Example::

    >>> import numpy as np
    >>> from tinyopt.data import TensorDataset, DataLoader
    >>> ds = TensorDataset(np.random.randn(10, 2), np.arange(10))
    >>> loader = DataLoader(ds, batch_size=4, shuffle=True, seed=0)
    >>> len(loader)
    3
    >>> [x.shape for x, y in loader]
    [(4, 2), (4, 2), (2, 2)]
"""
import numpy

from .. import backend
from ._common import as_tensor, check_positive_int, check_seed, is_tensor, tensor_class
from .dataset import TensorDataset


class DataLoader:
    """Iterate over ``dataset`` in batches stacked along dim 0 (PyTorch's names).

    Args:
        dataset: a ``Dataset`` (anything with ``__len__`` and ``__getitem__``).
        batch_size: samples per batch, a positive int.
        shuffle: draw a new random order every epoch.
        drop_last: drop the last batch when it would be smaller than ``batch_size``.
        seed: with ``shuffle``, fixes the order of every epoch: epoch ``k`` uses
            a generator seeded with ``(seed, k)``. ``None`` draws from
            ``backend.rng()`` (so ``tinyopt.manual_seed`` controls it).
        sampler: an iterable of sample indices with ``__len__`` (e.g.
            ``tinyopt.distributed.DistributedSampler``) giving each epoch's
            order instead; excludes ``shuffle``.

    Each batch is a tuple of ``Tensor``s, one per field of a sample (a
    dataset whose samples are not tuples gives one ``Tensor`` per batch, as
    in PyTorch). A ``TensorDataset`` is batched by indexing its arrays with
    the whole batch of indices at once; other datasets are read sample by
    sample and stacked. Integer fields keep their dtype; float fields that
    were not tensors get the default float dtype.

    ``len(loader)`` is the number of batches per epoch.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None,
                 sampler=None):
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(
                f"dataset must define __len__ and __getitem__, got {type(dataset).__name__}")
        self.dataset = dataset
        self.batch_size = check_positive_int("batch_size", batch_size)
        if not isinstance(shuffle, bool):
            raise ValueError(f"shuffle must be True or False, got {shuffle!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last must be True or False, got {drop_last!r}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if sampler is not None and not (hasattr(sampler, "__iter__")
                                        and hasattr(sampler, "__len__")):
            raise TypeError(f"sampler must define __iter__ and __len__, got "
                            f"{type(sampler).__name__}")
        self.sampler = sampler
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = check_seed(seed)
        self.epoch = 0

    def set_epoch(self, epoch):
        """Make the next pass use the order of epoch ``epoch`` (e.g. when resuming)."""
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise ValueError(f"epoch must be a non-negative integer, got {epoch!r}")
        self.epoch = epoch

    def __len__(self):
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)  # ceil(n / batch_size)

    def epoch_order(self, epoch):
        """The sample indices (host int64 array) that epoch ``epoch`` visits, in order.

        With a ``sampler`` they are the sampler's (its own ``set_epoch`` picks the epoch)."""
        if self.sampler is not None:
            return numpy.array(list(self.sampler), dtype=numpy.int64)
        n = len(self.dataset)
        if not self.shuffle:
            return numpy.arange(n)
        if self.seed is not None:
            generator = numpy.random.default_rng([self.seed, epoch])
        else:
            generator = numpy.random.default_rng(int(backend.rng().integers(0, 2**62)))
        return generator.permutation(n)

    def __iter__(self):
        order = self.epoch_order(self.epoch)
        self.epoch += 1
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            yield self._batch(order[start:start + self.batch_size])

    def _batch(self, indices):
        if _is_plain_tensor_dataset(self.dataset):
            Tensor = tensor_class()
            device_indices = backend.to_device(indices)
            return tuple(Tensor(t.array[device_indices]) for t in self.dataset.tensors)
        return collate([self.dataset[int(i)] for i in indices])


def _is_plain_tensor_dataset(dataset):
    """A TensorDataset whose sample lookup is the stock one (safe to fancy-index)."""
    return (isinstance(dataset, TensorDataset)
            and type(dataset).__getitem__ is TensorDataset.__getitem__)


def collate(samples):
    """Stack a list of samples into a batch (PyTorch's ``default_collate``, simplified).

    Samples that are tuples or lists give a tuple of stacked tensors, one per
    field; other samples give one stacked tensor. Tensors keep their dtype;
    other values follow ``as_tensor`` (floats -> default float dtype).
    """
    first = samples[0]
    if isinstance(first, (tuple, list)):
        if any(len(sample) != len(first) for sample in samples):
            raise ValueError("every sample in a batch must have the same number of fields")
        return tuple(_stack([sample[field] for sample in samples]) for field in range(len(first)))
    return _stack(samples)


def _stack(values):
    if all(is_tensor(value) for value in values):
        return tensor_class()(backend.xp.stack([value.array for value in values]))
    return as_tensor(backend.xp.stack([backend.asarray(_raw(value)) for value in values]))


def _raw(value):
    return value.array if is_tensor(value) else value
