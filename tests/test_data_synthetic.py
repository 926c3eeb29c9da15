"""tinyopt.data's generated and bundled in-memory datasets.

The synthetic classification sets (moons, circles, spirals, blobs: shapes,
balanced labels, determinism, separability), make_regression, the sequence
tasks (sum, adding, parity), and the character-level text corpus, vocabulary,
windowed datasets and unigram entropy.
"""
import math

import numpy as np
import pytest

from tinyopt import backend
from tinyopt.data import (CharDataset, CharVocab, DataLoader, char_corpus, make_blobs,
                          make_char_dataset, make_circles, make_moons, make_regression,
                          make_sequence_task, make_spirals, unigram_entropy)

from data_helpers import host


def one_nn_accuracy(X, y):
    """Leave-one-out 1-nearest-neighbour accuracy: high when classes are separable."""
    X, y = host(X).astype(float), host(y)
    distances = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(distances, np.inf)
    return float((y[distances.argmin(1)] == y).mean())


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
        assert vocab.decode(X.array[i]) == text[i:i + 16]
        assert vocab.itos[host(Y)[i, -1]] == text[i + 16]
    Xs, _, _ = make_char_dataset(block_size=8, text="abcdefghijklmnopqrst", stride=4)
    assert Xs.shape == (3, 8) and CharVocab("abcdefghijklmnopqrst").decode(Xs.array[1]) == "efghijkl"
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
