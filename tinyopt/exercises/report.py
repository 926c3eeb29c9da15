"""The grader's report as text: PASS with what was checked, or the first divergence and why."""


def _number(value):
    return f"{value:.10g}"


def _failure_lines(exercise, failure):
    """The lines naming where and how the student's run first went wrong."""
    if failure["kind"] == "error":
        if "not_implemented" in failure:
            return [f"not implemented yet: {failure['not_implemented']}"]
        lines = [f"{failure.get('during', 'running')} failed: {failure['error']}"]
        if failure.get("case") is not None:
            case = exercise.cases[failure["case"]]
            lines.insert(0, f"in case {failure['case'] + 1} of {len(exercise.cases)}: "
                            f"{case.describe()}, step {failure['step']}")
        if failure.get("where"):
            lines.append(f"your code, {failure['where']}")
        return lines
    case = exercise.cases[failure["case"]]
    if failure["kind"] == "length":
        agree = min(failure["got_steps"], failure["expected_steps"])
        return [f"case {failure['case'] + 1} of {len(exercise.cases)}: {case.describe()}",
                f"  you recorded {failure['got_steps']} steps, the reference "
                f"{failure['expected_steps']}; the first {agree} agree (a stopping rule?)"]
    at = failure.get("at", f"step {failure['step']}")  # a schedule's step argument, if any
    lines = [f"first divergence: case {failure['case'] + 1} of {len(exercise.cases)}: "
             f"{case.describe()}", f"  {at}, {failure['entry']}"]
    if failure["kind"] == "state-missing":
        lines.append(f"  none of your state entries {failure['keys']} holds the reference's "
                     f"{failure['reference_key']!r} (keep state in self.state[p], where "
                     "state_dict() saves it)")
        return lines
    if failure["kind"] == "shape":
        lines.append(f"  expected shape {tuple(failure['expected_shape'])}, "
                     f"got {tuple(failure['got_shape'])}")
        return lines
    if "reference_key" in failure:
        lines[-1] += f" (the reference's {failure['reference_key']!r})"
    where = f"element {tuple(failure['element'])} of shape {tuple(failure['shape'])}: " \
        if failure["shape"] else ""
    lines.append(f"  {where}expected {_number(failure['expected'])}, "
                 f"got {_number(failure['got'])}")
    if failure["kind"] == "nan":
        lines.append("  your value is not finite (NaN or inf): a division by zero, or a "
                     "square root of a negative number?")
    return lines


def format_report(exercise, report):
    """The report as the lines ``tinyopt check`` prints."""
    if report["passed"]:
        return f"tinyopt check {exercise.name}: PASS\n  checked: {report['checked']}"
    lines = [f"tinyopt check {exercise.name}: FAIL"]
    lines += ["  " + line for line in _failure_lines(exercise, report["failure"])]
    for found in report["diagnosis"]:
        lines.append(f"  diagnosis: {found['mistake']}: {found['explanation']}")
    if report["failure"]["kind"] not in ("error", "state-missing", "shape") \
            and not report["diagnosis"]:
        lines.append("  diagnosis: none of the known mistakes reproduces your numbers; "
                     "compare your step with the formula in the skeleton's docstring")
    return "\n".join(lines)
