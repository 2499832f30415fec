import { api } from '../lib/api.js';
import { copyButton, h, setMain, table, toast } from '../lib/dom.js';
import { fmt } from '../lib/fmt.js';
import { editLimitsDialog, limitSummary } from '../lib/limits.js';
import { can, state } from '../lib/state.js';

export async function credentialsPage(kind) {
  const isTokens = kind === 'tokens';
  const path = isTokens ? '/api/tokens' : '/api/keys';
  const secretField = isTokens ? 'token' : 'key';
  const title = isTokens ? 'Monitor tokens' : 'API keys';
  const blurb = isTokens
    ? 'Pass-through mode: send your own provider key plus X-Monitor-Token: mon_sk_… and the gateway records usage and estimated cost.'
    : 'Reseller mode: one llm_sk_… key for every provider, billed from your prepaid balance.';
  const list = await api('GET', path);
  const secretBox = h('div', {});
  const err = h('div', { class: 'error' });
  const name = h('input', { placeholder: 'Name, e.g. production', maxlength: 100, required: true, 'aria-label': 'Name' });
  const form = h('form', {
    class: 'inline',
    onsubmit: async (e) => {
      e.preventDefault();
      err.textContent = '';
      try {
        const c = await api('POST', path, { name: name.value });
        await credentialsPage(kind);
        const box = document.getElementById('secret-box');
        box.replaceChildren(h('div', { class: 'secret' },
          h('code', {}, c[secretField]), copyButton(c[secretField])),
        h('p', { class: 'muted' }, 'Copy it now: it is shown only once and cannot be recovered.'));
      } catch (ex) { err.textContent = ex.message; }
    },
  }, name, h('button', { type: 'submit' }, isTokens ? 'Create token' : 'Create key'));
  secretBox.id = 'secret-box';
  const me = state.config && state.config.user ? state.config.user.id : null;
  const mayRevoke = (c) => can('manage_credentials') || (can('use_own_credentials') && c.created_by === me);
  const revoke = async (c) => {
    if (!confirm(`Revoke "${c.name}"? Requests using it will be rejected.`)) return;
    try { await api('DELETE', `${path}?id=${encodeURIComponent(c.id)}`); toast('Revoked'); await credentialsPage(kind); }
    catch (ex) { toast(ex.message); }
  };
  // Limits and usage of one credential; admins get an Edit button that PATCHes and redraws the cell.
  const limitsCell = (c) => {
    const cell = h('div', { class: 'limits-cell', id: `limits-${c.id}` });
    const draw = (cred) => {
      const edit = can('manage_settings') && cred.is_active
        ? h('button', {
          type: 'button', class: 'secondary small', 'aria-label': `Edit limits of ${cred.name}`,
          onclick: (e) => editLimitsDialog({
            title: `Limits of "${cred.name}"`,
            limits: cred.limits,
            returnFocus: e.currentTarget,
            save: (body) => api('PATCH', `${path}?id=${encodeURIComponent(cred.id)}`, undefined, body),
            onSaved: (saved) => { draw(saved); toast('Limits saved'); cell.querySelector('button')?.focus(); },
          }),
        }, 'Edit limits')
        : null;
      cell.replaceChildren(limitSummary(cred.limits, cred.is_active ? cred.usage : null), edit);
    };
    draw(c);
    return cell;
  };
  setMain(
    h('h1', {}, title),
    h('p', { class: 'muted' }, blurb),
    can('use_own_credentials') ? h('div', { class: 'panel' }, form, err, secretBox)
      : h('p', { class: 'muted', id: 'read-only' }, 'Your role can see these but not create or revoke them.'),
    h('div', { class: 'panel' }, table([
      { title: 'Name', cell: (c) => c.name },
      { title: 'Prefix', cell: (c) => h('code', {}, `${c.prefix}…`) },
      { title: 'Status', cell: (c) => h('span', { class: `badge ${c.is_active ? 'on' : 'off'}` }, c.is_active ? 'active' : 'revoked') },
      { title: 'Limits', cell: limitsCell },
      { title: 'Last used', cell: (c) => fmt.time(c.last_used_at) },
      { title: 'Created', cell: (c) => fmt.time(c.created_at) },
      { title: '', cell: (c) => (c.is_active && mayRevoke(c) ? h('button', { class: 'danger', type: 'button', onclick: () => revoke(c) }, 'Revoke') : '') },
    ], list[kind], title)));
}
