// The dashboard as a person uses it, in headless Chromium (Debian's, driven by playwright-core):
// register, create a monitor token (shown once), see a proxied call in usage and the overview,
// top up the balance. Screenshots go to $LLMGW_SCREENSHOT_DIR when set.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { System, eventually } from './harness.mjs';

const CHROMIUM = process.env.LLMGW_CHROMIUM ?? '/usr/bin/chromium';

let sys;
let browser;
let page;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/setup installs Debian's chromium`);
  sys = await System.start();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});
after(async () => {
  await browser?.close();
  await sys?.stop();
});

async function shot(name) {
  const dir = process.env.LLMGW_SCREENSHOT_DIR;
  if (dir) await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

const email = `ui-${Date.now()}@example.com`;
let token;

test('register through the form and land on the overview', async () => {
  await page.goto(`${sys.dashboardUrl}/#/register`);
  await page.fill('input[name=name]', 'UI Test Org');
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', 'password123');
  await page.click('button[type=submit]');
  await page.waitForURL(/#\/overview/);
  await page.waitForSelector('#org-name:has-text("UI Test Org")');
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'session');
  assert.ok(session && session.httpOnly && session.sameSite === 'Lax');
});

test('create a monitor token: the secret is shown once, then only its prefix', async () => {
  await page.goto(`${sys.dashboardUrl}/#/tokens`);
  await page.fill('form.inline input', 'from the browser');
  await page.click('form.inline button[type=submit]');
  const code = await page.waitForSelector('#secret-box code');
  token = (await code.textContent()).trim();
  assert.match(token, /^mon_sk_[0-9A-Za-z]{43}$/);
  await shot('tokens-created');
  await page.reload();
  await page.waitForSelector('text=from the browser');
  const body = await page.textContent('body');
  assert.ok(!body.includes(token), 'the secret is not shown again');
  assert.ok(body.includes(token.slice(0, 12)), 'the display prefix is');
});

test('a call through the gateway shows up in usage and on the overview', async () => {
  const res = await fetch(`${sys.gatewayUrl}/api/v1/openai/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-ui-test', 'x-monitor-token': token },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello from the UI test' }] }),
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  await page.goto(`${sys.dashboardUrl}/#/usage`);
  await eventually(async () => {
    await page.reload();
    await page.waitForSelector('main table', { timeout: 5000 });
    return (await page.textContent('main')).includes('gpt-4o-mini');
  }, { what: 'the usage row in the page' });
  await page.goto(`${sys.dashboardUrl}/#/overview`);
  await page.waitForSelector('.card');
  const overview = await page.textContent('main');
  assert.ok(overview.includes('gpt-4o-mini'), 'by-model table lists the model');
  // 1 request; its cost at $0.15/$0.60 per 1M tokens, shown in USD with every significant digit.
  const cost = body.usage.prompt_tokens * 150 + body.usage.completion_tokens * 600;
  const frac = String(cost % 1e9).padStart(9, '0').replace(/0+$/, '').padEnd(2, '0');
  const usd = `$${Math.floor(cost / 1e9)}.${frac}`;
  assert.ok(overview.includes(usd), `overview shows the cost ${usd}`);
  await shot('overview');
});

test('top up the balance from the balance page', async () => {
  await page.goto(`${sys.dashboardUrl}/#/balance`);
  await page.fill('input[inputmode=decimal]', '12.5');
  await page.click('main form button[type=submit]');
  await page.waitForSelector('text=12.50');
  const tx = await sys.api('GET', '/api/balance', { cookie: `session=${(await page.context().cookies()).find((c) => c.name === 'session').value}` });
  assert.equal(tx.json.balance_nano, 12_500_000_000);
  await shot('balance');
});
