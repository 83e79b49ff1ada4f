// Money in and out through the (sandbox) bank: #/wallet/cards (link and remove a card),
// #/wallet/topup and #/wallet/withdraw. A top-up needs no PIN (money comes in); a withdrawal
// shows its fee before the PIN is asked, and may stay pending until the bank answers.

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import * as wallet from "../../data/wallet.js";
import { cell, group, groupTitle } from "../../ui/cells.js";
import { confirmSheet, toast } from "../../ui/feedback.js";
import { makeForm } from "../../ui/form.js";
import { screen, spinner } from "../../ui/layout.js";
import { newId } from "../../util.js";
import { amountField, balanceNote, cardLabel, cards, loadInto, receipt } from "./common.js";
import { askPin } from "./pinpad.js";

function linkCardForm(onLinked) {
  return makeForm({
    testid: "card-form",
    fields: [
      {
        name: "number",
        label: "Card number",
        inputmode: "numeric",
        autocomplete: "cc-number",
        maxlength: 23,
        required: true,
        placeholder: "4242 4242 4242 4242",
        hint: "The sandbox bank takes any valid card number.",
      },
    ],
    submitLabel: "Link Card",
    submitTestid: "card-link",
    onSubmit: async (v) => {
      const card = await api.post("/wallet/cards", { number: v.number.trim() });
      toast(`Linked ${cardLabel(card)}`, { kind: "success" });
      onLinked(card);
    },
  });
}

/**
 * The card to move money with: a choice among my cards, or a form to link the first one.
 * `onReady()` is called once a card is chosen.
 */
function cardPicker(ctx, onReady) {
  const el = h("div", { class: "card-picker", testid: "card-picker" }, spinner());
  let chosen = null;

  function paint(list) {
    if (!list.length) {
      mount(el, groupTitle("Link a bank card first"), linkCardForm((c) => paint([c])).el);
      chosen = null;
      onReady(null);
      return;
    }
    chosen = chosen && list.some((c) => c.id === chosen) ? chosen : list[0].id;
    const rows = list.map((c) => {
      const radio = h("input", { type: "radio", name: "card", value: String(c.id), checked: c.id === chosen, class: "card-radio", testid: `card-${c.last4}` });
      radio.addEventListener("change", () => (chosen = c.id));
      return h("label", { class: "cell card-option" }, h("span", { class: "cell-body" }, h("span", { class: "cell-title" }, cardLabel(c))), radio);
    });
    mount(el, groupTitle("Card"), h("div", { class: "cells" }, rows));
    onReady(chosen);
  }
  loadInto(ctx, el, () => cards(ctx.signal), paint);
  return { el, get card() { return chosen; } };
}

export function cardsView(ctx) {
  const body = h("div");
  function paint(list) {
    mount(
      body,
      list.length
        ? group(
            ...list.map((c) =>
              cell({
                icon: "card",
                tone: "purple",
                title: cardLabel(c),
                note: `Linked ${new Date(c.created_at).toLocaleDateString()}`,
                testid: `card-row-${c.last4}`,
                onClick: async () => {
                  const ok = await confirmSheet({ title: `Remove ${cardLabel(c)}?`, confirmLabel: "Remove", danger: true });
                  if (!ok) return;
                  try {
                    await api.del(`/wallet/cards/${c.id}`);
                    load();
                  } catch (err) {
                    toast(err.detail, { kind: "error" });
                  }
                },
              }),
            ),
          )
        : h("p", { class: "cells-foot" }, "No cards linked yet."),
      groupTitle("Link another card"),
      linkCardForm(() => load()).el,
    );
  }
  const load = () => loadInto(ctx, body, () => cards(ctx.signal), paint);
  load();
  return screen(ctx, { title: "Bank cards", back: "/wallet", testid: "screen-wallet-cards", body });
}

export function topupView(ctx) {
  const done = h("div");
  const picker = cardPicker(ctx, (card) => (form.el.hidden = card === null));
  let key = newId();
  const form = makeForm({
    testid: "topup-form",
    fields: [amountField()],
    submitLabel: "Top Up",
    submitTestid: "topup-submit",
    onSubmit: async (v) => {
      const amount = wallet.parseAmount(v.amount);
      const op = await wallet.keyed("/wallet/topups", { card_id: picker.card, amount }, key);
      key = newId();
      wallet.refresh();
      const pending = op.status === "pending";
      mount(
        done,
        receipt({
          title: pending ? "Top-up pending" : "Topped up",
          amount: op.amount,
          tone: pending ? "wait" : "ok",
          rows: [["Status", pending ? "Waiting for the bank" : "Done", "receipt-status"]],
          actions: [h("a", { class: "btn btn--primary btn--block", href: "#/wallet", testid: "receipt-done" }, "Done")],
        }),
      );
      picker.el.hidden = form.el.hidden = true;
    },
  });
  form.el.hidden = true;
  form.fields.amount.input.addEventListener("input", () => (key = newId()));
  return screen(ctx, {
    title: "Top up",
    back: "/wallet",
    testid: "screen-wallet-topup",
    body: [done, picker.el, form.el, balanceNote(ctx)],
  });
}

export function withdrawView(ctx) {
  const done = h("div");
  const picker = cardPicker(ctx, (card) => (form.el.hidden = card === null));
  const feeLine = h("p", { class: "cells-foot", testid: "withdraw-fee" });
  let key = newId();
  const showFee = () => {
    const amount = wallet.parseAmount(form.fields.amount.value);
    feeLine.textContent = amount ? `Fee ${wallet.money(wallet.withdrawalFee(amount))} · total ${wallet.money(amount + wallet.withdrawalFee(amount))}` : "A small fee is charged on withdrawals.";
  };
  const form = makeForm({
    testid: "withdraw-form",
    fields: [amountField()],
    submitLabel: "Withdraw",
    submitTestid: "withdraw-submit",
    after: feeLine,
    onSubmit: async (v) => {
      const amount = wallet.parseAmount(v.amount);
      const fee = wallet.withdrawalFee(amount);
      const op = await askPin({
        title: "Withdraw to bank card",
        amount,
        detail: `Fee ${wallet.money(fee)}`,
        submit: (pin) => wallet.keyed("/wallet/withdrawals", { card_id: picker.card, amount, pin }, key),
      });
      if (!op) return;
      key = newId();
      wallet.refresh();
      const pending = op.status === "pending";
      mount(
        done,
        receipt({
          title: pending ? "Withdrawal pending" : "Withdrawal complete",
          amount: op.amount,
          tone: pending ? "wait" : "ok",
          rows: [
            ["Fee", wallet.money(op.fee), "receipt-fee"],
            ["Status", pending ? "Pending — the bank will confirm" : "Paid to your card", "receipt-status"],
          ],
          actions: [h("a", { class: "btn btn--primary btn--block", href: "#/wallet", testid: "receipt-done" }, "Done")],
        }),
      );
      picker.el.hidden = form.el.hidden = true;
    },
  });
  form.el.hidden = true;
  form.fields.amount.input.addEventListener("input", () => {
    key = newId();
    showFee();
  });
  showFee();
  ctx.on("wallet:overview", showFee);
  return screen(ctx, {
    title: "Withdraw",
    back: "/wallet",
    testid: "screen-wallet-withdraw",
    body: [done, picker.el, form.el, balanceNote(ctx, "Available")],
  });
}
