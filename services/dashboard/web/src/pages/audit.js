// Audit log: every management action in the organization (admins), newest first, paged.
import { api } from '../lib/api.js';
import { h, setMain, table, toast } from '../lib/dom.js';
import { fmt } from '../lib/fmt.js';

// Collapsed to the names of what was recorded ("request, before, after"); opened, the JSON,
// indented and scrolling inside its own box (a row stays one line high until asked).
function detailsCell(e) {
  const keys = Object.keys(e.details || {});
  if (!keys.length) return '';
  return h('details', {}, h('summary', {}, keys.join(', ')),
    h('pre', { class: 'details', tabindex: '0' }, JSON.stringify(e.details, null, 2)));
}

export async function auditPage() {
  const rows = [];
  const holder = h('div', { class: 'panel' });
  const more = h('button', { class: 'secondary', type: 'button' }, 'Load more');
  let before = null;
  const load = async () => {
    const r = await api('GET', `/api/audit?limit=100${before ? `&before=${encodeURIComponent(before)}` : ''}`);
    rows.push(...r.items);
    before = r.next_before;
    more.classList.toggle('hidden', !before);
    holder.replaceChildren(table([
      { title: 'When', cell: (e) => fmt.time(e.at) },
      { title: 'Who', cell: (e) => e.actor_email },
      { title: 'Action', cell: (e) => h('code', {}, e.action) },
      { title: 'Target', cell: (e) => e.target },
      { title: 'Details', cell: detailsCell },
    ], rows, 'Audit log'));
  };
  more.addEventListener('click', () => load().catch((ex) => toast(ex.message)));
  setMain(h('h1', {}, 'Audit log'),
    h('p', { class: 'muted' }, 'Every change made in this organization: who, when, on what, before and after. Secrets are never recorded.'),
    holder, more);
  await load();
}
