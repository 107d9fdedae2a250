"""What an op declares about itself (``category``, ``flops``) is what drawings and
statistics use: a user's own op draws and counts like a built-in one."""

import numpy as np

import minigraph as mg
from minigraph.analysis import stats
from minigraph.draw.dot import to_dot
from minigraph.draw.render import render_bytes
from minigraph.op import CATEGORIES

from .op_examples import library_ops


class LeakyStep(mg.Op):
    """A user's fused cell: next_h = tanh(x + a prev_h), any (N, H) shapes."""

    category = "recurrent"

    def __init__(self, a):
        self.a = a

    def infer(self, x, prev_h):
        return x.shape, self.same_float_dtype((x, prev_h))

    def forward(self, x, prev_h):
        y = np.tanh(x + self.a * prev_h)
        self.saved = y
        return y

    def backward(self, grad):
        da = grad * (1 - self.saved ** 2)
        return da, self.a * da

    def flops(self, node):
        return 7 * node.size  # a multiply, an add, a tanh counted as five


class Cube(mg.Op):
    """A user's op that declares nothing: x ** 3, any shape."""

    def infer(self, x):
        return x.shape, x.dtype

    def forward(self, x):
        self.saved = x
        return x ** 3

    def backward(self, grad):
        return (3 * grad * self.saved ** 2,)


def _leaky_graph(steps=3, n=2, h=4):
    x = mg.input("x", value=np.ones((n, steps, h)))
    state = mg.input("h0", value=np.zeros((n, h)))
    hs = []
    for t in range(steps):
        with mg.tags(t=t):
            state = mg.apply(LeakyStep(0.5), mg.select_step(x, t), state, name=f"h[{t}]")
        hs.append(state)
    return mg.Graph(mg.sum(mg.stack(hs), name="loss")), hs


def test_a_user_op_is_counted_with_its_own_flops_and_category():
    graph, _ = _leaky_graph(steps=3, n=2, h=4)
    graph.forward()
    s = stats(graph)
    assert s["flops_by_op"]["LeakyStep"] == 3 * 7 * 2 * 4
    assert s["flops_by_category"]["recurrent"] == 3 * 7 * 2 * 4
    assert s["flops"] == 3 * 7 * 2 * 4 + 3 * 2 * 4  # + Sum reads each of the 3 x 2 x 4


def test_a_user_op_that_declares_nothing_counts_one_flop_per_output_entry():
    x = mg.input("x", value=np.ones((3, 5)))
    graph = mg.Graph(mg.apply(Cube(), x))
    assert Cube.category == "elementwise"
    assert stats(graph)["flops_by_op"] == {"Cube": 15}


def test_built_in_flops_are_counted_by_each_op():
    rng = np.random.default_rng(0)
    N, D, H = 3, 4, 5
    x = mg.input("x", value=rng.standard_normal((N, D)))
    h = mg.input("h", value=rng.standard_normal((N, H)))
    c = mg.input("c", value=rng.standard_normal((N, H)))
    Wx = mg.param(rng.standard_normal((D, 4 * H)), "Wx")
    Wh = mg.param(rng.standard_normal((H, 4 * H)), "Wh")
    b = mg.param(rng.standard_normal(4 * H), "b")
    next_h, _ = mg.lstm_step(x, h, c, Wx, Wh, b)
    out = mg.matmul(x, Wx)
    s = stats(mg.Graph([next_h, out]))
    assert s["flops_by_op"]["MatMul"] == 2 * N * D * 4 * H
    # x Wx + h Wh (2 N (D + H) 4H), + b (N 4H), and 12 elementwise passes over (N, H)
    assert s["flops_by_op"]["LSTMStep"] == 2 * N * (D + H) * 4 * H + N * 4 * H + 12 * N * H
    assert s["flops_by_op"]["SliceLast"] == 0


def _node_styles(graph):
    """{node id: (style, shape, line colour, fill colour)} as the renderer lays the drawing
    out (its 'plain' output, drawn without labels so each node is one line): Graphviz's dot
    where installed, else graphviz-pure, which pip installs with minigraph."""
    source = to_dot(graph, labels=False, legend=False).source
    plain = render_bytes(source, "plain").decode()
    return {int(words[1]): tuple(words[-4:]) for words in map(str.split, plain.splitlines())
            if words[0] == "node" and words[1].isdigit()}


def test_a_user_recurrent_op_draws_like_the_built_in_fused_cells():
    graph, hs = _leaky_graph()
    rng = np.random.default_rng(1)
    W = mg.param(rng.standard_normal((4, 4)), "Wh")
    h0 = mg.input("h0b", value=np.zeros((2, 4)))
    builtin = mg.rnn_step(h0, h0, W, W, mg.param(np.zeros(4), "b"), name="builtin")
    plain = mg.tanh(h0, name="plain")
    user_cube = mg.apply(Cube(), h0, name="cube")
    both = mg.Graph([graph.outputs[0], builtin, plain, user_cube])
    styles = _node_styles(both)
    assert styles[hs[0].id] == styles[builtin.id]
    assert styles[hs[0].id] != styles[plain.id]
    assert styles[user_cube.id] == styles[plain.id]


def test_every_library_op_declares_a_known_category():
    ops = [cls for cls in vars(mg.ops).values()
           if isinstance(cls, type) and issubclass(cls, mg.Op)]
    assert len(ops) > 20
    unknown = {cls.__name__: cls.category for cls in ops if cls.category not in CATEGORIES}
    assert unknown == {}
    fused = {cls.__name__ for cls in ops if cls.category == "recurrent"}
    assert fused == {"RNNStep", "LSTMStep", "GRUStep", "RNNStepProjected",
                     "LSTMStepProjected", "GRUStepProjected", "RNNSequence", "LSTMSequence"}


def test_every_op_function_states_its_shapes_in_and_out():
    """help(mg.concat), help(mg.matmul) ... tell a user what goes in and what comes out."""
    functions = {name: getattr(mg.ops, name) for name in mg.ops.__all__ if name[0].islower()}
    assert {"exp", "log", "divide", "softmax", "log_softmax", "softmax_ce", "transpose",
            "reverse", "concat", "matmul"} <= functions.keys()
    missing = [name for name, f in functions.items()
               if "Shapes" not in (f.__doc__ or "") or "->" not in f.__doc__]
    assert missing == []


def test_the_op_library_exports_exactly_its_ops_and_their_functions():
    assert len(set(mg.ops.__all__)) == len(mg.ops.__all__)
    assert all(hasattr(mg.ops, name) and hasattr(mg, name) for name in mg.ops.__all__)
    classes = {name for name in mg.ops.__all__ if name[0].isupper()}
    assert classes == set(library_ops())
    assert not any(isinstance(getattr(mg.ops, name), type(mg)) for name in mg.ops.__all__)
