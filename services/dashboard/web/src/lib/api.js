// The management REST API from the browser: fetch + JSON, errors in the API's shape.
import { state } from './state.js';

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

// fetch + JSON; a 401 sends the user to the login page. `rawBody` is sent as is (money amounts
// are written as JSON text so they never pass through a float).
export async function api(method, path, body, rawBody) {
  const opts = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined || rawBody !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = rawBody !== undefined ? rawBody : JSON.stringify(body);
  }
  const res = await fetch(path, opts);
  if (res.status === 204) return null;
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (!res.ok) {
    const msg = data && data.error ? data.error.message : `HTTP ${res.status}`;
    if (res.status === 401 && !path.startsWith('/api/auth/')) {
      state.org = null;
      location.hash = '#/login';
    }
    throw new ApiError(res.status, msg);
  }
  return data;
}
export async function config() {
  if (!state.config) state.config = await api('GET', '/api/config');
  return state.config;
}
