"""The thread setting for BLAS, numba and PyTorch: one thread per core, none spinning idle.

tinyopt's matrix products run in OpenBLAS (through NumPy), its optimizer
kernels in numba's thread pool, and a benchmark runs PyTorch's OpenMP pool in
the same process. Each pool alone wants every core; run one after another,
a pool whose threads keep spinning after their work (OpenMP's default
``OMP_WAIT_POLICY=ACTIVE``) steals the cores from the next library's threads.
So the setting is:

- threads per pool = ``TINYOPT_NUM_THREADS``, else ``OMP_NUM_THREADS``, else
  the cores this process may run on (``os.sched_getaffinity``); an
  ``OPENBLAS_NUM_THREADS`` or ``NUMBA_NUM_THREADS`` the user set is kept for
  that pool;
- ``OMP_WAIT_POLICY=PASSIVE`` unless set: idle OpenMP threads sleep at once.

``tinyopt.train.fit`` applies it once per process, on its first call
(``ensure_thread_setting``), unless ``set_threads`` was called before;
the benchmarks apply it before they build anything. To choose::

    tinyopt.backend.set_threads(1)   # one thread per pool, from now on
    TINYOPT_NUM_THREADS=1            # the same, from the environment
    TINYOPT_NUM_THREADS=off          # fit leaves every pool as it is

Environment variables work only before a pool starts (OpenBLAS starts when
NumPy is imported, which tinyopt already did; an OpenMP runtime reads
``OMP_WAIT_POLICY`` when it is loaded, so export that one in the shell to
reach a torch imported earlier). So the BLAS pool is resized at run time with
``threadpoolctl`` when it is installed (it comes with scikit-learn, the
``data`` extra), numba's with ``numba.set_num_threads`` (up to the size its
pool started with), PyTorch's with ``torch.set_num_threads``.

On a machine shared with other jobs (more runnable threads than cores) a
two-thread OpenBLAS product waits for a descheduled partner: one conv layer's
forward and backward measured 200-400 ms with two threads against 52 ms with
one at load 9 on 2 cores. There, ``TINYOPT_NUM_THREADS=1`` is the faster setting.

Measured on the idle 2-core machine, LSTM epoch alternating with PyTorch:
tinyopt took 1,065 ms with ``OMP_WAIT_POLICY=ACTIVE`` (torch's spinning
threads held the cores) and 213 ms with ``PASSIVE``. Passive waiting costs
PyTorch a wake-up per parallel region, which shows on workloads of many small
ops (the MLP): ``tinyopt bench train --isolated`` runs each library in
processes of its own, PyTorch with OpenMP's defaults (``bench/isolated.py``).
"""
import os

_applied = None
"""What the last ``set_threads`` applied (its return value); None until one ran."""


def thread_count():
    """Threads per pool: TINYOPT_NUM_THREADS, else OMP_NUM_THREADS, else the usable cores.

    None when ``TINYOPT_NUM_THREADS=off`` (leave the pools alone).
    """
    if os.environ.get("TINYOPT_NUM_THREADS", "").strip().lower() == "off":
        return None
    for name in ("TINYOPT_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(name)
        if value is not None:
            if not value.strip().isdigit() or int(value) <= 0:
                allowed = "a positive integer or 'off'" if name == "TINYOPT_NUM_THREADS" \
                    else "a positive integer"
                raise ValueError(f"{name} must be {allowed}, got {value!r}")
            return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def set_threads(count=None, torch=None):
    """Apply the setting of the module docstring; return what each pool got.

    ``count``: threads per pool, a positive int, for every pool (None: from
    ``thread_count()``, keeping an ``OPENBLAS_NUM_THREADS`` or
    ``NUMBA_NUM_THREADS`` the user set; with ``TINYOPT_NUM_THREADS=off``
    nothing is changed and ``threads`` is None). ``torch``: the imported
    module, to size its pool too (None: leave it alone).
    """
    global _applied
    if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                              or count <= 0):
        raise ValueError(f"count must be a positive int or None, got {count!r}")
    explicit = count is not None
    threads = count if explicit else thread_count()
    if threads is None:
        _applied = {"threads": None}
        return _applied
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("NUMBA_NUM_THREADS", str(threads))  # numba's pool size, if not loaded
    blas = threads if explicit else int(os.environ.get("OPENBLAS_NUM_THREADS", threads))
    numba_threads = threads if explicit else int(os.environ["NUMBA_NUM_THREADS"])
    applied = {"threads": threads, "omp_wait_policy": os.environ["OMP_WAIT_POLICY"],
               "blas_threads": _limit_blas(blas), "numba_threads": _limit_numba(numba_threads)}
    if torch is not None:
        torch.set_num_threads(threads)
        applied["torch_threads"] = threads
    _applied = applied
    return applied


def ensure_thread_setting():
    """``set_threads()`` unless it already ran in this process; return what is applied (fit's)."""
    return _applied if _applied is not None else set_threads()


def _limit_blas(threads):
    """Resize the running BLAS pool (threadpoolctl); the count set, or None without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    threadpool_limits(limits=threads, user_api="blas")
    return threads


def _limit_numba(threads):
    """Size numba's pool (at most the ``NUMBA_NUM_THREADS`` it starts with); the count it got."""
    import numba
    threads = min(threads, numba.config.NUMBA_NUM_THREADS)
    numba.set_num_threads(threads)
    return threads
