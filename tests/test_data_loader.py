"""tinyopt.data datasets and the DataLoader.

TensorDataset dtypes and shape checks, the abstract Dataset, batching and
drop_last, shuffling (every sample once per epoch, seeded and reproducible,
following manual_seed), generic Dataset subclasses stacked like TensorDataset,
and the loader's argument validation.
"""
import numpy as np
import pytest

from tinyopt import backend
from tinyopt.autograd.tensor import Tensor
from tinyopt.data import DataLoader, Dataset, TensorDataset

from data_helpers import host


# ---------------------------------------------------------------- datasets
def test_tensor_dataset_dtypes_and_items():
    features = np.arange(12, dtype=np.float64).reshape(6, 2)
    labels = np.arange(6)
    ds = TensorDataset(features, labels)
    assert len(ds) == 6
    assert ds.tensors[0].dtype == backend.default_dtype()
    assert ds.tensors[1].dtype == np.int64
    x, y = ds[4]
    assert isinstance(x, Tensor) and isinstance(y, Tensor)
    assert host(x).tolist() == [8.0, 9.0] and y.item() == 4


def test_tensor_dataset_keeps_tensor_dtype():
    ds = TensorDataset(Tensor(np.zeros((3, 2), dtype=np.float64)), np.zeros(3, dtype=np.int32))
    assert ds.tensors[0].dtype == np.float64
    assert ds.tensors[1].dtype == np.int32


def test_tensor_dataset_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"\(5, 2\).*\(4,\)"):
        TensorDataset(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(ValueError, match="first dimension"):
        TensorDataset(np.float64(1.0))


def test_dataset_is_abstract():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    with pytest.raises(NotImplementedError):
        len(Dataset())


# ------------------------------------------------------------------ loader
def make_dataset(n=10):
    return TensorDataset(np.arange(2 * n, dtype=np.float64).reshape(n, 2), np.arange(n))


def test_loader_batches_in_order():
    loader = DataLoader(make_dataset(10), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 == len(batches)
    assert [tuple(x.shape) for x, _ in batches] == [(4, 2), (4, 2), (2, 2)]
    assert np.concatenate([host(y) for _, y in batches]).tolist() == list(range(10))
    x, y = batches[1]
    assert x.dtype == backend.default_dtype() and y.dtype == np.int64
    assert host(x).tolist() == [[8, 9], [10, 11], [12, 13], [14, 15]]


def test_loader_drop_last():
    loader = DataLoader(make_dataset(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [tuple(x.shape) for x, _ in loader] == [(4, 2), (4, 2)]
    assert len(DataLoader(make_dataset(8), batch_size=4, drop_last=True)) == 2
    assert len(DataLoader(make_dataset(3), batch_size=4, drop_last=True)) == 0
    assert len(DataLoader(make_dataset(9), batch_size=4)) == 3


def epoch_labels(loader):
    return np.concatenate([host(y) for _, y in loader])


def test_shuffle_visits_each_sample_once_and_rows_stay_aligned():
    loader = DataLoader(make_dataset(23), batch_size=5, shuffle=True, seed=0)
    for _ in range(3):
        labels = []
        for x, y in loader:
            assert np.array_equal(host(x)[:, 0], 2 * host(y))  # features follow their label
            labels.append(host(y))
        labels = np.concatenate(labels)
        assert sorted(labels.tolist()) == list(range(23))
        assert labels.tolist() != list(range(23))


def test_seeded_shuffle_reproducible_and_new_each_epoch():
    first = DataLoader(make_dataset(50), batch_size=8, shuffle=True, seed=7)
    second = DataLoader(make_dataset(50), batch_size=8, shuffle=True, seed=7)
    epochs_first = [epoch_labels(first) for _ in range(3)]
    epochs_second = [epoch_labels(second) for _ in range(3)]
    for a, b in zip(epochs_first, epochs_second):
        assert np.array_equal(a, b)
    assert not np.array_equal(epochs_first[0], epochs_first[1])
    assert not np.array_equal(epochs_first[1], epochs_first[2])
    other_seed = DataLoader(make_dataset(50), batch_size=8, shuffle=True, seed=8)
    assert not np.array_equal(epoch_labels(other_seed), epochs_first[0])
    first.set_epoch(1)
    assert np.array_equal(epoch_labels(first), epochs_first[1])


def test_unseeded_shuffle_follows_manual_seed():
    loader = DataLoader(make_dataset(40), batch_size=40, shuffle=True)
    backend.manual_seed(3)
    a = epoch_labels(loader)
    backend.manual_seed(3)
    b = epoch_labels(loader)
    c = epoch_labels(loader)
    assert np.array_equal(a, b) and not np.array_equal(b, c)


class ListDataset(Dataset):
    """A generic dataset of (float64 array, python int) samples."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.array([2.0 * i, 2.0 * i + 1]), i


def test_generic_dataset_is_stacked_like_tensor_dataset():
    generic = DataLoader(ListDataset(10), batch_size=4, shuffle=True, seed=1)
    fast = DataLoader(make_dataset(10), batch_size=4, shuffle=True, seed=1)
    for (xg, yg), (xf, yf) in zip(generic, fast):
        assert xg.dtype == backend.default_dtype() and yg.dtype == np.int64
        assert np.array_equal(host(xg), host(xf)) and np.array_equal(host(yg), host(yf))


def test_generic_dataset_of_single_tensors():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return Tensor(np.array([i * i], dtype=np.float64))

    batches = list(DataLoader(Squares(), batch_size=2))
    assert isinstance(batches[0], Tensor) and batches[0].dtype == np.float64
    assert host(batches[2]).tolist() == [[16.0]]


def test_tensor_dataset_subclass_getitem_is_respected():
    class Doubled(TensorDataset):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return Tensor(x.array * 2), y

    x, _ = next(iter(DataLoader(Doubled(*make_dataset(4).tensors), batch_size=4)))
    assert host(x)[1].tolist() == [4.0, 6.0]


@pytest.mark.parametrize("kwargs, name", [
    (dict(batch_size=0), "batch_size"), (dict(batch_size=-2), "batch_size"),
    (dict(batch_size=2.5), "batch_size"), (dict(batch_size=True), "batch_size"),
    (dict(shuffle="yes"), "shuffle"), (dict(drop_last=1), "drop_last"),
    (dict(seed=-1), "seed"), (dict(seed=1.5), "seed"),
])
def test_loader_validates_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        DataLoader(make_dataset(4), **kwargs)


def test_loader_rejects_non_dataset():
    with pytest.raises(TypeError, match="dataset"):
        DataLoader(42)
