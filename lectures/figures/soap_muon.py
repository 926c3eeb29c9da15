"""Deck 001, "SOTA optimizers: SOAP, Muon" (the modded-nanogpt speedrun story): on a small task,
each at the best of three rates, SOAP (Adam in Shampoo's eigenbasis) and Muon (orthogonalised
momentum on the hidden matrices, AdamW for the rest) reach a given training loss in fewer steps
than AdamW."""
from _digits import deep_mlp, loaders
from tinyopt import nn, optim
from tinyopt.train import fit
from tinyopt.viz import new_figure
from tinyopt.viz.style import color, lecture_style, line_style, log_scale

OPTIMIZERS = {  # name: (build(model, lr), the rates tried, the best of them in full mode)
    "AdamW": (lambda m, lr: optim.AdamW(m.parameters(), lr=lr), (1e-3, 3e-3, 1e-2), 1e-2),
    "Muon": (lambda m, lr: optim.Muon(optim.muon_param_groups(m, adamw_lr=3e-3), lr=lr),
             (0.01, 0.03, 0.1), 0.03),
    "SOAP": (lambda m, lr: optim.SOAP(m.parameters(), lr=lr), (1e-3, 3e-3, 1e-2), 1e-2)}


def make(fast=False):
    (train, _), (whole, _) = loaders(128), loaders(1438)
    with lecture_style():
        figure, axis = new_figure(panel_size=(8.5, 5.2))
        for index, (name, (build, rates, best)) in enumerate(OPTIMIZERS.items()):
            curves = {}
            for lr in (best,) if fast else rates:
                model = deep_mlp(4, width=32 if fast else 128)
                history = fit(model, nn.CrossEntropyLoss(), build(model, lr), train,
                              epochs=1 if fast else 8, val_loader=whole, progress=False)
                curves[lr] = history.epochs["val_loss"]  # the loss on the whole training set
                print(name, f"lr {lr:g}:", ", ".join(f"{loss:.3g}" for loss in curves[lr]))
            lr = min(curves, key=lambda rate: curves[rate][-1])
            axis.plot([len(train) * (e + 1) for e in range(len(curves[lr]))], curves[lr],
                      color=color(index), linestyle=line_style(index), marker="o",
                      label=f"{name}, lr {lr:g}")
        axis.set(xlabel="step", ylabel="loss on the training set",
                 title=f"8x8 digits, MLP 4 × {32 if fast else 128}, batch 128")
        log_scale(axis)
        axis.legend(title="best of three rates")
    return figure
