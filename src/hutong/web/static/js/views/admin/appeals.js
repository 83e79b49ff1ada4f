// #/admin/appeals — users' appeals against decisions. A moderator other than the one who
// decided grants (the sanction is lifted at once) or denies, with a reason the user reads.

import { h, mount } from "../../dom.js";
import * as moderation from "../../data/moderation.js";
import { toast } from "../../ui/feedback.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { chip, failed, isStaff, segmented, setQuery, staffOnly, toneOf, userRef, when } from "./common.js";

const STATUSES = [
  { value: "open", label: "Open" },
  { value: "granted", label: "Granted" },
  { value: "denied", label: "Denied" },
];

function appealCard(a, onDecided) {
  const s = a.sanction;
  const reason = h("textarea", { class: "field-input mod-reason", rows: 2, maxlength: 500, placeholder: "Your reason, as the user will read it", testid: "appeal-reason" });
  const error = h("p", { class: "banner banner--error", role: "alert", testid: "appeal-error", hidden: true });

  async function decide(grant) {
    error.hidden = true;
    if (!reason.value.trim()) {
      error.textContent = "Give a reason.";
      error.hidden = false;
      reason.focus();
      return;
    }
    try {
      await moderation.decideAppeal(a.id, grant, reason.value.trim());
      toast(grant ? "Appeal granted: the decision is lifted" : "Appeal denied", { kind: "success" });
      onDecided();
    } catch (err) {
      error.textContent = err.detail;
      error.hidden = false;
    }
  }

  return h(
    "section",
    { class: "mod-card mod-appeal", testid: `appeal-${a.id}`, dataset: { appealId: String(a.id), sanctionId: String(a.sanction_id), status: a.status } },
    h("p", { class: "mod-case-tags" }, chip(moderation.actionLabel(s.kind), toneOf(s.kind)), chip(s.category, "blue"), ` ${userRef(a.user_id)} · `, when(a.created_at)),
    h("p", { class: "mod-muted" }, `Decision: ${s.reason}`, s.case_id ? [" · ", h("a", { class: "link-btn", href: `#/admin/cases/${s.case_id}` }, `case ${s.case_id}`)] : null),
    h("blockquote", { class: "mod-report-copy", testid: "appeal-text" }, a.text),
    a.status === "open"
      ? [
          reason,
          error,
          h(
            "div",
            { class: "mod-actions" },
            h("button", { type: "button", class: "btn btn--primary btn--small", testid: "appeal-grant", onclick: () => decide(true) }, "Grant"),
            h("button", { type: "button", class: "btn btn--danger-ghost btn--small", testid: "appeal-deny", onclick: () => decide(false) }, "Deny"),
          ),
        ]
      : h("p", {}, chip(a.status, toneOf(a.status), "appeal-status"), ` by ${userRef(a.decided_by)}: ${a.decision_reason}`),
  );
}

export function appealsView(ctx) {
  if (!isStaff()) return staffOnly(ctx, "Appeals");
  const status = ctx.query.status || "open";
  const list = h("div", { class: "mod-list", testid: "appeals" }, spinner());

  async function load() {
    try {
      const rows = await moderation.appeals(status, { signal: ctx.signal });
      if (!ctx.alive) return;
      list.dataset.count = String(rows.length);
      mount(list, rows.length ? rows.map((a) => appealCard(a, load)) : emptyState({ iconName: "check", title: "No appeals", text: status === "open" ? "Nobody is waiting for an answer." : null, testid: "appeals-empty" }));
    } catch (err) {
      if (err.name === "AbortError" || !ctx.alive) return;
      mount(list, failed(err, load));
    }
  }
  load();

  return screen(ctx, {
    title: "Appeals",
    back: "/admin",
    testid: "screen-admin-appeals",
    body: [
      h("div", { class: "mod-filters" }, segmented({ name: "appeal-status", value: status, options: STATUSES, onPick: (v) => setQuery(ctx, { status: v }) })),
      h("p", { class: "cells-foot" }, "You cannot decide an appeal against your own decision: a second moderator must."),
      list,
    ],
  });
}
