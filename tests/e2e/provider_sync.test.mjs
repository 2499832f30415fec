// Provider sync end to end, through the real binaries: an organization connects its OpenAI and
// Anthropic admin keys, metering pulls the providers' usage and cost reports (the mock provider
// reports exactly what it served per customer key, plus injected usage that bypassed the
// gateway), and the reconciliation puts them beside what the gateway metered — to the token and
// the nano-USD. Also: CSV import with line-numbered refusals, a revoked key, retries, the page,
// and the admin keys in no log, table or response.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { chromium } from 'playwright-core';

import { System, eventually, psql, sleep } from './harness.mjs';

// nano-USD per token (the catalog's prices, which the mock bills at too).
const PRICE = {
  'gpt-4o-mini': [150, 600],
  'gpt-4o': [2500, 10000],
  'claude-3-5-haiku-20241022': [800, 4000],
};
const cost = (model, input, output) => PRICE[model][0] * input + PRICE[model][1] * output;

const SECRET_KEY = randomBytes(32).toString('base64');
const OPENAI_ADMIN = 'sk-admin-' + randomBytes(24).toString('hex');
const ANTHROPIC_ADMIN = 'sk-ant-admin01-' + randomBytes(24).toString('hex');
const CUSTOMER_OPENAI = 'sk-proj-customer-' + randomBytes(8).toString('hex');
const CUSTOMER_ANTHROPIC = 'sk-ant-api03-customer-' + randomBytes(8).toString('hex');
const DIRECT_KEY = 'sk-proj-direct-' + randomBytes(8).toString('hex');  // bypasses the gateway

const DAY = 86400000;
const date = (ms) => new Date(ms).toISOString().slice(0, 10);
let today;
let tenDaysAgo;

let sys;
let org;
const responses = [];  // every management API answer, for the canary scan

async function api(method, pathname, opts) {
  const r = await sys.api(method, pathname, opts);
  responses.push(r.text);
  return r;
}

async function importCsv(cookie, text, type = 'text/csv') {
  const res = await fetch(`${sys.dashboardUrl}/api/provider-usage/import`, {
    method: 'POST', headers: { 'content-type': type, cookie }, body: text,
  });
  const body = await res.text();
  responses.push(body);
  return { status: res.status, json: JSON.parse(body) };
}

async function mock(pathname, body) {
  const res = await fetch(sys.mockUrl + pathname, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.text());
}

async function connections(cookie = org.cookie) {
  const r = await api('GET', '/api/provider-connections', { cookie });
  assert.equal(r.status, 200);
  return r.json.connections;
}

// Waits for a connection's sync to finish after `before` (its last_sync_at then, or a status).
async function synced(id, { after: previous = null, status = 'ok', cookie = org.cookie } = {}) {
  return eventually(async () => {
    const c = (await connections(cookie)).find((x) => x.id === id);
    return c && c.status === status && (status !== 'ok' || c.last_sync_at !== previous) && c;
  }, { timeoutMs: 20000, intervalMs: 100, what: `connection ${id} ${status}` });
}

async function reconciliation(from, to, cookie = org.cookie) {
  const r = await api('GET', `/api/reconciliation?from=${from}&to=${to}`, { cookie });
  assert.equal(r.status, 200, r.text);
  return r.json.rows;
}

const rowKey = (r) => `${r.date} ${r.provider} ${r.model}`;

before(async () => {
  // The test compares "today" of the mock, the gateway and itself: never straddle midnight.
  const toMidnight = DAY - (Date.now() % DAY);
  if (toMidnight < 90000) await sleep(toMidnight + 2000);
  today = date(Date.now());
  tenDaysAgo = date(Date.now() - 10 * DAY);
  sys = await System.start({
    env: { LLMGW_SECRET_KEY: SECRET_KEY, LLMGW_SYNC_INTERVAL_SECONDS: '3600' },
    // Four daily buckets a page: a 31-day backfill is eight pages of each report.
    mockArgs: ['--report-page-buckets', '4'],
  });
  org = await sys.newOrg('bills');
});
after(async () => { await sys?.stop(); });

test('every provider bills endpoint answers 401 without a session', async () => {
  for (const [method, p] of [['GET', '/api/provider-connections'],
    ['POST', '/api/provider-connections'], ['DELETE', '/api/provider-connections?id=x'],
    ['POST', '/api/provider-connections/sync?id=x'], ['POST', '/api/provider-usage/import'],
    ['GET', '/api/reconciliation']]) {
    const r = await api(method, p);
    assert.equal(r.status, 401, `${method} ${p}`);
  }
});

// What the gateway metered, per model: tokens and the estimated cost of every request.
const metered = {};
function meter(model, input, output) {
  const m = (metered[model] ??= { input: 0, output: 0, cost: 0, requests: 0 });
  m.input += input;
  m.output += output;
  m.cost += cost(model, input, output);
  m.requests += 1;
}

describe('reconciliation of synced reports with gateway traffic', () => {
  const openaiIds = {};
  test('pass-through traffic through the gateway, and direct traffic beside it', async () => {
    const openai = new OpenAI({ baseURL: `${sys.gatewayUrl}/api/v1/openai`, apiKey: CUSTOMER_OPENAI,
      defaultHeaders: { 'X-Monitor-Token': org.monitorToken }, maxRetries: 0 });
    const messages = [{ role: 'user', content: 'How many tokens is this sentence, roughly?' }];
    for (const max of [undefined, 5]) {
      const c = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: max });
      meter('gpt-4o-mini', c.usage.prompt_tokens, c.usage.completion_tokens);
    }
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true,
      stream_options: { include_usage: true } });
    let usage = null;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    meter('gpt-4o-mini', usage.prompt_tokens, usage.completion_tokens);
    const anthropic = new Anthropic({ baseURL: `${sys.gatewayUrl}/api/v1/anthropic`,
      apiKey: CUSTOMER_ANTHROPIC, defaultHeaders: { 'X-Monitor-Token': org.monitorToken }, maxRetries: 0 });
    for (const max_tokens of [64, 7]) {
      const m = await anthropic.messages.create({ model: 'claude-3-5-haiku-20241022', max_tokens,
        messages: [{ role: 'user', content: 'Say hello to the provider bill' }] });
      meter('claude-3-5-haiku-20241022', m.usage.input_tokens, m.usage.output_tokens);
    }
    // The same organization's own keys used directly, bypassing the gateway.
    await mock('/_mock/admin-usage', [
      { provider: 'openai', api_key: DIRECT_KEY, model: 'gpt-4o-mini', input_tokens: 1000, output_tokens: 200 },
      { provider: 'openai', api_key: DIRECT_KEY, model: 'gpt-4o', input_tokens: 500, output_tokens: 50 },
      { provider: 'openai', api_key: DIRECT_KEY, model: 'gpt-4o-mini', date: tenDaysAgo,
        input_tokens: 2000, output_tokens: 100 },
      { provider: 'anthropic', api_key: DIRECT_KEY, model: 'claude-3-5-haiku-20241022',
        input_tokens: 300, output_tokens: 40 },
    ]);
    await eventually(async () => (await sys.usageRows(org.cookie)).length === 5,
      { what: 'five metered requests' });
  });

  test('an admin key is checked with one call, stored, and the first sync backfills 30 days', async (t) => {
    const started = Date.now();
    for (const [provider, key] of [['openai', OPENAI_ADMIN], ['anthropic', ANTHROPIC_ADMIN]]) {
      const r = await api('POST', '/api/provider-connections',
        { cookie: org.cookie, body: { provider, admin_key: key } });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.provider, provider);
      assert.equal(r.json.key_prefix, key.slice(0, 12));
      assert.equal(r.json.status, 'pending');
      assert.equal(r.json.last_sync_at, null);
      assert.equal(r.json.last_error, null);
      assert.deepEqual(Object.keys(r.json).sort(),
        ['created_at', 'id', 'key_prefix', 'last_error', 'last_sync_at', 'provider', 'status']);
      openaiIds[provider] = r.json.id;
    }
    for (const id of Object.values(openaiIds)) await synced(id);
    t.diagnostic(`both connections checked and backfilled in ${Date.now() - started} ms`);
    const reqs = await sys.mockRequests();
    const checks = reqs.filter((r) => r.target.includes('/usage') && r.target.includes('&limit=1'));
    assert.equal(checks.length, 2, 'one check call per key');
    assert.equal(checks[0].headers.authorization, `Bearer ${OPENAI_ADMIN}`);
    assert.equal(checks[1].headers['x-api-key'], ANTHROPIC_ADMIN);
    assert.equal(checks[1].headers['anthropic-version'], '2023-06-01');
    // 31 days, 4 buckets a page: 8 pages of each report, the 7 after the first asked by cursor.
    for (const p of ['/openai/v1/organization/usage/completions', '/openai/v1/organization/costs',
      '/anthropic/v1/organizations/usage_report/messages', '/anthropic/v1/organizations/cost_report']) {
      const pages = reqs.filter((r) => r.target.startsWith(p + '?') && !r.target.includes('&limit=1'));
      assert.equal(pages.length, 8, p);
      assert.equal(pages.filter((r) => r.target.includes('&page=page_')).length, 7, p);
    }
    const log = sys.services.metering.output.split('\n').filter((l) => l.includes('provider usage synced'));
    for (const l of log) {
      const j = JSON.parse(l);
      t.diagnostic(`${j.provider}: ${j.days} days, ${j.buckets} buckets, ${j.requests} requests, ${(j.seconds * 1000).toFixed(1)} ms`);
    }
  });

  test('the metered traffic matches to the token and the bypassing traffic is unmetered, exactly', async () => {
    const rows = await reconciliation(date(Date.now() - 12 * DAY), today);
    const byKey = Object.fromEntries(rows.map((r) => [rowKey(r), r]));
    assert.deepEqual(rows.map(rowKey), [
      `${tenDaysAgo} openai gpt-4o-mini`,
      `${today} anthropic claude-3-5-haiku-20241022`,
      `${today} openai gpt-4o`,
      `${today} openai gpt-4o-mini`,
    ]);
    const expect = (key, { model, pIn, pOut, mIn = 0, mOut = 0, mCost = 0, unIn, unOut }) => {
      const r = byKey[key];
      const providerCost = cost(model, pIn, pOut);
      const unmetered = cost(model, unIn, unOut);
      assert.equal(r.provider_input_tokens, pIn, `${key} provider input`);
      assert.equal(r.provider_output_tokens, pOut, `${key} provider output`);
      assert.equal(r.provider_cost_nano, providerCost, `${key} provider cost`);
      assert.equal(r.metered_input_tokens, mIn, `${key} metered input`);
      assert.equal(r.metered_output_tokens, mOut, `${key} metered output`);
      assert.equal(r.metered_cost_nano, mCost, `${key} metered cost`);
      assert.equal(r.unmetered_input_tokens, unIn, `${key} unmetered input`);
      assert.equal(r.unmetered_output_tokens, unOut, `${key} unmetered output`);
      assert.equal(r.unmetered_cost_nano, unmetered, `${key} unmetered cost`);
      assert.equal(r.drift_cost_nano, providerCost - mCost, `${key} drift`);
      assert.equal(r.drift_cost_usd, (Number(providerCost - mCost) / 1e9).toFixed(9), `${key} drift usd`);
    };
    const mini = metered['gpt-4o-mini'];
    const haiku = metered['claude-3-5-haiku-20241022'];
    // Gateway traffic the provider billed at the catalog's price, plus the direct calls.
    expect(`${today} openai gpt-4o-mini`, { model: 'gpt-4o-mini', pIn: mini.input + 1000,
      pOut: mini.output + 200, mIn: mini.input, mOut: mini.output, mCost: mini.cost, unIn: 1000, unOut: 200 });
    expect(`${today} anthropic claude-3-5-haiku-20241022`, { model: 'claude-3-5-haiku-20241022',
      pIn: haiku.input + 300, pOut: haiku.output + 40, mIn: haiku.input, mOut: haiku.output,
      mCost: haiku.cost, unIn: 300, unOut: 40 });
    // A model and a day only the direct key used: all of it unmetered.
    expect(`${today} openai gpt-4o`, { model: 'gpt-4o', pIn: 500, pOut: 50, unIn: 500, unOut: 50 });
    expect(`${tenDaysAgo} openai gpt-4o-mini`, { model: 'gpt-4o-mini', pIn: 2000, pOut: 100, unIn: 2000, unOut: 100 });
    // The metered side is what /api/usage says the gateway recorded.
    const usage = await sys.usageRows(org.cookie);
    assert.equal(usage.filter((u) => u.model === 'gpt-4o-mini').reduce((a, u) => a + u.cost_nano, 0), mini.cost);
    assert.equal(byKey[`${today} openai gpt-4o-mini`].metered_requests, 3);
  });

  test('the list shows the key prefix, the last sync and the status, never the key', async () => {
    const list = await connections();
    assert.deepEqual(list.map((c) => [c.provider, c.key_prefix, c.status, c.last_error]),
      [['openai', OPENAI_ADMIN.slice(0, 12), 'ok', null],
        ['anthropic', ANTHROPIC_ADMIN.slice(0, 12), 'ok', null]]);
    for (const c of list) assert.ok(Date.now() - Date.parse(c.last_sync_at) < 60000);
  });

  test('a re-sync replaces the revised days: nothing is counted twice', async () => {
    const window = [date(Date.now() - 12 * DAY), today];
    const first = await reconciliation(...window);
    const [openai] = await connections();
    let r = await api('POST', `/api/provider-connections/sync?id=${openai.id}`, { cookie: org.cookie });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.json.id, openai.id);
    const resynced = await synced(openai.id, { after: openai.last_sync_at });
    assert.deepEqual(await reconciliation(...window), first);
    // The provider revises today: more direct gpt-4o usage shows up in the same bucket.
    await mock('/_mock/admin-usage', { provider: 'openai', api_key: DIRECT_KEY, model: 'gpt-4o',
      input_tokens: 100, output_tokens: 10 });
    r = await api('POST', `/api/provider-connections/sync?id=${openai.id}`, { cookie: org.cookie });
    assert.equal(r.status, 202);
    await synced(openai.id, { after: resynced.last_sync_at });
    const after = await reconciliation(...window);
    const gpt4o = after.find((x) => rowKey(x) === `${today} openai gpt-4o`);
    assert.equal(gpt4o.provider_input_tokens, 600);
    assert.equal(gpt4o.provider_output_tokens, 60);
    assert.equal(gpt4o.unmetered_cost_nano, cost('gpt-4o', 600, 60));
    assert.deepEqual(after.filter((x) => x.model !== 'gpt-4o'), first.filter((x) => x.model !== 'gpt-4o'));
  });

  test('429 and 5xx from the provider are retried, and the sync completes', async () => {
    const [openai] = await connections();
    const before = (await sys.mockRequests()).length;
    await mock('/_mock/admin-faults', { statuses: [429, 503] });
    const r = await api('POST', `/api/provider-connections/sync?id=${openai.id}`, { cookie: org.cookie });
    assert.equal(r.status, 202);
    const done = await synced(openai.id, { after: openai.last_sync_at });
    assert.equal(done.last_error, null);
    const usageCalls = (await sys.mockRequests()).slice(before)
      .filter((x) => x.target.startsWith('/openai/v1/organization/usage/completions'));
    assert.equal(usageCalls.length, 3, 'two refused, then the page');
  });
});

describe('keys the provider refuses', () => {
  test('a key that is not an admin key, or is revoked, is refused with the provider\'s reason', async () => {
    const before = await connections();
    let r = await api('POST', '/api/provider-connections',
      { cookie: org.cookie, body: { provider: 'openai', admin_key: CUSTOMER_OPENAI } });
    assert.equal(r.status, 400);
    assert.match(r.json.error.message, /^OpenAI refused the admin key \(HTTP 403: You have insufficient permissions/);
    r = await api('POST', '/api/provider-connections', { cookie: org.cookie,
      body: { provider: 'anthropic', admin_key: 'sk-ant-admin01-revoked-' + randomBytes(8).toString('hex') } });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.message, 'Anthropic refused the admin key (HTTP 401: invalid x-api-key)');
    r = await api('POST', '/api/provider-connections',
      { cookie: org.cookie, body: { provider: 'openai', admin_key: OPENAI_ADMIN } });
    assert.equal(r.status, 409);
    r = await api('POST', '/api/provider-connections',
      { cookie: org.cookie, body: { provider: 'google', admin_key: OPENAI_ADMIN } });
    assert.equal(r.status, 400);
    assert.deepEqual(await connections(), before);
  });

  test('a key revoked at the provider marks the connection failed and says why', async () => {
    const [openai] = await connections();
    const rowsBefore = await reconciliation(date(Date.now() - 12 * DAY), today);
    await mock('/_mock/admin-revoke', { admin_key: OPENAI_ADMIN });
    const r = await api('POST', `/api/provider-connections/sync?id=${openai.id}`, { cookie: org.cookie });
    assert.equal(r.status, 202);
    const failed = await synced(openai.id, { status: 'failed' });
    assert.equal(failed.last_error,
      `OpenAI refused the admin key (HTTP 401: Incorrect API key provided: ${OPENAI_ADMIN.slice(0, 9)}****${OPENAI_ADMIN.slice(-4)}. You can find your API key at https://platform.openai.com/account/api-keys.)`);
    assert.equal(failed.last_sync_at, openai.last_sync_at, 'the last good sync stays');
    // What was synced before stays until the key works again.
    assert.deepEqual(await reconciliation(date(Date.now() - 12 * DAY), today), rowsBefore);
  });
});

describe('CSV import (zero integration: no gateway traffic, no connection)', () => {
  let csvOrg;
  const header = 'date,provider,model,input_tokens,cached_input_tokens,output_tokens,cost_usd';
  test('a file with a bad row is refused with its line number; nothing is imported', async () => {
    csvOrg = await sys.newOrg('csv');
    const r = await importCsv(csvOrg.cookie,
      `${header}\n${today},google,gemini-1.5-flash,1000,0,100,0.000105\n${today},xai,grok-beta,10,0,-5,0.01\n`);
    assert.equal(r.status, 400);
    assert.deepEqual(r.json, { error: { message: 'line 3: output_tokens must be a whole number from 0 to 1000000000000000, got "-5"',
      type: 'invalid_request_error', line: 3 } });
    assert.deepEqual(await reconciliation(tenDaysAgo, today, csvOrg.cookie), []);
    const wrongType = await importCsv(csvOrg.cookie, header, 'application/json');
    assert.equal(wrongType.status, 415);
  });

  test('a good file imports; importing it again changes nothing', async () => {
    const csv = `${header}\r\n${today},google,gemini-1.5-flash,120000,20000,3400,0.010020\r\n` +
      `${tenDaysAgo},xai,grok-beta,5000,0,700,0.0355\r\n${today},xai,grok-beta,10,0,1,0.000065\r\n`;
    let r = await importCsv(csvOrg.cookie, csv);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { imported_rows: 3 });
    const rows = await reconciliation(tenDaysAgo, today, csvOrg.cookie);
    assert.deepEqual(rows.map((x) => [rowKey(x), x.provider_input_tokens, x.provider_output_tokens,
      x.provider_cost_nano, x.metered_cost_nano, x.unmetered_cost_nano, x.drift_cost_nano]), [
      [`${tenDaysAgo} xai grok-beta`, 5000, 700, 35500000, 0, 35500000, 35500000],
      [`${today} google gemini-1.5-flash`, 120000, 3400, 10020000, 0, 10020000, 10020000],
      [`${today} xai grok-beta`, 10, 1, 65000, 0, 65000, 65000],
    ]);
    r = await importCsv(csvOrg.cookie, csv);
    assert.deepEqual(r.json, { imported_rows: 3 });
    assert.deepEqual(await reconciliation(tenDaysAgo, today, csvOrg.cookie), rows);
    // Only this organization's.
    assert.ok((await reconciliation(tenDaysAgo, today)).every((x) => x.provider !== 'google'));
  });
});

test('the Provider bills page: connections, chart, drift table and the CSV error', async (t) => {
  const CHROMIUM = process.env.LLMGW_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(CHROMIUM)) return t.skip(`${CHROMIUM} is missing`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const [name, value] = org.cookie.split('=');
    await page.context().addCookies([{ name, value, url: sys.dashboardUrl }]);
    await page.goto(`${sys.dashboardUrl}/#/provider-bills`);
    await page.waitForSelector('#drift-table tbody tr td');
    const rows = await reconciliation(date(Date.now() - 29 * DAY), today);
    assert.equal(await page.locator('#drift-table tbody tr').count(), rows.length);
    assert.equal(await page.locator('#connections tbody tr').count(), 2);
    assert.match(await page.locator('#connections').innerText(), /failed[\s\S]*refused the admin key/);
    assert.ok(await page.locator('svg.bills-chart rect.bar-provider').count() >= 2);
    await page.setInputFiles('input[type=file]', { name: 'bad.csv', mimeType: 'text/csv',
      buffer: Buffer.from('date,provider,model,input_tokens,cached_input_tokens,output_tokens,cost_usd\n' +
        '2025-01-31,google,m,1,0,1,1\n2025-02-30,google,m,1,0,1,1\n') });
    await page.click('text=Import CSV');
    await page.waitForSelector('#csv-error');
    assert.match(await page.locator('#csv-error').innerText(), /line 3: date must be a date/);
    const dir = process.env.LLMGW_SCREENSHOT_DIR;
    if (dir) {
      await page.screenshot({ path: path.join(dir, 'provider-bills.png'), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: path.join(dir, 'provider-bills-phone.png'), fullPage: true });
    }
  } finally {
    await browser.close();
  }
});

test('removing a connection removes the usage it synced', async () => {
  const anthropic = (await connections()).find((c) => c.provider === 'anthropic');
  const r = await api('DELETE', `/api/provider-connections?id=${anthropic.id}`, { cookie: org.cookie });
  assert.equal(r.status, 200);
  assert.equal(r.json.id, anthropic.id);
  assert.deepEqual((await connections()).map((c) => c.provider), ['openai']);
  const rows = await reconciliation(date(Date.now() - 12 * DAY), today);
  assert.ok(rows.length > 0 && rows.every((x) => x.provider === 'openai'));
});

test('the admin keys appear in no log line, no table (in clear) and no response', async () => {
  const logs = sys.allOutput();
  assert.ok(logs.includes('provider usage synced'));
  const tables = sys.dumpTables();
  assert.ok(tables.includes(org.org.id));
  for (const key of [OPENAI_ADMIN, ANTHROPIC_ADMIN]) {
    assert.ok(!logs.includes(key), 'an admin key in a log');
    assert.ok(!tables.includes(key), 'an admin key in a table');
    assert.ok(!responses.some((text) => text.includes(key)), 'an admin key in a response');
    assert.ok(!tables.includes(Buffer.from(key).toString('hex')), 'an admin key in a table, as bytes');
  }
  // What is stored: AES-256-GCM (nonce + ciphertext + tag) under the key's id.
  const stored = psql(sys.dbUrl, 'SELECT provider, key_id, octet_length(key_ciphertext) ' +
    'FROM metering.provider_connections').trim().split('\n').map((l) => l.split('|'));
  assert.equal(stored.length, 1);
  assert.equal(stored[0][0], 'openai');
  assert.match(stored[0][1], /^k[0-9a-f]{16}$/);
  assert.equal(Number(stored[0][2]), OPENAI_ADMIN.length + 12 + 16);
});
