// Every SDK's native API: on the reseller endpoint the official Anthropic SDK (baseURL …/api, the
// llm_sk_ key) against Claude (forwarded natively) and GPT, Gemini and Grok (translated from and to
// Chat Completions), non-streamed and streamed with its stream helper, tool use included; in
// pass-through Google's own SDK (@google/genai) on Gemini's native API with the customer's key.
// Text and tokens as the provider reported them, costs and charges exact, the right key upstream.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText } from 'ai';
import OpenAI from 'openai';

import { System, eventually } from './harness.mjs';

// nano-USD per token [input, cached input, output] (USD per 1M tokens x 1000, by hand).
const PRICE = {
  'claude-sonnet-4-6': [3000, 300, 15000],
  'gpt-5-mini': [250, 25, 2000],
  'gemini-2.5-flash': [300, 30, 2500],
  'grok-4': [3000, 750, 15000],
};
const MARGIN = 20n;
const charged = (c) => c + (c * MARGIN * 2n + 100n) / 200n;

let sys;
let org;
let spent = 0n;

before(async () => {
  sys = await System.start();
  org = await sys.newOrg('surfaces');
  const topup = await sys.api('POST', '/api/balance/charge', { cookie: org.cookie, body: { amount: 20 } });
  assert.equal(topup.status, 200, topup.text);
});
after(async () => { await sys?.stop(); });

const anthropic = (opts = {}) => new Anthropic({
  baseURL: `${sys.gatewayUrl}/api`, apiKey: org.apiKey, maxRetries: 0, ...opts });
const messages = [{ role: 'user', content: 'Say hello to the messages surface' }];

async function usageRow(requestId) {
  return eventually(async () => (await sys.usageRows(org.cookie)).find((r) => r.request_id === requestId),
    { what: `usage row ${requestId}` });
}

// Anthropic usage: input_tokens excludes the cache reads.
function cost(model, u) {
  const [i, c, o] = PRICE[model];
  return BigInt(u.input_tokens * i + (u.cache_read_input_tokens ?? 0) * c + u.output_tokens * o);
}

describe('Anthropic SDK on /api/v1/messages', () => {
  for (const model of Object.keys(PRICE)) {
    test(`${model}: messages.create`, async () => {
      const { data, response } = await anthropic().messages
        .create({ model, max_tokens: 64, system: 'Be brief.', messages }).withResponse();
      assert.equal(data.type, 'message');
      assert.equal(data.role, 'assistant');
      assert.equal(data.stop_reason, 'end_turn');
      assert.ok(data.content[0].text.length > 0);
      assert.ok(data.usage.input_tokens > 0 && data.usage.output_tokens > 0);
      const row = await usageRow(response.headers.get('request-id'));
      assert.equal(row.mode, 'reseller');
      assert.equal(row.input_tokens, data.usage.input_tokens + (data.usage.cache_read_input_tokens ?? 0));
      assert.equal(row.output_tokens, data.usage.output_tokens);
      assert.equal(BigInt(row.provider_cost_nano), cost(model, data.usage));
      assert.equal(BigInt(row.cost_nano), charged(cost(model, data.usage)));
      spent += charged(cost(model, data.usage));
    });

    test(`${model}: messages.stream, the SDK's stream helper`, async () => {
      const stream = anthropic().messages.stream({ model, max_tokens: 64, messages });
      const seen = [];
      let text = '';
      stream.on('streamEvent', (e) => seen.push(e.type));
      stream.on('text', (t) => { text += t; });
      const final = await stream.finalMessage();
      assert.ok(text.length > 0);
      assert.equal(final.content[0].text, text);
      assert.equal(final.stop_reason, 'end_turn');
      assert.equal(seen[0], 'message_start');
      assert.equal(seen.at(-1), 'message_stop');
      assert.ok(seen.includes('content_block_delta') && seen.includes('message_delta'));
      assert.ok(final.usage.output_tokens > 0);
      const { response } = await stream.withResponse();
      const row = await usageRow(response.headers.get('request-id'));
      assert.equal(row.is_streaming, true);
      assert.equal(row.output_tokens, final.usage.output_tokens);
      if (model !== 'claude-sonnet-4-6') {
        // Translated: the input arrives at the end, in message_delta (message_start says 0).
        assert.equal(row.input_tokens, final.usage.input_tokens + (final.usage.cache_read_input_tokens ?? 0));
      }
      const c = BigInt(row.provider_cost_nano);
      assert.equal(BigInt(row.cost_nano), charged(c));
      spent += charged(c);
    });
  }

  for (const model of ['claude-sonnet-4-6', 'gpt-5-mini']) {
    test(`${model}: tool use round trip`, async () => {
      const tools = [{ name: 'get_weather', description: 'Weather in a city',
        input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }];
      const first = await anthropic().messages.create({
        model, max_tokens: 64, tools, tool_choice: { type: 'any' },
        messages: [{ role: 'user', content: 'Weather in Paris?' }] });
      assert.equal(first.stop_reason, 'tool_use');
      const call = first.content.find((b) => b.type === 'tool_use');
      assert.equal(call.name, 'get_weather');
      assert.equal(typeof call.input, 'object');
      const second = await anthropic().messages.create({
        model, max_tokens: 64, tools,
        messages: [{ role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'sunny 21C' }] }] });
      assert.equal(second.stop_reason, 'end_turn');
      assert.match(second.content[0].text, /sunny 21C/);
      spent += charged(cost(model, first.usage)) + charged(cost(model, second.usage));
    });
  }

  test('count_tokens for Claude', async () => {
    const r = await anthropic().messages.countTokens({ model: 'claude-sonnet-4-6', messages });
    assert.ok(r.input_tokens > 0);
  });

  test('errors come in Anthropic\'s shape: unknown model 404, bad key 401, no max_tokens 400', async () => {
    await assert.rejects(anthropic().messages.create({ model: 'claude-imaginary', max_tokens: 5, messages }),
      (e) => e.status === 404 && e.error?.type === 'error' && e.error?.error?.type === 'not_found_error');
    const bad = new Anthropic({ baseURL: `${sys.gatewayUrl}/api`, apiKey: 'llm_sk_nope', maxRetries: 0 });
    await assert.rejects(bad.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 5, messages }),
      (e) => e.status === 401 && e.error?.error?.type === 'authentication_error');
    const res = await fetch(`${sys.gatewayUrl}/api/v1/messages`, {
      method: 'POST', headers: { 'x-api-key': org.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', messages }) });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(),
      { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } });
  });

  test('the operator key went upstream, the customer key never; balance exact', async () => {
    const reqs = await sys.mockRequests();
    const toAnthropic = reqs.filter((r) => r.target === '/anthropic/v1/messages');
    assert.ok(toAnthropic.length > 0);
    assert.ok(toAnthropic.every((r) => r.headers['x-api-key'] === sys.operatorKeys.anthropic));
    assert.ok(!JSON.stringify(reqs).includes(org.apiKey));
    const bal = await eventually(async () => {
      const b = await sys.api('GET', '/api/balance', { cookie: org.cookie });
      return b.status === 200 && b.json.held_nano === 0 && b;
    }, { what: 'every hold settled' });
    assert.equal(BigInt(bal.json.balance_nano), 20_000_000_000n - spent);
  });
});

describe('@google/genai on Gemini\'s native API, pass-through', () => {
  const CUSTOMER_KEY = 'AIza-customer-native-31f9';
  const genai = () => new GoogleGenAI({
    apiKey: CUSTOMER_KEY,
    httpOptions: { baseUrl: `${sys.gatewayUrl}/api/v1/google`, headers: { 'X-Monitor-Token': org.monitorToken } },
  });
  // gemini-2.5-flash: $0.30 in, $0.03 cached, $2.50 out (thoughts are output).
  const geminiCost = (u) => BigInt((u.promptTokenCount - (u.cachedContentTokenCount ?? 0)) * 300 +
    (u.cachedContentTokenCount ?? 0) * 30 + (u.candidatesTokenCount + (u.thoughtsTokenCount ?? 0)) * 2500);
  const latestRow = async (after) => eventually(async () => {
    const rows = (await sys.usageRows(org.cookie)).filter((r) => r.mode === 'passthrough' && !after.has(r.request_id));
    return rows.length === 1 && rows[0];
  }, { what: 'the pass-through usage row' });
  const seenIds = async () => new Set((await sys.usageRows(org.cookie)).map((r) => r.request_id));

  test('generateContent: text, tokens with thoughts and cache, cost exact; the customer key upstream', async () => {
    const before = await seenIds();
    const res = await genai().models.generateContent({
      model: 'gemini-2.5-flash', contents: 'Say hello to the native API',
      config: { systemInstruction: 'Be brief.', httpOptions: { headers: {
        'x-mock-thoughts-tokens': '9', 'x-mock-cached-tokens': '2' } } } });
    assert.match(res.text, /^mock0 mock1/);
    const u = res.usageMetadata;
    assert.equal(u.thoughtsTokenCount, 9);
    assert.equal(u.cachedContentTokenCount, 2);
    const row = await latestRow(before);
    assert.equal(row.provider, 'google');
    assert.equal(row.model, 'gemini-2.5-flash');
    assert.equal(row.input_tokens, u.promptTokenCount);
    assert.equal(row.cached_input_tokens, 2);
    assert.equal(row.output_tokens, u.candidatesTokenCount + 9);
    assert.equal(row.reasoning_tokens, 9);
    assert.equal(BigInt(row.cost_nano), geminiCost(u));
    const reqs = await sys.mockRequests();
    const native = reqs.filter((r) => r.target.startsWith('/google/v1beta/models/gemini-2.5-flash:generateContent'));
    assert.equal(native.length, 1);
    assert.equal(native[0].headers['x-goog-api-key'], CUSTOMER_KEY);
    assert.ok(!('x-monitor-token' in native[0].headers), 'the monitor token never goes upstream');
  });

  test('generateContentStream: streamed text, the last usage wins, cost exact', async () => {
    const before = await seenIds();
    const stream = await genai().models.generateContentStream({
      model: 'gemini-2.5-flash', contents: 'Stream to me',
      config: { httpOptions: { headers: { 'x-mock-chunks': '4' } } } });
    let text = '';
    let last = null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      text += chunk.text ?? '';
      last = chunk.usageMetadata ?? last;
    }
    assert.equal(chunks, 4);
    assert.match(text, /^mock0 mock1 .* mock11$/);
    const row = await latestRow(before);
    assert.equal(row.is_streaming, true);
    assert.equal(row.output_tokens, last.candidatesTokenCount);
    assert.equal(row.output_tokens, 12, 'cumulative: the last chunk, not a sum');
    assert.equal(BigInt(row.cost_nano), geminiCost(last));
  });

  test('countTokens goes through; the OpenAI-compatible route still works beside it', async () => {
    const r = await genai().models.countTokens({ model: 'gemini-2.5-flash', contents: 'one two three' });
    assert.equal(r.totalTokens, 7);
    const res = await fetch(`${sys.gatewayUrl}/api/v1/google/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CUSTOMER_KEY}`, 'x-monitor-token': org.monitorToken,
                 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gemini-2.5-flash', messages }) });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).object, 'chat.completion');
  });
});

describe('OpenAI SDK responses.create on /api/v1/responses', () => {
  const openai = () => new OpenAI({ baseURL: `${sys.gatewayUrl}/api/v1`, apiKey: org.apiKey, maxRetries: 0 });
  // Responses usage: input_tokens includes the cached ones.
  const responsesCost = (model, u) => {
    const [i, c, o] = PRICE[model];
    const cached = u.input_tokens_details?.cached_tokens ?? 0;
    return BigInt((u.input_tokens - cached) * i + cached * c + u.output_tokens * o);
  };

  for (const model of Object.keys(PRICE)) {
    test(`${model}: responses.create, output_text and usage, charged exactly`, async () => {
      const { data, response } = await openai().responses
        .create({ model, instructions: 'Be brief.', input: 'Say hello to the responses API', max_output_tokens: 64 })
        .withResponse();
      assert.equal(data.object, 'response');
      assert.equal(data.status, 'completed');
      assert.match(data.output_text, /^mock0 mock1/);
      assert.ok(data.usage.input_tokens > 0 && data.usage.output_tokens > 0);
      const row = await usageRow(response.headers.get('x-request-id'));
      assert.equal(row.input_tokens, data.usage.input_tokens);
      assert.equal(row.output_tokens, data.usage.output_tokens);
      assert.equal(BigInt(row.provider_cost_nano), responsesCost(model, data.usage));
      assert.equal(BigInt(row.cost_nano), charged(responsesCost(model, data.usage)));
      spent += charged(responsesCost(model, data.usage));
    });

    test(`${model}: responses.create streamed, events in order, usage in response.completed`, async () => {
      const { data: stream, response } = await openai().responses
        .create({ model, input: [{ role: 'user', content: 'Stream it' }], stream: true }).withResponse();
      const types = [];
      let text = '';
      let completed = null;
      let lastSeq = -1;
      for await (const ev of stream) {
        types.push(ev.type);
        assert.ok(ev.sequence_number > lastSeq, 'sequence numbers rise');
        lastSeq = ev.sequence_number;
        if (ev.type === 'response.output_text.delta') text += ev.delta;
        if (ev.type === 'response.completed') completed = ev.response;
      }
      assert.equal(types[0], 'response.created');
      assert.ok(types.indexOf('response.output_item.added') < types.indexOf('response.output_text.delta'));
      assert.equal(types.at(-1), 'response.completed');
      assert.match(text, /^mock0 mock1/);
      assert.equal(completed.output[0].content[0].text, text);
      const row = await usageRow(response.headers.get('x-request-id'));
      assert.equal(row.is_streaming, true);
      assert.equal(row.output_tokens, completed.usage.output_tokens);
      assert.equal(BigInt(row.cost_nano), charged(responsesCost(model, completed.usage)));
      spent += charged(responsesCost(model, completed.usage));
    });
  }

  test('function calls via Claude: function_call out, function_call_output back', async () => {
    const tools = [{ type: 'function', name: 'get_weather', description: 'Weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }];
    const first = await openai().responses.create({ model: 'claude-sonnet-4-6', input: 'Weather in Rome?',
      tools, tool_choice: 'required' });
    const call = first.output.find((i) => i.type === 'function_call');
    assert.equal(call.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.arguments), { city: 'mock' });
    const second = await openai().responses.create({ model: 'claude-sonnet-4-6', tools, input: [
      { role: 'user', content: 'Weather in Rome?' }, call,
      { type: 'function_call_output', call_id: call.call_id, output: 'cloudy 18C' }] });
    assert.match(second.output_text, /cloudy 18C/);
    spent += charged(responsesCost('claude-sonnet-4-6', first.usage)) +
      charged(responsesCost('claude-sonnet-4-6', second.usage));
  });

  test('stateful requests are refused with 400 before anything is held', async () => {
    for (const extra of [{ previous_response_id: 'resp_1' }, { store: true }]) {
      await assert.rejects(openai().responses.create({ model: 'gpt-5-mini', input: 'hi', ...extra }),
        (e) => e.status === 400 && /not supported/.test(e.error?.message));
    }
  });

  test('embeddings.create (OpenAI and Gemini embedding models), billed for their input', async () => {
    for (const [model, perToken] of [['text-embedding-3-small', 20], ['gemini-embedding-001', 150]]) {
      const { data, response } = await openai().embeddings
        .create({ model, input: ['one two three', 'four five'] }).withResponse();
      assert.equal(data.data.length, 2);
      assert.equal(data.data[0].embedding.length, 8);  // the mock's dimension, decoded by the SDK
      assert.equal(data.usage.prompt_tokens, 5);
      const row = await usageRow(response.headers.get('x-request-id'));
      assert.equal(row.input_tokens, 5);
      assert.equal(BigInt(row.provider_cost_nano), BigInt(5 * perToken));
      assert.equal(BigInt(row.cost_nano), charged(BigInt(5 * perToken)));
      spent += charged(BigInt(5 * perToken));
    }
    await assert.rejects(openai().embeddings.create({ model: 'gpt-5-mini', input: 'x' }),
      (e) => e.status === 404 && e.error?.code === 'model_not_found');
  });

  test('the Vercel AI SDK: openai(model) calls /responses, generateText and streamText, any provider', async () => {
    const llmgw = createOpenAI({ apiKey: org.apiKey, baseURL: `${sys.gatewayUrl}/api/v1` });
    const before = (await sys.mockRequests()).length;
    for (const model of ['gpt-5-mini', 'claude-sonnet-4-6']) {
      const { text, usage } = await generateText({ model: llmgw(model), prompt: 'Hello from the AI SDK', maxRetries: 0 });
      assert.match(text, /^mock0 mock1/);
      assert.ok(usage.inputTokens > 0 && usage.outputTokens > 0);
      spent += charged(responsesCost(model, { input_tokens: usage.inputTokens,
        input_tokens_details: { cached_tokens: usage.inputTokenDetails?.cacheReadTokens ?? usage.cachedInputTokens ?? 0 },
        output_tokens: usage.outputTokens }));
    }
    const streamed = streamText({ model: llmgw('gemini-2.5-flash'), prompt: 'Stream it', maxRetries: 0 });
    let text = '';
    for await (const delta of streamed.textStream) text += delta;
    assert.match(text, /^mock0 mock1/);
    const usage = await streamed.usage;
    spent += charged(responsesCost('gemini-2.5-flash', { input_tokens: usage.inputTokens,
      input_tokens_details: { cached_tokens: 0 }, output_tokens: usage.outputTokens }));
    const upstream = (await sys.mockRequests()).slice(before).map((r) => r.target);
    assert.ok(upstream.includes('/openai/v1/responses'), 'gpt-5-mini went to OpenAI natively on /responses');
    assert.ok(upstream.includes('/anthropic/v1/messages'), 'claude-sonnet-4-6 was translated');
  });

  test('balance = top-up − exactly every charge; nothing held', async () => {
    const bal = await eventually(async () => {
      const b = await sys.api('GET', '/api/balance', { cookie: org.cookie });
      return b.status === 200 && b.json.held_nano === 0 && b;
    }, { what: 'every hold settled' });
    assert.equal(BigInt(bal.json.balance_nano), 20_000_000_000n - spent);
  });
});
