// #/login — password login, and the QR code a signed-in phone can scan (shown side by side on
// wide screens; one at a time, with a switch, on phones).

import { api } from "../../api.js";
import { h } from "../../dom.js";
import { navigate, safeNext } from "../../router.js";
import * as session from "../../session.js";
import { makeForm } from "../../ui/form.js";
import { qrPanel } from "./qrpanel.js";
import { authShell } from "./shell.js";

const WIDE = "(min-width: 760px)";

export function loginView(ctx) {
  const next = safeNext(ctx.query.next);
  const signedIn = (out) => {
    session.begin(out.user, out.session_id);
    navigate(next || "/chats", { replace: true });
  };

  const form = makeForm({
    testid: "login-form",
    fields: [
      { name: "handle", label: "Hutong ID", placeholder: "your handle", autocomplete: "username", required: true, maxlength: 64 },
      { name: "password", label: "Password", type: "password", placeholder: "password", autocomplete: "current-password", required: true, maxlength: 128 },
    ],
    submitLabel: "Log in",
    submitTestid: "login-submit",
    onSubmit: async (v) => signedIn(await api.post("/auth/login", { handle: v.handle.trim(), password: v.password })),
  });

  const qr = qrPanel(ctx, { onSignedIn: signedIn });
  const card = h("div", { class: "auth-panes" });
  const toggle = h("button", { type: "button", class: "link-btn auth-switch", testid: "login-mode-toggle" });
  const wide = matchMedia(WIDE);
  let mode = ctx.query.mode === "qr" || ctx.query.mode === "password" ? ctx.query.mode : wide.matches ? "qr" : "password";

  function layout() {
    card.dataset.mode = mode;
    toggle.textContent = mode === "qr" ? "Log in with password" : "Log in with QR code";
    if (wide.matches || mode === "qr") qr.activate();
    else qr.deactivate();
  }
  toggle.addEventListener("click", () => {
    mode = mode === "qr" ? "password" : "qr";
    layout();
  });
  wide.addEventListener("change", layout, { signal: ctx.signal });

  card.append(
    h("div", { class: "auth-pane auth-pane--qr" }, qr.el),
    h("div", { class: "auth-divider", "aria-hidden": "true" }),
    h(
      "div",
      { class: "auth-pane auth-pane--password" },
      h("h2", { class: "pane-title" }, "Log in with password"),
      form.el,
      h("p", { class: "auth-alt" }, "New to Hutong? ", h("a", { href: next ? `#/register?next=${encodeURIComponent(next)}` : "#/register", testid: "to-register" }, "Create an account")),
    ),
  );
  layout();

  const notice = next?.startsWith("/qr/") ? { message: "Log in on this device to continue with the code you scanned.", kind: "info" } : null;
  return authShell({ testid: "screen-login", cls: "auth-card--login", notice, children: [card, h("div", { class: "auth-switch-row" }, toggle)] });
}
