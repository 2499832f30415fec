// Today's models, priced from the shipped catalog (@pydantic/genai-prices) the way each provider
// bills them, in both modes, through the real binaries with the official SDKs: cached prompts,
// one-hour cache writes, long-context tiers above 200k input tokens, dated snapshots, catalog
// aliases, the reseller's /models with prices, an unpriced model, and an operator's override
// taking effect within the price book's refresh interval. Costs and balances to the nano-USD.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

import { BIN, System, eventually } from './harness.mjs';

// nano-USD per token (USD per 1M tokens x 1000), as the providers publish them; written here by
// hand, not read from the catalog, so a wrong catalog fails the test.
// [input, cached input, cache write, one-hour cache write, output]
const P = {
  'gpt-5-mini': [250, 25, 250, 250, 2000],
  'gpt-4.1': [2000, 500, 2000, 2000, 8000],
  o3: [2000, 500, 2000, 2000, 8000],  // since 2025-06-10 (was 10 / 40)
  'claude-sonnet-4-5': [3000, 300, 3750, 6000, 15000],
  'claude-sonnet-4-5 >200k': [6000, 600, 7500, 12000, 22500],
  'gemini-2.5-flash': [300, 30, 300, 300, 2500],
  'gemini-2.5-pro >200k': [2500, 250, 2500, 2500, 15000],
  'grok-4': [3000, 750, 3000, 3000, 15000],
};
// tokens: {input (all of it, cache included), cached, write, write1h, output}
function cost(price, t) {
  const [i, c, w, w1, o] = P[price];
  const plain = t.input - (t.cached ?? 0) - (t.write ?? 0);
  return BigInt(plain * i + (t.cached ?? 0) * c + ((t.write ?? 0) - (t.write1h ?? 0)) * w +
    (t.write1h ?? 0) * w1 + t.output * o);
}
const MARGIN = 20n;
const charged = (c) => c + (c * MARGIN * 2n + 100n) / 200n;  // margin rounded half up

const CUSTOMER_KEY = 'sk-customer-catalog-5d1e';
const REFRESH_SECONDS = 1;
let sys;
let org;
let spent = 0n;

before(async () => {
  sys = await System.start({ env: { LLMGW_PRICE_REFRESH_SECONDS: String(REFRESH_SECONDS) } });
  org = await sys.newOrg('catalog');
  const topup = await sys.api('POST', '/api/balance/charge', { cookie: org.cookie, body: { amount: 50 } });
  assert.equal(topup.status, 200, topup.text);
});
after(async () => { await sys?.stop(); });

const passthrough = (provider, headers = {}) => new OpenAI({
  baseURL: `${sys.gatewayUrl}/api/v1/${provider}`,
  apiKey: CUSTOMER_KEY,
  defaultHeaders: { 'X-Monitor-Token': org.monitorToken, ...headers },
  maxRetries: 0,
});
const reseller = (headers = {}) => new OpenAI({
  baseURL: `${sys.gatewayUrl}/api/v1`, apiKey: org.apiKey, defaultHeaders: headers, maxRetries: 0,
});
const messages = [{ role: 'user', content: 'What does this cost today' }];
// One message of n words: the mock counts 4 + n input tokens for it.
const longMessages = (n) => [{ role: 'user', content: 'w '.repeat(n).trim() }];

async function usageRow(requestId) {
  return eventually(async () => (await sys.usageRows(org.cookie)).find((r) => r.request_id === requestId),
    { what: `usage row ${requestId}` });
}

describe('pass-through: today\'s models at the providers\' prices', () => {
  const CASES = [
    // [provider path, model sent, price, mock headers, cached tokens reported]
    ['openai', 'gpt-5-mini', 'gpt-5-mini', { 'x-mock-cached-tokens': '3' }, 3],
    ['openai', 'gpt-4.1-2025-04-14', 'gpt-4.1', {}, 0],  // a dated snapshot
    ['openai', 'o3', 'o3', {}, 0],
    ['google', 'gemini-2.5-flash', 'gemini-2.5-flash', { 'x-mock-cached-tokens': '2' }, 2],
    ['xai', 'grok-4', 'grok-4', {}, 0],  // the catalog's alias of grok-4-0709
  ];
  for (const [provider, model, price, headers, cached] of CASES) {
    test(`${provider} ${model}`, async () => {
      const { data, request_id } = await passthrough(provider, headers).chat.completions
        .create({ model, messages }).withResponse();
      assert.equal(data.usage.prompt_tokens_details?.cached_tokens ?? 0, cached);
      const reasoning = provider === 'xai' ? (data.usage.completion_tokens_details?.reasoning_tokens ?? 0) : 0;
      const row = await usageRow(request_id);
      assert.equal(row.unpriced, false);
      assert.ok(row.price_id > 0, 'the row names the price row that priced it');
      assert.equal(row.cached_input_tokens, cached);
      assert.equal(BigInt(row.cost_nano),
        cost(price, { input: data.usage.prompt_tokens, cached, output: data.usage.completion_tokens + reasoning }));
    });
  }

  test('anthropic claude-sonnet-4-5 snapshot with cache reads, 5-minute and one-hour writes', async () => {
    const client = new Anthropic({
      baseURL: `${sys.gatewayUrl}/api/v1/anthropic`,
      apiKey: CUSTOMER_KEY,
      defaultHeaders: { 'X-Monitor-Token': org.monitorToken, 'x-mock-cached-tokens': '100',
                        'x-mock-cache-write-tokens': '50', 'x-mock-cache-write-1h-tokens': '20' },
      maxRetries: 0,
    });
    const { data, response } = await client.messages
      .create({ model: 'claude-sonnet-4-5-20250929', max_tokens: 64, messages }).withResponse();
    const u = data.usage;
    assert.equal(u.cache_read_input_tokens, 100);
    assert.equal(u.cache_creation.ephemeral_1h_input_tokens, 20);
    const row = await usageRow(response.headers.get('request-id'));
    const input = u.input_tokens + 100 + 50;  // Anthropic's input_tokens excludes the cache
    assert.equal(row.input_tokens, input);
    assert.equal(BigInt(row.cost_nano), cost('claude-sonnet-4-5',
      { input, cached: 100, write: 50, write1h: 20, output: u.output_tokens }));
  });

  test('gemini-2.5-pro above 200k input tokens: the whole request at the long-context price', async () => {
    const { data, request_id } = await passthrough('google').chat.completions
      .create({ model: 'gemini-2.5-pro', messages: longMessages(200_100) }).withResponse();
    assert.equal(data.usage.prompt_tokens, 200_104);
    const row = await usageRow(request_id);
    assert.equal(BigInt(row.cost_nano),
      cost('gemini-2.5-pro >200k', { input: 200_104, output: data.usage.completion_tokens }));
  });

  test('an unpriced model is recorded as unpriced and counted, never as a real $0', async () => {
    const { request_id } = await passthrough('openai').chat.completions
      .create({ model: 'gpt-imaginary-9', messages }).withResponse();
    const row = await usageRow(request_id);
    assert.equal(row.unpriced, true);
    assert.equal(row.cost_nano, 0);
    assert.equal(row.price_id, 0);
    const metrics = await (await fetch(`http://127.0.0.1:${sys.ports.m_gateway}/metrics`)).text();
    assert.match(metrics, /llmgw_gateway_unpriced_requests_total\{provider="openai"\} 1\n/);
  });
});

describe('reseller: today\'s models offered, routed and billed from the catalog', () => {
  test('/models lists today\'s models, their catalog aliases and prices with the margin', async () => {
    const res = await fetch(`${sys.gatewayUrl}/api/v1/models`, { headers: { authorization: `Bearer ${org.apiKey}` } });
    assert.equal(res.status, 200);
    const byId = new Map((await res.json()).data.map((m) => [m.id, m]));
    for (const id of ['gpt-5-mini', 'gpt-5-mini-2025-08-07', 'gpt-4.1', 'o3', 'claude-sonnet-4-5',
      'gemini-2.5-flash', 'gemini-2.5-pro', 'grok-4', 'grok-4-0709']) {
      assert.ok(byId.has(id), `${id} is offered`);
    }
    assert.deepEqual(byId.get('gpt-5-mini').pricing,
      { prompt: '0.0000003', completion: '0.0000024', input_cache_read: '0.00000003', input_cache_write: '0.0000003' });
    assert.deepEqual(byId.get('claude-sonnet-4-5').pricing,
      { prompt: '0.0000036', completion: '0.000018', input_cache_read: '0.00000036', input_cache_write: '0.0000045' });
    assert.equal(byId.get('grok-4').owned_by, 'xai');
    assert.ok(!byId.has('text-embedding-3-small'), 'not a chat model');
  });

  const MODELS = [
    ['gpt-5-mini', 'gpt-5-mini'],
    ['claude-sonnet-4-5', 'claude-sonnet-4-5'],
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
    ['gemini-2.5-flash', 'gemini-2.5-flash'],
    ['grok-4', 'grok-4'],
  ];
  for (const [model, price] of MODELS) {
    test(`${model}: 200, charged exactly cost + margin`, async () => {
      const { data, request_id } = await reseller().chat.completions
        .create({ model, messages, max_tokens: 40 }).withResponse();
      const reasoning = model.startsWith('grok') ? (data.usage.completion_tokens_details?.reasoning_tokens ?? 0) : 0;
      const c = cost(price, { input: data.usage.prompt_tokens, output: data.usage.completion_tokens + reasoning });
      const row = await usageRow(request_id);
      assert.equal(BigInt(row.provider_cost_nano), c);
      assert.equal(BigInt(row.cost_nano), charged(c));
      spent += charged(c);
    });
  }

  test('claude-sonnet-4-5 above 200k input tokens is held and charged at the long-context price', async () => {
    const { data, request_id } = await reseller().chat.completions
      .create({ model: 'claude-sonnet-4-5', messages: longMessages(200_100), max_tokens: 20 }).withResponse();
    assert.equal(data.usage.prompt_tokens, 200_104);
    const c = cost('claude-sonnet-4-5 >200k', { input: 200_104, output: data.usage.completion_tokens });
    const row = await usageRow(request_id);
    assert.equal(BigInt(row.cost_nano), charged(c));
    spent += charged(c);
  });

  test('an embedding model or an unknown one is 404 model_not_found', async () => {
    for (const model of ['text-embedding-3-small', 'gpt-imaginary-9']) {
      await assert.rejects(reseller().chat.completions.create({ model, messages }),
        (e) => e.status === 404 && e.error?.code === 'model_not_found', model);
    }
  });
});

describe('operator overrides', () => {
  test('prices set takes effect within the refresh interval; earlier requests keep their price', async () => {
    const before = await reseller().chat.completions.create({ model: 'gpt-5-mini', messages, max_tokens: 10 })
      .withResponse();
    const oldRow = await usageRow(before.request_id);
    spent += BigInt(oldRow.cost_nano);
    const out = execFileSync(path.join(BIN, 'llmgw-billing'),
      ['prices', 'set', '--provider', 'openai', '--model', 'gpt-5-mini', '--input', '1', '--cached-input', '0.1',
        '--output', '4', '--set-by', 'e2e operator', '--note', 'negotiated discount'],
      { env: { PATH: process.env.PATH, LLMGW_DATABASE_URL: sys.dbUrl }, encoding: 'utf8' });
    const set = JSON.parse(out.trim());
    assert.equal(set.origin, 'override');
    assert.equal(set.set_by, 'e2e operator');
    assert.equal(set.input_usd_per_mtok, '1.000000000');
    const setAt = Date.now();
    // Requests until one is priced by the override; each is checked against the row that priced it.
    let newRow = null;
    while (!newRow) {
      assert.ok(Date.now() - setAt < (REFRESH_SECONDS + 3) * 1000, 'the override took effect in time');
      const { data, request_id } = await reseller().chat.completions
        .create({ model: 'gpt-5-mini', messages, max_tokens: 10 }).withResponse();
      const row = await usageRow(request_id);
      const at = row.price_id === set.price_id ? [1000, 100, 1000, 1000, 4000] : P['gpt-5-mini'];
      if (row.price_id !== set.price_id) assert.equal(row.price_id, oldRow.price_id);
      const c = BigInt(data.usage.prompt_tokens * at[0] + data.usage.completion_tokens * at[4]);
      assert.equal(BigInt(row.cost_nano), charged(c));
      spent += charged(c);
      if (row.price_id === set.price_id) newRow = row;
    }
    // The earlier request's recorded cost is unchanged.
    assert.equal((await usageRow(before.request_id)).cost_nano, oldRow.cost_nano);
    const list = execFileSync(path.join(BIN, 'llmgw-billing'),
      ['prices', 'list', '--provider', 'openai', '--model', 'gpt-5-mini', '--history'],
      { env: { PATH: process.env.PATH, LLMGW_DATABASE_URL: sys.dbUrl }, encoding: 'utf8' });
    const rows = list.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((r) => r.origin), ['catalog', 'override']);
  });

  test('balance = top-up − exactly what every reseller request was charged; nothing held', async () => {
    const bal = await eventually(async () => {
      const b = await sys.api('GET', '/api/balance', { cookie: org.cookie });
      return b.status === 200 && b.json.held_nano === 0 && b;
    }, { what: 'every hold settled' });
    assert.equal(BigInt(bal.json.balance_nano), 50_000_000_000n - spent);
  });
});
