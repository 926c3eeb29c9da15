"""How sharp a minimum is: the loss around it along random directions (Li et al. 2018, "Visualizing
the Loss Landscape of Neural Nets": each direction scaled per layer to the layer's norm, so the
picture does not depend on how the weights happen to be scaled)."""
import numpy

from tinyopt.train import evaluate


def loss_around(model, loss_fn, loader, alphas, directions=8):
    """The mean over ``directions`` random d of the loss at θ* + α d, per α; θ* is restored."""
    params = list(model.parameters())
    minimum = [p.array.copy() for p in params]
    losses = numpy.zeros(len(alphas))
    for seed in range(directions):
        rng = numpy.random.default_rng(seed)
        direction = [d * numpy.linalg.norm(w) / numpy.linalg.norm(d)
                     for w, d in zip(minimum, (rng.normal(size=w.shape) for w in minimum))]
        for index, alpha in enumerate(alphas):
            for p, w, d in zip(params, minimum, direction):
                p.array[...] = w + alpha * d
            losses[index] += evaluate(model, loss_fn, loader)["loss"] / directions
    for p, w in zip(params, minimum):
        p.array[...] = w
    return losses
