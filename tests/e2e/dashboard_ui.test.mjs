// The dashboard's charts, usage table and layout as a person sees them (issue 18), in headless
// Chromium driven by playwright-core: traffic through the gateway in both modes and on several
// providers, then the overview's uPlot series hold the API's totals, the usage table filters and
// pages with the keyset cursor, its CSV equals the API's rows, and every page fits 1366 px and
// 390 px with no horizontal page scroll, no console error and no serious or critical axe-core
// violation; limits and budgets (issue 16) are set through the forms on the API keys and Limits
// pages. Screenshots of every page at both
// widths go to $LLMGW_SCREENSHOT_DIR (default: the build's test output folder, when it exists).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { System, eventually } from './harness.mjs';

const CHROMIUM = process.env.LLMGW_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = process.env.LLMGW_SCREENSHOT_DIR;
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const PAGES = ['overview', 'tokens', 'keys', 'balance', 'limits', 'usage', 'provider-bills', 'sdk',
               'playground', 'alerts', 'members', 'audit'];

let sys;
let browser;
let org;
let context;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/setup installs Debian's chromium`);
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  sys = await System.start();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  org = await sys.newOrg('charts');
  await sys.api('POST', '/api/balance/charge', { cookie: org.cookie, body: { amount: 5 } });
  // 7 pass-through calls on two providers (one of them an error), 3 reseller calls.
  const pass = (provider, model, extra = {}) => fetch(`${sys.gatewayUrl}/api/v1/${provider}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-ui', 'x-monitor-token': org.monitorToken, ...extra },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello from the charts test' }] }),
  });
  const calls = [];
  for (let i = 0; i < 4; i++) calls.push(pass('openai', 'gpt-4o-mini'));
  for (let i = 0; i < 2; i++) calls.push(pass('xai', 'grok-3-mini'));
  for (let i = 0; i < 3; i++) {
    calls.push(fetch(`${sys.gatewayUrl}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${org.apiKey}` },
      body: JSON.stringify({ model: 'claude-3-5-haiku-20241022', messages: [{ role: 'user', content: `Hi ${i}` }] }),
    }));
  }
  const statuses = (await Promise.all(calls)).map((r) => r.status);
  assert.deepEqual(statuses, Array(9).fill(200));
  // One error: the provider answers 429 (metered like any request, status 429).
  assert.equal((await pass('openai', 'gpt-4o-mini', { 'x-mock-status': '429' })).status, 429);
  await eventually(async () => (await sys.usageRows(org.cookie)).length >= 10, { what: 'the usage rows' });
  context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const [name, value] = org.cookie.split('=');
  await context.addCookies([{ name, value, url: sys.dashboardUrl }]);
});
after(async () => {
  await browser?.close();
  await sys?.stop();
});

async function openPage(p, id) {
  await p.goto(`${sys.dashboardUrl}/#/${id}`);
  await p.waitForSelector('main h1');
  await p.waitForLoadState('networkidle');
}

test('the overview charts hold the API totals: cost per provider, tokens, requests', async () => {
  const p = await context.newPage();
  await openPage(p, 'overview');
  await p.waitForSelector('#chart-cost canvas');
  const charts = await p.evaluate(() => {
    const out = {};
    for (const [id, c] of Object.entries(window.llmgwCharts)) {
      out[id] = c.raw.map((s) => ({ label: s.label, total: s.values ? s.values.reduce((a, b) => a + b, 0) : s.value }));
    }
    return out;
  });
  const now = new Date();
  const q = `from=${new Date(now - 30 * 86400000).toISOString()}&to=${now.toISOString()}`;
  const byProvider = (await sys.api('GET', `/api/stats/by-provider?${q}`, { cookie: org.cookie })).json.providers;
  const summary = (await sys.api('GET', `/api/stats/summary?${q}`, { cookie: org.cookie })).json;
  const close = (a, b) => Math.abs(a - b) < 1e-9;
  for (const prov of byProvider) {
    const s = charts.cost.find((x) => x.label === prov.provider);
    assert.ok(s, `a cost series for ${prov.provider}`);
    assert.ok(close(s.total, prov.cost_nano / 1e9), `${prov.provider}: ${s.total} vs ${prov.cost_nano / 1e9}`);
  }
  assert.equal(charts.cost.length, byProvider.length);
  assert.equal(charts.tokens.find((s) => s.label === 'input').total, summary.input_tokens);
  assert.equal(charts.tokens.find((s) => s.label === 'output').total, summary.output_tokens);
  assert.equal(charts.requests.find((s) => s.label === 'requests').total, summary.requests);
  assert.ok(summary.errors >= 1, 'the failed call is counted as an error');
  assert.match(await p.textContent("main"), new RegExp(`${summary.errors} errors? \\(`));
  const models = charts.models.map((m) => m.label);
  assert.ok(models.includes('gpt-4o-mini (openai)') && models.includes('claude-3-5-haiku-20241022 (anthropic)'));
  // Pass-through and reseller side by side, with the reseller margin.
  const reseller = await p.textContent('#mode-reseller');
  assert.match(reseller, /margin \$/);
  await p.close();
});

test('a new organization sees what to do first', async () => {
  const fresh = await sys.newOrg('empty');
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const [name, value] = fresh.cookie.split('=');
  await ctx.addCookies([{ name, value, url: sys.dashboardUrl }]);
  const p = await ctx.newPage();
  await openPage(p, 'overview');
  const empty = await p.textContent('#empty-state');
  assert.match(empty, /Create a monitor token/);
  assert.match(empty, /Copy a snippet/);
  if (SHOTS) await p.screenshot({ path: path.join(SHOTS, 'overview-empty-1366.png'), fullPage: true });
  await ctx.close();
});

test('usage: filters, keyset pages and a CSV equal to the API', async () => {
  const p = await context.newPage();
  await openPage(p, 'usage');
  await p.waitForSelector('#usage-table table');
  await p.selectOption('#f-provider', 'xai');
  await p.waitForFunction(() => document.querySelectorAll('#usage-table tbody tr').length === 2);
  assert.match(p.url(), /provider=xai/);
  await p.selectOption('#f-provider', '');
  await p.selectOption('#f-status', 'error');
  await p.waitForFunction(() => document.querySelectorAll('#usage-table tbody tr').length === 1
    && document.querySelector('#usage-table tbody').textContent.includes('429'));
  await p.selectOption('#f-status', '');
  await p.selectOption('#f-mode', 'reseller');
  await p.waitForFunction(() => document.querySelectorAll('#usage-table tbody tr').length === 3);
  // Detail view: every field of the row.
  await p.click('#usage-table tbody tr:first-child .link-button');
  const detail = await p.textContent('dialog.detail');
  assert.match(detail, /Provider cost/);
  assert.match(detail, /Time to first token/);
  await p.click('dialog.detail button');
  // Keyset paging through the API: pages of 4 join up to every row, no duplicates.
  const all = [];
  let before = '';
  for (;;) {
    const r = await sys.api('GET', `/api/usage?limit=4${before ? `&before=${encodeURIComponent(before)}` : ''}`, { cookie: org.cookie });
    all.push(...r.json.items.map((i) => i.request_id));
    if (!r.json.next_before) break;
    before = r.json.next_before;
  }
  assert.equal(new Set(all).size, 10);
  // The page's CSV link carries the filters; its rows equal the API's.
  const href = await p.getAttribute('#usage-csv', 'href');
  assert.match(href, /format=csv&mode=reseller/);
  const csv = await sys.api('GET', href, { cookie: org.cookie });
  assert.equal(csv.status, 200);
  const lines = csv.text.trim().split('\r\n');
  const header = lines[0].split(',');
  const api = (await sys.api('GET', '/api/usage?mode=reseller', { cookie: org.cookie })).json.items;
  assert.equal(lines.length - 1, api.length);
  for (let i = 0; i < api.length; i++) {
    const row = Object.fromEntries(lines[i + 1].split(',').map((v, k) => [header[k], v]));
    assert.equal(row.request_id, api[i].request_id);
    assert.equal(row.cost_usd, api[i].cost_usd);
    assert.equal(row.margin_usd, api[i].margin_usd);
    assert.equal(Number(row.input_tokens), api[i].input_tokens);
    assert.equal(row.requested_at, api[i].requested_at);
  }
  await p.close();
});

test('balance: the history chart ends at the balance, transactions listed', async () => {
  const p = await context.newPage();
  await openPage(p, 'balance');
  await p.waitForSelector('#chart-balance canvas');
  const last = await p.evaluate(() => { const v = window.llmgwCharts.balance.raw[0].values; return v[v.length - 1]; });
  const bal = (await sys.api('GET', '/api/balance', { cookie: org.cookie })).json;
  assert.ok(Math.abs(last - bal.balance_nano / 1e9) < 1e-9, `${last} vs ${bal.balance_usd}`);
  assert.ok((await p.$$('#transactions tbody tr')).length >= 4);
  await p.close();
});

// Three streamed turns in the playground, then each turn's cost on the page equals its usage
// record, and the provider saw the whole conversation with the system prompt each time.
async function chat(p, { mode, provider, model, key, monitor }) {
  const sent = [];
  p.on('request', (r) => { if (r.url().startsWith(sys.gatewayUrl) && r.method() === 'POST') sent.push(JSON.parse(r.postData())); });
  await openPage(p, 'playground');
  await p.selectOption('#pg-mode', mode);
  await p.selectOption('#pg-provider', provider);
  await p.fill('#pg-key', key);
  if (monitor) await p.fill('#pg-monitor', monitor);
  await p.fill('#pg-model', model);
  await p.fill('#pg-system', 'You are a terse test assistant.');
  for (let turn = 1; turn <= 3; turn++) {
    await p.fill('#pg-message', `Turn ${turn}: hello`);
    await p.click('#pg-send');
    await p.waitForFunction((n) => document.querySelectorAll('#chat-log .turn-meta[data-cost-nano]').length === n, turn, { timeout: 15000 });
  }
  const turns = await p.$$eval('#chat-log .turn-meta', (els) => els.map((e) => ({
    id: e.dataset.requestId, text: e.textContent })));
  const replies = await p.$$eval('#chat-log .msg.assistant .text', (els) => els.map((e) => e.textContent));
  assert.equal(turns.length, 3);
  for (const r of replies) assert.ok(r.length > 0, 'a streamed reply');
  const rows = await sys.usageRows(org.cookie);
  for (const t of turns) {
    const row = rows.find((r) => r.request_id === t.id);
    assert.ok(row, `a usage record for ${t.id}`);
    assert.equal(row.is_streaming, true);
    const frac = row.cost_usd.split('.')[1].replace(/0+$/, '').padEnd(2, '0');
    const usd = `$${row.cost_usd.split('.')[0]}.${frac}`;
    assert.ok(t.text.includes(`cost ${usd}`), `${t.text} shows ${usd}`);
    assert.ok(t.text.includes(`${row.input_tokens} in / ${row.output_tokens} out`), t.text);
    assert.match(t.text, /TTFT \d+ ms · latency \d+ ms/);
  }
  assert.equal(sent.length, 3);
  for (const body of sent) assert.equal(body.stream, true);
  return sent;
}

test('playground: a three-turn streamed chat in reseller mode, each turn costed from its record', async () => {
  const p = await context.newPage();
  const errors = [];
  p.on('pageerror', (e) => errors.push(String(e)));
  const sent = await chat(p, { mode: 'reseller', provider: 'openai', model: 'gpt-4o-mini', key: org.apiKey });
  // The model list came from the gateway's /api/v1/models.
  const listed = await p.$$eval('#pg-models option', (els) => els.map((e) => e.value));
  assert.ok(listed.includes('gpt-4o-mini') && listed.every((m) => !m.startsWith('claude')), listed.join());
  // The third turn carried the whole conversation and the system prompt.
  assert.deepEqual(sent[2].messages.map((m) => m.role), ['system', 'user', 'assistant', 'user', 'assistant', 'user']);
  if (SHOTS) await p.screenshot({ path: path.join(SHOTS, 'playground-reseller-1366.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await p.close();
});

test('playground: a three-turn streamed chat in pass-through mode (Anthropic Messages)', async () => {
  const p = await context.newPage();
  const sent = await chat(p, { mode: 'passthrough', provider: 'anthropic', model: 'claude-3-5-haiku-20241022', key: 'sk-ant-ui-test', monitor: org.monitorToken });
  assert.equal(sent[2].system, 'You are a terse test assistant.');
  assert.deepEqual(sent[2].messages.map((m) => m.role), ['user', 'assistant', 'user', 'assistant', 'user']);
  if (SHOTS) await p.screenshot({ path: path.join(SHOTS, 'playground-passthrough-1366.png'), fullPage: true });
  await p.close();
});

// Draws the current page again from the server (goto to the same #/ address would not).
async function reload(p) {
  await p.reload();
  await p.waitForSelector('main h1');
  await p.waitForLoadState('networkidle');
}

// The page's money format for an API amount below $1,000: "0.000028500" → "$0.0000285".
const usd = (s) => `$${s.replace(/(\.\d\d\d*?)0+$/, '$1')}`;

// What Chromium logs to the console for a request the server answered 400.
const REFUSED = 'Failed to load resource: the server responded with a status of 400 (Bad Request)';

// axe-core on the page as it is now: the serious and critical violations, one line each.
async function axeViolations(p) {
  await p.evaluate(AXE);
  return p.evaluate(async () => (await window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  })).violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`));
}

test('limits: an admin sets a key\'s limits in the form, sees them in the list, and the server\'s error', async () => {
  const p = await context.newPage();
  const errors = [];
  p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  p.on('pageerror', (e) => errors.push(String(e)));
  const key = (await sys.api('GET', '/api/keys', { cookie: org.cookie })).json.keys.find((k) => k.name === 'e2e');
  assert.deepEqual([key.limits.rpm, key.limits.daily_budget_usd], [null, null]);
  await openPage(p, 'keys');
  const cell = `#limits-${key.id}`;
  assert.equal((await p.textContent(cell)).includes('No limits'), true);
  // Keyboard: the Edit button opens the dialog with the first field focused.
  const edit = `${cell} button`;
  await p.focus(edit);
  await p.keyboard.press('Enter');
  await p.waitForSelector('dialog.limits-dialog[open]');
  assert.equal(await p.evaluate(() => document.activeElement.id), 'limit-rpm');
  await p.fill('#limit-rpm', '600');
  await p.fill('#limit-tpm', '200000');
  await p.fill('#limit-daily_budget_usd', '50');
  await p.fill('#limit-monthly_budget_usd', '1000.25');
  assert.deepEqual(await axeViolations(p), [], 'axe on the limits dialog');
  if (SHOTS) await p.screenshot({ path: path.join(SHOTS, 'limits-dialog-1366.png') });
  await p.click('#limits-form button[type=submit]');
  await p.waitForSelector('dialog.limits-dialog', { state: 'detached' });
  await p.waitForSelector(`${cell} [data-limit=rpm]`);
  const saved = (await sys.api('GET', '/api/keys', { cookie: org.cookie })).json.keys.find((k) => k.id === key.id);
  assert.equal(saved.limits.rpm, 600);
  assert.equal(saved.limits.tpm, 200000);
  assert.equal(saved.limits.daily_budget_usd, '50.000000000');
  assert.equal(saved.limits.monthly_budget_usd, '1000.250000000');
  const line = (k) => p.textContent(`${cell} [data-limit=${k}]`);
  const rpm = (await line('rpm')).match(/^600 rpm · (\d+) used this minute$/);
  assert.ok(rpm, await line('rpm'));
  // The last minute's count only shrinks while no request is sent: the page's lies between the
  // API's before and after.
  assert.ok(Number(rpm[1]) <= key.usage.minute_requests && Number(rpm[1]) >= saved.usage.minute_requests,
    `${rpm[1]} used, the API said ${key.usage.minute_requests} then ${saved.usage.minute_requests}`);
  assert.match(await line('tpm'), /^200,000 tpm · [\d,]+ used this minute$/);
  assert.equal(await line('daily_budget_usd'), `Daily $50.00 · ${usd(saved.usage.day_spent_usd)} spent`);
  assert.match(await line('monthly_budget_usd'), /^Monthly \$1,000\.25 · \$[\d.,]+ spent$/);
  assert.equal(await p.locator(`${cell} .limit-meter`).count(), 2, 'a bar per budget');
  // After saving, the focus is back on the row's Edit button.
  assert.equal(await p.evaluate(() => document.activeElement.textContent), 'Edit limits');

  // A bad value: the server's own message, in the form; nothing changes.
  await p.click(edit);
  await p.fill('#limit-rpm', '0');
  await p.click('#limits-form button[type=submit]');
  const bad = await sys.api('PATCH', `/api/keys?id=${key.id}`, { cookie: org.cookie, body: { rpm: 0 } });
  assert.equal(bad.status, 400);
  await p.waitForFunction((m) => document.getElementById('limits-error').textContent === m, bad.json.error.message);
  await p.fill('#limit-rpm', '600');
  await p.fill('#limit-daily_budget_usd', '12.3456789012');
  await p.click('#limits-form button[type=submit]');
  const badBudget = await sys.api('PATCH', `/api/keys?id=${key.id}`, { cookie: org.cookie, body: { daily_budget_usd: '12.3456789012' } });
  await p.waitForFunction((m) => document.getElementById('limits-error').textContent === m, badBudget.json.error.message);
  await p.keyboard.press('Escape');
  await p.waitForSelector('dialog.limits-dialog', { state: 'detached' });
  assert.equal((await sys.api('GET', '/api/keys', { cookie: org.cookie })).json.keys.find((k) => k.id === key.id).limits.rpm, 600);

  // An emptied field is no limit (null), the others stay.
  await p.click(edit);
  await p.fill('#limit-tpm', '');
  await p.click('#limits-form button[type=submit]');
  await p.waitForSelector('dialog.limits-dialog', { state: 'detached' });
  await p.waitForFunction((c) => !document.querySelector(`${c} [data-limit=tpm]`), cell);
  const cleared = (await sys.api('GET', '/api/keys', { cookie: org.cookie })).json.keys.find((k) => k.id === key.id);
  assert.equal(cleared.limits.tpm, null);
  assert.equal(cleared.limits.rpm, 600);

  // Spend against a budget: a key the gateway has not seen yet (it caches a credential's limits
  // for LLMGW_AUTH_CACHE_TTL_SECONDS) gets a daily budget through the form, one reseller request
  // spends, and once settled its row shows what the API counts: that request's cost.
  const fresh = (await sys.api('POST', '/api/keys', { cookie: org.cookie, body: { name: 'budgeted' } })).json;
  await reload(p);
  const freshCell = `#limits-${fresh.id}`;
  await p.click(`${freshCell} button`);
  await p.fill('#limit-daily_budget_usd', '0.5');
  await p.click('#limits-form button[type=submit]');
  await p.waitForSelector(`${freshCell} [data-limit=daily_budget_usd]`);
  const res = await fetch(`${sys.gatewayUrl}/api/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${fresh.key}` },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Spend a little' }] }),
  });
  assert.equal(res.status, 200);
  const requestId = res.headers.get('x-request-id');
  const spent = await eventually(async () => {
    const row = (await sys.usageRows(org.cookie)).find((r) => r.request_id === requestId);
    const k = (await sys.api('GET', '/api/keys', { cookie: org.cookie })).json.keys.find((x) => x.id === fresh.id);
    if (row && k.usage.day_spent_usd === row.cost_usd) return k;
    throw new Error(`usage ${JSON.stringify(k.usage)}, the request's cost ${row && row.cost_usd}`);
  }, { what: 'the budget spend settled at the request\'s cost' });
  assert.ok(BigInt(spent.usage.day_spent_nano) > 0n);
  await reload(p);
  assert.equal(await p.textContent(`${freshCell} [data-limit=daily_budget_usd]`),
    `Daily $0.50 · ${usd(spent.usage.day_spent_usd)} spent`);
  // The bar: half spent is green at 50 %, all spent red at 100 %.
  const bar = async (budgetNano) => {
    await p.click(`${freshCell} button`);
    await p.fill('#limit-daily_budget_usd', `0.${String(budgetNano).padStart(9, '0')}`);
    await p.click('#limits-form button[type=submit]');
    await p.waitForSelector('dialog.limits-dialog', { state: 'detached' });
    return p.$eval(`${freshCell} .limit-fill`, (e) => `${e.className} ${e.style.width}`);
  };
  const nanoSpent = BigInt(spent.usage.day_spent_nano);
  assert.equal(await bar(nanoSpent * 2n), 'limit-fill ok 50%');
  assert.equal(await bar(nanoSpent), 'limit-fill full 100%');
  if (SHOTS) await p.screenshot({ path: path.join(SHOTS, 'limits-keys-1366.png'), fullPage: true });
  // The same dialog on a monitor token PATCHes /api/tokens.
  const token = (await sys.api('GET', '/api/tokens', { cookie: org.cookie })).json.tokens.find((t) => t.name === 'e2e');
  await openPage(p, 'tokens');
  await p.click(`#limits-${token.id} button`);
  await p.fill('#limit-tpm', '50000');
  await p.click('#limits-form button[type=submit]');
  await p.waitForSelector(`#limits-${token.id} [data-limit=tpm]`);
  assert.match(await p.textContent(`#limits-${token.id} [data-limit=tpm]`), /^50,000 tpm · [\d,]+ used this minute$/);
  assert.equal((await sys.api('GET', '/api/tokens', { cookie: org.cookie })).json.tokens.find((t) => t.id === token.id).limits.tpm, 50000);
  // Chromium logs each refused request; those are the two bad values sent on purpose, nothing else.
  assert.deepEqual(errors, Array(2).fill(REFUSED));
  await p.close();
});

test('limits: the organization\'s limits save from the Limits page, with usage shown', async () => {
  const p = await context.newPage();
  const errors = [];
  p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  p.on('pageerror', (e) => errors.push(String(e)));
  await openPage(p, 'limits');
  assert.match(await p.textContent('#org-limits'), /No limit/);
  await p.fill('#org-rpm', '1000');
  await p.fill('#org-monthly_budget_usd', '-5');
  await p.click('#org-limits-form button[type=submit]');
  const bad = await sys.api('PUT', '/api/org/limits', { cookie: org.cookie, body: { monthly_budget_usd: '-5' } });
  assert.equal(bad.status, 400);
  await p.waitForFunction((m) => document.querySelector('#org-limits-form .error').textContent === m, bad.json.error.message);
  await p.fill('#org-monthly_budget_usd', '');
  await p.fill('#org-daily_budget_usd', '250.5');
  const before = (await sys.api('GET', '/api/org/limits', { cookie: org.cookie })).json;
  await p.click('#org-limits-form button[type=submit]');
  await p.waitForFunction(() => document.querySelector('#org-limits').textContent.includes('1,000 rpm'));
  const org2 = (await sys.api('GET', '/api/org/limits', { cookie: org.cookie })).json;
  assert.equal(org2.limits.rpm, 1000);
  assert.equal(org2.limits.daily_budget_usd, '250.500000000');
  assert.equal(org2.limits.monthly_budget_usd, null);
  const box = (k, part) => p.textContent(`#org-limits [data-limit=${k}] .${part}`);
  assert.equal(await box('rpm', 'value'), '1,000 rpm');
  const used = Number((await box('rpm', 'sub')).match(/^(\d+) used this minute$/)[1]);
  assert.ok(used <= before.usage.minute_requests && used >= org2.usage.minute_requests, `${used} used`);
  assert.equal(await box('daily_budget_usd', 'value'), '$250.50');
  assert.match(await box('daily_budget_usd', 'sub'), /^\$[\d.,]+ spent \(\d+\.\d%\)$/);
  assert.equal(await box('monthly_budget_usd', 'value'), 'No limit');
  assert.equal(await box('tpm', 'value'), 'No limit');
  // The form shows what is saved; the key with its own limits is listed with a link to its page.
  assert.equal(await p.inputValue('#org-daily_budget_usd'), '250.5');
  assert.match(await p.textContent('main'), /e2e\s*API key/);
  assert.deepEqual(await axeViolations(p), [], 'axe on the Limits page');
  if (SHOTS) await p.screenshot({ path: path.join(SHOTS, 'limits-org-1366.png'), fullPage: true });
  // Reachable from the navigation.
  assert.equal(await p.isVisible('#nav a[data-page=limits]'), true);
  assert.deepEqual(errors, [REFUSED], 'the one bad value sent on purpose, nothing else');
  await p.close();
});

for (const width of [1366, 390]) {
  test(`every page at ${width} px: no horizontal page scroll, no console error`, async () => {
    const ctx = await browser.newContext({ viewport: { width, height: 860 }, isMobile: width < 700, hasTouch: width < 700 });
    const [name, value] = org.cookie.split('=');
    await ctx.addCookies([{ name, value, url: sys.dashboardUrl }]);
    const p = await ctx.newPage();
    const errors = [];
    p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    p.on('pageerror', (e) => errors.push(String(e)));
    for (const id of PAGES) {
      await openPage(p, id);
      await p.waitForTimeout(150);  // charts resize on the next frame
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `#/${id} at ${width} px scrolls sideways by ${overflow} px`);
      // axe-core: no serious or critical accessibility violation.
      await p.evaluate(AXE);
      const violations = await p.evaluate(async () => (await window.axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      })).violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`));
      assert.deepEqual(violations, [], `axe on #/${id} at ${width} px`);
      if (SHOTS) await p.screenshot({ path: path.join(SHOTS, `${id}-${width}.png`), fullPage: true });
    }
    // The limits dialog fits the width too, and passes axe.
    await openPage(p, 'keys');
    await p.click('.limits-cell button');
    await p.waitForSelector('dialog.limits-dialog[open]');
    const box = await p.$eval('dialog.limits-dialog', (d) => {
      const r = d.getBoundingClientRect();
      return { left: r.left, right: r.right, inner: d.scrollWidth - d.clientWidth };
    });
    assert.ok(box.left >= 0 && box.right <= width && box.inner <= 0, `the dialog at ${width} px: ${JSON.stringify(box)}`);
    assert.deepEqual(await axeViolations(p), [], `axe on the limits dialog at ${width} px`);
    if (SHOTS) await p.screenshot({ path: path.join(SHOTS, `limits-dialog-${width}.png`) });
    await p.keyboard.press('Escape');
    await p.waitForSelector('dialog.limits-dialog', { state: 'detached' });
    if (width < 700) {
      // The navigation is a menu: closed, then every page reachable from it.
      assert.equal(await p.isVisible('#nav a[data-page=usage]'), false);
      await p.click('#menu-toggle');
      assert.equal(await p.isVisible('#nav a[data-page=playground]'), true);
      await p.click('#nav a[data-page=usage]');
      await p.waitForURL(/#\/usage/);
      assert.equal(await p.isVisible('#nav a[data-page=usage]'), false);
    }
    assert.deepEqual(errors, []);
    await ctx.close();
  });
}
