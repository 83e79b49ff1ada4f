// Paying a shop by its collect-money QR code. The code opens /qr/<token> (the #/qr screen, which
// hands "pay" codes to `payPanel`), or #/wallet/pay/<token> from inside the app: the shop's name,
// an amount and a note, then the PIN. The token itself is what /wallet/pay is given.

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import { icon } from "../../icons.js";
import * as wallet from "../../data/wallet.js";
import { makeForm } from "../../ui/form.js";
import { screen, spinner } from "../../ui/layout.js";
import { newId } from "../../util.js";
import { amountField, balanceNote, noteField, receipt } from "./common.js";
import { askPin } from "./pinpad.js";

/** The pay form for a resolved collect-money code (`info` is what /api/qr/<token> answered). */
export function payPanel(ctx, token, info) {
  const m = info.merchant;
  const el = h("div", { class: "pay-merchant", testid: "pay-merchant", dataset: { merchantId: String(m.id) } });
  const head = h(
    "div",
    { class: "transfer-to" },
    h("span", { class: "merchant-logo" }, icon("scan", { size: 28 })),
    h("p", { class: "transfer-to-name", testid: "pay-merchant-name" }, m.name),
    h("p", { class: "cell-note" }, m.kind === "organisation" ? "Organisation" : "Personal shop"),
  );
  if (info.action === "self") {
    mount(el, head, h("p", { class: "banner banner--info", testid: "pay-self" }, "This is your own collect-money code. Others scan it to pay you."));
    return el;
  }
  let key = newId();
  const form = makeForm({
    testid: "pay-form",
    fields: [amountField(), noteField("Note")],
    submitLabel: "Pay",
    submitTestid: "pay-submit",
    onSubmit: async (v) => {
      const amount = wallet.parseAmount(v.amount);
      const payment = await askPin({
        title: `Pay ${m.name}`,
        amount,
        submit: (pin) => wallet.keyed("/wallet/pay", { qr_token: token, amount, note: v.note.trim(), pin }, key),
      });
      if (!payment) return;
      key = newId();
      wallet.refresh();
      mount(
        el,
        receipt({
          title: `Paid ${m.name}`,
          amount: payment.amount,
          rows: [["Payment", `#${payment.id}`, "receipt-payment-id"]],
          actions: [
            h("a", { class: "btn btn--primary btn--block", href: "#/wallet", testid: "receipt-done" }, "Done"),
            h("a", { class: "btn btn--ghost btn--block", href: "#/wallet/bills", testid: "receipt-bills" }, "View Bills"),
          ],
        }),
        balanceNote(ctx),
      );
    },
  });
  for (const f of Object.values(form.fields)) f.input.addEventListener("input", () => (key = newId()));
  mount(el, head, form.el, balanceNote(ctx));
  requestAnimationFrame(() => form.fields.amount.input.focus());
  return el;
}

export function payView(ctx) {
  const token = ctx.params.token;
  const body = h("div", {}, spinner());
  (async () => {
    try {
      const info = await api.get(`/api/qr/${encodeURIComponent(token)}`, { signal: ctx.signal });
      if (!ctx.alive) return;
      if (info.kind !== "pay") mount(body, h("div", { class: "banner banner--error", testid: "wallet-error" }, "That is not a collect-money code."));
      else mount(body, payPanel(ctx, token, info));
    } catch (err) {
      if (err.name !== "AbortError" && ctx.alive) mount(body, h("div", { class: "banner banner--error", testid: "wallet-error" }, err.detail));
    }
  })();
  return screen(ctx, { title: "Pay", back: "/wallet", testid: "screen-wallet-pay", body });
}
