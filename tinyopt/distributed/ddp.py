r"""``DistributedDataParallel``: every rank a replica, gradients averaged after backward.

Data parallelism: N ranks hold the same model, each computes the loss on its
own b samples, and the gradients are averaged::

    g = (1/N) Σ_r ∇ L_r(θ),   L_r the mean loss over rank r's b samples

which is exactly the gradient of the mean loss over all N·b samples, so the
optimizer (the same on every rank, fed the same g) takes the step one
process would take with batch N·b, and the replicas stay identical.

What the wrapper does (PyTorch's recipe, simplified):

- at construction, rank 0's parameters are broadcast, so all replicas start
  equal whatever their seeds;
- ``forward`` runs the module and marks its output; when ``backward``
  reaches that mark, the module's gradients are computed there (a nested
  pass through the module's graph, added into ``.grad``) and averaged with
  all-reduces over *buckets*: gradients packed end to end into flat buffers
  of about ``bucket_cap_mb`` MB each (in reverse parameter order, the order
  backward produces them), so a model with many small tensors sends a few
  large messages instead of many small ones;
- inside ``with ddp.no_sync():`` forwards leave no mark, so gradients
  accumulate locally; the first backward after the block averages the sum
  (averaging is linear, so accumulating then averaging is averaging then
  accumulating).

Averaging all of ``.grad`` is also idempotent on gradients already equal
across ranks, so two outputs of one forward, or two forwards before one
step, still give the mean gradient.

Limits: the wrapped module's inputs must not require grad (its gradient
stops at the module), the model's buffers (BatchNorm statistics) are not
synchronised, a parameter without a gradient must lack one on every rank,
and the module's graph is freed by the first backward through it (so
``retain_graph=True`` does not carry into it).

Example (``mpiexec -n 4 python train.py``)::

    >>> dist.init()
    >>> model = DistributedDataParallel(make_model())
    >>> loss = loss_fn(model(x_local), y_local); loss.backward()   # .grad: the mean
    >>> opt.step()
"""
import contextlib

from .. import backend
from ..autograd import Tensor, grad as autograd_grad
from ..autograd.tensor import make_result
from ..nn import Module
from . import collectives


class DistributedDataParallel(Module):
    """Wrap ``module`` so that ``backward`` averages its gradients across ranks.

    Args:
        module: the model (a ``tinyopt.nn.Module``), built identically on every rank.
        bucket_cap_mb: the size of one all-reduce bucket in MB (default 25, PyTorch's);
            a positive number.
        broadcast_parameters: copy rank 0's parameters to every rank now (default True).

    Calls on every rank must match: the same forwards and backwards, in order.
    """

    def __init__(self, module, bucket_cap_mb=25, broadcast_parameters=True):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"module must be a tinyopt.nn.Module, got {type(module).__name__}")
        if isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, (int, float)) \
                or not bucket_cap_mb > 0:
            raise ValueError(f"bucket_cap_mb must be a positive number, got {bucket_cap_mb!r}")
        collectives.init()
        self.module = module
        self.bucket_cap_mb = bucket_cap_mb
        self.require_backward_grad_sync = True
        """False inside ``no_sync()`` (PyTorch's attribute name)."""
        self._anchor = Tensor(backend.xp.zeros(()), requires_grad=True)
        if broadcast_parameters:
            for param in module.parameters():
                collectives.broadcast(param.array, src=0, out=param.array)

    def forward(self, *inputs, **kwargs):
        for value in (*inputs, *kwargs.values()):
            if isinstance(value, Tensor) and value.requires_grad:
                raise ValueError("DistributedDataParallel: an input requires grad; the "
                                 "gradient would stop at the module (not supported)")
        output = self.module(*inputs, **kwargs)
        if not isinstance(output, Tensor):
            raise TypeError("DistributedDataParallel supports modules returning one Tensor, "
                            f"got {type(output).__name__}")
        if not self.require_backward_grad_sync or not output.requires_grad:
            return output
        return self._mark(output)

    @contextlib.contextmanager
    def no_sync(self):
        """Accumulate gradients locally (no communication) inside the block."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def _mark(self, output):
        """``output``'s value, behind a node whose backward computes and averages the gradients.

        Its only parent is a private leaf (it gets no gradient), so the outer
        backward stops here and the module's graph is walked once, inside.
        """
        params = [p for p in self.module.parameters() if p.requires_grad]

        def backward(grad_output):
            grads = autograd_grad([output], params, [grad_output], allow_unused=True)
            for param, grad in zip(params, grads):
                if grad is None:
                    continue
                if param.grad is None:
                    param.grad = Tensor(backend.xp.array(grad.array, dtype=param.dtype))
                else:
                    param.grad.array += grad.array
            self._average_gradients(params)
            return (None,)

        return make_result(output.array, (self._anchor,), backward, "DistributedDataParallel",
                           saved=())

    def _average_gradients(self, params):
        """Mean of every ``.grad`` over ranks, one all-reduce per bucket."""
        if collectives.world_size() == 1:
            return
        for bucket in gradient_buckets(params, self.bucket_cap_mb * 2**20):
            flat = backend.xp.concatenate([p.grad.array.reshape(-1) for p in bucket])
            collectives.all_reduce(flat, op="mean", out=flat)
            start = 0
            for param in bucket:
                size = param.grad.array.size
                param.grad.array[...] = flat[start:start + size].reshape(param.grad.shape)
                start += size


def gradient_buckets(params, bucket_bytes):
    """``params`` with a gradient, in reverse order, cut into lists of about ``bucket_bytes``.

    A bucket holds one dtype and closes once it reaches ``bucket_bytes``
    (a tensor larger than that is a bucket of its own).
    """
    buckets, current, current_bytes = [], [], 0
    for param in reversed(params):
        if param.grad is None:
            continue
        if current and (current_bytes >= bucket_bytes
                        or param.grad.array.dtype != current[0].grad.array.dtype):
            buckets.append(current)
            current, current_bytes = [], 0
        current.append(param)
        current_bytes += param.grad.array.nbytes
    if current:
        buckets.append(current)
    return buckets
