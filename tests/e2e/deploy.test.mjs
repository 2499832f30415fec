// deploy/docker-compose.yml, checked by Debian's docker-compose (`config` parses, validates and
// interpolates it without a Docker daemon): every service has a healthcheck (each llmgw binary
// checks itself with --health-check), start order waits for health, only the gateway, the
// dashboard and Grafana are published, and .env.example names every variable the file reads.
// promtool checks the Prometheus config the compose file mounts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';

import YAML from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
const DEPLOY = path.resolve(here, '../../deploy');
const COMPOSE = path.join(DEPLOY, 'docker-compose.yml');
const ENV_EXAMPLE = path.join(DEPLOY, '.env.example');
const LLMGW = ['accounts', 'metering', 'billing', 'gateway', 'dashboard'];
const GRPC = ['accounts', 'metering', 'billing'];
const tmp = mkdtempSync(path.join(tmpdir(), 'llmgw-deploy-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

// `docker-compose config` with .env.example's values, `overrides` on top, and nothing from this
// process's environment.
function composeConfig(overrides) {
  const example = readFileSync(ENV_EXAMPLE, 'utf8');
  const lines = example.split('\n').filter((l) => !/^\s*(#|$)/.test(l));
  const values = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const envFile = path.join(tmp, `env-${Math.random().toString(16).slice(2)}`);
  writeFileSync(envFile, Object.entries({ ...values, ...overrides }).map(([k, v]) => `${k}=${v}\n`).join(''));
  return new Promise((resolve) => {
    execFile('docker-compose', ['-f', COMPOSE, '--env-file', envFile, 'config'],
      { env: { PATH: process.env.PATH, HOME: tmp }, timeout: 60000 },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
  });
}

const REQUIRED = { LLMGW_INTERNAL_TOKEN: 'itok-0123456789abcdef', GRAFANA_ADMIN_PASSWORD: 'grafana-pw' };

describe('docker-compose config', () => {
  let services;

  test('accepts the file with the required values set', async () => {
    const r = await composeConfig(REQUIRED);
    assert.equal(r.code, 0, r.stderr);
    services = YAML.parse(r.stdout).services;
    assert.deepEqual(Object.keys(services).sort(),
      ['accounts', 'billing', 'dashboard', 'gateway', 'grafana', 'metering', 'postgres', 'prometheus']);
  });

  test('refuses to start without the internal token or the Grafana password', async () => {
    for (const name of Object.keys(REQUIRED)) {
      const r = await composeConfig({ ...REQUIRED, [name]: '' });
      assert.notEqual(r.code, 0, `${name} empty was accepted`);
      assert.match(r.stderr, new RegExp(`set ${name}`));
    }
  });

  test('every service has a healthcheck; each llmgw binary checks itself', () => {
    for (const [name, svc] of Object.entries(services)) {
      assert.ok(svc.healthcheck?.test?.length > 0, `${name} has a healthcheck`);
    }
    for (const name of LLMGW) {
      assert.deepEqual(services[name].command, [`llmgw-${name}`]);
      assert.deepEqual(services[name].healthcheck.test, ['CMD', `llmgw-${name}`, '--health-check']);
    }
  });

  test('start order waits for health', () => {
    const deps = (name) => services[name].depends_on ?? {};
    for (const [name, svc] of Object.entries(services)) {
      for (const [dep, how] of Object.entries(svc.depends_on ?? {})) {
        assert.equal(how.condition, 'service_healthy', `${name} waits for ${dep} to be healthy`);
      }
    }
    for (const name of GRPC) assert.ok('postgres' in deps(name), `${name} after postgres`);
    for (const name of ['gateway', 'dashboard']) {
      assert.deepEqual(Object.keys(deps(name)).sort(), [...GRPC].sort(), `${name} after the gRPC services`);
    }
    assert.ok('prometheus' in deps('grafana'));
  });

  test('only the gateway, the dashboard and Grafana are published', () => {
    const published = Object.entries(services).filter(([, s]) => (s.ports ?? []).length > 0)
      .map(([name, s]) => [name, s.ports.map((p) => (typeof p === 'object' ? p.target : p))]);
    assert.deepEqual(published.sort(), [['dashboard', [3000]], ['gateway', [8080]], ['grafana', [3000]]]);
    for (const name of LLMGW) {
      // Every /metrics listens where the compose network's Prometheus scrapes it.
      assert.equal(services[name].environment.LLMGW_METRICS_ADDR, '0.0.0.0:9100');
    }
  });
});

test('.env.example names every variable the compose file reads', () => {
  const compose = readFileSync(COMPOSE, 'utf8');
  const example = readFileSync(ENV_EXAMPLE, 'utf8');
  const read = new Set([...compose.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]));
  assert.ok(read.size >= 10);
  const named = new Set([...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]));
  assert.deepEqual([...read].filter((v) => !named.has(v)), []);
  assert.deepEqual([...named].filter((v) => !read.has(v)), [], '.env.example names only what is read');
});

test('promtool accepts the Prometheus config as deployed (DNS discovery and relabelling included)', async () => {
  const r = await new Promise((resolve) => {
    execFile('promtool', ['check', 'config', path.join(DEPLOY, 'prometheus/prometheus.yml')],
      { timeout: 60000 }, (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
  });
  assert.equal(r.code, 0, r.stdout + r.stderr);
});
