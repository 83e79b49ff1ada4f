// Pieces shared by the console's screens: the staff check, filter chips, small labels.

import { h } from "../../dom.js";
import { ago } from "../../format.js";
import { navigate } from "../../router.js";
import * as store from "../../store.js";
import { emptyState, screen } from "../../ui/layout.js";

export const isStaff = (user = store.state.user) => ["moderator", "admin"].includes(user?.role);

/** The screen a non-moderator gets instead of a console screen (the API says 403 anyway). */
export function staffOnly(ctx, title) {
  return screen(ctx, {
    title,
    back: "/me",
    testid: "screen-admin-forbidden",
    body: emptyState({ iconName: "lock", title: "Moderators only", text: "Only moderators and admins can use the moderation console.", testid: "admin-forbidden" }),
  });
}

/**
 * A row of choices where one is on (WeChat's segmented filter). `onPick(value)`.
 * @param {object} o {name, value, options: [{value, label}], onPick}
 */
export function segmented({ name, value, options, onPick }) {
  return h(
    "div",
    { class: "mod-seg", role: "tablist", testid: `filter-${name}` },
    options.map((o) =>
      h(
        "button",
        {
          type: "button",
          role: "tab",
          class: ["mod-seg-btn", String(o.value) === String(value) && "is-on"],
          "aria-selected": String(String(o.value) === String(value)),
          testid: `filter-${name}-${o.value || "all"}`,
          onclick: () => onPick(o.value),
        },
        o.label,
      ),
    ),
  );
}

/** Replace the current screen's query (filters live in the URL so Back keeps them). */
export function setQuery(ctx, changes) {
  const next = { ...ctx.query, ...changes };
  for (const [k, v] of Object.entries(next)) if (v === "" || v === null || v === undefined || v === false) delete next[k];
  const qs = new URLSearchParams(next).toString();
  navigate(ctx.path + (qs ? `?${qs}` : ""), { replace: true });
}

export const userRef = (id) => (id ? `user #${id}` : "—");

export function chip(text, tone = "", testid = null) {
  return h("span", { class: ["chip", "mod-chip", tone && `mod-chip--${tone}`], testid }, text);
}

export const toneOf = (action) => ({ block: "red", ban: "red", remove: "red", mute: "orange", review: "orange", warn: "orange", mask: "blue", approve: "green", granted: "green", denied: "red" })[action] || "";

export function when(iso) {
  return h("time", { class: "mod-time", datetime: iso, title: new Date(iso).toLocaleString() }, ago(iso));
}

/** A loading / failed placeholder that offers a retry. */
export function failed(err, retry) {
  return h(
    "div",
    { class: "mod-failed" },
    h("div", { class: "banner banner--error", testid: "form-error" }, err.detail || "Something went wrong."),
    retry ? h("button", { type: "button", class: "btn btn--ghost btn--small", onclick: retry }, "Retry") : null,
  );
}

export function snippet(text, n = 140) {
  const t = String(text || "").replace(/\s+/g, " ").trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}
