"""The IDX reader checks its header as it streams, and the MNIST cache never deletes a file."""
import gzip
import struct
import tracemalloc

import numpy as np
import pytest

from tinyopt.data import idx, load_mnist, read_idx


def _peak_bytes(function):
    tracemalloc.start()
    try:
        function()
    except ValueError as error:
        raised = error
    else:
        raised = None
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, raised


def test_a_small_gzip_declaring_a_tiny_shape_is_refused_without_decompressing_it(tmp_path):
    """The issue's case, scaled: 64 MB of zeros (about 60 kB compressed) behind a header of 4
    bytes. Reading it whole took 64 MB; the streamed check stops after the declared size."""
    path = tmp_path / "bomb.gz"
    with gzip.open(path, "wb") as file:
        file.write(b"\x00\x00\x08\x01" + struct.pack(">I", 4))
        for _ in range(64):
            file.write(bytes(1 << 20))
    assert path.stat().st_size < 1 << 20
    peak, error = _peak_bytes(lambda: read_idx(path))
    assert error is not None and str(error).startswith(f"{path}: shape (4,) of uint8 needs 4 "
                                                       "data bytes, the file has more than 4")
    assert peak < 8 << 20, peak


def test_a_huge_declared_shape_does_not_overflow_or_allocate_it(tmp_path):
    """65536⁴ elements overflow int64 (numpy.prod gives 0); Python ints do not."""
    path = tmp_path / "huge.idx"
    path.write_bytes(b"\x00\x00\x08\x04" + struct.pack(">4I", *[65536] * 4) + bytes(10))
    peak, error = _peak_bytes(lambda: read_idx(path))
    assert error is not None
    assert str(error) == (f"{path}: shape (65536, 65536, 65536, 65536) of uint8 needs "
                          f"{2 ** 64} data bytes, the file has 10 (truncated or corrupt file)")
    assert peak < 8 << 20, peak


def test_a_file_shorter_than_a_big_declared_shape_holds_only_what_it_has(tmp_path):
    path = tmp_path / "short.gz"
    with gzip.open(path, "wb") as file:
        file.write(b"\x00\x00\x0d\x02" + struct.pack(">2I", 1 << 20, 1 << 10) + bytes(1000))
    with pytest.raises(ValueError, match=rf"^{path}: .* needs {4 << 30} data bytes, the file "
                                         "has 1000"):
        read_idx(path)


def _corrupt_gzip():
    raw = bytearray(gzip.compress(b"\x00\x00\x08\x01" + struct.pack(">I", 5000)
                                  + np.random.default_rng(0).bytes(5000)))
    raw[len(raw) // 2] ^= 0xFF
    return bytes(raw)


@pytest.mark.parametrize("content", [
    b"", b"\x00", b"\x01\x00\x08\x01", b"\x00\x00\x99\x01", b"\x00\x00\x08\x02\x00\x00",
    b"\x00\x00\x08\x01" + struct.pack(">I", 3) + bytes(4),
    gzip.compress(b"\x00\x00\x08\x01")[:-3], b"\x1f\x8b" + bytes(30), _corrupt_gzip(),
])
def test_every_error_names_the_file(tmp_path, content):
    path = tmp_path / "bad.idx"
    path.write_bytes(content)
    with pytest.raises(ValueError) as info:
        read_idx(path)
    assert str(info.value).startswith(f"{path}: "), info.value


def test_a_file_that_fails_its_checksum_is_set_aside_and_refetched(tmp_path, monkeypatch):
    labels = np.arange(4, dtype=np.uint8)
    name = "t10k-labels-idx1-ubyte.gz"
    good = tmp_path / "good.gz"
    idx.write_idx(good, labels)
    monkeypatch.setitem(idx.CHECKSUMS["mnist"], name, idx.file_checksum(good, "sha256"))
    monkeypatch.setattr(idx, "_fetch", lambda url, dest: dest.write_bytes(good.read_bytes()))
    cache = tmp_path / "mnist"
    cache.mkdir()
    (cache / name).write_bytes(b"my own copy")
    (cache / (name + ".bad-checksum")).write_bytes(b"an older one")
    assert idx._ensure_file(cache, "mnist", name, download=True) == cache / name
    assert (cache / name).read_bytes() == good.read_bytes()
    assert (cache / (name + ".bad-checksum")).read_bytes() == b"an older one"
    assert (cache / (name + ".bad-checksum.1")).read_bytes() == b"my own copy"


def test_without_download_the_bad_file_is_kept_and_the_message_says_where(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setattr(idx, "_fetch", lambda url, dest: pytest.fail("network used"))
    cache = tmp_path / "mnist"
    cache.mkdir()
    (cache / "train-images-idx3-ubyte.gz").write_bytes(b"my own copy")
    with pytest.raises(ValueError, match="kept as train-images-idx3-ubyte.gz.bad-checksum"):
        load_mnist(root=tmp_path, download=False)
    assert (cache / "train-images-idx3-ubyte.gz.bad-checksum").read_bytes() == b"my own copy"
