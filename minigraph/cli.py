"""The `minigraph` command line."""

import argparse
import sys

from . import __version__


def _demo(args):
    from .demo import run
    run(seed=args.seed)
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="minigraph", description=__doc__)
    parser.add_argument("--version", action="version", version=f"minigraph {__version__}")
    commands = parser.add_subparsers(dest="command")
    demo = commands.add_parser("demo", help="build, run and differentiate a small RNN graph")
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(handler=_demo)
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
