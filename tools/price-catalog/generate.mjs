// Generates data/price_catalog.json (read by the C++ services at start) from the npm package
// @pydantic/genai-prices. Run it through scripts/update-price-catalog; see README.md.
//
// Usage: node generate.mjs <output.json> <license-output>
//
// Semantics taken from the package's dist/index.js (0.1.8) and kept by this format:
// - model lookup (`fe`, `f`): the first model of a provider whose `match` logic accepts the
//   lower-cased model name wins, so models keep the package's order. (`ve` also retries with a
//   trailing -YYYYMMDD date rewritten to -YYYY-MM-DD; `C` falls back to other providers listed in
//   the provider's fallback_model_providers: neither is represented here, the C++ side does it.)
// - price periods (`we`): the periods are walked from the last back; the last one whose
//   start_date <= the call's time wins, else the first one. So the first period applies from the
//   beginning of time (start_date null) and later ones must be in ascending start_date order.
// - tiers (`de`, `he`): a kind's price is {base, tiers: [{start, price}]}; for a call whose TOTAL
//   input tokens (usage input_tokens, which includes cache reads and writes) are > start, all of
//   that kind's tokens are billed at the tier price (strictly greater: "> 199999" means from 200k).
// - a kind without a price (`ne`): its tokens are not split off their parent unit, so e.g. cache
//   reads of a model without cache_read_mtok are billed as plain input tokens.
import { findProvider } from '@pydantic/genai-prices';
import { readFileSync, writeFileSync, copyFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = '@pydantic/genai-prices';

// genai-prices provider id -> catalog provider key, in output order.
const PROVIDERS = [
  ['openai', 'openai'],
  ['anthropic', 'anthropic'],
  ['google', 'google'],
  ['x-ai', 'xai'],
];

// genai-prices price key -> catalog price kind, in output order. Every other price key is ignored.
const PRICE_KINDS = [
  ['input_mtok', 'input'],
  ['cache_read_mtok', 'cached_input'],
  ['cache_write_mtok', 'cache_write'],
  ['cache_write_1h_mtok', 'cache_write_1h'],
  ['output_mtok', 'output'],
];

// Maximum output tokens per call: genai-prices has no such field. Ordered [regex on the model id,
// max output tokens]; the first match wins; the result never exceeds a known context window.
// Embedding models get 0 (no output tokens) before this table is consulted.
// Anything unmatched: min(context_window or 131072, 131072).
const MAX_OUTPUT_TOKENS = [
  // --- OpenAI (platform.openai.com/docs/models, "Max output tokens") ---
  [/^gpt-5-pro(-|$)/, 272000], // gpt-5-pro: 400,000 context, 272,000 max output tokens
  [/^gpt-5([.-]|$)/, 128000], // gpt-5, gpt-5-mini/-nano, gpt-5.1/5.2/5.4, gpt-5-codex, gpt-5.x-pro: 128,000 max output
  [/^gpt-4\.5/, 16384], // gpt-4.5-preview: 128,000 context, 16,384 max output
  [/^gpt-4\.1/, 32768], // gpt-4.1, gpt-4.1-mini, gpt-4.1-nano: 1,047,576 context, 32,768 max output
  [/^gpt-4o-2024-05-13$/, 4096], // gpt-4o-2024-05-13 (the first gpt-4o snapshot): 4,096 max output
  [/realtime/, 4096], // gpt-4o-realtime-preview, gpt-4o-mini-realtime-preview, gpt-realtime: 4,096 max output
  [/^(chatgpt-4o|gpt-4o|ft:gpt-4o)/, 16384], // gpt-4o, gpt-4o-mini, chatgpt-4o-latest, gpt-4o-search-preview: 16,384 max output
  [/^gpt-audio/, 16384], // gpt-audio, gpt-audio-mini: 128,000 context, 16,384 max output
  [/^gpt-4(-|$)/, 4096], // gpt-4, gpt-4-32k, gpt-4-turbo, gpt-4-vision-preview: 4,096 max output (kept at 4,096 for gpt-4 too)
  [/^(ft:)?gpt-3\.5/, 4096], // gpt-3.5-turbo (-0613, -1106, -16k, -instruct): 4,096 max output
  [/^text-davinci-00[23]$/, 4096], // text-davinci-002/003: 4,097-token window shared by prompt and completion
  [/^(ada|babbage|curie|davinci)$/, 2048], // GPT-3 base models: 2,049-token window shared by prompt and completion
  [/^o1-mini/, 65536], // o1-mini: 128,000 context, 65,536 max output
  [/^o1-preview/, 32768], // o1-preview: 128,000 context, 32,768 max output
  [/^(o1|o1-pro|o3|o3-pro|o3-mini|o4-mini|o3-deep-research|o4-mini-deep-research)(-|$)/, 100000], // o-series: 200,000 context, 100,000 max output
  [/^codex-mini/, 100000], // codex-mini-latest: 200,000 context, 100,000 max output
  [/^computer-use/, 1024], // computer-use-preview: 8,192 context, 1,024 max output
  // --- Anthropic (docs.anthropic.com, models overview, "Max output"); also Vertex AI ids under google ---
  [/^claude-(v1|2)/, 4096], // Claude 1 / 2.0 / 2.1: 4,096 max output
  [/^claude-3-(haiku|opus|sonnet)/, 4096], // Claude 3 Haiku / Opus / Sonnet: 4,096 max output
  [/^claude-3-5-(sonnet|haiku)/, 8192], // Claude Sonnet 3.5 / Haiku 3.5: 8,192 max output
  [/^claude-3-7-sonnet/, 64000], // Claude Sonnet 3.7: 64,000 max output (128k with a beta header)
  [/^claude-(sonnet-4|4-sonnet)/, 64000], // Claude Sonnet 4, 4.5, 4.6: 64,000 max output
  [/^claude-haiku-4-5/, 64000], // Claude Haiku 4.5: 64,000 max output
  [/^claude-opus-4-5/, 64000], // Claude Opus 4.5: 64,000 max output
  [/^claude-(opus-4-0|opus-4-1|4-opus|opus-4$|opus-4-2025)/, 32000], // Claude Opus 4 / 4.1: 32,000 max output
  [/^claude-/, 128000], // Claude Opus 4.6 and later 4.x / 5 models: 128,000 max output
  // --- Google (ai.google.dev/gemini-api/docs/models and Vertex AI model pages, "Output token limit") ---
  [/^gemini-1\.0-pro-vision/, 2048], // Gemini 1.0 Pro Vision: 2,048 output tokens
  [/^gemini-(1\.0-)?pro$/, 8192], // Gemini 1.0 Pro: 8,192 output tokens
  [/^gemini-(1\.5|2\.0|flash-1\.5|pro-1\.5)/, 8192], // Gemini 1.5 Pro/Flash/Flash-8B, 2.0 Flash/Flash-Lite: 8,192 output tokens
  [/^gemini-live-2\.5/, 8192], // Gemini Live 2.5 Flash (Live API): 8,192 output tokens
  [/^gemini-(2\.5|3)/, 65536], // Gemini 2.5 Pro/Flash/Flash-Lite, Gemini 3 Pro/Flash: 65,536 output tokens
  [/^gemma-2/, 8192], // Gemma 2: 8,192-token context window
  // --- xAI (docs.x.ai/docs/models): no separate output cap is published, the context window bounds it ---
  [/^grok-3/, 131072], // grok-3, grok-3-mini (-fast): 131,072 context
  [/^grok-/, 131072], // grok-4 and later: no separate output cap published; 131,072 chosen
];
const DEFAULT_MAX_OUTPUT_TOKENS = 131072;

// kind: "embedding" | "other" | "chat". Rules, first that applies:
// 1. the id contains "embed" -> embedding;
// 2. no input or no output token price in some period -> other (unpriced, per-second or per-request);
// 3. the model is priced for generating audio, image or video tokens -> other;
// 4. the id or name says it is not a text chat model -> other: speech (whisper, tts, transcribe,
//    audio, voice, realtime, live), images and video (dall-e, gpt-image, "-image", imagen, veo, sora),
//    moderation, computer-use, and the legacy completions-only models (ada, babbage, curie,
//    davinci, text-davinci-*, *-instruct); search-preview, deep-research, codex, -pro and
//    fine-tuned (ft:) models are chat;
// 5. else chat.
const NOT_CHAT = [
  /whisper/, /tts/, /transcribe/, /audio/, /voice/, /realtime/, /(^|-)live(-|$)/,
  /dall-e/, /gpt-image/, /-image/, /imagen/, /veo/, /sora/,
  /moderation/, /computer-use/,
  /^(ada|babbage|curie|davinci)$/, /^text-(ada|babbage|curie|davinci)/, /-instruct/,
];
const MEDIA_OUTPUT_KEYS = /^output_(audio|image|video)_/;

class CatalogError extends Error {}
const fail = (msg) => { throw new CatalogError(msg); };

// USD per 1M tokens (a JS number) -> nano-USD per 1M tokens, exactly, from its shortest decimal.
function toNano(value, where) {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(`${where}: price ${typeof value === 'number' ? value : JSON.stringify(value)} is not a finite non-negative number`);
  }
  const text = String(value);
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(text);
  if (!m) fail(`${where}: cannot parse price ${text}`);
  const [, whole, frac = '', exp = '0'] = m;
  const digits = BigInt(whole + frac);
  const shift = Number(exp) - frac.length + 9; // value = digits * 10^(exp - frac.length)
  let nano;
  if (shift >= 0) {
    nano = digits * 10n ** BigInt(shift);
  } else {
    const div = 10n ** BigInt(-shift);
    if (digits % div !== 0n) fail(`${where}: price ${text} USD/1M tokens is not a whole number of nano-USD`);
    nano = digits / div;
  }
  if (nano > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${where}: price ${text} is too large`);
  return Number(nano);
}

// "2025-06-10" -> "2025-06-10T00:00:00Z"; a full date-time -> its UTC form.
function normaliseDate(value, where) {
  if (typeof value !== 'string') fail(`${where}: start_date ${JSON.stringify(value)} is not a string`);
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const d = new Date(`${value}T00:00:00Z`);
    if (Number.isNaN(d.getTime()) || !d.toISOString().startsWith(value)) fail(`${where}: bad start_date ${value}`);
    return `${value}T00:00:00Z`;
  }
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(d.getTime())) fail(`${where}: bad start_date ${value}`);
  return d.toISOString().replace(/\.000Z$/, 'Z');
}

// The package's prices -> [{start_date|null, prices}], validated against `we`'s semantics.
function periodsOf(model, where) {
  if (!Array.isArray(model.prices)) {
    if (typeof model.prices !== 'object' || model.prices === null) fail(`${where}: prices missing`);
    return [{ start_date: null, prices: model.prices }];
  }
  if (model.prices.length === 0) fail(`${where}: empty prices array`);
  const out = [];
  model.prices.forEach((p, i) => {
    const c = p.constraint;
    let start = null;
    if (c !== undefined) {
      const type = c.type ?? ('start_date' in c ? 'start_date' : 'time_of_date');
      if (type !== 'start_date') fail(`${where}: period ${i} has a ${type} constraint, which the catalog cannot express`);
      start = normaliseDate(c.start_date, where);
    } else if (i > 0) {
      fail(`${where}: period ${i} has no constraint (it would hide the periods before it)`);
    }
    if (i > 0 && out[i - 1].start_date !== null && start <= out[i - 1].start_date) {
      fail(`${where}: period start dates are not strictly ascending`);
    }
    // The first period applies to every time before the second one (see `we`).
    out.push({ start_date: i === 0 ? null : start, prices: p.prices });
  });
  return out;
}

function convertPeriod(period, where, ignored, notes) {
  const prices = period.prices ?? {};
  for (const key of Object.keys(prices)) {
    if (!PRICE_KINDS.some(([k]) => k === key)) ignored.add(key);
  }
  const base = {};
  const tiered = {};
  let start = null;
  for (const [key, kind] of PRICE_KINDS) {
    const v = prices[key];
    const at = `${where} ${key}`;
    if (v === undefined || v === null) {
      base[kind] = 0;
    } else if (typeof v === 'number') {
      base[kind] = toNano(v, at);
    } else if (typeof v === 'object' && 'base' in v && Array.isArray(v.tiers)) {
      base[kind] = toNano(v.base, `${at} base`);
      if (v.tiers.length === 0) continue; // no tiers: a flat price
      if (v.tiers.length > 1) fail(`${at}: ${v.tiers.length} tiers; the catalog holds one tier per period`);
      const t = v.tiers[0];
      if (!Number.isSafeInteger(t.start) || t.start < 0) fail(`${at}: bad tier start ${JSON.stringify(t.start)}`);
      if (start !== null && t.start !== start) {
        fail(`${where}: tiered kinds start at different input token counts (${start} and ${t.start})`);
      }
      start = t.start;
      tiered[kind] = toNano(t.price, `${at} tier`);
    } else {
      fail(`${at}: unexpected price value ${JSON.stringify(v)}`);
    }
    if (kind !== 'input' && kind !== 'output' && v !== undefined && base[kind] === 0 && base.input !== 0) {
      notes.push(`${where}: ${key} is explicitly 0 (free in genai-prices, billed at the input price by the catalog's convention)`);
    }
  }
  const out = { start_date: period.start_date };
  for (const [, kind] of PRICE_KINDS) out[kind] = base[kind];
  if (start === null) {
    out.tier = null;
  } else {
    out.tier = { above_input_tokens: start };
    for (const [, kind] of PRICE_KINDS) out.tier[kind] = kind in tiered ? tiered[kind] : base[kind];
  }
  return out;
}

// Every `equals` reachable from the root through `or` nodes only.
function aliasesOf(match) {
  const seen = new Set();
  const walk = (node) => {
    if (node === null || typeof node !== 'object') return;
    if (typeof node.equals === 'string') seen.add(node.equals.toLowerCase());
    else if (Array.isArray(node.or)) node.or.forEach(walk);
  };
  walk(match);
  return [...seen];
}

// The package's match function (`f` in dist/index.js), to check which model an alias resolves to.
function matches(node, name) {
  const t = name.toLowerCase();
  if ('or' in node) return node.or.some((c) => matches(c, name));
  if ('and' in node) return node.and.every((c) => matches(c, name));
  if ('equals' in node) return t === node.equals.toLowerCase();
  if ('starts_with' in node) return t.startsWith(node.starts_with.toLowerCase());
  if ('ends_with' in node) return t.endsWith(node.ends_with.toLowerCase());
  if ('contains' in node) return t.includes(node.contains.toLowerCase());
  if ('regex' in node) return new RegExp(node.regex).test(name);
  return false;
}

function kindOf(model, periods) {
  const id = model.id.toLowerCase();
  const name = (model.name ?? '').toLowerCase();
  if (id.includes('embed')) return 'embedding';
  for (const p of periods) {
    const pr = p.prices ?? {};
    if (pr.input_mtok === undefined || pr.output_mtok === undefined) return 'other';
    if (Object.keys(pr).some((k) => MEDIA_OUTPUT_KEYS.test(k))) return 'other';
  }
  if (NOT_CHAT.some((re) => re.test(id) || re.test(name))) return 'other';
  return 'chat';
}

function maxOutputOf(model, kind) {
  if (kind === 'embedding') return 0;
  const ctx = model.context_window ?? null;
  const hit = MAX_OUTPUT_TOKENS.find(([re]) => re.test(model.id.toLowerCase()));
  let value = hit ? hit[1] : Math.min(ctx ?? DEFAULT_MAX_OUTPUT_TOKENS, DEFAULT_MAX_OUTPUT_TOKENS);
  if (ctx !== null && value > ctx) value = ctx;
  return value;
}

function convertProvider(providerId, ignored, notes) {
  const provider = findProvider({ providerId });
  if (!provider || provider.id !== providerId) fail(`provider ${providerId} not found in ${PACKAGE}`);
  if (provider.fallback_model_providers?.length) {
    notes.push(`${providerId}: falls back to the models of ${provider.fallback_model_providers.join(', ')} when none of its own matches (not in the catalog)`);
  }
  const ids = new Set();
  const models = provider.models.map((m, index) => {
    const where = `${providerId}/${m.id}`;
    if (typeof m.id !== 'string' || m.id === '') fail(`${providerId} model ${index}: no id`);
    if (ids.has(m.id)) fail(`${where}: duplicate model id`);
    ids.add(m.id);
    if (typeof m.match !== 'object' || m.match === null) fail(`${where}: no match logic`);
    if (m.context_window != null && !Number.isSafeInteger(m.context_window)) fail(`${where}: bad context_window`);
    const periods = periodsOf(m, where);
    const kind = kindOf(m, periods);
    const aliases = aliasesOf(m.match);
    for (const a of aliases) {
      const winner = provider.models.find((o) => matches(o.match, a));
      if (winner !== m) notes.push(`${where}: alias "${a}" is matched first by ${winner ? winner.id : 'no model'}`);
    }
    const keys = new Set(periods.flatMap((p) => Object.keys(p.prices ?? {})));
    if (kind === 'chat') {
      const tokenKeys = [...keys].filter((k) => /_mtok$/.test(k) && !PRICE_KINDS.some(([pk]) => pk === k));
      if (tokenKeys.length) notes.push(`${where}: chat model with ignored token prices ${tokenKeys.join(', ')}`);
    }
    if (keys.has('cache_write_mtok') && !keys.has('cache_write_1h_mtok')) {
      notes.push(`${where}: cache_write priced, cache_write_1h not (genai-prices bills 1h writes at the cache_write price)`);
    }
    return {
      id: m.id,
      name: m.name ?? m.id,
      kind,
      deprecated: m.deprecated === true,
      match: m.match,
      aliases,
      context_window: m.context_window ?? null,
      max_output_tokens: maxOutputOf(m, kind),
      prices: periods.map((p, i) => convertPeriod(p, `${where} period ${i}`, ignored, notes)),
    };
  });
  return models;
}

function main() {
  const [outPath, licenseOut] = process.argv.slice(2);
  if (!outPath || !licenseOut) {
    console.error('usage: node generate.mjs <output.json> <license-output>');
    process.exit(2);
  }
  // The package does not export its package.json; find it next to its entry point (dist/index.js).
  const pkgDir = dirname(dirname(fileURLToPath(import.meta.resolve(PACKAGE))));
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  if (pkg.name !== PACKAGE) fail(`unexpected package ${pkg.name} at ${pkgDir}`);
  if (pkg.license !== 'MIT') fail(`${PACKAGE} license is ${pkg.license}, not MIT: review before shipping`);

  const ignored = new Set();
  const notes = [];
  const providers = {};
  for (const [sourceId, key] of PROVIDERS) providers[key] = convertProvider(sourceId, ignored, notes);

  const catalog = {
    source: PACKAGE,
    version: pkg.version,
    license: pkg.license,
    license_file: 'price_catalog.LICENSE',
    generated_by: 'scripts/update-price-catalog',
    providers,
  };
  const text = JSON.stringify(catalog, null, 2) + '\n';
  writeFileSync(`${outPath}.tmp`, text);
  renameSync(`${outPath}.tmp`, outPath);
  copyFileSync(join(pkgDir, 'LICENSE'), licenseOut);

  const counts = Object.entries(providers)
    .map(([k, ms]) => `${k} ${ms.length} (${ms.filter((m) => m.kind === 'chat').length} chat)`)
    .join(', ');
  console.log(`price catalog: ${PACKAGE} ${pkg.version}: ${counts}`);
  console.log(`ignored price keys: ${[...ignored].sort().join(', ') || 'none'}`);
  if (process.env.PRICE_CATALOG_NOTES) for (const n of notes) console.log(`note: ${n}`);
  else if (notes.length) console.log(`${notes.length} notes on data the catalog does not express (PRICE_CATALOG_NOTES=1 lists them)`);
}

try {
  main();
} catch (e) {
  if (e instanceof CatalogError) {
    console.error(`generate.mjs: ${e.message}`);
    process.exit(1);
  }
  throw e;
}
