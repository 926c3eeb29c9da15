"""MNIST and Fashion-MNIST: the IDX file format, and a download-once cache.

The IDX format (LeCun's) is a 4-byte magic number ``0x00 0x00 <type> <ndim>``,
then ``ndim`` big-endian uint32 sizes, then the values in big-endian C order.
``read_idx`` parses it, from a raw or gzip-compressed file.

``load_mnist`` keeps the four official ``.gz`` files of a set in a cache
directory, fetched once from the first mirror that answers, each checked
against its known checksum; afterwards it reads them without the network.
The directory is ``<base>/<kind>`` where ``<base>`` is the ``root``
argument, else the ``TINYOPT_DATA`` environment variable, else
``~/.cache/tinyopt``.

Example::

    >>> from tinyopt.data import load_mnist
    >>> images, labels = load_mnist(split="test")        # doctest: +SKIP
    >>> images.shape, str(labels.dtype)                  # doctest: +SKIP
    ((10000, 1, 28, 28), 'int64')
"""
import gzip
import hashlib
import math
import os
import shutil
import struct
import sys
import urllib.request
import zlib
from pathlib import Path

import numpy

from .. import backend
from ._common import label_tensor, tensor_class

# IDX type code -> big-endian NumPy dtype.
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

# Known checksums of the official files: md5 (32 hex digits) or sha256 (64).
CHECKSUMS = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
}

# Base URLs, tried in order; the file name is appended.
MIRRORS = {
    "mnist": [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ],
    "fashion": [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ],
}


CHUNK = 1 << 20
"""Bytes read at a time: memory never exceeds the declared size plus one chunk."""


def read_idx(path):
    """The array stored in an IDX file (raw or gzip), as a host NumPy array.

    Values come back in native byte order with the file's dtype (uint8 for
    MNIST). The header is read first and the data streamed against it, so a
    small (compressed) file claiming a huge shape, or a huge one claiming a
    small shape, is refused as soon as that shows, holding at most the declared
    size in memory. Raises ``ValueError`` naming the file when the magic number
    is wrong, the type code unknown, the gzip stream corrupt, or the file shorter
    or longer than its header says.
    """
    with open(path, "rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"  # gzip magic
    try:
        with (gzip.open if compressed else open)(path, "rb") as file:
            shape, dtype = _read_header(file, path)
            data = _read_exactly(file, math.prod(shape) * dtype.itemsize, shape, dtype, path)
    except (OSError, EOFError, zlib.error) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise ValueError(f"{path}: corrupt or truncated gzip data ({error})") from error
    array = numpy.frombuffer(data, dtype=dtype).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)


def _read_header(file, path):
    """``(shape, dtype)`` from the magic number and the sizes."""
    magic = file.read(4)
    if len(magic) < 4:
        raise ValueError(f"{path}: too short for an IDX header ({len(magic)} bytes)")
    if magic[:2] != b"\x00\x00":
        raise ValueError(
            f"{path}: bad IDX magic number 0x{magic.hex()} (must start with 0x0000)")
    code, ndim = magic[2], magic[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(f"{path}: unknown IDX type code 0x{code:02X} (known: {known})")
    sizes = file.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise ValueError(f"{path}: truncated IDX header ({4 + len(sizes)} of {4 + 4 * ndim} "
                         "bytes)")
    return struct.unpack(f">{ndim}I", sizes), numpy.dtype(IDX_DTYPES[code])


def _read_exactly(file, size, shape, dtype, path):
    """The ``size`` data bytes the header declares, read in chunks; ``ValueError`` naming
    ``path`` if the file ends sooner or goes on longer (Python ints: no overflow)."""
    data, chunk = bytearray(), True
    while len(data) < size and chunk:
        chunk = file.read(min(CHUNK, size - len(data)))
        data += chunk
    extra = len(file.read(1))
    if len(data) != size or extra:
        found = f"{len(data)}" if not extra else f"more than {size}"
        raise ValueError(f"{path}: shape {shape} of {dtype.name} needs {size} data bytes, the "
                         f"file has {found} (truncated or corrupt file)")
    return data


def write_idx(path, array):
    """Write a NumPy array as an IDX file, gzip-compressed when ``path`` ends in ``.gz``."""
    array = numpy.asarray(array)
    codes = {numpy.dtype(d).newbyteorder("="): c for c, d in IDX_DTYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise ValueError(f"IDX cannot store dtype {array.dtype}; use one of "
                         f"{sorted(d.name for d in codes)}")
    body = (bytes([0, 0, codes[native], array.ndim])
            + struct.pack(f">{array.ndim}I", *array.shape)
            + array.astype(IDX_DTYPES[codes[native]]).tobytes())
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as file:
        file.write(body)


def cache_dir(root=None, kind="mnist"):
    """The directory holding the files of ``kind``.

    That is ``<base>/<kind>``, with ``<base>`` the ``root`` argument, else the
    ``TINYOPT_DATA`` environment variable, else ``~/.cache/tinyopt``.
    """
    base = root if root is not None else os.environ.get("TINYOPT_DATA")
    base = Path(base).expanduser() if base else Path.home() / ".cache" / "tinyopt"
    return base / kind


def _fetch(url, dest):
    """Download ``url`` into the file ``dest``.

    The only function here that touches the network; tests replace it.
    """
    with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as file:
        shutil.copyfileobj(response, file)


def file_checksum(path, algorithm):
    """Hex digest of a file (``algorithm`` is ``"md5"`` or ``"sha256"``)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _matches(path, expected):
    algorithm = "md5" if len(expected) == 32 else "sha256"
    return file_checksum(path, algorithm) == expected.lower()


def _set_aside(path):
    """Rename a file that failed its checksum to ``<name>.bad-checksum[.N]`` (never deleted:
    it may be the user's own copy); returns the new path."""
    aside, number = path.with_name(path.name + ".bad-checksum"), 1
    while aside.exists():
        aside, number = path.with_name(f"{path.name}.bad-checksum.{number}"), number + 1
    path.rename(aside)
    return aside


def _ensure_file(directory, kind, name, download):
    """Path of a verified copy of ``name`` in ``directory``, downloading it if needed."""
    path = directory / name
    expected = CHECKSUMS[kind][name]
    if path.exists():
        if _matches(path, expected):
            return path
        aside = _set_aside(path)
        if not download:
            raise ValueError(f"{path} does not match its checksum {expected}; it was kept as "
                             f"{aside.name}: call again with download=True to fetch it anew, "
                             "or put the official file back")
        print(f"tinyopt: {path} failed its checksum (kept as {aside.name}), downloading it "
              "again", file=sys.stderr)
    elif not download:
        raise FileNotFoundError(f"{path} is missing and download=False")
    directory.mkdir(parents=True, exist_ok=True)
    partial = directory / (name + ".part")
    failures = []
    for base in MIRRORS[kind]:
        url = base + name
        print(f"tinyopt: downloading {url}", file=sys.stderr)
        try:
            _fetch(url, partial)
        except OSError as error:  # URLError, HTTPError, timeouts, refused connections
            failures.append(f"{url}: {error}")
            partial.unlink(missing_ok=True)
            continue
        if _matches(partial, expected):
            partial.replace(path)
            return path
        failures.append(f"{url}: checksum mismatch (expected {expected})")
        partial.unlink()
    raise RuntimeError(f"could not get a valid {name} for {kind!r}; tried:\n  "
                       + "\n  ".join(failures)
                       + f"\nYou can also place the official file in {directory} yourself.")


def load_mnist(root=None, kind="mnist", split="train", download=True, flatten=False):
    """MNIST or Fashion-MNIST images and labels, downloaded once and cached.

    Args:
        root: base directory of the cache; files go in ``root/<kind>``
            (default: ``$TINYOPT_DATA`` or ``~/.cache/tinyopt``).
        kind: ``"mnist"`` (handwritten digits) or ``"fashion"`` (Fashion-MNIST).
        split: ``"train"`` (60,000 images) or ``"test"`` (10,000).
        download: fetch missing or corrupt files; with ``False`` a missing file
            raises ``FileNotFoundError`` and a corrupt one ``ValueError``. A cached
            file that fails its checksum is renamed aside (``<name>.bad-checksum``),
            never deleted.
        flatten: images as rows of 784 pixels instead of shape (n, 1, 28, 28).

    Returns:
        ``(images, labels)``: images of the default float dtype in [0, 1],
        labels int64 in 0..9.

    Raises:
        RuntimeError: when no mirror gives a file with the right checksum.
    """
    if kind not in CHECKSUMS:
        raise ValueError(f"kind must be one of {sorted(CHECKSUMS)}, got {kind!r}")
    if split not in FILES:
        raise ValueError(f"split must be one of {sorted(FILES)}, got {split!r}")
    directory = cache_dir(root, kind)
    images_name, labels_name = FILES[split]
    images = read_idx(_ensure_file(directory, kind, images_name, download))
    labels = read_idx(_ensure_file(directory, kind, labels_name, download))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"{directory}: expected images (n, rows, cols) and labels (n,), "
                         f"got shapes {images.shape} and {labels.shape}")
    pixels = images.astype(backend.default_dtype())
    pixels /= 255
    pixels = pixels.reshape(len(images), -1) if flatten else pixels[:, None, :, :]
    return tensor_class()(backend.to_device(pixels)), label_tensor(labels)
