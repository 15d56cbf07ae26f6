// The shiprelay console: a static client of the /v1 API (plain ES modules, no build step).
//
// app.js signs in and out, draws the frame (header, navigation) and routes `#/...` fragments to
// the views. Views get a context: who is signed in, the route's parameters, a container to fill,
// and timers that stop when the page is left.

import { request, session, ApiError, UNAUTHORIZED, describe } from './api.js';
import { h, link } from './dom.js';
import overview from './views-overview.js';
import { listSubscriptions } from './views-subscriptions.js';
import { subscriptionDetail } from './views-subscription.js';
import { subscriptionForm } from './views-subscription-form.js';
import { listEvents, eventDetail } from './views-events.js';
import deadLetters from './views-dead-letters.js';
import { listTenants, tenantDetail } from './views-tenants.js';
import audit from './views-audit.js';

const ROUTES = [
  { path: 'overview', nav: 'overview', view: overview },
  { path: 'subscriptions', nav: 'subscriptions', view: listSubscriptions },
  { path: 'subscriptions/new', nav: 'subscriptions', view: subscriptionForm, write: true },
  { path: 'subscriptions/:id', nav: 'subscriptions', view: subscriptionDetail },
  { path: 'subscriptions/:id/edit', nav: 'subscriptions', view: subscriptionForm, write: true },
  { path: 'events', nav: 'events', view: listEvents },
  { path: 'events/:id', nav: 'events', view: eventDetail },
  { path: 'dead-letters', nav: 'dead-letters', view: deadLetters },
  { path: 'tenants', nav: 'tenants', view: listTenants, admin: true },
  { path: 'tenants/:id', nav: 'tenants', view: tenantDetail, admin: true },
  { path: 'audit', nav: 'audit', view: audit, admin: true },
];

const NAV = [
  ['overview', 'Overview'],
  ['subscriptions', 'Subscriptions'],
  ['events', 'Events'],
  ['dead-letters', 'Dead letters'],
  ['tenants', 'Tenants', true],
  ['audit', 'Audit', true],
];

const root = document.getElementById('app');
let me = null;
let leaving = [];

function match(path) {
  const parts = path.split('/').filter(Boolean);
  for (const route of ROUTES) {
    const pattern = route.path.split('/');
    if (pattern.length !== parts.length) continue;
    const params = {};
    const ok = pattern.every((p, i) => {
      if (p.startsWith(':')) {
        params[p.slice(1)] = decodeURIComponent(parts[i]);
        return true;
      }
      return p === parts[i];
    });
    if (ok) return { route, params };
  }
  return null;
}

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, qs] = raw.split('?');
  return { path: path || 'overview', query: new URLSearchParams(qs || '') };
}

function leave() {
  for (const fn of leaving) fn();
  leaving = [];
}

// ---- signing in and out -------------------------------------------------------------------

function showSignIn(message, kind = 'error') {
  leave();
  me = null;
  document.title = 'Sign in · shiprelay console';
  const input = h('input', {
    id: 'api-key', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true,
    'aria-describedby': 'api-key-hint',
  });
  const note = h('p', { role: kind === 'error' ? 'alert' : 'status', class: kind === 'error' ? 'form-error' : 'form-info' }, message || '');
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', {
    class: 'signin-form',
    novalidate: true,
    on: {
      submit: async (event) => {
        event.preventDefault();
        const key = input.value.trim();
        if (!key) {
          note.className = 'form-error';
          note.textContent = 'Paste an API key first.';
          input.focus();
          return;
        }
        button.disabled = true;
        note.textContent = '';
        try {
          const who = await request('GET', '/v1/me', { key });
          session.set(key);
          input.value = '';
          me = who;
          showShell();
        } catch (e) {
          note.className = 'form-error';
          note.setAttribute('role', 'alert');
          note.textContent = e instanceof ApiError && e.status === 401
            ? 'That key was refused: it is unknown, revoked or mistyped.'
            : `Could not sign in: ${describe(e)}`;
          input.focus();
        } finally {
          button.disabled = false;
        }
      },
    },
  },
  h('label', { for: 'api-key' }, 'API key'),
  input,
  h('p', { class: 'hint', id: 'api-key-hint' },
    'An admin key (from the relay\u2019s api.keys) or a tenant key (srk_\u2026). It is kept in this tab only '
    + '(sessionStorage) until you sign out or close the tab, and sent to this relay\u2019s API as X-API-Key.'),
  button,
  note);
  root.replaceChildren(h('div', { class: 'signin' },
    h('h1', {}, 'shiprelay console'),
    h('p', { class: 'lead' }, 'Subscriptions, deliveries, events and dead letters of this relay, through its /v1 API.'),
    form));
  input.focus();
}

function signOut(message = 'Signed out. The key is no longer kept in this browser.') {
  session.clear();
  showSignIn(message, 'info');
}

window.addEventListener(UNAUTHORIZED, () => {
  if (!session.key) return;
  session.clear();
  showSignIn('The API no longer accepts this key (revoked, or the relay changed its keys): sign in again.');
});

// ---- the frame and the router ----------------------------------------------------------------

let content;
let navLinks = {};

function whoText() {
  if (me.kind === 'admin') return 'Admin key';
  return `Tenant ${me.tenant?.id ?? '?'} \u00b7 ${me.role === 'read' ? 'read-only' : 'write'} key`;
}

function showShell() {
  const isAdmin = me.kind === 'admin';
  navLinks = {};
  const items = NAV.filter(([, , admin]) => !admin || isAdmin).map(([path, label]) => {
    const a = link(path, label);
    // Following the link of the page one is on loads it afresh (there is no hashchange then).
    a.addEventListener('click', (event) => {
      if (location.hash === a.getAttribute('href')) {
        event.preventDefault();
        route(true);
      }
    });
    navLinks[path] = a;
    return h('li', {}, a);
  });
  content = h('main', { id: 'main', tabindex: -1 });
  root.replaceChildren(
    h('a', { class: 'skip-link', href: '#main', on: { click: (e) => { e.preventDefault(); content.focus(); } } }, 'Skip to content'),
    h('header', { class: 'topbar' },
      h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'shiprelay'),
      h('nav', { 'aria-label': 'Main' }, h('ul', {}, items)),
      h('div', { class: 'who' },
        h('span', { class: 'who-text' }, whoText()),
        h('button', { type: 'button', class: 'secondary small', on: { click: () => signOut() } }, 'Sign out'))),
    content);
  route(false);
}

async function route(focus = true) {
  if (!me) return;
  leave();
  const { path, query } = parseHash();
  const found = match(path);
  const isAdmin = me.kind === 'admin';
  for (const [name, a] of Object.entries(navLinks)) {
    if (found && found.route.nav === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const page = h('div', { class: 'page' });
  content.replaceChildren(page);
  let alive = true;
  leaving.push(() => { alive = false; });
  const ctx = {
    me,
    isAdmin,
    canWrite: isAdmin || me.role === 'write',
    params: found?.params || {},
    query,
    root: page,
    alive: () => alive,
    every(ms, fn) {
      const timer = setInterval(() => { if (alive && !document.hidden) fn(); }, ms);
      leaving.push(() => clearInterval(timer));
    },
    onLeave(fn) { leaving.push(fn); },
    title(text) { document.title = `${text} \u00b7 shiprelay console`; },
  };
  if (!found) {
    ctx.title('Not found');
    page.append(h('h1', { tabindex: -1 }, 'No such page'), h('p', {}, link('overview', 'Go to the overview')));
  } else if (found.route.admin && !isAdmin) {
    ctx.title('Admins only');
    page.append(h('h1', { tabindex: -1 }, 'Admins only'), h('p', {}, 'This page needs an admin key.'));
  } else if (found.route.write && !ctx.canWrite) {
    ctx.title('Read-only key');
    page.append(h('h1', { tabindex: -1 }, 'Read-only key'), h('p', {}, 'This key may only read: it cannot change anything.'));
  } else {
    try {
      await found.route.view(ctx);
    } catch (e) {
      if (!alive) return;
      if (e instanceof ApiError && e.status === 401) return;
      page.append(h('div', { class: 'alert', role: 'alert' }, h('p', {}, describe(e))));
    }
  }
  // Focus goes to the new page's heading, unless the person has moved on meanwhile.
  const active = document.activeElement;
  const untouched = !active || active === document.body || active.closest('.topbar') || !active.isConnected;
  if (focus && alive && untouched) (page.querySelector('h1') || content).focus({ preventScroll: false });
}

window.addEventListener('hashchange', () => route(true));

// ---- start -----------------------------------------------------------------------------------

async function start() {
  const key = session.key;
  if (!key) {
    showSignIn('');
    return;
  }
  try {
    me = await request('GET', '/v1/me', { key });
    showShell();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      session.clear();
      showSignIn('The API no longer accepts this key: sign in again.');
    } else {
      showSignIn(`The relay could not be reached: ${describe(e)}`);
    }
  }
}

start();
