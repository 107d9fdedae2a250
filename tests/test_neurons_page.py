"""The neuron page in headless Chromium: what it opens on, the layer and gate switch, span
selection, the gradient strip against the engine, and markup in the text or vocabulary
shown as text, never run. Skipped without Chromium, chromedriver or selenium."""

import numpy as np
import pytest

from minigraph.models.charrnn.model import CharRNN
from minigraph.models.lab.neuron_record import record
from minigraph.models.lab.neurons import write_neuron_page

from . import browser
from .test_neurons import single_window_norms

PLAY = ''.join(f'ROMEO:\nBut soft, "what light {i}" (through yonder)?\n\nJULIET:\nAy me.\n'
               for i in range(8))
HOSTILE = '</script><img src=x onerror="window.__pwned=1"><!--'
K = 16


@pytest.fixture(scope="module")
def driver():
    d = browser.webdriver()
    if d is None:
        pytest.skip("selenium, Chromium or chromedriver missing")
    yield d
    d.quit()


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("neurons")
    model = CharRNN(len(set(PLAY)), hidden_size=12, num_layers=2, chars=sorted(set(PLAY)))
    rnn = CharRNN(len(set(PLAY)), hidden_size=9, num_layers=1, cell="rnn", chars=sorted(set(PLAY)))
    data = write_neuron_page(model, PLAY, folder / "n.html", k=K, compare=[("RNN r.h5", rnn)])
    ids = np.array([model.chars.index(c) for c in PLAY])
    return folder / "n.html", model, ids, record(model, ids)["values"], data, rnn


def by(css):
    from selenium.webdriver.common.by import By
    return By.CSS_SELECTOR, css


def test_page_opens_on_the_cell_with_the_strongest_correlation(driver, page):
    path, _, _, _, data, _ = page
    driver.get(path.as_uri())
    body = driver.find_element(*by("body"))
    strongest = max((row["cells"][0] for row in data["signals"]), key=lambda c: abs(c["r"]))
    assert abs(strongest["r"]) > 0.3
    shown = {k: body.get_attribute(f"data-{k}") for k in ("layer", "kind", "unit")}
    assert shown == {k: str(strongest["cell"][k]) for k in ("layer", "kind", "unit")}
    assert f"r = {strongest['r']:.2f}" in driver.find_element(*by("#now")).text
    chip = driver.find_element(*by(".chip.now"))
    assert float(chip.get_attribute("data-r")) == strongest["r"]
    assert len(driver.find_elements(*by("#text .ch"))) == len(PLAY)
    assert driver.execute_script("return document.documentElement.scrollHeight") <= 1000


def hover_value(driver, t):
    from selenium.webdriver.common.action_chains import ActionChains
    ActionChains(driver).move_to_element(driver.find_elements(*by("#text .ch"))[t]).perform()
    info = driver.find_element(*by("#info")).text
    return float(info.split(" = ")[1].split()[0])


def test_layer_and_gate_buttons_switch_what_colours_the_text(driver, page):
    path, _, _, values, _, _ = page
    driver.get(path.as_uri())
    before = driver.find_elements(*by("#text .ch"))[30].value_of_css_property("background-color")
    driver.find_element(*by('#layers button[data-layer="0"]')).click()
    driver.find_element(*by('#kinds button[data-kind="f"]')).click()
    unit = driver.find_element(*by("#unit"))
    unit.clear()
    unit.send_keys("5\n")
    body = driver.find_element(*by("body"))
    assert [body.get_attribute(f"data-{k}") for k in ("layer", "kind", "unit")] == ["0", "f", "5"]
    assert "layer 1, forget gate f, cell 5" in driver.find_element(*by("#now")).text
    after = driver.find_elements(*by("#text .ch"))[30].value_of_css_property("background-color")
    assert after != before
    for t in (3, 30, 77):  # the value shown is the graph's forget gate (int8 on the page)
        assert hover_value(driver, t) == pytest.approx(values["f"][0, t, 5], abs=0.01)
    driver.find_element(*by('#kinds button[data-kind="c"]')).click()
    assert hover_value(driver, 30) == pytest.approx(values["c"][0, 30, 5], abs=0.01)


def test_selecting_a_span_lists_the_cells_most_on_inside_it(driver, page):
    from selenium.webdriver.common.action_chains import ActionChains
    path, _, _, values, _, _ = page
    driver.get(path.as_uri())
    driver.find_element(*by('#layers button[data-layer="1"]')).click()
    driver.find_element(*by('#kinds button[data-kind="h"]')).click()
    spans = driver.find_elements(*by("#text .ch"))
    a, b = PLAY.index('"what'), PLAY.index('" (')
    ActionChains(driver).click_and_hold(spans[a]).move_to_element(spans[b]).release().perform()
    rows = driver.find_elements(*by("#span-cells tr"))
    assert len(rows) == 8
    z = [float(r.get_attribute("data-z")) for r in rows]
    assert z == sorted(z, reverse=True)
    table = driver.find_element(*by("#span-cells"))
    first, last = int(table.get_attribute("data-from")), int(table.get_attribute("data-to"))
    assert abs(first - a) <= 1 and abs(last - b) <= 1  # the mouse lands mid-character
    h = values["h"][1]
    inside = h[first:last + 1].mean(axis=0)
    expected = (inside - h.mean(axis=0)) / h.std(axis=0)
    assert z[0] == pytest.approx(expected.max(), abs=0.02)
    assert int(rows[0].get_attribute("data-unit")) in np.argsort(-expected)[:2]
    assert "what light" in driver.find_element(*by("#span-title")).text


def test_clicking_a_character_shows_k_gradient_norms_from_the_engine(driver, page):
    path, model, ids, values, _, rnn = page
    driver.get(path.as_uri())
    for layer in (1, 0):
        driver.find_element(*by(f'#layers button[data-layer="{layer}"]')).click()
        p = PLAY.index("JULIET", 100)
        driver.find_elements(*by("#text .ch"))[p].click()
        bars = driver.find_elements(*by("#strip .gbar"))
        assert len(bars) == K
        shown = np.array([float(b.get_attribute("data-norm")) for b in bars])
        expected = single_window_norms(model, ids, p, K, values, layer)[::-1]  # oldest first
        np.testing.assert_allclose(shown, expected, rtol=1e-4)
        assert len(driver.find_elements(*by("#text .win"))) == K
        assert "'J'" in driver.find_element(*by("#strip-title")).text
    # the compared RNN: a line over the same k characters, from its own graph
    dots = driver.find_elements(*by("#strip .cbar"))
    shown = np.array([float(d.get_attribute("data-norm")) for d in dots])
    rnn_values = record(rnn, ids)["values"]
    expected = single_window_norms(rnn, ids, p, K, rnn_values, 0)[::-1]
    np.testing.assert_allclose(shown, expected, rtol=1e-4)
    assert "RNN r.h5" in driver.find_element(*by("#strip-plot")).text


def assert_shown_not_run(driver, path, hostile):
    driver.get(path.as_uri())
    assert driver.execute_script("return window.__pwned") is None
    assert driver.execute_script("return document.images.length") == 0
    assert driver.find_element(*by("body")).get_attribute("data-unit") is not None  # script ran
    assert HOSTILE not in path.read_text(encoding="utf-8")


def test_markup_in_the_training_text_is_shown_as_text(driver, tmp_path):
    text = PLAY[:200] + HOSTILE + "\n" + PLAY[:100]
    model = CharRNN(len(set(text)), hidden_size=6, num_layers=1, chars=sorted(set(text)))
    write_neuron_page(model, text, tmp_path / "n.html", k=8)
    assert_shown_not_run(driver, tmp_path / "n.html", HOSTILE)
    assert HOSTILE in driver.find_element(*by("#text")).get_attribute("textContent")


def test_markup_in_a_vocabulary_entry_is_shown_as_text(driver, tmp_path):
    # bypasses the loader's check, as a hand-built model would: the page must still be safe
    chars = sorted(set(PLAY)) + [HOSTILE]
    model = CharRNN(len(chars), hidden_size=6, num_layers=1, chars=chars)
    model.params["b_out"][-1] = 20.0  # the hostile entry is every character's top guess
    write_neuron_page(model, PLAY[:200], tmp_path / "n.html", k=8)
    assert_shown_not_run(driver, tmp_path / "n.html", HOSTILE)
    hover_value(driver, 10)
    assert HOSTILE in driver.find_element(*by("#info")).text
