// The payment PIN sheet every outgoing money action uses: what is being paid, six dots and a
// number pad (the keyboard works too). Six digits call `submit(pin)`; a wrong PIN clears the
// dots and says how many tries are left, a lock says until when, anything else closes the sheet
// and goes back to the caller.

import { h } from "../../dom.js";
import { icon } from "../../icons.js";
import { navigate } from "../../router.js";
import * as wallet from "../../data/wallet.js";
import { confirmSheet } from "../../ui/feedback.js";

function when(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** The message for a pin-locked problem, with the time in the reader's own clock. */
export function lockMessage(lockedUntil) {
  return `Payments are locked until ${when(lockedUntil)}. Reset your PIN with your password to pay again.`;
}

/**
 * Ask for the payment PIN, then run `submit(pin)`.
 * Resolves `submit`'s result, or null when cancelled; rejects with any error other than a wrong
 * PIN or a lock (those stay on the sheet).
 * @param {object} o {title, amount (fen), detail, submit(pin) → Promise}
 */
export async function askPin({ title, amount = null, detail = null, submit }) {
  const o = wallet.overview() || (await wallet.loadOverview().catch(() => null));
  if (o && !o.pin_set) {
    const ok = await confirmSheet({ title: "Set a payment PIN first", message: "Payments are confirmed with a 6-digit PIN of your own.", confirmLabel: "Set PIN" });
    if (ok) navigate(`/wallet/pin?back=${encodeURIComponent(location.hash.slice(1) || "/wallet")}`);
    return null;
  }
  return new Promise((resolve, reject) => {
    let digits = "";
    let busy = false;
    let locked = false;
    let done = false;
    const dots = Array.from({ length: 6 }, () => h("span", { class: "pin-dot" }));
    const error = h("p", { class: "pin-error", testid: "pin-error", role: "alert", hidden: true });
    const keys = [];

    const paint = () => dots.forEach((d, i) => d.classList.toggle("is-filled", i < digits.length));
    const showError = (text) => {
      error.textContent = text;
      error.hidden = !text;
    };
    const lock = (until) => {
      locked = true;
      showError(lockMessage(until));
      keys.forEach((k) => (k.disabled = true));
      sheet.dataset.locked = "true";
    };

    function close(fn) {
      if (done) return;
      done = true;
      removeEventListener("keydown", onKey, true);
      overlay.classList.remove("is-in");
      setTimeout(() => overlay.remove(), 200);
      fn();
    }

    async function run() {
      busy = true;
      sheet.setAttribute("aria-busy", "true");
      try {
        const result = await submit(digits);
        close(() => resolve(result));
      } catch (err) {
        digits = "";
        paint();
        if (err?.code === "wrong-pin") showError(err.detail);
        else if (err?.code === "pin-locked") {
          wallet.refresh();
          lock(err.extra?.locked_until || "");
        } else close(() => reject(err));
      } finally {
        busy = false;
        sheet.removeAttribute("aria-busy");
      }
    }

    function press(key) {
      if (busy || locked || done) return;
      if (key === "del") digits = digits.slice(0, -1);
      else if (digits.length < 6) digits += key;
      if (key !== "del") showError("");
      paint();
      if (digits.length === 6) run();
    }

    function onKey(e) {
      if (e.key === "Escape") {
        e.preventDefault();
        close(() => resolve(null));
      } else if (/^[0-9]$/.test(e.key)) {
        e.preventDefault();
        press(e.key);
      } else if (e.key === "Backspace") {
        e.preventDefault();
        press("del");
      }
    }

    const key = (label, value, testid) => {
      const b = h("button", { type: "button", class: "pinpad-key", testid, onclick: () => press(value) }, label);
      keys.push(b);
      return b;
    };
    const pad = h(
      "div",
      { class: "pinpad", testid: "pinpad" },
      ["1", "2", "3", "4", "5", "6", "7", "8", "9"].map((d) => key(d, d, `pinpad-key-${d}`)),
      h("span", { class: "pinpad-blank" }),
      key("0", "0", "pinpad-key-0"),
      key(icon("back", { size: 22 }), "del", "pinpad-del"),
    );
    const cancel = h("button", { type: "button", class: "pin-close", testid: "pin-cancel", "aria-label": "Cancel", onclick: () => close(() => resolve(null)) }, icon("close", { size: 22 }));
    const sheet = h(
      "div",
      { class: "sheet pin-sheet", tabindex: "-1", role: "dialog", "aria-modal": "true", "aria-label": "Enter payment PIN", testid: "pin-sheet" },
      h(
        "div",
        { class: "pin-head" },
        cancel,
        h("p", { class: "pin-title" }, "Enter payment PIN"),
        title ? h("p", { class: "pin-what", testid: "pin-what" }, title) : null,
        amount !== null ? h("p", { class: "pin-amount", testid: "pin-amount" }, wallet.money(amount)) : null,
        detail ? h("p", { class: "pin-detail", testid: "pin-detail" }, detail) : null,
        h("div", { class: "pin-dots", "aria-label": "PIN digits entered", role: "img" }, dots),
        error,
      ),
      pad,
    );
    const overlay = h("div", { class: "overlay", onclick: (e) => e.target === overlay && close(() => resolve(null)) }, sheet);
    document.body.append(overlay);
    addEventListener("keydown", onKey, true);
    requestAnimationFrame(() => {
      overlay.classList.add("is-in");
      // Keys go to the sheet even when a mini-program's frame had the focus.
      sheet.focus();
    });
    if (o?.pin_locked_until && Date.parse(o.pin_locked_until) > Date.now()) lock(o.pin_locked_until);
  });
}
