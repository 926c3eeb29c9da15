r"""The fixed problems every optimizer exercise is run on, student and reference alike.

A case is a small optimization problem: a few parameter tensors of several
shapes in one dtype, split into param groups with their own
hyper-parameters, and a gradient that depends on the parameters,

    g(θ) = a ⊙ (θ - c) + 0.3 sin(2θ),

with fixed ``a > 0`` and ``c`` drawn from the case's seed, so that a wrong
step changes every later gradient and errors cannot hide. Each step the
harness sets ``p.grad`` (as a training loop's ``backward()`` would), calls
``optimizer.step()`` and records every parameter and every array of the
optimizer's state. Midway it saves ``state_dict()``, builds a fresh
optimizer on the same parameters and loads it, so state that does not
survive a checkpoint shows up as a divergence.

``run_optimizer`` never raises for a mistake in the optimizer it runs: a
failure is recorded (which case, which step, what was called, the
exception and the optimizer's own line) and the trajectory stops there.
"""
import copy
import traceback
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Case:
    """One fixed problem: ``groups`` is a list of ``(shapes, hyperparameters)``."""
    name: str
    groups: list
    defaults: dict = field(default_factory=dict)
    dtype: str = "float64"
    steps: int = 24
    round_trip_at: int = 12
    seed: int = 0

    def describe(self):
        """One line: the case's name, dtype, groups and their hyper-parameters."""
        groups = "; ".join(f"group {i}: {len(shapes)} tensor(s) {hp or ''}".rstrip()
                           for i, (shapes, hp) in enumerate(self.groups))
        options = ", ".join(f"{k}={v}" for k, v in self.defaults.items())
        return f"{self.name} [{self.dtype}; {options}; {groups}]"


def label(group, index):
    """The name of a parameter in reports: ``group 0, param 1``."""
    return f"group {group}, param {index}"


def _problem(case):
    """Initial values, ``a`` and ``c`` for every parameter of ``case`` (float64)."""
    rng = np.random.default_rng(case.seed)
    problem = []
    for shapes, _ in case.groups:
        problem.append([(rng.normal(size=s), rng.uniform(0.2, 3.0, size=s), rng.normal(size=s))
                        for s in shapes])
    return problem


def gradient(theta, a, c):
    """g(θ) = a ⊙ (θ - c) + 0.3 sin(2θ), in θ's dtype."""
    theta64 = theta.astype(np.float64)
    return (a * (theta64 - c) + 0.3 * np.sin(2 * theta64)).astype(theta.dtype)


def _as_array(value):
    """A numpy copy of a state value: Tensors and arrays become arrays; numbers stay None."""
    array = getattr(value, "array", value)
    if hasattr(array, "shape") and hasattr(array, "dtype"):
        return np.array(array, copy=True)
    return None


def snapshot_state(optimizer, params):
    """``{label: {key: array}}``: the array entries of each parameter's state, by the optimizer's keys."""
    state = getattr(optimizer, "state", {}) or {}
    shot = {}
    for name, param in params.items():
        entry = state.get(param, {}) if hasattr(state, "get") else {}
        arrays = {}
        for key, value in (entry.items() if isinstance(entry, dict) else ()):
            array = _as_array(value)
            if array is not None and array.shape == tuple(param.shape):
                arrays[str(key)] = array
        shot[name] = arrays
    return shot


def failure(case_number, step, during, error, student_file=None):
    """A record of an exception: where, what, and the last line of the student's own code."""
    record = {"case": case_number, "step": step, "during": during,
              "error": f"{type(error).__name__}: {error}"}
    if isinstance(error, NotImplementedError) and str(error).startswith("exercise:"):
        record["not_implemented"] = str(error)
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if student_file is not None and f.filename == str(student_file)]
    if frames:
        record["where"] = f"line {frames[-1].lineno}: {frames[-1].line}"
    return record


def run_optimizer(factory, cases, student_file=None, on_step=None):
    """Run ``factory(param_groups, **defaults)`` over every case; the recorded trajectory.

    Returns ``{"cases": [{"steps": [{"params": {label: array}, "state": {...}}], ...}]}``;
    a case whose optimizer raised stops there and holds the failure record.
    ``on_step(case_number, step)`` is called before each step (progress for timeouts).
    """
    import tinyopt
    from tinyopt import nn
    results = []
    for number, case in enumerate(cases):
        result = {"steps": [], "failure": None}
        results.append(result)
        problem = _problem(case)
        params, groups = {}, []
        for g, ((shapes, hyper), tensors) in enumerate(zip(case.groups, problem)):
            group = []
            for i, (init, _, _) in enumerate(tensors):
                param = nn.Parameter(tinyopt.tensor(init.astype(case.dtype)))
                params[label(g, i)] = param
                group.append(param)
            groups.append({"params": group, **hyper})
        during, step = "constructing the optimizer", 0
        try:
            optimizer = _build(factory, groups, case.defaults)
            for step in range(1, case.steps + 1):
                if on_step is not None:
                    on_step(number, step)
                if step == case.round_trip_at + 1:
                    during = "state_dict() / load_state_dict() midway"
                    saved = copy.deepcopy(optimizer.state_dict())
                    optimizer = _build(factory, groups, case.defaults)
                    optimizer.load_state_dict(saved)
                for g, tensors in enumerate(problem):
                    for i, (_, a, c) in enumerate(tensors):
                        param = params[label(g, i)]
                        param.grad = tinyopt.tensor(gradient(param.array, a, c))
                during = "step()"
                optimizer.step()
                result["steps"].append({
                    "params": {name: np.array(p.array, copy=True) for name, p in params.items()},
                    "state": snapshot_state(optimizer, params)})
        except Exception as error:  # the student's mistake, reported, never re-raised
            result["failure"] = failure(number, step, during, error, student_file)
    return {"cases": results}


def _build(factory, groups, defaults):
    """The optimizer on ``groups`` (lists copied, tensors shared), numpy executor for rules."""
    optimizer = factory([{**group, "params": list(group["params"])} for group in groups],
                        **defaults)
    if hasattr(type(optimizer), "executor"):
        optimizer.executor = "numpy"  # same arithmetic both sides; clear errors for bad rules
    return optimizer


def is_finite(array):
    """True when every element is finite (NaN/inf detection for reports)."""
    return bool(np.all(np.isfinite(array))) if array.size else True


__all__ = ["Case", "run_optimizer", "gradient", "label", "failure", "is_finite"]
