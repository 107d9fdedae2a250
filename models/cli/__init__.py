"""The command line, ``minigraph``: one thin module per command group (parse, call the
library, print). ``minigraph.models.cli:main`` is kept as an entry point: scripts installed
before name it."""

from .main import build_parser, main
