"""The benchmark workloads and one training-step function per implementation.

A step is forward + backward + Adam update, float32, on fixed random data."""

import numpy as np

WORKLOADS = {
    "char-lstm-256x2": dict(kind="char", cell="lstm", V=65, H=256, layers=2, T=64, N=32),
    "char-lstm-128x1": dict(kind="char", cell="lstm", V=65, H=128, layers=1, T=64, N=32),
    "char-lstm-512x2": dict(kind="char", cell="lstm", V=65, H=512, layers=2, T=100, N=50),
    "char-rnn-256x2": dict(kind="char", cell="rnn", V=65, H=256, layers=2, T=64, N=32),
    "caption-lstm": dict(kind="caption", cell="lstm", V=1004, D=512, W=256, H=512, layers=1,
                         T=16, N=100),
}
QUICK = {
    "char-lstm-256x2": dict(kind="char", cell="lstm", V=65, H=64, layers=2, T=16, N=8),
    "caption-lstm": dict(kind="caption", cell="lstm", V=100, D=32, W=16, H=32, layers=1, T=8,
                         N=8),
}


def embed_dim(w):
    return w.get("W", w["H"])


def matmul_flops(w):
    """FLOPs of the matmuls in one training step (forward, and twice that backward)."""
    k = 4 if w["cell"] == "lstm" else 1
    N, T, H = w["N"], w["T"], w["H"]
    total = 0
    for layer in range(w["layers"]):
        d = embed_dim(w) if layer == 0 else H
        total += 6 * N * T * (d + H) * k * H
    total += 6 * N * T * H * w["V"]
    if w["kind"] == "caption":
        total += 6 * N * w["D"] * H
    return total


def data(w, seed=0):
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, w["V"], (w["N"], w["T"] + 1))
    features = (rng.standard_normal((w["N"], w["D"])).astype(np.float32)
                if w["kind"] == "caption" else None)
    return tokens, features


def minigraph_step(w, composed=False, sequence=True):
    """The training step as the trainers run it: fused cells on the whole-sequence path
    (what ``loss()`` runs); ``sequence=False`` runs the per-step graph instead
    (``build_graph``, the graph before the sequence nodes), ``composed`` builds the cells
    from primitive ops."""
    from minigraph import optim

    tokens, features = data(w)
    per_step = not sequence and not composed  # composed cells have no sequence node anyway
    if w["kind"] == "char":
        from minigraph.models.charrnn.model import CharRNN
        model = CharRNN(w["V"], hidden_size=w["H"], num_layers=w["layers"], cell=w["cell"],
                        embed_size=embed_dim(w), fused=not composed)
        x, y = tokens[:, :-1], tokens[:, 1:]
        zeros = model.zero_state(w["N"])

        shape = x.shape

        def loss():
            if not per_step:
                return model.loss(x, y, zeros)[:2]
            graph, feed = model._feed(x, y, zeros, per_step=True)
            graph.train()
            return model._forward_backward(graph, feed, retain_graph=False)
    else:
        from minigraph.models.captioning.rnn_captioner import CaptioningRNN
        vocab = {f"w{i}": i for i in range(w["V"])}
        vocab["<NULL>"] = 0
        model = CaptioningRNN(vocab, input_dim=w["D"], wordvec_dim=w["W"], hidden_dim=w["H"],
                              cell_type=w["cell"], fused=not composed)
        tokens[tokens == 0] = 1

        shape = (tokens.shape[0], tokens.shape[1] - 1)

        def loss():
            if not per_step:
                return model.loss(features, tokens)
            graph, feed = model._feed(features, tokens, per_step=True)
            return model._forward_backward(graph, feed, retain_graph=False)
    configs = {name: {"learning_rate": 2e-3} for name in model.params}

    def step():
        value, grads = loss()
        for name, param in model.params.items():
            optim.adam(param, grads[name], configs[name])
        return value
    step.model = model
    step.graph = lambda: model.run_graph(*shape, per_step=per_step)  # the graph each step runs
    return step


def numpy_step(w):
    from .numpy_baseline import NumpyRecurrentLM

    tokens, features = data(w)
    model = NumpyRecurrentLM(w["V"], embed_dim(w), w["H"], w["layers"], w["cell"],
                             feature_dim=w.get("D") if w["kind"] == "caption" else None)
    x, y = tokens[:, :-1], tokens[:, 1:]

    def step():
        return model.step(x, y, features)
    return step


def torch_step(w):
    import torch

    torch.manual_seed(0)
    tokens, features = data(w)
    x = torch.as_tensor(tokens[:, :-1])
    y = torch.as_tensor(tokens[:, 1:]).reshape(-1)
    rnn_class = torch.nn.LSTM if w["cell"] == "lstm" else torch.nn.RNN
    embed = torch.nn.Embedding(w["V"], embed_dim(w))
    rnn = rnn_class(embed_dim(w), w["H"], num_layers=w["layers"], batch_first=True)
    out = torch.nn.Linear(w["H"], w["V"])
    modules = [embed, rnn, out]
    proj = None
    if w["kind"] == "caption":
        proj = torch.nn.Linear(w["D"], w["H"])
        modules.append(proj)
        feats = torch.as_tensor(features)
    params = [p for m in modules for p in m.parameters()]
    opt = torch.optim.Adam(params, lr=2e-3)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        if proj is not None:
            h0 = proj(feats).unsqueeze(0)
            state = (h0, torch.zeros_like(h0)) if w["cell"] == "lstm" else h0
            hs, _ = rnn(embed(x), state)
        else:
            hs, _ = rnn(embed(x))
        loss = loss_fn(out(hs).reshape(-1, w["V"]), y)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def autograd_step(w):
    import autograd.numpy as anp
    from autograd import grad

    tokens, features = data(w)
    x, y = tokens[:, :-1], tokens[:, 1:].reshape(-1)
    rng = np.random.default_rng(0)
    k, H = (4 if w["cell"] == "lstm" else 1), w["H"]
    params = {"W_embed": rng.standard_normal((w["V"], embed_dim(w))) * 0.1}
    for l in range(w["layers"]):
        d = embed_dim(w) if l == 0 else H
        params[f"Wx{l}"] = rng.standard_normal((d, k * H)) / np.sqrt(d)
        params[f"Wh{l}"] = rng.standard_normal((H, k * H)) / np.sqrt(H)
        params[f"b{l}"] = np.zeros(k * H)
    params["W_out"] = rng.standard_normal((H, w["V"])) / np.sqrt(H)
    params["b_out"] = np.zeros(w["V"])
    if w["kind"] == "caption":
        params["W_proj"] = rng.standard_normal((w["D"], H)) / np.sqrt(w["D"])
        params["b_proj"] = np.zeros(H)
    params = {n: v.astype(np.float32) for n, v in params.items()}
    N, T = x.shape

    def sigmoid(a):
        return 0.5 * (anp.tanh(0.5 * a) + 1)

    def loss(p):
        layer_in = p["W_embed"][x]
        for l in range(w["layers"]):
            h = (anp.dot(features, p["W_proj"]) + p["b_proj"] if features is not None and l == 0
                 else anp.zeros((N, H), dtype=np.float32))
            c = anp.zeros((N, H), dtype=np.float32)
            xw = anp.reshape(anp.dot(anp.reshape(layer_in, (N * T, -1)), p[f"Wx{l}"])
                             + p[f"b{l}"], (N, T, k * H))
            hs = []
            for t in range(T):
                a = xw[:, t] + anp.dot(h, p[f"Wh{l}"])
                if w["cell"] == "lstm":
                    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H])
                    c = f * c + i * anp.tanh(a[:, 3 * H:])
                    h = o * anp.tanh(c)
                else:
                    h = anp.tanh(a)
                hs.append(h)
            layer_in = anp.stack(hs, axis=1)
        scores = anp.dot(anp.reshape(layer_in, (N * T, H)), p["W_out"]) + p["b_out"]
        scores = scores - anp.max(scores, axis=1, keepdims=True)
        log_probs = scores - anp.log(anp.sum(anp.exp(scores), axis=1, keepdims=True))
        return -anp.mean(log_probs[np.arange(N * T), y])

    gradient = grad(loss)
    state = {n: [np.zeros_like(v), np.zeros_like(v)] for n, v in params.items()}
    counter = [0]

    def step():
        grads = gradient(params)
        counter[0] += 1
        t = counter[0]
        scale = np.float32(2e-3 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t))
        for name, value in params.items():
            m, v = state[name]
            m[...] = 0.9 * m + 0.1 * grads[name]
            v[...] = 0.999 * v + 0.001 * grads[name] ** 2
            value -= scale * m / (np.sqrt(v) + np.float32(1e-8))
    return step


# "minigraph-numpy" is minigraph_step run with MINIGRAPH_KERNELS=numpy (suite.py sets it):
# the install without the [fast] extra.
IMPLEMENTATIONS = {"minigraph": minigraph_step,
                   "minigraph-auto": minigraph_step,  # threads="auto"; contention table only
                   "minigraph-2threads": minigraph_step,  # set_threads(2); contention only
                   "minigraph-numpy": minigraph_step,
                   "minigraph-per-step": lambda w: minigraph_step(w, sequence=False),
                   "minigraph-composed": lambda w: minigraph_step(w, composed=True),
                   "numpy": numpy_step, "torch": torch_step, "autograd": autograd_step}
