// Alerts end to end, through the real binaries (issue 17): rules created in the management API,
// evaluated by metering every second (LLMGW_ALERT_INTERVAL_SECONDS=1), delivered to a local
// webhook receiver (node http; every body's x-llmgw-signature checked against the rule's signing
// secret) and to a local SMTP sink (npm smtp-server) over libcurl. A low balance fires once (not
// once per request or per evaluation) on both channels; a provider failing most requests fires
// the error-rate rule; a receiver that is down gets the alert once it is back, exactly once; and
// bad rules answer 400 with the reason. The signing secrets are in no log and no table.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import { after, before, test } from 'node:test';

import { SMTPServer } from 'smtp-server';

import { System, eventually, freePort, sleep } from './harness.mjs';

const SECRET_KEY = randomBytes(32).toString('base64');

let sys;
let smtp;
let smtpPort;
const mails = [];    // {from, to, text}
const secrets = [];  // every signing secret handed out

// A webhook receiver on `port` that keeps every delivery and answers 200.
function startReceiver(port) {
  const received = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      received.push({ headers: req.headers, body, json: JSON.parse(body) });
      res.writeHead(200).end('ok');
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({
    received,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  })));
}

function verifySignature(delivery, secret) {
  const expected = 'sha256=' + createHmac('sha256', secret).update(delivery.body).digest('hex');
  assert.equal(delivery.headers['x-llmgw-signature'], expected, 'the HMAC-SHA256 signature of the body');
}

async function createAlert(cookie, body) {
  const r = await sys.api('POST', '/api/alerts', { cookie, body });
  assert.equal(r.status, 201, r.text);
  if (r.json.signing_secret) secrets.push(r.json.signing_secret);
  return r.json;
}

async function alertRow(cookie, id) {
  const r = await sys.api('GET', '/api/alerts', { cookie });
  assert.equal(r.status, 200, r.text);
  return r.json.alerts.find((a) => a.id === id);
}

before(async () => {
  smtpPort = await freePort();
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],  // libcurl would use it (CURLUSESSL_TRY); this sink has no certificate
    logger: false,
    onData(stream, session, callback) {
      let text = '';
      stream.on('data', (d) => { text += d; });
      stream.on('end', () => {
        mails.push({ from: session.envelope.mailFrom.address,
                     to: session.envelope.rcptTo.map((r) => r.address), text });
        callback();
      });
    },
  });
  await new Promise((resolve) => smtp.listen(smtpPort, '127.0.0.1', resolve));
  sys = await System.start({
    env: {
      LLMGW_SECRET_KEY: SECRET_KEY,
      LLMGW_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      LLMGW_SMTP_FROM: 'alerts@llmgw.test',
      LLMGW_ALERT_INTERVAL_SECONDS: '1',
      // The receivers listen on 127.0.0.1: allowed here, refused by default.
      LLMGW_ALERT_ALLOW_PRIVATE_TARGETS: 'true',
    },
  });
});

after(async () => {
  if (sys) {
    const out = sys.allOutput();
    const tables = sys.dumpTables();
    for (const s of secrets) {
      assert.ok(!out.includes(s), 'a signing secret reached a log');
      assert.ok(!tables.includes(s), 'a signing secret reached a table');
    }
    await sys.stop();
  }
  if (smtp) await new Promise((r) => smtp.close(r));
});

test('a balance below the threshold fires once, to the webhook and by e-mail', async () => {
  const port = await freePort();
  const receiver = await startReceiver(port);
  try {
    const org = await sys.newOrg('balance');
    assert.equal((await sys.api('POST', '/api/balance/charge', { cookie: org.cookie, body: { amount: 1 } })).status, 200);
    const hook = await createAlert(org.cookie, {
      kind: 'balance', threshold: 5, channel: 'webhook', target: `http://127.0.0.1:${port}/hooks/llmgw?x=1` });
    assert.match(hook.signing_secret, /^whsec_[0-9A-Za-z]{43}$/);
    assert.equal(hook.kind, 'balance');
    assert.equal(hook.threshold, 5);
    assert.equal(hook.channel, 'webhook');
    // The URL is a credential: shown and stored only as scheme and host.
    assert.equal(hook.target, `http://127.0.0.1:${port}/…`);
    assert.ok(!sys.dumpTables().includes('/hooks/llmgw'), 'the webhook path is in no table');
    assert.equal(hook.last_fired_at, null);
    assert.equal(hook.last_delivery, null);
    const mail = await createAlert(org.cookie, {
      kind: 'balance', threshold: 2.5, channel: 'email', target: 'ops@example.com' });
    assert.equal(mail.signing_secret, undefined);
    assert.equal(mail.threshold_nano, 2500000000);
    // Requests while the balance is low: none of them is an alert of its own.
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${sys.gatewayUrl}/api/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${org.apiKey}` },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `hi ${i}` }] }),
      });
      assert.equal(r.status, 200);
    }
    const mine = () => receiver.received.filter((d) => d.json.alert.id === hook.id);
    await eventually(async () => mine().length === 1 &&
      (await alertRow(org.cookie, mail.id))?.last_delivery?.status === 'delivered',
    { what: 'the webhook and the e-mail' });
    await sleep(3500);  // three evaluations more at least
    assert.equal(mine().length, 1, 'one webhook call, not one per request or evaluation');
    const toOps = mails.filter((m) => m.to.includes('ops@example.com'));
    assert.equal(toOps.length, 1, 'one e-mail');

    const d = mine()[0];
    verifySignature(d, hook.signing_secret);
    assert.equal(d.headers['content-type'], 'application/json');
    assert.match(d.json.text, /^llmgw: the balance is \$[01]\.\d\d, below the alert's \$5\.00$/);
    assert.equal(d.json.alert.kind, 'balance');
    assert.equal(d.json.alert.threshold, '5');
    assert.equal(d.json.alert.organization_id, org.org.id);
    assert.equal(d.json.alert.period_key, 'balance:0');
    assert.ok(d.json.alert.facts.balance_nano < 5e9);

    assert.equal(toOps[0].from, 'alerts@llmgw.test');
    assert.match(toOps[0].text, /Subject: \[llmgw\] balance alert/);
    assert.match(toOps[0].text, /llmgw: the balance is \$[01]\.\d\d, below the alert's \$2\.50/);
    for (const id of [hook.id, mail.id]) {
      const row = await alertRow(org.cookie, id);
      assert.equal(row.last_delivery.status, 'delivered');
      assert.equal(row.last_delivery.attempts, 1);
      assert.ok(row.last_fired_at);
    }
    // Back above the threshold: nothing more (the next fall below would be a new period).
    assert.equal((await sys.api('POST', '/api/balance/charge', { cookie: org.cookie, body: { amount: 10 } })).status, 200);
    await sleep(2500);
    assert.equal(mine().length, 1);
    assert.equal(mails.filter((m) => m.to.includes('ops@example.com')).length, 1);
  } finally {
    await receiver.close();
  }
});

test('a provider failing most requests fires the error-rate rule', async () => {
  const port = await freePort();
  const receiver = await startReceiver(port);
  try {
    const org = await sys.newOrg('errors');
    const hook = await createAlert(org.cookie, {
      kind: 'error_rate', threshold: 50, channel: 'webhook', target: `http://127.0.0.1:${port}/` });
    const pass = (status) => fetch(`${sys.gatewayUrl}/api/v1/openai/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-customer',
                 'x-monitor-token': org.monitorToken, ...(status ? { 'x-mock-status': String(status) } : {}) },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    // Nine requests, all failing: under the 10-request minimum, nothing fires.
    for (let i = 0; i < 9; i++) assert.equal((await pass(503)).status, 503);
    await sleep(2500);
    assert.equal(receiver.received.length, 0);
    // 3 more, one fine: 11 of 12 failed (> 50 %).
    assert.equal((await pass(500)).status, 500);
    assert.equal((await pass(429)).status, 429);
    assert.equal((await pass()).status, 200);
    await eventually(() => receiver.received.length >= 1, { what: 'the error-rate alert' });
    await sleep(2500);
    assert.equal(receiver.received.length, 1, 'once per provider and hour');
    const d = receiver.received[0];
    verifySignature(d, hook.signing_secret);
    assert.equal(d.json.alert.kind, 'error_rate');
    assert.equal(d.json.alert.facts.provider, 'openai');
    assert.equal(d.json.alert.facts.requests, 12);
    assert.equal(d.json.alert.facts.errors, 11);
    assert.match(d.json.text, /^llmgw: openai failed 11 of 12 requests in the last 5 minutes \(91\.7 %/);
    assert.match(d.json.alert.period_key, /^error_rate:openai:\d{4}-\d\d-\d\dT\d\d$/);
  } finally {
    await receiver.close();
  }
});

test('a receiver that is down gets the alert once it is back, exactly once', async () => {
  const port = await freePort();  // nobody listens yet
  const org = await sys.newOrg('down');
  const hook = await createAlert(org.cookie, {
    kind: 'balance', threshold: 1, channel: 'webhook', target: `http://127.0.0.1:${port}/` });
  const row = await eventually(async () => {
    const a = await alertRow(org.cookie, hook.id);
    return a.last_delivery?.status === 'retrying' && a.last_delivery.attempts >= 2 && a;
  }, { what: 'two failed attempts' });
  assert.ok(row.last_fired_at);
  assert.equal(row.last_delivery.delivered_at, null);
  assert.ok(row.last_delivery.last_error.length > 0);
  assert.ok(!row.last_delivery.last_error.includes(String(port)), 'the error names no target');
  const receiver = await startReceiver(port);
  try {
    await eventually(() => receiver.received.length === 1, { timeoutMs: 30000, what: 'the retried delivery' });
    await sleep(3000);
    assert.equal(receiver.received.length, 1, 'delivered once');
    verifySignature(receiver.received[0], hook.signing_secret);
    const done = await alertRow(org.cookie, hook.id);
    assert.equal(done.last_delivery.status, 'delivered');
    assert.ok(done.last_delivery.attempts >= 3);
    assert.equal(done.last_delivery.last_error, null);
    assert.ok(done.last_delivery.delivered_at);
  } finally {
    await receiver.close();
  }
});

test('an organization budget fires at the threshold share of its limit, once per period', async () => {
  const port = await freePort();
  const receiver = await startReceiver(port);
  try {
    const org = await sys.newOrg('budget');
    assert.equal((await sys.api('POST', '/api/balance/charge', { cookie: org.cookie, body: { amount: 10 } })).status, 200);
    const put = await sys.api('PUT', '/api/org/limits', { cookie: org.cookie, body: { daily_budget_usd: 0.001 } });
    assert.equal(put.status, 200, put.text);
    const hook = await createAlert(org.cookie, {
      kind: 'budget', threshold: 50, channel: 'webhook', target: `http://127.0.0.1:${port}/` });
    // Reseller requests until half the day's $0.001 is spent (or the budget refuses one).
    let spent = 0;
    for (let i = 0; i < 200 && spent < 600000; i++) {
      const r = await fetch(`${sys.gatewayUrl}/api/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${org.apiKey}` },
        body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
      });
      await r.text();
      if (r.status === 429) break;
      assert.equal(r.status, 200);
      const limits = (await sys.api('GET', '/api/org/limits', { cookie: org.cookie })).json;
      spent = Number(limits.usage.day_spent_nano);
    }
    assert.ok(spent >= 500000, `spent ${spent}`);
    await eventually(() => receiver.received.length >= 1, { what: 'the budget alert' });
    await sleep(2500);
    assert.equal(receiver.received.length, 1, 'once per budget and period');
    const d = receiver.received[0];
    verifySignature(d, hook.signing_secret);
    assert.equal(d.json.alert.kind, 'budget');
    assert.equal(d.json.alert.facts.scope, 'organization');
    assert.equal(d.json.alert.facts.period, 'day');
    assert.equal(d.json.alert.facts.limit_nano, 1000000);
    assert.ok(d.json.alert.facts.spent_nano >= 500000);
    assert.match(d.json.alert.period_key, /^budget:organization::day:\d{4}-\d\d-\d\d$/);
    assert.match(d.json.text, /^llmgw: the daily budget of organization is \d+\.\d % spent/);
  } finally {
    await receiver.close();
  }
});

test('bad rules answer 400 with the reason; delete; other organizations see none; audited', async () => {
  const org = await sys.newOrg('rules');
  const cases = [
    [{ kind: 'spend', threshold: 5, channel: 'email', target: 'a@b.example' }, /kind must be one of budget, balance, error_rate, drift/],
    [{ kind: 'error_rate', threshold: 101, channel: 'email', target: 'a@b.example' }, /at most 100/],
    [{ kind: 'drift', threshold: 0, channel: 'email', target: 'a@b.example' }, /threshold/],
    [{ kind: 'balance', threshold: '5', channel: 'email', target: 'a@b.example' }, /threshold/],
    [{ kind: 'balance', threshold: 5, channel: 'slack', target: 'a@b.example' }, /channel must be webhook or email/],
    [{ kind: 'balance', threshold: 5, channel: 'webhook', target: 'ftp://h.example/' }, /http:\/\/ or https:\/\//],
    [{ kind: 'balance', threshold: 5, channel: 'email', target: 'not an address' }, /one address/],
    [{ kind: 'budget', threshold: 80, channel: 'email' }, /target is required/],
  ];
  for (const [body, message] of cases) {
    const r = await sys.api('POST', '/api/alerts', { cookie: org.cookie, body });
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.json.error.type, 'invalid_request_error');
    assert.match(r.json.error.message, message, JSON.stringify(body));
  }
  const budget = await createAlert(org.cookie, { kind: 'budget', threshold: 80, channel: 'email', target: 'a@b.example' });
  const drift = await createAlert(org.cookie, { kind: 'drift', threshold: 12.5, channel: 'email', target: 'a@b.example' });
  let list = (await sys.api('GET', '/api/alerts', { cookie: org.cookie })).json.alerts;
  assert.deepEqual(list.map((a) => [a.kind, a.threshold]), [['budget', 80], ['drift', 12.5]]);
  const r = await sys.api('DELETE', `/api/alerts?id=${budget.id}`, { cookie: org.cookie });
  assert.equal(r.status, 200);
  assert.equal((await sys.api('DELETE', `/api/alerts?id=${budget.id}`, { cookie: org.cookie })).status, 404);
  list = (await sys.api('GET', '/api/alerts', { cookie: org.cookie })).json.alerts;
  assert.deepEqual(list.map((a) => a.id), [drift.id]);
  // Another organization sees none of them and cannot delete them.
  const other = await sys.newOrg('other');
  assert.deepEqual((await sys.api('GET', '/api/alerts', { cookie: other.cookie })).json.alerts, []);
  assert.equal((await sys.api('DELETE', `/api/alerts?id=${drift.id}`, { cookie: other.cookie })).status, 404);
  // The audit log has both actions.
  const audit = (await sys.api('GET', '/api/audit', { cookie: org.cookie })).json.items.map((i) => i.action);
  assert.deepEqual(audit.slice(0, 3), ['alert.delete', 'alert.create', 'alert.create']);
});
