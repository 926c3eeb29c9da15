"""Flat buffers (multi-tensor apply): one group's parameters, gradients and state packed end to end.

A model has many small parameters; a kernel call per tensor costs Python
overhead per tensor. As fused/foreach optimizers do, ``FlatGroup`` keeps a
parameter group in contiguous flat buffers, one per kind (``data``,
``grad``, and one per state entry such as ``exp_avg``), so one call of the
executor's ``run_flat`` updates the whole group::

    data  [ w1 ........ | b1 .. | w2 ...... | b2 . ]
             ^ w1.data is a view: data[0:n1].reshape(w1.shape)

``param.data``, ``param.grad`` and the state arrays stay ordinary arrays of
the parameter's shape, views into the buffers: a student reads and assigns
them as usual, and in-place changes (``p.data *= 0.5``, the ``+=`` with
which ``backward`` accumulates gradients) land in the buffer directly.

Binding a *new* array breaks the view, so every step first checks identity:

- a new ``.data`` of the same shape and dtype is copied into the buffer and
  ``.data`` is bound back to the view (the new array itself is not updated
  afterwards); another shape or dtype re-packs the group (or, with mixed
  dtypes, leaves it unpacked);
- a new ``.grad`` (``backward`` allocates one after ``zero_grad()`` set it to
  None) is copied in and ``.grad`` bound to the view: one extra pass over
  the gradient, which ``zero_grad(set_to_none=False)`` avoids;
- a new state array (``load_state_dict``, or an assignment into
  ``optimizer.state``) is copied in the same way.

So nothing assigned is lost, and ``state_dict()`` sees ordinary arrays of
each parameter's shape, in PyTorch's layout. One thing does change: the
first step moves ``.data`` into the buffer, so an array fetched from
``param.data`` *before* that step is no longer the parameter (fetch it
again). Groups of one parameter are not packed and keep their arrays.
"""
import numpy

from .. import backend

NOT_IN_STATE = "<not a state entry>"
"""The key given to a rule's array that is not an entry of the parameter's state."""

PACKABLE_DTYPES = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))
"""The dtypes compiled loops run on; other groups run parameter by parameter."""


class FlatGroup:
    """A parameter group's arrays as views into flat buffers (see the module docstring).

    Args:
        params: the group's parameters, in order, all of one dtype from
            ``PACKABLE_DTYPES`` (check with ``FlatGroup.can_pack``). Their
            current values (and gradients) are copied in and ``.data``
            (``.grad``) re-bound to the views.
    """

    def __init__(self, params):
        self.params = list(params)
        self.dtype = self.params[0].data.dtype
        self.shapes = [p.data.shape for p in self.params]
        self.bounds = []
        stop = 0
        for param in self.params:
            self.bounds.append((stop, stop + param.data.size))
            stop += param.data.size
        self.size = stop
        self.data, self.data_views = self._buffer([p.data for p in self.params])
        self.grad, self.grad_views = self._buffer([p.grad for p in self.params])
        for param, data_view, grad_view in zip(self.params, self.data_views, self.grad_views):
            param.data = data_view
            if param.grad is not None:
                param.grad = grad_view
        self.state = {}
        """State key (``'exp_avg'``, ...) -> (flat buffer, views), created on first use."""

    @staticmethod
    def can_pack(params):
        """True for two or more ``params`` of one packable dtype, living in the backend.

        A lone parameter gains nothing from packing (it is one call anyway),
        so it keeps its own arrays and runs through ``executor.run``.
        """
        if len(params) < 2:
            return False
        dtype = params[0].data.dtype
        return dtype in PACKABLE_DTYPES and all(
            isinstance(p.data, backend.xp.ndarray) and p.data.dtype == dtype for p in params)

    def holds(self, params):
        """True when this packing was made for exactly ``params`` (same objects, same order)."""
        return len(params) == len(self.params) and all(
            a is b for a, b in zip(params, self.params))

    def adopt_rebound_arrays(self):
        """Copy newly bound ``.data``/``.grad`` arrays into the buffers; False if a re-pack is due.

        A new ``.data`` with another shape, dtype or array type (a CuPy
        array) cannot live in this packing: the caller packs the group afresh
        (``FlatGroup(params)``), or runs it unpacked.
        """
        for param, view in zip(self.params, self.data_views):
            data = param.data
            if data is not view:
                if type(data) is not type(view) or data.shape != view.shape \
                        or data.dtype != self.dtype:
                    return False
                view[...] = data
                param.data = view
        for param, view in zip(self.params, self.grad_views):
            grad = param.grad
            if grad is not None and grad is not view:
                view[...] = grad
                param.grad = view
        return True

    def run(self, executor, indices, updates):
        """Run every update, grouped by rule, as one ``executor.run_flat`` call per rule.

        ``indices[n]`` is the position in the group of the parameter that
        ``updates[n] = (state, rule, keys, state_arrays, scalars)`` belongs
        to; ``keys[j]`` names ``state_arrays[j]`` in ``state`` (None for an
        array not kept). An array that is not a state entry (key
        ``NOT_IN_STATE``) cannot be packed: that parameter runs on its own
        through ``executor.run``.
        """
        by_rule = {}
        for index, (state, rule, keys, arrays, scalars) in zip(indices, updates):
            if NOT_IN_STATE in keys:
                param = self.params[index]
                executor.run(rule, [([param.data, param.grad, *arrays], scalars)])
                continue
            by_rule.setdefault((rule, keys), []).append((index, state, scalars))
        for (rule, keys), items in by_rule.items():
            state_buffers = [None if key is None else self._adopt_state(key, items)
                             for key in keys]
            arrays = [self.data, self.grad, *state_buffers]
            starts, stops, table = self._segments(items)
            flags = tuple(isinstance(scalar, bool) for scalar in items[0][2])
            executor.run_flat(rule, arrays, starts, stops, table, flags)

    # ------------------------------------------------------------- internals
    def _buffer(self, arrays):
        """A zeroed flat buffer holding ``arrays`` (None leaves zeros), and its views."""
        flat = backend.xp.zeros(self.size, dtype=self.dtype)
        views = [flat[start:stop].reshape(shape) for (start, stop), shape in zip(self.bounds,
                                                                                  self.shapes)]
        for view, array in zip(views, arrays):
            if array is not None:
                view[...] = array
        return flat, views

    def _adopt_state(self, key, items):
        """The flat buffer of state ``key``, after copying in any entry that is not its view."""
        if key not in self.state:
            self.state[key] = self._buffer([None] * len(self.params))
        flat, views = self.state[key]
        for index, state, _ in items:
            if state[key] is not views[index]:
                views[index][...] = state[key]
                state[key] = views[index]
        return flat

    def _segments(self, items):
        """Segment bounds and scalar table: neighbours with equal scalars merge into one segment."""
        starts, stops, rows = [], [], []
        for index, _, scalars in items:
            start, stop = self.bounds[index]
            if start == stop:
                continue
            if stops and stops[-1] == start and (rows[-1] is scalars or rows[-1] == scalars):
                stops[-1] = stop
            else:
                starts.append(start)
                stops.append(stop)
                rows.append(scalars)
        width = len(items[0][2])
        table = numpy.array(rows, dtype=self.dtype).reshape(len(rows), width)
        return (numpy.array(starts, dtype=numpy.int64), numpy.array(stops, dtype=numpy.int64),
                table)
