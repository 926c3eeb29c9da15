"""A race of optimizers on one landscape, from its first start point, one panel each."""
from tinyopt import landscapes
from tinyopt.viz import plot_trajectories


def race(name, optimizers, steps, columns=3):
    """``plot_trajectories`` of every ``label: build(params)`` of ``optimizers`` on landscape
    ``name``, ``steps`` steps from its first start."""
    landscape = landscapes.get(name)
    paths = {label: landscapes.trajectory(landscape, build, landscape.starts[0], steps)
             for label, build in optimizers.items()}
    return plot_trajectories(landscape, paths, columns=columns)
