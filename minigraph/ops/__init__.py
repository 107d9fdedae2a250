"""The op library. Each op is a class (compute and gradient side by side) with a
snake_case function that builds its node."""

from .cells import (
    GRUStep,
    GRUStepProjected,
    LSTMStep,
    LSTMStepProjected,
    RNNStep,
    RNNStepProjected,
    gru_step,
    gru_step_projected,
    lstm_step,
    lstm_step_projected,
    rnn_step,
    rnn_step_projected,
    sigmoid_,
)
from .math import (
    Add,
    MatMul,
    Mean,
    Mul,
    Relu,
    Sigmoid,
    Sub,
    Sum,
    Tanh,
    add,
    matmul,
    mean,
    mul,
    relu,
    sigmoid,
    stable_sigmoid,
    sub,
    sum,
    tanh,
)
from .nn import (
    Affine,
    Dropout,
    Embedding,
    MaskedSoftmaxCE,
    TemporalAffine,
    affine,
    dropout,
    embedding,
    masked_softmax_ce,
    temporal_affine,
)
from .shape import (
    Concat,
    Detach,
    Reshape,
    SelectStep,
    SliceLast,
    Stack,
    concat,
    detach,
    reshape,
    select_step,
    slice_last,
    split,
    stack,
)

__all__ = [name for name in dir() if not name.startswith("_")]
