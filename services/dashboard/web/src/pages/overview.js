// Overview: where the money went in a date range. Cost over time stacked by provider, tokens in
// and out, requests with their error share, cost by model, and pass-through (estimated) beside
// reseller (charged, with margin). Hour buckets up to 2 days, else days (UTC).
import { api } from '../lib/api.js';
import { barList, align, bucketStarts, PALETTE, timeChart } from '../lib/charts.js';
import { card, h, setMain } from '../lib/dom.js';
import { fmt } from '../lib/fmt.js';
import { rerender } from '../lib/state.js';

const PRESETS = [
  { id: '1', label: 'Last 24 hours', days: 1 },
  { id: '7', label: 'Last 7 days', days: 7 },
  { id: '30', label: 'Last 30 days', days: 30 },
  { id: '90', label: 'Last 90 days', days: 90 },
  { id: 'custom', label: 'Custom range' },
];
const PROVIDER_COLORS = { openai: '#3b5bdb', anthropic: '#e8590c', google: '#0ca678', xai: '#ae3ec9' };

const nanoToUsd = (n) => Number(n) / 1e9;
// Exact: BigInt nano-USD → the API's decimal string.
const nanoSum = (points) => {
  const n = points.reduce((a, p) => a + BigInt(p.cost_nano), 0n);
  return `${n / 1000000000n}.${String(n % 1000000000n).padStart(9, '0')}`;
};
const usdAxis = (v) => (v >= 100 ? `$${Math.round(v)}` : v >= 1 ? `$${v.toFixed(2)}` : `$${Number(v.toPrecision(2))}`);
const compact = (v) => Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 }).format(v);

// The range the user picked: a preset, or a custom [from, to] of UTC dates (to inclusive).
function pickedRange() {
  const preset = sessionStorage.getItem('range') || '30';
  if (preset === 'custom') {
    const from = sessionStorage.getItem('range-from');
    const to = sessionStorage.getItem('range-to');
    if (from && to && from <= to) {
      return { preset, from: new Date(`${from}T00:00:00Z`), to: new Date(Date.parse(`${to}T00:00:00Z`) + 86400000) };
    }
  }
  const days = (PRESETS.find((p) => p.id === preset) || PRESETS[2]).days || 30;
  const to = new Date();
  return { preset, from: new Date(to.getTime() - days * 86400000), to };
}

function rangeToolbar(range) {
  const select = h('select', { id: 'range', name: 'range' },
    PRESETS.map((p) => h('option', { value: p.id, selected: p.id === range.preset }, p.label)));
  const day = (d) => d.toISOString().slice(0, 10);
  const from = h('input', { type: 'date', id: 'range-from', value: day(range.from) });
  const to = h('input', { type: 'date', id: 'range-to', value: day(new Date(range.to.getTime() - 1)) });
  const custom = h('form', { class: `inline${range.preset === 'custom' ? '' : ' hidden'}`,
    onsubmit: (e) => {
      e.preventDefault();
      sessionStorage.setItem('range-from', from.value);
      sessionStorage.setItem('range-to', to.value);
      rerender();
    } },
  h('label', { for: 'range-from' }, 'From'), from, h('label', { for: 'range-to' }, 'to'), to,
  h('button', { type: 'submit', class: 'secondary' }, 'Apply'));
  select.addEventListener('change', () => {
    sessionStorage.setItem('range', select.value);
    if (select.value === 'custom') custom.classList.remove('hidden');
    else rerender();
  });
  return h('div', { class: 'toolbar' }, h('h1', {}, 'Overview'),
    h('label', { for: 'range', class: 'sr-only' }, 'Date range'), select, custom);
}

// What a new organization does first.
function emptyState() {
  return h('section', { class: 'panel empty', id: 'empty-state' },
    h('h2', {}, 'No requests in this range yet'),
    h('p', {}, 'Send your first request through the gateway and it shows up here within seconds:'),
    h('ol', {},
      h('li', {}, h('a', { href: '#/tokens' }, 'Create a monitor token'), ' to meter calls made with your own provider key (pass-through), or ',
        h('a', { href: '#/keys' }, 'an API key'), ' to use every provider from your balance (reseller).'),
      h('li', {}, h('a', { href: '#/sdk' }, 'Copy a snippet'), ' for your SDK: only the base URL and a header change.'),
      h('li', {}, 'Or try a model right here in the ', h('a', { href: '#/playground' }, 'playground'), '.')));
}

// Pass-through (estimated provider cost) beside reseller (charged = provider cost + margin).
function modesPanel(sum) {
  const pt = sum.by_mode.passthrough;
  const rs = sum.by_mode.reseller;
  return h('section', { class: 'panel' }, h('h2', {}, 'Pass-through vs reseller'),
    h('div', { class: 'modes' },
      h('div', { class: 'mode-box', id: 'mode-passthrough' },
        h('span', { class: 'badge pass' }, 'pass-through'),
        h('div', { class: 'value' }, fmt.usd(pt.cost_usd)),
        h('div', { class: 'muted' }, `estimated provider cost of ${fmt.int(pt.requests)} requests, billed to you by the providers`)),
      h('div', { class: 'mode-box', id: 'mode-reseller' },
        h('span', { class: 'badge resell' }, 'reseller'),
        h('div', { class: 'value' }, fmt.usd(rs.cost_usd)),
        h('div', { class: 'muted' }, `charged for ${fmt.int(rs.requests)} requests: provider cost ${fmt.usd(rs.provider_cost_usd)} + margin ${fmt.usd(rs.margin_usd)}`))));
}

export async function overviewPage() {
  const range = pickedRange();
  const q = `from=${encodeURIComponent(range.from.toISOString())}&to=${encodeURIComponent(range.to.toISOString())}`;
  const bucket = range.to - range.from <= 2 * 86400000 ? 'hour' : 'day';
  const [sum, ts, byProvider, models] = await Promise.all([
    api('GET', `/api/stats/summary?${q}`),
    api('GET', `/api/stats/timeseries?${q}&bucket=${bucket}`),
    api('GET', `/api/stats/timeseries?${q}&bucket=${bucket}&group=provider`),
    api('GET', `/api/stats/by-model?${q}`),
  ]);
  if (sum.requests === 0) {
    setMain(rangeToolbar(range), emptyState());
    return;
  }
  const xs = bucketStarts(range.from, range.to, bucket);
  const providers = [...new Set(byProvider.points.map((p) => p.provider))].sort();
  const errorShare = sum.requests ? (100 * sum.errors) / sum.requests : 0;
  setMain(
    rangeToolbar(range),
    h('div', { class: 'cards' },
      card('Cost', fmt.usd(sum.cost_usd), `${bucket === 'hour' ? 'hourly' : 'daily'} buckets, UTC`),
      card('Requests', fmt.int(sum.requests), `${fmt.int(sum.errors)} ${sum.errors === 1 ? 'error' : 'errors'} (${errorShare.toFixed(1)}%)`),
      card('Input tokens', fmt.int(sum.input_tokens)),
      card('Output tokens', fmt.int(sum.output_tokens))),
    timeChart('cost', {
      title: 'Cost by provider', xs, bucket, stacked: true, yFormat: usdAxis,
      series: providers.map((p, i) => ({
        label: p, kind: 'bar', color: PROVIDER_COLORS[p] || PALETTE[(i + 4) % PALETTE.length],
        values: align(xs, byProvider.points.filter((x) => x.provider === p), (x) => nanoToUsd(x.cost_nano)),
        total: fmt.usd(nanoSum(byProvider.points.filter((x) => x.provider === p))),
        format: (v) => `$${v.toFixed(6).replace(/0+$/, '').replace(/\.$/, '.00')}`,
      })),
    }),
    h('div', { class: 'grid-2' },
      timeChart('tokens', {
        title: 'Tokens in / out', xs, bucket, yFormat: compact,
        series: [
          { label: 'input', kind: 'line', color: PALETTE[0], values: align(xs, ts.points, (p) => p.input_tokens), format: fmt.int, total: fmt.int(sum.input_tokens) },
          { label: 'output', kind: 'line', color: PALETTE[2], values: align(xs, ts.points, (p) => p.output_tokens), format: fmt.int, total: fmt.int(sum.output_tokens) },
        ],
      }),
      timeChart('requests', {
        title: 'Requests and error share', xs, bucket, yFormat: compact,
        scales: { pct: { range: [0, 100] } },
        series: [
          { label: 'requests', kind: 'bar', color: PALETTE[0], values: align(xs, ts.points, (p) => p.requests), format: fmt.int, total: fmt.int(sum.requests) },
          { label: 'error share', kind: 'line', color: '#c92a2a', scale: 'pct',
            values: align(xs, ts.points, (p) => (p.requests ? (100 * p.errors) / p.requests : 0)),
            format: (v) => `${v.toFixed(1)}%`, total: `${errorShare.toFixed(1)}%` },
        ],
      })),
    h('div', { class: 'grid-2' },
      h('section', { class: 'panel' }, h('h2', {}, 'Cost by model'),
        barList('models', models.models.slice(0, 12).map((m) => ({
          label: `${m.model} (${m.provider})`, value: nanoToUsd(m.cost_nano),
          text: `${fmt.usd(m.cost_usd)} · ${fmt.int(m.requests)} req`,
          color: PROVIDER_COLORS[m.provider],
        })))),
      modesPanel(sum)));
}
