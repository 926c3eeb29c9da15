"""Optimizers and schedules by name, as the command line spells them, and ``compare``'s recipes.

A *recipe* is an optimizer with its settings, optionally followed by a
learning-rate schedule, written as one string::

    OPTIMIZER[:key=value,...][+SCHEDULE[:key=value,...]]

    adam                                   Adam with its default settings
    sgd:lr=0.1,momentum=0.9+cosine         SGD with momentum, cosine decay to 0
    adamw:lr=3e-3,betas=(0.9,0.95)+warmup-cosine:warmup_steps=50

Optimizer names are the zoo's class names in lower case (``adamw``,
``lamb``, ``lion8bit``, ...) plus ``momentum`` (SGD with momentum 0.9) and
``nesterov``. A recipe without ``lr`` gets a rate that suits its family
(``default_lr``). Schedules are sized by the run's total number of steps,
so ``cosine`` needs no numbers; any argument of the scheduler class can be
overridden after the colon. ``RECIPES`` names the recipes that
``tinyopt compare`` runs by default.

Example::

    >>> recipe = parse_recipe("momentum:lr=0.05+warmup-cosine")
    >>> optimizer, scheduler = recipe.build(model.parameters(), total_steps=1000)
"""
import ast
import inspect
import re
from dataclasses import dataclass, field, replace

from . import optim
from .nn import Parameter
from .optim import lr_scheduler

RECIPES = {
    "sgd-momentum-cosine": "momentum:lr=0.05+cosine",
    "adamw-warmup-cosine": "adamw:lr=3e-3,weight_decay=0.01+warmup-cosine",
}
RECIPES.update({  # the frontier optimizers' documented defaults (issue 15); "-mlp": a small MLP's
    "sam-mlp": "sam:lr=0.05,momentum=0.9,rho=0.05",
    "lookahead-mlp": "lookahead:lr=0.05,momentum=0.9,k=5,alpha=0.5",
    "schedulefree-sgd": "sgdschedulefree:lr=1.0,momentum=0.9,warmup_steps=50",
    "schedulefree-adamw": "adamwschedulefree:lr=0.01,warmup_steps=50",
    "muon": "muon:lr=0.02,weight_decay=0.01,adamw_lr=3e-3",  # matrices Muon, the rest AdamW
    "adopt-mlp": "adopt:lr=3e-3",
    "sophiag-mlp": "sophiag:lr=3e-3,rho=20.0,weight_decay=0.0",
    "sophiah-mlp": "sophiah:lr=0.5,update_period=10,hessian_distribution=rademacher",
    "adahessian-mlp": "adahessian:lr=0.05,eps=1e-4",
})
"""Named recipes: name -> recipe string. A plain optimizer name is a recipe too."""
DEFAULT_RECIPES = ("sgd", "sgd-momentum-cosine", "adam", "adamw-warmup-cosine", "lion")
"""What ``tinyopt compare`` runs by default."""

_ALIASES = {"momentum": ("sgd", {"momentum": 0.9}),
            "nesterov": ("sgd", {"momentum": 0.9, "nesterov": True})}
GRADIENT_SCALED = ("sgd", "momentum", "nesterov", "asgd", "lars", "sam", "lookahead",
                   "sgdschedulefree")
"""Optimizers whose step is the learning rate times the gradient (they want ``lr_sgd``).
LARS is one of them here because it leaves 1-D tensors (``exclude_1d``) to plain momentum;
SAM and Lookahead because their default inner optimizer is SGD; schedule-free SGD is SGD
at an averaged point."""
OWN_STEP_SIZE = ("adadelta", "adafactor", "prodigy")
"""Optimizers that size their own steps: they keep their class's default rate."""
SIGN_BASED = ("lion", "lion8bit")
"""Steps of exactly +-lr per coordinate: a third of the adaptive rate (Chen et al. 2023)."""
MATRIX_ONLY = ("muon",)
"""Optimizers that need matrix parameters (or ``adamw_lr`` to hand the rest to AdamW)."""
SGD_THEN_ADAPTIVE = ("radam",)
"""Plain momentum steps until the variance estimate is usable, adaptive ones after: such a
method must survive both, so it gets the smaller of the two rates."""


def _zoo():
    """Every optimizer class that ``tinyopt.optim`` exports, by lower-case name."""
    classes = {}
    for name in optim.__all__:
        candidate = getattr(optim, name)
        if (inspect.isclass(candidate) and issubclass(candidate, optim.Optimizer)
                and candidate is not optim.Optimizer):
            classes[name.lower()] = candidate
    return classes


OPTIMIZERS = _zoo()
"""Optimizer classes of the zoo by lower-case name."""


def optimizer_names():
    """Every name a recipe may start with: the zoo, then the aliases."""
    return sorted(OPTIMIZERS) + sorted(_ALIASES)


def _warmup(total_steps):
    return max(1, total_steps // 10)


_SCHEDULES = {
    # name: (scheduler class or None, its arguments for total_steps steps peaking at lr)
    "constant": lambda total, lr: (None, {}),
    "cosine": lambda total, lr: (lr_scheduler.CosineAnnealingLR, {"T_max": total}),
    "warmup-cosine": lambda total, lr: (lr_scheduler.WarmupCosineLR,
                                        {"warmup_steps": _warmup(total), "total_steps": total}),
    "warmup": lambda total, lr: (lr_scheduler.LinearLR,  # PyTorch's linear warmup, then flat
                                 {"start_factor": 1 / _warmup(total),
                                  "total_iters": _warmup(total)}),
    "step": lambda total, lr: (lr_scheduler.StepLR,
                               {"step_size": max(1, total // 3), "gamma": 0.1}),
    "exponential": lambda total, lr: (lr_scheduler.ExponentialLR, {"gamma": 0.01 ** (1 / total)}),
    "linear": lambda total, lr: (lr_scheduler.PolynomialLR, {"total_iters": total, "power": 1.0}),
    "onecycle": lambda total, lr: (lr_scheduler.OneCycleLR, {"max_lr": lr, "total_steps": total}),
    "wsd": lambda total, lr: (lr_scheduler.WarmupStableDecayLR,
                              {"warmup_steps": _warmup(total),
                               "stable_steps": max(0, total - 3 * _warmup(total)),
                               "decay_steps": 2 * _warmup(total)}),
    "inverse-sqrt": lambda total, lr: (lr_scheduler.InverseSqrtLR,
                                       {"warmup_steps": _warmup(total)}),
    "cosine-restarts": lambda total, lr: (lr_scheduler.CosineAnnealingWarmRestarts,
                                          {"T_0": max(1, total // 4)}),
    "cyclic": lambda total, lr: (lr_scheduler.CyclicLR,
                                 {"base_lr": lr / 10, "max_lr": lr,
                                  "step_size_up": max(1, total // 8)}),
    "plateau": lambda total, lr: (lr_scheduler.ReduceLROnPlateau,  # watches each step's loss
                                  {"factor": 0.5, "patience": max(1, total // 10)}),
}
SCHEDULES = tuple(_SCHEDULES)
"""The named schedules: warmups are a tenth of the run, restarts and steps a quarter or third;
``plateau`` halves the rate when the loss it is given (the training loss of every step, in
``compare`` and ``train``) has not improved for a tenth of the run (a noisy batch loss
rarely sets a new best late in a run: it then halves the rate every tenth of the run)."""


def _split_top_level(text, separator=","):
    """Split at ``separator`` outside parentheses and brackets."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += 1 if char in "([" else -1 if char in ")]" else 0
        if char == separator and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return parts + [current]


def _parse_settings(text, what):
    """``"a=1,b=(0.9,0.99),c=cos"`` -> ``{'a': 1, 'b': (0.9, 0.99), 'c': 'cos'}``."""
    settings = {}
    for item in _split_top_level(text) if text else []:
        key, equals, value = item.partition("=")
        if not equals or not key.strip().isidentifier():
            raise ValueError(f"bad {what} setting {item!r}: write key=value, e.g. lr=0.01")
        try:
            settings[key.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            settings[key.strip()] = value.strip()
    return settings


def _accepted(cls, skip):
    """The argument names of ``cls``'s constructor, less those in ``skip``."""
    return ", ".join(name for name in inspect.signature(cls).parameters if name not in skip)


@dataclass(frozen=True)
class Recipe:
    """An optimizer (name and settings) and an optional schedule (name and overrides)."""

    text: str
    optimizer: str
    settings: dict = field(default_factory=dict)
    schedule: str = "constant"
    schedule_settings: dict = field(default_factory=dict)

    def optimizer_class_and_kwargs(self):
        """``(class, kwargs)``: the alias's fixed settings, then this recipe's."""
        base, fixed = _ALIASES.get(self.optimizer, (self.optimizer, {}))
        return OPTIMIZERS[base], {**fixed, **self.settings}

    def build(self, params, total_steps):
        """``(optimizer, scheduler or None)`` for ``params`` over ``total_steps`` steps."""
        optimizer = self.build_optimizer(params)
        return optimizer, self.build_scheduler(optimizer, total_steps)

    def build_optimizer(self, params):
        """This recipe's optimizer on ``params``, without its schedule."""
        cls, kwargs = self.optimizer_class_and_kwargs()
        try:
            return cls(params, **kwargs)
        except TypeError as error:
            raise ValueError(f"{self.optimizer}: {error} (settings: "
                             f"{_accepted(cls, ('params',))})") from None

    def _schedule_class_and_kwargs(self, total_steps, lr):
        cls, kwargs = _SCHEDULES[self.schedule](total_steps, lr)
        return cls, {**kwargs, **self.schedule_settings}

    def build_scheduler(self, optimizer, total_steps):
        """This recipe's scheduler on ``optimizer`` over ``total_steps`` steps (None: constant)."""
        if self.schedule == "constant":
            if self.schedule_settings:
                raise ValueError("the constant schedule takes no settings")
            return None
        lr = optimizer.param_groups[0]["lr"]
        if lr is None:
            raise ValueError(f"{self.optimizer} sizes its own steps (lr=None): give it an lr "
                             f"to put it on the {self.schedule} schedule")
        cls, kwargs = self._schedule_class_and_kwargs(total_steps, lr)
        try:
            return cls(optimizer, **kwargs)
        except TypeError as error:
            raise ValueError(f"{self.schedule}: {error} (settings: "
                             f"{_accepted(cls, ('optimizer', 'last_epoch'))})") from None

    def warmup_steps(self, total_steps):
        """Steps of warmup this recipe's schedule has over ``total_steps`` (0 if none)."""
        _, kwargs = self._schedule_class_and_kwargs(total_steps, 1.0)
        if self.schedule == "onecycle":
            return round(kwargs.get("pct_start", 0.3) * kwargs["total_steps"])
        if self.schedule == "warmup":
            return int(kwargs["total_iters"])
        return int(kwargs.get("warmup_steps", 0))

    def with_default_lr(self, lr):
        """This recipe with ``lr`` filled in when it names none (None: the class default)."""
        if "lr" in self.settings or lr is None:
            return self
        return replace(self, settings={**self.settings, "lr": lr})

    def describe(self, total_steps=None):
        """A one-line summary with every setting spelled out: ``SGD(lr=0.05, momentum=0.9)
        + step(step_size=833, gamma=0.1)``.

        The schedule's settings depend on the run's length: with ``total_steps`` every
        one is given (those sized by the run as well as those overridden), without it
        only the overrides.
        """
        cls, kwargs = self.optimizer_class_and_kwargs()
        if self.schedule == "constant":
            return f"{cls.__name__}({_spelled_out(kwargs)})"
        settings = self.schedule_settings
        if total_steps is not None:
            _, settings = self._schedule_class_and_kwargs(total_steps, kwargs.get("lr"))
        extra = _spelled_out(settings, digits=6)  # a decay factor needs its digits
        return f"{cls.__name__}({_spelled_out(kwargs)}) + {self.schedule}" + \
            (f"({extra})" if extra else "")


def _spelled_out(settings, digits=3):
    """``{'lr': 0.00033333, 'nesterov': True}`` -> ``'lr=0.000333, nesterov=True'`` (floats
    to ``digits`` significant digits)."""
    return ", ".join(f"{key}={value:.{digits}g}" if isinstance(value, float)
                     else f"{key}={value}" for key, value in settings.items())


def parse_recipe(text):
    """Parse ``OPTIMIZER[:settings][+SCHEDULE[:settings]]`` (or a name in ``RECIPES``).

    Raises ``ValueError`` naming the valid choices for an unknown optimizer or
    schedule, and the accepted settings for an unknown or impossible setting
    (checked by building the optimizer and schedule on a dummy parameter).
    """
    text = text.strip()
    optimizer_part, schedule_part = _split_recipe(RECIPES.get(text, text))
    name, _, settings = optimizer_part.partition(":")
    name = name.strip().lower()
    if name not in OPTIMIZERS and name not in _ALIASES:
        raise ValueError(f"unknown optimizer {name!r} (choose from {', '.join(optimizer_names())}"
                         f"; or a recipe: {', '.join(RECIPES)})")
    schedule, _, schedule_settings = (schedule_part or "constant").partition(":")
    schedule = schedule.strip().lower()
    if schedule not in _SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r} (choose from {', '.join(SCHEDULES)})")
    recipe = Recipe(text, name, _parse_settings(settings, name), schedule,
                    _parse_settings(schedule_settings, schedule))
    recipe.build([Parameter([0.0, 0.0])], total_steps=100)  # raises for impossible settings
    return recipe


def _split_recipe(text):
    """``(optimizer part, schedule part)``: split at the first '+' that starts a name."""
    parts = re.split(r"\+(?=[A-Za-z])", text, maxsplit=1)
    return parts[0], parts[1] if len(parts) > 1 else ""


def parse_schedule(text):
    """Parse ``SCHEDULE[:settings]`` into a ``Recipe`` on plain SGD (for plotting schedules)."""
    return parse_recipe(f"sgd+{text.strip()}")


def default_lr(optimizer, lr_sgd, lr_adaptive):
    """The learning rate ``optimizer`` (a name) should start from, given the two scales.

    Gradient-scaled methods get ``lr_sgd``, sign-based ones a third of ``lr_adaptive``,
    RAdam (SGD-like first steps, Adam-like later) the smaller of the two, methods that
    size their own steps None (their default), all others ``lr_adaptive``.
    """
    if optimizer in GRADIENT_SCALED:
        return lr_sgd
    if optimizer in SGD_THEN_ADAPTIVE:
        return min(lr_sgd, lr_adaptive)
    if optimizer in OWN_STEP_SIZE:
        return None
    if optimizer in SIGN_BASED:
        return lr_adaptive / 3
    return lr_adaptive


__all__ = ["RECIPES", "DEFAULT_RECIPES", "OPTIMIZERS", "SCHEDULES", "GRADIENT_SCALED",
           "OWN_STEP_SIZE", "SIGN_BASED", "SGD_THEN_ADAPTIVE",
           "MATRIX_ONLY", "Recipe", "parse_recipe",
           "parse_schedule", "optimizer_names", "default_lr"]
