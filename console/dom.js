// Building the page from data without ever parsing data as HTML.
//
// Everything the console shows comes from the API, and much of it from providers (payloads,
// subjects, response excerpts): attacker-controlled text. So the page is built only with
// createElement, text nodes and a short list of attributes; no string is ever parsed as markup.
// h() refuses event-handler attributes, inline styles and links that leave the console.

const SVG_NS = 'http://www.w3.org/2000/svg';

// Properties rather than attributes (their attribute is only the initial value).
const PROPERTIES = new Set(['value', 'checked', 'selected', 'indeterminate']);

function setProps(el, props) {
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'on') {
      for (const [event, listener] of Object.entries(value)) el.addEventListener(event, listener);
    } else if (name === 'class') {
      el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    } else if (PROPERTIES.has(name)) {
      el[name] = value;
    } else {
      const lower = name.toLowerCase();
      if (lower.startsWith('on') || lower === 'style' || lower === 'srcdoc') {
        throw new Error(`h(): attribute ${name} is not allowed`);
      }
      if ((lower === 'href' || lower === 'src' || lower === 'action' || lower === 'xlink:href')
          && !String(value).startsWith('#')) {
        throw new Error(`h(): ${name} must be a link inside the console (#/...)`);
      }
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element: h('tag', {attributes, on: {event: fn}}, ...children); strings become text. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  append(el, children);
  return el;
}

/** An SVG element, attributes only (no styles). */
export function svg(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setProps(el, props);
  append(el, children);
  return el;
}

let nextId = 0;
/** A unique id for label/aria wiring. */
export function uid(prefix = 'c') {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/** A labelled control: the label, the control, an optional hint, and a slot for its error. */
export function field(label, control, hint) {
  if (!control.id) control.id = uid('f');
  const parts = [h('label', { for: control.id }, label), control];
  if (hint) {
    const hintId = uid('hint');
    parts.push(h('p', { class: 'hint', id: hintId }, hint));
    control.setAttribute('aria-describedby', hintId);
  }
  return h('div', { class: 'field' }, parts);
}

/** Local date and time, to the second; the exact instant in the element's datetime. */
export function time(iso) {
  if (!iso) return h('span', { class: 'muted' }, '–');
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return h('span', {}, String(iso));
  return h('time', { datetime: iso, title: iso }, formatDate(date));
}

export function formatDate(date) {
  const p = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())} `
    + `${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}

/** "3 s", "4 min", "2 h": a duration in seconds, short. */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 120) return `${Math.round(seconds * 10) / 10} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 360) / 10} h`;
}

/** A table that scrolls sideways on a narrow screen. */
export function table(caption, columns, rows, { empty = 'Nothing here.' } = {}) {
  const body = h('tbody');
  for (const row of rows) {
    body.append(h('tr', {}, columns.map((c) => h('td', { class: c.class }, c.cell(row)))));
  }
  if (rows.length === 0) {
    body.append(h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, empty)));
  }
  return h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption },
    h('table', {},
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
      body));
}

/** Appends rows to a table made by table() (replacing its "empty" row). */
export function appendRows(wrap, columns, rows) {
  const body = wrap.querySelector('tbody');
  if (rows.length && body.querySelector('td.empty')) body.replaceChildren();
  for (const row of rows) {
    body.append(h('tr', {}, columns.map((c) => h('td', { class: c.class }, c.cell(row)))));
  }
}

/** A message area: info in a polite live region, errors in an alert. */
export function messages() {
  const status = h('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const alert = h('div', { class: 'alert', role: 'alert' });
  return {
    element: h('div', { class: 'messages' }, status, alert),
    info(...text) { alert.replaceChildren(); status.replaceChildren(h('p', {}, text)); },
    error(...text) { status.replaceChildren(); alert.replaceChildren(h('p', {}, text)); },
    clear() { status.replaceChildren(); alert.replaceChildren(); },
  };
}

/**
 * Asks before doing something: a modal <dialog> (focus stays in it, Escape cancels).
 * Resolves true when the person confirms.
 */
export function confirmDialog({ title, body, confirm, danger = false }) {
  return new Promise((resolve) => {
    const titleId = uid('dlg');
    const cancelButton = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const confirmButton = h('button', { type: 'button', class: danger ? 'danger' : 'primary' }, confirm);
    const dialog = h('dialog', { 'aria-labelledby': titleId },
      h('h2', { id: titleId }, title),
      (Array.isArray(body) ? body : [body]).map((p) => h('p', {}, p)),
      h('div', { class: 'actions' }, cancelButton, confirmButton));
    let answered = false;
    const close = (answer) => {
      if (answered) return;
      answered = true;
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    cancelButton.addEventListener('click', () => close(false));
    confirmButton.addEventListener('click', () => close(true));
    dialog.addEventListener('cancel', (e) => { e.preventDefault(); close(false); });
    document.body.append(dialog);
    dialog.showModal();
    cancelButton.focus();
  });
}

/** Copies text; falls back to selecting it where the Clipboard API is unavailable (plain http). */
async function copy(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    input.focus();
    input.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}

/** A secret shown once (signing secret, API key), read-only, with a copy button. */
export function secretPanel({ title, label, value, note }) {
  const input = h('input', { type: 'text', readonly: true, value, class: 'secret-value', spellcheck: 'false', autocomplete: 'off' });
  const status = h('span', { role: 'status', class: 'copy-status' });
  const button = h('button', {
    type: 'button',
    class: 'secondary',
    on: {
      click: async () => {
        status.textContent = (await copy(value, input)) ? 'Copied.' : 'Select the text and copy it.';
      },
    },
  }, 'Copy');
  return h('section', { class: 'secret-panel', 'aria-label': title },
    h('h2', {}, title),
    h('p', {}, note),
    field(label, input),
    h('div', { class: 'actions' }, button, status));
}

/** Button that disables itself while its async action runs. */
export function actionButton(label, action, { kind = 'secondary', type = 'button' } = {}) {
  const button = h('button', { type, class: kind });
  button.textContent = label;
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await action();
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

/** Splits a comma- or newline-separated list, dropping empty entries. */
export function splitList(text) {
  return String(text).split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
}

/** "2026-12-02T13:21" from a datetime-local input → RFC 3339 (UTC), or null. */
export function localInputToIso(value) {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** An RFC 3339 time as a datetime-local input's value (local time). */
export function isoToLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** A console link: only ever a fragment, with each id segment encoded. */
export function link(path, text, props = {}) {
  return h('a', { ...props, href: `#/${path}` }, text);
}

export function enc(id) {
  return encodeURIComponent(id);
}

/** The page's h1 (focused after navigation) and its main actions; sets the document title. */
export function heading(ctx, text, ...actions) {
  ctx.title(text);
  const present = actions.flat().filter(Boolean);
  return h('div', { class: 'page-head' },
    h('h1', { tabindex: -1 }, text),
    present.length ? h('div', { class: 'actions' }, present) : null);
}

/** A definition list of [term, description] pairs (descriptions may be nodes). */
export function details(pairs) {
  return h('dl', { class: 'details' }, pairs.filter(Boolean).map(([term, value]) => h('div', {},
    h('dt', {}, term), h('dd', {}, value === null || value === undefined || value === '' ? h('span', { class: 'muted' }, '–') : value))));
}

/** A small state label. */
export function badge(text, kind) {
  return h('span', { class: ['badge', kind && `badge-${kind}`] }, text);
}
