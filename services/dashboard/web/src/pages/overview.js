import { api } from '../lib/api.js';
import { card, h, setMain, table } from '../lib/dom.js';
import { fmt } from '../lib/fmt.js';
import { rerender } from '../lib/state.js';

// Bars of requests per bucket, placed on the time axis of [from, to) (empty buckets stay empty).
function drawChart(canvas, points, from, to, bucket) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 800;
  const hgt = canvas.clientHeight || 240;
  canvas.width = w * dpr;
  canvas.height = hgt * dpr;
  const ctx = canvas.getContext('2d');
  ctx.scale(dpr, dpr);
  ctx.clearRect(0, 0, w, hgt);
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillStyle = '#6b7280';
  if (points.length === 0) {
    ctx.fillText('No requests in this period.', 16, hgt / 2);
    return;
  }
  const size = bucket === 'hour' ? 3600000 : 86400000;
  const start = Math.floor(from.getTime() / size) * size;
  const slots = Math.max(1, Math.ceil((to.getTime() - start) / size));
  const pad = { l: 48, r: 12, t: 12, b: 28 };
  // A multiple of 4 so that the four grid lines are whole numbers of requests.
  const max = Math.max(4, Math.ceil(Math.max(...points.map((p) => p.requests)) / 4) * 4);
  const bw = (w - pad.l - pad.r) / slots;
  ctx.strokeStyle = '#e4e7ec';
  for (let i = 0; i <= 4; i++) {
    const y = pad.t + ((hgt - pad.t - pad.b) * i) / 4;
    ctx.beginPath(); ctx.moveTo(pad.l, y); ctx.lineTo(w - pad.r, y); ctx.stroke();
    ctx.fillText(fmt.int(max - (max * i) / 4), 4, y + 4);
  }
  ctx.fillStyle = '#3b5bdb';
  for (const p of points) {
    const slot = Math.floor((new Date(p.ts).getTime() - start) / size);
    if (slot < 0 || slot >= slots) continue;
    const bh = ((hgt - pad.t - pad.b) * p.requests) / max;
    ctx.fillRect(pad.l + slot * bw + bw * 0.15, hgt - pad.b - bh, Math.max(1, bw * 0.7), bh);
  }
  ctx.fillStyle = '#6b7280';
  const step = Math.ceil(slots / 8);
  for (let i = 0; i < slots; i += step) {
    const d = new Date(start + i * size);
    const label = bucket === 'hour' ? `${d.getHours()}:00` : `${d.getMonth() + 1}/${d.getDate()}`;
    ctx.fillText(label, pad.l + i * bw, hgt - 8);
  }
}

export async function overviewPage() {
  const days = Number(sessionStorage.getItem('range') || 30);
  const to = new Date();
  const from = new Date(to.getTime() - days * 86400000);
  const q = `from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
  const bucket = days <= 2 ? 'hour' : 'day';
  const [sum, ts, models, providers] = await Promise.all([
    api('GET', `/api/stats/summary?${q}`),
    api('GET', `/api/stats/timeseries?${q}&bucket=${bucket}`),
    api('GET', `/api/stats/by-model?${q}`),
    api('GET', `/api/stats/by-provider?${q}`),
  ]);
  const select = h('select', {
    onchange: (e) => { sessionStorage.setItem('range', e.target.value); rerender(); },
  }, [1, 7, 30, 90].map((d) => h('option', { value: d, selected: d === days }, d === 1 ? 'Last 24 hours' : `Last ${d} days`)));
  const canvas = h('canvas', {});
  const pt = sum.by_mode.passthrough;
  const rs = sum.by_mode.reseller;
  setMain(
    h('div', { class: 'toolbar' }, h('h1', {}, 'Overview'), h('span', { class: 'muted' }, ' '), select),
    h('div', { class: 'cards' },
      card('Requests', fmt.int(sum.requests)),
      card('Input tokens', fmt.int(sum.input_tokens)),
      card('Output tokens', fmt.int(sum.output_tokens)),
      card('Cost', fmt.usd(sum.cost_usd)),
      card('Pass-through', fmt.usd(pt.cost_usd), `${fmt.int(pt.requests)} requests (estimated cost)`),
      card('Reseller', fmt.usd(rs.cost_usd), `${fmt.int(rs.requests)} requests, margin ${fmt.usd(rs.margin_usd)}`)),
    h('h2', {}, `Requests per ${bucket}`),
    h('div', { class: 'panel chart-wrap' }, canvas),
    h('div', { class: 'row' },
      h('div', {}, h('h2', {}, 'By model'), h('div', { class: 'panel' }, table([
        { title: 'Model', cell: (r) => r.model },
        { title: 'Provider', cell: (r) => r.provider },
        { title: 'Requests', num: true, cell: (r) => fmt.int(r.requests) },
        { title: 'Tokens in/out', num: true, cell: (r) => `${fmt.int(r.input_tokens)} / ${fmt.int(r.output_tokens)}` },
        { title: 'Cost', num: true, cell: (r) => fmt.usd(r.cost_usd) },
      ], models.models))),
      h('div', {}, h('h2', {}, 'By provider'), h('div', { class: 'panel' }, table([
        { title: 'Provider', cell: (r) => r.provider },
        { title: 'Requests', num: true, cell: (r) => fmt.int(r.requests) },
        { title: 'Tokens in/out', num: true, cell: (r) => `${fmt.int(r.input_tokens)} / ${fmt.int(r.output_tokens)}` },
        { title: 'Cost', num: true, cell: (r) => fmt.usd(r.cost_usd) },
      ], providers.providers)))));
  drawChart(canvas, ts.points, from, to, bucket);
}
