// SVG drawings for the console: a rollout timeline and a distribution chart.
// They take plain data and return markup, so the page can redraw on every
// change of time or environment.

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

/**
 * A staged schedule as a step chart over time, with "now" marked.
 * stages: [{ at: ISO string | null, percent }], now: ms, current: stage index or null.
 */
export function timeline(stages, now, current, label) {
  const W = 360, H = 120, L = 34, R = 10, T = 14, B = 26;
  const times = stages.map((s) => (s.at ? Date.parse(s.at) : null)).filter((t) => t !== null);
  if (times.length === 0) {
    const p = stages[0] ? stages[0].percent : 0;
    return `<svg role="img" aria-label="${esc(label)}: constant ${p}%" width="${W}" height="40" viewBox="0 0 ${W} 40">
      <rect x="${L}" y="12" width="${(W - L - R) * p / 100}" height="14" fill="var(--on)"></rect>
      <text x="${L}" y="38">${p}% from the start</text></svg>`;
  }
  const day = 86400000;
  const t0 = Math.min(times[0], now) - day / 2;
  const t1 = Math.max(times[times.length - 1], now) + day / 2;
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  const y = (p) => T + (1 - p / 100) * (H - T - B);
  let d = `M ${x(t0)} ${y(0)}`;
  stages.forEach((s) => {
    const t = Date.parse(s.at);
    d += ` H ${x(t)} V ${y(s.percent)}`;
  });
  d += ` H ${x(t1)}`;
  const marks = stages.map((s, i) => {
    const t = Date.parse(s.at);
    const cls = i === current ? ' font-weight="700"' : "";
    return `<circle cx="${x(t)}" cy="${y(s.percent)}" r="${i === current ? 5 : 3}" fill="var(--on)"></circle>
      <text x="${x(t) + 4}" y="${y(s.percent) - 6}"${cls}>${s.percent}%</text>`;
  }).join("");
  const ticks = stages.map((s) => {
    const t = Date.parse(s.at);
    return `<text x="${x(t)}" y="${H - 8}" text-anchor="middle">${esc(s.at.slice(5, 10))}</text>`;
  }).join("");
  const nowX = x(now);
  return `<svg role="img" aria-label="${esc(label)}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">
    <line x1="${L}" y1="${y(0)}" x2="${W - R}" y2="${y(0)}" stroke="var(--line)"></line>
    <line x1="${L}" y1="${y(100)}" x2="${W - R}" y2="${y(100)}" stroke="var(--line)" stroke-dasharray="3 3"></line>
    <text x="2" y="${y(100) + 4}">100%</text><text x="2" y="${y(0) + 4}">0%</text>
    <path d="${d}" fill="none" stroke="var(--on)" stroke-width="2"></path>
    ${marks}${ticks}
    <line x1="${nowX}" y1="${T - 4}" x2="${nowX}" y2="${y(0)}" stroke="var(--bad)" stroke-width="2"></line>
    <text x="${nowX + 3}" y="${T + 6}" fill="var(--bad)" data-now>now</text>
  </svg>`;
}

/**
 * Horizontal bars, one per outcome (variant, reason and the rule that
 * decided, so each rule rollout has its own row), sized by share.
 * outcomes: [{ variant, reason, rule, users, share }].
 */
export function distribution(outcomes, users, label) {
  // Each row: its label on one line (a rule's name can be long), its bar below.
  const W = 360, row = 36, R = 50;
  const H = outcomes.length * row + 8;
  const bars = outcomes.map((o, i) => {
    const w = (W - R) * o.share;
    const y = 4 + i * row;
    const name = `${o.variant ?? "(default)"} · ${o.reason}${o.rule ? ` · ${o.rule}` : ""}`;
    return `<g data-variant="${esc(o.variant ?? "")}" data-reason="${esc(o.reason)}" data-rule="${esc(o.rule ?? "")}" data-share="${o.share}">
      <text x="0" y="${y + 12}">${esc(name)}</text>
      <rect x="0" y="${y + 16}" width="${Math.max(w, 1)}" height="14" fill="${o.variant === "off" || o.variant === null ? "var(--off)" : "var(--on)"}"></rect>
      <text x="${w + 4}" y="${y + 28}">${(o.share * 100).toFixed(1)}%</text></g>`;
  }).join("");
  return `<svg role="img" aria-label="${esc(label)} over ${users} users" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${bars}</svg>`;
}

/**
 * A guarded rollout's two arms: each arm's event rate with its always-valid
 * interval (the core's, from `GET /v1/guards`), and the highest treatment
 * rate the guard allows (the control's times 1 + max_relative_increase).
 */
export function guardChart(g, label) {
  const e = g.verdict?.evidence ?? {};
  // Names on the left, the scale in the middle, each arm's figures on the right.
  const W = 340, H = 100, L = 72, R = 112;
  const arms = [
    ["control", e.control_rate ?? 0, e.control_interval ?? [0, 0], e.control?.exposures ?? 0, "var(--off)"],
    ["treatment", e.treatment_rate ?? 0, e.treatment_interval ?? [0, 0], e.treatment?.exposures ?? 0, g.halt ? "var(--bad)" : "var(--on)"],
  ];
  const allowed = (e.control_rate ?? 0) * (1 + (g.max_relative_increase ?? 0));
  const top = Math.max(0.001, allowed, ...arms.map((a) => Math.min(a[2][1], Math.max(a[1] * 3, 0.01)))) * 1.15;
  const x = (p) => L + (Math.min(p, top) / top) * (W - L - R);
  const pct = (p) => `${(p * 100).toFixed(2)}%`;
  const rows = arms.map(([name, rate, [lo, hi], n, color], i) => {
    const y = 30 + i * 30;
    return `<g data-arm="${name}" data-rate="${rate}" data-low="${lo}" data-high="${hi}">
      <text x="0" y="${y + 4}">${name}</text>
      <line x1="${x(lo)}" y1="${y}" x2="${x(hi)}" y2="${y}" stroke="${color}" stroke-width="2"></line>
      <line x1="${x(lo)}" y1="${y - 5}" x2="${x(lo)}" y2="${y + 5}" stroke="${color}"></line>
      <line x1="${x(hi)}" y1="${y - 5}" x2="${x(hi)}" y2="${y + 5}" stroke="${color}"></line>
      <circle cx="${x(rate)}" cy="${y}" r="4" fill="${color}"></circle>
      <text x="${W - R + 6}" y="${y + 4}">${pct(rate)} · n ${n.toLocaleString("en")}</text></g>`;
  }).join("");
  return `<svg role="img" aria-label="${esc(label)}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" style="overflow: visible">
    <line x1="${L}" y1="84" x2="${W - R}" y2="84" stroke="var(--line)"></line>
    <text x="${L}" y="97">0%</text><text x="${W - R}" y="97" text-anchor="end">${pct(top)}</text>
    <line x1="${x(allowed)}" y1="14" x2="${x(allowed)}" y2="84" stroke="var(--warn)" stroke-dasharray="3 3"></line>
    <text x="${x(allowed)}" y="12" text-anchor="middle" fill="var(--warn)">allowed ${pct(allowed)}</text>
    ${rows}
  </svg>`;
}
