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
