"""The backward pass: reverse-mode differentiation over the recorded graph.

1. Sort the graph topologically, iteratively (a 5,000-op chain must not hit
   Python's recursion limit, as micrograd's recursive sort does).
2. Walk it from the output back, calling each node's ``backward(grad)`` and
   summing the gradients that reach a node along different paths.
3. ``backward`` adds the result into ``.grad`` of the leaves (gradients
   accumulate until reset); ``grad`` returns them instead.

Unless the graph is retained, each node's backward function is dropped after
use (it holds the saved inputs), so a second pass through it raises.
"""
import time

from .. import backend
from .mode import no_grad, enable_grad
from .release import release_unread_values
from .tensor import Tensor
from .ops.shape import IndexedGrad  # noqa: E402 (after tensor, which loads the ops)


backward_clock = None
"""While ``profiler.profile`` is active: called as ``backward_clock(op, seconds)`` per node."""


def _freed(_grad):
    raise RuntimeError(
        "Trying to backward through the graph a second time: its saved values were freed "
        "after the first backward. Pass retain_graph=True to the first call if you need "
        "to go through it twice.")


def _check_saved_versions(node):
    """Raise PyTorch's error if a tensor ``node``'s gradient reads was overwritten in place."""
    for tensor, version in node._saved:
        if tensor._version_box[0] != version:
            _raise_modified(node, tensor, tensor._version_box[0], version,
                            f"an input of {node._op}")
    if node._output_version is not None and node._version_box[0] != node._output_version:
        _raise_modified(node, node, node._version_box[0], node._output_version,
                        f"output 0 of {node._op}")


def _raise_modified(node, tensor, now, expected, role):
    shape = ", ".join(map(str, tensor.shape))
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{tensor.dtype} [{shape}]], which is {role}, is at version "
        f"{now}; expected version {expected} instead. Hint: an in-place write (add_, "
        "mul_, ..., an optimizer's step()) changed it after the graph was built; compute "
        "the loss again, or write a copy (clone()).")


def topological_order(roots):
    """Nodes that require grad and lead to ``roots``, each after all its parents."""
    order, visited = [], set()
    stack = [(root, False) for root in roots if root.requires_grad]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in node._parents
                     if p.requires_grad and id(p) not in visited)
    return order


def _seed_gradient(output, gradient):
    """The gradient that starts the pass: ones for a scalar, else the given one."""
    if gradient is None:
        if output.array.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs, got shape "
                f"{output.shape}: pass a gradient of that shape")
        return Tensor(backend.xp.ones_like(output.array))
    gradient = gradient if isinstance(gradient, Tensor) else Tensor(gradient)
    if gradient.shape != output.shape:
        raise ValueError(f"gradient has shape {gradient.shape} but the output has shape "
                         f"{output.shape}")
    return gradient


def _propagate(outputs, seeds, retain_graph, create_graph, wanted=()):
    """Run the backward pass; return (order, {id(node): gradient Tensor}, owned, holders).

    Without ``create_graph``, gradients meeting at a node are summed into a
    buffer the engine allocated itself ("owned"), in place. Nodes give up
    their saved values only once the whole pass has succeeded, so a pass that
    fails midway (a ``MemoryError``, say) can simply be run again. A node's
    own gradient is dropped as soon as its backward has used it (as PyTorch
    frees each intermediate gradient), so the pass holds the gradients of the
    frontier, not of the whole graph; leaves keep theirs, and so do the
    tensors whose ids are in ``wanted`` (``grad``'s inputs). Before a plain
    pass, the forward values that no formula reads and no one else holds are
    freed (``release.py``), as PyTorch keeps only what its formulas saved.
    """
    for output in outputs:
        if not output.requires_grad:
            raise RuntimeError("element of outputs does not require grad and has no graph: "
                               "was it computed under no_grad, or from tensors that do not "
                               "require grad?")
    grads, owned, holders = {}, set(), {}
    for output, seed in zip(outputs, seeds):
        grads[id(output)] = grads[id(output)] + seed if id(output) in grads else seed
        holders[id(grads[id(output)])] = 2  # a seed may be the caller's: never written in place
    order = topological_order(outputs)
    if not create_graph:
        release_unread_values(order, outputs)  # the forward values no formula reads
    done = []
    with enable_grad() if create_graph else no_grad():
        for node in reversed(order):
            grad = grads.get(id(node))
            if grad is None or node._backward is None:
                continue
            _check_saved_versions(node)
            if backward_clock is None:
                parent_grads = node._backward(grad)
            else:
                start = time.perf_counter()
                parent_grads = node._backward(grad)
                backward_clock(node._op, time.perf_counter() - start)
            done.append(node)
            if id(node) not in wanted:  # used: nobody reads this gradient again
                del grads[id(node)]
                if id(grad) in holders:
                    holders[id(grad)] -= 1
            for parent, parent_grad in zip(node._parents, parent_grads):
                if parent_grad is None or not parent.requires_grad:
                    continue
                if parent_grad.shape != parent.shape:  # a wrong rule fails here, not later
                    raise RuntimeError(
                        f"backward of {node._op} returned a gradient of shape "
                        f"{parent_grad.shape} for an input of shape {parent.shape}")
                _accumulate(grads, owned, id(parent), parent_grad, create_graph, holders)
    if not retain_graph:
        for node in done:
            node._backward, node._parents = _freed, ()
    return order, grads, owned, holders


def _accumulate(grads, owned, key, grad, create_graph, holders):
    """Add ``grad`` into ``grads[key]``: in place whenever no one else can see the buffer.

    ``holders`` counts, per gradient object, how many nodes it was stored for.
    A gradient a backward rule computed afresh in this pass (not a view, held
    by no other node) may take the sum in place, as PyTorch's autograd reuses
    a buffer it alone holds; else the sum gets a new buffer the pass owns.
    """
    if create_graph:
        grads[key] = grads[key] + grad if key in grads else grad
        return
    existing = grads.get(key)
    if type(grad) is IndexedGrad:
        if key not in owned:
            buffer = backend.xp.zeros(grad.shape, dtype=grad.values.dtype)
            if existing is not None:
                buffer += existing.array
            grads[key], existing = Tensor(buffer), None
            owned.add(key)
        grads[key].array[grad.index] += grad.values.array
    elif existing is None:
        grads[key] = grad
        holders[id(grad)] = holders.get(id(grad), 0) + 1
    elif key in owned:
        existing.array += grad.array
    elif _private(existing, holders, 1) and existing.dtype == grad.dtype:
        existing.array += grad.array
        owned.add(key)
    elif _private(grad, holders, 0) and existing.dtype == grad.dtype:
        grad.array += existing.array
        grads[key] = grad
        owned.add(key)
    else:
        grads[key] = Tensor(existing.array + grad.array)
        owned.add(key)


def _private(grad, holders, expected):
    """True when ``grad`` owns its memory and only ``expected`` nodes (0 or this one) hold it."""
    return holders.get(id(grad), 0) == expected and grad.array.base is None


def backward(output, gradient=None, retain_graph=False):
    """Add d(output)/d(leaf) into ``leaf.grad`` for every leaf that requires grad."""
    seed = _seed_gradient(output, gradient)
    order, grads, owned, holders = _propagate([output], [seed], retain_graph, create_graph=False)
    for node in order:
        grad = grads.get(id(node))
        if node._backward is not None or grad is None:
            continue
        if node._grad is None:
            if (id(node) in owned or _private(grad, holders, 1)) and grad.dtype == node.dtype:
                node._grad = grad  # a buffer the pass allocated or a rule made for this leaf alone
            else:
                node._grad = Tensor(backend.xp.array(grad.array, dtype=node.dtype))
        else:  # in place: views of .grad (flat buffers) and references to it stay valid
            node._grad.array += grad.array


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned instead of accumulated.

    Args:
        outputs: a Tensor or a sequence of Tensors to differentiate.
        inputs: a Tensor or a sequence of Tensors (leaves or intermediate results).
        grad_outputs: d(loss)/d(output) for each output; None means ones for
            one-element outputs.
        retain_graph: keep the graph for another pass (defaults to ``create_graph``).
        create_graph: record the backward pass itself, so the returned gradients
            can be differentiated again (Hessian-vector products).
        allow_unused: return None for an input the outputs do not depend on,
            instead of raising.

    Returns:
        A tuple with one gradient Tensor (or None) per input.

    Example (a Hessian-vector product)::

        g, = grad(loss, w, create_graph=True)
        hv, = grad((g * v).sum(), w)
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad_outputs has {len(grad_outputs)} entries for {len(outputs)} "
                         "outputs")
    for i, tensor in enumerate(inputs):
        if not tensor.requires_grad:
            raise RuntimeError(f"inputs[{i}] does not require grad")
    seeds = [_seed_gradient(o, g) for o, g in zip(outputs, grad_outputs)]
    retain = create_graph if retain_graph is None else retain_graph
    _, grads, _, _ = _propagate(outputs, seeds, retain, create_graph,
                                wanted={id(tensor) for tensor in inputs})
    result = []
    for i, tensor in enumerate(inputs):
        found = grads.get(id(tensor))
        if found is None and not allow_unused:
            raise RuntimeError(f"inputs[{i}] was not used to compute the outputs "
                               "(pass allow_unused=True to get None for it)")
        result.append(found)
    return tuple(result)
