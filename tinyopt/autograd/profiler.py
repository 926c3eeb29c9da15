"""Where the time goes: seconds per op, forward and backward apart.

``with profile() as report:`` times every op of ``autograd.ops``
(``elementwise.add``, ``linalg.linear``, ``window.unfold``, ...) on the way
forward, wherever in tinyopt it is called from — exclusive time, so an op built of others is
charged only for its own work — and every node's backward function on the
way back, by the name of the op that recorded it. ``report.table()`` lists
the slowest. Outside the block nothing is timed and nothing costs extra.

Example::

    >>> with profile() as report:
    ...     loss = loss_fn(model(x), y); loss.backward()
    >>> print(report.table(limit=10))
"""
import functools
import inspect
import sys
import time
from collections import defaultdict

from . import engine
from .ops import (conv, elementwise, layer_norm, linalg, pool, recurrent, reduce, shape,
                  window)

_MODULES = (conv, elementwise, layer_norm, linalg, pool, recurrent, reduce, shape, window)


class profile:
    """Context manager collecting per-op forward and backward seconds (see the module docstring)."""

    def __init__(self):
        self.seconds = defaultdict(float)  # (phase, op) -> seconds
        self.calls = defaultdict(int)

    def __enter__(self):
        ops = {id(function): self._timed(function.__name__, function)
               for module in _MODULES for name, function in vars(module).items()
               if inspect.isfunction(function) and function.__module__ == module.__name__
               and not name.startswith("_")}
        self._originals, self._stack = [], []
        # every tinyopt module that imported an op by name gets the timed one too
        for module in [m for n, m in sys.modules.items() if n.split(".")[0] == "tinyopt"]:
            for name, value in list(vars(module).items()):
                if id(value) in ops and inspect.isfunction(value):
                    self._originals.append((module, name, value))
                    setattr(module, name, ops[id(value)])
        engine.backward_clock = self._record_backward
        return self

    def __exit__(self, *exc):
        for module, name, function in self._originals:
            setattr(module, name, function)
        engine.backward_clock = None

    def _timed(self, name, function):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            self._stack.append(0.0)
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                inner = self._stack.pop()
                self.seconds["forward", name] += elapsed - inner
                self.calls["forward", name] += 1
                if self._stack:
                    self._stack[-1] += elapsed
        return timed

    def _record_backward(self, op, seconds):
        self.seconds["backward", op] += seconds
        self.calls["backward", op] += 1

    def rows(self):
        """``[{"phase", "op", "calls", "ms"}, ...]``, slowest first."""
        rows = [{"phase": phase, "op": op, "calls": self.calls[phase, op], "ms": 1e3 * seconds}
                for (phase, op), seconds in self.seconds.items()]
        return sorted(rows, key=lambda row: -row["ms"])

    def table(self, limit=12):
        """The slowest ops of each phase as aligned text."""
        lines = []
        for phase in ("forward", "backward"):
            rows = [r for r in self.rows() if r["phase"] == phase]
            total = sum(r["ms"] for r in rows)
            lines.append(f"{phase}: {total:.1f} ms in ops")
            lines += [f"  {r['op']:<18} {r['ms']:8.2f} ms  {r['calls']:6d} calls"
                      for r in rows[:limit]]
        return "\n".join(lines)
