"""The optimizer exercises, in course order."""
from . import adam, adaptive, layerwise, lion, sgd

EXERCISES = (sgd.EXERCISES + adaptive.EXERCISES + adam.EXERCISES + lion.EXERCISES
             + layerwise.EXERCISES)
