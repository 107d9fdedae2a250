"""The `minigraph char` commands end to end, and the neuron page in a real browser."""

import re

import pytest

from minigraph.models.cli import main

from . import browser

pytestmark = pytest.mark.slow  # every test here trains a model or reads one trained here
TEXT = "".join(f'x{i} = foo("bar", [{i}, {i + 1}])\n' for i in range(400))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("char")
    text = folder / "code.txt"
    text.write_text(TEXT, encoding="utf-8")
    model = folder / "m.h5"
    assert main(["char", "train", "--text", str(text), "--iterations", "40", "--hidden", "24",
                 "--layers", "2", "--seq-len", "16", "--batch-size", "8", "--eval-every",
                 "20", "--sample-every", "20", "--out", str(model), "--quiet"]) == 0
    return folder, text, model


def test_train_writes_checkpoint_plot_and_sample_log(trained):
    folder, _, model = trained
    assert model.stat().st_size > 1000
    assert (folder / "m_loss.png").stat().st_size > 1000
    samples = (folder / "m_samples.txt").read_text(encoding="utf-8")
    assert "==== iteration 20 ====" in samples and "==== iteration 40 ====" in samples


def test_sample_at_temperature_zero_is_repeatable(trained, capsys):
    _, _, model = trained
    args = ["char", "sample", "--model", str(model), "--temperature", "0", "--length", "40",
            "--prime", "x1"]
    main(args)
    first = capsys.readouterr().out
    main(args)
    assert capsys.readouterr().out == first and first.startswith("x1")


def test_eval_reports_nats_and_bits(trained, capsys):
    _, text, model = trained
    assert main(["char", "eval", "--model", str(model), "--text", str(text)]) == 0
    nats, bits = map(float, re.findall(r"([\d.]+) (?:nats|bits)/char", capsys.readouterr().out))
    assert bits == pytest.approx(nats / 0.693147, rel=1e-3) and 0 < nats < 4.5


def test_resume_from_the_command_line(trained, capsys):
    _, text, model = trained
    assert main(["char", "train", "--text", str(text), "--out", str(model), "--resume",
                 "--iterations", "5", "--eval-every", "0", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "resuming" in out and "45 iterations" in out


def test_neuron_page_is_self_contained(trained):
    folder, text, model = trained
    page = folder / "neurons.html"
    assert main(["char", "neurons", "--model", str(model), "--text", str(text), "--chars",
                 "300", "--k", "10", "--compare", str(model), "--out", str(page)]) == 0
    source = page.read_text(encoding="utf-8")
    assert "http://" not in source.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in source and "src=" not in source and "<link" not in source
    assert "tracks inside brackets" not in source  # built by the script, not static HTML
    assert '"inside brackets"' in source and '"inside quotes"' in source
    assert '"label": "LSTM m.h5"' in source  # the compared model's strips


@pytest.mark.skipif(browser.chromium() is None, reason="no Chromium installed")
def test_neuron_page_renders_in_headless_chromium(trained, tmp_path):
    folder, text, model = trained
    page = folder / "neurons.html"
    main(["char", "neurons", "--model", str(model), "--text", str(text), "--chars", "300",
          "--k", "10", "--out", str(page)])
    dom = browser.dump_dom(page, tmp_path / "profile")
    assert len(re.findall(r'class="ch[ "]', dom)) == 300  # every character, drawn by script
    assert dom.count('class="gbar"') == 10  # the opening gradient strip, k bars
    assert 'class="chip now"' in dom and "tracks" in dom
    png = browser.screenshot(page, tmp_path / "profile", tmp_path / "shot.png", "1400,900")
    assert png.stat().st_size > 10_000


def test_train_on_the_packaged_shakespeare(tmp_path, capsys):
    model = tmp_path / "bard.h5"
    assert main(["char", "train", "--text", "shakespeare", "--iterations", "3", "--hidden", "8",
                 "--layers", "1", "--seq-len", "8", "--batch-size", "4", "--eval-every", "0",
                 "--sample-every", "0", "--out", str(model), "--quiet"]) == 0
    assert re.search(r"3 iterations, .* validation \d+\.\d+ nats/char", capsys.readouterr().out)
    from minigraph.models.charrnn.model import CharRNN
    assert len(CharRNN.load(model)[0].chars) == 65  # the plays' 65 characters
