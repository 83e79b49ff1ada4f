// The in-app browser: a link from a chat opens over the app, as in WeChat, with the page's
// address in a title bar, Close, Copy link and Open in browser. The page runs in a sandboxed
// frame (scripts and forms, never our origin: no allow-same-origin), with no referrer. Sites
// that refuse to be framed stay blank; the bar then offers the real browser.

import { h } from "../dom.js";
import { icon } from "../icons.js";
import { toast } from "./feedback.js";

let open = null;

/** Only http(s) addresses are opened; anything else is refused. */
export function safeUrl(raw) {
  try {
    const u = new URL(raw);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

/** A click handler for links: open `url` in the in-app browser instead of a new tab. */
export function inAppLink(url, title = "") {
  return (e) => {
    if (e.ctrlKey || e.metaKey || e.shiftKey || e.button === 1) return; // the user asked for a tab
    e.preventDefault();
    e.stopPropagation();
    openBrowser(url, title);
  };
}

export function openBrowser(raw, title = "") {
  const url = safeUrl(raw);
  if (!url) return toast("This link cannot be opened.", { kind: "error" });
  open?.close();
  const host = new URL(url).host;
  const previous = document.activeElement;
  const frame = h("iframe", {
    class: "browser-frame",
    src: url,
    title: title || host,
    sandbox: "allow-scripts allow-forms allow-popups allow-popups-to-escape-sandbox",
    referrerpolicy: "no-referrer",
    testid: "browser-frame",
  });
  const note = h("p", { class: "browser-note", testid: "browser-note" }, "Loading…");
  frame.addEventListener("load", () => note.remove());
  setTimeout(() => {
    if (note.isConnected) note.textContent = "If the page stays blank, this site does not allow being shown inside Hutong. Open it in your browser.";
  }, 4000);
  async function copy() {
    try {
      await navigator.clipboard.writeText(url);
      toast("Link copied");
    } catch {
      toast(url);
    }
  }
  const panel = h(
    "div",
    { class: "browser", role: "dialog", "aria-modal": "true", "aria-label": title || host, testid: "in-app-browser" },
    h(
      "header",
      { class: "browser-bar" },
      h("button", { type: "button", class: "icon-btn", "aria-label": "Close", testid: "browser-close", onclick: () => close() }, icon("close", { size: 22 })),
      h("div", { class: "browser-title" }, h("p", { class: "browser-name", testid: "browser-title" }, title || host), h("p", { class: "browser-host", testid: "browser-host" }, host)),
      h("button", { type: "button", class: "icon-btn", "aria-label": "Copy link", testid: "browser-copy", onclick: copy }, icon("copy", { size: 20 })),
      h("a", { class: "icon-btn", href: url, target: "_blank", rel: "noopener noreferrer nofollow", "aria-label": "Open in browser", testid: "browser-external", onclick: () => close() }, icon("share", { size: 20 })),
    ),
    note,
    frame,
  );
  const onKey = (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      close();
    }
  };
  function close() {
    if (open?.panel !== panel) return;
    open = null;
    removeEventListener("keydown", onKey, true);
    removeEventListener("hashchange", close);
    panel.remove();
    previous?.focus?.();
  }
  document.body.append(panel);
  addEventListener("keydown", onKey, true);
  addEventListener("hashchange", close);
  open = { panel, close };
  panel.querySelector("button")?.focus();
}
