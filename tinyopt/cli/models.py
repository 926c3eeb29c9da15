"""The command line's data sets and models: ``--dataset``, ``--data-dir`` and ``--model``.

Data sets: the synthetic 2-D sets (``moons``, ``spirals``, ``circles``,
``blobs``: 800 training and 200 test points), scikit-learn's 8x8 ``digits``,
and ``mnist`` / ``fashion-mnist`` (28x28, 60,000 + 10,000 images) read from
IDX files. With ``--data-dir DIR`` the four files are read from DIR as they
are (``train-images-idx3-ubyte`` and the others, ``.gz`` or not: a copy of
your own); without it from tinyopt's checksummed download cache
(``tinyopt.data.load_mnist``), which the command line never fills itself.

Models (``--model``), each ending in one output per class:

    linear          one Linear layer: multinomial logistic regression
    mlp             Linear-ReLU-Linear-ReLU-Linear, both hidden layers --hidden wide
    mlp:W,W,...     an MLP with these hidden widths (one or more), e.g. mlp:256,128,64
    cnn             Conv(8)-ReLU-MaxPool-Conv(16)-ReLU-MaxPool-Linear, for images
    cnn:C,C         the same with C channels in the two convolutions
"""
import argparse
from dataclasses import dataclass
from pathlib import Path

SYNTHETIC = ("moons", "spirals", "circles", "blobs")
IMAGES = ("digits", "mnist", "fashion-mnist")
DATASETS = SYNTHETIC + IMAGES
KINDS = ("linear", "mlp", "cnn")
IDX_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
"""The IDX files of an MNIST-like set by split (each also found with ``.gz``)."""


@dataclass(frozen=True)
class ModelSpec:
    """What ``--model`` names: a kind and its widths (hidden units, or channels; empty:
    the defaults)."""

    kind: str
    widths: tuple = ()

    def __str__(self):
        """The ``--model`` text: ``mlp:128,64``."""
        return self.kind + (":" + ",".join(str(width) for width in self.widths)
                            if self.widths else "")

    def describe(self, hidden):
        """``"MLP 64-64"``, ``"linear"``, ``"CNN 8-16"``: for titles and reports."""
        if self.kind == "linear":
            return "linear"
        if self.kind == "cnn":
            return "CNN " + "-".join(str(width) for width in self.widths or (8, 16))
        return "MLP " + "-".join(str(width) for width in self.widths or (hidden, hidden))


def parse_model(text):
    """``linear``, ``mlp``, ``mlp:W,W,...``, ``cnn`` or ``cnn:C,C`` -> ``ModelSpec``;
    ``ValueError`` saying what is allowed otherwise."""
    kind, colon, widths = str(text).strip().partition(":")
    if kind not in KINDS:
        raise ValueError(f"unknown model {kind!r} (choose from linear, mlp, mlp:W,W,..., "
                         "cnn, cnn:C,C)")
    if not colon:
        return ModelSpec(kind)
    if kind == "linear":
        raise ValueError(f"linear takes no widths, got {text!r}")
    try:
        sizes = tuple(int(part) for part in widths.split(","))
    except ValueError:
        raise ValueError(f"widths must be positive ints 'W,W,...', got {text!r}") from None
    if any(size < 1 for size in sizes):
        raise ValueError(f"widths must be positive ints, got {text!r}")
    if kind == "cnn" and len(sizes) != 2:
        raise ValueError(f"cnn takes two channel counts 'cnn:C,C', got {text!r}")
    return ModelSpec(kind, sizes)


def model_spec(text):
    """argparse type: ``parse_model``."""
    try:
        return parse_model(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_arguments(parser, dataset):
    """``--dataset``, ``--data-dir`` and ``--model`` (``--hidden`` stays with each command)."""
    parser.add_argument("--dataset", choices=DATASETS, default=dataset,
                        help=f"data set (default {dataset}; digits needs scikit-learn; mnist "
                             "and fashion-mnist are read from IDX files, see --data-dir)")
    parser.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                        help="a folder holding the four MNIST-like IDX files "
                             "(train-images-idx3-ubyte[.gz], ...); default: tinyopt's "
                             "download cache (tinyopt.data.load_mnist)")
    parser.add_argument("--model", type=model_spec, default=ModelSpec("mlp"),
                        metavar="MODEL", help="linear, mlp (two layers of --hidden), "
                                              "mlp:W,W,... (these hidden widths), cnn or "
                                              "cnn:C,C (images only) (default mlp)")


def check(args):
    """Usage errors: a CNN on points, a data folder for a data set that has no files."""
    from .common import UsageError
    if args.model.kind == "cnn" and args.dataset not in IMAGES:
        raise UsageError(f"argument --model: cnn needs images: --dataset "
                         f"{', '.join(IMAGES)}, not {args.dataset}")
    if args.data_dir is not None and args.dataset not in ("mnist", "fashion-mnist"):
        raise UsageError(f"argument --data-dir: only mnist and fashion-mnist are read from "
                         f"files, not {args.dataset}")


def _idx_split(directory, split):
    """``(images, labels)`` host arrays of ``split`` from the IDX files in ``directory``."""
    from ..data import read_idx
    arrays = []
    for name in IDX_FILES[split]:
        found = [directory / (name + suffix) for suffix in ("", ".gz")
                 if (directory / (name + suffix)).is_file()]
        if not found:
            raise FileNotFoundError(f"--data-dir {directory} has no {name} or {name}.gz")
        arrays.append(read_idx(found[0]))
    images, labels = arrays
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"--data-dir {directory}: expected {split} images (n, rows, cols) "
                         f"and labels (n,), got shapes {images.shape} and {labels.shape}")
    return images, labels


def _mnist(kind, data_dir, flatten):
    """``(X_train, y_train, X_test, y_test)`` tensors of an MNIST-like set."""
    from .. import backend
    from ..data import load_mnist
    from ..data._common import float_tensor, label_tensor
    if data_dir is None:
        try:
            train = load_mnist(kind=kind, split="train", download=False, flatten=flatten)
            test = load_mnist(kind=kind, split="test", download=False, flatten=flatten)
        except FileNotFoundError as error:
            raise FileNotFoundError(f"{error}: pass --data-dir with your copy, or fill the "
                                    "cache once with tinyopt.data.load_mnist()") from None
        return (*train, *test)
    tensors = []
    for split in ("train", "test"):
        images, labels = _idx_split(Path(data_dir), split)
        pixels = images.astype(backend.default_dtype()) / 255
        pixels = pixels.reshape(len(pixels), -1) if flatten else pixels[:, None]
        tensors += [float_tensor(pixels), label_tensor(labels)]
    return tuple(tensors)


def load_data(dataset, seed, data_dir=None, flatten=True):
    """``(X_train, y_train, X_test, y_test, classes)`` of a data set of ``DATASETS``;
    images as rows of pixels, or with ``flatten=False`` shaped (n, 1, height, width)."""
    from .. import data
    if dataset == "digits":
        return (*data.load_digits(seed=seed, flatten=flatten), 10)
    if dataset in ("mnist", "fashion-mnist"):
        return (*_mnist("mnist" if dataset == "mnist" else "fashion", data_dir, flatten), 10)
    makers = {"moons": data.make_moons, "spirals": data.make_spirals,
              "circles": data.make_circles, "blobs": data.make_blobs}
    X, y = makers[dataset](n_samples=1000, seed=seed)
    split = 800
    classes = int(y.numpy().max()) + 1
    return X[:split], y[:split], X[split:], y[split:], classes


def load(args, seed=None):
    """``load_data`` for the command line's ``args`` (images kept whole for a CNN)."""
    return load_data(args.dataset, args.seed if seed is None else seed, args.data_dir,
                     flatten=args.model.kind != "cnn")


def build_model(spec, inputs, hidden, classes):
    """The network ``spec`` names for ``inputs`` (features, or a (1, height, width) image
    shape for a CNN) and ``classes`` outputs; ``hidden`` is the plain ``mlp``'s width."""
    from .. import nn
    if spec.kind == "linear":
        return nn.Linear(_features(inputs), classes)
    if spec.kind == "cnn":
        first, second = spec.widths or (8, 16)
        _, height, width = inputs
        return nn.Sequential(nn.Conv2d(1, first, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(first, second, 3, padding=1), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(second * (height // 4) * (width // 4), classes))
    widths = [_features(inputs), *(spec.widths or (hidden, hidden))]
    layers = []
    for fan_in, fan_out in zip(widths, widths[1:]):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(widths[-1], classes))


def _features(inputs):
    """The number of input features of a flattened sample of shape ``inputs``."""
    count = 1
    for size in (inputs if isinstance(inputs, tuple) else (inputs,)):
        count *= size
    return count


def build(spec, X_train, hidden, classes):
    """``build_model`` for training inputs ``X_train`` (rows, or images)."""
    shape = tuple(X_train.shape[1:])
    return build_model(spec, shape if spec.kind == "cnn" else _features(shape), hidden, classes)


__all__ = ["DATASETS", "IMAGES", "ModelSpec", "parse_model", "model_spec", "add_arguments",
           "check", "load_data", "load", "build_model", "build"]
