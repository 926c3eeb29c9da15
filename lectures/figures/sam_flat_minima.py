"""SAM (deck 004's class; deck 001: generalization): SGD and SAM (the step taken from the worst
point within ρ) train the same net; around SAM's minimum the training loss rises about half as
fast along random directions (the mean over 8, each scaled per layer to the layer's norm)."""
import numpy
from _digits import deep_mlp, loaders
from _sharpness import loss_around
from tinyopt import nn, optim
from tinyopt.train import evaluate
from tinyopt.viz import new_figure
from tinyopt.viz.style import color, lecture_style, line_style, log_scale


def make(fast=False):
    (train, test), (whole, _), loss_fn = loaders(), loaders(1438), nn.CrossEntropyLoss()
    alphas = numpy.linspace(-1, 1, 9 if fast else 21)
    with lecture_style():
        figure, axis = new_figure(panel_size=(8.5, 5.2))
        for index, sam in enumerate((False, True)):
            model = deep_mlp(3)
            opt = (optim.SAM(model.parameters(), optim.SGD, rho=0.2, lr=0.05, momentum=0.9)
                   if sam else optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
            for x, y in [batch for _ in range(2 if fast else 20) for batch in train]:
                opt.zero_grad()
                loss_fn(model(x), y).backward()
                if sam:  # climb to the worst point within ρ, step with the gradient there
                    opt.first_step(zero_grad=True)
                    loss_fn(model(x), y).backward()
                opt.second_step() if sam else opt.step()  # fit does not drive SAM
            losses = loss_around(model, loss_fn, whole, alphas, directions=2 if fast else 8)
            accuracy = 100 * evaluate(model, loss_fn, test)["accuracy"]
            print("SAM" if sam else "SGD", "mean loss at α = 0, 0.5, 1:", ", ".join(
                f"{numpy.interp(a, alphas, losses):.3g}" for a in (0, 0.5, 1)))
            axis.plot(alphas, losses, color=color(index), linestyle=line_style(index),
                      label=f"{'SAM, ρ 0.2' if sam else 'SGD'}: test accuracy {accuracy:.1f} %")
        axis.set(xlabel="α (θ = θ* + α d)", ylabel="training loss (mean over directions)",
                 title="3-layer MLP, 8x8 digits, lr 0.05, momentum 0.9")
        log_scale(axis)
        axis.legend()
    return figure
