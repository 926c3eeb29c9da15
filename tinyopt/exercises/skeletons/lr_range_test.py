r"""Exercise lr_range_test: the learning-rate range test (Smith 2017; fastai's lr_find).

Write ``lr_range_test(...)``: train for ``num_iter`` mini-batches (cycling
through ``batches``) while the rate grows geometrically, and return the
rates and the smoothed losses::

    lr_i = start_lr · (end_lr / start_lr)^(i / (num_iter - 1))    set every group's 'lr'
    one step: zero_grad, loss = loss_fn(model(x), y), backward, optimizer.step()
    s_0 = loss_0,   s_i = smooth_f · loss_i + (1 - smooth_f) · s_(i-1)
    stop after point i once s_i > diverge_th · min(s_0 .. s_i)   (or s_i is not finite)

Hint: ``loss.item()`` is the loss as a float. The good rate is where s falls
fastest against log lr, well before the blow-up.

Check: ``tinyopt check lr_range_test --file lr_range_test.py``.
"""


def lr_range_test(model, optimizer, loss_fn, batches, start_lr, end_lr, num_iter,
                  smooth_f=0.05, diverge_th=5.0):
    raise NotImplementedError("exercise: lr_range_test: sweep the rate, record the smoothed "
                              "loss, stop at divergence (see the docstring)")
