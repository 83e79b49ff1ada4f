// #/admin/queue — reported and held items, oldest first, filtered by status, source, kind and
// "mine"; each can be claimed on the spot or opened for its context and the decision.

import { h, mount } from "../../dom.js";
import * as moderation from "../../data/moderation.js";
import { icon } from "../../icons.js";
import { navigate } from "../../router.js";
import { toast } from "../../ui/feedback.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { chip, failed, isStaff, segmented, setQuery, snippet, staffOnly, toneOf, userRef, when } from "./common.js";

const STATUSES = [
  { value: "open", label: "Open" },
  { value: "claimed", label: "Claimed" },
  { value: "decided", label: "Decided" },
];
const SOURCES = [
  { value: "", label: "All" },
  { value: "report", label: "Reported" },
  { value: "held", label: "Held" },
];
const KINDS = [
  { value: "", label: "Any kind" },
  { value: "post", label: "Posts" },
  { value: "comment", label: "Comments" },
  { value: "user", label: "Users" },
  { value: "message", label: "Messages" },
];

export function caseRow(c, { onClaim } = {}) {
  const text = c.snapshot?.text || "";
  return h(
    "div",
    { class: "mod-case", testid: `case-${c.id}`, dataset: { caseId: String(c.id), status: c.status, kind: c.kind, ref: c.ref } },
    h(
      "a",
      { class: "mod-case-main", href: `#/admin/cases/${c.id}`, testid: "case-open" },
      h(
        "div",
        { class: "mod-case-tags" },
        chip(moderation.kindLabel(c.kind)),
        c.source === "held" ? chip("Held", "orange") : chip(`Reported ×${c.report_count}`, "red"),
        chip(c.category, "blue", "case-category"),
        c.decision ? chip(moderation.actionLabel(c.decision), toneOf(c.decision), "case-decision") : null,
        when(c.created_at),
      ),
      h("p", { class: "mod-case-text", testid: "case-text" }, snippet(text) || h("span", { class: "mod-muted" }, "(no text)")),
      h("p", { class: "mod-case-meta" }, `${moderation.kindLabel(c.kind)} ${c.ref} · by ${userRef(c.subject_user_id)}`, c.claimed_by ? ` · claimed by ${userRef(c.claimed_by)}` : ""),
    ),
    c.status === "open" && onClaim ? h("button", { type: "button", class: "btn btn--ghost btn--small", testid: "case-claim", onclick: () => onClaim(c) }, "Claim") : null,
  );
}

export function queueView(ctx) {
  if (!isStaff()) return staffOnly(ctx, "Queue");
  const filters = {
    status: ctx.query.status || "open",
    source: ctx.query.source || "",
    kind: ctx.query.kind || "",
    mine: ctx.query.mine === "1",
  };
  const list = h("div", { class: "cells mod-list", testid: "queue" }, spinner());
  const more = h("button", { type: "button", class: "btn btn--ghost btn--small mod-more", testid: "queue-more", hidden: true }, "Load more");
  let cursor = 0;
  let rows = [];

  async function claim(c) {
    try {
      await moderation.claim(c.id);
      navigate(`/admin/cases/${c.id}`);
    } catch (err) {
      toast(err.detail, { kind: "error" });
      load();
    }
  }

  async function load(append = false) {
    if (!append) {
      cursor = 0;
      rows = [];
    }
    try {
      const page = await moderation.queue({ ...filters, mine: filters.mine ? "true" : "", after: cursor || "", limit: 30 }, { signal: ctx.signal });
      if (!ctx.alive) return;
      rows = rows.concat(page.cases);
      cursor = page.next_cursor || 0;
      more.hidden = !page.next_cursor;
      list.dataset.count = String(rows.length);
      if (!rows.length) {
        mount(list, emptyState({ iconName: "check", title: "Nothing here", text: filters.status === "open" ? "No open cases match these filters." : "No cases match these filters.", testid: "queue-empty" }));
      } else mount(list, rows.map((c) => caseRow(c, { onClaim: claim })));
    } catch (err) {
      if (err.name === "AbortError" || !ctx.alive) return;
      mount(list, failed(err, () => load()));
    }
  }
  more.addEventListener("click", () => load(true));
  load();

  const mineToggle = h("label", { class: "mod-check" }, h("input", { type: "checkbox", checked: filters.mine, testid: "filter-mine", onchange: (e) => setQuery(ctx, { mine: e.target.checked ? "1" : "" }) }), " Only mine");

  return screen(ctx, {
    title: "Queue",
    back: "/admin",
    testid: "screen-admin-queue",
    actions: [h("button", { type: "button", class: "topbar-btn", testid: "queue-refresh", "aria-label": "Refresh", onclick: () => load() }, icon("refresh"))],
    body: [
      h(
        "div",
        { class: "mod-filters" },
        segmented({ name: "status", value: filters.status, options: STATUSES, onPick: (v) => setQuery(ctx, { status: v }) }),
        segmented({ name: "source", value: filters.source, options: SOURCES, onPick: (v) => setQuery(ctx, { source: v }) }),
        h(
          "div",
          { class: "mod-filter-row" },
          h(
            "select",
            { class: "mod-select", testid: "filter-kind", "aria-label": "Kind", onchange: (e) => setQuery(ctx, { kind: e.target.value }) },
            KINDS.map((k) => h("option", { value: k.value, selected: k.value === filters.kind }, k.label)),
          ),
          mineToggle,
        ),
      ),
      list,
      more,
    ],
  });
}
