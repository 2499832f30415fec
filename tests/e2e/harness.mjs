// Starts the real llmgw binaries (accounts, metering, billing, gateway, dashboard) and the mock
// provider on free loopback ports over a fresh PostgreSQL database, for end-to-end tests with the
// official SDKs. Every process's output is captured so tests can assert what never reaches a log.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const BIN = process.env.LLMGW_BIN_DIR ?? path.resolve(here, '../../build/bin');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A TCP port nobody listens on, below the kernel's ephemeral range (32768+): a port the kernel
// handed out for bind(0) could be taken by another suite's outgoing connection before the service
// that was meant to listen on it binds it. Suites run two at a time and a service binds its port
// a second or more after it was picked, so a port is also reserved, until this process exits,
// with a file created exclusively in a directory every suite shares: no other suite, and no other
// service of this one, can be handed the same port in that window.
const portDir = process.env.LLMGW_E2E_PORT_DIR ?? path.join(tmpdir(), 'llmgw-e2e-ports');
const reservedPorts = new Set();
process.on('exit', () => {
  for (const port of reservedPorts) {
    try { unlinkSync(path.join(portDir, String(port))); } catch { /* already gone */ }
  }
});

function reservePort(port) {
  if (reservedPorts.has(port)) return false;
  mkdirSync(portDir, { recursive: true });
  try {
    writeFileSync(path.join(portDir, String(port)), String(process.pid), { flag: 'wx' });
  } catch {
    return false; // another suite holds it (or held it and crashed: the port is skipped)
  }
  reservedPorts.add(port);
  return true;
}

export async function freePort() {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (!reservePort(port)) continue;
    const free = await new Promise((resolve) => {
      const srv = net.createServer();
      srv.unref();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

// Polls fn() until it returns a truthy value or timeoutMs passes; returns the value.
export async function eventually(fn, { timeoutMs = 15000, intervalMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
}

// Reads an Anthropic SDK event stream: input tokens from message_start, output tokens from the
// last message_delta, and the text of the text deltas.
export async function readAnthropicStream(stream) {
  let input = 0;
  let output = 0;
  let text = '';
  for await (const ev of stream) {
    if (ev.type === 'message_start') input = ev.message.usage.input_tokens;
    if (ev.type === 'message_delta') output = ev.usage.output_tokens;
    if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') text += ev.delta.text;
  }
  return { input, output, text };
}

function adminUrl() {
  const url = process.env.LLMGW_TEST_DATABASE_URL;
  if (!url) throw new Error('LLMGW_TEST_DATABASE_URL is not set: run through ./scripts/test');
  return url;
}

function withDatabase(url, db) {
  const u = new URL(url);
  u.pathname = '/' + db;
  return u.toString();
}

export function psql(url, sql) {
  return execFileSync('psql', ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', url, '-c', sql], {
    encoding: 'utf8',
  });
}

// A PostgreSQL cluster of the test's own (scripts/lib.sh pg_start), for tests that stop or crash
// it; the shared one serves every other suite. Durable commits (synchronous_commit on): a crash
// loses nothing acknowledged; fsync off only trusts the OS page cache, which survives the crash.
export async function startPostgres() {
  const root = path.resolve(here, '../..');
  const dir = mkdtempSync(path.join(tmpdir(), 'llmgw-e2e-pg-'));
  const data = path.join(dir, 'pg');
  const port = await freePort();
  const lib = `source ${JSON.stringify(path.join(root, 'scripts/lib.sh'))}`;
  const run = (script) => execFileSync('bash', ['-c', script], {
    encoding: 'utf8', env: { ...process.env, PG_EXTRA_OPTS: '-c fsync=off' } });
  const start = () => run(`${lib}; pg_start ${data} ${port}`);
  const pgCtl = (args) => run(`${lib}; run_as=(); [[ $(id -u) -eq 0 ]] && run_as=(runuser -u postgres --); ` +
                              `"\${run_as[@]}" "$PG_BIN/pg_ctl" -D ${data} ${args}`);
  start();
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    start,
    // The crash: every PostgreSQL process killed at once, no checkpoint, recovery at next start.
    crash: () => pgCtl('-m immediate -w stop'),
    stop: () => {
      try { pgCtl('-m fast -w stop'); } catch { /* already down */ }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// A Redis of the test's own (scripts/lib.sh redis_start), for gateway replicas sharing limits;
// stop() and start() again on the same port simulate an outage.
export async function startRedis() {
  const root = path.resolve(here, '../..');
  const dir = mkdtempSync(path.join(tmpdir(), 'llmgw-e2e-redis-'));
  const port = await freePort();
  const lib = `source ${JSON.stringify(path.join(root, 'scripts/lib.sh'))}`;
  const run = (script) => execFileSync('bash', ['-c', script], { encoding: 'utf8' });
  const start = () => run(`${lib}; redis_start ${dir} ${port}`);
  const stop = () => run(`${lib}; REDIS_DIR=${dir}; redis_stop`);
  start();
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    remove: () => {
      try { stop(); } catch { /* already down */ }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

class Service {
  constructor(name, cmd, args, env) {
    Object.assign(this, { name, cmd, args, env, output: '', proc: null });
  }
  start() {
    this.proc = spawn(this.cmd, this.args, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    const capture = (d) => { this.output += d.toString(); };
    this.proc.stdout.on('data', capture);
    this.proc.stderr.on('data', capture);
    return this;
  }
  async stop(signal = 'SIGTERM') {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return this.exited;
    this.proc.kill(signal);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10000);
    const res = await this.exited;
    clearTimeout(timer);
    return res;
  }
}

export class System {
  static async start(opts = {}) {
    const sys = new System();
    try {
      await sys.#start(opts);
    } catch (e) {
      // Whatever did start is stopped: a child left running would keep the suite alive until
      // ctest's timeout instead of failing now with the reason.
      await sys.stop().catch(() => {});
      throw e;
    }
    return sys;
  }

  async #start(opts) {
    this.services = {};
    // opts.adminUrl: a PostgreSQL of the test's own (startPostgres), e.g. to crash it.
    this.adminUrl = opts.adminUrl ?? adminUrl();
    this.dbName = 'llmgw_e2e_' + randomBytes(5).toString('hex');
    psql(this.adminUrl, `CREATE DATABASE ${this.dbName}`);
    this.dbUrl = withDatabase(this.adminUrl, this.dbName);
    this.tmp = mkdtempSync(path.join(tmpdir(), 'llmgw-e2e-'));
    this.internalToken = 'itok-' + randomBytes(16).toString('hex');
    // Distinctive operator keys: tests assert they never reach a log line or a table.
    this.operatorKeys = {
      openai: 'sk-operator-openai-' + randomBytes(8).toString('hex'),
      anthropic: 'sk-ant-operator-' + randomBytes(8).toString('hex'),
      google: 'gk-operator-' + randomBytes(8).toString('hex'),
      xai: 'xai-operator-' + randomBytes(8).toString('hex'),
    };
    // mockTls: the mock serves HTTPS with a certificate from a CA it makes at start; the gateway
    // trusts that CA through OpenSSL's SSL_CERT_FILE, as an operator would a proxy's CA.
    const tlsDir = path.join(this.tmp, 'mock-tls');
    const tlsArgs = opts.mockTls ? ['--tls-dir', tlsDir] : [];
    const mock = new Service('mock', path.join(BIN, 'llmgw-mock-provider'),
      ['--addr', '127.0.0.1:0', ...tlsArgs, ...(opts.mockArgs ?? [])], process.env).start();
    this.services.mock = mock;
    const listening = await eventually(() => {
      const m = mock.output.match(/\{"listening":"([^"]+)"\}/);
      return m && m[1];
    }, { what: 'the mock provider to listen' });
    this.mockUrl = 'http://' + listening;
    if (opts.mockTls) {
      this.mockCaFile = path.join(tlsDir, 'ca.pem');
      this.mockCa = readFileSync(this.mockCaFile);
      this.mockUrl = 'https://localhost:' + listening.split(':').pop();
    }

    const ports = {};
    for (const k of ['accounts', 'metering', 'billing', 'gateway', 'dashboard',
                     'm_accounts', 'm_metering', 'm_billing', 'm_gateway', 'm_dashboard']) {
      ports[k] = await freePort();
    }
    this.ports = ports;
    this.gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
    this.dashboardUrl = `http://127.0.0.1:${ports.dashboard}`;
    this.baseEnv = {
      PATH: process.env.PATH,
      LLMGW_DATABASE_URL: this.dbUrl,
      LLMGW_INTERNAL_TOKEN: this.internalToken,
      LLMGW_ACCOUNTS_ADDR: `127.0.0.1:${ports.accounts}`,
      LLMGW_METERING_ADDR: `127.0.0.1:${ports.metering}`,
      LLMGW_BILLING_ADDR: `127.0.0.1:${ports.billing}`,
      LLMGW_GATEWAY_ADDR: `127.0.0.1:${ports.gateway}`,
      LLMGW_DASHBOARD_ADDR: `127.0.0.1:${ports.dashboard}`,
      // The dashboard's SDK page and playground point the browser at this gateway.
      LLMGW_PUBLIC_GATEWAY_URL: this.gatewayUrl,
      LLMGW_OPENAI_BASE_URL: `${this.mockUrl}/openai/v1`,
      LLMGW_ANTHROPIC_BASE_URL: `${this.mockUrl}/anthropic`,
      LLMGW_GOOGLE_BASE_URL: `${this.mockUrl}/google/v1beta/openai`,
      LLMGW_GOOGLE_NATIVE_BASE_URL: `${this.mockUrl}/google`,
      LLMGW_XAI_BASE_URL: `${this.mockUrl}/xai/v1`,
      LLMGW_OPENAI_API_KEY: this.operatorKeys.openai,
      LLMGW_ANTHROPIC_API_KEY: this.operatorKeys.anthropic,
      LLMGW_GOOGLE_API_KEY: this.operatorKeys.google,
      LLMGW_XAI_API_KEY: this.operatorKeys.xai,
      LLMGW_SELF_TOPUP: 'true',
      LLMGW_SPOOL_DIR: path.join(this.tmp, 'spool'),
      LLMGW_PASSWORD_ITERATIONS: '1000',
      LLMGW_LOG_LEVEL: 'debug',
      ...(opts.mockTls ? { SSL_CERT_FILE: this.mockCaFile } : {}),
      ...(opts.env ?? {}),
    };
    for (const name of ['accounts', 'metering', 'billing', 'gateway', 'dashboard']) {
      this.startService(name);
    }
    // Every gRPC service listening (one that could not start says why, instead of a later 503).
    for (const name of ['accounts', 'metering', 'billing']) {
      await eventually(() => {
        const svc = this.services[name];
        if (svc.proc.exitCode !== null || svc.proc.signalCode !== null) {
          throw new Error(`llmgw-${name} exited at start:\n${svc.output.slice(-2000)}`);
        }
        return svc.output.includes('"msg":"listening"');
      }, { timeoutMs: 30000, what: `llmgw-${name} to listen` });
    }
    await eventually(async () => (await fetch(`${this.gatewayUrl}/readyz`)).status === 200,
      { timeoutMs: 30000, what: 'gateway /readyz' });
    await eventually(async () => (await fetch(`${this.dashboardUrl}/readyz`)).status === 200,
      { timeoutMs: 30000, what: 'dashboard /readyz' });
  }

  startService(name) {
    const env = { ...this.baseEnv, LLMGW_METRICS_ADDR: `127.0.0.1:${this.ports['m_' + name]}` };
    const svc = new Service(name, path.join(BIN, `llmgw-${name}`), [], env).start();
    const previous = this.services[name];
    if (previous) svc.output = previous.output + svc.output;
    this.services[name] = svc;
    return svc;
  }

  async stopService(name) {
    return this.services[name].stop();
  }

  // Another gateway replica beside the first: same services and database, its own HTTP and
  // metrics ports and spool. Returns { url, metricsUrl }.
  async startGatewayReplica(name, env = {}) {
    const port = await freePort();
    const metricsPort = await freePort();
    const svc = new Service(name, path.join(BIN, 'llmgw-gateway'), [], {
      ...this.baseEnv,
      LLMGW_GATEWAY_ADDR: `127.0.0.1:${port}`,
      LLMGW_METRICS_ADDR: `127.0.0.1:${metricsPort}`,
      LLMGW_SPOOL_DIR: path.join(this.tmp, `spool-${name}`),
      ...env,
    }).start();
    this.services[name] = svc;
    const url = `http://127.0.0.1:${port}`;
    await eventually(async () => (await fetch(`${url}/readyz`).catch(() => null))?.status === 200,
      { timeoutMs: 30000, what: `${name} /readyz` });
    return { url, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
  }

  // Everything every process printed so far.
  allOutput() {
    return Object.values(this.services).map((s) => s.output).join('\n');
  }

  // Every row of every llmgw table as text (for "no secret in any table" checks).
  dumpTables() {
    return execFileSync('pg_dump', ['--data-only', '--no-owner', this.dbUrl], {
      encoding: 'utf8', maxBuffer: 256 * 1024 * 1024,
    });
  }

  async stop() {
    await Promise.all(Object.values(this.services).map((s) => s.stop()));
    try {
      psql(this.adminUrl, `DROP DATABASE IF EXISTS ${this.dbName} WITH (FORCE)`);
    } catch (e) { /* best effort */ }
    if (this.tmp) rmSync(this.tmp, { recursive: true, force: true });
  }

  // --- the management API, as a user would call it -------------------------------------------

  async api(method, pathname, { body, cookie, headers = {} } = {}) {
    const res = await fetch(this.dashboardUrl + pathname, {
      method,
      headers: { ...(body ? { 'content-type': 'application/json' } : {}),
                 ...(cookie ? { cookie } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = null; }
    return { status: res.status, json, text, headers: res.headers };
  }

  // Registers a fresh organization, logs in, and creates a monitor token and an API key.
  async newOrg(label = 'org') {
    const email = `${label}-${randomBytes(4).toString('hex')}@example.com`;
    const reg = await this.api('POST', '/api/auth/register',
      { body: { name: label, email, password: 'password123' } });
    if (reg.status !== 201) throw new Error(`register: ${reg.status} ${reg.text}`);
    const login = await this.api('POST', '/api/auth/login', { body: { email, password: 'password123' } });
    if (login.status !== 200) throw new Error(`login: ${login.status} ${login.text}`);
    const cookie = login.headers.get('set-cookie').split(';')[0];
    const tok = await this.api('POST', '/api/tokens', { cookie, body: { name: 'e2e' } });
    if (tok.status !== 201) throw new Error(`create token: ${tok.status} ${tok.text}`);
    const key = await this.api('POST', '/api/keys', { cookie, body: { name: 'e2e' } });
    if (key.status !== 201) throw new Error(`create key: ${key.status} ${key.text}`);
    return { org: reg.json.org, email, cookie, monitorToken: tok.json.token, apiKey: key.json.key };
  }

  async usageRows(cookie, limit = 500) {
    const r = await this.api('GET', `/api/usage?limit=${limit}`, { cookie });
    if (r.status !== 200) throw new Error(`usage: ${r.status} ${r.text}`);
    return r.json.items;
  }

  async mockRequests() {
    if (!this.mockCa) return (await fetch(`${this.mockUrl}/_mock/requests`)).json();
    return new Promise((resolve, reject) => {
      https.get(`${this.mockUrl}/_mock/requests`, { ca: this.mockCa }, (res) => {
        let body = '';
        res.on('data', (d) => { body += d; });
        res.on('end', () => {
          try { resolve(JSON.parse(body)); } catch (e) { reject(e); }
        });
      }).on('error', reject);
    });
  }
}
