// The frame of every in-app screen: top bar, scrolling body, and the bottom tab bar.

import { h } from "../dom.js";
import { icon } from "../icons.js";
import * as store from "../store.js";

export const TABS = [
  { id: "chats", label: "Chats", href: "#/chats", icon: "chats" },
  { id: "contacts", label: "Contacts", href: "#/contacts", icon: "contacts" },
  { id: "discover", label: "Discover", href: "#/discover", icon: "discover" },
  { id: "me", label: "Me", href: "#/me", icon: "me" },
];

export function topbar({ title, subtitle = null, back, actions = [] }) {
  return h(
    "header",
    { class: "topbar" },
    h(
      "div",
      { class: "topbar-side topbar-left" },
      back ? h("a", { class: "topbar-btn topbar-back", href: "#" + back, testid: "back", "aria-label": "Back" }, icon("back")) : null,
    ),
    subtitle
      ? h("div", { class: "topbar-center" }, h("h1", { class: "topbar-title", testid: "screen-title" }, title), subtitle)
      : h("h1", { class: "topbar-title", testid: "screen-title" }, title),
    h("div", { class: "topbar-side topbar-right" }, actions),
  );
}

function tabBadge(ctx, id) {
  if (!ctx || !(id in store.state.badges)) return null;
  const el = h("span", { class: "tab-badge", testid: `tab-badge-${id}`, hidden: true });
  const paint = () => {
    const n = store.state.badges[id] || 0;
    el.hidden = n <= 0;
    el.textContent = n > 99 ? "99+" : String(n);
  };
  paint();
  ctx.on("badges", paint);
  return el;
}

export function tabbar(active, ctx = null) {
  return h(
    "nav",
    { class: "tabbar", "aria-label": "Main" },
    TABS.map((t) =>
      h(
        "a",
        {
          class: ["tab", t.id === active && "is-active"],
          href: t.href,
          testid: `tab-${t.id}`,
          "aria-current": t.id === active ? "page" : null,
        },
        h("span", { class: "tab-icon" }, icon(t.icon, { size: 26 }), tabBadge(ctx, t.id)),
        h("span", { class: "tab-label" }, t.label),
      ),
    ),
  );
}

/**
 * A strip under the top bar while the realtime socket is down. It waits a moment before
 * showing, so a quick (re)connect doesn't flash it.
 */
function connectionStrip(ctx) {
  const el = h("div", { class: "conn-strip", testid: "conn-strip", role: "status" }, "Connecting…");
  let timer = null;
  const down = () => Boolean(store.state.user) && ["offline", "connecting"].includes(store.state.realtime);
  const update = () => {
    clearTimeout(timer);
    if (!down()) el.classList.remove("is-shown");
    else if (!el.classList.contains("is-shown")) timer = setTimeout(() => el.classList.toggle("is-shown", down()), 800);
  };
  update();
  ctx.on("realtime", update);
  ctx.onCleanup(() => clearTimeout(timer));
  return el;
}

/**
 * An in-app screen.
 * @param {object} ctx  the router context
 * @param {object} o    {title, subtitle, pageTitle, back, actions, body, footer, tab, testid, cls,
 *                       bodyRef: (main) => void}
 *   `title` may be a node (then `pageTitle` names the browser tab); `footer` sits under the
 *   scrolling body (a chat's input bar).
 */
export function screen(ctx, { title, subtitle = null, pageTitle, back = null, actions = [], body, footer = null, tab = null, testid, cls, bodyRef }) {
  const name = pageTitle ?? (typeof title === "string" ? title : "");
  document.title = name ? `${name} · Hutong` : "Hutong";
  const main = h("main", { class: "screen-body" }, body);
  bodyRef?.(main);
  return h(
    "div",
    { class: ["screen", tab && "screen--tabbed", cls], testid },
    topbar({ title, subtitle, back, actions }),
    connectionStrip(ctx),
    main,
    footer,
    tab ? tabbar(tab, ctx) : null,
  );
}

export function emptyState({ iconName, title, text, testid, action }) {
  return h(
    "div",
    { class: "empty", testid },
    h("div", { class: "empty-icon" }, icon(iconName, { size: 44 })),
    h("p", { class: "empty-title" }, title),
    text ? h("p", { class: "empty-text" }, text) : null,
    action || null,
  );
}

export function spinner(label = "Loading…") {
  return h("div", { class: "loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), h("span", { class: "sr-only" }, label));
}
