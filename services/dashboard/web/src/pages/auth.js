import { api } from '../lib/api.js';
import { h, setMain } from '../lib/dom.js';
import { state } from '../lib/state.js';

export function authPage(mode) {
  const isLogin = mode === 'login';
  const err = h('div', { class: 'error' });
  const fields = {};
  const field = (name, label, type) => {
    fields[name] = h('input', { name, type, required: true, autocomplete: name === 'password' ? (isLogin ? 'current-password' : 'new-password') : name });
    return h('label', {}, label, fields[name]);
  };
  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      err.textContent = '';
      try {
        if (!isLogin) {
          await api('POST', '/api/auth/register', {
            name: fields.name.value, email: fields.email.value, password: fields.password.value,
          });
        }
        const r = await api('POST', '/api/auth/login', { email: fields.email.value, password: fields.password.value });
        state.org = r.org;
        location.hash = '#/overview';
      } catch (ex) { err.textContent = ex.message; }
    },
  },
  isLogin ? null : field('name', 'Organization name', 'text'),
  field('email', 'Email', 'email'),
  field('password', 'Password', 'password'),
  err,
  h('button', { type: 'submit' }, isLogin ? 'Log in' : 'Create account'));
  setMain(h('div', { class: 'auth panel' },
    h('h1', {}, isLogin ? 'Log in' : 'Create an account'), form,
    h('p', { class: 'muted' }, isLogin ? 'No account? ' : 'Have an account? ',
      h('a', { href: isLogin ? '#/register' : '#/login' }, isLogin ? 'Register' : 'Log in'))));
}
