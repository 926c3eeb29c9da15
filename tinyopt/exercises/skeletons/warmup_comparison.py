r"""Exercise warmup_comparison: a tiny transformer trained with and without warmup.

Write ``warmup_comparison(make_model, batches, lr, warmup_steps)``.
``make_model()`` builds a one-block character transformer (embeddings, causal
self-attention, MLP, LayerNorm, linear head over the vocabulary) with the same
initial weights at every call; ``batches`` is a list of ``(x, y)`` int tensors of
shape (batch, block): ``y`` is ``x`` shifted by one character. Two runs, each from a
fresh model over all of ``batches``, with ``AdamW(params, lr=lr, weight_decay=0.01)``
and, with T = len(batches)::

    "no warmup"   WarmupCosineLR(optimizer, warmup_steps=0, total_steps=T)
    "warmup"      WarmupCosineLR(optimizer, warmup_steps=warmup_steps, total_steps=T)

Each step: ``zero_grad``; ``logits = model(x)``; ``loss = CrossEntropyLoss()(logits
.reshape(-1, V), y.reshape(-1))`` (V the vocabulary size, ``logits.shape[-1]``);
``backward``; the global gradient norm sqrt(sum over all parameters of every squared
gradient element); ``optimizer.step()``; ``scheduler.step()``. Return::

    {"loss": {run: [loss of every step]},
     "grad_norm": {run: [global gradient norm of every step]},
     "max_grad_norm": {run: the largest of them},
     "final_loss": {run: mean loss of the last 5 steps}}

Then plot both runs' losses and norms: where does the run without warmup spike?

Hint: ``float((p.grad.array ** 2).sum())`` for each parameter ``p``.

Check: ``tinyopt check warmup_comparison --file warmup_comparison.py``.
"""
RUNS = ["no warmup", "warmup"]


def warmup_comparison(make_model, batches, lr, warmup_steps):
    raise NotImplementedError("exercise: warmup_comparison: the two runs; return the dict of "
                              "the docstring")
