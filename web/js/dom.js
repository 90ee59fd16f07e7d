// dom.js - building the page without innerHTML: h() makes elements from
// plain data, so text from the API is always text. Plus the formatting and
// the empty/error/loading states every page shares.

// h('a#id.button.primary', {href: '#/x'}, 'text', child, [more]) -> element.
// Attribute values: on* functions become listeners, 'style' an object of
// CSSOM properties (style attributes are blocked by the CSP), false/null
// are skipped, true is an empty attribute.
export function h(spec, attrs, ...children) {
  const parts = spec.match(/[.#]?[^.#]+/g) || [];
  const tag = parts[0] && !'.#'.includes(parts[0][0]) ? parts.shift() : 'div';
  const el = document.createElement(tag);
  const classes = [];
  for (const p of parts) {
    if (p[0] === '#') el.id = p.slice(1);
    else classes.push(p.slice(1));
  }
  if (classes.length) el.className = classes.join(' ');
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'style') Object.assign(el.style, v);
    else if (k === 'class') el.className += (el.className ? ' ' : '') + v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// Replaces el's children; children as for h() (arrays, null skipped).
export function fill(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

// ---- formatting ----
export function bytes(n) {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  const trim = (s) => s.replace(/\.0+$/, '');
  if (n < 1024 * 1024) return `${trim((n / 1024).toFixed(n < 10240 ? 1 : 0))} KiB`;
  return `${trim((n / 1048576).toFixed(n < 10485760 ? 2 : 1))} MiB`;
}

export function count(n) {
  if (n === null || n === undefined) return '—';
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

export function ms(n) {
  if (n === null || n === undefined) return '—';
  return n >= 100 ? `${n.toFixed(0)} ms` : n >= 10 ? `${n.toFixed(1)} ms` : `${n.toFixed(2)} ms`;
}

export function pct(part, whole) {
  return whole > 0 ? Math.round((100 * part) / whole) : 0;
}

// "3 min ago" with the exact time as the title; t is an ISO string or null.
export function when(t) {
  if (!t) return h('span.muted', '—');
  const d = new Date(t);
  const s = Math.round((Date.now() - d.getTime()) / 1000);
  let text;
  if (s < 0 || Number.isNaN(s)) text = d.toLocaleString();
  else if (s < 60) text = `${s} s ago`;
  else if (s < 3600) text = `${Math.floor(s / 60)} min ago`;
  else if (s < 86400) text = `${Math.floor(s / 3600)} h ago`;
  else text = d.toLocaleDateString();
  return h('time', { datetime: t, title: d.toLocaleString() }, text);
}

export function shape(dims) {
  return Array.isArray(dims) ? `[${dims.join(', ')}]` : '—';
}

// ---- shared pieces ----
const badgeKinds = {
  online: 'ok', done: 'ok', succeeded: 'ok', installed: 'ok', completed: 'ok', fits: 'ok', success: 'ok', active: 'ok',
  offline: '', queued: '', pending: '', waiting: '', skipped: '', cancelled: '', canceled: '',
  running: 'info', compiling: 'info', ready: 'info', installing: 'info', downloading: 'info', activating: 'info', in_progress: 'info', rolling: 'info',
  paused: 'warn', cancelling: 'warn', rolled_back: 'warn',
  failed: 'bad', error: 'bad', refused: 'bad', 'does not fit': 'bad',
};
export function badgeKind(text) {
  return badgeKinds[String(text).toLowerCase()] ?? '';
}
export function badge(text, kind) {
  const k = kind ?? badgeKind(text);
  return h(`span.badge${k ? '.' + k : ''}`, String(text).replace(/_/g, ' '));
}

// A progress bar with its accessible value; label names what progresses.
export function meter(value, max, label, kind = '') {
  const p = pct(value, max);
  const fill = h('span', { style: { width: `${Math.min(100, p)}%` } });
  return h('div.meter', [
    h(`div.bar${kind ? '.' + kind : ''}`, {
      role: 'progressbar', 'aria-label': label, 'aria-valuemin': '0', 'aria-valuemax': '100',
      'aria-valuenow': String(p), 'aria-valuetext': `${p}% (${value} of ${max})`,
    }, fill),
    h('span.pct', `${p}%`),
  ]);
}

export function loading(what = 'Loading') {
  return h('div.state', { role: 'status' }, h('span.spinner', { 'aria-hidden': 'true' }), ' ', what, '…');
}

export function empty(title, text, ...extra) {
  return h('div.state.empty', h('div.big', title), text ? h('p', text) : null, ...extra);
}

export function errorState(err, retry) {
  const status = err && err.status ? ` (HTTP ${err.status})` : '';
  return h('div.state.error', { role: 'alert' },
    h('div.big', `Could not load this${status}`),
    h('p', err && err.message ? err.message : String(err)),
    retry ? h('button', { type: 'button', onclick: retry }, 'Try again') : null);
}

// A table from columns [{label, cell(row) -> node|string, num, cls}] and rows.
// Stacks into labelled rows on narrow windows (class "stack").
export function table(columns, rows, opts = {}) {
  const head = h('thead', h('tr', columns.map((c) => h(c.num ? 'th.num' : 'th', { scope: 'col' }, c.label))));
  const body = h('tbody', rows.map((r, i) => {
    const tr = h('tr', columns.map((c) => h(c.num ? 'td.num' : 'td', { 'data-label': c.label, class: c.cls || null }, c.cell(r, i))));
    if (opts.rowAttrs) Object.entries(opts.rowAttrs(r, i)).forEach(([k, v]) => tr.setAttribute(k, v));
    return tr;
  }));
  return h('div.table-wrap', h('table.stack', { 'aria-label': opts.label || null }, opts.caption ? h('caption.sr', opts.caption) : null, head, body));
}

export function toast(text, kind = '') {
  const box = document.getElementById('toast');
  const item = h(kind ? `div.${kind}` : 'div', text);
  box.append(item);
  setTimeout(() => item.remove(), kind === 'bad' ? 8000 : 4000);
}

// The page heading with breadcrumbs; focus moves here after navigation.
export function pageHead(title, sub, crumbs = [], actions = null) {
  return h('div.head',
    h('div',
      crumbs.length ? h('nav.crumbs', { 'aria-label': 'Breadcrumb' }, crumbs.map((c, i) => [i ? ' / ' : '', h('a', { href: c[1] }, c[0])])) : null,
      h('h1', { tabindex: '-1' }, title),
      sub ? h('p.sub', sub) : null),
    actions ? h('div.actions', actions) : null);
}
