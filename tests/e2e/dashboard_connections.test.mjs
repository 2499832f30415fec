// Issue 18, "a server that cannot be tied up": with 2,000 idle connections and 200 connections
// trickling a header byte by byte held open against the dashboard, a logged-in user's pages and
// API calls still answer (each in under 100 ms at the median of its rounds, none near the old
// server's 30 s), the header timeout closes the trickling connections while the idle ones are
// held until their idle timeout, and a write without a session is 401 with nosniff.
// Figures beside the old server: bench/dashboard_connections.mjs.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { System, eventually, sleep } from './harness.mjs';
import {
  SLOW_HEADER, median, openConnections, openFilesLimit, timedGet, trickle,
} from './held_connections.mjs';

const IDLE = 2000;
const TRICKLING = 200;
const HEADER_TIMEOUT_MS = 4000;

let sys;
let user;
before(async () => {
  const limit = openFilesLimit();
  assert.ok(limit >= IDLE + TRICKLING + 500,
    `this test holds ${IDLE + TRICKLING} connections: raise the open files limit (ulimit -n ${limit})`);
  sys = await System.start({
    env: {
      LLMGW_DASHBOARD_HEADER_TIMEOUT_MS: String(HEADER_TIMEOUT_MS),
      LLMGW_DASHBOARD_IDLE_TIMEOUT_MS: '120000',
    },
  });
  user = await sys.newOrg('held');
  // One call through the gateway, so the usage page has a row.
  const res = await fetch(`${sys.gatewayUrl}/api/v1/openai/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-held', 'x-monitor-token': user.monitorToken },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
  assert.equal(res.status, 200);
  await eventually(async () => (await sys.usageRows(user.cookie)).length === 1, { what: 'the usage row' });
});
after(async () => { await sys?.stop(); });

const PAGES = ['/healthz', '/', '/assets/app.js', '/api/config', '/api/stats/summary',
               '/api/stats/timeseries?bucket=day', '/api/usage?limit=50', '/api/balance', '/api/tokens'];

test('2,000 idle and 200 trickling connections leave a logged-in user served', async () => {
  const port = sys.ports.dashboard;
  const idle = await openConnections(port, IDLE);
  const slow = await openConnections(port, TRICKLING);
  const trickling = trickle(slow.sockets, SLOW_HEADER, 1000);
  try {
    await sleep(500);
    const figures = [];
    for (const page of PAGES) {
      const times = [];
      for (let round = 0; round < 5; round++) {
        const r = await timedGet(sys.dashboardUrl + page, user.cookie);
        assert.equal(r.status, 200, page);
        assert.equal(r.headers['x-content-type-options'], 'nosniff', page);
        times.push(r.ms);
      }
      figures.push({ page, median_ms: +median(times).toFixed(1), max_ms: +Math.max(...times).toFixed(1) });
    }
    console.log(`held: ${IDLE} idle, ${TRICKLING} trickling (${idle.closed()} and ${slow.closed()} closed so far)`);
    console.table(figures);
    for (const f of figures) {
      assert.ok(f.median_ms < 100, `${f.page}: median ${f.median_ms} ms`);
      assert.ok(f.max_ms < 1000, `${f.page}: slowest ${f.max_ms} ms`);
    }
    assert.equal(idle.closed(), 0, 'the idle connections are still held');

    // The header timeout closes the trickling connections; the idle ones stay until theirs.
    await eventually(() => slow.closed() === TRICKLING,
      { timeoutMs: HEADER_TIMEOUT_MS + 10000, what: 'the trickling connections to be closed' });
    assert.equal(idle.closed(), 0);
    const r = await timedGet(`${sys.dashboardUrl}/api/stats/summary`, user.cookie);
    assert.equal(r.status, 200);
  } finally {
    trickling.stop();
    idle.destroy();
    slow.destroy();
  }
});

test('a write without a session is 401 before anything else, with nosniff', async () => {
  const r = await sys.api('POST', '/api/tokens', {
    body: { name: 'x' }, headers: { origin: 'http://evil.example', 'content-type': 'text/plain' },
  });
  assert.equal(r.status, 401);
  assert.equal(r.json.error.type, 'authentication_error');
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  // The public writes keep their own checks.
  const login = await sys.api('POST', '/api/auth/login', {
    body: { email: user.email, password: 'password123' }, headers: { origin: 'http://evil.example' },
  });
  assert.equal(login.status, 403);
});
