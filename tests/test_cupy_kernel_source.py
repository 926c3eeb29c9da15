"""The CUDA text of every kernel the zoo launches: its parameters, and its operation run as C++.

No GPU is needed. For each (rule, kept arrays, bool scalars) some optimizer
of the zoo really launches (collected by stepping each configuration once
with the emulating executor), and for float32 and float64:

- the ``in_params``/``out_params`` strings declare exactly the arrays the
  rule reads and writes, and the operation writes each output once;
- the operation, compiled by the system's C++ compiler inside a loop that
  binds each parameter as CuPy does (inputs by value, outputs by reference,
  ``raw`` ones as pointers, ``i`` the element index), computes what the
  kernel's NumPy twin computes, on two segments with their own scalars and a
  gap between them that must stay untouched.

C++ on the CPU is not CUDA: ``exp``/``log`` come from another math library,
and NVRTC contracts ``a*b + c`` into FMAs (here ``-ffp-contract=off``), so a
GPU may differ from these numbers by an ulp or two per operation; the GPU
test (``test_cupy_gpu.py``) checks that on hardware.
"""
import ctypes
import re
import shutil
import subprocess

import numpy as np
import pytest

import tinyopt.optim as optim
from tinyopt.kernels import CupyExecutor, cupy_executor
from tinyopt.kernels.cuda_source import PREAMBLE, kernel_source
from tinyopt.kernels.kernel_twin import KernelTwin
from tinyopt.kernels.rule_form import RuleSourceError, read_rule

from frontier_helpers import run_steps
from test_cupy_executor import FRONTIER
from test_kernels_numba import CONFIGURATIONS, make_problem, run

DTYPES = {"float32": np.float32, "float64": np.float64}


def _zoo_patterns():
    """Every (rule, kept, flags) the zoo's configurations launch, in a stable order."""
    before = set(cupy_executor._kernels)
    for optimizer_class, options in CONFIGURATIONS:
        initial, grads = make_problem(np.float64)
        run(optimizer_class, options, CupyExecutor(emulate=True), initial, grads[:2])
    for make, _ in FRONTIER:
        run_steps(make, 3, ((4, 3), (3, 5)), executor=CupyExecutor(emulate=True))
    run_steps(lambda p: optim.AdaHessian(p), 1, ((4, 3),), executor=CupyExecutor(emulate=True),
              step_kwargs=lambda step, arrays: {"hessian": [np.ones_like(a) for a in arrays]})
    keys = {key[:1] + key[2:4] for key in cupy_executor._kernels if key[4]} | {
        key[:1] + key[2:4] for key in before if key[4]}
    return sorted(keys, key=lambda key: (key[0].__name__, key[1], key[2]))


PATTERNS = _zoo_patterns()
PATTERN_IDS = [f"{rule.__name__}-{''.join(map(str, map(int, kept)))}-"
               f"{''.join(map(str, map(int, flags)))}" for rule, kept, flags in PATTERNS]


def _params(declaration):
    """``[(raw, dtype, name), ...]`` of an ElementwiseKernel parameter string."""
    result = []
    for part in filter(None, (p.strip() for p in declaration.split(","))):
        words = part.split()
        result.append((words[0] == "raw", words[-2], words[-1]))
    return result


def test_the_zoo_launches_every_elementwise_rule():
    names = {rule.__name__ for rule, _, _ in PATTERNS}
    for expected in ("sgd_rule", "sgd_momentum_rule", "adam_rule", "lion_rule", "lars_rule",
                     "lamb_direction_rule", "adafactor_step_rule", "rprop_rule", "asgd_rule",
                     "prodigy_moments_rule", "muon_momentum_rule", "soap_moments_rule",
                     "adahessian_rule", "lookahead_rule", "adamw_schedule_free_rule"):
        assert expected in names


@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("rule, kept, flags", PATTERNS, ids=PATTERN_IDS)
def test_kernel_parameters_match_the_rule(rule, kept, flags, dtype):
    form = read_rule(rule, kept, flags)
    source = kernel_source(form, dtype)
    inputs, outputs = _params(source.in_params), _params(source.out_params)
    arrays = [name for j, name in enumerate(form.arrays) if kept[j]]
    assert [name for raw, _, name in inputs if not raw and name in arrays] == \
        ([form.arrays[1]] if kept[1] else [])
    assert [name for _, _, name in outputs] == [a for a in arrays if a != form.arrays[1]]
    assert {t for raw, t, name in inputs + outputs if name in arrays} == {dtype}
    for _, _, name in outputs:  # each output is written exactly once, at the end
        assert len(re.findall(rf"^\s*{name} = ", source.operation, re.M)) == 1
    for name in form.scalars:
        assert len(re.findall(rf"const \w+ {name} = tinyopt_table", source.operation)) == 1
    assert "**" not in source.operation and "where(" not in source.operation
    assert source.name.startswith(f"tinyopt_{rule.__name__}_{dtype}_")


def _harness(number, source, c_type):
    """One extern "C" loop over the elements binding the parameters as CuPy's kernels do."""
    arguments, bindings = ["long long tinyopt_n"], []
    outputs = _params(source.out_params)
    for raw, dtype, name in _params(source.in_params) + outputs:
        element = {"float32": "float", "float64": "double", "int64": "long long"}[dtype]
        is_output = (raw, dtype, name) in outputs
        if raw:
            arguments.append(f"const {element}* {name}")
        elif dtype == "int64" and name == "tinyopt_segments":
            arguments.append(f"long long {name}")
        elif is_output:
            arguments.append(f"{element}* {name}_array")
            bindings.append(f"{element}& {name} = {name}_array[i];")
        else:
            arguments.append(f"const {element}* {name}_array")
            bindings.append(f"const {element} {name} = {name}_array[i];")
    body = "\n".join(f"        {line}" for line in bindings + source.operation.splitlines())
    return (f'extern "C" void kernel_{number}({", ".join(arguments)}) {{\n'
            f"    for (long long i = 0; i < tinyopt_n; ++i) {{\n{body}\n    }}\n}}\n")


@pytest.fixture(scope="module")
def compiled_kernels(tmp_path_factory):
    compiler = shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        pytest.skip("no C++ compiler (g++) to run the generated CUDA operations on the CPU")
    cases, units = [], []
    for rule, kept, flags in PATTERNS:
        for dtype in DTYPES:
            source = kernel_source(read_rule(rule, kept, flags), dtype)
            units.append(_harness(len(cases), source, dtype))
            cases.append((rule, kept, flags, dtype, source))
    folder = tmp_path_factory.mktemp("kernels")
    path = folder / "kernels.cpp"
    path.write_text("#include <cmath>\nusing namespace std;\n#define __device__\n" + PREAMBLE
                    + "\n".join(units))
    library = folder / "kernels.so"
    subprocess.run([compiler, "-O1", "-ffp-contract=off", "-fno-fast-math", "-shared",
                    "-fPIC", "-o", str(library), str(path)], check=True, capture_output=True)
    return ctypes.CDLL(str(library)), cases


def _case_inputs(form, dtype, rng, n=12):
    """Random arrays and two segments' rows of scalars; elements 5 and 6 lie between them."""
    arrays = [rng.uniform(0.1, 2.0, n).astype(dtype) if present else None
              for present in form.kept]
    rows = []
    for _ in range(2):
        rows.append([bool(rng.integers(2)) if flag else rng.uniform(0.05, 0.95)
                     for flag in form.flags])
    table = np.array(rows, dtype=dtype).ravel()
    return arrays, table, np.array([0, 7], dtype=np.int64), np.array([5, n], dtype=np.int64)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generated_operations_compute_what_the_twin_computes(compiled_kernels, seed):
    library, cases = compiled_kernels
    rng = np.random.default_rng(seed)
    for number, (rule, kept, flags, dtype_name, source) in enumerate(cases):
        dtype = DTYPES[dtype_name]
        form = read_rule(rule, kept, flags)
        arrays, table, starts, stops = _case_inputs(form, dtype, rng)
        twin_arrays = [None if a is None else a.copy() for a in arrays]
        inputs = [a for j, a in enumerate(twin_arrays) if j == 1 and a is not None]
        outputs = [a for j, a in enumerate(twin_arrays) if j != 1 and a is not None]
        KernelTwin(form, dtype_name)(*inputs, table, starts, stops, np.int64(2), *outputs)
        pointer = lambda a: a.ctypes.data_as(ctypes.c_void_p)  # noqa: E731
        c_inputs = [pointer(a) for j, a in enumerate(arrays) if j == 1 and a is not None]
        c_outputs = [pointer(a) for j, a in enumerate(arrays) if j != 1 and a is not None]
        getattr(library, f"kernel_{number}")(
            ctypes.c_longlong(12), *c_inputs, pointer(table), pointer(starts), pointer(stops),
            ctypes.c_longlong(2), *c_outputs)
        tolerance = dict(rtol=1e-5, atol=1e-6) if dtype is np.float32 else \
            dict(rtol=1e-13, atol=1e-14)
        for j, (mine, theirs) in enumerate(zip(arrays, twin_arrays)):
            if mine is not None:
                np.testing.assert_allclose(mine, theirs, **tolerance,
                                           err_msg=f"{source.name}: array {form.arrays[j]}")


def test_rules_the_kernel_cannot_take_are_refused_by_name():
    def loops(p, g, lr):
        for _ in range(3):
            p = p - lr * g
        return p

    def calls_numpy(p, g, lr):
        return p - lr * np.tanh(g)

    with pytest.raises(RuleSourceError, match="loops, line"):
        read_rule(loops, (True, True), (False,))
    with pytest.raises(RuleSourceError, match="calls_numpy.*calling|calls_numpy.*np.tanh"):
        read_rule(calls_numpy, (True, True), (False,))


def test_a_rule_whose_code_is_not_its_source_is_refused():
    """A function built from sgd_rule's code under adam_rule's name must not get adam's kernel."""
    import types
    from tinyopt.optim.adam import adam_rule
    from tinyopt.optim.sgd import sgd_rule
    impostor = types.FunctionType(sgd_rule.__code__, adam_rule.__globals__, "adam_rule")
    impostor.__code__ = impostor.__code__.replace(co_name="adam_rule")
    with pytest.raises(RuleSourceError):
        read_rule(impostor, (True, True), (False, False, True))


def test_reading_a_rule_runs_none_of_its_code():
    calls = []

    def side_effect():
        calls.append(1)
        return 0.1

    def with_default(p, g, lr=side_effect()):
        return p - lr * g

    assert calls == [1]  # Python evaluated the default once, at the def
    with pytest.raises(RuleSourceError, match="without defaults"):
        read_rule(with_default, (True, True), (False,))
    assert calls == [1]
