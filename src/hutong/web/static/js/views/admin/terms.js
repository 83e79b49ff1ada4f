// #/admin/terms — the term lists: try a text against them, list a term (block, mask or hold
// for review), change a term's action, take one off. Every worker applies changes in seconds.

import { h, mount } from "../../dom.js";
import * as moderation from "../../data/moderation.js";
import { confirmSheet, toast } from "../../ui/feedback.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { debounce } from "../../util.js";
import { chip, failed, isStaff, staffOnly, toneOf } from "./common.js";

const OUTCOME_NOTE = {
  allow: "Allowed as written.",
  mask: "Published with the matches replaced by *.",
  review: "Held until a moderator approves it.",
  block: "Refused, with the rule as the reason.",
};

function tester() {
  const input = h("textarea", { class: "field-input mod-test-input", rows: 3, maxlength: 10000, placeholder: "Paste a post, a comment, a name…", testid: "test-text" });
  const out = h("div", { class: "mod-test-out", testid: "test-result", hidden: true });
  const run = h("button", { type: "submit", class: "btn btn--ghost btn--small", testid: "test-run" }, "Test this text");
  const form = h("form", { class: "mod-card", testid: "term-test", novalidate: true }, h("h2", { class: "mod-card-title" }, "Test a text"), input, h("div", { class: "mod-actions" }, run), out);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!input.value.trim()) return;
    run.classList.add("is-busy");
    try {
      const r = await moderation.testText(input.value);
      out.dataset.outcome = r.outcome;
      mount(
        out,
        h("p", {}, chip(r.outcome, toneOf(r.outcome) || "green", "test-outcome"), r.category ? [" ", chip(r.category, "blue")] : null, " ", OUTCOME_NOTE[r.outcome]),
        r.outcome === "mask" ? h("p", { class: "mod-content-text", testid: "test-masked" }, r.text) : null,
        r.matches.length
          ? h(
              "ul",
              { class: "mod-history" },
              r.matches.map((m) => h("li", { class: "mod-history-item", testid: "test-match" }, chip(m.action, toneOf(m.action)), ` “${m.text}” matched `, h("b", {}, m.term), ` (${m.category})`)),
            )
          : null,
      );
      out.hidden = false;
    } catch (err) {
      mount(out, h("p", { class: "banner banner--error" }, err.detail));
      out.hidden = false;
    } finally {
      run.classList.remove("is-busy");
    }
  });
  return form;
}

function addForm(onAdded) {
  const term = h("input", { class: "field-input", maxlength: 64, placeholder: "Term", testid: "term-new", "aria-label": "Term" });
  const category = h("input", { class: "field-input", maxlength: 32, placeholder: "Category, e.g. fraud", testid: "term-category", "aria-label": "Category" });
  const action = h(
    "select",
    { class: "mod-select", testid: "term-action", "aria-label": "Action" },
    moderation.TERM_ACTIONS.map((a) => h("option", { value: a }, a)),
  );
  const whole = h("input", { type: "checkbox", testid: "term-whole-word" });
  const error = h("p", { class: "banner banner--error", role: "alert", testid: "term-error", hidden: true });
  const add = h("button", { type: "submit", class: "btn btn--primary btn--small", testid: "term-add" }, "Add term");
  const form = h(
    "form",
    { class: "mod-card mod-term-form", testid: "term-form", novalidate: true },
    h("h2", { class: "mod-card-title" }, "Add a term"),
    h("div", { class: "mod-term-fields" }, term, category, action),
    h("label", { class: "mod-check" }, whole, " Whole words only (alphabetic scripts)"),
    error,
    h("div", { class: "mod-actions" }, add),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.hidden = true;
    add.disabled = true;
    try {
      const t = await moderation.addTerm({ term: term.value, category: category.value, action: action.value, whole_word: whole.checked });
      toast(`“${t.term}” listed (${t.action})`, { kind: "success" });
      term.value = "";
      onAdded();
    } catch (err) {
      const fields = err.fields || {};
      error.textContent = Object.keys(fields).length ? Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join("; ") : err.detail;
      error.hidden = false;
    } finally {
      add.disabled = false;
    }
  });
  return form;
}

function termRow(t, { onChange, onDelete }) {
  const action = h(
    "select",
    { class: "mod-select mod-select--small", testid: "term-row-action", "aria-label": `Action for ${t.term}`, onchange: (e) => onChange(t, e.target.value) },
    moderation.TERM_ACTIONS.map((a) => h("option", { value: a, selected: a === t.action }, a)),
  );
  return h(
    "div",
    { class: "cell mod-term", testid: `term-${t.id}`, dataset: { term: t.term, action: t.action } },
    h(
      "span",
      { class: "cell-body" },
      h("span", { class: "cell-title" }, h("span", { testid: "term-text" }, t.term), t.whole_word ? h("span", { class: "mod-muted" }, " (whole word)") : null),
      h("span", { class: "cell-note" }, t.category, t.norm !== t.term ? ` · matches “${t.norm}”` : ""),
    ),
    action,
    h("button", { type: "button", class: "btn btn--danger-ghost btn--small", testid: "term-delete", onclick: () => onDelete(t) }, "Remove"),
  );
}

export function termsView(ctx) {
  if (!isStaff()) return staffOnly(ctx, "Term lists");
  const list = h("div", { class: "cells mod-list", testid: "terms" }, spinner());
  const foot = h("p", { class: "cells-foot", testid: "terms-status" });
  const search = h("input", { type: "search", class: "field-input", placeholder: "Search terms", testid: "terms-search", "aria-label": "Search terms" });
  const filter = h(
    "select",
    { class: "mod-select", testid: "terms-filter-action", "aria-label": "Action" },
    h("option", { value: "" }, "Any action"),
    moderation.TERM_ACTIONS.map((a) => h("option", { value: a }, a)),
  );
  let cursor = 0;
  let rows = [];
  const more = h("button", { type: "button", class: "btn btn--ghost btn--small mod-more", testid: "terms-more", hidden: true, onclick: () => load(true) }, "Load more");

  async function change(t, action) {
    try {
      await moderation.updateTerm(t.id, { action });
      toast(`“${t.term}” now ${action}`, { kind: "success" });
    } catch (err) {
      toast(err.detail, { kind: "error" });
    }
    load();
  }

  async function remove(t) {
    const ok = await confirmSheet({ title: `Take “${t.term}” off the lists?`, message: "Texts containing it are allowed again.", confirmLabel: "Remove", danger: true });
    if (!ok) return;
    try {
      await moderation.deleteTerm(t.id);
    } catch (err) {
      if (err.status !== 404) toast(err.detail, { kind: "error" });
    }
    load();
  }

  async function load(append = false) {
    if (!append) {
      cursor = 0;
      rows = [];
    }
    try {
      const page = await moderation.terms({ q: search.value.trim(), action: filter.value, after: cursor || "", limit: 100 }, { signal: ctx.signal });
      if (!ctx.alive) return;
      rows = rows.concat(page.terms);
      cursor = page.next_cursor || 0;
      more.hidden = !page.next_cursor;
      list.dataset.count = String(rows.length);
      mount(list, rows.length ? rows.map((t) => termRow(t, { onChange: change, onDelete: remove })) : emptyState({ iconName: "tag", title: "No terms", text: "Nothing listed matches.", testid: "terms-empty" }));
      foot.textContent = `Lists version ${page.version}.`;
    } catch (err) {
      if (err.name === "AbortError" || !ctx.alive) return;
      mount(list, failed(err, () => load()));
    }
  }
  search.addEventListener("input", debounce(() => load(), 250));
  filter.addEventListener("change", () => load());
  load();

  return screen(ctx, {
    title: "Term lists",
    back: "/admin",
    testid: "screen-admin-terms",
    body: [tester(), addForm(() => load()), h("div", { class: "mod-filter-row mod-pad" }, search, filter), list, more, foot],
  });
}
