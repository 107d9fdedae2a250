"""The `minigraph` command line."""

import argparse
import sys

from minigraph import __version__


def _demo(args):
    if args.engine:
        from .engine_tour import run as tour
        tour(seed=args.seed)
        return 0
    from .demo import run
    run(out_dir=args.out, seed=args.seed, train_images=args.train_images, minutes=args.minutes,
        progress=not args.quiet, char_minutes=args.char_minutes)
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="minigraph", description=__doc__)
    parser.add_argument("--version", action="version", version=f"minigraph {__version__}")
    commands = parser.add_subparsers(dest="command")
    demo = commands.add_parser("demo", help="train a small image captioner and draw its graph")
    demo.add_argument("--out", default="minigraph-demo", help="directory for what it writes")
    demo.add_argument("--train-images", type=int, default=3000)
    demo.add_argument("--minutes", type=float, default=1.5, help="captioner training limit")
    demo.add_argument("--char-minutes", type=float, default=0.5, help="char-rnn training limit")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.add_argument("--engine", action="store_true",
                      help="instead: a tour of the engine on a tiny RNN (seconds)")
    demo.set_defaults(handler=_demo)
    from .caption_commands import add_commands as add_caption_commands
    add_caption_commands(commands)
    from .char_commands import add_commands as add_char_commands
    add_char_commands(commands)
    from .render_commands import add_commands as add_render_commands
    add_render_commands(commands)
    from .exercises.commands import add_commands as add_exercise_commands
    add_exercise_commands(commands)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 0
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
