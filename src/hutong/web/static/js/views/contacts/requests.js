// #/contacts/new — "New Friends": requests to me (accept or decline on the spot; they arrive
// live), and people from my imported address book who are on Hutong.

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import { icon } from "../../icons.js";
import * as contacts from "../../data/contacts.js";
import { avatar } from "../../ui/avatar.js";
import { toast } from "../../ui/feedback.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { personPath } from "./person.js";

const STATUS = { accepted: "Added", declined: "Declined", withdrawn: "Withdrawn" };

function requestRow(r) {
  const u = r.from_user;
  const busy = (btns, on) => btns.forEach((b) => (b.disabled = on));
  const accept = h("button", { type: "button", class: "btn btn--primary btn--small", testid: "request-accept" }, "Accept");
  const decline = h("button", { type: "button", class: "btn btn--ghost btn--small btn--muted", testid: "request-decline" }, "Decline");
  const act = async (fn, label) => {
    busy([accept, decline], true);
    try {
      await fn(r.id);
      if (label) toast(label, { kind: "success" });
    } catch (err) {
      toast(err.detail, { kind: "error" });
      busy([accept, decline], false);
    }
  };
  accept.addEventListener("click", () => act(contacts.accept, `You and ${u.display_name} are now friends`));
  decline.addEventListener("click", () => act(contacts.decline));
  return h(
    "div",
    { class: "cell request-row", testid: `request-${u.handle}`, dataset: { status: r.status, requestId: String(r.id) } },
    h("a", { href: `#${personPath(u.handle)}`, class: "request-link" }, avatar(u, { size: "md" })),
    h(
      "a",
      { href: `#${personPath(u.handle)}`, class: "cell-body request-link" },
      h("span", { class: "cell-title" }, u.display_name),
      h("span", { class: "cell-note" }, r.greeting || `Hutong ID: ${u.handle}`),
    ),
    r.status === "pending" ? h("span", { class: "request-actions" }, decline, accept) : h("span", { class: "cell-value", testid: "request-status" }, STATUS[r.status] || r.status),
  );
}

function suggestionRow(s, onDismiss) {
  const u = s.user;
  return h(
    "div",
    { class: "cell request-row", testid: `suggestion-${u.handle}` },
    avatar(u, { size: "md" }),
    h("span", { class: "cell-body" }, h("span", { class: "cell-title" }, u.display_name), h("span", { class: "cell-note" }, `In your contacts as ${s.contact_name}`)),
    h("span", { class: "request-actions" }, h("button", { type: "button", class: "topbar-btn btn-dismiss", "aria-label": "Dismiss", onclick: () => onDismiss(s) }, icon("close", { size: 18 })), h("a", { class: "btn btn--ghost btn--small", href: `#${personPath(u.handle, { source: "contacts" })}`, testid: "suggestion-add" }, "Add")),
  );
}

export function requestsView(ctx) {
  const list = h("div", { testid: "requests" });
  const suggested = h("div", { testid: "suggestions" });

  function paint() {
    const rs = contacts.requests();
    if (rs === null) return mount(list, spinner());
    if (!rs.length) return mount(list, emptyState({ iconName: "userPlus", title: "No new friends", text: "Friend requests you receive appear here.", testid: "empty-requests" }));
    mount(list, h("div", { class: "cells-title" }, "Friend requests"), h("div", { class: "cells" }, rs.map(requestRow)));
  }

  async function loadSuggestions() {
    try {
      const rows = await api.get("/contacts/suggestions", { signal: ctx.signal });
      if (!ctx.alive) return;
      mount(suggested, rows.length ? [h("div", { class: "cells-title" }, "From your contacts"), h("div", { class: "cells" }, rows.map((s) => suggestionRow(s, dismiss)))] : null);
    } catch (err) {
      if (err.name !== "AbortError") console.warn(err);
    }
  }

  async function dismiss(s) {
    try {
      await api.del(`/contacts/suggestions/${s.user.id}`);
    } catch (err) {
      toast(err.detail, { kind: "error" });
    }
    loadSuggestions();
  }

  paint();
  ctx.on("contacts:requests", paint);
  contacts.loadRequests().catch(() => {});
  loadSuggestions();

  return screen(ctx, {
    title: "New Friends",
    back: "/contacts",
    testid: "screen-new-friends",
    actions: [h("a", { class: "topbar-btn", href: "#/contacts/add", "aria-label": "Add contacts", testid: "new-friends-add" }, icon("userPlus"))],
    body: [list, suggested],
  });
}
