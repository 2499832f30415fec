// Members: who belongs to the organization and with which role; invitations (a single-use link);
// and the page an invitation link opens.
import { api } from '../lib/api.js';
import { copyButton, h, setMain, table, toast } from '../lib/dom.js';
import { fmt } from '../lib/fmt.js';
import { can, state } from '../lib/state.js';

const ROLES = ['owner', 'admin', 'member', 'viewer'];

function inviteForm(roles) {
  const err = h('div', { class: 'error', role: 'alert' });
  const linkBox = h('div', { id: 'invite-box' });
  const email = h('input', { name: 'invite_email', type: 'email', placeholder: 'colleague@example.com',
                            required: true, 'aria-label': 'E-mail to invite' });
  const role = h('select', { name: 'invite_role', 'aria-label': 'Role' },
    roles.map((r) => h('option', { value: r, selected: r === 'member' }, r)));
  const form = h('form', {
    class: 'inline', id: 'invite-form',
    onsubmit: async (e) => {
      e.preventDefault();
      err.textContent = '';
      try {
        const r = await api('POST', '/api/members/invite', { email: email.value, role: role.value });
        email.value = '';
        linkBox.replaceChildren(h('div', { class: 'secret' }, h('code', {}, r.invite_url), copyButton(r.invite_url)),
          h('p', { class: 'muted' }, `Send this link to ${r.email}: it works once, until ${fmt.time(r.expires_at)}, and is shown only now.`));
      } catch (ex) { err.textContent = ex.message; }
    },
  }, email, role, h('button', { type: 'submit' }, 'Invite'));
  return h('div', { class: 'panel' }, h('h2', {}, 'Invite someone'), form, err, linkBox);
}

export async function membersPage() {
  const data = await api('GET', '/api/members');
  const manage = can('manage_members');
  const roles = ROLES.filter((r) => r !== 'owner' || can('manage_owners'));
  const me = state.config.user.id;
  const change = async (m, newRole) => {
    try { await api('PATCH', `/api/members?id=${encodeURIComponent(m.id)}`, { role: newRole }); toast('Role changed'); }
    catch (ex) { toast(ex.message); }
    await membersPage();
  };
  const remove = async (m) => {
    const leaving = m.id === me;
    if (!confirm(leaving ? 'Leave this organization?' : `Remove ${m.email} from this organization?`)) return;
    try {
      await api('DELETE', `/api/members?id=${encodeURIComponent(m.id)}`);
      if (leaving) { state.config = null; state.org = null; location.hash = '#/login'; return; }
      toast('Removed');
    } catch (ex) { toast(ex.message); }
    await membersPage();
  };
  const editable = (m) => manage && (m.role !== 'owner' || can('manage_owners'));
  setMain(
    h('h1', {}, 'Members'),
    manage ? inviteForm(roles) : null,
    h('div', { class: 'panel' }, table([
      { title: 'Name', cell: (m) => m.name },
      { title: 'Email', cell: (m) => m.email },
      { title: 'Role', cell: (m) => (editable(m)
        ? h('select', { 'aria-label': `role of ${m.email}`, onchange: (e) => change(m, e.target.value) },
          roles.map((r) => h('option', { value: r, selected: r === m.role }, r)))
        : m.role) },
      { title: 'Joined', cell: (m) => fmt.time(m.joined_at) },
      { title: '', cell: (m) => (editable(m) ? h('button', { class: 'danger', type: 'button', onclick: () => remove(m) }, m.id === me ? 'Leave' : 'Remove') : '') },
    ], data.members, 'Members')));
}

// The link of an invitation: a new user picks a name and password; someone who already has an
// account gives its password.
export function acceptInvitePage() {
  const token = new URLSearchParams(location.hash.split('?')[1] || '').get('token') || '';
  const err = h('div', { class: 'error', role: 'alert' });
  const name = h('input', { id: 'invite-name', name: 'name', type: 'text', autocomplete: 'name', placeholder: 'Your name (new accounts)' });
  const password = h('input', { id: 'invite-password', name: 'password', type: 'password', required: true, autocomplete: 'new-password' });
  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      err.textContent = '';
      try {
        const r = await api('POST', '/api/auth/accept-invite', { token, name: name.value, password: password.value });
        state.config = null;
        state.org = r.org;
        location.hash = '#/overview';
      } catch (ex) { err.textContent = ex.message; }
    },
  }, h('label', { for: 'invite-name' }, 'Name'), name, h('label', { for: 'invite-password' }, 'Password'), password, err,
  h('button', { type: 'submit' }, 'Join'));
  setMain(h('div', { class: 'auth panel' }, h('h1', {}, 'Join an organization'),
    h('p', { class: 'muted' }, 'New here? Choose your name and a password (8 characters or more). Already have an account with this e-mail? Enter its password.'),
    form));
}
