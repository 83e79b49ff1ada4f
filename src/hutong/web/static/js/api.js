// The HTTP client: JSON in and out, the CSRF header on unsafe requests, and RFC 9457
// problem+json turned into ApiError with per-field messages.

const CSRF_COOKIE = "hutong_csrf";
const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

export class ApiError extends Error {
  constructor({ status = 0, type = "", title = "", detail = "", errors = [], retry_after, ...extra }) {
    super(detail || title || `Request failed (${status})`);
    this.status = status;
    this.type = type;
    this.title = title;
    this.detail = detail || title || this.message;
    this.errors = Array.isArray(errors) ? errors : [];
    this.retryAfter = retry_after ?? null;
    this.extra = extra;
  }

  /** The problem type's slug, e.g. "invalid-input", "unauthenticated", "expired". */
  get code() {
    return this.type.split("/").pop();
  }

  /** Field errors as {field: message}. */
  get fields() {
    const out = {};
    for (const e of this.errors) if (e && e.field && !(e.field in out)) out[e.field] = e.message;
    return out;
  }
}

let unauthenticatedHandler = null;

/** Called once with the error when a request made while signed in finds the session gone. */
export function onUnauthenticated(fn) {
  unauthenticatedHandler = fn;
}

let skewMs = 0;

/** The server's clock (ms since epoch), estimated from response Date headers. */
export function serverNow() {
  return Date.now() + skewMs;
}

export function readCookie(name) {
  for (const part of document.cookie.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return null;
}

async function request(method, path, { json, form, signal, ignore401 = false, headers: extra = {} } = {}) {
  const headers = { Accept: "application/json, application/problem+json", ...extra };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form; // the browser sets the multipart boundary
  }
  if (!SAFE.has(method)) {
    const csrf = readCookie(CSRF_COOKIE);
    if (csrf) headers["X-CSRF-Token"] = csrf;
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body, signal, credentials: "same-origin" });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError({ status: 0, title: "Offline", detail: "Can't reach Hutong. Check your connection and try again." });
  }
  const date = res.headers.get("Date");
  if (date) skewMs = Date.parse(date) + 500 - Date.now();
  if (res.status === 204) return null;
  const type = res.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await res.json().catch(() => null) : await res.text();
  if (res.ok) return data;
  const problem = data && typeof data === "object" ? data : { title: res.statusText, detail: String(data || "").slice(0, 200) };
  const error = new ApiError({ status: res.status, ...problem });
  if (res.status === 401 && error.code === "unauthenticated" && !ignore401 && unauthenticatedHandler) {
    unauthenticatedHandler(error);
  }
  throw error;
}

export const api = {
  get: (path, opts) => request("GET", path, opts),
  post: (path, json, opts) => request("POST", path, { ...opts, json }),
  patch: (path, json, opts) => request("PATCH", path, { ...opts, json }),
  put: (path, json, opts) => request("PUT", path, { ...opts, json }),
  upload: (path, form, opts) => request("PUT", path, { ...opts, form }),
  /** A multipart POST (scanning a photo, importing an address book, chat files). */
  postForm: (path, form, opts) => request("POST", path, { ...opts, form }),
  del: (path, opts) => request("DELETE", path, opts),
};

/** ws:// or wss:// URL of a path on this server. */
export function socketUrl(path) {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}${path}`;
}
