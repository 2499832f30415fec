// Rate limits and budgets (issue 16) as the credential pages and the Limits page show and edit
// them: `limits` {rpm,tpm,daily_budget_usd,monthly_budget_usd,…} and `usage`
// {minute_requests,minute_tokens,day_spent_usd,month_spent_usd,…} from the management API. Money
// stays a decimal string or BigInt nano-USD, never a float.
import { h } from './dom.js';
import { fmt } from './fmt.js';

// The four settable limits: body field, label, unit, and which limits/usage fields show them.
export const LIMIT_FIELDS = [
  { key: 'rpm', label: 'Requests per minute', kind: 'rate', limit: 'rpm', used: 'minute_requests', unit: 'rpm', placeholder: 'e.g. 600' },
  { key: 'tpm', label: 'Tokens per minute', kind: 'rate', limit: 'tpm', used: 'minute_tokens', unit: 'tpm', placeholder: 'e.g. 200000' },
  { key: 'daily_budget_usd', label: 'Daily budget (USD)', kind: 'budget', limit: 'daily_budget_usd', used: 'day_spent_usd', name: 'Daily', placeholder: 'e.g. 50' },
  { key: 'monthly_budget_usd', label: 'Monthly budget (USD)', kind: 'budget', limit: 'monthly_budget_usd', used: 'month_spent_usd', name: 'Monthly', placeholder: 'e.g. 1000' },
];

// "50.000000000" → 50000000000n (the API writes every USD amount with nine decimals).
function usdNano(s) {
  const [whole, frac = ''] = String(s).split('.');
  return BigInt(whole) * 1000000000n + BigInt(frac.padEnd(9, '0').slice(0, 9) || '0');
}

// "50.000000000" → "50", "12.300000000" → "12.3": what the edit form shows.
function plainUsd(s) {
  return String(s).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

// A budget's spent share in tenths of a percent (0..1000, more when over), exact.
function permille(spentUsd, budgetUsd) {
  const budget = usdNano(budgetUsd);
  return budget > 0n ? Number((usdNano(spentUsd) * 1000n) / budget) : 0;
}

// A bar for a budget's share spent (permille; from 80 % amber, at 100 % red). The text beside it
// carries the figures, so the bar itself is hidden from screen readers.
export function budgetMeter(share) {
  const pct = Math.min(100, share / 10);
  const tone = share >= 1000 ? 'full' : share >= 800 ? 'high' : 'ok';
  const fill = h('span', { class: `limit-fill ${tone}` });
  fill.style.width = `${pct}%`;  // through the CSSOM: the CSP refuses inline style attributes
  return h('span', { class: 'limit-meter', 'aria-hidden': 'true' }, fill);
}

// One limit as figures, or null when it is not set: `value` ("600 rpm", "$50.00"), `used`
// ("45 used this minute", "$12.30 spent"; null without usage), and for budgets `share`
// (permille spent).
export function limitFigures(f, limits, usage) {
  const value = limits ? limits[f.limit] : null;
  if (value === null || value === undefined) return null;
  if (f.kind === 'rate') {
    return { value: `${fmt.int(value)} ${f.unit}`, used: usage ? `${fmt.int(usage[f.used])} used this minute` : null };
  }
  if (!usage) return { value: fmt.usd(value), used: null };
  return { value: fmt.usd(value), used: `${fmt.usd(usage[f.used])} spent`, share: permille(usage[f.used], value) };
}

// One line per limit that is set: "60 rpm · 45 used this minute", "Daily $50.00 · $12.30 spent"
// with a bar.
export function limitLines(limits, usage) {
  const lines = [];
  for (const f of LIMIT_FIELDS) {
    const fig = limitFigures(f, limits, usage);
    if (!fig) continue;
    const text = `${f.kind === 'budget' ? `${f.name} ` : ''}${fig.value}${fig.used ? ` · ${fig.used}` : ''}`;
    lines.push(h('div', { class: 'limit-line', 'data-limit': f.key },
      h('span', {}, text), fig.share !== undefined ? budgetMeter(fig.share) : null));
  }
  return lines;
}

// The limits of one credential, compact, for a table cell: "No limits" when none is set.
export function limitSummary(limits, usage) {
  const lines = limitLines(limits, usage);
  return lines.length ? h('div', { class: 'limit-summary' }, lines) : h('span', { class: 'muted' }, 'No limits');
}

// The value of one limit field as the form shows it: '' when unset.
function inputText(limits, f) {
  const v = limits ? limits[f.limit] : null;
  if (v === null || v === undefined) return '';
  return f.kind === 'budget' ? plainUsd(v) : String(v);
}

// The JSON text of one typed value: empty → null (no limit); a whole number as a JSON number
// (rates) or a decimal string (budgets, so money never passes through a float); anything else as
// the string typed, for the server to refuse with its own message.
function valueJson(f, text) {
  const t = text.trim().replace(/^\$/, '');
  if (t === '') return 'null';
  if (f.kind === 'rate' && /^-?\d+$/.test(t)) return BigInt(t).toString();
  return JSON.stringify(t);
}

// Labelled inputs for the four limits, filled with `limits`, and the raw JSON body of the fields
// the user changed (absent = unchanged on the server).
export function limitInputs(idPrefix, limits) {
  const inputs = LIMIT_FIELDS.map((f) => {
    const id = `${idPrefix}-${f.key}`;
    const input = h('input', {
      id, name: f.key, type: 'text', inputmode: f.kind === 'rate' ? 'numeric' : 'decimal',
      autocomplete: 'off', placeholder: f.placeholder, value: inputText(limits, f),
      'aria-describedby': `${idPrefix}-hint`,
    });
    return { f, input, initial: inputText(limits, f), field: h('div', { class: 'limit-field' }, h('label', { for: id }, f.label), input) };
  });
  const body = () => {
    const changed = inputs.filter((i) => i.input.value.trim() !== i.initial);
    if (changed.length === 0) return null;
    return `{${changed.map((i) => `"${i.f.key}":${valueJson(i.f, i.input.value)}`).join(',')}}`;
  };
  const hint = h('p', { class: 'muted limit-hint', id: `${idPrefix}-hint` }, 'Leave a field empty for no limit. Budgets are in USD per UTC day and calendar month. The gateway applies a change within its credential cache time (30 s by default).');
  return { fields: h('div', { class: 'limit-fields' }, inputs.map((i) => i.field)), hint, body, first: inputs[0].input };
}

// A modal form editing one set of limits. `save(rawJsonBody)` sends it and resolves with the
// saved object, or throws (ApiError): its message is shown in the form.
export function editLimitsDialog({ title, limits, save, onSaved, returnFocus }) {
  const err = h('div', { class: 'error', role: 'alert', id: 'limits-error' });
  const ui = limitInputs('limit', limits);
  const submit = h('button', { type: 'submit' }, 'Save limits');
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const dialog = h('dialog', { class: 'detail limits-dialog', 'aria-labelledby': 'limits-title' });
  const form = h('form', {
    id: 'limits-form',
    onsubmit: async (e) => {
      e.preventDefault();
      err.textContent = '';
      const body = ui.body();
      if (body === null) { dialog.close(); return; }
      submit.disabled = true;
      try {
        const saved = await save(body);
        dialog.close();
        onSaved(saved);
      } catch (ex) { err.textContent = ex.message; } finally { submit.disabled = false; }
    },
  }, ui.fields, ui.hint, err, h('div', { class: 'actions' }, submit, cancel));
  cancel.addEventListener('click', () => dialog.close());
  dialog.append(h('h2', { id: 'limits-title' }, title), form);
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (returnFocus && returnFocus.isConnected) returnFocus.focus();
  });
  document.body.appendChild(dialog);
  dialog.showModal();
  ui.first.focus();
  return dialog;
}
