// Small SVG charts, drawn with createElementNS and attributes only (no library, no inline
// styles: colours come from the c0..c9 classes in style.css).

import { h, svg } from './dom.js';

const W = 640;
const H = 220;
const M = { left: 56, right: 14, top: 12, bottom: 28 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

/** The smallest "round" number (1, 2, 2.5, 5 × 10^n) at or above `value`. */
export function niceCeil(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

function hhmm(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

function yAxis(max, format) {
  const parts = [];
  for (const fraction of [0, 0.5, 1]) {
    const y = M.top + PH - fraction * PH;
    parts.push(svg('line', { class: 'grid', x1: M.left, x2: M.left + PW, y1: y, y2: y }));
    parts.push(svg('text', { class: 'tick', x: M.left - 6, y: y + 4, 'text-anchor': 'end' }, format(max * fraction)));
  }
  return parts;
}

function frame(label, children) {
  return svg('svg', {
    viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, class: 'chart', focusable: 'false',
  }, svg('title', {}, label), children);
}

function legend(items) {
  return h('ul', { class: 'legend' }, items.map(({ name, text, index }) => h('li', {},
    h('span', { class: `swatch c${index % 10}`, 'aria-hidden': 'true' }),
    h('span', { class: 'legend-name' }, name),
    ' ', h('span', { class: 'legend-value' }, text))));
}

/**
 * Lines over time: one per series, `values[i]` for `minutes[i]` (null: no value that minute).
 * `describe(series)` gives each series' legend text (e.g. its total in the window).
 */
export function lineChart({ title, minutes, series, format = String, describe }) {
  const n = minutes.length;
  const all = series.flatMap((s) => s.values).filter((v) => typeof v === 'number');
  const max = niceCeil(Math.max(0, ...all));
  const x = (i) => M.left + (n <= 1 ? PW / 2 : (i / (n - 1)) * PW);
  const y = (v) => M.top + PH - (v / max) * PH;
  const marks = [];
  series.forEach((s, k) => {
    const cls = `c${(s.color ?? k) % 10}`;
    // A series that is zero all along would only hide the axis; the legend still lists it.
    if (!s.values.some((v) => typeof v === 'number' && v !== 0)) return;
    let d = '';
    let run = 0;
    s.values.forEach((v, i) => {
      if (typeof v !== 'number') {
        run = 0;
        return;
      }
      d += `${run === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)} `;
      run += 1;
      const isolated = typeof s.values[i - 1] !== 'number' && typeof s.values[i + 1] !== 'number';
      if (isolated) marks.push(svg('circle', { class: `dot ${cls}`, cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 3 }));
    });
    if (d) marks.push(svg('path', { class: `line ${cls}`, d: d.trim() }, svg('title', {}, s.name)));
  });
  const labels = [];
  if (n > 0) {
    const at = n === 1 ? [0] : [0, Math.floor((n - 1) / 2), n - 1];
    for (const i of at) {
      const anchor = n === 1 || (i !== 0 && i !== n - 1) ? 'middle' : (i === 0 ? 'start' : 'end');
      labels.push(svg('text', { class: 'tick', x: x(i), y: H - 8, 'text-anchor': anchor }, hhmm(minutes[i])));
    }
  }
  const items = series.map((s, k) => ({ name: s.name, text: describe(s), index: s.color ?? k }));
  const summary = `${title}: ${items.map((i) => `${i.name} ${i.text}`).join(', ')}`;
  return h('figure', { class: 'chart-card' },
    h('figcaption', {}, title),
    frame(summary, [yAxis(max, format), svg('line', { class: 'axis', x1: M.left, x2: M.left + PW, y1: M.top + PH, y2: M.top + PH }), marks, labels]),
    legend(items));
}

/** Grouped bars: one group per category, one bar per series (latest values). */
export function barChart({ title, categories, series, format = String, describe }) {
  const all = series.flatMap((s) => s.values).filter((v) => typeof v === 'number');
  const max = niceCeil(Math.max(0, ...all));
  const group = PW / Math.max(1, categories.length);
  const bar = (group * 0.8) / Math.max(1, series.length);
  const marks = [];
  categories.forEach((category, c) => {
    series.forEach((s, k) => {
      const v = typeof s.values[c] === 'number' ? s.values[c] : 0;
      const height = (v / max) * PH;
      const x = M.left + c * group + group * 0.1 + k * bar;
      marks.push(svg('rect', {
        class: `bar c${(s.color ?? k) % 10}`, x: x.toFixed(1), y: (M.top + PH - height).toFixed(1),
        width: Math.max(1, bar - 1).toFixed(1), height: Math.max(0, height).toFixed(1),
      }, svg('title', {}, `${category}, ${s.name}: ${format(v)}`)));
    });
    marks.push(svg('text', { class: 'tick', x: (M.left + c * group + group / 2).toFixed(1), y: H - 8, 'text-anchor': 'middle' }, category));
  });
  const items = series.map((s, k) => ({ name: s.name, text: describe(s), index: s.color ?? k }));
  const summary = `${title}: ${items.map((i) => `${i.name} ${i.text}`).join(', ')}`;
  return h('figure', { class: 'chart-card' },
    h('figcaption', {}, title),
    frame(summary, [yAxis(max, format), svg('line', { class: 'axis', x1: M.left, x2: M.left + PW, y1: M.top + PH, y2: M.top + PH }), marks]),
    legend(items));
}
