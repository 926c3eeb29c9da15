"""Datasets: the ``Dataset`` interface and ``TensorDataset``, as in ``torch.utils.data``.

A dataset is anything with ``len(dataset)`` and ``dataset[i]``; the
``DataLoader`` turns it into shuffled mini-batches.

Example::

    >>> import numpy as np
    >>> from tinyopt.data import TensorDataset
    >>> ds = TensorDataset(np.zeros((5, 3)), np.arange(5))
    >>> len(ds), ds[2][1].item()
    (5, 2)
"""
from ._common import as_tensor, tensor_class


class Dataset:
    """Abstract dataset: subclasses define ``__getitem__(index)`` and ``__len__()``.

    ``dataset[i]`` returns one sample, usually a tuple such as ``(x, y)``.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")


class TensorDataset(Dataset):
    """A dataset of tensors that share their first dimension, like PyTorch's.

    Sample ``i`` is ``tuple(t[i] for t in tensors)``.

    Args:
        *tensors: ``Tensor``s or arrays (anything ``backend.asarray`` takes).
            Arrays of floats get the default float dtype; integer arrays
            (class labels) keep their integer dtype; tensors are kept as
            they are.

    Raises:
        ValueError: when no tensor is given, a tensor is 0-dimensional, or the
            first dimensions differ (the message lists every shape).
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        tensors = tuple(as_tensor(t) for t in tensors)
        shapes = [tuple(t.shape) for t in tensors]
        if any(len(shape) == 0 for shape in shapes):
            raise ValueError(f"TensorDataset tensors need a first dimension, got shapes {shapes}")
        if len({shape[0] for shape in shapes}) != 1:
            raise ValueError(
                f"TensorDataset tensors must have the same size in dim 0, got shapes {shapes}")
        self.tensors = tensors

    def __getitem__(self, index):
        Tensor = tensor_class()
        return tuple(Tensor(t.array[index]) for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]
