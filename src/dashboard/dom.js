// Small DOM and formatting helpers shared by the pages. Text always goes in as text nodes,
// never as HTML, so nothing the API returns can inject markup.

/** h('div', {class: 'x', onclick}, child, …): an element; null and false children are skipped. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(el.dataset, value);
    // Through the CSSOM: the page's CSP allows no inline style attributes.
    else if (name === 'style') Object.assign(el.style, value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** RUNNING, running, CANCELLED … → one class per meaning. */
export function statusClass(status) {
  const s = String(status ?? 'unknown').toUpperCase();
  if (s === 'CANCELLED') return 'canceled';
  return s.toLowerCase().replace(/[^a-z]+/g, '-');
}

export function statusPill(status) {
  const s = String(status ?? 'unknown').toUpperCase().replace('CANCELLED', 'CANCELED').replace(/_/g, ' ');
  return h('span', { class: `pill st-${statusClass(status)}`, title: s }, h('i', { class: 'dot' }), s.toLowerCase());
}

/** A bar from 0 to 1; `indeterminate` when running with nothing to count. */
export function progressBar(fraction, status, label) {
  const cls = statusClass(status);
  const known = typeof fraction === 'number' && Number.isFinite(fraction);
  const pct = known ? Math.max(0, Math.min(1, fraction)) * 100 : 0;
  return h(
    'div',
    { class: `bar st-${cls}${!known && cls === 'running' ? ' indeterminate' : ''}`, role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': known ? Math.round(pct) : undefined, title: label },
    h('span', { style: { width: `${known ? pct.toFixed(1) : cls === 'completed' ? 100 : 0}%` } }),
  );
}

const units = [
  ['year', 365 * 86400],
  ['month', 30 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "3 minutes ago", "in 2 hours". */
export function relTime(iso) {
  if (!iso) return '—';
  const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size || unit === 'second') return relative.format(Math.round(seconds / size), unit);
  }
  return iso;
}

export function time(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const d = new Date(iso);
  return h('time', { datetime: iso, title: d.toLocaleString() }, relTime(iso));
}

/** 0.42 s, 3.1 s, 2 m 05 s, 1 h 02 m. */
export function duration(startIso, endIso) {
  if (!startIso) return '—';
  const ms = (endIso ? new Date(endIso) : new Date()).getTime() - new Date(startIso).getTime();
  if (ms < 1000) return `${Math.max(0, ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} m`;
}

export function number(n, digits = 0) {
  return typeof n === 'number' ? n.toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '—';
}

export function jsonBlock(value) {
  return h('pre', { class: 'json' }, prettyJson(value));
}

/** A problem from the API (or any error) as a readable box. */
export function problemBox(error) {
  const problem = error?.problem ?? {};
  return h(
    'div',
    { class: 'problem', role: 'alert' },
    h('strong', {}, problem.title ?? (error?.status ? `HTTP ${error.status}` : 'Error')),
    ' ',
    problem.detail ?? error?.message ?? String(error),
    problem.errors?.length ? h('ul', {}, problem.errors.map((e) => h('li', {}, h('code', {}, e.path || '(body)'), ' ', e.message))) : null,
  );
}

export function empty(message) {
  return h('div', { class: 'empty' }, message);
}

export function card(title, ...children) {
  return h('section', { class: 'card' }, title ? h('h2', {}, title) : null, ...children);
}

/** JSON with short arrays and objects kept on one line, as a person would write it. */
export function prettyJson(value, indent = '') {
  const flat = inlineJson(value);
  if (flat === undefined || flat.length + indent.length <= 72 || value === null || typeof value !== 'object') return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + prettyJson(v, inner)).join(',\n')}\n${indent}]`;
  return `{\n${Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${prettyJson(v, inner)}`).join(',\n')}\n${indent}}`;
}

function inlineJson(value) {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(inlineJson).join(', ')}]`;
  return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${inlineJson(v)}`).join(', ')}}`;
}
