"""Whole-layer norms, the one reduction of trust-ratio optimizers (LAMB, LARS).

LAMB's ρ = ‖θ‖/‖u‖ and LARS's ρ = η‖θ‖/(‖g‖ + λ‖θ‖) need the Euclidean norm
of each parameter tensor ("layer"). The optimizers ask for them through
``_layer_norms`` and decide who is excluded through ``_excluded``, so that
one override changes where the norms come from: under ZeRO
(``tinyopt.distributed.ZeroRedundancyOptimizer``) each rank holds only
pieces of a layer, and the override sums the pieces' squares and adds the
partial sums across ranks with one all-reduce, giving the same norms as one
process.
"""
import math

from .. import backend


class LayerNorms:
    """Mixin of LAMB and LARS: per-layer norms and the ``exclude_1d`` test."""

    def _layer_norms(self, params, *array_lists):
        """For each list of arrays (one per parameter of ``params``), their Euclidean norms.

        Returns one list of Python floats per list given, in order."""
        return [[_norm(array) for array in arrays] for arrays in array_lists]

    def _excluded(self, param, group):
        """True when ``exclude_1d`` is set and ``param`` is a bias or norm weight (ndim <= 1)."""
        return group["exclude_1d"] and param.array.ndim <= 1


def _norm(array):
    """Euclidean norm of a whole tensor, as a Python float."""
    return math.sqrt(float(backend.xp.sum(array * array)))
