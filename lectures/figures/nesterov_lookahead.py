"""Deck 001, "Nesterov accelerated gradient": heavy-ball momentum and Nesterov at the same
rate on the ravine. Taking the gradient at the look-ahead point brakes before the far wall:
momentum crosses the valley floor again and again, Nesterov settles in a few swings."""
from tinyopt import landscapes, optim
from tinyopt.viz import plot_trajectories


def make(fast=False):
    ravine = landscapes.get("ravine")
    runs = {"momentum 0.9, lr 0.05": False, "Nesterov 0.9, lr 0.05": True}
    paths = {label: landscapes.trajectory(
        ravine, lambda p, nesterov=nesterov: optim.SGD(p, lr=0.05, momentum=0.9,
                                                       nesterov=nesterov),
        ravine.starts[0], 60 if fast else 100) for label, nesterov in runs.items()}
    return plot_trajectories(ravine, paths, columns=2)
