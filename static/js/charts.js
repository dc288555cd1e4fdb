// Statistics of the bar page, drawn as plain SVG (no library needed for three simple charts):
// orders per minute (columns), orders per drink by status (stacked bars), wait times
// (median and 90th percentile). Every chart has a text summary for screen readers.

import { h, s, replace, formatDuration } from "./dom.js";
import { t, statusName, formatTime } from "./i18n.js";
import { STATUSES } from "./rules.js";
const COLORS = {
  placed: "#b45309",
  preparing: "#1d4ed8",
  ready: "#15803d",
  served: "#57534e",
  cancelled: "#b91c1c",
};
const MINUTE = 60000;

export function renderStats(container, stats, { error = false, drinkLabel = (id) => id, refresh = () => {} } = {}) {
  const head = h("div", { class: "stats-head" },
    h("h1", {}, t("bar.stats.title")),
    h("button", { type: "button", class: "button button-secondary button-small", onclick: refresh }, t("bar.stats.refresh")));
  if (!stats) {
    replace(container, head, h("p", { class: error ? "notice notice-error" : "muted" }, error ? t("bar.stats.error") : t("loading")));
    return;
  }
  replace(container,
    head,
    h("p", { class: "muted" }, t("bar.stats.generated", { time: formatTime(stats.generated_at ?? Date.now()) })),
    error ? h("p", { class: "notice notice-warning" }, t("bar.stats.stale")) : null,
    statusTiles(stats.per_status || {}),
    h("div", { class: "charts" },
      chartCard("chart-per-minute", t("bar.stats.per_minute"), perMinuteChart(stats.per_minute || [], stats.generated_at)),
      chartCard("chart-per-drink", t("bar.stats.per_drink"), perDrinkChart(stats.per_drink || [], drinkLabel)),
      chartCard("chart-wait", t("bar.stats.wait"), waitChart(stats.wait || {}))));
}

function chartCard(id, title, content) {
  return h("figure", { class: "card chart", id },
    h("figcaption", {}, h("h2", {}, title)),
    content);
}

function statusTiles(perStatus) {
  return h("ul", { class: "tiles" }, STATUSES.map((status) =>
    h("li", { class: `tile tile-${status}` },
      h("span", { class: "tile-value" }, String(perStatus[status] ?? 0)),
      h("span", { class: "tile-label" }, statusName(status)))));
}

function svgRoot(width, height, label) {
  return s("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: "chart-svg",
    role: "img",
    "aria-label": label,
    preserveAspectRatio: "xMidYMid meet",
  });
}

function niceMax(value) {
  if (value <= 5) return 5;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return value;
}

/** Columns for the last 60 minutes (minutes without orders drawn as zero). */
function perMinuteChart(perMinute, generatedAt) {
  const end = Math.floor((generatedAt ?? Date.now()) / MINUTE) * MINUTE;
  const start = end - 59 * MINUTE;
  const byMinute = new Map(perMinute.map((p) => [Math.floor(p.minute / MINUTE) * MINUTE, p.orders]));
  const points = [];
  for (let m = start; m <= end; m += MINUTE) points.push({ minute: m, orders: byMinute.get(m) ?? 0 });
  const total = points.reduce((sum, p) => sum + p.orders, 0);
  const peak = points.reduce((best, p) => (p.orders > best.orders ? p : best), points[0]);
  const W = 960, H = 250, L = 36, R = 12, T = 12, B = 30;
  const max = niceMax(Math.max(1, ...points.map((p) => p.orders)));
  const svg = svgRoot(W, H, t("bar.stats.per_minute_summary", {
    total,
    peak: peak.orders,
    time: formatTime(peak.minute),
  }));
  const plotW = W - L - R, plotH = H - T - B;
  for (let i = 0; i <= 4; i += 1) {
    const value = (max / 4) * i;
    const y = T + plotH - (value / max) * plotH;
    svg.append(s("line", { x1: L, x2: W - R, y1: y, y2: y, class: "grid-line" }));
    svg.append(s("text", { x: L - 6, y: y + 4, class: "axis-label", "text-anchor": "end", text: Number.isInteger(value) ? value : value.toFixed(1) }));
  }
  const slot = plotW / points.length;
  points.forEach((p, i) => {
    const x = L + i * slot;
    if (p.orders > 0) {
      const height = (p.orders / max) * plotH;
      svg.append(s("rect", {
        x: x + 1, y: T + plotH - height, width: Math.max(1, slot - 2), height, rx: 2, class: "bar-rect",
      }, s("title", { text: `${formatTime(p.minute)}: ${p.orders}` })));
    }
    if (i % 10 === 0 || i === points.length - 1) {
      const last = i === points.length - 1;
      svg.append(s("text", {
        x: last ? x + slot : x + slot / 2,
        y: H - 10,
        class: "axis-label",
        "text-anchor": last ? "end" : "middle",
        text: formatTime(p.minute),
      }));
    }
  });
  svg.append(s("line", { x1: L, x2: W - R, y1: T + plotH, y2: T + plotH, class: "axis-line" }));
  return h("div", { class: "chart-body" }, svg,
    h("p", { class: "chart-note" }, t("bar.stats.per_minute_note", { total })));
}

/** One horizontal bar per drink, stacked by status, with a legend. */
function perDrinkChart(perDrink, drinkLabel) {
  const rows = perDrink.filter((d) => (d.total ?? 0) > 0).sort((a, b) => b.total - a.total);
  if (rows.length === 0) return h("p", { class: "muted" }, t("bar.stats.no_orders"));
  const W = 480, rowH = 32, L = 112, R = 36, T = 6;
  const H = T + rows.length * rowH + 6;
  const max = Math.max(...rows.map((r) => r.total));
  const svg = svgRoot(W, H, t("bar.stats.per_drink_summary", {
    list: rows.map((r) => `${drinkLabel(r.drink)} ${r.total}`).join(", "),
  }));
  rows.forEach((row, i) => {
    const y = T + i * rowH;
    svg.append(s("text", { x: L - 8, y: y + rowH / 2 + 5, class: "axis-label strong", "text-anchor": "end", text: drinkLabel(row.drink) }));
    let x = L;
    for (const status of STATUSES) {
      const n = row[status] ?? 0;
      if (n === 0) continue;
      const width = (n / max) * (W - L - R);
      svg.append(s("rect", { x, y: y + 5, width, height: rowH - 10, fill: COLORS[status] },
        s("title", { text: `${drinkLabel(row.drink)} – ${statusName(status)}: ${n}` })));
      x += width;
    }
    svg.append(s("text", { x: x + 6, y: y + rowH / 2 + 5, class: "axis-label strong", text: row.total }));
  });
  return h("div", { class: "chart-body" }, svg, legend());
}

function legend() {
  return h("ul", { class: "legend" }, STATUSES.map((status) =>
    h("li", {}, s("svg", { viewBox: "0 0 10 10", width: 12, height: 12, "aria-hidden": "true" },
      s("rect", { width: 10, height: 10, rx: 2, fill: COLORS[status] })), statusName(status))));
}

/** Median and 90th percentile of both waits, as paired horizontal bars in minutes. */
function waitChart(wait) {
  const rows = [
    { key: "placed_to_ready", data: wait.placed_to_ready || {} },
    { key: "ready_to_served", data: wait.ready_to_served || {} },
  ];
  const max = Math.max(1, ...rows.flatMap((r) => [r.data.median_ms ?? 0, r.data.p90_ms ?? 0]));
  const W = 480, L = 132, R = 104, rowH = 64, T = 6;
  const H = T + rows.length * rowH;
  const summary = rows.map((r) => t("bar.stats.wait_summary", {
    what: t(`bar.stats.${r.key}`),
    median: formatDuration(r.data.median_ms),
    p90: formatDuration(r.data.p90_ms),
    n: r.data.count ?? 0,
  })).join(" ");
  const svg = svgRoot(W, H, summary);
  rows.forEach((row, i) => {
    const y = T + i * rowH;
    svg.append(s("text", { x: L - 10, y: y + 22, class: "axis-label strong", "text-anchor": "end", text: t(`bar.stats.${row.key}`) }));
    svg.append(s("text", { x: L - 10, y: y + 40, class: "axis-label", "text-anchor": "end", text: t("bar.stats.count", { n: row.data.count ?? 0 }) }));
    [["median_ms", "wait-median", 8], ["p90_ms", "wait-p90", 32]].forEach(([field, cls, dy]) => {
      const value = row.data[field];
      const width = value ? Math.max(2, (value / max) * (W - L - R)) : 0;
      svg.append(s("rect", { x: L, y: y + dy, width, height: 20, rx: 3, class: cls }));
      svg.append(s("text", {
        x: L + width + 6, y: y + dy + 15, class: "axis-label",
        text: `${field === "median_ms" ? t("bar.stats.median") : t("bar.stats.p90")} ${formatDuration(value)}`,
      }));
    });
  });
  return h("div", { class: "chart-body" }, svg);
}
