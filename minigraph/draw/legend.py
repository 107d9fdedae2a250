"""The title and legend of a drawing: one graphviz HTML table set as the graph's label, so it
takes no part in the layout. With gradients it holds the colour bar of the fitted scale."""

import html

from .style import KIND_TEXT, KINDS, NONE_FILL, SMALL_SIZE, ZERO_FILL, short_number


def _cell(text, fill="#ffffff", border="#ffffff", width=None):
    size = f' WIDTH="{width}"' if width else ""
    return (f'<TD BGCOLOR="{fill}" COLOR="{border}" BORDER="2"{size}>'
            f'<FONT POINT-SIZE="{SMALL_SIZE}">{text}</FONT></TD>')


def legend_label(title, kinds, scale=None, recurrent=True):
    """HTML for the graph label: the title, one swatch per node kind drawn, and (``scale``,
    a GradScale) the gradient colour bar with its end values, 'zero' and 'no gradient'."""
    rows = []
    if title:
        rows.append(f'<TR><TD><FONT POINT-SIZE="16"><B>{html.escape(title)}</B></FONT></TD></TR>')
    texts = {**KIND_TEXT, **({} if recurrent else {"param": "parameter"})}
    cells = [_cell(html.escape(texts[k]), "#ffffff" if scale else KINDS[k][2], KINDS[k][1])
             for k in KINDS if k in kinds]
    if scale is not None and cells:
        rows.append(f'<TR>{_cell("border and shape: the kind of node")}</TR>')
    for start in range(0, len(cells), 3):  # three kinds to a row keeps the legend narrow
        rows.append('<TR><TD><TABLE BORDER="0" CELLSPACING="4" CELLPADDING="3"><TR>'
                    + "".join(cells[start:start + 3]) + "</TR></TABLE></TD></TR>")
    if scale is not None:
        bar = "".join(f'<TD BGCOLOR="{c}" WIDTH="18" BORDER="0"> </TD>' for c, _ in scale.ticks())
        low, high = 10 ** scale.low, 10 ** scale.high
        rows.append(f'<TR>{_cell("fill: |gradient|, on a log scale fitted to this graph")}</TR>')
        rows.append(
            '<TR><TD><TABLE BORDER="0" CELLSPACING="0" CELLPADDING="3"><TR>'
            f'{_cell(short_number(low) + " or less")}{bar}'
            f'{_cell(short_number(high) + " or more")}'
            f'<TD WIDTH="12" BORDER="0"> </TD>{_cell("0", ZERO_FILL, "#888888", 30)}'
            f'<TD WIDTH="6" BORDER="0"> </TD>{_cell("no gradient", NONE_FILL, "#888888")}'
            '</TR></TABLE></TD></TR>')
    if not rows:
        return None
    return '<<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="2">' + "".join(rows) + "</TABLE>>"
