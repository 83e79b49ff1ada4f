// #/register — create an account; the browser is signed in straight away.

import { api } from "../../api.js";
import { h } from "../../dom.js";
import { navigate, safeNext } from "../../router.js";
import * as session from "../../session.js";
import { makeForm } from "../../ui/form.js";
import { authShell } from "./shell.js";

const HANDLE = /^[a-z0-9_]{3,20}$/;

export function registerView(ctx) {
  const next = safeNext(ctx.query.next);
  const form = makeForm({
    testid: "register-form",
    fields: [
      {
        name: "handle",
        label: "Hutong ID",
        placeholder: "e.g. li_ming",
        autocomplete: "username",
        maxlength: 20,
        required: true,
        hint: "3–20 characters: a–z, 0–9 and _. Friends find you by it.",
        validate: (v) => (HANDLE.test(v.trim().toLowerCase()) ? null : "Use 3–20 characters: a–z, 0–9 and _"),
      },
      { name: "display_name", label: "Name", placeholder: "optional", autocomplete: "nickname", maxlength: 40 },
      {
        name: "password",
        label: "Password",
        type: "password",
        autocomplete: "new-password",
        maxlength: 128,
        required: true,
        hint: "At least 8 characters.",
        validate: (v) => (v.length >= 8 ? null : "At least 8 characters"),
      },
    ],
    submitLabel: "Sign up",
    submitTestid: "register-submit",
    onSubmit: async (v) => {
      const body = { handle: v.handle.trim().toLowerCase(), password: v.password };
      if (v.display_name.trim()) body.display_name = v.display_name.trim();
      const out = await api.post("/auth/register", body);
      session.begin(out.user, out.session_id);
      navigate(next || "/chats", { replace: true });
    },
  });
  return authShell({
    testid: "screen-register",
    cls: "auth-card--narrow",
    children: [
      h("h2", { class: "pane-title" }, "Create your account"),
      form.el,
      h("p", { class: "auth-alt" }, "Already have an account? ", h("a", { href: next ? `#/login?next=${encodeURIComponent(next)}&mode=password` : "#/login?mode=password", testid: "to-login" }, "Log in")),
    ],
  });
}
