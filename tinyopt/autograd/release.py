"""Freeing, before a backward pass, the forward values nothing can read any more.

A tinyopt ``Tensor`` is both a value and a node of the graph, so every
intermediate array of the forward pass (a convolution's output, say) lives as
long as the graph does: the nodes that consumed it hold it among their
parents, through the whole backward pass. PyTorch's autograd keeps only what
the backward formulas saved. A plain ``backward`` here does the same by
dropping, before it starts, the values of each intermediate node that

1. no backward formula reads: it is in no node's ``_saved`` and does not read
   its own output (``saves_output``), nor is it an output of the pass;
2. nobody outside the graph can reach: its reference count is exactly the
   references the graph itself makes (its consumers' parents tuples and the
   cells of the backward closures, the pass's own list of nodes) — the test
   NumPy makes before it reuses a temporary's buffer in place.

An intermediate the caller still holds (a variable, a hook, a list of
activations) keeps its values; one that only the graph holds could never be
read again, so freeing it changes no result. The values give way to a
``ReleasedValues`` placeholder that keeps the shape and dtype (the engine
checks gradient shapes against them) and raises on any read, so a formula
that reads more than its op declared fails loudly instead of computing from
stale memory. Small arrays are left alone (``MIN_BYTES``): the scan is pure
overhead where there is little memory to win.
"""
import math
import sys

from .tensor import Tensor

MIN_BYTES = 1 << 20
"""Intermediates smaller than this keep their values (not worth the scan)."""

_READ_AFTER_RELEASE = (
    "this intermediate tensor's values were freed before the backward pass, since no "
    "backward formula declared that it reads them and nothing outside the graph held the "
    "tensor: a backward formula reads a tensor its op did not list in saved= (a bug in "
    "that op's definition)")


class ReleasedValues:
    """What an intermediate node holds once its values are freed: shape and dtype only."""

    __slots__ = ("shape", "dtype")
    __array_ufunc__ = None  # NumPy's operators and ufuncs refuse it (TypeError)

    def __init__(self, array):
        self.shape, self.dtype = array.shape, array.dtype

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return math.prod(self.shape)

    @property
    def itemsize(self):
        return self.dtype.itemsize

    def __array__(self, *args, **kwargs):
        raise RuntimeError(_READ_AFTER_RELEASE)

    def __getattr__(self, name):
        raise RuntimeError(f"{_READ_AFTER_RELEASE} (it asked for .{name})")


def _references_beyond(graph_references, node):
    """``node``'s reference count less the ``graph_references`` the graph makes to it."""
    return sys.getrefcount(node) - graph_references


def _closure_tensors(function):
    """The tensors a backward function's closure cells hold (a reference each)."""
    for cell in getattr(function, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:  # a cell not filled yet (a name the function's scope binds later)
            continue
        if isinstance(value, Tensor):
            yield value


def _calibrate():
    """What ``_references_beyond`` gives for a node held only as the pass holds each one."""
    probe = object()
    order_and_candidates = ([probe], {id(probe): probe})
    del probe
    for _, node in order_and_candidates[1].items():  # iterated as release_unread_values does
        return _references_beyond(0, node)


_ONLY_THE_PASS = _calibrate()


def release_unread_values(order, outputs):
    """Replace the values of the nodes of ``order`` that satisfy 1. and 2. above.

    ``order``: every node of the pass (a list, as ``topological_order`` gives);
    ``outputs``: the tensors the pass starts from, which always keep theirs.
    """
    candidates = {id(node): node for node in order
                  if node._backward is not None and node._output_version is None
                  and type(node.array) is not ReleasedValues
                  and node.array.nbytes >= MIN_BYTES}
    for output in outputs:
        candidates.pop(id(output), None)
    if not candidates:
        return
    graph_references = dict.fromkeys(candidates, 0)
    for node in order:
        for tensor, _ in node._saved:
            candidates.pop(id(tensor), None)  # a formula reads it
        consumer = id(node) in graph_references  # its own closure may hold it too
        for parent in node._parents:
            if id(parent) in graph_references:
                graph_references[id(parent)] += 1
                consumer = True
        if consumer:  # the closures that can hold a candidate (missing one only keeps it)
            for tensor in _closure_tensors(node._backward):
                if id(tensor) in graph_references:
                    graph_references[id(tensor)] += 1
    for key, node in candidates.items():
        if _references_beyond(graph_references[key], node) == _ONLY_THE_PASS:
            node.array = ReleasedValues(node.array)
