// The release console: verifies the signed snapshot in the browser (wasm),
// then shows every flag, its schedule and its distribution at a chosen time.
// Every decision shown here comes from the wasm core; this file only draws.

import { loadSnapshot, normalizeStatus } from "./engine.js";
import { distribution, timeline } from "./charts.js";
import { hasGuards, renderGuards } from "./guards.js";

const $ = (sel) => document.querySelector(sel);
/**
 * A link only for https URLs; anything else (`javascript:`, `data:`, plain
 * text) is shown as text. Release files are signed, but a `--force` build
 * skips the checklist's https check, and a page must not run what it shows.
 */
function link(url) {
  let safe = false;
  try {
    safe = new URL(String(url)).protocol === "https:";
  } catch {
    safe = false;
  }
  return safe ? `<a href="${esc(url)}" rel="noopener noreferrer">${esc(url)}</a>` : `<span class="unlinked">${esc(url)}</span>`;
}

const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const HOUR = 3600000;

const params = new URLSearchParams(location.search);
const state = {
  env: params.get("env") || "production",
  audience: params.get("audience") === "browser" ? "browser" : "server",
  at: params.get("at") ? Date.parse(params.get("at")) : Date.now(),
  users: Math.max(1, Math.min(200000, Number(params.get("users")) || 10000)),
  flags: null,
  defs: null,
};

function iso(ms) {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

function setStatus(text) {
  $("#live").textContent = text;
}

function showError(title, detail) {
  $("#snapshot").innerHTML = `<div class="error" role="alert"><h2>${esc(title)}</h2><p>${esc(detail)}</p></div>`;
  $("#flags").innerHTML = "";
  $("#results").innerHTML = "";
  $("#signature").innerHTML = `<span class="badge bad" data-signature="rejected">signature rejected</span>`;
}

async function load() {
  setStatus(`loading the ${state.env} ${state.audience} snapshot…`);
  const result = await loadSnapshot(state.env, state.audience);
  if (result.error) {
    state.flags = null;
    showError(result.error.title, result.error.detail);
    setStatus(result.error.title);
    return;
  }
  state.flags = result.flags;
  state.defs = result.flags.definitions();
  setupSlider();
  render();
  setStatus(`${state.env} ${state.flags.audience} snapshot v${state.flags.version} verified`);
  guards();
}

// The fleet's guard counts change by the second: redrawn every 10 s.
let guardTimer;
function guards() {
  clearTimeout(guardTimer);
  const shown = state.flags && state.audience === "server" && hasGuards(state.defs);
  $("#guards-section").hidden = !shown;
  if (!shown) return;
  renderGuards($("#guards"), state.env, state.defs)
    .catch((e) => ($("#guards").textContent = `The guard view failed: ${e.message}`))
    .finally(() => (guardTimer = setTimeout(guards, 10_000)));
}

/** The slider spans the release's schedule: every stage and rollback, with a day either side. */
function setupSlider() {
  const times = [];
  for (const st of normalizeStatus(state.flags.status(state.at))) {
    for (const s of st.rollout?.stages ?? []) if (s.at) times.push(Date.parse(s.at));
    for (const rule of st.rules) for (const s of rule.rollout?.stages ?? []) if (s.at) times.push(Date.parse(s.at));
    for (const r of st.rollbacks) times.push(Date.parse(r.since));
  }
  times.push(state.at);
  const lo = Math.floor((Math.min(...times) - 24 * HOUR) / HOUR) * HOUR;
  const hi = Math.ceil((Math.max(...times) + 48 * HOUR) / HOUR) * HOUR;
  const slider = $("#time");
  slider.min = lo;
  slider.max = hi;
  slider.step = HOUR;
  slider.value = state.at;
}

function render() {
  if (!state.flags) return;
  const f = state.flags;
  $("#at-text").value = iso(state.at);
  $("#time").value = state.at;
  $("#time").setAttribute("aria-valuetext", iso(state.at));
  const stale = f.isExpired(state.at);
  $("#signature").innerHTML = `<span class="badge ok" data-signature="valid">signature valid</span>` +
    (stale ? ` <span class="badge warn">expired: serving STALE</span>` : "") + provenance(f);
  const rel = state.defs.release ?? {};
  $("#release-name").textContent = rel.name ?? "";
  $("#snapshot").innerHTML = `<h2>Snapshot</h2><dl class="meta">
    <dt>release</dt><dd>${esc(rel.name)}</dd>
    <dt>environment</dt><dd data-field="environment">${esc(f.environment)}</dd>
    <dt>audience</dt><dd data-field="audience">${esc(f.audience === "browser"
      ? "browser: only the flags pages may evaluate; private values and target keys as salted digests"
      : "server: every flag, as the edge evaluates it")}</dd>
    <dt>version</dt><dd data-field="version">${esc(f.version)}</dd>
    <dt>issued</dt><dd>${esc(f.issuedAt)}</dd>
    <dt>expires</dt><dd>${esc(f.expiresAt ?? "never")}</dd>
    <dt>digest</dt><dd>${esc(f.digest)}</dd>
    <dt>candidate</dt><dd data-field="candidate">${esc(f.candidate ?? "not recorded")}</dd>
    <dt>previous</dt><dd>${esc(f.previous ?? "none (first in its chain)")}</dd>
    <dt>signed by</dt><dd>${esc((f.signedBy ?? []).join(", "))}</dd>
    ${rel.incidentChannel ? `<dt>incidents</dt><dd>${link(rel.incidentChannel)}</dd>` : ""}
  </dl>`;
  renderFlags();
  renderResults();
}

/** Where a rollout stands, in words: "stage 2 of 3: 50%". */
function where(r) {
  return r.stage === null || r.stage === undefined
    ? `not started: 0%`
    : `stage ${r.stage + 1} of ${r.stages.length}: ${r.percent}%`;
}

/**
 * The synthetic users of the charts are like the context under "Try a user"
 * (each with its own key), so that a rule's rollout shows once the context
 * matches the rule, e.g. `country` = DE.
 */
function template() {
  try {
    return contextFromForm();
  } catch {
    return {};
  }
}

function renderFlags() {
  const f = state.flags;
  const statuses = new Map(normalizeStatus(f.status(state.at)).map((s) => [s.key, s]));
  const dists = new Map(f.simulate(f.flagKeys(), state.users, state.at, template()).map((d) => [d.key, d]));
  const cards = f.flagKeys().map((key) => {
    const def = state.defs.flags[key];
    const st = statuses.get(key);
    const dist = dists.get(key);
    const steps = def.rollback?.steps ?? [];
    const prereqs = def.prerequisites ?? [];
    const badges = [
      def.hotfix ? `<span class="badge hotfix">hotfix</span>` : "",
      st && !st.enabled ? `<span class="badge killed">kill switch off</span>` : "",
    ].join(" ");
    const rollbacks = (st?.rollbacks ?? []).map((r) =>
      `<li>${esc(r.name)}: serves <code>${esc(r.serve)}</code> ${r.active ? `<strong>active</strong> since` : "from"} ${esc(r.since)}</li>`).join("");
    const next = (r) => (r.next ? `; next ${r.next.percent}% at ${esc(r.next.at)}` : "");
    // What the signed plan watches while the rollout widens (docs/guards.md).
    const guard = (g) => (g ? ` <span class="badge guard" data-guard="${esc(g.metric)}">guarded: <code>${esc(g.metric)}</code> up to +${esc(Math.round(g.maxRelativeIncrease * 1000) / 10)}%, else ${esc(g.onRegression)}</span>` : "");
    let schedule = "";
    if (st?.rollout) {
      const r = st.rollout;
      schedule = `<div class="timeline" data-flag-timeline="${esc(key)}">
        <p data-current-percent="${r.percent}">Rollout by <code>${esc(r.by)}</code>, ${esc(where(r))}${next(r)}${guard(def.rollout?.guard)}</p>
        ${timeline(r.stages, state.at, r.stage ?? null, `${key} schedule`)}</div>`;
    }
    // One row per rule rollout: each rule reaches its users on its own schedule.
    for (const rule of st?.rules ?? []) {
      const r = rule.rollout;
      if (!r) continue;
      schedule += `<div class="timeline" data-rule-timeline="${esc(rule.name)}">
        <p data-current-percent="${r.percent}">Rule <strong>${esc(rule.name)}</strong>: rollout by <code>${esc(r.by)}</code>, ${esc(where(r))}${next(r)}${guard((def.rules ?? []).find((d) => d.name === rule.name)?.rollout?.guard)}</p>
        ${timeline(r.stages, state.at, r.stage ?? null, `${key} rule ${rule.name} schedule`)}</div>`;
    }
    const chart = dist ? `<div class="chart" data-flag-chart="${esc(key)}"><p class="small">${state.users.toLocaleString("en")} synthetic users like the context below at ${esc(iso(state.at))}</p>${distribution(dist.outcomes, dist.users, `${key} distribution`)}</div>` : "";
    return `<article class="flag" id="flag-${esc(key)}" aria-labelledby="h-${esc(key)}">
      <header><h3 id="h-${esc(key)}">${esc(key)}</h3><span class="type">${esc(def.type ?? def.kind)}</span>${badges}</header>
      <p>${esc(def.description ?? "")}</p>
      <p class="small">owner ${esc(def.owner ?? "none")} · runbook ${def.runbook ? link(def.runbook) : "none"}</p>
      ${prereqs.length ? `<p class="small">requires ${prereqs.map((p) => `<code>${esc(p.flag)}</code> = <code>${esc(p.variant)}</code>`).join(", ")}</p>` : ""}
      ${rollbacks ? `<p><strong>Partial rollbacks</strong></p><ul>${rollbacks}</ul>` : ""}
      ${schedule}${chart}
      <details><summary>Rollback steps (${steps.length})</summary><ol>${steps.map((s) => `<li>${esc(s)}</li>`).join("")}</ol></details>
    </article>`;
  });
  $("#flags").innerHTML = cards.join("");
}

function contextFromForm() {
  const ctx = {};
  for (const input of document.querySelectorAll("#try [data-attr]")) {
    if (input.value.trim() !== "") ctx[input.dataset.attr] = input.value.trim();
  }
  const extra = $("#ctx-json").value.trim();
  if (extra) {
    const parsed = JSON.parse(extra);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("the JSON must be an object");
    Object.assign(ctx, parsed);
  }
  return ctx;
}

function renderResults() {
  let ctx;
  try {
    ctx = contextFromForm();
    $("#ctx-error").textContent = "";
  } catch (e) {
    $("#ctx-error").textContent = `Context JSON: ${e.message}`;
    return;
  }
  const all = state.flags.evaluateAll(ctx, state.at);
  const rows = Object.entries(all).map(([key, d]) => `<tr data-result="${esc(key)}">
      <td><code>${esc(key)}</code></td><td><code>${esc(JSON.stringify(d.value))}</code></td>
      <td>${esc(d.variant ?? "")}</td><td data-reason>${esc(d.reason)}</td>
      <td>${esc(d.rule ?? "")}</td>
      <td>${d.percent !== undefined && d.percent !== null ? `${d.stage !== undefined && d.stage !== null ? `stage ${d.stage + 1}, ` : ""}${d.percent}%` : ""}</td>
      <td>${esc(d.errorCode ?? "")}</td></tr>`).join("");
  $("#results").innerHTML = `<table><caption class="visually-hidden">Resolution of every flag</caption>
    <thead><tr><th scope="col">flag</th><th scope="col">value</th><th scope="col">variant</th><th scope="col">reason</th><th scope="col">rule or rollback</th><th scope="col">rollout</th><th scope="col">error</th></tr></thead>
    <tbody>${rows}</tbody></table>`;
}

let pending = false;
function schedule() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    render();
  });
}

function wire() {
  $("#env").value = state.env;
  $("#env").addEventListener("change", (e) => {
    state.env = e.target.value;
    load();
  });
  $("#audience").value = state.audience;
  $("#audience").addEventListener("change", (e) => {
    state.audience = e.target.value;
    load();
  });
  $("#time").addEventListener("input", (e) => {
    state.at = Number(e.target.value);
    schedule();
  });
  $("#at-text").addEventListener("change", (e) => {
    const t = Date.parse(e.target.value);
    if (Number.isNaN(t)) {
      setStatus(`"${e.target.value}" is not a time such as 2026-12-02T18:00:00Z`);
      return;
    }
    state.at = t;
    render();
  });
  $("#now").addEventListener("click", () => {
    state.at = Date.now();
    render();
  });
  $("#try").addEventListener("input", () => state.flags && (renderFlags(), renderResults()));
  $("#try").addEventListener("submit", (e) => {
    e.preventDefault();
    if (state.flags) renderResults();
  });
}

window.addEventListener("error", (e) => showError("The console failed", e.message));
window.addEventListener("unhandledrejection", (e) => showError("The console failed", String(e.reason?.message ?? e.reason)));
wire();
load();

/** Where the candidate was tested before this environment got it (the promotion gate). */
function provenance(f) {
  const p = f.promotion;
  if (!p) return "";
  const source = p.version === undefined
    ? `no ${p.from} snapshot of this candidate`
    : `tested in ${p.from} (v${p.version}) from ${p.issuedAt} to ${f.issuedAt}${p.hotfix ? ", hotfix soak" : ""}`;
  if (p.forced !== undefined) {
    return ` <span class="badge bad" data-promotion="forced" title="${esc(source)}">forced promotion: ${esc(p.forced)}</span>`;
  }
  return ` <span class="badge ok" data-promotion="promoted" title="${esc(f.candidate ?? "")}">${esc(source)}</span>`;
}
