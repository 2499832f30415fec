// llmgw dashboard: a small single-page app over the management REST API (/api/...), bundled by
// esbuild (services/dashboard/CMakeLists.txt). Routes are `#/<page id>`; pages live in pages/ and
// are listed in pages/index.js, which the navigation is built from.
import { api } from './lib/api.js';
import { h, setMain } from './lib/dom.js';
import { state } from './lib/state.js';
import { authPage } from './pages/auth.js';
import { findPage, pages } from './pages/index.js';

function buildNav() {
  const nav = document.getElementById('nav');
  nav.replaceChildren(...pages.filter((p) => !p.hidden)
    .map((p) => h('a', { href: `#/${p.id}`, 'data-page': p.id }, p.title)));
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

async function renderRoute() {
  const id = (location.hash.replace(/^#\//, '') || 'overview').split('?')[0];
  const nav = document.getElementById('nav');
  const logout = document.getElementById('logout');
  if (id === 'login' || id === 'register') {
    nav.classList.add('hidden');
    logout.classList.add('hidden');
    document.getElementById('menu-toggle').classList.add('hidden');
    document.getElementById('org-name').textContent = '';
    authPage(id);
    return;
  }
  if (!state.config && !(await whoAmI())) { location.hash = '#/login'; return; }
  nav.classList.remove('hidden');
  logout.classList.remove('hidden');
  document.getElementById('menu-toggle').classList.remove('hidden');
  document.getElementById('org-name').textContent = state.org ? state.org.name : '';
  const page = findPage(id);
  for (const a of nav.querySelectorAll('a')) {
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
