// llmgw dashboard: a small single-page app over the management REST API (/api/...).
// Every user-provided string reaches the DOM through textContent (the h() helper), never innerHTML.
'use strict';

const state = { org: null, config: null };

// h('div', {class: 'x', onclick: fn}, 'text', child, ...) — strings become text nodes.
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function toast(text) {
  const t = document.getElementById('toast');
  t.textContent = text;
  t.classList.remove('hidden');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.add('hidden'), 2500);
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

// fetch + JSON; a 401 sends the user to the login page. `rawBody` is sent as is (money amounts
// are written as JSON text so they never pass through a float).
async function api(method, path, body, rawBody) {
  const opts = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined || rawBody !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = rawBody !== undefined ? rawBody : JSON.stringify(body);
  }
  const res = await fetch(path, opts);
  if (res.status === 204) return null;
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (!res.ok) {
    const msg = data && data.error ? data.error.message : `HTTP ${res.status}`;
    if (res.status === 401 && !path.startsWith('/api/auth/')) {
      state.org = null;
      location.hash = '#/login';
    }
    throw new ApiError(res.status, msg);
  }
  return data;
}

const fmt = {
  int: (n) => Number(n).toLocaleString('en-US'),
  // "12.345000000" → "$12.345", "0.000008550" → "$0.00000855": trailing zeros trimmed, at least
  // two decimals, every significant digit kept (per-request costs are fractions of a cent); the
  // string is never parsed into a float.
  usd(s) {
    let str = String(s);
    const neg = str.startsWith('-');
    if (neg) str = str.slice(1);
    let [whole, frac = ''] = str.split('.');
    frac = frac.replace(/0+$/, '');
    if (frac.length < 2) frac = frac.padEnd(2, '0');
    whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return `${neg ? '-' : ''}$${whole}.${frac}`;
  },
  time: (s) => (s ? new Date(s).toLocaleString() : '—'),
};

function copyButton(text) {
  return h('button', {
    class: 'secondary', type: 'button',
    onclick: async () => {
      try { await navigator.clipboard.writeText(text); toast('Copied'); }
      catch (e) { toast('Copy failed: select the text and copy it'); }
    },
  }, 'Copy');
}

function table(columns, rows) {
  return h('table', {},
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.num ? 'num' : '' }, c.title)))),
    h('tbody', {}, rows.length === 0
      ? h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, 'Nothing yet.'))
      : rows.map((r) => h('tr', {}, columns.map((c) => h('td', { class: c.num ? 'num' : '' }, c.cell(r)))))));
}

function card(label, value, sub) {
  return h('div', { class: 'card' }, h('div', { class: 'label' }, label),
    h('div', { class: 'value' }, value), sub ? h('div', { class: 'sub' }, sub) : null);
}

// Whether the session's role has a permission (GET /api/config's `permissions`). The server
// enforces every one of them; the UI only hides what would be refused.
function can(permission) {
  return Boolean(state.config && state.config.permissions && state.config.permissions.includes(permission));
}

function setMain(...children) {
  const main = document.getElementById('main');
  main.replaceChildren(...children);
}

// ---- auth pages ----

function authPage(mode) {
  const isLogin = mode === 'login';
  const err = h('div', { class: 'error' });
  const fields = {};
  const field = (name, label, type) => {
    fields[name] = h('input', { name, type, required: true, autocomplete: name === 'password' ? (isLogin ? 'current-password' : 'new-password') : name });
    return h('label', {}, label, fields[name]);
  };
  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      err.textContent = '';
      try {
        if (!isLogin) {
          await api('POST', '/api/auth/register', {
            name: fields.name.value, email: fields.email.value, password: fields.password.value,
          });
        }
        const r = await api('POST', '/api/auth/login', { email: fields.email.value, password: fields.password.value });
        state.org = r.org;
        location.hash = '#/overview';
      } catch (ex) { err.textContent = ex.message; }
    },
  },
  isLogin ? null : field('name', 'Organization name', 'text'),
  field('email', 'Email', 'email'),
  field('password', 'Password', 'password'),
  err,
  h('button', { type: 'submit' }, isLogin ? 'Log in' : 'Create account'));
  setMain(h('div', { class: 'auth panel' },
    h('h1', {}, isLogin ? 'Log in' : 'Create an account'), form,
    h('p', { class: 'muted' }, isLogin ? 'No account? ' : 'Have an account? ',
      h('a', { href: isLogin ? '#/register' : '#/login' }, isLogin ? 'Register' : 'Log in'))));
}

// ---- overview ----

// Bars of requests per bucket, placed on the time axis of [from, to) (empty buckets stay empty).
function drawChart(canvas, points, from, to, bucket) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 800;
  const hgt = canvas.clientHeight || 240;
  canvas.width = w * dpr;
  canvas.height = hgt * dpr;
  const ctx = canvas.getContext('2d');
  ctx.scale(dpr, dpr);
  ctx.clearRect(0, 0, w, hgt);
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillStyle = '#6b7280';
  if (points.length === 0) {
    ctx.fillText('No requests in this period.', 16, hgt / 2);
    return;
  }
  const size = bucket === 'hour' ? 3600000 : 86400000;
  const start = Math.floor(from.getTime() / size) * size;
  const slots = Math.max(1, Math.ceil((to.getTime() - start) / size));
  const pad = { l: 48, r: 12, t: 12, b: 28 };
  // A multiple of 4 so that the four grid lines are whole numbers of requests.
  const max = Math.max(4, Math.ceil(Math.max(...points.map((p) => p.requests)) / 4) * 4);
  const bw = (w - pad.l - pad.r) / slots;
  ctx.strokeStyle = '#e4e7ec';
  for (let i = 0; i <= 4; i++) {
    const y = pad.t + ((hgt - pad.t - pad.b) * i) / 4;
    ctx.beginPath(); ctx.moveTo(pad.l, y); ctx.lineTo(w - pad.r, y); ctx.stroke();
    ctx.fillText(fmt.int(max - (max * i) / 4), 4, y + 4);
  }
  ctx.fillStyle = '#3b5bdb';
  for (const p of points) {
    const slot = Math.floor((new Date(p.ts).getTime() - start) / size);
    if (slot < 0 || slot >= slots) continue;
    const bh = ((hgt - pad.t - pad.b) * p.requests) / max;
    ctx.fillRect(pad.l + slot * bw + bw * 0.15, hgt - pad.b - bh, Math.max(1, bw * 0.7), bh);
  }
  ctx.fillStyle = '#6b7280';
  const step = Math.ceil(slots / 8);
  for (let i = 0; i < slots; i += step) {
    const d = new Date(start + i * size);
    const label = bucket === 'hour' ? `${d.getHours()}:00` : `${d.getMonth() + 1}/${d.getDate()}`;
    ctx.fillText(label, pad.l + i * bw, hgt - 8);
  }
}

async function overviewPage() {
  const days = Number(sessionStorage.getItem('range') || 30);
  const to = new Date();
  const from = new Date(to.getTime() - days * 86400000);
  const q = `from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
  const bucket = days <= 2 ? 'hour' : 'day';
  const [sum, ts, models, providers] = await Promise.all([
    api('GET', `/api/stats/summary?${q}`),
    api('GET', `/api/stats/timeseries?${q}&bucket=${bucket}`),
    api('GET', `/api/stats/by-model?${q}`),
    api('GET', `/api/stats/by-provider?${q}`),
  ]);
  const select = h('select', {
    onchange: (e) => { sessionStorage.setItem('range', e.target.value); route(); },
  }, [1, 7, 30, 90].map((d) => h('option', { value: d, selected: d === days }, d === 1 ? 'Last 24 hours' : `Last ${d} days`)));
  const canvas = h('canvas', {});
  const pt = sum.by_mode.passthrough;
  const rs = sum.by_mode.reseller;
  setMain(
    h('div', { class: 'toolbar' }, h('h1', {}, 'Overview'), h('span', { class: 'muted' }, ' '), select),
    h('div', { class: 'cards' },
      card('Requests', fmt.int(sum.requests)),
      card('Input tokens', fmt.int(sum.input_tokens)),
      card('Output tokens', fmt.int(sum.output_tokens)),
      card('Cost', fmt.usd(sum.cost_usd)),
      card('Pass-through', fmt.usd(pt.cost_usd), `${fmt.int(pt.requests)} requests (estimated cost)`),
      card('Reseller', fmt.usd(rs.cost_usd), `${fmt.int(rs.requests)} requests, margin ${fmt.usd(rs.margin_usd)}`)),
    h('h2', {}, `Requests per ${bucket}`),
    h('div', { class: 'panel chart-wrap' }, canvas),
    h('div', { class: 'row' },
      h('div', {}, h('h2', {}, 'By model'), h('div', { class: 'panel' }, table([
        { title: 'Model', cell: (r) => r.model },
        { title: 'Provider', cell: (r) => r.provider },
        { title: 'Requests', num: true, cell: (r) => fmt.int(r.requests) },
        { title: 'Tokens in/out', num: true, cell: (r) => `${fmt.int(r.input_tokens)} / ${fmt.int(r.output_tokens)}` },
        { title: 'Cost', num: true, cell: (r) => fmt.usd(r.cost_usd) },
      ], models.models))),
      h('div', {}, h('h2', {}, 'By provider'), h('div', { class: 'panel' }, table([
        { title: 'Provider', cell: (r) => r.provider },
        { title: 'Requests', num: true, cell: (r) => fmt.int(r.requests) },
        { title: 'Tokens in/out', num: true, cell: (r) => `${fmt.int(r.input_tokens)} / ${fmt.int(r.output_tokens)}` },
        { title: 'Cost', num: true, cell: (r) => fmt.usd(r.cost_usd) },
      ], providers.providers)))));
  drawChart(canvas, ts.points, from, to, bucket);
}

// ---- monitor tokens and API keys ----

async function credentialsPage(kind) {
  const isTokens = kind === 'tokens';
  const path = isTokens ? '/api/tokens' : '/api/keys';
  const secretField = isTokens ? 'token' : 'key';
  const title = isTokens ? 'Monitor tokens' : 'API keys';
  const blurb = isTokens
    ? 'Pass-through mode: send your own provider key plus X-Monitor-Token: mon_sk_… and the gateway records usage and estimated cost.'
    : 'Reseller mode: one llm_sk_… key for every provider, billed from your prepaid balance.';
  const list = await api('GET', path);
  const secretBox = h('div', {});
  const err = h('div', { class: 'error' });
  const name = h('input', { placeholder: 'Name, e.g. production', maxlength: 100, required: true });
  const form = h('form', {
    class: 'inline',
    onsubmit: async (e) => {
      e.preventDefault();
      err.textContent = '';
      try {
        const c = await api('POST', path, { name: name.value });
        await credentialsPage(kind);
        const box = document.getElementById('secret-box');
        box.replaceChildren(h('div', { class: 'secret' },
          h('code', {}, c[secretField]), copyButton(c[secretField])),
        h('p', { class: 'muted' }, 'Copy it now: it is shown only once and cannot be recovered.'));
      } catch (ex) { err.textContent = ex.message; }
    },
  }, name, h('button', { type: 'submit' }, isTokens ? 'Create token' : 'Create key'));
  secretBox.id = 'secret-box';
  const me = state.config && state.config.user ? state.config.user.id : null;
  const mayRevoke = (c) => can('manage_credentials') || (can('use_own_credentials') && c.created_by === me);
  const revoke = async (c) => {
    if (!confirm(`Revoke "${c.name}"? Requests using it will be rejected.`)) return;
    try { await api('DELETE', `${path}?id=${encodeURIComponent(c.id)}`); toast('Revoked'); await credentialsPage(kind); }
    catch (ex) { toast(ex.message); }
  };
  setMain(
    h('h1', {}, title),
    h('p', { class: 'muted' }, blurb),
    can('use_own_credentials') ? h('div', { class: 'panel' }, form, err, secretBox)
      : h('p', { class: 'muted', id: 'read-only' }, 'Your role can see these but not create or revoke them.'),
    h('div', { class: 'panel' }, table([
      { title: 'Name', cell: (c) => c.name },
      { title: 'Prefix', cell: (c) => h('code', {}, `${c.prefix}…`) },
      { title: 'Status', cell: (c) => h('span', { class: `badge ${c.is_active ? 'on' : 'off'}` }, c.is_active ? 'active' : 'revoked') },
      { title: 'Last used', cell: (c) => fmt.time(c.last_used_at) },
      { title: 'Created', cell: (c) => fmt.time(c.created_at) },
      { title: '', cell: (c) => (c.is_active && mayRevoke(c) ? h('button', { class: 'danger', type: 'button', onclick: () => revoke(c) }, 'Revoke') : '') },
    ], list[kind])));
}

// ---- balance ----

async function balancePage() {
  const [bal, txs] = await Promise.all([api('GET', '/api/balance'), api('GET', '/api/balance/transactions?limit=100')]);
  const cfg = await config();
  let topup = h('p', { class: 'muted' }, 'Top-ups are made by an operator. Contact them to add funds.');
  if (cfg.self_topup && !can('top_up')) {
    topup = h('p', { class: 'muted' }, 'Only an owner of this organization can top it up.');
  } else if (cfg.self_topup) {
    const err = h('div', { class: 'error' });
    const amount = h('input', { placeholder: 'Amount in USD, e.g. 10.00', inputmode: 'decimal', required: true });
    topup = h('form', {
      class: 'inline',
      onsubmit: async (e) => {
        e.preventDefault();
        err.textContent = '';
        const text = amount.value.trim();
        // Sent as JSON number text, exactly as typed: no float rounding on the way.
        if (!/^\d+(\.\d{1,9})?$/.test(text)) { err.textContent = 'Enter a positive amount with at most 9 decimals.'; return; }
        try {
          await api('POST', '/api/balance/charge', undefined, `{"amount":${text}}`);
          toast('Balance topped up');
          await balancePage();
        } catch (ex) { err.textContent = ex.message; }
      },
    }, amount, h('button', { type: 'submit' }, 'Top up'), err);
  }
  setMain(
    h('h1', {}, 'Balance'),
    h('div', { class: 'cards' },
      card('Balance', fmt.usd(bal.balance_usd), 'prepaid, for reseller mode'),
      card('Held', fmt.usd(bal.held_usd), 'reserved for requests in flight')),
    h('h2', {}, 'Add funds'), h('div', { class: 'panel' }, topup),
    h('h2', {}, 'Transactions'),
    h('div', { class: 'panel' }, table([
      { title: 'Date', cell: (t) => fmt.time(t.created_at) },
      { title: 'Type', cell: (t) => t.type },
      { title: 'Description', cell: (t) => t.description },
      { title: 'Amount', num: true, cell: (t) => fmt.usd(t.amount_usd) },
      { title: 'Balance after', num: true, cell: (t) => fmt.usd(t.balance_after_usd) },
    ], txs.transactions)));
}

// ---- usage ----

async function usagePage() {
  const rows = [];
  const tbodyHolder = h('div', { class: 'panel' });
  const more = h('button', { class: 'secondary', type: 'button' }, 'Load more');
  const columns = [
    { title: 'Time', cell: (r) => fmt.time(r.requested_at) },
    { title: 'Mode', cell: (r) => h('span', { class: `badge ${r.mode === 'reseller' ? 'resell' : 'pass'}` }, r.mode) },
    { title: 'Provider', cell: (r) => r.provider },
    { title: 'Model', cell: (r) => r.model },
    { title: 'In', num: true, cell: (r) => fmt.int(r.input_tokens) },
    { title: 'Out', num: true, cell: (r) => fmt.int(r.output_tokens) },
    { title: 'Cost', num: true, cell: (r) => (r.unpriced
      ? h('span', { class: 'badge unpriced', title: 'No price for this model: the cost is unknown, not $0. An operator can add one with llmgw-billing prices set.' }, 'unpriced')
      : fmt.usd(r.cost_usd)) },
    { title: 'Latency', num: true, cell: (r) => `${fmt.int(r.latency_ms)} ms` },
    { title: 'Status', num: true, cell: (r) => String(r.status_code) },
    { title: 'Stream', cell: (r) => (r.is_streaming ? 'yes' : 'no') },
    { title: 'Request id', cell: (r) => h('code', {}, r.request_id) },
  ];
  const pageSize = 50;
  const load = async () => {
    const before = rows.length ? `&before=${encodeURIComponent(rows[rows.length - 1].requested_at)}` : '';
    const page = await api('GET', `/api/usage?limit=${pageSize}${before}`);
    rows.push(...page.items);
    tbodyHolder.replaceChildren(table(columns, rows));
    more.classList.toggle('hidden', page.items.length < pageSize);
  };
  more.addEventListener('click', () => load().catch((e) => toast(e.message)));
  setMain(h('h1', {}, 'Usage'), tbodyHolder, more);
  await load();
}

// ---- SDK snippets ----

async function config() {
  if (!state.config) state.config = await api('GET', '/api/config');
  return state.config;
}

async function sdkPage() {
  const gw = (await config()).gateway_url;
  const snippet = (title, text) => h('div', { class: 'panel' },
    h('div', { class: 'toolbar' }, h('strong', {}, title), copyButton(text)), h('pre', {}, h('code', {}, text)));
  setMain(
    h('h1', {}, 'SDK setup'),
    h('p', { class: 'muted' }, 'Point the official SDKs at the gateway. Pass-through keeps your provider key; reseller uses one llm_sk_ key from the API keys page.'),
    h('h2', {}, 'Pass-through (monitor)'),
    h('p', { class: 'muted' }, 'Your own provider key goes to the provider untouched; add the X-Monitor-Token header and every call is metered and priced.'),
    snippet('OpenAI SDK (Python): Chat Completions and Responses', `from openai import OpenAI

client = OpenAI(
    api_key="sk-...your OpenAI key...",
    base_url="${gw}/api/v1/openai",
    default_headers={"X-Monitor-Token": "mon_sk_..."},
)
reply = client.responses.create(model="gpt-5-mini", input="Hello")
print(reply.output_text)
chat = client.chat.completions.create(
    model="gpt-5-mini", messages=[{"role": "user", "content": "Hello"}])
print(chat.choices[0].message.content)`),
    snippet('Anthropic SDK (Python)', `import anthropic

client = anthropic.Anthropic(
    api_key="sk-ant-...your Anthropic key...",
    base_url="${gw}/api/v1/anthropic",
    default_headers={"X-Monitor-Token": "mon_sk_..."},
)
reply = client.messages.create(
    model="claude-sonnet-4-6",
    max_tokens=256,
    messages=[{"role": "user", "content": "Hello"}],
)
print(reply.content[0].text)`),
    snippet('Google Gen AI SDK (Node.js): Gemini\'s native API', `import { GoogleGenAI } from "@google/genai";

const ai = new GoogleGenAI({
  apiKey: process.env.GEMINI_API_KEY,
  httpOptions: { baseUrl: "${gw}/api/v1/google", headers: { "X-Monitor-Token": "mon_sk_..." } },
});
const res = await ai.models.generateContent({ model: "gemini-2.5-flash", contents: "Hello" });
console.log(res.text);`),
    snippet('Google Gen AI SDK (Python)', `from google import genai
from google.genai import types

client = genai.Client(
    api_key="...your Gemini key...",
    http_options=types.HttpOptions(
        base_url="${gw}/api/v1/google", headers={"X-Monitor-Token": "mon_sk_..."}),
)
print(client.models.generate_content(model="gemini-2.5-flash", contents="Hello").text)`),
    snippet('OpenAI SDK (Node.js); Gemini and xAI through their OpenAI-compatible APIs', `import OpenAI from "openai";

// Gemini: baseURL "${gw}/api/v1/google"; xAI: "${gw}/api/v1/xai" (with that provider's key)
const openai = new OpenAI({
  apiKey: process.env.OPENAI_API_KEY,
  baseURL: "${gw}/api/v1/openai",
  defaultHeaders: { "X-Monitor-Token": "mon_sk_..." },
});
const res = await openai.responses.create({ model: "gpt-5-mini", input: "Hello" });
console.log(res.output_text);`),
    h('h2', {}, 'Reseller (unified key)'),
    h('p', { class: 'muted' }, 'One llm_sk_ key for every provider: each SDK speaks its own API, and any model works on any of them (translated when it is another provider\'s). Charged to your balance: provider cost plus margin.'),
    snippet('OpenAI SDK (Python): Responses and Chat Completions, any provider', `from openai import OpenAI

client = OpenAI(api_key="llm_sk_...", base_url="${gw}/api/v1")
for model in ["gpt-5-mini", "claude-sonnet-4-6", "gemini-2.5-flash", "grok-4"]:
    print(model, client.responses.create(model=model, input="Hello").output_text)
reply = client.chat.completions.create(
    model="claude-sonnet-4-6", messages=[{"role": "user", "content": "Hello"}])
vectors = client.embeddings.create(model="text-embedding-3-small", input="Hello")`),
    snippet('Anthropic SDK (Node.js) and Claude Code: Messages, any provider', `import Anthropic from "@anthropic-ai/sdk";

const client = new Anthropic({ apiKey: "llm_sk_...", baseURL: "${gw}/api" });
const msg = await client.messages.create({
  model: "claude-sonnet-4-6",          // or "gpt-5-mini", "gemini-2.5-flash", "grok-4"
  max_tokens: 256,
  messages: [{ role: "user", content: "Hello" }],
});
console.log(msg.content[0].text);

// Claude Code:  ANTHROPIC_BASE_URL=${gw}/api  ANTHROPIC_AUTH_TOKEN=llm_sk_...  claude`),
    snippet('Anthropic SDK (Python)', `import anthropic

client = anthropic.Anthropic(api_key="llm_sk_...", base_url="${gw}/api")
with client.messages.stream(model="gpt-5-mini", max_tokens=256,
                            messages=[{"role": "user", "content": "Hello"}]) as stream:
    for text in stream.text_stream:
        print(text, end="")`),
    snippet('Vercel AI SDK (Node.js)', `import { createOpenAI } from "@ai-sdk/openai";
import { generateText } from "ai";

const llmgw = createOpenAI({ apiKey: "llm_sk_...", baseURL: "${gw}/api/v1" });
const { text } = await generateText({ model: llmgw("claude-sonnet-4-6"), prompt: "Hello" });
// llmgw(model) calls /responses; llmgw.chat(model) calls /chat/completions`),
    snippet('curl', `curl ${gw}/api/v1/chat/completions \\
  -H "Authorization: Bearer llm_sk_..." \\
  -H "Content-Type: application/json" \\
  -d '{"model":"gpt-5-mini","messages":[{"role":"user","content":"Hello"}]}'
curl ${gw}/api/v1/models -H "Authorization: Bearer llm_sk_..."   # every model, with prices`));
}

// ---- chat playground ----
// Calls the gateway straight from the browser with the credentials typed here (kept only in this
// page's memory). The gateway is another origin (port 8080): it must answer CORS preflights for
// this page's origin, or the browser blocks the call.

async function playgroundPage() {
  const gw = (await config()).gateway_url;
  const mode = h('select', {}, h('option', { value: 'reseller' }, 'Reseller (llm_sk_ key)'), h('option', { value: 'passthrough' }, 'Pass-through (provider key + mon_sk_)'));
  const provider = h('select', {}, ['openai', 'anthropic', 'google', 'xai'].map((p) => h('option', { value: p }, p)));
  const model = h('input', { value: 'gpt-4o-mini', placeholder: 'model' });
  const key = h('input', { type: 'password', placeholder: 'llm_sk_… or provider key', autocomplete: 'off' });
  const monitor = h('input', { type: 'password', placeholder: 'mon_sk_…', autocomplete: 'off' });
  const providerField = h('label', { class: 'field' }, 'Provider ', provider);
  const monitorField = h('label', { class: 'field' }, 'Monitor token ', monitor);
  const message = h('textarea', { placeholder: 'Say hello…' });
  const out = h('div', { class: 'reply muted' }, 'The reply appears here.');
  const meta = h('p', { class: 'muted' });
  const sync = () => {
    const pass = mode.value === 'passthrough';
    providerField.classList.toggle('hidden', !pass);
    monitorField.classList.toggle('hidden', !pass);
  };
  mode.addEventListener('change', sync);
  sync();
  const send = h('button', { type: 'submit' }, 'Send');
  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      send.disabled = true;
      out.textContent = '…';
      meta.textContent = '';
      const started = performance.now();
      try {
        const pass = mode.value === 'passthrough';
        const headers = { 'Content-Type': 'application/json' };
        let url;
        let body;
        if (pass && provider.value === 'anthropic') {
          url = `${gw}/api/v1/anthropic/v1/messages`;
          headers['x-api-key'] = key.value;
          headers['anthropic-version'] = '2023-06-01';
          body = { model: model.value, max_tokens: 512, messages: [{ role: 'user', content: message.value }] };
        } else {
          url = pass ? `${gw}/api/v1/${provider.value}/chat/completions` : `${gw}/api/v1/chat/completions`;
          headers.Authorization = `Bearer ${key.value}`;
          body = { model: model.value, messages: [{ role: 'user', content: message.value }] };
        }
        if (pass) headers['X-Monitor-Token'] = monitor.value;
        const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
        const data = await res.json();
        if (!res.ok) throw new Error(data.error ? data.error.message : `HTTP ${res.status}`);
        const text = data.choices ? data.choices[0].message.content : (data.content || []).map((c) => c.text || '').join('');
        out.textContent = text;
        out.classList.remove('muted');
        const u = data.usage || {};
        meta.textContent = `${Math.round(performance.now() - started)} ms · input ${u.prompt_tokens ?? u.input_tokens ?? '?'} · output ${u.completion_tokens ?? u.output_tokens ?? '?'} tokens`;
      } catch (ex) {
        out.textContent = `Error: ${ex.message}. (If this is a network error, the gateway at ${gw} must allow CORS from this page.)`;
      } finally { send.disabled = false; }
    },
  },
  h('div', { class: 'row' },
    h('div', {}, h('label', { class: 'field' }, 'Mode ', mode), providerField,
      h('label', { class: 'field' }, 'Model ', model)),
    h('div', {}, h('label', { class: 'field' }, 'Key ', key), monitorField)),
  message, h('p', {}, send));
  setMain(h('h1', {}, 'Chat playground'),
    h('p', { class: 'muted' }, `Sends one chat message through the gateway at ${gw}. Keys stay in this page and are never sent to the dashboard.`),
    h('div', { class: 'panel' }, form), h('div', { class: 'panel' }, out, meta));
}

// ---- provider bills ----
// What the providers bill (their usage and cost reports, pulled with an admin key, or a CSV
// export) beside what llmgw metered, per day and model. Money stays integer nano-USD (BigInt)
// until it is formatted.

const nano = {
  sum: (rows, field) => rows.reduce((acc, r) => acc + BigInt(r[field]), 0n),
  // BigInt nano-USD → the API's decimal USD string ("-0.000000005").
  usd(n) {
    const neg = n < 0n;
    const a = neg ? -n : n;
    return `${neg ? '-' : ''}${a / 1000000000n}.${String(a % 1000000000n).padStart(9, '0')}`;
  },
};

function utcDate(d) { return d.toISOString().slice(0, 10); }

// Provider-reported (dark) and metered (light) cost per day, as two bars side by side.
function billsChart(rows, from, days) {
  if (!rows.some((r) => BigInt(r.provider_cost_nano) > 0n || BigInt(r.metered_cost_nano) > 0n)) {
    return h('p', { class: 'muted' }, 'No cost in this range yet: connect a provider admin key below, or import a CSV.');
  }
  const NS = 'http://www.w3.org/2000/svg';
  const svg = (tag, attrs, text) => {
    const el = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    if (text !== undefined) el.textContent = text;
    return el;
  };
  const W = 800;
  const H = 240;
  const pad = { l: 64, r: 12, t: 12, b: 28 };
  const perDay = new Map();
  for (const r of rows) {
    const d = perDay.get(r.date) || { provider: 0n, metered: 0n };
    d.provider += BigInt(r.provider_cost_nano);
    d.metered += BigInt(r.metered_cost_nano);
    perDay.set(r.date, d);
  }
  let top = 1n;
  for (const d of perDay.values()) {
    if (d.provider > top) top = d.provider;
    if (d.metered > top) top = d.metered;
  }
  // A round top (1, 2, 4, 6, 8 × 10^k nano-USD) so the four grid lines read as round amounts.
  let unit = 1n;
  while (unit * 10n <= top) unit *= 10n;
  const max = [1n, 2n, 4n, 6n, 8n, 10n].map((m) => m * unit).find((m) => m >= top);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'bills-chart', role: 'img',
    'aria-label': 'Provider-reported and metered cost per day' });
  const plotH = H - pad.t - pad.b;
  const slot = (W - pad.l - pad.r) / days;
  for (let i = 0; i <= 4; i++) {
    const y = pad.t + (plotH * i) / 4;
    root.appendChild(svg('line', { x1: pad.l, x2: W - pad.r, y1: y, y2: y, class: 'grid' }));
    const value = (max * BigInt(4 - i)) / 4n;
    root.appendChild(svg('text', { x: 4, y: y + 4, class: 'axis' }, fmt.usd(nano.usd(value))));
  }
  const height = (n) => Math.max(0, (Number((n * 10000n) / max) / 10000) * plotH);
  const bar = (x, w, n, cls, label) => {
    const hgt = height(n);
    const rect = svg('rect', { x, y: pad.t + plotH - hgt, width: w, height: hgt, class: cls });
    rect.appendChild(svg('title', {}, label));
    root.appendChild(rect);
  };
  for (let i = 0; i < days; i++) {
    const date = utcDate(new Date(from.getTime() + i * 86400000));
    const d = perDay.get(date);
    const x = pad.l + i * slot;
    if (d) {
      const bw = Math.max(1, slot * 0.38);
      bar(x + slot * 0.1, bw, d.provider, 'bar-provider', `${date}: provider ${fmt.usd(nano.usd(d.provider))}`);
      bar(x + slot * 0.1 + bw, bw, d.metered, 'bar-metered', `${date}: metered ${fmt.usd(nano.usd(d.metered))}`);
    }
    if (i % Math.ceil(days / 8) === 0) {
      root.appendChild(svg('text', { x, y: H - 8, class: 'axis' }, date.slice(5)));
    }
  }
  return root;
}

// Connections: add (checked with one call to the provider), sync now, remove.
function connectionsPanel(list, rerender) {
  const err = h('div', { class: 'error' });
  const provider = h('select', { name: 'provider' }, h('option', { value: 'openai' }, 'OpenAI'),
    h('option', { value: 'anthropic' }, 'Anthropic'));
  const key = h('input', { name: 'admin_key', type: 'password', autocomplete: 'off', required: true,
    placeholder: 'Admin key: sk-admin-… or sk-ant-admin…' });
  const add = h('button', { type: 'submit' }, 'Connect');
  // Polls until a sync finished (its last_sync_at or status moved; with no connection given,
  // until none is pending), at most ~20 s, then re-renders the page.
  const waitForSync = async (before) => {
    for (let i = 0; i < 40; i++) {
      const now = (await api('GET', '/api/provider-connections')).connections;
      const c = before && now.find((x) => x.id === before.id);
      const done = before ? !c || c.last_sync_at !== before.last_sync_at || c.status !== before.status
        : now.every((x) => x.status !== 'pending');
      if (done) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await rerender();
  };
  const form = h('form', {
    class: 'inline',
    onsubmit: async (e) => {
      e.preventDefault();
      err.textContent = '';
      add.disabled = true;
      try {
        await api('POST', '/api/provider-connections', { provider: provider.value, admin_key: key.value });
        key.value = '';
        toast('Connected: the first sync (30 days) has started');
        await waitForSync(null);
      } catch (ex) { err.textContent = ex.message; } finally { add.disabled = false; }
    },
  }, provider, key, add);
  const syncNow = async (c) => {
    try { await api('POST', `/api/provider-connections/sync?id=${encodeURIComponent(c.id)}`); toast('Sync started'); await waitForSync(c); }
    catch (ex) { toast(ex.message); }
  };
  const remove = async (c) => {
    if (!confirm(`Remove the ${c.provider} connection ${c.key_prefix}…? The usage it synced is removed too.`)) return;
    try { await api('DELETE', `/api/provider-connections?id=${encodeURIComponent(c.id)}`); toast('Removed'); await rerender(); }
    catch (ex) { toast(ex.message); }
  };
  const badge = { ok: ['on', 'synced'], failed: ['unpriced', 'failed'], pending: ['off', 'pending'] };
  const manage = can('manage_settings');
  return h('div', { class: 'panel' },
    h('p', { class: 'muted' }, 'The key is checked with one call to the provider, stored encrypted and never shown again; only its prefix is listed.'),
    manage ? form : null, err,
    h('div', { class: 'table-scroll', id: 'connections' }, table([
      { title: 'Provider', cell: (c) => c.provider },
      { title: 'Key', cell: (c) => h('code', {}, `${c.key_prefix}…`) },
      { title: 'Status', cell: (c) => h('span', { class: `badge ${(badge[c.status] || badge.pending)[0]}` }, (badge[c.status] || badge.pending)[1]) },
      { title: 'Last sync', cell: (c) => fmt.time(c.last_sync_at) },
      { title: 'Error', cell: (c) => c.last_error || '' },
      { title: '', cell: (c) => (manage ? h('span', { class: 'actions' },
        h('button', { class: 'secondary', type: 'button', onclick: () => syncNow(c) }, 'Sync now'),
        h('button', { class: 'danger', type: 'button', onclick: () => remove(c) }, 'Remove')) : '') },
    ], list)));
}

// CSV import for providers without a usage API (or any provider's export).
function csvPanel(rerender) {
  const result = h('div', {});
  const file = h('input', { type: 'file', accept: '.csv,text/csv', required: true });
  const form = h('form', {
    class: 'inline',
    onsubmit: async (e) => {
      e.preventDefault();
      result.replaceChildren();
      if (!file.files.length) return;
      const res = await fetch('/api/provider-usage/import', { method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'text/csv' }, body: await file.files[0].text() });
      const data = await res.json().catch(() => null);
      if (res.ok) {
        toast(`Imported ${data.imported_rows} rows`);
        await rerender();
        return;
      }
      const fault = data && data.error;
      result.replaceChildren(h('div', { class: 'error', id: 'csv-error' },
        fault && fault.line ? 'Nothing was imported. ' : '', fault ? fault.message : `HTTP ${res.status}`));
    },
  }, file, h('button', { type: 'submit', class: 'secondary' }, 'Import CSV'));
  if (!can('manage_settings')) return h('p', { class: 'muted' }, 'Your role cannot import usage.');
  return h('div', { class: 'panel' },
    h('p', { class: 'muted' }, 'For providers without a usage API (Google, xAI) or any provider’s export. One row per UTC day, provider and model; a bad row refuses the whole file.'),
    h('pre', {}, h('code', {}, 'date,provider,model,input_tokens,cached_input_tokens,output_tokens,cost_usd\n2025-01-31,google,gemini-1.5-flash,120000,20000,3400,0.010020')),
    form, result);
}

async function providerBillsPage() {
  const days = Number(sessionStorage.getItem('bills-range') || 30);
  const today = new Date(`${utcDate(new Date())}T00:00:00Z`);
  const from = new Date(today.getTime() - (days - 1) * 86400000);
  const [list, rec] = await Promise.all([
    api('GET', '/api/provider-connections'),
    api('GET', `/api/reconciliation?from=${utcDate(from)}&to=${utcDate(today)}`),
  ]);
  const rows = rec.rows;
  const select = h('select', {
    onchange: (e) => { sessionStorage.setItem('bills-range', e.target.value); route(); },
  }, [7, 30, 90].map((d) => h('option', { value: d, selected: d === days }, `Last ${d} days (UTC)`)));
  const total = (f) => fmt.usd(nano.usd(nano.sum(rows, f)));
  const metered = rows.some((r) => r.metered_requests > 0 || r.metered_input_tokens > 0);
  const tokens = (i, o) => `${fmt.int(i)} / ${fmt.int(o)}`;
  const flagged = (n, usd) => h('span', { class: n !== 0 ? 'warn' : '' }, fmt.usd(usd));
  setMain(
    h('div', { class: 'toolbar' }, h('h1', {}, 'Provider bills'), select),
    h('p', { class: 'muted' }, 'What OpenAI and Anthropic bill you, pulled hourly from their usage and cost reports with an admin key, beside what llmgw metered. Unmetered is usage the provider reports that never went through llmgw; drift is the provider’s cost minus llmgw’s.'),
    h('div', { class: 'cards' },
      card('Provider-reported', total('provider_cost_nano'), `${rows.length} rows by day and model`),
      card('Metered by llmgw', total('metered_cost_nano'), metered ? 'your pass-through traffic at estimated cost' : 'no gateway traffic: provider reports only'),
      card('Unmetered', total('unmetered_cost_nano'), 'usage that bypassed llmgw'),
      card('Drift', total('drift_cost_nano'), 'provider − metered')),
    h('h2', {}, 'Cost per day'),
    h('div', { class: 'panel chart-wrap' }, billsChart(rows, from, days),
      h('div', { class: 'legend' }, h('span', { class: 'swatch bar-provider' }), 'provider-reported ',
        h('span', { class: 'swatch bar-metered' }), 'metered by llmgw')),
    h('h2', {}, 'Reconciliation'),
    h('div', { class: 'panel table-scroll', id: 'drift-table' }, table([
      { title: 'Date', cell: (r) => r.date },
      { title: 'Provider', cell: (r) => r.provider },
      { title: 'Model', cell: (r) => r.model },
      { title: 'Provider in/out', num: true, cell: (r) => tokens(r.provider_input_tokens, r.provider_output_tokens) },
      { title: 'Metered in/out', num: true, cell: (r) => tokens(r.metered_input_tokens, r.metered_output_tokens) },
      { title: 'Provider cost', num: true, cell: (r) => fmt.usd(r.provider_cost_usd) },
      { title: 'Metered cost', num: true, cell: (r) => fmt.usd(r.metered_cost_usd) },
      { title: 'Unmetered', num: true, cell: (r) => flagged(r.unmetered_cost_nano, r.unmetered_cost_usd) },
      { title: 'Drift', num: true, cell: (r) => flagged(r.drift_cost_nano, r.drift_cost_usd) },
    ], [...rows].reverse())),
    h('h2', {}, 'Connections'),
    connectionsPanel(list.connections, providerBillsPage),
    h('h2', {}, 'Import a CSV'),
    csvPanel(providerBillsPage));
}

// ---- members, invitations, audit log ----

const ROLES = ['owner', 'admin', 'member', 'viewer'];

async function membersPage() {
  const data = await api('GET', '/api/members');
  const manage = can('manage_members');
  const roles = ROLES.filter((r) => r !== 'owner' || can('manage_owners'));
  const err = h('div', { class: 'error' });
  const linkBox = h('div', { id: 'invite-box' });
  const email = h('input', { name: 'invite_email', type: 'email', placeholder: 'colleague@example.com', required: true });
  const role = h('select', { name: 'invite_role' }, roles.map((r) => h('option', { value: r, selected: r === 'member' }, r)));
  const invite = h('form', {
    class: 'inline', id: 'invite-form',
    onsubmit: async (e) => {
      e.preventDefault();
      err.textContent = '';
      try {
        const r = await api('POST', '/api/members/invite', { email: email.value, role: role.value });
        email.value = '';
        linkBox.replaceChildren(h('div', { class: 'secret' }, h('code', {}, r.invite_url), copyButton(r.invite_url)),
          h('p', { class: 'muted' }, `Send this link to ${r.email}: it works once, until ${fmt.time(r.expires_at)}, and is shown only now.`));
      } catch (ex) { err.textContent = ex.message; }
    },
  }, email, role, h('button', { type: 'submit' }, 'Invite'));
  const me = state.config.user.id;
  const change = async (m, newRole) => {
    try { await api('PATCH', `/api/members?id=${encodeURIComponent(m.id)}`, { role: newRole }); toast('Role changed'); }
    catch (ex) { toast(ex.message); }
    await membersPage();
  };
  const remove = async (m) => {
    const leaving = m.id === me;
    if (!confirm(leaving ? 'Leave this organization?' : `Remove ${m.email} from this organization?`)) return;
    try {
      await api('DELETE', `/api/members?id=${encodeURIComponent(m.id)}`);
      if (leaving) { state.config = null; state.org = null; location.hash = '#/login'; return; }
      toast('Removed');
    } catch (ex) { toast(ex.message); }
    await membersPage();
  };
  const editable = (m) => manage && (m.role !== 'owner' || can('manage_owners'));
  setMain(
    h('h1', {}, 'Members'),
    manage ? h('div', { class: 'panel' }, h('h2', {}, 'Invite someone'), invite, err, linkBox) : null,
    h('div', { class: 'panel' }, table([
      { title: 'Name', cell: (m) => m.name },
      { title: 'Email', cell: (m) => m.email },
      { title: 'Role', cell: (m) => (editable(m)
        ? h('select', { 'aria-label': `role of ${m.email}`, onchange: (e) => change(m, e.target.value) },
          roles.map((r) => h('option', { value: r, selected: r === m.role }, r)))
        : m.role) },
      { title: 'Joined', cell: (m) => fmt.time(m.joined_at) },
      { title: '', cell: (m) => (editable(m) ? h('button', { class: 'danger', type: 'button', onclick: () => remove(m) }, m.id === me ? 'Leave' : 'Remove') : '') },
    ], data.members)));
}

// The link of an invitation: a new user picks a name and password; someone who already has an
// account gives its password.
function acceptInvitePage() {
  const token = new URLSearchParams(location.hash.split('?')[1] || '').get('token') || '';
  const err = h('div', { class: 'error' });
  const name = h('input', { name: 'name', type: 'text', autocomplete: 'name', placeholder: 'Your name (new accounts)' });
  const password = h('input', { name: 'password', type: 'password', required: true, autocomplete: 'new-password' });
  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      err.textContent = '';
      try {
        const r = await api('POST', '/api/auth/accept-invite', { token, name: name.value, password: password.value });
        state.config = null;
        state.org = r.org;
        location.hash = '#/overview';
      } catch (ex) { err.textContent = ex.message; }
    },
  }, h('label', {}, 'Name', name), h('label', {}, 'Password', password), err,
  h('button', { type: 'submit' }, 'Join'));
  setMain(h('div', { class: 'auth panel' }, h('h1', {}, 'Join an organization'),
    h('p', { class: 'muted' }, 'New here? Choose your name and a password (8 characters or more). Already have an account with this e-mail? Enter its password.'),
    form));
}

async function auditPage() {
  const rows = [];
  const holder = h('div', { class: 'panel table-scroll' });
  const more = h('button', { class: 'secondary', type: 'button' }, 'Load more');
  let before = null;
  const load = async () => {
    const r = await api('GET', `/api/audit?limit=100${before ? `&before=${encodeURIComponent(before)}` : ''}`);
    rows.push(...r.items);
    before = r.next_before;
    more.classList.toggle('hidden', !before);
    holder.replaceChildren(table([
      { title: 'When', cell: (e) => fmt.time(e.at) },
      { title: 'Who', cell: (e) => e.actor_email },
      { title: 'Action', cell: (e) => h('code', {}, e.action) },
      { title: 'Target', cell: (e) => e.target },
      { title: 'Details', cell: (e) => h('code', { class: 'details' }, JSON.stringify(e.details)) },
    ], rows));
  };
  more.addEventListener('click', () => load().catch((ex) => toast(ex.message)));
  setMain(h('h1', {}, 'Audit log'),
    h('p', { class: 'muted' }, 'Every change made in this organization: who, when, on what, before and after. Secrets are never recorded.'),
    holder, more);
  await load();
}

// The organization switcher in the header, for users in several.
function renderOrgSwitcher() {
  const holder = document.getElementById('org-name');
  const orgs = (state.config && state.config.orgs) || [];
  if (orgs.length < 2) { holder.textContent = state.org ? state.org.name : ''; return; }
  const select = h('select', {
    id: 'org-switch', 'aria-label': 'Organization',
    onchange: async (e) => {
      try {
        await api('POST', '/api/auth/switch-org', { org_id: e.target.value });
        state.config = null;
        await whoAmI();
        await route();
      } catch (ex) { toast(ex.message); }
    },
  }, orgs.map((o) => h('option', { value: o.id, selected: state.org && o.id === state.org.id }, `${o.name} (${o.role})`)));
  holder.replaceChildren(select);
}

// ---- router ----

const pages = {
  overview: overviewPage,
  tokens: () => credentialsPage('tokens'),
  keys: () => credentialsPage('keys'),
  balance: balancePage,
  usage: usagePage,
  sdk: sdkPage,
  playground: playgroundPage,
  'provider-bills': providerBillsPage,
  members: membersPage,
  audit: auditPage,
};

async function whoAmI() {
  // /api/config needs a session: a cheap way to learn whether we are logged in.
  try {
    state.config = await api('GET', '/api/config');
    state.org = state.config.org;
    return true;
  } catch (e) { return false; }
}

// Renders one page at a time, in hash order: a slow page finishing late must not replace the page
// the user has moved on to.
let routeChain = Promise.resolve();
function route() {
  routeChain = routeChain.then(renderRoute, renderRoute);
  return routeChain;
}

async function renderRoute() {
  const page = (location.hash.replace(/^#\//, '') || 'overview').split('?')[0];
  const nav = document.getElementById('nav');
  const logout = document.getElementById('logout');
  if (page === 'login' || page === 'register' || page === 'accept-invite') {
    nav.classList.add('hidden');
    logout.classList.add('hidden');
    document.getElementById('org-name').textContent = '';
    if (page === 'accept-invite') acceptInvitePage(); else authPage(page);
    return;
  }
  if (!state.config && !(await whoAmI())) { location.hash = '#/login'; return; }
  nav.classList.remove('hidden');
  logout.classList.remove('hidden');
  renderOrgSwitcher();
  for (const a of nav.querySelectorAll('a')) {
    a.classList.toggle('active', a.dataset.page === page);
    a.classList.toggle('hidden', Boolean(a.dataset.perm) && !can(a.dataset.perm));
  }
  const fn = pages[page] || pages.overview;
  try { await fn(); } catch (ex) {
    if (ex.status !== 401) setMain(h('div', { class: 'panel error' }, `Could not load this page: ${ex.message}`));
  }
}

document.getElementById('logout').addEventListener('click', async () => {
  try { await api('POST', '/api/auth/logout'); } catch (e) { /* already logged out */ }
  state.org = null;
  state.config = null;
  location.hash = '#/login';
});
window.addEventListener('hashchange', route);
route();
