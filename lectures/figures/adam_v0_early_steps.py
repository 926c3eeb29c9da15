"""Deck 002, "Adam v0": v starts at zero and β₂ = 0.999 fills it slowly, so Adam v0's first
steps are ~1/√(1 - β₂^t) ≈ 30 lr; at lr 0.01 they throw the net off (loss 90) and it never
recovers (dead ReLUs, its steps fade). Adam's bias correction keeps them below lr: it trains."""
import numpy
from _deck_optimizers import AdamV0
from _digits import deep_mlp, loaders
from tinyopt import nn, optim
from tinyopt.train import fit
from tinyopt.viz import new_figure
from tinyopt.viz.style import color, lecture_style, log_scale

LR = 1e-2
RUNS = {"Adam v0": lambda p: AdamV0(p, lr=LR, momentum=0.9, beta2=0.999),
        "Adam": lambda p: optim.Adam(p, lr=LR, betas=(0.9, 0.999))}


def make(fast=False):
    train, _ = loaders()
    with lecture_style():
        figure, (step_axis, loss_axis) = new_figure(1, 2, panel_size=(7.0, 4.8))
        for index, (label, build) in enumerate(RUNS.items()):
            model = deep_mlp(3)
            history = fit(model, nn.CrossEntropyLoss(), build(model.parameters()), train,
                          epochs=2 if fast else 8, progress=False, record=["update_norm"])
            size = model[0].weight.array.size
            rms = numpy.array(history.layers["update_norm/0.weight"]) / (LR * size ** 0.5)
            print(label, "RMS step / lr at steps 1, 10, 100, last:",
                  ", ".join(f"{rms[i]:.3g}" for i in (0, 9, min(99, len(rms) - 1), -1)))
            step_axis.plot(range(1, len(rms) + 1), rms, color=color(index), label=label)
            loss_axis.plot(range(1, len(rms) + 1), history.steps["loss"], color=color(index))
        step_axis.axhline(1.0, color="black", linestyle=":", label="lr")
        step_axis.set(xscale="log", yscale="log", xlabel="step",
                      ylabel="RMS step of layer 1 / lr", title="Step size per weight")
        loss_axis.set(xscale="log", xlabel="step", ylabel="training loss", title="Loss")
        log_scale(loss_axis)
        step_axis.legend()
        figure.suptitle(f"8x8 digits, 3-layer MLP, lr {LR:g}, β₂ 0.999")
    return figure
