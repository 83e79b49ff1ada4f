// #/wallet/bills — every movement of my money, newest first, with filters (month, kind,
// in/out) and the month's income and expense at the top. Pages with "Load more".

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import { icon } from "../../icons.js";
import * as wallet from "../../data/wallet.js";
import { chatTime } from "../../format.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";

const KINDS = [
  ["", "All kinds"],
  ["transfer", "Transfers"],
  ["payment", "Payments"],
  ["refund", "Refunds"],
  ["topup", "Top-ups"],
  ["withdrawal", "Withdrawals"],
  ["settlement", "Settlements"],
];

const TITLES = {
  topup: () => "Top-up",
  withdrawal: () => "Withdrawal",
  withdrawal_returned: () => "Withdrawal returned",
  transfer: (b) => (b.direction === "out" ? `Transfer to ${b.counterparty?.name || "a friend"}` : `Transfer from ${b.counterparty?.name || "a friend"}`),
  transfer_returned: (b) => `Transfer returned${b.counterparty ? ` (${b.counterparty.name})` : ""}`,
  payment: (b) => (b.direction === "out" ? `Paid ${b.counterparty?.name || "a shop"}` : `Payment from ${b.counterparty?.name || "a customer"}`),
  refund: (b) => `Refund from ${b.counterparty?.name || "a shop"}`,
  settlement: (b) => `Takings from ${b.counterparty?.name || "your shop"}`,
};

const ICONS = { topup: "plus", withdrawal: "card", withdrawal_returned: "card", transfer: "redpacket", transfer_returned: "redpacket", payment: "scan", refund: "back", settlement: "scan" };

const STATUS = { pending: "Pending", accepted: "Accepted", declined: "Declined", returned: "Returned", failed: "Failed" };

function monthKey(d = new Date()) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}`;
}

function monthLabel(key) {
  const [y, m] = key.split("-").map(Number);
  return new Date(y, m - 1, 1).toLocaleDateString(undefined, { year: "numeric", month: "long" });
}

function monthRange(key) {
  const [y, m] = key.split("-").map(Number);
  const last = new Date(y, m, 0).getDate();
  return { start: `${key}-01`, end: `${key}-${String(last).padStart(2, "0")}` };
}

function billRow(b) {
  const title = (TITLES[b.kind] || (() => b.kind))(b);
  const status = b.status !== "completed" ? STATUS[b.status] || b.status : null;
  return h(
    "div",
    { class: "cell bill-row", testid: `bill-${b.tx_id}`, dataset: { kind: b.kind, direction: b.direction, amount: String(b.amount) } },
    h("span", { class: ["cell-icon", b.direction === "in" ? "tone-green" : "tone-orange"] }, icon(ICONS[b.kind] || "wallet", { size: 20 })),
    h("span", { class: "cell-body" }, h("span", { class: "cell-title", testid: "bill-title" }, title), h("span", { class: "cell-note" }, chatTime(b.at), status ? ` · ${status}` : "", b.note ? ` · ${b.note}` : "")),
    h("span", { class: ["cell-value", "bill-amount", b.direction === "in" ? "is-in" : "is-out"], testid: "bill-amount" }, wallet.money(b.amount, { sign: b.direction })),
  );
}

export function billsView(ctx) {
  const filters = { month: monthKey(), kind: "", direction: "" };
  const summary = h("div", { class: "bills-summary", testid: "bills-summary" });
  const list = h("div", { class: "cells bills-list", testid: "bills-list" });
  const more = h("button", { type: "button", class: "btn btn--ghost btn--block", testid: "bills-more", hidden: true }, "Load more");
  let next = null;
  let generation = 0;

  // Months to choose from: this one and the eleven before it.
  const months = Array.from({ length: 12 }, (_, i) => {
    const d = new Date();
    d.setDate(1);
    d.setMonth(d.getMonth() - i);
    return monthKey(d);
  });
  const monthSelect = h("select", { class: "bills-select", testid: "bills-month", "aria-label": "Month" }, months.map((m) => h("option", { value: m }, monthLabel(m))));
  const kindSelect = h("select", { class: "bills-select", testid: "bills-kind", "aria-label": "Kind" }, KINDS.map(([v, l]) => h("option", { value: v }, l)));
  const dirButtons = [
    ["", "All"],
    ["in", "Income"],
    ["out", "Expense"],
  ].map(([v, l]) => {
    const b = h("button", { type: "button", class: ["seg-btn", v === filters.direction && "is-active"], testid: `bills-dir-${v || "all"}`, "aria-pressed": String(v === filters.direction) }, l);
    b.addEventListener("click", () => {
      filters.direction = v;
      for (const x of dirButtons) {
        const on = x === b;
        x.classList.toggle("is-active", on);
        x.setAttribute("aria-pressed", String(on));
      }
      reload();
    });
    return b;
  });
  monthSelect.addEventListener("change", () => {
    filters.month = monthSelect.value;
    reload();
  });
  kindSelect.addEventListener("change", () => {
    filters.kind = kindSelect.value;
    reload();
  });

  async function loadSummary() {
    const year = filters.month.slice(0, 4);
    try {
      const rows = await api.get(`/wallet/bills/months?year=${year}`, { signal: ctx.signal });
      if (!ctx.alive) return;
      const m = rows.find((r) => r.month === filters.month) || { income: 0, expense: 0, count: 0 };
      mount(
        summary,
        h("p", { class: "bills-summary-month" }, monthLabel(filters.month)),
        h(
          "p",
          { class: "bills-summary-totals" },
          "Expense ",
          h("strong", { testid: "bills-month-out", dataset: { fen: String(m.expense) } }, wallet.money(m.expense)),
          "  Income ",
          h("strong", { testid: "bills-month-in", dataset: { fen: String(m.income) } }, wallet.money(m.income)),
        ),
      );
    } catch (err) {
      if (err.name !== "AbortError" && ctx.alive) mount(summary, h("p", { class: "cells-foot" }, err.detail));
    }
  }

  async function loadPage(first) {
    const gen = generation;
    const q = new URLSearchParams({ limit: "30", ...monthRange(filters.month) });
    if (filters.kind) q.append("kind", filters.kind);
    if (filters.kind === "transfer") q.append("kind", "transfer_returned");
    if (filters.kind === "withdrawal") q.append("kind", "withdrawal_returned");
    if (filters.direction) q.set("direction", filters.direction);
    if (!first && next) q.set("before", String(next));
    more.disabled = true;
    try {
      const out = await api.get(`/wallet/bills?${q}`, { signal: ctx.signal });
      if (!ctx.alive || gen !== generation) return;
      next = out.next_before;
      if (first) mount(list);
      list.append(...out.bills.map(billRow));
      if (first && !out.bills.length) mount(list, emptyState({ iconName: "book", title: "No bills", text: "Nothing matches these filters.", testid: "bills-empty" }));
      more.hidden = !next;
    } catch (err) {
      if (err.name !== "AbortError" && ctx.alive) mount(list, h("div", { class: "banner banner--error", testid: "wallet-error" }, err.detail));
    } finally {
      more.disabled = false;
    }
  }

  function reload() {
    generation += 1;
    next = null;
    mount(list, spinner());
    loadSummary();
    loadPage(true);
  }
  more.addEventListener("click", () => loadPage(false));
  ctx.on("wallet:event", () => reload());
  reload();

  return screen(ctx, {
    title: "Bills",
    back: "/wallet",
    testid: "screen-wallet-bills",
    body: [
      h("div", { class: "bills-filters" }, monthSelect, kindSelect, h("div", { class: "seg", role: "group", "aria-label": "Direction" }, dirButtons)),
      summary,
      list,
      h("div", { class: "bills-more" }, more),
    ],
  });
}
