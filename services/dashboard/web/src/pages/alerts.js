// Alerts: rules that tell people about a budget, a low balance, a failing provider or drift from
// the provider's bill, by a signed webhook or e-mail; each with when it last fired and how its
// delivery went. Admins create and delete them; every role sees them.
import { api } from '../lib/api.js';
import { copyButton, h, setMain, table, toast } from '../lib/dom.js';
import { fmt, nano } from '../lib/fmt.js';
import { can } from '../lib/state.js';

const KINDS = [
  { value: 'balance', label: 'Balance below (USD)', unit: 'USD' },
  { value: 'error_rate', label: 'Provider error rate above (% over 5 min)', unit: '%' },
  { value: 'drift', label: 'Reconciliation drift above (%)', unit: '%' },
  { value: 'budget', label: 'Budget spent (%: 50, 80, 100)', unit: '%' },
];

function thresholdText(a) {
  return a.kind === 'balance' ? fmt.usd(nano.usd(BigInt(a.threshold_nano))) : `${a.threshold} %`;
}

const DELIVERY_BADGE = { delivered: 'on', pending: 'pass', retrying: 'resell', failed: 'unpriced' };

function deliveryCell(a) {
  const d = a.last_delivery;
  if (!d) return h('span', { class: 'muted' }, 'never fired');
  const parts = [h('span', { class: `badge ${DELIVERY_BADGE[d.status] || 'off'}` }, d.status)];
  if (d.attempts > 1 || d.status !== 'delivered') parts.push(` ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`);
  if (d.last_error) parts.push(h('div', { class: 'muted' }, d.last_error));
  if (d.next_attempt_at) parts.push(h('div', { class: 'muted' }, `next try ${fmt.time(d.next_attempt_at)}`));
  return h('div', {}, ...parts);
}

function createForm() {
  const err = h('div', { class: 'error', role: 'alert' });
  const secretBox = h('div', { id: 'alert-secret-box' });
  const kind = h('select', { name: 'kind', 'aria-label': 'Alert kind' },
    KINDS.map((k) => h('option', { value: k.value }, k.label)));
  const threshold = h('input', { name: 'threshold', type: 'number', min: '0', step: 'any', required: true,
    'aria-label': 'Threshold', placeholder: 'Threshold, e.g. 10' });
  const channel = h('select', { name: 'channel', 'aria-label': 'Channel' },
    h('option', { value: 'webhook' }, 'Webhook (Slack-compatible)'), h('option', { value: 'email' }, 'E-mail'));
  const target = h('input', { name: 'target', type: 'text', required: true, autocomplete: 'off',
    'aria-label': 'Webhook URL or e-mail address', placeholder: 'https://hooks.example.com/… or ops@example.com' });
  const form = h('form', {
    class: 'inline', id: 'alert-form',
    onsubmit: async (e) => {
      e.preventDefault();
      err.textContent = '';
      try {
        const a = await api('POST', '/api/alerts', {
          kind: kind.value, threshold: Number(threshold.value), channel: channel.value, target: target.value,
        });
        await alertsPage();
        const box = document.getElementById('alert-secret-box');
        if (box && a.signing_secret) {
          box.replaceChildren(h('div', { class: 'secret' }, h('code', {}, a.signing_secret), copyButton(a.signing_secret)),
            h('p', { class: 'muted' }, 'The signing secret, shown only now: each delivery carries x-llmgw-signature: sha256=<hex HMAC-SHA256 of the body> under it.'));
        } else {
          toast('Alert created');
        }
      } catch (ex) { err.textContent = ex.message; }
    },
  }, kind, threshold, channel, target, h('button', { type: 'submit' }, 'Create alert'));
  return h('div', { class: 'panel' }, h('h2', {}, 'New alert'), form, err, secretBox,
    h('p', { class: 'muted' }, 'An alert fires once per rule and period (a balance once until it recovers; an error rate once per provider and hour; drift once per provider and day; a budget once per budget and period) and is retried until delivered.'));
}

export async function alertsPage() {
  const data = await api('GET', '/api/alerts');
  const manage = can('manage_settings');
  const remove = async (a) => {
    if (!confirm(`Delete the ${a.kind} alert to ${a.target}?`)) return;
    try { await api('DELETE', `/api/alerts?id=${encodeURIComponent(a.id)}`); toast('Deleted'); }
    catch (ex) { toast(ex.message); }
    await alertsPage();
  };
  setMain(
    h('h1', {}, 'Alerts'),
    manage ? createForm() : h('p', { class: 'muted', id: 'read-only' }, 'Your role can see alerts but not create or delete them.'),
    h('div', { class: 'panel' }, table([
      { title: 'Kind', cell: (a) => (KINDS.find((k) => k.value === a.kind) || { label: a.kind }).label.replace(/ \(.*$/, '') },
      { title: 'Threshold', cell: (a) => thresholdText(a) },
      { title: 'Channel', cell: (a) => a.channel },
      { title: 'Target', cell: (a) => h('code', { class: 'alert-target' }, a.target) },
      { title: 'Last fired', cell: (a) => fmt.time(a.last_fired_at) },
      { title: 'Last delivery', cell: deliveryCell },
      { title: '', cell: (a) => (manage ? h('button', { class: 'danger', type: 'button', onclick: () => remove(a) }, 'Delete') : '') },
    ], data.alerts, 'Alerts')));
}
