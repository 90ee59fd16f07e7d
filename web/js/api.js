// api.js - the one way the pages talk to tmlaasd: fetch under /api/v1 with
// the bearer token the user logged in with. Errors come back as ApiError
// with the server's message ({"error": {"message": ...}}); a 401 logs out.

const KEY = 'tmlaas.token';

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

// The token lives for the browser tab (sessionStorage) unless the user
// asked to be remembered on this computer (localStorage).
export function getToken() {
  return sessionStorage.getItem(KEY) || localStorage.getItem(KEY);
}

export function setToken(token, remember) {
  sessionStorage.setItem(KEY, token);
  if (remember) localStorage.setItem(KEY, token);
  else localStorage.removeItem(KEY);
}

export function clearToken() {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
}

// api('models') or api('deployments', {method: 'POST', body: {...}}); a
// FormData body is sent as multipart. Resolves to the parsed JSON (or a
// Blob with {blob: true}).
export async function api(path, { method = 'GET', body, blob = false, token = getToken(), signal } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (body instanceof FormData || body instanceof Blob) payload = body;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(`/api/v1/${path}`, { method, headers, body: payload, signal, cache: 'no-store' });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'The server cannot be reached. Is tmlaasd running?');
  }
  if (res.ok && blob) return res.blob();
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const msg = data?.error?.message || `${res.status} ${res.statusText}`;
    if (res.status === 401 && token === getToken()) window.dispatchEvent(new CustomEvent('tml:unauthorized'));
    throw new ApiError(res.status, msg, data);
  }
  return data;
}

// Like api(), but a 404 (an endpoint or record this server does not have)
// resolves to null instead of throwing.
export async function apiOptional(path, opts) {
  try {
    return await api(path, opts);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return null;
    throw e;
  }
}

export const enc = encodeURIComponent;
