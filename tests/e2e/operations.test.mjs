// Operations, proven with the real tools: Debian's Prometheus scrapes every real binary with the
// project's scrape config (deploy/prometheus/prometheus.yml, its targets rewritten to this test's
// ports) and its HTTP API must show every target up and the gateway's request, cost and auth
// counters equal to what this test did; `promtool check metrics` accepts every service's
// /metrics; every query of the Grafana dashboard names only metrics some service exports; and
// every binary's `--health-check` tells a running service from a missing one.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import YAML from 'yaml';

import { BIN, System, eventually, freePort } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const DEPLOY = path.resolve(here, '../../deploy');
const SERVICES = ['gateway', 'dashboard', 'accounts', 'metering', 'billing'];

let sys;
let org;
let prometheus;  // { proc, url, output }

function run(cmd, args, { env, input } = {}) {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env, timeout: 30000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

const metricsUrl = (name) => `http://127.0.0.1:${sys.ports['m_' + name]}/metrics`;

async function startPrometheus() {
  const dir = path.join(sys.tmp, 'prometheus');
  mkdirSync(dir, { recursive: true });
  // The project's config, as deployed, with each DNS name replaced by this test's metrics port of
  // that service (and its name as the __meta_dns_name that DNS discovery would set, so the
  // project's relabelling runs unchanged) and a 1 s scrape interval.
  const config = YAML.parse(readFileSync(path.join(DEPLOY, 'prometheus/prometheus.yml'), 'utf8'));
  config.global.scrape_interval = '1s';
  let rewritten = 0;
  for (const job of config.scrape_configs) {
    const names = (job.dns_sd_configs ?? []).flatMap((sd) => sd.names);
    delete job.dns_sd_configs;
    job.static_configs = names.map((name) => {
      assert.ok(SERVICES.includes(name), `the scrape config names an unknown service ${name}`);
      rewritten++;
      return { targets: [`127.0.0.1:${sys.ports['m_' + name]}`], labels: { __meta_dns_name: name } };
    });
  }
  assert.equal(rewritten, SERVICES.length, 'the scrape config scrapes every service');
  const configFile = path.join(dir, 'prometheus.yml');
  writeFileSync(configFile, YAML.stringify(config));
  const port = await freePort();
  const proc = spawn('prometheus', [
    `--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  const p = { proc, url: `http://127.0.0.1:${port}`, output: '' };
  proc.stdout.on('data', (d) => { p.output += d; });
  proc.stderr.on('data', (d) => { p.output += d; });
  p.exited = new Promise((resolve) => proc.on('exit', resolve));
  await eventually(async () => {
    if (proc.exitCode !== null) throw new Error(`prometheus exited: ${p.output.slice(-2000)}`);
    return (await fetch(`${p.url}/-/ready`)).status === 200;
  }, { timeoutMs: 30000, what: 'prometheus ready' });
  return p;
}

async function promQuery(query) {
  const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = await res.json();
  if (body.status !== 'success') throw new Error(`${query}: ${JSON.stringify(body)}`);
  return body.data.result;  // [{metric: {...}, value: [t, "v"]}]
}

// The value of a query that yields one sample (sum(...)), or null when it yields none.
async function scalar(query) {
  const r = await promQuery(query);
  return r.length === 0 ? null : Number(r[0].value[1]);
}

before(async () => {
  sys = await System.start();
  org = await sys.newOrg('ops');
  const topup = await sys.api('POST', '/api/balance/charge', { cookie: org.cookie, body: { amount: 10 } });
  assert.equal(topup.status, 200, topup.text);
  prometheus = await startPrometheus();
});
after(async () => {
  if (prometheus) {
    prometheus.proc.kill('SIGTERM');
    await prometheus.exited;
  }
  await sys?.stop();
});

describe('--health-check', () => {
  const addrEnv = {
    gateway: 'LLMGW_GATEWAY_ADDR', dashboard: 'LLMGW_DASHBOARD_ADDR', accounts: 'LLMGW_ACCOUNTS_ADDR',
    metering: 'LLMGW_METERING_ADDR', billing: 'LLMGW_BILLING_ADDR',
  };
  for (const name of SERVICES) {
    test(`llmgw-${name}: 0 for the running service, 1 where none listens`, async () => {
      const bin = path.join(BIN, `llmgw-${name}`);
      const up = await run(bin, ['--health-check'], { env: sys.baseEnv });
      assert.equal(up.code, 0, up.stderr);
      assert.match(up.stdout, /healthy at 127\.0\.0\.1:\d+/);
      // The wildcard address a container listens on is checked over loopback.
      const wildcard = await run(bin, ['--health-check'], {
        env: { ...sys.baseEnv, [addrEnv[name]]: `0.0.0.0:${sys.ports[name]}` },
      });
      assert.equal(wildcard.code, 0, wildcard.stderr);
      const nobody = await freePort();
      const down = await run(bin, ['--health-check'], {
        env: { ...sys.baseEnv, [addrEnv[name]]: `127.0.0.1:${nobody}` },
      });
      assert.equal(down.code, 1, down.stdout);
      assert.match(down.stderr, /unhealthy at 127\.0\.0\.1:\d+: /);
    });
  }
});

describe('/metrics', () => {
  for (const name of SERVICES) {
    test(`llmgw-${name}: promtool check metrics passes; process metrics present`, async () => {
      const text = await (await fetch(metricsUrl(name))).text();
      const check = await run('promtool', ['check', 'metrics'], { input: text });
      assert.equal(check.code, 0, `promtool check metrics:\n${check.stdout}${check.stderr}`);
      for (const m of ['process_cpu_seconds_total', 'process_resident_memory_bytes',
                       'process_virtual_memory_bytes', 'process_open_fds', 'process_max_fds',
                       'process_start_time_seconds']) {
        assert.match(text, new RegExp(`^${m} [0-9.e+]+$`, 'm'), `${name} exports ${m}`);
      }
    });
  }
});

// Metric names a PromQL expression reads: identifiers outside strings, label matchers, grouping
// clauses and ranges that are neither functions nor keywords.
const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right',
  'offset', 'bool', 'and', 'or', 'unless', 'inf', 'nan']);
export function metricNames(expr) {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\[[^\]]*\]/g, '');
  const names = new Set();
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*(\()?)/g)) {
    const word = m[0];
    const before = stripped[m.index - 1];
    if (m[1] || PROMQL_WORDS.has(word.toLowerCase()) || /[0-9.]/.test(before ?? '')) continue;
    names.add(word);
  }
  return [...names];
}

// Every name a /metrics text exports (histograms and summaries with their series suffixes).
function exportedNames(text) {
  const names = new Set();
  for (const line of text.split('\n')) {
    const t = line.match(/^# TYPE (\S+) (\S+)/);
    if (t) {
      names.add(t[1]);
      if (t[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(t[1] + s);
      if (t[2] === 'summary') for (const s of ['_sum', '_count']) names.add(t[1] + s);
      continue;
    }
    const s = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/);
    if (s) names.add(s[1]);
  }
  return names;
}

describe('Prometheus scrapes the real services', () => {
  const MODELS = { 'gpt-4o-mini': 'openai', 'claude-3-5-haiku': 'anthropic', 'gemini-1.5-flash': 'google' };
  const PER_MODEL = 3;

  test('every target up, labelled with its service', async () => {
    const up = await eventually(async () => {
      const r = await promQuery('up{job="llmgw"}');
      return r.length === SERVICES.length && r.every((s) => s.value[1] === '1') && r;
    }, { timeoutMs: 30000, what: 'every target up' });
    assert.deepEqual(up.map((s) => s.metric.service).sort(), [...SERVICES].sort());
    const rss = await promQuery('process_resident_memory_bytes{job="llmgw"}');
    assert.deepEqual(rss.map((s) => s.metric.service).sort(), [...SERVICES].sort());
    assert.ok(rss.every((s) => Number(s.value[1]) > 1e6));
  });

  test('the gateway request, cost and auth counters equal the requests this test made', async () => {
    const before = await sys.api('GET', '/api/balance', { cookie: org.cookie });
    assert.equal(before.json.held_nano, 0);
    let made = 0;
    for (const [model] of Object.entries(MODELS)) {
      for (let i = 0; i < PER_MODEL; i++) {
        const res = await fetch(`${sys.gatewayUrl}/api/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${org.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model, messages: [{ role: 'user', content: `ops ${i}` }], max_tokens: 20 }),
        });
        const text = await res.text();
        assert.equal(res.status, 200, text);
        made++;
      }
    }
    // What billing charged, once every hold is settled: the cost counter must match it exactly.
    const after = await eventually(async () => {
      const b = await sys.api('GET', '/api/balance', { cookie: org.cookie });
      return b.json.held_nano === 0 && b;
    }, { what: 'every hold settled' });
    const charged = before.json.balance_nano - after.json.balance_nano;
    assert.ok(charged > 0);

    const requests = await eventually(async () => {
      const v = await scalar('sum(llmgw_gateway_requests_total{mode="reseller"})');
      return v === made && v;
    }, { timeoutMs: 20000, what: `Prometheus to see ${made} reseller requests` });
    assert.equal(requests, made);
    const byCode = await promQuery('sum by (code) (llmgw_gateway_requests_total{mode="reseller"})');
    assert.deepEqual(byCode.map((s) => [s.metric.code, Number(s.value[1])]), [['200', made]]);

    const cost = await eventually(async () => {
      const v = await scalar('sum(llmgw_gateway_cost_nano_usd_total{mode="reseller"})');
      return v === charged && v;
    }, { timeoutMs: 20000, what: `the cost counter to read ${charged}` });
    assert.equal(cost, charged);
    const byModel = await promQuery('sum by (provider, model) (llmgw_gateway_cost_nano_usd_total{mode="reseller"})');
    const providersSeen = new Map(byModel.map((s) => [s.metric.provider, s.metric.model]));
    for (const provider of Object.values(MODELS)) {
      assert.ok(providersSeen.has(provider), `cost recorded for ${provider}: ${JSON.stringify(byModel)}`);
      assert.notEqual(providersSeen.get(provider), 'other');
    }

    // One API key, checked once per request: one miss, then hits within the cache TTL.
    const hits = await scalar('sum(llmgw_gateway_auth_total{result="hit"})');
    const misses = await scalar('sum(llmgw_gateway_auth_total{result="miss"})');
    assert.equal(hits + misses, made);
    assert.ok(misses >= 1 && hits >= made - 2, `hits ${hits}, misses ${misses}`);
  });
});

// After the traffic above: a labelled series exists once something was counted in it.
describe('Grafana dashboard', () => {
  test('the name extractor finds what a query reads (so the check below can fail)', () => {
    assert.deepEqual(metricNames('sum by (provider, le) (rate(llmgw_x_total{code!="5.."}[5m])) / 1e9'),
      ['llmgw_x_total']);
    assert.deepEqual(metricNames('time() - process_start_time_seconds{job="llmgw"}'),
      ['process_start_time_seconds']);
    assert.deepEqual(metricNames('histogram_quantile(0.99, sum by (le) (rate(a_bucket[5m]))) or b'),
      ['a_bucket', 'b']);
  });

  test('every query names only metrics some service exports, and Prometheus accepts it', async () => {
    const exported = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);
    for (const name of SERVICES) {
      for (const n of exportedNames(await (await fetch(metricsUrl(name))).text())) exported.add(n);
    }
    const dashboard = JSON.parse(readFileSync(path.join(DEPLOY, 'grafana/dashboards/llmgw.json'), 'utf8'));
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => [p.title, t.expr]));
    assert.ok(exprs.length >= 10, 'the dashboard has its queries');
    for (const [title, expr] of exprs) {
      const names = metricNames(expr);
      assert.ok(names.length > 0, `${title}: ${expr} reads no metric`);
      for (const n of names) assert.ok(exported.has(n), `${title}: ${expr} reads ${n}, which no service exports`);
      await promQuery(expr);  // throws on a syntax error
    }
  });
});
