"""Every command's flags follow one set of naming rules, and every option's help shows its
default: walks the parser of every subcommand, so a new flag is checked too."""

import argparse
import re

import pytest

from minigraph.models.cli import build_parser, main

# one meaning, one spelling: the spellings on the left are not to be used for new flags
# (the old ones still parse, hidden, so that scripts keep working). A model's setting is
# spelled like the model constructor's argument (CharRNN's hidden_size and num_layers, the
# captioners' hidden_dim, wordvec_dim and cell_type; models/shared/renamed.py).
MODEL_WORDS = "the model constructor's word: --hidden-size, --num-layers, --hidden-dim..."
SYNONYMS = {
    "--max-minutes": "--minutes", "--time": "--minutes", "--train-steps": "--iterations",
    "--steps-per-model": "--iterations", "--iters": "--iterations", "--num-iterations":
    "--iterations", "--batch": "--batch-size", "--batchsize": "--batch-size", "--bs":
    "--batch-size", "--output": "--out", "--outfile": "--out", "--svg": "--out",
    "--random-seed": "--seed", "--rng": "--seed", "--hidden": MODEL_WORDS,
    "--layers": "--num-layers", "--wordvec": "--wordvec-dim", "--optimizer": "--update-rule",
    "--learning-rate": "--lr", "--epoch": "--epochs", "--checkpoint": "--model",
    "--ckpt": "--model",
}
ALIASES = {  # hidden old spellings: (command, old) -> new
    ("char train", "--max-minutes"): "--minutes",
    ("caption train", "--max-minutes"): "--minutes",
    ("bptt", "--train-steps"): "--iterations",
    ("bptt", "--json"): "--results",
    ("render", "--model"): "--kind",
    ("stats", "--model"): "--kind",
    ("exercise check", "--svg"): "--out",
    ("char neurons", "--k"): "--reach",
    ("char train", "--hidden"): "--hidden-size",
    ("char train", "--layers"): "--num-layers",
    ("char train", "--optimizer"): "--update-rule",
    ("caption train", "--hidden"): "--hidden-dim",
    ("caption train", "--wordvec"): "--wordvec-dim",
    ("caption train", "--cell"): "--cell-type",
    ("render", "--layers"): "--num-layers",
    ("stats", "--layers"): "--num-layers",
}


def commands(parser=None, prefix=""):
    """(command name, parser) for every parser that has no subcommands of its own."""
    parser = parser or build_parser()
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield prefix.strip(), parser
    for action in subs:
        for name, sub in action.choices.items():
            yield from commands(sub, f"{prefix} {name}")


def visible_options(parser):
    for action in parser._actions:
        if action.option_strings and action.help != argparse.SUPPRESS and not isinstance(
                action, (argparse._HelpAction, argparse._VersionAction)):
            yield action


def kind_of(action):
    """What a flag takes: a switch, or a value of some type, from a fixed list or not."""
    if action.nargs == 0:
        return "switch"
    name = getattr(action.type, "__name__", "str") if action.type else "str"
    return name.split()[0] + (" from a list" if action.choices else "")


ALL = list(commands())


def test_the_walk_finds_every_command():
    names = {name for name, _ in ALL}
    assert {"demo", "shapes", "char train", "char sample", "char eval", "char neurons",
            "caption train", "caption eval", "caption sample", "caption gallery", "render",
            "stats", "bptt", "exercise start", "exercise check"} <= names


@pytest.mark.parametrize("name, parser", ALL, ids=[name for name, _ in ALL])
def test_flags_are_lowercase_words_joined_by_hyphens(name, parser):
    for action in visible_options(parser):
        for flag in action.option_strings:
            assert re.fullmatch(r"--[a-z][a-z0-9]*(-[a-z0-9]+)*", flag), (name, flag)
            assert len(flag) > 3, f"{name} {flag}: say what it is in a word"
            assert flag not in SYNONYMS, f"{name} {flag}: spell it {SYNONYMS[flag]}"


@pytest.mark.parametrize("name, parser", ALL, ids=[name for name, _ in ALL])
def test_every_option_has_help_and_shows_its_default(name, parser, capsys):
    text = parser.format_help()
    for action in visible_options(parser):
        assert action.help, f"{name} {action.option_strings[0]} has no help text"
        if action.nargs != 0 and action.default not in (None, argparse.SUPPRESS):
            assert f"(default: {action.default})" in " ".join(text.split()), \
                f"{name} {action.option_strings[0]}: the help does not show its default"


def test_one_flag_name_means_one_kind_of_value_in_every_command():
    seen = {}
    for name, parser in ALL:
        for action in visible_options(parser):
            for flag in action.option_strings:
                seen.setdefault(flag, {}).setdefault(kind_of(action), []).append(name)
    mixed = {flag: kinds for flag, kinds in seen.items() if len(kinds) > 1}
    assert not mixed, mixed


def test_the_same_setting_is_checked_the_same_way_everywhere():
    """--seed is a whole number >= 0 wherever it appears; --out is a path everywhere."""
    for name, parser in ALL:
        for action in visible_options(parser):
            if "--seed" in action.option_strings:
                assert action.type.__name__ == "int >= 0", name
            if "--out" in action.option_strings:
                assert action.type is None and action.nargs is None, name


@pytest.mark.parametrize("command, old", sorted(ALIASES), ids=lambda v: str(v))
def test_old_spellings_still_parse_but_are_hidden(command, old):
    parser = dict(ALL)[command]
    new = ALIASES[(command, old)]
    by_flag = {flag: action for action in parser._actions for flag in action.option_strings}
    assert by_flag[old].dest == by_flag[new].dest
    assert by_flag[old].help == argparse.SUPPRESS
    assert old not in parser.format_usage().split()
    assert old not in [flag for action in visible_options(parser) for flag in action.option_strings]


@pytest.mark.parametrize("argv, dest, value", [
    (["char", "train", "--max-minutes", "3"], "max_minutes", 3.0),
    (["char", "train", "--minutes", "3"], "max_minutes", 3.0),
    (["bptt", "--train-steps", "7"], "train_steps", 7),
    (["render", "--model", "char"], "model", "char"),
    (["render", "--kind", "char"], "model", "char"),
    (["char", "train", "--hidden", "24"], "hidden_size", 24),
    (["char", "train", "--hidden-size", "24"], "hidden_size", 24),
    (["char", "train", "--layers", "3"], "num_layers", 3),
    (["char", "train", "--optimizer", "sgd"], "update_rule", "sgd"),
    (["caption", "train", "--data", "d", "--hidden", "24"], "hidden_dim", 24),
    (["caption", "train", "--data", "d", "--wordvec", "12"], "wordvec_dim", 12),
    (["caption", "train", "--data", "d", "--cell", "gru"], "cell_type", "gru"),
    (["stats", "--layers", "3"], "num_layers", 3),
])
def test_an_alias_sets_the_same_setting(argv, dest, value):
    assert getattr(build_parser().parse_args(argv), dest) == value


def test_an_alias_is_validated_like_the_flag(capsys):
    assert main(["char", "train", "--max-minutes", "0"]) == 2
    assert "must be greater than 0" in capsys.readouterr().err


def bad_values(action):
    """Values the flag's type must refuse: not a number, and just below its range."""
    name = getattr(action.type, "__name__", "")
    values = ["many"] if name.startswith(("int", "float", "fraction")) else []
    bounds = re.fullmatch(r"(int|float) in (\S+)\.\.(\S+)", name)
    if bounds:  # a size flag with a budget (flags.bounded): just below and just above
        kind = int if bounds[1] == "int" else float
        low, high = kind(bounds[2]), kind(bounds[3])
        values += [str(low - 1 if kind is int else low - 0.5),
                   str(high + 1 if kind is int else high * 1.5)]
    elif name.startswith("int >= "):
        values.append(str(int(name.split(">= ")[1].split()[0]) - 1))
    elif name.startswith("float >= "):
        values.append("-0.5")
    elif name.endswith("> 0"):
        values.append("0")
    elif name == "fraction":
        values += ["1", "-0.1"]
    if name.startswith("float") or name == "fraction":
        values.append("nan")
    if action.choices:
        values.append("bogus")
    return values


VALUE_CASES = [(name, flag, bad) for name, parser in ALL for action in visible_options(parser)
               for flag in action.option_strings[:1] for bad in bad_values(action)]


def test_every_checked_flag_is_covered():
    assert len(VALUE_CASES) > 60
    assert ("char train", "--dropout", "1") in VALUE_CASES
    assert ("bptt", "--steps", "1") in VALUE_CASES
    assert ("bptt", "--steps", "501") in VALUE_CASES
    assert ("render", "--num-layers", "5") in VALUE_CASES


@pytest.mark.parametrize("name, flag, bad", VALUE_CASES,
                         ids=[f"{n}{f}={b}" for n, f, b in VALUE_CASES])
def test_every_checked_flag_refuses_a_bad_value_in_one_line(name, flag, bad, capsys):
    assert main([*name.split(), flag, bad]) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert "Traceback" not in out + err and len(lines) <= 2, err
    assert lines[0].startswith("error: ") and f"argument {flag}" in lines[0], err
