"""The tiny-Shakespeare quality benchmark's recipe in PyTorch, for the curve beside ours.

    python -m benchmarks.char_shakespeare_torch [--minutes 10] [--threads 1]

Same text split, vocabulary and contiguous tracks (minigraph's own data code), the same
2-layer LSTM shape (embedding as wide as the hidden state, dropout between layers and
before the output layer), Adam with global-norm clipping at 5, the hidden state carried
from one window to the next, and the same learning-rate schedule, planned from the speed
of the first steps. Writes the validation curve against wall time as JSON.
"""

import argparse
import json
import time

from benchmarks.char_shakespeare import add_recipe_arguments
from minigraph.files import atomic_write
from minigraph.models.charrnn.trainer import PLAN_AFTER, cosine_rate
from minigraph.models.data.text import Tracks, Vocabulary, load_text, split_text


def main(argv=None):
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_recipe_arguments(parser, "char_shakespeare_torch.json")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    text = load_text(args.text)
    vocab = Vocabulary.from_text(text)
    train_text, val_text = split_text(text)
    N, T, H, V = args.batch_size, args.seq_len, args.hidden, len(vocab)
    train_tracks = Tracks(vocab.encode(train_text), N, T, "training text")
    val_ids = vocab.encode(val_text)

    class CharLSTM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(V, H)
            torch.nn.init.normal_(self.embed.weight, std=0.1)
            self.lstm = torch.nn.LSTM(H, H, args.layers, batch_first=True,
                                      dropout=args.dropout)
            self.drop = torch.nn.Dropout(args.dropout)
            self.out = torch.nn.Linear(H, V)

        def forward(self, x, state):
            h, state = self.lstm(self.embed(x), state)
            return self.out(self.drop(h)), state

    model = CharLSTM()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    horizon = 0

    def evaluate(max_batches=None):
        model.eval()
        tracks, state, total, count = Tracks(val_ids, N, T, "validation text"), None, 0.0, 0
        with torch.no_grad():
            for k in range(len(tracks) if max_batches is None else min(max_batches, len(tracks))):
                x, y = tracks.batch(k)
                logits, state = model(torch.as_tensor(x), state)
                total += loss_fn(logits.reshape(-1, V), torch.as_tensor(y).reshape(-1)).item() \
                    * y.size
                count += y.size
        model.train()
        return total / count, count

    started = time.monotonic()
    deadline, state, iteration, curve, plan_from = started + 60 * args.minutes, None, 0, [], None
    lr = args.lr
    while time.monotonic() < deadline:
        x, y, wrapped = train_tracks.next()
        if wrapped:
            state = None
            if iteration and args.lr_schedule == "step":
                lr *= args.lr_decay
        if args.lr_schedule == "cosine":
            lr = cosine_rate(iteration, args.lr, args.warmup, horizon)
        for group in opt.param_groups:
            group["lr"] = lr
        logits, state = model(torch.as_tensor(x), state)
        state = tuple(s.detach() for s in state)
        loss = loss_fn(logits.reshape(-1, V), torch.as_tensor(y).reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        iteration += 1
        if args.lr_schedule == "cosine" and not horizon:
            if iteration == 5:
                plan_from = time.monotonic()
            if iteration == PLAN_AFTER:
                per_step = (time.monotonic() - plan_from) / (PLAN_AFTER - 5)
                horizon = iteration + max(int((deadline - time.monotonic()) / per_step), 1)
        if iteration % args.eval_every == 0:
            val = evaluate(50)[0]
            curve.append([round(time.monotonic() - started, 1), iteration, round(val, 4)])
            print(f"iteration {iteration}: validation {val:.3f} nats/char", flush=True)
    train_seconds = time.monotonic() - started
    val, chars = evaluate()
    result = {"implementation": f"torch {torch.__version__}",
              "validation_nats_per_char": round(val, 4), "validation_chars_scored": chars,
              "iterations": iteration, "train_seconds": round(train_seconds, 1),
              "chars_per_second": round(iteration * N * T / train_seconds),
              "curve": curve, "config": vars(args)}
    print(json.dumps({k: v for k, v in result.items() if k != "curve"}, indent=2))
    atomic_write(args.out, json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
