"""Helpers shared by the tinyopt.data test files (test_data_*.py)."""
from tinyopt import backend


def host(tensor):
    return backend.to_host(tensor.array)
