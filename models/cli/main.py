"""The `minigraph` command line."""

import argparse
import difflib
import errno
import os
import sys
import traceback
import warnings

from minigraph import __version__
from minigraph.errors import Interrupted, MinigraphError

from ..shared import interrupt
from .flags import bounded, check_output_folder, non_negative, positive

DEBUG_ENV = "MINIGRAPH_DEBUG"

# hints printed under an error message, by the error's class name
HINTS = {
    "WriteError": "free some space or choose another --out, then --resume",
}


class DefaultsFormatter(argparse.HelpFormatter):
    """Help that shows every option's default, also for options without help text."""

    def _format_action(self, action):
        if action.help is None and self._shows_default(action):
            action.help = "(default: %(default)s)"  # argparse skips options without help
        return super()._format_action(action)

    def _get_help_string(self, action):
        text = action.help or ""
        if self._shows_default(action) and "%(default)" not in text:
            text = f"{text} (default: %(default)s)"
        return text

    @staticmethod
    def _shows_default(action):
        return (action.option_strings and action.nargs != 0 and action.default is not None
                and action.default is not argparse.SUPPRESS)


def _demo(args):
    if args.engine:
        from ..lab.engine_tour import run as tour
        tour(seed=args.seed)
        return 0
    from .demo import OUTPUTS, run

    check_output_folder(args.out, force=args.force, names=OUTPUTS)
    run(out_dir=args.out, seed=args.seed, train_images=args.train_images, minutes=args.minutes,
        progress=not args.quiet, char_minutes=args.char_minutes, force=args.force)
    return 0


class Parser(argparse.ArgumentParser):
    """argparse's parser, but a usage error is one line (and a pointer to --help, or to the
    flag a misspelled one was meant to be) instead of the whole usage text."""

    def parse_known_args(self, args=None, namespace=None):
        self._argv = list(sys.argv[1:] if args is None else args)  # for error()'s hint
        return super().parse_known_args(args, namespace)

    def error(self, message):
        self.exit(2, f"error: {self.prog}: {message}\nhint: {_hint(self, message)}\n")

    def _get_option_tuples(self, option_string):
        """An abbreviation that matches a flag and its own hidden old spelling (--hidd:
        --hidden-size and --hidden) is not ambiguous: keep one match per setting."""
        matches, settings = [], set()
        for match in sorted(super()._get_option_tuples(option_string),
                            key=lambda match: match[0].help == argparse.SUPPRESS):
            if match[0].dest not in settings:
                settings.add(match[0].dest)
                matches.append(match)
        return matches


def _hint(parser, message):
    """Where to look: the command's --help, and for an unknown flag close to one of the
    command's own (or to an old spelling) 'did you mean --hidden-size?' (today's name)."""
    if not message.startswith("unrecognized arguments:"):
        return f"`{parser.prog} --help` lists the options"
    argv = getattr(parser, "_argv", [])
    while True:  # down to the (sub)command the arguments name
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        chosen = [a.choices[word] for a in subs for word in argv if word in a.choices]
        if not chosen:
            break
        parser = chosen[0]
    visible = {a.dest: a.option_strings[-1] for a in parser._actions
               if a.option_strings and a.help != argparse.SUPPRESS}
    spellings = {flag: visible.get(a.dest) for a in parser._actions for flag in a.option_strings
                 if a.dest in visible and flag.startswith("--")}
    for word in message.split(":", 1)[1].split():
        close = difflib.get_close_matches(word.split("=")[0], spellings, n=1, cutoff=0.75)
        if word.startswith("--") and close:
            return f"did you mean {spellings[close[0]]}? (`{parser.prog} --help` lists them)"
    return f"`{parser.prog} --help` lists the options"


def build_parser():
    parser = Parser(prog="minigraph", description=__doc__)
    parser.add_argument("--version", action="version", version=f"minigraph {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help=f"show the Python traceback of an error (or set {DEBUG_ENV}=1)")
    commands = parser.add_subparsers(dest="command")
    demo = commands.add_parser("demo", help="train a small image captioner and draw its graph")
    demo.add_argument("--out", default="minigraph-demo", help="directory for what it writes")
    demo.add_argument("--train-images", type=bounded(1, 200000), default=3000,
                      help="shapes images to make for training (at most 200000)")
    demo.add_argument("--minutes", type=positive(), default=1.5, help="captioner training limit")
    demo.add_argument("--char-minutes", type=positive(), default=0.5,
                      help="char-rnn training limit")
    demo.add_argument("--seed", type=non_negative, default=0, help="seed of every random "
                      "stream")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.add_argument("--force", action="store_true",
                      help="write into --out even where it holds files minigraph did not "
                           "write under the names the demo uses")
    demo.add_argument("--engine", action="store_true",
                      help="instead: a tour of the engine on a tiny RNN (seconds)")
    demo.set_defaults(handler=_demo)
    from .caption import add_commands as add_caption_commands
    add_caption_commands(commands)
    from .char import add_commands as add_char_commands
    add_char_commands(commands)
    from .render import add_commands as add_render_commands
    add_render_commands(commands)
    from .exercise import add_commands as add_exercise_commands
    add_exercise_commands(commands)
    _show_defaults(parser)
    return parser


def _show_defaults(parser):
    """Every parser and sub-parser shows defaults in its help."""
    parser.formatter_class = DefaultsFormatter
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _show_defaults(sub)


def _exit_code(exc):
    if isinstance(exc, Interrupted):  # 130 for Ctrl-C, 143 for SIGTERM
        return interrupt.exit_code(exc.exit_code)
    if isinstance(exc, MinigraphError):
        return exc.exit_code
    if isinstance(exc, OSError) and exc.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR,
                                                  errno.EACCES, errno.EPERM, errno.ENAMETOOLONG):
        return 2  # a path the user gave that cannot be used
    return 1


def _message(exc):
    if isinstance(exc, OSError) and not isinstance(exc, MinigraphError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}"
    return str(exc) or type(exc).__name__


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """A warning on the command line is one line, like an error (no file and source line)."""
    print(f"warning: {message}", file=file or sys.stderr)


def _printable_streams():
    """Whatever a command prints reaches the terminal: a character the output encoding has
    no code for (CJK text to an ASCII terminal, a file name or --prime of bytes that are
    not UTF-8, kept by Python as lone surrogates) is printed as a backslash escape instead
    of ending the command with a UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, OSError):  # not a text stream we may change
            pass


def main(argv=None):
    """Run one command; returns the exit status: 0 done, 1 a run that failed, 2 bad usage
    or input, 130 stopped by Ctrl-C, 143 by SIGTERM. Errors print as one line (``--debug`` or
    MINIGRAPH_DEBUG=1 adds the traceback)."""
    _printable_streams()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed usage and its one-line error
        return exc.code
    debug = args.debug or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    if not hasattr(args, "handler"):
        parser.print_help()
        return 0
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return args.handler(args)
    except KeyboardInterrupt:
        if debug:
            traceback.print_exc()
        print("\ninterrupted", file=sys.stderr)
        return interrupt.exit_code()
    except MemoryError:
        if debug:
            traceback.print_exc()
        print("error: out of memory: the sizes asked for (sizes, counts, lengths in the "
              "flags, or the data) need more memory than this machine has; ask for less",
              file=sys.stderr)
        return 1
    except (MinigraphError, OSError) as exc:
        if debug:
            traceback.print_exc()
        code = _exit_code(exc)
        print(f"{'' if isinstance(exc, Interrupted) else 'error: '}{_message(exc)}",
              file=sys.stderr)
        hint = HINTS.get(type(exc).__name__)
        if hint:
            print(f"hint: {hint}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
