r"""Exercise large_batch (chapter exercise 3): large-batch training, simulated.

Write ``large_batch(make_model, x, y, lrs, steps, micro_batch, target, amp_lr)``.
``make_model()`` builds an MLP for flattened digits (64 -> 32 -> 10) with the same
initial weights at every call; ``(x, y)`` is one batch of 1024 digits. Return::

    {"gradients": {"full": [...], "accumulated": [...]},
     "final_loss": {"SGD": [...], "LARS": [...]},
     "lrs_that_train": {"SGD": n, "LARS": n},
     "best_lr": {"SGD": lr, "LARS": lr},
     "mixed_precision": {"float32": [...], "bfloat16": [...]}}

1. Accumulation: on one fresh model, the gradient of the mean cross-entropy over
   all 1024 samples, as a list of arrays in ``model.parameters()`` order — once
   from one backward pass on (x, y) ("full"), once accumulated over the
   micro-batches ``x[i:i + micro_batch]`` (1024 = 64 x 16; "accumulated"). They
   must be equal: accumulation trades memory for time, not for a different step.
2. LARS vs SGD across rates: for each lr in ``lrs`` and each optimizer, a fresh
   model trained ``steps`` full-batch steps with ``SGD(lr, momentum=0.9)`` or
   ``LARS(lr, momentum=0.9, trust_coefficient=0.01)``; "final_loss" is its loss on
   (x, y) after the last step (under ``tinyopt.no_grad()``). "lrs_that_train":
   how many rates end below ``target``; "best_lr": the rate with the lowest final
   loss. Does LARS train at rates where one global rate does not?
3. Mixed precision: ``steps`` steps of ``SGD(amp_lr, momentum=0.9)`` from a fresh
   model, the loss of every step, in float32 and with the forward pass and the
   loss inside ``with tinyopt.amp.autocast("cpu"):`` (bfloat16; backward outside).

Time and memory are yours to measure (``time.perf_counter``, ``tracemalloc``): the
grader checks the numbers above only (on a CPU bfloat16 is emulated: no speed-up).

Hint: ``backward()`` adds into ``p.grad``; ``p.grad.array.copy()`` keeps a gradient;
``model.zero_grad()`` clears them.

Check: ``tinyopt check large_batch --file large_batch.py``.
"""


def large_batch(make_model, x, y, lrs, steps, micro_batch, target, amp_lr):
    raise NotImplementedError("exercise: large_batch: gradients two ways, LARS vs SGD over "
                              "lrs, float32 vs bfloat16; return the dict of the docstring")
