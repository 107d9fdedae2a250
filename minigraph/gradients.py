"""The gradient table of one backward pass: where every gradient an op sends is summed.

``Graph.backward`` walks the nodes in reverse order, asks each op for its input gradients
and hands them here; the table keeps each node's total in ``node.grad``. It owns every
speed and safety detail of that summing, so the backward loop reads as the algorithm:

- fan-out: a node used twice gets two gradients, summed. The first one is kept as it came
  (borrowed, no copy) and copied only when a second one arrives; the engine never writes
  into an array it did not make, and a leaf's gradient, which outlives the pass, is always
  the table's own array (never an op's, which the op may reuse).
- slices: a ``SubGrad`` (the gradient of one timestep's slice) is added into its part of
  a full-size zero gradient, so unrolling T steps costs O(T) memory, not O(T^2).
- deferred products: a ``ProductGrad`` (left.T @ right, sent by the per-step fused cells
  for their shared recurrent weight) is kept until the node's total is asked for, then all
  its terms are multiplied out in one matmul. Measured (benchmarks/gradient_kinds.py): the
  attention captioner's training and every per-step graph send them, so they stay.
- buffer reuse: a zero gradient of at least ``SPARE_MIN_BYTES`` made for slices is kept in
  ``spares`` (the graph's, living across passes) and zeroed again next time.
- checks: a gradient of the wrong shape or dtype is a GraphError naming the op that sent
  it; in anomaly mode a non-finite total is an AnomalyError naming the node.
"""

import numpy as np

from .checks import check_finite, where
from .errors import GraphError
from .op import ProductGrad, SubGrad

# A gradient array at least this large is kept for the next backward: a fresh
# multi-megabyte array is a fresh mapping from the OS, and first touching its pages cost
# more (20 ms a step for the char-LSTM's 8 MB projection gradient) than zeroing it again.
SPARE_MIN_BYTES = 1 << 20


class GradientTable:
    """The gradients of one backward pass, summed into each node's ``grad``.

    ``spares``: {node: array}, large zeroed buffers kept by the graph between passes.
    ``check_finite``: anomaly mode, every total is checked before it is used.
    """

    def __init__(self, spares, check_finite=False):
        self._spares = spares
        self._check = check_finite
        self._owned = set()  # nodes whose grad is an array this table made (writable)
        self._products = {}  # node -> its deferred ProductGrad terms

    def add(self, node, grad, source=None, owned=False):
        """node.grad += grad, for a plain array, a SubGrad or a ProductGrad sent by
        ``source`` (None: the upstream gradient). ``owned``: grad is a fresh array the
        table made, which even a leaf may keep without a copy."""
        if isinstance(grad, ProductGrad):
            self._defer(node, grad, source)
        elif isinstance(grad, SubGrad):
            self._add_part(node, grad, source)
        else:
            if grad.shape != node.shape or grad.dtype != node.dtype:
                origin = where(source) if source is not None else "the upstream gradient"
                raise GraphError(f"{origin} returned a gradient {grad.shape} {grad.dtype} "
                                 f"for '{node.name}', which is {node.shape} {node.dtype}")
            if node.grad is None:
                if owned or node.op is None:  # a leaf's grad outlives the pass: copy it
                    node.grad = grad if owned else grad.copy()
                    self._owned.add(node)
                else:
                    node.grad = grad  # borrowed until a second gradient arrives
            elif node in self._owned:
                node.grad += grad
            else:
                node.grad = node.grad + grad
                self._owned.add(node)

    def send(self, node, input_grads):
        """Add what ``node``'s backward returned (aligned with its inputs) to its inputs."""
        if len(input_grads) != len(node.inputs):
            raise GraphError(f"{where(node)}: backward returned {len(input_grads)} "
                             f"gradients for {len(node.inputs)} inputs")
        for child, child_grad in zip(node.inputs, input_grads):
            if child_grad is not None and child.requires_grad:
                self.add(child, child_grad, node)

    def total(self, node):
        """The summed gradient of an op node whose users have all sent theirs, or None if
        none reached it or it takes none."""
        if node in self._products:
            self._settle(node)
        grad = node.grad
        if grad is None or not node.requires_grad:
            return None
        if self._check:
            check_finite(node, grad, "gradient")
        return grad

    def finish(self, leaves):
        """Multiply out the leaves' deferred terms once every op has sent its gradients."""
        for leaf in leaves:
            if leaf in self._products:
                self._settle(leaf)
            if self._check and leaf.grad is not None:
                check_finite(leaf, leaf.grad, "gradient")

    # ------------------------------------------------------------------ the three kinds
    def _defer(self, node, grad, source):
        shape = (grad.left.shape[1], grad.right.shape[1])
        if shape != node.shape or grad.left.dtype != node.dtype:
            raise GraphError(f"{where(source)} returned a product gradient {shape} "
                             f"{grad.left.dtype} for '{node.name}' ({node.shape} "
                             f"{node.dtype})")
        self._products.setdefault(node, []).append(grad)

    def _settle(self, node):
        """Multiply out the deferred terms in one matmul and add the result."""
        terms = self._products.pop(node)
        lefts = [p.left.T for p in terms]
        rights = [p.right.T for p in terms]
        # sum_t left_t.T @ right_t = [left_1.T ... left_T.T] @ [right_1.T ... right_T.T].T;
        # joining the transposes side by side copies contiguous rows when the terms come
        # from ops that work transposed (the LSTM), and costs the same otherwise
        left_T = lefts[0] if len(lefts) == 1 else np.concatenate(lefts, axis=1)
        right_T = rights[0] if len(rights) == 1 else np.concatenate(rights, axis=1)
        # a new array nobody else holds: the table may keep it as the gradient, uncopied
        self.add(node, left_T @ right_T.T, owned=True)

    def _add_part(self, node, grad, source):
        if node.grad is None:
            node.grad = self._zeros(node)
            self._owned.add(node)
        elif node not in self._owned:
            node.grad = node.grad.copy()
            self._owned.add(node)
        part = node.grad[grad.index]
        if part.shape != grad.value.shape or grad.value.dtype != node.dtype:
            raise GraphError(f"{where(source)} returned a partial gradient "
                             f"{grad.value.shape} {grad.value.dtype} for a part "
                             f"{part.shape} of '{node.name}' ({node.dtype})")
        part += grad.value

    def _zeros(self, node):
        """A zero gradient for ``node`` in its op's layout, reusing the node's spare."""
        spare = self._spares.get(node)
        if spare is not None:
            spare.fill(0)
            return spare
        order = node.op.layout if node.op is not None else "C"
        grad = np.zeros(node.shape, node.dtype, order)
        if node.op is not None and grad.nbytes >= SPARE_MIN_BYTES:
            self._spares[node] = grad  # an op node's gradient is dropped after backward
        return grad
