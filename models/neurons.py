"""The blog's last section: a self-contained HTML page showing what single hidden cells of a
char-rnn respond to, and the model's top-5 guesses for the next character."""

import numpy as np

from minigraph.draw.html import write_page


def structure_signals(text):
    """Per-character indicators of simple structure: inside double quotes, inside brackets
    (any of ( [ {), and position in the line (0 at line start, 1 at 80 columns)."""
    quote, depth, column = [], [], []
    inside, level, col = False, 0, 0
    for ch in text:
        if ch == '"':
            inside = not inside
        if ch in "([{":
            level += 1
        elif ch in ")]}":
            level = max(0, level - 1)
        quote.append(float(inside))
        depth.append(float(level > 0))
        column.append(min(col, 80) / 80)
        col = 0 if ch == "\n" else col + 1
    return {"inside quotes": np.array(quote), "inside brackets": np.array(depth),
            "position in line": np.array(column)}


def activations(model, text):
    """Last layer's hidden state after each character (T, H) and next-character
    probabilities (T, V), running the model one step at a time from a zero state."""
    index = {c: i for i, c in enumerate(model.chars)}
    state = model.zero_state(1)
    hidden, probs = [], []
    for ch in text:
        scores, state = model.step(index.get(ch, 0), state)
        scores = scores.astype(np.float64)
        p = np.exp(scores - scores.max())
        probs.append(p / p.sum())
        hidden.append(state[-1][0][0].astype(np.float64))
    return np.array(hidden), np.array(probs)


def rank_cells(hidden, signals, top=8):
    """For each signal, the cells whose activation correlates most (|Pearson r|) with it."""
    ranking = {}
    centred = hidden - hidden.mean(axis=0)
    for name, signal in signals.items():
        s = signal - signal.mean()
        denom = np.sqrt((centred ** 2).sum(axis=0) * (s ** 2).sum()) + 1e-12
        r = (centred * s[:, None]).sum(axis=0) / denom
        order = np.argsort(-np.abs(r))[:top]
        ranking[name] = [{"cell": int(i), "r": round(float(r[i]), 3)} for i in order]
    return ranking


def write_neuron_page(model, text, path):
    hidden, probs = activations(model, text)
    ranking = rank_cells(hidden, structure_signals(text))
    top5 = np.argsort(-probs, axis=1)[:, :5]
    payload = {
        "text": text,
        "act": np.round(hidden.T, 3).tolist(),  # per cell, per character
        "guess": [[[model.chars[j], round(float(probs[t, j]), 3)] for j in top5[t]]
                  for t in range(len(text))],
        "ranking": ranking,
    }
    write_page(PAGE, path, f"char-rnn {model.cell}: {model.num_layers} layers x "
               f"{model.hidden_size} cells", payload)
    return ranking


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>__TITLE__</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 20px; color: #222; }
#text { font-family: monospace; line-height: 1.2; }
.ch { display: inline-block; text-align: center; vertical-align: top; margin: 0 0 6px 0; }
.ch .c { display: block; min-width: 0.7em; white-space: pre; font-size: 15px; }
.ch .g { display: block; font-size: 9px; line-height: 10px; }
.nl { display: block; height: 0; }
#side { margin-bottom: 12px; }
table { border-collapse: collapse; font-size: 13px; margin-right: 24px; }
td, th { padding: 2px 8px; border-bottom: 1px solid #eee; cursor: pointer; }
.tables { display: flex; flex-wrap: wrap; }
</style></head>
<body>
<h2>__TITLE__</h2>
<p>Each character is coloured by the selected cell's activation after reading it
(<span style="background:#d73027;color:white">&nbsp;+1&nbsp;</span> to
<span style="background:#4575b4;color:white">&nbsp;-1&nbsp;</span>). Under it: the model's
five likeliest next characters, darker when more probable.</p>
<div id="side">Cell: <select id="cell"></select> <span id="info"></span></div>
<div class="tables" id="tables"></div>
<div id="text"></div>
<script>
const DATA = __DATA__;
function colour(v) {
  const a = Math.min(1, Math.abs(v));
  return v >= 0 ? `rgba(215,48,39,${a})` : `rgba(69,117,180,${a})`;
}
function shown(ch) { return ch === "\\n" ? "\\u21b5" : (ch === " " ? "\\u2423" : ch); }
const select = document.getElementById("cell");
const ranked = [];
for (const [signal, rows] of Object.entries(DATA.ranking)) {
  const table = document.createElement("table");
  table.innerHTML = `<tr><th colspan=2>tracks ${signal}</th></tr>` + rows.map(
    r => `<tr data-cell="${r.cell}"><td>cell ${r.cell}</td><td>r = ${r.r}</td></tr>`).join("");
  document.getElementById("tables").appendChild(table);
  rows.forEach(r => ranked.push(r.cell));
}
const order = [...new Set(ranked)];
for (let i = 0; i < DATA.act.length; i++) if (!order.includes(i)) order.push(i);
order.forEach(i => { const o = document.createElement("option"); o.value = i;
  o.textContent = "cell " + i; select.appendChild(o); });
const box = document.getElementById("text");
const spans = [];
[...DATA.text].forEach((ch, t) => {
  const cell = document.createElement("span"); cell.className = "ch";
  const c = document.createElement("span"); c.className = "c"; c.textContent = shown(ch);
  cell.appendChild(c);
  DATA.guess[t].forEach(([g, p]) => { const s = document.createElement("span");
    s.className = "g"; s.textContent = shown(g);
    s.style.background = `rgba(0,0,0,${(0.1 + 0.8 * p).toFixed(2)})`;
    s.style.color = p > 0.4 ? "white" : "black"; cell.appendChild(s); });
  box.appendChild(cell); spans.push(c);
  if (ch === "\\n") { const br = document.createElement("span"); br.className = "nl";
    box.appendChild(br); }
});
function show(i) {
  select.value = i;
  DATA.act[i].forEach((v, t) => { spans[t].style.background = colour(v); });
  document.getElementById("info").textContent = `showing cell ${i}`;
  document.body.dataset.cell = i;
}
select.addEventListener("change", () => show(+select.value));
document.querySelectorAll("tr[data-cell]").forEach(
  tr => tr.addEventListener("click", () => show(+tr.dataset.cell)));
show(order[0]);
</script></body></html>
"""
