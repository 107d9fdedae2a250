"""Drawing graphs with graphviz: walk the graph into DOT first (``to_dot``, a pure
function), render it last (``save``, ``Drawing``)."""

from .dot import draw, to_dot
from .html import write_step_page
from .render import Drawing, find_renderer, save
