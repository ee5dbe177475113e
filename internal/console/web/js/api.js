// The API client: every call to segmentd goes through here, so the key is
// read in one place (sessionStorage, never the page) and every failure
// becomes an ApiError whose text says what happened and what to do.

const SESSION = 'segmentd.console.session';

export function loadSession() {
  try { return JSON.parse(sessionStorage.getItem(SESSION)); } catch { return null; }
}
export function saveSession(s) { sessionStorage.setItem(SESSION, JSON.stringify(s)); }
export function clearSession() { sessionStorage.removeItem(SESSION); }

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || '';
    this.path = e.path || '';
    // details hold every validation problem, each with its JSON Pointer.
    this.details = e.details && e.details.length ? e.details : (e.path ? [{ code: e.code, message: e.message, path: e.path }] : []);
    this.retryAfter = retryAfter;
  }
  // words is the message a person reads: what went wrong and what to do.
  get words() {
    const hint = {
      0: 'segmentd cannot be reached: is the server running? Try again.',
      401: 'The key was refused: sign out and sign in with a valid key.',
      403: 'This key lacks the scope this needs: use a key with the "segments" and "read" scopes, or the admin key.',
      404: 'Not found: it may have been deleted, or the key belongs to another app.',
      409: 'Conflict: see the message above.',
      413: 'The request is too large (1 MiB at most).',
      422: 'The engine refused the query for its size: simplify the tree.',
      429: `Too many requests for this key: wait ${this.retryAfter || 1} s and try again.`,
      503: `The engine is busy or unavailable: try again in ${this.retryAfter || 1} s.`,
      504: 'The query took too long: try a smaller window or fewer conditions.',
    }[this.status] || (this.status >= 500 ? 'The server failed: try again; if it persists, look at its log.' : '');
    return hint ? `${this.message}. ${hint}` : this.message;
  }
}

export class Client {
  constructor(key, app) { this.key = key; this.app = app; }

  appPath(rest = '') { return `/v1/apps/${encodeURIComponent(this.app)}${rest}`; }

  async raw(method, path, body, signal) {
    let res;
    try {
      res = await fetch(path, {
        method, signal,
        headers: { Authorization: `Bearer ${this.key}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      if (err.name === 'AbortError') throw err;
      throw new ApiError(0, { error: { message: 'the network request failed' } });
    }
    if (!res.ok) {
      let parsed = null;
      try { parsed = await res.json(); } catch { /* not JSON: keep the status */ }
      throw new ApiError(res.status, parsed, Number(res.headers.get('Retry-After')) || 0);
    }
    return res;
  }

  async json(method, path, body, signal) {
    const res = await this.raw(method, path, body, signal);
    return res.status === 204 ? null : res.json();
  }

  // app-relative helpers
  get(rest, signal) { return this.json('GET', this.appPath(rest), undefined, signal); }
  post(rest, body, signal) { return this.json('POST', this.appPath(rest), body, signal); }
  put(rest, body) { return this.json('PUT', this.appPath(rest), body); }
  del(rest) { return this.json('DELETE', this.appPath(rest)); }

  // download fetches a file with the Authorization header (a plain link
  // cannot carry it) and saves it through a Blob.
  async download(rest, filename) {
    const res = await this.raw('GET', this.appPath(rest));
    const blob = await res.blob();
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url; a.download = filename;
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    return blob;
  }
}

export const enc = encodeURIComponent;
