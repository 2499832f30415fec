// Money survives faults (issue 14): billing down for longer than any in-request retry, the
// gateway killed with SIGKILL while it owes settles, and PostgreSQL crashed (pg_ctl -m immediate)
// under reseller traffic. Each ends with every served request charged exactly once and the
// ledger invariants intact. The real binaries, the official openai SDK, and a mock provider that
// answers after a delay so requests are in flight when the fault hits.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { System, eventually, psql, sleep, startPostgres } from './harness.mjs';

const TOPUP_USD = 10;
const LATENCY_MS = 2500;

function client(sys, org) {
  return new OpenAI({ apiKey: org.apiKey, baseURL: `${sys.gatewayUrl}/api/v1`, maxRetries: 0,
                      timeout: 60_000 });
}

function chat(openai, i) {
  return openai.chat.completions.create({
    model: 'gpt-4o-mini', max_tokens: 50,
    messages: [{ role: 'user', content: `fault test request ${i}` }],
  }).then(() => 'ok', (e) => `error ${e.status ?? e.message}`);
}

async function newFundedOrg(sys) {
  const org = await sys.newOrg('faults');
  const r = await sys.api('POST', '/api/balance/charge', { cookie: org.cookie,
                                                           body: { amount: TOPUP_USD } });
  assert.equal(r.status, 200, r.text);
  return org;
}

// balance = topup − Σ usage debits, held = Σ open holds, one ledger entry per served request,
// and the debits equal what the usage rows say was charged.
async function assertChargedExactlyOnce(sys, org, served) {
  const id = org.org.id;
  const q = (sql) => psql(sys.dbUrl, sql).trim();
  await eventually(() => Number(q(`SELECT count(*) FROM billing.ledger WHERE org_id = '${id}' ` +
                                  `AND type = 'usage'`)) === served &&
                         Number(q(`SELECT held FROM billing.balances WHERE org_id = '${id}'`)) === 0,
                   { timeoutMs: 30_000, what: `${served} usage debits and nothing held` });
  const [balance, held] = q(`SELECT balance, held FROM billing.balances WHERE org_id = '${id}'`)
    .split('|').map(Number);
  const ledgerSum = Number(q(`SELECT coalesce(sum(amount), 0) FROM billing.ledger ` +
                             `WHERE org_id = '${id}'`));
  const openHolds = Number(q(`SELECT coalesce(sum(amount), 0) FROM billing.holds ` +
                             `WHERE org_id = '${id}' AND status = 'open'`));
  const perRequest = q(`SELECT count(*) FROM (SELECT request_id FROM billing.ledger ` +
                       `WHERE org_id = '${id}' AND type = 'usage' GROUP BY request_id ` +
                       `HAVING count(*) > 1) d`);
  assert.equal(balance, ledgerSum, 'balance = Σ ledger');
  assert.equal(held, openHolds, 'held = Σ open holds');
  assert.equal(perRequest, '0', 'one ledger entry per request id');
  const rows = await eventually(async () => {
    const items = (await sys.usageRows(org.cookie)).filter((u) => u.mode === 'reseller');
    return items.length === served && items;
  }, { timeoutMs: 30_000, what: `${served} reseller usage rows` });
  const charged = rows.reduce((s, u) => s + u.cost_nano, 0);
  assert.equal(balance, TOPUP_USD * 1e9 - charged, 'balance = top-up − what usage says was charged');
}

describe('billing down longer than any retry window', () => {
  let sys;
  before(async () => { sys = await System.start({ mockArgs: ['--latency-ms', String(LATENCY_MS)] }); });
  after(async () => { await sys?.stop(); });

  it('served requests are charged once billing is back; new ones get 503 and never go upstream',
     async () => {
    const org = await newFundedOrg(sys);
    const openai = client(sys, org);
    const inflight = Array.from({ length: 8 }, (_, i) => chat(openai, i));
    await sleep(800);  // every hold placed; the provider is still "thinking"
    await sys.stopService('billing');
    const refused = await Promise.all(Array.from({ length: 3 }, (_, i) => chat(openai, 100 + i)));
    assert.deepEqual(refused, ['error 503', 'error 503', 'error 503']);
    assert.deepEqual(await Promise.all(inflight), Array(8).fill('ok'));
    // Past the old in-request window (8 attempts, ~16 s) that used to drop the charge.
    await sleep(18_000);
    // Owed: the 8 settles, and the voids of the 3 refused holds (a hold whose answer was lost may
    // have committed: its void is delivered too, and finds nothing).
    const metrics = await (await fetch(`http://127.0.0.1:${sys.ports.m_gateway}/metrics`)).text();
    assert.match(metrics, /llmgw_gateway_settle_commands_pending 11\b/);
    sys.startService('billing');
    await assertChargedExactlyOnce(sys, org, 8);
  });
});

describe('the gateway killed while it owes settles and usage events', () => {
  let sys;
  // A minute's flush interval: the usage events are still in the shipper's memory at the kill
  // (only the usage journal has them).
  before(async () => {
    sys = await System.start({ mockArgs: ['--latency-ms', String(LATENCY_MS)],
                               env: { LLMGW_USAGE_FLUSH_MS: '60000' } });
  });
  after(async () => { await sys?.stop(); });

  it('a restart on the same spool delivers every queued settle and usage event, once', async () => {
    const org = await newFundedOrg(sys);
    const openai = client(sys, org);
    const inflight = Array.from({ length: 8 }, (_, i) => chat(openai, i));
    await sleep(800);
    // Billing hangs (not refuses: the settles wait for their deadline), so they are still owed
    // when the gateway dies.
    const stopped = [sys.services.billing.proc.pid];
    for (const pid of stopped) process.kill(pid, 'SIGSTOP');
    try {
      assert.deepEqual(await Promise.all(inflight), Array(8).fill('ok'));
      await sleep(500);
      await sys.services.gateway.stop('SIGKILL');
    } finally {
      for (const pid of stopped) process.kill(pid, 'SIGCONT');
    }
    const metering = await (await fetch(`http://127.0.0.1:${sys.ports.m_metering}/metrics`)).text();
    assert.doesNotMatch(metering, /llmgw_metering_events_ingested_total\S* [1-9]/,
                        'no usage event reached metering before the kill');
    sys.baseEnv.LLMGW_USAGE_FLUSH_MS = '200';
    sys.startService('gateway');
    await eventually(async () => (await fetch(`${sys.gatewayUrl}/readyz`)).status === 200,
                     { timeoutMs: 30_000, what: 'the restarted gateway' });
    // 8 debits and exactly 8 usage rows: replays are deduped by request and event id.
    await assertChargedExactlyOnce(sys, org, 8);
  });
});

describe('PostgreSQL crashed under reseller traffic', () => {
  let sys;
  let pg;
  before(async () => {
    pg = await startPostgres();
    sys = await System.start({ adminUrl: pg.url, mockArgs: ['--latency-ms', '300'] });
  });
  after(async () => {
    await sys?.stop();
    pg?.stop();
  });

  it('no acknowledged debit is lost and nothing is charged twice', async () => {
    const org = await newFundedOrg(sys);
    const openai = client(sys, org);
    const results = [];
    let stop = false;
    // Four clients send one request after another while the database crashes and comes back.
    const workers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; !stop; ++i) results.push(await chat(openai, `${w}-${i}`));
    });
    await sleep(1500);
    pg.crash();
    await sleep(2000);
    pg.start();
    await sleep(2500);
    stop = true;
    await Promise.all(workers);
    const served = results.filter((r) => r === 'ok').length;
    const failed = results.filter((r) => r !== 'ok');
    assert.ok(served >= 8, `served ${served}`);
    // Refusals while the database was down are 503s (billing unavailable), never a 500.
    for (const r of failed) assert.match(r, /^error (503|429)$/);
    await assertChargedExactlyOnce(sys, org, served);
  });
});
