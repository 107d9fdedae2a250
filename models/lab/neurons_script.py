"""The neuron page's script: colour the text by the chosen cell, hover/click/select
handlers, the gradient strip and the saturation scatter. Strings from the data are only
ever set as textContent or SVG text, never parsed as HTML."""

SCRIPT = r"""
const D = JSON.parse(document.getElementById("data").textContent);
const T = D.text.length, H = D.hidden, L = D.layers, K = D.strips.k;
const BUTTON = {h: "h hidden", c: "c cell", i: "i input", f: "f forget", o: "o output",
  r: "r reset", z: "z update"};
const NAMES = {h: "hidden state h", c: "cell state c", i: "input gate i", f: "forget gate f",
  o: "output gate o", r: "reset gate r", z: "update gate z"};
const GATE_COLOUR = {i: "#d62728", f: "#2ca02c", o: "#1f77b4", r: "#9467bd", z: "#ff7f0e"};
const $ = id => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
function bytes(b64) {
  const s = atob(b64), a = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
  return a;
}
const codes = {};  // codes[kind][layer]: Int8Array (H, T), value = code * scale / 127
for (const [q, a] of Object.entries(D.acts)) codes[q] = a.codes.map(b => new Int8Array(bytes(b).buffer));
const strips = new Float32Array(bytes(D.strips.data).buffer);  // (L, T, K), NaN = before text
const OTHER_COLOUR = ["#1f5fa8", "#2a9d3a", "#8e44ad", "#c0392b"];
const others = D.compare.map(c => ({...c, values: new Float32Array(bytes(c.strip).buffer)}));  // (T, K)
function value(q, l, u, t) { return codes[q][l][u * T + t] * D.acts[q].scale[l][u] / 127; }
function shown(ch) { return {"\n": "\u21b5", " ": "\u2423", "\r": "\u240d", "\t": "\u21e5"}[ch] || ch; }
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
const isGate = q => D.gates.includes(q);
function colour(q, l, u, v) {  // gates 0..1 white->purple; h, c diverging around 0
  if (isGate(q)) return `rgba(118,42,131,${(0.85 * v).toFixed(3)})`;
  const a = Math.min(1, Math.abs(v) / (q === "h" ? 1 : D.acts[q].span[l][u]));
  return v >= 0 ? `rgba(215,48,39,${(0.85 * a).toFixed(3)})` : `rgba(49,104,174,${(0.85 * a).toFixed(3)})`;
}
const cur = {layer: D.start.layer, kind: D.start.kind, unit: D.start.unit};

// ---- the text, one span per character
const spans = [];
[...D.text].forEach((ch, t) => {
  const s = el("span", ch === "\n" ? "\u21b5" : ch, ch === "\n" ? "ch nl" : "ch");
  s.dataset.t = t;
  $("text").appendChild(s);
  spans.push(s);
  if (ch === "\n") $("text").appendChild(document.createTextNode("\n"));
});

// ---- controls
for (let l = 0; l < L; l++) {
  const b = el("button", String(l + 1)); b.dataset.layer = l;
  b.title = l === 0 ? "layer 1 reads the characters" : `layer ${l + 1} reads layer ${l}`;
  b.onclick = () => show(l, cur.kind, cur.unit); $("layers").appendChild(b);
}
for (const q of D.quantities) {
  const b = el("button", BUTTON[q]); b.dataset.kind = q; b.title = NAMES[q];
  b.onclick = () => show(cur.layer, q, cur.unit); $("kinds").appendChild(b);
}
$("unit").max = H - 1;
$("unit").onchange = () => show(cur.layer, cur.kind, Math.max(0, Math.min(H - 1, +$("unit").value || 0)));
$("prev").onclick = () => show(cur.layer, cur.kind, (cur.unit + H - 1) % H);
$("next").onclick = () => show(cur.layer, cur.kind, (cur.unit + 1) % H);

function label(c) { return `L${c.layer + 1} ${c.kind}${c.unit}`; }
function tracked(l, q, u) {
  for (const row of D.signals) for (const c of row.cells)
    if (c.cell.layer === l && c.cell.kind === q && c.cell.unit === u) return [row.signal, c.r];
  return null;
}
function show(l, q, u) {
  cur.layer = l; cur.kind = q; cur.unit = u;
  for (let t = 0; t < T; t++) spans[t].style.background = colour(q, l, u, value(q, l, u, t));
  document.querySelectorAll("#layers button").forEach(b => b.classList.toggle("on", +b.dataset.layer === l));
  document.querySelectorAll("#kinds button").forEach(b => b.classList.toggle("on", b.dataset.kind === q));
  $("unit").value = u;
  const why = tracked(l, q, u);
  $("now").textContent = `layer ${l + 1}, ${NAMES[q]}, cell ${u}` +
    (why ? ` \u2014 tracks "${why[0]}" (r = ${why[1].toFixed(2)})` : "");
  const top = isGate(q) || q === "h" ? 1 : D.acts[q].span[l][u];  // c: 98% of |c| below
  $("lo").textContent = isGate(q) ? "0" : (-top).toFixed(2);
  $("hi").textContent = "+" + top.toFixed(2);
  $("bar").style.background = isGate(q) ? "linear-gradient(to right, white, rgba(118,42,131,.85))"
    : "linear-gradient(to right, rgba(49,104,174,.85), white, rgba(215,48,39,.85))";
  document.querySelectorAll(".chip").forEach(c => c.classList.toggle("now",
    +c.dataset.layer === l && c.dataset.kind === q && +c.dataset.unit === u));
  document.querySelectorAll(".sat").forEach(c => c.setAttribute("stroke",
    +c.dataset.layer === l && +c.dataset.unit === u ? "black" : "none"));
  Object.assign(document.body.dataset, {layer: l, kind: q, unit: u});
  if (span) listSpan();
  if (target !== null) drawStrip(target);
}

// ---- signals table
function chip(c) {
  const s = el("span", `${label(c.cell)} ${c.r >= 0 ? "+" : "\u2212"}${Math.abs(c.r).toFixed(2)}`, "chip");
  Object.assign(s.dataset, {layer: c.cell.layer, kind: c.cell.kind, unit: c.cell.unit, r: c.r});
  s.title = `layer ${c.cell.layer + 1}, ${NAMES[c.cell.kind]}, cell ${c.cell.unit}: r = ${c.r}`;
  s.onclick = () => show(c.cell.layer, c.cell.kind, c.cell.unit);
  return s;
}
for (const row of D.signals) {
  const tr = el("tr"); tr.appendChild(el("td", row.signal));
  const td = el("td"); row.cells.slice(0, 3).forEach(c => td.appendChild(chip(c)));
  tr.appendChild(td); $("signals").appendChild(tr);
}
$("dropped").textContent = D.dropped.length ?
  `Not varying in this text, so not ranked: ${D.dropped.join(", ")}.` : "";

// ---- hover: value and the five likeliest next characters
$("text").addEventListener("mouseover", e => {
  const t = e.target.dataset ? e.target.dataset.t : undefined;
  if (t === undefined) return;
  const i = +t, v = value(cur.kind, cur.layer, cur.unit, i);
  const guesses = D.guess[i].map((g, j) => `${shown(D.vocab[g])} ${(100 * D.guess_p[i][j]).toFixed(0)}%`);
  const next = i + 1 < T ? `; actual ${shown(D.text[i + 1])} ${(100 * D.actual_p[i + 1]).toFixed(1)}%` : "";
  $("info").textContent = `after '${shown(D.text[i])}' (character ${i}): ${label(cur)} = ${v.toFixed(3)}\n` +
    `next: ${guesses.join("  ")}${next}`;
  $("info").style.whiteSpace = "pre-wrap";
});

// ---- click: the gradient strip; select: the cells most on inside
let target = null, span = null;
$("text").addEventListener("click", e => {
  const sel = window.getSelection();
  if (sel && !sel.isCollapsed) return;
  const t = e.target.dataset ? e.target.dataset.t : undefined;
  if (t !== undefined) drawStrip(+t);
});
function drawStrip(p) {
  target = p;
  document.querySelectorAll(".win, .target").forEach(s => s.classList.remove("win", "target"));
  spans[p].classList.add("target");
  const plot = $("strip-plot"); plot.textContent = "";
  if (p === 0) { $("strip-hint").textContent = "The first character is not predicted: pick another."; return; }
  const n = Math.min(p, K), l = cur.layer;
  const norms = [];  // oldest first: time runs left to right
  for (let d = n - 1; d >= 0; d--) norms.push(strips[(l * T + p) * K + d]);
  for (let d = 0; d < n; d++) spans[p - 1 - d].classList.add("win");
  $("strip-title").textContent = `How far back did the prediction of '${shown(D.text[p])}' (character ${p}) look?`;
  let m = 0;  // the oldest steps whose gradient is below 1/100 of the nearest step's
  while (m < n && norms[m] < norms[n - 1] / 100) m++;
  const reach = m === 0 ? `Its gradient stays above 1/100 of the nearest step's as far back as shown. `
    : `From ${n - m + 1} characters back on, its gradient stays below 1/100 of the nearest step's. `;
  $("strip-hint").textContent = reach + `Norm of the gradient of its loss, \u2212log P('${shown(D.text[p])}') = ` +
    `${(-Math.log(D.actual_p[p])).toFixed(2)} nats, with respect to layer ${l + 1}'s hidden state h after each ` +
    `of the ${n} characters before it (log scale; computed by minigraph's backward through the model's graph).`;
  const rows = others.map(o => { const a = []; for (let d = n - 1; d >= 0; d--) a.push(o.values[p * K + d]); return a; });
  const w = 15, left = 52, height = 90, top = 8, width = left + n * w + 10;
  const pos = norms.concat(...rows).filter(v => v > 0), hi = Math.log10(Math.max(...pos, 1e-30));
  const lo = Math.min(Math.floor(Math.log10(Math.min(...pos, 1e30))), Math.ceil(hi) - 1);
  const ceil = Math.ceil(hi), y = v => top + height * (ceil - Math.log10(Math.max(v, 10 ** lo))) / (ceil - lo);
  const s = svg("svg", {width, height: top + height + 34, id: "strip-svg"});
  const every = Math.max(1, Math.ceil((ceil - lo) / 5));  // at most six labelled decades
  for (let e = ceil; e >= lo; e -= every) {
    s.appendChild(svg("line", {x1: left - 4, x2: width - 8, y1: y(10 ** e), y2: y(10 ** e), stroke: "#e2e2e2"}));
    s.appendChild(svg("text", {x: left - 7, y: y(10 ** e) + 4, "text-anchor": "end", "font-size": 10}, `1e${e}`));
  }
  norms.forEach((v, j) => {
    const bar = svg("rect", {x: left + j * w + 1, width: w - 2, y: y(v), height: top + height - y(v),
      fill: "#e67e22", class: "gbar"});
    bar.dataset.norm = String(v); bar.dataset.back = n - j;
    bar.appendChild(svg("title", {}, `${n - j} back, '${shown(D.text[p - n + j])}': |dL/dh| = ${v.toExponential(3)}`));
    s.appendChild(bar);
    s.appendChild(svg("text", {x: left + j * w + w / 2, y: top + height + 13, "text-anchor": "middle",
      "font-size": 12}, shown(D.text[p - n + j])));
  });
  rows.forEach((row, i) => {
    const colour = OTHER_COLOUR[i % OTHER_COLOUR.length];
    s.appendChild(svg("polyline", {fill: "none", stroke: colour, "stroke-width": 2,
      points: row.map((v, j) => `${left + j * w + w / 2},${y(v)}`).join(" ")}));
    row.forEach((v, j) => { const dot = svg("circle", {cx: left + j * w + w / 2, cy: y(v), r: 2.5, fill: colour, class: "cbar"});
      dot.dataset.model = i; dot.dataset.norm = String(v); s.appendChild(dot); });
  });
  if (others.length) {
    const key = el("div", undefined, "hint");
    const mine = el("span", `▮ this ${D.cell.toUpperCase()}, layer ${l + 1} h   `); mine.style.color = "#e67e22";
    key.appendChild(mine);
    others.forEach((o, i) => { const k = el("span", `— ${o.label}, layer ${o.layers} h   `);
      k.style.color = OTHER_COLOUR[i % OTHER_COLOUR.length]; key.appendChild(k); });
    plot.appendChild(key);
  }
  s.appendChild(svg("text", {x: left, y: top + height + 30, "font-size": 11, fill: "#555"},
    `\u2190 ${n} characters back`));
  s.appendChild(svg("text", {x: width - 8, y: top + height + 30, "font-size": 11, fill: "#555",
    "text-anchor": "end"}, `1 back \u2192 predicts '${shown(D.text[p])}'`));
  plot.appendChild(s);
}
document.addEventListener("mouseup", () => {
  const sel = window.getSelection();
  if (!sel || sel.isCollapsed || !$("text").contains(sel.anchorNode)) return;
  const range = sel.getRangeAt(0);
  const at = node => { const e = node.nodeType === 3 ? node.parentElement : node;
    return e && e.dataset && e.dataset.t !== undefined ? +e.dataset.t : null; };
  let a = at(range.startContainer), b = at(range.endContainer);
  if (a === null || b === null) return;
  // a range starting at the end of a character, or ending at the start of one, leaves it out
  if (range.startContainer.nodeType === 3 && range.startOffset >= range.startContainer.length && a < b) a += 1;
  if (range.endContainer.nodeType === 3 && range.endOffset === 0 && b > a) b -= 1;
  span = [a, b]; listSpan();
});
function listSpan() {
  const [a, b] = span, l = cur.layer, q = cur.kind;
  document.querySelectorAll(".sel").forEach(s => s.classList.remove("sel"));
  for (let t = a; t <= b; t++) spans[t].classList.add("sel");
  const rows = [];
  for (let u = 0; u < H; u++) {
    let all = 0, sq = 0, inside = 0;
    for (let t = 0; t < T; t++) { const v = value(q, l, u, t); all += v; sq += v * v; if (t >= a && t <= b) inside += v; }
    const mean = all / T, sd = Math.sqrt(Math.max(sq / T - mean * mean, 0)), mIn = inside / (b - a + 1);
    rows.push({u, z: sd > 0 ? (mIn - mean) / sd : 0, mIn, mean});
  }
  rows.sort((x, y) => y.z - x.z);
  const quote = D.text.slice(a, b + 1).replaceAll("\n", "\u21b5");
  $("span-title").textContent = `Cells most on inside: ${quote.length > 40 ? quote.slice(0, 40) + "\u2026" : quote}`;
  $("span-hint").textContent = `layer ${l + 1}, ${NAMES[q]}; characters ${a}\u2013${b}. Mean inside vs over the whole text:`;
  const table = $("span-cells"); table.textContent = "";
  Object.assign(table.dataset, {from: a, to: b});
  rows.slice(0, 8).forEach(r => {
    const tr = el("tr", undefined, "pick"); tr.dataset.unit = r.u; tr.dataset.z = r.z;
    tr.appendChild(el("td", `cell ${r.u}`));
    tr.appendChild(el("td", `${r.z >= 0 ? "+" : "\u2212"}${Math.abs(r.z).toFixed(2)} sd`));
    tr.appendChild(el("td", `inside ${r.mIn.toFixed(2)}, overall ${r.mean.toFixed(2)}`));
    tr.onclick = () => show(l, q, r.u);
    table.appendChild(tr);
  });
}

// ---- gate saturation scatter, one per layer
if (!D.gates.length) {
  $("sat-hint").textContent = "A vanilla RNN has no gates: saturation is shown for LSTM and GRU models.";
} else {
  const size = 160, pad = 30;
  for (let l = 0; l < L; l++) {
    const s = svg("svg", {width: size + pad + 6, height: size + pad + 18, class: "sat-layer"});
    const X = v => pad + v * size, Y = v => 14 + size * (1 - v);
    s.appendChild(svg("text", {x: pad + size / 2, y: 11, "text-anchor": "middle", "font-size": 12,
      "font-weight": "bold"}, `layer ${l + 1}`));
    s.appendChild(svg("rect", {x: pad, y: 14, width: size, height: size, fill: "none", stroke: "#999"}));
    s.appendChild(svg("line", {x1: X(0), y1: Y(1), x2: X(1), y2: Y(0), stroke: "#bbb", "stroke-dasharray": "4 3"}));
    for (const v of [0, 0.5, 1]) {
      s.appendChild(svg("text", {x: X(v), y: Y(0) + 12, "text-anchor": "middle", "font-size": 10}, String(v)));
      s.appendChild(svg("text", {x: pad - 4, y: Y(v) + 4, "text-anchor": "end", "font-size": 10}, String(v)));
    }
    s.appendChild(svg("text", {x: pad + size / 2, y: Y(0) + 24, "text-anchor": "middle", "font-size": 10},
      "fraction < 0.1 (left-saturated)"));
    s.appendChild(svg("text", {x: 10, y: 14 + size / 2, "font-size": 10, "text-anchor": "middle",
      transform: `rotate(-90 10 ${14 + size / 2})`}, "fraction > 0.9"));
    for (const g of D.gates) D.saturation[g][l].forEach(([left, right], u) => {
      const dot = svg("circle", {cx: X(left), cy: Y(right), r: 3, fill: GATE_COLOUR[g],
        "fill-opacity": 0.6, class: "sat", "stroke-width": 1.5});
      Object.assign(dot.dataset, {layer: l, unit: u, gate: g});
      dot.appendChild(svg("title", {}, `layer ${l + 1}, gate ${g}, cell ${u}: below 0.1 ${left}, above 0.9 ${right}`));
      dot.onclick = () => show(l, g, u);
      s.appendChild(dot);
    });
    $("sat-plots").appendChild(s);
  }
  const key = el("div", undefined, "hint");
  for (const g of D.gates) { const k = el("span", `\u25cf ${NAMES[g]}  `); k.style.color = GATE_COLOUR[g]; key.appendChild(k); }
  $("sat-plots").appendChild(key);
}
show(cur.layer, cur.kind, cur.unit);
// open with one strip drawn: the first line start after K characters (a line's first
// character is predicted from the line before it)
let first = D.text.indexOf("\n", Math.min(K, T - 2)) + 1;
drawStrip(first > 0 && first < T ? first : T - 1);
"""
