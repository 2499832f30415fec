// Controls end to end (issue 16): spend budgets exact under 500 concurrent requests in both modes,
// rate limits shared by two gateway replicas through a real Redis (and the fallback when it is
// down), and the official SDKs' retry logic against the refusals.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

import { BIN, System, eventually, sleep, startRedis } from './harness.mjs';

// Priced by an operator override at input $0 and output $1000 per 1M tokens: max_tokens 10 bounds
// a request at exactly $0.01, and the mock answers exactly 10 output tokens, so every request
// reserves and spends exactly one cent (the margin is 0 in this system).
const BUDGET_MODEL = 'budget-e2e';
const CENT = 10_000_000;
const CUSTOMER_KEY = 'sk-customer-limits';

let sys;
let redis;
let replica;  // the second gateway, sharing Redis with the first

before(async () => {
  redis = await startRedis();
  sys = await System.start({
    env: {
      LLMGW_REDIS_URL: redis.url,
      LLMGW_RATE_LIMIT_REPLICAS: '2',
      LLMGW_MARGIN_PERCENT: '0',
      LLMGW_PRICE_REFRESH_SECONDS: '1',
      // Limits ride on the cached credential: a change applies within this TTL (README).
      LLMGW_AUTH_CACHE_TTL_SECONDS: '1',
    },
  });
  execFileSync(path.join(BIN, 'llmgw-billing'),
    ['prices', 'set', '--provider', 'openai', '--model', BUDGET_MODEL, '--input', '0',
      '--output', '1000', '--max-output-tokens', '4096', '--set-by', 'e2e'],
    { env: { PATH: process.env.PATH, LLMGW_DATABASE_URL: sys.dbUrl }, encoding: 'utf8' });
  replica = await sys.startGatewayReplica('gateway2');
  // Both replicas price the override before any test runs.
  const probe = await newOrg('probe', 1);
  for (const url of [sys.gatewayUrl, replica.url]) {
    await eventually(async () => {
      const r = await fetch(`${url}/api/v1/models`, { headers: { authorization: `Bearer ${probe.apiKey}` } });
      return (await r.json()).data?.some((m) => m.id === BUDGET_MODEL);
    }, { timeoutMs: 20000, what: `${url} to price ${BUDGET_MODEL}` });
  }
});
after(async () => {
  await sys?.stop();
  redis?.remove();
});

// A fresh organization topped up with `usd`, with the ids of its token and key.
async function newOrg(label, usd = 10) {
  const org = await sys.newOrg(label);
  if (usd > 0) {
    const topup = await sys.api('POST', '/api/balance/charge', { cookie: org.cookie, body: { amount: usd } });
    assert.equal(topup.status, 200, topup.text);
  }
  org.keyId = (await sys.api('GET', '/api/keys', { cookie: org.cookie })).json.keys[0].id;
  org.tokenId = (await sys.api('GET', '/api/tokens', { cookie: org.cookie })).json.tokens[0].id;
  return org;
}

async function setLimits(org, what, limits) {
  const url = what === 'org' ? '/api/org/limits'
    : `/api/${what === 'key' ? 'keys' : 'tokens'}?id=${what === 'key' ? org.keyId : org.tokenId}`;
  const r = await sys.api(what === 'org' ? 'PUT' : 'PATCH', url, { cookie: org.cookie, body: limits });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

const chatBody = (model, maxTokens = 10) =>
  JSON.stringify({ model, max_tokens: maxTokens, messages: [{ role: 'user', content: 'limits' }] });

// One reseller chat completion through `gateway` (default: the first replica).
async function resellerChat(org, { model = BUDGET_MODEL, gateway = sys.gatewayUrl } = {}) {
  const res = await fetch(`${gateway}/api/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${org.apiKey}`, 'content-type': 'application/json' },
    body: chatBody(model),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

async function passthroughChat(org, model = BUDGET_MODEL) {
  const res = await fetch(`${sys.gatewayUrl}/api/v1/openai/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CUSTOMER_KEY}`, 'x-monitor-token': org.monitorToken,
      'content-type': 'application/json' },
    body: chatBody(model),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

function tally(results) {
  const out = {};
  for (const r of results) {
    const k = r.status === 200 ? 'ok' : `${r.status} ${r.body?.error?.code ?? r.body?.error?.type}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

// The pass-through calls that reached the provider (they carry the customer's own key).
async function passthroughCalls() {
  return (await sys.mockRequests())
    .filter((r) => r.headers?.authorization === `Bearer ${CUSTOMER_KEY}`).length;
}

async function metric(url, name) {
  const text = await (await fetch(url)).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line ? Number(line.split(' ').pop()) : undefined;
}

describe('budgets are exact under concurrency', () => {
  test('500 concurrent reseller requests against a $0.50 daily key budget: exactly 50 admitted', async () => {
    const org = await newOrg('budget-reseller');
    await setLimits(org, 'key', { daily_budget_usd: 0.5 });
    const results = await Promise.all(Array.from({ length: 500 }, () => resellerChat(org)));
    assert.deepEqual(tally(results), { ok: 50, '429 budget_exceeded': 450 });
    const refused = results.find((r) => r.status === 429);
    assert.equal(refused.headers.get('x-should-retry'), 'false');
    assert.match(refused.body.error.message, /daily budget of this key is spent/);
    // The settles land off the request path: then the key has spent exactly $0.50 and the
    // balance paid exactly that.
    await eventually(async () => {
      const keys = (await sys.api('GET', '/api/keys', { cookie: org.cookie })).json.keys;
      return keys[0].usage.day_spent_nano === 50 * CENT;
    }, { what: 'the key to have spent $0.50' });
    const balance = (await sys.api('GET', '/api/balance', { cookie: org.cookie })).json;
    await eventually(async () =>
      (await sys.api('GET', '/api/balance', { cookie: org.cookie })).json.balance_nano === 10_000_000_000 - 50 * CENT,
    { what: `the balance to be $9.50 (was ${balance.balance_usd})` });
  });

  test('500 concurrent pass-through requests against a $0.50 daily token budget: exactly 50 admitted', async () => {
    const org = await newOrg('budget-pass', 0);
    await setLimits(org, 'token', { daily_budget_usd: '0.50' });
    const upstreamBefore = await passthroughCalls();
    const results = await Promise.all(Array.from({ length: 500 }, () => passthroughChat(org)));
    assert.deepEqual(tally(results), { ok: 50, '429 budget_exceeded': 450 });
    // Only the admitted requests went upstream.
    assert.equal(await passthroughCalls() - upstreamBefore, 50);
    await eventually(async () => {
      const tokens = (await sys.api('GET', '/api/tokens', { cookie: org.cookie })).json.tokens;
      return tokens[0].usage.day_spent_nano === 50 * CENT;
    }, { what: 'the token to have spent $0.50 (estimated cost)' });
    // Pass-through pays its provider itself: no balance is touched.
    assert.equal((await sys.api('GET', '/api/balance', { cookie: org.cookie })).json.balance_nano, 0);
  });

  test('an organization budget covers all its credentials; pass-through without a budget pays nothing', async () => {
    const org = await newOrg('budget-org');
    const limits = await setLimits(org, 'org', { monthly_budget_usd: 0.03 });
    assert.equal(limits.limits.monthly_budget_nano, 3 * CENT);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await resellerChat(org)).status);
    for (let i = 0; i < 2; i++) statuses.push((await passthroughChat(org)).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    // Another organization's pass-through, without any limit, is untouched by all this.
    const free = await newOrg('no-limits', 0);
    assert.equal((await passthroughChat(free)).status, 200);
  });

  test('billing unreachable and a budget set: 503 with retry-after and no upstream call', async () => {
    const org = await newOrg('budget-outage', 0);
    await setLimits(org, 'token', { daily_budget_usd: 1 });
    await sys.stopService('billing');
    try {
      const upstreamBefore = await passthroughCalls();
      const r = await passthroughChat(org);
      assert.equal(r.status, 503);
      assert.ok(Number(r.headers.get('retry-after')) >= 1);
      assert.equal(await passthroughCalls(), upstreamBefore);
    } finally {
      sys.startService('billing');
    }
    await eventually(async () => (await passthroughChat(org)).status === 200,
      { timeoutMs: 30000, what: 'budgeted requests to pass once billing is back' });
  });
});

describe('rate limits across replicas', () => {
  test('60 rpm on one key over two replicas sharing Redis: 60 admitted of 200, with headers', async () => {
    const org = await newOrg('rpm');
    await setLimits(org, 'key', { rpm: 60 });
    // All at once, alternating replicas. GCRA lets `rpm` through at once and then one a second,
    // so the checks' spread in time may add one per second it lasted.
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      resellerChat(org, { model: 'gpt-4o-mini', gateway: i % 2 ? replica.url : sys.gatewayUrl })));
    const seconds = Math.floor((Date.now() - started) / 1000);
    const counts = tally(results);
    console.log(`admitted ${counts.ok} of 200 in ${Date.now() - started} ms`);
    assert.ok(counts.ok >= 60 && counts.ok <= 61 + seconds, JSON.stringify(counts));
    assert.equal(counts['429 rate_limit_exceeded'], 200 - counts.ok);
    const ok = results.find((r) => r.status === 200);
    assert.equal(ok.headers.get('x-ratelimit-limit-requests'), '60');
    assert.match(ok.headers.get('x-ratelimit-remaining-requests'), /^\d+$/);
    const refused = results.findLast((r) => r.status === 429);
    assert.equal(refused.body.error.type, 'requests');
    assert.equal(refused.headers.get('x-ratelimit-limit-requests'), '60');
    assert.equal(refused.headers.get('x-ratelimit-remaining-requests'), '0');
    assert.match(refused.headers.get('x-ratelimit-reset-requests'), /^(\d+m)?\d+(\.\d+)?s$|^\d+ms$/);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.equal(refused.headers.get('x-should-retry'), null);  // a rate limit is worth retrying
  });

  test('pass-through responses keep the provider headers and add the gateway remaining', async () => {
    const org = await newOrg('rpm-pass', 0);
    await setLimits(org, 'token', { rpm: 100, tpm: 100000 });
    const r = await passthroughChat(org, 'gpt-4o-mini');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-llmgw-ratelimit-remaining-requests'), '99');
    assert.match(r.headers.get('x-llmgw-ratelimit-remaining-tokens'), /^\d+$/);
    assert.equal(r.headers.get('x-ratelimit-limit-requests'), null);  // not the gateway's to add
  });

  test('Redis down: each replica falls back to its share, visible in /metrics; back when Redis is', async () => {
    const org = await newOrg('fallback');
    await setLimits(org, 'key', { rpm: 10 });
    assert.equal(await metric(replica.metricsUrl, 'llmgw_gateway_rate_limit_fallback'), 0);
    redis.stop();
    try {
      const results = [];
      for (let i = 0; i < 10; i++) results.push(await resellerChat(org, { model: 'gpt-4o-mini', gateway: replica.url }));
      // The local share of 10 rpm over 2 replicas is 5.
      assert.deepEqual(tally(results), { ok: 5, '429 rate_limit_exceeded': 5 });
      assert.equal(await metric(replica.metricsUrl, 'llmgw_gateway_rate_limit_fallback'), 1);
      assert.match(sys.services.gateway2.output, /rate limit.*(fallback|unreachable)/i);
    } finally {
      redis.start();
    }
    const other = await newOrg('after-fallback');
    await setLimits(other, 'key', { rpm: 100 });
    // Both replicas lost Redis; each probes it again on its next checks (after its backoff).
    for (const [url, metrics] of [[replica.url, replica.metricsUrl],
      [sys.gatewayUrl, `http://127.0.0.1:${sys.ports.m_gateway}/metrics`]]) {
      await eventually(async () => {
        await resellerChat(other, { model: 'gpt-4o-mini', gateway: url });
        return await metric(metrics, 'llmgw_gateway_rate_limit_fallback') === 0;
      }, { timeoutMs: 20000, intervalMs: 300, what: `${url} to use Redis again` });
    }
  });
});

describe('the official SDKs handle the refusals as documented', () => {
  // Counts the HTTP attempts an SDK makes.
  function counting() {
    const c = { attempts: 0 };
    c.fetch = async (url, init) => { c.attempts++; return fetch(url, init); };
    return c;
  }
  // Uses up a key's burst: requests until one is refused.
  async function exhaust(org, model) {
    for (let i = 0; i < 200; i++) {
      if ((await resellerChat(org, { model })).status === 429) return;
    }
    throw new Error('never rate limited');
  }

  test('openai: maxRetries 0 sees the 429; default retries succeed after the window', async () => {
    const org = await newOrg('sdk-openai');
    await setLimits(org, 'key', { rpm: 30 });  // one request per 2 s after the burst
    await exhaust(org, 'gpt-4o-mini');
    const noRetry = new OpenAI({ baseURL: `${sys.gatewayUrl}/api/v1`, apiKey: org.apiKey, maxRetries: 0 });
    await assert.rejects(noRetry.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof OpenAI.RateLimitError && e.status === 429 && e.code === 'rate_limit_exceeded' &&
        e.headers.get('x-ratelimit-limit-requests') === '30');
    await exhaust(org, 'gpt-4o-mini');
    const c = counting();
    const retrying = new OpenAI({ baseURL: `${sys.gatewayUrl}/api/v1`, apiKey: org.apiKey, fetch: c.fetch });
    const done = await retrying.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] });
    assert.ok(done.choices.length > 0);
    assert.ok(c.attempts >= 2 && c.attempts <= 3, `attempts: ${c.attempts}`);
  });

  test('openai: a budget refusal is not retried', async () => {
    const org = await newOrg('sdk-budget');
    await setLimits(org, 'key', { daily_budget_usd: 0.01 });
    assert.equal((await resellerChat(org)).status, 200);
    const c = counting();
    const client = new OpenAI({ baseURL: `${sys.gatewayUrl}/api/v1`, apiKey: org.apiKey, fetch: c.fetch });
    await assert.rejects(client.chat.completions.create({ model: BUDGET_MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
      (e) => e.status === 429 && e.code === 'budget_exceeded');
    assert.equal(c.attempts, 1);
  });

  test('anthropic: rate_limit_error with its headers; retries succeed; a budget refusal is not retried', async () => {
    const org = await newOrg('sdk-anthropic');
    await setLimits(org, 'key', { rpm: 30 });
    const model = 'claude-3-5-haiku-20241022';
    const ask = (client, m = model) => client.messages.create({ model: m, max_tokens: 10, messages: [{ role: 'user', content: 'x' }] });
    for (let i = 0; i < 200; i++) {
      const noRetry = new Anthropic({ baseURL: `${sys.gatewayUrl}/api`, apiKey: org.apiKey, maxRetries: 0 });
      const err = await ask(noRetry).then(() => null, (e) => e);
      if (!err) continue;
      assert.ok(err instanceof Anthropic.RateLimitError, String(err));
      assert.equal(err.error?.error?.type, 'rate_limit_error');
      assert.equal(err.headers.get('anthropic-ratelimit-requests-limit'), '30');
      assert.equal(err.headers.get('anthropic-ratelimit-requests-remaining'), '0');
      assert.match(err.headers.get('anthropic-ratelimit-requests-reset'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      break;
    }
    const c = counting();
    const retrying = new Anthropic({ baseURL: `${sys.gatewayUrl}/api`, apiKey: org.apiKey, fetch: c.fetch });
    const msg = await ask(retrying);
    assert.equal(msg.type, 'message');
    assert.ok(c.attempts >= 2, `attempts: ${c.attempts}`);

    await setLimits(org, 'key', { rpm: null, daily_budget_usd: 0.01 });
    await sleep(1100);  // the gateway's credential cache: see README (limits apply within its TTL)
    const b = counting();
    const budgeted = new Anthropic({ baseURL: `${sys.gatewayUrl}/api`, apiKey: org.apiKey, fetch: b.fetch });
    const first = await ask(budgeted, BUDGET_MODEL).then(() => null, (e) => e);
    const second = first ?? await ask(budgeted, BUDGET_MODEL).then(() => null, (e) => e);
    assert.ok(second, 'the budget refuses');
    assert.equal(second.status, 429);
    assert.match(second.error?.error?.message ?? '', /budget/);
    assert.ok(b.attempts <= 2, `attempts: ${b.attempts}`);  // one request admitted, one refusal, no retry
  });
});
