// Pieces the wallet screens share: the amount field, a receipt, a loading/failed body, and the
// cached pieces of data (card list) several screens need.

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import { icon } from "../../icons.js";
import * as wallet from "../../data/wallet.js";
import { spinner } from "../../ui/layout.js";

/** A form field spec for an amount in yuan (the value is parsed with wallet.parseAmount). */
export function amountField(extra = {}) {
  return {
    name: "amount",
    label: "Amount",
    inputmode: "decimal",
    placeholder: "0.00",
    maxlength: 13,
    required: true,
    validate: (v) => wallet.amountProblem(v),
    ...extra,
  };
}

export function noteField(label = "Note") {
  return { name: "note", label, maxlength: 100, placeholder: "optional" };
}

/** A big "done" card after money moved. `rows` are [label, value, testid] triples. */
export function receipt({ title, amount, tone = "ok", rows = [], testid = "wallet-receipt", actions = [] }) {
  return h(
    "div",
    { class: "wallet-receipt", testid, dataset: { outcome: tone } },
    h("span", { class: ["wallet-receipt-icon", `tone-${tone}`] }, icon(tone === "ok" ? "check" : tone === "wait" ? "clock" : "alert", { size: 44 })),
    h("p", { class: "wallet-receipt-title", testid: "receipt-title" }, title),
    amount !== undefined && amount !== null ? h("p", { class: "wallet-receipt-amount", testid: "receipt-amount" }, wallet.money(amount)) : null,
    rows.length
      ? h(
          "dl",
          { class: "wallet-receipt-rows" },
          rows.map(([k, v, id]) => h("div", { class: "wallet-receipt-row" }, h("dt", {}, k), h("dd", { testid: id || null }, v))),
        )
      : null,
    h("div", { class: "wallet-receipt-actions" }, actions),
  );
}

/** Load with `fn()` into `body` and paint with `paint(result)`; a failure shows its detail. */
export async function loadInto(ctx, body, fn, paint) {
  if (!body.firstChild) mount(body, spinner());
  try {
    const out = await fn();
    if (ctx.alive) paint(out);
  } catch (err) {
    if (err.name === "AbortError" || !ctx.alive) return;
    mount(body, h("div", { class: "banner banner--error", testid: "wallet-error", role: "alert" }, err.detail || "Something went wrong."));
  }
}

/** My linked cards (the sandbox bank's, any Luhn-valid number). */
export function cards(signal) {
  return api.get("/wallet/cards", { signal });
}

export function cardLabel(c) {
  return `${c.bank} ···· ${c.last4}`;
}

/** The amount as the balance line in a screen: "Balance ¥12.00", kept fresh. */
export function balanceNote(ctx, prefix = "Balance") {
  const el = h("p", { class: "cells-foot", testid: "wallet-balance-note" });
  const paint = () => {
    const o = wallet.overview();
    el.textContent = o ? `${prefix} ${wallet.money(o.balance)}` : "";
  };
  paint();
  ctx.on("wallet:overview", paint);
  if (!wallet.overview()) wallet.loadOverview().catch(() => {});
  return el;
}
