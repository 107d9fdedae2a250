// The step page's panel (what this step does, the selected node), predict mode and
// navigation. It runs after graph.js, in the same script, and uses its names.

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
