"""The neuron page's HTML and CSS; the script is in ``neurons_script``. The data arrives
as JSON in a <script type="application/json"> element (escaped by ``script_json``) and
every string from it reaches the page through textContent, never as HTML."""

from .neurons_script import SCRIPT

STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 10px 14px; color: #222;
       font-size: 13px; }
h1 { font-size: 17px; margin: 0 0 2px 0; }
p.lead { margin: 0 0 6px 0; color: #444; max-width: 1300px; }
#controls { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 14px;
            padding: 5px 8px; background: #f4f4f4; border-radius: 6px; margin-bottom: 8px; }
#controls button { font-size: 13px; padding: 2px 8px; border: 1px solid #bbb;
                   background: white; border-radius: 4px; cursor: pointer; }
#controls button.on { background: #333; color: white; border-color: #333; }
#controls input { width: 4em; font-size: 13px; }
#now { font-weight: bold; }
#legend { display: inline-flex; align-items: center; gap: 4px; font-size: 12px; }
#legend .bar { width: 120px; height: 11px; border: 1px solid #aaa; }
#main { display: flex; gap: 16px; align-items: flex-start; }
#left { flex: 1; min-width: 0; }
#right { flex: none; width: 440px; }
#scroll { max-height: calc(100vh - 345px); min-height: 300px; overflow-y: auto;
          border: 1px solid #e4e4e4; border-radius: 6px; padding: 4px 8px; margin-bottom: 8px; }
#text { font-family: Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 13px;
        line-height: 1.6; white-space: pre-wrap; column-width: 29em; column-gap: 22px;
        column-rule: 1px solid #e4e4e4; cursor: text; }
#text .ch { border-radius: 2px; }
#text .nl { color: #999; font-size: 10px; }
#text .win { box-shadow: inset 0 -3px 0 #e67e22; }
#text .target { outline: 2px solid #000; }
#text .sel { box-shadow: inset 0 -3px 0 #1a9850; }
.panel { border: 1px solid #ddd; border-radius: 6px; padding: 6px 9px; margin-bottom: 8px; }
.panel h3 { font-size: 13px; margin: 0 0 4px 0; }
.hint { color: #666; font-size: 12px; }
#info { min-height: 34px; font-family: Menlo, Consolas, "DejaVu Sans Mono", monospace;
        font-size: 12px; }
table { border-collapse: collapse; width: 100%; }
td { padding: 1px 4px; border-bottom: 1px solid #eee; vertical-align: top; }
.chip { display: inline-block; padding: 0 5px; margin: 1px 2px; border-radius: 3px;
        background: #eef; cursor: pointer; font-family: monospace; font-size: 12px; }
.chip:hover, tr.pick:hover { background: #ccd; cursor: pointer; }
.chip.now { background: #333; color: white; }
#strip svg text { font-family: Menlo, Consolas, "DejaVu Sans Mono", monospace; }
#sat-plots { display: flex; flex-wrap: wrap; gap: 4px; }
.sat { cursor: pointer; }
"""

BODY = """
<h1>__TITLE__</h1>
<p class="lead">Each character of the text is coloured by one cell's value right after the
model read it. The page opens on the cell that best tracks a simple feature of this text.
<b>Hover</b> a character for its value and the model's five likeliest next characters;
<b>click</b> it to see how far back its prediction looked; <b>select</b> a stretch of text
with the mouse to list the cells most on inside it.</p>
<div id="controls">
  <span>Layer <span id="layers"></span></span>
  <span>Show <span id="kinds"></span></span>
  <span>Cell <button id="prev" title="previous cell">&minus;</button><input id="unit"
    type="number" min="0"><button id="next" title="next cell">+</button></span>
  <span id="now"></span>
  <span id="legend"><span id="lo"></span><span class="bar" id="bar"></span><span
    id="hi"></span></span>
</div>
<div id="main">
  <div id="left">
    <div id="scroll"><div id="text"></div></div>
    <div class="panel" id="strip"><h3 id="strip-title">How far back did a prediction
      look?</h3><div class="hint" id="strip-hint">Click a character in the text.</div>
      <div id="strip-plot"></div></div>
  </div>
  <div id="right">
    <div class="panel"><div id="info" class="hint">Hover a character.</div></div>
    <div class="panel"><h3>Signals in this text and the cells that track them</h3>
      <div class="hint">Pearson r between a cell's value and a per-character feature;
      click a cell to show it (L2 h17: layer 2, hidden state h, cell 17).</div>
      <table id="signals"></table>
      <div class="hint" id="dropped"></div></div>
    <div class="panel" id="span"><h3 id="span-title">Cells most on inside a selection</h3>
      <div class="hint" id="span-hint">Select a stretch of text with the mouse (LSTMVis'
      select view): cells of the shown layer and kind are ranked by how far their mean
      inside the selection lies above their mean over the whole text, in standard
      deviations.</div><table id="span-cells"></table></div>
    <div class="panel" id="saturation"><h3>Gate saturation (Karpathy, Johnson &amp;
      Fei-Fei 2015)</h3><div class="hint" id="sat-hint">One dot per unit and gate: the
      fraction of characters at which the gate is below 0.1 (left-saturated, x) and above
      0.9 (right-saturated, y). Click a dot to show that gate.</div>
      <div id="sat-plots"></div></div>
  </div>
</div>
"""

PAGE = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>__TITLE__</title>\n<style>" + STYLE + "</style></head>\n<body>" + BODY
        + "<script type=\"application/json\" id=\"data\">__DATA__</script>\n<script>"
        + SCRIPT + "</script></body></html>\n")
