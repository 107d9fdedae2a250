"""The speed layer: everything that makes minigraph fast without changing its maths.

The ops (minigraph/ops/) and the engine call only the names below; none of them imports
numba or handles threads. Behind them:

- gates.py: the LSTM's gate maths for one step in numpy, forward and backward, the
  reference every other path reproduces;
- kernels.py: chooses, per call, the compiled twin (numba, the [fast] extra) or numpy:
  the gate kernels, the sequence nodes' whole time loops, Adam's update, the embedding's
  scatter-add; ``use_numba(False)`` or ``MINIGRAPH_KERNELS=numpy`` pins numpy;
- compiled_gates.py, compiled_loops.py: the compiled twins (imported on first use);
- parallel.py: minigraph's own threads: a matmul, row-wise work and a batch's rows split
  over ``set_threads(n)`` threads;
- blas.py: the thread setting and BLAS's own threads while a graph runs.

Every path gives numpy's bits except the compiled forward's tanh, within 4e-7, and a
matmul split over threads, whose BLAS sums in another order: each thread count gives its
own bits run after run (docs/performance.md).
"""

from .blas import blas_threads, get_threads, set_threads
from .gates import lstm_gates_backward, lstm_gates_forward, sigmoid_
from .kernels import (
    adam_update,
    adds_rows_compiled,
    available,
    lstm_backward_kernel,
    lstm_forward_kernel,
    scatter_compiled,
    sequence_loop,
    sum_rows_by_id,
    use_numba,
    using_numba,
)
from .parallel import batch_parts, matmul, rowwise, run_parts
