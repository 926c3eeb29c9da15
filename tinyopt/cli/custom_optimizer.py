"""Your own optimizer class in a recipe: ``MODULE:CLASS[:key=value,...][+SCHEDULE[:...]]``.

``tinyopt compare --recipes adam my_optimizers:SignSGD:lr=0.01`` (and ``race
--optimizers``, ``sweep``/``lr-find --optimizer``) trains with the class
``SignSGD`` of the module ``my_optimizers``: a module on the Python path or
in the current folder, or a file (``path/to/my_optimizers.py:SignSGD``). The
class must subclass ``tinyopt.optim.Optimizer`` and take ``params`` first,
like the zoo's; it gets the settings after its name as keyword arguments,
and without ``lr`` the adaptive family's rate (``recipes.default_lr``).

Importing a module runs its code: that is the point here, and it happens only
for a module named on the command line, never for a name read from a file (a
checkpoint's recipe is parsed by ``tinyopt.recipes``, which imports nothing).
"""
import importlib
import importlib.util
import inspect
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .. import optim, recipes
from ..nn import Parameter

PATTERN = re.compile(r"^(?P<module>[^:+]+):(?P<cls>[A-Za-z_]\w*)(?=$|[:+])")
"""``module:Class`` at the start of a recipe (a class name, not ``key=value``)."""


@dataclass(frozen=True)
class ClassRecipe(recipes.Recipe):
    """A recipe whose optimizer is a class of the user's (``optimizer`` holds
    ``"module:Class"``)."""

    optimizer_class: type = None

    def optimizer_class_and_kwargs(self):
        """``(the class, this recipe's settings)``."""
        return self.optimizer_class, dict(self.settings)


def names_a_class(text):
    """Whether ``text`` starts with ``module:Class`` where the module is not an optimizer
    of the zoo (``adam:lr=0.1`` is the zoo's Adam)."""
    match = PATTERN.match(text.strip())
    if match is None:
        return False
    module = match["module"].strip().lower()
    return module not in recipes.optimizer_names() and module not in recipes.RECIPES


def import_class(module, name):
    """The class ``name`` of ``module`` (a dotted name, or a path to a ``.py`` file);
    ``ValueError`` saying what is wrong if it cannot be imported or is no Optimizer."""
    try:
        if module.endswith(".py") or os.sep in module or "/" in module:
            path = Path(module)
            if not path.is_file():
                raise ValueError(f"no file {module!r}")
            spec = importlib.util.spec_from_file_location(path.stem, path)
            loaded = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(loaded)
        else:
            if os.getcwd() not in sys.path:  # `python -m` has it, the `tinyopt` script not
                sys.path.append(os.getcwd())
            loaded = importlib.import_module(module)
    except ImportError as error:
        raise ValueError(f"cannot import {module!r}: {error} (give a module on the Python "
                         "path or in the current folder, or a file path ending in .py)") from None
    cls = getattr(loaded, name, None)
    if cls is None:
        raise ValueError(f"module {module!r} has no {name!r}")
    if not (inspect.isclass(cls) and issubclass(cls, optim.Optimizer)):
        raise ValueError(f"{module}:{name} is not a subclass of tinyopt.optim.Optimizer "
                         f"(it is {cls!r})")
    return cls


def parse(text):
    """A ``ClassRecipe`` from ``MODULE:CLASS[:settings][+SCHEDULE[:settings]]``, checked by
    building it on a dummy parameter (as ``recipes.parse_recipe`` checks the zoo's)."""
    text = text.strip()
    match = PATTERN.match(text)
    cls = import_class(match["module"].strip(), match["cls"])
    optimizer_part, schedule_part = recipes._split_recipe(text)
    settings = optimizer_part[match.end():].removeprefix(":")
    schedule = recipes.parse_schedule(schedule_part) if schedule_part else None
    recipe = ClassRecipe(text, f"{match['module'].strip()}:{match['cls']}",
                         recipes._parse_settings(settings, match["cls"]),
                         schedule.schedule if schedule else "constant",
                         schedule.schedule_settings if schedule else {}, cls)
    try:
        recipe.build([Parameter([0.0, 0.0])], total_steps=100)
    except Exception as error:  # the user's class may raise anything while it is built
        if isinstance(error, ValueError):
            raise
        raise ValueError(f"{recipe.optimizer} failed on a test parameter: "
                         f"{type(error).__name__}: {error}") from None
    return recipe


__all__ = ["ClassRecipe", "names_a_class", "import_class", "parse"]
