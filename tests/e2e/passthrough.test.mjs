// Pass-through monitoring end to end: the official OpenAI and Anthropic SDKs, with only base URL
// and X-Monitor-Token changed, through the real gateway to the mock provider; metering records
// exactly the tokens the provider reported, and secrets reach no log line and no table.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

import { System, eventually, readAnthropicStream } from './harness.mjs';

// nano-USD per token (price per 1M tokens / 1M) of the seeded price book.
const PRICE = {
  'gpt-4o-mini': [150, 600],
  'gemini-1.5-flash': [75, 300],
  'grok-beta': [5000, 15000],
  'claude-3-5-haiku-20241022': [800, 4000],
};
const cost = (model, input, output) => PRICE[model][0] * input + PRICE[model][1] * output;

const CUSTOMER_KEY = 'sk-customer-DISTINCTIVE-7f3a9c';

let sys;
let org;
const expected = new Map();  // request_id -> {provider, model, input, output, streaming}

before(async () => {
  sys = await System.start();
  org = await sys.newOrg('passthrough');
});
after(async () => { await sys?.stop(); });

function openaiClient(provider) {
  return new OpenAI({
    baseURL: `${sys.gatewayUrl}/api/v1/${provider}`,
    apiKey: CUSTOMER_KEY,
    defaultHeaders: { 'X-Monitor-Token': org.monitorToken },
    maxRetries: 0,
  });
}

function anthropicClient() {
  return new Anthropic({
    baseURL: `${sys.gatewayUrl}/api/v1/anthropic`,
    apiKey: CUSTOMER_KEY,
    defaultHeaders: { 'X-Monitor-Token': org.monitorToken },
    maxRetries: 0,
  });
}

const OPENAI_STYLE = [['openai', 'gpt-4o-mini'], ['google', 'gemini-1.5-flash'], ['xai', 'grok-beta']];
const messages = [{ role: 'user', content: 'Say hello to the gateway please' }];

describe('OpenAI SDK through the gateway', () => {
  for (const [provider, model] of OPENAI_STYLE) {
    test(`${provider}: non-streaming chat completion`, async () => {
      const { data, request_id } = await openaiClient(provider).chat.completions
        .create({ model, messages }).withResponse();
      assert.ok(request_id, 'x-request-id is set');
      assert.equal(data.object, 'chat.completion');
      assert.ok(data.choices[0].message.content.length > 0);
      assert.ok(data.usage.prompt_tokens > 0 && data.usage.completion_tokens > 0);
      const reasoning = provider === 'xai' ? (data.usage.completion_tokens_details?.reasoning_tokens ?? 0) : 0;
      expected.set(request_id, { provider, model, input: data.usage.prompt_tokens,
        output: data.usage.completion_tokens + reasoning, streaming: false });
    });

    test(`${provider}: streaming without include_usage hides the injected usage chunk`, async () => {
      const client = openaiClient(provider);
      // The same request non-streamed tells the usage the provider reports for it.
      const plain = await client.chat.completions.create({ model, messages });
      const { data: stream, request_id } = await client.chat.completions
        .create({ model, messages, stream: true }).withResponse();
      let text = '';
      let usageOnlyChunks = 0;
      let chunks = 0;
      for await (const chunk of stream) {
        chunks++;
        if (chunk.choices.length === 0) usageOnlyChunks++;
        text += chunk.choices[0]?.delta?.content ?? '';
      }
      assert.ok(chunks >= 2);
      assert.equal(usageOnlyChunks, 0, 'the client did not ask for usage and must not get the chunk');
      assert.equal(text, plain.choices[0].message.content);
      const reasoning = provider === 'xai' ? (plain.usage.completion_tokens_details?.reasoning_tokens ?? 0) : 0;
      expected.set(request_id, { provider, model, input: plain.usage.prompt_tokens,
        output: plain.usage.completion_tokens + reasoning, streaming: true });
    });

    test(`${provider}: streaming with include_usage passes the usage chunk through`, async () => {
      const { data: stream, request_id } = await openaiClient(provider).chat.completions
        .create({ model, messages, stream: true, stream_options: { include_usage: true } }).withResponse();
      let usage = null;
      for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
      assert.ok(usage, 'usage chunk delivered');
      const reasoning = provider === 'xai' ? (usage.completion_tokens_details?.reasoning_tokens ?? 0) : 0;
      expected.set(request_id, { provider, model, input: usage.prompt_tokens,
        output: usage.completion_tokens + reasoning, streaming: true });
    });
  }

  test('openai: embeddings (base64, the SDK default)', async () => {
    const { data, request_id } = await openaiClient('openai').embeddings
      .create({ model: 'text-embedding-3-small', input: 'hello there' }).withResponse();
    assert.equal(data.data.length, 1);
    assert.ok(data.data[0].embedding.length > 0);
    assert.ok(request_id);
  });

  test('openai: models list', async () => {
    const page = await openaiClient('openai').models.list();
    assert.ok(page.data.length > 0);
    assert.equal(page.data[0].object, 'model');
  });
});

describe('Anthropic SDK through the gateway', () => {
  const model = 'claude-3-5-haiku-20241022';
  test('non-streaming message', async () => {
    const { data, request_id } = await anthropicClient().messages
      .create({ model, max_tokens: 64, messages }).withResponse();
    assert.ok(request_id, 'request-id is set');
    assert.equal(data.type, 'message');
    assert.equal(data.content[0].type, 'text');
    expected.set(request_id, { provider: 'anthropic', model, input: data.usage.input_tokens,
      output: data.usage.output_tokens, streaming: false });
  });

  test('streaming message: usage from message_start and the last message_delta', async () => {
    const { data: stream, request_id } = await anthropicClient().messages
      .create({ model, max_tokens: 64, messages, stream: true }).withResponse();
    const { input, output, text } = await readAnthropicStream(stream);
    assert.ok(text.length > 0 && input > 0 && output > 0);
    expected.set(request_id, { provider: 'anthropic', model, input, output, streaming: true });
  });

  test('the SDK path /v1/messages and the short /messages both work (curl seed scenario)', async () => {
    const res = await fetch(`${sys.gatewayUrl}/api/v1/anthropic/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': CUSTOMER_KEY,
                 'anthropic-version': '2023-06-01', 'X-Monitor-Token': org.monitorToken },
      body: JSON.stringify({ model, max_tokens: 1024, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    const rid = res.headers.get('request-id');
    assert.ok(rid);
    expected.set(rid, { provider: 'anthropic', model, input: body.usage.input_tokens,
      output: body.usage.output_tokens, streaming: false });
  });
});

describe('errors in the surface shape', () => {
  test('missing monitor token → 401 OpenAI shape; SDK raises AuthenticationError', async () => {
    const client = new OpenAI({ baseURL: `${sys.gatewayUrl}/api/v1/openai`, apiKey: CUSTOMER_KEY, maxRetries: 0 });
    await assert.rejects(client.chat.completions.create({ model: 'gpt-4o-mini', messages }),
      (e) => e.status === 401 && e.error?.code === 'invalid_api_key' && e instanceof OpenAI.AuthenticationError);
  });

  test('invalid monitor token → 401 Anthropic shape', async () => {
    const client = new Anthropic({ baseURL: `${sys.gatewayUrl}/api/v1/anthropic`, apiKey: CUSTOMER_KEY,
      defaultHeaders: { 'X-Monitor-Token': 'mon_sk_notavalidtokennotavalidtokennotavalidtok' }, maxRetries: 0 });
    await assert.rejects(client.messages.create({ model: 'claude-3-5-haiku-20241022', max_tokens: 8, messages }),
      (e) => e.status === 401 && e.error?.type === 'error' && e.error?.error?.type === 'authentication_error');
  });

  test('an upstream error is relayed and recorded with zero tokens', async () => {
    const client = openaiClient('openai');
    const err = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages }, { headers: { 'x-mock-status': '429' } })
      .catch((e) => e);
    assert.equal(err.status, 429);
    assert.ok(err.requestID);
    expected.set(err.requestID, { provider: 'openai', model: 'gpt-4o-mini', input: 0, output: 0,
      streaming: false, status: 429 });
  });
});

describe('metering', () => {
  test('records exactly the tokens the provider reported, with the estimated cost', async () => {
    const rows = await eventually(async () => {
      const items = await sys.usageRows(org.cookie);
      const ids = new Set(items.map((r) => r.request_id));
      return [...expected.keys()].every((id) => ids.has(id)) && items;
    }, { what: 'every request in /api/usage' });
    for (const [id, exp] of expected) {
      const matching = rows.filter((r) => r.request_id === id);
      assert.equal(matching.length, 1, `exactly one usage row for ${id}`);
      const row = matching[0];
      assert.equal(row.mode, 'passthrough');
      assert.equal(row.provider, exp.provider, id);
      assert.equal(row.model, exp.model, id);
      assert.equal(row.input_tokens, exp.input, `${exp.provider} input tokens`);
      assert.equal(row.output_tokens, exp.output, `${exp.provider} output tokens`);
      assert.equal(row.cost_nano, cost(exp.model, exp.input, exp.output), `${exp.provider} cost`);
      assert.equal(row.is_streaming, exp.streaming);
      assert.equal(row.status_code, exp.status ?? 200);
    }
  });

  test('a stopped-then-restarted metering loses no event', async () => {
    await sys.stopService('metering');
    const client = openaiClient('openai');
    const ids = [];
    for (let i = 0; i < 5; i++) {
      const { request_id } = await client.chat.completions.create({ model: 'gpt-4o-mini', messages }).withResponse();
      ids.push(request_id);
    }
    sys.startService('metering');
    const rows = await eventually(async () => {
      const items = await sys.usageRows(org.cookie);
      return ids.every((id) => items.some((r) => r.request_id === id)) && items;
    }, { timeoutMs: 30000, what: 'spooled events replayed after metering restarts' });
    for (const id of ids) assert.equal(rows.filter((r) => r.request_id === id).length, 1);
  });
});

describe('secrets', () => {
  test('the monitor token never reaches the provider; the customer key does, untouched', async () => {
    const reqs = await sys.mockRequests();
    assert.ok(reqs.length > 0);
    for (const r of reqs) {
      if (r.target.startsWith('/_mock')) continue;
      assert.equal(r.headers['x-monitor-token'], undefined);
      assert.ok(!JSON.stringify(r).includes(org.monitorToken), 'monitor token leaked upstream');
    }
    assert.ok(reqs.some((r) => r.headers.authorization === `Bearer ${CUSTOMER_KEY}`));
    assert.ok(reqs.some((r) => r.headers['x-api-key'] === CUSTOMER_KEY));
  });

  test('the provider key and the monitor token appear in no log line and no table', async () => {
    const logs = sys.allOutput();
    assert.ok(logs.length > 0);
    assert.ok(!logs.includes(CUSTOMER_KEY), 'customer provider key in a log');
    assert.ok(!logs.includes(org.monitorToken), 'monitor token in a log');
    const tables = sys.dumpTables();
    assert.ok(tables.includes(org.org.id), 'the dump has the org rows');
    assert.ok(!tables.includes(CUSTOMER_KEY), 'customer provider key in a table');
    assert.ok(!tables.includes(org.monitorToken), 'monitor token in a table');
    assert.ok(!tables.includes('password123'), 'password in a table');
  });
});
