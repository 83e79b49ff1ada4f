// #/admin/audit — every moderation action, newest first: who, what, about whom, why, when.

import { h, mount } from "../../dom.js";
import * as moderation from "../../data/moderation.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { chip, failed, isStaff, setQuery, staffOnly, toneOf, userRef, when } from "./common.js";

function entryRow(e) {
  const verb = e.action.split(".").pop();
  return h(
    "div",
    { class: "cell mod-audit", testid: "audit-entry", dataset: { action: e.action } },
    h(
      "span",
      { class: "cell-body" },
      h("span", { class: "cell-title" }, chip(e.action, toneOf(verb), "audit-action"), e.category ? [" ", chip(e.category, "blue")] : null, " ", when(e.created_at)),
      h(
        "span",
        { class: "cell-note" },
        `by ${e.actor_id ? userRef(e.actor_id) : "the system"}`,
        e.subject_user_id ? ` · about ${userRef(e.subject_user_id)}` : "",
        e.target_kind ? ` · ${e.target_kind} ${e.target_id}` : "",
      ),
      e.reason ? h("span", { class: "cell-note mod-audit-reason", testid: "audit-reason" }, `“${e.reason}”`) : null,
    ),
  );
}

export function auditView(ctx) {
  if (!isStaff()) return staffOnly(ctx, "Audit log");
  const userId = /^\d+$/.test(ctx.query.user || "") ? ctx.query.user : "";
  const list = h("div", { class: "cells mod-list", testid: "audit" }, spinner());
  const more = h("button", { type: "button", class: "btn btn--ghost btn--small mod-more", testid: "audit-more", hidden: true }, "Older");
  let rows = [];
  const PAGE = 50;

  async function load(append = false) {
    if (!append) rows = [];
    const before = append && rows.length ? rows[rows.length - 1].id : "";
    try {
      const page = await moderation.audit({ before, user_id: userId, limit: PAGE }, { signal: ctx.signal });
      if (!ctx.alive) return;
      rows = rows.concat(page);
      more.hidden = page.length < PAGE;
      list.dataset.count = String(rows.length);
      mount(list, rows.length ? rows.map(entryRow) : emptyState({ iconName: "book", title: "Nothing logged yet", testid: "audit-empty" }));
    } catch (err) {
      if (err.name === "AbortError" || !ctx.alive) return;
      mount(list, failed(err, () => load()));
    }
  }
  more.addEventListener("click", () => load(true));
  load();

  const who = h("input", { type: "search", inputmode: "numeric", class: "field-input", placeholder: "Filter by user id", value: userId, testid: "audit-user", "aria-label": "User id" });
  who.addEventListener("change", () => setQuery(ctx, { user: who.value.trim() }));

  return screen(ctx, {
    title: "Audit log",
    back: "/admin",
    testid: "screen-admin-audit",
    body: [h("div", { class: "mod-filter-row mod-pad" }, who), list, more],
  });
}
