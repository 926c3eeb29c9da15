"""Helpers shared by the test_nn_module_*.py files.

``seeded`` is an autouse fixture: a test file imports it to reseed tinyopt
before each of its tests.
"""
import pytest

import tinyopt


@pytest.fixture(autouse=True)
def seeded():
    tinyopt.manual_seed(0)
