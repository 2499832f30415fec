import { config } from '../lib/api.js';
import { h, setMain } from '../lib/dom.js';

// ---- chat playground ----
// Calls the gateway straight from the browser with the credentials typed here (kept only in this
// page's memory). The gateway is another origin (port 8080): it must answer CORS preflights for
// this page's origin, or the browser blocks the call.

export async function playgroundPage() {
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
