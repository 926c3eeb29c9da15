"""Deck 001, "Challenges": three surfaces a loss can have — a saddle point (zero gradient,
curving up along x and down along y), a grid of local minima (Rastrigin), and a ravine
(curvatures 1 and 20: the step that is safe across it crawls along it)."""
import numpy
from tinyopt import landscapes
from tinyopt.viz import new_figure
from tinyopt.viz.style import lecture_style


def curvatures(landscape, point, h=1e-4):
    """The eigenvalues of the Hessian at ``point``, by central differences of the gradient."""
    gradient = lambda at: landscape.value_and_grad(at)[1]  # noqa: E731
    rows = [(gradient(point + step) - gradient(point - step)) / (2 * h)
            for step in numpy.eye(2) * h]
    return numpy.linalg.eigvalsh((numpy.array(rows) + numpy.array(rows).T) / 2)


def make(fast=False):
    resolution = 60 if fast else 120
    with lecture_style():
        figure, _ = new_figure(1, 3, panel_size=(6.0, 5.6), subplot_kw={"projection": "3d"})
        for axis, name in zip(figure.axes, ("saddle", "rastrigin", "ravine")):
            landscape = landscapes.get(name)
            X, Y, Z = landscape.grid(resolution)
            axis.plot_surface(X, Y, Z, cmap="viridis", linewidth=0, antialiased=False)
            inner = Z[1:-1, 1:-1]
            minima = sum((inner < numpy.roll(Z, shift, axis)[1:-1, 1:-1]).astype(int)
                         for shift in (1, -1) for axis in (0, 1)) == 4
            low, high = curvatures(landscape, numpy.zeros(2))
            note = {"saddle": f"at (0, 0): ∇f = 0, curvatures {low:+.0f}, {high:+.0f}",
                    "rastrigin": f"{int(minima.sum())} local minima in view",
                    "ravine": f"curvatures {low:.0f} and {high:.0f}"}[name]
            print(landscape.title, note)
            axis.set_title(f"{landscape.title}\n{note}", fontsize=15)
            axis.set(xlabel="$x$", ylabel="$y$")
            axis.view_init(*landscape.view)
        figure.suptitle("Loss landscapes: saddle points, local minima, ravines")
    return figure
