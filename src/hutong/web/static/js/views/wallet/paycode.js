// #/wallet/paycode — the payment code a shop's till scans: 18 digits and their QR. Each code pays
// once and lives for one minute; the screen fetches the next at its expiry and after every
// payment. A device shows codes only after it was enabled with the PIN.

import { api, serverNow } from "../../api.js";
import { h, mount } from "../../dom.js";
import { clock } from "../../format.js";
import { icon } from "../../icons.js";
import * as wallet from "../../data/wallet.js";
import { confirmSheet, toast } from "../../ui/feedback.js";
import { screen, spinner } from "../../ui/layout.js";
import { askPin } from "./pinpad.js";

/** "10 1234 5678 9012 3456" — groups of four after the two-digit prefix, easier to read out. */
function grouped(code) {
  return [code.slice(0, 2), ...code.slice(2).match(/.{1,4}/g)].join(" ");
}

export function paycodeView(ctx) {
  const body = h("div", { class: "paycode" }, spinner());
  let refreshTimer = null;
  let deadline = 0;
  const left = h("span", { testid: "paycode-left" });

  const tick = () => (left.textContent = deadline ? clock(deadline - serverNow()) : "");
  ctx.setInterval(tick, 500);
  ctx.onCleanup(() => clearTimeout(refreshTimer));

  function schedule(expiresAt) {
    clearTimeout(refreshTimer);
    deadline = Date.parse(expiresAt);
    // A moment after the window ends, so the server is surely in the next one.
    refreshTimer = setTimeout(load, Math.max(1000, deadline - serverNow() + 300));
    tick();
  }

  function paint(code) {
    const img = h("img", {
      class: "paycode-qr",
      src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(code.qr_svg)}`,
      alt: "Payment code QR",
      width: 220,
      height: 220,
      testid: "paycode-qr",
    });
    mount(
      body,
      h(
        "div",
        { class: "paycode-card", testid: "paycode-card", dataset: { code: code.code } },
        h("p", { class: "paycode-head" }, icon("qr", { size: 18 }), "Pay the shop"),
        h("p", { class: "paycode-digits", testid: "paycode-digits" }, grouped(code.code)),
        h("div", { class: "paycode-frame" }, img),
        h("p", { class: "paycode-note" }, "Show this to the cashier. It refreshes in ", left, " and pays only once."),
      ),
      h("div", { class: "paycode-actions" }, h("button", { type: "button", class: "btn btn--ghost btn--small", testid: "paycode-refresh", onclick: load }, icon("refresh", { size: 16 }), "Refresh"), disable),
    );
    schedule(code.expires_at);
  }

  function enableView(problem = null) {
    clearTimeout(refreshTimer);
    deadline = 0;
    const enable = h("button", { type: "button", class: "btn btn--primary btn--block", testid: "paycode-enable" }, "Enable Payment Code");
    enable.addEventListener("click", async () => {
      try {
        const code = await askPin({ title: "Enable payment code on this device", submit: (pin) => api.post("/wallet/paycode", { pin }) });
        if (code && ctx.alive) {
          wallet.refresh();
          paint(code);
        }
      } catch (err) {
        toast(err.detail, { kind: "error" });
      }
    });
    mount(
      body,
      h(
        "div",
        { class: "wallet-receipt", testid: "paycode-off" },
        h("span", { class: "wallet-receipt-icon tone-green" }, icon("qr", { size: 44 })),
        h("p", { class: "wallet-receipt-title" }, "Pay shops with a code"),
        h("p", { class: "cells-foot" }, problem || "The cashier scans a code on this screen. Each code pays once and changes every minute. Turn it on with your payment PIN."),
        h("div", { class: "wallet-receipt-actions" }, enable),
      ),
    );
  }

  async function load() {
    try {
      const code = await api.get("/wallet/paycode", { signal: ctx.signal });
      if (ctx.alive) paint(code);
    } catch (err) {
      if (err.name === "AbortError" || !ctx.alive) return;
      if (err.status === 404) enableView();
      else if (err.status === 429) {
        enableView(err.detail);
        clearTimeout(refreshTimer);
        refreshTimer = setTimeout(load, (Number(err.retryAfter) || 5) * 1000);
      } else mount(body, h("div", { class: "banner banner--error", testid: "wallet-error" }, err.detail));
    }
  }

  const disable = h("button", { type: "button", class: "btn btn--ghost btn--small", testid: "paycode-disable" }, "Turn Off");
  disable.addEventListener("click", async () => {
    const ok = await confirmSheet({ title: "Turn off payment codes on this device?", confirmLabel: "Turn Off", danger: true });
    if (!ok) return;
    try {
      await api.del("/wallet/paycode");
      wallet.refresh();
      enableView();
    } catch (err) {
      toast(err.detail, { kind: "error" });
    }
  });

  ctx.on("wallet:event", (e) => {
    if (e.kind !== "wallet.payment_made" || e.payload?.via !== "code") return;
    toast(`Paid ${e.payload.merchant_name} ${wallet.money(e.payload.amount)}`, { kind: "success" });
    load();
  });
  load();

  return screen(ctx, { title: "Pay code", back: "/wallet", testid: "screen-wallet-paycode", cls: "screen--paycode", body });
}
