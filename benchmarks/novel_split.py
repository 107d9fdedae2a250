"""The novel-split table of docs/tutorials/07-attention.md in one command: make the shapes
set if it is missing, train each captioner for the same number of minutes, one after the
other, train the attribute scorer, and evaluate everything on val and novel, greedy and
beam, with and without re-ranking.

    python -m benchmarks.novel_split --data shapes --minutes 10 --out novel_split

Writes into --out: the checkpoints, ``runs.json`` (per run: command, seconds, iterations
and the load average when it ended), ``table.json`` and ``table.md``. The machine's load
changes how many iterations fit in the minutes: compare runs by their iteration counts.
"""

import argparse
import json
import os
import sys
import time

from minigraph.checkpoint import load as load_checkpoint
from minigraph.files import atomic_write
from minigraph.models.cli import main as minigraph

CAPTIONERS = {  # name: the `minigraph caption train` flags beyond --data/--out/--minutes
    "plain": ["--cell", "lstm"],
    "attention": ["--cell", "lstm", "--attention"],
}


def run(command, log):
    started = time.monotonic()
    print("$ minigraph " + " ".join(command), flush=True)
    code = minigraph(command)
    if code != 0:
        sys.exit(f"minigraph {' '.join(command)} failed with exit status {code}")
    log.append({"command": "minigraph " + " ".join(command),
                "seconds": round(time.monotonic() - started, 1),
                "load_average": [round(v, 2) for v in os.getloadavg()]})
    return log[-1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="shapes", help="shapes set (made here if missing)")
    parser.add_argument("--minutes", type=float, default=10.0, help="training budget per "
                        "captioner")
    parser.add_argument("--out", default="novel_split", help="folder for everything written")
    parser.add_argument("--only", nargs="+", choices=sorted(CAPTIONERS), default=None,
                        help="train only these captioners")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    log = []
    if not os.path.exists(os.path.join(args.data, "coco2014_captions.h5")):
        run(["shapes", "--out", args.data], log)
    models = []
    for name in args.only or CAPTIONERS:
        path = os.path.join(args.out, f"{name}.h5")
        entry = run(["caption", "train", "--data", args.data, *CAPTIONERS[name],
                     "--minutes", str(args.minutes), "--out", path, "--force",
                     "--quiet"], log)
        entry["iterations"] = len(load_checkpoint(path)["history"].get("loss_history", []))
        models.append(path)
    scorer = os.path.join(args.out, "scorer.h5")
    run(["caption", "scorer", "--data", args.data, "--out", scorer, "--force"], log)
    atomic_write(os.path.join(args.out, "runs.json"), json.dumps(log, indent=1) + "\n")
    table = os.path.join(args.out, "table.json")
    run(["caption", "table", "--data", args.data, "--model", *models, "--scorer", scorer,
         "--results", table, "--force"], log)
    atomic_write(os.path.join(args.out, "runs.json"), json.dumps(log, indent=1) + "\n")
    from minigraph.models.captioning.report import format_table
    with open(table, encoding="utf-8") as f:
        markdown = format_table(json.load(f)["rows"]) + "\n"
    atomic_write(os.path.join(args.out, "table.md"), markdown)
    print(markdown + f"wrote {args.out}/table.md, table.json and runs.json")


if __name__ == "__main__":
    main()
