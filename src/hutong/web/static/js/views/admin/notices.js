// #/notices — what moderators decided about me: the action, what it was about (an excerpt of
// the content), the rule, their reason, how long it lasts, and one appeal within 20 days (a
// different moderator answers it).

import { h, mount } from "../../dom.js";
import * as moderation from "../../data/moderation.js";
import { day } from "../../format.js";
import { serverNow } from "../../api.js";
import { toast } from "../../ui/feedback.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { chip, failed, toneOf, when } from "./common.js";

const EXPLAIN = {
  remove: "Something you posted was taken down.",
  warn: "This is a warning. Nothing was restricted.",
  mute: "You cannot post, comment or talk in groups until it ends. Direct chats still work.",
  ban: "Your account is banned.",
};

function appealForm(s, onSent) {
  const text = h("textarea", { class: "field-input mod-reason", rows: 3, maxlength: 1000, placeholder: "Why was this decision wrong? You can appeal once.", testid: "appeal-text-input" });
  const error = h("p", { class: "banner banner--error", role: "alert", testid: "appeal-form-error", hidden: true });
  const send = h("button", { type: "submit", class: "btn btn--primary btn--small", testid: "appeal-submit" }, "Send appeal");
  const form = h("form", { class: "mod-appeal-form", testid: "appeal-form", novalidate: true }, text, error, h("div", { class: "mod-actions" }, send));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.hidden = true;
    if (!text.value.trim()) {
      error.textContent = "Say why the decision should change.";
      error.hidden = false;
      text.focus();
      return;
    }
    send.disabled = true;
    send.classList.add("is-busy");
    try {
      await moderation.appeal(s.id, text.value.trim());
      toast("Appeal sent. A different moderator will decide.", { kind: "success" });
      onSent();
    } catch (err) {
      error.textContent = err.detail;
      error.hidden = false;
    } finally {
      send.disabled = false;
      send.classList.remove("is-busy");
    }
  });
  return form;
}

function appealState(s, onSent) {
  if (s.appeal_status === "open") return h("p", { class: "banner banner--info", testid: "appeal-state" }, "Appeal sent. A different moderator will decide; you will see the answer here.");
  if (s.appeal_status === "granted") return h("p", { class: "banner banner--info", testid: "appeal-state" }, "Your appeal was granted: the decision was lifted.");
  if (s.appeal_status === "denied") return h("p", { class: "banner banner--warning", testid: "appeal-state" }, "Your appeal was denied. The decision stands.");
  if (serverNow() > Date.parse(s.appeal_until)) return h("p", { class: "mod-muted", testid: "appeal-state" }, `Appeals closed on ${day(s.appeal_until)}.`);
  const open = h("button", { type: "button", class: "btn btn--ghost btn--small", testid: "appeal-open" }, "Appeal");
  const wrap = h("div", { class: "mod-appeal-wrap" }, h("p", { class: "mod-muted" }, `You can appeal once, until ${day(s.appeal_until)}. `, open));
  open.addEventListener("click", () => {
    mount(wrap, appealForm(s, onSent));
    wrap.querySelector("textarea")?.focus();
  });
  return wrap;
}

const ABOUT = { user: "Your profile", post: "Your post", comment: "Your comment", message: "Your message", miniapp: "Your mini-program" };

/** What the decision was about: the kind of content and the start of its text. */
function about(s) {
  if (!s.content_kind) return null;
  return h(
    "blockquote",
    { class: "mod-report-copy", testid: "notice-content", dataset: { contentKind: s.content_kind } },
    h("span", { class: "mod-muted" }, `${ABOUT[s.content_kind] || moderation.kindLabel(s.content_kind)}: `),
    h("span", { testid: "notice-excerpt" }, s.excerpt || "(no text)"),
  );
}

function noticeCard(s, onSent) {
  const active = !s.revoked_at && (!s.ends_at || Date.parse(s.ends_at) > serverNow());
  return h(
    "section",
    { class: "mod-card mod-notice", testid: `notice-${s.id}`, dataset: { sanctionId: String(s.id), kind: s.kind } },
    h(
      "p",
      { class: "mod-case-tags" },
      chip(moderation.actionLabel(s.kind), toneOf(s.kind), "notice-action"),
      s.revoked_at ? chip("Lifted", "green", "notice-lifted") : null,
      when(s.created_at),
    ),
    h("p", { class: "mod-notice-rule" }, "Rule: ", h("b", { testid: "notice-rule" }, s.category)),
    about(s),
    h("p", { class: "mod-notice-reason", testid: "notice-reason" }, s.reason),
    h("p", { class: "mod-muted" }, EXPLAIN[s.kind] || "", s.ends_at ? ` ${active ? "Ends" : "Ended"} ${new Date(s.ends_at).toLocaleString()}.` : ""),
    appealState(s, onSent),
  );
}

export function noticesView(ctx) {
  const list = h("div", { class: "mod-list", testid: "notices" }, spinner());

  async function load() {
    try {
      const rows = await moderation.notices({ signal: ctx.signal });
      if (!ctx.alive) return;
      list.dataset.count = String(rows.length);
      mount(list, rows.length ? rows.map((s) => noticeCard(s, load)) : emptyState({ iconName: "shield", title: "No notices", text: "Moderators have not acted on anything of yours.", testid: "notices-empty" }));
    } catch (err) {
      if (err.name === "AbortError" || !ctx.alive) return;
      mount(list, failed(err, load));
    }
  }
  ctx.on("event:moderation.notice", load);
  ctx.on("event:moderation.appeal_decided", load);
  load();

  return screen(ctx, {
    title: "Moderation notices",
    back: "/me",
    testid: "screen-notices",
    body: [list, h("p", { class: "cells-foot" }, h("a", { class: "link-btn", href: "#/transparency?back=%2Fnotices" }, "How this community is moderated"))],
  });
}
