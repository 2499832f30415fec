import { config } from '../lib/api.js';
import { copyButton, h, setMain } from '../lib/dom.js';

export async function sdkPage() {
  const gw = (await config()).gateway_url;
  const snippet = (title, text) => h('div', { class: 'panel' },
    h('div', { class: 'toolbar' }, h('strong', {}, title), copyButton(text)), h('pre', { tabindex: '0' }, h('code', {}, text)));
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
