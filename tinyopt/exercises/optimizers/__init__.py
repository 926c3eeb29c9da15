"""The optimizer exercises, in course order."""
from . import adam, adaptive, lion, sgd

EXERCISES = sgd.EXERCISES + adaptive.EXERCISES + adam.EXERCISES + lion.EXERCISES
