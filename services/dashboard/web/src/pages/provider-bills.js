import { api } from '../lib/api.js';
import { card, h, setMain, table, toast } from '../lib/dom.js';
import { fmt, nano, utcDate } from '../lib/fmt.js';
import { rerender, can } from '../lib/state.js';

// ---- provider bills ----
// What the providers bill (their usage and cost reports, pulled with an admin key, or a CSV
// Provider-reported (dark) and metered (light) cost per day, as two bars side by side.
function billsChart(rows, from, days) {
  if (!rows.some((r) => BigInt(r.provider_cost_nano) > 0n || BigInt(r.metered_cost_nano) > 0n)) {
    return h('p', { class: 'muted' }, 'No cost in this range yet: connect a provider admin key below, or import a CSV.');
  }
  const NS = 'http://www.w3.org/2000/svg';
  const svg = (tag, attrs, text) => {
    const el = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    if (text !== undefined) el.textContent = text;
    return el;
  };
  const W = 800;
  const H = 240;
  const pad = { l: 64, r: 12, t: 12, b: 28 };
  const perDay = new Map();
  for (const r of rows) {
    const d = perDay.get(r.date) || { provider: 0n, metered: 0n };
    d.provider += BigInt(r.provider_cost_nano);
    d.metered += BigInt(r.metered_cost_nano);
    perDay.set(r.date, d);
  }
  let top = 1n;
  for (const d of perDay.values()) {
    if (d.provider > top) top = d.provider;
    if (d.metered > top) top = d.metered;
  }
  // A round top (1, 2, 4, 6, 8 × 10^k nano-USD) so the four grid lines read as round amounts.
  let unit = 1n;
  while (unit * 10n <= top) unit *= 10n;
  const max = [1n, 2n, 4n, 6n, 8n, 10n].map((m) => m * unit).find((m) => m >= top);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'bills-chart', role: 'img',
    'aria-label': 'Provider-reported and metered cost per day' });
  const plotH = H - pad.t - pad.b;
  const slot = (W - pad.l - pad.r) / days;
  for (let i = 0; i <= 4; i++) {
    const y = pad.t + (plotH * i) / 4;
    root.appendChild(svg('line', { x1: pad.l, x2: W - pad.r, y1: y, y2: y, class: 'grid' }));
    const value = (max * BigInt(4 - i)) / 4n;
    root.appendChild(svg('text', { x: 4, y: y + 4, class: 'axis' }, fmt.usd(nano.usd(value))));
  }
  const height = (n) => Math.max(0, (Number((n * 10000n) / max) / 10000) * plotH);
  const bar = (x, w, n, cls, label) => {
    const hgt = height(n);
    const rect = svg('rect', { x, y: pad.t + plotH - hgt, width: w, height: hgt, class: cls });
    rect.appendChild(svg('title', {}, label));
    root.appendChild(rect);
  };
  for (let i = 0; i < days; i++) {
    const date = utcDate(new Date(from.getTime() + i * 86400000));
    const d = perDay.get(date);
    const x = pad.l + i * slot;
    if (d) {
      const bw = Math.max(1, slot * 0.38);
      bar(x + slot * 0.1, bw, d.provider, 'bar-provider', `${date}: provider ${fmt.usd(nano.usd(d.provider))}`);
      bar(x + slot * 0.1 + bw, bw, d.metered, 'bar-metered', `${date}: metered ${fmt.usd(nano.usd(d.metered))}`);
    }
    if (i % Math.ceil(days / 8) === 0) {
      root.appendChild(svg('text', { x, y: H - 8, class: 'axis' }, date.slice(5)));
    }
  }
  return root;
}

// Connections: add (checked with one call to the provider), sync now, remove.
function connectionsPanel(list, rerender) {
  const err = h('div', { class: 'error' });
  const provider = h('select', { name: 'provider', 'aria-label': 'Provider' }, h('option', { value: 'openai' }, 'OpenAI'),
    h('option', { value: 'anthropic' }, 'Anthropic'));
  const key = h('input', { name: 'admin_key', type: 'password', autocomplete: 'off', required: true, 'aria-label': 'Admin key',
    placeholder: 'Admin key: sk-admin-… or sk-ant-admin…' });
  const add = h('button', { type: 'submit' }, 'Connect');
  // Polls until a sync finished (its last_sync_at or status moved; with no connection given,
  // until none is pending), at most ~20 s, then re-renders the page.
  const waitForSync = async (before) => {
    for (let i = 0; i < 40; i++) {
      const now = (await api('GET', '/api/provider-connections')).connections;
      const c = before && now.find((x) => x.id === before.id);
      const done = before ? !c || c.last_sync_at !== before.last_sync_at || c.status !== before.status
        : now.every((x) => x.status !== 'pending');
      if (done) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await rerender();
  };
  const form = h('form', {
    class: 'inline',
    onsubmit: async (e) => {
      e.preventDefault();
      err.textContent = '';
      add.disabled = true;
      try {
        await api('POST', '/api/provider-connections', { provider: provider.value, admin_key: key.value });
        key.value = '';
        toast('Connected: the first sync (30 days) has started');
        await waitForSync(null);
      } catch (ex) { err.textContent = ex.message; } finally { add.disabled = false; }
    },
  }, provider, key, add);
  const syncNow = async (c) => {
    try { await api('POST', `/api/provider-connections/sync?id=${encodeURIComponent(c.id)}`); toast('Sync started'); await waitForSync(c); }
    catch (ex) { toast(ex.message); }
  };
  const remove = async (c) => {
    if (!confirm(`Remove the ${c.provider} connection ${c.key_prefix}…? The usage it synced is removed too.`)) return;
    try { await api('DELETE', `/api/provider-connections?id=${encodeURIComponent(c.id)}`); toast('Removed'); await rerender(); }
    catch (ex) { toast(ex.message); }
  };
  const badge = { ok: ['on', 'synced'], failed: ['unpriced', 'failed'], pending: ['off', 'pending'] };
  const manage = can('manage_settings');
  return h('div', { class: 'panel' },
    h('p', { class: 'muted' }, 'The key is checked with one call to the provider, stored encrypted and never shown again; only its prefix is listed.'),
    manage ? form : null, err,
    h('div', { class: 'table-scroll', id: 'connections' }, table([
      { title: 'Provider', cell: (c) => c.provider },
      { title: 'Key', cell: (c) => h('code', {}, `${c.key_prefix}…`) },
      { title: 'Status', cell: (c) => h('span', { class: `badge ${(badge[c.status] || badge.pending)[0]}` }, (badge[c.status] || badge.pending)[1]) },
      { title: 'Last sync', cell: (c) => fmt.time(c.last_sync_at) },
      { title: 'Error', cell: (c) => c.last_error || '' },
      { title: '', cell: (c) => (manage ? h('span', { class: 'actions' },
        h('button', { class: 'secondary', type: 'button', onclick: () => syncNow(c) }, 'Sync now'),
        h('button', { class: 'danger', type: 'button', onclick: () => remove(c) }, 'Remove')) : '') },
    ], list)));
}

// CSV import for providers without a usage API (or any provider's export).
function csvPanel(rerender) {
  const result = h('div', {});
  const file = h('input', { type: 'file', accept: '.csv,text/csv', required: true, 'aria-label': 'CSV file' });
  const form = h('form', {
    class: 'inline',
    onsubmit: async (e) => {
      e.preventDefault();
      result.replaceChildren();
      if (!file.files.length) return;
      const res = await fetch('/api/provider-usage/import', { method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'text/csv' }, body: await file.files[0].text() });
      const data = await res.json().catch(() => null);
      if (res.ok) {
        toast(`Imported ${data.imported_rows} rows`);
        await rerender();
        return;
      }
      const fault = data && data.error;
      result.replaceChildren(h('div', { class: 'error', id: 'csv-error' },
        fault && fault.line ? 'Nothing was imported. ' : '', fault ? fault.message : `HTTP ${res.status}`));
    },
  }, file, h('button', { type: 'submit', class: 'secondary' }, 'Import CSV'));
  if (!can('manage_settings')) return h('p', { class: 'muted' }, 'Your role cannot import usage.');
  return h('div', { class: 'panel' },
    h('p', { class: 'muted' }, 'For providers without a usage API (Google, xAI) or any provider’s export. One row per UTC day, provider and model; a bad row refuses the whole file.'),
    h('pre', { tabindex: '0' }, h('code', {}, 'date,provider,model,input_tokens,cached_input_tokens,output_tokens,cost_usd\n2025-01-31,google,gemini-1.5-flash,120000,20000,3400,0.010020')),
    form, result);
}

export async function providerBillsPage() {
  const days = Number(sessionStorage.getItem('bills-range') || 30);
  const today = new Date(`${utcDate(new Date())}T00:00:00Z`);
  const from = new Date(today.getTime() - (days - 1) * 86400000);
  const [list, rec] = await Promise.all([
    api('GET', '/api/provider-connections'),
    api('GET', `/api/reconciliation?from=${utcDate(from)}&to=${utcDate(today)}`),
  ]);
  const rows = rec.rows;
  const select = h('select', {
    'aria-label': 'Date range',
    onchange: (e) => { sessionStorage.setItem('bills-range', e.target.value); rerender(); },
  }, [7, 30, 90].map((d) => h('option', { value: d, selected: d === days }, `Last ${d} days (UTC)`)));
  const total = (f) => fmt.usd(nano.usd(nano.sum(rows, f)));
  const metered = rows.some((r) => r.metered_requests > 0 || r.metered_input_tokens > 0);
  const tokens = (i, o) => `${fmt.int(i)} / ${fmt.int(o)}`;
  const flagged = (n, usd) => h('span', { class: n !== 0 ? 'warn' : '' }, fmt.usd(usd));
  setMain(
    h('div', { class: 'toolbar' }, h('h1', {}, 'Provider bills'), select),
    h('p', { class: 'muted' }, 'What OpenAI and Anthropic bill you, pulled hourly from their usage and cost reports with an admin key, beside what llmgw metered. Unmetered is usage the provider reports that never went through llmgw; drift is the provider’s cost minus llmgw’s.'),
    h('div', { class: 'cards' },
      card('Provider-reported', total('provider_cost_nano'), `${rows.length} rows by day and model`),
      card('Metered by llmgw', total('metered_cost_nano'), metered ? 'your pass-through traffic at estimated cost' : 'no gateway traffic: provider reports only'),
      card('Unmetered', total('unmetered_cost_nano'), 'usage that bypassed llmgw'),
      card('Drift', total('drift_cost_nano'), 'provider − metered')),
    h('h2', {}, 'Cost per day'),
    h('div', { class: 'panel chart-wrap' }, billsChart(rows, from, days),
      h('div', { class: 'legend' }, h('span', { class: 'swatch bar-provider' }), 'provider-reported ',
        h('span', { class: 'swatch bar-metered' }), 'metered by llmgw')),
    h('h2', {}, 'Reconciliation'),
    h('div', { class: 'panel table-scroll', id: 'drift-table' }, table([
      { title: 'Date', cell: (r) => r.date },
      { title: 'Provider', cell: (r) => r.provider },
      { title: 'Model', cell: (r) => r.model },
      { title: 'Provider in/out', num: true, cell: (r) => tokens(r.provider_input_tokens, r.provider_output_tokens) },
      { title: 'Metered in/out', num: true, cell: (r) => tokens(r.metered_input_tokens, r.metered_output_tokens) },
      { title: 'Provider cost', num: true, cell: (r) => fmt.usd(r.provider_cost_usd) },
      { title: 'Metered cost', num: true, cell: (r) => fmt.usd(r.metered_cost_usd) },
      { title: 'Unmetered', num: true, cell: (r) => flagged(r.unmetered_cost_nano, r.unmetered_cost_usd) },
      { title: 'Drift', num: true, cell: (r) => flagged(r.drift_cost_nano, r.drift_cost_usd) },
    ], [...rows].reverse())),
    h('h2', {}, 'Connections'),
    connectionsPanel(list.connections, providerBillsPage),
    h('h2', {}, 'Import a CSV'),
    csvPanel(providerBillsPage));
}
