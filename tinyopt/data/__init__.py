"""Data for tinyopt: datasets, a batching loader, synthetic sets, and real ones.

- ``Dataset``, ``TensorDataset``, ``DataLoader``: as in ``torch.utils.data``.
- Synthetic 2-D sets and regression: ``make_moons``, ``make_spirals``,
  ``make_circles``, ``make_blobs``, ``make_regression``.
- Sequences for RNNs: ``make_sequence_task`` (sum, adding problem, parity).
- Characters for attention models: ``char_corpus``, ``CharVocab``,
  ``CharDataset``, ``make_char_dataset``, ``unigram_entropy``.
- Real images: ``load_digits`` (8x8, via scikit-learn) and ``load_mnist``
  (MNIST / Fashion-MNIST, downloaded once and cached), ``read_idx``/``write_idx``.
"""
from .dataset import Dataset, TensorDataset
from .digits import load_digits
from .idx import load_mnist, read_idx, write_idx
from .loader import DataLoader, collate
from .sequences import make_sequence_task
from .synthetic import make_blobs, make_circles, make_moons, make_regression, make_spirals
from .text import CharDataset, CharVocab, char_corpus, make_char_dataset, unigram_entropy

__all__ = [
    "Dataset", "TensorDataset", "DataLoader", "collate",
    "make_moons", "make_spirals", "make_circles", "make_blobs", "make_regression",
    "make_sequence_task",
    "char_corpus", "CharVocab", "CharDataset", "make_char_dataset", "unigram_entropy",
    "load_digits", "load_mnist", "read_idx", "write_idx",
]
