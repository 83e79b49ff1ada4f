// #/wallet — Me → Wallet: the balance, the actions (top up, withdraw, pay code, transfer),
// transfers waiting for me, and the way to bills, merchant accounts, cards and the PIN.

import { h, mount } from "../../dom.js";
import { icon } from "../../icons.js";
import * as wallet from "../../data/wallet.js";
import { badge, cell, group } from "../../ui/cells.js";
import { screen } from "../../ui/layout.js";
import { lockMessage } from "./pinpad.js";

function action(href, iconName, label, testid) {
  return h("a", { class: "wallet-action", href, testid }, h("span", { class: "wallet-action-icon" }, icon(iconName, { size: 28 })), h("span", {}, label));
}

export function walletHomeView(ctx) {
  const balance = h("p", { class: "wallet-balance", testid: "wallet-balance" }, "—");
  const notes = h("div", { class: "wallet-notes" });
  const pending = h("div");

  function paint() {
    const o = wallet.overview();
    if (!o) return;
    balance.textContent = wallet.money(o.balance);
    balance.dataset.fen = String(o.balance);
    const lines = [];
    if (!o.pin_set) {
      lines.push(h("a", { class: "banner banner--warning wallet-banner", href: "#/wallet/pin", testid: "wallet-set-pin" }, "Set a payment PIN to send money and pay shops."));
    } else if (o.pin_locked_until && Date.parse(o.pin_locked_until) > Date.now()) {
      lines.push(h("a", { class: "banner banner--error wallet-banner", href: "#/wallet/pin", testid: "wallet-locked" }, lockMessage(o.pin_locked_until)));
    }
    mount(notes, lines);
  }

  function paintPending() {
    const list = wallet.incoming() || [];
    mount(
      pending,
      list.length
        ? group(
            cell({
              icon: "redpacket",
              tone: "orange",
              title: list.length === 1 ? "1 transfer waiting for you" : `${list.length} transfers waiting for you`,
              note: "Accept within 24 hours, or it goes back",
              href: "#/wallet/transfers",
              testid: "wallet-incoming",
              extra: badge(list.length),
            }),
          )
        : null,
    );
  }

  paint();
  paintPending();
  ctx.on("wallet:overview", paint);
  ctx.on("wallet:incoming", paintPending);
  wallet.refresh();

  const limit = h("p", { class: "cells-foot", testid: "wallet-limit" });
  const paintLimit = () => {
    const o = wallet.overview();
    limit.textContent = o ? `Spent today ${wallet.money(o.spent_today)} of your daily limit ${wallet.money(o.daily_limit)}.` : "";
  };
  paintLimit();
  ctx.on("wallet:overview", paintLimit);

  return screen(ctx, {
    title: "Wallet",
    back: "/me",
    testid: "screen-wallet",
    cls: "screen--wallet",
    body: [
      h(
        "section",
        { class: "wallet-card" },
        h("div", { class: "wallet-card-top" }, h("p", { class: "wallet-card-label" }, icon("wallet", { size: 18 }), "Balance"), balance),
        h(
          "div",
          { class: "wallet-actions" },
          action("#/wallet/paycode", "qr", "Pay code", "wallet-paycode"),
          action("#/wallet/topup", "plus", "Top up", "wallet-topup"),
          action("#/wallet/withdraw", "card", "Withdraw", "wallet-withdraw"),
          action("#/wallet/transfer", "send", "Transfer", "wallet-transfer"),
        ),
      ),
      notes,
      pending,
      group(
        cell({ icon: "redpacket", tone: "orange", title: "Transfers", note: "Sent and received", href: "#/wallet/transfers", testid: "wallet-transfers" }),
        cell({ icon: "redpacket", tone: "orange", title: "Red Packets", note: "Received and sent", href: "#/wallet/redpackets", testid: "wallet-redpackets" }),
        cell({ icon: "book", tone: "blue", title: "Bills", note: "Every payment, monthly totals", href: "#/wallet/bills", testid: "wallet-bills" }),
      ),
      group(
        cell({ icon: "scan", tone: "green", title: "Merchant", note: "Collect money with your own QR code", href: "#/wallet/merchants", testid: "wallet-merchants" }),
        cell({ icon: "card", tone: "purple", title: "Bank cards", href: "#/wallet/cards", testid: "wallet-cards" }),
        cell({ icon: "lock", tone: "orange", title: "Payment PIN", note: "Set, change or reset", href: "#/wallet/pin", testid: "wallet-pin" }),
      ),
      limit,
    ],
  });
}
