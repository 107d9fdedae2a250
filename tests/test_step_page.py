"""The step-through page: built from a traced forward and backward, one self-contained
file, checked in headless Chromium (skipped without a browser)."""

import os
import re

import numpy as np
import pytest

import minigraph as mg
from minigraph.draw import find_renderer, write_step_page
from minigraph.draw.html import json_for_html, write_page
from minigraph.models.lab.example_graphs import example_graph

from . import browser

EVIL = '</script><img src=x onerror="window.pwned=1">&amp;'
needs_dot = pytest.mark.skipif(find_renderer() is None, reason="no dot program")


def _traced(model, cell, composed):
    with mg.trace() as record:
        graph = example_graph(model, cell, steps=3, composed=composed)
    return record, graph


def _evil_graph():
    """A tiny graph whose names and title try to break out of the page's script."""
    rng = np.random.default_rng(0)
    x = mg.input(EVIL, value=rng.standard_normal((2, 3)))
    W = mg.param(rng.standard_normal((3, 3)), "W" + EVIL)
    graph = mg.Graph(mg.sum(mg.tanh(x @ W, name="h" + EVIL)))
    with mg.trace() as record:
        graph.forward()
        graph.backward()
    return record, graph


def test_embedded_json_cannot_close_the_script():
    text = json_for_html({"name": EVIL})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json_for_html({"name": EVIL}).replace("\\u003c", "<").replace(
        "\\u003e", ">").replace("\\u0026", "&") == '{"name": "' + EVIL.replace('"', '\\"') + '"}'


def test_write_page_fills_each_placeholder_once(tmp_path):
    # the neuron page's call: template, path, title, data and verbatim parts
    template = "<title>__TITLE__</title>__SVG__<script>const D = __DATA__;</script>"
    write_page(template, tmp_path / "p.html", "a __DATA__ <b>", {"k": "</script>"},
               svg="<svg>__TITLE__</svg>")
    page = (tmp_path / "p.html").read_text()
    assert page == ("<title>a __DATA__ &lt;b&gt;</title><svg>__TITLE__</svg>"
                    '<script>const D = {"k": "\\u003c/script\\u003e"};</script>'
                    # issue 25: minigraph's mark, so that a later run may replace the page
                    "\n<!-- written by minigraph -->\n")
    assert [p.name for p in tmp_path.iterdir()] == ["p.html"]  # no temporary left behind


def test_step_page_needs_a_trace_of_a_small_graph(tmp_path):
    graph = example_graph("char", "rnn", steps=2)
    with pytest.raises(TypeError, match="minigraph.trace"):
        write_step_page(graph, tmp_path / "p.html")
    with mg.trace() as record:
        example_graph("char", "rnn", steps=30)
    with pytest.raises(mg.GraphError, match="unroll fewer steps"):
        write_step_page(record, tmp_path / "p.html")
    assert not (tmp_path / "p.html").exists()


@needs_dot
@pytest.mark.parametrize("model, cell, composed",
                         [("char", "rnn", True), ("captioning", "lstm", False)])
def test_step_page_is_self_contained_with_a_step_per_op_node(tmp_path, model, cell, composed):
    record, graph = _traced(model, cell, composed)
    data = write_step_page(record, tmp_path / "p.html", title="t")
    page = (tmp_path / "p.html").read_text()
    assert "src=" not in page and "<link" not in page and "import " not in page
    assert re.findall(r"https?://[^\s\"']+", page) == ["http://www.w3.org/2000/svg"]
    phases = [s["phase"] for s in data["steps"]]
    assert phases == ["forward"] * len(graph.op_nodes) + ["backward"] * len(graph.op_nodes)
    fused = [n["name"] for n in data["nodes"] if n["kind"] == "fused"]
    assert fused == ([] if composed else ["h[0].state", "h[1].state", "h[2].state"])
    wh = next(i for i, n in enumerate(data["nodes"]) if n["name"] in ("Wh", "Wh0"))
    into_wh = [c for c in data["contributions"] if c["to"] == wh]
    assert len(into_wh) == 3 and data["nodes"][wh]["arrivals"] == 3  # one per timestep
    Wh = next(p for p in graph.params if p.name in ("Wh", "Wh0"))
    assert into_wh[-1]["total"] == pytest.approx(np.linalg.norm(Wh.grad), rel=1e-5)


# ------------------------------------------------------------------ in Chromium
@pytest.fixture(scope="module")
def driver():
    if find_renderer() is None:
        pytest.skip("no dot program")
    found = browser.webdriver()
    if found is None:
        pytest.skip("selenium, Chromium or chromedriver missing")
    yield found
    found.quit()


def _open(driver, path):
    driver.get(path.as_uri())
    assert driver.get_log("browser") == []  # no script error on load


def _phase(driver):
    return driver.find_element("id", "phase").text


def _gradients_shown(driver):
    """Everything on the page that would carry a gradient number."""
    return driver.execute_script("""
        const shown = [];
        document.querySelectorAll('.node').forEach(g => {
          if (g.dataset.grad !== undefined) shown.push('data-grad ' + g.dataset.id);
          const s = g.querySelector('text.status').textContent;
          if (s.includes('|g|') || s.includes('gradient')) shown.push(s);
        });
        document.querySelectorAll('#panel .sum, #graph .edge-label, #graph .strip rect')
          .forEach(e => shown.push(e.className.baseVal ?? e.className));
        const panel = document.getElementById('panel').innerText;
        if (/\\|g\\||g\\[/.test(panel)) shown.push(panel);
        return shown;""")


@pytest.mark.parametrize("model, cell, composed",
                         [("char", "rnn", True), ("captioning", "lstm", False)])
def test_forward_shows_no_gradient_and_backward_sums_to_the_engine(driver, tmp_path, model,
                                                                    cell, composed):
    from selenium.webdriver.common.keys import Keys

    record, graph = _traced(model, cell, composed)
    data = write_step_page(record, tmp_path / "p.html", title=f"{model} {cell}")
    _open(driver, tmp_path / "p.html")
    body = driver.find_element("tag name", "body")
    forward_steps = 0
    while _phase(driver) == "forward":
        assert _gradients_shown(driver) == [], f"gradient shown at step {forward_steps + 1}"
        forward_steps += 1
        body.send_keys(Keys.ARROW_RIGHT)
    backward_steps = 1
    while driver.execute_script("return Number(document.body.dataset.step)") < len(
            data["steps"]) - 1:
        body.send_keys(Keys.ARROW_RIGHT)
        assert _phase(driver) == "backward"
        backward_steps += 1
    assert forward_steps == backward_steps == len(graph.op_nodes)
    Wh = next(p for p in graph.params if p.name in ("Wh", "Wh0"))
    index = graph.nodes.index(Wh)
    shown = driver.find_element("css selector", f'#now .sum[data-node="{index}"]')
    assert float(shown.get_attribute("data-total")) == pytest.approx(
        np.linalg.norm(Wh.grad), rel=1e-5)
    assert shown.text.count("from ") == 3 and "complete" in shown.text
    written = float(re.search(r"\|g\| = ([0-9.e+-]+)", shown.text).group(1))
    assert written == pytest.approx(np.linalg.norm(Wh.grad), rel=5e-3)  # 3 digits shown
    on_graph = driver.find_element("css selector", f'.node[data-id="{index}"]')
    assert float(on_graph.get_attribute("data-grad")) == pytest.approx(
        np.linalg.norm(Wh.grad), rel=1e-5)
    body.send_keys(Keys.HOME)
    assert driver.execute_script("return document.body.dataset.step") == "0"
    driver.execute_script("const s = document.getElementById('slider'); s.value = 5;"
                          "s.dispatchEvent(new Event('input'));")
    assert driver.execute_script("return document.body.dataset.step") == "4"
    body.send_keys(Keys.END)
    assert driver.execute_script("return document.body.dataset.step") == str(
        len(data["steps"]) - 1)


def test_names_with_markup_stay_text(driver, tmp_path):
    record, _ = _evil_graph()
    write_step_page(record, tmp_path / "p.html", title="title " + EVIL)
    _open(driver, tmp_path / "p.html")
    driver.execute_script("go(STEPS.length - 1)")
    driver.find_element("css selector", '.node[data-id="0"]').click()  # show it selected
    assert driver.execute_script("return window.pwned") is None
    assert driver.find_elements("tag name", "img") == []
    assert driver.title == "title " + EVIL
    assert ("g[W" + EVIL + "]") in driver.find_element("id", "now").text
    assert EVIL in driver.find_element("id", "selected").text


def test_predict_mode_asks_before_revealing(driver, tmp_path):
    record, graph = _traced("char", "rnn", composed=True)
    data = write_step_page(record, tmp_path / "p.html")
    _open(driver, tmp_path / "p.html")
    first_backward = len(graph.op_nodes)
    driver.find_element("id", "predict").click()
    driver.execute_script(f"go({first_backward})")  # the loss's step: sends to scores
    driver.find_element("id", "next").click()
    quiz = driver.find_element("id", "quiz")
    assert quiz.is_displayed() and "Which node" in quiz.text
    assert driver.execute_script("return document.body.dataset.step") == str(first_backward)
    step = data["steps"][first_backward + 1]
    target = data["contributions"][step["sent"][0]]
    wrong = next(i for i, n in enumerate(data["nodes"]) if n["kind"] == "param")
    driver.find_element("css selector", f'.node[data-id="{wrong}"]').click()
    assert "Not" in quiz.text or "never" in quiz.text or "complete" in quiz.text
    driver.find_element("css selector", f'.node[data-id="{target["to"]}"]').click()
    guess = driver.find_element("id", "guess")
    guess.send_keys(f"{target['norm'] * 1.3:.4g}")
    driver.find_element("id", "check").click()
    assert "Off by" in quiz.text
    assert driver.execute_script("return document.body.dataset.step") == str(first_backward)
    guess = driver.find_element("id", "guess")
    guess.clear()
    guess.send_keys(f"{target['norm'] * 1.05:.4g}")
    driver.find_element("id", "check").click()
    assert "Right" in quiz.text
    assert driver.execute_script("return document.body.dataset.step") == str(first_backward + 1)


def test_screenshots_at_forward_mid_backward_and_end(driver, tmp_path):
    record, graph = _traced("captioning", "lstm", composed=False)
    data = write_step_page(record, tmp_path / "p.html", title="captioning lstm, 3 steps")
    _open(driver, tmp_path / "p.html")
    folder = os.environ.get("STEP_PAGE_SHOTS") or tmp_path
    n = len(data["steps"])
    for name, step in [("forward", n // 4), ("mid-backward", 3 * n // 4), ("end", n - 1)]:
        driver.execute_script(f"go({step})")
        path = os.path.join(folder, f"step-page-{name}.png")
        driver.save_screenshot(path)
        assert os.path.getsize(path) > 30_000  # a drawn page, not a blank one
        size = driver.execute_script("return [innerWidth, innerHeight]")
        assert size == [1400, 900]
