// The report dialog every user can open on a post, a comment, a chat message or a person:
// pick the rule it breaks, add a note, send. Other screens import `reportSheet` from here.

import { h } from "../../dom.js";
import * as moderation from "../../data/moderation.js";
import { openSheet, toast } from "../../ui/feedback.js";

const TITLES = { user: "Report this person", post: "Report this post", comment: "Report this comment", message: "Report this message", miniapp: "Report this mini-program" };

/**
 * Ask why and report. Resolves the created report, or null when cancelled.
 * @param {object} o {kind: "post"|"comment"|"message"|"user"|"miniapp", id, title, quote, context}
 *   `quote` shows what is being reported (the server keeps its own copy as the reporter saw
 *   it); `context`, if any, is put before the reporter's own note.
 *   A chat message's id is "<chat_id>:<seq>".
 */
export function reportSheet({ kind, id, title, quote = "", context = "" }) {
  return openSheet((close) => {
    const reasons = moderation.REPORT_REASONS.map((r, i) =>
      h(
        "label",
        { class: "report-reason", testid: `report-reason-${r.value}` },
        h("input", { type: "radio", name: "report-reason", value: r.value, checked: i === 0 }),
        h("span", {}, r.label),
      ),
    );
    const noteInput = h("textarea", { class: "report-note", rows: 2, maxlength: 500, placeholder: "Anything a moderator should know (optional)", testid: "report-note" });
    const error = h("p", { class: "report-error", role: "alert", testid: "report-error", hidden: true });
    const send = h("button", { type: "submit", class: "btn btn--primary btn--block", testid: "report-submit" }, "Report");
    const form = h(
      "form",
      { class: "report-form", novalidate: true },
      quote ? h("blockquote", { class: "report-quote", testid: "report-quote" }, quote) : null,
      h("fieldset", { class: "report-reasons" }, h("legend", { class: "report-legend" }, "Which rule does it break?"), reasons),
      noteInput,
      error,
      send,
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (send.disabled) return;
      const reason = form.querySelector("input[name=report-reason]:checked")?.value || "other";
      send.disabled = true;
      send.classList.add("is-busy");
      error.hidden = true;
      try {
        const note = [context, noteInput.value.trim()].filter(Boolean).join("\n").slice(0, 500);
        const out = await moderation.report({ kind, ref: id, reason, note });
        toast("Thanks. A moderator will look at it.", { kind: "success" });
        close(out);
      } catch (err) {
        error.textContent = err.detail || "Couldn't send the report.";
        error.hidden = false;
      } finally {
        send.disabled = false;
        send.classList.remove("is-busy");
      }
    });
    return h(
      "div",
      { class: "sheet report-sheet", role: "dialog", "aria-modal": "true", "aria-label": title || TITLES[kind] || "Report", testid: "report-sheet" },
      h("div", { class: "sheet-head" }, h("p", { class: "sheet-title" }, title || TITLES[kind] || "Report"), h("p", { class: "sheet-text" }, "Reports are private: the person is not told who reported them.")),
      form,
      h("div", { class: "sheet-gap" }),
      h("button", { type: "button", class: "sheet-btn", testid: "report-cancel", onclick: () => close(null) }, "Cancel"),
    );
  }, { focus: (sheet) => sheet.querySelector("input[name=report-reason]") });
}
