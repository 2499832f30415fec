// The page registry: the navigation is built from it, in this order, and the router finds pages
// here. A page is { id, title, render }: `render()` fills <main> (lib/dom.js setMain) and may be
// async. Add a feature's page here when the feature lands (a page for a feature not yet built is
// not listed). `hidden` pages are routed but not in the navigation; `perm` pages are shown only to
// roles with that permission (the server refuses the rest anyway); `public` pages need no session.
import { alertsPage } from './alerts.js';
import { auditPage } from './audit.js';
import { balancePage } from './balance.js';
import { credentialsPage } from './credentials.js';
import { limitsPage } from './limits.js';
import { overviewPage } from './overview.js';
import { acceptInvitePage, membersPage } from './members.js';
import { playgroundPage } from './playground.js';
import { providerBillsPage } from './provider-bills.js';
import { sdkPage } from './sdk.js';
import { usagePage } from './usage.js';

export const pages = [
  { id: 'overview', title: 'Overview', render: overviewPage },
  { id: 'tokens', title: 'Monitor tokens', render: () => credentialsPage('tokens') },
  { id: 'keys', title: 'API keys', render: () => credentialsPage('keys') },
  { id: 'balance', title: 'Balance', render: balancePage },
  { id: 'limits', title: 'Limits', render: limitsPage },
  { id: 'usage', title: 'Usage', render: usagePage },
  { id: 'provider-bills', title: 'Provider bills', render: providerBillsPage },
  { id: 'sdk', title: 'SDK', render: sdkPage },
  { id: 'playground', title: 'Playground', render: playgroundPage, perm: 'use_own_credentials' },
  { id: 'alerts', title: 'Alerts', render: alertsPage, perm: 'read' },
  { id: 'members', title: 'Members', render: membersPage },
  { id: 'audit', title: 'Audit log', render: auditPage, perm: 'read_audit' },
  { id: 'accept-invite', title: 'Join', render: acceptInvitePage, hidden: true, public: true },
];

export function findPage(id) {
  return pages.find((p) => p.id === id) || pages[0];
}
