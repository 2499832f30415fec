// Reseller mode end to end: one llm_sk_ key, the official OpenAI SDK, every provider behind one
// OpenAI-compatible endpoint, and a prepaid balance debited exactly provider cost + margin.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import OpenAI from 'openai';

import { System, eventually } from './harness.mjs';

// nano-USD per token of the seeded price book, and the default margin.
const PRICE = {
  'gpt-4o-mini': [150, 600],
  'claude-3-5-haiku-20241022': [800, 4000],
  'gemini-1.5-flash': [75, 300],
  'grok-beta': [5000, 15000],
};
const MARGIN_PERCENT = 20n;
// Half-up rounding of the margin, as billing does it (integers only).
function charged(model, input, output) {
  const cost = BigInt(PRICE[model][0] * input + PRICE[model][1] * output);
  const margin = (cost * MARGIN_PERCENT * 2n + 100n) / 200n;
  return cost + margin;
}

let sys;
let org;
let spent = 0n;  // what this test file expects billing to have charged org so far

before(async () => {
  sys = await System.start();
  org = await sys.newOrg('reseller');
  const topup = await sys.api('POST', '/api/balance/charge', { cookie: org.cookie, body: { amount: 10 } });
  assert.equal(topup.status, 200, topup.text);
  assert.equal(topup.json.balance_nano, 10_000_000_000);
});
after(async () => { await sys?.stop(); });

const client = () => new OpenAI({ baseURL: `${sys.gatewayUrl}/api/v1`, apiKey: org.apiKey, maxRetries: 0 });
const messages = [{ role: 'user', content: 'Say hello to the reseller' }];

const MODELS = [
  ['gpt-4o-mini', 'gpt-4o-mini'],
  ['claude-3-5-haiku', 'claude-3-5-haiku-20241022'],
  ['gemini-1.5-flash', 'gemini-1.5-flash'],
  ['grok-beta', 'grok-beta'],
];

describe('one key, every provider', () => {
  for (const [model, priced] of MODELS) {
    test(`${model}: non-streaming`, async () => {
      const res = await client().chat.completions.create({ model, messages, max_tokens: 50 });
      assert.equal(res.object, 'chat.completion');
      assert.equal(res.model, model, 'the response names the model the customer asked for');
      assert.ok(res.choices[0].message.content.length > 0);
      assert.equal(res.choices[0].finish_reason, 'stop');
      assert.ok(res.usage.prompt_tokens > 0 && res.usage.completion_tokens > 0);
      assert.equal(res.usage.total_tokens, res.usage.prompt_tokens + res.usage.completion_tokens);
      const reasoning = model.startsWith('grok') ? (res.usage.completion_tokens_details?.reasoning_tokens ?? 0) : 0;
      spent += charged(priced, res.usage.prompt_tokens, res.usage.completion_tokens + reasoning);
    });

    test(`${model}: streaming with include_usage`, async () => {
      const stream = await client().chat.completions.create({
        model, messages, max_tokens: 50, stream: true, stream_options: { include_usage: true } });
      let text = '';
      let finish = null;
      let usage = null;
      let chunkModel = null;
      for await (const chunk of stream) {
        chunkModel = chunk.model;
        if (chunk.usage) usage = chunk.usage;
        const c = chunk.choices[0];
        if (c?.delta?.content) text += c.delta.content;
        if (c?.finish_reason) finish = c.finish_reason;
      }
      assert.ok(text.length > 0);
      assert.equal(finish, 'stop');
      assert.equal(chunkModel, model);
      assert.ok(usage && usage.prompt_tokens > 0 && usage.completion_tokens > 0);
      const reasoning = model.startsWith('grok') ? (usage.completion_tokens_details?.reasoning_tokens ?? 0) : 0;
      spent += charged(priced, usage.prompt_tokens, usage.completion_tokens + reasoning);
    });
  }

  test('streaming without include_usage still charges, and shows no usage chunk', async () => {
    const plain = await client().chat.completions.create({ model: 'claude-3-5-haiku', messages, max_tokens: 50 });
    const stream = await client().chat.completions.create({ model: 'claude-3-5-haiku', messages, max_tokens: 50, stream: true });
    let usageChunks = 0;
    for await (const chunk of stream) if (chunk.usage || chunk.choices.length === 0) usageChunks++;
    assert.equal(usageChunks, 0);
    spent += 2n * charged('claude-3-5-haiku-20241022', plain.usage.prompt_tokens, plain.usage.completion_tokens);
  });
});

describe('tool calls through Claude', () => {
  const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];

  for (const stream of [false, true]) {
    test(`request → tool_calls → tool result → answer (${stream ? 'streamed' : 'not streamed'})`, async () => {
      const c = client();
      const ask = [{ role: 'user', content: 'What is the weather in Paris?' }];
      let call;
      if (!stream) {
        const first = await c.chat.completions.create({ model: 'claude-3-5-haiku', messages: ask, tools, max_tokens: 100 });
        assert.equal(first.choices[0].finish_reason, 'tool_calls');
        call = first.choices[0].message.tool_calls[0];
        spent += charged('claude-3-5-haiku-20241022', first.usage.prompt_tokens, first.usage.completion_tokens);
      } else {
        const s = await c.chat.completions.create({ model: 'claude-3-5-haiku', messages: ask, tools, max_tokens: 100,
          stream: true, stream_options: { include_usage: true } });
        let id = null, name = null, args = '', finish = null, usage = null, fragments = 0;
        for await (const chunk of s) {
          if (chunk.usage) usage = chunk.usage;
          const ch = chunk.choices[0];
          if (ch?.finish_reason) finish = ch.finish_reason;
          for (const tc of ch?.delta?.tool_calls ?? []) {
            if (tc.id) id = tc.id;
            if (tc.function?.name) name = tc.function.name;
            if (tc.function?.arguments) { args += tc.function.arguments; fragments++; }
          }
        }
        assert.equal(finish, 'tool_calls');
        assert.ok(fragments >= 2, 'arguments arrive in fragments');
        call = { id, type: 'function', function: { name, arguments: args } };
        spent += charged('claude-3-5-haiku-20241022', usage.prompt_tokens, usage.completion_tokens);
      }
      assert.equal(call.function.name, 'get_weather');
      assert.deepEqual(JSON.parse(call.function.arguments), { city: 'mock' });
      const followUp = [...ask, { role: 'assistant', content: null, tool_calls: [call] },
                        { role: 'tool', tool_call_id: call.id, content: 'sunny, 21 C' }];
      const answer = await c.chat.completions.create({ model: 'claude-3-5-haiku', messages: followUp, tools, max_tokens: 100 });
      assert.equal(answer.choices[0].finish_reason, 'stop');
      assert.match(answer.choices[0].message.content, /sunny, 21 C/);
      spent += charged('claude-3-5-haiku-20241022', answer.usage.prompt_tokens, answer.usage.completion_tokens);
    });
  }
});

// The gateway settles a request's hold after the client has its response, so the last
// settlements may still be in flight when the client reads its balance: wait until no hold is
// open (a settle moves the held amount into the charge in one transaction), then read it.
async function settledBalance(cookie) {
  return eventually(async () => {
    const bal = await sys.api('GET', '/api/balance', { cookie });
    return bal.status === 200 && bal.json.held_nano === 0 && bal;
  }, { what: 'every hold settled' });
}

describe('money', () => {
  test('balance after the session = before − exactly the sum of cost + margin; nothing held', async () => {
    const bal = await settledBalance(org.cookie);
    assert.equal(bal.status, 200);
    assert.equal(BigInt(bal.json.balance_nano), 10_000_000_000n - spent);
    assert.equal(bal.json.held_nano, 0);
    const tx = await sys.api('GET', '/api/balance/transactions?limit=500', { cookie: org.cookie });
    const usage = tx.json.transactions.filter((t) => t.type === 'usage');
    assert.equal(usage.reduce((a, t) => a - BigInt(t.amount_nano), 0n), spent);
    assert.ok(usage.every((t) => t.amount_nano < 0));
  });

  test('reseller rows in usage carry provider cost and margin', async () => {
    const rows = await eventually(async () => {
      const items = await sys.usageRows(org.cookie);
      return items.filter((r) => r.mode === 'reseller').length >= 10 && items;
    }, { what: 'reseller usage rows' });
    for (const r of rows.filter((x) => x.mode === 'reseller' && x.status_code === 200)) {
      assert.equal(r.cost_nano, r.provider_cost_nano + r.margin_nano);
    }
  });

  test('an unknown model is refused with 404 model_not_found and never billed', async () => {
    await assert.rejects(client().chat.completions.create({ model: 'llama-unknown', messages }),
      (e) => e.status === 404 && e.error?.code === 'model_not_found');
  });

  test('a bad key is 401', async () => {
    const bad = new OpenAI({ baseURL: `${sys.gatewayUrl}/api/v1`, apiKey: 'llm_sk_nope', maxRetries: 0 });
    await assert.rejects(bad.chat.completions.create({ model: 'gpt-4o-mini', messages }), (e) => e.status === 401);
  });

  test('models list names the offered models', async () => {
    const page = await client().models.list();
    const ids = page.data.map((m) => m.id);
    for (const id of ['gpt-4o-mini', 'claude-3-5-haiku', 'gemini-1.5-flash', 'grok-beta']) assert.ok(ids.includes(id), id);
  });

  test('a tiny balance under 40 concurrent requests: never negative, refusals are 429 and never reach the provider', async () => {
    const poor = await sys.newOrg('poor');
    const top = await sys.api('POST', '/api/balance/charge', { cookie: poor.cookie, body: { amount: 0.0001 } });
    assert.equal(top.status, 200);
    const countUpstream = async () => (await sys.mockRequests()).filter((r) => r.target === '/openai/v1/chat/completions').length;
    await fetch(`${sys.mockUrl}/_mock/reset`, { method: 'POST' });
    const results = await Promise.all(Array.from({ length: 40 }, () =>
      fetch(`${sys.gatewayUrl}/api/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${poor.apiKey}`, 'content-type': 'application/json', 'x-mock-latency-ms': '50' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5 }),
      }).then(async (r) => ({ status: r.status, retry: r.headers.get('x-should-retry'), body: await r.json() }))));
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status !== 200);
    assert.ok(ok.length >= 1, 'some requests fit the balance');
    assert.ok(refused.length >= 1, 'some requests were refused');
    for (const r of refused) {
      assert.equal(r.status, 429);
      assert.equal(r.retry, 'false');
      assert.equal(r.body.error.type, 'insufficient_quota');
      assert.equal(r.body.error.code, 'insufficient_quota');
    }
    assert.equal(await countUpstream(), ok.length, 'only granted requests reached the provider');
    let expected = 100_000n;
    for (const r of ok) expected -= charged('gpt-4o-mini', r.body.usage.prompt_tokens, r.body.usage.completion_tokens);
    const bal = await settledBalance(poor.cookie);
    assert.equal(BigInt(bal.json.balance_nano), expected);
    assert.ok(expected >= 0n);
    assert.equal(bal.json.held_nano, 0);
  });

  test('the operator keys appear in no log line and no table; the customer key never reaches a provider', async () => {
    const logs = sys.allOutput();
    const tables = sys.dumpTables();
    for (const key of Object.values(sys.operatorKeys)) {
      assert.ok(!logs.includes(key), 'operator key in a log');
      assert.ok(!tables.includes(key), 'operator key in a table');
    }
    assert.ok(!logs.includes(org.apiKey) && !tables.includes(org.apiKey));
    const reqs = await sys.mockRequests();
    assert.ok(!JSON.stringify(reqs).includes('llm_sk_'));
  });
});
