// Toasts and the confirm sheet.

import { h } from "../dom.js";

/** A short message at the top of the screen. kind: "info" | "success" | "error" */
export function toast(message, { kind = "info", ms = 2600 } = {}) {
  let host = document.getElementById("toasts");
  if (!host) {
    host = h("div", { id: "toasts", class: "toasts", "aria-live": "polite" });
    document.body.append(host);
  }
  const el = h("div", { class: ["toast", `toast--${kind}`], testid: "toast", role: kind === "error" ? "alert" : "status" }, message);
  host.append(el);
  requestAnimationFrame(() => el.classList.add("is-in"));
  setTimeout(() => {
    el.classList.remove("is-in");
    setTimeout(() => el.remove(), 300);
  }, ms);
}

/**
 * Ask before doing something. Resolves true when confirmed.
 * An action sheet on phones and a small dialog on wide screens.
 */
export function confirmSheet({ title, message, confirmLabel = "OK", cancelLabel = "Cancel", danger = false }) {
  return new Promise((resolve) => {
    const previous = document.activeElement;
    let done = false;
    const close = (answer) => {
      if (done) return;
      done = true;
      overlay.classList.remove("is-in");
      removeEventListener("keydown", onKey, true);
      setTimeout(() => overlay.remove(), 200);
      previous?.focus?.();
      resolve(answer);
    };
    const onKey = (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        close(false);
      }
    };
    const ok = h("button", { type: "button", class: ["sheet-btn", danger ? "is-danger" : "is-primary"], testid: "confirm-ok", onclick: () => close(true) }, confirmLabel);
    const sheet = h(
      "div",
      { class: "sheet", role: "dialog", "aria-modal": "true", "aria-labelledby": "sheet-title", testid: "confirm-sheet" },
      h("div", { class: "sheet-head" }, h("p", { class: "sheet-title", id: "sheet-title" }, title), message ? h("p", { class: "sheet-text" }, message) : null),
      ok,
      h("div", { class: "sheet-gap" }),
      h("button", { type: "button", class: "sheet-btn", testid: "confirm-cancel", onclick: () => close(false) }, cancelLabel),
    );
    const overlay = h("div", { class: "overlay", onclick: (e) => e.target === overlay && close(false) }, sheet);
    document.body.append(overlay);
    addEventListener("keydown", onKey, true);
    requestAnimationFrame(() => {
      overlay.classList.add("is-in");
      ok.focus();
    });
  });
}
