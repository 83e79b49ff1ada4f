// #/me/privacy — how others may find and add me, and the people I blocked.

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import { cell, group, switchCell } from "../../ui/cells.js";
import { toast } from "../../ui/feedback.js";
import { screen, spinner } from "../../ui/layout.js";

const SWITCHES = [
  ["findable_by_handle", "Hutong ID", "People can find me by my Hutong ID"],
  ["findable_by_phone", "Phone number", "People can find me by my phone number, and in their contacts"],
  ["findable_by_email", "Email", "People can find me by my email address"],
  ["findable_by_qr", "QR code", "People can add me by scanning my QR code"],
];

export function privacyView(ctx) {
  const body = h("div", {}, spinner());
  const rows = {};

  async function save(name, value) {
    try {
      const out = await api.patch("/contacts/privacy", { [name]: value });
      for (const [k, sw] of Object.entries(rows)) sw.set(out[k]);
    } catch (err) {
      toast(err.detail, { kind: "error" });
      throw err;
    }
  }

  (async () => {
    try {
      const p = await api.get("/contacts/privacy", { signal: ctx.signal });
      if (!ctx.alive) return;
      for (const [name, title, note] of SWITCHES) rows[name] = switchCell({ title, note, checked: p[name], testid: `privacy-${name}`, onChange: (v) => save(name, v) });
      rows.require_approval = switchCell({ title: "Require approval", note: "Friend requests wait for me to accept them", checked: p.require_approval, testid: "privacy-require_approval", onChange: (v) => save("require_approval", v) });
      mount(
        body,
        h("div", { class: "cells-title" }, "Ways to find me"),
        h("div", { class: "cells" }, SWITCHES.map(([name]) => rows[name].el)),
        h("div", { class: "cells-title" }, "Adding me"),
        h("div", { class: "cells" }, rows.require_approval.el),
        group(cell({ icon: "block", tone: "grey", title: "Blocked", href: "#/contacts/blocked?back=%2Fme%2Fprivacy", testid: "privacy-blocked" })),
      );
    } catch (err) {
      if (err.name !== "AbortError" && ctx.alive) mount(body, h("div", { class: "banner banner--error", testid: "form-error" }, err.detail));
    }
  })();
  ctx.on("event:contacts.privacy_updated", ({ event }) => {
    for (const [k, sw] of Object.entries(rows)) if (k in event.payload) sw.set(event.payload[k]);
  });

  return screen(ctx, { title: "Privacy", back: "/me", testid: "screen-privacy", body });
}
