"""The grader on bad student files, run as students run it (subprocess, timeout): one clear
report each, never a traceback from tinyopt's internals; the student's file is never changed."""
import json
from pathlib import Path

import pytest

from tinyopt import cli, exercises

SOLUTIONS = Path(__file__).parent / "exercise_solutions"
ADAM = (SOLUTIONS / "adam.py").read_text()


def student_file(tmp_path, source, name="adam.py"):
    path = tmp_path / name
    path.write_text(source)
    return path


def test_correct_file_passes_in_a_subprocess_and_is_left_untouched(tmp_path):
    path = student_file(tmp_path, ADAM)
    before = path.stat().st_mtime_ns
    result = exercises.check("adam", file=path)
    assert result.passed, result.text
    assert path.read_text() == ADAM and path.stat().st_mtime_ns == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adam.py"]  # no __pycache__


def test_file_that_does_not_import(tmp_path):
    result = exercises.check("adam", file=student_file(tmp_path, "def step(:\n"))
    assert not result.passed
    assert "importing adam.py failed: SyntaxError" in result.text
    assert "Traceback" not in result.text and "tinyopt/" not in result.text


def test_wrong_class_name(tmp_path):
    result = exercises.check("adam", file=student_file(tmp_path, ADAM.replace("class Adam(",
                                                                              "class MyAdam(")))
    assert "adam.py defines no 'Adam' (it defines MyAdam)" in result.text


def test_rule_returning_the_wrong_number_of_values(tmp_path):
    source = (SOLUTIONS / "rule_adamw.py").read_text().replace("return p, m, v", "return p, m")
    result = exercises.check("adamw", file=student_file(tmp_path, source, "adamw.py"))
    assert "step() failed: ValueError: adamw_rule returned 2 values for 3 arrays" in result.text
    assert "step 1" in result.text and "case 1 of" in result.text


def test_step_that_raises_points_at_the_students_line(tmp_path):
    source = ADAM.replace('state["m"].lerp_(g, 1 - beta1)', 'state["first"].lerp_(g, 1 - beta1)')
    result = exercises.check("adam", file=student_file(tmp_path, source))
    assert "step() failed: KeyError: 'first'" in result.text
    assert "your code, line 24: state[\"first\"].lerp_(g, 1 - beta1)" in result.text


def test_nan_output(tmp_path):
    source = ADAM.replace('v_hat.sqrt() + group["eps"]', '(v_hat - 1).sqrt()')
    result = exercises.check("adam", file=student_file(tmp_path, source))
    assert result.report["failure"]["kind"] == "nan"
    assert "step 1, parameter group 0, param 0" in result.text
    assert "got nan" in result.text and "not finite" in result.text


def test_infinite_loop_is_stopped_with_where_it_was(tmp_path):
    source = ADAM.replace('state["t"] += 1', 'state["t"] += 1\n                while state["t"] > 4: pass')
    result = exercises.check("adam", file=student_file(tmp_path, source), timeout=20)
    assert "stopped after 20 s (an infinite loop?)" in result.text
    assert "case 1 of 4" in result.text and "step 5" in result.text


def test_exit_in_the_students_file(tmp_path):
    result = exercises.check("adam", file=student_file(tmp_path, "import sys\nsys.exit(3)\n"))
    assert "Python exited with status 3" in result.text


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown exercise 'adamx'; choose from sgd, "):
        exercises.check("adamx")
    with pytest.raises(ValueError, match="file 'nowhere.py' not found"):
        exercises.check("adam", file="nowhere.py")
    with pytest.raises(ValueError, match="timeout must be a number of seconds > 0, got 0"):
        exercises.check("adam", file=SOLUTIONS / "adam.py", timeout=0)
    with pytest.raises(ValueError, match="either file or solution"):
        exercises.check("adam", file="a.py", solution=object)


def test_cli_start_check_and_exit_codes(tmp_path, capsys):
    assert cli.main(["exercises", "start", "adam", str(tmp_path)]) == 0
    skeleton = tmp_path / "adam.py"
    assert skeleton.read_text() == exercises.get("adam").skeleton_path.read_text()
    assert cli.main(["exercises", "start", "adam", str(tmp_path)]) == 1  # never overwrites
    assert "exists already" in capsys.readouterr().err
    assert cli.main(["check", "adam", "--file", str(skeleton)]) == 1
    assert "not implemented yet: exercise: Adam.step" in capsys.readouterr().out
    skeleton.write_text(ADAM)
    assert cli.main(["check", "adam", "--file", str(skeleton), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is True and report["exercise"] == "adam"
    with pytest.raises(SystemExit) as usage:
        cli.main(["check", "nosuch"])
    assert usage.value.code == 2
    capsys.readouterr()
    assert cli.main(["exercises", "list"]) == 0
    listing = capsys.readouterr().out
    assert all(f"  {name} " in listing for name in exercises.names())


WARMUP = (SOLUTIONS / "warmup_comparison.py").read_text()


def test_experiment_returning_the_wrong_shape_of_result(tmp_path):
    # A missing quantity, a missing run, a curve of the wrong length: each one clear line.
    for old, new, message in [
            ('    return result', '    del result["grad_norm"]\n    return result',
             "calling warmup_comparison failed: ValueError: warmup_comparison's result has no "
             "'grad_norm' (it has 'loss', 'max_grad_norm', 'final_loss'); expected keys: loss, "
             "grad_norm, max_grad_norm, final_loss"),
            ('for run, warmup in (("no warmup", 0), ("warmup", warmup_steps)):',
             'for run, warmup in (("warmup", warmup_steps),):',
             "loss must be a dict with an entry per arm no warmup, warmup; got 'warmup'"),
            ('result["loss"][run], result["grad_norm"][run] = losses, norms',
             'result["loss"][run], result["grad_norm"][run] = losses[1:], norms',
             "loss['no warmup'] must hold 30 values, holds 29")]:
        assert WARMUP.count(old) == 1, old
        path = student_file(tmp_path, WARMUP.replace(old, new), "warmup_comparison.py")
        result = exercises.check("warmup_comparison", file=path)
        assert not result.passed
        assert message in result.text, result.text
        assert "Traceback" not in result.text


def test_experiment_check_passes_in_a_subprocess(tmp_path):
    path = student_file(tmp_path, WARMUP, "warmup_comparison.py")
    result = exercises.check("warmup_comparison", file=path)
    assert result.passed, result.text
    assert "both runs' loss and global gradient norm at every step" in result.text
