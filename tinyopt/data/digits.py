"""The 8x8 handwritten digits (1,797 images, 10 classes), from scikit-learn.

Small enough to train an MLP on in seconds, real enough that its test
accuracy means something. scikit-learn ships the images with its package,
so nothing is downloaded.

Example::

    >>> from tinyopt.data import load_digits
    >>> X_train, y_train, X_test, y_test = load_digits(test_fraction=0.2, seed=0)
    >>> X_train.shape[1], int(y_train.data.max())
    (64, 9)
"""
import numbers

import numpy

from ._common import float_tensor, host_rng, label_tensor


def _sklearn_digits():
    """(images as a (1797, 64) float array in 0..16, int labels) from scikit-learn."""
    try:
        from sklearn.datasets import load_digits as sklearn_load_digits
    except ImportError as error:
        raise ImportError(
            "load_digits needs scikit-learn: pip install scikit-learn "
            "(or pip install 'tinyopt[data]')") from error
    digits = sklearn_load_digits()
    return digits.data, digits.target


def stratified_split(labels, test_fraction, rng):
    """Indices ``(train, test)`` with each class split in the same proportion.

    From each class, ``round(test_fraction * count)`` samples chosen at
    random go to the test set; both index arrays come back shuffled.
    """
    train, test = [], []
    for label in numpy.unique(labels):
        members = rng.permutation(numpy.flatnonzero(labels == label))
        n_test = int(round(test_fraction * len(members)))
        test.append(members[:n_test])
        train.append(members[n_test:])
    return rng.permutation(numpy.concatenate(train)), rng.permutation(numpy.concatenate(test))


def load_digits(test_fraction=0.2, seed=0, flatten=True):
    """The scikit-learn digits, pixels scaled to [0, 1], split into train and test.

    Args:
        test_fraction: share of each class held out for testing, in (0, 1).
        seed: integer seed of the (stratified) split; None draws it from
            ``backend.rng()`` (see ``tinyopt.manual_seed``).
        flatten: images as rows of 64 pixels; ``False`` gives shape (n, 1, 8, 8)
            for convolutional networks.

    Returns:
        ``(X_train, y_train, X_test, y_test)``: X of the default float dtype,
        y int64 digit labels in 0..9.

    Raises:
        ImportError: when scikit-learn is not installed.
    """
    if (isinstance(test_fraction, bool) or not isinstance(test_fraction, numbers.Real)
            or not 0 < test_fraction < 1):
        raise ValueError(f"test_fraction must be a number in (0, 1), got {test_fraction!r}")
    pixels, labels = _sklearn_digits()
    X = pixels / 16.0  # the scikit-learn digits are 4-bit grey levels 0..16
    if not flatten:
        X = X.reshape(-1, 1, 8, 8)
    train, test = stratified_split(labels, test_fraction, host_rng(seed))
    return (float_tensor(X[train]), label_tensor(labels[train]),
            float_tensor(X[test]), label_tensor(labels[test]))
