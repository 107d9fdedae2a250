"""minigraph: a small, exact computation-graph framework in numpy for recurrent models.

Build nodes with ``param``, ``input`` and the op functions, wrap the outputs in a
``Graph``, then ``forward`` and ``backward``. See docs/design.md.

Index (``help(minigraph.NAME)`` for each):

- leaves: ``param`` (trained; ``requires_grad=False`` freezes it), ``input`` (fed at each
  run), ``constant``; ``tags`` labels the nodes built inside a ``with`` block
- graphs: ``Graph`` (``forward``, ``backward``, ``zero_grad``, ``params``), ``no_grad``,
  ``detect_anomaly``, ``trace``
- ops: ``add sub mul divide matmul sum mean``, ``tanh sigmoid relu exp log``, ``softmax
  log_softmax softmax_ce masked_softmax_ce``, ``affine temporal_affine embedding dropout``,
  ``reshape concat stack split select_step slice_last transpose reverse detach``, fused
  steps ``rnn_step lstm_step gru_step``; your own op: ``Op`` and ``apply``
- recurrent builders: ``rnn_cell lstm_cell gru_cell``, ``unroll``, ``unroll_sequence``,
  ``bidirectional``
- training: ``optim`` (``Adam SGD RMSProp Adagrad``, ``clip_by_global_norm``, cs231n's
  update rules), ``minigraph.checkpoint`` (save/load HDF5)
- checking: ``minigraph.gradient_check`` (``check_graph``, ``grad_error``, ``rel_error``)
- drawing: ``minigraph.draw`` (``to_dot``); layers of the cs231n assignment:
  ``minigraph.layers``
- errors: ``MinigraphError`` and its subclasses (``ShapeError``, ``UsageError`` ...)
- the application (captioners, char-rnn, the BPTT lab, the ``minigraph`` command):
  ``minigraph.models``
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
