// The desktop QR login panel (WeChat Web style).
//
// POST /auth/qr gives a code to show and a ticket for an anonymous socket that reports
// "scanned", "confirmed" or "denied". On "confirmed" the page trades its secret for a session.
// If the socket drops, it reconnects and asks POST /auth/qr/complete once, so a confirmation
// sent while disconnected is not lost (409 means "not yet").

import { api, serverNow, socketUrl } from "../../api.js";
import { h, mount } from "../../dom.js";
import { clock } from "../../format.js";
import { icon } from "../../icons.js";

const CAPTIONS = {
  loading: "Getting a login code…",
  waiting: "Scan with Hutong on your phone to log in",
  scanned: "Confirm the login on your phone.",
  completing: "Logging you in…",
  denied: "The login was cancelled on your phone.",
  expired: "This code has expired.",
  error: "",
};

export function qrPanel(ctx, { onSignedIn }) {
  const img = h("img", { class: "qr-img", alt: "Login QR code", testid: "qr-image", width: 200, height: 200 });
  const overlay = h("div", { class: "qr-overlay" });
  const frame = h("div", { class: "qr-frame", testid: "qr-status", dataset: { status: "idle" } }, img, overlay);
  const caption = h("p", { class: "qr-caption", testid: "qr-caption" });
  const countdown = h("p", { class: "qr-countdown", testid: "qr-countdown" });
  const refreshLink = h("button", { type: "button", class: "link-btn", testid: "qr-refresh-link", onclick: () => start() }, "Refresh code");
  const copyBtn = h("button", { type: "button", class: "link-btn", testid: "qr-copy", onclick: copyLink }, "Copy link");
  const el = h(
    "section",
    { class: "qr-panel", testid: "qr-panel", "aria-label": "Log in with QR code" },
    h("h2", { class: "pane-title" }, "Log in with QR code"),
    frame,
    caption,
    countdown,
    h("p", { class: "qr-actions" }, refreshLink, h("span", { class: "dot-sep", "aria-hidden": "true" }, "·"), copyBtn),
  );

  let login = null; // the POST /auth/qr answer
  let deadline = 0;
  let socket = null;
  let generation = 0;
  let state = "idle";
  let ticker = null;
  let retryTimer = null;
  let active = false;

  function refreshButton(label) {
    return h("button", { type: "button", class: "btn btn--primary btn--small", testid: "qr-refresh", onclick: () => start() }, icon("refresh", { size: 16 }), label);
  }

  function setState(next, detail = "") {
    state = next;
    frame.dataset.status = next;
    caption.textContent = detail || CAPTIONS[next] || "";
    caption.classList.toggle("is-warning", ["denied", "expired", "error"].includes(next));
    let content = [];
    if (next === "loading" || next === "completing") content = [h("span", { class: "spinner" })];
    else if (next === "scanned") content = [h("span", { class: "qr-badge is-ok" }, icon("check", { size: 28 })), h("strong", {}, "Scanned")];
    else if (next === "denied") content = [h("strong", {}, "Login cancelled"), refreshButton("New code")];
    else if (next === "expired") content = [h("strong", {}, "QR code expired"), refreshButton("Refresh")];
    else if (next === "error") content = [h("strong", {}, "Couldn't get a code"), refreshButton("Try again")];
    mount(overlay, content);
    overlay.classList.toggle("is-shown", content.length > 0);
    countdown.hidden = !["waiting", "scanned"].includes(next);
  }

  function closeSocket() {
    clearTimeout(retryTimer);
    if (socket) {
      socket.onclose = socket.onmessage = null;
      socket.close(1000);
      socket = null;
    }
  }

  function stop() {
    generation += 1;
    closeSocket();
    clearInterval(ticker);
    ticker = null;
  }

  function remaining() {
    return deadline - performance.now();
  }

  function tick() {
    const left = remaining();
    countdown.textContent = `Expires in ${clock(left)}`;
    if (left <= 0 && (state === "waiting" || state === "scanned")) {
      stop();
      setState("expired");
    }
  }

  async function start() {
    stop();
    const gen = generation;
    setState("loading");
    img.removeAttribute("src");
    let data;
    try {
      data = await api.post("/auth/qr", undefined, { signal: ctx.signal });
    } catch (err) {
      if (gen === generation && ctx.alive) setState("error", err.detail || "");
      return;
    }
    if (gen !== generation || !ctx.alive) return;
    login = data;
    deadline = performance.now() + (Date.parse(data.expires_at) - serverNow());
    img.src = data.svg_url;
    img.dataset.qrUrl = data.url;
    el.dataset.qrUrl = data.url;
    setState("waiting");
    tick();
    ticker = setInterval(tick, 500);
    connect(gen, 0);
  }

  function connect(gen, attempt) {
    const ws = new WebSocket(socketUrl(`/ws/ticket?ticket=${encodeURIComponent(login.ticket)}`));
    socket = ws;
    ws.onmessage = (m) => {
      let msg;
      try {
        msg = JSON.parse(m.data);
      } catch {
        return;
      }
      // Asked on every (re)connect: a phone may have confirmed before this socket subscribed.
      if (msg.type === "ready") complete(gen, { quiet: true });
      if (msg.type === "ephemeral" && msg.kind === "qrlogin") onStatus(gen, msg.payload?.status);
    };
    ws.onclose = () => {
      if (socket !== ws || gen !== generation || !ctx.alive) return;
      socket = null;
      if (remaining() <= 0 || !["waiting", "scanned"].includes(state)) return;
      retryTimer = setTimeout(() => connect(gen, attempt + 1), Math.min(8000, 700 * 2 ** attempt));
    };
  }

  function onStatus(gen, status) {
    if (gen !== generation) return;
    if (status === "scanned" && state === "waiting") setState("scanned");
    else if (status === "confirmed") complete(gen);
    else if (status === "denied") {
      stop();
      setState("denied");
    }
  }

  async function complete(gen, { quiet = false } = {}) {
    if (state === "completing") return;
    const before = state;
    if (!quiet) setState("completing");
    try {
      const out = await api.post("/auth/qr/complete", { id: login.id, secret: login.secret });
      if (gen !== generation || !ctx.alive) return;
      stop();
      onSignedIn(out);
    } catch (err) {
      if (gen !== generation || !ctx.alive) return;
      if (err.status === 409) {
        if (!quiet) setState(before);
        return; // not confirmed yet
      }
      stop();
      if (err.status === 410) setState(/denied/.test(err.detail) ? "denied" : "expired", err.detail);
      else setState("error", err.detail);
    }
  }

  async function copyLink() {
    if (!login) return;
    try {
      await navigator.clipboard.writeText(login.url);
      copyBtn.textContent = "Copied";
    } catch {
      copyBtn.textContent = "Copy failed";
    }
    ctx.setTimeout(() => (copyBtn.textContent = "Copy link"), 1500);
  }

  ctx.onCleanup(stop);
  setState("idle");

  return {
    el,
    /** Start showing codes (when the panel becomes visible). */
    activate() {
      if (active) return;
      active = true;
      start();
    },
    /** Stop when hidden, so no requests are made for a code nobody sees. */
    deactivate() {
      if (!active) return;
      active = false;
      stop();
      setState("idle");
    },
  };
}
