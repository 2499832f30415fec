// Usage: every request, filtered (mode, provider, model, status, credential, streaming), paged
// with the API's keyset cursor (`before` = the last row's time, `next_before` from the API),
// exported as CSV with the same filters, and a detail view with every recorded field.
import { api } from '../lib/api.js';
import { h, setMain, table } from '../lib/dom.js';
import { fmt } from '../lib/fmt.js';

const PAGE_SIZE = 50;

function select(name, label, options, value) {
  const el = h('select', { id: `f-${name}`, name },
    options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
  return h('label', { class: 'filter' }, h('span', {}, label), el);
}

// Every recorded field of one request, in a dialog.
function showDetail(r) {
  const rows = [
    ['Request id', r.request_id], ['Time', `${r.requested_at} (${fmt.time(r.requested_at)})`],
    ['Mode', r.mode], ['Provider', r.provider], ['Model', r.model], ['Endpoint', r.endpoint],
    ['Credential id', r.credential_id], ['Status', String(r.status_code)],
    ['Streamed', r.is_streaming ? 'yes' : 'no'], ['Incomplete', r.incomplete ? 'yes (client left or the stream broke)' : 'no'],
    ['Input tokens', fmt.int(r.input_tokens)], ['Cached input tokens', fmt.int(r.cached_input_tokens)],
    ['Cache write tokens', fmt.int(r.cache_write_tokens)], ['of which 1-hour writes', fmt.int(r.cache_write_1h_tokens)],
    ['Output tokens', fmt.int(r.output_tokens)], ['Reasoning tokens', fmt.int(r.reasoning_tokens)],
    ['Cost', r.unpriced ? 'unpriced (no price for this model)' : fmt.usd(r.cost_usd)],
    ...(r.mode === 'reseller' ? [['Provider cost', fmt.usd(r.provider_cost_usd)], ['Margin', fmt.usd(r.margin_usd)]] : []),
    ['Price row', r.price_id ? `#${r.price_id}` : '—'],
    ['Latency', `${fmt.int(r.latency_ms)} ms`], ['Time to first token', r.is_streaming ? `${fmt.int(r.ttft_ms)} ms` : '—'],
  ];
  const close = h('button', { type: 'button', class: 'secondary' }, 'Close');
  const dialog = h('dialog', { class: 'detail', 'aria-labelledby': 'detail-title' },
    h('h2', { id: 'detail-title' }, 'Request detail'),
    h('dl', {}, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    h('p', {}, close));
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => dialog.remove());
  document.body.appendChild(dialog);
  dialog.showModal();
}

export async function usagePage() {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const [tokens, keys, models] = await Promise.all([
    api('GET', '/api/tokens'), api('GET', '/api/keys'), api('GET', '/api/stats/by-model?from=1970-01-01T00:00:00Z'),
  ]);
  const creds = [...tokens.tokens.map((c) => [c.id, `token: ${c.name}`]), ...keys.keys.map((c) => [c.id, `key: ${c.name}`])];
  const modelNames = [...new Set(models.models.map((m) => m.model))].sort();
  const filters = h('form', { class: 'filters', id: 'usage-filters', 'aria-label': 'Filters' },
    select('mode', 'Mode', [['', 'Any'], ['passthrough', 'Pass-through'], ['reseller', 'Reseller']], params.get('mode') || ''),
    select('provider', 'Provider', [['', 'Any'], ['openai', 'OpenAI'], ['anthropic', 'Anthropic'], ['google', 'Google'], ['xai', 'xAI']], params.get('provider') || ''),
    select('model', 'Model', [['', 'Any'], ...modelNames.map((m) => [m, m])], params.get('model') || ''),
    select('status', 'Status', [['', 'Any'], ['ok', 'OK (< 400)'], ['error', 'Error (≥ 400)']], params.get('status') || ''),
    select('credential_id', 'Credential', [['', 'Any'], ...creds], params.get('credential_id') || ''),
    select('streaming', 'Streamed', [['', 'Any'], ['true', 'Streamed'], ['false', 'Not streamed']], params.get('streaming') || ''));
  const query = () => {
    const q = new URLSearchParams();
    for (const el of filters.querySelectorAll('select')) if (el.value) q.set(el.name, el.value);
    return q;
  };
  filters.addEventListener('change', () => {
    // The filters live in the address, so a filtered view can be bookmarked and shared.
    const q = query().toString();
    location.hash = `#/usage${q ? `?${q}` : ''}`;
  });
  const csv = h('a', { class: 'button secondary', id: 'usage-csv', download: 'usage.csv', href: `/api/usage?format=csv&${query()}` }, 'Export CSV');

  const holder = h('div', { class: 'panel', id: 'usage-table' });
  const pageInfo = h('span', { class: 'muted', id: 'usage-page' });
  const newer = h('button', { class: 'secondary', type: 'button', id: 'usage-newer' }, '← Newer');
  const older = h('button', { class: 'secondary', type: 'button', id: 'usage-older' }, 'Older →');
  const columns = [
    { title: 'Time', cell: (r) => fmt.time(r.requested_at) },
    { title: 'Mode', cell: (r) => h('span', { class: `badge ${r.mode === 'reseller' ? 'resell' : 'pass'}` }, r.mode) },
    { title: 'Provider', cell: (r) => r.provider },
    { title: 'Model', cell: (r) => r.model },
    { title: 'In', num: true, cell: (r) => fmt.int(r.input_tokens) },
    { title: 'Out', num: true, cell: (r) => fmt.int(r.output_tokens) },
    { title: 'Cost', num: true, cell: (r) => (r.unpriced
      ? h('span', { class: 'badge unpriced', title: 'No price for this model: the cost is unknown, not $0. An operator can add one with llmgw-billing prices set.' }, 'unpriced')
      : fmt.usd(r.cost_usd)) },
    { title: 'Latency', num: true, cell: (r) => `${fmt.int(r.latency_ms)} ms` },
    { title: 'Status', num: true, cell: (r) => h('span', { class: r.status_code >= 400 ? 'warn' : '' }, String(r.status_code)) },
    { title: 'Stream', cell: (r) => (r.is_streaming ? 'yes' : 'no') },
    { title: 'Request id', cell: (r) => h('button', { type: 'button', class: 'link-button', onclick: () => showDetail(r), 'aria-label': `Details of request ${r.request_id}` }, h('code', {}, r.request_id)) },
  ];
  // cursors[i] is the `before` of page i (page 0: none); the API's next_before opens the next.
  const cursors = [''];
  let index = 0;
  let next = null;
  const load = async () => {
    const q = query();
    q.set('limit', PAGE_SIZE);
    if (cursors[index]) q.set('before', cursors[index]);
    const page = await api('GET', `/api/usage?${q}`);
    next = page.next_before;
    holder.replaceChildren(table(columns, page.items, 'Usage rows'));
    pageInfo.textContent = page.items.length ? `Page ${index + 1} · ${page.items.length} rows` : '';
    newer.disabled = index === 0;
    older.disabled = !next;
  };
  newer.addEventListener('click', () => { index -= 1; load(); });
  older.addEventListener('click', () => { cursors[index + 1] = next; index += 1; load(); });
  setMain(
    h('div', { class: 'toolbar' }, h('h1', {}, 'Usage'), csv),
    h('p', { class: 'muted' }, 'Every request through the gateway, newest first. Select a request id for every recorded field.'),
    filters, holder, h('div', { class: 'pager' }, newer, pageInfo, older));
  await load();
}
