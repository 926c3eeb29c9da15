"""Whole-layer norms, the one reduction of trust-ratio optimizers (LAMB, LARS).

LAMB's ρ = ‖θ‖/‖u‖ and LARS's ρ = η‖θ‖/(‖g‖ + λ‖θ‖) need the Euclidean norm
of each parameter tensor ("layer"). The optimizers ask for them through
``_layer_norms`` and decide who is excluded through ``_excluded``, so that
one override changes where the norms come from: under ZeRO
(``tinyopt.distributed.ZeroRedundancyOptimizer``) each rank holds only
pieces of a layer, and the override sums the pieces' squares and adds the
partial sums across ranks with one all-reduce, giving the same norms as one
process.

The norms are 0-d arrays of the backend, in float64: on a GPU they stay on
the GPU, and the trust ratios made from them reach the update rule as
device scalars (``kernels.scalar_table``), so a step never waits to copy a
norm to the host. float64: the ratio is computed in double precision
whatever the parameters' dtype.
"""
from .. import backend


class LayerNorms:
    """Mixin of LAMB and LARS: per-layer norms and the ``exclude_1d`` test."""

    def _layer_norms(self, params, *array_lists):
        """For each list of arrays (one per parameter of ``params``), their Euclidean norms.

        Returns one list of 0-d float64 arrays per list given, in order (an override may
        give Python floats: the trust ratios take either)."""
        return [[_norm(array) for array in arrays] for arrays in array_lists]

    def _excluded(self, param, group):
        """True when ``exclude_1d`` is set and ``param`` is a bias or norm weight (ndim <= 1)."""
        return group["exclude_1d"] and param.array.ndim <= 1


def _norm(array):
    """Euclidean norm of a whole tensor: ‖x‖ = √(Σ x²), a 0-d float64 array where it was made."""
    xp = backend.xp
    return xp.sqrt(xp.sum(array * array).astype(xp.float64))


def ratio_or_one(numerator, denominator, defined):
    """numerator / denominator where ``defined`` (a 0-d bool array), else 1: a trust ratio
    chosen by ``where``, not ``if``, so no norm is read on the host (the division never
    sees the denominator of an undefined ratio)."""
    xp = backend.xp
    return xp.where(defined, numerator / xp.where(defined, denominator, 1.0), 1.0)
