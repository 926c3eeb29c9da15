"""tinyopt.data's image datasets and the IDX file format.

load_digits (split, stratification, scikit-learn missing), read_idx/write_idx
(hand-written bytes, round trips for every dtype with and without gzip, bad
files), and load_mnist against a fake server: checksums, the download cache,
mirror fallback, corrupt files and argument checks. No network is used.
"""
import gzip
import hashlib
import struct
import sys

import numpy as np
import pytest

from tinyopt import backend
from tinyopt.data import idx, load_digits, load_mnist, read_idx, write_idx

from data_helpers import host


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


def test_corrupt_cached_file_without_download_raises_and_is_set_aside(tmp_path, fake_mnist,
                                                                      monkeypatch):
    forbid_network(monkeypatch)
    cache = tmp_path / "mnist"
    cache.mkdir()
    bad = cache / "train-images-idx3-ubyte.gz"
    bad.write_bytes(b"garbage")
    with pytest.raises(ValueError, match="checksum .* kept as train-images-idx3-ubyte.gz.bad-"):
        load_mnist(root=tmp_path, download=False)
    assert not bad.exists()
    assert (cache / "train-images-idx3-ubyte.gz.bad-checksum").read_bytes() == b"garbage"
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
