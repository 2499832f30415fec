// Teams in headless Chromium (Debian's, driven by playwright-core) against the real binaries: an
// owner invites a viewer from the Members page, the viewer accepts the link in a second browser
// context (a different person), sees no create, revoke or edit-limits controls and no admin pages,
// and the API answers 403 to what the UI hid; a page on another origin cannot post with the owner's cookie.
// Screenshots go to $LLMGW_SCREENSHOT_DIR when set.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { System } from './harness.mjs';

const CHROMIUM = process.env.LLMGW_CHROMIUM ?? '/usr/bin/chromium';

let sys;
let browser;
let owner;   // page of the owner's context
let viewer;  // page of the viewer's context (separate cookies)

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/setup installs Debian's chromium`);
  sys = await System.start();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  owner = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  viewer = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
});
after(async () => {
  await browser?.close();
  await sys?.stop();
});

async function shot(page, name) {
  const dir = process.env.LLMGW_SCREENSHOT_DIR;
  if (dir) await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

async function sessionCookie(page) {
  const c = (await page.context().cookies()).find((x) => x.name === 'session');
  return `session=${c.value}`;
}

const stamp = Date.now();
const ownerEmail = `owner-${stamp}@example.com`;
const viewerEmail = `viewer-${stamp}@example.com`;
let inviteUrl;

test('the owner registers and invites a viewer from the Members page', async () => {
  await owner.goto(`${sys.dashboardUrl}/#/register`);
  await owner.fill('input[name=name]', 'Team Org');
  await owner.fill('input[name=email]', ownerEmail);
  await owner.fill('input[name=password]', 'password123');
  await owner.click('button[type=submit]');
  await owner.waitForURL(/#\/overview/);
  // The owner has a key the viewer will try to revoke.
  await owner.goto(`${sys.dashboardUrl}/#/keys`);
  await owner.fill('form.inline input', 'owner key');
  await owner.click('form.inline button[type=submit]');
  await owner.waitForSelector('#secret-box code');
  assert.equal(await owner.locator('button:has-text("Edit limits")').count(), 1, 'the owner may edit its limits');

  await owner.goto(`${sys.dashboardUrl}/#/members`);
  await owner.waitForSelector('#invite-form');
  await owner.fill('input[name=invite_email]', viewerEmail);
  await owner.selectOption('select[name=invite_role]', 'viewer');
  await owner.click('#invite-form button[type=submit]');
  const code = await owner.waitForSelector('#invite-box code');
  inviteUrl = (await code.textContent()).trim();
  assert.match(inviteUrl, new RegExp(`^${sys.dashboardUrl.replace(/[.]/g, '\\.')}/#/accept-invite\\?token=inv_[0-9A-Za-z]{43}$`));
  await shot(owner, 'team-invite');
});

test('the viewer accepts the link in a second browser context', async () => {
  await viewer.goto(inviteUrl);
  await viewer.waitForSelector('text=Join an organization');
  await viewer.fill('input[name=name]', 'Val Viewer');
  await viewer.fill('input[name=password]', 'viewer-pass-1');
  await viewer.click('button[type=submit]');
  await viewer.waitForURL(/#\/overview/);
  await viewer.waitForSelector('#org-name:has-text("Team Org")');
  const config = await sys.api('GET', '/api/config', { cookie: await sessionCookie(viewer) });
  assert.equal(config.json.role, 'viewer');
  assert.equal(config.json.user.email, viewerEmail);
  // The link worked once.
  const token = new URL(inviteUrl.replace('#/', '')).searchParams.get('token');
  const again = await sys.api('POST', '/api/auth/accept-invite', { body: { token, name: 'X', password: 'password123' } });
  assert.equal(again.status, 400);
});

test('the viewer sees no create or revoke buttons and no admin pages', async () => {
  for (const kind of ['tokens', 'keys']) {
    await viewer.goto(`${sys.dashboardUrl}/#/${kind}`);
    await viewer.waitForSelector('#read-only');
    assert.equal(await viewer.locator('form.inline').count(), 0, `no create form on ${kind}`);
    assert.equal(await viewer.locator('button:has-text("Create")').count(), 0);
  }
  await viewer.waitForSelector('text=owner key');
  assert.equal(await viewer.locator('button:has-text("Revoke")').count(), 0, 'no revoke button');
  assert.equal(await viewer.locator('button:has-text("Edit limits")').count(), 0, 'no edit limits button');
  await viewer.goto(`${sys.dashboardUrl}/#/limits`);
  await viewer.waitForSelector('#org-limits');
  assert.equal(await viewer.locator('#org-limits-form').count(), 0, 'no organization limits form');
  await viewer.goto(`${sys.dashboardUrl}/#/members`);
  await viewer.waitForSelector(`text=${ownerEmail}`);
  assert.equal(await viewer.locator('#invite-form').count(), 0, 'no invite form');
  assert.equal(await viewer.locator('main select').count(), 0, 'no role pickers');
  assert.ok(await viewer.locator('nav a[data-page=audit]').isHidden(), 'no audit log link');
  assert.ok(await viewer.locator('nav a[data-page=playground]').isHidden(), 'no playground link');
  assert.ok(await owner.locator('nav a[data-page=audit]').isVisible(), 'the owner has it');
  await shot(viewer, 'team-viewer-keys');
});

test('the API refuses the viewer with 403 where the UI hid the button', async () => {
  // From the viewer's own page (same origin, the browser's cookie), as a crafted request would.
  const status = await viewer.evaluate(async () => {
    const res = await fetch('/api/tokens', { method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'sneaky' }) });
    return res.status;
  });
  assert.equal(status, 403);
  const cookie = await sessionCookie(viewer);
  const keys = await sys.api('GET', '/api/keys', { cookie });
  assert.equal(keys.status, 200);
  const id = keys.json.keys[0].id;
  assert.equal((await sys.api('DELETE', `/api/keys?id=${id}`, { cookie })).status, 403);
  assert.equal((await sys.api('PATCH', `/api/keys?id=${id}`, { cookie, body: { rpm: 1 } })).status, 403);
  assert.equal((await sys.api('PUT', '/api/org/limits', { cookie, body: { rpm: 1 } })).status, 403);
  assert.equal((await sys.api('GET', '/api/audit', { cookie })).status, 403);
  const invite = await sys.api('POST', '/api/members/invite', { cookie, body: { email: 'x@example.com', role: 'viewer' } });
  assert.equal(invite.status, 403);
  assert.equal(invite.json.error.type, 'permission_error');
});

test('a page on another origin cannot act with the owner\'s cookie', async () => {
  const cookie = await sessionCookie(owner);
  for (const [type, body] of [['text/plain', '{"name":"csrf"}'], ['application/x-www-form-urlencoded', 'name=csrf']]) {
    const res = await fetch(`${sys.dashboardUrl}/api/tokens`, {
      method: 'POST', headers: { cookie, origin: 'http://evil.example', 'content-type': type }, body,
    });
    assert.equal(res.status, 403, type);
  }
  const list = await sys.api('GET', '/api/tokens', { cookie });
  assert.equal(list.json.tokens.length, 0);
});

test('the owner reads the audit log: the invitation and the viewer joining, no secret', async () => {
  await owner.goto(`${sys.dashboardUrl}/#/audit`);
  await owner.waitForSelector('text=member.join');
  const text = await owner.textContent('main');
  assert.ok(text.includes('member.invite'));
  assert.ok(text.includes('api_key.create'));
  assert.ok(text.includes(viewerEmail));
  const token = new URL(inviteUrl.replace('#/', '')).searchParams.get('token');
  assert.ok(!text.includes(token), 'the invitation token is not in the log');
  assert.ok(!text.includes('viewer-pass-1'));
  await shot(owner, 'team-audit');
});
