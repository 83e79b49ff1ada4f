// Grouped list rows in the WeChat manner: white cells on a grey page, chevrons for navigation.

import { h } from "../dom.js";
import { icon } from "../icons.js";

export function group(...cells) {
  return h("div", { class: "cells" }, cells);
}

export function groupTitle(text) {
  return h("div", { class: "cells-title" }, text);
}

/**
 * One row. `href` makes it a link, `onClick` a button; either shows a chevron.
 * @param {object} o {icon, tone, title, value, note, href, onClick, testid, disabled, extra}
 */
export function cell({ icon: iconName, tone, title, value, note, href, onClick, testid, disabled = false, extra }) {
  const tag = href ? "a" : onClick ? "button" : "div";
  const props = { class: ["cell", (href || onClick) && "cell--link", disabled && "is-disabled"], testid };
  if (href) props.href = href;
  if (onClick) {
    props.type = "button";
    props.onclick = onClick;
  }
  if (disabled) props["aria-disabled"] = "true";
  return h(
    tag,
    props,
    iconName ? h("span", { class: ["cell-icon", tone && `tone-${tone}`] }, icon(iconName, { size: 20 })) : null,
    h("span", { class: "cell-body" }, h("span", { class: "cell-title" }, title), note ? h("span", { class: "cell-note" }, note) : null),
    value !== undefined && value !== null ? h("span", { class: "cell-value" }, value) : null,
    extra || null,
    href || onClick ? h("span", { class: "cell-arrow" }, icon("chevron", { size: 16 })) : null,
  );
}

/**
 * A row with an on/off switch. `onChange(checked)` may return a promise; while it runs the
 * switch is disabled, and if it throws the switch flips back.
 */
export function switchCell({ title, note, checked = false, onChange, testid, disabled = false }) {
  const input = h("input", { type: "checkbox", class: "switch-input", role: "switch", checked, disabled, testid });
  input.addEventListener("change", async () => {
    const value = input.checked;
    input.disabled = true;
    try {
      await onChange(value);
    } catch {
      input.checked = !value;
    } finally {
      input.disabled = disabled;
    }
  });
  return {
    el: h(
      "label",
      { class: "cell cell--switch" },
      h("span", { class: "cell-body" }, h("span", { class: "cell-title" }, title), note ? h("span", { class: "cell-note" }, note) : null),
      h("span", { class: "switch" }, input, h("span", { class: "switch-track", "aria-hidden": "true" })),
    ),
    input,
    set(value) {
      input.checked = Boolean(value);
    },
  };
}

/** A badge: a red count, or a dot when `dot` (muted chats). */
export function badge(count, { dot = false, testid } = {}) {
  if (!count) return null;
  if (dot) return h("span", { class: "badge badge--dot", testid, "aria-label": "unread" });
  return h("span", { class: "badge", testid }, count > 99 ? "99+" : String(count));
}
