import { api } from '../lib/api.js';
import { h, setMain, table, toast } from '../lib/dom.js';
import { fmt } from '../lib/fmt.js';

export async function usagePage() {
  const rows = [];
  const tbodyHolder = h('div', { class: 'panel' });
  const more = h('button', { class: 'secondary', type: 'button' }, 'Load more');
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
    { title: 'Status', num: true, cell: (r) => String(r.status_code) },
    { title: 'Stream', cell: (r) => (r.is_streaming ? 'yes' : 'no') },
    { title: 'Request id', cell: (r) => h('code', {}, r.request_id) },
  ];
  const pageSize = 50;
  const load = async () => {
    const before = rows.length ? `&before=${encodeURIComponent(rows[rows.length - 1].requested_at)}` : '';
    const page = await api('GET', `/api/usage?limit=${pageSize}${before}`);
    rows.push(...page.items);
    tbodyHolder.replaceChildren(table(columns, rows));
    more.classList.toggle('hidden', page.items.length < pageSize);
  };
  more.addEventListener('click', () => load().catch((e) => toast(e.message)));
  setMain(h('h1', {}, 'Usage'), tbodyHolder, more);
  await load();
}
