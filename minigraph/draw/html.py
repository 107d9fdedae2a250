"""Self-contained HTML pages: a template filled with a title, parts and JSON data, written
atomically; and the step-through page of a traced forward and backward.

Everything a page shows travels inside the file (no CDN, nothing fetched), so it works
offline and can be mailed to a student."""

import html
import json
import re
from importlib import resources

from ..files import atomic_write
from .step_data import page_data

_PLACEHOLDER = re.compile(r"__([A-Z][A-Z0-9_]*)__")


def json_for_html(data):
    """JSON that is safe inside <script>: '<', '>' and '&' written as \\u escapes, so a
    string such as '</script><img src=x onerror=...>' cannot end the script element."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def write_page(template, path, title, data, **parts):
    """Fill a page template and write it as UTF-8: __TITLE__ (HTML-escaped), __DATA__
    (JSON escaped for <script>) and any other __PART__ given verbatim. The template is
    read once, left to right, so text put in is never itself searched for placeholders.
    The file appears whole or not at all (minigraph.files.atomic_write)."""
    values = {"TITLE": html.escape(title), "DATA": json_for_html(data)}
    values.update({name.upper(): text for name, text in parts.items()})
    page = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
    atomic_write(path, page)
    return path


def _asset(name):
    return resources.files(__package__).joinpath("step_page", name).read_text("utf-8")


def write_step_page(trace, path, title=None, graph=None):
    """Write the step-through page of a traced run and return its data.

    ``trace`` is what ``with minigraph.trace() as trace:`` recorded around a forward and a
    backward; ``graph`` picks one of the graphs it saw (default: the last one to run
    backward). Forward shows each node's value as it is computed; backward shows each
    gradient sent, and every node's gradient summed (or assembled) so far.
    """
    data = page_data(trace, title, graph)
    data["title"] = title or data["title"] or "step through forward and backward"
    script = _asset("graph.js") + "\n" + _asset("panel.js")  # one script, two files to read
    write_page(_asset("page.html"), path, data["title"], data, css=_asset("page.css"),
               js=script)
    return data
