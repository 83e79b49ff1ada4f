// Transfers to friends: #/wallet/transfer (choose a friend), #/wallet/transfer/:userId (amount,
// note, PIN), #/wallet/transfers (waiting for me, then everything sent and received) and
// #/wallet/transfers/:id (one transfer; the recipient accepts or declines it there). The money
// leaves the sender at once and comes back if it is declined or not accepted within 24 hours.

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import { icon } from "../../icons.js";
import * as contacts from "../../data/contacts.js";
import * as users from "../../data/users.js";
import * as wallet from "../../data/wallet.js";
import { ago } from "../../format.js";
import { safeNext } from "../../router.js";
import * as store from "../../store.js";
import { avatar } from "../../ui/avatar.js";
import { groupTitle } from "../../ui/cells.js";
import { toast } from "../../ui/feedback.js";
import { makeForm } from "../../ui/form.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { newId } from "../../util.js";
import { friendRow } from "../contacts/index.js";
import { amountField, balanceNote, loadInto, noteField, receipt } from "./common.js";
import { askPin } from "./pinpad.js";

const STATUS = { pending: "Waiting to be accepted", accepted: "Accepted", declined: "Declined", returned: "Returned" };

async function friendList() {
  return contacts.friends() || (await contacts.loadFriends());
}

export function transferPickView(ctx) {
  const body = h("div", { class: "friends", testid: "transfer-friends" });
  loadInto(ctx, body, friendList, (list) =>
    mount(
      body,
      list.length
        ? [groupTitle("Choose a friend"), h("div", { class: "cells" }, list.map((f) => friendRow(f, { testid: `transfer-to-${f.user.handle}`, href: `#/wallet/transfer/${f.user.id}` })))]
        : emptyState({ iconName: "contacts", title: "No friends yet", text: "Transfers go to friends. Add someone first.", testid: "transfer-no-friends" }),
    ),
  );
  return screen(ctx, { title: "Transfer", back: "/wallet", testid: "screen-wallet-transfer-pick", body });
}

export function transferView(ctx) {
  const userId = Number(ctx.params.user);
  const body = h("div", {}, spinner());
  let key = newId();

  function paint(list) {
    const f = list.find((x) => x.user.id === userId);
    if (!f) {
      mount(body, h("div", { class: "banner banner--error", testid: "wallet-error" }, "You can only transfer money to a friend."));
      return;
    }
    const name = f.remark || f.user.display_name;
    const form = makeForm({
      testid: "transfer-form",
      fields: [amountField(), noteField()],
      submitLabel: "Transfer",
      submitTestid: "transfer-submit",
      onSubmit: async (v) => {
        const amount = wallet.parseAmount(v.amount);
        const out = await askPin({
          title: `Transfer to ${name}`,
          amount,
          submit: (pin) => wallet.keyed("/wallet/transfers", { to_user_id: userId, amount, note: v.note.trim(), pin }, key),
        });
        if (!out) return;
        key = newId();
        wallet.refresh();
        mount(
          body,
          receipt({
            title: `Sent to ${name}`,
            amount: out.amount,
            tone: "wait",
            rows: [["Status", `Waiting for ${name} to accept`, "receipt-status"]],
            actions: [
              h("a", { class: "btn btn--primary btn--block", href: `#/wallet/transfers/${out.id}`, testid: "receipt-view" }, "View Transfer"),
              h("a", { class: "btn btn--ghost btn--block", href: "#/wallet", testid: "receipt-done" }, "Done"),
            ],
          }),
          balanceNote(ctx),
        );
      },
    });
    for (const f2 of Object.values(form.fields)) f2.input.addEventListener("input", () => (key = newId()));
    mount(
      body,
      h("div", { class: "transfer-to", testid: "transfer-to" }, avatar(f.user, { size: "lg" }), h("p", { class: "transfer-to-name" }, name), h("p", { class: "cell-note" }, `Hutong ID: ${f.user.handle}`)),
      form.el,
      balanceNote(ctx),
    );
  }
  loadInto(ctx, body, friendList, paint);
  return screen(ctx, { title: "Transfer", back: safeNext(ctx.query.back) || "/wallet/transfer", testid: "screen-wallet-transfer", body });
}

function counterpartName(t) {
  const me = store.state.user?.id;
  return users.nameOf(t.from_user_id === me ? t.to_user_id : t.from_user_id, { fallback: "A friend" });
}

function transferRow(t) {
  const mine = t.from_user_id === store.state.user?.id;
  return h(
    "a",
    { class: "cell cell--link transfer-row", href: `#/wallet/transfers/${t.id}`, testid: `transfer-${t.id}`, dataset: { status: t.status, direction: mine ? "out" : "in" } },
    h("span", { class: ["cell-icon", mine ? "tone-orange" : "tone-green"] }, icon("redpacket", { size: 20 })),
    h("span", { class: "cell-body" }, h("span", { class: "cell-title" }, mine ? `To ${counterpartName(t)}` : `From ${counterpartName(t)}`), h("span", { class: "cell-note" }, `${STATUS[t.status]} · ${ago(t.created_at)}`)),
    h("span", { class: ["cell-value", "bill-amount", mine ? "is-out" : "is-in"], testid: "transfer-amount" }, wallet.money(t.amount, { sign: mine ? "out" : "in" })),
  );
}

export function transfersView(ctx) {
  const body = h("div", {}, spinner());
  const load = () =>
    loadInto(
      ctx,
      body,
      async () => {
        const [waiting, all] = await Promise.all([wallet.loadIncoming(), api.get("/wallet/transfers?limit=100", { signal: ctx.signal })]);
        const shown = new Set(waiting.map((t) => t.id));
        return { waiting, all: all.transfers.filter((t) => !shown.has(t.id)) };
      },
      ({ waiting, all }) =>
        mount(
          body,
          waiting.length ? [groupTitle("Waiting for you"), h("div", { class: "cells", testid: "transfers-waiting" }, waiting.map(transferRow))] : null,
          all.length
            ? [groupTitle("All transfers"), h("div", { class: "cells", testid: "transfers-all" }, all.map(transferRow))]
            : waiting.length
              ? null
              : emptyState({ iconName: "redpacket", title: "No transfers yet", testid: "transfers-empty", action: h("a", { class: "btn btn--primary btn--small", href: "#/wallet/transfer" }, "Transfer to a Friend") }),
        ),
    );
  load();
  ctx.on("wallet:event", (e) => e.kind.startsWith("wallet.transfer_") && load());
  const send = h("a", { class: "topbar-btn", href: "#/wallet/transfer", testid: "transfers-new", "aria-label": "New transfer" }, icon("plus"));
  return screen(ctx, { title: "Transfers", back: "/wallet", actions: [send], testid: "screen-wallet-transfers", body });
}

export function transferDetailView(ctx) {
  const id = Number(ctx.params.id);
  const body = h("div", {}, spinner());

  function paint(t) {
    const me = store.state.user?.id;
    const mine = t.from_user_id === me;
    const other = counterpartName(t);
    const actions = [];
    if (!mine && t.status === "pending") {
      const accept = h("button", { type: "button", class: "btn btn--primary btn--block", testid: "transfer-accept" }, "Accept");
      const decline = h("button", { type: "button", class: "link-btn transfer-decline", testid: "transfer-decline" }, "Decline");
      const decide = async (fn, message) => {
        accept.disabled = decline.disabled = true;
        try {
          paint(await fn(t.id));
          toast(message, { kind: "success" });
        } catch (err) {
          toast(err.detail, { kind: "error" });
          load();
        }
      };
      accept.addEventListener("click", () => decide(wallet.accept, "Money added to your wallet"));
      decline.addEventListener("click", () => decide(wallet.decline, "Declined; the money went back"));
      actions.push(accept, h("p", { class: "transfer-foot" }, `Accept by ${new Date(t.expires_at).toLocaleString()}, or it goes back. `, decline));
    }
    const title = t.status === "pending" ? (mine ? `Waiting for ${other} to accept` : `${other} sent you money`) : mine ? `To ${other}` : `From ${other}`;
    mount(
      body,
      h(
        "div",
        { class: "transfer-detail", testid: "transfer-detail", dataset: { status: t.status } },
        h("span", { class: ["wallet-receipt-icon", t.status === "pending" ? "tone-orange" : t.status === "accepted" ? "tone-green" : "tone-grey"] }, icon(t.status === "pending" ? "clock" : t.status === "accepted" ? "check" : "back", { size: 44 })),
        h("p", { class: "wallet-receipt-title", testid: "transfer-title" }, title),
        h("p", { class: "wallet-receipt-amount", testid: "transfer-amount" }, wallet.money(t.amount)),
        t.note ? h("p", { class: "transfer-note", testid: "transfer-note" }, t.note) : null,
        h("p", { class: "transfer-status", testid: "transfer-status" }, STATUS[t.status]),
        h("div", { class: "wallet-receipt-actions" }, actions),
        h("p", { class: "transfer-times" }, `Sent ${new Date(t.created_at).toLocaleString()}`, t.resolved_at ? ` · ${STATUS[t.status]} ${new Date(t.resolved_at).toLocaleString()}` : ""),
      ),
    );
  }
  const load = () => loadInto(ctx, body, () => api.get(`/wallet/transfers/${id}`, { signal: ctx.signal }), paint);
  load();
  ctx.on("wallet:event", (e) => e.payload?.transfer_id === id && load());
  return screen(ctx, { title: "Transfer", back: "/wallet/transfers", testid: "screen-wallet-transfer-detail", body });
}
