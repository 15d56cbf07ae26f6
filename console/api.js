// The console's only way to the relay: the public /v1 API, with the key of this browser tab.
//
// The key lives in sessionStorage (this tab, until it is closed or "Sign out"); never in a URL,
// a cookie or localStorage. Every request sends it as X-API-Key, so the API's scoping applies to
// the console exactly as to any other client.

const STORAGE_KEY = 'shiprelay.apiKey';

export const session = {
  get key() {
    return sessionStorage.getItem(STORAGE_KEY);
  },
  set(key) {
    sessionStorage.setItem(STORAGE_KEY, key);
  },
  clear() {
    sessionStorage.removeItem(STORAGE_KEY);
  },
};

/** An answer that was not a success: the problem+json body when there is one. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }

  /** `errors` of a 400 or 422: [{field, message}]. */
  get fieldErrors() {
    return Array.isArray(this.problem.errors) ? this.problem.errors : [];
  }
}

/** Fired when the API refuses the key (401): the app goes back to sign-in. */
export const UNAUTHORIZED = 'shiprelay:unauthorized';

function url(path, query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/**
 * One API call. Resolves with the parsed JSON (null for 204); rejects with ApiError.
 * `key` overrides the session's (used by sign-in before the key is kept).
 */
export async function request(method, path, { query, body, key } = {}) {
  const apiKey = key ?? session.key;
  const headers = { Accept: 'application/json' };
  if (apiKey) headers['X-API-Key'] = apiKey;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(url(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
    });
  } catch (e) {
    throw new ApiError(0, { detail: `The relay did not answer (${e.message}).` });
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (response.ok) return data;
  const problem = data && typeof data === 'object' ? data : { detail: `HTTP ${response.status}` };
  if (response.status === 401 && key === undefined) {
    window.dispatchEvent(new CustomEvent(UNAUTHORIZED, { detail: problem.detail }));
  }
  throw new ApiError(response.status, problem);
}

export const get = (path, query) => request('GET', path, { query });
export const post = (path, body = {}) => request('POST', path, { body });
export const patch = (path, body) => request('PATCH', path, { body });
export const del = (path) => request('DELETE', path);

/** Every page of a page-numbered list (subscriptions), up to `maxPages`. */
export async function allPages(path, query = {}, maxPages = 20) {
  const items = [];
  let truncated = false;
  for (let page = 1; page <= maxPages; page += 1) {
    const answer = await get(path, { ...query, page, pageSize: 100 });
    items.push(...answer.data);
    if (page >= answer.pagination.totalPages) break;
    if (page === maxPages) truncated = true;
  }
  return { items, truncated };
}

/** The known event types, from the OpenAPI document (no key needed); [] when it cannot be read. */
let eventTypes;
export async function knownEventTypes() {
  if (!eventTypes) {
    eventTypes = fetch('/openapi.json', { credentials: 'omit' })
      .then((r) => r.json())
      .then((doc) => doc?.components?.schemas?.EventType?.enum || [])
      .catch(() => []);
  }
  return eventTypes;
}

/** Text for an error: the problem's detail, and its per-field errors. */
export function describe(error) {
  if (!(error instanceof ApiError)) return String(error?.message || error);
  const fields = error.fieldErrors.map((e) => `${e.field}: ${e.message}`);
  return fields.length ? `${error.message} (${fields.join('; ')})` : error.message;
}
