"""Parameter-group recipes: no decay on biases and norms, layer-wise lr decay, backbone/head.

Each function returns a plain list of param-group dicts, ready for any
optimizer and easy to print or edit::

    >>> groups = weight_decay_groups(model, weight_decay=0.05)
    >>> opt = tinyopt.optim.AdamW(groups, lr=1e-3)

Why exclude biases and normalisation weights from weight decay: decay pulls
a weight towards zero, which is a prior on the *function* only for weights
that multiply inputs. A bias or a LayerNorm/BatchNorm scale sets an offset
or an output scale; shrinking it towards zero just fights the layer.
"""
from ..nn import Module

NORMALIZATION_LAYERS = ("LayerNorm", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "GroupNorm",
                        "RMSNorm", "InstanceNorm1d", "InstanceNorm2d")
"""Class names (matched along the class hierarchy) whose parameters get no weight decay."""


def is_normalization(module):
    """True when ``module`` is, or subclasses, one of ``NORMALIZATION_LAYERS``."""
    return any(cls.__name__ in NORMALIZATION_LAYERS for cls in type(module).__mro__)


def no_weight_decay(module, name, param):
    """The default exclusion: every parameter of a normalisation layer, and any bias or 1-D one."""
    return is_normalization(module) or name == "bias" or param.ndim <= 1


def weight_decay_groups(model, weight_decay, exclude=no_weight_decay):
    """Split ``model``'s parameters into a decayed group and an undecayed one.

    Args:
        model: a ``Module`` (or a list of Modules).
        weight_decay: the decay of the first group; the second gets 0.
        exclude: ``exclude(module, name, param) -> bool`` picks the undecayed
            parameters, ``name`` being the attribute name within ``module``
            (default ``no_weight_decay``: norms, biases, 1-D parameters).

    Returns ``[{'params': decayed, 'weight_decay': weight_decay}, {'params':
    undecayed, 'weight_decay': 0.0}]``, leaving out a group with no parameters.
    """
    return _split_by_decay(_owned_parameters(model), weight_decay, exclude, {})


def layerwise_lr_decay_groups(layers, lr, decay, weight_decay=None, exclude=no_weight_decay):
    """Layer-wise learning-rate decay (LLRD): lower layers learn more slowly.

    Args:
        layers: Modules (or lists of Modules) ordered from the input to the
            output, e.g. ``[embedding, *blocks, head]``. The last one gets
            ``lr``, the one before ``lr * decay``, the first
            ``lr * decay ** (len(layers) - 1)``.
        lr: learning rate of the top layer.
        decay: factor in (0, 1] between neighbouring layers.
        weight_decay: when given, each layer is split in two groups as by
            ``weight_decay_groups`` (with ``exclude``).

    Returns one group per layer (two with ``weight_decay``), each with its
    ``lr``. A parameter in two layers raises ``ValueError``.
    """
    if not 0 < decay <= 1:
        raise ValueError(f"decay must be in (0, 1], got {decay!r}")
    depth = len(layers)
    settings = [{"lr": lr * decay ** (depth - 1 - i)} for i in range(depth)]
    return _groups_for_parts(layers, settings, weight_decay, exclude)


def backbone_head_groups(backbone, head, lr, backbone_lr, weight_decay=None,
                         exclude=no_weight_decay):
    """Two learning rates for fine-tuning: a pretrained ``backbone`` and a fresh ``head``.

    Args:
        backbone, head: Modules (or lists of Modules), sharing no parameter.
        lr: the head's learning rate.
        backbone_lr: the backbone's, usually 10-100 times smaller (0 freezes it).
        weight_decay: when given, each part is split as by ``weight_decay_groups``.

    Returns the backbone's group(s) then the head's, each with its ``lr``.
    """
    return _groups_for_parts([backbone, head], [{"lr": backbone_lr}, {"lr": lr}],
                             weight_decay, exclude)


def _groups_for_parts(parts, settings, weight_decay, exclude):
    """One group (or a decay/no-decay pair) per part, with that part's settings."""
    owned_by_part = [list(_owned_parameters(part)) for part in parts]
    seen = set()
    for owned in owned_by_part:
        for _, _, param in owned:
            if id(param) in seen:
                raise ValueError("a parameter belongs to two of the given parts; "
                                 "each parameter may be in one group only")
            seen.add(id(param))
    groups = []
    for owned, extra in zip(owned_by_part, settings):
        if weight_decay is None:
            groups.append({"params": [param for _, _, param in owned], **extra})
        else:
            groups += _split_by_decay(owned, weight_decay, exclude, extra)
    return [group for group in groups if group["params"]]


def _split_by_decay(owned, weight_decay, exclude, extra):
    decayed, undecayed = [], []
    for module, name, param in owned:
        (undecayed if exclude(module, name, param) else decayed).append(param)
    groups = [{"params": decayed, "weight_decay": weight_decay, **extra},
              {"params": undecayed, "weight_decay": 0.0, **extra}]
    return [group for group in groups if group["params"]]


def _owned_parameters(model):
    """Yield ``(owning_module, attribute_name, param)`` for every parameter, each once."""
    modules = [model] if isinstance(model, Module) else list(model)
    seen = set()
    for top in modules:
        if not isinstance(top, Module):
            raise TypeError(f"expected a Module or a list of Modules, got {type(top).__name__}")
        for _, module in top.named_modules():
            for name, param in module.named_parameters(recurse=False):
                if id(param) not in seen:
                    seen.add(id(param))
                    yield module, name, param
