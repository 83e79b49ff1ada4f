// The frame shared by the login and register pages.

import { h } from "../../dom.js";
import { logo } from "../../icons.js";
import { takeFlash } from "../../store.js";

export function authShell({ testid, cls, notice, children }) {
  document.title = "Hutong";
  const flash = takeFlash();
  const notices = [flash, notice].filter(Boolean);
  return h(
    "div",
    { class: "auth", testid },
    h(
      "div",
      { class: ["auth-card", cls] },
      h("header", { class: "auth-brand" }, logo({ size: 44 }), h("span", { class: "auth-name" }, "Hutong"), h("span", { class: "auth-tag" }, "胡同")),
      notices.map((n) => h("div", { class: ["banner", `banner--${n.kind || "info"}`], testid: "login-notice", role: "status" }, n.message)),
      children,
    ),
    h("footer", { class: "auth-foot" }, "Chat, pay and share — on a server your community runs."),
  );
}
