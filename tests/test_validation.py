"""Bad values at the Python API: each is a named minigraph error saying what was wrong and
what is allowed, never a raw numpy/IndexError/ZeroDivisionError, never a silent result."""

import numpy as np
import pytest

import minigraph as mg
from minigraph import optim
from minigraph.models.captioning.rnn_captioner import CaptioningRNN
from minigraph.models.captioning.solver import CaptioningSolver
from minigraph.models.charrnn.model import CharRNN
from minigraph.models.charrnn.trainer import CharTrainer

WORDS = {"<NULL>": 0, "<START>": 1, "<END>": 2, "a": 3}
TEXT = "abcdef " * 300


def x3():
    return mg.input("x", (2, 3, 4), np.float64)


def _rnn_weights(D, H):
    return (mg.param(np.zeros((D, H)), "Wx"), mg.param(np.zeros((H, H)), "Wh"),
            mg.param(np.zeros(H), "b"))


def _captioner():
    return CaptioningRNN(WORDS, input_dim=5, wordvec_dim=3, hidden_dim=4)


def _char_model():
    return CharRNN(4, hidden_size=4, num_layers=1, chars=list("abcd"))


FRAMEWORK = [
    ("concat-empty", lambda: mg.concat([]), mg.ShapeError, "Concat: needs at least one node"),
    ("stack-empty", lambda: mg.stack([]), mg.ShapeError, "Stack: needs at least one node"),
    ("select-step-float", lambda: mg.select_step(x3(), 1.5), mg.InputError,
     "timestep must be an integer, got 1.5"),
    ("select-step-bool", lambda: mg.select_step(x3(), True), mg.InputError, "got True"),
    ("add-none", lambda: x3() + None, mg.DTypeError, "cannot use None in a graph"),
    ("none-add", lambda: None + x3(), mg.DTypeError, "cannot use None"),
    ("mul-string", lambda: x3() * "2", mg.DTypeError, "cannot use '2'"),
    ("unroll-T-0", lambda: mg.unroll("rnn", mg.input("x", (2, 0, 4), np.float64),
                                     mg.input("h0", (2, 5), np.float64), *_rnn_weights(4, 5)),
     mg.ShapeError, "T >= 1"),
    ("unroll-H-0", lambda: mg.unroll("gru", x3(), mg.input("h0", (2, 0), np.float64),
                                     *_rnn_weights(4, 0)), mg.ShapeError,
     "hidden size H must be at least 1"),
    ("clip-0", lambda: optim.clip_by_global_norm({"w": np.ones(3)}, 0), mg.UsageError,
     "max_norm must be a finite number > 0"),
    ("clip-negative", lambda: optim.clip_by_global_norm({"w": np.ones(3)}, -5.0),
     mg.UsageError, "got -5.0"),
]

MODELS = [
    ("char-layers-0", lambda: CharRNN(5, num_layers=0), "num_layers must be an integer >= 1"),
    ("char-hidden-0", lambda: CharRNN(5, hidden_size=0), "hidden_size must be an integer >= 1"),
    ("char-vocab-0", lambda: CharRNN(0), "vocab_size"),
    ("char-dropout-negative", lambda: CharRNN(5, dropout=-0.1), "dropout must be"),
    ("char-dropout-1", lambda: CharRNN(5, dropout=1.0), "< 1"),
    ("char-hidden-float", lambda: CharRNN(5, hidden_size=2.5), "got 2.5"),
    ("char-top-k-0", lambda: _char_model().sample("a", 5, top_k=0), "top_k"),
    ("char-temperature-negative", lambda: _char_model().sample("a", 5, temperature=-1),
     "temperature must be a finite number >= 0"),
    ("char-temperature-nan", lambda: _char_model().sample("a", 5, temperature=float("nan")),
     "temperature"),
    ("char-length-negative", lambda: _char_model().sample("a", -1), "length"),
    ("trainer-batch-0", lambda: CharTrainer(TEXT, batch_size=0), "batch_size"),
    ("trainer-seq-len-0", lambda: CharTrainer(TEXT, seq_len=0), "seq_len"),
    ("trainer-lr-negative", lambda: CharTrainer(TEXT, lr=-1), "lr must be"),
    ("trainer-lr-decay-negative", lambda: CharTrainer(TEXT, lr_decay=-0.5), "lr_decay"),
    ("trainer-clip-0", lambda: CharTrainer(TEXT, clip=0), "clip must be a finite number > 0"),
    ("captioner-hidden-0", lambda: CaptioningRNN(WORDS, hidden_dim=0), "hidden_dim"),
    ("captioner-wordvec-0", lambda: CaptioningRNN(WORDS, wordvec_dim=0), "wordvec_dim"),
    ("captioner-input-0", lambda: CaptioningRNN(WORDS, input_dim=0), "input_dim"),
    ("beam-size-0", lambda: _captioner().sample(np.zeros((1, 5)), method="beam", beam_size=0),
     "beam_size must be an integer >= 1, got 0"),
    ("sample-temperature-negative", lambda: _captioner().sample(
        np.zeros((1, 5)), method="sample", temperature=-1.0), "temperature"),
    ("sample-max-length-0", lambda: _captioner().sample(np.zeros((1, 5)), max_length=0),
     "max_length"),
    ("solver-batch-0", lambda: CaptioningSolver(_captioner(), {}, batch_size=0), "batch_size"),
    ("solver-epochs-negative", lambda: CaptioningSolver(_captioner(), {}, num_epochs=-1),
     "num_epochs"),
    ("solver-lr-decay-0", lambda: CaptioningSolver(_captioner(), {}, lr_decay=0), "lr_decay"),
    ("solver-clip-negative", lambda: CaptioningSolver(_captioner(), {}, clip_norm=-1),
     "clip_norm"),
]


@pytest.mark.parametrize("make, error, message", [c[1:] for c in FRAMEWORK],
                         ids=[c[0] for c in FRAMEWORK])
def test_framework_refuses_bad_values_by_name(make, error, message):
    with pytest.raises(error) as err:
        make()
    assert message in str(err.value)


@pytest.mark.parametrize("make, message", [c[1:] for c in MODELS], ids=[c[0] for c in MODELS])
def test_models_refuse_bad_settings_by_name(make, message):
    with pytest.raises(mg.UsageError) as err:
        make()
    assert message in str(err.value)
    assert isinstance(err.value, ValueError)  # code that catches ValueError keeps working


def test_wide_ids_into_a_narrow_integer_input_must_fit():
    ids = mg.input("ids", (2,), np.int32)
    graph = mg.Graph(mg.sum(mg.embedding(ids, mg.param(np.ones((5, 3)), "E"))))
    assert graph.forward({"ids": np.array([4, 1], dtype=np.int64)}) == 6.0  # fits: fine
    with pytest.raises(mg.InputError, match=r"holds 4294967297, outside the range of its "
                                            r"dtype int32"):
        graph.forward({"ids": np.array([2**32 + 1, 1], dtype=np.int64)})
    small = mg.input("small", (2,), np.uint8)
    graph = mg.Graph(mg.sum(mg.embedding(small, mg.param(np.ones((5, 3)), "E2"))))
    with pytest.raises(mg.InputError, match="holds -1"):
        graph.forward({"small": np.array([-1, 1])})


def test_a_parameter_array_replaced_by_another_shape_or_dtype_is_refused():
    w = mg.param(np.ones((5, 3)), "w")
    graph = mg.Graph(mg.sum(w))
    w.value = np.ones((5, 3), np.float32)
    with pytest.raises(mg.GraphError, match=r"param 'w' now holds \(5, 3\) float32, but the "
                                            r"graph was built for \(5, 3\) float64"):
        graph.forward()
    w.value = np.ones((2, 2))
    with pytest.raises(mg.GraphError, match=r"now holds \(2, 2\) float64"):
        graph.forward()
    w.value = np.full((5, 3), 2.0)  # same shape and dtype: a legitimate replacement
    assert graph.forward() == 30.0


def test_global_norm_of_huge_float32_gradients_is_finite_and_clipping_works():
    grads = {"a": np.full(10, 1e20, np.float32), "b": np.full(6, -1e20, np.float32)}
    norm = optim.clip_by_global_norm(grads, 5.0)
    assert norm == pytest.approx(4e20, rel=1e-6)  # sqrt(16) * 1e20
    assert grads["a"].dtype == np.float32
    np.testing.assert_allclose(grads["a"], 1.25, rtol=1e-6)
    np.testing.assert_allclose(grads["b"], -1.25, rtol=1e-6)
    assert optim.global_norm({"z": np.zeros(3, np.float32)}) == 0.0
