r"""The grader: the first place a student's numbers leave the reference's, and why.

Student and reference run the same fixed cases (``harness``); their
trajectories are compared step by step, case by case, and the report names
the **first** divergence: the case, the step, the parameter or state entry
(by the student's own state key), the element, expected vs got. State keys
are matched by value, not by name: after the first step each of the
reference's state arrays (``exp_avg``) is paired with the student's entry
holding the same numbers (``m``), whatever it is called.

A diagnosis never reads the student's source. Each exercise keeps a
registry of known mistakes, each the reference with that one mistake
injected; the grader replays every one on the same cases, and a mistake
whose parameters agree with the student's at every recorded step is named
as what the student most likely did.

Tolerances (per element): float64 ``|got - expected| <= 1e-10 + 1e-8 |expected|``;
float32 ``1e-6 + 1e-4 |expected|`` (the order of floating-point operations
may differ from the reference's; the mistakes it must catch are larger). A
case may set its own ``tolerance = (atol, rtol)`` (the experiments do).
"""
import numpy as np

TOLERANCES = {"float64": (1e-10, 1e-8), "float32": (1e-6, 1e-4)}
"""dtype name -> (atol, rtol)."""


DIAGNOSIS_SLACK = 100
"""A mistake matches the student's numbers within 100 times the tolerance, on the
float64 cases only: a mistaken formula can amplify rounding (a centered variance
with alpha swapped is a difference of nearly equal numbers; in float32 its
trajectory is noise), and the mistakes told apart differ far more."""


def precision(case):
    """What the comparisons of ``case`` take as ``dtype``: its own ``tolerance``, if it sets
    one, else its dtype's name."""
    return getattr(case, "tolerance", None) or case.dtype


def _close(expected, got, dtype, slack=1):
    """Elementwise: is ``got`` within ``slack`` tolerances of ``expected``? (NaN never is).
    ``dtype``: a dtype name (its ``TOLERANCES``) or an ``(atol, rtol)`` pair."""
    tolerance = dtype if isinstance(dtype, tuple) else \
        TOLERANCES.get(str(dtype), TOLERANCES["float32"])
    atol, rtol = (slack * t for t in tolerance)
    expected, got = np.asarray(expected, np.float64), np.asarray(got, np.float64)
    return np.abs(got - expected) <= atol + rtol * np.abs(expected)


def _first_bad_element(expected, got, dtype, slack=1):
    """Index (a tuple) of the first element out of tolerance, or None."""
    if np.shape(expected) != np.shape(got):
        return ()
    bad = np.argwhere(~_close(expected, got, dtype, slack))
    return tuple(int(i) for i in bad[0]) if len(bad) else None


def _value_mismatch(kind, entry, expected, got, dtype):
    """A divergence record for ``entry`` if ``got`` differs from ``expected``, else None."""
    if np.shape(expected) != np.shape(got):
        return {"kind": "shape", "entry": entry, "expected_shape": list(np.shape(expected)),
                "got_shape": list(np.shape(got))}
    element = _first_bad_element(expected, got, dtype)
    if element is None:
        return None
    e, g = float(np.asarray(expected)[element]), float(np.asarray(got)[element])
    return {"kind": "nan" if not np.isfinite(g) else kind, "entry": entry,
            "element": list(element), "shape": list(np.shape(expected)),
            "expected": e, "got": g}


def match_state_keys(expected_state, got_state, dtype):
    """``{reference key: student key or None}``: each reference array paired with the
    student's entry holding the same values (the same name wins a tie); entries left
    over on both sides are paired by name, then in order (so that a wrong value is
    reported under the student's key)."""
    mapping, used = {}, set()
    for key, value in expected_state.items():
        candidates = [k for k, v in got_state.items() if k not in used and
                      np.shape(v) == np.shape(value) and _close(value, v, dtype).all()]
        chosen = key if key in candidates else (candidates[0] if candidates else None)
        mapping[key] = chosen
        if chosen is not None:
            used.add(chosen)
    for key in [k for k, v in mapping.items() if v is None]:
        if key in got_state and key not in used:
            mapping[key] = key
            used.add(key)
    left = [k for k in got_state if k not in used]
    for key in [k for k, v in mapping.items() if v is None]:
        if left:
            mapping[key] = left.pop(0)
    return mapping


def _entry(name):
    """How a recorded quantity is named in reports: optimizer parameters are labelled
    ``group g, param i``; other quantities (``lr``, ``total_norm``) by their own name."""
    return f"parameter {name}" if name.startswith("group ") else name


def first_divergence(expected, got, cases, compare_state=True):
    """The first difference between two trajectories, or None when they agree.

    ``got`` may stop early with a failure record (an exception in the
    student's code): that is the divergence if nothing diverged before.
    """
    for number, (case, want, have) in enumerate(zip(cases, expected["cases"], got["cases"])):
        mapping = {}
        for step, want_step in enumerate(want["steps"], start=1):
            if step > len(have["steps"]):
                if have["failure"] is None:
                    return {"kind": "length", "case": number, "step": step,
                            "expected_steps": len(want["steps"]), "got_steps": len(have["steps"])}
                return {"kind": "error", "case": number, "step": step, **have["failure"]}
            have_step = have["steps"][step - 1]
            for name, value in want_step["params"].items():
                found = _value_mismatch("param", _entry(name), value,
                                        have_step["params"].get(name), precision(case))
                if found:
                    return {**found, "case": number, "step": step, "name": name,
                            **({"at": want_step["at"]} if "at" in want_step else {})}
            if not compare_state:
                continue
            for name, want_state in want_step["state"].items():
                have_state = have_step["state"].get(name, {})
                if name not in mapping and want_state:
                    mapping[name] = match_state_keys(want_state, have_state, precision(case))
                for key, value in want_state.items():
                    theirs = mapping[name].get(key)
                    if theirs is None or theirs not in have_state:
                        return {"kind": "state-missing", "case": number, "step": step, "name": name,
                                "entry": f"state of {name}", "reference_key": key,
                                "keys": sorted(have_state)}
                    found = _value_mismatch("state", f"state entry {theirs!r} of {name}", value,
                                            have_state[theirs], precision(case))
                    if found:
                        return {**found, "case": number, "step": step, "name": name,
                                "reference_key": key}
        if len(have["steps"]) > len(want["steps"]):
            return {"kind": "length", "case": number, "step": len(want["steps"]) + 1,
                    "expected_steps": len(want["steps"]), "got_steps": len(have["steps"])}
    return None


def _agrees(want, have, name, dtype):
    """Does parameter ``name`` of the student's run (``have``, one case) equal ``want``'s at
    every step the student reached that records it?"""
    if len(want["steps"]) < len(have["steps"]):
        return False
    return all(_first_bad_element(w["params"][name], h["params"].get(name), dtype,
                                  DIAGNOSIS_SLACK) is None
               for w, h in zip(want["steps"], have["steps"]) if name in w["params"])


def diagnose(expected, got, cases, mistakes, replay, first, strict=False):
    """Names of the known mistakes that reproduce the student's parameters.

    ``mistakes`` maps a name to a ``Mistake``; ``replay(factory)`` runs it on the
    cases. A mistake is named when every parameter of every case follows
    either the mistake's trajectory or the reference's (a mistake made in one
    branch only, say the centered one, still matches), and the parameter of
    the first divergence ``first`` (``(case, name)``) follows the mistake's.
    Only parameters are compared (a mistaken state may be named anything), on
    the float64 cases and the case of the first divergence (``DIAGNOSIS_SLACK``).
    ``strict``: every quantity must follow the mistake's (an experiment's mistake
    changes its whole run; a few discrete answers, such as which arm won, can
    agree with a mistake by chance).
    """
    found = []
    for name, mistake in mistakes.items():
        trajectory = replay(mistake.factory)
        matches = True
        for number, (case, want, wrong, have) in enumerate(
                zip(cases, expected["cases"], trajectory["cases"], got["cases"])):
            if case.dtype != "float64" and number != first[0]:
                continue
            for param in dict.fromkeys(name for step in want["steps"] for name in step["params"]):
                if not (_agrees(wrong, have, param, precision(case)) or
                        (not strict and (number, param) != first and
                         _agrees(want, have, param, precision(case)))):
                    matches = False
        if matches:
            found.append(name)
    return found


def _first_param(divergence):
    """``(case, quantity name)`` of a divergence (its parameter's, for a state entry; None
    when the student recorded more or fewer steps)."""
    return divergence["case"], divergence.get("name")


def grade(exercise, got):
    """The report (a JSON-able dict) for trajectory ``got`` of a student's ``exercise``."""
    report = {"exercise": exercise.name, "passed": False, "checked": exercise.checked(),
              "failure": None, "diagnosis": []}
    if got.get("failure"):  # the file did not import, the class is missing, a timeout
        report["failure"] = {"kind": "error", **got["failure"]}
        return report
    expected = exercise.replay(exercise.reference)
    divergence = first_divergence(expected, got, exercise.cases)
    if divergence is None:
        report["passed"] = True
        return report
    report["failure"] = divergence
    if divergence.get("not_implemented") is None and divergence["kind"] != "error":
        report["diagnosis"] = [{"mistake": name, "explanation": exercise.mistakes[name].explanation}
                               for name in diagnose(expected, got, exercise.cases,
                                                    exercise.mistakes, exercise.replay,
                                                    _first_param(divergence),
                                                    getattr(exercise, "strict_diagnosis", False))]
    return report
