"""Deck 002, "Learning rate vs batch size": the same epochs at batch sizes 16 to 512 with the
rate of batch 32 kept, scaled by √k, or by k (the linear scaling rule); only linear holds up."""
from _sweep import sweep
from tinyopt.viz import new_figure
from tinyopt.viz.sweeps import sweep_summary
from tinyopt.viz.style import color, lecture_style, line_style


def make(fast=False):
    values = "16,64,256" if fast else "16,32,64,128,256,512"
    epochs, hidden = ("2", "16") if fast else ("5", "64")
    with lecture_style():
        figure, axis = new_figure(panel_size=(8.5, 5.2))
        for index, rule in enumerate(("none", "sqrt", "linear")):
            rows = sweep_summary(sweep("--param", "batch_size", "--values", values,
                                       "--scale-lr", rule, "--optimizer", "momentum",
                                       "--lr", "0.02", "--dataset", "digits",
                                       "--epochs", epochs, "--hidden", hidden))
            axis.plot([row["value"] for row in rows],
                      [100 * row["final_test_accuracy"] for row in rows], color=color(index),
                      linestyle=line_style(index), marker="o",
                      label={"none": "lr 0.02 kept", "sqrt": "lr × √k",
                             "linear": "lr × k (linear rule)"}[rule])
        axis.set_xscale("log", base=2)
        axis.set_xticks([int(size) for size in values.split(",")], values.split(","))
        axis.minorticks_off()
        axis.set(xlabel="batch size (k = batch size / 32)", ylabel="test accuracy (%)",
                 title=f"8x8 digits, MLP {hidden}-{hidden}, momentum 0.9, {epochs} epochs")
        axis.legend(loc="lower left")
    return figure
