// DOM helpers. Every user-provided string reaches the DOM through textContent (h()), never innerHTML.

// h('div', {class: 'x', onclick: fn}, 'text', child, ...) — strings become text nodes.
export function h(tag, attrs, ...children) {
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

export function toast(text) {
  const t = document.getElementById('toast');
  t.textContent = text;
  t.classList.remove('hidden');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.add('hidden'), 2500);
}

export function copyButton(text) {
  return h('button', {
    class: 'secondary', type: 'button',
    onclick: async () => {
      try { await navigator.clipboard.writeText(text); toast('Copied'); }
      catch (e) { toast('Copy failed: select the text and copy it'); }
    },
  }, 'Copy');
}

// A table inside its own horizontal scroller (focusable, so the keyboard can scroll it): a wide
// table never widens the page.
export function table(columns, rows, label) {
  const el = h('table', {},
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.num ? 'num' : '', scope: 'col' }, c.title)))),
    h('tbody', {}, rows.length === 0
      ? h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, 'Nothing yet.'))
      : rows.map((r) => h('tr', {}, columns.map((c) => h('td', { class: c.num ? 'num' : '' }, c.cell(r)))))));
  return h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': label || 'Table' }, el);
}

export function card(label, value, sub) {
  return h('div', { class: 'card' }, h('div', { class: 'label' }, label),
    h('div', { class: 'value' }, value), sub ? h('div', { class: 'sub' }, sub) : null);
}

export function setMain(...children) {
  const main = document.getElementById('main');
  main.replaceChildren(...children);
}
