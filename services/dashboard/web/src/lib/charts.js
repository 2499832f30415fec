// Time-series charts with uPlot (bundled from npm: see the README for why uPlot). Every chart
// resizes with its panel, uses UTC buckets as the API does, and registers itself in
// window.llmgwCharts (id → { raw: the series as the API gave them, plot }) so browser tests can
// check what is drawn against the API's totals.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

import { h } from './dom.js';

export const PALETTE = ['#3b5bdb', '#e8590c', '#0ca678', '#ae3ec9', '#f59f00', '#1098ad', '#868e96'];

window.llmgwCharts = window.llmgwCharts || {};

// Bucket starts (unix seconds) covering [from, to) in UTC hours or days.
export function bucketStarts(from, to, bucket) {
  const size = bucket === 'hour' ? 3600000 : 86400000;
  const out = [];
  for (let t = Math.floor(from.getTime() / size) * size; t < to.getTime(); t += size) out.push(t / 1000);
  return out;
}

// Values of `points` ({ts, ...}) placed on `xs` (unix seconds); empty buckets are 0.
export function align(xs, points, value) {
  const at = new Map(points.map((p) => [Date.parse(p.ts) / 1000, p]));
  return xs.map((x) => (at.has(x) ? value(at.get(x)) : 0));
}

// One uPlot chart in a panel: `series` = [{label, values, color, kind: 'bar'|'line', scale}],
// stacked bars when `stacked` (the tooltip and legend still show each series' own value).
export function timeChart(id, { title, xs, series, stacked = false, yFormat = (v) => String(v), bucket, scales }) {
  const wrap = h('div', { class: 'chart', id: `chart-${id}`, role: 'img', 'aria-label': title });
  const raw = series.map((s) => ({ label: s.label, values: s.values }));
  const drawn = series.map((s) => s.values.slice());
  if (stacked) {
    // Cumulative sums, drawn from the top down so each lower band paints over the one above.
    for (let i = drawn.length - 2; i >= 0; i--) drawn[i] = drawn[i].map((v, k) => v + drawn[i + 1][k]);
  }
  const bars = uPlot.paths.bars({ size: [0.7, 48], align: 0 });
  const opts = {
    width: 600,
    height: 220,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    cursor: { points: { show: false } },
    // The legend names each series with its total over the range; hovering shows a bucket's values.
    legend: { live: true },
    scales: { x: { time: true }, ...(scales || {}) },
    axes: [
      // Buckets label their start; a chart without buckets (the balance) lets uPlot pick the format.
      { stroke: '#4b5563', grid: { stroke: '#eef0f3' }, ...(bucket ? { values: bucket === 'hour' ? '{HH}:00' : '{M}/{D}' } : {}) },
      { stroke: '#4b5563', grid: { stroke: '#eef0f3' }, size: 64, values: (u, vals) => vals.map(yFormat) },
      ...series.some((s) => s.scale === 'pct')
        ? [{ scale: 'pct', side: 1, stroke: '#4b5563', grid: { show: false }, values: (u, vals) => vals.map((v) => `${v}%`) }]
        : [],
    ],
    series: [
      { value: (u, v) => (v == null ? '—' : new Date(v * 1000).toISOString().slice(0, bucket === 'day' ? 10 : 16).replace('T', ' ')) },
      ...series.map((s, i) => ({
        label: s.total === undefined ? s.label : `${s.label} (${s.total})`,
        scale: s.scale || 'y',
        stroke: s.color || PALETTE[i % PALETTE.length],
        fill: s.kind === 'bar' ? `${s.color || PALETTE[i % PALETTE.length]}cc` : undefined,
        width: s.kind === 'bar' ? 0 : 2,
        paths: s.kind === 'bar' ? bars : undefined,
        points: { show: false },
        value: (u, v, si, idx) => (idx == null ? '' : (s.format || yFormat)(raw[i].values[idx])),
      })),
    ],
  };
  const plot = new uPlot(opts, [xs, ...drawn], wrap);
  window.llmgwCharts[id] = { raw, xs, plot };
  // Follows the panel's width (the phone layout, a resized window).
  const resize = () => {
    const w = Math.max(200, Math.floor(wrap.clientWidth));
    if (w !== plot.width) plot.setSize({ width: w, height: 220 });
  };
  new ResizeObserver(resize).observe(wrap);
  requestAnimationFrame(resize);
  return h('section', { class: 'panel chart-panel' }, h('h2', {}, title), wrap);
}

// Horizontal bars in HTML (labels wrap on a phone, values are text a screen reader reads):
// rows = [{label, value (number for the width), text}].
export function barList(id, rows, { color = PALETTE[0] } = {}) {
  const max = Math.max(0, ...rows.map((r) => r.value));
  window.llmgwCharts[id] = { raw: rows.map((r) => ({ label: r.label, value: r.value })) };
  return h('ul', { class: 'bar-list', id: `bars-${id}` }, rows.map((r) => {
    const fill = h('span', { class: 'bar-fill' });
    // Set through the CSSOM: the page's CSP forbids style attributes.
    fill.style.width = `${max > 0 ? (100 * r.value) / max : 0}%`;
    fill.style.background = r.color || color;
    return h('li', {}, h('span', { class: 'bar-label' }, r.label),
      h('span', { class: 'bar-track' }, fill), h('span', { class: 'bar-value' }, r.text));
  }));
}
