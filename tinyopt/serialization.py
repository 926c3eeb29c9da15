"""Checkpoints that cannot run code: ``save(obj, f)`` and ``load(f)``, PyTorch's names.

``torch.save`` pickles, and unpickling runs whatever the file's author chose
(a pickle may call ``os.system``). tinyopt stores only data: nested dicts,
lists and tuples of backend arrays, Tensors, Python numbers, strings, bools
and None, in a zip file that ``numpy.load(f, allow_pickle=False)`` can also
open::

    manifest.json     the structure as JSON, each array replaced by its number,
                      and per array its place in the structure, dtype, shape, sha256
    arrays/0.npy ...  the arrays in NumPy's .npy format (no pickled objects)

``load`` checks every array's sha256 against the manifest, so a flipped bit,
a truncated copy or an edited weight is refused with one line naming the file
and the entry; it refuses NaN or inf inside an array unless
``allow_nonfinite=True`` (a diverged run is not resumed by accident); and it
never unpickles: an old pickle checkpoint gets one clear error. Every failure
is a ``CheckpointError`` (a ``ValueError``) whose message starts with the file.

``save`` to a path is atomic: it writes a temporary file in the same folder,
flushes it to the disk (``fsync``) and renames it over the target
(``os.replace``), so a crash or a kill at any moment leaves the old file or the
new one, never a mix. ``atomic_write(path)`` offers the same for other files.

Example::

    >>> tinyopt.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
    ...               "epoch": 3}, "checkpoint.npz")
    >>> state = tinyopt.load("checkpoint.npz")
    >>> model.load_state_dict(state["model"]); opt.load_state_dict(state["optimizer"])

Dicts come back as ``dict`` (an ``OrderedDict`` too), in their order, with
their keys' types (the optimizer state's int keys stay ints); NumPy scalars
keep their dtype; Tensors come back as Tensors (Parameters as Parameters)
holding backend arrays.
"""
import contextlib
import hashlib
import io
import json
import math
import os
import tempfile
import zipfile
from pathlib import Path

import numpy

from . import backend

FORMAT, VERSION = "tinyopt.save", 1
MANIFEST = "manifest.json"
PICKLE_MAGIC = b"\x80"  # protocol 2+ pickles start with the PROTO opcode
ZIP_MAGIC = b"PK\x03\x04"
ARRAY_KINDS = "biufc"
"""dtype kinds an array may have: bool, int, uint, float, complex (no objects, no strings)."""


class CheckpointError(ValueError):
    """A file ``load`` refuses: not a tinyopt checkpoint, corrupted, truncated, or unsafe."""


# ----------------------------------------------------------------------- save
def save(obj, f):
    """Write ``obj`` to ``f`` (a path, written atomically, or a binary file object).

    Raises ``TypeError`` naming the entry when ``obj`` holds anything but dicts,
    lists, tuples, arrays of numbers, Tensors, numbers, strings, bools and None;
    then nothing is written.
    """
    arrays = []
    tree = _encode(obj, arrays, "")
    entries, members = [], []
    for index, (where, array) in enumerate(arrays):
        buffer = io.BytesIO()
        numpy.lib.format.write_array(buffer, array, allow_pickle=False)
        data = buffer.getvalue()
        entries.append({"entry": where, "dtype": array.dtype.str, "shape": list(array.shape),
                        "sha256": hashlib.sha256(data).hexdigest()})
        members.append((f"arrays/{index}.npy", data))
    manifest = json.dumps({"format": FORMAT, "version": VERSION, "arrays": entries,
                           "object": tree}, allow_nan=False)
    if isinstance(f, (str, os.PathLike)):
        with atomic_write(f) as file:
            _write_zip(file, members, manifest)
    else:
        _write_zip(f, members, manifest)


def _write_zip(file, members, manifest):
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, data in members:
            archive.writestr(name, data)
        archive.writestr(MANIFEST, manifest)


@contextlib.contextmanager
def atomic_write(path, mode="wb"):
    """``with atomic_write(path) as file:`` writes ``path`` all at once or not at all.

    The data go to a temporary file beside ``path``, which is flushed to the
    disk and renamed over ``path`` when the block ends without an error (on an
    error it is removed and ``path`` is untouched).
    """
    path = Path(path)
    temporary = tempfile.NamedTemporaryFile(
        mode, dir=path.parent, prefix=f".{path.name}.", suffix=".partial", delete=False,
        **({} if "b" in mode else {"encoding": "utf-8"}))
    try:
        with temporary as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary.name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary.name)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder):
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _encode(value, arrays, where):
    """``value`` as JSON-ready data; arrays are appended to ``arrays`` and named by number.

    Tagged objects carry the key ``"$"``: tuple, dict (keys that are not plain
    strings), float (non-finite), scalar (NumPy), array and tensor.
    """
    from .autograd import Tensor
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$": "float", "value": repr(value)}
    if isinstance(value, numpy.generic) and value.dtype.kind in "biuf":
        return {"$": "scalar", "dtype": value.dtype.str,
                "value": _encode(value.item(), arrays, where)}
    if isinstance(value, Tensor):
        from .nn import Parameter
        return {"$": "tensor", "index": _add_array(value.array, arrays, where),
                "requires_grad": bool(value.requires_grad),
                "parameter": isinstance(value, Parameter)}
    if isinstance(value, (numpy.ndarray, backend.xp.ndarray)):
        return {"$": "array", "index": _add_array(value, arrays, where)}
    if isinstance(value, list):
        return [_encode(item, arrays, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, tuple):
        return {"$": "tuple",
                "items": [_encode(item, arrays, f"{where}[{i}]") for i, item in enumerate(value)]}
    if isinstance(value, dict):
        if all(isinstance(key, str) and key != "$" for key in value):
            return {key: _encode(item, arrays, f"{where}[{key!r}]") for key, item in value.items()}
        return {"$": "dict", "items": [[_encode(key, arrays, f"{where} key {key!r}"),
                                        _encode(item, arrays, f"{where}[{key!r}]")]
                                       for key, item in value.items()]}
    raise TypeError(f"save cannot store {type(value).__name__} at {where or 'the top'}: it "
                    "stores dicts, lists, tuples, arrays of numbers, Tensors, numbers, "
                    "strings, bools and None")


def _add_array(array, arrays, where):
    host = numpy.asarray(backend.to_host(array), order="C")  # keeps 0-d arrays 0-d
    if host.dtype.kind not in ARRAY_KINDS:
        raise TypeError(f"save cannot store an array of dtype {host.dtype} at "
                        f"{where or 'the top'}: only arrays of numbers or bools")
    arrays.append((where or "the top", host))
    return len(arrays) - 1


# ----------------------------------------------------------------------- load
def load(f, *, allow_nonfinite=False):
    """The object that ``save`` wrote to ``f`` (a path or a binary file object).

    Args:
        f: the file.
        allow_nonfinite: accept arrays holding NaN or inf (default False: refuse them,
            naming the entry, since such weights come from a diverged run).

    Raises:
        CheckpointError: the file is not a tinyopt checkpoint (a pickle, another
            format, a folder), is truncated or corrupted (a checksum fails), or holds
            non-finite values; the message names the file and what is wrong.
        FileNotFoundError: there is no such file.
    """
    name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", "<file>")
    if isinstance(f, (str, os.PathLike)):
        if Path(f).is_dir():
            raise CheckpointError(f"{name} is a folder, not a checkpoint file")
        with open(f, "rb") as file:
            return _Reader(file, name, allow_nonfinite).read()
    return _Reader(f, name, allow_nonfinite).read()


class _Reader:
    """Reads one checkpoint; every problem becomes a ``CheckpointError`` naming the file."""

    def __init__(self, file, name, allow_nonfinite):
        self.file, self.name, self.allow_nonfinite = file, name, allow_nonfinite

    def fail(self, problem):
        raise CheckpointError(f"{self.name}: {problem}")

    def read(self):
        start = self.file.tell()
        magic = self.file.read(4)
        self.file.seek(start)
        if magic.startswith(PICKLE_MAGIC):
            self.fail("is a pickle (an old tinyopt checkpoint?); tinyopt never unpickles files, "
                      "since unpickling can run any code: make the checkpoint again")
        if magic != ZIP_MAGIC:
            self.fail("is empty or truncated" if len(magic) < 4 else
                      f"is not a tinyopt checkpoint (it starts with {magic!r}, not a zip file)")
        try:
            with zipfile.ZipFile(self.file) as archive:
                manifest = self._manifest(archive)
                arrays = [self._array(archive, index, entry)
                          for index, entry in enumerate(manifest["arrays"])]
        except (zipfile.BadZipFile, EOFError, OSError) as error:  # zlib and CRC errors too
            self.fail(f"is truncated or corrupted ({error})")
        try:
            return _decode(manifest["object"], arrays)
        except (KeyError, IndexError, TypeError, ValueError) as error:
            self.fail(f"has a malformed manifest ({type(error).__name__}: {error})")

    def _manifest(self, archive):
        try:
            manifest = json.loads(archive.read(MANIFEST))
        except KeyError:
            self.fail(f"holds no {MANIFEST}: not a tinyopt checkpoint")
        except ValueError as error:
            self.fail(f"has a corrupted {MANIFEST} ({error})")
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            self.fail(f"is not a tinyopt checkpoint ({MANIFEST} names no format {FORMAT!r})")
        if manifest.get("version") != VERSION:
            self.fail(f"has format version {manifest.get('version')!r}; this tinyopt reads "
                      f"version {VERSION}")
        if not isinstance(manifest.get("arrays"), list) or "object" not in manifest:
            self.fail(f"has a malformed {MANIFEST} (no array table or object)")
        return manifest

    def _array(self, archive, index, entry):
        member = f"arrays/{index}.npy"
        try:
            data = archive.read(member)
        except KeyError:
            self.fail(f"lacks {member} (the array at {entry.get('entry')}): truncated?")
        where = entry.get("entry", member)
        if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            self.fail(f"the array at {where} fails its sha256 checksum: the file is corrupted")
        try:
            array = numpy.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
        except ValueError as error:
            self.fail(f"the array at {where} is unreadable ({error})")
        if array.dtype.str != entry.get("dtype") or list(array.shape) != entry.get("shape"):
            self.fail(f"the array at {where} is {array.dtype.str} {list(array.shape)}, the "
                      f"manifest says {entry.get('dtype')} {entry.get('shape')}")
        if array.dtype.kind in "fc" and not self.allow_nonfinite:
            bad = int(array.size - numpy.count_nonzero(numpy.isfinite(array)))
            if bad:
                self.fail(f"the array at {where} holds {bad} NaN or inf value(s) of "
                          f"{array.size} (a diverged run?); pass allow_nonfinite=True to load "
                          "it anyway")
        return array


def _decode(node, arrays):
    """Invert ``_encode``: JSON data and the loaded host arrays -> the saved object."""
    if isinstance(node, list):
        return [_decode(item, arrays) for item in node]
    if not isinstance(node, dict):
        return node
    tag = node.get("$")
    if tag is None:
        return {key: _decode(item, arrays) for key, item in node.items()}
    if tag == "tuple":
        return tuple(_decode(item, arrays) for item in node["items"])
    if tag == "dict":
        return {_decode(key, arrays): _decode(item, arrays) for key, item in node["items"]}
    if tag == "float":
        if node["value"] not in ("nan", "inf", "-inf"):
            raise ValueError(f"not a non-finite float: {node['value']!r}")
        return float(node["value"])
    if tag == "scalar":
        dtype = numpy.dtype(node["dtype"])
        if dtype.kind not in "biuf":
            raise ValueError(f"scalar of dtype {dtype}")
        return dtype.type(_decode(node["value"], arrays))
    if tag == "array":
        return backend.to_device(arrays[_index(node, arrays)])
    if tag == "tensor":
        from .autograd import Tensor
        from .nn import Parameter
        kind = Parameter if node["parameter"] else Tensor
        return kind(backend.to_device(arrays[_index(node, arrays)]),
                    requires_grad=bool(node["requires_grad"]))
    raise ValueError(f"unknown tag {tag!r}")


def _index(node, arrays):
    index = node["index"]
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(arrays):
        raise IndexError(f"array number {index!r} of {len(arrays)}")
    return index


__all__ = ["save", "load", "atomic_write", "CheckpointError"]
