// The API's 400/422 errors, shown next to the control each one names.
//
// A 422 lists every problem as {field, message} with the API's paths: `url`, `events[0]`,
// `filter[2].path`, `filter[1].in[3]`, `headers.Host`, `allowedSources[0]`. A form binds its
// controls to those names; an error goes to the control bound to its exact path, else to the
// nearest enclosing one (`filter[1].in[3]` → `filter[1].in` → `filter[1]` → `filter`), and is
// wired to it with aria-invalid and aria-describedby. What matches nothing is listed in the
// summary only (the summary lists everything anyway).

import { h, uid } from './dom.js';

const LAST_SEGMENT = /(\[[^\]]*\]|\.[^.[]*)$/;

export class FieldErrors {
  constructor() {
    this.controls = new Map();
    this.shown = [];
    this.summary = h('div', { class: 'error-summary', role: 'alert', tabindex: -1, hidden: true });
  }

  /** Binds an API field path to a control (input, select, textarea or a fieldset). */
  bind(name, control) {
    this.controls.set(name, control);
  }

  /** Forgets bindings whose name starts with `prefix` (rows re-indexed on each submit). */
  unbindPrefix(prefix) {
    for (const name of [...this.controls.keys()]) {
      if (name.startsWith(prefix)) this.controls.delete(name);
    }
  }

  resolve(field) {
    let name = field;
    while (name) {
      if (this.controls.has(name)) return { name, control: this.controls.get(name) };
      const shorter = name.replace(LAST_SEGMENT, '');
      if (shorter === name) break;
      name = shorter;
    }
    return null;
  }

  clear() {
    for (const { control, errorId } of this.shown) {
      document.getElementById(errorId)?.remove();
      const rest = (control.getAttribute('aria-describedby') || '')
        .split(' ').filter((id) => id && id !== errorId).join(' ');
      if (rest) control.setAttribute('aria-describedby', rest);
      else control.removeAttribute('aria-describedby');
      control.removeAttribute('aria-invalid');
    }
    this.shown = [];
    this.summary.replaceChildren();
    this.summary.hidden = true;
  }

  /** Shows an ApiError: its detail in the summary, each field error by its control. */
  show(error) {
    this.clear();
    const errors = error.fieldErrors || [];
    this.summary.hidden = false;
    this.summary.append(h('p', {}, error.message));
    if (errors.length) {
      this.summary.append(h('ul', {}, errors.map((e) => h('li', {}, h('code', {}, e.field), ': ', e.message))));
    }
    let first = null;
    for (const { field, message } of errors) {
      const target = this.resolve(field);
      if (!target) continue;
      const { name, control } = target;
      const errorId = uid('err');
      const text = name === field ? message : `${field}: ${message}`;
      const note = h('p', { class: 'field-error', id: errorId }, text);
      const holder = control.closest('.row') || control.closest('.field') || control;
      if (holder === control) control.after(note);
      else holder.append(note);
      control.setAttribute('aria-invalid', 'true');
      const described = control.getAttribute('aria-describedby');
      control.setAttribute('aria-describedby', described ? `${described} ${errorId}` : errorId);
      this.shown.push({ control, errorId });
      first = first || control;
    }
    const focusable = first && (first.matches('input, select, textarea, button')
      ? first : first.querySelector('input, select, textarea, button'));
    (focusable || this.summary).focus?.();
    if (!focusable) this.summary.scrollIntoView({ block: 'nearest' });
  }
}
