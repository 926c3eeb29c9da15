"""Flat buffers (multi-tensor apply): one group's parameters, gradients and state packed end to end.

A model has many small parameters; a kernel call per tensor costs Python
overhead per tensor. As fused/foreach optimizers do, ``FlatGroup`` keeps a
parameter group in contiguous flat buffers, one per kind (``data``,
``grad``, and one per state entry such as ``exp_avg``), so one call of the
executor's ``run_flat`` updates the whole group::

    values [ w1 ........ | b1 .. | w2 ...... | b2 . ]
              ^ w1.array is a view: values[0:n1].reshape(w1.shape)

``param.array``, ``param.grad.array`` and the state arrays stay ordinary
arrays of the parameter's shape, views into the buffers: a student reads and
assigns them as usual, and in-place changes (``p.data.mul_(0.5)``, the ``+=``
with which ``backward`` accumulates gradients) land in the buffer directly.

Binding a *new* array breaks the view, so every step first checks identity:

- a new ``.array`` (``p.data = ...``) of the same shape and dtype is copied
  into the buffer and ``.array`` is bound back to the view (the new array
  itself is not updated afterwards); another shape or dtype re-packs the
  group (or, with mixed dtypes, leaves it unpacked);
- a new ``.grad`` (``backward`` allocates one after ``zero_grad()`` set it to
  None), or a gradient Tensor whose ``.array`` was rebound, is copied in and
  its ``.array`` bound to the view: one extra pass over the gradient, which
  ``zero_grad(set_to_none=False)`` avoids;
- a new state array (``load_state_dict``, or an assignment into
  ``optimizer.state``) is copied in the same way.

So nothing assigned is lost, and ``state_dict()`` sees ordinary arrays of
each parameter's shape, in PyTorch's layout. One thing does change: the
first step moves ``.array`` into the buffer, so a raw array fetched from
``param.array`` *before* that step is no longer the parameter (fetch it
again; Tensors such as ``param.data`` and ``param.grad`` follow the move). Groups of one parameter are not packed and keep their arrays.

What a step costs in Python, for a group of N parameters: the checks above
are identity comparisons, ``all(map(is_, arrays, views))``, loops in C that
take tens of microseconds for a thousand parameters when nothing was
rebound; the segment bounds handed to the kernel are cached and rebuilt
only when the set of parameters with a gradient changes; and when all
parameters' step counts agree, ``Optimizer`` prepares the rule once for the
whole group (one ``Update``) and copies the new counts into every state.
"""
from operator import attrgetter, is_
from typing import Callable, NamedTuple, Optional, Sequence

import numpy

from .. import backend
from ..kernels.scalar_table import same_scalars, scalar_table

NOT_IN_STATE = "<not a state entry>"
"""The key given to a rule's array that is not an entry of the parameter's state."""

_GRAD_OF = attrgetter("_grad")
_ARRAY_OF = attrgetter("array")

PACKABLE_DTYPES = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))
"""The dtypes compiled loops run on; other groups run parameter by parameter."""


class Update(NamedTuple):
    """One rule with one row of scalars for one or more parameters of a group.

    ``Optimizer._prepare_updates`` makes one ``Update`` for all parameters
    whose state numbers agree (the usual case), else one per parameter.
    """

    indices: Sequence[int]
    """Positions in the group of the parameters updated."""
    states: list
    """Their state dicts, in the same order."""
    rule: Callable
    keys: tuple
    """The state key of each of the rule's state arrays (None: a buffer not kept)."""
    scalars: tuple
    arrays: Optional[list] = None
    """A one-parameter update's state arrays (else each state's entries under ``keys``);
    needed when one is not a state entry (key ``NOT_IN_STATE``)."""

    def state_arrays(self, number):
        """The state arrays of the ``number``-th parameter of this update."""
        if self.arrays is not None:
            return self.arrays
        state = self.states[number]
        return [None if key is None else state[key] for key in self.keys]


class FlatGroup:
    """A parameter group's arrays as views into flat buffers (see the module docstring).

    Args:
        params: the group's parameters, in order, all of one dtype from
            ``PACKABLE_DTYPES`` (check with ``FlatGroup.can_pack``). Their
            current values (and gradients) are copied in and ``.array``
            (``.grad``) re-bound to the views.
    """

    def __init__(self, params):
        self.params = list(params)
        self.dtype = self.params[0].array.dtype
        self.shapes = [p.array.shape for p in self.params]
        self.bounds = []
        stop = 0
        for param in self.params:
            self.bounds.append((stop, stop + param.array.size))
            stop += param.array.size
        self.size = stop
        self.values, self.value_views = self._buffer([p.array for p in self.params])
        grads = list(map(_GRAD_OF, self.params))
        self.grads, self.grad_views = self._buffer(
            [None if grad is None else grad.array for grad in grads])
        for param, grad, value_view, grad_view in zip(self.params, grads, self.value_views,
                                                      self.grad_views):
            param.array = value_view
            if grad is not None:
                grad.array = grad_view
        self.state = {}
        """State key (``'exp_avg'``, ...) -> (flat buffer, views), created on first use."""
        self._all_positions = tuple(range(len(self.params)))
        self.with_grad = tuple(n for n, grad in enumerate(grads) if grad is not None)
        """Positions of the parameters with a gradient (set by ``adopt_rebound_arrays``)."""
        self.versions = numpy.array([p._version_box[0] for p in self.params], dtype=numpy.int64)
        """The parameters' version counters, packed too: each one's box becomes a view of
        one entry, so ``count_writes`` bumps them all in one call. (A ``detach()``-ed copy
        made before packing keeps the old box and stops seeing the count.)"""
        for number, param in enumerate(self.params):
            param._version_box = self.versions[number:number + 1]
        self._segment_cache = {}
        """``(rule, keys)`` -> (positions, starts, stops) of the last one-update run."""

    @staticmethod
    def can_pack(params):
        """True for two or more ``params`` of one packable dtype, living in the backend.

        A lone parameter gains nothing from packing (it is one call anyway),
        so it keeps its own arrays and runs through ``executor.run``.
        """
        if len(params) < 2:
            return False
        dtype = params[0].array.dtype
        return dtype in PACKABLE_DTYPES and all(
            isinstance(p.array, backend.xp.ndarray) and p.array.dtype == dtype for p in params)

    def holds(self, params):
        """True when this packing was made for exactly ``params`` (same objects, same order)."""
        return len(params) == len(self.params) and all(map(is_, params, self.params))

    def adopt_rebound_arrays(self):
        """Copy newly bound ``.array``/``.grad`` arrays into the buffers; False if a re-pack is due.

        A new ``.array`` with another shape, dtype or array type (a CuPy
        array) cannot live in this packing: the caller packs the group afresh
        (``FlatGroup(params)``), or runs it unpacked. Afterwards
        ``with_grad`` holds the positions of the parameters that have a
        gradient. (``all(map(is_, ...))`` compares identities in a loop written
        in C: a thousand parameters cost tens of microseconds when nothing was
        rebound.)
        """
        if not all(map(is_, map(_ARRAY_OF, self.params), self.value_views)):
            for param, view in zip(self.params, self.value_views):
                data = param.array
                if data is not view:
                    if type(data) is not type(view) or data.shape != view.shape \
                            or data.dtype != self.dtype:
                        return False
                    view[...] = data
                    param.array = view
        try:  # one pass in C; a missing gradient (None has no .array) takes the slow path
            if all(map(is_, map(_ARRAY_OF, map(_GRAD_OF, self.params)), self.grad_views)):
                self.with_grad = self._all_positions
                return True
        except AttributeError:
            pass
        grads = list(map(_GRAD_OF, self.params))
        for grad, view in zip(grads, self.grad_views):
            if grad is not None and grad.array is not view:
                view[...] = grad.array
                grad.array = view
        with_grad = tuple(n for n, grad in enumerate(grads) if grad is not None)
        if with_grad != self.with_grad:  # else keep the old tuple: cached segments match it
            self.with_grad = with_grad
        return True

    def count_writes(self):
        """Bump the version counter of every parameter with a gradient (those ``run`` wrote)."""
        if self.with_grad is self._all_positions:
            self.versions += 1
        else:
            self.versions[list(self.with_grad)] += 1

    def run(self, executor, updates):
        """Run ``updates`` (a list of ``Update``) as one ``executor.run_flat`` call per rule.

        An update whose arrays are not all state entries (key
        ``NOT_IN_STATE``) cannot be packed: that parameter runs on its own
        through ``executor.run``.
        """
        by_rule = {}
        for update in updates:
            if NOT_IN_STATE in update.keys:
                param = self.params[update.indices[0]]
                executor.run(update.rule, [([param.array, param.grad.array, *update.arrays],
                                            update.scalars)])
                continue
            by_rule.setdefault((update.rule, update.keys), []).append(update)
        for (rule, keys), rule_updates in by_rule.items():
            state_buffers = [None if key is None else self._adopt_state(key, rule_updates)
                             for key in keys]
            arrays = [self.values, self.grads, *state_buffers]
            starts, stops, table = self._segments(rule, keys, rule_updates)
            flags = tuple(isinstance(scalar, bool) for scalar in rule_updates[0].scalars)
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

    def _adopt_state(self, key, updates):
        """The flat buffer of state ``key``, after copying in any entry that is not its view."""
        if key not in self.state:
            self.state[key] = self._buffer([None] * len(self.params))
        flat, views = self.state[key]
        for update in updates:
            entries = [state[key] for state in update.states]
            mine = views if update.indices is self._all_positions else [
                views[index] for index in update.indices]
            if all(map(is_, entries, mine)):
                continue
            for index, state in zip(update.indices, update.states):
                if state[key] is not views[index]:
                    views[index][...] = state[key]
                    state[key] = views[index]
        return flat

    def _segments(self, rule, keys, updates):
        """Segment bounds and scalar table: neighbours with equal scalars merge into one segment.

        One update (all parameters share the scalars) gives segments that
        depend only on its positions: they are cached per ``(rule, keys)``
        and reused while those positions stay the same; only the table (the
        scalars, which change each step) is made anew.
        """
        if len(updates) == 1:
            indices, scalars = updates[0].indices, updates[0].scalars
            cached = self._segment_cache.get((rule, keys))
            if cached is None or not (cached[0] is indices or cached[0] == indices):
                starts, stops, _ = self._merge([(index, scalars) for index in indices])
                cached = self._segment_cache[(rule, keys)] = (indices, starts, stops)
            _, starts, stops = cached
            return starts, stops, scalar_table([scalars] * len(starts), len(scalars), self.dtype)
        return self._merge([(index, update.scalars) for update in updates
                            for index in update.indices])

    def _merge(self, items):
        """Segments of ``items`` ``(position, scalars)``: neighbours with equal scalars merge."""
        starts, stops, rows = [], [], []
        for index, scalars in items:
            start, stop = self.bounds[index]
            if start == stop:
                continue
            if stops and stops[-1] == start and same_scalars(rows[-1], scalars):
                stops[-1] = stop
            else:
                starts.append(start)
                stops.append(stop)
                rows.append(scalars)
        width = len(items[0][1])
        return (numpy.array(starts, dtype=numpy.int64), numpy.array(stops, dtype=numpy.int64),
                scalar_table(rows, width, self.dtype))
