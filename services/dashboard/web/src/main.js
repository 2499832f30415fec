// llmgw dashboard: a small single-page app over the management REST API (/api/...), bundled by
// esbuild (services/dashboard/CMakeLists.txt). Routes are `#/<page id>`; pages live in pages/ and
// are listed in pages/index.js, which the navigation is built from.
import { api } from './lib/api.js';
import { h, setMain, toast } from './lib/dom.js';
import { can, state } from './lib/state.js';
import { authPage } from './pages/auth.js';
import { findPage, pages } from './pages/index.js';

function buildNav() {
  const nav = document.getElementById('nav');
  nav.replaceChildren(...pages.filter((p) => !p.hidden)
    .map((p) => h('a', { href: `#/${p.id}`, 'data-page': p.id, 'data-perm': p.perm || '' }, p.title)));
  // Under 700 px the navigation is a menu (style.css): the button opens it, a choice closes it.
  const toggle = document.getElementById('menu-toggle');
  const setOpen = (open) => {
    nav.classList.toggle('open', open);
    toggle.setAttribute('aria-expanded', String(open));
  };
  toggle.addEventListener('click', () => setOpen(!nav.classList.contains('open')));
  nav.addEventListener('click', (e) => { if (e.target.closest('a')) setOpen(false); });
}

async function whoAmI() {
  // /api/config needs a session: a cheap way to learn whether we are logged in.
  try {
    state.config = await api('GET', '/api/config');
    state.org = state.config.org;
    return true;
  } catch (e) { return false; }
}

// Renders one page at a time, in hash order: a slow page finishing late must not replace the page
// the user has moved on to.
let routeChain = Promise.resolve();
function route() {
  routeChain = routeChain.then(renderRoute, renderRoute);
  return routeChain;
}
state.rerender = route;

// The organization switcher in the header, for users in several.
function renderOrgSwitcher() {
  const holder = document.getElementById('org-name');
  const orgs = (state.config && state.config.orgs) || [];
  if (orgs.length < 2) { holder.textContent = state.org ? state.org.name : ''; return; }
  const select = h('select', {
    id: 'org-switch', 'aria-label': 'Organization',
    onchange: async (e) => {
      try {
        await api('POST', '/api/auth/switch-org', { org_id: e.target.value });
        state.config = null;
        await whoAmI();
        await route();
      } catch (ex) { toast(ex.message); }
    },
  }, orgs.map((o) => h('option', { value: o.id, selected: state.org && o.id === state.org.id }, `${o.name} (${o.role})`)));
  holder.replaceChildren(select);
}

async function renderRoute() {
  const id = (location.hash.replace(/^#\//, '') || 'overview').split('?')[0];
  const nav = document.getElementById('nav');
  const logout = document.getElementById('logout');
  const publicPage = pages.find((p) => p.public && p.id === id);
  if (id === 'login' || id === 'register' || publicPage) {
    nav.classList.add('hidden');
    logout.classList.add('hidden');
    document.getElementById('menu-toggle').classList.add('hidden');
    document.getElementById('org-name').textContent = '';
    if (publicPage) publicPage.render(); else authPage(id);
    return;
  }
  if (!state.config && !(await whoAmI())) { location.hash = '#/login'; return; }
  nav.classList.remove('hidden');
  logout.classList.remove('hidden');
  document.getElementById('menu-toggle').classList.remove('hidden');
  renderOrgSwitcher();
  const page = findPage(id);
  for (const a of nav.querySelectorAll('a')) {
    a.classList.toggle('hidden', Boolean(a.dataset.perm) && !can(a.dataset.perm));
    a.classList.toggle('active', a.dataset.page === page.id);
    if (a.dataset.page === page.id) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  try { await page.render(); } catch (ex) {
    if (ex.status !== 401) setMain(h('div', { class: 'panel error' }, `Could not load this page: ${ex.message}`));
  }
}

buildNav();
document.getElementById('logout').addEventListener('click', async () => {
  try { await api('POST', '/api/auth/logout'); } catch (e) { /* already logged out */ }
  state.org = null;
  state.config = null;
  location.hash = '#/login';
});
window.addEventListener('hashchange', route);
route();
