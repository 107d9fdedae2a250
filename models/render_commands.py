"""`minigraph render`, `minigraph stats` and `minigraph bptt`: pictures and numbers of the
unrolled graphs of the two models."""

import json
import os
import time

import numpy as np

from .flags import check_picture_output, count, non_negative


def add_commands(commands):
    render = commands.add_parser("render", help="draw a model's unrolled graph")
    render.add_argument("--model", choices=["captioning", "char"], default="captioning")
    render.add_argument("--cell", choices=["rnn", "lstm", "gru"], default="lstm")
    render.add_argument("--steps", type=count, default=4, help="timesteps to unroll")
    render.add_argument("--layers", type=count, default=1, help="char model layers")
    render.add_argument("--view", choices=["unrolled", "rolled", "window"], default="unrolled")
    render.add_argument("--grads", action="store_true", help="colour nodes by gradient norm")
    render.add_argument("--composed", action="store_true",
                        help="cells built from primitive ops instead of one fused node")
    render.add_argument("--no-labels", action="store_true")
    render.add_argument("--html", action="store_true",
                        help="interactive step-through page (also chosen by --out x.html)")
    render.add_argument("--out", default="graph.svg", help=".svg .png .pdf .dot or .html")
    render.set_defaults(handler=run_render)

    stats = commands.add_parser("stats", help="node, FLOP and memory counts of a model graph")
    for action in render._actions:
        if action.dest in ("model", "cell", "steps", "layers", "composed"):
            stats._add_action(action)
    stats.set_defaults(handler=run_stats)

    bptt = commands.add_parser("bptt", help="plot how far back gradients reach: rnn/lstm/gru")
    bptt.add_argument("--steps", type=count, default=60, help="sequence length T")
    bptt.add_argument("--train-steps", type=non_negative, default=300)
    bptt.add_argument("--seed", type=non_negative, default=0)
    bptt.add_argument("--out", default="bptt.png")
    bptt.set_defaults(handler=run_bptt)


def example_graph(model="captioning", cell="lstm", steps=4, layers=1, composed=False, seed=0):
    """A small model of the given kind with one minibatch run forward and backward, every
    value and gradient kept. Returns the graph."""
    rng = np.random.default_rng(seed)
    if model == "captioning":
        from .captioning_rnn import CaptioningRNN
        words = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "red", "circle", "square"]
        net = CaptioningRNN({w: i for i, w in enumerate(words)}, input_dim=16, wordvec_dim=8,
                            hidden_dim=8, cell_type=cell, fused=not composed, seed=seed)
        captions = rng.integers(1, len(words), (2, steps + 1))
        net.loss(rng.standard_normal((2, 16)).astype(np.float32), captions, retain_graph=True)
        return net.build_graph(2, steps)
    from .char_rnn import CharRNN
    net = CharRNN(12, hidden_size=8, num_layers=layers, cell=cell, fused=not composed,
                  embed_size=6, seed=seed)
    ids = rng.integers(0, 12, (2, steps + 1))
    net.loss(ids[:, :-1], ids[:, 1:], retain_graph=True)
    return net.build_graph(2, steps)


def run_render(args):
    from minigraph.draw import draw, write_step_page

    check_picture_output(args.out, [".svg", ".png", ".pdf", ".dot", ".html"])

    graph = example_graph(args.model, args.cell, args.steps, args.layers, args.composed)
    title = (f"{args.model} {args.cell}{' (composed)' if args.composed else ''}, "
             f"{args.steps} steps")
    options = {"view": args.view, "labels": not args.no_labels}
    started = time.monotonic()
    if args.html or args.out.endswith(".html"):
        path = args.out if args.out.endswith(".html") else os.path.splitext(args.out)[0] + ".html"
        write_step_page(graph, path, title=title, grads=True, **options)
    else:
        path = draw(graph, grads=args.grads, title=title, **options).save(args.out)
    print(f"wrote {path} ({len(graph.nodes)} nodes) in {time.monotonic() - started:.2f} s")
    return 0


def run_stats(args):
    from minigraph.analysis import stats

    graph = example_graph(args.model, args.cell, args.steps, args.layers, args.composed)
    result = stats(graph)
    for key in ("path_to_loss", "longest_path_to_loss"):
        result[key] = {p: {str(t): d for t, d in v.items()} for p, v in result[key].items()}
    result["saved_bytes_by_step"] = {str(t): b for t, b in result["saved_bytes_by_step"].items()}
    print(json.dumps(result, indent=1))
    return 0


def run_bptt(args):
    from .vanishing_gradient import run

    check_picture_output(args.out, [".png", ".svg", ".pdf"])
    run(T=args.steps, steps=args.train_steps, out=args.out, seed=args.seed)
    return 0
