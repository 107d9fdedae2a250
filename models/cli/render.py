"""`minigraph render`, `minigraph stats` and `minigraph bptt`: pictures and numbers of the
unrolled graphs of the two models."""

import json
import os
import time

from minigraph.errors import UsageError

from ..lab.example_graphs import example_graph
from .flags import (
    add_force_flag,
    add_old_spelling,
    bounded,
    check_picture_output,
    cores_available,
    count,
    non_negative,
)

# Budgets: a drawing of 64 steps has 656 nodes and takes Graphviz 6 s to lay out (its time
# grows faster than the node count), and more cannot be read; counting (stats) is cheap:
# 1000 steps of 4 layers take 12 s and 250 MB.
DRAWN_STEPS, DRAWN_LAYERS = 64, 4
COUNTED_STEPS, COUNTED_LAYERS = 1000, 16


def add_commands(commands):
    render = commands.add_parser("render", help="draw a model's unrolled graph")
    render.add_argument("--kind", dest="model", choices=["captioning", "attention", "char"],
                        default="captioning", help="which model to draw: captioning "
                        "(cs231n), attention (the captioner with soft attention over a 2x2 "
                        "grid of image cells) or char (char-rnn); --model elsewhere names a "
                        "checkpoint file")
    add_old_spelling(render, "--model", "--kind")
    render.add_argument("--cell", choices=["rnn", "lstm", "gru"], default="lstm",
                        help="recurrent cell")
    render.add_argument("--steps", type=bounded(1, DRAWN_STEPS), default=4,
                        help=f"timesteps to unroll (at most {DRAWN_STEPS})")
    render.add_argument("--num-layers", type=bounded(1, DRAWN_LAYERS), default=1,
                        help=f"char model layers (at most {DRAWN_LAYERS})")
    add_old_spelling(render, "--layers", "--num-layers")
    render.add_argument("--view", choices=["unrolled", "rolled", "window"], default="unrolled",
                        help="every step drawn (unrolled), the loop (rolled), or one window")
    render.add_argument("--grads", action="store_true", help="colour nodes by gradient norm")
    render.add_argument("--loss", choices=["all", "last"], default="all",
                        help="a loss at every step (all) or at the last step only (last: the "
                        "vanishing gradient shows as colour fading right to left)")
    render.add_argument("--composed", action="store_true",
                        help="cells built from primitive ops instead of one fused node")
    render.add_argument("--no-labels", action="store_true", help="no names and shapes on "
                        "the drawing")
    render.add_argument("--html", action="store_true",
                        help="interactive step-through page (also chosen by --out x.html)")
    render.add_argument("--out", default="graph.svg", help=".svg .png .pdf .dot or .html")
    add_force_flag(render)
    render.set_defaults(handler=run_render)

    stats = commands.add_parser("stats", help="node, FLOP and memory counts of a model graph")
    for action in render._actions:
        if action.dest in ("model", "cell", "composed"):
            stats._add_action(action)  # the hidden --model too: shared, not copied
    # counting has larger budgets than drawing: its own --steps and --num-layers
    stats.add_argument("--steps", type=bounded(1, COUNTED_STEPS), default=4,
                       help=f"timesteps to unroll (at most {COUNTED_STEPS})")
    stats.add_argument("--num-layers", type=bounded(1, COUNTED_LAYERS), default=1,
                       help=f"char model layers (at most {COUNTED_LAYERS})")
    add_old_spelling(stats, "--layers", "--num-layers")
    stats.add_argument("--json", action="store_true", help="print JSON instead of a table")
    stats.add_argument("--memory-plot", default=None, metavar="PNG",
                       help="also plot the bytes saved for backward against T (1 .. 32)")
    add_force_flag(stats)
    stats.set_defaults(handler=run_stats)

    bptt = commands.add_parser(
        "bptt", help="how far back gradients reach: the recall experiment over seeds "
        "(rnn, lstm, gru), or with --heatmap the gradient of every loss step")
    bptt.add_argument("--steps", type=bounded(2, 500), default=None,
                      help="sequence length T (default 40 for the experiment, 30 for "
                      "--heatmap; at most 500)")
    bptt.add_argument("--iterations", dest="train_steps", type=count, default=None,
                      help="Adam steps per model (default 400)")
    add_old_spelling(bptt, "--train-steps", "--iterations")
    bptt.add_argument("--seeds", type=bounded(1, 100), default=5,
                      help="how many seeds (at most 100)")
    bptt.add_argument("--seed", type=non_negative, default=0,
                      help="first seed: runs seeds seed .. seed + seeds - 1")
    bptt.add_argument("--jobs", type=bounded(1, cores_available()),
                      default=min(2, cores_available()),
                      help="worker processes (default: 2, or 1 on one core; at most "
                      f"{cores_available()}, the cores available)")
    bptt.add_argument("--out", default="bptt.png", help="the experiment's figure (.png)")
    bptt.add_argument("--results", dest="json", default=None, metavar="JSON",
                      help="also write final loss, chance loss and gradient reach per cell "
                      "and seed to this JSON file")
    add_old_spelling(bptt, "--json", "--results")
    bptt.add_argument("--heatmap", default=None, metavar="PNG",
                      help="instead of the experiment: |dL_s/dh_t| heatmaps for rnn, lstm "
                      "and gru at recurrent spectral radius 0.5, 1 and 1.5 (seconds)")
    add_force_flag(bptt)
    bptt.set_defaults(handler=run_bptt)


def run_render(args):
    import minigraph as mg
    from minigraph.draw import draw, write_step_page

    check_picture_output(args.out, [".svg", ".png", ".pdf", ".dot", ".html"], force=args.force)
    page = args.out if args.out.endswith(".html") else os.path.splitext(args.out)[0] + ".html"
    if args.html and page != args.out:  # the page is written under another name: check it
        check_picture_output(page, [".html"], force=args.force)

    with mg.trace() as record:  # the step page replays this forward and backward
        graph = example_graph(args.model, args.cell, args.steps, args.num_layers, args.composed,
                              drawing=True, loss=args.loss)
    title = (f"{args.model} {args.cell}{' (composed)' if args.composed else ''}, "
             f"{args.steps} steps{', loss at the last step only' if args.loss == 'last' else ''}")
    options = {"view": args.view, "labels": not args.no_labels}
    started = time.monotonic()
    if args.html or args.out.endswith(".html"):
        path = page
        write_step_page(record, path, title=title, graph=graph)
    else:
        path = draw(graph, grads=args.grads, title=title, **options).save(args.out)
    print(f"wrote {path} ({len(graph.nodes)} nodes) in {time.monotonic() - started:.2f} s")
    return 0


def run_stats(args):
    from ..lab.stats_table import format_table, memory_against_T, plot_memory, table_data

    if args.memory_plot:  # a typo must not overwrite, say, a text file
        check_picture_output(args.memory_plot, [".png", ".svg", ".pdf"], "--memory-plot",
                             force=args.force)
    graph = example_graph(args.model, args.cell, args.steps, args.num_layers, args.composed)
    result = table_data(graph)
    title = (f"{args.model} {args.cell}{' (composed)' if args.composed else ' (fused)'}, "
             f"{args.steps} steps, batch of 2")
    if args.json:
        print(json.dumps(_json_keys(result), indent=1))
    else:
        print(format_table(result, title))
    if args.memory_plot:
        points = memory_against_T(lambda T: example_graph(args.model, args.cell, T, args.num_layers,
                                                          args.composed))
        plot_memory(points, args.memory_plot, f"{args.model} {args.cell} (batch 2, hidden 8): "
                    "bytes BPTT keeps for backward")
        print(f"wrote {args.memory_plot}")
    return 0


def _json_keys(value):
    """JSON object keys must be strings: timesteps become "0", "1", ...; None (a use
    outside any timestep) becomes "all"."""
    if isinstance(value, dict):
        return {("all" if k is None else str(k)): _json_keys(v) for k, v in value.items()}
    return value


def run_bptt(args):
    started = time.monotonic()
    check_picture_output(args.heatmap or args.out, [".png", ".svg", ".pdf"],
                         "--heatmap" if args.heatmap else "--out", force=args.force)
    if args.json and not args.heatmap:
        check_picture_output(args.json, [".json"], "--results", force=args.force)
        from minigraph.files import same_file

        if same_file(args.json, args.out):
            raise UsageError("--results and --out name one file; give each its own")
    if args.heatmap:
        from ..lab.gradient_flow import run_heatmap
        run_heatmap(args.heatmap, T=args.steps or 30, seed=args.seed)
        print(f"took {time.monotonic() - started:.1f} s")
        return 0
    from ..lab.bptt_figures import plot, summary_lines, write_json
    from ..lab.vanishing_gradient import experiment
    settings = {key: value for key, value in (("T", args.steps), ("steps", args.train_steps))
                if value is not None}
    seeds = list(range(args.seed, args.seed + args.seeds))
    print(f"training rnn, lstm, lstm with forget bias 0 and gru on seeds {seeds[0]}.."
          f"{seeds[-1]} in {args.jobs} process{'es' if args.jobs > 1 else ''}")
    results = experiment(seeds, settings, jobs=args.jobs, progress=True)
    for line in summary_lines(results):
        print(line)
    plot(results, args.out, settings)
    print(f"wrote {args.out}")
    if args.json:
        write_json(results, args.json, settings)
        print(f"wrote {args.json}")
    print(f"took {time.monotonic() - started:.1f} s "
          f"({sum(r['cpu_seconds'] for r in results):.1f} s of CPU in the workers)")
    return 0
