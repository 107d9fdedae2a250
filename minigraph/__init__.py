"""minigraph: a small, exact computation-graph framework in numpy for recurrent models.

Build nodes with ``param``, ``input`` and the op functions, wrap the outputs in a
``Graph``, then ``forward`` and ``backward``. See docs/design.md.
"""

from . import moved_modules, ops, optim
from .cells import (
    GATES,
    SEQUENCE_CELLS,
    bidirectional,
    cell_step,
    gru_cell,
    lstm_cell,
    rnn_cell,
    unroll,
    unroll_projected,
    unroll_sequence,
)
from .errors import (
    AnomalyError,
    DTypeError,
    GraphError,
    InputError,
    MinigraphError,
    NotFoundError,
    ShapeError,
    UsageError,
    WrongTypeError,
)
from .fast.blas import get_threads, set_threads, threads
from .graph import Graph, topological_order
from .modes import detect_anomaly, grad_enabled, no_grad, set_anomaly
from .node import Node, constant, input, param, tags
from .op import Op, ProductGrad, SubGrad, apply
from .ops import *  # noqa: F403 - the op library is the public API
from .tracing import trace

__version__ = "0.1.0"

moved_modules.install()  # minigraph.kernels and the other old paths of moved modules
