"""A small English corpus and character-level next-token data for attention models.

``char_corpus()`` is a short story (about 5 KB, ``corpus.txt`` next to this
file) about a walker finding the way down a valley in fog. A character
model trained on it shows learning within a minute on a CPU: its loss
should fall below ``unigram_entropy()``, the loss of a model that only
knows how often each character occurs.

Example::

    >>> from tinyopt.data import make_char_dataset, unigram_entropy
    >>> X, Y, vocab = make_char_dataset(block_size=16)
    >>> X.shape[1], vocab.decode(X.data[0][:3].tolist())
    (16, 'The')
    >>> bool((X.data[:, 1:] == Y.data[:, :-1]).all())   # Y is X shifted by one
    True
"""
from importlib import resources

import numpy

from .. import backend
from ._common import check_positive_int, is_tensor, label_tensor, tensor_class
from .dataset import Dataset

CORPUS_FILE = "corpus.txt"


def char_corpus():
    """The built-in English text (a few KB) as one string."""
    return resources.files(__package__).joinpath(CORPUS_FILE).read_text(encoding="utf-8")


class CharVocab:
    """The characters of a text, numbered in sorted order.

    Attributes:
        itos: list, index -> character.
        stoi: dict, character -> index.
    """

    def __init__(self, text):
        if not text:
            raise ValueError("text must be a non-empty string")
        self.itos = sorted(set(text))
        self.stoi = {char: index for index, char in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    @property
    def vocab_size(self):
        """Number of distinct characters."""
        return len(self.itos)

    def encode(self, text):
        """The indices of the characters of ``text``, as a host int64 array."""
        unknown = sorted(set(text) - self.stoi.keys())
        if unknown:
            raise ValueError(f"characters not in the vocabulary: {unknown}")
        return numpy.array([self.stoi[char] for char in text], dtype=numpy.int64)

    def decode(self, indices):
        """The string spelled by a sequence of indices (list, array or Tensor)."""
        if is_tensor(indices):
            indices = indices.array
        return "".join(self.itos[int(i)] for i in backend.to_host(backend.asarray(indices)))


def _check_block_size(block_size, text):
    block_size = check_positive_int("block_size", block_size)
    if block_size >= len(text):
        raise ValueError(
            f"block_size must be smaller than the text length {len(text)}, got {block_size}")
    return block_size


class CharDataset(Dataset):
    """Next-character prediction windows over a text.

    Sample ``i`` is ``(x, y)``: int64 tensors of shape ``(block_size,)`` with
    ``x = text[i : i + block_size]`` and ``y = text[i + 1 : i + block_size + 1]``
    as character indices, so ``y[t]`` is the character that follows ``x[t]``.

    Args:
        text: the training text (``char_corpus()`` for the built-in one).
        block_size: context length, smaller than the text.
        vocab: a ``CharVocab`` to share with another split; built from ``text``
            when omitted.

    Attributes:
        vocab: the ``CharVocab`` (``stoi``, ``itos``, ``encode``, ``decode``).
        ids: the whole text as a backend int64 array.
    """

    def __init__(self, text, block_size, vocab=None):
        self.block_size = _check_block_size(block_size, text)
        self.vocab = vocab if vocab is not None else CharVocab(text)
        self.ids = backend.to_device(self.vocab.encode(text))

    def __len__(self):
        return len(self.ids) - self.block_size

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} windows")
        index %= len(self)
        Tensor = tensor_class()
        window = self.ids[index:index + self.block_size + 1]
        return Tensor(window[:-1]), Tensor(window[1:])


def make_char_dataset(block_size=32, text=None, stride=1):
    """Every window of a text as two int64 tensors, ready for a ``TensorDataset``.

    Args:
        block_size: context length T.
        text: the text; the built-in ``char_corpus()`` when omitted.
        stride: characters between the starts of consecutive windows.

    Returns:
        ``(X, Y, vocab)``: X and Y int64 of shape (n_windows, block_size) with
        ``Y[:, t]`` the character after ``X[:, t]``; ``vocab`` a ``CharVocab``.
    """
    text = char_corpus() if text is None else text
    block_size = _check_block_size(block_size, text)
    stride = check_positive_int("stride", stride)
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    windows = numpy.lib.stride_tricks.sliding_window_view(ids, block_size + 1)[::stride]
    return label_tensor(windows[:, :-1]), label_tensor(windows[:, 1:]), vocab


def unigram_entropy(text=None):
    """Entropy of the character frequencies of ``text`` in nats (default: the corpus).

    This is the cross-entropy loss of the best model that ignores context;
    a sequence model that has learned anything must get below it.
    """
    text = char_corpus() if text is None else text
    if not text:
        raise ValueError("text must be a non-empty string")
    _, counts = numpy.unique(numpy.frombuffer(text.encode("utf-32-le"), dtype=numpy.uint32),
                             return_counts=True)
    p = counts / counts.sum()
    return float(-(p * numpy.log(p)).sum())
