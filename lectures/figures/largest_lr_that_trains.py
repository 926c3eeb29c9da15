"""Deck 002, "What learning rate to use?": train a few epochs at each rate and measure the
test accuracy — the best rate is the largest that trains; past it the runs diverge."""
from _sweep import sweep
from tinyopt.viz import plot_sweep


def make(fast=False):
    values = "0.01,0.1,1" if fast else "0.003,0.01,0.03,0.1,0.3,1,3"
    epochs, hidden = ("2", "16") if fast else ("5", "64")
    results = sweep("--param", "lr", "--values", values, "--seeds", "0" if fast else "0,1",
                    "--optimizer", "momentum", "--dataset", "digits", "--epochs", epochs,
                    "--hidden", hidden)
    return plot_sweep(results, "lr", title=f"8x8 digits, MLP {hidden}-{hidden}, SGD with "
                                           f"momentum 0.9, {epochs} epochs per rate")
