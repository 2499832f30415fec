// Connections that tie a server up, as the probe of issue 18 held them: idle TCP connections that
// never send a byte, and connections that trickle a request header one byte at a time. Used by
// dashboard_connections.test.mjs and bench/dashboard_connections.mjs.
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';

// The soft limit on open files of processes started from here (each held connection is one).
export function openFilesLimit() {
  return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
}

// Opens `count` connections to 127.0.0.1:`port`, `batch` at a time; resolves once all are
// connected. `closed()` counts those the server has closed since.
export async function openConnections(port, count, { batch = 200 } = {}) {
  const sockets = [];
  let closed = 0;
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    await Promise.all(Array.from({ length: n }, () => new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      s.setNoDelay(true);
      s.once('connect', () => resolve());
      s.once('error', (e) => { if (!s.connecting) return; reject(e); });
      s.on('error', () => {}); // a reset after connecting counts as closed below
      s.once('close', () => { closed += 1; });
      s.on('data', () => {});
      sockets.push(s);
    })));
  }
  return {
    sockets,
    closed: () => closed,
    destroy: () => { for (const s of sockets) s.destroy(); },
  };
}

// Writes `request` one byte every `intervalMs` on each socket (the same byte on all at once)
// until stopped or the socket is closed.
export function trickle(sockets, request, intervalMs) {
  let at = 0;
  const write = () => {
    if (at >= request.length) return;
    const byte = request[at++];
    for (const s of sockets) if (!s.destroyed && s.writable) s.write(byte);
  };
  write();
  const timer = setInterval(write, intervalMs);
  return { stop: () => clearInterval(timer) };
}

// GET `url` with the session cookie on a connection of its own (a pooled keep-alive connection
// opened before the flood would hide it: the old server kept serving the connections it had):
// status, headers and milliseconds from connecting to the whole body.
export function timedGet(url, cookie, { timeoutMs = 60000 } = {}) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = http.get(url, { agent: false, headers: cookie ? { cookie } : {}, timeout: timeoutMs }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - start, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} in ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// A header that takes minutes at one byte a second and never completes in a test.
export const SLOW_HEADER = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: trickle\r\n' +
  'X-Padding: ' + 'a'.repeat(200) + '\r\n\r\n';
