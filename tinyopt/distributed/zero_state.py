"""A ZeRO optimizer's state dict: slices gathered into, and cut from, the ordinary layout.

The layout is the single-process one (``Optimizer.state_dict``): parameters
numbered in group order, each with its whole state arrays. So a checkpoint
saved on 4 ranks loads on 2, on 1, or into the plain optimizer, and back.

Gathering (every rank takes part): the small per-parameter facts (which
state keys are arrays, the step counts) travel as pickled objects; every
state array of a group travels as one flat slice per rank, assembled with
one all-gather per state key, then cut per parameter and reshaped.
"""
import copy
from collections import defaultdict

from ..optim.saved_state import is_array as _is_array
from . import collectives

_ARRAY = "<array>"
"""Stands for a state array in the metadata that ranks exchange."""


def gather_state_dict(zero):
    """``zero``'s whole state in the single-process layout (a collective)."""
    local = [_local_metadata(zero.optim, shard) for shard in zero._shards]
    everyone = collectives.allgather_objects(local)
    state, first_index = {}, 0
    for number, (group, shard) in enumerate(zip(zero.param_groups, zero._shards)):
        entries = {}
        for metadata in everyone:
            for index, entry in metadata[number].items():
                entries.setdefault(index, entry)
        array_keys = sorted({key for entry in entries.values()
                             for key, value in entry.items() if value == _ARRAY})
        whole = {}
        for key in array_keys:
            pieces = [_state_array(zero.optim, piece, key) for piece in shard.tensors]
            whole[key] = collectives.all_gather(shard.slice_of(pieces))
        for index in sorted(entries):
            (a, b), shape = shard.bounds[index], group["params"][index].array.shape
            state[first_index + index] = {
                key: whole[key][a:b].reshape(shape).copy() if value == _ARRAY
                else copy.deepcopy(value) for key, value in entries[index].items()}
        first_index += len(group["params"])
    return {"state": state, "param_groups": zero._layout.state_dict()["param_groups"]}


def scatter_state_dict(zero, state_dict):
    """Load this rank's slice of ``state_dict`` (the single-process layout) into ``zero``.

    The single-process optimizer checks it first (groups, keys, shapes),
    so a bad dict raises ``ValueError`` and changes nothing."""
    layout = zero._layout
    layout.load_state_dict(state_dict)
    inner = {"state": {}, "param_groups": []}
    piece_number = 0
    for group, shard in zip(layout.param_groups, zero._shards):
        numbers = []
        for index, start, stop, _ in shard.pieces:
            entry = layout.state.get(group["params"][index])
            if entry:
                inner["state"][piece_number] = {
                    key: value.reshape(-1)[start:stop].copy() if _is_array(value)
                    else copy.deepcopy(value) for key, value in entry.items()}
            numbers.append(piece_number)
            piece_number += 1
        hyper = {key: copy.deepcopy(value) for key, value in group.items() if key != "params"}
        inner["param_groups"].append({**hyper, "params": numbers})
    layout.state = defaultdict(dict)  # the whole state is no rank's to keep
    zero.optim.load_state_dict(inner)


def _local_metadata(optimizer, shard):
    """{parameter index: {key: value, or _ARRAY for an array}} of this rank's pieces' state."""
    metadata = {}
    for (index, *_), piece in zip(shard.pieces, shard.tensors):
        entry = optimizer.state.get(piece)
        if entry:
            metadata[index] = {key: _ARRAY if _is_array(value) else value
                               for key, value in entry.items()}
    return metadata


def _state_array(optimizer, piece, key):
    entry = optimizer.state.get(piece)
    value = None if not entry else entry.get(key)
    return value if _is_array(value) else None
