"""`minigraph exercise list | start NAME [DIR] | check FILE`: the BPTT ladder."""

import os
import sys

from minigraph.errors import MinigraphError, OutputError
from minigraph.files import atomic_write, check_output

from ..lab.exercises.catalog import BY_NAME, LADDER, TOLERANCE
from ..lab.exercises.checking import check_file
from .flags import add_old_spelling, non_negative


def add_commands(commands):
    exercise = commands.add_parser(
        "exercise", help="write the backward of tanh .. truncated BPTT; the engine checks it",
        description="The cs231n-style ladder: each exercise is a Python file with the "
                    "forward given and a NAME_backward(dout, cache) to write.")
    actions = exercise.add_subparsers(dest="exercise_command")
    actions.add_parser("list", help="the exercises, in order")
    start = actions.add_parser("start", help="copy an exercise's skeleton into a folder")
    start.add_argument("name", choices=[e.name for e in LADDER], metavar="NAME",
                       help=f"one of: {', '.join(e.name for e in LADDER)}")
    start.add_argument("dir", nargs="?", default=".", metavar="DIR",
                       help="folder to write NAME.py in (default: here)")
    start.add_argument("--force", action="store_true",
                       help="replace an existing NAME.py (your work in it is lost)")
    check = actions.add_parser("check", help="check the backward in an exercise file")
    check.add_argument("file", metavar="FILE")
    check.add_argument("--seed", type=non_negative, default=0, help="seed of the random inputs")
    check.add_argument("--out", dest="svg", default=None,
                       help="where to draw the graph (default: FILE_check.svg beside FILE)")
    check.add_argument("--force", action="store_true",
                       help="replace an existing --out that minigraph did not write")
    add_old_spelling(check, "--svg", "--out")
    exercise.set_defaults(handler=_run, exercise_parser=exercise)


def _run(args):
    try:
        if args.exercise_command == "list":
            return _list()
        if args.exercise_command == "start":
            return _start(args.name, args.dir, args.force)
        if args.exercise_command == "check":
            return _check(args.file, args.seed, args.svg, args.force)
    except MinigraphError as exc:  # the file, the folder or the student's code: one line
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    args.exercise_parser.print_help()
    return 0


def _list():
    width = max(len(e.name) for e in LADDER)
    for number, exercise in enumerate(LADDER, 1):
        print(f"{number:2d}. {exercise.name:<{width}}  {exercise.summary}")
    print("\nstart one:  minigraph exercise start tanh [DIR]\n"
          "check it:   minigraph exercise check DIR/tanh.py")
    return 0


def _start(name, folder, force):
    exercise = BY_NAME[name]
    path = os.path.join(folder, f"{name}.py")
    if os.path.exists(path) and not force:
        raise OutputError(f"{path} already exists and may hold your work; pass --force to "
                            "replace it with a fresh skeleton, or give another DIR")
    try:
        os.makedirs(folder, exist_ok=True)
        atomic_write(path, exercise.skeleton_text(), overwrite=force)
    except FileExistsError:
        raise OutputError(f"{path} already exists; pass --force to replace it") from None
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    print(f"wrote {path}: fill in {exercise.backward_name}(), then run\n"
          f"  minigraph exercise check {path}")
    return 0


def _check(path, seed, svg, force=False):
    if svg and not svg.lower().endswith(".svg"):  # a typo must not overwrite your work
        raise OutputError(f"--out {svg}: the file name must end in .svg")
    svg = svg or os.path.splitext(path)[0] + "_check.svg"
    if os.path.isfile(path):  # else check_file says what is wrong with FILE
        check_output(svg, "--out", force, inputs=[path])  # before any verdict is printed
    result = check_file(path, seed=seed)
    exercise = result.exercise
    print(f"exercise {exercise.name}: {exercise.backward_name} in {path}")
    print(f"random float64 inputs and upstream gradients (seed {seed}); PASS when the "
          f"relative error is below {TOLERANCE:.0e}\nagainst both centered differences "
          "(numerical) and minigraph's engine on the same forward (engine)")
    name_width = max(4, *(len(row.grad) for row in result.rows))
    print(f"  {'grad':<{name_width}}  {'shape':<12}  {'numerical':>9}  {'engine':>9}")
    for name, row in zip(exercise.inputs, result.rows):
        shape = str(row.shape)
        if row.problem:
            numbers = f"{row.problem}"
        else:
            numbers = f"{row.numeric_error:9.1e}  {row.engine_error:9.1e}"
        verdict = "PASS" if row.passed else "FAIL"
        line = f"  {row.grad:<{name_width}}  {shape:<12}  {numbers}  {verdict}"
        hint = exercise.hints.get(name)
        if not row.passed and hint:
            line += f"  ({hint})"
        print(line)
    wrong = [row.grad for row in result.rows if not row.passed]
    if wrong:
        print(f"{len(wrong)} of {len(result.rows)} gradients wrong: {', '.join(wrong)}")
    else:
        print(f"all {len(result.rows)} gradients right")
    try:
        from ..lab.exercises.picture import write_check_svg
        write_check_svg(result, svg)
        print(f"graph: {svg}" + (" (red edges: the inputs whose gradient is wrong)"
                                 if wrong else ""))
    except Exception as exc:  # noqa: BLE001 - the verdict stands without the picture
        print(f"(no picture: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__})",
              file=sys.stderr)
    return 0 if result.passed else 1
