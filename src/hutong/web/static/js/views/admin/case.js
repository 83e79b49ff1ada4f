// #/admin/cases/:id — one case: the content as it was captured, every reporter's own copy and
// note, the user's earlier sanctions, and (once claimed) the decision: approve, remove, warn,
// mute for N days or ban, always with a reason the user will read.

import { h, mount } from "../../dom.js";
import * as moderation from "../../data/moderation.js";
import { day } from "../../format.js";
import { navigate } from "../../router.js";
import * as store from "../../store.js";
import { toast } from "../../ui/feedback.js";
import { screen, spinner } from "../../ui/layout.js";
import { chip, failed, isStaff, staffOnly, toneOf, userRef, when } from "./common.js";

function contextList(context) {
  const entries = Object.entries(context || {}).filter(([, v]) => v !== null && v !== "" && !(Array.isArray(v) && !v.length));
  if (!entries.length) return null;
  return h(
    "dl",
    { class: "mod-context", testid: "case-context" },
    entries.map(([k, v]) => [h("dt", {}, k.replace(/_/g, " ")), h("dd", {}, Array.isArray(v) ? v.join(", ") : typeof v === "object" ? JSON.stringify(v) : String(v))]),
  );
}

function contentBlock(c) {
  const ctxInfo = c.snapshot?.context || {};
  const link = ctxInfo.handle ? h("a", { class: "link-btn", href: `#/contacts/u/${encodeURIComponent(ctxInfo.handle)}` }, `@${ctxInfo.handle}`) : null;
  return h(
    "section",
    { class: "mod-card", testid: "case-content" },
    h("h2", { class: "mod-card-title" }, c.source === "held" ? "Held content" : "Reported content", link ? [" · ", link] : null),
    h("div", { class: "mod-content-text", testid: "case-content-text" }, c.snapshot?.text || h("span", { class: "mod-muted" }, "(no text)")),
    contextList(ctxInfo),
  );
}

function reportsBlock(c) {
  if (!c.reports.length) return null;
  return h(
    "section",
    { class: "mod-card", testid: "case-reports" },
    h("h2", { class: "mod-card-title" }, `Reports (${c.reports.length})`),
    c.reports.map((r) =>
      h(
        "div",
        { class: "mod-report", testid: "case-report" },
        h("p", { class: "mod-report-head" }, chip(r.reason, "blue"), ` ${userRef(r.reporter_id)} · `, when(r.created_at)),
        r.note ? h("p", { class: "mod-report-note", testid: "case-report-note" }, r.note) : null,
        r.snapshot?.text && r.snapshot.text !== c.snapshot?.text
          ? h("blockquote", { class: "mod-report-copy", testid: "case-report-copy" }, h("span", { class: "mod-muted" }, "What they saw: "), r.snapshot.text)
          : null,
      ),
    ),
  );
}

export function sanctionLine(s) {
  const bits = [moderation.actionLabel(s.kind), s.category, day(s.created_at)];
  if (s.ends_at) bits.push(`until ${day(s.ends_at)}`);
  if (s.revoked_at) bits.push("lifted");
  if (s.appeal_status) bits.push(`appeal ${s.appeal_status}`);
  return h("li", { class: "mod-history-item" }, chip(moderation.actionLabel(s.kind), toneOf(s.kind)), " ", bits.slice(1).join(" · "), s.reason ? h("span", { class: "mod-muted" }, ` — ${s.reason}`) : null);
}

function historyBlock(c) {
  return h(
    "section",
    { class: "mod-card", testid: "case-history" },
    h("h2", { class: "mod-card-title" }, `Earlier decisions about ${userRef(c.subject_user_id)}`),
    c.subject_sanctions.length ? h("ul", { class: "mod-history" }, c.subject_sanctions.map(sanctionLine)) : h("p", { class: "mod-muted" }, "None."),
  );
}

function decisionForm(c, onDone) {
  const choices = moderation.DECISIONS.filter((d) => {
    if (d.value === "remove") return c.kind !== "user";
    if (d.value !== "approve") return Boolean(c.subject_user_id);
    return true;
  });
  const radios = choices.map((d, i) =>
    h(
      "label",
      { class: "mod-choice", testid: `decision-${d.value}` },
      h("input", { type: "radio", name: "decision", value: d.value, checked: i === 0 }),
      h("span", { class: "mod-choice-body" }, h("span", { class: "mod-choice-title" }, d.label), h("span", { class: "mod-choice-note" }, d.note)),
    ),
  );
  const days = h("input", { type: "number", class: "field-input mod-days", min: 1, max: 3650, value: "7", testid: "decision-days", "aria-label": "Days" });
  const daysRow = h("label", { class: "mod-inline", hidden: true }, "Mute for ", days, " days");
  const category = h("input", { class: "field-input", value: c.category, maxlength: 32, testid: "decision-category", "aria-label": "Rule" });
  const reason = h("textarea", { class: "field-input mod-reason", rows: 3, maxlength: 500, placeholder: "The reason, as the user will read it", testid: "decision-reason" });
  const error = h("p", { class: "banner banner--error", role: "alert", testid: "decision-error", hidden: true });
  const submit = h("button", { type: "submit", class: "btn btn--primary btn--block", testid: "decision-submit" }, "Decide");
  const form = h(
    "form",
    { class: "mod-card mod-decide", testid: "decision-form", novalidate: true },
    h("h2", { class: "mod-card-title" }, "Decision"),
    h("fieldset", { class: "mod-choices" }, radios),
    daysRow,
    h("label", { class: "mod-inline" }, "Rule ", category),
    reason,
    error,
    submit,
  );
  const picked = () => form.querySelector("input[name=decision]:checked")?.value;
  form.addEventListener("change", () => (daysRow.hidden = picked() !== "mute"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.hidden = true;
    const decision = picked();
    const body = { decision, reason: reason.value.trim() };
    if (!body.reason) {
      error.textContent = "Give a reason: the user reads it, and it goes in the audit log.";
      error.hidden = false;
      reason.focus();
      return;
    }
    if (decision === "mute") body.days = Number(days.value);
    const rule = category.value.trim().toLowerCase();
    if (rule && rule !== c.category) body.category = rule;
    submit.disabled = true;
    submit.classList.add("is-busy");
    try {
      const out = await moderation.decide(c.id, body);
      toast(`${moderation.actionLabel(out.decision)} · case ${out.id}`, { kind: "success" });
      onDone(out);
    } catch (err) {
      error.textContent = err.detail;
      error.hidden = false;
    } finally {
      submit.disabled = false;
      submit.classList.remove("is-busy");
    }
  });
  return form;
}

function statusBlock(c, { onClaim }) {
  const me = store.state.user?.id;
  if (c.status === "decided") {
    return h(
      "section",
      { class: "mod-card", testid: "case-decided" },
      h("h2", { class: "mod-card-title" }, "Decided"),
      h("p", {}, chip(moderation.actionLabel(c.decision), toneOf(c.decision), "case-decision"), ` by ${userRef(c.decided_by)} · `, c.decided_at ? when(c.decided_at) : null),
      h("p", { class: "mod-report-note" }, c.decision_reason),
    );
  }
  if (c.status === "claimed" && c.claimed_by !== me) {
    return h("div", { class: "banner banner--info", testid: "case-claimed-by-other" }, `${userRef(c.claimed_by)} has claimed this case.`);
  }
  if (c.status === "open") {
    return h("div", { class: "mod-claim" }, h("button", { type: "button", class: "btn btn--primary btn--block", testid: "case-claim", onclick: onClaim }, "Claim this case"));
  }
  return null;
}

export function caseView(ctx) {
  if (!isStaff()) return staffOnly(ctx, "Case");
  const id = Number(ctx.params.id);
  const body = h("div", { class: "mod-case-detail", testid: "case-detail" }, spinner());

  async function claim() {
    try {
      await moderation.claim(id);
    } catch (err) {
      toast(err.detail, { kind: "error" });
    }
    load();
  }

  async function load() {
    try {
      const c = await moderation.caseDetail(id, { signal: ctx.signal });
      if (!ctx.alive) return;
      body.dataset.status = c.status;
      const mine = c.status === "claimed" && c.claimed_by === store.state.user?.id;
      mount(
        body,
        h(
          "div",
          { class: "mod-case-head" },
          chip(moderation.kindLabel(c.kind)),
          c.source === "held" ? chip("Held", "orange") : chip(`Reported ×${c.report_count}`, "red"),
          chip(c.category, "blue"),
          h("span", { class: "mod-muted" }, ` ${moderation.kindLabel(c.kind)} ${c.ref} · by ${userRef(c.subject_user_id)} · `, when(c.created_at)),
        ),
        contentBlock(c),
        reportsBlock(c),
        c.subject_user_id ? historyBlock(c) : null,
        statusBlock(c, { onClaim: claim }),
        mine ? decisionForm(c, () => navigate("/admin/queue", { replace: true })) : null,
      );
    } catch (err) {
      if (err.name === "AbortError" || !ctx.alive) return;
      mount(body, failed(err, load));
    }
  }
  load();

  return screen(ctx, { title: `Case ${id}`, back: "/admin/queue", testid: "screen-admin-case", body });
}
