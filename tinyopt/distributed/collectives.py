r"""Collectives over MPI: the few messages data-parallel training needs.

Launch N copies of one script with ``mpiexec -n N python train.py``; each
copy (a *rank*, numbered 0 … N-1) calls ``init()`` and then the collectives
below, which every rank must call in the same order. With ``x_r`` the array
rank ``r`` passes::

    all_reduce(x)       every rank gets   Σ_r x_r   (op="sum"; "mean": / N; "max")
    reduce_scatter(x)   rank r gets block r of Σ_r x_r   (x split into N equal blocks)
    all_gather(x)       every rank gets   [x_0, x_1, …, x_{N-1}]   end to end
    broadcast(x, src)   every rank gets   x_src

They run on backend arrays through mpi4py's buffer methods (``Allreduce``,
``Reduce_scatter_block``, ``Allgather``, ``Bcast``): the bytes travel as
they are, nothing is pickled. Each returns a new array (``all_reduce`` and
``broadcast`` also accept ``out=``, e.g. the array itself, to work in place).

Not launched under MPI (no ``mpiexec`` environment), or without mpi4py,
everything still works as one process: ``world_size()`` is 1 and each
collective returns a copy of its input, so the same script runs on a laptop
unchanged.

Failure: MPI collectives have no timeout, so a rank that raises would leave
the others waiting forever. ``init()`` therefore installs an exception hook
that prints ``rank r of N failed`` with the traceback and calls
``MPI_Abort``, which ends every rank at once (the launcher reports the exit
code); a rank that dies outright is detected by the launcher, which kills
the rest.
"""
import os
import sys
import traceback

from .. import backend

_LAUNCHER_VARIABLES = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_RANK")
"""Environment variables MPICH's, Open MPI's and PMIx's launchers set in each rank."""

_comm = None
_ops = {}


def launched_under_mpi():
    """True when this process was started by an MPI launcher (``mpiexec``/``mpirun``)."""
    return any(name in os.environ for name in _LAUNCHER_VARIABLES)


def init():
    """Join the MPI job this process was launched in; return ``world_size()``.

    Safe to call more than once. Outside an MPI launch it sets up one
    process (rank 0 of 1). Under a launcher mpi4py must be installed
    (``pip install mpi4py mpich``, the ``dist`` extra): else ``ImportError``.
    """
    global _comm
    if _comm is not None or not launched_under_mpi():
        return world_size()
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError("launched under mpiexec but mpi4py is missing: "
                          "pip install 'tinyopt[dist]' (mpi4py and mpich)") from error
    _comm = MPI.COMM_WORLD
    _ops.update(sum=MPI.SUM, mean=MPI.SUM, max=MPI.MAX, min=MPI.MIN)
    _install_abort_hook()
    return world_size()


def is_initialized():
    """True once ``init()`` joined an MPI job (False for a single process)."""
    return _comm is not None


def rank():
    """This process's number, 0 … world_size() - 1 (0 outside MPI)."""
    return 0 if _comm is None else _comm.Get_rank()


def world_size():
    """The number of processes in the job (1 outside MPI)."""
    return 1 if _comm is None else _comm.Get_size()


def barrier():
    """Wait until every rank has reached this call."""
    if _comm is not None:
        _comm.Barrier()


def all_reduce(array, op="sum", out=None):
    """Σ over ranks (``op``: "sum", "mean", "max" or "min") of ``array``, on every rank."""
    _check_op(op)
    array = _contiguous(array)
    if out is None:
        out = backend.xp.empty_like(array)
    _check_out(out, array.shape, array.dtype)
    if _comm is None:
        out[...] = array
    elif out is array:
        from mpi4py import MPI
        _comm.Allreduce(MPI.IN_PLACE, out, op=_ops[op])
    else:
        _comm.Allreduce(array, out, op=_ops[op])
    if op == "mean" and world_size() > 1:
        out /= world_size()
    return out


def reduce_scatter(array, op="sum"):
    """Block ``rank()`` of the reduction over ranks of ``array`` (1-D, length divisible by N)."""
    _check_op(op)
    array = _contiguous(array)
    size = world_size()
    if array.ndim != 1 or array.size % size:
        raise ValueError(f"reduce_scatter needs a 1-D array whose length divides into "
                         f"world_size()={size} equal blocks, got shape {tuple(array.shape)}")
    out = backend.xp.empty(array.size // size, dtype=array.dtype)
    if _comm is None:
        out[...] = array
    else:
        _comm.Reduce_scatter_block(array, out, op=_ops[op])
    if op == "mean" and size > 1:
        out /= size
    return out


def all_gather(array):
    """Every rank's ``array`` (equal shapes) end to end along dim 0: shape ``(N·n, ...)``."""
    array = _contiguous(array)
    out = backend.xp.empty((world_size() * array.shape[0],) + array.shape[1:]
                           if array.ndim else (world_size(),), dtype=array.dtype)
    if _comm is None:
        out.reshape(array.shape)[...] = array
    else:
        _comm.Allgather(array, out)
    return out


def broadcast(array, src=0, out=None):
    """Rank ``src``'s ``array`` on every rank (``out=array`` overwrites it in place)."""
    if isinstance(src, bool) or not isinstance(src, int) or not 0 <= src < world_size():
        raise ValueError(f"src must be a rank in [0, {world_size()}), got {src!r}")
    array = _contiguous(array)
    if out is None:
        out = array.copy()
    elif out is not array:
        _check_out(out, array.shape, array.dtype)
        out[...] = array
    if _comm is not None:
        _comm.Bcast(out, root=src)
    return out


def allgather_objects(value):
    """Every rank's small Python ``value`` (pickled), as a list by rank: for metadata only."""
    return [value] if _comm is None else _comm.allgather(value)


def _check_op(op):
    if op not in ("sum", "mean", "max", "min"):
        raise ValueError(f"op must be 'sum', 'mean', 'max' or 'min', got {op!r}")


def _check_out(out, shape, dtype):
    if tuple(out.shape) != tuple(shape) or out.dtype != dtype or not out.flags.c_contiguous:
        raise ValueError(f"out must be a contiguous {dtype} array of shape {tuple(shape)}, got "
                         f"{out.dtype} {tuple(out.shape)}")


def _contiguous(array):
    if not isinstance(array, backend.xp.ndarray):
        raise TypeError(f"collectives take backend arrays ({backend.xp.__name__}.ndarray), "
                        f"got {type(array).__name__}; pass tensor.array")
    return backend.xp.ascontiguousarray(array)


def _install_abort_hook():
    """On an uncaught exception: print which rank failed, then abort every rank."""
    def abort_all_ranks(kind, error, trace):
        sys.stderr.write(f"tinyopt.distributed: rank {rank()} of {world_size()} failed; "
                         "aborting all ranks\n" + "".join(traceback.format_exception(
                             kind, error, trace)))
        sys.stderr.flush()
        _comm.Abort(1)  # does not return: mpiexec ends every rank and exits non-zero

    sys.excepthook = abort_all_ranks
