// FlowState Inspector page: plain DOM, no framework. Every text from the store goes in through textContent, never
// as HTML. The token lives in sessionStorage and travels in a header only.
"use strict";

const api = new URL("api/v1/", document.baseURI).pathname;
const main = document.getElementById("main");
let info = null;
let rendering = null;
// The last prune's outcome, kept across the re-renders that live updates cause.
let pruned = "";

function token() { return sessionStorage.getItem("flowstate-token") || ""; }

function h(tag, attributes, ...children) {
  const svg = ["svg", "g", "rect", "text", "path", "title", "defs", "marker", "polygon"].includes(tag);
  const element = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

class ApiError extends Error {
  constructor(status, problem) { super((problem && (problem.detail || problem.title)) || `HTTP ${status}`); this.status = status; this.problem = problem; }
}

async function call(path, options = {}) {
  const headers = { "Accept": "application/json", ...(options.headers || {}) };
  if (token()) headers["X-FlowState-Token"] = token();
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(api + path, { method: options.method || "GET", headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  if (response.status === 204) return null;
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

function when(text) { return text ? new Date(text).toLocaleString() : ""; }
function qs(params) { const s = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v !== null && v !== undefined)); return s.toString() ? "?" + s : ""; }
function route() {
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query || "") };
}
function link(hash, ...children) { return h("a", { href: hash }, ...children); }
function runHash(id, step) { return `#/runs/${encodeURIComponent(id)}` + (step === undefined ? "" : `/steps/${step}`); }
function stateHash(scopeKey, key) { return "#/state" + qs({ scope: scopeKey, key }); }

// ---- JSON tree -----------------------------------------------------------------------------------------------
function jsonTree(value, name) {
  const label = name === undefined ? [] : [h("span", { class: "k" }, JSON.stringify(name)), ": "];
  if (value === null) return h("div", { class: "row" }, ...label, h("span", { class: "z" }, "null"));
  if (Array.isArray(value) || typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    const brackets = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
    if (entries.length === 0) return h("div", { class: "row" }, ...label, brackets.join(""));
    return h("details", { open: entries.length <= 50 },
      h("summary", {}, ...label, `${brackets[0]} ${entries.length} ${Array.isArray(value) ? "items" : "keys"} ${brackets[1]}`),
      entries.map(([k, v]) => jsonTree(v, Array.isArray(value) ? undefined : k)));
  }
  const kind = typeof value === "string" ? "s" : typeof value === "number" ? "n" : "b";
  return h("div", { class: "row" }, ...label, h("span", { class: kind }, JSON.stringify(value)));
}
function json(value) { return h("div", { class: "json" }, jsonTree(value)); }
function short(value) { const text = JSON.stringify(value); return text === undefined ? "" : text.length > 120 ? text.slice(0, 120) + "…" : text; }

// ---- graph ---------------------------------------------------------------------------------------------------
// Where each node of a run's flow stands, from the run's record and kept steps.
function runNodeStatus(run) {
  const done = new Set(run.history.map(s => s.node));
  return name => {
    if (run.status === "failed" && run.next === name) return "failed";
    if (run.status === "interrupted" && run.interruptedAt === name) return "waiting";
    if (run.next === name) return "next";
    return done.has(name) ? "done" : "pending";
  };
}

function drawGraph(graph, status, missing) {
  if (!graph) return h("p", { class: "muted" }, missing);
  // Layers by shortest distance from the start; nodes the start cannot reach go last.
  const layer = new Map([[graph.start, 0]]);
  const queue = [graph.start];
  while (queue.length) {
    const node = queue.shift();
    for (const edge of graph.edges.filter(e => e.from === node)) {
      if (!layer.has(edge.to)) { layer.set(edge.to, layer.get(node) + 1); queue.push(edge.to); }
    }
  }
  const deepest = Math.max(0, ...layer.values());
  for (const node of graph.nodes) if (!layer.has(node.name)) layer.set(node.name, deepest + 1);
  const rows = new Map();
  for (const node of graph.nodes) { const l = layer.get(node.name); rows.set(l, [...(rows.get(l) || []), node]); }
  const width = 150, height = 40, gapX = 40, gapY = 60;
  const widest = Math.max(...[...rows.values()].map(r => r.length));
  const position = new Map();
  for (const [l, nodes] of rows) {
    const offset = (widest - nodes.length) * (width + gapX) / 2;
    nodes.forEach((node, i) => position.set(node.name, { x: 10 + offset + i * (width + gapX), y: 10 + l * (height + gapY) }));
  }
  // Edges back to an earlier layer are drawn as curves on the right: leave room for them.
  const loops = graph.edges.some(e => layer.get(e.to) <= layer.get(e.from));
  const svg = h("svg", { class: "graph", viewBox: `0 0 ${20 + widest * (width + gapX) - gapX + (loops ? 80 : 0)} ${20 + Math.max(...rows.keys()) * (height + gapY) + height}`, role: "img", "aria-label": `Graph of flow ${graph.name}` },
    h("defs", {}, h("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, h("polygon", { points: "0,0 10,5 0,10", fill: "#8a96a3" }))));
  for (const edge of graph.edges) {
    const a = position.get(edge.from), b = position.get(edge.to);
    if (!a || !b) continue;
    const x1 = a.x + width / 2, y1 = a.y + height, x2 = b.x + width / 2, y2 = b.y;
    const back = b.y <= a.y;
    const d = back
      ? `M ${a.x + width} ${a.y + height / 2} C ${a.x + width + 60} ${a.y + height / 2}, ${b.x + width + 60} ${b.y + height / 2}, ${b.x + width} ${b.y + height / 2}`
      : `M ${x1} ${y1} C ${x1} ${y1 + gapY / 2}, ${x2} ${y2 - gapY / 2}, ${x2} ${y2}`;
    svg.append(h("path", { class: "edge", d, "marker-end": "url(#arrow)" }, h("title", {}, `${edge.from} —${edge.action}→ ${edge.to}`)));
    if (edge.action !== "default") {
      svg.append(h("text", { class: "label", x: back ? a.x + width + 30 : (x1 + x2) / 2 + 4, y: back ? (a.y + b.y) / 2 + height / 2 : (y1 + y2) / 2 }, edge.action));
    }
  }
  for (const node of graph.nodes) {
    const p = position.get(node.name);
    const nodeStatus = status(node.name);
    svg.append(h("g", { class: "node", "data-node": node.name, "data-status": nodeStatus },
      h("title", {}, `${node.name} (${node.kind}) — ${nodeStatus}`),
      h("rect", { x: p.x, y: p.y, width, height }),
      h("text", { x: p.x + width / 2, y: p.y + height / 2 + 4, "text-anchor": "middle" }, node.name.length > 20 ? node.name.slice(0, 19) + "…" : node.name)));
  }
  return svg;
}

// ---- views ---------------------------------------------------------------------------------------------------
async function runsView(query) {
  const offset = Number(query.get("offset") || 0), limit = 50;
  const page = await call("runs" + qs({ flow: query.get("flow"), status: query.get("status"), offset, limit }));
  const filters = h("form", { class: "filters", role: "search", onsubmit: event => {
      event.preventDefault();
      const form = new FormData(event.target);
      location.hash = "#/runs" + qs({ flow: form.get("flow"), status: form.get("status") });
    } },
    h("label", {}, "Flow", h("input", { name: "flow", value: query.get("flow") || "" })),
    h("label", {}, "Status", h("select", { name: "status" }, ["", "running", "completed", "failed", "interrupted", "cancelled"].map(s => h("option", { value: s, selected: s === (query.get("status") || "") }, s || "any")))),
    h("button", { type: "submit" }, "Filter"));
  const rows = page.items.map(run => h("tr", { "data-run": run.runId },
    h("td", {}, link(runHash(run.runId), run.runId)),
    h("td", {}, run.flow),
    h("td", {}, h("span", { class: `status ${run.status}` }, run.status)),
    h("td", {}, run.steps),
    h("td", {}, when(run.startedAt)),
    h("td", {}, when(run.updatedAt))));
  const pager = h("div", { class: "pager" },
    h("span", { class: "muted" }, page.total === 0 ? "No runs" : `${page.offset + 1}–${page.offset + page.items.length} of ${page.total} runs`),
    offset > 0 ? link("#/runs" + qs({ flow: query.get("flow"), status: query.get("status"), offset: Math.max(0, offset - limit) }), "Newer") : null,
    offset + limit < page.total ? link("#/runs" + qs({ flow: query.get("flow"), status: query.get("status"), offset: offset + limit }), "Older") : null);
  const prune = info.allowWrites ? h("form", { class: "filters", id: "prune", onsubmit: async event => {
      event.preventDefault();
      const form = new FormData(event.target);
      const body = { dryRun: event.submitter?.value === "dry", statuses: [form.get("status")] };
      if (form.get("days")) body.olderThan = `${Number(form.get("days"))}.00:00:00`;
      if (form.get("keep")) body.keepLast = Number(form.get("keep"));
      const result = await act(() => call("runs/prune", { method: "POST", body }));
      if (result) {
        pruned = result.runs.length === 0 ? "No run matches." : `${result.dryRun ? "Would delete" : "Deleted"} ${result.runs.length} run(s): ${result.runs.join(", ")}`;
        document.getElementById("prune-result").textContent = pruned;
      }
    } },
    h("label", {}, "Prune runs older than (days)", h("input", { name: "days", type: "number", min: 0 })),
    h("label", {}, "with status", h("select", { name: "status" }, ["completed", "failed", "cancelled", "interrupted", "running"].map(s => h("option", { value: s }, s)))),
    h("label", {}, "keeping per flow the newest", h("input", { name: "keep", type: "number", min: 0 })),
    h("button", { type: "submit", value: "dry", class: "secondary" }, "Dry run"),
    h("button", { type: "submit", value: "prune", class: "danger" }, "Prune"),
    h("span", { id: "prune-result", role: "status", class: "muted" }, pruned)) : null;
  return h("section", { class: "card" }, h("h2", {}, "Runs"), filters,
    h("table", { id: "runs" }, h("thead", {}, h("tr", {}, ["Run", "Flow", "Status", "Steps", "Started", "Updated"].map(t => h("th", { scope: "col" }, t)))), h("tbody", {}, rows)), pager, prune);
}

async function runView(runId, stepIndex) {
  const run = await call(`runs/${encodeURIComponent(runId)}`);
  const facts = h("dl", { class: "facts" },
    h("dt", {}, "Flow"), h("dd", {}, run.flow),
    h("dt", {}, "Status"), h("dd", {}, h("span", { class: `status ${run.status}`, id: "run-status" }, run.status)),
    h("dt", {}, "Steps"), h("dd", {}, run.steps),
    h("dt", {}, "Started"), h("dd", {}, when(run.startedAt)),
    h("dt", {}, "Updated"), h("dd", {}, when(run.updatedAt)),
    run.next ? [h("dt", {}, "Next"), h("dd", {}, run.next)] : null,
    run.forkedFromRun ? [h("dt", {}, "Forked from"), h("dd", {}, link(runHash(run.forkedFromRun, run.forkedFromStep), `${run.forkedFromRun} after step ${run.forkedFromStep}`))] : null,
    run.interruptedAt ? [h("dt", {}, "Waiting in"), h("dd", {}, `${run.interruptedAt}: ${run.question || ""}`)] : null,
    run.error ? [h("dt", {}, "Error"), h("dd", { class: "error" }, run.error)] : null);
  const timeline = h("ol", { class: "timeline", id: "steps", "aria-label": "Steps" }, run.history.map(step =>
    h("li", { "data-step": step.index }, link(runHash(runId, step.index),
      h("span", { class: "index" }, `#${step.index}`),
      h("span", {}, step.node || "(start)"),
      step.action && step.action !== "default" ? h("span", { class: "muted" }, `→ ${step.action}`) : null,
      h("span", { class: "keys" }, step.keys.join(", "))))));
  for (const item of timeline.querySelectorAll("li")) if (Number(item.dataset.step) === stepIndex) item.querySelector("a").setAttribute("aria-current", "true");
  const resumable = info.allowWrites && info.flows.includes(run.flow) && run.status !== "completed";
  const answer = resumable && run.status === "interrupted" ? h("form", { id: "answer", onsubmit: async event => {
      event.preventDefault();
      let input;
      try { input = JSON.parse(new FormData(event.target).get("input")); } catch (error) { alert("Not valid JSON: " + error.message); return; }
      await act(() => call(`runs/${encodeURIComponent(runId)}/resume`, { method: "POST", body: { input } }));
    } }, h("label", {}, `Answer (JSON) to: ${run.question || "(no question)"}`, h("textarea", { name: "input", "aria-label": "Answer (JSON)" }, "true")),
    h("button", { type: "submit" }, "Answer and resume")) : null;
  const actions = info.allowWrites ? h("div", { class: "pager" },
    resumable && run.status !== "interrupted" ? h("button", { id: "resume", onclick: async () => {
      await act(() => call(`runs/${encodeURIComponent(runId)}/resume`, { method: "POST" }));
    } }, "Resume run") : null,
    h("button", { class: "danger", id: "delete-run", onclick: async () => {
      if (!confirm(`Delete run ${runId} with its state and history?`)) return;
      await act(() => call(`runs/${encodeURIComponent(runId)}`, { method: "DELETE" }), "#/runs");
    } }, "Delete run")) : null;
  const left = h("div", {},
    h("section", { class: "card" }, h("h2", {}, `Run ${run.runId}`), facts, actions, answer),
    h("section", { class: "card" }, h("h2", {}, "Flow"), drawGraph(run.graph, runNodeStatus(run), "This run started before runs recorded their flow's graph.")),
    h("section", { class: "card" }, h("h2", {}, "Steps"), run.history.length ? timeline : h("p", { class: "muted" }, run.forkedFromRun
      ? `No step since the fork yet: it starts with the state of ${run.forkedFromRun} after step ${run.forkedFromStep}.`
      : "No kept steps: this run's runner kept no history.")));
  const right = h("div", {}, stepIndex === undefined
    ? h("section", { class: "card" }, h("p", { class: "muted" }, "Choose a step to see the state after it and what it changed."))
    : await stepView(runId, stepIndex));
  return h("div", { class: "columns" }, left, right);
}

async function stepView(runId, index) {
  const step = await call(`runs/${encodeURIComponent(runId)}/steps/${index}`);
  const diff = step.diff.length === 0 ? h("p", { class: "muted" }, "This step changed no field of the run.")
    : h("table", { class: "diff", id: "diff" }, h("thead", {}, h("tr", {}, ["Field", "Change", "Before", "After"].map(t => h("th", { scope: "col" }, t)))),
      h("tbody", {}, step.diff.map(d => h("tr", { "data-key": d.key }, h("td", { class: "wrap" }, d.key), h("td", { class: d.change }, d.change), h("td", { class: "wrap json" }, d.change === "added" ? "—" : short(d.before)), h("td", { class: "wrap json" }, d.change === "removed" ? "—" : short(d.after))))));
  const fork = info.allowWrites ? h("button", { class: "secondary", id: "fork", onclick: async () => {
      const result = await act(() => call(`runs/${encodeURIComponent(runId)}/fork`, { method: "POST", body: { step: index } }));
      if (result) location.hash = runHash(result.runId);
    } }, "Fork from this step") : null;
  return h("section", { class: "card", id: "step" },
    h("h2", {}, `Step #${step.index}: ${step.node || "(start)"}`, step.action ? ` → ${step.action}` : ""),
    h("p", { class: "muted" }, when(step.at)), fork,
    h("h2", {}, step.previousIndex === undefined || step.previousIndex === null ? "Changes" : `Changes since step #${step.previousIndex}`), diff,
    h("h2", {}, "State after this step"), json(step.state));
}

async function stateView(query) {
  const scopeKey = query.get("scope") || "";
  const [scopes, keys] = await Promise.all([call("scopes" + qs({ parentKey: scopeKey, limit: 500 })), call("keys" + qs({ scopeKey, prefix: query.get("prefix"), offset: query.get("offset"), limit: 100 }))]);
  const crumbs = scopes.path.flatMap((s, i) => [i > 0 ? " / " : null, link(stateHash(s.scopeKey), s.kind === "global" ? "(global)" : `${s.kind}:${s.name}`)]);
  const search = h("form", { class: "filters", role: "search", onsubmit: event => {
      event.preventDefault();
      location.hash = "#/state" + qs({ scope: scopeKey, prefix: new FormData(event.target).get("prefix") });
    } }, h("label", {}, "Key prefix", h("input", { name: "prefix", value: query.get("prefix") || "" })), h("button", { type: "submit" }, "Search"));
  const scopeList = h("table", { id: "scopes" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Scope"), h("th", { scope: "col" }, "Keys"))),
    h("tbody", {}, scopes.items.map(s => h("tr", {}, h("td", { class: "wrap" }, link(stateHash(s.scopeKey), `${s.kind}:${s.name}`)), h("td", {}, s.keys)))));
  const keyList = h("table", { id: "keys" }, h("thead", {}, h("tr", {}, ["Key", "Version", "Size", "Value"].map(t => h("th", { scope: "col" }, t)))),
    h("tbody", {}, keys.items.map(k => h("tr", { class: k.key === query.get("key") ? "selected" : null, "data-key": k.key },
      h("td", { class: "wrap" }, link(stateHash(scopeKey, k.key), k.key)), h("td", {}, k.version), h("td", {}, k.size), h("td", {}, k.preview)))));
  const left = h("div", {},
    h("section", { class: "card" }, h("h2", {}, "Scope"), h("nav", { class: "breadcrumb", "aria-label": "Scope path" }, crumbs), search,
      scopes.items.length ? scopeList : h("p", { class: "muted" }, "No child scopes."),
      h("h2", {}, `Keys (${keys.total})`), keys.items.length ? keyList : h("p", { class: "muted" }, "No keys here.")));
  const right = h("div", {}, query.get("key") ? await keyView(scopeKey, scopes.scope, query.get("key")) : h("section", { class: "card" }, h("p", { class: "muted" }, "Choose a key to see its value, version, expiry and history.")));
  return h("div", { class: "columns" }, left, right);
}

async function keyView(scopeKey, scopeText, key) {
  const entry = await call("key" + qs({ scopeKey, key }));
  const history = await call("key/history" + qs({ scopeKey, key }));
  const download = h("a", { href: "#", onclick: async event => {
      event.preventDefault();
      const response = await fetch(api + "key/raw" + qs({ scopeKey, key }), { headers: { "X-FlowState-Token": token() } });
      const url = URL.createObjectURL(await response.blob());
      h("a", { href: url, download: key + ".json" }).click();
      URL.revokeObjectURL(url);
    } }, "Download the whole value");
  const editor = info.allowWrites && !entry.redacted ? h("form", { id: "edit", onsubmit: async event => {
      event.preventDefault();
      let value;
      try { value = JSON.parse(new FormData(event.target).get("value")); } catch (error) { alert("Not valid JSON: " + error.message); return; }
      await act(() => call("key", { method: "PUT", body: { scopeKey, key, value, expectedVersion: entry.version } }));
    } }, h("h2", {}, "Edit"), h("textarea", { name: "value", "aria-label": "New value (JSON)" }, entry.truncated ? "" : JSON.stringify(entry.value, null, 2)),
    h("button", { type: "submit" }, `Save (expects version ${entry.version})`)) : null;
  return h("section", { class: "card", id: "key" },
    h("h2", {}, key),
    h("dl", { class: "facts" }, h("dt", {}, "Scope"), h("dd", {}, scopeText || "(global)"), h("dt", {}, "Version"), h("dd", {}, entry.version),
      h("dt", {}, "Size"), h("dd", {}, `${entry.size} bytes`), h("dt", {}, "Expires"), h("dd", {}, entry.expiresAt ? when(entry.expiresAt) : "never")),
    h("h2", {}, "Value"),
    entry.redacted ? h("p", { class: "notice" }, "This value is redacted by the inspector's configuration.")
      : entry.truncated ? [h("p", { class: "notice" }, `Too large to show whole (${entry.size} bytes); the first part:`), download, h("pre", { class: "json preview" }, entry.value.length > 2000 ? entry.value.slice(0, 2000) + "…" : entry.value)]
      : json(entry.value),
    editor,
    h("h2", {}, "History"),
    history.items.length ? h("ol", { class: "timeline" }, history.items.map(item => h("li", {}, h("span", { class: "index" }, `v${item.version}`), " ", when(item.changedAt), " ", item.deleted ? "(deleted)" : short(item.value))))
      : h("p", { class: "muted" }, "No history kept for this key (StateStoreOptions.History is off for its scope)."));
}

async function pipelinesView(name) {
  if (name) {
    const list = await call(`pipelines/${encodeURIComponent(name)}/checkpoints`);
    const rows = list.items.map(c => h("tr", { "data-checkpoint": c.id },
      h("td", {}, c.id), h("td", {}, when(c.createdAt)), h("td", {}, c.incremental ? `incremental (chain ${c.chainLength})` : "full"),
      h("td", {}, c.partitions), h("td", {}, c.entries), h("td", {}, c.bytes), h("td", {}, `${Math.round(c.durationMs)} ms`),
      h("td", { class: "wrap" }, Object.entries(c.sourceOffsets).map(([source, offset]) => `${source}: ${offset ?? "start"}`).join(", "))));
    return h("section", { class: "card" }, h("h2", {}, `Checkpoints of ${list.name}`), h("p", { class: "muted" }, list.storage),
      list.items.length ? h("table", { id: "checkpoints" }, h("thead", {}, h("tr", {}, ["Id", "Taken", "Kind", "Partitions", "Entries", "Bytes", "Took", "Source offsets"].map(t => h("th", { scope: "col" }, t)))), h("tbody", {}, rows))
        : h("p", { class: "muted" }, "No complete checkpoint yet."));
  }
  const pipelines = await call("pipelines");
  return h("section", { class: "card" }, h("h2", {}, "Pipelines"),
    pipelines.items.length ? h("table", { id: "pipelines" }, h("thead", {}, h("tr", {}, ["Pipeline", "Checkpoint storage", "Checkpoints", "Latest"].map(t => h("th", { scope: "col" }, t)))),
      h("tbody", {}, pipelines.items.map(p => h("tr", {}, h("td", {}, link(`#/pipelines/${encodeURIComponent(p.name)}`, p.name)), h("td", { class: "wrap" }, p.storage), h("td", {}, p.checkpoints), h("td", {}, p.latest ?? "")))))
      : h("p", { class: "muted" }, "No pipelines: start the inspector with flowstate serve --pipeline <file.yaml> (or FlowStateInspectorOptions.Pipelines) to list their checkpoints."));
}

async function agentFrameworkView(query) {
  if (query.get("scope")) return agentFrameworkSessionView(query.get("scope"));
  const offset = Number(query.get("offset") || 0), limit = 50;
  const page = await call("agent-framework/sessions" + qs({ offset, limit }));
  const rows = page.items.map(s => h("tr", { "data-session": s.sessionId },
    h("td", { class: "wrap" }, link("#/agent-framework" + qs({ scope: s.scopeKey }), s.sessionId)),
    h("td", { class: "wrap" }, s.root), h("td", {}, s.count), h("td", {}, s.lastStep ?? ""), h("td", {}, when(s.lastCreated)),
    h("td", {}, s.waiting ? h("span", { class: "status interrupted" }, `waiting (${s.waiting})`) : "")));
  const pager = h("div", { class: "pager" },
    h("span", { class: "muted" }, page.total === 0 ? "No sessions" : `${page.offset + 1}–${page.offset + page.items.length} of ${page.total} sessions`),
    offset > 0 ? link("#/agent-framework" + qs({ offset: Math.max(0, offset - limit) }), "Newer") : null,
    offset + limit < page.total ? link("#/agent-framework" + qs({ offset: offset + limit }), "Older") : null);
  return h("section", { class: "card" }, h("h2", {}, "Agent Framework workflow sessions"),
    page.total ? h("table", { id: "sessions" }, h("thead", {}, h("tr", {}, ["Session", "Kept under", "Checkpoints", "Last super-step", "Last checkpoint", "Requests"].map(t => h("th", { scope: "col" }, t)))), h("tbody", {}, rows))
      : h("p", { class: "muted" }, "No Agent Framework sessions: workflows checkpoint here through FlowState.AgentFramework's FlowStateCheckpointStore."),
    pager);
}

async function agentFrameworkSessionView(scopeKey) {
  const session = await call("agent-framework/session" + qs({ scopeKey }));
  const facts = h("dl", { class: "facts" },
    h("dt", {}, "Kept under"), h("dd", {}, link(stateHash(session.scopeKey), session.scope)),
    h("dt", {}, "Checkpoints"), h("dd", {}, session.count),
    h("dt", {}, "Last super-step"), h("dd", {}, session.lastStep ?? "unknown"),
    h("dt", {}, "First checkpoint"), h("dd", {}, when(session.firstCreated)),
    h("dt", {}, "Last checkpoint"), h("dd", {}, when(session.lastCreated)));
  const pending = h("ul", { id: "pending" }, session.pending.map(p => h("li", { "data-port": p.port }, h("strong", {}, p.port), ": ", short(p.data), h("span", { class: "muted" }, ` (request ${p.requestId})`))));
  const byId = new Map(session.checkpoints.map((c, i) => [c.id, i + 1]));
  const checkpoints = h("table", { id: "af-checkpoints" }, h("thead", {}, h("tr", {}, ["#", "Super-step", "Checkpoint", "Parent", "Written", "Size"].map(t => h("th", { scope: "col" }, t)))),
    h("tbody", {}, session.checkpoints.map((c, i) => h("tr", { "data-checkpoint": c.id },
      h("td", {}, i + 1), h("td", {}, c.step ?? ""), h("td", { class: "wrap" }, link(stateHash(session.scopeKey, c.key), c.id)),
      h("td", {}, c.parent ? (byId.has(c.parent) ? `#${byId.get(c.parent)}` : "(removed)") : "—"), h("td", {}, when(c.created)), h("td", {}, `${c.bytes} bytes`)))));
  return h("div", { class: "columns" },
    h("div", {},
      h("section", { class: "card" }, h("h2", {}, `Session ${session.sessionId}`), facts),
      h("section", { class: "card" }, h("h2", {}, "Workflow at the last checkpoint"),
        drawGraph(session.graph, name => session.nodeStatus[name] || "pending", "The last checkpoint holds no workflow this inspector can draw."))),
    h("div", {},
      h("section", { class: "card" }, h("h2", {}, "Waiting for"), session.pending.length ? pending : h("p", { class: "muted" }, "No request is waiting for an answer.")),
      h("section", { class: "card" }, h("h2", {}, "Checkpoints"), checkpoints)));
}

async function statisticsView() {
  const statistics = await call("statistics");
  return h("section", { class: "card" }, h("h2", {}, "Statistics"),
    h("dl", { class: "facts", id: "statistics" }, Object.entries(statistics).flatMap(([name, value]) => [h("dt", {}, name), h("dd", {}, typeof value === "object" ? JSON.stringify(value) : String(value))])));
}

async function act(action, then) {
  try {
    const result = await action();
    if (then) location.hash = then; else await render();
    return result;
  } catch (error) {
    alert(error.message);
    return null;
  }
}

function tokenView() {
  const form = document.getElementById("token-form").content.cloneNode(true);
  form.querySelector("form").addEventListener("submit", event => {
    event.preventDefault();
    sessionStorage.setItem("flowstate-token", new FormData(event.target).get("token"));
    start();
  });
  return form;
}

async function render() {
  const current = route();
  const view = current.parts[0] || "runs";
  for (const a of document.querySelectorAll("nav a")) {
    if (a.dataset.view === view) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  const ticket = rendering = {};
  let content;
  try {
    content = view === "runs" && current.parts[1] ? await runView(current.parts[1], current.parts[2] === "steps" ? Number(current.parts[3]) : undefined)
      : view === "state" ? await stateView(current.query)
      : view === "pipelines" ? await pipelinesView(current.parts[1])
      : view === "agent-framework" ? await agentFrameworkView(current.query)
      : view === "statistics" ? await statisticsView()
      : await runsView(current.query);
  } catch (error) {
    if (error.status === 401) { sessionStorage.removeItem("flowstate-token"); content = tokenView(); }
    else content = h("section", { class: "card" }, h("p", { class: "error", role: "alert" }, error.message));
  }
  if (ticket !== rendering) return;
  const scroll = window.scrollY;
  main.replaceChildren(content);
  window.scrollTo(0, scroll);
}

// Live updates: the store's change events, read from a fetch stream (EventSource cannot send the token header).
async function follow() {
  const live = document.getElementById("live");
  while (true) {
    try {
      const response = await fetch(api + "events", { headers: { "X-FlowState-Token": token(), "Accept": "text/event-stream" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      live.textContent = "live"; live.classList.add("on");
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "", first = true, pending = null;
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const event = buffer.slice(0, end); buffer = buffer.slice(end + 2);
          if (!event.startsWith("event: changed")) continue;
          if (first) { first = false; continue; }
          // Statistics are not refreshed on every change: hits and misses are summed over every scope of the store.
          if (route().parts[0] === "statistics") continue;
          clearTimeout(pending);
          pending = setTimeout(render, 100);
        }
      }
    } catch (error) {
      live.textContent = "reconnecting"; live.classList.remove("on");
    }
    await new Promise(resolve => setTimeout(resolve, 2000));
  }
}

async function start() {
  const fromAddress = new URLSearchParams(location.hash.replace(/^#/, "")).get("token");
  if (fromAddress) { sessionStorage.setItem("flowstate-token", fromAddress); history.replaceState(null, "", location.pathname + "#/runs"); }
  try {
    info = await call("info");
  } catch (error) {
    if (error.status === 401) { main.replaceChildren(tokenView()); return; }
    main.replaceChildren(h("p", { class: "error", role: "alert" }, error.message));
    return;
  }
  document.getElementById("store").textContent = info.store;
  document.getElementById("mode").textContent = info.allowWrites ? "writes allowed" : "read-only";
  window.addEventListener("hashchange", () => { render().then(() => main.focus({ preventScroll: true })); });
  await render();
  document.body.dataset.ready = "true";
  follow();
}

start();
