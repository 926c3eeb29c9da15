r"""``ZeroRedundancyOptimizer``: ZeRO stage 1, optimizer state partitioned across ranks.

Rajbhandari et al. (2020), "ZeRO: Memory Optimizations Toward Training
Trillion Parameter Models", stage 1 as DeepSpeed partitions it. Under plain
data parallelism every rank keeps the whole optimizer state (for Adam two
moments, twice the model); ZeRO-1 keeps 1/N of it per rank. Each parameter
group is seen as one flat buffer of T elements (its parameters end to end,
as ``optim.flat_buffers`` packs them), padded to N·S with S = ⌈T/N⌉, and
rank r owns the contiguous slice [r·S, (r+1)·S)::

    flat   [ w1 ......... | b1 .. | w2 ....... | b2 . |pad]
    ranks  [   rank 0    |    rank 1    |    rank 2    ]

Each step, on every rank r::

    ḡ_r ← reduce_scatter(g) / N    the mean gradient, only of slice r
    θ_r ← update(θ_r, ḡ_r, state_r)  the wrapped optimizer, on slice r only
    θ   ← all_gather(θ_r)          every rank gets the whole new θ

The slice of a tensor that a rank owns is a *piece* (a 1-D leaf tensor); the
wrapped optimizer runs on the pieces. For an elementwise rule (SGD, Adam,
AdamW, RMSprop, ...) updating pieces is updating the whole tensors, element
for element, so the result equals one process with the whole batch.

LAMB and LARS need each layer's norm, which no rank holds whole: each rank
sums the squares of its pieces per layer and one all-reduce of those partial
sums gives every rank the whole-layer norms (``optim.layer_norms``; the gap
DeepSpeed's partitioned LAMB leaves). Optimizers that need whole matrices or
whole tensors (Adafactor's factored moments, 8-bit block quantization, any
custom ``step``) raise ``ValueError``: the update would silently differ.

The gradients averaged here are each rank's own: use a plain model, not a
``DistributedDataParallel`` one (its all-reduce would be redundant, though
harmless: the mean of equal gradients is that gradient). The constructor
broadcasts rank 0's parameters so that all replicas start equal.

``state_dict()`` is collective (every rank calls it and gets the whole
state in the ordinary single-process layout, loadable by ``optimizer_class``
itself); ``load_state_dict`` takes such a dict, saved on any number of
ranks, and keeps this rank's slice. (PyTorch instead gathers on one rank
with ``consolidate_state_dict(to)``.)

Example (``mpiexec -n 4 python train.py``)::

    >>> opt = ZeroRedundancyOptimizer(model.parameters(), tinyopt.optim.AdamW, lr=1e-3)
    >>> loss_fn(model(x_local), y_local).backward(); opt.step()
"""
import math

from .. import backend
from ..autograd import Tensor, enable_grad
from ..nn import Parameter
from ..optim.layer_norms import LayerNorms
from ..optim.optimizer import Optimizer
from . import collectives
from .zero_state import gather_state_dict, scatter_state_dict


class ZeroRedundancyOptimizer:
    """Wrap ``optimizer_class`` so that each rank keeps the state of its slice only.

    Args:
        params: Parameters or param-group dicts, as for ``optimizer_class``.
        optimizer_class: an elementwise ``tinyopt.optim`` optimizer class, or LAMB/LARS.
        **defaults: ``optimizer_class``'s hyper-parameters (``lr=...``).

    Attributes:
        param_groups: the groups as a single-process optimizer has them
            (schedulers write their ``lr``); copied to the shards each step.
        optim: the wrapped optimizer, over this rank's pieces.
    """

    def __init__(self, params, optimizer_class, **defaults):
        check_shardable(optimizer_class)
        collectives.init()
        self._layout = optimizer_class(params, **defaults)
        """The single-process optimizer: hyper-parameters and layout only, never any state."""
        self.defaults = self._layout.defaults
        self.steps_taken = 0
        self._shards, self._layers, self._layer_count = [], {}, 0
        inner_groups = [self._shard(number, group) for number, group in
                        enumerate(self.param_groups)]
        self.optim = _sharded_class(optimizer_class)(inner_groups, **defaults)
        self.optim._zero_layers = self._layers
        self.optim._zero_layer_count = self._layer_count

    def _shard(self, number, group):
        """Cut ``group`` (number ``number``) into this rank's pieces; the inner group."""
        dtypes = {p.array.dtype for p in group["params"]}
        if len(dtypes) != 1:
            raise ValueError(f"param group {number} mixes dtypes {sorted(map(str, dtypes))}; "
                             "ZeRO cuts one flat buffer per group: one dtype per group")
        for param in group["params"]:
            collectives.broadcast(param.array, src=0, out=param.array)
        shard = GroupShard(group["params"], collectives.rank(), collectives.world_size())
        for index, start, stop, _ in shard.pieces:
            param = group["params"][index]
            piece = Parameter(param.array.reshape(-1)[start:stop].copy())
            shard.tensors.append(piece)
            self._layers[id(piece)] = (self._layer_count + index, param.array.ndim)
        self._layer_count += len(group["params"])
        self._shards.append(shard)
        return {**_hyperparameters(group), "params": shard.tensors}

    def add_param_group(self, param_group):
        """Add a group (as ``Optimizer.add_param_group``), sharded like the others (a
        collective: every rank adds the same group)."""
        self._layout.add_param_group(param_group)
        try:
            inner = self._shard(len(self.param_groups) - 1, self.param_groups[-1])
        except ValueError:
            self._layout.param_groups.pop()
            raise
        self.optim.add_param_group(inner)
        self.optim._zero_layer_count = self._layer_count

    @property
    def param_groups(self):
        return self._layout.param_groups

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of the (whole) parameters, as ``Optimizer.zero_grad``."""
        self._layout.zero_grad(set_to_none)

    def step(self, closure=None):
        """Reduce-scatter the gradients, update this rank's slices, all-gather the parameters."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group, inner, shard in zip(self.param_groups, self.optim.param_groups, self._shards):
            inner.update(_hyperparameters(group))
            shard.load_gradients(group["params"])
        self.optim.step()
        for group, shard in zip(self.param_groups, self._shards):
            shard.gather_parameters(group["params"])
        self.steps_taken += 1
        return loss

    def state_bytes(self):
        """Bytes of optimizer state this rank holds (about 1/N of one process's)."""
        return self.optim.state_bytes()

    def state_dict(self):
        """The whole state in ``optimizer_class``'s layout, on every rank (a collective)."""
        return gather_state_dict(self)

    def load_state_dict(self, state_dict):
        """Keep this rank's slice of a whole-layout ``state_dict`` (checked before any change)."""
        scatter_state_dict(self, state_dict)

    def __repr__(self):
        return f"ZeroRedundancyOptimizer({self._layout!r}, world_size={collectives.world_size()})"


class GroupShard:
    """Which pieces of a group's flat buffer [0, T), padded to N·S, rank ``rank`` owns.

    ``pieces``: ``(index, start, stop, offset)`` per parameter overlapping
    the slice: elements [start, stop) of parameter ``index`` (flattened) sit
    at [offset, offset + stop - start) of the rank's slice of length S.
    """

    def __init__(self, params, rank, world_size):
        self.world_size = world_size
        self.dtype = params[0].array.dtype
        self.bounds, total = [], 0
        for param in params:
            self.bounds.append((total, total + param.array.size))
            total += param.array.size
        self.shard_size = math.ceil(total / world_size)
        low, high = rank * self.shard_size, min((rank + 1) * self.shard_size, total)
        self.pieces = [(index, max(a, low) - a, min(b, high) - a, max(a, low) - low)
                       for index, (a, b) in enumerate(self.bounds) if max(a, low) < min(b, high)]
        self.tensors = []
        """The pieces as 1-D leaf tensors, the wrapped optimizer's parameters."""

    def flatten(self, arrays):
        """``arrays`` (one per parameter, None: zeros) end to end, padded to N·S."""
        flat = backend.xp.zeros(self.world_size * self.shard_size, dtype=self.dtype)
        for (a, b), array in zip(self.bounds, arrays):
            if array is not None:
                flat[a:b] = array.reshape(-1)
        return flat

    def slice_of(self, arrays_of_pieces):
        """This rank's slice (length S, zero padding) holding one array per piece."""
        mine = backend.xp.zeros(self.shard_size, dtype=self.dtype)
        for (_, start, stop, offset), array in zip(self.pieces, arrays_of_pieces):
            if array is not None:
                mine[offset:offset + stop - start] = array
        return mine

    def load_gradients(self, params):
        """The pieces get the current values and the rank-mean of the gradients (a collective)."""
        grads = [None if p.grad is None else p.grad.array for p in params]
        mean = collectives.reduce_scatter(self.flatten(grads), op="mean")
        for (index, start, stop, offset), piece in zip(self.pieces, self.tensors):
            piece.array[...] = params[index].array.reshape(-1)[start:stop]
            if grads[index] is None:
                piece.grad = None
            elif piece.grad is None:
                piece.grad = Tensor(mean[offset:offset + stop - start].copy())
            else:
                piece.grad.array[...] = mean[offset:offset + stop - start]

    def gather_parameters(self, params):
        """Every rank's updated slice into the whole parameters (a collective)."""
        flat = collectives.all_gather(self.slice_of([piece.array for piece in self.tensors]))
        for param, (a, b) in zip(params, self.bounds):
            if param.grad is not None:
                param.array[...] = flat[a:b].reshape(param.array.shape)
                param._version_box[0] += 1  # a write, as Optimizer._count_writes counts it


class ShardedLayerNorms(LayerNorms):
    """LAMB's and LARS's per-layer norms assembled from pieces: one all-reduce of partial sums.

    ``_zero_layers`` maps each piece to (its layer's number, the layer's
    ndim); ``_zero_layer_count`` is the number of layers of all groups, the
    same on every rank, so every rank sends a vector of the same length even
    when it owns no piece of a group.
    """

    def _layer_norms(self, params, *array_lists):
        sums = backend.xp.zeros((len(array_lists), self._zero_layer_count), dtype="float64")
        for row, arrays in enumerate(array_lists):
            for param, array in zip(params, arrays):
                sums[row, self._zero_layers[id(param)][0]] += float(backend.xp.sum(array * array))
        collectives.all_reduce(sums, out=sums)
        return [[math.sqrt(float(sums[row, self._zero_layers[id(param)][0]])) for param in params]
                for row in range(len(array_lists))]

    def _excluded(self, param, group):
        return group["exclude_1d"] and self._zero_layers[id(param)][1] <= 1


def check_shardable(optimizer_class):
    """Raise unless ``optimizer_class``'s update can run on flat slices and equal the whole."""
    if not (isinstance(optimizer_class, type) and issubclass(optimizer_class, Optimizer)):
        raise TypeError("optimizer_class must be a tinyopt.optim.Optimizer subclass, got "
                        f"{optimizer_class!r}")
    if issubclass(optimizer_class, LayerNorms):
        return
    for klass in optimizer_class.__mro__:
        if klass is Optimizer:
            return
        if "_update_parameters" in vars(klass) or "step" in vars(klass):
            raise ValueError(
                f"{optimizer_class.__name__} is not supported under ZeRO: its update is not "
                "elementwise (it needs whole tensors or matrices, which a rank's flat slice "
                "cuts), so a sharded step would silently differ; use DistributedDataParallel "
                "with the ordinary optimizer instead")


def _sharded_class(optimizer_class):
    """``optimizer_class``, with norms from shards if it is a trust-ratio optimizer."""
    if issubclass(optimizer_class, LayerNorms):
        return type(f"Sharded{optimizer_class.__name__}", (ShardedLayerNorms, optimizer_class),
                    {})
    return optimizer_class


def _hyperparameters(group):
    return {key: value for key, value in group.items() if key != "params"}
