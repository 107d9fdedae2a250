"""Render DOT to svg, png or pdf with a dot program: the system's Graphviz when installed,
otherwise graphviz-pure (a dot-compatible program installed from PyPI with minigraph)."""

import os
import shutil
import subprocess
import sys

import graphviz

from ..errors import OutputError, RenderError, UsageError
from ..files import atomic_write, written_by_minigraph

FORMATS = ("svg", "png", "pdf", "dot")
INSTALL_HINT = ("no dot program found: `pip install graphviz-pure` (a dot-compatible "
                "program from PyPI) or install Graphviz (`apt-get install graphviz`)")


def find_renderer():
    """Path of a dot-compatible program, or None: Graphviz's dot, else graphviz-pure on the
    PATH or beside this Python (a virtual environment used without activating it)."""
    return (shutil.which("dot") or shutil.which("graphviz-pure")
            or shutil.which("graphviz-pure", path=os.path.dirname(sys.executable)))


def render_bytes(source, fmt):
    program = find_renderer()
    if program is None:
        raise RenderError(INSTALL_HINT)
    result = subprocess.run([program, f"-T{fmt}"], input=source.encode(), capture_output=True,
                            timeout=300)
    if result.returncode != 0:
        raise RenderError(f"{program} failed: {result.stderr.decode(errors='replace')[:500]}")
    return result.stdout


def save(dot, path):
    """Write the drawing; the format comes from the extension (.svg, .png, .pdf, .dot).
    Where no renderer can run, the .dot source is written beside the path and the error
    says what to install."""
    path = os.fspath(path)
    fmt = os.path.splitext(path)[1].lstrip(".").lower()
    if fmt not in FORMATS:
        raise UsageError(f"cannot save {path!r}: use one of .{', .'.join(FORMATS)}")
    source = dot.source if hasattr(dot, "source") else str(dot)
    if fmt == "dot":
        return atomic_write(path, source)
    try:
        data = _pdf_from_png(source) if fmt == "pdf" and not _has_pdf() else \
            render_bytes(source, fmt)
    except RenderError as exc:
        fallback = os.path.splitext(path)[0] + ".dot"
        if os.path.lexists(fallback) and not written_by_minigraph(fallback):  # the user's
            raise RenderError(f"{exc}; the DOT source was not written: {fallback} exists "
                              "and minigraph did not write it") from None
        atomic_write(fallback, source)
        raise RenderError(f"{exc}; wrote the DOT source to {fallback}") from None
    return atomic_write(path, data)


def _has_pdf():
    """graphviz-pure renders svg and png but not pdf; the system's dot does all three."""
    program = find_renderer()
    return program is not None and os.path.basename(program) == "dot"


def _pdf_from_png(source):
    """A one-page PDF holding the PNG rendering (Pillow), for renderers without pdf."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(render_bytes(source, "png"))).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PDF", resolution=96)
    return buffer.getvalue()


class Drawing:
    """A drawn graph: ``save(path)``, ``source`` (DOT) and inline SVG in Jupyter."""

    def __init__(self, dot):
        self.dot = dot

    @property
    def source(self):
        return self.dot.source

    def save(self, path):
        return save(self.dot, path)

    def _repr_svg_(self):
        return render_bytes(self.source, "svg").decode("utf-8")


def _system_dot_serves(renderer, formatter, engine):
    """True when graphviz's own pipe/render can run: the system dot is installed, or the
    call asks for what only Graphviz has (another engine, a renderer or formatter)."""
    return (shutil.which("dot") is not None or renderer is not None or formatter is not None
            or engine not in (None, "dot"))


class Digraph(graphviz.Digraph):
    """graphviz's Digraph (what ``to_dot`` returns) whose ``pipe()``, ``render()`` and a
    notebook's display (which pipes) lay out with graphviz-pure when the system Graphviz is
    not installed, instead of failing with ``ExecutableNotFound: ... 'dot'``."""

    def pipe(self, format=None, renderer=None, formatter=None, neato_no_op=None,
             quiet=False, *, engine=None, encoding=None):
        if _system_dot_serves(renderer, formatter, engine):
            return super().pipe(format, renderer=renderer, formatter=formatter,
                                neato_no_op=neato_no_op, quiet=quiet, engine=engine,
                                encoding=encoding)
        data = render_bytes(self.source, format or self.format)
        return data.decode(encoding) if encoding is not None else data

    def render(self, filename=None, directory=None, view=False, cleanup=False, format=None,
               renderer=None, formatter=None, neato_no_op=None, quiet=False,
               quiet_view=False, *, outfile=None, engine=None, raise_if_result_exists=False,
               overwrite_source=False):
        if view or _system_dot_serves(renderer, formatter, engine):
            return super().render(filename, directory=directory, view=view, cleanup=cleanup,
                                  format=format, renderer=renderer, formatter=formatter,
                                  neato_no_op=neato_no_op, quiet=quiet,
                                  quiet_view=quiet_view, outfile=outfile, engine=engine,
                                  raise_if_result_exists=raise_if_result_exists,
                                  overwrite_source=overwrite_source)
        # graphviz's rules: the source goes to filename (default self.filepath), the
        # picture beside it as <source>.<format>, or to outfile (format from its suffix)
        if outfile is not None and filename is None:
            filename = os.path.splitext(os.fspath(outfile))[0] + ".gv"
        source_path = self.save(filename, directory=directory)
        fmt = format or (os.path.splitext(os.fspath(outfile))[1].lstrip(".") if outfile
                         else self.format)
        target = os.fspath(outfile) if outfile is not None else f"{source_path}.{fmt}"
        if raise_if_result_exists and os.path.exists(target):
            raise OutputError(f"output file exists: {target!r} (raise_if_result_exists=True)")
        atomic_write(target, render_bytes(self.source, fmt))
        if cleanup:
            os.remove(source_path)
        return target
