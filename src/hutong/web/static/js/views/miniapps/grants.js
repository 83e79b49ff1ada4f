// Me → Settings → Mini Programs: which apps may read my profile; revoking makes an app ask
// again the next time.

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import { group, groupTitle } from "../../ui/cells.js";
import { confirmSheet, toast } from "../../ui/feedback.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { appIcon } from "./common.js";

export function grantsView(ctx) {
  const body = h("div", {}, spinner());
  async function load() {
    try {
      const grants = await api.get("/miniapps/grants", { signal: ctx.signal });
      if (!ctx.alive) return;
      if (!grants.length) return mount(body, emptyState({ iconName: "miniapps", title: "No mini program can read your profile", text: "When an app asks for your nickname and photo and you allow it, it is listed here.", testid: "grants-empty" }));
      mount(
        body,
        groupTitle("Allowed to read your nickname and profile photo"),
        group(
          ...grants.map((g) =>
            h(
              "div",
              { class: "cell app-row", testid: "grant-row", dataset: { appid: g.app.appid } },
              appIcon(g.app),
              h("span", { class: "cell-body" }, h("span", { class: "cell-title" }, g.app.name), h("span", { class: "cell-note" }, `Allowed ${new Date(g.granted_at).toLocaleDateString()}`)),
              h("button", { type: "button", class: "btn btn--ghost btn--small", testid: "grant-revoke", onclick: () => revoke(g.app) }, "Revoke"),
            ),
          ),
        ),
      );
    } catch (err) {
      if (err.name !== "AbortError" && ctx.alive) mount(body, h("div", { class: "banner banner--error" }, err.detail));
    }
  }
  async function revoke(app) {
    const ok = await confirmSheet({ title: `Revoke ${app.name}?`, message: "It will have to ask before reading your profile again.", confirmLabel: "Revoke", danger: true });
    if (!ok) return;
    try {
      await api.del(`/miniapps/grants/${app.appid}`);
      toast("Revoked");
      load();
    } catch (err) {
      toast(err.detail, { kind: "error" });
    }
  }
  load();
  return screen(ctx, { title: "Mini Programs", back: "/me", testid: "screen-miniapp-grants", body });
}
