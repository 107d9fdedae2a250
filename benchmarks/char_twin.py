"""Exact twin: minigraph's CharTrainer and a PyTorch nn.LSTM started from the SAME weights,
fed the same minibatches, trained with the same recipe; the loss compared step by step.

    python -m benchmarks.char_twin [--steps 300] [--hidden 256] [--torch-biases]
                                   [--reset-every 16] [--lr 3e-3] [--warmup 100]
                                   [--old-init] [--torch-init] [--only-torch]

The PyTorch model gets minigraph's initial parameters: W_embed as the embedding table,
Wx/Wh/b transposed and with the gate blocks reordered (minigraph's i, f, o, g against
PyTorch's i, f, g, o), W_out/b_out as the output layer. nn.LSTM has two bias vectors per
layer, b_ih and b_hh, which always receive the same gradient; with ``--torch-biases`` both
train (as nn.LSTM does), otherwise b_hh stays frozen at zero and the twin is exact. The
zero-state restarts of every ``--reset-every``-th track (0: none) are done on both sides.

First the gradients of the first minibatch are compared parameter by parameter; then
both train ``--steps`` steps and the losses are printed every so often, with validation
on 50 windows at the end. ``--only-torch --torch-init --old-init --steps 1000`` trains
the PyTorch model of ``benchmarks/char_shakespeare_torch.py`` alone on the 1,000-step
recipe of ``benchmarks/char_step_gap.py``.
"""

import argparse
import time

import numpy as np

from benchmarks.char_step_gap import small_embedding
from minigraph.models.charrnn.model import CharRNN
from minigraph.models.charrnn.trainer import CharTrainer
from minigraph.models.data.text import Tracks, Vocabulary, tiny_shakespeare


def gate_order(H):
    """Column indices taking minigraph's gate blocks (i, f, o, g) to PyTorch's (i, f, g, o)."""
    i, f, o, g = (np.arange(k * H, (k + 1) * H) for k in range(4))
    return np.concatenate([i, f, g, o])


class TorchTwin:
    """An nn.Embedding + nn.LSTM + nn.Linear holding a copy of a CharRNN's parameters."""

    def __init__(self, model, torch, train_bias_hh, copy=True):
        self.torch, self.model = torch, model
        p, H, L = model.params, model.hidden_size, model.num_layers
        V, E = p["W_embed"].shape
        self.order = gate_order(H)
        self.embed = torch.nn.Embedding(V, E)
        self.lstm = torch.nn.LSTM(E, H, L, batch_first=True)
        self.out = torch.nn.Linear(H, V)
        with torch.no_grad():
            self.embed.weight.copy_(torch.from_numpy(p["W_embed"]))
            for layer in range(L if copy else 0):
                getattr(self.lstm, f"weight_ih_l{layer}").copy_(
                    torch.from_numpy(p[f"Wx{layer}"][:, self.order].T.copy()))
                getattr(self.lstm, f"weight_hh_l{layer}").copy_(
                    torch.from_numpy(p[f"Wh{layer}"][:, self.order].T.copy()))
                getattr(self.lstm, f"bias_ih_l{layer}").copy_(
                    torch.from_numpy(p[f"b{layer}"][self.order].copy()))
                getattr(self.lstm, f"bias_hh_l{layer}").zero_()
            if copy:
                self.out.weight.copy_(torch.from_numpy(p["W_out"].T.copy()))
                self.out.bias.copy_(torch.from_numpy(p["b_out"]))
        for layer in range(L):
            getattr(self.lstm, f"bias_hh_l{layer}").requires_grad_(train_bias_hh)
        self.parameters = [q for m in (self.embed, self.lstm, self.out)
                           for q in m.parameters() if q.requires_grad]
        self.state = None

    def loss(self, x, y, state):
        torch = self.torch
        scores, state = self.lstm(self.embed(torch.as_tensor(x)), state)
        scores = self.out(scores)
        loss = torch.nn.functional.cross_entropy(scores.reshape(-1, scores.shape[-1]),
                                                 torch.as_tensor(y).reshape(-1))
        return loss, tuple(s.detach() for s in state)

    def grads_like_minigraph(self):
        """The current .grad of every parameter in minigraph's names and layout."""
        inverse = np.argsort(self.order)
        grads = {"W_embed": self.embed.weight.grad.numpy(),
                 "W_out": self.out.weight.grad.numpy().T, "b_out": self.out.bias.grad.numpy()}
        for layer in range(self.model.num_layers):
            ih, hh, b = (getattr(self.lstm, f"{name}_l{layer}").grad.numpy()
                         for name in ("weight_ih", "weight_hh", "bias_ih"))
            grads[f"Wx{layer}"] = ih.T[:, inverse]
            grads[f"Wh{layer}"] = hh.T[:, inverse]
            grads[f"b{layer}"] = b[inverse]
        return grads

    def validate(self, val_ids, N, T, max_batches=50):
        tracks, state, losses = Tracks(val_ids, N, T), None, []
        with self.torch.no_grad():
            for k in range(min(max_batches, len(tracks))):
                loss, state = self.loss(*tracks.batch(k), state)
                losses.append(loss.item())
        return float(np.mean(losses))


def restart_rows(state, window, every, torch):
    """The trainer's zero-state restarts (CharTrainer._reset_some_tracks) on torch state."""
    if state is None or not every:
        return state
    N = state[0].shape[1]
    keep = torch.as_tensor(((np.arange(N) - window) % every != 0).astype(np.float32))
    return tuple(s * keep[None, :, None] for s in state)


def main(argv=None):
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--reset-every", type=int, default=16)
    parser.add_argument("--torch-biases", action="store_true",
                        help="train nn.LSTM's second bias b_hh too (PyTorch's model as is)")
    parser.add_argument("--old-init", action="store_true",
                        help="CharRNN's initialisation before 2026-11-24: forget-gate bias 1, "
                        "embedding N(0, 0.1^2)")
    parser.add_argument("--torch-init", action="store_true",
                        help="PyTorch's own initialisation for the LSTM and output layer (with "
                        "--old-init: the embedding of char_shakespeare_torch); no comparison "
                        "of gradients")
    parser.add_argument("--only-torch", action="store_true", help="train the PyTorch side only")
    parser.add_argument("--print-every", type=int, default=25)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    text = tiny_shakespeare()
    vocab = Vocabulary.from_text(text)
    model = CharRNN(len(vocab), hidden_size=args.hidden, num_layers=2, chars=vocab.chars,
                    seed=0, forget_bias=1.0 if args.old_init else 0.0)
    if args.old_init:
        small_embedding(model)
    trainer = CharTrainer(text, lr=args.lr, lr_schedule="cosine", warmup=args.warmup,
                          horizon=args.steps, reset_every=args.reset_every, model=model)
    torch.manual_seed(0)
    twin = TorchTwin(trainer.model, torch, args.torch_biases or args.torch_init,
                     copy=not args.torch_init)
    opt = torch.optim.Adam(twin.parameters, lr=args.lr)
    N, T = trainer.settings["batch_size"], trainer.settings["seq_len"]

    if not (args.torch_init or args.only_torch):
        x, y = trainer.train_tracks.batch(0)
        _, grads, _ = trainer.model.loss(x, y)
        loss, _ = twin.loss(x, y, None)
        loss.backward()
        print("first-minibatch gradients, max |minigraph - torch| / max |torch|:")
        for name, g in twin.grads_like_minigraph().items():
            print(f"  {name:8s} {np.abs(grads[name] - g).max() / np.abs(g).max():.1e}")

    started, gaps, state = time.monotonic(), [], None
    for step in range(args.steps):
        window = trainer.train_tracks.position
        x, y = trainer.train_tracks.batch(window)
        if window == 0:
            state = None
        state = restart_rows(state, window, args.reset_every, torch)
        for group in opt.param_groups:
            group["lr"] = trainer.learning_rate(trainer.iteration)
        loss, state = twin.loss(x, y, state)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(twin.parameters, trainer.settings["clip"])
        opt.step()
        if args.only_torch:  # keep the trainer's position and iteration moving
            trainer.train_tracks.next()
            trainer.iteration += 1
            ours = float("nan")
        else:
            ours = trainer.step()
        gaps.append(ours - loss.item())
        if (step + 1) % args.print_every == 0 or step == 0:
            print(f"step {step + 1:4d}: minigraph {ours:.5f}  torch {loss.item():.5f}  "
                  f"difference {gaps[-1]:+.5f}  mean of the last {args.print_every} "
                  f"{np.mean(gaps[-args.print_every:]):+.5f}", flush=True)
    ours = float("nan") if args.only_torch else trainer.validate()
    print(f"validation (50 windows): minigraph {ours:.4f}, torch "
          f"{twin.validate(trainer.val_ids, N, T):.4f}  ({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
