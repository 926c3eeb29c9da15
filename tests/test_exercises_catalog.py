"""Every exercise (optimizers, schedules, gradients, experiments): references pass, skeletons say "not implemented", correct student
solutions in every style pass, and wrong ones are caught at the right step with the right
diagnosis."""
from pathlib import Path

import pytest

from tinyopt import exercises
from tinyopt.exercises import grader, runner

from exercise_variants import VARIANTS

SOLUTIONS = Path(__file__).parent / "exercise_solutions"


def grade_file(name, path):
    """Grade ``path`` in this process (the subprocess path is tested in test_exercises_grader)."""
    exercise = exercises.get(name)
    solution, problem = runner.load_solution(exercise, path)
    trajectory = {"cases": [], "failure": problem} if problem else \
        exercise.run(solution, str(path))
    return exercises.CheckResult(exercise, grader.grade(exercise, trajectory))


@pytest.mark.parametrize("name", exercises.names())
def test_reference_passes(name):
    result = exercises.check(name, solution=exercises.get(name).reference)
    assert result.passed, result.text
    assert "PASS" in result.text
    if isinstance(exercises.get(name), exercises.exercise.OptimizerExercise):
        assert "state_dict round trip" in result.text


@pytest.mark.parametrize("name", exercises.names())
def test_skeleton_fails_with_not_implemented(name):
    exercise = exercises.get(name)
    result = grade_file(name, exercise.skeleton_path)
    assert not result.passed
    assert result.report["failure"]["not_implemented"].startswith("exercise: ")
    assert "not implemented yet: exercise:" in result.text
    assert exercise.class_name in result.text


@pytest.mark.parametrize("name, file", [(name, name) for name in exercises.names()] +
                         [("adam", "numpy_adam"), ("sgd", "numpy_sgd"), ("adamw", "rule_adamw")])
def test_correct_solutions_pass_in_every_style(name, file):
    result = grade_file(name, SOLUTIONS / f"{file}.py")
    assert result.passed, result.text


def _variant(tmp_path, number):
    name, solution, old, new = VARIANTS[number][:4]
    source = (SOLUTIONS / f"{solution}.py").read_text()
    for before, after in [(old, new), *VARIANTS[number][7:]]:
        assert source.count(before) == 1, before
        source = source.replace(before, after)
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    return path


@pytest.mark.parametrize("number", range(len(VARIANTS)),
                         ids=[f"{v[0]}: {v[4]}" for v in VARIANTS])
@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step")  # the variant's own
def test_wrong_variant_caught_at_its_step_with_its_diagnosis(tmp_path, number):
    name, _, _, _, mistake, case, step = VARIANTS[number][:7]
    result = grade_file(name, _variant(tmp_path, number))
    failure = result.report["failure"]
    assert not result.passed
    assert (failure["case"] + 1, failure["step"]) == (case, step), result.text
    assert [d["mistake"] for d in result.report["diagnosis"]] == ([mistake] if mistake else [])
    if failure["kind"] == "length":
        assert "the first 30 agree" in result.text
    elif name in ("warmup_cosine", "one_cycle"):
        assert f"step={step - 1}," in result.text
    else:  # an experiment labels its steps (epoch 3, lr=0.3, summary)
        assert f"{failure.get('at', f'step {step}')}, " in result.text
    if mistake:
        assert f"diagnosis: {mistake}:" in result.text
    else:
        assert "none of the known mistakes reproduces your numbers" in result.text


def test_every_exercise_has_caught_variants_three_per_optimizer():
    diagnosed = {}
    for variant in VARIANTS:
        if variant[4]:
            diagnosed.setdefault(variant[0], set()).add(variant[4])
    for name in exercises.names():
        optimizer = isinstance(exercises.get(name), exercises.exercise.OptimizerExercise)
        assert len(diagnosed.get(name, ())) >= (3 if optimizer else 2), name


def test_state_entries_are_reported_by_the_students_key(tmp_path):
    # Lion with swapped betas: parameters agree at step 1 (sign(g) both), the state does not.
    number = next(i for i, v in enumerate(VARIANTS) if v[4] == "betas swapped")
    result = grade_file("lion", _variant(tmp_path, number))
    failure = result.report["failure"]
    assert failure["kind"] == "state" and failure["step"] == 1
    assert failure["entry"] == "state entry 'm' of group 0, param 0"
    assert failure["reference_key"] == "exp_avg"
    assert "(the reference's 'exp_avg')" in result.text


def test_mistake_replays_differ_from_the_reference():
    # Each injected mistake must be visible on the cases, or it could never be diagnosed.
    for name in exercises.names():
        exercise = exercises.get(name)
        expected = exercise.replay(exercise.reference)
        for mistake_name, mistake in exercise.mistakes.items():
            replayed = exercise.replay(mistake.factory)
            assert grader.first_divergence(expected, replayed, exercise.cases,
                                           compare_state=False), (name, mistake_name)


@pytest.mark.parametrize("centered", [False, True])
def test_rmsprop_nesterov_reference_is_torchs_rmsprop_step_fed_into_nesterov_sgd(centered):
    # The bonus has no torch.optim option; its definition (optax's rmsprop(nesterov=True)):
    # torch's RMSprop scaled gradient g/s, then torch's SGD Nesterov look-ahead on it.
    torch = pytest.importorskip("torch")
    import numpy as np

    import tinyopt
    from tinyopt import nn
    from tinyopt.exercises.optimizers.adaptive import RMSpropWithNesterov
    rng = np.random.default_rng(0)
    start, grads = rng.normal(size=(3, 4)), [rng.normal(size=(3, 4)) for _ in range(15)]
    param = nn.Parameter(tinyopt.tensor(start.copy()))
    ours = RMSpropWithNesterov([param], lr=0.01, alpha=0.9, eps=1e-3, weight_decay=0.1,
                               momentum=0.9, centered=centered, nesterov=True)
    ours.executor = "numpy"  # as the grader runs it (the composed rule is no numba kernel)
    scratch = torch.zeros(3, 4, dtype=torch.float64, requires_grad=True)
    scaling = torch.optim.RMSprop([scratch], lr=1.0, alpha=0.9, eps=1e-3, centered=centered)
    theta = torch.tensor(start.copy(), requires_grad=True)
    nesterov = torch.optim.SGD([theta], lr=0.01, momentum=0.9, nesterov=True)
    for g in grads:
        param.grad = tinyopt.tensor(g)
        ours.step()
        before = scratch.detach().clone()
        scratch.grad = torch.tensor(g) + 0.1 * theta.detach()  # the L2 term, on theta
        scaling.step()
        theta.grad = before - scratch.detach()  # g / s
        nesterov.step()
    np.testing.assert_allclose(param.array, theta.detach().numpy(), rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="nesterov=True requires momentum > 0"):
        RMSpropWithNesterov([param], nesterov=True)
