// #/contacts/import — bring friends from another messenger: upload a vCard (.vcf) or CSV
// address book. People on Hutong become suggestions to add; everyone else gets a personal invite
// link to send them (once they sign up through it, we are friends).

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import { icon } from "../../icons.js";
import { avatar } from "../../ui/avatar.js";
import { toast } from "../../ui/feedback.js";
import { banner } from "../../ui/form.js";
import { screen, spinner } from "../../ui/layout.js";
import { copyText } from "../../util.js";
import { personPath } from "./person.js";

function suggestionRow(s) {
  const u = s.user;
  return h(
    "div",
    { class: "cell request-row", testid: `import-suggestion-${u.handle}` },
    avatar(u, { size: "md" }),
    h("span", { class: "cell-body" }, h("span", { class: "cell-title" }, u.display_name), h("span", { class: "cell-note" }, `${s.contact_name} · Hutong ID: ${u.handle}`)),
    h("a", { class: "btn btn--ghost btn--small", href: `#${personPath(u.handle, { source: "contacts", back: "/contacts/import" })}`, testid: "import-add" }, "Add"),
  );
}

async function shareInvite(inv) {
  const text = `Join me on Hutong: ${inv.url}`;
  if (navigator.share) {
    try {
      await navigator.share({ title: "Hutong", text, url: inv.url });
      return;
    } catch (err) {
      if (err.name === "AbortError") return;
    }
  }
  toast((await copyText(inv.url)) ? `Invite link for ${inv.contact_name} copied` : inv.url);
}

function inviteRow(inv) {
  return h(
    "div",
    { class: "cell request-row", testid: "invite-row", dataset: { redeemed: String(inv.redeemed) } },
    h("span", { class: "avatar avatar--md avatar--initial hue-7", "aria-hidden": "true" }, Array.from(inv.contact_name || "?")[0].toUpperCase()),
    h(
      "span",
      { class: "cell-body" },
      h("span", { class: "cell-title", testid: "invite-name" }, inv.contact_name || inv.phone || inv.email),
      h("span", { class: "cell-note" }, [inv.phone, inv.email].filter(Boolean).join(" · ")),
      h("a", { class: "invite-link", href: inv.url, testid: "invite-link", target: "_blank", rel: "noopener" }, inv.url),
    ),
    inv.redeemed
      ? h("span", { class: "cell-value" }, "Joined")
      : h("button", { type: "button", class: "btn btn--ghost btn--small", testid: "invite-share", onclick: () => shareInvite(inv) }, icon("share", { size: 16 }), "Invite"),
  );
}

export function importView(ctx) {
  const error = banner({ testid: "import-error" });
  const out = h("div", { testid: "import-result" });
  const invites = h("div", { testid: "invites" });
  const fileInput = h("input", { type: "file", accept: ".vcf,.vcard,.csv,text/vcard,text/csv", class: "sr-only", id: "import-file", testid: "import-file" });

  async function loadInvites() {
    try {
      const rows = await api.get("/contacts/invites", { signal: ctx.signal });
      if (!ctx.alive) return;
      mount(invites, rows.length ? [h("div", { class: "cells-title" }, "Invite links"), h("div", { class: "cells" }, rows.map(inviteRow))] : null);
    } catch (err) {
      if (err.name !== "AbortError") console.warn(err);
    }
  }

  fileInput.addEventListener("change", async () => {
    const file = fileInput.files?.[0];
    fileInput.value = "";
    if (!file) return;
    error.hide();
    mount(out, spinner("Importing…"));
    const body = new FormData();
    body.append("file", file);
    try {
      const res = await api.postForm("/contacts/import", body, { signal: ctx.signal });
      if (!ctx.alive) return;
      mount(
        out,
        h("div", { class: "banner banner--info", testid: "import-summary", role: "status" }, `Read ${res.contacts} ${res.contacts === 1 ? "contact" : "contacts"}: ${res.suggestions.length} on Hutong, ${res.invites.length} to invite.`),
        res.suggestions.length ? [h("div", { class: "cells-title" }, "On Hutong"), h("div", { class: "cells" }, res.suggestions.map(suggestionRow))] : null,
      );
      loadInvites();
    } catch (err) {
      if (err.name === "AbortError" || !ctx.alive) return;
      mount(out);
      error.show(err.extra?.line ? `${err.detail}` : err.detail);
    }
  });

  loadInvites();

  return screen(ctx, {
    title: "Import Contacts",
    back: "/contacts/add",
    testid: "screen-import",
    body: [
      h(
        "div",
        { class: "import-intro" },
        h("span", { class: "scan-hero", "aria-hidden": "true" }, icon("book", { size: 44 })),
        h("p", { class: "scan-help" }, "Export your address book from your phone or another messenger as a vCard (.vcf) or CSV file, then upload it here. Friends already on Hutong are suggested; the others get an invite link from you."),
        h("label", { class: "btn btn--primary btn--block", for: "import-file", testid: "import-upload" }, icon("upload", { size: 18 }), "Choose a File"),
        fileInput,
      ),
      error.el,
      out,
      invites,
    ],
  });
}
