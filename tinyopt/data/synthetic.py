"""Small synthetic data sets for watching optimizers work: two moons, spirals,
concentric circles, Gaussian blobs, and noisy regression.

Every generator takes ``n_samples``, ``noise`` and ``seed`` and returns
``(X, y)`` as tensors: ``X`` of the default float dtype, shape
``(n_samples, n_features)``; ``y`` int64 class labels of shape
``(n_samples,)`` (or float targets of shape ``(n_samples, 1)`` for
regression). The samples come shuffled. ``seed=None`` draws from
``backend.rng()``, so ``tinyopt.manual_seed`` makes the sets reproducible;
an integer seed fixes the set on its own.

Example::

    >>> from tinyopt.data import make_moons
    >>> X, y = make_moons(n_samples=100, noise=0.1, seed=0)
    >>> X.shape, y.shape, str(y.dtype)
    ((100, 2), (100,), 'int64')

The sequence tasks (``make_sequence_task``) and the character corpus live in
``sequences.py`` and ``text.py``; they are re-exported here for convenience.
"""
import numpy

from ._common import (check_non_negative, check_positive_int, float_tensor, host_rng,
                      label_tensor)


def _shuffled(rng, X, y):
    """X and y with their rows put in one random order (so classes interleave)."""
    order = rng.permutation(len(X))
    return X[order], y[order]


def _split(n_samples, n_parts):
    """Sizes of ``n_parts`` groups that add up to ``n_samples`` (differ by at most 1)."""
    return [n_samples // n_parts + (k < n_samples % n_parts) for k in range(n_parts)]


def make_moons(n_samples=200, noise=0.1, seed=None):
    """Two interleaving half circles (classes 0 and 1), as scikit-learn's ``make_moons``.

    Args:
        n_samples: total number of points, split evenly between the moons.
        noise: standard deviation of Gaussian noise added to each coordinate.
        seed: integer seed, or None to draw from ``backend.rng()``.

    Returns:
        ``(X, y)``: X float of shape (n_samples, 2), y int64 of shape (n_samples,).
    """
    n_samples = check_positive_int("n_samples", n_samples)
    noise = check_non_negative("noise", noise)
    rng = host_rng(seed)
    n_outer, n_inner = _split(n_samples, 2)
    angle_outer = numpy.linspace(0, numpy.pi, n_outer)
    angle_inner = numpy.linspace(0, numpy.pi, n_inner)
    outer = numpy.stack([numpy.cos(angle_outer), numpy.sin(angle_outer)], axis=1)
    inner = numpy.stack([1 - numpy.cos(angle_inner), 0.5 - numpy.sin(angle_inner)], axis=1)
    X = numpy.concatenate([outer, inner]) + noise * rng.standard_normal((n_samples, 2))
    y = numpy.repeat([0, 1], [n_outer, n_inner])
    X, y = _shuffled(rng, X, y)
    return float_tensor(X), label_tensor(y)


def make_spirals(n_samples=300, n_classes=3, noise=0.2, seed=None):
    """``n_classes`` spiral arms winding out from the origin (the CS231n spirals).

    Arm ``k`` holds points at radius ``r`` in [0, 1] and angle
    ``2*pi*k/n_classes + 4*r`` (each arm turns 4 radians); the arms are
    rotated copies of each other, so no linear model separates them.

    Args:
        n_samples: total number of points, split evenly between the arms.
        n_classes: number of arms (classes), at least 2.
        noise: standard deviation of Gaussian noise added to each point's
            angle, in radians (as in CS231n), so points near the centre move
            little and the arms stay readable.
        seed: integer seed, or None to draw from ``backend.rng()``.

    Returns:
        ``(X, y)``: X float of shape (n_samples, 2), y int64 in [0, n_classes).
    """
    n_samples = check_positive_int("n_samples", n_samples)
    n_classes = check_positive_int("n_classes", n_classes)
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}")
    noise = check_non_negative("noise", noise)
    rng = host_rng(seed)
    points, labels = [], []
    for k, size in enumerate(_split(n_samples, n_classes)):
        radius = numpy.linspace(0.0, 1.0, size)
        angle = 2 * numpy.pi * k / n_classes + 4.0 * radius + noise * rng.standard_normal(size)
        points.append(numpy.stack([radius * numpy.cos(angle), radius * numpy.sin(angle)], axis=1))
        labels.append(numpy.full(size, k))
    X, y = _shuffled(rng, numpy.concatenate(points), numpy.concatenate(labels))
    return float_tensor(X), label_tensor(y)


def make_circles(n_samples=200, noise=0.05, factor=0.5, seed=None):
    """A small circle (class 1) inside a large one (class 0), as scikit-learn's.

    Args:
        n_samples: total number of points, split evenly between the circles.
        noise: standard deviation of Gaussian noise added to each coordinate.
        factor: radius of the inner circle relative to the outer one, in (0, 1).
        seed: integer seed, or None to draw from ``backend.rng()``.

    Returns:
        ``(X, y)``: X float of shape (n_samples, 2), y int64 of shape (n_samples,).
    """
    n_samples = check_positive_int("n_samples", n_samples)
    noise = check_non_negative("noise", noise)
    if not 0 < factor < 1:
        raise ValueError(f"factor must be in (0, 1), got {factor!r}")
    rng = host_rng(seed)
    n_outer, n_inner = _split(n_samples, 2)
    angle_outer = numpy.linspace(0, 2 * numpy.pi, n_outer, endpoint=False)
    angle_inner = numpy.linspace(0, 2 * numpy.pi, n_inner, endpoint=False)
    outer = numpy.stack([numpy.cos(angle_outer), numpy.sin(angle_outer)], axis=1)
    inner = factor * numpy.stack([numpy.cos(angle_inner), numpy.sin(angle_inner)], axis=1)
    X = numpy.concatenate([outer, inner]) + noise * rng.standard_normal((n_samples, 2))
    y = numpy.repeat([0, 1], [n_outer, n_inner])
    X, y = _shuffled(rng, X, y)
    return float_tensor(X), label_tensor(y)


def make_blobs(n_samples=300, centers=3, cluster_std=1.0, n_features=2, noise=0.0,
               center_box=(-10.0, 10.0), seed=None):
    """Isotropic Gaussian clusters, one class per cluster, as scikit-learn's ``make_blobs``.

    Args:
        n_samples: total number of points, split evenly between the clusters.
        centers: the number of clusters (centres drawn uniformly in
            ``center_box``), or an array of shape (n_centers, n_features).
        cluster_std: standard deviation of each cluster.
        n_features: dimension of the points (ignored when ``centers`` is an array).
        noise: extra Gaussian noise on every coordinate, on top of
            ``cluster_std`` (here for the same signature as the other
            generators; the spread is ``sqrt(cluster_std**2 + noise**2)``).
        center_box: ``(low, high)`` bounds for random centres.
        seed: integer seed, or None to draw from ``backend.rng()``.

    Returns:
        ``(X, y)``: X float of shape (n_samples, n_features), y int64 cluster indices.
    """
    n_samples = check_positive_int("n_samples", n_samples)
    cluster_std = check_non_negative("cluster_std", cluster_std)
    noise = check_non_negative("noise", noise)
    rng = host_rng(seed)
    if isinstance(centers, (int, numpy.integer)) and not isinstance(centers, bool):
        check_positive_int("centers", centers)
        n_features = check_positive_int("n_features", n_features)
        low, high = center_box
        centers = rng.uniform(low, high, size=(int(centers), n_features))
    else:
        centers = numpy.asarray(centers, dtype=float)
        if centers.ndim != 2 or len(centers) == 0:
            raise ValueError(
                f"centers must be a positive int or an array of shape (n_centers, n_features), "
                f"got shape {centers.shape}")
    spread = numpy.sqrt(cluster_std**2 + noise**2)
    sizes = _split(n_samples, len(centers))
    y = numpy.repeat(numpy.arange(len(centers)), sizes)
    X = centers[y] + spread * rng.standard_normal((n_samples, centers.shape[1]))
    X, y = _shuffled(rng, X, y)
    return float_tensor(X), label_tensor(y)


def make_regression(n_samples=200, n_features=1, noise=0.1, kind="linear", coef=False,
                    seed=None):
    """Noisy regression targets ``y = f(X) + noise``.

    ``X`` is standard normal. ``kind="linear"`` gives ``y = X @ w + b`` with
    ``w`` and ``b`` drawn standard normal (the least-squares problem of every
    optimization course); ``kind="sine"`` gives ``y = sin(X @ w) + 0.5 * (X @ w)``,
    a smooth nonlinear curve that a small MLP fits and a line does not.

    Args:
        n_samples: number of points.
        n_features: number of input features.
        noise: standard deviation of Gaussian noise added to the targets.
        kind: ``"linear"`` or ``"sine"``.
        coef: also return the true ``w`` (shape (n_features, 1)) and ``b`` (shape (1,)).
        seed: integer seed, or None to draw from ``backend.rng()``.

    Returns:
        ``(X, y)`` with X float (n_samples, n_features) and y float (n_samples, 1);
        ``(X, y, w, b)`` when ``coef`` is true.
    """
    n_samples = check_positive_int("n_samples", n_samples)
    n_features = check_positive_int("n_features", n_features)
    noise = check_non_negative("noise", noise)
    if kind not in ("linear", "sine"):
        raise ValueError(f"kind must be 'linear' or 'sine', got {kind!r}")
    rng = host_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    w = rng.standard_normal((n_features, 1))
    b = rng.standard_normal(1)
    if kind == "linear":
        clean = X @ w + b
    else:
        b = numpy.zeros(1)
        clean = numpy.sin(X @ w) + 0.5 * (X @ w)
    y = clean + noise * rng.standard_normal((n_samples, 1))
    if coef:
        return float_tensor(X), float_tensor(y), float_tensor(w), float_tensor(b)
    return float_tensor(X), float_tensor(y)


# Re-exports, so every generator can also be found under tinyopt.data.synthetic.
from .sequences import make_sequence_task  # noqa: E402,F401
from .text import (CharDataset, CharVocab, char_corpus, make_char_dataset,  # noqa: E402,F401
                   unigram_entropy)
