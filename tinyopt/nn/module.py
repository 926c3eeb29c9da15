"""``Module``: the base of every layer, holding parameters, buffers and sub-modules.

Assigning a ``Parameter`` or a ``Module`` as an attribute registers it, so
``parameters()`` and ``state_dict()`` find everything without bookkeeping in
the layer, exactly as in PyTorch.
"""
from collections import OrderedDict

from .. import backend
from ..autograd import Tensor
from .parameter import Parameter


class Module:
    """Base class for layers and models: subclass it and define ``forward``."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"call Module.__init__() in {type(self).__name__}.__init__ "
                                 "before assigning attributes")
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        elif name in self.__dict__.get("_buffer_names", ()):
            self._buffers[name] = value if value is None or isinstance(value, Tensor) \
                else Tensor(value)
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(registry)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def register_buffer(self, name, value):
        """Register a non-trainable tensor (e.g. BatchNorm's running mean) saved in state_dict."""
        if "_buffer_names" not in self.__dict__:
            object.__setattr__(self, "_buffer_names", set())
        self._buffer_names.add(name)
        self._buffers[name] = value if value is None or isinstance(value, Tensor) else Tensor(value)

    def forward(self, *args, **kwargs):
        """The computation; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # --------------------------------------------------------------- traversal
    def named_modules(self, prefix=""):
        """Yield ``(name, module)`` for this module and every descendant, once each."""
        seen, stack = set(), [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{child}" if name else child, m)
                        for child, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self):
        """Yield this module and every descendant."""
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """Yield ``(name, module)`` for the direct sub-modules."""
        yield from ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self):
        """Yield the direct sub-modules."""
        for _, module in self.named_children():
            yield module

    def named_parameters(self, prefix="", recurse=True):
        """Yield ``(dotted_name, parameter)``, each shared parameter once."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, param in module._parameters.items():
                if param is None or id(param) in seen:
                    continue
                seen.add(id(param))
                yield (f"{module_name}.{name}" if module_name else name), param

    def parameters(self, recurse=True):
        """Yield every parameter (what an optimizer is built from)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self):
        """Yield ``(dotted_name, buffer)`` for every registered buffer."""
        for module_name, module in self.named_modules():
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    yield (f"{module_name}.{name}" if module_name else name), buffer

    def apply(self, fn):
        """Call ``fn(module)`` on every descendant, then on this module; return self."""
        for module in reversed(list(self.modules())):
            fn(module)
        return self

    # ------------------------------------------------------------------ modes
    def train(self, mode=True):
        """Set training mode (dropout active, batch statistics) here and below."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        """Set evaluation mode (dropout off, running statistics)."""
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters (to None, or to zeros in place)."""
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad[...] = 0

    # ------------------------------------------------------------- state dict
    def state_dict(self):
        """An ordered dict of copies of every parameter and buffer array, by dotted name."""
        state = OrderedDict()
        for name, param in self.named_parameters():
            state[name] = param.data.copy()
        for name, buffer in self.named_buffers():
            state[name] = buffer.data.copy()
        return state

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays from ``state_dict`` into the parameters and buffers, in place.

        Every key is checked before anything is written: with ``strict`` a
        missing or unexpected key raises, and a shape mismatch always raises,
        each naming the keys, so a failed load changes nothing.
        Returns ``(missing_keys, unexpected_keys)``.
        """
        targets = OrderedDict(list(self.named_parameters()) + list(self.named_buffers()))
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {unexpected}")
        for key, target in targets.items():
            if key in state_dict:
                shape = tuple(getattr(state_dict[key], "shape", ()))
                if shape != target.shape:
                    problems.append(f"size mismatch for {key}: checkpoint has shape {shape}, "
                                    f"the model has {target.shape}")
        if problems:
            raise ValueError(f"error loading state_dict into {type(self).__name__}: "
                             + "; ".join(problems))
        for key, target in targets.items():
            if key in state_dict:
                value = state_dict[key]
                value = value.data if isinstance(value, Tensor) else value
                target.data[...] = backend.asarray(value)
        return missing, unexpected

    # ------------------------------------------------------------------ print
    def extra_repr(self):
        """The constructor arguments shown by ``repr`` (layers override it)."""
        return ""

    def __repr__(self):
        lines = [f"({name}): " + repr(module).replace("\n", "\n  ")
                 for name, module in self.named_children()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"
