"""Settings every test runs under."""
import pytest

from tinyopt.autograd import release


@pytest.fixture(autouse=True)
def release_every_unread_intermediate(monkeypatch):
    """Free the unread forward values of every graph, however small (``autograd/release.py``).

    By default only arrays of ``release.MIN_BYTES`` or more are freed, which
    the small tensors of most tests are not; at 0 every backward pass of the
    suite runs with its unread intermediates gone, so a backward formula that
    reads a tensor its op did not declare fails here, loudly.
    """
    monkeypatch.setattr(release, "MIN_BYTES", 0)
