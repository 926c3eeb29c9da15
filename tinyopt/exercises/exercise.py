"""What an exercise is: a skeleton to copy, a reference, fixed cases, and known mistakes.

``FunctionExercise`` grades a function (a schedule, gradient clipping, an
accumulated training step) by the quantities it produces. ``OptimizerExercise`` grades a class the student writes (any style: an
update rule with ``_init_state``/``_prepare_update``, a PyTorch-style
``step()`` over ``self.param_groups``, or NumPy-style ``p.data -= ...``):
the grader only constructs it, feeds gradients and calls ``step()``.
"""
from dataclasses import dataclass, field
from pathlib import Path

from . import harness

SKELETONS = Path(__file__).parent / "skeletons"


@dataclass
class Mistake:
    """A known mistake: the reference with it injected, and what to tell the student."""
    factory: object
    explanation: str


@dataclass
class OptimizerExercise:
    """An optimizer the student writes as class ``class_name`` in the skeleton ``skeleton``."""
    name: str
    title: str
    goal: str
    class_name: str
    reference: object
    cases: list
    mistakes: dict = field(default_factory=dict)
    skeleton: str = ""
    _replays: dict = field(default_factory=dict, repr=False)

    @property
    def skeleton_path(self):
        """The skeleton file ``tinyopt exercises start`` copies."""
        return SKELETONS / (self.skeleton or f"{self.name}.py")

    def checked(self):
        """What a pass means, in one line."""
        steps = sum(case.steps for case in self.cases)
        dtypes = sorted({case.dtype for case in self.cases})
        return (f"{len(self.cases)} cases ({', '.join(dtypes)}; several shapes and param groups; "
                f"options on and off), {steps} steps in all, a state_dict round trip in each; "
                "parameters and every state entry at every step")

    def run(self, solution, student_file=None, on_step=None):
        """The trajectory of ``solution`` (the student's class) on the fixed cases."""
        return harness.run_optimizer(solution, self.cases, student_file, on_step)

    def replay(self, factory):
        """The trajectory of a trusted factory (the reference or an injected mistake), computed
        once per process (both are deterministic)."""
        if factory not in self._replays:
            self._replays[factory] = harness.run_optimizer(factory, self.cases)
        return self._replays[factory]


@dataclass
class FunctionCase:
    """One fixed input of a function exercise: keyword arguments, a dtype and, for an
    experiment, its own ``tolerance`` ``(atol, rtol)`` (default: the dtype's)."""
    name: str
    kwargs: dict
    dtype: str = "float64"
    tolerance: tuple = None

    def describe(self):
        """One line: the case's name and arguments."""
        return f"{self.name} [{', '.join(f'{k}={v}' for k, v in self.kwargs.items())}]"


@dataclass
class FunctionExercise:
    """A function (or training-loop step) the student writes as ``class_name``.

    ``evaluate(function, case, on_step)`` runs it on one case and returns the
    recorded steps ``[{"params": {quantity: array}, "state": {}, "at": label}]``;
    it may raise (the harness records the failure). ``strict_diagnosis``: a mistake
    is named only when it reproduces every recorded quantity (``grader.diagnose``)."""
    name: str
    title: str
    goal: str
    class_name: str
    reference: object
    cases: list
    evaluate: object
    mistakes: dict = field(default_factory=dict)
    what: str = ""
    strict_diagnosis: bool = False
    _replays: dict = field(default_factory=dict, repr=False)

    @property
    def skeleton_path(self):
        return SKELETONS / f"{self.name}.py"

    def checked(self):
        steps = sum(len(s["steps"]) for s in self.replay(self.reference)["cases"])
        return f"{len(self.cases)} cases, {steps} recorded steps: {self.what}"

    def run(self, solution, student_file=None, on_step=None):
        results = []
        for number, case in enumerate(self.cases):
            result = {"steps": [], "failure": None}
            results.append(result)

            def progress(step, number=number):
                if on_step is not None:
                    on_step(number, step)
            try:
                self.evaluate(solution, case, result["steps"], progress)
            except Exception as error:  # the student's mistake, reported
                result["failure"] = harness.failure(number, len(result["steps"]) + 1,
                                                    f"calling {self.class_name}", error,
                                                    student_file)
        return {"cases": results}

    def replay(self, factory):
        if factory not in self._replays:
            self._replays[factory] = self.run(factory)
        return self._replays[factory]
