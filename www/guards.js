// The guarded rollouts of the environment this worker serves, from its
// `GET /v1/guards` (the fleet's counts in the guard ledger, judged by the
// core): both arms' rates with their intervals, the verdict, and any halt.
// This module only fetches and draws.

import { guardChart } from "./charts.js";

const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const KEY = "edgeflag:api-key";

function apiKey() {
  try {
    return sessionStorage.getItem(KEY) ?? "";
  } catch {
    return "";
  }
}

/** Whether a snapshot's definitions hold any guard (only then is the ledger asked). */
export function hasGuards(defs) {
  return Object.values(defs?.flags ?? {}).some((f) => f.rollout?.guard || (f.rules ?? []).some((r) => r.rollout?.guard));
}

/** Fetches the guard view and draws it into `el`; `env` is the environment shown. */
export async function renderGuards(el, env, defs) {
  const key = apiKey();
  const res = await fetch("/v1/guards", { cache: "no-store", headers: key ? { "X-API-Key": key } : {} });
  if (res.status === 401) {
    el.innerHTML = `<form id="guards-key"><p>The guard view needs an API key of this worker.</p>
      <label for="guards-key-input">API key</label> <input id="guards-key-input" type="password" autocomplete="off"> <button>Show guards</button></form>`;
    el.querySelector("form").addEventListener("submit", (e) => {
      e.preventDefault();
      try {
        sessionStorage.setItem(KEY, el.querySelector("input").value);
      } catch {
        // storage blocked: asked again next time
      }
      renderGuards(el, env, defs);
    });
    return;
  }
  if (!res.ok) {
    el.innerHTML = `<p class="error" role="alert">The guard view could not be read: ${esc(res.status)} ${esc((await res.text()).slice(0, 200))}</p>`;
    return;
  }
  const view = await res.json();
  if (view.environment !== env) {
    el.innerHTML = `<p class="small">This worker counts guards for <code>${esc(view.environment)}</code>; open the console of the ${esc(env)} worker for its guards.</p>`;
    return;
  }
  const serving = view.guards.filter((g) => g.serving);
  if (serving.length === 0) {
    el.innerHTML = `<p class="small">No guarded rollout has been counted yet.</p>`;
    return;
  }
  el.innerHTML = serving.map((g) => card(g, defs)).join("");
}

function card(g, defs) {
  const name = g.rule ? `${g.flag} · rule ${g.rule}` : g.flag;
  const id = g.rule ? `${g.flag}/${g.rule}` : g.flag;
  const verdict = g.verdict?.verdict ?? "waiting";
  const badge = g.halt
    ? `<span class="badge bad" data-verdict="halted">halted</span>`
    : `<span class="badge ${verdict === "continue" ? "ok" : "warn"}" data-verdict="${esc(verdict)}">${esc(verdict === "waiting" ? `waiting for ${g.min_exposures} exposures per arm` : verdict)}</span>`;
  const rollback = defs?.flags?.[g.flag]?.rollback?.variant;
  const halt = g.halt
    ? `<p class="halt" role="alert" data-guard-halt="${esc(id)}" data-stage="${esc(g.halt.stage)}" data-at="${esc(g.halt.at)}">
        <strong>Halted</strong> at stage ${esc(g.halt.stage ?? "none")} on ${esc(g.halt.at)}: ${g.on_regression === "rollback"
          ? `the rollout's users get the rollback variant <code>${esc(rollback ?? "")}</code> (reason ROLLBACK, rule <code>guard: ${esc(g.metric)}</code>)`
          : "the rollout holds at that stage"}. A new signed plan for this rollout clears it.</p>`
    : "";
  const stages = (g.stages ?? []).map((s) => `<tr><td>${esc(s.stage ?? "-")}</td><td>${s.control.events} / ${s.control.exposures}</td><td>${s.treatment.events} / ${s.treatment.exposures}</td></tr>`).join("");
  const e = g.verdict?.evidence ?? {};
  return `<article class="guard-view" data-guard-view="${esc(id)}">
    <header><h3>${esc(name)}</h3> ${badge}</header>
    <p class="small"><code>${esc(g.metric)}</code> may rise by up to ${esc(Math.round(g.max_relative_increase * 1000) / 10)}%, else ${esc(g.on_regression)};
      evidence ${esc((e.likelihood_ratio ?? 0).toFixed(2))} of ${esc(e.threshold)} needed</p>
    ${guardChart(g, `${name}: ${g.metric} rate per arm`)}
    ${halt}
    <details><summary>Counts per stage (events / exposures)</summary><table><thead><tr><th>stage</th><th>control</th><th>treatment</th></tr></thead><tbody>${stages}</tbody></table></details>
  </article>`;
}
