// #/contacts/add — find someone by Hutong ID or phone number, or by the other ways in: my QR
// code, scanning theirs, matching my phone's contacts, importing an address book.

import { api } from "../../api.js";
import { h } from "../../dom.js";
import { icon } from "../../icons.js";
import { navigate } from "../../router.js";
import * as store from "../../store.js";
import { banner } from "../../ui/form.js";
import { cell, group } from "../../ui/cells.js";
import { screen } from "../../ui/layout.js";
import { searchInput } from "../../ui/search.js";
import { personPath } from "./person.js";

export function addView(ctx) {
  const error = banner({ testid: "search-error" });
  let busy = false;

  async function find(q) {
    q = q.trim();
    if (!q || busy) return;
    busy = true;
    error.hide();
    try {
      const out = await api.get(`/contacts/search?q=${encodeURIComponent(q)}`, { signal: ctx.signal });
      if (!ctx.alive) return;
      navigate(personPath(out.user.handle, { source: out.source, back: "/contacts/add" }));
    } catch (err) {
      if (err.name === "AbortError" || !ctx.alive) return;
      error.show(err.status === 404 ? "No one with that Hutong ID or phone number can be found." : err.detail);
    } finally {
      busy = false;
    }
  }

  const search = searchInput({ placeholder: "Hutong ID / Phone", testid: "add-search", onEnter: find, autofocus: false });
  const go = h("button", { type: "button", class: "btn btn--primary btn--small add-go", testid: "add-search-go", onclick: () => find(search.input.value) }, "Search");
  const handle = store.state.user?.handle;

  return screen(ctx, {
    title: "Add Contacts",
    back: "/contacts",
    testid: "screen-add",
    body: [
      h("div", { class: "add-search" }, search, go),
      error.el,
      h("a", { class: "my-id", href: "#/contacts/qr", testid: "add-my-qr" }, `My Hutong ID: ${handle}`, icon("qr", { size: 16 })),
      group(
        cell({ icon: "scan", tone: "blue", title: "Scan", note: "Scan a QR code, or a photo of one", href: "#/contacts/scan", testid: "add-scan" }),
        cell({ icon: "phone", tone: "green", title: "Mobile Contacts", note: "Find friends from your phone numbers", href: "#/contacts/match", testid: "add-match" }),
        cell({ icon: "book", tone: "orange", title: "Import Contacts", note: "Bring friends from another messenger (vCard or CSV)", href: "#/contacts/import", testid: "add-import" }),
      ),
    ],
  });
}
