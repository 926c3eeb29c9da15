"""Benchmarks a user can run on their own machine: ``tinyopt bench train`` and ``bench step``.

Every benchmark measures tinyopt and a reference (PyTorch, when installed) in
the same run and reports the ratio, never an absolute time alone.
"""
import os


def subprocess_environment(**variables):
    """``os.environ`` plus ``variables``, with this tinyopt first on ``PYTHONPATH``, for a
    benchmark's fresh ``python`` subprocess (which then imports this copy, installed or not)."""
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    return {**os.environ, **variables, "PYTHONPATH": path}


def run_json_worker(command, what, **variables):
    """Run a benchmark's ``python -m ...`` worker ``command`` (``subprocess_environment``
    plus ``variables``); return the JSON its last line of output prints.

    A failing worker raises ``RuntimeError`` naming ``what`` ran, with its stderr."""
    import json
    import subprocess
    done = subprocess.run(command, env=subprocess_environment(**variables), capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the {what} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])
