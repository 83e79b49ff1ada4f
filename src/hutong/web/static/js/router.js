// Hash routing: "#/me/edit?x=1". Routes are registered with a pattern ("/qr/:token") and a
// view; a view is called with a context and returns the element to show. The context owns
// everything the view starts (listeners, timers, sockets) and releases it when the view goes.

import * as store from "./store.js";

const routes = [];
let current = null;
let renderHook = null;

/**
 * Register a screen.
 * @param {string} pattern   "/me/devices", "/qr/:token"
 * @param {(ctx: object) => Node} view
 * @param {object} [opts]    {auth: true} needs a signed-in user, {guest: true} only signed out
 */
export function route(pattern, view, opts = {}) {
  const names = [];
  const rx = new RegExp(
    "^" + pattern.replace(/:([a-z_]+)/g, (_, n) => (names.push(n), "([^/]+)")) + "/?$",
  );
  routes.push({ pattern, rx, names, view, ...opts });
}

export function parse(hash = location.hash) {
  const raw = hash.replace(/^#/, "") || "/";
  const [path, qs = ""] = raw.split("?");
  return { path: path || "/", query: Object.fromEntries(new URLSearchParams(qs)) };
}

function match(path) {
  for (const r of routes) {
    const m = r.rx.exec(path);
    if (m) {
      const params = {};
      r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
      return { route: r, params };
    }
  }
  return null;
}

/** Go to a hash path, e.g. navigate("/me"). */
export function navigate(path, { replace = false } = {}) {
  const hash = "#" + path;
  if (location.hash === hash) return render();
  if (replace) {
    history.replaceState(history.state, "", location.pathname + location.search + hash);
    render();
  } else {
    location.hash = hash; // fires hashchange → render
  }
}

/** Where `next` may send the user after signing in: only our own hash paths. */
export function safeNext(next) {
  return typeof next === "string" && next.startsWith("/") && !next.startsWith("//") ? next : null;
}

class Context {
  constructor(path, params, query) {
    this.path = path;
    this.params = params;
    this.query = query;
    this.controller = new AbortController();
    this.cleanups = [];
  }
  get signal() {
    return this.controller.signal;
  }
  get alive() {
    return !this.controller.signal.aborted;
  }
  onCleanup(fn) {
    this.cleanups.push(fn);
  }
  /** Subscribe to the store's bus for as long as this screen is shown. */
  on(type, fn) {
    this.cleanups.push(store.on(type, fn));
  }
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    this.cleanups.push(() => clearTimeout(t));
  }
  setInterval(fn, ms) {
    const t = setInterval(fn, ms);
    this.cleanups.push(() => clearInterval(t));
  }
  dispose() {
    this.controller.abort();
    for (const fn of this.cleanups.splice(0).reverse()) {
      try {
        fn();
      } catch (err) {
        console.error(err);
      }
    }
  }
}

/** Show the screen for the current hash (after the auth guards). */
export function render() {
  const { path, query } = parse();
  const signedIn = Boolean(store.state.user);
  if (path === "/") return navigate(signedIn ? "/chats" : "/login", { replace: true });
  const found = match(path);
  if (!found) return navigate(signedIn ? "/chats" : "/login", { replace: true });
  const { route: r, params } = found;
  if (r.auth && !signedIn) {
    return navigate(`/login?next=${encodeURIComponent(path)}`, { replace: true });
  }
  if (r.guest && signedIn) return navigate(safeNext(query.next) || "/chats", { replace: true });

  if (current) current.dispose();
  const ctx = new Context(path, params, query);
  current = ctx;
  const el = r.view(ctx);
  renderHook?.(el, r, ctx);
}

/** Start routing; `onRender(el, route, ctx)` puts each screen on the page. */
export function start(onRender) {
  renderHook = onRender;
  addEventListener("hashchange", render);
  render();
}
