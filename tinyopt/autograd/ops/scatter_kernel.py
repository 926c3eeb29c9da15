"""Adding rows into a table by index in one compiled loop (an embedding's backward).

For a table of shape (V, ...) and integer ``rows`` of any shape,

    out[rows[i]] += values[i]      for every i, repeats accumulating,

is what ``numpy.add.at(out, rows, values)`` computes, through a buffered
loop that costs ~20 ns an element. The loop below adds whole rows, in the
order given (so the sums are those of ``add.at``). It is compiled on first
use and cached on disk (``cache=True``); ``shape.index_add`` takes it for
float NumPy arrays indexed by one integer array, and
``tests/test_attention_fast_paths.py`` holds it equal to ``add.at``.
"""
import numpy

_kernel = None


def add_rows(values, rows, shape):
    """Zeros of ``shape`` with ``values[i]`` added at row ``rows[i]`` (the module docstring)."""
    global _kernel
    if _kernel is None:
        import numba

        @numba.njit(cache=True)
        def add_rows_loop(values, rows, out):
            for i in range(rows.size):
                row = rows[i]
                for j in range(out.shape[1]):
                    out[row, j] += values[i, j]
        _kernel = add_rows_loop
    out = numpy.zeros((shape[0], int(numpy.prod(shape[1:], dtype=numpy.int64))), values.dtype)
    flat_rows = numpy.ascontiguousarray(rows.reshape(-1), dtype=numpy.int64)
    if flat_rows.size and (flat_rows.min() < -shape[0] or flat_rows.max() >= shape[0]):
        raise IndexError(f"index_add: row indices must be in [{-shape[0]}, {shape[0]}), got "
                         f"values in [{flat_rows.min()}, {flat_rows.max()}]")
    flat_rows = numpy.where(flat_rows < 0, flat_rows + shape[0], flat_rows)  # the loop checks none
    _kernel(numpy.ascontiguousarray(values).reshape(flat_rows.size, out.shape[1]), flat_rows, out)
    return out.reshape(shape)
