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
/**
 * A bottom sheet over the page. `build(close)` makes the sheet; the promise resolves with what
 * `close` is given (Escape and a tap outside give `cancelValue`). `focus(sheet)` names the
 * element to focus once it is shown; focus returns where it was when the sheet closes.
 */
export function openSheet(build, { cancelValue = null, focus = null } = {}) {
  return new Promise((resolve) => {
    const previous = document.activeElement;
    let done = false;
    let overlay = null;
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
        close(cancelValue);
      }
    };
    const sheet = build(close);
    overlay = h("div", { class: "overlay", onclick: (e) => e.target === overlay && close(cancelValue) }, sheet);
    document.body.append(overlay);
    addEventListener("keydown", onKey, true);
    requestAnimationFrame(() => {
      overlay.classList.add("is-in");
      focus?.(sheet)?.focus?.();
    });
  });
}

export function confirmSheet({ title, message, confirmLabel = "OK", cancelLabel = "Cancel", danger = false }) {
  return openSheet(
    (close) =>
      h(
        "div",
        { class: "sheet", role: "dialog", "aria-modal": "true", "aria-labelledby": "sheet-title", testid: "confirm-sheet" },
        h("div", { class: "sheet-head" }, h("p", { class: "sheet-title", id: "sheet-title" }, title), message ? h("p", { class: "sheet-text" }, message) : null),
        h("button", { type: "button", class: ["sheet-btn", danger ? "is-danger" : "is-primary"], testid: "confirm-ok", onclick: () => close(true) }, confirmLabel),
        h("div", { class: "sheet-gap" }),
        h("button", { type: "button", class: "sheet-btn", testid: "confirm-cancel", onclick: () => close(false) }, cancelLabel),
      ),
    { cancelValue: false, focus: (sheet) => sheet.querySelector("[data-testid=confirm-ok]") },
  );
}

/**
 * Choose one of several actions (WeChat's bottom action sheet). Resolves the chosen action's
 * `value`, or null when cancelled.
 * @param {object} o {title, message, actions: [{label, value, danger, testid}], testid}
 */
export function actionSheet({ title, message, actions, testid = "action-sheet" }) {
  return openSheet(
    (close) =>
      h(
        "div",
        { class: "sheet", role: "dialog", "aria-modal": "true", "aria-label": title || "Actions", testid },
        title || message ? h("div", { class: "sheet-head" }, title ? h("p", { class: "sheet-title" }, title) : null, message ? h("p", { class: "sheet-text" }, message) : null) : null,
        h(
          "div",
          { class: "sheet-list" },
          actions.map((a) => h("button", { type: "button", class: ["sheet-btn", a.danger && "is-danger"], testid: a.testid || null, onclick: () => close(a.value) }, a.label)),
        ),
        h("div", { class: "sheet-gap" }),
        h("button", { type: "button", class: "sheet-btn", testid: "sheet-cancel", onclick: () => close(null) }, "Cancel"),
      ),
    { focus: (sheet) => sheet.querySelector(".sheet-list .sheet-btn") },
  );
}

let openMenu = null;

/**
 * A small floating menu at a point (right-click or long-press). Items: [{label, icon, onSelect,
 * danger, testid}]. Closes on a choice, a click elsewhere, Escape or scrolling.
 */
export function contextMenu({ x, y, items, testid = "context-menu", dark = false }) {
  openMenu?.();
  const menu = h(
    "div",
    { class: ["ctxmenu", dark && "ctxmenu--dark"], role: "menu", testid },
    items.map((it) =>
      h(
        "button",
        {
          type: "button",
          role: "menuitem",
          class: ["ctxmenu-item", it.danger && "is-danger"],
          testid: it.testid || null,
          onclick: (e) => {
            e.stopPropagation();
            close();
            it.onSelect();
          },
        },
        it.label,
      ),
    ),
  );
  const backdrop = h("div", { class: "ctxmenu-backdrop", onpointerdown: (e) => (e.preventDefault(), close()), oncontextmenu: (e) => (e.preventDefault(), close()) });
  const onKey = (e) => e.key === "Escape" && close();
  function close() {
    if (openMenu !== close) return;
    openMenu = null;
    menu.remove();
    backdrop.remove();
    removeEventListener("keydown", onKey, true);
    removeEventListener("resize", close);
    removeEventListener("hashchange", close);
  }
  document.body.append(backdrop, menu);
  const w = menu.offsetWidth;
  const hgt = menu.offsetHeight;
  const left = Math.max(8, Math.min(x, innerWidth - w - 8));
  const top = y + hgt + 8 > innerHeight ? Math.max(8, y - hgt) : y;
  menu.style.setProperty("--x", `${left}px`);
  menu.style.setProperty("--y", `${top}px`);
  menu.classList.add("is-in");
  addEventListener("keydown", onKey, true);
  addEventListener("resize", close);
  addEventListener("hashchange", close);
  openMenu = close;
  menu.querySelector("button")?.focus({ preventScroll: true });
  return close;
}

/**
 * Long-press (touch/pen, 480 ms) and right-click on `el` both call `fn({x, y})`. A press that
 * moves is a scroll, not a long-press.
 */
export function onLongPress(el, fn) {
  let timer = null;
  let start = null;
  const cancel = () => {
    clearTimeout(timer);
    timer = null;
  };
  el.addEventListener("contextmenu", (e) => {
    e.preventDefault();
    cancel();
    fn({ x: e.clientX, y: e.clientY });
  });
  el.addEventListener("pointerdown", (e) => {
    if (e.pointerType === "mouse") return;
    start = { x: e.clientX, y: e.clientY };
    cancel();
    timer = setTimeout(() => {
      timer = null;
      el.dataset.longPressed = "1";
      fn(start);
    }, 480);
  });
  el.addEventListener("pointermove", (e) => {
    if (timer && start && Math.hypot(e.clientX - start.x, e.clientY - start.y) > 10) cancel();
  });
  el.addEventListener("pointerup", cancel);
  el.addEventListener("pointercancel", cancel);
  // The click that ends a long-press must not also open what the element links to.
  el.addEventListener(
    "click",
    (e) => {
      if (el.dataset.longPressed) {
        delete el.dataset.longPressed;
        e.preventDefault();
        e.stopPropagation();
      }
    },
    true,
  );
}
