// Provider TLS end to end. Every real provider is HTTPS, and none is reachable here, so the mock
// provider serves HTTPS with a certificate from a CA it makes at start, and the gateway trusts
// that CA through OpenSSL's SSL_CERT_FILE (as an operator would a TLS proxy's CA). The gateway
// verifies the certificate and the host name exactly as it does for api.openai.com; the official
// SDKs talk to the gateway as always.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

import { System, eventually, readAnthropicStream } from './harness.mjs';

const CUSTOMER_KEY = 'sk-customer-TLS-3b91e0';
const messages = [{ role: 'user', content: 'Say hello over TLS please' }];

let sys;
let org;
const expected = new Map();  // request_id -> {provider, input, output, streaming}

before(async () => {
  sys = await System.start({ mockTls: true });
  assert.match(sys.mockUrl, /^https:\/\/localhost:\d+$/);
  org = await sys.newOrg('tls');
});
after(async () => { await sys?.stop(); });

const openai = () => new OpenAI({
  baseURL: `${sys.gatewayUrl}/api/v1/openai`,
  apiKey: CUSTOMER_KEY,
  defaultHeaders: { 'X-Monitor-Token': org.monitorToken },
  maxRetries: 0,
});

describe('the SDKs through the gateway to an HTTPS provider', () => {
  test('OpenAI: non-streaming', async () => {
    const { data, request_id } = await openai().chat.completions
      .create({ model: 'gpt-4o-mini', messages }).withResponse();
    assert.equal(data.object, 'chat.completion');
    assert.ok(data.choices[0].message.content.length > 0);
    expected.set(request_id, { provider: 'openai', input: data.usage.prompt_tokens,
      output: data.usage.completion_tokens, streaming: false });
  });

  test('OpenAI: streaming, relayed event by event over TLS', async () => {
    const { data: stream, request_id } = await openai().chat.completions
      .create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } })
      .withResponse();
    let text = '';
    let usage = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    assert.ok(text.length > 0);
    assert.ok(usage, 'usage chunk delivered');
    expected.set(request_id, { provider: 'openai', input: usage.prompt_tokens,
      output: usage.completion_tokens, streaming: true });
  });

  test('Anthropic: streaming messages', async () => {
    const client = new Anthropic({
      baseURL: `${sys.gatewayUrl}/api/v1/anthropic`,
      apiKey: CUSTOMER_KEY,
      defaultHeaders: { 'X-Monitor-Token': org.monitorToken },
      maxRetries: 0,
    });
    const { data: stream, request_id } = await client.messages.create({
      model: 'claude-3-5-haiku-20241022', max_tokens: 64, messages, stream: true,
    }).withResponse();
    const { input, output, text } = await readAnthropicStream(stream);
    assert.ok(text.length > 0 && input > 0 && output > 0);
    assert.ok(request_id);
    expected.set(request_id, { provider: 'anthropic', input, output, streaming: true });
  });

  test('metering records exactly the tokens the HTTPS provider reported', async () => {
    const rows = await eventually(async () => {
      const items = await sys.usageRows(org.cookie);
      return [...expected.keys()].every((id) => items.some((r) => r.request_id === id)) && items;
    }, { what: 'every TLS request in /api/usage' });
    for (const [id, exp] of expected) {
      const row = rows.find((r) => r.request_id === id);
      assert.equal(row.provider, exp.provider, id);
      assert.equal(row.input_tokens, exp.input, `${exp.provider} input tokens`);
      assert.equal(row.output_tokens, exp.output, `${exp.provider} output tokens`);
      assert.equal(row.is_streaming, exp.streaming);
      assert.equal(row.status_code, 200);
    }
  });

  test('the provider saw the customer key and never the monitor token', async () => {
    const seen = (await sys.mockRequests()).filter((r) => r.target.startsWith('/openai/'));
    assert.ok(seen.length >= 2);
    for (const r of seen) {
      assert.equal(r.headers.authorization, `Bearer ${CUSTOMER_KEY}`);
      assert.equal(r.headers['x-monitor-token'], undefined);
    }
  });
});

describe('a provider certificate the gateway does not trust', () => {
  test('is refused: 502 in the OpenAI error shape, and nothing reaches the provider', async () => {
    // The same gateway, trusting only the system's CAs: the mock's CA is not among them.
    await sys.stopService('gateway');
    delete sys.baseEnv.SSL_CERT_FILE;
    sys.startService('gateway');
    await eventually(async () => (await fetch(`${sys.gatewayUrl}/readyz`)).status === 200,
      { timeoutMs: 30000, what: 'gateway /readyz after restart' });
    const before = (await sys.mockRequests()).length;

    const err = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages })
      .then(() => null, (e) => e);
    assert.ok(err instanceof OpenAI.APIError, `expected an API error, got ${err}`);
    assert.equal(err.status, 502);
    assert.equal(err.error?.code, 'upstream_unavailable');
    assert.equal((await sys.mockRequests()).length, before, 'no request after a failed handshake');
    assert.match(sys.services.gateway.output, /TLS handshake/);
  });
});
