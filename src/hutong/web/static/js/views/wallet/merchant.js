// Merchant accounts: #/wallet/merchants (mine, and opening one) and #/wallet/merchants/:id — the
// fixed collect-money QR that customers scan, the takings, charging a customer's payment code,
// incoming payments with full or partial refunds, and the daily settlement list.

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import { icon } from "../../icons.js";
import * as users from "../../data/users.js";
import * as wallet from "../../data/wallet.js";
import { chatTime } from "../../format.js";
import { navigate } from "../../router.js";
import { cell, group, groupTitle } from "../../ui/cells.js";
import { actionSheet, confirmSheet, toast } from "../../ui/feedback.js";
import { makeForm } from "../../ui/form.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { newId } from "../../util.js";
import { amountField, loadInto } from "./common.js";
import { askPin } from "./pinpad.js";

export function merchantsView(ctx) {
  const body = h("div", {}, spinner());
  const form = makeForm({
    testid: "merchant-form",
    fields: [{ name: "name", label: "Shop name", maxlength: 40, required: true, placeholder: "e.g. Corner Tea House" }],
    submitLabel: "Open Merchant Account",
    submitTestid: "merchant-open",
    onSubmit: async (v) => {
      const m = await api.post("/wallet/merchants", { name: v.name.trim() });
      toast(`${m.name} is open`, { kind: "success" });
      navigate(`/wallet/merchants/${m.id}`);
    },
  });
  loadInto(
    ctx,
    body,
    () => api.get("/wallet/merchants", { signal: ctx.signal }),
    (list) =>
      mount(
        body,
        list.length
          ? group(...list.map((m) => cell({ icon: "scan", tone: "green", title: m.name, note: `Takings ${wallet.money(m.balance)}`, href: `#/wallet/merchants/${m.id}`, testid: `merchant-${m.id}` })))
          : h("p", { class: "cells-foot" }, "Open a merchant account to collect money with a QR code of your own: customers scan it and enter the amount."),
        groupTitle("Open a merchant account"),
        form.el,
      ),
  );
  return screen(ctx, { title: "Merchant", back: "/wallet", testid: "screen-wallet-merchants", body });
}

/** A bottom sheet with a form; resolves what `submit(values)` returned, or null. */
function formSheet({ title, fields, submitLabel, submit, testid }) {
  return new Promise((resolve) => {
    let done = false;
    const close = (value) => {
      if (done) return;
      done = true;
      overlay.classList.remove("is-in");
      setTimeout(() => overlay.remove(), 200);
      resolve(value);
    };
    const form = makeForm({
      testid,
      fields,
      submitLabel,
      submitTestid: `${testid}-submit`,
      onSubmit: async (v) => close(await submit(v)),
    });
    const sheet = h(
      "div",
      { class: "sheet form-sheet", role: "dialog", "aria-modal": "true", "aria-label": title },
      h("div", { class: "sheet-head" }, h("p", { class: "sheet-title" }, title)),
      form.el,
      h("button", { type: "button", class: "sheet-btn", testid: `${testid}-cancel`, onclick: () => close(null) }, "Cancel"),
    );
    const overlay = h("div", { class: "overlay", onclick: (e) => e.target === overlay && close(null) }, sheet);
    document.body.append(overlay);
    requestAnimationFrame(() => {
      overlay.classList.add("is-in");
      Object.values(form.fields)[0]?.input.focus();
    });
  });
}

function paymentRow(p, onRefund) {
  const left = p.amount - p.refunded;
  const refund = left > 0 ? h("button", { type: "button", class: "btn btn--ghost btn--small", testid: "payment-refund", onclick: () => onRefund(p) }, "Refund") : null;
  return h(
    "div",
    { class: "cell payment-row", testid: `payment-${p.id}`, dataset: { refunded: String(p.refunded), amount: String(p.amount) } },
    h(
      "span",
      { class: "cell-body" },
      h("span", { class: "cell-title" }, wallet.money(p.amount), p.refunded ? h("span", { class: "chip", testid: "payment-refunded" }, `refunded ${wallet.money(p.refunded)}`) : null),
      h("span", { class: "cell-note" }, `${users.nameOf(p.payer_id, { fallback: "Customer" })} · ${p.via === "code" ? "payment code" : "QR"} · ${chatTime(p.at)}`, p.note ? ` · ${p.note}` : ""),
    ),
    refund,
  );
}

export function merchantView(ctx) {
  const id = Number(ctx.params.id);
  const head = h("div", {}, spinner());
  const payments = h("div", { class: "cells", testid: "merchant-payments" });
  const days = h("div", { testid: "merchant-settlements" });
  let merchant = null;

  async function refund(p) {
    const left = p.amount - p.refunded;
    let key = newId();
    const out = await formSheet({
      title: `Refund payment #${p.id}`,
      testid: "refund-form",
      fields: [amountField({ value: wallet.yuan(left), hint: `Up to ${wallet.money(left)}`, validate: (v) => wallet.amountProblem(v) || (wallet.parseAmount(v) > left ? `At most ${wallet.money(left)}` : null) }), { name: "reason", label: "Reason", maxlength: 100, placeholder: "optional" }],
      submitLabel: "Refund",
      submit: async (v) => {
        const r = await wallet.keyed(`/wallet/merchants/${id}/refunds`, { payment_id: p.id, amount: wallet.parseAmount(v.amount), reason: v.reason.trim() }, key);
        key = newId();
        return r;
      },
    });
    if (!out) return;
    toast(`Refunded ${wallet.money(out.amount)}`, { kind: "success" });
    load();
  }

  async function settle() {
    if (!merchant?.balance) return toast("Nothing to move yet.");
    const key = newId();
    const out = await askPin({
      title: `Move ${merchant.name}'s takings to your wallet`,
      amount: merchant.balance,
      submit: (pin) => wallet.keyed(`/wallet/merchants/${id}/settle`, { amount: merchant.balance, pin }, key),
    }).catch((err) => toast(err.detail, { kind: "error" }));
    if (!out) return;
    toast("Moved to your wallet", { kind: "success" });
    wallet.refresh();
    load();
  }

  async function charge() {
    let key = newId();
    const out = await formSheet({
      title: "Charge a payment code",
      testid: "charge-form",
      fields: [{ name: "code", label: "Code", inputmode: "numeric", maxlength: 24, required: true, placeholder: "18 digits from the customer" }, amountField()],
      submitLabel: "Charge",
      submit: async (v) => {
        const p = await wallet.keyed(`/wallet/merchants/${id}/charge`, { code: v.code.replace(/\s+/g, ""), amount: wallet.parseAmount(v.amount) }, key);
        key = newId();
        return p;
      },
    });
    if (out) {
      toast(`Received ${wallet.money(out.amount)}`, { kind: "success" });
      load();
    }
  }

  function paintHead(m) {
    merchant = m;
    const qr = m.collect_qr;
    mount(
      head,
      h(
        "div",
        { class: "myqr-card merchant-card", testid: "merchant-card", dataset: { merchantId: String(m.id) } },
        h("p", { class: "merchant-name", testid: "merchant-name" }, m.name),
        h("div", { class: "myqr-frame" }, h("img", { class: "myqr-img", src: qr.svg_url, alt: `Collect-money QR code of ${m.name}`, width: 240, height: 240, testid: "merchant-qr", dataset: { qrUrl: qr.url, token: qr.token } })),
        h("p", { class: "myqr-caption" }, "Customers scan this code and enter the amount"),
        h("div", { class: "myqr-actions" }, h("a", { class: "btn btn--ghost btn--small", href: qr.png_url, download: `collect-${m.id}.png`, testid: "merchant-qr-download" }, icon("download", { size: 16 }), "Save Image")),
      ),
      group(
        cell({ icon: "wallet", tone: "green", title: "Takings", value: h("span", { testid: "merchant-balance", dataset: { fen: String(m.balance) } }, wallet.money(m.balance)), onClick: settle, note: "Move to your wallet", testid: "merchant-settle" }),
        cell({ icon: "qr", tone: "blue", title: "Charge a payment code", note: "The customer shows their pay code", onClick: charge, testid: "merchant-charge" }),
      ),
    );
  }

  function paintPayments(out) {
    mount(payments, out.payments.length ? out.payments.map((p) => paymentRow(p, refund)) : emptyState({ iconName: "scan", title: "No payments yet", testid: "merchant-no-payments" }));
  }

  function paintDays(list) {
    const rows = list.filter((d) => d.payments || d.refunds);
    mount(
      days,
      rows.length
        ? h(
            "div",
            { class: "cells" },
            rows.map((d) =>
              h(
                "div",
                { class: "cell settle-row", testid: `settlement-${d.date}` },
                h("span", { class: "cell-body" }, h("span", { class: "cell-title" }, new Date(`${d.date}T12:00:00`).toLocaleDateString()), h("span", { class: "cell-note" }, `${d.payments} payment${d.payments === 1 ? "" : "s"} · gross ${wallet.money(d.gross)} · refunds ${wallet.money(d.refunds)}`)),
                h("span", { class: "cell-value", testid: "settlement-net" }, wallet.money(d.net)),
              ),
            ),
          )
        : h("p", { class: "cells-foot" }, "No takings in the last 30 days."),
    );
  }

  function load() {
    loadInto(ctx, head, () => api.get(`/wallet/merchants/${id}`, { signal: ctx.signal }), paintHead);
    loadInto(ctx, payments, () => api.get(`/wallet/merchants/${id}/payments?limit=50`, { signal: ctx.signal }), paintPayments);
    loadInto(ctx, days, () => api.get(`/wallet/merchants/${id}/settlements?days=30`, { signal: ctx.signal }), paintDays);
  }
  load();
  ctx.on("wallet:event", (e) => e.payload?.merchant_id === id && load());

  const more = h("button", { type: "button", class: "topbar-btn", "aria-label": "More", testid: "merchant-more" }, icon("more"));
  more.addEventListener("click", async () => {
    const choice = await actionSheet({ actions: [{ label: "Reset Collect QR Code", value: "reset", testid: "merchant-qr-reset" }] });
    if (choice !== "reset") return;
    const ok = await confirmSheet({ title: "Reset the collect-money code?", message: "Printed copies of the current code stop working.", confirmLabel: "Reset" });
    if (!ok) return;
    try {
      paintHead(await api.post(`/wallet/merchants/${id}/qr/reset`));
      toast("New code ready", { kind: "success" });
    } catch (err) {
      toast(err.detail, { kind: "error" });
    }
  });

  return screen(ctx, {
    title: "Merchant",
    back: "/wallet/merchants",
    actions: [more],
    testid: "screen-wallet-merchant",
    body: [head, groupTitle("Payments"), payments, groupTitle("Daily settlement"), days],
  });
}
