r"""Exercise grad_accumulation: one optimizer step from k micro-batches.

Write ``accumulation_step(model, optimizer, loss_fn, micro_batches)``:
``micro_batches`` is a list of k pairs ``(x, y)``; make one optimizer step
whose gradient is that of the mean loss over all of them, as one batch of
k·b samples would give::

    zero the gradients (once)
    for each (x, y):   loss = loss_fn(model(x), y) / k;   loss.backward()
    optimizer.step()   (once)

Hint: ``backward()`` adds into ``p.grad``; that is what accumulates.

Check: ``tinyopt check grad_accumulation --file grad_accumulation.py``.
"""


def accumulation_step(model, optimizer, loss_fn, micro_batches):
    raise NotImplementedError("exercise: accumulation_step: accumulate k gradients, then "
                              "one step (see the docstring)")
