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

Environment variables work only before a pool starts (OpenBLAS starts when
NumPy is imported, which tinyopt already did), so the BLAS pool is resized at
run time with ``threadpoolctl`` when it is installed (it comes with
scikit-learn, the ``data`` extra); PyTorch's with ``torch.set_num_threads``.
``tinyopt bench train`` applies this before it builds anything.

On a machine shared with other jobs (more runnable threads than cores) a
two-thread OpenBLAS product waits for a descheduled partner: one conv layer's
forward and backward measured 200-400 ms with two threads against 52 ms with
one at load 9 on 2 cores. There, ``TINYOPT_NUM_THREADS=1`` is the faster setting.

Measured on the idle 2-core machine, LSTM epoch alternating with PyTorch:
tinyopt took 1,065 ms with ``OMP_WAIT_POLICY=ACTIVE`` (torch's spinning
threads held the cores) and 213 ms with ``PASSIVE``. Passive waiting costs
PyTorch a wake-up per parallel region, which shows on workloads of many small
ops (the MLP); a comparison meant to flatter neither side would run each
library in a process of its own.
"""
import os


def thread_count():
    """Threads per pool: TINYOPT_NUM_THREADS, else OMP_NUM_THREADS, else the usable cores."""
    for name in ("TINYOPT_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(name)
        if value is not None:
            if not value.isdigit() or int(value) <= 0:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
            return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def apply_thread_setting(torch=None):
    """Apply the setting of the module docstring; return what each pool got.

    ``torch``: the imported module, to size its pool too (None: leave it alone).
    """
    threads = thread_count()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("NUMBA_NUM_THREADS", str(threads))
    blas = int(os.environ.get("OPENBLAS_NUM_THREADS", threads))
    applied = {"threads": threads, "omp_wait_policy": os.environ["OMP_WAIT_POLICY"],
               "blas_threads": None}
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        pass
    else:
        threadpool_limits(limits=blas, user_api="blas")
        applied["blas_threads"] = blas
    if torch is not None:
        torch.set_num_threads(threads)
        applied["torch_threads"] = threads
    return applied
