import { api, config } from '../lib/api.js';
import { card, h, setMain, table, toast } from '../lib/dom.js';
import { fmt } from '../lib/fmt.js';

export async function balancePage() {
  const [bal, txs] = await Promise.all([api('GET', '/api/balance'), api('GET', '/api/balance/transactions?limit=100')]);
  const cfg = await config();
  let topup = h('p', { class: 'muted' }, 'Top-ups are made by an operator. Contact them to add funds.');
  if (cfg.self_topup) {
    const err = h('div', { class: 'error' });
    const amount = h('input', { placeholder: 'Amount in USD, e.g. 10.00', inputmode: 'decimal', required: true });
    topup = h('form', {
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
    }, amount, h('button', { type: 'submit' }, 'Top up'), err);
  }
  setMain(
    h('h1', {}, 'Balance'),
    h('div', { class: 'cards' },
      card('Balance', fmt.usd(bal.balance_usd), 'prepaid, for reseller mode'),
      card('Held', fmt.usd(bal.held_usd), 'reserved for requests in flight')),
    h('h2', {}, 'Add funds'), h('div', { class: 'panel' }, topup),
    h('h2', {}, 'Transactions'),
    h('div', { class: 'panel' }, table([
      { title: 'Date', cell: (t) => fmt.time(t.created_at) },
      { title: 'Type', cell: (t) => t.type },
      { title: 'Description', cell: (t) => t.description },
      { title: 'Amount', num: true, cell: (t) => fmt.usd(t.amount_usd) },
      { title: 'Balance after', num: true, cell: (t) => fmt.usd(t.balance_after_usd) },
    ], txs.transactions)));
}
