"""All parameters as one flat vector and back (``torch.nn.utils.parameters_to_vector``)."""
from ... import backend
from ...autograd import Tensor, cat


def parameters_to_vector(parameters):
    """One 1-D tensor holding every parameter's values, flattened, in order (differentiable)."""
    parameters = list(parameters)
    if not parameters:
        raise ValueError("parameters_to_vector got no parameters")
    _check_one_device(parameters)
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Write the slices of the 1-D ``vec`` into ``parameters`` (their ``.data``), in order."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected vec to be a Tensor, but got {type(vec).__name__}")
    parameters = list(parameters)
    needed = sum(p.numel() for p in parameters)
    if vec.ndim != 1 or vec.numel() != needed:
        raise ValueError(f"vec must be 1-D with {needed} elements (the parameters' total), got "
                         f"shape {tuple(vec.shape)}")
    _check_one_device(parameters + [vec])
    start = 0
    for param in parameters:
        stop = start + param.numel()
        param.array[...] = backend.xp.reshape(vec.array[start:stop], param.shape)
        param._version_box[0] += 1
        start = stop


def _check_one_device(tensors):
    devices = {str(t.device) for t in tensors}
    if len(devices) > 1:
        raise RuntimeError(f"Found two parameters on different devices: {sorted(devices)}")
