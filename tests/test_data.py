"""Tests for tinyopt.data: datasets, the loader, synthetic sets, text, digits, IDX/MNIST."""
import gzip
import hashlib
import math
import struct
import sys

import numpy as np
import pytest

from tinyopt import backend
from tinyopt.autograd.tensor import Tensor
from tinyopt.data import (CharDataset, CharVocab, DataLoader, Dataset, TensorDataset,
                          char_corpus, load_digits, load_mnist, make_blobs, make_char_dataset,
                          make_circles, make_moons, make_regression, make_sequence_task,
                          make_spirals, read_idx, unigram_entropy, write_idx)
from tinyopt.data import idx


def host(tensor):
    return backend.to_host(tensor.data)


def one_nn_accuracy(X, y):
    """Leave-one-out 1-nearest-neighbour accuracy: high when classes are separable."""
    X, y = host(X).astype(float), host(y)
    distances = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(distances, np.inf)
    return float((y[distances.argmin(1)] == y).mean())


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
            return Tensor(x.data * 2), y

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


# --------------------------------------------------------------- synthetic
CLASSIFIERS = [
    (make_moons, dict(), 2),
    (make_circles, dict(), 2),
    (make_spirals, dict(n_classes=4), 4),
    (make_blobs, dict(centers=5, n_features=3), 5),
]


@pytest.mark.parametrize("make, extra, n_classes", CLASSIFIERS)
def test_classification_sets_shapes_labels_determinism(make, extra, n_classes):
    X, y = make(n_samples=101, noise=0.1, seed=0, **extra)
    assert X.shape[0] == 101 and y.shape == (101,)
    assert X.dtype == backend.default_dtype() and y.dtype == np.int64
    counts = np.bincount(host(y), minlength=n_classes)
    assert len(counts) == n_classes and counts.max() - counts.min() <= 1
    assert host(y)[:20].tolist() != sorted(host(y)[:20].tolist())  # shuffled
    X2, y2 = make(n_samples=101, noise=0.1, seed=0, **extra)
    X3, _ = make(n_samples=101, noise=0.1, seed=1, **extra)
    assert np.array_equal(host(X), host(X2)) and np.array_equal(host(y), host(y2))
    assert not np.allclose(host(X), host(X3))


@pytest.mark.parametrize("make, extra, n_classes", CLASSIFIERS)
def test_classification_sets_follow_manual_seed_and_default_dtype(make, extra, n_classes):
    backend.manual_seed(5)
    X1, _ = make(n_samples=20, **extra)
    backend.manual_seed(5)
    X2, _ = make(n_samples=20, **extra)
    X3, _ = make(n_samples=20, **extra)
    assert np.array_equal(host(X1), host(X2)) and not np.array_equal(host(X2), host(X3))
    with backend.default_dtype_as("float64"):
        X, _ = make(n_samples=10, seed=0, **extra)
    assert X.dtype == np.float64


def test_moons_and_spirals_are_separable_by_neighbours():
    assert one_nn_accuracy(*make_moons(n_samples=200, noise=0.05, seed=0)) > 0.97
    assert one_nn_accuracy(*make_spirals(n_samples=300, n_classes=3, noise=0.1, seed=0)) > 0.9
    # with heavy noise the spirals blur into each other
    assert one_nn_accuracy(*make_spirals(n_samples=300, noise=3.0, seed=0)) < 0.6


def test_circles_are_separated_by_radius():
    X, y = make_circles(n_samples=200, noise=0.02, factor=0.4, seed=0)
    radius = np.linalg.norm(host(X), axis=1)
    assert np.all((radius < 0.7) == (host(y) == 1))


def test_blobs_with_given_centers():
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    X, y = make_blobs(n_samples=90, centers=centers, cluster_std=0.5, seed=0)
    nearest = ((host(X)[:, None, :] - centers[None]) ** 2).sum(-1).argmin(1)
    assert np.array_equal(nearest, host(y))
    for k in range(3):
        assert np.allclose(host(X)[host(y) == k].mean(0), centers[k], atol=0.5)


@pytest.mark.parametrize("kwargs, name", [
    (dict(n_samples=0), "n_samples"), (dict(n_samples=2.5), "n_samples"),
    (dict(noise=-0.1), "noise"), (dict(seed=-3), "seed"),
])
def test_generators_validate_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        make_moons(**kwargs)


def test_generators_validate_their_own_arguments():
    with pytest.raises(ValueError, match="n_classes"):
        make_spirals(n_classes=1)
    with pytest.raises(ValueError, match="factor"):
        make_circles(factor=1.5)


def test_make_regression_linear_and_sine():
    X, y, w, b = make_regression(n_samples=50, n_features=3, noise=0.0, coef=True, seed=0)
    assert X.shape == (50, 3) and y.shape == (50, 1) and w.shape == (3, 1) and b.shape == (1,)
    assert y.dtype == backend.default_dtype()
    assert np.allclose(host(y), host(X) @ host(w) + host(b), atol=1e-5)
    X, y, w, b = make_regression(n_samples=500, n_features=2, noise=0.1, coef=True, seed=1)
    design = np.hstack([host(X), np.ones((500, 1))])
    fit = np.linalg.lstsq(design, host(y), rcond=None)[0]
    assert np.allclose(fit[:2], host(w), atol=0.05) and abs(fit[2, 0] - host(b)[0]) < 0.05
    X, y, w, b = make_regression(n_samples=40, kind="sine", noise=0.0, coef=True, seed=0)
    z = host(X) @ host(w)
    assert y.shape == (40, 1) and np.allclose(host(y), np.sin(z) + 0.5 * z, atol=1e-5)
    with pytest.raises(ValueError, match="kind"):
        make_regression(kind="cubic")


# --------------------------------------------------------------- sequences
def test_sequence_sum_task():
    X, y = make_sequence_task(n_samples=30, seq_len=7, task="sum", seed=0)
    assert X.shape == (30, 7, 1) and y.shape == (30, 1) and y.dtype == backend.default_dtype()
    assert np.allclose(host(y)[:, 0], host(X).sum(axis=(1, 2)), atol=1e-5)


def test_sequence_adding_task():
    X, y = make_sequence_task(n_samples=40, seq_len=10, task="adding", seed=0)
    values, markers = host(X)[..., 0], host(X)[..., 1]
    assert X.shape == (40, 10, 2) and y.shape == (40, 1)
    assert np.all(markers.sum(1) == 2)
    assert np.all(markers[:, :5].sum(1) == 1) and np.all(markers[:, 5:].sum(1) == 1)
    assert np.allclose(host(y)[:, 0], (values * markers).sum(1), atol=1e-5)
    with pytest.raises(ValueError, match="seq_len"):
        make_sequence_task(seq_len=1, task="adding")


def test_sequence_parity_task():
    X, y = make_sequence_task(n_samples=64, seq_len=6, task="parity", seed=0)
    bits = host(X)[..., 0]
    assert y.dtype == np.int64 and y.shape == (64,)
    assert set(np.unique(bits)) <= {0.0, 1.0}
    assert np.array_equal(host(y), bits.sum(1).astype(int) % 2)
    _, flipped = make_sequence_task(n_samples=64, seq_len=6, task="parity", noise=1.0, seed=0)
    assert np.array_equal(host(flipped), 1 - host(y))
    with pytest.raises(ValueError, match="task"):
        make_sequence_task(task="reverse")


# -------------------------------------------------------------------- text
def test_char_corpus_and_vocab_round_trip():
    text = char_corpus()
    assert 3000 < len(text) < 20000 and "walker" in text
    vocab = CharVocab(text)
    assert vocab.vocab_size == len(set(text)) == len(vocab)
    assert all(vocab.stoi[c] == i for i, c in enumerate(vocab.itos))
    assert vocab.decode(vocab.encode(text)) == text
    with pytest.raises(ValueError, match="vocabulary"):
        vocab.encode("~")


def test_make_char_dataset_windows():
    text = char_corpus()
    X, Y, vocab = make_char_dataset(block_size=16)
    assert X.dtype == np.int64 and X.shape == Y.shape == (len(text) - 16, 16)
    assert np.array_equal(host(X)[:, 1:], host(Y)[:, :-1])
    for i in (0, 123, len(text) - 17):
        assert vocab.decode(X.data[i]) == text[i:i + 16]
        assert vocab.itos[host(Y)[i, -1]] == text[i + 16]
    Xs, _, _ = make_char_dataset(block_size=8, text="abcdefghijklmnopqrst", stride=4)
    assert Xs.shape == (3, 8) and CharVocab("abcdefghijklmnopqrst").decode(Xs.data[1]) == "efghijkl"
    with pytest.raises(ValueError, match="block_size"):
        make_char_dataset(block_size=20, text="abcdefghijklmnopqrst")


def test_char_dataset_matches_helper_and_loads():
    text = char_corpus()
    ds = CharDataset(text, block_size=12)
    X, Y, _ = make_char_dataset(block_size=12)
    assert len(ds) == X.shape[0]
    x, y = ds[100]
    assert np.array_equal(host(x), host(X)[100]) and np.array_equal(host(y), host(Y)[100])
    assert np.array_equal(host(ds[-1][1]), host(Y)[-1])
    with pytest.raises(IndexError):
        ds[len(ds)]
    xb, yb = next(iter(DataLoader(ds, batch_size=6, shuffle=True, seed=0)))
    assert xb.shape == yb.shape == (6, 12) and xb.dtype == np.int64


def test_unigram_entropy():
    assert unigram_entropy("aabb") == pytest.approx(math.log(2))
    assert unigram_entropy("aaaa") == pytest.approx(0.0)
    assert unigram_entropy("abcd" * 3) == pytest.approx(math.log(4))
    h = unigram_entropy()
    assert 2.0 < h < math.log(len(set(char_corpus())))


# ------------------------------------------------------------------ digits
def test_load_digits_split():
    pytest.importorskip("sklearn")
    X_train, y_train, X_test, y_test = load_digits(test_fraction=0.2, seed=0)
    assert X_train.shape[1] == 64 and X_train.shape[0] + X_test.shape[0] == 1797
    assert abs(X_test.shape[0] - 0.2 * 1797) < 10
    assert X_train.dtype == backend.default_dtype() and y_train.dtype == np.int64
    pixels = np.concatenate([host(X_train), host(X_test)])
    assert pixels.min() == 0.0 and pixels.max() == 1.0
    assert set(host(y_train)) == set(range(10)) == set(host(y_test))
    all_counts = np.bincount(np.concatenate([host(y_train), host(y_test)]))
    assert np.all(np.abs(np.bincount(host(y_test)) - 0.2 * all_counts) <= 1)  # stratified
    again = load_digits(test_fraction=0.2, seed=0)
    other = load_digits(test_fraction=0.2, seed=1)
    assert np.array_equal(host(again[3]), host(y_test))
    assert not np.array_equal(host(other[1]), host(y_train))
    images = load_digits(flatten=False)[0]
    assert images.shape[1:] == (1, 8, 8)
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits(test_fraction=1.0)


def test_load_digits_without_sklearn_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        load_digits()


# --------------------------------------------------------------------- IDX
def test_read_idx_hand_written_bytes(tmp_path):
    path = tmp_path / "small.idx"
    path.write_bytes(b"\x00\x00\x08\x02" + struct.pack(">II", 2, 3) + bytes(range(6)))
    array = read_idx(path)
    assert array.dtype == np.uint8 and array.tolist() == [[0, 1, 2], [3, 4, 5]]
    path.write_bytes(b"\x00\x00\x0b\x01" + struct.pack(">I", 2) + b"\x01\x02\xff\xfe")
    assert read_idx(path).tolist() == [258, -2]  # big-endian int16
    gz = tmp_path / "no_gz_suffix.bin"  # gzip is detected by content, not name
    gz.write_bytes(gzip.compress(b"\x00\x00\x0d\x01" + struct.pack(">I", 1)
                                 + struct.pack(">f", 1.5)))
    assert read_idx(gz).tolist() == [1.5]


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
def test_idx_round_trip(tmp_path, dtype, name):
    scale = 1.5 if np.issubdtype(dtype, np.floating) else 1
    array = ((np.arange(24).reshape(2, 3, 4) - 5) * scale).astype(dtype)
    write_idx(tmp_path / name, array)
    if name.endswith(".gz"):
        assert (tmp_path / name).read_bytes()[:2] == b"\x1f\x8b"
    result = read_idx(tmp_path / name)
    assert result.dtype == np.dtype(dtype) and result.dtype.isnative
    assert np.array_equal(result, array)


@pytest.mark.parametrize("content, message", [
    (b"\x08\x03\x00\x00" + bytes(12), "magic"),
    (b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00", "type code"),
    (b"\x00\x00\x08\x03" + struct.pack(">I", 2), "truncated IDX header"),
    (b"\x00\x00\x08\x02" + struct.pack(">II", 2, 3) + bytes(5), "truncated"),
    (b"\x00\x00\x08\x01" + struct.pack(">I", 2) + bytes(3), "needs 2 data bytes"),
    (b"\x00\x00", "too short"),
    (gzip.compress(b"\x00\x00\x08\x01" + struct.pack(">I", 4) + bytes(4))[:-6], "gzip"),
])
def test_read_idx_rejects_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.idx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert "bad.idx" in str(info.value)


def test_write_idx_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(ValueError, match="int64"):
        write_idx(tmp_path / "x.idx", np.zeros(3, dtype=np.int64))


# ------------------------------------------------------------- load_mnist
def md5(data):
    return hashlib.md5(data).hexdigest()


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    """Small fake .gz files for both kinds, their checksums in idx.CHECKSUMS, a fake server.

    Returns (arrays, server, calls): arrays[(kind, name)] the stored array,
    server[url] the file bytes, calls the list of URLs fetched.
    """
    rng = np.random.default_rng(0)
    arrays, blobs, checksums = {}, {}, {}
    for kind in ("mnist", "fashion"):
        checksums[kind] = {}
        for split, n in (("train", 6), ("test", 4)):
            images_name, labels_name = idx.FILES[split]
            arrays[kind, images_name] = rng.integers(0, 256, size=(n, 28, 28)).astype(np.uint8)
            arrays[kind, labels_name] = rng.integers(0, 10, size=n).astype(np.uint8)
            for name in (images_name, labels_name):
                path = tmp_path / "build" / kind / name
                path.parent.mkdir(parents=True, exist_ok=True)
                write_idx(path, arrays[kind, name])
                blobs[kind, name] = path.read_bytes()
                checksums[kind][name] = md5(blobs[kind, name])
    monkeypatch.setattr(idx, "CHECKSUMS", checksums)
    mirrors = {kind: [f"https://mirror-{i}.test/{kind}/" for i in (1, 2)]
               for kind in ("mnist", "fashion")}
    monkeypatch.setattr(idx, "MIRRORS", mirrors)
    server = {base + name: blobs[kind, name]
              for kind in mirrors for base in mirrors[kind] for (k, name) in blobs if k == kind}
    calls = []

    def fake_fetch(url, dest):
        calls.append(url)
        if url not in server:
            raise OSError(f"404 for {url}")
        dest.write_bytes(server[url])

    monkeypatch.setattr(idx, "_fetch", fake_fetch)
    monkeypatch.delenv("TINYOPT_DATA", raising=False)
    return arrays, server, calls


def forbid_network(monkeypatch):
    def no_fetch(url, dest):
        raise AssertionError(f"network used for {url}")
    monkeypatch.setattr(idx, "_fetch", no_fetch)


def test_official_checksum_table():
    mnist, fashion = idx.CHECKSUMS["mnist"], idx.CHECKSUMS["fashion"]
    assert mnist["train-images-idx3-ubyte.gz"] == "f68b3c2dcbeaaa9fbdd348bbdeb94873"
    assert fashion["t10k-labels-idx1-ubyte.gz"] == "bb300cfdad3c16e7a12a480ee83cd310"
    for kind in ("mnist", "fashion"):
        assert set(idx.CHECKSUMS[kind]) == {n for pair in idx.FILES.values() for n in pair}
        assert all(len(h) == 32 and int(h, 16) >= 0 for h in idx.CHECKSUMS[kind].values())
        assert idx.MIRRORS[kind]


def test_load_mnist_downloads_once_then_reads_cache(tmp_path, fake_mnist, monkeypatch):
    arrays, _, calls = fake_mnist
    images, labels = load_mnist(root=tmp_path / "cache", split="train")
    assert calls == ["https://mirror-1.test/mnist/train-images-idx3-ubyte.gz",
                     "https://mirror-1.test/mnist/train-labels-idx1-ubyte.gz"]
    assert images.shape == (6, 1, 28, 28) and images.dtype == backend.default_dtype()
    assert labels.dtype == np.int64
    expected = arrays["mnist", "train-images-idx3-ubyte.gz"] / 255.0
    assert np.allclose(host(images)[:, 0], expected, atol=1e-6)
    assert 0.0 <= host(images).min() and host(images).max() <= 1.0
    assert host(labels).tolist() == arrays["mnist", "train-labels-idx1-ubyte.gz"].tolist()
    assert not list((tmp_path / "cache" / "mnist").glob("*.part"))

    forbid_network(monkeypatch)
    again, _ = load_mnist(root=tmp_path / "cache", split="train", flatten=True)
    assert again.shape == (6, 784)
    assert np.array_equal(host(again).reshape(6, 1, 28, 28), host(images))


def test_load_mnist_reads_prefilled_cache_without_network(tmp_path, fake_mnist, monkeypatch):
    _, server, _ = fake_mnist
    forbid_network(monkeypatch)
    cache = tmp_path / "prefilled" / "fashion"
    cache.mkdir(parents=True)
    for name in idx.FILES["test"]:
        (cache / name).write_bytes(server["https://mirror-1.test/fashion/" + name])
    images, labels = load_mnist(root=tmp_path / "prefilled", kind="fashion", split="test",
                                download=False)
    assert images.shape == (4, 1, 28, 28) and labels.shape == (4,)


def test_load_mnist_uses_env_var_and_default_dir(tmp_path, fake_mnist, monkeypatch):
    _, _, calls = fake_mnist
    monkeypatch.setenv("TINYOPT_DATA", str(tmp_path / "env"))
    load_mnist(split="test")
    assert (tmp_path / "env" / "mnist" / "t10k-images-idx3-ubyte.gz").exists()
    assert len(calls) == 2
    monkeypatch.delenv("TINYOPT_DATA")
    assert idx.cache_dir(kind="fashion") == idx.Path.home() / ".cache" / "tinyopt" / "fashion"
    assert idx.cache_dir(root=tmp_path, kind="mnist") == tmp_path / "mnist"


def test_load_mnist_falls_back_to_next_mirror(tmp_path, fake_mnist):
    _, server, calls = fake_mnist
    for name in idx.FILES["test"]:
        del server["https://mirror-1.test/mnist/" + name]
    images, _ = load_mnist(root=tmp_path, split="test")
    assert images.shape[0] == 4
    assert [url.split("/")[2] for url in calls] == ["mirror-1.test", "mirror-2.test"] * 2


def test_corrupt_cached_file_is_fetched_again(tmp_path, fake_mnist):
    arrays, _, calls = fake_mnist
    cache = tmp_path / "mnist"
    cache.mkdir()
    (cache / "t10k-labels-idx1-ubyte.gz").write_bytes(b"garbage")
    _, labels = load_mnist(root=tmp_path, split="test")
    assert host(labels).tolist() == arrays["mnist", "t10k-labels-idx1-ubyte.gz"].tolist()
    assert "https://mirror-1.test/mnist/t10k-labels-idx1-ubyte.gz" in calls
    assert md5((cache / "t10k-labels-idx1-ubyte.gz").read_bytes()) == \
        idx.CHECKSUMS["mnist"]["t10k-labels-idx1-ubyte.gz"]


def test_corrupt_cached_file_without_download_raises_and_is_deleted(tmp_path, fake_mnist,
                                                                   monkeypatch):
    forbid_network(monkeypatch)
    cache = tmp_path / "mnist"
    cache.mkdir()
    bad = cache / "train-images-idx3-ubyte.gz"
    bad.write_bytes(b"garbage")
    with pytest.raises(ValueError, match="checksum"):
        load_mnist(root=tmp_path, download=False)
    assert not bad.exists()
    with pytest.raises(FileNotFoundError, match="download=False"):
        load_mnist(root=tmp_path, download=False)


def test_download_with_wrong_checksum_everywhere_raises(tmp_path, fake_mnist):
    _, server, calls = fake_mnist
    for url in server:
        server[url] = b"tampered"
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        load_mnist(root=tmp_path, split="train")
    assert len(calls) == 2  # both mirrors tried for the first file
    assert list((tmp_path / "mnist").iterdir()) == []  # nothing bad left behind


def test_sha256_checksums_are_accepted(tmp_path, fake_mnist, monkeypatch):
    _, server, _ = fake_mnist
    for name in idx.FILES["test"]:
        data = server["https://mirror-1.test/mnist/" + name]
        monkeypatch.setitem(idx.CHECKSUMS["mnist"], name, hashlib.sha256(data).hexdigest())
    images, _ = load_mnist(root=tmp_path, split="test")
    assert images.shape[0] == 4


def test_load_mnist_validates_arguments(tmp_path):
    with pytest.raises(ValueError, match="kind"):
        load_mnist(root=tmp_path, kind="kmnist")
    with pytest.raises(ValueError, match="split"):
        load_mnist(root=tmp_path, split="validation")
