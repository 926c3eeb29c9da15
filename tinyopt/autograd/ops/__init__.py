"""Differentiable operations, one family per module.

Each op computes its forward on backend arrays and returns ``make_result(data,
parents, backward, name)``, where ``backward(grad)`` is written with tensor
operations so that gradients can themselves be differentiated.
"""
