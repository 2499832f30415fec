// Playground: the seeds' llm-client in the dashboard. A provider and a mode (pass-through: the
// user's provider key + a monitor token; reseller: an llm_sk_ key), a model picked from the
// provider (reseller: the gateway's /api/v1/models), a multi-turn conversation with a system
// prompt, streamed replies with a stop button, and each turn's tokens, latency, time to first
// token and cost read back from its usage record. Keys live only in this page's memory (never
// stored, never sent to the dashboard); requests go from the browser to the gateway (CORS).
import { api, config } from '../lib/api.js';
import { h, setMain } from '../lib/dom.js';
import { fmt } from '../lib/fmt.js';
import { readEvents } from '../lib/sse.js';

const PROVIDERS = [['openai', 'OpenAI'], ['anthropic', 'Anthropic'], ['google', 'Google'], ['xai', 'xAI']];
const DEFAULT_MODELS = {
  openai: ['gpt-4o-mini', 'gpt-5-mini', 'gpt-4o'],
  anthropic: ['claude-3-5-haiku-20241022', 'claude-sonnet-4-6'],
  google: ['gemini-2.5-flash', 'gemini-1.5-flash'],
  xai: ['grok-3-mini', 'grok-4'],
};
const PROVIDER_OF = (id) => (/^claude/.test(id) ? 'anthropic' : /^gemini|^text-embedding-004/.test(id) ? 'google' : /^grok/.test(id) ? 'xai' : 'openai');

function field(id, label, control, hint) {
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('div', { class: 'hint muted' }, hint) : null);
}

// The request for one turn: URL, headers, body, and how to read its stream.
function buildRequest(s, messages) {
  const headers = { 'Content-Type': 'application/json' };
  if (s.mode === 'passthrough' && s.provider === 'anthropic') {
    headers['x-api-key'] = s.key;
    headers['anthropic-version'] = '2023-06-01';
    headers['X-Monitor-Token'] = s.monitor;
    const body = { model: s.model, max_tokens: 1024, stream: true, messages };
    if (s.system) body.system = s.system;
    return { url: `${s.gw}/api/v1/anthropic/v1/messages`, headers, body, kind: 'anthropic' };
  }
  headers.Authorization = `Bearer ${s.key}`;
  if (s.mode === 'passthrough') headers['X-Monitor-Token'] = s.monitor;
  const url = s.mode === 'passthrough' ? `${s.gw}/api/v1/${s.provider}/chat/completions` : `${s.gw}/api/v1/chat/completions`;
  const all = s.system ? [{ role: 'system', content: s.system }, ...messages] : messages;
  return { url, headers, body: { model: s.model, stream: true, stream_options: { include_usage: true }, messages: all }, kind: 'openai' };
}

// The text of one stream event, for either wire format.
function deltaText(kind, ev) {
  if (ev.data === '[DONE]') return '';
  let j;
  try { j = JSON.parse(ev.data); } catch (e) { return ''; }
  if (kind === 'anthropic') return j.type === 'content_block_delta' && j.delta && j.delta.text ? j.delta.text : '';
  return (j.choices && j.choices[0] && j.choices[0].delta && j.choices[0].delta.content) || '';
}

// The usage record of a request id, from the dashboard's own API (metering is asynchronous).
async function usageRecord(requestId) {
  for (let i = 0; i < 40 && requestId; i++) {
    const page = await api('GET', '/api/usage?limit=50');
    const row = page.items.find((r) => r.request_id === requestId);
    if (row) return row;
    await new Promise((r) => setTimeout(r, 250));
  }
  return null;
}

export async function playgroundPage() {
  const gw = (await config()).gateway_url;
  const mode = h('select', {}, h('option', { value: 'reseller' }, 'Reseller (llm_sk_ key)'), h('option', { value: 'passthrough' }, 'Pass-through (provider key + mon_sk_)'));
  const provider = h('select', {}, PROVIDERS.map(([v, t]) => h('option', { value: v }, t)));
  const modelList = h('datalist', { id: 'pg-models' });
  const model = h('input', { list: 'pg-models', value: 'gpt-4o-mini', autocomplete: 'off', spellcheck: 'false' });
  const key = h('input', { type: 'password', placeholder: 'llm_sk_…', autocomplete: 'off' });
  const monitor = h('input', { type: 'password', placeholder: 'mon_sk_…', autocomplete: 'off' });
  const system = h('textarea', { rows: 2, placeholder: 'e.g. You are a concise assistant.' });
  const message = h('textarea', { rows: 3, placeholder: 'Say hello…' });
  const log = h('div', { class: 'chat-log', id: 'chat-log', 'aria-live': 'polite' },
    h('p', { class: 'muted' }, 'The conversation appears here. Each reply shows its tokens, time to first token, latency and cost from the usage record.'));
  const status = h('p', { class: 'muted', id: 'pg-status', role: 'status' });
  const send = h('button', { type: 'submit', id: 'pg-send' }, 'Send');
  const stop = h('button', { type: 'button', class: 'danger', id: 'pg-stop', disabled: true }, 'Stop');
  const clear = h('button', { type: 'button', class: 'secondary', id: 'pg-clear' }, 'New conversation');
  const monitorField = field('pg-monitor', 'Monitor token', monitor);
  const keyField = field('pg-key', 'Key', key);
  const messages = [];
  let controller = null;

  const refreshModels = async () => {
    const pass = mode.value === 'passthrough';
    let ids = DEFAULT_MODELS[provider.value];
    if (!pass && key.value) {
      try {
        const res = await fetch(`${gw}/api/v1/models`, { headers: { Authorization: `Bearer ${key.value}` } });
        if (res.ok) {
          const data = (await res.json()).data || [];
          const mine = data.map((m) => m.id).filter((id) => PROVIDER_OF(id) === provider.value);
          if (mine.length) ids = mine;
        }
      } catch (e) { /* keep the defaults */ }
    }
    modelList.replaceChildren(...ids.map((id) => h('option', { value: id })));
    if (!ids.includes(model.value)) model.value = ids[0];
  };
  const sync = () => {
    const pass = mode.value === 'passthrough';
    monitorField.classList.toggle('hidden', !pass);
    key.placeholder = pass ? `your ${provider.options[provider.selectedIndex].text} key` : 'llm_sk_…';
    keyField.querySelector('label').textContent = pass ? 'Provider key' : 'API key';
    refreshModels();
  };
  mode.addEventListener('change', sync);
  provider.addEventListener('change', sync);
  key.addEventListener('change', refreshModels);
  clear.addEventListener('click', () => { messages.length = 0; log.replaceChildren(); status.textContent = ''; });
  stop.addEventListener('click', () => controller && controller.abort());

  const turn = async (text) => {
    messages.push({ role: 'user', content: text });
    if (messages.length === 1) log.replaceChildren();
    log.appendChild(h('div', { class: 'msg user' }, h('span', { class: 'who' }, 'You'), h('div', { class: 'text' }, text)));
    const out = h('div', { class: 'text' });
    const meta = h('div', { class: 'turn-meta muted' }, 'streaming…');
    log.appendChild(h('div', { class: 'msg assistant' }, h('span', { class: 'who' }, model.value), out, meta));
    const req = buildRequest({ gw, mode: mode.value, provider: provider.value, model: model.value, key: key.value, monitor: monitor.value, system: system.value.trim() }, messages.slice());
    controller = new AbortController();
    const started = performance.now();
    let firstToken = 0;
    let reply = '';
    let requestId = '';
    let stopped = false;
    try {
      const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: JSON.stringify(req.body), signal: controller.signal });
      requestId = res.headers.get('x-request-id') || res.headers.get('request-id') || '';
      if (!res.ok) {
        const data = await res.json().catch(() => null);
        throw new Error(data && data.error ? data.error.message || String(data.error) : `HTTP ${res.status}`);
      }
      await readEvents(res.body, (ev) => {
        const t = deltaText(req.kind, ev);
        if (!t) return;
        if (!firstToken) firstToken = performance.now();
        reply += t;
        out.textContent = reply;
      });
    } catch (ex) {
      if (ex.name === 'AbortError') stopped = true;
      else {
        out.textContent = `Error: ${ex.message}.${ex instanceof TypeError ? ` (A network error: the gateway at ${gw} must be reachable from this browser.)` : ''}`;
        out.classList.add('error');
      }
    } finally { controller = null; }
    const latency = Math.round(performance.now() - started);
    if (reply) messages.push({ role: 'assistant', content: reply });
    else messages.pop();  // a failed turn is not part of the conversation
    meta.textContent = `${stopped ? 'stopped · ' : ''}${latency} ms in the browser${firstToken ? `, first token after ${Math.round(firstToken - started)} ms` : ''} · reading the usage record…`;
    const rec = await usageRecord(requestId).catch(() => null);
    if (!rec) { meta.textContent = `${stopped ? 'stopped · ' : ''}${latency} ms · no usage record found${requestId ? ` for ${requestId}` : ''}`; return; }
    meta.dataset.requestId = rec.request_id;
    meta.dataset.costNano = String(rec.cost_nano);
    meta.textContent = `${stopped ? 'stopped · ' : ''}${fmt.int(rec.input_tokens)} in / ${fmt.int(rec.output_tokens)} out tokens · TTFT ${fmt.int(rec.ttft_ms)} ms · latency ${fmt.int(rec.latency_ms)} ms · cost ${rec.unpriced ? 'unpriced' : fmt.usd(rec.cost_usd)}`;
  };

  const form = h('form', {
    id: 'pg-form',
    onsubmit: async (e) => {
      e.preventDefault();
      const text = message.value.trim();
      if (!text || controller) return;
      message.value = '';
      send.disabled = true;
      stop.disabled = false;
      status.textContent = '';
      try { await turn(text); } finally {
        send.disabled = false;
        stop.disabled = true;
        message.focus();
      }
    },
  }, field('pg-message', 'Message', message), h('div', { class: 'actions' }, send, stop, clear));
  setMain(h('h1', {}, 'Playground'),
    h('p', { class: 'muted' }, `Chat through the gateway at ${gw}, straight from this browser. Keys stay in this page's memory: never stored, never sent to the dashboard.`),
    h('div', { class: 'playground' },
      h('section', { class: 'panel settings', 'aria-label': 'Settings' },
        field('pg-mode', 'Mode', mode), field('pg-provider', 'Provider', provider),
        field('pg-model', 'Model', model), modelList, keyField, monitorField,
        field('pg-system', 'System prompt', system)),
      h('section', { class: 'panel chat', 'aria-label': 'Conversation' }, log, status, form)));
  sync();
}
