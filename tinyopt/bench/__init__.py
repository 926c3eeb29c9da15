"""Benchmarks a user can run on their own machine: ``tinyopt bench train`` and ``bench step``.

Every benchmark measures tinyopt and a reference (PyTorch, when installed) in
the same run and reports the ratio, never an absolute time alone.
"""
