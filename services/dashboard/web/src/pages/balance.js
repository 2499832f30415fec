// Balance: the prepaid balance (reseller mode), its history as a chart, top-ups and the
// transactions, paged.
import { api, config } from '../lib/api.js';
import { timeChart } from '../lib/charts.js';
import { card, h, setMain, table, toast } from '../lib/dom.js';
import { fmt } from '../lib/fmt.js';
import { can } from '../lib/state.js';

const PAGE = 25;

function topupForm(cfg) {
  if (!cfg.self_topup) return h('p', { class: 'muted' }, 'Top-ups are made by an operator. Contact them to add funds.');
  if (!can('top_up')) return h('p', { class: 'muted' }, 'Only an owner of this organization can top it up.');
  const err = h('div', { class: 'error', role: 'alert' });
  const amount = h('input', { id: 'topup-amount', placeholder: 'e.g. 10.00', inputmode: 'decimal', required: true });
  return h('form', {
    class: 'inline',
    onsubmit: async (e) => {
      e.preventDefault();
      err.textContent = '';
      const text = amount.value.trim();
      // Sent as JSON number text, exactly as typed: no float rounding on the way.
      if (!/^\d+(\.\d{1,9})?$/.test(text)) { err.textContent = 'Enter a positive amount with at most 9 decimals.'; return; }
      try {
        await api('POST', '/api/balance/charge', undefined, `{"amount":${text}}`);
        toast('Balance topped up');
        await balancePage();
      } catch (ex) { err.textContent = ex.message; }
    },
  }, h('label', { for: 'topup-amount' }, 'Amount in USD'), amount, h('button', { type: 'submit' }, 'Top up'), err);
}

// Balance after each transaction, as a stepped line over time (oldest first).
function historyChart(txs) {
  if (txs.length === 0) return h('section', { class: 'panel' }, h('h2', {}, 'Balance over time'), h('p', { class: 'muted' }, 'No transactions yet.'));
  const asc = [...txs].reverse();
  const xs = asc.map((t) => Date.parse(t.created_at) / 1000);
  // uPlot needs increasing x: transactions in one second are nudged apart by a millisecond.
  for (let i = 1; i < xs.length; i++) if (xs[i] <= xs[i - 1]) xs[i] = xs[i - 1] + 0.001;
  return timeChart('balance', {
    title: 'Balance over time', xs,
    yFormat: (v) => `$${v}`,
    series: [{ label: 'balance', kind: 'line', values: asc.map((t) => Number(t.balance_after_nano) / 1e9), format: (v) => `$${v.toFixed(6)}`, total: `now ${fmt.usd(txs[0].balance_after_usd)}` }],
  });
}

export async function balancePage() {
  const [bal, txs, cfg] = await Promise.all([
    api('GET', '/api/balance'), api('GET', '/api/balance/transactions?limit=500'), config()]);
  const list = txs.transactions;
  const holder = h('div', { class: 'panel', id: 'transactions' });
  const info = h('span', { class: 'muted' });
  const prev = h('button', { type: 'button', class: 'secondary' }, '← Newer');
  const next = h('button', { type: 'button', class: 'secondary' }, 'Older →');
  let page = 0;
  const show = () => {
    holder.replaceChildren(table([
      { title: 'Date', cell: (t) => fmt.time(t.created_at) },
      { title: 'Type', cell: (t) => t.type },
      { title: 'Description', cell: (t) => t.description },
      { title: 'Amount', num: true, cell: (t) => fmt.usd(t.amount_usd) },
      { title: 'Balance after', num: true, cell: (t) => fmt.usd(t.balance_after_usd) },
    ], list.slice(page * PAGE, (page + 1) * PAGE), 'Transactions'));
    const pages = Math.max(1, Math.ceil(list.length / PAGE));
    info.textContent = `Page ${page + 1} of ${pages}`;
    prev.disabled = page === 0;
    next.disabled = page + 1 >= pages;
  };
  prev.addEventListener('click', () => { page -= 1; show(); });
  next.addEventListener('click', () => { page += 1; show(); });
  setMain(
    h('h1', {}, 'Balance'),
    h('div', { class: 'cards' },
      card('Balance', fmt.usd(bal.balance_usd), 'prepaid, for reseller mode'),
      card('Held', fmt.usd(bal.held_usd), 'reserved for requests in flight')),
    historyChart(list),
    h('section', { class: 'panel' }, h('h2', {}, 'Add funds'), topupForm(cfg)),
    h('h2', {}, 'Transactions'),
    holder, h('div', { class: 'pager' }, prev, info, next));
  show();
}
