"""The thread setting (``tinyopt.threads``, ``backend.set_threads``): counts applied, the
environment parsed, bad values refused naming what is allowed."""
import numba
import pytest

from tinyopt import backend, threads
from tinyopt.threads import set_threads, thread_count


@pytest.fixture(autouse=True)
def restore_pools(monkeypatch):
    for name in ("OMP_WAIT_POLICY", "NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.setenv(name, "recorded")  # so that monkeypatch restores the original
        monkeypatch.delenv(name)
    monkeypatch.setattr(threads, "_applied", None)
    numba_before = numba.get_num_threads()
    yield
    numba.set_num_threads(numba_before)


def test_thread_count_follows_the_environment_and_refuses_nonsense(monkeypatch):
    monkeypatch.delenv("TINYOPT_NUM_THREADS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert thread_count() == 3
    monkeypatch.setenv("TINYOPT_NUM_THREADS", "1")
    assert thread_count() == 1
    monkeypatch.setenv("TINYOPT_NUM_THREADS", "off")
    assert thread_count() is None
    monkeypatch.setenv("TINYOPT_NUM_THREADS", "abc")
    with pytest.raises(ValueError, match="TINYOPT_NUM_THREADS must be a positive integer "
                                         "or 'off', got 'abc'"):
        thread_count()


@pytest.mark.parametrize("count", [0, -1, True, 1.5, "2"])
def test_set_threads_refuses_a_count_that_is_not_a_positive_int(count):
    with pytest.raises(ValueError, match="count must be a positive int"):
        backend.set_threads(count)


def test_set_threads_sizes_numba_blas_and_torch_and_sets_passive_waiting():
    torch = pytest.importorskip("torch")
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = torch.get_num_threads()
    blas_before = [info["num_threads"] for info in threadpoolctl.threadpool_info()
                   if info["user_api"] == "blas"]
    try:
        applied = backend.set_threads(1, torch=torch)
        assert applied["threads"] == 1 and applied["torch_threads"] == 1
        assert torch.get_num_threads() == 1 and applied["omp_wait_policy"] == "PASSIVE"
        assert applied["blas_threads"] == 1 and applied["numba_threads"] == 1
        assert numba.get_num_threads() == 1
        assert all(info["num_threads"] == 1 for info in threadpoolctl.threadpool_info()
                   if info["user_api"] == "blas")
    finally:
        torch.set_num_threads(before)
        if blas_before:
            threadpoolctl.threadpool_limits(limits=max(blas_before), user_api="blas")


def test_off_leaves_the_pools_alone(monkeypatch):
    monkeypatch.setenv("TINYOPT_NUM_THREADS", "off")
    numba.set_num_threads(1)
    assert set_threads() == {"threads": None}
    assert numba.get_num_threads() == 1


def _fit_once():
    import tinyopt
    from tinyopt import data, nn, optim
    from tinyopt.train import fit
    X, y = tinyopt.randn(8, 3), tinyopt.tensor([0, 1] * 4)
    model = nn.Linear(3, 2)
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
        data.DataLoader(data.TensorDataset(X, y), batch_size=4), epochs=1, progress=False)


def test_fit_applies_the_setting_once_and_keeps_an_explicit_one(monkeypatch):
    calls = []
    real = threads.set_threads
    monkeypatch.setattr(threads, "set_threads", lambda *a, **k: calls.append(a) or real(*a, **k))
    _fit_once()
    _fit_once()
    assert calls == [()]
    monkeypatch.setattr(threads, "_applied", None)
    real(1)
    _fit_once()
    assert calls == [()] and numba.get_num_threads() == 1
