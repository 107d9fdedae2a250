"""The BPTT exercise ladder (cs231n style): a skeleton file per exercise with the forward
given and a backward to write, checked against numerical gradients and the engine."""

from .catalog import BY_NAME, LADDER, TOLERANCE, Exercise
from .checking import CheckResult, ExerciseError, check_file
