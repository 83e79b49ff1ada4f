// Forms: labelled fields with their own error lines, a banner for the problem's `detail`, and
// a submit button that shows progress and respects 429 retry_after.

import { ApiError } from "../api.js";
import { h } from "../dom.js";
import { clock } from "../format.js";

let uid = 0;

function humanize(message) {
  return String(message)
    .replace(/^String should have at least (\d+) characters?$/, "At least $1 characters")
    .replace(/^String should have at most (\d+) characters?$/, "At most $1 characters")
    .replace(/^Field required$/, "Required")
    .replace(/^\w/, (c) => c.toUpperCase());
}

/**
 * One labelled input.
 * @param {object} spec {name, label, type, value, placeholder, autocomplete, maxlength, multiline,
 *                       hint, inputmode, required, validate(value, values) → message|null, counter}
 */
export function field(spec) {
  const id = `f-${spec.name}-${++uid}`;
  const { name, label, type = "text", value = "", multiline = false } = spec;
  const attrs = {
    id,
    name,
    class: "field-input",
    testid: `input-${name}`,
    placeholder: spec.placeholder || "",
    autocomplete: spec.autocomplete || "off",
    maxlength: spec.maxlength || null,
    inputmode: spec.inputmode || null,
    spellcheck: spec.spellcheck ?? (multiline ? "true" : "false"),
    autocapitalize: spec.autocapitalize || (type === "text" ? "off" : null),
    "aria-describedby": `${id}-err`,
  };
  const input = multiline ? h("textarea", { ...attrs, rows: spec.rows || 3 }) : h("input", { ...attrs, type });
  input.value = value ?? "";
  const error = h("p", { class: "field-error", id: `${id}-err`, testid: `error-${name}`, hidden: true });
  const counter = spec.counter && spec.maxlength ? h("span", { class: "field-counter" }) : null;
  const updateCounter = () => counter && (counter.textContent = `${Array.from(input.value).length}/${spec.maxlength}`);
  updateCounter();
  input.addEventListener("input", () => {
    updateCounter();
    if (!error.hidden) setError(null);
  });
  let toggle = null;
  if (type === "password") {
    toggle = h("button", { type: "button", class: "field-toggle", testid: `toggle-${name}`, "aria-label": "Show password" }, "Show");
    toggle.addEventListener("click", () => {
      const show = input.type === "password";
      input.type = show ? "text" : "password";
      toggle.textContent = show ? "Hide" : "Show";
      toggle.setAttribute("aria-label", show ? "Hide password" : "Show password");
    });
  }
  const el = h(
    "div",
    { class: ["field", multiline && "field--stacked"], dataset: { field: name } },
    h("div", { class: "field-row" }, h("label", { class: "field-label", for: id }, label), input, toggle, counter),
    spec.hint ? h("p", { class: "field-hint" }, spec.hint) : null,
    error,
  );
  function setError(message) {
    error.hidden = !message;
    error.textContent = message ? humanize(message) : "";
    el.classList.toggle("has-error", Boolean(message));
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
  return { el, input, name, spec, setError, get value() { return input.value; } };
}

/** A banner for a form-level message. */
export function banner({ testid = "form-error", kind = "error" } = {}) {
  const el = h("div", { class: ["banner", `banner--${kind}`], testid, role: kind === "error" ? "alert" : "status", hidden: true });
  return {
    el,
    show(text) {
      el.textContent = text;
      el.hidden = !text;
    },
    hide() {
      el.hidden = true;
    },
  };
}

/**
 * A complete form. `onSubmit(values)` may throw an ApiError; its field errors are shown at the
 * fields and its detail in the banner.
 */
export function makeForm({ testid, fields: specs, groups, submitLabel, submitTestid = "submit", onSubmit, before, after, cls }) {
  const fields = {};
  const mkGroup = (list) => h("div", { class: "cells form-cells" }, list.map((spec) => (fields[spec.name] = field(spec)).el));
  const blocks = groups ? groups.map(mkGroup) : [mkGroup(specs)];
  const errorBanner = banner();
  const submit = h("button", { type: "submit", class: "btn btn--primary btn--block", testid: submitTestid }, submitLabel);
  const form = h("form", { class: ["form", cls], testid, novalidate: true }, errorBanner.el, before || null, blocks, h("div", { class: "form-actions" }, submit), after || null);
  let cooling = null;

  const values = () => Object.fromEntries(Object.values(fields).map((f) => [f.name, f.value]));

  function clearErrors() {
    errorBanner.hide();
    for (const f of Object.values(fields)) f.setError(null);
  }

  function setBusy(busy) {
    submit.disabled = busy || Boolean(cooling);
    submit.classList.toggle("is-busy", busy);
    form.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function coolDown(seconds) {
    const until = Date.now() + seconds * 1000;
    clearInterval(cooling);
    const tick = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0 || !form.isConnected) {
        clearInterval(cooling);
        cooling = null;
        submit.disabled = false;
        submit.textContent = submitLabel;
        return;
      }
      submit.disabled = true;
      submit.textContent = `Try again in ${left > 90 ? clock(left * 1000) : `${left} s`}`;
    };
    cooling = setInterval(tick, 500);
    tick();
  }

  function showError(err) {
    if (!(err instanceof ApiError)) {
      console.error(err);
      errorBanner.show("Something went wrong. Please try again.");
      return;
    }
    const problems = err.fields;
    let unmatched = false;
    let first = null;
    for (const [name, message] of Object.entries(problems)) {
      const f = fields[name];
      if (f) {
        f.setError(message);
        first = first || f;
      } else unmatched = true;
    }
    if (!first || unmatched) errorBanner.show(err.detail);
    if (first) first.input.focus();
    if (err.status === 429 && err.retryAfter) coolDown(Number(err.retryAfter));
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (submit.disabled) return;
    clearErrors();
    const vals = values();
    let first = null;
    for (const f of Object.values(fields)) {
      const v = f.value.trim();
      let message = null;
      if (f.spec.required && !v) message = `${f.spec.label} is required`;
      else if (f.spec.validate) message = f.spec.validate(f.value, vals);
      if (message) {
        f.setError(message);
        first = first || f;
      }
    }
    if (first) {
      first.input.focus();
      return;
    }
    setBusy(true);
    try {
      await onSubmit(vals, { fields, showError, banner: errorBanner });
    } catch (err) {
      if (err?.name !== "AbortError") showError(err);
    } finally {
      setBusy(false);
    }
  });

  return { el: form, fields, values, showError, clearErrors, banner: errorBanner, submit };
}
