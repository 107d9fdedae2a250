"""Every size flag of every command has a budget stated in its help, and a value over it is
refused in one line before anything is allocated or started (flags.bounded)."""

import pytest

from minigraph.models.cli import build_parser, main
from minigraph.models.cli.flags import cores_available

from .test_cli_flags import ALL, visible_options

# numeric flags that are not sizes: seeds, rates, time limits and durations (bounded by
# --minutes or by the user's patience, never by memory: nothing is allocated per step)
NOT_SIZES = {"seed", "lr", "lr_decay", "proj_lr", "clip", "dropout", "temperature", "minutes",
             "max_minutes", "char_minutes", "epochs", "iterations", "train_steps", "warmup",
             "eval_every", "sample_every", "horizon"}
SIZE_FLAGS = [(name, action) for name, parser in ALL for action in visible_options(parser)
              if action.type not in (None, str) and not isinstance(action.type, type)
              and action.dest not in NOT_SIZES]


def test_the_size_flags_are_found():
    found = {(name, action.option_strings[0]) for name, action in SIZE_FLAGS}
    assert {("bptt", "--jobs"), ("bptt", "--steps"), ("render", "--num-layers"),
            ("stats", "--steps"), ("char train", "--hidden-size"),
            ("char train", "--max-text-mb"), ("char sample", "--length")} <= found
    assert len(found) >= 30


@pytest.mark.parametrize("name, action", SIZE_FLAGS,
                         ids=[f"{n} {a.option_strings[0]}" for n, a in SIZE_FLAGS])
def test_every_size_flag_states_its_budget_in_its_help(name, action):
    maximum = getattr(action.type, "maximum", None)
    assert maximum is not None, f"{name} {action.option_strings[0]} has no budget"
    assert "at most" in action.help and (f"{maximum}" in action.help
                                         or f"{maximum:,}" in action.help), action.help


@pytest.mark.parametrize("argv, message", [
    (["bptt", "--jobs", "500"], f"must be at most {cores_available():,}"),
    (["render", "--steps", "65"], "must be at most 64"),
    (["render", "--num-layers", "5"], "must be at most 4"),
    (["stats", "--steps", "1001"], "must be at most 1,000"),
    (["char", "train", "--hidden-size", "2560000"], "must be at most 4,096"),
    (["char", "sample", "--model", "m.h5", "--length", "10000000000"],
     "must be at most 1,000,000"),
    (["caption", "train", "--data", "d", "--batch-size", "100000"], "must be at most 4,096"),
    (["shapes", "--train", "10000000"], "must be at most 200,000"),
])
def test_a_size_over_its_budget_is_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) <= 2 and err[0].startswith("error: ") and message in err[0], err


def test_counting_allows_more_steps_than_drawing():
    parser = build_parser()
    assert parser.parse_args(["stats", "--steps", "1000", "--layers", "16"]).steps == 1000
    with pytest.raises(SystemExit):
        parser.parse_args(["render", "--steps", "1000"])


def test_a_memory_error_is_one_line_and_exit_1(monkeypatch, capsys):
    from minigraph.models.cli import render

    def exhausted(args):
        raise MemoryError

    monkeypatch.setattr(render, "run_stats", exhausted)
    parser_default = build_parser().parse_args(["stats"]).handler
    assert parser_default is exhausted
    assert main(["stats"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [err[0]] and err[0].startswith("error: out of memory")


def test_jobs_default_fits_the_cores():
    assert build_parser().parse_args(["bptt"]).jobs == min(2, cores_available())
