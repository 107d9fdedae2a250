"""Hand-written numpy training steps, the way a careful person writes them by hand: the
input projection of all timesteps in one matmul (for a small vocabulary, a lookup in the
table W_embed Wx + b, as min-char-rnn's one-hot input amounts to), the recurrence in a
Python loop over time, weight gradients as one matmul over all timesteps, no per-element
Python.

Same maths as the minigraph models (cs231n gate order i, f, o, g), so the FLOPs match.
"""

import numpy as np


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


class NumpyRecurrentLM:
    """Embedding -> L recurrent layers (lstm or rnn) -> affine -> softmax CE (mean per token),
    with Adam. For captioning, h0 of the single layer comes from an affine of the features."""

    def __init__(self, V, D, H, layers, cell, dtype=np.float32, seed=0, feature_dim=None):
        rng = np.random.default_rng(seed)
        k = 4 if cell == "lstm" else 1
        self.cell, self.H, self.layers = cell, H, layers
        p = {"W_embed": rng.standard_normal((V, D)) * 0.1}
        for l in range(layers):
            d = D if l == 0 else H
            p[f"Wx{l}"] = rng.standard_normal((d, k * H)) / np.sqrt(d)
            p[f"Wh{l}"] = rng.standard_normal((H, k * H)) / np.sqrt(H)
            p[f"b{l}"] = np.zeros(k * H)
        p["W_out"] = rng.standard_normal((H, V)) / np.sqrt(H)
        p["b_out"] = np.zeros(V)
        if feature_dim:
            p["W_proj"] = rng.standard_normal((feature_dim, H)) / np.sqrt(feature_dim)
            p["b_proj"] = np.zeros(H)
        self.p = {k_: v.astype(dtype) for k_, v in p.items()}
        self.m = {k_: np.zeros_like(v) for k_, v in self.p.items()}
        self.v = {k_: np.zeros_like(v) for k_, v in self.p.items()}
        self.t = 0

    # ---------------------------------------------------------------- one layer
    def _uses_table(self, ids):
        V, D = self.p["W_embed"].shape
        return V * (ids.size + 2 * D) < 2 * ids.size * D  # same rule as minigraph's

    def _layer_forward(self, x, h0, c0, l, ids=None):
        """x (N, T, D) -> hs (N, T, H) and the cache for backward. Layer 0 of a small
        vocabulary gets ids instead and looks its projections up in a table."""
        H, p = self.H, self.p
        if ids is not None:
            table = p["W_embed"] @ p["Wx0"] + p["b0"]
            xw, x = table[ids], ids
        else:
            xw = (x.reshape(-1, x.shape[2]) @ p[f"Wx{l}"] + p[f"b{l}"]).reshape(
                *x.shape[:2], -1)
        N, T = xw.shape[:2]
        hs = np.empty((N, T, H), xw.dtype)
        h = h0
        if self.cell == "lstm":
            cs = np.empty((N, T, H), xw.dtype)
            gates = np.empty((N, T, 4 * H), xw.dtype)
            c = c0
            for t in range(T):
                a = xw[:, t] + h @ p[f"Wh{l}"]
                gates[:, t, :3 * H] = _sigmoid(a[:, :3 * H])
                gates[:, t, 3 * H:] = np.tanh(a[:, 3 * H:])
                i, f, o, g = (gates[:, t, j * H:(j + 1) * H] for j in range(4))
                c = f * c + i * g
                h = o * np.tanh(c)
                cs[:, t], hs[:, t] = c, h
            return hs, (x, h0, c0, hs, cs, gates)
        for t in range(T):
            h = np.tanh(xw[:, t] + h @ p[f"Wh{l}"])
            hs[:, t] = h
        return hs, (x, h0, None, hs, None, None)

    def _layer_backward(self, dhs, cache, l, grads):
        x, h0, c0, hs, cs, gates = cache
        N, T, H = hs.shape
        p = self.p
        prev_h = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)
        da = np.empty((N, T, gates.shape[2] if gates is not None else H), hs.dtype)
        dh_next = np.zeros((N, H), hs.dtype)
        if self.cell == "lstm":
            prev_c = np.concatenate([c0[:, None], cs[:, :-1]], axis=1)
            dc_next = np.zeros((N, H), hs.dtype)
            for t in reversed(range(T)):
                i, f, o, g = (gates[:, t, j * H:(j + 1) * H] for j in range(4))
                dh = dhs[:, t] + dh_next
                tanh_c = np.tanh(cs[:, t])
                dc = dc_next + dh * o * (1 - tanh_c * tanh_c)
                da[:, t, :H] = dc * g * i * (1 - i)
                da[:, t, H:2 * H] = dc * prev_c[:, t] * f * (1 - f)
                da[:, t, 2 * H:3 * H] = dh * tanh_c * o * (1 - o)
                da[:, t, 3 * H:] = dc * i * (1 - g * g)
                dc_next = dc * f
                dh_next = da[:, t] @ p[f"Wh{l}"].T
        else:
            for t in reversed(range(T)):
                dh = dhs[:, t] + dh_next
                da[:, t] = dh * (1 - hs[:, t] * hs[:, t])
                dh_next = da[:, t] @ p[f"Wh{l}"].T
        flat = da.reshape(N * T, -1)
        grads[f"Wh{l}"] = prev_h.reshape(N * T, H).T @ flat
        grads[f"b{l}"] = flat.sum(axis=0)
        if x.dtype.kind in "iu":  # layer 0 looked up in the table: x holds the ids
            dtable = np.zeros((p["W_embed"].shape[0], flat.shape[1]), flat.dtype)
            np.add.at(dtable, x.reshape(-1), flat)
            grads["Wx0"] = p["W_embed"].T @ dtable
            grads["W_embed"] = dtable @ p["Wx0"].T
            return None, dh_next
        grads[f"Wx{l}"] = x.reshape(N * T, -1).T @ flat
        return (flat @ p[f"Wx{l}"].T).reshape(x.shape), dh_next

    # ---------------------------------------------------------------- a training step
    def loss_and_grads(self, ids, targets, features=None):
        p, N, T = self.p, *ids.shape
        dtype = p["W_out"].dtype
        table = self._uses_table(ids)
        x = None if table else p["W_embed"][ids]
        zeros = np.zeros((N, self.H), dtype)
        h0 = features @ p["W_proj"] + p["b_proj"] if features is not None else zeros
        caches, layer_in = [], x
        for l in range(self.layers):
            layer_in, cache = self._layer_forward(layer_in, h0 if l == 0 else zeros, zeros, l,
                                                  ids=ids if table and l == 0 else None)
            caches.append(cache)
        flat_h = layer_in.reshape(N * T, self.H)
        scores = flat_h @ p["W_out"] + p["b_out"]
        scores -= scores.max(axis=1, keepdims=True)
        log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
        y = targets.reshape(-1)
        loss = -log_probs[np.arange(N * T), y].mean()
        dscores = np.exp(log_probs)
        dscores[np.arange(N * T), y] -= 1
        dscores /= dtype.type(N * T)
        grads = {"W_out": flat_h.T @ dscores, "b_out": dscores.sum(axis=0)}
        dx = (dscores @ p["W_out"].T).reshape(N, T, self.H)
        dh0 = None
        for l in reversed(range(self.layers)):
            dx, dh0 = self._layer_backward(dx, caches[l], l, grads)
        if not table:
            dW_embed = np.zeros_like(p["W_embed"])
            np.add.at(dW_embed, ids.reshape(-1), dx.reshape(N * T, -1))
            grads["W_embed"] = dW_embed
        if features is not None:
            grads["W_proj"] = features.T @ dh0
            grads["b_proj"] = dh0.sum(axis=0)
        return loss, grads

    def step(self, ids, targets, features=None, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        loss, grads = self.loss_and_grads(ids, targets, features)
        self.t += 1
        scale = lr * np.sqrt(1 - beta2 ** self.t) / (1 - beta1 ** self.t)
        for name, w in self.p.items():
            g, m, v = grads[name], self.m[name], self.v[name]
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            w -= w.dtype.type(scale) * m / (np.sqrt(v) + w.dtype.type(eps))
        return loss
