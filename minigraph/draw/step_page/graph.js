"use strict";
// The step-through page. DATA comes from minigraph/draw/step_data.py: nodes (boxes placed
// by Graphviz), edges, steps (one per op node forward, then one per op node backward) and
// contributions (each gradient a node sent to one of its inputs, with its norm and the norm
// of the input's gradient summed so far, recorded by minigraph.trace during a real run).
// Every string from the graph goes into the page as a text node, never as markup.
// This file draws the graph and the state at a step; panel.js (appended to the same
// script) writes the panel, runs predict mode and moves between steps.

const DATA = JSON.parse(document.getElementById("data").textContent);
const NODES = DATA.nodes, STEPS = DATA.steps, SENT = DATA.contributions;
const FIRST_BACKWARD = STEPS.findIndex(s => s.phase === "backward");
const SVG_NS = "http://www.w3.org/2000/svg";
const STEP_COLOURS = ["#f59e0b", "#ea580c", "#fbbf24", "#c2410c", "#fcd34d", "#9a3412"];

// --------------------------------------------------------------- small helpers
function el(tag, props, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  for (const c of children) e.append(c);
  return e;
}
function svgEl(tag, attrs, ...children) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}
function fmt(x) {
  if (x === null || x === undefined) return "-";
  if (x === 0) return "0";
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e4 ? String(Number(x.toPrecision(3))) : x.toExponential(2);
}
function shapeText(n) { return "(" + n.shape.join(", ") + (n.shape.length === 1 ? ",)" : ")"); }
function nodeT(n) { return n.t === null || n.t === undefined ? "" : `t=${n.t}, `; }
const received = NODES.map(() => []);          // node -> its contributions, in order
SENT.forEach((c, i) => received[c.to].push(i));
// an assembly reads best in the order of its slices ([..., 0:8] before [..., 8:16])
const sliceStart = ci => (SENT[ci].part || "").match(/\d+/g)?.map(Number) || [];
for (const list of received) {
  if (list.length > 1 && list.every(ci => SENT[ci].disjoint)) {
    list.sort((a, b) => {
      const x = sliceStart(a), y = sliceStart(b);
      for (let k = 0; k < Math.min(x.length, y.length); k++) if (x[k] !== y[k]) return x[k] - y[k];
      return x.length - y.length;
    });
  }
}
const normSum = received.map(list => list.reduce((s, i) => s + SENT[i].norm, 0));

// --------------------------------------------------------------- the drawing
const graphBox = document.getElementById("graph");
const PAD = 24;  // room around the layout, so a node at its edge is not cut off
const WIDTH = DATA.width + 2 * PAD, HEIGHT = DATA.height + 2 * PAD;
const svg = svgEl("svg", {viewBox: `${-PAD} ${-PAD} ${WIDTH} ${HEIGHT}`});
const defs = svgEl("defs");
for (const [id, colour] of [["grey", "#9a9a9a"], ["blue", "#2166ac"], ["red", "#dc2626"],
                            ["orange", "#f2a65a"], ["faint", "#e5e5e5"]]) {
  defs.append(svgEl("marker", {id: `arrow-${id}`, viewBox: "0 0 10 10", refX: 9, refY: 5,
                               markerUnits: "userSpaceOnUse", markerWidth: 11, markerHeight: 11,
                               orient: "auto-start-reverse"},
                    svgEl("path", {d: "M0,0 L10,5 L0,10 z", fill: colour})));
}
svg.append(defs);
for (const [label, x, y, w, h] of DATA.clusters) {
  svg.append(svgEl("g", {class: "cluster"}, svgEl("rect", {x, y, width: w, height: h, rx: 8}),
                   svgEl("text", {x: x + 8, y: y + 16}, label)));
}
const edgeLayer = svgEl("g"), nodeLayer = svgEl("g"), labelLayer = svgEl("g");
svg.append(edgeLayer, nodeLayer, labelLayer);
const edgeEls = DATA.edges.map(e => {
  const path = svgEl("path", {d: e.path});
  const g = svgEl("g", {class: "edge"}, path);
  edgeLayer.append(g);
  return g;
});
const nodeEls = NODES.map((n, i) => {
  const cx = n.x + n.w / 2;
  const status = svgEl("text", {class: "status", x: cx, y: n.y + 45, "text-anchor": "middle"});
  const strip = svgEl("g", {class: "strip"});
  const name = n.name.length > 22 ? n.name.slice(0, 21) + "\u2026" : n.name;
  const op = `${n.kind === "param" || n.kind === "input" || n.kind === "const" ? n.kind : n.op} ${shapeText(n)}`;
  const tip = svgEl("title", {}, `${n.name}: ${n.op} ${shapeText(n)} ${n.dtype}`);
  const g = svgEl("g", {class: `node kind-${n.kind}`, "data-id": i}, tip,
    svgEl("rect", {class: "box", x: n.x, y: n.y, width: n.w, height: n.h,
                   rx: n.kind === "param" ? 14 : n.kind === "op" ? 6 : 2}),
    svgEl("text", {class: "name", x: cx, y: n.y + 16, "text-anchor": "middle"}, name),
    svgEl("text", {class: "op", x: cx, y: n.y + 30, "text-anchor": "middle"},
          op.length > 26 ? op.slice(0, 25) + "\u2026" : op),
    status, strip);
  g.addEventListener("click", () => nodeClicked(i));
  nodeLayer.append(g);
  return {g, status, strip, tip, about: tip.textContent};
});
graphBox.append(svg);
// squeeze a long name or op into its box rather than let it spill over the next one
for (const text of svg.querySelectorAll(".node text.name, .node text.op")) {
  const room = NODES[text.parentNode.dataset.id].w - 8;
  if (text.getComputedTextLength() > room) {
    text.setAttribute("textLength", room);
    text.setAttribute("lengthAdjust", "spacingAndGlyphs");
  }
}

// --------------------------------------------------------------- the state at a step
let current = 0, selected = null, scale = 1, fitAll = false, quiz = null;
const answered = new Set();

function arrivedAt(k) {
  // node -> indices of the contributions that have arrived by the end of step k
  const arrived = NODES.map(() => []);
  if (STEPS[k].phase === "backward") {
    for (let i = 0; i < SENT.length && SENT[i].step <= k; i++) arrived[SENT[i].to].push(i);
  }
  return arrived;
}
function describeSource(c) {
  if (c.from === null) return "seed dL/dL";
  const s = NODES[c.from];
  return `${s.t === null || s.t === undefined ? "" : "t=" + s.t + ", "}from ${s.name}`;
}
function sumText(i, arrived) {
  // g[name] = 0.12 (from a) + 0.31 (from b)  or, for an assembly, [part] 0.12 (from a) | ...
  const n = NODES[i], mine = new Set(arrived[i]);
  if (n.assembled) {
    const parts = received[i].map(ci => {
      const c = SENT[ci];
      return `${c.part} ${mine.has(ci) ? fmt(c.norm) : "?"} (${describeSource(c)})`;
    });
    return `g[${n.name}] = ` + parts.join("  |  ");
  }
  if (!arrived[i].length) return `g[${n.name}] = (nothing yet)`;
  return `g[${n.name}] = ` + arrived[i].map(ci => {
    const c = SENT[ci];
    return `${fmt(c.norm)}${c.part ? " into " + c.part : ""} (${describeSource(c)})`;
  }).join(" + ");
}
function sumBlock(i, arrived) {
  const n = NODES[i], got = arrived[i], total = got.length ? SENT[got[got.length - 1]].total : null;
  const complete = got.length === n.arrivals && n.arrivals > 0;
  const how = n.assembled ? `assembled from ${n.arrivals} disjoint slices` :
    n.arrivals > 1 ? `a sum of ${n.arrivals} contributions` : "one contribution";
  const missing = received[i].filter(ci => !got.includes(ci))
    .map(ci => SENT[ci].from === null ? "the seed" : NODES[SENT[ci].from].name);
  const status = complete
    ? `|g| = ${fmt(total)} \u2713 complete (${how})`
    : `|g| = ${fmt(total)} so far: ${got.length} of ${n.arrivals} arrived (${how}); ` +
      `still to come from ${missing.join(", ")}`;
  const block = el("div", {className: "sum mono" + (complete ? " complete" : "")},
    el("div", {className: "text"}, sumText(i, arrived)),
    el("div", {className: "status"}, status));
  block.dataset.node = i;
  block.dataset.total = total === null ? "" : String(total);
  return block;
}

// --------------------------------------------------------------- drawing a step
function show(k) {
  current = Math.max(0, Math.min(STEPS.length - 1, k));
  const step = STEPS[current], backward = step.phase === "backward";
  const arrived = arrivedAt(current);
  const computed = backward ? STEPS.length : current;  // forward steps done, this one included
  const forwardDone = new Set(NODES.map((n, i) => i).filter(i => NODES[i].kind === "param" ||
    NODES[i].kind === "input" || NODES[i].kind === "const"));
  for (let s = 0; s <= Math.min(computed, (FIRST_BACKWARD < 0 ? STEPS.length : FIRST_BACKWARD) - 1); s++) {
    forwardDone.add(STEPS[s].node);
  }
  const nowSent = backward ? step.sent.concat(step.seeds) : [];
  const receiving = new Set(nowSent.map(ci => SENT[ci].to));
  NODES.forEach((n, i) => drawNode(i, backward, forwardDone.has(i), arrived, receiving.has(i)));
  nodeEls[step.node].g.classList.add("current");
  drawEdges(step, backward, forwardDone, arrived, nowSent);
  document.getElementById("count").textContent = `step ${current + 1} of ${STEPS.length}`;
  const phase = document.getElementById("phase");
  phase.textContent = backward ? "backward" : "forward";
  phase.className = backward ? "backward" : "forward";
  document.getElementById("slider").value = current + 1;
  document.body.dataset.step = current;
  document.body.dataset.phase = step.phase;
  explain(step, arrived);
  showSelected(arrived, backward);
  const around = backward ? [...receiving] : DATA.edges.filter(e => e.to === step.node).map(e => e.from);
  follow(step.node, around);
}

function drawNode(i, backward, done, arrived, receiving) {
  const n = NODES[i], {g, status, strip, tip, about} = nodeEls[i];
  g.setAttribute("class", `node kind-${n.kind}`);
  // hovering shows the gradient written out, as far as it has arrived
  tip.textContent = backward && n.needsGrad && n.arrivals ? `${about}\n${sumText(i, arrived)}` : about;
  g.classList.toggle("selected", selected === i);
  strip.replaceChildren();
  g.removeAttribute("data-grad");
  if (!backward) {
    g.classList.add(done ? "computed" : "pending");
    status.textContent = !done ? "" : n.value ? `|v| ${fmt(n.value.norm)}` : n.dtype;
    return;
  }
  const got = arrived[i];
  if (receiving) g.classList.add("receiving");
  if (!n.needsGrad || n.arrivals === 0) {
    g.classList.add("no-grad");
    status.textContent = "no gradient";
    return;
  }
  if (!got.length) {
    g.classList.add("waiting");
    status.textContent = "|g| waiting";
    return;
  }
  const total = SENT[got[got.length - 1]].total, complete = got.length === n.arrivals;
  g.classList.add(complete ? "complete" : "partial");
  g.dataset.grad = String(total);
  status.textContent = complete ? `|g| ${fmt(total)} \u2713` :
    `|g| ${fmt(total)} (${got.length}/${n.arrivals})`;
  if (n.arrivals > 1) drawStrip(i, got, strip);
}

function drawStrip(i, got, strip) {
  // one segment per contribution: slots for an assembly, norm-wide segments for a sum
  const n = NODES[i], x0 = n.x + 7, width = n.w - 14, y = n.y + n.h - 11;
  const mine = new Set(got);
  let x = x0;
  received[i].forEach((ci, j) => {
    const c = SENT[ci];
    const w = n.assembled ? width / n.arrivals : width * c.norm / (normSum[i] || 1);
    const t = c.from === null ? null : NODES[c.from].t;
    const colour = STEP_COLOURS[(t === null || t === undefined ? j : t) % STEP_COLOURS.length];
    if (n.assembled) {
      strip.append(svgEl("rect", {class: "slot" + (mine.has(ci) ? " filled" : ""), x, y,
                                  width: Math.max(w - 2, 1), height: 7}));
    } else if (mine.has(ci)) {
      strip.append(svgEl("rect", {class: "segment", x, y, width: Math.max(w, 1.5), height: 7,
                                  fill: colour},
                         svgEl("title", {}, `${fmt(c.norm)} (${describeSource(c)})`)));
    }
    x += w;
  });
}

function drawEdges(step, backward, forwardDone, arrived, nowSent) {
  labelLayer.replaceChildren();
  const carried = new Set(), now = new Map();
  if (backward) {
    arrived.forEach(list => list.forEach(ci => { if (SENT[ci].edge !== null) carried.add(SENT[ci].edge); }));
    for (const ci of nowSent) {
      const c = SENT[ci];
      if (c.edge !== null) now.set(c.edge, (now.get(c.edge) || []).concat([c]));
    }
  }
  DATA.edges.forEach((e, j) => {
    const g = edgeEls[j], path = g.firstChild;
    let cls = "edge", marker = "grey", start = false;
    if (!backward) {
      if (!forwardDone.has(e.to)) { cls += " pending"; marker = "faint"; }
      else if (e.to === step.node) { cls += " forward-now"; marker = "blue"; }
    } else if (now.has(j)) { cls += " backward-now"; marker = "red"; start = true; }
    else if (carried.has(j)) { cls += " carried"; marker = "orange"; }
    g.setAttribute("class", cls);
    path.setAttribute(start ? "marker-start" : "marker-end", `url(#arrow-${marker})`);
    path.removeAttribute(start ? "marker-end" : "marker-start");
    if (now.has(j)) label(path, now.get(j));
  });
}

function label(path, contributions) {
  // the norm only (the panel names the slice); above a short edge, not over its nodes
  const length = path.getTotalLength(), middle = path.getPointAtLength(length / 2);
  const text = contributions.map(c => fmt(c.norm)).join(" + ");
  const w = 8 * text.length + 10, y = length < w + 24 ? middle.y - 24 : middle.y;
  const t = svgEl("text", {x: middle.x, y: y + 4.5, "text-anchor": "middle"}, text);
  labelLayer.append(svgEl("g", {class: "edge-label"},
    svgEl("rect", {x: middle.x - w / 2, y: y - 10, width: w, height: 20, rx: 4}), t));
}

