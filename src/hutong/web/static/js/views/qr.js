// #/qr/:token — a platform QR code opened on this device (the server sends `/qr/<token>` here).
// GET /api/qr/<token> says what the code is; each kind has its own screen: "login" (the desktop
// asking to be signed in as this user), "u" (a person to add), "g" (a group chat to join),
// "inv" (an invitation that makes us friends) and "pay" (a shop's collect-money code).

import { api, serverNow } from "../api.js";
import { h, mount } from "../dom.js";
import { clock } from "../format.js";
import { icon } from "../icons.js";
import { navigate } from "../router.js";
import * as store from "../store.js";
import { avatar } from "../ui/avatar.js";
import { screen, spinner } from "../ui/layout.js";
import { qrResult } from "./contacts/qrresult.js";
import { payPanel } from "./wallet/pay.js";

function problemView(title, detail, testid = "qr-error") {
  return h(
    "div",
    { class: "qr-result is-problem", testid, role: "alert" },
    h("span", { class: "qr-result-icon tone-warn" }, icon("alert", { size: 40 })),
    h("p", { class: "qr-result-title" }, title),
    h("p", { class: "qr-result-text", testid: "qr-error-detail" }, detail),
    h("a", { class: "btn btn--ghost btn--block", href: "#/chats", testid: "qr-done" }, "Back to Hutong"),
  );
}

function doneView(title, text, tone = "ok") {
  return h(
    "div",
    { class: "qr-result", testid: "qr-result", dataset: { outcome: tone } },
    h("span", { class: ["qr-result-icon", `tone-${tone}`] }, icon(tone === "ok" ? "check" : "close", { size: 40 })),
    h("p", { class: "qr-result-title", testid: "qr-result-title" }, title),
    text ? h("p", { class: "qr-result-text" }, text) : null,
    h("a", { class: "btn btn--primary btn--block", href: "#/chats", testid: "qr-done" }, "Done"),
  );
}

function loginRequest(ctx, info, body) {
  const user = store.state.user;
  const deadline = performance.now() + (Date.parse(info.expires_at) - serverNow());
  const left = h("span", { testid: "qr-approve-expiry" });
  const tick = () => (left.textContent = clock(deadline - performance.now()));
  tick();
  ctx.setInterval(tick, 500);

  const confirm = h("button", { type: "button", class: "btn btn--primary btn--block", testid: "qr-confirm" }, "Log In");
  const deny = h("button", { type: "button", class: "btn btn--ghost btn--block", testid: "qr-deny" }, "Cancel Login");
  const error = h("div", { class: "banner banner--error", testid: "form-error", role: "alert", hidden: true });

  async function decide(approve) {
    confirm.disabled = deny.disabled = true;
    error.hidden = true;
    try {
      await api.post(`/auth/qr/${encodeURIComponent(info.id)}/${approve ? "confirm" : "deny"}`);
      if (!ctx.alive) return;
      mount(
        body,
        approve
          ? doneView(`Logged in on ${info.device_name}`, "You can log that device out any time in Me › Devices.", "ok")
          : doneView("Login cancelled", `${info.device_name} was not logged in.`, "no"),
      );
    } catch (err) {
      if (!ctx.alive) return;
      if (err.status === 410 || err.status === 404) mount(body, problemView("This code can't be used", err.detail));
      else {
        error.textContent = err.detail;
        error.hidden = false;
        confirm.disabled = deny.disabled = false;
      }
    }
  }
  confirm.addEventListener("click", () => decide(true));
  deny.addEventListener("click", () => decide(false));

  return h(
    "div",
    { class: "qr-approve", testid: "qr-approve", dataset: { loginId: info.id } },
    h("div", { class: "qr-approve-visual" }, h("span", { class: "qr-approve-device" }, icon("monitor", { size: 56 })), h("span", { class: "qr-approve-link", "aria-hidden": "true" }, "⋯"), avatar(user, { size: "lg" })),
    h("p", { class: "qr-approve-title", testid: "qr-approve-title" }, `Log in on ${info.device_name}?`),
    h("p", { class: "qr-approve-text" }, `${info.device_name} wants to log in to Hutong as `, h("strong", {}, user.display_name), ` (${user.handle}).`),
    h("p", { class: "qr-approve-meta" }, info.ip ? `IP ${info.ip} · ` : "", "expires in ", left),
    h("p", { class: "qr-approve-warn" }, icon("shield", { size: 16 }), "Only confirm if you are logging in on that device yourself."),
    error,
    h("div", { class: "qr-approve-actions" }, confirm, deny),
  );
}

const scanned = (ctx, info) => qrResult({ kind: info.kind, token: ctx.params.token, result: info });

const KINDS = {
  login: { title: "Confirm login", render: loginRequest },
  u: { title: "Profile", render: scanned },
  g: { title: "Group chat", render: scanned },
  inv: { title: "Invitation", render: scanned },
  app: { title: "Mini Program", render: scanned },
  pay: { title: "Pay", render: (ctx, info) => payPanel(ctx, ctx.params.token, info) },
};

export function qrView(ctx) {
  const body = h("div", { class: "qr-screen" }, spinner());
  const token = ctx.params.token;
  (async () => {
    try {
      const info = await api.get(`/api/qr/${encodeURIComponent(token)}`, { signal: ctx.signal });
      if (!ctx.alive) return;
      const kind = KINDS[info.kind];
      if (!kind) return mount(body, problemView("Can't open this code", "This version of Hutong doesn't know this kind of QR code yet."));
      mount(body, kind.render(ctx, info, body));
    } catch (err) {
      if (err.name === "AbortError" || !ctx.alive) return;
      if (err.status === 410) mount(body, problemView("This code can't be used", `${err.detail} Ask for a new code and scan it again.`));
      else if (err.status === 404) mount(body, problemView("Not a valid code", err.detail));
      else if (err.status === 401) navigate(`/login?next=${encodeURIComponent(ctx.path)}`, { replace: true });
      else mount(body, problemView("Something went wrong", err.detail));
    }
  })();
  return screen(ctx, { title: "Scan result", back: "/chats", testid: "screen-qr", cls: "screen--plain", body });
}
