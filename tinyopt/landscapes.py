r"""Two-dimensional test functions for drawing optimizer paths, written with tinyopt tensors.

Every landscape is a formula in tensor operations, so its gradient comes
from autograd like a network's, and the same formula evaluates a whole grid
for the contour plot. Each one knows its minima, a plotting window, start
points used in the lectures, and the learning rates that suit it:
``lr_sgd`` for methods whose step is the gradient times the rate (SGD,
momentum, ASGD, LARS), ``lr_adaptive`` for methods whose step is about
the rate itself (Adam and its family, RMSprop, Lion, Rprop, ...);
``tinyopt.recipes.default_lr`` picks between them for each optimizer.
Where heavy-ball momentum needs a smaller rate than plain SGD to tell its
story (its long-run step is lr/(1 - β), ten times SGD's at β = 0.9), the
landscape also has ``lr_momentum``; ``Landscape.default_lr(recipe)`` applies
all three. The defaults are chosen so that a default ``tinyopt race`` (300
steps from the first start) shows what each note says, and tests hold them to it.

===================  ============================================  ==============
name                 f(x, y)                                       minima
===================  ============================================  ==============
``rosenbrock``       (1 - x)² + 100 (y - x²)²                      (1, 1)
``beale``            (1.5 - x + xy)² + (2.25 - x + xy²)²
                     + (2.625 - x + xy³)²                          (3, 0.5)
``himmelblau``       (x² + y - 11)² + (x + y² - 7)²                four, f = 0
``booth``            (x + 2y - 7)² + (2x + y - 5)²                 (1, 3)
``ravine``           (x² + κ y²) / 2, κ = 20 (ill-conditioned)     (0, 0)
``saddle``           x² - y² + y⁴ / 8                              (0, ±2)
``monkey_saddle``    x³ - 3xy² + (x² + y²)² / 2                    three, r = 1.5
``rastrigin``        20 + Σ (x² - 10 cos 2πx)                      (0, 0)
``bowl``             sin(r²) / (r² + 1) + 0.1 r²,  r² = x² + y²    (0, 0)
===================  ============================================  ==============

The pure saddles x² - y² and x³ - 3xy² fall without bound, so a path that
escapes them overflows after a few hundred steps; the quartic terms keep
the saddle at the origin (and, for the monkey saddle, its vanishing
curvature) and add valleys to escape into, so every path stays finite.

Example::

    >>> from tinyopt import landscapes, optim
    >>> rosenbrock = landscapes.get("rosenbrock")
    >>> path = landscapes.trajectory(rosenbrock, lambda params: optim.Adam(params, lr=0.05),
    ...                              start=rosenbrock.starts[0], steps=200)
    >>> path.shape
    (201, 2)
"""
import math
from dataclasses import dataclass, field

import numpy

from . import backend
from .autograd import Tensor, no_grad
from .nn import Parameter
from .optim.lr_scheduler import ReduceLROnPlateau
from .train_steps import differentiates_loss, needs_closure


@dataclass(frozen=True)
class Landscape:
    """A 2-D loss surface ``f(x, y)`` with what a plot of it needs.

    Attributes:
        name: the registry key (``landscapes.get(name)``).
        title: a short human title for plots.
        formula: ``f`` in matplotlib mathtext, for titles.
        function: ``f(x, y)`` on tensors (or arrays) of any matching shape.
        minima: the global (and notable local) minima as ``(x, y)`` pairs.
        window: ``((x_min, x_max), (y_min, y_max))``, a good plotting range.
        starts: start points used in the lectures, ``(x, y)`` pairs.
        lr_sgd: a learning rate for gradient-scaled methods (SGD, momentum).
        lr_adaptive: a learning rate for step-scaled methods (Adam, RMSprop, Lion).
        lr_momentum: the rate for gradient-scaled methods with momentum (SGD with
            ``momentum > 0``, Nesterov), when it must differ from ``lr_sgd``; None: ``lr_sgd``.
        lr_sign: the rate for sign-based methods (Lion), whose every coordinate moves by
            exactly lr, when a third of ``lr_adaptive`` is too coarse; None: that third.
        log_levels: draw contour levels on a log scale (for steep valleys).
        view: ``(elevation, azimuth)`` in degrees for a 3-D plot that shows the valleys.
        note: one sentence on what the landscape teaches.
    """

    name: str
    title: str
    formula: str
    function: object = field(repr=False)
    minima: tuple
    window: tuple
    starts: tuple
    lr_sgd: float
    lr_adaptive: float
    lr_momentum: float = None
    lr_sign: float = None
    log_levels: bool = False
    view: tuple = (35, -60)
    note: str = ""

    def __call__(self, x, y):
        """``f(x, y)``; tensors in, tensor out (gradients flow through)."""
        return self.function(x, y)

    def default_lr(self, recipe):
        """The rate a ``tinyopt.recipes.Recipe`` that names none gets here (None: its class's)."""
        from . import recipes
        _, settings = recipe.optimizer_class_and_kwargs()
        if self.lr_momentum is not None and recipe.optimizer in recipes.GRADIENT_SCALED \
                and settings.get("momentum", 0) > 0:
            return self.lr_momentum
        if self.lr_sign is not None and recipe.optimizer in recipes.SIGN_BASED:
            return self.lr_sign
        return recipes.default_lr(recipe.optimizer, self.lr_sgd, self.lr_adaptive)

    def value_and_grad(self, point):
        """``(f, [df/dx, df/dy])`` at ``point`` as Python float and float64 array."""
        xy = Tensor(numpy.asarray(point, dtype=numpy.float64), requires_grad=True)
        value = self.function(xy[0], xy[1])
        value.backward()
        return value.item(), backend.to_host(xy.grad.array)

    def grid(self, resolution=200):
        """``(X, Y, Z)`` host arrays of ``f`` over ``window``, ``resolution`` points a side."""
        (x_min, x_max), (y_min, y_max) = self.window
        X, Y = numpy.meshgrid(numpy.linspace(x_min, x_max, resolution),
                              numpy.linspace(y_min, y_max, resolution))
        with no_grad():
            Z = self.function(Tensor(backend.to_device(X)), Tensor(backend.to_device(Y)))
        return X, Y, backend.to_host(Z.array)

    def min_value(self):
        """The lowest ``f`` over ``minima`` (the floor for log-scaled contours)."""
        return min(self.value_and_grad(point)[0] for point in self.minima)


def trajectory(landscape, make_optimizer, start, steps, scheduler=None):
    """Minimise ``landscape`` from ``start`` for ``steps`` steps; return the visited points.

    Args:
        landscape: a ``Landscape``.
        make_optimizer: ``make_optimizer(params) -> optimizer``, e.g.
            ``lambda params: optim.SGD(params, lr=1e-3, momentum=0.9)``.
        start: the ``(x, y)`` to start from.
        steps: the number of optimizer steps, an int >= 0.
        scheduler: optional ``make_scheduler(optimizer) -> scheduler``, stepped after each step
            (a ``ReduceLROnPlateau`` with the value of ``f`` at the new point).

    Optimizers that need a closure get one, by ``tinyopt.train_steps``'s protocol: SAM
    and ASAM re-evaluate the gradient at their perturbed point, SophiaH and AdaHessian
    differentiate ``f`` themselves (Hessian-vector products). SophiaG's sampled-label
    Hessian needs a likelihood, which a landscape is not: here it stays 0, so SophiaG
    runs as its fallback, clipped signed momentum.

    Returns:
        A float64 array of shape ``(steps + 1, 2)``: the start, then the point after every step.
        Runs deterministically: the same arguments give the same path bit for bit.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be an int >= 0, got {steps!r}")
    point = Parameter(numpy.asarray(start, dtype=numpy.float64))
    if point.shape != (2,):
        raise ValueError(f"start must be an (x, y) pair, got {start!r}")
    optimizer = make_optimizer([point])
    schedule = None if scheduler is None else scheduler(optimizer)
    path = numpy.empty((steps + 1, 2))
    path[0] = backend.to_host(point.array)
    def value():
        return landscape(point[0], point[1])

    def reevaluate():
        optimizer.zero_grad()
        loss = value()
        loss.backward()
        return loss

    for step in range(steps):
        if differentiates_loss(optimizer):  # SophiaH, AdaHessian: Hessian-vector products
            optimizer.zero_grad()
            optimizer.step(value)
        else:
            reevaluate()
            if needs_closure(optimizer):
                optimizer.step(reevaluate)
            else:
                optimizer.step()
        if isinstance(schedule, ReduceLROnPlateau):
            schedule.step(float(backend.to_host(value().array)))
        elif schedule is not None:
            schedule.step()
        path[step + 1] = backend.to_host(point.array)
    return path


def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def _beale(x, y):
    return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2
            + (2.625 - x + x * y ** 3) ** 2)


def _himmelblau(x, y):
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


def _booth(x, y):
    return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2


RAVINE_CONDITION_NUMBER = 20


def _ravine(x, y):
    return (x * x + RAVINE_CONDITION_NUMBER * y * y) / 2


def _saddle(x, y):
    return x * x - y * y + y ** 4 / 8


def _monkey_saddle(x, y):
    return x ** 3 - 3 * x * y * y + (x * x + y * y) ** 2 / 2


def _rastrigin(x, y):
    two_pi = 2 * math.pi
    return 20 + x * x - 10 * (two_pi * x).cos() + y * y - 10 * (two_pi * y).cos()


def _bowl(x, y):
    r2 = x * x + y * y
    return r2.sin() / (r2 + 1) + 0.1 * r2


_SQRT3 = math.sqrt(3)
LANDSCAPES = {landscape.name: landscape for landscape in (
    Landscape("rosenbrock", "Rosenbrock", r"$(1-x)^2 + 100\,(y-x^2)^2$", _rosenbrock,
              minima=((1.0, 1.0),), window=((-2.0, 2.0), (-1.0, 3.0)),
              starts=((-1.2, 1.0), (-1.5, 2.5), (0.0, 2.5)), lr_sgd=1e-3, lr_adaptive=0.2,
              lr_sign=0.01, log_levels=True, view=(35, 60),
              note="a curved, flat-bottomed valley: easy to find, slow to follow; "
                   "at lr 0.2 Adam and RMSprop follow it to f < 0.05 in 300 steps (RMSprop's "
                   "first step is 10 lr: its v starts at zero, without Adam's bias correction), "
                   "Lion's fixed steps of 0.01 to f < 0.05 as well (steps of 0.067 overshoot "
                   "the narrow floor), SGD at lr 0.001 is still on its way"),
    Landscape("beale", "Beale", r"$(1.5-x+xy)^2 + (2.25-x+xy^2)^2 + (2.625-x+xy^3)^2$", _beale,
              minima=((3.0, 0.5),), window=((-4.5, 4.5), (-4.5, 4.5)),
              starts=((1.0, 1.5), (-1.0, -1.0), (-3.0, 1.0)), lr_sgd=1e-3, lr_adaptive=0.05,
              log_levels=True, view=(35, -120),
              note="flat plateaus and sharp ridges: gradient scale varies by orders of magnitude"),
    Landscape("himmelblau", "Himmelblau", r"$(x^2+y-11)^2 + (x+y^2-7)^2$", _himmelblau,
              minima=((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186),
                      (3.584428, -1.848126)), window=((-5.0, 5.0), (-5.0, 5.0)),
              starts=((0.0, 0.0), (-0.5, -4.5), (0.5, 4.5)), lr_sgd=5e-3, lr_adaptive=0.1,
              log_levels=True, note="four equal minima: which one you reach depends on the "
                                    "optimizer"),
    Landscape("booth", "Booth", r"$(x+2y-7)^2 + (2x+y-5)^2$", _booth,
              minima=((1.0, 3.0),), window=((-6.0, 6.0), (-6.0, 6.0)),
              starts=((-5.0, -5.0), (5.0, -5.0)), lr_sgd=0.02, lr_adaptive=0.2,
              note="a mildly ill-conditioned convex bowl (condition number 9)"),
    Landscape("ravine", "Ravine (ill-conditioned quadratic)",
              r"$\frac{1}{2}\,(x^2 + %d\,y^2)$" % RAVINE_CONDITION_NUMBER, _ravine,
              minima=((0.0, 0.0),), window=((-10.0, 10.0), (-4.0, 4.0)),
              starts=((-9.0, 3.0), (8.0, -3.5)), lr_sgd=0.09, lr_adaptive=0.3, lr_momentum=0.004,
              note="at lr 0.09 (near 2/20) SGD zig-zags across the steep axis; momentum 0.9 "
                   "at lr 0.004 (a long-run step of lr/(1-β) = 0.04) rolls down smoothly, "
                   "and Nesterov with it; at SGD's 0.09 Nesterov would diverge"),
    Landscape("saddle", "Saddle", r"$x^2 - y^2 + y^4/8$", _saddle,
              minima=((0.0, 2.0), (0.0, -2.0)),
              window=((-2.5, 2.5), (-2.5, 2.5)),
              starts=((-2.0, 1e-3), (2.0, -0.05)), lr_sgd=0.05, lr_adaptive=0.05,
              note="plain gradient descent lingers near the saddle at the origin"),
    Landscape("monkey_saddle", "Monkey saddle", r"$x^3 - 3xy^2 + (x^2+y^2)^2/2$",
              _monkey_saddle, minima=((-1.5, 0.0), (0.75, 0.75 * _SQRT3), (0.75, -0.75 * _SQRT3)),
              window=((-2.0, 2.0), (-2.0, 2.0)),
              starts=((0.4, 0.1), (0.2, -0.3)), lr_sgd=0.02, lr_adaptive=0.05, log_levels=True,
              note="zero gradient and zero curvature at the origin: a slow, degenerate start"),
    Landscape("rastrigin", "Rastrigin", r"$20 + \sum\, x_i^2 - 10\cos 2\pi x_i$", _rastrigin,
              minima=((0.0, 0.0),), window=((-5.12, 5.12), (-5.12, 5.12)),
              starts=((-4.5, 4.2), (2.3, -3.3)), lr_sgd=1e-3, lr_adaptive=0.05,
              note="a grid of local minima: every method stops in a nearby one"),
    Landscape("bowl", "Non-convex bowl", r"$\frac{\sin(x^2+y^2)}{x^2+y^2+1} + 0.1\,(x^2+y^2)$",
              _bowl, minima=((0.0, 0.0),), window=((-3.0, 3.0), (-3.0, 3.0)),
              starts=((2.2, 2.2), (2.6, 0.8), (-1.2, -2.4)), lr_sgd=0.1, lr_adaptive=0.05,
              note="a ring of local minima at r = 2 around the global one: from (2.2, 2.2) "
                   "momentum rolls over the rim, SGD and Adam stop in the ring"),
)}


def names():
    """The landscape names, in the order of the lectures."""
    return list(LANDSCAPES)


def get(name):
    """The landscape called ``name``; ``ValueError`` lists the valid names otherwise."""
    try:
        return LANDSCAPES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown landscape {name!r} (choose from {', '.join(LANDSCAPES)})") \
            from None


__all__ = ["Landscape", "LANDSCAPES", "get", "names", "trajectory"]
