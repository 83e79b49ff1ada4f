// #/admin/miniapps — mini-program versions submitted for review, oldest first: the app, its
// developer, the version and its note, the permissions and pages it asks for, a preview, and
// Approve or Reject (with a reason the developer reads).

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import { fileSize } from "../../format.js";
import { icon } from "../../icons.js";
import { toast } from "../../ui/feedback.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { appIcon } from "../miniapps/common.js";
import { chip, failed, isStaff, staffOnly, when } from "./common.js";

/** How many versions wait for review (the console's count). */
export async function pendingReviews(opts) {
  return String((await api.get("/miniapps/review", opts)).length);
}

function reviewCard(v, app, onDecided) {
  const m = v.manifest || {};
  const reason = h("textarea", { class: "field-input mod-reason", rows: 2, maxlength: 500, placeholder: "Why it is rejected, as the developer will read it", testid: "review-reason" });
  const error = h("p", { class: "banner banner--error", role: "alert", testid: "review-error", hidden: true });
  let busy = false;

  async function decide(approve) {
    if (busy) return;
    error.hidden = true;
    const why = reason.value.trim();
    if (!approve && !why) {
      error.textContent = "Give the developer a reason for rejecting.";
      error.hidden = false;
      reason.focus();
      return;
    }
    busy = true;
    try {
      if (approve) await api.post(`/miniapps/review/${v.id}/approve`);
      else await api.post(`/miniapps/review/${v.id}/reject`, { reason: why });
      toast(approve ? `${app?.name || v.appid} v${v.version} approved` : "Rejected; the developer sees your reason", { kind: "success" });
      onDecided();
    } catch (err) {
      error.textContent = err.detail;
      error.hidden = false;
      if (err.code === "miniapp-wrong-status") onDecided(); // another moderator got there first
    } finally {
      busy = false;
    }
  }

  const perms = m.permissions || [];
  return h(
    "section",
    { class: "mod-card dev-review", testid: `review-${v.id}`, dataset: { versionId: String(v.id), appid: v.appid } },
    h(
      "div",
      { class: "dev-review-head" },
      app ? appIcon(app, { testid: "review-icon" }) : h("span", { class: "dev-review-icon" }, icon("miniapps", { size: 22 })),
      h(
        "div",
        { class: "dev-review-title" },
        h("p", { class: "dev-review-name", testid: "review-app" }, app?.name || v.appid, " ", h("span", { class: "dev-review-version", testid: "review-version" }, `v${v.version}`)),
        h("p", { class: "mod-muted", testid: "review-developer" }, app ? `by ${app.developer_name} (user #${app.developer_id})` : "", " · ", v.appid),
      ),
    ),
    h("p", { class: "mod-case-tags" }, chip(app?.category || "app", "blue"), perms.length ? perms.map((p) => chip(p, "orange", "review-permission")) : chip("no permissions"), when(v.submitted_at || v.created_at)),
    v.note ? h("blockquote", { class: "mod-report-copy", testid: "review-note" }, v.note) : h("p", { class: "mod-muted" }, "No note from the developer."),
    app?.description ? h("p", { class: "dev-review-line" }, app.description) : null,
    h("p", { class: "dev-review-line mod-muted" }, `Pages: ${(m.pages || []).join(", ")}`),
    h("p", { class: "dev-review-line mod-muted" }, `Server domains: ${app?.domains?.length ? app.domains.join(", ") : "none"}`),
    h("p", { class: "dev-review-line mod-muted" }, `${v.file_count} files · ${fileSize(v.size)} (${fileSize(v.unpacked_size)} unpacked) · sha256 ${v.bundle_sha256.slice(0, 12)}…`),
    reason,
    error,
    h(
      "div",
      { class: "mod-actions" },
      h("a", { class: "btn btn--ghost btn--small", href: `#/miniapps/open/${encodeURIComponent(v.appid)}?version_id=${v.id}`, testid: "review-preview" }, "Preview"),
      h("button", { type: "button", class: "btn btn--danger-ghost btn--small", testid: "review-reject", onclick: () => decide(false) }, "Reject"),
      h("button", { type: "button", class: "btn btn--primary btn--small", testid: "review-approve", onclick: () => decide(true) }, "Approve"),
    ),
  );
}

export function miniappReviewView(ctx) {
  if (!isStaff()) return staffOnly(ctx, "Mini-programs");
  const list = h("div", { class: "mod-list", testid: "reviews" }, spinner());

  async function load() {
    try {
      const [versions, apps] = await Promise.all([api.get("/miniapps/review", { signal: ctx.signal }), api.get("/miniapps/review/apps", { signal: ctx.signal })]);
      if (!ctx.alive) return;
      const byAppid = new Map(apps.map((a) => [a.appid, a]));
      list.dataset.count = String(versions.length);
      mount(list, versions.length ? versions.map((v) => reviewCard(v, byAppid.get(v.appid), load)) : emptyState({ iconName: "check", title: "Nothing to review", text: "Submitted mini-program versions appear here.", testid: "reviews-empty" }));
    } catch (err) {
      if (err.name === "AbortError" || !ctx.alive) return;
      mount(list, failed(err, load));
    }
  }
  load();

  return screen(ctx, {
    title: "Mini-programs",
    back: "/admin",
    testid: "screen-admin-miniapps",
    actions: [h("button", { type: "button", class: "topbar-btn", testid: "reviews-refresh", "aria-label": "Refresh", onclick: load }, icon("refresh"))],
    body: [h("p", { class: "cells-foot" }, "Open each version before deciding. Approved versions go live when their developer releases them."), list],
  });
}
