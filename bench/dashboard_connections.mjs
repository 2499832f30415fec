// The dashboard with connections held against it (issue 18's probe): per condition, the time a
// logged-in user's /healthz and /api/stats/summary take (median and slowest of 3 rounds, fewer
// once one takes over 5 s; each request cut at 35 s). Run by bench/dashboard_connections.sh once per build (LLMGW_BIN_DIR), so the
// event-driven server is printed beside the old one.
import { System, sleep } from '../tests/e2e/harness.mjs';
import {
  SLOW_HEADER, median, openConnections, timedGet, trickle,
} from '../tests/e2e/held_connections.mjs';

const label = process.argv[2] ?? 'dashboard';
const conditions = [
  { name: 'none held', idle: 0, trickling: 0 },
  { name: '32 idle', idle: 32, trickling: 0 },
  { name: '300 idle', idle: 300, trickling: 0 },
  { name: '32 trickling (1 B/s)', idle: 0, trickling: 32 },
  { name: '2,000 idle + 200 trickling', idle: 2000, trickling: 200 },
];

async function measure(url, cookie) {
  const times = [];
  for (let round = 0; round < 3; round++) {
    try {
      const r = await timedGet(url, cookie, { timeoutMs: 35000 });
      times.push(r.status === 200 ? r.ms : Infinity);
      if (r.ms > 5000) break; // tied up: one more round says nothing new
    } catch {
      times.push(Infinity);
      break; // a request cut at 35 s: the condition's figure is clear already
    }
  }
  const fmt = (ms) => (Number.isFinite(ms) ? ms.toFixed(1) : '>35000');
  return `${fmt(median(times))} / ${fmt(Math.max(...times))}`;
}

const sys = await System.start({ env: { LLMGW_DASHBOARD_HEADER_TIMEOUT_MS: '60000' } });
try {
  const user = await sys.newOrg('bench');
  const rows = [];
  for (const c of conditions) {
    const idle = await openConnections(sys.ports.dashboard, c.idle);
    const slow = await openConnections(sys.ports.dashboard, c.trickling);
    const trickling = trickle(slow.sockets, SLOW_HEADER, 1000);
    await sleep(1000);
    rows.push({
      server: label,
      held: c.name,
      'healthz ms (median / max)': await measure(`${sys.dashboardUrl}/healthz`, user.cookie),
      'summary ms (median / max)': await measure(`${sys.dashboardUrl}/api/stats/summary`, user.cookie),
    });
    trickling.stop();
    idle.destroy();
    slow.destroy();
    await sleep(2000);
  }
  console.table(rows);
} finally {
  await sys.stop();
}
