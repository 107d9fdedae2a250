"use strict";
// The step-through page. DATA comes from minigraph/draw/step_data.py: nodes (boxes placed
// by Graphviz), edges, steps (one per op node forward, then one per op node backward) and
// contributions (each gradient a node sent to one of its inputs, with its norm and the norm
// of the input's gradient summed so far, recorded by minigraph.trace during a real run).
// Every string from the graph goes into the page as a text node, never as markup.

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

// --------------------------------------------------------------- the panel
function explain(step, arrived) {
  const n = NODES[step.node], box = document.getElementById("now");
  box.replaceChildren();
  const inputs = DATA.edges.filter(e => e.to === step.node).map(e => NODES[e.from].name);
  if (step.phase === "forward") {
    const formula = n.op.startsWith("[") ? `${inputs[0]}${n.op}` : `${n.op}(${inputs.join(", ")})`;
    box.append(el("h2", {}, `${n.name} = ${formula}`),
      el("p", {}, `Forward: computed from the values of its inputs. ${nodeT(n) ? "Timestep " + n.t + ". " : ""}` +
                  `Shape ${shapeText(n)} ${n.dtype}.`),
      valueTable(n),
      el("p", {className: "hint"}, FIRST_BACKWARD >= 0
        ? `No gradient exists yet: the backward pass starts at step ${FIRST_BACKWARD + 1}, once the loss is computed.`
        : "This trace has no backward pass."));
    return;
  }
  box.append(el("h2", {}, `${n.name} (${n.op}) runs its backward`));
  if (step.seeds.length) {
    box.append(el("p", {}, "Backward starts at the loss: its gradient dL/dL = 1 is the seed."));
  }
  if (step.grad === null) {
    box.append(el("p", {}, `${n.name} has no gradient (${n.needsGrad ? "nothing it feeds leads to the loss" : "none of its inputs needs one"}), so it sends nothing.`));
    return;
  }
  box.append(el("p", {}, `Its gradient is complete: |g| = ${fmt(step.grad)}. ` +
    `Its backward turns it into one gradient for each input that needs one:`));
  const targets = [];
  for (const ci of step.sent) {
    const c = SENT[ci], t = NODES[c.to];
    box.append(el("div", {className: "sent mono"},
      `\u2192 ${t.name}${c.part ? " " + c.part : ""}: ${fmt(c.norm)}` +
      (c.deferred ? "  (a weight product the engine multiplies out later)" : "")));
    if (!targets.includes(c.to)) targets.push(c.to);
  }
  const skipped = DATA.edges.filter(e => e.to === step.node && !step.sent.some(ci => SENT[ci].from === step.node && SENT[ci].to === e.from));
  if (skipped.length) {
    box.append(el("p", {className: "hint"}, "No gradient for " +
      skipped.map(e => NODES[e.from].name).join(", ") + " (integers, constants or inputs that need none)."));
  }
  box.append(el("h3", {}, "Running sums at the nodes that received"));
  for (const i of targets) box.append(sumBlock(i, arrived));
  if (current === STEPS.length - 1) {
    box.append(el("h3", {}, "Backward is done: the parameters' gradients"));
    NODES.forEach((p, i) => { if (p.kind === "param" && p.arrivals && !targets.includes(i)) box.append(sumBlock(i, arrived)); });
  }
}

function valueTable(n) {
  if (!n.value) return el("p", {className: "mono"}, `${n.dtype} values (no norm shown)`);
  const row = (k, v) => el("tr", {}, el("td", {}, k), el("td", {className: "mono"}, fmt(v)));
  return el("table", {className: "stats"}, row("|v|", n.value.norm), row("mean", n.value.mean),
            row("min", n.value.min), row("max", n.value.max));
}

function showSelected(arrived, backward) {
  const box = document.getElementById("selected");
  box.replaceChildren();
  if (selected === null) {
    box.append(el("h3", {}, "Any node"), el("p", {className: "hint"},
      "Click a node to see its value and its gradient so far; click it again to let go."));
    return;
  }
  const n = NODES[selected];
  box.append(el("h3", {}, "Selected node"), el("h2", {}, n.name),
    el("p", {}, `${n.kind === "op" || n.kind === "fused" || n.kind === "loss" ? n.op : n.kind}, ` +
                `${nodeT(n)}shape ${shapeText(n)} ${n.dtype}`));
  const computedNow = backward || n.kind === "param" || n.kind === "input" || n.kind === "const" ||
    STEPS.slice(0, current + 1).some(s => s.node === selected);
  box.append(computedNow ? valueTable(n) : el("p", {}, "Not computed yet."));
  if (backward && n.needsGrad && n.arrivals) box.append(sumBlock(selected, arrived));
  else if (backward) box.append(el("p", {}, "Receives no gradient."));
}

// --------------------------------------------------------------- predict mode
function targetsOf(k) { return STEPS[k].sent.map(ci => SENT[ci]); }
function openQuiz(k) {
  quiz = {step: k, stage: "node", tries: 0};
  renderQuiz();
}
function renderQuiz(feedback, right) {
  const box = document.getElementById("quiz");
  box.hidden = quiz === null;
  box.replaceChildren();
  if (!quiz) return;
  box.append(el("h3", {}, `Predict step ${quiz.step + 1}`));
  if (quiz.stage === "node") {
    box.append(el("p", {}, "Which node receives a gradient next? Click it in the graph."));
  } else {
    const t = NODES[quiz.target.to];
    const input = el("input", {id: "guess", type: "text", placeholder: "e.g. 0.25"});
    const check = el("button", {id: "check", onclick: () => checkNorm(input.value)}, "check");
    input.addEventListener("keydown", e => { if (e.key === "Enter") checkNorm(input.value); e.stopPropagation(); });
    box.append(el("p", {}, `Yes, ${t.name}. How large is the gradient it receives now? ` +
                           "Within 10% counts."), el("p", {}, "|g| \u2248 ", input, " ", check));
  }
  if (feedback) box.append(el("p", {className: "feedback " + (right ? "right" : "wrong")}, feedback));
  box.append(el("p", {}, el("button", {id: "reveal", onclick: reveal}, "reveal"),
                " (or press \u2192)"));
}
function quizClick(i) {
  const right = targetsOf(quiz.step).find(c => c.to === i);
  if (right) {
    quiz.stage = "norm"; quiz.target = right;
    renderQuiz();
    return;
  }
  quiz.tries += 1;
  const n = NODES[i], done = arrivedAt(current)[i].length === n.arrivals && n.arrivals > 0;
  const why = !n.needsGrad ? `${n.name} never takes a gradient.` :
    done ? `${n.name}'s gradient is already complete.` : `Not ${n.name}, not yet.`;
  const hint = quiz.tries >= 2 ? " Hint: the outlined node runs its backward next (the last one computed in forward whose gradient is not yet passed on)." : "";
  if (quiz.tries >= 2) {
    nodeEls[STEPS[quiz.step].node].g.classList.add("asked");
    follow(STEPS[quiz.step].node, []);
  }
  renderQuiz(why + hint, false);
}
function checkNorm(text) {
  const guess = parseFloat(text), truth = quiz.target.norm;
  if (!isFinite(guess)) { renderQuiz("Type a number.", false); return; }
  const off = Math.abs(guess - truth) / truth;
  if (off <= 0.1) { reveal(`Right: ${fmt(truth)} (you said ${text}).`); return; }
  renderQuiz(`Off by ${Math.round(100 * off)}%: try again, or reveal.`, false);
}
function reveal(message) {
  const k = quiz.step;
  answered.add(k);
  quiz = null;
  show(k);
  if (typeof message === "string") {
    const box = document.getElementById("quiz");
    box.hidden = false;
    box.replaceChildren(el("p", {className: "feedback right"}, message));
  }
}

// --------------------------------------------------------------- moving around
function go(k) {
  quiz = null;
  renderQuiz();
  show(k);
}
function next() {
  if (quiz) { reveal(); return; }
  const k = current + 1;
  if (k >= STEPS.length) return;
  if (document.getElementById("predict").checked && STEPS[k].phase === "backward" &&
      STEPS[k].sent.length && !answered.has(k)) {
    openQuiz(k);
    return;
  }
  go(k);
}
function nodeClicked(i) {
  if (quiz && quiz.stage === "node") { quizClick(i); return; }
  selected = selected === i ? null : i;
  const step = STEPS[current];
  showSelected(arrivedAt(current), step.phase === "backward");
  nodeEls.forEach((e, j) => e.g.classList.toggle("selected", selected === j));
}
function unselect() {
  selected = null;
  nodeEls.forEach(e => e.g.classList.remove("selected"));
  showSelected(arrivedAt(current), STEPS[current].phase === "backward");
}
function follow(current, others) {
  // keep this step's node in view at a readable size, and as many of the nodes it sends
  // to (or reads from) as fit around it
  if (fitAll) return;
  const view = graphBox, box = i => [(NODES[i].x + PAD) * scale, (NODES[i].y + PAD) * scale,
    (NODES[i].x + NODES[i].w + PAD) * scale, (NODES[i].y + NODES[i].h + PAD) * scale];
  const all = [current, ...others].map(box), me = box(current), margin = 30;
  for (const [lo, hi, start, size] of [[0, 2, "scrollLeft", view.clientWidth],
                                       [1, 3, "scrollTop", view.clientHeight]]) {
    const from = Math.min(...all.map(b => b[lo])), to = Math.max(...all.map(b => b[hi]));
    let want = view[start];
    if (from < want || to > want + size) want = (from + to) / 2 - size / 2;
    // the node itself must stay inside the view, whatever the others need
    want = Math.min(want, me[lo] - margin);
    want = Math.max(want, me[hi] + margin - size);
    view[start] = want;
  }
}
function zoom(fit) {
  fitAll = fit;
  const byHeight = (graphBox.clientHeight - 4) / HEIGHT;
  scale = fit ? Math.min((graphBox.clientWidth - 4) / WIDTH, byHeight, 1)
              : Math.min(1, Math.max(0.8, byHeight));
  svg.setAttribute("width", WIDTH * scale);
  svg.setAttribute("height", HEIGHT * scale);
  show(current);
}

const slider = document.getElementById("slider");
slider.max = STEPS.length;
slider.addEventListener("input", () => go(Number(slider.value) - 1));
document.getElementById("first").onclick = () => go(0);
document.getElementById("prev").onclick = () => go(current - 1);
document.getElementById("next").onclick = next;
document.getElementById("last").onclick = () => go(STEPS.length - 1);
document.getElementById("fit").onclick = () => zoom(true);
document.getElementById("full").onclick = () => zoom(false);
document.getElementById("predict").addEventListener("change", () => { quiz = null; renderQuiz(); });
document.addEventListener("keydown", e => {
  if (e.target.tagName === "INPUT" && e.target.type === "text") return;
  const moves = {ArrowRight: next, ArrowLeft: () => go(current - 1), Home: () => go(0),
                 End: () => go(STEPS.length - 1), Escape: unselect};
  if (moves[e.key]) { e.preventDefault(); moves[e.key](); }
});
zoom(false);
