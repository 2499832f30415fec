// Limits: the organization's rate limits and budgets with their current usage (GET
// /api/org/limits), editable by admins (PUT), and the keys and tokens that have limits of their
// own (set on the Monitor tokens and API keys pages).
import { api } from '../lib/api.js';
import { h, setMain, table, toast } from '../lib/dom.js';
import { LIMIT_FIELDS, budgetMeter, limitFigures, limitInputs, limitSummary } from '../lib/limits.js';
import { can, rerender } from '../lib/state.js';

// What the organization has set and used, one box per limit.
function orgLimitBoxes(org) {
  return h('div', { class: 'modes', id: 'org-limits' }, LIMIT_FIELDS.map((f) => {
    const fig = limitFigures(f, org.limits, org.usage);
    return h('div', { class: 'mode-box', 'data-limit': f.key },
      h('h3', { class: 'label' }, f.label),
      fig ? h('div', { class: 'value' }, fig.value) : h('div', { class: 'value muted' }, 'No limit'),
      fig && fig.used ? h('div', { class: 'sub' }, fig.share !== undefined ? `${fig.used} (${(fig.share / 10).toFixed(1)}%)` : fig.used) : null,
      fig && fig.share !== undefined ? budgetMeter(fig.share) : null);
  }));
}

function orgLimitsForm(org) {
  const err = h('div', { class: 'error', role: 'alert' });
  const ui = limitInputs('org', org.limits);
  const submit = h('button', { type: 'submit' }, 'Save organization limits');
  const form = h('form', {
    id: 'org-limits-form', 'aria-labelledby': 'org-limits-edit',
    onsubmit: async (e) => {
      e.preventDefault();
      err.textContent = '';
      const body = ui.body();
      if (body === null) { toast('Nothing changed'); return; }
      submit.disabled = true;
      try {
        await api('PUT', '/api/org/limits', undefined, body);
        toast('Organization limits saved');
        await rerender();
        document.querySelector('#org-limits-form button[type=submit]')?.focus();
      } catch (ex) { err.textContent = ex.message; } finally { submit.disabled = false; }
    },
  }, ui.fields, ui.hint, err, submit);
  return h('section', { class: 'panel' }, h('h2', { id: 'org-limits-edit' }, 'Change organization limits'), form);
}

export async function limitsPage() {
  const [org, tokens, keys] = await Promise.all([
    api('GET', '/api/org/limits'), api('GET', '/api/tokens'), api('GET', '/api/keys')]);
  const hasOwn = (c) => c.is_active && c.limits && LIMIT_FIELDS.some((f) => c.limits[f.limit] != null);
  const own = [
    ...tokens.tokens.filter(hasOwn).map((c) => ({ ...c, kind: 'Monitor token', page: 'tokens' })),
    ...keys.keys.filter(hasOwn).map((c) => ({ ...c, kind: 'API key', page: 'keys' })),
  ];
  setMain(
    h('h1', {}, 'Limits and budgets'),
    h('p', { class: 'muted' },
      'Requests and tokens per minute, and spend per UTC day and calendar month. A request must fit the organization\'s limits and its key\'s or token\'s own: over a rate limit it is refused with 429 and retried later; over a budget it is refused until the next day or month.'),
    h('section', { class: 'panel' }, h('h2', {}, 'Organization'), orgLimitBoxes(org)),
    can('manage_settings') ? orgLimitsForm(org)
      : h('p', { class: 'muted', id: 'read-only' }, 'Only an admin or owner can change limits.'),
    h('section', { class: 'panel' }, h('h2', {}, 'Keys and tokens with their own limits'),
      own.length === 0
        ? h('p', { class: 'muted' }, 'None yet. ', can('manage_settings') ? 'Set them with "Edit limits" on the ' : 'They are set on the ',
          h('a', { href: '#/tokens' }, 'Monitor tokens'), ' and ', h('a', { href: '#/keys' }, 'API keys'), ' pages.')
        : table([
          { title: 'Name', cell: (c) => h('a', { href: `#/${c.page}` }, c.name) },
          { title: 'Kind', cell: (c) => c.kind },
          { title: 'Prefix', cell: (c) => h('code', {}, `${c.prefix}…`) },
          { title: 'Limits', cell: (c) => limitSummary(c.limits, c.usage) },
        ], own, 'Keys and tokens with limits')));
}
