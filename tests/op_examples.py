"""One small example graph for every op class in the library, in any float dtype.

``example(op_class, rng, dtype)`` returns (build, arrays, reset): ``build(*input_nodes)``
makes a graph containing that op from leaves holding ``arrays``; ``reset(graph)`` (or
None) restores randomness before each run (dropout's mask). Tests enumerate the op
classes of ``minigraph.ops`` and look them up here, so an op added to the library
without an example fails them.
"""

import numpy as np

import minigraph as mg


def library_ops():
    """Every op class the library exports, by name."""
    return {name: cls for name, cls in vars(mg.ops).items()
            if isinstance(cls, type) and issubclass(cls, mg.Op)}


def _cell(rng, dtype, gates, states, projected, n=3, d=4, h=5):
    first = (n, gates * h) if projected else (n, d)
    arrays = [rng.standard_normal(first)] + [rng.standard_normal((n, h)) for _ in range(states)]
    if not projected:
        arrays.append(rng.standard_normal((d, gates * h)) * 0.5)
    arrays.append(rng.standard_normal((h, gates * h)) * 0.5)
    if not projected:
        arrays.append(rng.standard_normal(gates * h) * 0.5)
    return [a.astype(dtype) for a in arrays]


def _lstm_both(step):
    return lambda *nodes: mg.concat(step(*nodes))


def _dropout_reset(graph):
    """The same mask at every run, so a difference quotient sees one function."""
    for node in graph.op_nodes:
        if isinstance(node.op, mg.Dropout):
            node.op.rng = np.random.default_rng(17)


def example(op_class, rng, dtype):
    def f(*shape, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(dtype)

    def positive(*shape):
        return (rng.uniform(0.5, 2.0, shape)).astype(dtype)

    def ids(vocab, *shape):
        return rng.integers(0, vocab, size=shape)

    table = {
        mg.Add: (mg.add, [f(3, 4), f(4)]),
        mg.Sub: (mg.sub, [f(3, 1), f(3, 4)]),
        mg.Mul: (mg.mul, [f(2, 3, 4), f(3, 1)]),
        mg.Divide: (mg.divide, [f(3, 4), positive(4) * np.sign(f(4))]),
        mg.MatMul: (mg.matmul, [f(3, 4), f(4, 2)]),
        mg.Sum: (lambda x: mg.sum(x, axis=1), [f(3, 4, 2)]),
        mg.Mean: (lambda x: mg.mean(x, axis=(0, 2), keepdims=True), [f(3, 4, 2)]),
        mg.Tanh: (mg.tanh, [f(3, 4)]),
        mg.Sigmoid: (mg.sigmoid, [f(3, 4, scale=3.0)]),
        mg.Relu: (mg.relu, [np.sign(f(3, 4)) * positive(3, 4)]),  # no entry at the kink
        mg.Exp: (mg.exp, [f(3, 4)]),
        mg.Log: (mg.log, [positive(3, 4)]),
        mg.Softmax: (lambda x: mg.softmax(x, axis=1), [f(2, 5, 3, scale=2.0)]),
        mg.LogSoftmax: (mg.log_softmax, [f(2, 3, 5, scale=2.0)]),
        mg.SoftmaxCE: (mg.softmax_ce, [f(4, 5, scale=2.0), ids(5, 4)]),
        mg.Reshape: (lambda x: mg.reshape(x, (4, -1)), [f(2, 3, 4)]),
        mg.SliceLast: (lambda x: mg.slice_last(x, 1, 3), [f(3, 4)]),
        mg.Concat: (lambda a, b: mg.concat([a, b, a]), [f(3, 2), f(3, 4)]),
        mg.SelectStep: (lambda x: mg.select_step(x, 2), [f(2, 4, 3)]),
        mg.Stack: (lambda a, b: mg.stack([a, b, a]), [f(2, 3), f(2, 3)]),
        mg.Transpose: (lambda x: mg.transpose(x, 0, 2), [f(2, 3, 4)]),
        mg.Reverse: (mg.reverse, [f(2, 4, 3)]),
        mg.Detach: (lambda x, w: mg.detach(x) * w, [f(3, 4), f(3, 4)]),
        mg.Embedding: (mg.embedding, [ids(5, 3, 4), f(5, 2)]),
        mg.EmbeddingAffine: (mg.embedding_affine, [ids(3, 4, 5), f(3, 4), f(4, 2), f(2)]),
        mg.Affine: (mg.affine, [f(2, 3, 4), f(4, 5), f(5)]),
        mg.TemporalAffine: (mg.temporal_affine, [f(2, 3, 4), f(4, 5), f(5)]),
        mg.MaskedSoftmaxCE: (mg.masked_softmax_ce,
                             [f(2, 3, 5, scale=2.0), ids(5, 2, 3), rng.random((2, 3)) < 0.7]),
        mg.Dropout: (lambda x: mg.dropout(x, 0.3, np.random.default_rng(17)), [f(4, 5)]),
        mg.RNNStep: (mg.rnn_step, _cell(rng, dtype, 1, 1, False)),
        mg.LSTMStep: (_lstm_both(mg.lstm_step), _cell(rng, dtype, 4, 2, False)),
        mg.GRUStep: (mg.gru_step, _cell(rng, dtype, 3, 1, False)),
        mg.RNNStepProjected: (mg.rnn_step_projected, _cell(rng, dtype, 1, 1, True)),
        mg.LSTMStepProjected: (_lstm_both(mg.lstm_step_projected), _cell(rng, dtype, 4, 2, True)),
        mg.GRUStepProjected: (mg.gru_step_projected, _cell(rng, dtype, 3, 1, True)),
        mg.RNNSequence: (mg.rnn_sequence, [f(3, 4, 5), f(3, 5), f(5, 5, scale=0.5)]),
        mg.LSTMSequence: (lambda xw, h0, c0, Wh: mg.apply(mg.LSTMSequence(), xw, h0, c0, Wh),
                          [f(3, 4, 20), f(3, 5), f(3, 5), f(5, 20, scale=0.5)]),
    }
    if op_class not in table:
        return None
    build, arrays = table[op_class]
    return build, arrays, (_dropout_reset if op_class is mg.Dropout else None)
