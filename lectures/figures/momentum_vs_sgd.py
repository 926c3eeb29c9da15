"""Deck 001: momentum against plain SGD on the ravine — SGD zig-zags across the steep
axis, heavy-ball momentum (at a tenth of the rate: the same long-run step) rolls down."""
from tinyopt import landscapes, optim
from tinyopt.viz import plot_trajectories


def make(fast=False):
    ravine = landscapes.get("ravine")
    steps = 60 if fast else 300
    runs = {"SGD, lr 0.09": lambda p: optim.SGD(p, lr=0.09),
            "momentum 0.9, lr 0.004": lambda p: optim.SGD(p, lr=0.004, momentum=0.9)}
    paths = {label: landscapes.trajectory(ravine, make_optimizer, ravine.starts[0], steps)
             for label, make_optimizer in runs.items()}
    return plot_trajectories(ravine, paths, columns=2)
